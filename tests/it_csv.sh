#!/usr/bin/env bash
# The tests' CSV reading (lib.sh csv_col, csv_map) goes by column name: a results folder with
# a column appended, or one moved to the front, reads the same; a quoted field with commas
# shifts nothing; a column the header lacks ends the test as failed, loudly.
# shellcheck source=/dev/null
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d /tmp/crowd-it-csv.XXXXXX)
trap 'rm -rf "$T"' EXIT
SMALL="$TOP/tests/data/results-small"
orig="$SMALL/samples.csv"
header=$(head -1 "$orig")

# 1. An extra column appended to a copy of a results folder, and one inserted in front.
cp -r "$SMALL" "$T/appended"
awk -F, -v OFS=, '{ print $0, (NR == 1 ? "extra_ns" : NR * 7) }' "$orig" >"$T/appended/samples.csv"
awk '{ print (NR == 1 ? "host" : "h" NR) "," $0 }' "$orig" >"$T/moved.csv"
[ "$(head -1 "$T/appended/samples.csv")" = "$header,extra_ns" ] || fail "the copy has no extra column"
for c in ${header//,/ }; do
	want=$(csv_col "$orig" "$c")
	[ -n "$want" ] || fail "$orig: column $c read as nothing"
	[ "$(csv_col "$T/appended/samples.csv" "$c")" = "$want" ] || fail "column $c reads differently with a column appended"
	[ "$(csv_col "$T/moved.csv" "$c")" = "$want" ] || fail "column $c reads differently with a column in front"
done
[ "$(csv_col "$T/appended/samples.csv" extra_ns | head -2 | tr '\n' ' ')" = "14 21 " ] ||
	fail "the appended column itself: $(csv_col "$T/appended/samples.csv" extra_ns | head -2)"
# several columns at once come in the order asked, tab-separated
[ "$(csv_col "$T/moved.csv" status backend host | head -1)" = "$(printf 'ok\tcore\th2')" ] ||
	fail "csv_col status backend host: $(csv_col "$T/moved.csv" status backend host | head -1)"

# 2. Quoted fields: commas and doubled quotes inside, and the columns after them unshifted.
printf 'a,error,b\n1,"x, ""y"", z",2\n3,"",4\n' >"$T/quoted.csv"
[ "$(csv_col "$T/quoted.csv" error b)" = "$(printf 'x, "y", z\t2\n\t4')" ] ||
	fail "quoted fields: $(csv_col "$T/quoted.csv" error b)"

# 3. csv_map rewrites one column by name and leaves every other byte.
csv_map "$orig" status v | cmp -s - "$orig" || fail "csv_map with v changed the file"
csv_map "$T/quoted.csv" b 'row == 1 ? 9 : v' >"$T/mapped.csv"
[ "$(cat "$T/mapped.csv")" = "$(printf 'a,error,b\n1,"x, ""y"", z",9\n3,"",4')" ] ||
	fail "csv_map: $(cat "$T/mapped.csv")"

# 4. A missing column, an empty file: the test using it ends failed with the reason, even
# when the read is inside $(...) or a pipe.
# shellcheck disable=SC2016 # each $use runs in its own bash, with the file as $1
for use in 'x=$(csv_col "$1" no_such_ns)' 'csv_col "$1" status no_such_ns | wc -l' \
	'csv_map "$1" no_such_ns 0 >/dev/null'; do
	rc=0
	err=$(bash -c ". '$TOP/tests/lib.sh'; $use; echo went on" _ "$orig" 2>&1) || rc=$?
	[ $rc -ne 0 ] || fail "'$use' on a missing column: exit 0"
	grep -q "went on" <<<"$err" && fail "'$use': the test went on after a missing column"
	grep -q "FAIL: $orig has no column no_such_ns" <<<"$err" || fail "'$use': no reason: $err"
done
: >"$T/empty.csv"
rc=0
err=$(bash -c ". '$TOP/tests/lib.sh'; x=\$(csv_col '$T/empty.csv' status); echo went on" 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "empty CSV read: exit 0"
grep -q "empty, no CSV header" <<<"$err" || fail "empty CSV: no reason: $err"
echo "it_csv: ok"
