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

/* ---- set conditions as a hand-written prefix ----
 *
 * libseccomp takes one comparison per argument in a rule, so "args[0] is not one of these
 * five values" (personality) becomes 60 single-bit rules, about 190 of the filter's 300
 * instructions, and the kernel pays for every instruction at every container's load (it
 * converts and JIT-compiles the program each time). The same condition is a dozen classic
 * BPF instructions: on the native ABI, for that call, compare the argument's low word with
 * each allowed value and return ALLOW or the errno. Such a block sits in front of
 * libseccomp's program and falls through to it for everything else; classic BPF jumps are
 * relative, so libseccomp's program is unchanged behind it. The OCI JSON for the peers keeps
 * the expanded rules (they compile it with libseccomp themselves). */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_PREFIX 1
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i)))
#else
#define SC_PREFIX 0 /* the argument's low word is at +4: not worth a second path */
#endif
#define SC_PREFIX_VALUES 17 /* up to four bits' subsets, and all ones */

/* The allowed values of a CROWD_SC_ARG_NOT_IN row: every combination of its bits, and all
 * ones (32-bit). 0 when the set is too large for a prefix. */
static unsigned not_in_values(const struct crowd_sc_row *row, uint32_t out[SC_PREFIX_VALUES])
{
	uint32_t bits = (uint32_t)row->value;
	unsigned k = (unsigned)__builtin_popcount(bits), n = 0;

	if (k > 4 || row->value >> 32)
		return 0;
	/* Walk the subsets of bits: s = (s - bits) & bits enumerates them from 0. */
	uint32_t sub = 0;
	do {
		out[n++] = sub;
		sub = (sub - bits) & bits;
	} while (sub);
	out[n++] = 0xffffffffu;
	return n;
}

/* Append the block for one row at insns[at], returning the new length. */
static unsigned prefix_block(struct sock_filter *f, unsigned at, uint32_t arch, int nr,
			     const struct crowd_sc_row *row, const uint32_t *vals, unsigned nv)
{
	const unsigned len = 5 + nv + 2, end = at + len, allow = end - 1;
	unsigned i = at;

	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, arch));
	i++;
	f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0,
					    (uint8_t)(end - i - 1));
	i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					    offsetof(struct seccomp_data, nr));
	i++;
	f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0,
					    (uint8_t)(end - i - 1));
	i++;
	f[i] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(row->arg));
	i++;
	for (unsigned v = 0; v < nv; v++, i++)
		f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, vals[v],
						    (uint8_t)(allow - i - 1), 0);
	f[i++] = (struct sock_filter)BPF_STMT(
	    BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((uint32_t)row->errno_ret & SECCOMP_RET_DATA));
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return i;
}

/* Whether row is compiled as a prefix block rather than through libseccomp. */
static bool row_is_prefix(const struct crowd_sc_row *row)
{
	uint32_t vals[SC_PREFIX_VALUES];
	return SC_PREFIX && row->cond == CROWD_SC_ARG_NOT_IN && not_in_values(row, vals) > 0;
}

/* Put the prefix blocks of the table's set conditions in front of sc's program. */
static int sc_prefix_add(struct crowd_seccomp *sc, struct crowd_error *err)
{
	struct sock_filter pre[64];
	unsigned n = 0;
#if SC_PREFIX
	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		const struct crowd_sc_row *row = &crowd_sc_table[i];
		uint32_t vals[SC_PREFIX_VALUES];
		unsigned nv = not_in_values(row, vals);
		int nr = seccomp_syscall_resolve_name(row->name);
		if (!row_is_prefix(row) || nr == __NR_SCMP_ERROR)
			continue;
		if (n + 7 + nv > CROWD_ARRAY_SIZE(pre))
			return crowd_error_set(err, E2BIG, "seccomp: prefix for %s", row->name);
		n = prefix_block(pre, n, seccomp_arch_native(), nr, row, vals, nv);
		sc->rules += crowd_sc_expand(row, NULL, 0); /* the rules the block stands for */
	}
#endif
	if (!n)
		return 0;
	if ((size_t)sc->len + n > BPF_MAXINSNS)
		return crowd_error_set(err, E2BIG, "seccomp: filter of %u instructions",
				       sc->len + n);
	struct sock_filter *f = malloc(((size_t)sc->len + n) * sizeof(*f));
	if (!f)
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	memcpy(f, pre, n * sizeof(*f));
	memcpy(f + n, sc->insns, sc->len * sizeof(*f));
	free(sc->insns);
	sc->insns = f;
	sc->len = (unsigned short)(sc->len + n);
	sc_hash(sc);
	return 0;
}

/* Add the default table's rules to ctx (with set_prefix, set conditions are left to the
 * prefix instead). */
static int sc_table_add(scmp_filter_ctx ctx, struct crowd_seccomp *sc, bool set_prefix,
			struct crowd_error *err)
{
	struct crowd_sc_rule rules[CROWD_SC_RULES_MAX];

	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		const struct crowd_sc_row *row = &crowd_sc_table[i];
		int nr = seccomp_syscall_resolve_name(row->name);
		if (nr == __NR_SCMP_ERROR) {
			sc->unknown++;
			continue;
		}
		if (set_prefix && row_is_prefix(row))
			continue;
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

int crowd_seccomp_table_compile(bool set_prefix, struct crowd_seccomp **ret,
				struct crowd_error *err)
{
	struct crowd_seccomp *sc = calloc(1, sizeof(*sc));
	scmp_filter_ctx ctx;
	int r;

	if (!sc)
		return crowd_error_set(err, ENOMEM, "seccomp: out of memory");
	if ((r = sc_ctx_new(SCMP_ACT_ALLOW, false, &ctx, err)) < 0) {
		free(sc);
		return r;
	}
	snprintf(sc->name, sizeof(sc->name), "default");
	if ((r = sc_table_add(ctx, sc, set_prefix, err)) == 0)
		r = sc_export(ctx, sc, err);
	seccomp_release(ctx);
	if (r == 0 && set_prefix)
		r = sc_prefix_add(sc, err);
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
