# crowd — container performance benchmark and density-test suite.
# make            build build/crowd, build/libcrowd.a, build/workloads/*, build/rootfs
# make run        install missing packages, build, run the default benchmark
# make check      install missing packages, build, run every test
# make bench      run the benchmarks shipped in scripts/bench-*.sh
# make regress    short core benchmark compared with results/reference/baseline
# make baseline   refresh results/reference/baseline
# make regress-ab REV=<commit>  that commit vs this tree, interleaved
# make v2vm       boot a cgroup2-only guest and run the v2 tests there (also in make check)
# make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
B       := build
VERSION := 0.1.0
GIT     := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
# build/version.h names the version and commit. It is rewritten only when they change, and
# only the files that include it depend on it, so a new HEAD rebuilds just those (and the
# results never name an older commit than the one built).
# The library's layers, lowest first (docs/architecture.md; scripts/check-layers.sh holds them).
HARNESS_DIRS := harness/core harness/load harness/results harness/backends harness/engine
VERSION_H := $(B)/version.h
$(shell mkdir -p $(B) && printf '#define CROWD_VERSION "%s"\n#define CROWD_GIT "%s"\n' \
	'$(VERSION)' '$(GIT)' >$(VERSION_H).tmp && \
	{ cmp -s $(VERSION_H).tmp $(VERSION_H) || mv $(VERSION_H).tmp $(VERSION_H); }; \
	rm -f $(VERSION_H).tmp)
VERSION_USERS := $(shell grep -l '^\#include "version.h"' $(HARNESS_DIRS:%=%/*.c) bench/*.c 2>/dev/null)

PKGS    := libcap hwloc jansson libseccomp
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wswitch-enum
ifeq ($(CI),true)
WERROR  := -Werror
endif
CFLAGS  ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# Every shared library costs build/crowd time at each exec, and so does the dynamic loader
# itself (docs/run.md): build/crowd is linked fully static (glibc, libcap.a, libjansson.a,
# libm, pthread) and has no NEEDED entry. libhwloc has no static archive worth linking, so
# the topology comes from build/crowd-topo, a small helper linked normally with libhwloc
# (harness/engine/topo/crowd-topo.c) that crowd runs only when it needs a topology (topology.h).
# Test programs keep the dynamic link (Check, valgrind). tests/it_startup.sh holds that.
STATIC_PKGS := libcap jansson libseccomp
STATIC_LIBS := $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null) -lm -lpthread
PKG_LIBS   := -Wl,-Bstatic $(shell pkg-config --static --libs $(STATIC_PKGS) 2>/dev/null) -Wl,-Bdynamic
HWLOC_LIBS := $(shell pkg-config --libs hwloc 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
XCPPFLAGS := -D_GNU_SOURCE -Iharness -Iworkloads/common -I$(B) \
	-DCROWD_DATADIR='"$(PREFIX)/share/crowd"' -DCROWD_LIBEXECDIR='"$(PREFIX)/libexec/crowd"'
XCFLAGS := -std=gnu11 $(WARN) $(WERROR) $(CFLAGS) $(PKG_CFLAGS)
LIBS    := $(PKG_LIBS) -lm -lpthread

LIB_SRCS   := $(sort $(wildcard $(HARNESS_DIRS:%=%/*.c)))
LIB_OBJS   := $(LIB_SRCS:%.c=$(B)/obj/%.o)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_OBJS := $(BENCH_SRCS:%.c=$(B)/obj/%.o)

# Workloads: workloads/<name>/*.c (+ workloads/common/*.c) -> static build/workloads/<name>.
WL_NAMES   := $(notdir $(patsubst %/,%,$(filter-out workloads/common/,$(sort $(dir $(wildcard workloads/*/main.c))))))
WL_BINS    := $(WL_NAMES:%=$(B)/workloads/%)
WL_COMMON  := $(wildcard workloads/common/*.c)
WL_CC      := $(shell command -v musl-gcc 2>/dev/null || echo $(CC))
WL_CFLAGS  := -std=gnu11 $(WARN) $(WERROR) -Os -g0 -static -D_GNU_SOURCE -Iworkloads/common
# Workload code except the main.c files, built for the host so the tests can link it.
WL_LIB_SRCS := $(filter-out %/main.c,$(sort $(wildcard workloads/*/*.c)))
WL_LIB_OBJS := $(WL_LIB_SRCS:%.c=$(B)/obj/%.o)

CHECK_SRCS := $(sort $(wildcard tests/check_*.c))
CHECK_BINS := $(CHECK_SRCS:tests/%.c=$(B)/tests/%)

.PHONY: all deps run check test bench install clean format lint rootfs workloads regress baseline regress-ab
all: $(B)/crowd $(B)/crowd-topo $(B)/libcrowd.a workloads rootfs

deps:
	@scripts/deps.sh

$(B)/obj/%.o: %.c $(wildcard $(HARNESS_DIRS:%=%/*.h) bench/*.h workloads/common/*.h workloads/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(XCPPFLAGS) $(XCFLAGS) -c -o $@ $<

$(VERSION_USERS:%.c=$(B)/obj/%.o): $(VERSION_H)

$(B)/libcrowd.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(B)/libwl.a: $(WL_LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@ && ar rcs $@ $^

$(B)/crowd: $(BENCH_OBJS) $(B)/libcrowd.a
	@echo "  LD      $@ (static)"
	@$(CC) $(XCFLAGS) -static -o $@ $(BENCH_OBJS) $(B)/libcrowd.a $(STATIC_LIBS)

# The topology helper: the only program linked with libhwloc (format in its source).
$(B)/crowd-topo: harness/engine/topo/crowd-topo.c
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(XCPPFLAGS) $(XCFLAGS) -o $@ $< $(HWLOC_LIBS)

# The same objects as build/crowd, linked dynamically, for valgrind (it cannot follow malloc
# in a static binary): tests/it_info.sh. Not installed.
$(B)/tests/crowd-dynamic: $(BENCH_OBJS) $(B)/libcrowd.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(XCFLAGS) -o $@ $(BENCH_OBJS) $(B)/libcrowd.a $(LIBS)

# Test programs find the helper beside themselves, as crowd does.
$(B)/tests/crowd-topo: | $(B)/crowd-topo
	@mkdir -p $(dir $@)
	@ln -sfn ../crowd-topo $@

workloads: $(WL_BINS)
$(B)/workloads/%: workloads/%/*.c $(WL_COMMON) $(wildcard workloads/common/*.h workloads/*/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $@ (static)"
	@$(WL_CC) $(WL_CFLAGS) -o $@ $(wildcard workloads/$*/*.c) $(WL_COMMON)

# The vm backend's kernels and initramfs images: Debian's (unpacked to ELF for PVH,
# --vm-kernel debian) and crowd's minimal one, built from linux-source with
# vm/kernel/crowd-guest.config (--vm-kernel minimal, the default once built; ~8 min on 2
# cores, then cached under $(B)/vm/kernel-<hash>). Not part of `all`: they need
# linux-image-amd64 and linux-source installed (scripts/deps.sh does that).
.PHONY: vm vm-debian vm-minimal
vm: vm-debian vm-minimal
vm-debian: $(B)/vm/initramfs.cpio.gz
vm-minimal: $(B)/vm/minimal/initramfs.cpio.gz
$(B)/vm/initramfs.cpio.gz: $(WL_BINS) scripts/mkvm.sh
	scripts/mkvm.sh $(B)/vm
$(B)/vm/minimal/initramfs.cpio.gz: $(WL_BINS) scripts/mkvm.sh scripts/mkkernel.sh \
		vm/kernel/crowd-guest.config
	scripts/mkkernel.sh $(B)/vm

# The cgroup v2 test VM (issue 17): the Debian kernel with cgroup_no_v1=all runs
# tests/vm/guest.sh in one boot (scripts/v2vm.sh; `make check` runs it as
# tests/it_cgroup_v2_vm.sh). Kept apart from the vm backend's images on purpose.
.PHONY: v2vm
v2vm: all
	scripts/v2vm.sh run

rootfs: $(B)/rootfs/.stamp
$(B)/rootfs/.stamp: $(WL_BINS) scripts/mkrootfs.sh
	scripts/mkrootfs.sh $(B)/rootfs $(WL_BINS)
	@touch $@

$(B)/tests/%: tests/%.c $(B)/libcrowd.a $(B)/libwl.a $(wildcard tests/*.h) $(VERSION_H) | $(B)/tests/crowd-topo
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(XCPPFLAGS) $(XCFLAGS) -Itests -o $@ $< $(B)/libwl.a $(B)/libcrowd.a $(LIBS) $(CHECK_LIBS)

run: deps
	$(MAKE) all
	$(B)/crowd bench
	@if command -v gnuplot >/dev/null; then $(B)/crowd plot results/runs/latest; fi

# Figures of the newest run, or of DIRS="a b" overlaid, with crowd plot (docs/plot.md).
.PHONY: plot
plot: $(B)/crowd
	$(B)/crowd plot $(or $(DIRS),results/runs/latest)

check: deps
	$(MAKE) all vm tests
	scripts/run-tests.sh

tests: $(CHECK_BINS) $(B)/tests/crowd-dynamic $(B)/tests/crowd-topo
test: check

bench: deps
	$(MAKE) all
	@for s in scripts/bench-*.sh; do echo "== $$s"; $$s || exit 1; done

# make regress: short core benchmark vs results/reference/baseline (exit 1 on a regression;
# report only with CI=true). make baseline: refresh that baseline.
regress: all
	scripts/regress.sh run

baseline: all
	scripts/regress.sh baseline

# make regress-ab REV=<commit>: that commit and this tree run alternately, compared by rounds.
regress-ab: all
	scripts/regress.sh ab $(REV)

bench-%: all
	scripts/bench-$*.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/crowd $(DESTDIR)$(PREFIX)/libexec/crowd
	install -m 755 $(B)/crowd $(DESTDIR)$(PREFIX)/bin/crowd
	install -m 755 $(B)/crowd-topo $(DESTDIR)$(PREFIX)/libexec/crowd/crowd-topo
	cp -a $(B)/rootfs $(DESTDIR)$(PREFIX)/share/crowd/
	cp -a scripts/*.gp $(DESTDIR)$(PREFIX)/share/crowd/ 2>/dev/null || true

format:
	clang-format -i $(LIB_SRCS) $(BENCH_SRCS) $(wildcard $(HARNESS_DIRS:%=%/*.h) bench/*.h workloads/*/*.[ch] tests/*.[ch])

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr -D_GNU_SOURCE -Iharness harness bench workloads
	shellcheck scripts/*.sh tests/*.sh .ci/run

clean:
	rm -rf $(B)
