#!/usr/bin/env bash
# The layering of docs/architecture.md holds (scripts/check-layers.sh), and the checker
# itself catches an upward include and an include circle planted in a copy of the tree.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/lib.sh"

out=$("$TOP/scripts/check-layers.sh") || fail "layers: $out"
echo "$out"
echo "$out" | grep -q '^layers: ok' || fail "no ok line: $out"

tmp=$(mktemp -d /tmp/crowd-it-layers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp -a "$TOP/harness" "$TOP/bench" "$tmp/"

# The core reaching up into the launcher.
sed -i '0,/^#include "util.h"/s//#include "util.h"\n#include "engine\/launcher.h"/' "$tmp/harness/core/util.c"
grep -q 'engine/launcher.h' "$tmp/harness/core/util.c" || fail "could not plant the include"
out=$("$TOP/scripts/check-layers.sh" "$tmp") && fail "an upward include passed: $out"
echo "$out" | grep -q 'harness/core/util.c (core) includes harness/engine/launcher.h' ||
	fail "upward include not named: $out"

# A circle inside one layer: error.h including util.h, which includes error.h.
cp "$TOP/harness/core/util.c" "$tmp/harness/core/util.c"
sed -i '0,/^#include/s//#include "util.h"\n#include/' "$tmp/harness/core/error.h"
out=$("$TOP/scripts/check-layers.sh" "$tmp") && fail "an include circle passed: $out"
echo "$out" | grep -q 'circle' || fail "circle not reported: $out"
echo "$out" | grep -q 'harness/core/error' || fail "circle does not name error: $out"
echo ok
