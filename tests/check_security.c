/* Security features: the --security list, the seccomp policy table, its compiled filter
 * (loaded in forked children), the JSON profile reader and OCI writer, the device rules,
 * and the registry's refusal of a directory someone else made. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/registry.h"
#include "core/security.h"
#include "core/util.h"
#include "testutil.h"

/* ---- --security ---- */

START_TEST(sec_parse_lists)
{
	struct crowd_error err = {0};
	unsigned b = 0;
	char buf[96];

	ck_assert_int_eq(crowd_sec_parse("all", &b, &err), 0);
	ck_assert_uint_eq(b, CROWD_SEC_ALL);
	ck_assert_int_eq(crowd_sec_parse("none", &b, &err), 0);
	ck_assert_uint_eq(b, 0);
	ck_assert_int_eq(crowd_sec_parse("seccomp,devices", &b, &err), 0);
	ck_assert_uint_eq(b, CROWD_SEC_SECCOMP | CROWD_SEC_DEVICES);
	crowd_sec_format(b, buf, sizeof(buf));
	ck_assert_str_eq(buf, "devices,seccomp");
	crowd_sec_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	crowd_sec_format(CROWD_SEC_ALL, buf, sizeof(buf));
	ck_assert_int_eq(crowd_sec_parse(buf, &b, &err), 0);
	ck_assert_uint_eq(b, CROWD_SEC_ALL);
	b = 7;
	ck_assert_int_eq(crowd_sec_parse("nnp,bogus", &b, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "'bogus'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "sys-ro"));
	ck_assert_uint_eq(b, 7);
	ck_assert_int_eq(crowd_sec_parse("nnp,", &b, &err), -EINVAL);
	ck_assert_int_eq(crowd_sec_parse("", &b, &err), -EINVAL);
}
END_TEST

/* ---- the policy table ---- */

/* Does one expanded rule deny this call? */
static bool rules_deny(const struct crowd_sc_rule *r, unsigned n, uint64_t arg0)
{
	for (unsigned i = 0; i < n; i++) {
		if (!r[i].with_arg)
			return true;
		if (r[i].masked ? (arg0 & r[i].mask) == r[i].value : arg0 == r[i].value)
			return true;
	}
	return false;
}

static const struct crowd_sc_row *row_find(const char *name)
{
	for (unsigned i = 0; i < crowd_sc_table_len; i++)
		if (!strcmp(crowd_sc_table[i].name, name))
			return &crowd_sc_table[i];
	return NULL;
}

START_TEST(sc_table_names_known)
{
	/* Every name is a system call on some ABI libseccomp knows, and none repeats. */
	for (unsigned i = 0; i < crowd_sc_table_len; i++) {
		ck_assert_msg(seccomp_syscall_resolve_name(crowd_sc_table[i].name) !=
				  __NR_SCMP_ERROR,
			      "%s unknown", crowd_sc_table[i].name);
		for (unsigned k = 0; k < i; k++)
			ck_assert_str_ne(crowd_sc_table[i].name, crowd_sc_table[k].name);
	}
	/* What Docker's default refuses (with its 14 capabilities) is in the table. */
	static const char *const docker[] = {
	    "keyctl",
	    "add_key",
	    "request_key",
	    "bpf",
	    "perf_event_open",
	    "userfaultfd",
	    "kexec_load",
	    "kexec_file_load",
	    "open_by_handle_at",
	    "init_module",
	    "finit_module",
	    "delete_module",
	    "mount",
	    "umount2",
	    "pivot_root",
	    "swapon",
	    "swapoff",
	    "reboot",
	    "setns",
	    "unshare",
	    "clone",
	    "clone3",
	    "acct",
	    "settimeofday",
	    "clock_settime",
	    "sethostname",
	    "syslog",
	    "iopl",
	    "ioperm",
	    "kcmp",
	    "pidfd_getfd",
	    "mbind",
	    "set_mempolicy",
	    "fsopen",
	    "move_mount",
	    "open_tree",
	    "quotactl",
	    "vhangup",
	    "personality",
	    "socket",
	    "lookup_dcookie",
	    "fanotify_init",
	    "process_madvise",
	    "get_mempolicy",
	    "move_pages",
	};
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(docker); i++)
		ck_assert_msg(row_find(docker[i]), "%s missing from the table", docker[i]);
	ck_assert_int_eq(row_find("clone3")->errno_ret, ENOSYS);
}
END_TEST

START_TEST(sc_expand_conditions)
{
	struct crowd_sc_rule r[CROWD_SC_RULES_MAX];
	unsigned n;

	n = crowd_sc_expand(row_find("clone"), r, CROWD_SC_RULES_MAX);
	ck_assert_uint_eq(n, 7);
	ck_assert(rules_deny(r, n, CLONE_NEWUSER | SIGCHLD));
	ck_assert(rules_deny(r, n, CLONE_NEWNET));
	ck_assert(!rules_deny(r, n,
			      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				  CLONE_SETTLS | SIGCHLD));
	/* personality: exactly Docker's allowed values pass. */
	n = crowd_sc_expand(row_find("personality"), r, CROWD_SC_RULES_MAX);
	ck_assert_uint_le(n, CROWD_SC_RULES_MAX);
	static const uint64_t ok[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
	static const uint64_t bad[] = {1,	   ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, 0x20009,
				       0x80000000, 0xfffffffe,	      0x7fffffff,	 9};
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(ok); i++)
		ck_assert_msg(!rules_deny(r, n, ok[i]), "0x%llx denied", (unsigned long long)ok[i]);
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(bad); i++)
		ck_assert_msg(rules_deny(r, n, bad[i]), "0x%llx allowed",
			      (unsigned long long)bad[i]);
	n = crowd_sc_expand(row_find("socket"), r, CROWD_SC_RULES_MAX);
	ck_assert(rules_deny(r, n, 40) && !rules_deny(r, n, AF_INET));
	ck_assert_uint_eq(crowd_sc_expand(row_find("keyctl"), r, CROWD_SC_RULES_MAX), 1);
}
END_TEST

START_TEST(sc_default_compiles_once)
{
	const struct crowd_seccomp *a, *b;
	struct crowd_error err = {0};

	ck_assert_int_eq(crowd_seccomp_default(&a, &err), 0);
	ck_assert_int_eq(crowd_seccomp_default(&b, &err), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_str_eq(a->name, "default");
	ck_assert_uint_eq(a->unknown, 0);
	ck_assert_uint_gt(a->rules, crowd_sc_table_len);
	ck_assert_uint_gt(a->len, 0);
	ck_assert_uint_eq(strlen(a->hash), 16);
}
END_TEST

/* The forked child pid exited 0. */
static void assert_child_ok(pid_t pid)
{
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

/* In a child under sc: how many of the personality values get a different answer from the
 * table's own rules (crowd_sc_expand), so 0 means the filter is exactly the table. */
static int personality_mismatches(const struct crowd_seccomp *sc, const uint32_t *vals, unsigned n)
{
	struct crowd_sc_rule r[CROWD_SC_RULES_MAX];
	unsigned nr = crowd_sc_expand(row_find("personality"), r, CROWD_SC_RULES_MAX);
	struct crowd_error err = {0};
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int bad = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || crowd_seccomp_apply(sc, &err) < 0)
			_exit(255);
		for (unsigned i = 0; i < n; i++) {
			errno = 0;
			bool denied = syscall(SYS_personality, (unsigned long)vals[i]) == -1 &&
				      errno == EPERM;
			if (denied != rules_deny(r, nr, vals[i]) && bad < 254) {
				fprintf(stderr, "personality(0x%x): %s\n", vals[i],
					denied ? "denied" : "allowed");
				bad++;
			}
		}
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* What the kernel runs, for the instructions the two compilers use; aborts on any other. */
static uint32_t bpf_run(const struct crowd_seccomp *sc, const struct seccomp_data *d,
			unsigned *ret_const_steps)
{
	uint32_t A = 0;
	unsigned steps = 0;
	bool is_const = true;

	for (unsigned pc = 0; pc < sc->len; pc++) {
		const struct sock_filter *f = &sc->insns[pc];
		if (is_const)
			steps++;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k + 4 > sizeof(*d))
				ck_abort_msg("%s: load beyond seccomp_data", sc->name);
			memcpy(&A, (const char *)d + f->k, 4);
			/* the kernel's load-time walk stops at an argument (not constant) */
			if (f->k >= offsetof(struct seccomp_data, args))
				is_const = false;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += A == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += A > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += A >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (A & f->k) ? f->jt : f->jf;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			A &= f->k;
			break;
		case BPF_RET | BPF_K:
			if (ret_const_steps)
				*ret_const_steps += steps;
			return f->k;
		default:
			ck_abort_msg("%s: instruction %u: code 0x%x not interpreted", sc->name, pc,
				     f->code);
		}
	}
	ck_abort_msg("%s: ran off the end", sc->name);
	return 0;
}

/* Both programs on d: 1 when they differ (the first few are printed). */
static unsigned differ(const struct crowd_seccomp *tree, const struct crowd_seccomp *lib,
		       const struct seccomp_data *d, unsigned *steps_tree, unsigned *steps_lib)
{
	static unsigned printed;
	uint32_t t = bpf_run(tree, d, steps_tree), l = bpf_run(lib, d, steps_lib);
	if (t == l)
		return 0;
	if (printed++ < 10)
		fprintf(stderr, "arch 0x%x nr %d args 0x%llx 0x%llx: tree 0x%x, libseccomp 0x%x\n",
			d->arch, d->nr, (unsigned long long)d->args[0],
			(unsigned long long)d->args[1], t, l);
	return 1;
}

/* Argument words of every kind: Docker's personality values and edges, each bit alone (the
 * clone flags), AF_VSOCK and its neighbours, and pseudo-random ones. */
static unsigned arg_words(uint32_t *w, unsigned max)
{
	static const uint32_t fixed[] = {0,
					 1,
					 8,
					 40,
					 41,
					 0x20000,
					 0x20008,
					 0x20009,
					 0xffffffff,
					 0xfffffffe,
					 0x7fffffff,
					 0x80000000,
					 ADDR_NO_RANDOMIZE,
					 READ_IMPLIES_EXEC};
	unsigned n = 0;
	uint32_t x = 12345;

	for (; n < CROWD_ARRAY_SIZE(fixed); n++)
		w[n] = fixed[n];
	for (unsigned b = 0; b < 32; b++)
		w[n++] = 1u << b;
	for (; n < max; n++) {
		x = x * 1103515245u + 12345u; /* values with few and with many bits set */
		w[n] = n % 3 ? x : x & (x >> 7) & 0x2000f;
	}
	return n;
}

/* The default filter (crowd's binary search over call numbers) and the same table all
 * through libseccomp give the same answer for every call number of every ABI, and for the
 * argument-checked calls (and two others) with argument words of every kind, high words
 * included; the kernel's walk of it at load time (to the first return or argument load) is
 * shorter, which is what it is for; and the real kernel agrees on personality. */
START_TEST(sc_tree_matches_libseccomp)
{
	static const uint32_t arches[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
					  0};
	static const uint32_t ranges[][2] = {
	    {0, 1199}, {0x3ffffffe, 0x400004af}, {0xfffffff0, 0xffffffff}};
	const struct crowd_seccomp *tree;
	struct crowd_seccomp *lib = NULL;
	struct crowd_error err = {0};
	uint32_t words[400];
	unsigned nw = arg_words(words, CROWD_ARRAY_SIZE(words));
	unsigned bad = 0, steps_tree = 0, steps_lib = 0, nargnr = 2;
	int argnr[CROWD_SC_TABLE_MAX] = {0, 60}; /* read, exit: no condition */

	for (unsigned i = 0; i < crowd_sc_table_len; i++)
		if (crowd_sc_table[i].cond != CROWD_SC_ALWAYS &&
		    (argnr[nargnr] = seccomp_syscall_resolve_name(crowd_sc_table[i].name)) >= 0)
			nargnr++;
	ck_assert_uint_ge(nargnr, 5);
	ck_assert_int_eq(crowd_seccomp_default(&tree, &err), 0);
	ck_assert_int_eq(crowd_seccomp_table_compile(false, &lib, &err), 0);
	ck_assert_msg(tree->len < lib->len, "tree %u insns, libseccomp %u", tree->len, lib->len);
	ck_assert_uint_eq(tree->rules, lib->rules);
	for (unsigned ai = 0; ai < CROWD_ARRAY_SIZE(arches); ai++)
		for (unsigned ri = 0; ri < CROWD_ARRAY_SIZE(ranges); ri++)
			for (uint64_t nr = ranges[ri][0]; nr <= ranges[ri][1]; nr++) {
				struct seccomp_data d = {.nr = (int)(uint32_t)nr,
							 .arch = arches[ai]};
				bool walk = ai < 2 && nr < 1200; /* both ABIs the kernel walks */
				bad += differ(tree, lib, &d, walk ? &steps_tree : NULL,
					      walk ? &steps_lib : NULL);
			}
	for (unsigned i = 0; i < nargnr; i++)
		for (unsigned w = 0; w < nw; w++)
			for (unsigned h = 0; h < 3; h++)
				for (unsigned arg = 0; arg < 2; arg++) {
					uint64_t hi = h == 0   ? 0
						      : h == 1 ? 0xffffffffu
							       : words[nw - 1 - w];
					struct seccomp_data d = {.nr = argnr[i],
								 .arch = AUDIT_ARCH_X86_64};
					d.args[arg] = hi << 32 | words[w];
					bad += differ(tree, lib, &d, NULL, NULL);
				}
	ck_assert_uint_eq(bad, 0);
	ck_assert_msg(steps_tree * 10 < steps_lib * 9, "load-time walk: tree %u, libseccomp %u",
		      steps_tree, steps_lib);
	ck_assert_int_eq(personality_mismatches(tree, words, 300), 0);
	ck_assert_int_eq(personality_mismatches(lib, words, 300), 0);
	crowd_seccomp_free(lib);
}
END_TEST

/* A plain fork still works under the filter (clone without namespace flags). */
static int fork_ok(void)
{
	int st;
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) ? 0 : -1;
}

static long x86_int80(long nr, long a0)
{
	long ret;
	/* The compat entry zeroes r8-r11 on return. */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a0)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* Can this kernel run i386 system calls (IA32 emulation)? Probed in a child: without it
 * int 0x80 is a SIGSEGV. */
static bool ia32_available(void)
{
	int st;
	pid_t p = fork();
	if (p == 0)
		_exit(x86_int80(20 /* getpid */, 0) > 0 ? 0 : 1);
	return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* In a child: load the default filter, then try what it must refuse and what it must not. */
START_TEST(sc_default_refuses_in_child)
{
	const struct crowd_seccomp *sc;
	struct crowd_error err = {0};

	ck_assert_int_eq(crowd_seccomp_default(&sc, &err), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int code = 0;
#define EXPECT(call, e)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		if ((call) != -1 || errno != (e)) {                                                \
			fprintf(stderr, "%s: errno %d, want %d\n", #call, errno, e);               \
			code = 1;                                                                  \
		}                                                                                  \
	} while (0)
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || crowd_seccomp_apply(sc, &err) < 0)
			_exit(2);
		EXPECT(unshare(CLONE_NEWUSER), EPERM);
		EXPECT(unshare(CLONE_NEWNS), EPERM);
		EXPECT(syscall(SYS_clone3, NULL, 0), ENOSYS);
		EXPECT(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0), EPERM);
		EXPECT(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
		EXPECT(syscall(SYS_bpf, 0, 0, 0), EPERM);
		EXPECT(mount("none", "/", "tmpfs", 0, NULL), EPERM);
		EXPECT(personality(ADDR_NO_RANDOMIZE), EPERM);
		EXPECT(socket(40, SOCK_STREAM, 0), EPERM);
		/* The x32 ABI is refused whole: unshare (272) and even getpid (39). */
		EXPECT(syscall(0x40000000 | 272, CLONE_NEWUSER), ENOSYS);
		EXPECT(syscall(0x40000000 | 39), ENOSYS);
		/* Still allowed: */
		if (personality(0xffffffff) == -1 || getpid() <= 0 || fork_ok() < 0)
			code = 1;
		_exit(code);
	}
	assert_child_ok(pid);
}
END_TEST

/* The i386 ABI (int 0x80) is refused whole: unshare (310) and getpid (20) alike. */
START_TEST(sc_default_refuses_i386)
{
	const struct crowd_seccomp *sc;

	if (!ia32_available())
		CROWD_SKIP("the kernel has no IA32 emulation (int 0x80 faults)");
	ck_assert_int_eq(crowd_seccomp_default(&sc, NULL), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || crowd_seccomp_apply(sc, NULL) < 0)
			_exit(2);
		_exit(x86_int80(310, CLONE_NEWUSER) == -ENOSYS && x86_int80(20, 0) == -ENOSYS ? 0
											      : 1);
	}
	assert_child_ok(pid);
}
END_TEST

/* ---- JSON profiles ---- */

static char tmpdir[256];

static const char *write_profile(const char *name, const char *text)
{
	return crowd_test_write(tmpdir, name, text, 0644);
}

static void profile_setup(void)
{
	crowd_test_mkdtemp(tmpdir, sizeof(tmpdir), "crowd-sec");
}

static void profile_teardown(void)
{
	crowd_test_rmtree(tmpdir);
}

START_TEST(sc_json_good)
{
	struct crowd_seccomp *sc = NULL;
	struct crowd_error err = {0};
	/* mkdir gets EACCES; an unknown name is skipped and counted; a rule for a capability
	 * the default set lacks does not apply (Docker's includes). */
	const char *path = write_profile(
	    "good.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
			 "{\"names\": [\"mkdir\", \"mkdirat\", \"no_such_syscall\"], \"action\": "
			 "\"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
			 "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\", "
			 "\"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
			 "{\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": "
			 "[{\"index\": 1, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}\n");

	ck_assert_int_eq(crowd_seccomp_load_file(path, &sc, &err), 0);
	ck_assert_str_eq(sc->name, "good.json");
	ck_assert_uint_eq(sc->unknown, 1);
	ck_assert_uint_eq(sc->rules, 3);
	pid_t pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || crowd_seccomp_apply(sc, &err) < 0)
			_exit(2);
		char d[300];
		snprintf(d, sizeof(d), "%s/x", tmpdir);
		_exit(mkdir(d, 0700) == -1 && errno == EACCES && getppid() > 0 ? 0 : 1);
	}
	assert_child_ok(pid);
	crowd_seccomp_free(sc);
}
END_TEST

START_TEST(sc_json_docker_default_shape)
{
	/* Docker's shape: an allowlist under a default ERRNO, clone3 with ENOSYS. */
	struct crowd_seccomp *sc = NULL;
	struct crowd_error err = {0};
	const char *path = write_profile(
	    "docker.json",
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"syscalls\": ["
	    "{\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": "
	    "\"SCMP_ACT_ALLOW\"},"
	    "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38,"
	    " \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
	    "{\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"includes\": {\"arches\": [\"amd64\", \"x32\"]}},"
	    "{\"names\": [\"s390_runtime_instr\"], \"action\": \"SCMP_ACT_ALLOW\", "
	    "\"includes\": {\"arches\": [\"s390x\"]}}]}");
	ck_assert_int_eq(crowd_seccomp_load_file(path, &sc, &err), 0);
	ck_assert_uint_eq(sc->rules, 5);
	crowd_seccomp_free(sc);
}
END_TEST

START_TEST(sc_json_bad)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
	    {"{\"defaultAction\": ", "line 1"},
	    {"[]", "not a JSON object"},
	    {"{}", "defaultAction: missing"},
	    {"{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "'SCMP_ACT_MAYBE' unknown"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "syscalls: not an array"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": "
	     "\"SCMP_ACT_ERRNO\"}]}",
	     "syscalls[0]: no \"names\""},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
	     "syscalls[0]: action: missing"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 9, \"value\": 1, "
	     "\"op\": \"SCMP_CMP_EQ\"}]}]}",
	     "args[0]: want index 0..5"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
	     "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
	     "\"op\": \"SCMP_CMP_SOMETIMES\"}]}]}",
	     "op 'SCMP_CMP_SOMETIMES' unknown"},
	    {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [7], "
	     "\"action\": \"SCMP_ACT_ERRNO\"}]}",
	     "names[0]: not a string"},
	    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 99999}",
	     "defaultErrnoRet: want"},
	};
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(cases); i++) {
		struct crowd_seccomp *sc = NULL;
		struct crowd_error err = {0};
		const char *path = write_profile("bad.json", cases[i].text);
		ck_assert_int_eq(crowd_seccomp_load_file(path, &sc, &err), -EINVAL);
		ck_assert_ptr_null(sc);
		ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, cases[i].says),
			      "case %u: '%s'", i, err.msg);
	}
	struct crowd_seccomp *sc = NULL;
	struct crowd_error err = {0};
	ck_assert_int_lt(crowd_seccomp_load_file("/nonexistent/p.json", &sc, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/p.json"));
}
END_TEST

START_TEST(sc_oci_json_from_table)
{
	json_t *o = crowd_seccomp_oci_json();
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "defaultAction")), "SCMP_ACT_ALLOW");
	json_t *calls = json_object_get(o, "syscalls"), *e;
	size_t i;
	unsigned clone = 0, names = 0;
	bool keyctl = false, clone3 = false;
	json_array_foreach(calls, i, e)
	{
		json_t *n = json_object_get(e, "names");
		const char *first = json_string_value(json_array_get(n, 0));
		names += (unsigned)json_array_size(n);
		for (size_t k = 0; k < json_array_size(n); k++)
			keyctl |= !strcmp(json_string_value(json_array_get(n, k)), "keyctl");
		if (!strcmp(first, "clone")) {
			clone++;
			ck_assert_str_eq(json_string_value(json_object_get(
					     json_array_get(json_object_get(e, "args"), 0), "op")),
					 "SCMP_CMP_MASKED_EQ");
		}
		if (!strcmp(first, "clone3"))
			clone3 = json_integer_value(json_object_get(e, "errnoRet")) == ENOSYS;
	}
	ck_assert(keyctl && clone3);
	ck_assert_uint_eq(clone, 7);
	/* One name per rule the compiler adds, no more, no fewer. */
	const struct crowd_seccomp *sc;
	ck_assert_int_eq(crowd_seccomp_default(&sc, NULL), 0);
	ck_assert_uint_eq(names, sc->rules);
	json_decref(o);
}
END_TEST

/* ---- devices ---- */

START_TEST(dev_table_allows_what_dev_holds)
{
	/* crowd's /dev (rootfs.c) and Docker's default: null zero full random urandom tty
	 * ptmx pts; read and write, and mknod of anything. */
	static const unsigned ok[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},
					 {1, 9}, {5, 0}, {5, 2}, {136, 4}};
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(ok); i++) {
		ck_assert(crowd_dev_allowed('c', ok[i][0], ok[i][1], 'r'));
		ck_assert(crowd_dev_allowed('c', ok[i][0], ok[i][1], 'w'));
	}
	ck_assert(crowd_dev_allowed('c', 4, 1, 'm'));
	ck_assert(crowd_dev_allowed('b', 8, 0, 'm'));
	/* Host ttys, memory, disks, the kernel log, fuse, tun, kvm: no. */
	static const unsigned no[][2] = {{4, 1},    {1, 1},    {1, 2},	  {1, 11},
					 {10, 229}, {10, 200}, {10, 232}, {5, 1}};
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(no); i++)
		ck_assert_msg(!crowd_dev_allowed('c', no[i][0], no[i][1], 'r') &&
				  !crowd_dev_allowed('c', no[i][0], no[i][1], 'w'),
			      "c %u:%u allowed", no[i][0], no[i][1]);
	ck_assert(!crowd_dev_allowed('b', 8, 0, 'r'));
	ck_assert(!crowd_dev_allowed('b', 1, 3, 'r'));

	char line[64];
	crowd_dev_rule_format(&crowd_dev_table[0], line, sizeof(line));
	ck_assert_str_eq(line, "c *:* m");
	for (unsigned i = 0; i < crowd_dev_table_len; i++)
		if (crowd_dev_table[i].major == 136) {
			crowd_dev_rule_format(&crowd_dev_table[i], line, sizeof(line));
			ck_assert_str_eq(line, "c 136:* rwm");
		}
	struct bpf_insn prog[128];
	unsigned n = crowd_dev_bpf_build(prog, CROWD_ARRAY_SIZE(prog));
	ck_assert_uint_gt(n, crowd_dev_table_len * 4);
	ck_assert_uint_le(n, CROWD_ARRAY_SIZE(prog));
	ck_assert_uint_eq(crowd_dev_bpf_build(prog, 3), n); /* too small: the count, no write */
	/* Every jump stays inside the program. */
	for (unsigned i = 0; i < n; i++)
		if (BPF_CLASS(prog[i].code) == BPF_JMP && BPF_OP(prog[i].code) != BPF_EXIT)
			ck_assert_uint_lt(i + 1 + (unsigned)prog[i].off, n);

	json_t *o = crowd_dev_oci_json();
	ck_assert_uint_eq(json_array_size(o), crowd_dev_table_len + 1);
	ck_assert(json_is_false(json_object_get(json_array_get(o, 0), "allow")));
	json_decref(o);
}
END_TEST

/* A fresh cgroup directory under mnt for this test, or NULL when there is none to use. */
static char *test_cgroup(const char *mnt, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/crowd-sectest-%d-%s", mnt, (int)getpid(), name);
	return mkdir(buf, 0755) == 0 ? buf : NULL;
}

/* In a child moved into cgroup dir: open node; 0 or errno. */
static int open_in_cgroup(const char *dir, const char *node)
{
	char procs[PATH_MAX];
	int st;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	pid_t p = fork();
	if (p == 0) {
		FILE *f = fopen(procs, "w");
		if (!f || fprintf(f, "0\n") < 0 || fclose(f) != 0)
			_exit(200);
		int fd = open(node, O_RDONLY | O_NONBLOCK | O_NOCTTY);
		_exit(fd >= 0 ? 0 : errno);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st));
	ck_assert_int_ne(WEXITSTATUS(st), 200);
	return WEXITSTATUS(st);
}

static char devdir[256];

static const char *tty1_node(void)
{
	static char node[300];
	crowd_test_mkdtemp(devdir, sizeof(devdir), "crowd-sec-dev");
	snprintf(node, sizeof(node), "%s/tty1", devdir);
	ck_assert_int_eq(mknod(node, S_IFCHR | 0600, makedev(4, 1)), 0);
	return node;
}

/* Whatever a failed device test left: its cgroups (empty: their processes exited) and nodes. */
static void dev_teardown(void)
{
	static const char *const mnts[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup",
					   "/sys/fs/cgroup/devices"};
	static const char *const names[] = {"v1", "v2", "v2b"};
	char dir[PATH_MAX];
	for (unsigned m = 0; m < CROWD_ARRAY_SIZE(mnts); m++)
		for (unsigned i = 0; i < CROWD_ARRAY_SIZE(names); i++) {
			snprintf(dir, sizeof(dir), "%s/crowd-sectest-%d-%s", mnts[m], (int)getpid(),
				 names[i]);
			rmdir(dir);
		}
	if (devdir[0] && access(devdir, F_OK) == 0)
		crowd_test_rmtree(devdir);
	/* dev_v2_once_per_run's run, when it failed half way */
	const char *t = getenv("CROWD_CGROUP_TOP");
	unsigned removed, left;
	if (t && strncmp(t, "crowd-sectest-", 14) == 0)
		crowd_cg_sweep(NULL, &removed, &left, NULL);
}

/* cgroup2: the program loads, attaches to a directory of the cgroup2 hierarchy (no
 * controllers needed), and a process there gets EPERM opening tty1 but not /dev/null. */
START_TEST(dev_v2_program_denies)
{
	struct crowd_error err = {0};
	char dir[PATH_MAX];
	const char *mnt = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
			      ? "/sys/fs/cgroup/unified"
			      : "/sys/fs/cgroup";

	char probe[PATH_MAX];
	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", mnt);
	if (geteuid() != 0 || access(probe, F_OK) < 0) {
		CROWD_SKIP("needs root and a cgroup2 hierarchy");
	}
	const char *node = tty1_node();
	ck_assert_ptr_nonnull(test_cgroup(mnt, "v2", dir, sizeof(dir)));
	ck_assert_int_eq(open_in_cgroup(dir, node), 0); /* without the program: opens */
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(crowd_dev_v2_attach(fd, crowd_dev_default(), &err) == 0, "%s", err.msg);
	ck_assert_int_eq(open_in_cgroup(dir, node), EPERM);
	ck_assert_int_eq(open_in_cgroup(dir, "/dev/null"), 0);
	ck_assert_int_eq(open_in_cgroup(dir, "/dev/urandom"), 0);
	/* The program is loaded once: a second leaf gets the same one. */
	char dir2[PATH_MAX];
	ck_assert_ptr_nonnull(test_cgroup(mnt, "v2b", dir2, sizeof(dir2)));
	_cleanup_close_ int fd2 = open(dir2, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(crowd_dev_v2_attach(fd2, crowd_dev_default(), &err), 0);
	ck_assert_int_eq(open_in_cgroup(dir2, node), EPERM);
}
END_TEST

/* How many device programs are attached to the cgroup2 directory itself (not inherited). */
static unsigned dev_progs_attached(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	__u32 ids[8];
	union bpf_attr a;

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.query.target_fd = (__u32)fd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (__u64)(uintptr_t)ids;
	a.query.prog_cnt = CROWD_ARRAY_SIZE(ids);
	ck_assert_int_eq(syscall(SYS_bpf, BPF_PROG_QUERY, &a, sizeof(a)), 0);
	return a.query.prog_cnt;
}

/* cgroup2 through the cgroup layer: the program is attached once, to the run's directory,
 * and every leaf below is under it without one of its own. */
START_TEST(dev_v2_once_per_run)
{
	struct crowd_error err = {0};
	struct crowd_cg_run *run = NULL;
	struct crowd_cg *c[2] = {NULL, NULL};
	struct crowd_cg_limits l = CROWD_CG_LIMITS_NONE;
	const char *mnt = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0
			      ? "/sys/fs/cgroup/unified"
			      : "/sys/fs/cgroup";
	char probe[PATH_MAX], rundir[PATH_MAX];

	snprintf(probe, sizeof(probe), "%s/cgroup.controllers", mnt);
	if (geteuid() != 0 || access(probe, F_OK) < 0) {
		CROWD_SKIP("needs root and a cgroup2 hierarchy");
	}
	char top[64];
	snprintf(top, sizeof(top), "crowd-sectest-%d", (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
	const char *node = tty1_node();
	ck_assert_msg(crowd_cg_run_open(mnt, "devrun", &run, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(crowd_cg_run_layout(run), CROWD_CG_UNIFIED);
	l.devices = crowd_dev_default();
	for (int i = 0; i < 2; i++)
		ck_assert_msg(crowd_cg_create(run, i ? "b" : "a", &l, &c[i], &err) == 0, "%s",
			      err.msg);
	snprintf(rundir, sizeof(rundir), "%s/%s/devrun", mnt, top);
	ck_assert_uint_eq(dev_progs_attached(rundir), 1);
	for (int i = 0; i < 2; i++) {
		const char *leaf = crowd_cg_path(c[i], "unified");
		ck_assert_uint_eq(dev_progs_attached(leaf), 0);
		ck_assert_int_eq(open_in_cgroup(leaf, node), EPERM);
		ck_assert_int_eq(open_in_cgroup(leaf, "/dev/null"), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_msg(crowd_cg_destroy(c[i], &err) == 0, "%s", err.msg);
	ck_assert_msg(crowd_cg_run_close(run, &err) == 0, "%s", err.msg);
	ck_assert_int_ne(access(rundir, F_OK), 0);
}
END_TEST

/* cgroup v1: the rules land in devices.list and a process in the leaf gets EPERM. */
START_TEST(dev_v1_rules_deny)
{
	struct crowd_error err = {0};
	char dir[PATH_MAX], list[2048], line[64];
	const char *mnt = "/sys/fs/cgroup/devices";

	if (geteuid() != 0 || access("/sys/fs/cgroup/devices/devices.allow", F_OK) < 0) {
		CROWD_SKIP("needs root and a v1 devices hierarchy");
	}
	const char *node = tty1_node();
	ck_assert_ptr_nonnull(test_cgroup(mnt, "v1", dir, sizeof(dir)));
	_cleanup_close_ int fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(crowd_dev_v1_write(fd, strrchr(dir, '/') + 1, crowd_dev_default(), &err),
			 0);
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/devices.list", dir);
	ck_assert_int_gt(crowd_read_file(path, list, sizeof(list), &err), 0);
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		crowd_dev_rule_format(&crowd_dev_table[i], line, sizeof(line));
		ck_assert_msg(strstr(list, line), "%s not in devices.list:\n%s", line, list);
	}
	ck_assert_ptr_null(strstr(list, "a *:* rwm"));
	ck_assert_int_eq(open_in_cgroup(dir, node), EPERM);
	ck_assert_int_eq(open_in_cgroup(dir, "/dev/null"), 0);
}
END_TEST

/* ---- the registry directory ---- */

static char regtop[64];

static void reg_setup(void)
{
	snprintf(regtop, sizeof(regtop), "crowd-sectest-%d", (int)getpid());
	setenv("CROWD_CGROUP_TOP", regtop, 1);
}

START_TEST(reg_dir_refused_when_wide_or_foreign)
{
	struct crowd_error err = {0};
	char dir[256], id[CROWD_UUID_LEN + 1];
	unsigned k, r, l;

	reg_setup();
	ck_assert_int_eq(crowd_reg_dir(dir, sizeof(dir), &err), 0);
	ck_assert_int_eq(crowd_uuid_new(id, &err), 0);
	/* Made by crowd: 0700, accepted. */
	ck_assert_int_eq(crowd_reg_add(id, getpid(), 0, NULL, &err), 0);
	struct stat st;
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	crowd_reg_remove(id);
	ck_assert_int_ne(access(dir, F_OK), 0);
	/* Planted with a wider mode: refused by add and sweep, naming the directory. */
	ck_assert_int_eq(mkdir(dir, 0777), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(crowd_reg_add(id, getpid(), 0, NULL, &err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, dir));
	ck_assert_int_eq(crowd_reg_sweep(&k, &r, &l, &err), -EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, dir));
	if (geteuid() == 0) {
		/* Owned by another user, mode 0700: refused too. */
		ck_assert_int_eq(chmod(dir, 0700), 0);
		ck_assert_int_eq(chown(dir, 65534, 65534), 0);
		ck_assert_int_eq(crowd_reg_sweep(&k, &r, &l, &err), -EPERM);
		ck_assert_ptr_nonnull(strstr(err.msg, "uid 65534"));
	}
	ck_assert_int_eq(rmdir(dir), 0);
	/* A symlink in its place is refused as well. */
	ck_assert_int_eq(symlink("/tmp", dir), 0);
	ck_assert_int_eq(crowd_reg_dir_check(dir, &err), -EPERM);
	ck_assert_int_eq(unlink(dir), 0);
}
END_TEST

static Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_create("policy");
	tcase_add_test(tc, sec_parse_lists);
	tcase_add_test(tc, sc_table_names_known);
	tcase_add_test(tc, sc_expand_conditions);
	tcase_add_test(tc, sc_default_compiles_once);
	tcase_add_test(tc, sc_default_refuses_in_child);
	tcase_add_test(tc, sc_tree_matches_libseccomp);
	tcase_add_test(tc, sc_default_refuses_i386);
	tcase_add_test(tc, sc_oci_json_from_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("profiles");
	tcase_add_checked_fixture(tc, profile_setup, profile_teardown);
	tcase_add_test(tc, sc_json_good);
	tcase_add_test(tc, sc_json_docker_default_shape);
	tcase_add_test(tc, sc_json_bad);
	suite_add_tcase(s, tc);
	tc = tcase_create("devices");
	tcase_add_checked_fixture(tc, NULL, dev_teardown);
	tcase_add_test(tc, dev_table_allows_what_dev_holds);
	tcase_add_test(tc, dev_v2_program_denies);
	tcase_add_test(tc, dev_v2_once_per_run);
	tcase_add_test(tc, dev_v1_rules_deny);
	suite_add_tcase(s, tc);
	tc = tcase_create("registry");
	tcase_add_test(tc, reg_dir_refused_when_wide_or_foreign);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(security_suite());
}
