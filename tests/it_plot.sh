#!/usr/bin/env bash
# crowd plot: every figure from the committed results folders under tests/data, as PNG, SVG
# and PDF; overlays; index.html; skipped figures; bad input (exit 2); gnuplot errors (exit 1).
# shellcheck source=/dev/null
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
CROWD=${CROWD_BIN:-$CROWD}
DATA="$TOP/tests/data"
SMALL="$DATA/results-small" AFTER="$DATA/results-small-after" DENS="$DATA/results-small-density"

command -v gnuplot >/dev/null || skip "gnuplot not installed (apt-get install gnuplot-nox)"
[ -x "$CROWD" ] || fail "$CROWD not built"
command -v jq >/dev/null || skip "jq not installed"
T=$(mktemp -d /tmp/crowd-it-plot.XXXXXX)
trap 'rm -rf "$T"' EXIT

# assert_png FILE: PNG magic, 1200 px wide, more than 15 KB.
assert_png() {
	[ -f "$1" ] || fail "$1 missing"
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$1 is not a PNG"
	file "$1" | grep -q 'PNG image data, 1200 x' || fail "$1 is not 1200 px wide: $(file "$1")"
	[ "$(stat -c %s "$1")" -gt 15000 ] || fail "$1 is trivially small ($(stat -c %s "$1") bytes)"
}
assert_svg() {
	[ -f "$1" ] || fail "$1 missing"
	head -c 200 "$1" | grep -q '<?xml' || fail "$1 has no XML declaration"
	grep -q '<svg' "$1" || fail "$1 has no <svg> element"
	[ "$(stat -c %s "$1")" -gt 15000 ] || fail "$1 is trivially small"
}
assert_pdf() {
	[ "$(head -c 5 "$1")" = "%PDF-" ] || fail "$1 is not a PDF"
	[ "$(stat -c %s "$1")" -gt 8000 ] || fail "$1 is trivially small"
}
ALL="spinup-cdf phases memory throughput rps-vs-n density containers-vs-vm"

# 1. One folder with six backends: five figures; rps-vs-n and density have no data there.
# gnuplot runs with crowd's environment, its locale included: scripts/common.gp sets a UTF-8
# encoding, which warns "iconv failed" when gnuplot gets a PATH-only environment.
export LANG=C.UTF-8
expect_rc 0 "$CROWD" plot "$SMALL" --out "$T/one"
echo "$ERR" | grep -q "warning" && fail "gnuplot warned: $ERR"
for f in spinup-cdf phases memory throughput containers-vs-vm; do assert_png "$T/one/$f.png"; done
for f in rps-vs-n density; do
	[ ! -e "$T/one/$f.png" ] || fail "$f.png drawn without data"
	echo "$OUT" | grep -q "^skipped $f: " || fail "no note for skipped $f: $OUT"
done
grep -q "not drawn: no folder has density.csv" "$T/one/index.html" || fail "index.html lacks the skip note"
# Data behind the figures agrees with samples.csv: core's CDF holds every ok spin-up, ends
# at the largest at fraction 1; runc's failed row is left out.
ok_core=$(csv_col "$SMALL/samples.csv" backend status | grep -c $'^core\tok$')
max_core=$(csv_col "$SMALL/samples.csv" backend status spinup_ns | awk -F'\t' '$1=="core" && $2=="ok" {print $3}' | sort -n | tail -1)
cdf="$T/one/plot-data/spinup-cdf-1.dat"
[ "$(grep -vc '^#' "$cdf")" -eq $((ok_core + 1)) ] || fail "core CDF has $(grep -vc '^#' "$cdf") points, want $((ok_core + 1))"
want=$(awk -v m="$max_core" 'BEGIN{printf "%.6f 1.000000", m/1e6}')
[ "$(tail -1 "$cdf")" = "$want" ] || fail "core CDF ends at '$(tail -1 "$cdf")', want '$want'"
ok_runc=$(csv_col "$SMALL/samples.csv" backend status | grep -c $'^runc\tok$')
[ "$ok_runc" -lt "$(csv_col "$SMALL/samples.csv" backend | grep -cx runc)" ] || fail "fixture lost its failed runc row"
[ "$(grep -vc '^#' "$T/one/plot-data/spinup-cdf-4.dat")" -eq $((ok_runc + 1)) ] || fail "runc CDF includes failed rows"
# The memory bars: PSS p50, p10, p90 in MiB from samples.csv (type-7 percentiles).
q() { # q BACKEND P: percentile P of the ok PSS values of BACKEND, in MiB
	csv_col "$SMALL/samples.csv" backend status pss_bytes | awk -F'\t' -v b="$1" '$1==b && $2=="ok" {print $3}' | sort -n |
		awk -v p="$2" '{v[NR]=$1} END{h=(NR-1)*p; l=int(h); printf "%.6f", (v[l+1]+(h-l)*(v[l+2]-v[l+1]))/1048576}'
}
for b in core crun; do
	got=$(awk -v b="$b" '$1==b {print $5, $6, $7}' "$T/one/plot-data/memory.dat")
	want="$(q "$b" 0.5) $(q "$b" 0.1) $(q "$b" 0.9)"
	[ "$got" = "$want" ] || fail "memory.dat $b PSS p50/p10/p90 '$got', want '$want'"
done
grep -q '^vm ' "$T/one/plot-data/memory.dat" && fail "vm in the container memory bars"
# VM ratio: vm spin-up p50 / core spin-up p50 from summary.json.
ratio=$(jq '.backends.vm.metrics.spinup_ns.p50 / .backends.core.metrics.spinup_ns.p50 | floor' "$SMALL/summary.json")
got=$(awk '$1=="core" {print int($4)}' "$T/one/plot-data/containers-vs-vm.dat")
[ "$got" = "$ratio" ] || fail "containers-vs-vm core ratio $got, want $ratio"
# index.html: every figure, the summary table with core's p50 from summary.json.
for f in spinup-cdf phases memory throughput containers-vs-vm; do
	grep -q "<img src=\"$f.png\"" "$T/one/index.html" || fail "index.html lacks $f.png"
done
p50=$(jq -r '.backends.core.metrics.spinup_ns.p50 / 1e6' "$SMALL/summary.json")
grep -q "<tr><td>core</td>.*<td>$(printf %.2f "$p50")</td>" "$T/one/index.html" ||
	fail "index.html summary lacks core spin-up p50 $p50 ms"
grep -q "<td>vm (kvm)</td>" "$T/one/index.html" || fail "index.html lacks the vm accel"

# 2. Overlay of two folders and a density folder: all seven figures, as SVG, with the
# folder names in the legends, units on the axes and the host/version footnote.
expect_rc 0 "$CROWD" plot "$SMALL" "$AFTER" "$DENS" --format svg --out "$T/overlay"
for f in $ALL; do assert_svg "$T/overlay/$f.svg"; done
grep -q 'results-small-after:core' "$T/overlay/spinup-cdf.svg" || fail "overlay legend lacks the folder name"
grep -q 'results-small:core' "$T/overlay/spinup-cdf.svg" || fail "overlay legend lacks the first folder"
grep -q 'spin-up latency (ms, log scale)' "$T/overlay/spinup-cdf.svg" || fail "CDF x label without unit"
grep -q 'memory per container (MiB)' "$T/overlay/memory.svg" || fail "memory y label without unit"
grep -q 'stop: slo-spinup-p99 at N=40' "$T/overlay/density.svg" || fail "density stop point not marked"
for f in $ALL; do
	grep -q 'AMD EPYC 7B13.*crowd 0.1.0 (3993971)' "$T/overlay/$f.svg" || fail "$f.svg lacks the footnote"
done
n=$(find "$T/overlay/plot-data" -name "spinup-cdf-*.dat" | wc -l)
[ "$n" -eq 10 ] || fail "overlay has $n CDF series, want 10 (6 + 3 + 1)"
# Requests/s against N from density.csv: per container as written, aggregate = that x count.
want=$(csv_col "$DENS/density.csv" count rps_per_instance | awk -F'\t' 'NR==1 {printf "%d %.3f %.3f", $1, $2, $1*$2}')
[ "$(sed -n 2p "$T/overlay/plot-data/rps-vs-n-1.dat")" = "$want" ] || fail "rps-vs-n first point, want '$want'"
# and per backend across the two plain folders: load.total_rps of each, in order of N.
want=$(jq -r '.backends.core.load.total_rps' "$SMALL/summary.json")
awk '$4=="results-small" {print $3}' "$T/overlay/plot-data/rps-vs-n-2.dat" | grep -qx "$(printf %.3f "$want")" ||
	fail "rps-vs-n core total is not summary.json's $want"

# 3. The density folder alone, as PNG; and PDF output.
expect_rc 0 "$CROWD" plot "$DENS" --out "$T/dens"
for f in spinup-cdf phases memory throughput rps-vs-n density; do assert_png "$T/dens/$f.png"; done
[ ! -e "$T/dens/containers-vs-vm.png" ] || fail "containers-vs-vm drawn without a vm backend"
expect_rc 0 "$CROWD" plot "$SMALL" --format pdf --out "$T/pdf" --quiet
[ -z "$OUT" ] || fail "--quiet printed: $OUT"
for f in spinup-cdf phases memory throughput containers-vs-vm; do assert_pdf "$T/pdf/$f.pdf"; done

# 4. Default output: into the folder itself, through a symlink like results/runs/latest.
mkdir -p "$T/runs" && cp -r "$SMALL" "$T/runs/20261129-050000-x" && ln -s 20261129-050000-x "$T/runs/latest"
expect_rc 0 "$CROWD" plot "$T/runs/latest"
assert_png "$T/runs/20261129-050000-x/spinup-cdf.png"
[ -f "$T/runs/20261129-050000-x/index.html" ] || fail "no index.html in the results folder"

# 5. No rps in the samples: the throughput figure is skipped, not drawn empty.
cp -r "$SMALL" "$T/norps"
csv_map "$SMALL/samples.csv" rps '""' > "$T/norps/samples.csv"
expect_rc 0 "$CROWD" plot "$T/norps" --out "$T/norps-out"
[ ! -e "$T/norps-out/throughput.png" ] || fail "throughput drawn without rps"
echo "$OUT" | grep -q '^skipped throughput: no sample has requests/s' || fail "no skip note: $OUT"

# 6. Bad input: exit 2, one line naming the input, nothing created.
expect_rc 2 "$CROWD" plot
expect_rc 2 "$CROWD" plot "$T/does-not-exist" --out "$T/bad1"
echo "$ERR" | grep -q "does-not-exist" || fail "message does not name the folder: $ERR"
expect_rc 2 "$CROWD" plot "$T" --out "$T/bad2"
echo "$ERR" | grep -q "not a results folder" || fail "message: $ERR"
expect_rc 2 "$CROWD" plot "$SMALL" --format gif --out "$T/bad3"
echo "$ERR" | grep -q "png, svg, pdf" || fail "message does not list the formats: $ERR"
expect_rc 2 "$CROWD" plot "$SMALL" --out "$T/no/such/parent"
expect_rc 2 "$CROWD" plot "$SMALL" --colour red --out "$T/bad4"
expect_rc 2 "$CROWD" plot "$SMALL" --out
grep -q "option '--out' needs a value" <<<"$ERR" || fail "missing value not named: $ERR"
[ "$(wc -l <<<"$ERR")" = 1 ] || fail "more than one line: $ERR"
for d in bad1 bad2 bad3 bad4 no; do [ ! -e "$T/$d" ] || fail "bad input created $T/$d"; done
cp -r "$SMALL" "$T/garbled"
sed -i '3s/,ok,[0-9]*,/,ok,12x,/' "$T/garbled/samples.csv"
expect_rc 2 "$CROWD" plot "$T/garbled" --out "$T/bad5"
echo "$ERR" | grep -q "samples.csv:3: bad t_request_ns" || fail "message does not name file and line: $ERR"

# 7. gnuplot errors fail crowd plot (exit 1) with gnuplot's message, and leave no figure.
# a) corrupted data: spin-up times of 0 ns cannot go on the log axis.
cp -r "$SMALL" "$T/zero"
csv_map "$SMALL/samples.csv" spinup_ns 'v != "" ? 0 : v' > "$T/zero/samples.csv"
expect_rc 1 "$CROWD" plot "$T/zero" --out "$T/zero-out"
echo "$ERR" | grep -q "gnuplot failed on spinup-cdf" || fail "no gnuplot failure reported: $ERR"
echo "$ERR" | grep -q "range is invalid" || fail "gnuplot's own message missing: $ERR"
[ ! -e "$T/zero-out/spinup-cdf.png" ] || fail "failed figure left behind"
# b) a broken script found through CROWD_DATADIR.
mkdir "$T/gp" && cp "$TOP"/scripts/*.gp "$T/gp/"
echo "plot sin(x) with nonsense" >> "$T/gp/memory.gp"
CROWD_DATADIR="$T/gp" expect_rc 1 "$CROWD" plot "$SMALL" --out "$T/gp-out"
echo "$ERR" | grep -q 'memory.gp" line [0-9]*:' || fail "gnuplot's message lacks script and line: $ERR"
[ ! -e "$T/gp-out/memory.png" ] || fail "failed figure left behind"
# 8. The trend figure (crowd plot --history): three folders given newest first are ordered
# by their start; the plotted data is exactly crowd compare --history --data's file.
expect_rc 0 "$CROWD" plot --history "$DENS" "$AFTER" "$SMALL" --out "$T/hist"
assert_png "$T/hist/history-spinup_ns.png"
echo "$OUT" | grep -q "^wrote $T/hist/history-spinup_ns.png" || fail "no 'wrote' line: $OUT"
[ ! -e "$T/hist/spinup-cdf.png" ] || fail "--history drew the per-run figures too"
grep -q '<img src="history-spinup_ns.png"' "$T/hist/index.html" || fail "index.html lacks the trend figure"
expect_rc 0 "$CROWD" compare --history "$SMALL" "$DENS" "$AFTER" --data "$T/compare-history.dat"
cmp "$T/compare-history.dat" "$T/hist/plot-data/history.dat" || fail "plotted data differs from compare --history --data"
# Folder order: index 0 results-small (05:00), 1 -after (05:15), 2 -density (05:30).
want=$(jq -r '.run' "$SMALL/summary.json" "$AFTER/summary.json" "$DENS/summary.json" | awk '{print NR-1, $1}')
got=$(awk '{print $1, $3}' "$T/hist/plot-data/history-runs.dat" | grep -v '^#')
[ "$got" = "$want" ] || fail "history-runs.dat order '$got', want '$want'"
# Per-backend series: together they are history.dat's rows; core's p50 and p99 are
# summary.json's (same percentile rule); core ran in all three, vm only in the first.
[ "$(cat "$T"/hist/plot-data/history-[0-9]*.dat | grep -v '^#' | sort)" = "$(grep -v '^#' "$T/hist/plot-data/history.dat" | sort)" ] ||
	fail "per-backend series do not add up to history.dat"
core=$(grep -l ' core ' "$T"/hist/plot-data/history-[0-9]*.dat)
[ "$(grep -vc '^#' "$core")" -eq 3 ] || fail "core series has $(grep -vc '^#' "$core") points, want 3"
for i in 0 1 2; do
	d=$(sed -n "$((i + 1))p" <<<"$(echo "$SMALL $AFTER $DENS" | tr ' ' '\n')")
	want=$(jq -r '.backends.core.metrics.spinup_ns | "\(.p50) \(.p99)"' "$d/summary.json")
	got=$(awk -v i=$i '$1==i {printf "%.0f %.0f", $6, $10}' "$core")
	[ "$got" = "$want" ] || fail "core p50/p99 of folder $i: '$got', summary.json '$want'"
done
[ "$(grep -c ' vm ' "$T/hist/plot-data/history.dat")" -eq 1 ] || fail "vm should have one point"
# SVG: axis label with unit (log scale: vm beside containers), legend, footnote.
expect_rc 0 "$CROWD" plot --history "$SMALL" "$AFTER" "$DENS" --format svg --out "$T/hist-svg"
assert_svg "$T/hist-svg/history-spinup_ns.svg"
grep -q 'spin-up latency (ms, log scale)' "$T/hist-svg/history-spinup_ns.svg" || fail "trend y label without unit"
for b in core process crun runc bwrap vm; do
	grep -q ">$b<" "$T/hist-svg/history-spinup_ns.svg" || fail "trend legend lacks $b"
done
grep -q 'AMD EPYC 7B13.*crowd 0.1.0 (3993971)' "$T/hist-svg/history-spinup_ns.svg" || fail "trend figure lacks the footnote"
# A memory metric of one backend: MiB, linear, the same numbers as compare's.
expect_rc 0 "$CROWD" plot --history "$SMALL" "$AFTER" "$DENS" --metric pss_bytes --backend core --format svg --out "$T/hist-pss"
grep -q 'PSS per container (MiB)' "$T/hist-pss/history-pss_bytes.svg" || fail "PSS y label: want MiB, linear"
[ ! -e "$T/hist-pss/plot-data/history-2.dat" ] || fail "--backend core drew other backends"
expect_rc 0 "$CROWD" compare --history "$SMALL" "$AFTER" "$DENS" --metric pss_bytes --backend core --data "$T/pss.dat"
cmp "$T/pss.dat" "$T/hist-pss/plot-data/history.dat" || fail "PSS data differs from compare's"
# Bad input: exit 2, one line naming the input, nothing created.
expect_rc 2 "$CROWD" plot --history --metric latency "$SMALL" --out "$T/hbad1"
grep -q "'latency' is not known (allowed: spinup_ns" <<<"$ERR" || fail "unknown metric message: $ERR"
expect_rc 2 "$CROWD" plot --history "$SMALL" --backend lxc --out "$T/hbad2"
grep -q "no folder has ok samples of spinup_ns for backend lxc" <<<"$ERR" || fail "unknown backend message: $ERR"
expect_rc 2 "$CROWD" plot --metric rps "$SMALL" --out "$T/hbad3"
grep -q -- "--metric and --backend go with --history" <<<"$ERR" || fail "--metric without --history: $ERR"
expect_rc 2 "$CROWD" plot --history "$SMALL" "$T/nope" --out "$T/hbad4"
grep -q "nope" <<<"$ERR" || fail "missing folder not named: $ERR"
expect_rc 2 "$CROWD" plot --history --out "$T/hbad5"
for d in hbad1 hbad2 hbad3 hbad4 hbad5; do [ ! -e "$T/$d" ] || fail "bad input created $T/$d"; done
echo "ok"
