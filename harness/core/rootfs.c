/* Root filesystem setup. Runs in the cloned child, possibly while other threads of the
 * harness held locks at clone time: no malloc, no stdio, no strerror (locale) here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rootfs.h"
#include "security.h"
#include "spawn.h"
#include "util.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

/* Docker's masked paths: files get /dev/null bound over them, directories an empty
 * read-only tmpfs. Absent ones are skipped. */
static const char *const masked_files[] = {
    "proc/kcore",	  "proc/keys",	      "proc/timer_list", "proc/sched_debug",
    "proc/latency_stats", "proc/timer_stats", "proc/interrupts",
};
static const char *const masked_dirs[] = {"proc/acpi", "proc/scsi", "proc/asound"};
static const char *const readonly_paths[] = {
    "proc/sys", "proc/sysrq-trigger", "proc/irq", "proc/bus", "proc/fs",
};

static const struct {
	const char *host; /* name + 1 is the path relative to the new root */
	unsigned major, minor;
} devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};
static const struct {
	const char *target, *name;
} dev_links[] = {
    {"/proc/self/fd", "dev/fd"},
    {"/proc/self/fd/0", "dev/stdin"},
    {"/proc/self/fd/1", "dev/stdout"},
    {"/proc/self/fd/2", "dev/stderr"},
};

int crowd_rootfs_default(char *buf, size_t len, struct crowd_error *err)
{
	char exe[PATH_MAX];
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(buf, len, "%s/rootfs", exe) < len &&
			    stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
				return 0;
		}
	}
	if ((size_t)snprintf(buf, len, "%s/rootfs", CROWD_DATADIR) >= len)
		return crowd_error_set(err, ENAMETOOLONG, "default rootfs path too long");
	return 0;
}

int crowd_rootfs_check(const char *path, struct crowd_error *err)
{
	struct stat st;
	if (!path || !*path)
		return crowd_error_set(err, EINVAL,
				       "rootfs: empty path (allowed: a directory or 'host')");
	if (stat(path, &st) < 0)
		return crowd_error_set(err, errno,
				       "rootfs '%s': %s (allowed: a directory or 'host')", path,
				       strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return crowd_error_set(
		    err, ENOTDIR, "rootfs '%s' is not a directory (allowed: a directory or 'host')",
		    path);
	if (st.st_ino == 2 && !strcmp(path, "/"))
		return crowd_error_set(err, EINVAL, "rootfs '/': use 'host' for the host root");
	return 0;
}

/* mount(), creating a missing mount point once (directory, or a file when want_file). */
static int mount_at(const char *src, const char *target, const char *type, unsigned long flags,
		    const char *data, bool want_file, struct crowd_error *err)
{
	if (mount(src, target, type, flags, data) == 0)
		return 0;
	if (errno == ENOENT) {
		int r = want_file ? mknod(target, S_IFREG | 0644, 0) : mkdir(target, 0755);
		if (r == 0 && mount(src, target, type, flags, data) == 0)
			return 0;
	}
	return ERRNO_SET(err, errno, "mounting %s on %s", type ? type : src, target);
}

/* Bind and remount read-only, keeping the flags a user namespace may not drop. */
static int remount_ro(const char *target, unsigned long keep, bool userns, struct crowd_error *err)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | keep;
	if (mount(NULL, target, NULL, flags, NULL) == 0)
		return 0;
	if (errno == EPERM && userns) {
		struct statvfs sv;
		if (statvfs(target, &sv) == 0) {
			if (sv.f_flag & ST_NOSUID)
				flags |= MS_NOSUID;
			if (sv.f_flag & ST_NODEV)
				flags |= MS_NODEV;
			if (sv.f_flag & ST_NOEXEC)
				flags |= MS_NOEXEC;
			if (sv.f_flag & ST_NOATIME)
				flags |= MS_NOATIME;
			if (sv.f_flag & ST_NODIRATIME)
				flags |= MS_NODIRATIME;
			if (sv.f_flag & ST_RELATIME)
				flags |= MS_RELATIME;
			if (mount(NULL, target, NULL, flags, NULL) == 0)
				return 0;
		}
	}
	return ERRNO_SET(err, errno, "remounting %s read-only", target);
}

/* ---- the template's scratch tmpfs ------------------------------------------------------ *
 * Every superblock registers a memcg-aware shrinker, and every memory cgroup keeps a
 * shrinker_info with a 520-byte unit per 64 shrinker ids up to the highest one ever given
 * (mm/shrinker.c, shrinker_nr_max): a tmpfs of its own for /dev, /tmp and each masked /proc
 * directory made every memory cgroup on the host grow with each container added
 * (docs/density.md). A container made from a template gets them as bind mounts (no
 * superblock) of directories of the one tmpfs the template holds on its /tmp, SCRATCH:
 * SCRATCH/<id>/dev and SCRATCH/<id>/tmp, and the read-only SCRATCH/empty over each masked
 * directory. Its own /tmp then covers SCRATCH: no path reaches another container's
 * directory. The scratch has no size or inode limit of its own: the container's memory
 * cgroup, which its pages are charged to, is the limit, as for a tmpfs of its own. crowd
 * removes SCRATCH/<id> when it tears the container down (crowd_rootfs_scratch_remove). */
#define SCRATCH "tmp"
#define OWN_MAX 64 /* "SCRATCH/<id>" with room */

/* own: "SCRATCH/<id>" (with dev/ and tmp/ in it) or NULL: a tmpfs per place. */
static int scratch_own(const char *id, char *buf, size_t len, struct crowd_error *err)
{
	char sub[OWN_MAX + 8];
	if ((size_t)snprintf(buf, len, SCRATCH "/%s", id) >= len || len > OWN_MAX)
		return crowd_error_set(err, ENAMETOOLONG, "container id too long");
	if (mkdir(buf, 0755) < 0)
		return ERRNO_SET(err, errno, "mkdir /%s in the scratch tmpfs", buf);
	snprintf(sub, sizeof(sub), "%s/dev", buf);
	if (mkdir(sub, 0755) < 0)
		return ERRNO_SET(err, errno, "mkdir /%s", sub);
	snprintf(sub, sizeof(sub), "%s/tmp", buf);
	if (mkdir(sub, 01777) < 0)
		return ERRNO_SET(err, errno, "mkdir /%s", sub);
	return 0;
}

static int setup_proc(bool userns, bool masks, bool scratch, struct crowd_error *err)
{
	const unsigned long pflags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	int r = mount_at("proc", "proc", "proc", pflags, NULL, false, err);
	/* A user namespace may mount proc only for a pid namespace it owns; without one of
	 * its own, the host's /proc is bound instead (masked the same way below). */
	if (r == -EPERM && userns && mount("/proc", "proc", NULL, MS_BIND | MS_REC, NULL) == 0)
		r = 0;
	if (r < 0 || !masks)
		return r;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(masked_files); i++)
		if (mount("/dev/null", masked_files[i], NULL, MS_BIND, NULL) < 0 && errno != ENOENT)
			return ERRNO_SET(err, errno, "masking /%s", masked_files[i]);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(masked_dirs); i++) {
		/* a bind keeps the source mount's read-only, nosuid, nodev, noexec */
		if (scratch) {
			if (mount(SCRATCH "/empty", masked_dirs[i], NULL, MS_BIND, NULL) < 0 &&
			    errno != ENOENT)
				return ERRNO_SET(err, errno, "masking /%s", masked_dirs[i]);
			continue;
		}
		if (mount("tmpfs", masked_dirs[i], "tmpfs", MS_RDONLY | pflags, "size=0") < 0 &&
		    errno != ENOENT)
			return ERRNO_SET(err, errno, "masking /%s", masked_dirs[i]);
	}
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(readonly_paths); i++) {
		if (mount(readonly_paths[i], readonly_paths[i], NULL, MS_BIND | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue;
			return ERRNO_SET(err, errno, "binding /%s", readonly_paths[i]);
		}
		r = remount_ro(readonly_paths[i], pflags, userns, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int setup_dev(bool userns, const char *own, struct crowd_error *err)
{
	int r;
	if (own) {
		/* nosuid and noexec: the scratch's own flags, which a bind keeps */
		char src[OWN_MAX + 8];
		snprintf(src, sizeof(src), "%s/dev", own);
		if (mount(src, "dev", NULL, MS_BIND, NULL) < 0)
			return ERRNO_SET(err, errno, "binding /%s on /dev", src);
	} else if ((r = mount_at("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC,
				 "mode=755,size=64k", false, err)) < 0) {
		return r;
	}
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(devices); i++) {
		const char *name = devices[i].host + 1;
		if (!userns) {
			if (mknod(name, S_IFCHR | 0666,
				  makedev(devices[i].major, devices[i].minor)) < 0)
				return ERRNO_SET(err, errno, "mknod /%s", name);
			continue;
		}
		/* A user namespace may not mknod: bind the host's node over an empty file. */
		if (mknod(name, S_IFREG | 0644, 0) < 0)
			return ERRNO_SET(err, errno, "creating /%s", name);
		if (mount(devices[i].host, name, NULL, MS_BIND, NULL) < 0)
			return ERRNO_SET(err, errno, "binding /%s", name);
	}
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(dev_links); i++)
		if (symlink(dev_links[i].target, dev_links[i].name) < 0)
			return ERRNO_SET(err, errno, "symlink /%s", dev_links[i].name);
	if (mkdir("dev/shm", 01777) < 0 || mkdir("dev/pts", 0755) < 0)
		return ERRNO_SET(err, errno, "mkdir /dev/shm");
	return 0;
}

static int setup_tmp(const char *own, struct crowd_error *err)
{
	if (!own)
		return mount_at("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false,
				err);
	/* On top of the scratch itself, which it hides; exec allowed, devices not. */
	char src[OWN_MAX + 8];
	snprintf(src, sizeof(src), "%s/tmp", own);
	if (mount(src, "tmp", NULL, MS_BIND, NULL) < 0)
		return ERRNO_SET(err, errno, "binding /%s on /tmp", src);
	if (mount(NULL, "tmp", NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0)
		return ERRNO_SET(err, errno, "remounting /tmp nosuid,nodev");
	return 0;
}

/* pivot_root(".", ".") stacks the old root on the new one; detaching "." drops it with
 * every host mount under it, without a directory for the old root. */
static int enter_pivot(const char *rootfs, bool with_proc, bool userns, unsigned security,
		       bool writable, struct crowd_error *err)
{
	int r;

	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ERRNO_SET(err, errno, "binding rootfs %s", rootfs);
	if (chdir(rootfs) < 0)
		return ERRNO_SET(err, errno, "chdir %s", rootfs);
	if (with_proc && (r = setup_proc(userns, security & CROWD_SEC_MASKS, false, err)) < 0)
		return r;
	if ((r = setup_dev(userns, NULL, err)) < 0)
		return r;
	if ((r = setup_tmp(NULL, err)) < 0)
		return r;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return ERRNO_SET(err, errno, "pivot_root into %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return ERRNO_SET(err, errno, "detaching the old root");
	if (chdir("/") < 0)
		return ERRNO_SET(err, errno, "chdir /");
	return writable ? 0 : remount_ro("/", 0, userns, err);
}

const char *crowd_rootfs_mode_name(enum crowd_rootfs_mode m)
{
	switch (m) {
	case CROWD_ROOTFS_RO:
		return "ro";
	case CROWD_ROOTFS_OVERLAY:
		return "overlay";
	}
	return NULL;
}

/* CROWD_ROOTFS_OVERLAY, in the child's private mount namespace: a tmpfs on <rootfs>/tmp (seen
 * by this namespace only; the overlay's lower layer does not cross it) holding upper/, work/
 * and merged/, the overlayfs mounted on merged/; its path into merged. The tmpfs is the
 * container's: its pages are charged to the container's memory cgroup and it goes when the
 * last process of the mount namespace does. */
static int overlay_root(const char *rootfs, char *merged, size_t len, struct crowd_error *err)
{
	char base[PATH_MAX], upper[PATH_MAX + 8], work[PATH_MAX + 8], opts[3 * PATH_MAX + 64];
	if (strpbrk(rootfs, ",:\\"))
		return crowd_error_set(err, EINVAL,
				       "--rootfs-mode overlay: rootfs path '%s' has ',', ':' or '\\' "
				       "(not allowed in overlayfs options)",
				       rootfs);
	if ((size_t)snprintf(base, sizeof(base), "%s/tmp", rootfs) >= sizeof(base))
		return crowd_error_set(err, ENAMETOOLONG, "rootfs path too long");
	if (mount("tmpfs", base, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0)
		return ERRNO_SET(err, errno,
				 "--rootfs-mode overlay: mounting a tmpfs on %s (the rootfs needs "
				 "a /tmp directory)",
				 base);
	snprintf(upper, sizeof(upper), "%s/upper", base);
	snprintf(work, sizeof(work), "%s/work", base);
	if ((size_t)snprintf(merged, len, "%s/merged", base) >= len)
		return crowd_error_set(err, ENAMETOOLONG, "rootfs path too long");
	if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0 || mkdir(merged, 0755) < 0)
		return ERRNO_SET(err, errno, "--rootfs-mode overlay: mkdir in %s", base);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", rootfs, upper, work);
	if (mount("overlay", merged, "overlay", MS_NOSUID, opts) < 0)
		return ERRNO_SET(err, errno, "--rootfs-mode overlay: mounting overlayfs on %s",
				 merged);
	return 0;
}

/* Debug: CROWD_DEBUG_EXTRA_MOUNTS=N makes each container mount and unmount a tmpfs N times
 * on a scratch directory under its private /tmp during setup, a deliberate slowdown for
 * demonstrating crowd compare. Unset or empty: 0. Parsed by hand (no locale in the child). */
#define EXTRA_MOUNTS_ENV "CROWD_DEBUG_EXTRA_MOUNTS"
#define EXTRA_MOUNTS_MAX 100000

static int debug_extra_mounts(struct crowd_error *err)
{
	const char *v = getenv(EXTRA_MOUNTS_ENV);
	unsigned long n = 0;
	if (!v || !*v)
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > EXTRA_MOUNTS_MAX)
			return crowd_error_set(err, EINVAL,
					       EXTRA_MOUNTS_ENV "='%s': want a count 0..%d", v,
					       EXTRA_MOUNTS_MAX);
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > EXTRA_MOUNTS_MAX)
		return crowd_error_set(err, EINVAL, EXTRA_MOUNTS_ENV "='%s': want a count 0..%d", v,
				       EXTRA_MOUNTS_MAX);
	if (!n)
		return 0;
	static const char dir[] = "/tmp/.crowd-debug-mounts";
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ERRNO_SET(err, errno, EXTRA_MOUNTS_ENV ": mkdir %s", dir);
	for (unsigned long i = 0; i < n; i++) {
		if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") < 0)
			return ERRNO_SET(err, errno, EXTRA_MOUNTS_ENV ": mount %lu on %s", i + 1,
					 dir);
		if (umount2(dir, 0) < 0)
			return ERRNO_SET(err, errno, EXTRA_MOUNTS_ENV ": umount %s", dir);
	}
	rmdir(dir);
	return 0;
}

/* The host's /sys, with every mount below it (cgroup file systems among them), read-only:
 * on the host root a container would otherwise write its own cgroup limits. */
static int sys_readonly(struct crowd_error *err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
	struct stat st;

	if (stat("/sys", &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (syscall(SYS_mount_setattr, AT_FDCWD, "/sys", AT_RECURSIVE, &attr, sizeof(attr)) == 0)
		return 0;
	/* Before 5.12: the top mount only. */
	if (errno != ENOSYS)
		return ERRNO_SET(err, errno, "making /sys read-only");
	if (mount("/sys", "/sys", NULL, MS_BIND | MS_REC, NULL) < 0)
		return ERRNO_SET(err, errno, "binding /sys");
	return remount_ro("/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, false, err);
}

int crowd_rootfs_enter(const char *rootfs, bool with_proc, bool userns, unsigned security,
		       bool overlay, struct crowd_error *err)
{
	mode_t old = umask(0);
	int r = 0;

	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		r = ERRNO_SET(err, errno, "making / private");
	} else if (rootfs) {
		char merged[PATH_MAX];
		if (overlay && (r = overlay_root(rootfs, merged, sizeof(merged), err)) == 0)
			rootfs = merged;
		if (r == 0)
			r = enter_pivot(rootfs, with_proc, userns, security, overlay, err);
		if (r == 0)
			r = debug_extra_mounts(err);
	} else {
		if (with_proc &&
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			r = ERRNO_SET(err, errno, "mounting a fresh /proc");
		if (r == 0 && (security & CROWD_SEC_SYS_RO))
			r = sys_readonly(err);
	}
	umask(old);
	return r;
}

/* ---- template: pivot once, copy per container ------------------------------------------ *
 * pivot_root walks every task on the host (chroot_fs_refs) and detaching the old root waits
 * for an expedited RCU grace period: both grow with the number of live containers. A mount
 * namespace that is already pivoted into the rootfs (read-only, old root detached) is made
 * once per rootfs by a helper process and held by an fd; each container joins it and
 * unshares a private copy (one mount), then mounts its own /proc, /dev and /tmp. */

#define TEMPLATE_MAX 4
static pthread_mutex_t tmpl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char path[PATH_MAX];
	int fd, scratch;
} tmpl[TEMPLATE_MAX];
static unsigned tmpl_n;

struct tmpl_ctx {
	const char *rootfs;
	int sock, parent_sock;
};

static int tmpl_build(const char *rootfs, struct crowd_error *err)
{
	static const char *const points[] = {"proc", "dev", "tmp"};
	struct stat st;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ERRNO_SET(err, errno, "making / private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return ERRNO_SET(err, errno, "binding rootfs %s", rootfs);
	if (chdir(rootfs) < 0)
		return ERRNO_SET(err, errno, "chdir %s", rootfs);
	/* The mount points containers need, made now: the root is read-only after this. */
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(points); i++)
		if (stat(points[i], &st) < 0 && mkdir(points[i], 0755) < 0)
			return ERRNO_SET(err, errno, "mkdir %s/%s", rootfs, points[i]);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return ERRNO_SET(err, errno, "pivot_root into %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		return ERRNO_SET(err, errno, "detaching the old root");
	if (chdir("/") < 0)
		return ERRNO_SET(err, errno, "chdir /");
	/* The scratch (mode 711: no listing of the containers' directories; size and inodes 0:
	 * no limit but each container's memory cgroup) and its read-only empty directory. */
	if (mount("tmpfs", SCRATCH, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=711,size=0,nr_inodes=0") <
	    0)
		return ERRNO_SET(err, errno, "mounting the scratch tmpfs on %s/" SCRATCH, rootfs);
	if (mkdir(SCRATCH "/empty", 0555) < 0 ||
	    mount(SCRATCH "/empty", SCRATCH "/empty", NULL, MS_BIND, NULL) < 0)
		return ERRNO_SET(err, errno, "scratch tmpfs: binding empty/");
	int r = remount_ro(SCRATCH "/empty", MS_NOSUID | MS_NODEV | MS_NOEXEC, false, err);
	return r < 0 ? r : remount_ro("/", 0, false, err);
}

static _Noreturn void tmpl_main(void *arg, bool in_cgroup)
{
	(void)in_cgroup;
	struct tmpl_ctx *c = arg;
	struct crowd_error e = {0};
	char b;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	close(c->parent_sock);
	umask(0);
	/* The error, and with success an fd of the scratch for the parent's removals. */
	int fd =
	    tmpl_build(c->rootfs, &e) < 0 ? -1 : open(SCRATCH, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && !e.code)
		ERRNO_SET(&e, errno, "open %s/" SCRATCH, c->rootfs);
	crowd_send_fd(c->sock, &e, sizeof(e), fd);
	/* Stay until the parent holds the namespace (it kills us, or goes away). */
	while (read(c->sock, &b, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int tmpl_make(const char *rootfs, int *ret_fd, int *ret_scratch, struct crowd_error *err)
{
	struct tmpl_ctx c = {.rootfs = rootfs};
	struct crowd_error ce;
	char path[64];
	bool in_cg;
	int sv[2], pidfd = -1, r = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return crowd_error_errno(err, errno, "rootfs template: socketpair");
	c.parent_sock = sv[0];
	c.sock = sv[1];
	pid_t pid = crowd_spawn(CLONE_NEWNS, 0, -1, tmpl_main, &c, &pidfd, &in_cg, err);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return crowd_error_prefix(err, "rootfs template");
	}
	ssize_t n = crowd_recv_fd(sv[0], &ce, sizeof(ce), ret_scratch);
	if (n != (ssize_t)sizeof(ce)) {
		r = crowd_error_set(err, ECHILD, "rootfs template: the helper died");
	} else if (ce.code) {
		ce.msg[sizeof(ce.msg) - 1] = '\0';
		*err = ce;
		r = -ce.code;
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		*ret_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*ret_fd < 0)
			r = crowd_error_errno(err, errno, "rootfs template: open %s", path);
	}
	if (r == 0 && *ret_scratch < 0)
		r = crowd_error_set(err, EPROTO, "rootfs template: no scratch fd from the helper");
	if (r < 0 && *ret_scratch >= 0)
		crowd_closep(ret_scratch);
	if (r < 0 && *ret_fd >= 0)
		crowd_closep(ret_fd);
	kill(pid, SIGKILL);
	close(sv[0]);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	return r;
}

int crowd_rootfs_template(const char *rootfs, int *ret_fd, int *ret_scratch,
			  struct crowd_error *err)
{
	int r = 0;

	*ret_fd = *ret_scratch = -1;
	pthread_mutex_lock(&tmpl_lock);
	for (unsigned i = 0; i < tmpl_n; i++)
		if (!strcmp(tmpl[i].path, rootfs)) {
			*ret_fd = tmpl[i].fd;
			*ret_scratch = tmpl[i].scratch;
			goto out;
		}
	if (strlen(rootfs) >= sizeof(tmpl[0].path)) {
		r = crowd_error_set(err, ENAMETOOLONG, "rootfs path too long");
		goto out;
	}
	if (tmpl_n == TEMPLATE_MAX) {
		/* Containers being made may be joining the cached ones: none is replaced. */
		r = crowd_error_set(err, EMFILE, "more than %d rootfs directories in one process",
				    TEMPLATE_MAX);
		goto out;
	}
	if ((r = tmpl_make(rootfs, ret_fd, ret_scratch, err)) < 0)
		goto out;
	snprintf(tmpl[tmpl_n].path, sizeof(tmpl[0].path), "%s", rootfs);
	tmpl[tmpl_n].fd = *ret_fd;
	tmpl[tmpl_n++].scratch = *ret_scratch;
out:
	pthread_mutex_unlock(&tmpl_lock);
	return r;
}

int crowd_rootfs_enter_template(int tmpl_fd, const char *id, bool with_proc, unsigned security,
				struct crowd_error *err)
{
	mode_t old = umask(0);
	char own[OWN_MAX];
	int r = 0;

	if (setns(tmpl_fd, CLONE_NEWNS) < 0)
		r = ERRNO_SET(err, errno, "joining the rootfs template");
	else if (unshare(CLONE_NEWNS) < 0)
		r = ERRNO_SET(err, errno, "unshare mnt namespace");
	else if (chdir("/") < 0)
		r = ERRNO_SET(err, errno, "chdir /");
	else if ((r = scratch_own(id, own, sizeof(own), err)) < 0)
		;
	/* /dev first: the masks bind its null node (the host's is not reachable here); /tmp
	 * last: it covers the scratch. */
	else if ((r = setup_dev(false, own, err)) < 0)
		;
	else if (with_proc && (r = setup_proc(false, security & CROWD_SEC_MASKS, true, err)) < 0)
		;
	else
		r = setup_tmp(own, err);
	if (r == 0)
		r = debug_extra_mounts(err);
	umask(old);
	return r;
}

int crowd_rootfs_scratch_remove(int scratch_fd, const char *id)
{
	struct stat st;
	if (fstat(scratch_fd, &st) < 0)
		return -errno;
	return crowd_rmtree_at(scratch_fd, id, st.st_dev);
}
