#!/bin/bash
# build/crowd starts with libc and libm only: libcap and jansson are linked statically and
# libhwloc (with libudev) is opened with dlopen when a topology is needed (harness/hwloc_dl.c),
# since every shared library costs time at each exec. The topology is still there for
# `crowd info`, and without the library it is reported unavailable with the reason.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ -x "$CROWD" ] || fail "build/crowd missing: run make"
command -v readelf >/dev/null || skip "needs readelf (binutils)"
command -v python3 >/dev/null || skip "needs python3 to parse JSON"

# Load time: DT_NEEDED holds libc and libm, nothing else.
needed=$(readelf -d "$CROWD" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ -n "$needed" ] || fail "readelf found no NEEDED entry in $CROWD"
for lib in $needed; do
	case $lib in
	libc.so.* | libm.so.* | ld-linux*) ;;
	*) fail "build/crowd needs $lib at load time (allowed: libc, libm; see Makefile PKG_LIBS): $needed" ;;
	esac
done
for lib in libhwloc libudev libcap libjansson; do
	! grep -q "^$lib" <<<"$needed" || fail "$lib is NEEDED"
done

# The loader maps nothing more for a command without topology ...
expect_rc 0 env LD_DEBUG=files "$CROWD" --version
grep -q 'file=libhwloc' <<<"$ERR" && fail "crowd --version loaded libhwloc"
grep -q 'file=libc.so.6' <<<"$ERR" || fail "LD_DEBUG shows no libc: cannot tell what was loaded: $ERR"
# ... and opens libhwloc for one that needs it.
expect_rc 0 env LD_DEBUG=files "$CROWD" info
grep -q 'file=libhwloc.so.15 .*dynamically loaded' <<<"$ERR" || fail "crowd info did not dlopen libhwloc"

# The topology is the one the host has.
expect_rc 0 "$CROWD" info --json
python3 - "$OUT" "$(nproc --all)" <<'PY' || fail "crowd info --json: topology wrong: $OUT"
import json, sys
t = json.loads(sys.argv[1])["topology"]
assert "error" not in t, t
assert t["pus"] == int(sys.argv[2]) and t["cores"] >= 1 and t["packages"] >= 1, t
PY

# Without the library (or with one that is not hwloc): still exit 0, the topology absent
# with dlerror()'s reason, never zeros.
for lib in /nonexistent/libhwloc.so.15 libc.so.6; do
	expect_rc 0 env CROWD_HWLOC_LIB=$lib "$CROWD" info --json
	python3 - "$OUT" "$lib" <<'PY' || fail "CROWD_HWLOC_LIB=$lib: topology not reported unavailable: $OUT"
import json, sys
t = json.loads(sys.argv[1])["topology"]
for k in ("packages", "numa_nodes", "cores", "pus"):
    assert t[k] is None, (k, t[k])
assert t["caches"] == [], t
why = {"/nonexistent/libhwloc.so.15": "cannot open shared object file", "libc.so.6": "undefined symbol: hwloc_"}
assert t["error"].startswith("hwloc: " + sys.argv[2]) and why[sys.argv[2]] in t["error"], t["error"]
PY
	expect_rc 0 env CROWD_HWLOC_LIB=$lib "$CROWD" info
	grep -q "^topology *unavailable: hwloc: $lib" <<<"$OUT" || fail "crowd info table: $OUT"
done
echo "ok"
