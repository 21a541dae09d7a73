#!/bin/bash
# The options of bench, density, run and load (bench/opts.c): every bad value exits 2 before
# anything runs, with one line naming the option and what is allowed, and creates nothing;
# --help shows the ranges and names the parser enforces.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
[ -d "$ROOTFS" ] || skip "build/rootfs missing: run make"
T=$(mktemp -d /tmp/crowd-it-opts.XXXXXX)
trap 'rm -rf "$T"' EXIT

# "option|args...": the option the message must name, then the arguments.
cases=(
	"--backend|--backend bogus"
	"--backend|--backend core,core"
	"--workload|--workload bogus"
	"--workload|--workload cmd:relative"
	"--workload|--workload cmd:/no/such/program"
	"--count|-n 0"
	"--count|-n 12x"
	"--concurrency|-j 0"
	"--duration|--duration 0"
	"--placement|--placement diagonal"
	"--connections|--connections 0"
	"--pod-size|--pod-size 0"
	"--memory-max|--memory-max 1X"
	"--cpu-max|--cpu-max 0/100000"
	"--cpuset|--cpuset 4095"
	"--cpuset|--cpuset 0,"
	"--caps|--caps some"
	"--ns|--ns pid,bogus"
	"--rootfs|--rootfs $T/none"
	"--out|--out /etc/passwd/sub"
	"--out|--out /etc/passwd"
	"--vm-accel|--vm-accel hvf"
)
for cmd in bench density; do
	for c in "${cases[@]}"; do
		opt=${c%%|*}
		read -r -a args <<<"${c#*|}"
		[ "$cmd" = density ] && [ "$opt" = --backend ] && [ "${args[1]}" = core,core ] && continue
		[ "$opt" = --out ] || args+=(--out "$T/made")
		expect_rc 2 "$CROWD" "$cmd" "${args[@]}"
		[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$cmd ${args[*]}: not one line: $ERR"
		case $ERR in *"$opt"*) ;; *) fail "$cmd ${args[*]}: message does not name $opt: $ERR" ;; esac
		[ ! -e "$T/made" ] || fail "$cmd ${args[*]}: created $T/made"
	done
done
# --help and the parser agree, since both come from the option rows: for every option whose
# help shows a range LO..HI, HI+1 (and LO-1 when LO > 0) is refused with exit 2, one line
# naming the option and the same LO..HI, and HI itself passes the check; for every option with
# "one of:" names, a bogus name is refused with exactly those names allowed, and each name
# passes the check (--help after it exits 0 once the value was accepted).

# to_plain VALUE: a range bound in base units and its unit ("" bytes/plain, ns).
to_plain() {
	local v=$1 n u
	n=${v%%[a-zA-Z]*}
	u=${v#"$n"}
	case $u in
	"") echo "$n" ;;
	K) echo $((n << 10)) ;;
	M) echo $((n << 20)) ;;
	G) echo $((n << 30)) ;;
	T) echo $((n << 40)) ;;
	ns) echo "$((n))ns" ;;
	us) echo "$((n * 1000))ns" ;;
	ms) echo "$((n * 1000000))ns" ;;
	s) echo "$((n * 1000000000))ns" ;;
	m) echo "$((n * 60000000000))ns" ;;
	h) echo "$((n * 3600000000000))ns" ;;
	*) fail "range bound '$v': unknown unit" ;;
	esac
}
# plus VALUE DELTA: VALUE (from to_plain) moved by DELTA in its last unit.
plus() {
	local n=${1%ns} u=${1#"${1%ns}"}
	case $n in
	*.*) awk -v n="$n" -v d="$2" 'BEGIN { print n + d }' ;;
	*) echo "$((n + $2))$u" ;;
	esac
}
# refuse CMD OPT VALUE WANT TAIL...: CMD --OPT=VALUE TAIL exits 2, one line naming --OPT and WANT.
refuse() {
	local cmd=$1 opt=$2 val=$3 want=$4
	shift 4
	expect_rc 2 "$CROWD" "$cmd" "--$opt=$val" "$@"
	[ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$cmd --$opt=$val: not one line: $ERR"
	case $ERR in *"--$opt"*"$want"*) ;; *) fail "$cmd --$opt=$val: message does not name --$opt and '$want': $ERR" ;; esac
}
# accept CMD OPT VALUE TAIL...: the value passes the option's check (--help then exits 0).
accept() {
	local cmd=$1 opt=$2 val=$3
	shift 3
	expect_rc 0 "$CROWD" "$cmd" "--$opt=$val" --help "$@"
}
checked=0
for cmd in bench density run load; do
	case $cmd in
	run) tail=(-- /bin/true) ;;
	load) tail=(http://127.0.0.1:1/) ;;
	*) tail=(--out "$T/made") ;;
	esac
	expect_rc 0 "$CROWD" $cmd --help
	help=$OUT
	while IFS= read -r line; do
		[[ $line =~ --([a-z0-9-]+) ]] || continue
		opt=${BASH_REMATCH[1]}
		if [[ $line =~ \(([0-9.]+[a-zA-Z]*)\.\.([0-9.]+[a-zA-Z]*)[\;\)] ]]; then
			lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]}
			range="$lo..$hi"
			refuse $cmd "$opt" "$(plus "$(to_plain "$hi")" 1)" "$range" "${tail[@]}"
			case $lo in 0 | 0.*) ;; *) refuse $cmd "$opt" "$(plus "$(to_plain "$lo")" -1)" "$range" "${tail[@]}" ;; esac
			[ "$opt" = memory-budget ] || accept $cmd "$opt" "$hi" "${tail[@]}"
			checked=$((checked + 1))
		elif [[ $line =~ \(one\ of:\ ([^\;\)]+) ]]; then
			names=${BASH_REMATCH[1]}
			refuse $cmd "$opt" bogus-name "allowed: $names)" "${tail[@]}"
			IFS=', ' read -r -a list <<<"$names"
			for n in "${list[@]}"; do accept $cmd "$opt" "$n" "${tail[@]}"; done
			checked=$((checked + 1))
		fi
		[ ! -e "$T/made" ] || fail "$cmd --$opt: created $T/made"
	done <<<"$help"
done
[ "$checked" -ge 30 ] || fail "only $checked options with a range or names in --help"

left=$(find /sys/fs/cgroup -maxdepth 2 -name "$CROWD_CGROUP_TOP" | head -3)
[ -z "$left" ] || fail "cgroups made on bad input: $left"
echo ok
