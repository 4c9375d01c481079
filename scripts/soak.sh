#!/usr/bin/env bash
# A long run of ksefd at a steady load, to see that nothing grows that
# should not: every minute (or --round S seconds) a round of open-loop
# sending at RATE invoices a second (8 sessions a round, each invoice's
# final status read back through the session listings) and, alongside,
# DOWNLOADS a second of what earlier rounds stored (invoices by KSeF
# number, invoice and session UPOs, session invoice listings), then one
# line of the round's send and download latency percentiles and errors,
# and the server's RSS, open file descriptors and data folder size. After
# the first rounds the columns should stay flat; docs/benchmarks.md
# records a run. A last line sums the errors, and any makes the exit
# status 1.
#
#   scripts/soak.sh MINUTES [--rate R] [--round S] [--downloads D]
#                           [--rounds N] [--cold S]
#
# The capacity is measured first, with the soak's own mix: open-loop
# steps of 20 s (sends, each invoice's status read back, and a fifth as
# many downloads a second, or --downloads D), from half of what a closed
# loop (8 sessions × 4 in flight, 4000 invoices) verifies, up by a tenth
# a step while a step keeps its schedule (98 % of the offered sends and
# downloads done, none failed, send p99 at most 100 ms and download p99
# at most 200 ms), down by a fifth a step while it does not. The
# capacity is the highest rate that kept it; RATE defaults to 80 % of
# it, DOWNLOADS to a fifth of RATE. (A closed loop's rate alone is no
# capacity for this mix: it has no downloads, an empty store and no
# schedule to keep, and a soak at 80 % of it fell behind within three
# rounds.) The closed loop also stores what the first steps download;
# with --rate a small closed loop stores it instead, and nothing is
# measured. --rounds stops after N rounds, for a short check. The server's stderr (its request
# log) goes to /dev/null, as in production it would go to a file.
# KSEFD_ARGS (split at spaces) reaches the server, e.g. "--max-reads 64".
#
# --cold S makes reads cold without storing tens of gigabytes: every S
# seconds of the rounds, the store's database file is dropped from the
# page cache (posix_fadvise DONTNEED, through dd iflag=nocache; no
# privilege needed), so the downloads read the disk as they do once the
# data outgrows the cache. It is harsher than a full disk's cache: the
# pages the writer needs go too, and are read back once per interval.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${KSEF_BUILD:-$here/build}
export KSEF_SCHEMA_DIR=${KSEF_SCHEMA_DIR:-$build/schemas}

usage() {
	echo "usage: scripts/soak.sh MINUTES [--rate R] [--round SECONDS]" \
		"[--downloads D] [--rounds N] [--cold SECONDS]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
minutes=$1
shift
rate= round=60 downloads= max_rounds= cold=
while [ $# -gt 1 ]; do
	case $1 in
	--rate) rate=$2 ;;
	--round) round=$2 ;;
	--downloads) downloads=$2 ;;
	--rounds) max_rounds=$2 ;;
	--cold) cold=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ $# -eq 0 ] || usage
case $minutes$round${rate:-1}${downloads:-1}${max_rounds:-1}${cold:-1} in
*[!0-9]*) usage ;;
esac
[ "$round" -ge 1 ] || usage
[ "${cold:-1}" -ge 1 ] || usage
rounds=$((minutes * 60 / round))
if [ -n "$max_rounds" ] && [ "$max_rounds" -lt "$rounds" ]; then
	rounds=$max_rounds
fi
[ "$rounds" -ge 1 ] || usage

work=$(mktemp -d "${TMPDIR:-/tmp}/ksefd-soak.XXXXXX")
pid= evictor=
cleanup() {
	if [ -n "$evictor" ]; then
		kill "$evictor" 2>/dev/null || true
		wait "$evictor" 2>/dev/null || true
	fi
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# shellcheck disable=SC2086 # KSEFD_ARGS is a list of arguments
"$build/ksefd" --data "$work/data" --processing-delay 0 ${KSEFD_ARGS:-} \
	>"$work/out" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
	grep -q listening "$work/out" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
base=$(sed -n 's/^ksefd: listening on //p' "$work/out")
[ -n "$base" ] || { echo "soak: ksefd did not start" >&2; exit 1; }
token=$("$build/ksefd" token create --data "$work/data" --nip 5265877635)
bench() {
	"$build/bench/bench_ksefd" --base-url "$base" --nip 5265877635 \
		--token "$token" --server-pid "$pid" --verify-invoices 0 \
		--sqlite-rows 0 "$@"
}

# One open-loop step at r sends a second (and dl downloads) for $2
# seconds: "ok" when it kept its schedule (see above), else why not.
step() {
	local r=$1 secs=$2 dl=$3 args=() sends d
	[ "$dl" -eq 0 ] || args=(--downloads-per-second "$dl")
	bench --rate "$r" --duration "$secs" --threads "$(sessions_for "$r" \
		"$secs")" "${args[@]}" >"$work/step" 2>/dev/null || true
	sends=$(awk -v r="$r" '/^Downloads alongside/ { d = 1 }
		$1 == r && NF >= 7 && !d && !s++ { print $2, $5, $7 }' \
		"$work/step")
	d=$(awk -v r="$r" '/^Downloads alongside/ { d = 1 }
		$1 == r && NF >= 11 && d { print $4, $7, $9, $2; exit }' \
		"$work/step")
	[ -n "$sends" ] || { echo "no report"; return; }
	# shellcheck disable=SC2086 # two lists of numbers
	awk -v r="$r" -v dl="$dl" -v s="$sends" -v d="${d:-0 0 0 0}" 'BEGIN {
		split(s, a, " "); split(d, b, " ")
		if (a[1] < 0.98 * r) { printf "sends %d/s of %d\n", a[1], r; exit }
		if (a[3] > 0) { printf "%d sends failed\n", a[3]; exit }
		if (a[2] > 100) { printf "send p99 %.1f ms\n", a[2]; exit }
		if (dl > 0 && b[1] < 0.98 * b[4]) {
			printf "downloads %d/s of %d\n", b[1], b[4]; exit }
		if (dl > 0 && b[3] > 0) { printf "%d downloads failed\n", b[3]; exit }
		if (dl > 0 && b[2] > 200) { printf "download p99 %.1f ms\n", b[2]; exit }
		printf "ok (send p99 %.1f ms)\n", a[2] }'
}

# A session takes 10,000 invoices: enough sessions for a round's.
sessions_for() {
	local n=$(($1 * $2 / 9000 + 1))
	[ "$n" -ge 8 ] || n=8
	echo "$n"
}

if [ -z "$rate" ]; then
	cap=$(bench --invoices 4000 --threads 8 --in-flight 4 2>/dev/null |
	      sed -n 's/^ *verified end to end *\([0-9]*\) invoices.*/\1/p')
	[ -n "$cap" ] || { echo "soak: capacity not measured" >&2; exit 1; }
	echo "closed loop: $cap invoices/s verified end to end"
	dl_share=5
	[ "${downloads:-1}" -gt 0 ] || dl_share=0
	best=0 failed=0 r=$((cap / 2))
	while [ "$r" -ge 10 ] && [ "$r" -le $((cap * 2)) ]; do
		d=0
		if [ -n "$downloads" ]; then d=$downloads
		elif [ "$dl_share" -gt 0 ]; then d=$((r / dl_share)); fi
		verdict=$(step "$r" 20 "$d")
		echo "capacity step: $r sends/s, $d downloads/s: $verdict"
		case $verdict in
		ok*)
			best=$r
			[ "$failed" -eq 0 ] || break
			r=$((r * 11 / 10)) ;;
		*)
			failed=1
			[ "$best" -eq 0 ] || break
			r=$((r * 8 / 10)) ;;
		esac
	done
	[ "$best" -gt 0 ] ||
		{ echo "soak: no rate kept its schedule" >&2; exit 1; }
	rate=$((best * 8 / 10))
	[ -n "$downloads" ] || downloads=$((rate / 5))
	echo "capacity: $best invoices/s with the soak's mix; soak at" \
		"$rate invoices/s and $downloads downloads/s"
elif [ "${downloads:-1}" -gt 0 ]; then
	# Something stored for the first round to download.
	bench --invoices 200 --threads 2 >/dev/null 2>&1 ||
		{ echo "soak: nothing stored to download" >&2; exit 1; }
fi
[ -n "$downloads" ] || downloads=$((rate / 5))
dl_args=()
[ "$downloads" -eq 0 ] || dl_args=(--downloads-per-second "$downloads")

sessions=$(sessions_for "$rate" "$round")
send_errors=0 dl_errors=0 dl_count=0
if [ -n "$cold" ]; then
	# The database file only: the log (-wal) is being appended to, and
	# dropping its pages would start their write-back early.
	(
		while sleep "$cold"; do
			dd if="$work/data/ksefd.sqlite3" iflag=nocache count=0 \
				status=none 2>/dev/null || true
		done
	) &
	evictor=$!
	echo "cold reads: the store leaves the page cache every $cold s"
fi
echo "round  rate/s  p50 ms  p99 ms  max ms  errors   dl/s" \
	" dl p50  dl p99  dl err  RSS MB  fds  data MB"
for r in $(seq "$rounds"); do
	bench --rate "$rate" --duration "$round" --threads "$sessions" \
		"${dl_args[@]}" >"$work/report" 2>/dev/null || true
	# The open loop's row, then (with downloads) the downloads' row of
	# the same rate below their own heading.
	line=$(awk -v r="$rate" '/^Downloads alongside/ { d = 1 }
		$1 == r && NF >= 7 && !d && !s++ { print }' "$work/report")
	dl=$(awk -v r="$rate" '/^Downloads alongside/ { d = 1 }
		$1 == r && NF >= 11 && d { print; exit }' "$work/report")
	rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
	fds=$(ls "/proc/$pid/fd" | wc -l)
	data=$(du -sm "$work/data" | cut -f1)
	if [ -z "$line" ] || { [ "$downloads" -gt 0 ] && [ -z "$dl" ]; }; then
		echo "soak: round $r: no report (is ksefd alive?)" >&2
		exit 1
	fi
	set -- $line
	printf '%5d  %6s  %6s  %6s  %6s  %6s' "$r" "$2" "$3" "$5" "$6" "$7"
	send_errors=$((send_errors + $7))
	if [ -n "$dl" ]; then
		# send/s offered/s count done/s p50 p90 p99 max errors ...
		set -- $dl
		printf '  %5s  %6s  %6s  %6s' "$4" "$5" "$7" "$9"
		dl_count=$((dl_count + $3))
		dl_errors=$((dl_errors + $9))
	else
		printf '  %5s  %6s  %6s  %6s' - - - -
	fi
	printf '  %6s  %4s  %7s\n' "$rss" "$fds" "$data"
done
echo "soak: $rounds rounds; $send_errors sends without a 202;" \
	"$dl_errors of $dl_count downloads without a 200"
[ "$send_errors" -eq 0 ] && [ "$dl_errors" -eq 0 ]
