#!/usr/bin/env bash
# scripts/fetch-schemas.sh takes schemas from a named folder, verifies every
# digest, refuses a tampered file without touching the destination, and is
# a no-op when the destination already holds the verified files.
. "$(dirname "$0")/lib.bash"

fetch=$KSEF_SOURCE_DIR/scripts/fetch-schemas.sh
src=$SHARED/ksef-docs/faktury/schemy

check "from a named folder" 0 "$fetch" --from "$src" "$WORK/ok"
check "all 25 files verify" 0 sh -c "cd '$WORK/ok' && sha256sum --quiet --strict -c '$SHARED/schemas.sha256'"
check "second run is a no-op" 0 "$fetch" --from "$src" "$WORK/ok"
expect "says so" out "already holds"

cp -R "$src" "$WORK/tampered"
chmod -R u+w "$WORK/tampered"
printf ' ' >> "$WORK/tampered/FA/schemat_FA(3)_v1-0E.xsd"
check "a tampered file is refused" 1 "$fetch" --from "$WORK/tampered" "$WORK/dest"
expect "names the file" err "schemat_FA(3)_v1-0E.xsd"
check "nothing was installed" 1 test -e "$WORK/dest/FA"

rm "$WORK/tampered/RR/schemat_FA_RR(1)_v1-1E.xsd"
check "a missing file is refused" 1 "$fetch" --from "$WORK/tampered" "$WORK/dest"
check "a digest list that is not the official one is refused" 1 \
	"$fetch" --from "$src" --sums /dev/null "$WORK/dest"

# The schemas the build uses are the verified ones (when it has them).
if schemas_present; then
	check "the build's schema folder verifies" 0 sh -c "cd '$KSEF_SCHEMA_DIR' && sha256sum --quiet --strict -c '$SHARED/schemas.sha256'"
fi
finish
