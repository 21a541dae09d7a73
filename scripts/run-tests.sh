#!/usr/bin/env bash
# Run the tests and count CASES: each Check case of build/tests/check_* and each integration
# script tests/it_*.sh is one case that passed, failed, or was skipped with its reason
# (docs/testing.md). Skips and failures are listed, then the closing line
# "N passed, N failed, N skipped", always last.
#   scripts/run-tests.sh            every test
#   scripts/run-tests.sh NAME...    only these (check_load, it_run, ...)
# Environment: CK_DEFAULT_TIMEOUT (seconds per Check case, default 60), CHECK_TIMEOUT (per
# Check binary, default 900), IT_TIMEOUT (per script, default 600).
set -u
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0 skip=0
failed=() skipped=()
log=build/tests/log
mkdir -p "$log"

# What crowd-named cgroups and mounts exist now; anything new after the tests is a leak.
leftovers() {
	find /sys/fs/cgroup -maxdepth 3 -type d -iname '*crowd*' 2>/dev/null | sort
	grep -i crowd /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort
}

# count pass|fail|skip CASE [WHY]: one case's result.
count() {
	case $1 in
	pass) pass=$((pass + 1)) ;;
	fail) fail=$((fail + 1)); failed+=("$2${3:+: $3}") ;;
	skip) skip=$((skip + 1)); skipped+=("$2: $3") ;;
	esac
}

# Each case of one Check binary, from three files: the cases its source adds (so a crash or
# timeout cannot make cases vanish), the skips CROWD_SKIP recorded, and Check's TAP log.
# Prints "pass|fail|skip<TAB>name<TAB>why" per case.
check_cases() {
	awk -F'\t' '
	FNR == 1 { part = FILENAME == ARGV[1] ? 1 : FILENAME == ARGV[2] ? 2 : 3 }
	part == 1 {
		line = $0
		while (match(line, /tcase_add_(loop_)?test\([^)]*\)/)) {
			call = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			gsub(/tcase_add_(loop_)?test\(|\)|[ \t]/, "", call)
			n = split(call, a, ",")
			k = (n == 4 && a[3] ~ /^[0-9]+$/ && a[4] ~ /^[0-9]+$/) ? a[4] - a[3] : 1
			if (!(a[2] in want))
				order[++nnames] = a[2]
			want[a[2]] += k
		}
		next
	}
	part == 2 { nskip[$1]++; why[$1, nskip[$1]] = $2; next }
	/^(not )?ok [0-9]+ - / {
		ok = $0 !~ /^not /
		rest = $0
		sub(/^(not )?ok [0-9]+ - [^:]*:[^:]*:/, "", rest)
		name = rest
		sub(/:.*/, "", name)
		msg = substr(rest, length(name) + 3)
		got[name]++
		if (!ok)
			printf "fail\t%s\t%s\n", name, msg
		else if (used[name] < nskip[name])
			printf "skip\t%s\t%s\n", name, why[name, ++used[name]]
		else
			printf "pass\t%s\t\n", name
	}
	END {
		for (i = 1; i <= nnames; i++)
			for (name = order[i]; got[name] < want[name]; got[name]++)
				printf "fail\t%s\tno result: the binary crashed or timed out first\n", name
	}' "$1" "$2" "$3"
}

run_check() {
	local t=$1 name out tap skl rc n=0 nf=0 ns=0 r c why
	name=$(basename "$t")
	out=$log/$name.out tap=$log/$name.tap skl=$log/$name.skips
	: >"$tap"
	: >"$skl"
	CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60} CK_TAP_LOG_FILE_NAME=$tap CROWD_SKIP_LOG=$skl \
		timeout -k 10 "${CHECK_TIMEOUT:-900}" "$t" >"$out" 2>&1
	rc=$?
	while IFS=$'\t' read -r r c why; do
		n=$((n + 1))
		count "$r" "$name/$c" "$why"
		[ "$r" = fail ] && nf=$((nf + 1))
		[ "$r" = skip ] && ns=$((ns + 1))
	done < <(check_cases "tests/$name.c" "$skl" "$tap")
	# Every case passed but the binary still failed (its own set-up or final sweep).
	if [ $rc -ne 0 ] && [ $nf -eq 0 ]; then
		n=$((n + 1)) nf=1
		count fail "$name" "exited $rc after its cases"
	fi
	if [ $nf -eq 0 ]; then
		echo "PASS $name: $n cases, $ns skipped"
	else
		echo "FAIL $name: $n cases, $nf failed, $ns skipped (rc=$rc)"
		tail -30 "$out"
	fi
}

# One script is one case; exit 77 is a skip whose reason is its last line. A part of a
# script that could not run is one more skipped case, from lib.sh's skip_part; a script that
# runs a list of its own (tests/it_cgroup_v2_vm.sh: the guest's tests) reports each as one
# more case through lib.sh's part_result (CROWD_CASE_LOG: "pass|fail|skip<TAB>NAME<TAB>WHY").
run_script() {
	local t=$1 name start rc part why
	name=$(basename "$t" .sh)
	if [ "$(id -u)" -ne 0 ] && grep -q '^# needs: root' "$t"; then
		count skip "$name" "needs root"
		echo "SKIP $name: needs root"
		return
	fi
	: >"$log/$name.skips"
	: >"$log/$name.cases"
	start=$(date +%s)
	CROWD_SKIP_LOG=$log/$name.skips CROWD_CASE_LOG=$log/$name.cases timeout "${IT_TIMEOUT:-600}" bash "$t" >"$log/$name.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		count pass "$name"
		echo "PASS $name ($(($(date +%s) - start))s)"
	elif [ $rc -eq 77 ]; then
		count skip "$name" "$(tail -1 "$log/$name.out")"
		echo "SKIP $name: $(tail -1 "$log/$name.out")"
	else
		count fail "$name" "rc=$rc"
		echo "FAIL $name (rc=$rc)"
		tail -40 "$log/$name.out"
	fi
	while IFS=$'\t' read -r part why; do
		count skip "$name/$part" "$why"
	done <"$log/$name.skips"
	local res np=0 nfail=0
	while IFS=$'\t' read -r res part why; do
		case $res in pass | fail | skip) ;; *) res=fail why="bad case line '$res $part'" ;; esac
		count "$res" "$name/$part" "$why"
		np=$((np + 1))
		[ "$res" = fail ] && nfail=$((nfail + 1))
	done <"$log/$name.cases"
	[ $np -eq 0 ] || echo "  $name: $np cases of its own, $nfail failed"
}

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in build/tests/check_* tests/it_*.sh; do tests+=("$(basename "$t" .sh)"); done
fi
before=$(leftovers)
for t in "${tests[@]}"; do
	t=$(basename "$t" .sh)
	case $t in
	check_*) if [ -x "build/tests/$t" ] && [ -f "tests/$t.c" ]; then run_check "build/tests/$t"; else count fail "$t" "build/tests/$t or tests/$t.c missing"; fi ;;
	it_*) if [ -f "tests/$t.sh" ]; then run_script "tests/$t.sh"; else count fail "$t" "tests/$t.sh missing"; fi ;;
	*) echo "run-tests: '$t' is no test: give check_<x> or it_<x>" >&2; exit 2 ;;
	esac
done

left=$(comm -13 <(echo "$before") <(leftovers))
if [ -n "$left" ]; then
	count fail "nothing-left-behind" "$(wc -l <<<"$left") left, first $(head -1 <<<"$left")"
	echo "FAIL nothing-left-behind:"
	echo "$left" | head -20
else
	count pass "nothing-left-behind"
	echo "PASS nothing-left-behind (no crowd cgroup or mount remains)"
fi

[ ${#skipped[@]} -eq 0 ] || printf 'skipped: %s\n' "${skipped[@]}"
[ ${#failed[@]} -eq 0 ] || printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
