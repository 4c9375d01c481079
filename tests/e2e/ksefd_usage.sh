#!/usr/bin/env bash
# ksefd's command line and its manual: --version prints the project's
# version and exits 0 without a data folder, --help lists it, bad command
# lines exit 2 or 1 as ksefd(8) says, and the manual renders and names
# every option and command main.c knows.
. "$(dirname "$0")/lib.bash"

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
MAN=$KSEF_SOURCE_DIR/docs/ksefd.8
MAIN=$KSEF_SOURCE_DIR/src/server/main.c
version=$(sed -n 's/^project(ksef VERSION \([0-9.]*\).*/\1/p' \
	"$KSEF_SOURCE_DIR/CMakeLists.txt")

check "--version exits 0" 0 "$KSEFD" --version
expect "--version prints the version" out "^ksefd $version\$"
[ "$(wc -l <"$WORK/out")" -eq 1 ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: --version prints one line"; }
check "--version wins over other options" 0 "$KSEFD" --version --workers 3
expect "--version with others prints the version" out "^ksefd $version\$"

check "--help exits 0" 0 "$KSEFD" --help
expect "--help shows usage" out "^usage: ksefd"
expect "--help names --version" out "ksefd --version"
expect "--help names --config" out "ksefd --config FILE"

check "an unknown option exits 2" 2 "$KSEFD" --no-such-option
expect "an unknown option shows usage" err "usage: ksefd"
check "an option without its value exits 2" 2 "$KSEFD" --data
check "no --data exits 1" 1 "$KSEFD" serve
expect "no --data says so" err "ksefd: --data DIR or --store URL is required"
check "an unknown command exits 1" 1 "$KSEFD" --data "$WORK/d" frobnicate
check "a bad option value exits 1" 1 "$KSEFD" --data "$WORK/d" --workers 0

# Every long option of main.c is in the manual...
opts=$(sed -n \
	's/^[[:space:]]*{ "\([a-z-]*\)", \(no\|required\)_argument.*/\1/p' \
	"$MAIN")
[ -n "$opts" ] || { echo "FAIL: no options found in main.c"; exit 1; }
for o in $opts; do
	# As roff spells it: every hyphen escaped.
	if grep -qF -- "\\-\\-${o//-/\\-}" "$MAN"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: ksefd.8 lacks --$o"
	fi
done
# ...and so is every command.
for c in "ksefd \\[serve\\]" "ksefd keys list" "ksefd keys rotate" \
	"ksefd keys retire" "ksefd token create" "ksefd grant \\[revoke\\]"; do
	if grep -q "^\\.SS \"$c" "$MAN"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: ksefd.8 has no section for $c"
	fi
done

# It renders without a warning, where man is installed.
if command -v man >/dev/null; then
	check "man renders ksefd.8" 0 man --warnings -l "$MAN"
	expect "the manual has its name" out "ksefd - a local KSeF 2.0 server"
	if [ -s "$WORK/err" ]; then
		failed=$((failed + 1))
		echo "FAIL: man warns:"; sed 's/^/  /' "$WORK/err"
	else
		passed=$((passed + 1))
	fi
fi

finish
