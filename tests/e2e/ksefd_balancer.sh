#!/usr/bin/env bash
# Two ksefd nodes on one PostgreSQL store behind nginx, with the balancer's
# configuration that dist/compose.yaml ships (dist/compose-nginx.conf,
# only its upstream and listening addresses changed for the loopback):
# the client's address reaches the nodes (--trusted-proxy), a whole
# interactive session through the balancer ends 200 with every invoice
# accepted, and both nodes took part. Runs as pg/e2e/ksefd_balancer;
# skipped on the embedded store and without nginx (scripts/setup.sh
# installs it).
. "$(dirname "$0")/lib.bash"
need_schemas
case "${KSEFD:-}" in
*ksefd_pg.sh) ;;
*) echo "needs the PostgreSQL store (pg/e2e/ksefd_balancer): skipped"; exit 77 ;;
esac
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "no nginx: skipped"; exit 77; }

nip=5265877635
ports=()
for i in 1 2; do
	start_ksefd_args "$WORK/node$i.log" --data "$WORK/data" \
		--listen 127.0.0.1:0 --trusted-proxy 127.0.0.1 \
		--max-connections-per-ip 512 --log-format json
	port=${KSEFD_BASE#http://127.0.0.1:}
	ports+=("${port%%/*}")
done
lb=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
mkdir -p "$WORK/nginx"
sed -e "s/server ksefd1:8080/server 127.0.0.1:${ports[0]}/" \
	-e "s/server ksefd2:8080/server 127.0.0.1:${ports[1]}/" \
	-e "s/listen 8080;/listen 127.0.0.1:$lb;/" \
	"$KSEF_SOURCE_DIR/dist/compose-nginx.conf" >"$WORK/nginx/site.conf"
check "the shipped site names both nodes" 0 test "$(grep -c '^    server 127.0.0.1:' "$WORK/nginx/site.conf")" -eq 2
{
	# As root nginx would hand its workers to another user, who could
	# not write the test's folder.
	[ "$(id -u)" -ne 0 ] || echo "user root;"
	cat <<CONF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 256; }
http {
    access_log $WORK/nginx/access.log;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    include $WORK/nginx/site.conf;
}
CONF
} >"$WORK/nginx/nginx.conf"
check "nginx takes the configuration" 0 "$nginx" -t -q -c "$WORK/nginx/nginx.conf"
"$nginx" -c "$WORK/nginx/nginx.conf"
trap '"$nginx" -s stop -c "$WORK/nginx/nginx.conf" 2>/dev/null; for p in $KSEFD_PIDS; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$WORK"' EXIT
base=http://127.0.0.1:$lb/v2
for _ in $(seq 100); do curl -sf -o /dev/null -X POST "$base/auth/challenge" && break; sleep 0.1; done

# The client's address, through the balancer's X-Forwarded-For.
ip_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['clientIp'])" "$WORK/out"; }
check "a challenge from 127.0.0.2 through the balancer" 0 \
	curl -sf -X POST --interface 127.0.0.2 "$base/auth/challenge"
check "names 127.0.0.2, not the balancer" 0 test "$(ip_of)" = 127.0.0.2
check "the node logged the client's address" 0 \
	grep -q '"ip":"127.0.0.2"' "$WORK/node1.log" "$WORK/node2.log"

# A whole session through it.
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
own_home
check "login through the balancer" 0 "$KSEF" auth login --base-url "$base" \
	--nip $nip --token "$token"
check "generate 6" 0 "$KSEF" generate --nip $nip --count 6 --seed 9 --out "$WORK/inv"
check "session open" 0 "$KSEF" session open --form 'FA (3)'
sref=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['currentSession'])" "$HOME/.local/state/ksef/auth.json")
for f in "$WORK"/inv/*.xml; do
	check "send ${f##*/}" 0 "$KSEF" session send "$f"
done
check "session close" 0 "$KSEF" session close
check "status" 0 "$KSEF" session status --wait "$sref"
expect "ended 200" out "session $sref: 200"
expect "six accepted" out "invoices: 6 (6 accepted, 0 failed)"
check "UPOs through the balancer" 0 "$KSEF" session upo "$sref" --out "$WORK/upo"
check "a session UPO and six invoice UPOs" 0 test "$(ls "$WORK/upo" | wc -l)" -eq 7
sends() { grep -c 'sessions/online/{ref}/invoices' "$1" || true; }
check "node 1 took some of the invoices" 0 test "$(sends "$WORK/node1.log")" -gt 0
check "node 2 took some of the invoices" 0 test "$(sends "$WORK/node2.log")" -gt 0
finish
