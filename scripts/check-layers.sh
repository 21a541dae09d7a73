#!/usr/bin/env bash
# The include graph of crowd's C sources, checked against docs/architecture.md:
#  1. a file includes nothing from a layer above its own (layers below, lowest first);
#  2. no modules (x.c with x.h) include each other in a circle (tsort finds loops).
# Usage: scripts/check-layers.sh [TREE] (default: this checkout). Prints each violation and
# exits 1 on any; "layers: ok (N files, M edges, ...)" otherwise.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2

# Layer of a file, lowest first. harness/engine holds two: the run's description (config,
# workload, ports, memory, host, topology, placement), which results and backends read, and
# the drivers (launcher, density ramp, audit run), which run the backends.
layer() {
	case "$1" in
	harness/core/*) echo 0 ;;
	harness/engine/launcher.* | harness/engine/launch_*.c | harness/engine/density.* | \
	harness/engine/audit.c) echo 5 ;;
	harness/engine/*) echo 1 ;;
	harness/results/*) echo 2 ;;
	harness/load/*) echo 3 ;;
	harness/backends/*) echo 4 ;;
	bench/*) echo 6 ;;
	*) echo -1 ;;
	esac
}
names=(core engine-description results load backends engine-drivers cli)

bad=0 edges=() nfiles=0
while IFS= read -r f; do
	nfiles=$((nfiles + 1))
	dir=$(dirname "$f")
	me=$(layer "$f")
	mod="${f%.*}"
	while IFS= read -r inc; do
		[ -n "$inc" ] || continue
		if [ -f "$dir/$inc" ]; then t="$dir/$inc"
		elif [ -f "harness/$inc" ]; then t="harness/$inc"
		else continue; fi # system, build/version.h, workloads/common
		t=$(realpath --relative-to=. "$t")
		tl=$(layer "$t")
		if [ "$tl" -gt "$me" ]; then
			echo "layers: $f (${names[$me]}) includes $t (${names[$tl]}), a layer above"
			bad=1
		fi
		tm="${t%.*}"
		[ "$tm" = "$mod" ] || edges+=("$tm $mod")
	done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find harness bench -name '*.[ch]' -not -path 'harness/engine/topo/*' | sort)

if ! loops=$(printf '%s\n' "${edges[@]}" | tsort 2>&1 >/dev/null) || [ -n "$loops" ]; then
	echo "layers: modules include each other in a circle:"
	echo "$loops" | sed 's/^tsort: -: input contains a loop:/  loop:/;s/^tsort: /  /'
	bad=1
fi
[ "$bad" -eq 0 ] && echo "layers: ok ($nfiles files, ${#edges[@]} edges, no upward include, no circle)"
exit "$bad"
