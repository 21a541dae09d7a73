#!/usr/bin/env bash
# The vm backend's guest kernels side by side (docs/vm.md):
#   kernels  `crowd bench --backend core,vm -n N --workload httpd` once with --vm-kernel
#            minimal and once with debian, under the same accelerator (--vm-accel, default
#            auto), interleaved ROUNDS times; prints boot-to-ready (spin-up) p50 and PSS p50 of
#            each, and the ratios debian/minimal.
#   mem      the smallest guest memory (-m) the minimal kernel's httpd gets ready and answers
#            HTTP in, by bisection over --memory-max (KERNEL=debian for Debian's).
#   tb       under TCG: PSS and boot-to-ready per translation-cache bound
#            (CROWD_VM_TB_SIZE, MiB; 0 = QEMU's default, 1 GiB).
#   density  `crowd density --workload httpd --memory-budget B` for --backend core and for
#            --backend vm (BUDGET, default 50%), the two counts and their ratio, and the figure
#            (crowd plot of both folders).
# usage: scripts/bench-vm.sh [kernels|mem|tb|density|all]   (default kernels). Needs root,
# make vm. Environment: N (default 5), ROUNDS (default 1), ACCEL (default auto), BUDGET,
# VM_MAX / CORE_MAX (density --max-count caps), CROWD (default build/crowd).
set -eu
cd "$(dirname "$0")/.."
what=${1:-kernels}
N=${N:-5}
ROUNDS=${ROUNDS:-1}
ACCEL=${ACCEL:-auto}
CROWD=${CROWD:-build/crowd}
[ -x "$CROWD" ] || { echo "bench-vm: build/crowd missing: run make" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench-vm: needs root" >&2; exit 77; }
[ -s build/vm/minimal/vmlinux ] || { echo "bench-vm: build/vm/minimal missing: run make vm" >&2; exit 1; }
export CROWD_CGROUP_TOP=${CROWD_CGROUP_TOP:-crowd-bench-vm}
out=results/runs/bench-vm-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"

# p50 COLUMN BACKEND DIR: median of the column over the backend's ok rows of samples.csv
p50() {
	awk -F, -v col="$1" -v be="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["status"] == "ok" && $c["backend"] == be && $c[col] != "" { v[++n] = $c[col] + 0 }
	END {
		if (!n) { print -1; exit }
		for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		print (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
	}' "$3/samples.csv"
}
oks() { awk -F, -v be="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["backend"] == be && $c["status"] == "ok" { n++ } END { print n + 0 }' "$2/samples.csv"; }
accel_of() { grep -oE '"accel": "[a-z]+"' "$1/host.json" | head -1 | cut -d'"' -f4; }
kernel_of() { grep -oE '"guest_kernel": "[^"]+"' "$1/host.json" | head -1 | cut -d'"' -f4; }

kernels() {
	local r k d
	declare -A sp ps
	for r in $(seq "$ROUNDS"); do
		for k in minimal debian; do
			d=$out/kernels-$k-$r
			"$CROWD" bench --backend core,vm -n "$N" --vm-kernel "$k" --vm-accel "$ACCEL" \
				--workload httpd --duration 1s --quiet --out "$d" >"$d.txt" 2>&1 ||
				{ echo "bench-vm: $k failed:" >&2; tail -5 "$d.txt" >&2; exit 1; }
			echo "== $k round $r: vm $(oks vm "$d")/$N ok, kernel '$(kernel_of "$d")', accel $(accel_of "$d");" \
				"boot-to-ready p50 $(awk -v v="$(p50 spinup_ns vm "$d")" 'BEGIN { printf "%.0f ms", v / 1e6 }')," \
				"PSS p50 $(awk -v v="$(p50 pss_bytes vm "$d")" 'BEGIN { printf "%.1f MiB", v / 1048576 }');" \
				"core: $(awk -v v="$(p50 spinup_ns core "$d")" 'BEGIN { printf "%.2f ms", v / 1e6 }')," \
				"$(awk -v v="$(p50 pss_bytes core "$d")" 'BEGIN { printf "%.2f MiB", v / 1048576 }')"
			sp[$k]="${sp[$k]:-} $(p50 spinup_ns vm "$d")"
			ps[$k]="${ps[$k]:-} $(p50 pss_bytes vm "$d")"
		done
	done
	awk -v sm="${sp[minimal]}" -v sd="${sp[debian]}" -v pm="${ps[minimal]}" -v pd="${ps[debian]}" '
	function mean(s,   a, n, i, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) t += a[i]; return t / n }
	BEGIN {
		printf "boot-to-ready p50: minimal %.0f ms, debian %.0f ms: debian/minimal %.2fx\n", mean(sm) / 1e6, mean(sd) / 1e6, mean(sd) / mean(sm)
		printf "PSS p50:           minimal %.1f MiB, debian %.1f MiB: debian/minimal %.2fx\n", mean(pm) / 1048576, mean(pd) / 1048576, mean(pd) / mean(pm)
	}'
}

# ok_at MIB: 1 when a guest with -m MIB gets ready and serves HTTP
ok_at() {
	local d=$out/mem-${KERNEL:-minimal}-$1
	"$CROWD" bench --backend vm -n 1 --vm-kernel "${KERNEL:-minimal}" --vm-accel "$ACCEL" \
		--memory-max "${1}M" --workload httpd --duration 1s --quiet --out "$d" >"$d.txt" 2>&1 &&
		[ "$(oks vm "$d")" = 1 ] &&
		[ "$(p50 rps vm "$d" | cut -d. -f1)" -gt 0 ]
}

mem() {
	local lo=${MEM_LO:-8} hi=${MEM_HI:-256} mid
	ok_at "$hi" || { echo "bench-vm: not ready even with ${hi} MiB" >&2; exit 1; }
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if ok_at "$mid"; then hi=$mid; r=ok; else lo=$mid; r=fails; fi
		echo "  -m ${mid}M: $r"
	done
	echo "smallest guest memory for httpd (${KERNEL:-minimal} kernel): ${hi} MiB (${lo} MiB fails)"
}

tb() {
	local s d
	for s in ${TB_SIZES:-0 64 32 16 8}; do
		d=$out/tb-$s
		CROWD_VM_TB_SIZE=$s "$CROWD" bench --backend vm -n "$N" --vm-accel tcg --workload httpd \
			--duration 1s --quiet --out "$d" >"$d.txt" 2>&1 || { echo "  tb-size $s: failed: $(tail -1 "$d.txt")"; continue; }
		echo "  tb-size ${s} MiB$([ "$s" = 0 ] && echo ' (QEMU default)'): $(oks vm "$d")/$N ok," \
			"boot-to-ready p50 $(awk -v v="$(p50 spinup_ns vm "$d")" 'BEGIN { printf "%.0f ms", v / 1e6 }')," \
			"PSS p50 $(awk -v v="$(p50 pss_bytes vm "$d")" 'BEGIN { printf "%.1f MiB", v / 1048576 }')," \
			"req/s p50 $(p50 rps vm "$d" | cut -d. -f1)"
	done
}

density() {
	local b t0 d
	for b in core vm; do
		d=$out/density-$b
		local max=()
		[ "$b" = vm ] && [ -n "${VM_MAX:-}" ] && max=(--max-count "$VM_MAX")
		[ "$b" = core ] && [ -n "${CORE_MAX:-}" ] && max=(--max-count "$CORE_MAX")
		t0=$(date +%s)
		"$CROWD" density --backend "$b" --workload httpd --memory-budget "${BUDGET:-50%}" \
			--vm-accel "$ACCEL" "${max[@]}" --quiet --out "$d" >"$d.txt" 2>&1 || true
		echo "== $b ($(($(date +%s) - t0)) s): $(grep -E 'instances? up; stopped by' "$d.txt" || tail -2 "$d.txt")"
	done
	awk '/instances? up; stopped by/ { n[FILENAME] = $1 } END {
		c = n[ARGV[1]]; v = n[ARGV[2]]
		if (v > 0) printf "containers per VM in the same budget: %d / %d = %.1fx\n", c, v, c / v }' \
		"$out/density-core.txt" "$out/density-vm.txt"
	if command -v gnuplot >/dev/null; then
		"$CROWD" plot "$out/density-core" "$out/density-vm" --out "$out/figures" >/dev/null 2>&1 &&
			echo "figure: $out/figures" || echo "crowd plot failed"
	fi
}

case $what in
kernels) kernels ;;
mem) mem ;;
tb) tb ;;
density) density ;;
all) kernels; mem; tb; density ;;
*) echo "bench-vm: '$what': kernels, mem, tb, density or all" >&2; exit 2 ;;
esac
echo "results: $out"
