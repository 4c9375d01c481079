#!/usr/bin/env bash
# ksef scenarios against a ksefd (docs/scenarios.md, S13-S24): every
# scenario `list` names passes, in text, --json and --junit, whose XML is
# well-formed with a testsuite per scenario and a testcase per step; a
# step that a fault plan makes fail is FAIL, with exit 1, in all three;
# usage errors are exit 2.
. "$(dirname "$0")/lib.bash"
need_schemas

KSEFD=${KSEFD:-$KSEF_BUILD_DIR/ksefd}
export HOME=$WORK
unset KSEF_BASE_URL KSEF_ENV KSEF_CONFIG XDG_CONFIG_HOME
data=$WORK/data
start_ksefd "$data" --processing-delay 100
base=$KSEFD_BASE

check "list" 0 "$KSEF" scenarios list
expect "list names the happy path" out "S13 *fa3-online"
expect "with its document" out "from sesja-interaktywna.md"
check "list --json" 0 "$KSEF" scenarios list --json
cp "$WORK/out" "$WORK/list.json"
check "list --json: one entry per scenario, numbered" 0 python3 -c "
import json; l = json.load(open('$WORK/list.json'))['scenarios']
assert len(l) >= 10, l
assert all(s['id'].startswith('S') and s['source'] for s in l)
assert len({s['name'] for s in l}) == len(l)"

# Usage: exit 2, nothing run.
check "no server: usage" 2 "$KSEF" scenarios run
check "an unknown scenario: usage" 2 "$KSEF" scenarios run --base-url "$base" --only fa3-online,nope
expect "naming it" err "no scenario 'nope'"
check "production is refused" 2 "$KSEF" scenarios run --env prd
expect "with the reason" err "production"
check "list takes no --only" 2 "$KSEF" scenarios list --only fa3-online
check "a bad --timeout" 2 "$KSEF" scenarios run --base-url "$base" --timeout 0

# DEMO has no FA (2) and no test data: those scenarios are skipped, before
# anything is sent (so this needs no network).
check "DEMO: the TEST-only scenarios are skipped" 0 "$KSEF" scenarios run --env demo --only fa2-online,second-person --junit "$WORK/demo.xml"
expect "as SKIP" out "^  SKIP  needs the TEST environment"
expect "counted" out "^2 scenarios: 0 passed, 0 failed, 2 skipped"
check "JUnit: skipped testcases" 0 python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$WORK/demo.xml').getroot()
assert root.get('skipped') == '2' and root.get('failures') == '0', root.attrib
assert len(list(root.iter('skipped'))) == 2"

# Every scenario, all three reports at once.
check "run: every step passes" 0 "$KSEF" scenarios run --base-url "$base" --json --junit "$WORK/all.xml"
cp "$WORK/out" "$WORK/all.json"
check "the JUnit XML is well-formed" 0 xmllint --noout "$WORK/all.xml"
check "JSON and JUnit: every listed scenario passed, counts agree" 0 python3 -c "
import json, xml.etree.ElementTree as ET
names = [s['name'] for s in json.load(open('$WORK/list.json'))['scenarios']]
d = json.load(open('$WORK/all.json'))
assert d['passed'] is True and d['failedSteps'] == 0, d
assert [s['name'] for s in d['scenarios']] == names
for s in d['scenarios']:
    assert s['result'] == 'pass' and len(s['steps']) >= 4, s
    assert all(st['result'] == 'pass' for st in s['steps']), s
root = ET.parse('$WORK/all.xml').getroot()
assert root.tag == 'testsuites'
suites = root.findall('testsuite')
assert [t.get('name') for t in suites] == names
steps = sum(len(s['steps']) for s in d['scenarios'])
assert int(root.get('tests')) == steps == d['stepCount'], (root.get('tests'), steps)
assert root.get('failures') == '0'
assert len(list(root.iter('failure'))) == 0
for t, s in zip(suites, d['scenarios']):
    assert int(t.get('tests')) == len(t.findall('testcase')) == len(s['steps'])
    assert t.get('failures') == '0'
"
check "text: PASS lines and the summary" 0 "$KSEF" scenarios run --base-url "$base" --only fa3-online,upo-fields
expect "a step" out "^  PASS  send an invoice: accepted (200): 200 [0-9]\{10\}-"
expect "the UPO" out "^  PASS  invoice UPO: SkrotDokumentu is "
expect "the summary" out "^2 scenarios: 2 passed, 0 failed, 0 skipped"

# A fault plan refuses the next accepted invoice with 450: the happy path
# fails at its send, and the later steps are not run. Its detail holds
# XML's special characters, which the JUnit file must escape.
printf '%s\n' '{"rules": [{"id": "refuse", "action": "fail_verification", "status": 450, "detail": "refused by the plan <a & \"b\">", "count": 1}]}' >"$WORK/plan.json"
"$KSEFD" faults set "$WORK/plan.json" --data "$data" >/dev/null
sleep 0.3
check "a failing step: exit 1" 1 "$KSEF" scenarios run --base-url "$base" --only fa3-online,fa2-online --junit "$WORK/fail.xml"
expect "reported as FAIL with the status" out "^  FAIL  send an invoice: accepted (200): status 450 .*refused by the plan.*expected 200"
expect "the other scenario still runs" out "^2 scenarios: 1 passed, 1 failed"
check "the plan fired" 0 grep -q "fault injected rule=refuse action=fail_verification" "$data.log"
check "the failing JUnit XML is well-formed" 0 xmllint --noout "$WORK/fail.xml"
check "JUnit: one failure, in fa3-online, with the message" 0 python3 -c "
import xml.etree.ElementTree as ET
root = ET.parse('$WORK/fail.xml').getroot()
assert root.get('failures') == '1', root.attrib
s = {t.get('name'): t for t in root.findall('testsuite')}
assert s['fa3-online'].get('failures') == '1' and s['fa2-online'].get('failures') == '0'
f = s['fa3-online'].findall('testcase')[-1].find('failure')
assert f is not None and 'status 450' in f.get('message'), f
assert 'refused by the plan <a & \"b\">' in f.get('message'), f.get('message')
assert f.text == f.get('message')
assert int(root.get('tests')) == sum(len(t.findall('testcase')) for t in root)
"
"$KSEFD" faults set "$WORK/plan.json" --data "$data" >/dev/null
sleep 0.3
check "--json: exit 1" 1 "$KSEF" scenarios run --base-url "$base" --only fa3-online --json
cp "$WORK/out" "$WORK/fail.json"
check "--json: the failed step" 0 python3 -c "
import json; d = json.load(open('$WORK/fail.json'))
assert d['passed'] is False and d['failedSteps'] == 1, d
s = d['scenarios'][0]
assert s['result'] == 'fail' and s['steps'][-1]['result'] == 'fail'
assert 'status 450' in s['steps'][-1]['message']"
"$KSEFD" faults clear --data "$data" >/dev/null
finish
