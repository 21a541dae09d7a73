#!/bin/bash
# shellcheck disable=SC2015 # "A && B || fail": the test fails when either check does
# crowd bench --sweep security|ns|caps (--security-sweep is --sweep security).
# --security-sweep: core as 7 cumulative steps (none, caps, nnp, masks, devices,
# seccomp, all), 6 ok rows each, started interleaved step by step; the printed sweep table
# and summary.json "sweep" list the steps in order; host.json gives each step its own
# security; the two ends really differ inside a container (Seccomp 0 vs 2, NoNewPrivs 0 vs
# 1); and the bad combinations exit 2.
# needs: root
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_root
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
tmp=$(mktemp -d)
trap '"$CROWD" clean >/dev/null 2>&1; rm -rf "$tmp"' EXIT
STEPS="core-none core-caps core-nnp core-masks core-devices core-seccomp core-all"

expect_rc 0 "$CROWD" bench --backend core --security-sweep -n 6 --workload idle --quiet \
	--out "$tmp/s"
csv="$tmp/s/samples.csv"
for s in $STEPS; do
	n=$(csv_col "$csv" backend status | grep -c "^$s	ok$")
	[ "$n" -eq 6 ] || fail "$s: $n ok rows, want 6"
done
# Interleaved: row k is step k mod 7, instance k div 7.
got=$(csv_col "$csv" backend index | tr '\t' ' ' | paste -sd' ')
want=$(for i in 0 1 2 3 4 5; do for s in $STEPS; do printf '%s %s ' "$s" "$i"; done; done)
[ "$got " = "$want" ] || fail "rows not interleaved step by step: $got"

# The printed sweep table: one row per step, in order, after its header.
table=$(sed -n '/^security sweep/,$p' <<<"$OUT" | awk '$1 ~ /^core-/ { print $1 }' | paste -sd' ')
[ "$table" = "$STEPS" ] || fail "sweep table rows: '$table', want '$STEPS'; output: $OUT"
# The first step has no delta; every later one has a spin-up delta with its CI.
sed -n '/^security sweep/,$p' <<<"$OUT" | awk '$1 == "core-caps"' | grep -Eq '[+-][0-9.]+ \[[+-][0-9.]+, [+-][0-9.]+\]' ||
	fail "core-caps: no delta with a CI in: $OUT"

python3 - "$tmp/s" "$STEPS" <<'EOF' || fail "summary.json/host.json sweep"
import json, sys
d, steps = sys.argv[1], sys.argv[2].split()
s = json.load(open(d + "/summary.json"))
names = [x["name"] for x in s["sweep"]]
assert names == steps, names
assert all(k in s["backends"] for k in steps), list(s["backends"])
assert s["sweep"][0]["spinup_ns"]["delta"] is None
for x in s["sweep"][1:]:
    m = x["spinup_ns"]
    assert m["delta_ci95_lo"] <= m["delta"] <= m["delta_ci95_hi"], x
    assert x["cgroup_bytes"]["p50"] > 0, x
sec = {k: v["security"] for k, v in json.load(open(d + "/host.json"))["backends"].items()}
want = {"core-none": ("none", "all"), "core-caps": ("none", "default"),
        "core-nnp": ("nnp", "default"), "core-masks": ("nnp,masks", "default"),
        "core-devices": ("nnp,masks,devices", "default"),
        "core-seccomp": ("nnp,masks,devices,seccomp", "default"),
        "core-all": ("nnp,masks,devices,seccomp,sys-ro", "default")}
for k, (f, c) in want.items():
    assert (sec[k]["features"], sec[k]["caps"]) == (f, c), (k, sec[k])
    assert ("seccomp" in sec[k]) == ("seccomp" in f), (k, sec[k])
    assert ("devices" in sec[k]) == ("devices" in f), (k, sec[k])
EOF

# The two ends, seen from inside: none has no filter and no no_new_privs, all has both.
status='grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
expect_rc 0 "$CROWD" run --security none --seccomp none --caps all -- /bin/sh -c "$status"
grep -qx "Seccomp:	0" <<<"$OUT" && grep -qx "NoNewPrivs:	0" <<<"$OUT" ||
	fail "core-none's options: want Seccomp 0, NoNewPrivs 0: $OUT"
expect_rc 0 "$CROWD" run -- /bin/sh -c "$status"
grep -qx "Seccomp:	2" <<<"$OUT" && grep -qx "NoNewPrivs:	1" <<<"$OUT" ||
	fail "core-all's options (the default): want Seccomp 2, NoNewPrivs 1: $OUT"

# Bad input: another backend, or an option the sweep sets itself.
for bad in "--backend process" "--backend core,process" "--security none" "--seccomp none" \
	"--caps all"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	expect_rc 2 "$CROWD" bench --security-sweep $bad -n 1 --workload idle --quiet \
		--out "$tmp/bad"
	[ "$(wc -l <<<"$ERR")" -eq 1 ] && grep -q -- "--security-sweep" <<<"$ERR" &&
		grep -q "allowed" <<<"$ERR" || fail "'$bad': want one line naming the option: $ERR"
	[ ! -e "$tmp/bad" ] || fail "'$bad': wrote a results folder"
done

# --sweep ns: 8 cumulative steps (none, +pid ... +user), then each namespace alone against
# none; every step on the host's root with the rootfs's binary; the table, summary.json and
# host.json say so; the namespaces really differ (a pid namespace gives a new pid 1).
NS="core-ns-none core-add-pid core-add-mnt core-add-uts core-add-ipc core-add-net core-add-cgroup core-add-user core-one-pid core-one-mnt core-one-uts core-one-ipc core-one-net core-one-cgroup core-one-user"
expect_rc 0 "$CROWD" bench --sweep ns -n 5 --workload idle --quiet --out "$tmp/ns"
for s in $NS; do
	n=$(csv_col "$tmp/ns/samples.csv" backend status | grep -c "^$s	ok$")
	[ "$n" -eq 5 ] || fail "$s: $n ok rows, want 5"
done
table=$(sed -n '/^ns sweep/,/^$/p' <<<"$OUT" | awk '$1 ~ /^core-/ { print $1 ":" $2 }' | paste -sd' ')
want_t=$(for s in $NS; do
	case $s in
	core-ns-none) v=- ;; core-one-*) v=core-ns-none ;; *) v=$prev ;;
	esac
	printf '%s:%s ' "$s" "$v"
	prev=$s
done)
[ "$table " = "$want_t" ] || fail "ns sweep table: '$table', want '$want_t'; output: $OUT"
python3 - "$tmp/ns" "$NS" <<'EOF2' || fail "ns sweep summary.json/host.json"
import json, sys
d, steps = sys.argv[1], sys.argv[2].split()
s = json.load(open(d + "/summary.json"))
assert s["sweep_kind"] == "ns", s.get("sweep_kind")
assert [x["name"] for x in s["sweep"]] == steps
for x in s["sweep"]:
    want = None if x["name"] == "core-ns-none" else "core-ns-none" if x["name"].startswith("core-one-") \
        else steps[steps.index(x["name"]) - 1]
    assert x.get("vs") == want, x
    m = x["spinup_ns"]
    assert m["p50"] > 0, x
    if want:
        assert m["delta_ci95_lo"] <= m["delta"] <= m["delta_ci95_hi"], x
assert "kernel" in s and s["kernel"]["instances_added"] == 75, s.get("kernel")
EOF2
if command -v gnuplot >/dev/null; then
	expect_rc 0 "$CROWD" plot "$tmp/ns" --out "$tmp/plot" --quiet
	[ -s "$tmp/plot/sweep.png" ] || fail "crowd plot drew no sweep.png"
	[ "$(tail -n +2 "$tmp/plot/plot-data/sweep.dat" | awk '{ print $1 }' | paste -sd' ')" = "$NS" ] ||
		fail "sweep.dat steps: $(cat "$tmp/plot/plot-data/sweep.dat")"
else
	skip_part "plot" "gnuplot not installed"
fi
expect_rc 0 "$CROWD" bench --sweep caps -n 3 --workload idle --quiet --out "$tmp/caps"
table=$(sed -n '/^caps sweep/,/^$/p' <<<"$OUT" | awk '$1 ~ /^core-/ { print $1 }' | paste -sd' ')
[ "$table" = "core-nocaps core-defcaps core-allcaps" ] || fail "caps sweep table: '$table'"
python3 - "$tmp/caps" <<'EOF2' || fail "caps sweep host.json"
import json, sys
sec = {k: v["security"]["caps"] for k, v in json.load(open(sys.argv[1] + "/host.json"))["backends"].items()}
assert sec == {"core-nocaps": "none", "core-defcaps": "default", "core-allcaps": "all"}, sec
EOF2
for bad in "--sweep ns --ns pid" "--sweep caps --caps all" "--sweep bogus" \
	"--sweep ns --backend process" "--sweep ns --security-sweep"; do
	# shellcheck disable=SC2086 # options and values are words
	expect_rc 2 "$CROWD" bench $bad -n 1 --workload idle --quiet --out "$tmp/bad"
	[ "$(wc -l <<<"$ERR")" -eq 1 ] && grep -q "allowed" <<<"$ERR" ||
		fail "'$bad': want one line saying what is allowed: $ERR"
	[ ! -e "$tmp/bad" ] || fail "'$bad': wrote a results folder"
done
assert_nothing_left
echo "ok: security 7 steps x 6 rows interleaved, per-step security; ns 15 steps with their bases; caps 3 steps; bad input"
