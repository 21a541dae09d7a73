/* The seccomp policy table, its compiler (libseccomp, exported once to a BPF program) and
 * the per-container load. The JSON profile reader is in seccomp_json.c. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"
#include "seccomp_impl.h"
#include "util.h"

/* Namespace flags of clone(2)'s first argument (Docker's mask). */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)
/* personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26 with either, and
 * 0xffffffff (query). */
#define PERSONA_OK_BITS 0x20008u

#define DENY(n)                                                                                    \
	{                                                                                          \
		n, EPERM, CROWD_SC_ALWAYS, 0, 0                                                    \
	}
const struct crowd_sc_row crowd_sc_table[] = {
    /* Kernel keyring, BPF, perf, userfaultfd, modules, kexec: kernel attack surface. */
    DENY("add_key"),
    DENY("keyctl"),
    DENY("request_key"),
    DENY("bpf"),
    DENY("perf_event_open"),
    DENY("userfaultfd"),
    DENY("init_module"),
    DENY("finit_module"),
    DENY("delete_module"),
    DENY("create_module"),
    DENY("query_module"),
    DENY("get_kernel_syms"),
    DENY("kexec_load"),
    DENY("kexec_file_load"),
    DENY("lookup_dcookie"),
    DENY("fanotify_init"),
    /* Mounts and namespaces: a container keeps the ones it was given. */
    DENY("mount"),
    DENY("umount"),
    DENY("umount2"),
    DENY("pivot_root"),
    DENY("fsopen"),
    DENY("fsconfig"),
    DENY("fsmount"),
    DENY("fspick"),
    DENY("move_mount"),
    DENY("open_tree"),
    DENY("mount_setattr"),
    DENY("setns"),
    DENY("unshare"),
    {"clone", EPERM, CROWD_SC_ARG_ANY_BIT, 0, CLONE_NS_FLAGS},
    /* Arguments behind a pointer cannot be checked: libc falls back to clone on ENOSYS. */
    {"clone3", ENOSYS, CROWD_SC_ALWAYS, 0, 0},
    /* The host's clock, power, swap, accounting, quotas, names, log, terminals. */
    DENY("reboot"),
    DENY("swapon"),
    DENY("swapoff"),
    DENY("acct"),
    DENY("quotactl"),
    DENY("quotactl_fd"),
    DENY("settimeofday"),
    DENY("stime"),
    DENY("clock_settime"),
    DENY("clock_settime64"),
    DENY("sethostname"),
    DENY("setdomainname"),
    DENY("syslog"),
    DENY("vhangup"),
    /* Other processes' memory and files, raw I/O, NUMA policy, file handles. */
    DENY("kcmp"),
    DENY("pidfd_getfd"),
    DENY("process_madvise"),
    DENY("open_by_handle_at"),
    DENY("iopl"),
    DENY("ioperm"),
    DENY("get_mempolicy"),
    DENY("set_mempolicy"),
    DENY("mbind"),
    DENY("move_pages"),
    DENY("set_mempolicy_home_node"),
    /* Obsolete or unimplemented. */
    DENY("_sysctl"),
    DENY("sysfs"),
    DENY("uselib"),
    DENY("ustat"),
    DENY("nfsservctl"),
    DENY("vm86"),
    DENY("vm86old"),
    DENY("afs_syscall"),
    DENY("getpmsg"),
    DENY("putpmsg"),
    DENY("security"),
    DENY("tuxcall"),
    DENY("vserver"),
    /* AF_VSOCK sockets reach the hypervisor. */
    {"socket", EPERM, CROWD_SC_ARG_EQ, 0, 40},
    {"personality", EPERM, CROWD_SC_ARG_NOT_IN, 0, PERSONA_OK_BITS},
};
#undef DENY
const unsigned crowd_sc_table_len = CROWD_ARRAY_SIZE(crowd_sc_table);

static unsigned rule_put(struct crowd_sc_rule *out, unsigned n, unsigned max,
			 const struct crowd_sc_row *row, uint64_t mask, uint64_t value)
{
	if (n < max)
		out[n] = (struct crowd_sc_rule){row->name, row->errno_ret, true, true,
						row->arg,  mask,	   value};
	return n + 1;
}

unsigned crowd_sc_expand(const struct crowd_sc_row *row, struct crowd_sc_rule *out, unsigned max)
{
	const uint64_t top = 1ull << 31;
	unsigned n = 0;

	switch (row->cond) {
	case CROWD_SC_ALWAYS:
		n = 1;
		if (max)
			out[0] = (struct crowd_sc_rule){
			    row->name, row->errno_ret, false, false, 0, 0, 0};
		break;
	case CROWD_SC_ARG_EQ:
		n = 1;
		if (max)
			out[0] = (struct crowd_sc_rule){
			    row->name, row->errno_ret, true, false, row->arg, 0, row->value};
		break;
	case CROWD_SC_ARG_ANY_BIT:
		for (unsigned b = 0; b < 64; b++)
			if (row->value & (1ull << b))
				n = rule_put(out, n, max, row, 1ull << b, 1ull << b);
		break;
	case CROWD_SC_ARG_NOT_IN:
		/* Bit 31 clear: any bit outside the allowed ones. Bit 31 set: any bit clear
		 * (only all ones is allowed). One condition per rule, so one rule per bit. */
		for (unsigned b = 0; b < 31; b++)
			if (!(row->value & (1ull << b)))
				n = rule_put(out, n, max, row, (1ull << b) | top, 1ull << b);
		for (unsigned b = 0; b < 31; b++)
			n = rule_put(out, n, max, row, (1ull << b) | top, top);
		break;
	}
	return n;
}

/* ---- compiling ---- */

int sc_ctx_new(uint32_t def_action, bool foreign_abis, scmp_filter_ctx *ret,
	       struct crowd_error *err)
{
	static const uint32_t arches[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	scmp_filter_ctx ctx = seccomp_init(def_action);
	int r;

	if (!ctx)
		return crowd_error_set(err, EINVAL,
				       "seccomp: libseccomp refused the default action");
	/* The other ABIs of an x86_64 kernel: with the same rules, or refused whole. Refused,
	 * the filter is a third of the size, and the kernel's load of it (a JIT compile at
	 * every container) costs about 100 us less here (docs/security.md). */
	if (!foreign_abis &&
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS))) < 0) {
		seccomp_release(ctx);
		return crowd_error_errno(err, -r, "seccomp: the action for other ABIs");
	}
	if (foreign_abis && seccomp_arch_native() == SCMP_ARCH_X86_64)
		for (unsigned i = 0; i < CROWD_ARRAY_SIZE(arches); i++)
			if ((r = seccomp_arch_add(ctx, arches[i])) < 0 && r != -EEXIST) {
				seccomp_release(ctx);
				return crowd_error_errno(err, -r, "seccomp: adding an ABI");
			}
	/* A binary tree of syscall numbers: a call costs log(rules), not a linear scan. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	*ret = ctx;
	return 0;
}

int sc_rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, const struct crowd_sc_rule *rule,
		struct crowd_error *err)
{
	struct scmp_arg_cmp cmp = {
	    .arg = rule->arg,
	    .op = rule->masked ? SCMP_CMP_MASKED_EQ : SCMP_CMP_EQ,
	    .datum_a = rule->masked ? rule->mask : rule->value,
	    .datum_b = rule->masked ? rule->value : 0,
	};
	int r = seccomp_rule_add_array(ctx, action, nr, rule->with_arg ? 1 : 0, &cmp);
	if (r < 0)
		return crowd_error_errno(err, -r, "seccomp: rule for %s", rule->name);
	return 0;
}

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static void sc_hash(struct crowd_seccomp *sc)
{
	snprintf(sc->hash, sizeof(sc->hash), "%016llx",
		 (unsigned long long)fnv1a(sc->insns, sc->len * sizeof(*sc->insns)));
}

/* Export ctx as classic BPF (through a memfd) into sc. */
int sc_export(scmp_filter_ctx ctx, struct crowd_seccomp *sc, struct crowd_error *err)
{
	_cleanup_close_ int fd = memfd_create("crowd-seccomp", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return crowd_error_errno(err, errno, "seccomp: memfd_create");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return crowd_error_errno(err, -r, "seccomp: exporting the filter");
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return crowd_error_set(err, E2BIG, "seccomp: exported filter of %lld bytes",
				       (long long)size);
	sc->insns = malloc((size_t)size);
	if (!sc->insns)
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	if (pread(fd, sc->insns, (size_t)size, 0) != size)
		return crowd_error_errno(err, errno ? errno : EIO, "seccomp: reading the filter");
	sc->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	sc_hash(sc);
	return 0;
}

/* ---- the table as one hand-written program: a binary search over system call numbers ----
 *
 * When a filter is loaded, the kernel walks it once for every system call number of both x86
 * ABIs (seccomp_cache_prepare: which calls it may allow without running the filter), and
 * beyond a fixed part that walk is what a load costs: a filter of 64 dead instructions loads
 * as fast as a one-instruction one, a chain of 64 comparisons that every number walks costs
 * +125 us (scripts/bench-seccomp.sh, docs/security.md). libseccomp's program (with the
 * binary-tree option) walks ~8,000 instructions over those ~925 numbers. This one is the
 * table's actions on the native ABI as intervals of numbers, searched by a balanced tree of
 * `jge`: an allowed call is decided in about 11 instructions, ~6,400 in all. Argument checks
 * are blocks at their leaves; every leaf ends at one of a few shared returns. Same policy as
 * the libseccomp program (check_security/sc_tree_matches_libseccomp runs both in an
 * interpreter over every number, ABI and argument case); a table the builder cannot lay out
 * (jumps beyond 255) falls back to libseccomp. */

#define ARG_OFF(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(i) ARG_OFF(i)
#define ARG_HI(i) (ARG_OFF(i) + 4)
#else
#define ARG_LO(i) (ARG_OFF(i) + 4)
#define ARG_HI(i) ARG_OFF(i)
#endif
#define SC_X32_BIT    0x40000000u /* x86_64: numbers of the x32 ABI */
#define SC_MAX_INSNS  255	  /* keeps every forward jump within a jt/jf byte */
#define SC_MAX_LABELS 512

struct sc_asm {
	struct sock_filter f[SC_MAX_INSNS];
	int jt[SC_MAX_INSNS], jf[SC_MAX_INSNS]; /* label of each jump's target; -1: next */
	int pos[SC_MAX_LABELS];			/* label -> instruction, -1 until placed */
	unsigned n, nlab;
	bool full;
};

/* An interval of numbers [lo, next interval's lo) with one action. */
struct sc_iv {
	uint32_t lo;
	const struct crowd_sc_row *row; /* NULL: allow */
};

static int sc_label(struct sc_asm *a)
{
	if (a->nlab == SC_MAX_LABELS) {
		a->full = true;
		return 0;
	}
	a->pos[a->nlab] = -1;
	return (int)a->nlab++;
}

static void sc_place(struct sc_asm *a, int label)
{
	a->pos[label] = (int)a->n;
}

/* Emit one instruction; jumps name their targets by label (-1: the next instruction). */
static unsigned sc_emit(struct sc_asm *a, uint16_t code, uint32_t k, int jt, int jf)
{
	if (a->n == SC_MAX_INSNS) {
		a->full = true;
		return 0;
	}
	a->f[a->n] = (struct sock_filter){.code = code, .k = k};
	a->jt[a->n] = jt;
	a->jf[a->n] = jf;
	return a->n++;
}

struct sc_labels {
	int allow, nosys, x32;
	int err[8]; /* one shared return per errno */
	int errno_of[8];
	unsigned nerr;
};

static int sc_err_label(struct sc_asm *a, struct sc_labels *l, int e)
{
	for (unsigned i = 0; i < l->nerr; i++)
		if (l->errno_of[i] == e)
			return l->err[i];
	if (l->nerr == CROWD_ARRAY_SIZE(l->err)) {
		a->full = true;
		return 0;
	}
	l->errno_of[l->nerr] = e;
	return l->err[l->nerr++] = sc_label(a);
}

#define LD_ABS(off) (uint16_t)(BPF_LD | BPF_W | BPF_ABS), (off)
#define JEQ	    (uint16_t)(BPF_JMP | BPF_JEQ | BPF_K)
#define JGE	    (uint16_t)(BPF_JMP | BPF_JGE | BPF_K)
#define JSET	    (uint16_t)(BPF_JMP | BPF_JSET | BPF_K)

/* The block of a row with an argument condition; returns its label. */
static int sc_arg_block(struct sc_asm *a, struct sc_labels *l, const struct crowd_sc_row *row)
{
	int here = sc_label(a), deny = sc_err_label(a, l, row->errno_ret);
	uint32_t lo = (uint32_t)row->value, hi = (uint32_t)(row->value >> 32);

	sc_place(a, here);
	switch (row->cond) {
	case CROWD_SC_ARG_EQ: /* the whole 64-bit argument equals value */
		sc_emit(a, LD_ABS(ARG_LO(row->arg)), -1, -1);
		sc_emit(a, JEQ, lo, -1, l->allow);
		sc_emit(a, LD_ABS(ARG_HI(row->arg)), -1, -1);
		sc_emit(a, JEQ, hi, deny, l->allow);
		break;
	case CROWD_SC_ARG_ANY_BIT: /* any bit of value set, in either word */
		if (lo) {
			sc_emit(a, LD_ABS(ARG_LO(row->arg)), -1, -1);
			sc_emit(a, JSET, lo, deny, hi ? -1 : l->allow);
		}
		if (hi) {
			sc_emit(a, LD_ABS(ARG_HI(row->arg)), -1, -1);
			sc_emit(a, JSET, hi, deny, l->allow);
		}
		if (!lo && !hi)
			a->full = true; /* a condition no value meets: not in the table */
		break;
	case CROWD_SC_ARG_NOT_IN: /* the low word is all ones, or only bits of value */
		sc_emit(a, LD_ABS(ARG_LO(row->arg)), -1, -1);
		sc_emit(a, JEQ, 0xffffffffu, l->allow, -1);
		sc_emit(a, JSET, ~lo, deny, l->allow);
		if (hi)
			a->full = true;
		break;
	case CROWD_SC_ALWAYS:
		a->full = true;
		break;
	}
	return here;
}

/* The subtree deciding intervals lo..hi: its label (a shared return's for a leaf that is
 * one, else code emitted here). */
static int sc_subtree(struct sc_asm *a, struct sc_labels *l, const struct sc_iv *iv, unsigned lo,
		      unsigned hi)
{
	if (lo == hi) {
		const struct crowd_sc_row *row = iv[lo].row;
		if (!row)
			return l->allow;
		if (row->cond == CROWD_SC_ALWAYS)
			return sc_err_label(a, l, row->errno_ret);
		return sc_arg_block(a, l, row);
	}
	unsigned mid = lo + (hi - lo + 1) / 2;
	int here = sc_label(a);
	sc_place(a, here);
	unsigned j = sc_emit(a, JGE, iv[mid].lo, -1, -1);
	int left = sc_subtree(a, l, iv, lo, mid - 1);
	int right = sc_subtree(a, l, iv, mid, hi);
	if (!a->full) {
		a->jt[j] = right;
		a->jf[j] = left;
	}
	return here;
}

static int sc_row_cmp(const void *x, const void *y)
{
	const struct sc_iv *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The table's rows on the native ABI as intervals (allowed gaps between), in ret. */
static int sc_intervals(struct crowd_seccomp *sc, uint32_t arch, struct sc_iv *ret, unsigned max,
			unsigned *ret_n, struct crowd_error *err)
{
	struct sc_iv rows[CROWD_SC_TABLE_MAX];
	unsigned nrows = 0, n = 0;
	uint32_t next = 0;

	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		const struct crowd_sc_row *row = &crowd_sc_table[i];
		int nr = seccomp_syscall_resolve_name_arch(arch, row->name);
		if (nr == __NR_SCMP_ERROR) {
			sc->unknown++;
			continue;
		}
		sc->rules += crowd_sc_expand(row, NULL, 0);
		if (nr < 0) /* a call this ABI does not have */
			continue;
		if (nrows == CROWD_ARRAY_SIZE(rows))
			return crowd_error_set(err, E2BIG, "seccomp: more than %u rows",
					       (unsigned)CROWD_ARRAY_SIZE(rows));
		rows[nrows++] = (struct sc_iv){(uint32_t)nr, row};
	}
	qsort(rows, nrows, sizeof(*rows), sc_row_cmp);
	for (unsigned i = 0; i < nrows; i++) {
		if (i && rows[i].lo == rows[i - 1].lo)
			return crowd_error_set(err, EINVAL, "seccomp: %s and %s are one call",
					       rows[i - 1].row->name, rows[i].row->name);
		if (n + 2 > max)
			return crowd_error_set(err, E2BIG, "seccomp: too many intervals");
		if (rows[i].lo > next)
			ret[n++] = (struct sc_iv){next, NULL};
		/* a denial right after the same denial extends it */
		const struct crowd_sc_row *prev = n ? ret[n - 1].row : NULL;
		if (!(n && rows[i].lo == next && prev && prev->cond == CROWD_SC_ALWAYS &&
		      rows[i].row->cond == CROWD_SC_ALWAYS &&
		      prev->errno_ret == rows[i].row->errno_ret))
			ret[n++] = rows[i];
		next = rows[i].lo + 1;
	}
	if (n == max)
		return crowd_error_set(err, E2BIG, "seccomp: too many intervals");
	ret[n++] = (struct sc_iv){next, NULL};
	*ret_n = n;
	return 0;
}

/* The program, in sc; -E2BIG when it does not fit (the caller uses libseccomp then). */
static int sc_tree_build(struct crowd_seccomp *sc, struct crowd_error *err)
{
	struct sc_iv iv[2 * CROWD_SC_TABLE_MAX + 1];
	struct sc_labels l = {0};
	unsigned niv = 0;
	uint32_t arch = seccomp_arch_native();
	uint32_t audit = arch; /* libseccomp's SCMP_ARCH_* are the AUDIT_ARCH_* values */
	int r;

	if ((r = sc_intervals(sc, arch, iv, CROWD_ARRAY_SIZE(iv), &niv, err)) < 0)
		return r;
	struct sc_asm *a = calloc(1, sizeof(*a));
	if (!a)
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	l.allow = sc_label(a);
	l.nosys = sc_err_label(a, &l, ENOSYS); /* another ABI: what libseccomp's BADARCH says */
	l.x32 = sc_label(a);
	sc_emit(a, LD_ABS(offsetof(struct seccomp_data, arch)), -1, -1);
	sc_emit(a, JEQ, audit, -1, l.nosys);
	sc_emit(a, LD_ABS(offsetof(struct seccomp_data, nr)), -1, -1);
	if (arch == SCMP_ARCH_X86_64)
		sc_emit(a, JGE, SC_X32_BIT, l.x32, -1);
	int root = sc_subtree(a, &l, iv, 0, niv - 1);
	if (a->pos[root] < 0) /* the whole tree is one shared return */
		sc_emit(a, (uint16_t)(BPF_JMP | BPF_JA), 0, root, -1);
	/* x32 numbers are another ABI too, but for -1 (no call: a tracer's skip) */
	sc_place(a, l.x32);
	sc_emit(a, JEQ, 0xffffffffu, l.allow, l.nosys);
	sc_place(a, l.allow);
	sc_emit(a, (uint16_t)(BPF_RET | BPF_K), SECCOMP_RET_ALLOW, -1, -1);
	for (unsigned i = 0; i < l.nerr; i++) {
		sc_place(a, l.err[i]);
		sc_emit(a, (uint16_t)(BPF_RET | BPF_K),
			SECCOMP_RET_ERRNO | ((uint32_t)l.errno_of[i] & SECCOMP_RET_DATA), -1, -1);
	}
	/* Resolve the labels: every jump is forward and within a byte (else libseccomp). */
	for (unsigned i = 0; i < a->n && !a->full; i++) {
		int t[2] = {a->jt[i], a->jf[i]};
		long off[2] = {0, 0};
		for (int k = 0; k < 2; k++)
			if (t[k] >= 0)
				off[k] = (long)a->pos[t[k]] - (long)i - 1;
		if (off[0] < 0 || off[0] > 255 || off[1] < 0 || off[1] > 255) {
			a->full = true;
			break;
		}
		if (a->f[i].code == (BPF_JMP | BPF_JA))
			a->f[i].k = (uint32_t)off[0];
		else if (BPF_CLASS(a->f[i].code) == BPF_JMP) {
			a->f[i].jt = (uint8_t)off[0];
			a->f[i].jf = (uint8_t)off[1];
		}
	}
	if (a->full) {
		free(a);
		return -E2BIG;
	}
	sc->insns = malloc(a->n * sizeof(*sc->insns));
	if (!sc->insns) {
		free(a);
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	}
	memcpy(sc->insns, a->f, a->n * sizeof(*sc->insns));
	sc->len = (unsigned short)a->n;
	free(a);
	sc_hash(sc);
	return 0;
}

/* Add the default table's rules to ctx. */
static int sc_table_add(scmp_filter_ctx ctx, struct crowd_seccomp *sc, struct crowd_error *err)
{
	struct crowd_sc_rule rules[CROWD_SC_RULES_MAX];

	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		const struct crowd_sc_row *row = &crowd_sc_table[i];
		int nr = seccomp_syscall_resolve_name(row->name);
		if (nr == __NR_SCMP_ERROR) {
			sc->unknown++;
			continue;
		}
		unsigned n = crowd_sc_expand(row, rules, CROWD_SC_RULES_MAX);
		if (n > CROWD_SC_RULES_MAX)
			return crowd_error_set(err, E2BIG, "seccomp: %s: %u rules", row->name, n);
		for (unsigned k = 0; k < n; k++) {
			int r = sc_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)row->errno_ret), nr,
					    &rules[k], err);
			if (r < 0)
				return r;
			sc->rules++;
		}
	}
	return 0;
}

int crowd_seccomp_table_compile(bool tree, struct crowd_seccomp **ret, struct crowd_error *err)
{
	struct crowd_seccomp *sc = calloc(1, sizeof(*sc));
	scmp_filter_ctx ctx;
	int r;

	if (!sc)
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	snprintf(sc->name, sizeof(sc->name), "default");
	r = tree ? sc_tree_build(sc, err) : -E2BIG;
	if (r == -E2BIG) {
		sc->rules = sc->unknown = 0;
		if ((r = sc_ctx_new(SCMP_ACT_ALLOW, false, &ctx, err)) == 0) {
			if ((r = sc_table_add(ctx, sc, err)) == 0)
				r = sc_export(ctx, sc, err);
			seccomp_release(ctx);
		}
	}
	if (r < 0) {
		free(sc->insns);
		free(sc);
		return r;
	}
	*ret = sc;
	return 0;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct crowd_seccomp *default_sc;
static struct crowd_error default_err;

static void default_init(void)
{
	crowd_seccomp_table_compile(true, &default_sc, &default_err);
}

int crowd_seccomp_default(const struct crowd_seccomp **ret, struct crowd_error *err)
{
	pthread_once(&default_once, default_init);
	if (!default_sc) {
		if (err)
			*err = default_err;
		return -(default_err.code ? default_err.code : EIO);
	}
	*ret = default_sc;
	return 0;
}

void crowd_seccomp_free(struct crowd_seccomp *sc)
{
	if (!sc || sc == default_sc)
		return;
	free(sc->insns);
	free(sc);
}

int crowd_seccomp_apply(const struct crowd_seccomp *sc, struct crowd_error *err)
{
	struct sock_fprog prog = {.len = sc->len, .filter = sc->insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return crowd_error_set(err, errno, "loading the seccomp filter %s: %s", sc->name,
				       strerrordesc_np(errno));
	return 0;
}

int crowd_seccomp_memfd(const struct crowd_seccomp *sc, struct crowd_error *err)
{
	size_t size = (size_t)sc->len * sizeof(struct sock_filter);
	int fd = memfd_create("crowd-seccomp", MFD_CLOEXEC);

	if (fd < 0)
		return crowd_error_errno(err, errno, "seccomp: memfd_create");
	if (crowd_write_all(fd, sc->insns, size) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		int e = errno;
		close(fd);
		return crowd_error_errno(err, e, "seccomp: writing the filter");
	}
	return fd;
}
