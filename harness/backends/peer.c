/* Spawning and cleanup helpers for the peer backends. */
#include "peer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "engine/config.h"
#include "core/cgroup.h"
#include "core/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static size_t children_of(pid_t pid, pid_t *out, size_t max);

static char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};

/* close_range(2), or a loop where the kernel lacks it (bounded by RLIMIT_NOFILE). */
static int close_range_compat(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return 0;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	long max = sysconf(_SC_OPEN_MAX);
	for (unsigned fd = lo; fd <= hi && (long)fd < max; fd++)
		close((int)fd);
	return 0;
}

/* The child after fork: only async-signal-safe calls; reports errno through errfd. */
static void __attribute__((noreturn))
child_exec(const struct crowd_peer_spawn *s, int devnull, int errfd, int gofd)
{
	int e = 0;
	int stdio[3] = {s->stdin_fd, s->stdout_fd, s->stderr_fd};
	int tmp[16];
	unsigned n = s->n_keep > 16 ? 16 : s->n_keep;
	int base = 3 + (int)n + 1;

	if ((s->flags & CROWD_PEER_PDEATHSIG) && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	/* Move everything we keep above the target range first so dup2 cannot clobber. */
	if ((errfd = fcntl(errfd, F_DUPFD_CLOEXEC, base + 20)) < 0)
		goto fail;
	if (gofd >= 0 && (gofd = fcntl(gofd, F_DUPFD_CLOEXEC, base + 21)) < 0)
		goto fail;
	for (int i = 0; i < 3; i++)
		if ((stdio[i] = fcntl(stdio[i] >= 0 ? stdio[i] : devnull, F_DUPFD, base)) < 0)
			goto fail;
	for (unsigned i = 0; i < n; i++)
		if ((tmp[i] = fcntl(s->keep_fds[i], F_DUPFD, base)) < 0)
			goto fail;
	for (int i = 0; i < 3; i++)
		if (dup2(stdio[i], i) < 0)
			goto fail;
	for (unsigned i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + (int)i) < 0)
			goto fail;
	/* Close everything from 3+n up except errfd and gofd, which may sit anywhere above (a
	 * busy crowd has thousands of fds open). */
	int lo = errfd < gofd || gofd < 0 ? errfd : gofd, hi = errfd < gofd ? gofd : errfd;
	if (close_range_compat(3 + n, (unsigned)lo - 1) < 0 ||
	    (hi != lo && close_range_compat((unsigned)lo + 1, (unsigned)hi - 1) < 0) ||
	    close_range_compat((unsigned)hi + 1, ~0U) < 0)
		goto fail;
	if (s->flags & CROWD_PEER_CGROUP2_NS) {
		if (unshare(CLONE_NEWNS) < 0)
			goto fail;
		if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) /* type ignored */
			goto fail;
		if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			goto fail;
	}
	if (gofd >= 0) {
		char b;
		ssize_t got;
		do
			got = read(gofd, &b, 1);
		while (got < 0 && errno == EINTR);
		if (got != 1) {
			errno = ECANCELED;
			goto fail;
		}
	}
	execve(s->argv[0], s->argv,
	       s->envp				     ? s->envp
	       : (s->flags & CROWD_PEER_INHERIT_ENV) ? environ
						     : default_env);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

int crowd_peer_spawn(const struct crowd_peer_spawn *s, pid_t *ret_pid, int *ret_pidfd,
		     struct crowd_error *err)
{
	int p[2];
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return crowd_error_errno(err, errno, "open /dev/null");
	if (pipe2(p, O_CLOEXEC) < 0)
		return crowd_error_errno(err, errno, "pipe");
	_cleanup_close_ int rd = p[0];
	_cleanup_close_ int wr = p[1];

	int g[2] = {-1, -1};
	if (s->in_parent && pipe2(g, O_CLOEXEC) < 0)
		return crowd_error_errno(err, errno, "pipe");
	_cleanup_close_ int go_rd = g[0];
	_cleanup_close_ int go_wr = g[1];

	pid_t pid = fork();
	if (pid < 0)
		return crowd_error_errno(err, errno, "fork for %s", s->argv[0]);
	if (pid == 0)
		child_exec(s, devnull, wr, go_rd);
	crowd_closep(&wr);
	if (s->in_parent) {
		crowd_closep(&go_rd);
		int r = s->in_parent(pid, s->ctx, err);
		if (r < 0 || crowd_write_all(go_wr, "g", 1) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return r < 0 ? r : crowd_error_errno(err, EPIPE, "start %s", s->argv[0]);
		}
		crowd_closep(&go_wr);
	}
	int e = 0;
	ssize_t n;
	do
		n = read(rd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		return crowd_error_errno(err, e, "exec %s%s", s->argv[0],
					 (s->flags & CROWD_PEER_CGROUP2_NS)
					     ? " (in a mount namespace with cgroup2)"
					     : "");
	}
	*ret_pid = pid;
	if (ret_pidfd) {
		int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		*ret_pidfd = fd >= 0 ? fd : -1;
	}
	return 0;
}

int crowd_peer_wait(pid_t pid, int pidfd, int timeout_ms, int *ret_status)
{
	int64_t deadline = crowd_now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (ret_status)
				*ret_status = st;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		int64_t left_ms = (deadline - crowd_now_ns()) / 1000000;
		if (left_ms <= 0)
			return -ETIMEDOUT;
		if (pidfd >= 0) {
			struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
			poll(&pfd, 1, (int)(left_ms > 100 ? 100 : left_ms));
		} else {
			usleep(1000);
		}
	}
}

void crowd_peer_kill(pid_t *pid, int *pidfd)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	*pid = 0;
	if (pidfd)
		crowd_closep(pidfd);
}

int crowd_peer_run(char *const *argv, unsigned flags, int timeout_ms, char *out, size_t outlen,
		   struct crowd_error *err)
{
	int p[2] = {-1, -1};
	if (out && pipe2(p, O_CLOEXEC) < 0)
		return crowd_error_errno(err, errno, "pipe");
	_cleanup_close_ int rd = p[0];
	_cleanup_close_ int wr = p[1];
	struct crowd_peer_spawn s = {.argv = argv,
				     .stdin_fd = -1,
				     .stdout_fd = wr,
				     .stderr_fd = wr,
				     .flags = flags | CROWD_PEER_PDEATHSIG};
	pid_t pid;
	_cleanup_close_ int pidfd = -1;
	int r = crowd_peer_spawn(&s, &pid, &pidfd, err);
	if (r < 0)
		return r;
	crowd_closep(&wr);
	size_t off = 0;
	if (out) {
		int64_t deadline = crowd_now_ns() + (int64_t)timeout_ms * 1000000;
		out[0] = '\0';
		for (;;) {
			int64_t left = (deadline - crowd_now_ns()) / 1000000;
			struct pollfd pfd = {.fd = rd, .events = POLLIN};
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				break;
			char buf[512];
			ssize_t n = read(rd, buf, sizeof(buf));
			if (n <= 0)
				break;
			if (off + 1 < outlen) {
				size_t c =
				    (size_t)n < outlen - 1 - off ? (size_t)n : outlen - 1 - off;
				memcpy(out + off, buf, c);
				off += c;
				out[off] = '\0';
			}
		}
		while (off > 0 && (out[off - 1] == '\n' || out[off - 1] == ' '))
			out[--off] = '\0';
	}
	int st = 0;
	if (crowd_peer_wait(pid, pidfd, timeout_ms, &st) < 0) {
		crowd_peer_kill(&pid, NULL);
		return crowd_error_set(err, ETIMEDOUT, "%s: no exit within %d ms", argv[0],
				       timeout_ms);
	}
	if (WIFSIGNALED(st))
		return crowd_error_set(err, EINTR, "%s: killed by signal %d", argv[0],
				       WTERMSIG(st));
	return WEXITSTATUS(st);
}

int crowd_peer_rmtree(const char *path, struct crowd_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : crowd_error_errno(err, errno, "stat %s", path);
	int r = crowd_rmtree_at(AT_FDCWD, path, st.st_dev);
	if (r < 0)
		return crowd_error_errno(err, -r, "remove %s", path);
	return 0;
}

int crowd_peer_which(const char *name, char *buf, size_t len)
{
	const char *env = getenv("PATH");
	char path[4096];
	snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin:/usr/bin:/bin", env ? env : "");
	char *save = NULL;
	for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (dir[0] != '/')
			continue;
		if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len)
			continue;
		if (access(buf, X_OK) == 0)
			return 0;
	}
	buf[0] = '\0';
	return -ENOENT;
}

int crowd_peer_netns_open(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

pid_t crowd_peer_read_pidfile(const char *path)
{
	char buf[32];
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return 0;
	long v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : 0;
}

static ino_t netns_ino(pid_t pid)
{
	char path[64];
	struct stat st;
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	return stat(path, &st) < 0 ? 0 : st.st_ino;
}

pid_t crowd_peer_find_netns_child(pid_t pid)
{
	pid_t queue[256];
	size_t head = 0, tail = 0;
	ino_t self = netns_ino(0);
	queue[tail++] = pid;
	while (head < tail) {
		pid_t p = queue[head++];
		ino_t ino = netns_ino(p);
		if (ino && ino != self)
			return p;
		tail += children_of(p, queue + tail, 256 - tail);
	}
	return 0;
}

int crowd_peer_rootfs(const struct crowd_config *cfg, char *buf, size_t len,
		      struct crowd_error *err)
{
	if (!cfg->rootfs || !strcmp(cfg->rootfs, "host")) {
		snprintf(buf, len, "/");
		return 0;
	}
	char *abs = realpath(cfg->rootfs, NULL);
	if (!abs)
		return crowd_error_errno(err, errno, "--rootfs '%s'", cfg->rootfs);
	struct stat st;
	if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		free(abs);
		return crowd_error_set(err, ENOTDIR, "--rootfs '%s': not a directory", cfg->rootfs);
	}
	snprintf(buf, len, "%s", abs);
	free(abs);
	return 0;
}

void crowd_peer_log_tail(const char *path, char *buf, size_t len)
{
	char text[8192];
	buf[0] = '\0';
	ssize_t n = crowd_read_file(path, text, sizeof(text), NULL);
	if (n <= 0)
		return;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\r'))
		text[--n] = '\0';
	char *line = strrchr(text, '\n');
	snprintf(buf, len, "%s", line ? line + 1 : text);
}

int crowd_peer_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Children of pid over all of its threads (a Go runtime forks from any thread). */
static size_t children_of(pid_t pid, pid_t *out, size_t max)
{
	char path[96];
	size_t n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < max) {
		if (de->d_name[0] == '.')
			continue;
		char cpath[128], buf[1024];
		if (crowd_peer_fmt(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid,
				   de->d_name) < 0)
			continue;
		if (crowd_read_file(cpath, buf, sizeof(buf), NULL) <= 0)
			continue;
		char *save = NULL;
		for (char *t = strtok_r(buf, " \n", &save); t && n < max;
		     t = strtok_r(NULL, " \n", &save))
			out[n++] = (pid_t)strtol(t, NULL, 10);
	}
	closedir(d);
	return n;
}

pid_t crowd_peer_first_child(pid_t pid)
{
	pid_t c[4];
	return children_of(pid, c, 4) ? c[0] : 0;
}

/* Every descendant of pid, breadth first. */
static size_t descendants(pid_t pid, pid_t *out, size_t max)
{
	size_t head = 0, tail = 0;
	tail = children_of(pid, out, max);
	while (head < tail && tail < max) {
		pid_t p = out[head++];
		tail += children_of(p, out + tail, max - tail);
	}
	return tail;
}

void crowd_peer_kill_tree(pid_t *pid, int *pidfd)
{
	if (*pid > 0) {
		/* Stop the top first so it cannot make new children, then the rest. */
		kill(*pid, SIGSTOP);
		/* A few rounds catch what forked while we looked; killed ones stay listed as
		 * zombies until reaped, so the count alone cannot say "done". */
		for (int round = 0; round < 3; round++) {
			pid_t d[512];
			size_t n = descendants(*pid, d, CROWD_ARRAY_SIZE(d));
			if (!n)
				break;
			for (size_t i = 0; i < n; i++)
				kill(d[i], SIGKILL);
		}
	}
	crowd_peer_kill(pid, pidfd);
}

const char *crowd_peer_top(void)
{
	const char *t = crowd_cg_top(NULL);
	return t ? t : "crowd";
}

int crowd_peer_scratch_root(char *buf, size_t len)
{
	return crowd_peer_fmt(buf, len, "/tmp/crowd-%s", crowd_peer_top());
}

int crowd_peer_scratch(struct crowd_backend_run *run, struct crowd_error *err)
{
	char root[PATH_MAX];
	if (!run->scratch[0] &&
	    (crowd_peer_scratch_root(root, sizeof(root)) < 0 ||
	     crowd_peer_fmt(run->scratch, sizeof(run->scratch), "%s/%s-%s", root,
			    run->run_name[0] ? run->run_name : "run", run->backend->name) < 0))
		return crowd_error_set(err, ENAMETOOLONG, "scratch path too long");
	return crowd_mkdir_p(run->scratch, 0700, 0755, err);
}

void crowd_peer_scratch_remove(struct crowd_backend_run *run)
{
	char parent[PATH_MAX];
	if (!run->scratch[0])
		return;
	crowd_peer_rmtree(run->scratch, NULL);
	if (crowd_peer_scratch_root(parent, sizeof(parent)) == 0 &&
	    !strncmp(run->scratch, parent, strlen(parent)))
		rmdir(parent);
}

void crowd_peer_cg_memory(struct crowd_cg *cg, struct crowd_inst *inst)
{
	struct crowd_cg_stats st;
	if (cg && crowd_cg_stats(cg, &st, NULL) == 0 && st.memory_current_bytes >= 0)
		inst->sample.cgroup_bytes = st.memory_current_bytes;
}

int crowd_peer_cg_destroy(struct crowd_cg **cg, struct crowd_error *err)
{
	struct crowd_error e = {0};
	int r = 0;
	if (*cg && crowd_cg_destroy(*cg, &e) < 0)
		r = crowd_error_set(err, e.code ? e.code : EBUSY, "%s", e.msg);
	*cg = NULL;
	return r;
}

void crowd_peer_inst_stopped(struct crowd_inst *inst)
{
	inst->pid = 0;
	inst->pidfd = -1; /* the backend's own copy, closed with its state */
	crowd_closep(&inst->netns_fd);
	crowd_closep(&inst->ready_fd);
	inst->priv = NULL;
	inst->stopped = true;
}

/* Whether dir (a run's scratch, <run>-<name>) is backend name's. */
static bool scratch_of(const char *dir, const char *name)
{
	size_t l = strlen(dir), n = strlen(name);
	return l > n + 1 && dir[l - n - 1] == '-' && !strcmp(dir + l - n, name);
}

/* rm -rf a run's scratch, trying again for a while: a runtime's waiting `run` may still be
 * writing or removing its state as the kill lands. */
static int scratch_remove(const char *path, struct crowd_error *err)
{
	struct crowd_error e = {0};
	for (int i = 0; i < 40; i++) {
		e = (struct crowd_error){0};
		int r = crowd_peer_rmtree(path, &e);
		if (r == 0 && access(path, F_OK) < 0)
			return 0;
		if (r == 0)
			crowd_error_set(&e, ENOTEMPTY, "remove %s: refilled while removed", path);
		usleep(50000);
	}
	return crowd_error_set(err, e.code, "%s", e.msg);
}

int crowd_peer_sweep(const char *name, crowd_peer_sweep_fn per_run, const void *ctx,
		     struct crowd_sweep *ret, struct crowd_error *err)
{
	char root[PATH_MAX];
	if (crowd_peer_scratch_root(root, sizeof(root)) < 0)
		return crowd_error_set(err, ENAMETOOLONG, "scratch path too long");
	DIR *d = opendir(root);
	if (!d)
		return errno == ENOENT ? 0 : crowd_error_errno(err, errno, "open %s", root);
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		if (de->d_name[0] == '.' || !scratch_of(de->d_name, name) ||
		    crowd_peer_fmt(path, sizeof(path), "%s/%s", root, de->d_name) < 0)
			continue;
		struct crowd_error e = {0};
		if (per_run)
			per_run(path, ctx, ret, &e);
		if (scratch_remove(path, e.code ? NULL : &e) < 0)
			ret->left++;
		else
			ret->dirs++;
		if (e.code && !r)
			r = crowd_error_set(err, e.code, "%s", e.msg);
	}
	closedir(d);
	/* The last backend's sweep finds it empty. */
	if (rmdir(root) < 0 && errno != ENOENT && errno != ENOTEMPTY && !r)
		r = crowd_error_errno(err, errno, "remove %s", root);
	return r;
}

/* Whether /proc/PID/cmdline holds a then b as consecutive arguments. */
static bool cmdline_has(const char *pid, const char *a, const char *b)
{
	char path[64], buf[8192];
	if (crowd_peer_fmt(path, sizeof(path), "/proc/%s/cmdline", pid) < 0)
		return false;
	ssize_t n = crowd_read_file(path, buf, sizeof(buf), NULL);
	if (n <= 0)
		return false;
	const char *prev = NULL;
	for (const char *p = buf; p < buf + n; p += strlen(p) + 1) {
		if (prev && !strcmp(prev, a) && !strcmp(p, b))
			return true;
		prev = p;
	}
	return false;
}

unsigned crowd_peer_kill_by_args(const char *a, const char *b)
{
	pid_t pids[256];
	size_t n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < CROWD_ARRAY_SIZE(pids)) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || atoi(de->d_name) == getpid())
			continue;
		if (cmdline_has(de->d_name, a, b))
			pids[n++] = atoi(de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	/* Not our children: wait until they are gone (or only zombies) for up to 2 s. */
	for (int round = 0; round < 200; round++) {
		bool alive = false;
		for (size_t i = 0; i < n && !alive; i++) {
			char path[64], st[512];
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
			if (crowd_read_file(path, st, sizeof(st), NULL) > 0) {
				const char *rp = strrchr(st, ')');
				alive = rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
			}
		}
		if (!alive)
			break;
		usleep(10000);
	}
	return (unsigned)n;
}
