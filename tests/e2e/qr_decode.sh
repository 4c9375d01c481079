#!/usr/bin/env bash
# KOD I drawn and read back: `ksef qr invoice` writes a PNG whose code
# zbarimg (Debian zbar-tools) decodes to exactly the link it printed, for
# each environment, with a KSeF number and with OFFLINE; the docs' own
# image decodes to the docs' example link; an SVG names its label; bad
# input exits with the documented codes. Skipped (77) without zbarimg.
. "$(dirname "$0")/lib.bash"
command -v zbarimg >/dev/null || { echo "skipped: no zbarimg (zbar-tools)"; exit 77; }

nip=5265877635
num=5265877635-20250729-01004014E040-00
"$KSEF" generate --nip $nip --seed 21 --date 2026-02-01 > "$WORK/inv.xml"
date=$(sed -n 's#.*<P_1>\([0-9-]*\)</P_1>.*#\1#p' "$WORK/inv.xml")
ddmmyyyy=$(echo "$date" | awk -F- '{print $3"-"$2"-"$1}')
hash=$(openssl dgst -sha256 -binary "$WORK/inv.xml" | base64 | tr '+/' '-_' | tr -d '=')

# decode FILE: the text of the one code in FILE.
decode() { zbarimg -q --raw "$1" 2>/dev/null; }

for env in test demo prd; do
	case $env in
	test) host=qr-test.ksef.mf.gov.pl ;;
	demo) host=qr-demo.ksef.mf.gov.pl ;;
	prd) host=qr.ksef.mf.gov.pl ;;
	esac
	want="https://$host/invoice/$nip/$ddmmyyyy/$hash"
	check "$env: a PNG with the KSeF number" 0 "$KSEF" qr invoice "$WORK/inv.xml" --env $env --ksef-number $num --out "$WORK/$env.png"
	check "$env: the printed link is built from the file" 0 test "$(cat "$WORK/out")" = "$want"
	check "$env: the PNG decodes to the link" 0 test "$(decode "$WORK/$env.png")" = "$want"
done

check "OFFLINE: a PNG without a number" 0 "$KSEF" qr invoice "$WORK/inv.xml" --out "$WORK/off.png"
check "OFFLINE: it decodes too" 0 test "$(decode "$WORK/off.png")" = "https://qr-test.ksef.mf.gov.pl/invoice/$nip/$ddmmyyyy/$hash"
check "a ksefd's base URL gives its root" 0 "$KSEF" qr invoice "$WORK/inv.xml" --base-url http://127.0.0.1:9/v2 --out "$WORK/local.png"
check "  and the code says so" 0 test "$(decode "$WORK/local.png")" = "http://127.0.0.1:9/invoice/$nip/$ddmmyyyy/$hash"

check "an SVG" 0 "$KSEF" qr invoice "$WORK/inv.xml" --ksef-number $num --out "$WORK/a.svg"
check "  carries the number under the code" 0 grep -q ">$num</text>" "$WORK/a.svg"
check "  and is well-formed XML" 0 xmllint --noout "$WORK/a.svg"
check "an OFFLINE SVG" 0 "$KSEF" qr invoice "$WORK/inv.xml" --out "$WORK/b.svg"
check "  says OFFLINE" 0 grep -q '>OFFLINE</text>' "$WORK/b.svg"

check "--json" 0 "$KSEF" qr invoice "$WORK/inv.xml" --json --out "$WORK/j.png"
cp "$WORK/out" "$WORK/json"
check "  gives the link" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert r['link'].endswith('/invoice/$nip/$ddmmyyyy/$hash'), r
assert r['label'] == 'OFFLINE' and r['format'] == 'png', r"

# The official image of kody-qr.md, when the docs are here.
if [ -f "$SHARED/ksef-docs/qr/qr-ksef.png" ]; then
	check "the docs' image decodes to the docs' link" 0 test "$(decode "$SHARED/ksef-docs/qr/qr-ksef.png")" = \
		"https://qr-test.ksef.mf.gov.pl/invoice/1111111111/01-02-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE"
fi

check "no --out is usage" 2 "$KSEF" qr invoice "$WORK/inv.xml"
check "an unknown image type is usage" 2 "$KSEF" qr invoice "$WORK/inv.xml" --out "$WORK/x.gif"
check "a bad KSeF number is usage" 2 "$KSEF" qr invoice "$WORK/inv.xml" --ksef-number 5265877635-20250729-01004014E040-01 --out "$WORK/x.png"
check "an unknown environment is usage" 2 "$KSEF" qr invoice "$WORK/inv.xml" --env prod --out "$WORK/x.png"
echo '<a/>' > "$WORK/not.xml"
check "a file that is no FA invoice is refused" 1 "$KSEF" qr invoice "$WORK/not.xml" --out "$WORK/x.png"
expect "  saying why" err "not an invoice"
check "a missing file cannot run" 3 "$KSEF" qr invoice "$WORK/none.xml" --out "$WORK/x.png"
check "an unwritable image cannot run" 3 "$KSEF" qr invoice "$WORK/inv.xml" --out "$WORK/no/such/dir/x.png"
check "no file is written on refusal" 1 test -e "$WORK/x.png"
finish
