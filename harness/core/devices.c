/* The device allowlist: one table; v1 devices cgroup lines, a cgroup2 device program, OCI. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "util.h"

const struct crowd_dev_rule crowd_dev_table[] = {
    /* A node may be made (CAP_MKNOD), not opened: Docker's default too. */
    {'c', -1, -1, "m", "mknod of character devices"},
    {'b', -1, -1, "m", "mknod of block devices"},
    {'c', 1, 3, "rwm", "null"},
    {'c', 1, 5, "rwm", "zero"},
    {'c', 1, 7, "rwm", "full"},
    {'c', 1, 8, "rwm", "random"},
    {'c', 1, 9, "rwm", "urandom"},
    {'c', 5, 0, "rwm", "tty"},
    {'c', 5, 2, "rwm", "ptmx"},
    {'c', 136, -1, "rwm", "pts"},
};
const unsigned crowd_dev_table_len = CROWD_ARRAY_SIZE(crowd_dev_table);

struct crowd_dev_policy {
	pthread_mutex_t lock;
	int prog_fd; /* -1 until a cgroup2 leaf needs it */
};
static struct crowd_dev_policy default_policy = {PTHREAD_MUTEX_INITIALIZER, -1};

const struct crowd_dev_policy *crowd_dev_default(void)
{
	return &default_policy;
}

static void num(char *buf, size_t len, int v)
{
	if (v < 0)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%d", v);
}

void crowd_dev_rule_format(const struct crowd_dev_rule *r, char *buf, size_t len)
{
	char ma[16], mi[16];
	num(ma, sizeof(ma), r->major);
	num(mi, sizeof(mi), r->minor);
	snprintf(buf, len, "%c %s:%s %s", r->type, ma, mi, r->access);
}

bool crowd_dev_allowed(char type, unsigned major, unsigned minor, char access)
{
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		const struct crowd_dev_rule *r = &crowd_dev_table[i];
		if ((r->type == 'a' || r->type == type) &&
		    (r->major < 0 || (unsigned)r->major == major) &&
		    (r->minor < 0 || (unsigned)r->minor == minor) && strchr(r->access, access))
			return true;
	}
	return false;
}

int crowd_dev_v1_write(int dirfd, const char *dir, const struct crowd_dev_policy *p,
		       struct crowd_error *err)
{
	char path[PATH_MAX], line[64];
	int r;

	(void)p;
	snprintf(path, sizeof(path), "%s/devices.deny", dir);
	if ((r = crowd_write_fileat(dirfd, path, "a", err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/devices.allow", dir);
	/* One rule per write: the kernel parses one line at a time. */
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", path);
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		crowd_dev_rule_format(&crowd_dev_table[i], line, sizeof(line));
		if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
			return crowd_error_errno(err, errno, "%s: '%s'", path, line);
	}
	return 0;
}

/* ---- cgroup2: a BPF_PROG_TYPE_CGROUP_DEVICE program ----
 * The context is struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor.
 * The program returns 1 to allow, 0 to deny. Registers: r2 type, r3 access, r4 major,
 * r5 minor; r1 the context, r0 the result, r6 scratch. */

static struct bpf_insn ins(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	return (struct bpf_insn){
	    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}
#define LDX_W(dst, src, off) ins(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src)    ins(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm)    ins(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm)    ins(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm)    ins(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm)    ins(BPF_JMP | BPF_JNE | BPF_K, dst, 0, 0, imm) /* off patched */
#define EXIT()		     ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned access_bits(const char *a)
{
	return (strchr(a, 'm') ? BPF_DEVCG_ACC_MKNOD : 0u) |
	       (strchr(a, 'r') ? BPF_DEVCG_ACC_READ : 0u) |
	       (strchr(a, 'w') ? BPF_DEVCG_ACC_WRITE : 0u);
}

unsigned crowd_dev_bpf_build(struct bpf_insn *out, unsigned max)
{
	struct bpf_insn p[8 + 8 * CROWD_ARRAY_SIZE(crowd_dev_table)];
	unsigned n = 0;

	p[n++] = LDX_W(2, 1, 0); /* access_type */
	p[n++] = MOV_REG(3, 2);
	p[n++] = AND_IMM(2, 0xffff); /* type */
	p[n++] = RSH_IMM(3, 16);     /* access */
	p[n++] = LDX_W(4, 1, 4);     /* major */
	p[n++] = LDX_W(5, 1, 8);     /* minor */
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		const struct crowd_dev_rule *r = &crowd_dev_table[i];
		unsigned start = n;
		if (r->type != 'a')
			p[n++] =
			    JNE_IMM(2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
		/* Every access asked must be one the rule grants. */
		p[n++] = MOV_REG(6, 3);
		p[n++] = AND_IMM(6, (__s32)~access_bits(r->access));
		p[n++] = JNE_IMM(6, 0);
		if (r->major >= 0)
			p[n++] = JNE_IMM(4, r->major);
		if (r->minor >= 0)
			p[n++] = JNE_IMM(5, r->minor);
		p[n++] = MOV_IMM(0, 1);
		p[n++] = EXIT();
		/* Each test jumps past this rule on a mismatch. */
		for (unsigned k = start; k < n; k++)
			if (p[k].code == (BPF_JMP | BPF_JNE | BPF_K))
				p[k].off = (__s16)(n - k - 1);
	}
	/* p holds 8 per rule (type, 3 access, major, minor, 2 allow) plus 6 before and 2 here;
	 * cppcheck takes n's bound from max below instead. */
	// cppcheck-suppress arrayIndexOutOfBoundsCond
	p[n++] = MOV_IMM(0, 0);
	// cppcheck-suppress arrayIndexOutOfBoundsCond
	p[n++] = EXIT();
	if (n <= max)
		memcpy(out, p, n * sizeof(*p));
	return n;
}

static int bpf_call(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(struct crowd_error *err)
{
	struct bpf_insn prog[128];
	static char log[4096];
	unsigned n = crowd_dev_bpf_build(prog, CROWD_ARRAY_SIZE(prog));
	union bpf_attr a;

	if (n > CROWD_ARRAY_SIZE(prog))
		return crowd_error_set(err, E2BIG, "device program: %u instructions", n);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (__u64)(uintptr_t)prog;
	a.insn_cnt = n;
	a.license = (__u64)(uintptr_t) "GPL";
	a.log_buf = (__u64)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	int fd = bpf_call(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno == ENOSPC) {
		/* The log was too small for the verifier's story: load without it. */
		a.log_buf = 0;
		a.log_size = a.log_level = 0;
		fd = bpf_call(BPF_PROG_LOAD, &a);
	}
	if (fd < 0)
		return crowd_error_set(err, errno, "loading the device BPF program: %s%s%.80s",
				       strerrordesc_np(errno), log[0] ? ": " : "", log);
	return fd;
}

int crowd_dev_v2_attach(int cg_fd, const struct crowd_dev_policy *cp, struct crowd_error *err)
{
	struct crowd_dev_policy *p = (struct crowd_dev_policy *)cp; /* the program is a cache */
	union bpf_attr a;
	int fd;

	pthread_mutex_lock(&p->lock);
	if (p->prog_fd < 0) {
		int r = prog_load(err);
		if (r >= 0)
			p->prog_fd = r;
	}
	fd = p->prog_fd;
	pthread_mutex_unlock(&p->lock);
	if (fd < 0)
		return -(err && err->code ? err->code : EIO);
	memset(&a, 0, sizeof(a));
	a.target_fd = (__u32)cg_fd;
	a.attach_bpf_fd = (__u32)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* Programs of the host's own cgroups above (systemd's) still apply: all must allow. */
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf_call(BPF_PROG_ATTACH, &a) < 0)
		return crowd_error_errno(err, errno, "attaching the device BPF program");
	return 0;
}

json_t *crowd_dev_oci_json(void)
{
	json_t *a = json_array();

	json_array_append_new(a, json_pack("{s:b,s:s}", "allow", 0, "access", "rwm"));
	for (unsigned i = 0; i < crowd_dev_table_len; i++) {
		const struct crowd_dev_rule *r = &crowd_dev_table[i];
		json_t *o = json_pack("{s:b,s:s%,s:s}", "allow", 1, "type", &r->type, (size_t)1,
				      "access", r->access);
		if (o && r->major >= 0)
			json_object_set_new(o, "major", json_integer(r->major));
		if (o && r->minor >= 0)
			json_object_set_new(o, "minor", json_integer(r->minor));
		json_array_append_new(a, o);
	}
	return a;
}
