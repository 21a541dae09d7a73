/* The seccomp policy table, its compiler (libseccomp, exported once to a BPF program) and
 * the per-container load. The JSON profile reader is in seccomp_json.c. */
#include <errno.h>
#include <linux/seccomp.h>
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
	snprintf(sc->hash, sizeof(sc->hash), "%016llx",
		 (unsigned long long)fnv1a(sc->insns, (size_t)size));
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

static int sc_default_build(struct crowd_seccomp *sc, struct crowd_error *err)
{
	scmp_filter_ctx ctx;
	int r = sc_ctx_new(SCMP_ACT_ALLOW, false, &ctx, err);

	if (r < 0)
		return r;
	snprintf(sc->name, sizeof(sc->name), "default");
	if ((r = sc_table_add(ctx, sc, err)) == 0)
		r = sc_export(ctx, sc, err);
	seccomp_release(ctx);
	return r;
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static struct crowd_seccomp default_sc;
static struct crowd_error default_err;

static void default_init(void)
{
	if (sc_default_build(&default_sc, &default_err) < 0) {
		free(default_sc.insns);
		default_sc.insns = NULL;
	}
}

int crowd_seccomp_default(const struct crowd_seccomp **ret, struct crowd_error *err)
{
	pthread_once(&default_once, default_init);
	if (!default_sc.insns) {
		if (err)
			*err = default_err;
		return -(default_err.code ? default_err.code : EIO);
	}
	*ret = &default_sc;
	return 0;
}

void crowd_seccomp_free(struct crowd_seccomp *sc)
{
	if (!sc || sc == &default_sc)
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
