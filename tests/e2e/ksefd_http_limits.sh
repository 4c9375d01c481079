#!/usr/bin/env bash
# ksefd's connections under attack (the hardening issue's finding 3): a
# declared body over its route's limit is refused before a byte of it is
# read; one address cannot hold more than its share of connections; a
# client trickling its headers or its body a byte at a time is cut off at
# the phase's deadline, which the trickle cannot extend; and a kept-alive
# connection may still idle between requests.
. "$(dirname "$0")/lib.bash"
trap '' PIPE

start_ksefd "$WORK/data" --max-connections-per-ip 4 --header-timeout 2 \
	--body-timeout 2 --idle-timeout 30
port=${KSEFD_BASE#http://127.0.0.1:}
port=${port%%/*}

# first_line FD: the status line the server sends on FD (5 s at most).
first_line() {
	local line=""
	IFS= read -r -t 5 -u "$1" line
	printf '%s\n' "${line%$'\r'}"
}

# A body declared far over the invoice route's 5 MB, with no token: refused
# with no body sent (the token first; ksefd_api_test shows the 413 that a
# valid token gets).
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v2/sessions/online/X/invoices HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n' >&3
first_line 3 >"$WORK/out"
exec 3>&-
expect "an invoice body over 5 MB is refused unread" out "HTTP/1.1 401"

# Within the limit, but with no valid token: 401 before the body, so only
# an authenticated client can make the server hold megabytes.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v2/sessions/online/X/invoices HTTP/1.1\r\nHost: k\r\nAuthorization: Bearer forged.token.here\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n' >&3
first_line 3 >"$WORK/out"
exec 3>&-
expect "an invoice body without a valid token is refused unread" out "HTTP/1.1 401"

# The auth routes take kilobytes: 70,000 bytes declared is too many.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v2/auth/challenge HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n' >&3
first_line 3 >"$WORK/out"
exec 3>&-
expect "an auth body over 64 KiB is refused unread" out "HTTP/1.1 413"
check "a small one still passes" 0 curl -sf -X POST "$KSEFD_BASE/auth/challenge"

# Four connections from one address are its share; the fifth is closed.
# Each of the four is answered once first (and kept alive), so that the
# server has surely taken all four before the fifth knocks: a connection
# the kernel completed is not yet one the server counts.
for fd in 4 5 6 7; do
	eval "exec $fd<>/dev/tcp/127.0.0.1/$port"
	printf 'POST /v2/auth/challenge HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n' >&"$fd"
	first_line "$fd" >"$WORK/out"
	expect "connection $((fd - 3)) of 4 is served" out "HTTP/1.1 200"
done
check "a fifth connection from the same address is refused" 1 \
	sh -c "curl -s -m 5 -X POST '$KSEFD_BASE/auth/challenge' >/dev/null; [ \$? -eq 0 ]"
exec 4>&-
# The server learns of the close on its event loop: give it a moment.
check "once one closes, the address may connect again" 0 \
	sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do
		curl -sf -m 5 -X POST '$KSEFD_BASE/auth/challenge' && exit 0
		sleep 0.3; done; exit 1"
exec 5>&- 6>&- 7>&-
sleep 0.3

# trickle FD FIRST: send FIRST, then a byte every 0.25 s for 8 s; prints
# how many seconds passed before the server closed the connection (or
# "open" when it never did).
trickle() {
	local fd=$1 start=$SECONDS i line
	printf '%b' "$2" >&"$fd"
	for i in $(seq 32); do
		printf 'a' >&"$fd" 2>/dev/null || { echo $((SECONDS - start)); return; }
		if IFS= read -r -t 0.25 -u "$fd" line; then
			: # a reply line; keep reading until the close
		elif [ $? -le 128 ]; then
			echo $((SECONDS - start))
			return
		fi
	done
	echo open
}

exec 3<>"/dev/tcp/127.0.0.1/$port"
took=$(trickle 3 'POST /v2/auth/challenge HTTP/1.1\r\nHost: k\r\nX-Slow: ')
exec 3>&-
echo "$took" >"$WORK/out"
check "headers trickled a byte at a time are cut off" 0 \
	test "$took" != open -a "${took:-99}" -le 5

exec 3<>"/dev/tcp/127.0.0.1/$port"
took=$(trickle 3 'POST /v2/auth/challenge HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n')
exec 3>&-
check "a body trickled a byte at a time is cut off" 0 \
	test "$took" != open -a "${took:-99}" -le 5

# Between requests a kept-alive connection idles as long as the idle
# timeout allows, past the header deadline.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /v2/security/public-key-certificates HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n' >&3
first_line 3 >"$WORK/out"
expect "a first request on the connection" out "HTTP/1.1 200"
timeout 3 cat <&3 >/dev/null
printf 'POST /v2/auth/challenge HTTP/1.1\r\nHost: k\r\nContent-Length: 0\r\n\r\n' >&3
first_line 3 >"$WORK/out"
exec 3>&-
expect "a second one after 3 s idle" out "HTTP/1.1 200"
finish
