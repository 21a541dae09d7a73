# shellcheck shell=bash disable=SC2034,SC2016 # sourced: the variables are for the tests; awk programs in single quotes
# Helpers for integration tests (tests/it_*.sh). Source it; each test exits 0 on pass,
# 77 to skip (last line says why), anything else on failure.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CROWD="$TOP/build/crowd"
ROOTFS="$TOP/build/rootfs"
# Keep each test's cgroups apart from anything else on the machine.
export CROWD_CGROUP_TOP="crowd-test-$$"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }

# expect_rc RC CMD...: run CMD, fail unless it exits RC. Output in $OUT, stderr in $ERR.
expect_rc() {
	local want=$1; shift
	OUT=$("$@" 2>/tmp/crowd-it-err.$$); local rc=$?
	ERR=$(cat /tmp/crowd-it-err.$$); rm -f /tmp/crowd-it-err.$$
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $ERR"
}

# No cgroup, mount or process of this test's CROWD_CGROUP_TOP remains.
assert_nothing_left() {
	local left
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CROWD_CGROUP_TOP" 2>/dev/null | head -5)
	[ -z "$left" ] || fail "cgroups left behind: $left"
	left=$(grep -c "$CROWD_CGROUP_TOP" /proc/self/mountinfo || true)
	[ "$left" = 0 ] || fail "mounts left behind"
}

# skip_part NAME REASON: a part of this test that cannot run here, reported as one skipped
# case "<test>/NAME: REASON" by scripts/run-tests.sh (through CROWD_SKIP_LOG), while the
# rest of the test goes on. For the whole test, use skip.
skip_part() {
	echo "SKIP $1: $2"
	[ -z "${CROWD_SKIP_LOG:-}" ] || printf '%s\t%s\n' "$1" "$2" >>"$CROWD_SKIP_LOG"
}

# part_result pass|fail|skip NAME [WHY]: one case of a list the script runs itself (the
# guest's tests of tests/it_cgroup_v2_vm.sh), counted by scripts/run-tests.sh as
# "<test>/NAME" beside the script's own case (through CROWD_CASE_LOG).
part_result() {
	echo "${1^^} $2${3:+: $3}"
	[ -z "${CROWD_CASE_LOG:-}" ] || printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$CROWD_CASE_LOG"
}

# CSV files with a header line (samples.csv, density.csv, ...) are read by column NAME, never
# by position: a column appended (or moved) breaks no test. Shared awk: csv_split fills f[]
# with a line's unquoted fields and s[], e[] with where each raw field starts and ends;
# col(NAME) is the column's number, and a name the header lacks fails the test.
_CSV_AWK='
function csv_split(line,   i, c, q, n, len) {
	delete f
	n = 1; f[1] = ""; s[1] = 1; q = 0; len = length(line)
	for (i = 1; i <= len; i++) {
		c = substr(line, i, 1)
		if (q && c == "\"") {
			if (substr(line, i + 1, 1) == "\"") { f[n] = f[n] c; i++ } else q = 0
		} else if (q || (c != "\"" && c != ",")) f[n] = f[n] c
		else if (c == "\"") q = 1
		else { e[n] = i - 1; f[++n] = ""; s[n] = i + 1 }
	}
	e[n] = len
	return n
}
function col(name) {
	if (!(name in h)) {
		printf "FAIL: %s has no column %s (header: %s)\n", FILENAME, name, header > "/dev/stderr"
		exit 2
	}
	return h[name]
}
NR == 1 { header = $0; nh = csv_split($0); for (i = 1; i <= nh; i++) h[f[i]] = i }
END { if (NR == 0) { printf "FAIL: %s is empty, no CSV header\n", FILENAME > "/dev/stderr"; exit 2 } }
'
# _csv_run FILE PROGRAM [AWK-OPTION...]: the shared awk, then PROGRAM, over FILE. Exit 2 (a
# column or the header missing, or no FILE) ends the whole test as failed, also from inside
# $(...) or a pipe; a reader that stops early (SIGPIPE) is no failure.
_csv_run() {
	local file=$1 prog=$2 rc=0
	shift 2
	awk "$@" "$_CSV_AWK$prog" "$file" || rc=$?
	[ $rc -ne 2 ] || { kill -s TERM $$; exit 2; }
	return $rc
}

# csv_col FILE NAME...: the named columns of each data row, unquoted, tab-separated, in the
# order asked.
csv_col() {
	local file=$1
	shift
	_csv_run "$file" '
	NR == 1 { k = split(names, want, " "); for (j = 1; j <= k; j++) idx[j] = col(want[j]); next }
	{
		csv_split($0)
		out = f[idx[1]]
		for (j = 2; j <= k; j++) out = out "\t" f[idx[j]]
		print out
	}' -v names="$*"
}

# csv_map FILE NAME EXPR: FILE with column NAME of each data row replaced by the awk
# expression EXPR, in which v is the current value and row the data row's number (from 1);
# every other byte stays. Makes fixtures: csv_map s.csv status 'row <= 30 ? "failed" : v'.
csv_map() {
	_csv_run "$1" '
	NR == 1 { k = col(name); print; next }
	{
		csv_split($0); v = f[k]; row = NR - 1; new = ('"$3"')
		print substr($0, 1, s[k] - 1) (new == v ? substr($0, s[k], e[k] - s[k] + 1) : new) substr($0, e[k] + 1)
	}' -v name="$2"
}
