#!/usr/bin/env bash
# ksefd --config FILE: the file's settings take effect as the same flags
# would, for the server and the admin commands; a flag on the command line
# wins over the file; and a file that is not a config file (an unknown
# name, a line or a file over its limit, a NUL byte, a missing value) is
# refused with its name and line, exit 2, before anything starts. A bad
# value in the file is refused as on the command line (exit 1), naming
# the line.
. "$(dirname "$0")/lib.bash"

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}

free_port() {
	python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# The status of a test-data call: 404 where the profile is production.
testdata_status() {
	curl -s -o /dev/null -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -d '{}' "$1/testdata/subject"
}
# refused NAME FILE STATUS PATTERN: ksefd --config FILE exits STATUS and
# says PATTERN.
refused() {
	check "$1" "$3" timeout 10 "$KSEFD" --config "$2" keys list
	expect "$1: the message" err "$4"
}

# Refusals first: they need no schemas.
conf=$WORK/bad.conf
printf '# a comment\n\nlistn = 127.0.0.1:1\n' >"$conf"
refused "an unknown name" "$conf" 2 "^ksefd: $conf:3: unknown setting 'listn'"
printf 'data = %s\nworkers = 0\n' "$WORK/d" >"$conf"
refused "a bad value" "$conf" 1 "^ksefd: $conf:2: --workers: 1 to 64, not 0"
printf 'data = %s\nconfig = %s\n' "$WORK/d" "$conf" >"$conf"
refused "--config in the file" "$conf" 2 "$conf:2: 'config' belongs on the command line"
printf 'version\n' >"$conf"
refused "--version in the file" "$conf" 2 "$conf:1: 'version' belongs on the command line"
printf 'data\n' >"$conf"
refused "a name without its value" "$conf" 2 "$conf:1: 'data' needs a value"
printf 'data =   \n' >"$conf"
refused "an empty value" "$conf" 2 "$conf:1: 'data' has no value"
printf -- '--data = /tmp\n' >"$conf"
refused "a name with dashes" "$conf" 2 "$conf:1: write the name without its dashes"
printf '= /tmp\n' >"$conf"
refused "a value without a name" "$conf" 2 "$conf:1: expected 'name = value'"
printf 'data = /tmp\0\n' >"$conf"
refused "a NUL byte" "$conf" 2 "not a text file"
refused "a missing file" "$WORK/none.conf" 2 "$WORK/none.conf: No such file"
refused "a folder" "$WORK" 2 "$WORK: not a regular file"

# The limits, at the bound and one past it.
line_at() { # N: "data = /x...x", N bytes
	printf 'data = /%s' "$(head -c "$(($1 - 8))" /dev/zero | tr '\0' x)"
}
{ line_at 4200; echo; } >"$conf"
refused "a line of 4200 bytes is read" "$conf" 1 "$conf:1: --data: path too long"
{ line_at 4201; echo; } >"$conf"
refused "a line of 4201 bytes" "$conf" 2 "$conf:1: over 4200 bytes (CONFIG_FILE_MAX_LINE)"
fill() { # FILE BYTES: `data` and comment lines, BYTES in all
	printf 'data = %s\n' "$WORK/fill" >"$1"
	while [ "$(stat -c %s "$1")" -lt $(($2 - 100)) ]; do
		printf '# %077d\n' 0 >>"$1"
	done
	n=$(($2 - $(stat -c %s "$1") - 1))
	printf '#%s\n' "$(head -c $((n - 1)) /dev/zero | tr '\0' x)" >>"$1"
}
fill "$conf" 65536
check "a file of 65536 bytes is read" 0 "$KSEFD" --config "$conf" keys list
fill "$conf" 65537
refused "a file of 65537 bytes" "$conf" 2 "$conf: over 65536 bytes (CONFIG_FILE_MAX_BYTES)"

# The command line's own checks.
printf 'data = %s\n' "$WORK/d" >"$conf"
check "--config twice" 2 "$KSEFD" --config "$conf" --config="$conf" keys list
expect "--config twice: the message" err "given twice"
check "an abbreviated --config" 2 "$KSEFD" --conf "$conf" keys list
expect "an abbreviated --config: the message" err "spell it in full"
check "--config's value belongs to --description" 1 "$KSEFD" \
	--data "$WORK/d" token create --description --config
expect "--description --config: the token create's complaint" err "--nip"

# Values are taken as written: no expansion, blanks at the ends trimmed
# unless quoted.
printf 'data = %s/$HOME/~ \t \n' "$WORK/lit" >"$conf"
check "a value with \$ and ~" 0 "$KSEFD" --config "$conf" keys list
[ -d "$WORK/lit/\$HOME/~" ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: \$HOME and ~ were not kept as written"; }
printf 'data = "%s "\n' "$WORK/quoted" >"$conf"
check "a quoted value" 0 "$KSEFD" --config "$conf" keys list
[ -d "$WORK/quoted " ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: the quoted value lost its blank"; }

# The example the package installs, and the container's, are valid files.
check "dist/ksefd.conf is read" 0 "$KSEFD" \
	--config "$KSEF_SOURCE_DIR/dist/ksefd.conf" --data "$WORK/example" keys list
check "dist/ksefd-container.conf is read" 0 "$KSEFD" \
	--config "$KSEF_SOURCE_DIR/dist/ksefd-container.conf" \
	--data "$WORK/container" keys list

# A server from the file alone: its folder, address and profile.
port=$(free_port)
conf=$WORK/ksefd.conf
cat >"$conf" <<CONF
# ksefd for the config test

	data = $WORK/data  	
listen=127.0.0.1:$port
  profile   =   production
workers = 3
CONF
start_ksefd_args "$WORK/a.log" --config "$conf"
first=$KSEFD_PID
[ "$KSEFD_BASE" = "http://127.0.0.1:$port/v2" ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: listen from the file: $KSEFD_BASE"; }
[ -s "$WORK/data/ksefd.sqlite3" ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: data from the file: no store"; }
[ "$(testdata_status "$KSEFD_BASE")" = 404 ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: profile from the file: test data served"; }
check "the admin commands read the file" 0 "$KSEFD" --config "$conf" keys list
[ "$(wc -l <"$WORK/out")" -eq 4 ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: keys list of the file's folder"; cat "$WORK/out"; }
check "--config after the command" 0 "$KSEFD" keys list --config "$conf"

# The command line wins: another folder, address and profile, beside the
# first server (the same folder or port would be refused).
start_ksefd_args "$WORK/b.log" --config "$conf" --data "$WORK/data2" \
	--listen 127.0.0.1:0 --profile test
[ "$KSEFD_BASE" != "http://127.0.0.1:$port/v2" ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: --listen lost to the file"; }
[ -s "$WORK/data2/ksefd.sqlite3" ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: --data lost to the file"; }
[ "$(testdata_status "$KSEFD_BASE")" != 404 ] && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: --profile test lost to the file"; }
kill -0 "$first" 2>/dev/null && passed=$((passed + 1)) ||
	{ failed=$((failed + 1)); echo "FAIL: the first server stopped"; }

finish
