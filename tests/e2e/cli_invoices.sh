#!/usr/bin/env bash
# Scenario S12 (docs/scenarios.md): invoice retrieval with ksef against a
# real ksefd whose export parts are small (--export-part-bytes), so that
# packages come in several parts. `ksef invoices query --json` finds
# exactly what was sent, page by page and by several filters; `ksef
# invoices export` unpacks invoices byte-identical to those sent, with
# _metadata.json; `ksef invoices sync` run twice picks up exactly the
# invoices sent in between, and a sync stopped part-way (--max-exports,
# a state file older than the files, a kill -9) resumes without writing
# any invoice twice. Bad filters are refused before anything is sent.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
nip=5265877635   # our context: Subject1 of what it sends
other=3740964498 # a seller who sends us invoices: we are Subject2
buyer=3636733178 # the buyer of some of ours
start_ksefd "$WORK/data" --processing-delay 0 --export-part-bytes 2500
base=$KSEFD_BASE
unset KSEF_ENV KSEF_NIP KSEF_TOKEN KSEF_CERT KSEF_KEY KSEF_CONFIG KSEF_STATE \
	XDG_CONFIG_HOME XDG_STATE_HOME
export HOME=$WORK/home
mkdir -p "$HOME"
token=$("$KSEFD" token create --data "$WORK/data" --nip $nip)
token2=$("$KSEFD" token create --data "$WORK/data" --nip $other)

# send NIP TOKEN DIR: send DIR's invoices; their KSeF numbers, sorted, go
# to DIR.numbers.
send() {
	"$KSEF" send --base-url "$base" --nip "$1" --token "$2" "$3"/*.xml \
		>"$3.sent" 2>"$3.err" || { echo "send $3 failed"; cat "$3.err"; }
	sed -n "s/^.*: 200 \($1-[^ ]*\).*$/\1/p" "$3.sent" | sort >"$3.numbers"
}
# numbers JSONFILE PYEXPR: the KSeF numbers of a --json document, sorted.
jnums() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('\n'.join(sorted($2)))" "$1"
}
same() { # NAME FILE1 FILE2: the same lines
	if diff -q "$2" "$3" >/dev/null; then passed=$((passed + 1)); else
		failed=$((failed + 1)); echo "FAIL: $1"; diff "$2" "$3" | head -10; fi
}

mkdir -p "$WORK/a" "$WORK/b" "$WORK/c"
"$KSEF" generate --nip $nip --count 8 --seed 21 --prefix A --out "$WORK/a" >/dev/null
"$KSEF" generate --nip $nip --count 4 --first 9 --seed 22 --prefix A --buyer $buyer --out "$WORK/a" >/dev/null
"$KSEF" generate --nip $other --count 2 --seed 23 --prefix C --buyer $nip --out "$WORK/c" >/dev/null
send $nip "$token" "$WORK/a"
send $other "$token2" "$WORK/c"
check "12 of ours accepted" 0 test "$(wc -l <"$WORK/a.numbers")" -eq 12
check "2 to us accepted" 0 test "$(wc -l <"$WORK/c.numbers")" -eq 2
check "auth login" 0 "$KSEF" auth login --base-url "$base" --nip $nip --token "$token"

# --- query ---
check "query --all --json" 0 "$KSEF" invoices query --json --all --page-size 10
cp "$WORK/out" "$WORK/q-all.json"
jnums "$WORK/q-all.json" "i['ksefNumber'] for i in d['invoices']" >"$WORK/q-all"
same "query finds exactly the 12 sent" "$WORK/a.numbers" "$WORK/q-all"
check "two pages were read" 0 python3 -c "import json,sys; d=json.load(open('$WORK/q-all.json')); sys.exit(not (d['pages']==2 and d['hasMore'] is False and d['isTruncated'] is False and 'permanentStorageHwmDate' in d))"
check "page 0" 0 "$KSEF" invoices query --json --page-size 10 --page-offset 0
cp "$WORK/out" "$WORK/p0.json"
check "page 1" 0 "$KSEF" invoices query --json --page-size 10 --page-offset 1
cp "$WORK/out" "$WORK/p1.json"
check "page 0 has 10 and more" 0 python3 -c "import json,sys; d=json.load(open('$WORK/p0.json')); sys.exit(not (len(d['invoices'])==10 and d['hasMore']))"
check "page 1 has the other 2" 0 python3 -c "import json,sys; d=json.load(open('$WORK/p1.json')); sys.exit(not (len(d['invoices'])==2 and not d['hasMore']))"
cat <(jnums "$WORK/p0.json" "i['ksefNumber'] for i in d['invoices']") \
	<(jnums "$WORK/p1.json" "i['ksefNumber'] for i in d['invoices']") | sort >"$WORK/q-pages"
same "the two pages together are the 12" "$WORK/a.numbers" "$WORK/q-pages"
check "Desc reverses the order" 0 sh -c "'$KSEF' invoices query --json --all --sort-order Desc >'$WORK/desc.json' &&
	python3 -c \"import json; a=[i['ksefNumber'] for i in json.load(open('$WORK/q-all.json'))['invoices']]; d=[i['ksefNumber'] for i in json.load(open('$WORK/desc.json'))['invoices']]; assert d==a[::-1]\""
# Several filters at once: the 4 bought by $buyer.
check "query by buyer, currency, type, form, seller" 0 "$KSEF" invoices query --json --all \
	--buyer-identifier Nip:$buyer --currency-code PLN,EUR --invoice-type Vat \
	--form-type FA --seller-nip $nip --invoicing-mode Online --is-self-invoicing false \
	--has-attachment false --date-type Invoicing
jnums "$WORK/out" "i['ksefNumber'] for i in d['invoices']" >"$WORK/q-buyer"
for f in "$WORK"/a/invoice-9.xml "$WORK"/a/invoice-1[012].xml; do
	grep -o "FV/A/[0-9]*" "$f"; done | sort >"$WORK/want-buyer-inv"
python3 -c "import json; print('\n'.join(sorted(i['invoiceNumber'] for i in json.load(open('$WORK/out'))['invoices'])))" >"$WORK/got-buyer-inv"
same "the filters select the 4 with that buyer" "$WORK/want-buyer-inv" "$WORK/got-buyer-inv"
check "exactly 4" 0 test "$(wc -l <"$WORK/q-buyer")" -eq 4
one=$(head -1 "$WORK/a.numbers")
check "query by KSeF number" 0 "$KSEF" invoices query --json --ksef-number "$one"
check "finds exactly it" 0 test "$(jnums "$WORK/out" "i['ksefNumber'] for i in d['invoices']")" = "$one"
gross=$(python3 -c "import json; print([i['grossAmount'] for i in json.load(open('$WORK/q-all.json'))['invoices'] if i['ksefNumber']=='$one'][0])")
check "query by amount" 0 "$KSEF" invoices query --json --amount-type Brutto --amount-from "$gross" --amount-to "$gross"
expect "finds it by its gross amount" out "$one"
check "as Subject2 we bought 2" 0 "$KSEF" invoices query --json --subject-type Subject2
jnums "$WORK/out" "i['ksefNumber'] for i in d['invoices']" >"$WORK/q-s2"
same "Subject2 finds the 2 sent to us" "$WORK/c.numbers" "$WORK/q-s2"
check "the table" 0 "$KSEF" invoices query --page-size 10
expect "has a header" out "^ksefNumber	invoiceNumber"
expect "says there is more" err "more on the next page: --page-offset 1"
# Refused before anything is sent (exit 2).
check "a bad KSeF number" 2 "$KSEF" invoices query --ksef-number 123
expect "names the field" err "ksefNumber"
check "a lower-case currency" 2 "$KSEF" invoices query --currency-code pln
check "an amount without a type" 2 "$KSEF" invoices query --amount-from 10
check "an unknown invoice type" 2 "$KSEF" invoices query --invoice-type Foo
check "to before from" 2 "$KSEF" invoices query --from 2026-01-02 --to 2026-01-01
check "HWM restriction on Issue" 2 "$KSEF" invoices query --date-type Issue --restrict-to-permanent-storage-hwm-date
check "page size 5" 2 "$KSEF" invoices query --page-size 5
# The server's refusal: a range over 3 months (21405).
check "a range over 3 months" 1 "$KSEF" invoices query --from 2025-01-01 --to 2025-06-01
expect "21405" err "21405"

# --- export ---
check "export" 0 "$KSEF" invoices export --out "$WORK/ex"
expect "several parts" out "^exported: 12 invoices in \([2-9]\|[1-9][0-9]\+\) parts"
check "12 invoices and _metadata.json" 0 test "$(ls "$WORK/ex" | wc -l)" -eq 13 -a -f "$WORK/ex/_metadata.json"
same "the unpacked invoices are byte-identical to those sent" \
	<(sha256sum "$WORK"/a/*.xml | cut -d' ' -f1 | sort) \
	<(sha256sum "$WORK"/ex/*.xml | cut -d' ' -f1 | sort)
same "each file is named by its KSeF number" "$WORK/a.numbers" <(ls "$WORK/ex" | sed -n 's/\.xml$//p' | sort)
same "_metadata.json lists them" "$WORK/a.numbers" <(jnums "$WORK/ex/_metadata.json" "i['ksefNumber'] for i in d['invoices']")
check "export --json with filters" 0 "$KSEF" invoices export --json --out "$WORK/ex2" --buyer-identifier Nip:$buyer
cp "$WORK/out" "$WORK/ex2.json"
check "4 invoices in it" 0 python3 -c "import json,sys; d=json.load(open('$WORK/ex2.json')); sys.exit(not (d['invoiceCount']==4 and d['files']==5 and d['parts']>=2 and 'permanentStorageHwmDate' in d))"
check "export --only-metadata" 0 "$KSEF" invoices export --only-metadata --out "$WORK/meta"
check "only _metadata.json" 0 test "$(ls "$WORK/meta")" = "_metadata.json"
same "listing the 12" "$WORK/a.numbers" <(jnums "$WORK/meta/_metadata.json" "i['ksefNumber'] for i in d['invoices']")
check "export needs --out" 2 "$KSEF" invoices export

# --- sync ---
check "sync 1" 0 "$KSEF" invoices sync --json --out "$WORK/sync"
cp "$WORK/out" "$WORK/s1.json"
jnums "$WORK/s1.json" "n for s in d['subjects'] for n in s['new']" >"$WORK/s1"
same "the first sync takes all 14" <(sort "$WORK/a.numbers" "$WORK/c.numbers") "$WORK/s1"
same "each with its metadata" "$WORK/s1" <(ls "$WORK/sync" | sed -n 's/\.json$//p' | sort)
same "and byte-identical" \
	<(sha256sum "$WORK"/a/*.xml "$WORK"/c/*.xml | cut -d' ' -f1 | sort) \
	<(sha256sum "$WORK"/sync/*.xml | cut -d' ' -f1 | sort)
check "the state file" 0 python3 -c "import json,sys; d=json.load(open('$WORK/sync/.ksef-sync.json')); sys.exit(not (d['version']==1 and set(d['subjects'])=={'Subject1','Subject2'}))"
cp "$WORK/sync/.ksef-sync.json" "$WORK/state-after-1"
stat -c '%n %i %Y' "$WORK"/sync/*.xml >"$WORK/stat-1"
"$KSEF" generate --nip $nip --count 3 --first 13 --seed 24 --prefix A --out "$WORK/b" >/dev/null
send $nip "$token" "$WORK/b"
check "sync 2" 0 "$KSEF" invoices sync --json --out "$WORK/sync"
jnums "$WORK/out" "n for s in d['subjects'] for n in s['new']" >"$WORK/s2"
same "the second sync takes exactly the 3 new ones" "$WORK/b.numbers" "$WORK/s2"
same "and leaves the first 14 untouched" "$WORK/stat-1" <(stat -c '%n %i %Y' $(sed 's/ .*//' "$WORK/stat-1"))
check "sync 3 finds nothing new" 0 "$KSEF" invoices sync --out "$WORK/sync"
check "no new line" 1 grep -q "^new:" "$WORK/out"

# A run stopped after it moved the invoices but before it saved its
# place: the older state file, and one of the 3 not yet moved.
cp "$WORK/state-after-1" "$WORK/sync/.ksef-sync.json"
gone=$(head -1 "$WORK/b.numbers")
rm "$WORK/sync/$gone.xml"
stat -c '%n %i %Y' "$WORK"/sync/*.xml >"$WORK/stat-2"
check "resume from an old state" 0 "$KSEF" invoices sync --json --out "$WORK/sync"
cp "$WORK/out" "$WORK/resume.json"
jnums "$WORK/out" "n for s in d['subjects'] for n in s['new']" >"$WORK/s-resume"
check "only the missing one is written" 0 test "$(cat "$WORK/s-resume")" = "$gone"
check "the other two are already present" 0 python3 -c "import json,sys; d=json.load(open('$WORK/resume.json')); sys.exit(not d['alreadyPresent']>=2)"
same "nothing present was written again" "$WORK/stat-2" <(stat -c '%n %i %Y' $(sed 's/ .*//' "$WORK/stat-2"))

# --max-exports: a partial run (Subject1 only), then the rest.
check "a partial sync" 0 "$KSEF" invoices sync --out "$WORK/part" --max-exports 1
expect "says it stopped" out "Subject2: 0 new.*stopped at --max-exports"
check "Subject1's invoices are there" 0 test "$(ls "$WORK"/part/*.xml | wc -l)" -eq 15
check "the rest" 0 "$KSEF" invoices sync --json --out "$WORK/part"
jnums "$WORK/out" "n for s in d['subjects'] for n in s['new']" >"$WORK/s-rest"
same "the second run takes only Subject2's" "$WORK/c.numbers" "$WORK/s-rest"

# kill -9 at some moment of a run; the next one completes it and writes
# nothing the killed one had written.
"$KSEF" invoices sync --out "$WORK/kill" >/dev/null 2>&1 &
victim=$!
sleep 0.3
kill -9 $victim 2>/dev/null
wait $victim 2>/dev/null
ls "$WORK/kill" 2>/dev/null | sed -n 's/\.xml$//p' | sort >"$WORK/before-resume"
check "resume after kill -9" 0 "$KSEF" invoices sync --json --out "$WORK/kill"
jnums "$WORK/out" "n for s in d['subjects'] for n in s['new']" >"$WORK/s-kill"
check "nothing the killed run wrote is written again" 0 test -z "$(comm -12 "$WORK/before-resume" "$WORK/s-kill")"
same "together they have every invoice" <(sort "$WORK/a.numbers" "$WORK/b.numbers" "$WORK/c.numbers") \
	<(ls "$WORK/kill" | sed -n 's/\.xml$//p' | sort)
check "no staging or temporary file is left" 0 test -z "$(ls -A "$WORK/kill/.ksef-sync-staging"; ls -a "$WORK/kill" | grep '^\.tmp-')"
check "two syncs in one folder: the second is refused" 2 flock "$WORK/sync/.ksef-sync.lock" "$KSEF" invoices sync --out "$WORK/sync"
expect "says why" err "another sync runs"
check "sync needs --out" 2 "$KSEF" invoices sync
check "a bad subject type" 2 "$KSEF" invoices sync --out "$WORK/x" --subject-type Seller

# Truncated packages: a ksefd whose packages hold at most 5 invoices.
# The 12 sent there come in three packages (5, 5, 2), each after the
# last date of the one before (przyrostowe-pobieranie-faktur.md), and one
# sync takes them all, once each.
start_ksefd "$WORK/data5" --processing-delay 0 --export-max-invoices 5
base5=$KSEFD_BASE
token5=$("$KSEFD" token create --data "$WORK/data5" --nip $nip)
rm -f "$WORK"/a5.*; mkdir -p "$WORK/a5"; cp "$WORK"/a/*.xml "$WORK/a5/"
base=$base5 send $nip "$token5" "$WORK/a5"
check "12 accepted by the second ksefd" 0 test "$(wc -l <"$WORK/a5.numbers")" -eq 12
check "auth login to it" 0 "$KSEF" auth login --base-url "$base5" --nip $nip --token "$token5"
check "an export there is truncated" 0 "$KSEF" invoices export --out "$WORK/t-export"
check "with 5 invoices" 0 test "$(ls "$WORK"/t-export/*.xml | wc -l)" -eq 5
check "a sync over truncated packages" 0 "$KSEF" invoices sync --json --out "$WORK/t-sync" --subject-type Subject1
jnums "$WORK/out" "n for s in d['subjects'] for n in s['new']" >"$WORK/t-new"
same "takes all 12, once each" "$WORK/a5.numbers" "$WORK/t-new"
same "and writes them all" "$WORK/a5.numbers" <(ls "$WORK/t-sync" | sed -n 's/\.xml$//p' | sort)

check "ksef --help lists invoices" 0 "$KSEF" --help
expect "query" out "invoices query"
expect "sync" out "invoices sync"
finish
