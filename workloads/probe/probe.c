#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_fsopen
#define SYS_fsopen 430 /* the same number on every architecture since 5.2 */
#endif
#define SYSFS_MAGIC 0x62656572
#define TMPFS_MAGIC 0x01021994

/* ---- output: a JSON writer over a stream that tracks where commas go */

struct jw {
	FILE *f;
	int depth;
	bool first[8]; /* per open object or array: nothing written in it yet */
};

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void jw_quote(struct jw *w, const char *s)
{
	fputc('"', w->f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(w->f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(w->f, "\\u%04x", c);
		else
			fputc(c, w->f);
	}
	fputc('"', w->f);
}

/* The comma and, inside an object, the key of the next value. */
static void jw_key(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (key) {
		jw_quote(w, key);
		fputc(':', w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_key(w, key);
	fputc(bracket, w->f);
	w->first[++w->depth] = true;
}

static void jw_close(struct jw *w, char bracket)
{
	fputc(bracket, w->f);
	w->depth--;
}

static void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	jw_quote(w, val);
}

static void jw_int(struct jw *w, const char *key, long long val)
{
	jw_key(w, key);
	fprintf(w->f, "%lld", val);
}

/* ---- small helpers */

static const struct {
	int e;
	const char *name;
} errno_names[] = {
    {EPERM, "EPERM"},		{ENOENT, "ENOENT"}, {EIO, "EIO"},	  {ENXIO, "ENXIO"},
    {EBADF, "EBADF"},		{EACCES, "EACCES"}, {EFAULT, "EFAULT"},	  {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},		{ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EINVAL, "EINVAL"},
    {EROFS, "EROFS"},		{ENOSYS, "ENOSYS"}, {ENOEXEC, "ENOEXEC"}, {ENOMEM, "ENOMEM"},
    {ENOSPC, "ENOSPC"},		{EUSERS, "EUSERS"}, {ENOTTY, "ENOTTY"},	  {ENOKEY, "ENOKEY"},
    {EOPNOTSUPP, "EOPNOTSUPP"}, {EAGAIN, "EAGAIN"}, {E2BIG, "E2BIG"},
};

const char *probe_errno_name(int e, char *tmp, size_t len)
{
	if (e == 0)
		return "ok";
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].e == e)
			return errno_names[i].name;
	snprintf(tmp, len, "E%d", e);
	return tmp;
}

static void jw_errno(struct jw *w, const char *key, int e)
{
	char tmp[16];
	jw_str(w, key, probe_errno_name(e, tmp, sizeof(tmp)));
}

/* The first line of a small file, without its newline; "" when unreadable. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return buf;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* 0 when open(path, flags) works (the fd is closed at once), else the errno. */
static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* ---- /proc/self/status: seccomp, no_new_privs, capability sets */

static void status_fields(struct jw *w)
{
	static const struct {
		const char *field, *key;
	} nums[] = {{"Seccomp:", "seccomp"},
		    {"Seccomp_filters:", "seccomp_filters"},
		    {"NoNewPrivs:", "no_new_privs"}},
	  caps[] = {{"CapInh:", "inh"},
		    {"CapPrm:", "prm"},
		    {"CapEff:", "eff"},
		    {"CapBnd:", "bnd"},
		    {"CapAmb:", "amb"}};
	char line[256], hex[5][32] = {{0}};
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f)) {
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			if (!strncmp(line, nums[i].field, strlen(nums[i].field)))
				jw_int(w, nums[i].key,
				       strtoll(line + strlen(nums[i].field), NULL, 10));
		for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (!strncmp(line, caps[i].field, strlen(caps[i].field)))
				sscanf(line + strlen(caps[i].field), " %31s", hex[i]);
	}
	if (f)
		fclose(f);
	jw_open(w, "caps", '{');
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (hex[i][0])
			jw_str(w, caps[i].key, hex[i]);
	jw_close(w, '}');
	char last[32];
	if (*read_line("/proc/sys/kernel/cap_last_cap", last, sizeof(last)))
		jw_int(w, "cap_last_cap", strtoll(last, NULL, 10));
}

/* ---- system calls, each with arguments the kernel refuses after its permission checks, so
 * that none does anything: the errno says whether the call got that far (docs/audit.md). */

static long call_keyctl(void)
{
	return syscall(SYS_keyctl, -1L, 0L, 0L, 0L, 0L); /* no such operation */
}
static long call_add_key(void)
{
	return syscall(SYS_add_key, NULL, NULL, NULL, 0L, 0L); /* type at NULL */
}
static long call_bpf(void)
{
	return syscall(SYS_bpf, -1L, NULL, 0L); /* no such command */
}
static long call_perf_event_open(void)
{
	return syscall(SYS_perf_event_open, NULL, 0L, -1L, -1L, 0L); /* attr at NULL */
}
static long call_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, 0x80000000L); /* unknown flag */
}
static long call_mount(void)
{
	return syscall(SYS_mount, NULL, NULL, NULL, 0L, NULL); /* target at NULL */
}
static long call_fsopen(void)
{
	return syscall(SYS_fsopen, NULL, 0L); /* name at NULL */
}
static long call_pivot_root(void)
{
	return syscall(SYS_pivot_root, NULL, NULL);
}
static long call_kexec_load(void)
{
	/* An unknown flag (bit 15) and more segments than allowed: refused before anything,
	 * including the unload a zero segment count with valid flags would mean. */
	return syscall(SYS_kexec_load, 0L, 17L, NULL, 0x8000L);
}
static long call_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0L, ""); /* image shorter than an ELF header */
}
static long call_open_by_handle_at(void)
{
	return syscall(SYS_open_by_handle_at, -1L, NULL, (long)O_RDONLY);
}
static long call_reboot(void)
{
	return syscall(SYS_reboot, 0L, 0L, 0L, NULL); /* wrong magic numbers */
}

static const struct {
	const char *name;
	long (*fn)(void);
} calls[] = {
    {"keyctl", call_keyctl},
    {"add_key", call_add_key},
    {"bpf", call_bpf},
    {"perf_event_open", call_perf_event_open},
    {"userfaultfd", call_userfaultfd},
    {"mount", call_mount},
    {"fsopen", call_fsopen},
    {"pivot_root", call_pivot_root},
    {"kexec_load", call_kexec_load},
    {"init_module", call_init_module},
    {"open_by_handle_at", call_open_by_handle_at},
    {"reboot", call_reboot},
};

static void syscalls(struct jw *w)
{
	jw_open(w, "syscalls", '{');
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		long r = calls[i].fn();
		int e = errno;
		if (r >= 0) {
			e = 0;
			if (r > 2)
				close((int)r); /* it made a descriptor after all */
		}
		jw_errno(w, calls[i].name, e);
	}
	jw_close(w, '}');
}

/* unshare(CLONE_NEWUSER) in a child that exits at once: 0 or its errno. */
static int nested_userns(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) < 0 ? (errno & 0xff) : 0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

/* ---- filesystem: root, /sys, masked and read-only paths */

static const char *const masked_paths[] = {
    "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
    "/proc/acpi",  "/proc/scsi", "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const ro_paths[] = {"/proc/sys", "/proc/sysrq-trigger"};

/* "absent", "masked" (/dev/null bound over it, or an empty tmpfs), or open()'s result. */
static void masked_path(struct jw *w, const char *path)
{
	struct stat st;
	struct statfs sf;
	if (lstat(path, &st) < 0) {
		jw_str(w, path, errno == ENOENT ? "absent" : "EACCES");
		return;
	}
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
		jw_str(w, path, "masked");
		return;
	}
	if (S_ISDIR(st.st_mode) && statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC &&
	    st.st_nlink <= 2) {
		jw_str(w, path, "masked");
		return;
	}
	jw_errno(w, path, try_open(path, O_RDONLY));
}

/* "ro" or "rw" by the flags of the mount path is on; "absent" when it is not there. */
static const char *mount_state(const char *path)
{
	struct statvfs vf;
	if (statvfs(path, &vf) < 0)
		return "absent";
	return vf.f_flag & ST_RDONLY ? "ro" : "rw";
}

static void filesystem(struct jw *w)
{
	struct statfs sf;
	jw_str(w, "root", mount_state("/"));
	jw_errno(w, "root_access_w", access("/", W_OK) < 0 ? errno : 0);

	if (statfs("/sys", &sf) < 0 || sf.f_type != SYSFS_MAGIC)
		jw_str(w, "sys", "absent");
	else
		jw_str(w, "sys", mount_state("/sys"));

	jw_open(w, "masked", '{');
	for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++)
		masked_path(w, masked_paths[i]);
	jw_close(w, '}');
	jw_open(w, "readonly", '{');
	for (size_t i = 0; i < sizeof(ro_paths) / sizeof(ro_paths[0]); i++)
		jw_str(w, ro_paths[i], mount_state(ro_paths[i]));
	jw_close(w, '}');
}

/* ---- devices: mknod in a scratch directory, open, remove */

/* The block device to try: the one holding /, when /proc/partitions lists it, else the first
 * disk listed, else loop0 (7:0). */
static dev_t block_dev(void)
{
	struct stat st;
	unsigned ma, mi, first_ma = 7, first_mi = 0;
	bool have_first = false;
	char line[256];
	dev_t root = stat("/", &st) == 0 ? st.st_dev : 0;
	FILE *f = fopen("/proc/partitions", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %u %u", &ma, &mi) != 2)
			continue;
		if (makedev(ma, mi) == root && major(root) != 0) {
			fclose(f);
			return root;
		}
		if (!have_first) {
			first_ma = ma;
			first_mi = mi;
			have_first = true;
		}
	}
	if (f)
		fclose(f);
	return makedev(first_ma, first_mi);
}

/* A fresh directory for the nodes: in the first place that takes one and whose mount allows
 * device nodes, else in the first that takes one at all (its nodev is reported); the errno of
 * the last attempt when none does. */
static int scratch_dir(char *buf, size_t len, int *ret_nodev)
{
	static const char *const bases[] = {"/dev", "/tmp", "/dev/shm", "/run", ""};
	int e = ENOENT;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
			struct statvfs vf;
			if (statvfs(bases[i][0] ? bases[i] : "/", &vf) < 0 ||
			    (pass == 0 && (vf.f_flag & ST_NODEV)))
				continue;
			snprintf(buf, len, "%s/.crowd-probe-XXXXXX", bases[i]);
			if (mkdtemp(buf)) {
				*ret_nodev = (vf.f_flag & ST_NODEV) != 0;
				return 0;
			}
			e = errno;
		}
	return e;
}

static void device(struct jw *w, const char *dir, const char *key, mode_t type, dev_t dev,
		   int dir_err)
{
	char node[64], path[128];
	snprintf(node, sizeof(node), "%c %u %u", S_ISCHR(type) ? 'c' : 'b', major(dev), minor(dev));
	jw_open(w, key, '{');
	jw_str(w, "node", node);
	int e = dir_err;
	if (!e) {
		snprintf(path, sizeof(path), "%s/%s", dir, key);
		e = mknod(path, type | 0600, dev) < 0 ? errno : 0;
	}
	jw_errno(w, "mknod", e);
	if (!e) {
		jw_errno(w, "open", try_open(path, O_RDONLY));
		unlink(path);
	}
	jw_close(w, '}');
}

static void devices(struct jw *w)
{
	char dir[64];
	int nodev = 0, e = scratch_dir(dir, sizeof(dir), &nodev);
	jw_open(w, "devices", '{');
	if (!e)
		jw_int(w, "nodev", nodev);
	device(w, dir, "char", S_IFCHR, makedev(4, 1), e);
	device(w, dir, "block", S_IFBLK, block_dev(), e);
	jw_close(w, '}');
	if (!e)
		rmdir(dir);
}

/* ---- what it can see: namespaces, kernel, processes, interfaces, ids */

static void namespaces(struct jw *w)
{
	static const char *const names[] = {"pid", "net", "mnt",    "user",
					    "uts", "ipc", "cgroup", "time"};
	char path[64];
	struct stat st;
	jw_open(w, "ns", '{');
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		if (stat(path, &st) == 0)
			jw_int(w, names[i], (long long)st.st_ino);
	}
	jw_close(w, '}');
}

static void processes(struct jw *w)
{
	char comm[64];
	long long n = 0;
	DIR *d = opendir("/proc");
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	if (d)
		closedir(d);
	jw_int(w, "pid", getpid());
	jw_str(w, "pid1", read_line("/proc/1/comm", comm, sizeof(comm)));
	jw_int(w, "procs", n);
}

/* An array of one string per line of path from line `skip` on, as conv turns it; lines conv
 * refuses are left out. */
static void lines_array(struct jw *w, const char *key, const char *path, int skip,
			bool (*conv)(const char *line, char *out, size_t len))
{
	char line[512], out[80];
	FILE *f = fopen(path, "re");
	jw_open(w, key, '[');
	for (int i = 0; f && fgets(line, sizeof(line), f); i++)
		if (i >= skip && conv(line, out, sizeof(out)))
			jw_str(w, NULL, out);
	jw_close(w, ']');
	if (f)
		fclose(f);
}

/* "  eth0: 123 ..." of /proc/net/dev: "eth0". */
static bool iface_name(const char *line, char *out, size_t len)
{
	char name[64];
	return sscanf(line, " %63[^:]:", name) == 1 && snprintf(out, len, "%s", name) > 0;
}

/* A uid_map line with its runs of spaces squeezed: "0 0 4294967295". */
static bool uid_range(const char *line, char *out, size_t len)
{
	unsigned long long in, to, count;
	return sscanf(line, "%llu %llu %llu", &in, &to, &count) == 3 &&
	       snprintf(out, len, "%llu %llu %llu", in, to, count) > 0;
}

static void identity(struct jw *w)
{
	char line[256];
	struct utsname u;
	jw_int(w, "uid", getuid());
	jw_int(w, "euid", geteuid());
	lines_array(w, "uid_map", "/proc/self/uid_map", 0, uid_range);
	if (*read_line("/proc/sys/kernel/random/boot_id", line, sizeof(line)))
		jw_str(w, "boot_id", line);
	if (uname(&u) == 0)
		jw_str(w, "kernel", u.release);
	if (*read_line("/proc/self/attr/current", line, sizeof(line)))
		jw_str(w, "lsm", line);
}

/* ---- cgroup limits: can the container open its own limit files for writing? */

/* The first of the candidate files that exists, opened O_WRONLY (nothing is written). */
static void cgroup_file(struct jw *w, const char *key, char cand[][512], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(cand[i], &st) < 0)
			continue;
		jw_open(w, key, '{');
		jw_str(w, "file", cand[i]);
		jw_errno(w, "open_w", try_open(cand[i], O_WRONLY));
		jw_close(w, '}');
		return;
	}
	jw_str(w, key, "absent");
}

static void cgroups(struct jw *w)
{
	char line[512], mem[4][512], pids[4][512];
	size_t nm = 0, np = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrl = c1 + 1, *path = c2 + 1;
		if (!strcmp(path, "/"))
			path = "";
		if (!*ctrl && nm < 3 && np < 3) { /* v2: unified at /sys/fs/cgroup or .../unified */
			snprintf(mem[nm++], sizeof(mem[0]), "/sys/fs/cgroup%s/memory.max", path);
			snprintf(mem[nm++], sizeof(mem[0]), "/sys/fs/cgroup/unified%s/memory.max",
				 path);
			snprintf(pids[np++], sizeof(pids[0]), "/sys/fs/cgroup%s/pids.max", path);
			snprintf(pids[np++], sizeof(pids[0]), "/sys/fs/cgroup/unified%s/pids.max",
				 path);
		} else if (!strcmp(ctrl, "memory") && nm < 4) {
			snprintf(mem[nm++], sizeof(mem[0]),
				 "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", path);
		} else if (!strcmp(ctrl, "pids") && np < 4) {
			snprintf(pids[np++], sizeof(pids[0]), "/sys/fs/cgroup/pids%s/pids.max",
				 path);
		}
	}
	if (f)
		fclose(f);
	jw_open(w, "cgroup", '{');
	cgroup_file(w, "memory", mem, nm);
	cgroup_file(w, "pids", pids, np);
	jw_close(w, '}');
}

int probe_collect(FILE *out)
{
	struct jw w = {.f = out, .depth = 0, .first = {true}};
	jw_open(&w, NULL, '{');
	jw_int(&w, "probe", 1);
	identity(&w);
	namespaces(&w);
	processes(&w);
	lines_array(&w, "ifaces", "/proc/net/dev", 2, iface_name);
	status_fields(&w);
	syscalls(&w);
	jw_errno(&w, "userns", nested_userns());
	filesystem(&w);
	devices(&w);
	cgroups(&w);
	jw_close(&w, '}');
	return ferror(out) ? -EIO : 0;
}
