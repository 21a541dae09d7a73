#!/usr/bin/env bash
# scripts/run-tests.sh counts cases honestly, checked on a stand-in tree: a Check binary
# whose cases pass, fail, crash, time out and skip (CROWD_SKIP) gives one result per case;
# a binary that dies or times out still counts every case, the unreported ones as failed;
# scripts count as one case, exit 77 and skip_part as skips with their reasons.
# shellcheck source=/dev/null
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
pkg-config --exists check 2>/dev/null || skip "Check (libcheck) not installed, or no pkg-config"
T=$(mktemp -d /tmp/crowd-it-runner.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/scripts" "$T/tests" "$T/build/tests"
cp "$TOP/scripts/run-tests.sh" "$T/scripts/"
cp "$TOP/tests/lib.sh" "$T/tests/"
cat >"$T/tests/check_fake.c" <<'EOF'
#include <signal.h>
#include "testutil.h"
START_TEST(passes) { ck_assert(1); }
END_TEST
START_TEST(skips) { CROWD_SKIP("no %s here", "widget"); }
END_TEST
START_TEST(fails) { ck_assert_int_eq(1, 2); }
END_TEST
START_TEST(crashes) { raise(SIGSEGV); }
END_TEST
START_TEST(hangs) { sleep(30); }
END_TEST
START_TEST(loops) { if (_i == 1) CROWD_SKIP("iteration %d", _i); }
END_TEST
int main(void)
{
	Suite *s = suite_create("fake");
	TCase *tc = tcase_create("fake");
	tcase_set_timeout(tc, 1);
	tcase_add_test(tc, passes);
	tcase_add_test(tc, skips);
	tcase_add_test(tc, fails);
	tcase_add_test(tc, crashes);
	tcase_add_test(tc, hangs);
	tcase_add_loop_test(tc, loops, 0, 3);
	suite_add_tcase(s, tc);
	return crowd_test_run(s);
}
EOF
# shellcheck disable=SC2046 # pkg-config prints a list of options
cc -I"$TOP/tests" -o "$T/build/tests/check_fake" "$T/tests/check_fake.c" $(pkg-config --cflags --libs check) ||
	fail "cannot build the stand-in Check suite"
# a suite whose one case passes, but whose main fails afterwards (as a final sweep might)
printf '%s\n' '#include "testutil.h"' 'START_TEST(fine) { ck_assert(1); }' 'END_TEST' \
	'int main(void) { Suite *s = suite_create("late"); TCase *tc = tcase_create("late");' \
	'tcase_add_test(tc, fine); suite_add_tcase(s, tc); crowd_test_run(s); return 3; }' \
	>"$T/tests/check_late.c"
# shellcheck disable=SC2046
cc -I"$TOP/tests" -o "$T/build/tests/check_late" "$T/tests/check_late.c" $(pkg-config --cflags --libs check) ||
	fail "cannot build the second stand-in suite"
# shellcheck disable=SC2016 # the scripts' own text
{
	printf '%s\n' '. "$(dirname "$0")/lib.sh"' 'exit 0' >"$T/tests/it_ok.sh"
	printf '%s\n' '. "$(dirname "$0")/lib.sh"' 'skip "no gadget on this host"' >"$T/tests/it_whole.sh"
	printf '%s\n' '. "$(dirname "$0")/lib.sh"' 'skip_part ipv6 "no ::1 here"' 'exit 0' >"$T/tests/it_part.sh"
}

# run VAR=VALUE|"" [TEST...]: the stand-in tree's runner with that environment; its output in
# $OUT, exit status in $RC.
run() {
	local var=$1
	shift
	RC=0
	OUT=$(env ${var:+"$var"} "$T/scripts/run-tests.sh" "$@" 2>&1) || RC=$?
}
has() { grep -qxF -- "$1" <<<"$OUT" || fail "runner output lacks '$1': $OUT"; }

run "" check_fake it_ok it_whole it_part
[ "$RC" -eq 1 ] || fail "failed cases, yet exit $RC"
has "FAIL check_fake: 8 cases, 3 failed, 2 skipped (rc=1)"
has "skipped: check_fake/skips: no widget here"
has "skipped: check_fake/loops: iteration 1"
has "failed: check_fake/fails: Assertion '1 == 2' failed: 1 == 1, 2 == 2"
has "failed: check_fake/crashes: Received signal 11 (Segmentation fault)"
has "failed: check_fake/hangs: Test timeout expired"
grep -q "^PASS it_ok (" <<<"$OUT" || fail "it_ok not passed: $OUT"
has "skipped: it_whole: no gadget on this host"
has "skipped: it_part/ipv6: no ::1 here"
# 3 + it_ok + it_part + nothing-left-behind pass (that last one looks at the whole machine,
# where another run may have left something: then it is one more failure, never fewer cases).
last=$(tail -1 <<<"$OUT")
if grep -q "^failed: nothing-left-behind" <<<"$OUT"; then
	[ "$last" = "5 passed, 4 failed, 4 skipped" ] || fail "closing line: $last"
else
	[ "$last" = "6 passed, 3 failed, 4 skipped" ] || fail "closing line: $last"
fi
# every skip is listed above the closing line
[ "$(sed -n '/^skipped: /=' <<<"$OUT" | tail -1)" -lt "$(wc -l <<<"$OUT")" ] || fail "skips listed after the closing line"

# A crash that takes the whole binary down (no fork): the cases it never reached are failed.
run CK_FORK=no check_fake
has "FAIL check_fake: 8 cases, 6 failed, 1 skipped (rc=139)"
has "failed: check_fake/hangs: no result: the binary crashed or timed out first"
[ "$(grep -c '^failed: check_fake/loops: no result' <<<"$OUT")" -eq 3 ] || fail "loop iterations not counted: $OUT"
# A binary killed by the runner's timeout: the same.
run CHECK_TIMEOUT=1 check_fake
grep -q "^FAIL check_fake: 8 cases, [0-9] failed, [0-9] skipped (rc=124)" <<<"$OUT" || fail "timeout: $OUT"
# A binary that fails after all its cases passed is one failed case more.
run "" check_late
has "FAIL check_late: 2 cases, 1 failed, 0 skipped (rc=3)"
has "failed: check_late: exited 3 after its cases"
# A test named but not there is a failed case, not nothing.
run "" check_nosuch
has "failed: check_nosuch: build/tests/check_nosuch or tests/check_nosuch.c missing"
# Every test when none is named.
run ""
for t in "PASS it_ok" "FAIL check_late" "FAIL check_fake" "SKIP it_whole"; do
	grep -q "^$t" <<<"$OUT" || fail "'$t' missing when every test runs: $OUT"
done
echo "it_runner: ok"
