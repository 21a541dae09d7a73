#!/usr/bin/env bash
# Run every test: the Check unit suites (build/tests/check_*) and the integration scripts
# (tests/it_*.sh). Prints one closing line "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
failed=()
log=build/tests/log
mkdir -p "$log"

# What crowd-named cgroups and mounts exist now; anything new after the tests is a leak.
leftovers() {
	find /sys/fs/cgroup -maxdepth 3 -type d -iname '*crowd*' 2>/dev/null | sort
	grep -i crowd /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort
}
before=$(leftovers)

for t in build/tests/check_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} "$t" >"$log/$name.out" 2>&1; then
		pass=$((pass + 1)); echo "PASS $name: $(grep -E '^[0-9]+%: Checks' "$log/$name.out" | tail -1)"
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name"; tail -30 "$log/$name.out"
	fi
done

for t in tests/it_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	if [ "$(id -u)" -ne 0 ] && grep -q '^# needs: root' "$t"; then
		skip=$((skip + 1)); echo "SKIP $name: needs root"; continue
	fi
	start=$(date +%s)
	timeout "${IT_TIMEOUT:-600}" bash "$t" >"$log/$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -1 "$log/$name.out")"
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name (rc=$rc)"; tail -40 "$log/$name.out"
	fi
done

left=$(comm -13 <(echo "$before") <(leftovers))
if [ -n "$left" ]; then
	fail=$((fail + 1)); failed+=("nothing-left-behind"); echo "FAIL nothing-left-behind:"
	echo "$left" | head -20
else
	pass=$((pass + 1)); echo "PASS nothing-left-behind (no crowd cgroup or mount remains)"
fi

[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
