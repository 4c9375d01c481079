#!/usr/bin/env bash
# ksefd under systemd's readiness protocol (sd_notify, Type=notify): with
# $NOTIFY_SOCKET set, ksefd sends READY=1 only once its port answers
# requests, with a STATUS= naming its address, and STOPPING=1 as soon as
# SIGTERM begins its shutdown; it then exits 0. A unix datagram socket
# stands in for systemd. ksefd listens on port 0, so the port READY=1's
# STATUS names is one the kernel gave the listening socket: it cannot be
# known before ksefd listens.
. "$(dirname "$0")/lib.bash"

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
if ! readelf -d "$KSEFD" | grep -q 'libsystemd\.so'; then
	echo "skipped: ksefd is built without libsystemd (KSEF_WITH_SYSTEMD)"
	exit 77
fi
need_schemas

cat >"$WORK/notify.py" <<'PY'
import http.client, os, re, signal, socket, subprocess, sys

ksefd, work = sys.argv[1], sys.argv[2]
failures = []

def expect(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)

def answers(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/v2/security/public-key-certificates")
        return c.getresponse().status == 200
    except OSError:
        return False

def receive(sock):
    msg = sock.recv(4096).decode()
    print("received: " + msg.replace("\n", " | "))
    return dict(l.split("=", 1) for l in msg.split("\n") if "=" in l)

sock_path = os.path.join(work, "notify.sock")
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sock_path)
sock.settimeout(60)

out_path = os.path.join(work, "ksefd.out")
with open(out_path, "w") as out, open(os.path.join(work, "ksefd.log"), "w") as log:
    proc = subprocess.Popen(
        [ksefd, "--data", os.path.join(work, "data"),
         "--listen", "127.0.0.1:0"],
        env=dict(os.environ, NOTIFY_SOCKET=sock_path),
        stdout=out, stderr=log)
try:
    first = receive(sock)
    expect("the first message is READY=1", first.get("READY") == "1")
    m = re.fullmatch(r"listening on http://127\.0\.0\.1:([0-9]+)/v2",
                     first.get("STATUS", ""))
    expect("its STATUS names the address", m is not None)
    port = int(m.group(1)) if m else 0
    expect("the port is the one picked", port != 0)
    # Asked the moment READY=1 is in: the port must answer already.
    expect("the port answers when READY=1 arrives", answers(port))
    with open(out_path) as f:
        expect("the listening line was printed before",
               "ksefd: listening on http://127.0.0.1:%d/v2" % port in f.read())
    proc.send_signal(signal.SIGTERM)
    second = receive(sock)
    expect("SIGTERM sends STOPPING=1", second.get("STOPPING") == "1")
    expect("its STATUS says why",
           second.get("STATUS", "").startswith("SIGTERM"))
    expect("ksefd exits 0 after it", proc.wait(timeout=60) == 0)
except (socket.timeout, subprocess.TimeoutExpired) as e:
    expect("no timeout: %s" % e, False)
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait()
sys.exit(1 if failures else 0)
PY

check "READY=1 after the port answers, STOPPING=1 at SIGTERM" 0 \
	timeout 180 python3 "$WORK/notify.py" "$KSEFD" "$WORK"
[ "$failed" -eq 0 ] || sed 's/^/  ksefd: /' "$WORK/ksefd.log" | tail -20
finish
