/* crowd_ctr_*: one container = clone3 into fresh namespaces and a cgroup, set up in the
 * child, exec. The child runs between clone() and execve() in a possibly multithreaded
 * harness's memory (shared, CROWD_SPAWN_SHARE_VM, or a copy for a user namespace, whose
 * child must wait for the parent): it must not malloc, use stdio or strerror, nor write
 * any global (all prepared here, in struct child_ctx). */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "container.h"
#include "netns.h"
#include "registry.h"
#include "rootfs.h"
#include "spawn.h"
#include "userns.h"
#include "util.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* Child to parent over the sync socket: setup done (then EOF on exec), or an error. */
enum { MSG_SETUP = 1, MSG_ERROR = 2 };
struct ctr_msg {
	int kind;
	int64_t t_ns;
	int64_t t_start_ns; /* when the child first ran: clone returned there */
	struct crowd_error err;
};

/* Everything the child needs, prepared by the parent before clone. */
struct child_ctx {
	const struct crowd_ctr_spec *spec;
	unsigned long ns;    /* namespaces the child got from clone */
	bool unshare_cgroup; /* cgroup ns: after the parent attached us to the leaf */
	bool userns;
	int sock, parent_sock; /* sync socketpair ends */
	int ready_w;	       /* readiness pipe, write end, or -1 */
	int pod_pidfd;	       /* -1: no pod */
	char *const *envp;
	const char *path; /* PATH for the argv[0] lookup */
	const char *hostname;
	struct crowd_cg_attach attach; /* without a user namespace the child joins its cgroups */
	int rootfs_tmpl;	       /* mount namespace to copy, or -1: clone one and pivot */
	const char *id;		       /* the container's, for its scratch directory */
	cap_t caps;		       /* this child's scratch set for crowd_caps_apply */
	bool netns_join;	       /* the network namespace comes over sock (netns.h) */
	const struct crowd_seccomp *seccomp; /* loaded last, or NULL */
};

void crowd_ctr_spec_init(struct crowd_ctr_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->ns = CROWD_NS_DEFAULT;
	spec->limits = (struct crowd_cg_limits)CROWD_CG_LIMITS_NONE;
	spec->caps = CROWD_CAPS_DEFAULT;
	spec->security = CROWD_SEC_ALL;
	spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;
}

static bool limits_set(const struct crowd_cg_limits *l)
{
	return l->memory_max_bytes >= 0 || l->pids_max >= 0 || l->cpu_quota_us >= 0 ||
	       l->cpuset_cpus[0] || l->cpuset_mems[0];
}

/* ---- child ---------------------------------------------------------------------------- */

/* Put the spec's stdio on 0..2 (/dev/null for -1), mark every other fd close-on-exec and
 * leave the readiness pipe as the one extra fd the workload inherits. */
static int child_fds(struct child_ctx *c, struct crowd_error *err)
{
	int src[3];
	for (int i = 0; i < 3; i++) {
		src[i] = c->spec->stdio[i];
		if (src[i] < 0 && (src[i] = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
			return ERRNO_SET(err, errno, "opening /dev/null for fd %d", i);
	}
	/* A source below 3 that is not already in place could be overwritten by an earlier
	 * dup2: move it out of the way first. */
	for (int i = 0; i < 3; i++)
		if (src[i] < 3 && src[i] != i && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return ERRNO_SET(err, errno, "dup of stdio fd");
	for (int i = 0; i < 3; i++) {
		if (src[i] == i) {
			if (fcntl(i, F_SETFD, 0) < 0)
				return ERRNO_SET(err, errno, "fcntl fd %d", i);
		} else if (dup2(src[i], i) < 0) {
			return ERRNO_SET(err, errno, "dup2 onto fd %d", i);
		}
	}
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		/* Kernels before 5.11: close-on-exec one by one. */
		for (int fd = 3; fd < 1024; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	if (c->ready_w >= 0 && fcntl(c->ready_w, F_SETFD, 0) < 0)
		return ERRNO_SET(err, errno, "keeping the readiness fd");
	return 0;
}

/* Setup inside the container's namespaces, once it is in its cgroups (and mapped, in a user
 * namespace). Without a user namespace it runs while the parent writes the registry. */
static int child_setup_early(struct child_ctx *c, struct crowd_error *err)
{
	const struct crowd_ctr_spec *spec = c->spec;
	int r;

	if (c->pod_pidfd >= 0 && setns(c->pod_pidfd, CROWD_POD_NS) < 0)
		return ERRNO_SET(err, errno, "joining the pod's namespaces");
	if ((c->ns & CLONE_NEWUTS) && sethostname(c->hostname, strlen(c->hostname)) < 0)
		return ERRNO_SET(err, errno, "sethostname %s", c->hostname);
	if ((c->ns & CLONE_NEWNET) && !c->netns_join && (r = crowd_net_lo_up(err)) < 0)
		return r;
	if ((r = child_fds(c, err)) < 0)
		return r;
	if (c->rootfs_tmpl >= 0) {
		if ((r = crowd_rootfs_enter_template(c->rootfs_tmpl, c->id, true, spec->security,
						     err)) < 0)
			return r;
	} else if (c->ns & CLONE_NEWNS) {
		bool proc = (c->ns & CLONE_NEWPID) || spec->rootfs;
		if ((r = crowd_rootfs_enter(spec->rootfs, proc, c->userns, spec->security,
					    spec->rootfs_overlay, err)) < 0)
			return r;
	} else if (chdir("/") < 0) {
		return ERRNO_SET(err, errno, "chdir /");
	}
	/* Last: the maker thread had all of the above to make it. */
	if (c->netns_join && (r = crowd_netns_join(c->sock, err)) < 0)
		return r;
	return 0;
}

/* We are in our cgroups now (and mapped, in a user namespace). */
static int child_setup_late(struct child_ctx *c, struct crowd_error *err)
{
	bool nnp = c->spec->security & CROWD_SEC_NNP;
	sigset_t none;
	int r;

	/* The cgroup namespace is rooted where we are now: in the container's leaf. */
	if (c->unshare_cgroup && unshare(CLONE_NEWCGROUP) < 0)
		return ERRNO_SET(err, errno, "unshare cgroup namespace");
	/* Without no_new_privs only CAP_SYS_ADMIN may load a filter: before the caps go. */
	if (c->seccomp && !nnp && (r = crowd_seccomp_apply(c->seccomp, err)) < 0)
		return r;
	if ((r = crowd_caps_apply(c->spec->caps, c->caps, err)) < 0)
		return r;
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ERRNO_SET(err, errno, "PR_SET_NO_NEW_PRIVS");
	/* The harness may block signals or ignore SIGPIPE; the workload starts clean. A handler
	 * of the harness must not run here, in its memory, once signals are unblocked. */
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;
		if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN) {
			sa.sa_handler = SIG_DFL;
			sa.sa_flags = 0;
			sigaction(s, &sa, NULL);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* Last before exec: the filter may refuse what the setup above needs. */
	if (c->seccomp && nnp && (r = crowd_seccomp_apply(c->seccomp, err)) < 0)
		return r;
	return 0;
}

static void child_send(int sock, const struct ctr_msg *m)
{
	ssize_t n;
	do
		n = send(sock, m, sizeof(*m), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
}

/* execve argv[0], looked up in c->path when it has no '/' (the container's PATH, not ours). */
static int child_exec(struct child_ctx *c, struct crowd_error *err)
{
	const char *file = c->spec->argv[0];
	char buf[4096];
	int first = ENOENT;

	if (strchr(file, '/')) {
		execve(file, c->spec->argv, c->envp);
		return ERRNO_SET(err, errno, "exec %s", file);
	}
	size_t flen = strlen(file);
	for (const char *p = c->path; *p;) {
		size_t dlen = strcspn(p, ":");
		if (dlen + flen + 2 <= sizeof(buf)) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			execve(buf, c->spec->argv, c->envp);
			if (errno != ENOENT && errno != ENOTDIR && first == ENOENT)
				first = errno;
		}
		p += dlen;
		if (*p == ':')
			p++;
	}
	return crowd_error_set(err, first, "exec %s: %s%s", file, strerrordesc_np(first),
			       first == ENOENT ? " in the container's PATH" : "");
}

static _Noreturn void child_main(void *arg, bool in_cgroup)
{
	struct child_ctx *c = arg;
	struct ctr_msg m = {.kind = MSG_ERROR, .t_start_ns = crowd_now_ns()};
	char b;
	ssize_t n;

	/* A killed harness takes its containers with it. Set before looking at the socket: if
	 * the parent is already gone, the socket shows it (hang-up, or EOF on the release). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	close(c->parent_sock);
	if (c->userns) {
		/* In a user namespace nothing works before the parent wrote the id maps. */
		do
			n = read(c->sock, &b, 1);
		while (n < 0 && errno == EINTR);
		if (n != 1)
			_exit(127);
	} else {
		/* Nothing to wait for: the child joins its cgroups itself (first, so what its
		 * setup allocates is charged to the container) while the parent writes the
		 * registry. One round trip between the two less on every start. */
		struct pollfd pfd = {.fd = c->sock, .events = POLLOUT};
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR)))
			_exit(127);
		if (crowd_cg_attach_self(&c->attach, in_cgroup, &m.err) < 0) {
			child_send(c->sock, &m);
			_exit(127);
		}
	}
	if (child_setup_early(c, &m.err) == 0 && child_setup_late(c, &m.err) == 0) {
		m.kind = MSG_SETUP;
		m.t_ns = crowd_now_ns();
		child_send(c->sock, &m);
		m.kind = MSG_ERROR;
		child_exec(c, &m.err);
	}
	child_send(c->sock, &m);
	_exit(127);
}

/* ---- parent --------------------------------------------------------------------------- */

static void ctr_kill_reap(pid_t pid, int pidfd)
{
	if (pid <= 0)
		return;
	if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

/* Read the child's report: setup time, then EOF once execve closed the socket. */
static int ctr_await(int sock, pid_t pid, struct crowd_ctr *ctr, struct crowd_error *err)
{
	struct ctr_msg m;
	bool setup = false;

	for (;;) {
		ssize_t n = recv(sock, &m, sizeof(m), 0);
		/* A child that exited without reading what the network namespace maker sent it
		 * resets the socket; the reset is reported before what the child queued (its
		 * error report): read on. */
		if (n < 0 && (errno == EINTR || errno == ECONNRESET))
			continue;
		if (n < 0)
			return crowd_error_errno(err, errno,
						 "reading the container's setup report");
		if (n == 0) {
			if (setup)
				return 0;
			return crowd_error_set(
			    err, ECHILD, "container init (pid %d) died during setup", (int)pid);
		}
		if ((size_t)n != sizeof(m))
			return crowd_error_set(err, EPROTO,
					       "short setup report from the container");
		if (m.kind == MSG_ERROR) {
			m.err.msg[sizeof(m.err.msg) - 1] = '\0';
			*err = m.err;
			if (err->code <= 0)
				err->code = EIO;
			return -err->code;
		}
		ctr->t_setup_ns = m.t_ns;
		/* clone returns twice; the child, running its setup at once, may be done before
		 * the parent's return is stamped: t_clone is the earlier of the two. */
		if (m.t_start_ns > 0 && m.t_start_ns < ctr->t_clone_ns)
			ctr->t_clone_ns = m.t_start_ns;
		setup = true;
	}
}

/* The environment: the spec's (or a minimal one), plus CROWD_READY_FD. */
static char **ctr_env(const struct crowd_ctr_spec *spec, int ready_w, char *ready_buf,
		      size_t ready_len, const char **ret_path)
{
	static char *const minimal[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	    "HOME=/",
	    "TERM=xterm",
	    NULL,
	};
	char *const *src = spec->envp ? spec->envp : minimal;
	size_t n = 0;
	while (src[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	*ret_path = default_path;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(src[i], "CROWD_READY_FD=", 15))
			continue;
		if (!strncmp(src[i], "PATH=", 5))
			*ret_path = src[i] + 5;
		env[k++] = src[i];
	}
	if (ready_w >= 0) {
		snprintf(ready_buf, ready_len, "CROWD_READY_FD=%d", ready_w);
		env[k++] = ready_buf;
	}
	env[k] = NULL;
	return env;
}

/* What the spec asks for, checked, into the child's context: namespaces, pod, filter. */
static int ctr_plan(const struct crowd_ctr_spec *spec, struct child_ctx *c, struct crowd_error *err)
{
	int r;

	if (!spec->argv || !spec->argv[0] || !spec->argv[0][0])
		return crowd_error_set(err, EINVAL, "no command to run");
	c->ns = spec->ns;
	c->userns = spec->rootless || (spec->ns & CLONE_NEWUSER);
	if (c->userns)
		c->ns |= CLONE_NEWUSER;
	if (spec->rootfs && !(c->ns & CLONE_NEWNS))
		return crowd_error_set(
		    err, EINVAL,
		    "a rootfs needs the mnt namespace (add mnt to --ns, or use --rootfs host)");
	if (spec->pod) {
		c->pod_pidfd = crowd_pod_pidfd(spec->pod);
		c->ns &= ~(unsigned long)CROWD_POD_NS;
		if (c->userns)
			return crowd_error_set(err, EINVAL,
					       "pods with --rootless are not supported");
	}
	c->unshare_cgroup = c->ns & CLONE_NEWCGROUP;
	if ((spec->security & CROWD_SEC_SECCOMP) && !(c->seccomp = spec->seccomp) &&
	    (r = crowd_seccomp_default(&c->seccomp, err)) < 0)
		return r;
	c->hostname = spec->hostname ? spec->hostname : "crowd";
	return 0;
}

/* The container's cgroup with its limits (and the device rules), the shared rootfs
 * template, and the files the child attaches itself through. On failure the caller
 * destroys ret->cg. */
static int ctr_cgroup(struct crowd_cg_run *run, const struct crowd_ctr_spec *spec,
		      struct child_ctx *c, struct crowd_ctr *ret, struct crowd_error *err)
{
	int r;

	if (run) {
		const char *leaf = spec->cgroup_leaf ? spec->cgroup_leaf : ret->id;
		struct crowd_cg_limits lim = spec->limits;
		crowd_sec_cg_limits(spec->security, &lim);
		if ((r = crowd_cg_create(run, leaf, &lim, &ret->cg, err)) < 0)
			return r;
	} else if (limits_set(&spec->limits)) {
		return crowd_error_set(
		    err, EPERM,
		    "cgroup limits were asked but there is no cgroup to apply them "
		    "(needs root or a delegated cgroup)");
	}
	/* The template pays off when containers share it; a single one pivots itself. */
	if (spec->rootfs && !c->userns && !spec->single && !spec->rootfs_overlay &&
	    (r = crowd_rootfs_template(spec->rootfs, &c->rootfs_tmpl, &ret->scratch_fd, err)) < 0)
		return r;
	ret->scratch = c->rootfs_tmpl >= 0;
	if (ret->cg && !c->userns && (r = crowd_cg_attach_open(ret->cg, &c->attach, err)) < 0)
		return r;
	ret->t_cgroup_ns = crowd_now_ns();
	return 0;
}

/* The readiness pipe (ret_r, ret_w) when asked for, and the child's environment naming it. */
static int ctr_ready_env(const struct crowd_ctr_spec *spec, struct child_ctx *c, int *ret_r,
			 int *ret_w, char ***ret_env, char *buf, size_t len,
			 struct crowd_error *err)
{
	int rp[2];

	if (spec->ready_pipe) {
		if (pipe2(rp, O_CLOEXEC) < 0)
			return crowd_error_errno(err, errno, "pipe2");
		*ret_r = rp[0];
		*ret_w = rp[1];
	}
	*ret_env = ctr_env(spec, *ret_w, buf, len, &c->path);
	if (!*ret_env)
		return crowd_error_set(err, ENOMEM, "out of memory");
	c->envp = *ret_env;
	c->ready_w = *ret_w;
	return 0;
}

/* After the clone: the cgroup and id maps of a child in a user namespace, the registry
 * record, the release of that child, and the child's report. On failure nothing of this
 * is left (the caller kills and reaps the child). */
static int ctr_register(const struct child_ctx *c, int sock_p, pid_t pid, struct crowd_ctr *ret,
			struct crowd_error *err)
{
	int r;

	ret->pidns_ino = crowd_reg_pidns_ino(pid);
	if (c->userns && ret->cg && (r = crowd_cg_attach(ret->cg, pid, err)) < 0)
		return r;
	if (c->userns && (r = crowd_userns_map(pid, geteuid(), getegid(), err)) < 0)
		return r;
	if ((r = crowd_reg_add(ret->id, pid, ret->pidns_ino, ret->cg, err)) < 0)
		return r;
	/* A child that failed early has exited: its report is still in the socket. */
	if (c->userns && send(sock_p, "r", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE &&
	    errno != ECONNRESET)
		r = crowd_error_errno(err, errno, "releasing the container");
	else
		r = ctr_await(sock_p, pid, ret, err);
	if (r < 0)
		crowd_reg_remove(ret->id);
	return r;
}

/* Its /dev and /tmp in the template's scratch, once nothing of it runs. */
static int ctr_scratch_remove(struct crowd_ctr *ctr)
{
	int r = 0;
	if (ctr->scratch && ctr->id[0])
		r = crowd_rootfs_scratch_remove(ctr->scratch_fd, ctr->id);
	ctr->scratch = false;
	return r;
}

int crowd_ctr_start(struct crowd_cg_run *run, const struct crowd_ctr_spec *spec,
		    struct crowd_ctr *ret, struct crowd_error *err)
{
	struct child_ctx c = {.spec = spec,
			      .ready_w = -1,
			      .pod_pidfd = -1,
			      .sock = -1,
			      .parent_sock = -1,
			      .attach = {.v2_fd = -1},
			      .rootfs_tmpl = -1};
	_cleanup_free_ char **env = NULL;
	_cleanup_close_ int sock_p = -1, sock_c = -1, ready_r = -1, ready_w = -1;
	_cleanup_cap_ cap_t caps = NULL;
	/* Declared after sock_p: waited for (the maker is done with sock_p) before it closes. */
	__attribute__((cleanup(crowd_netns_job_wait))) struct crowd_netns_job netns = {.sock = -1};
	char ready_buf[32];
	int sv[2], r;
	bool in_cgroup;
	pid_t pid;

	memset(ret, 0, sizeof(*ret));
	ret->pidfd = ret->ready_fd = -1;
	if ((r = ctr_plan(spec, &c, err)) < 0)
		return r;
	if (!(caps = cap_init()))
		return crowd_error_set(err, ENOMEM, "out of memory");
	c.caps = caps;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return crowd_error_errno(err, errno, "socketpair");
	sock_p = sv[0];
	sock_c = sv[1];
	/* The network namespace is made by the maker thread from now on, while the cgroup is
	 * made, the clone runs and the child mounts its root (none without root: the clone's
	 * own CLONE_NEWNET then fails and says why, as it always did). */
	if ((c.ns & CLONE_NEWNET) && !c.userns && geteuid() == 0)
		c.netns_join = crowd_netns_job_start(&netns, sock_p) == 0;
	if ((r = crowd_uuid_new(ret->id, err)) < 0)
		return r;
	c.id = ret->id;

	if ((r = ctr_cgroup(run, spec, &c, ret, err)) < 0 ||
	    (r = ctr_ready_env(spec, &c, &ready_r, &ready_w, &env, ready_buf, sizeof(ready_buf),
			       err)) < 0)
		goto fail;
	c.sock = sock_c;
	c.parent_sock = sock_p;

	/* With a template the child joins a mount namespace instead of copying ours. */
	unsigned long cflags = c.ns & ~(unsigned long)CLONE_NEWCGROUP;
	if (c.netns_join)
		cflags &= ~(unsigned long)CLONE_NEWNET;
	if (c.rootfs_tmpl >= 0)
		cflags &= ~(unsigned long)CLONE_NEWNS;
	/* A child in a user namespace waits for its id maps: it needs a copy of our memory. */
	pid = crowd_spawn(cflags, c.userns ? 0 : CROWD_SPAWN_SHARE_VM,
			  ret->cg ? crowd_cg_clone_fd(ret->cg) : -1, child_main, &c, &ret->pidfd,
			  &in_cgroup, err);
	if (pid < 0) {
		r = pid;
		goto fail;
	}
	ret->t_clone_ns = crowd_now_ns();
	ret->pid = pid;
	crowd_cg_attach_close(&c.attach);
	crowd_closep(&sock_c);
	crowd_closep(&ready_w);
	if (ret->pidfd < 0)
		ret->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if ((r = ctr_register(&c, sock_p, pid, ret, err)) < 0) {
		ctr_kill_reap(pid, ret->pidfd);
		ret->pid = 0;
		goto fail;
	}
	ret->ready_fd = crowd_steal_fd(ready_r);
	return 0;

fail:
	crowd_cg_attach_close(&c.attach);
	ctr_scratch_remove(ret);
	crowd_closep(&ret->pidfd);
	crowd_cg_destroy(ret->cg, NULL);
	ret->cg = NULL;
	return r;
}

int crowd_ctr_wait(struct crowd_ctr *ctr, int *ret_status, struct crowd_error *err)
{
	if (!ctr->reaped) {
		if (ctr->pid <= 0)
			return crowd_error_set(err, ECHILD, "container %s has no process", ctr->id);
		int st;
		pid_t p;
		while ((p = waitpid(ctr->pid, &st, 0)) < 0 && errno == EINTR)
			;
		if (p < 0)
			return crowd_error_errno(err, errno, "waitpid %d", (int)ctr->pid);
		ctr->reaped = true;
		ctr->status = st;
	}
	if (ret_status)
		*ret_status = ctr->status;
	return 0;
}

int crowd_ctr_peek_exit(const struct crowd_ctr *ctr, int timeout_ms, int *ret_status)
{
	siginfo_t si;

	if (ctr->reaped) {
		*ret_status = ctr->status;
		return 1;
	}
	if (ctr->pid <= 0)
		return -ECHILD;
	if (ctr->pidfd >= 0 && timeout_ms > 0) {
		struct pollfd p = {.fd = ctr->pidfd, .events = POLLIN};
		while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
			;
	}
	for (int64_t end = crowd_now_ns() + (int64_t)timeout_ms * 1000000;;) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)ctr->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
			return -errno;
		if (si.si_pid == ctr->pid)
			break;
		/* Without a pidfd: poll the zombie state in 1 ms steps. */
		if (ctr->pidfd >= 0 || crowd_now_ns() >= end)
			return 0;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	if (si.si_code == CLD_EXITED)
		*ret_status = (si.si_status & 0xff) << 8;
	else
		*ret_status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	return 1;
}

int crowd_ctr_signal(struct crowd_ctr *ctr, int sig, struct crowd_error *err)
{
	if (ctr->reaped || ctr->pid <= 0)
		return crowd_error_set(err, ESRCH, "container %s is not running", ctr->id);
	if (ctr->pidfd >= 0) {
		if (syscall(SYS_pidfd_send_signal, ctr->pidfd, sig, NULL, 0) == 0)
			return 0;
	} else if (kill(ctr->pid, sig) == 0) {
		return 0;
	}
	return crowd_error_errno(err, errno, "signal %d to container %s", sig, ctr->id);
}

int crowd_ctr_destroy(struct crowd_ctr *ctr, struct crowd_error *err)
{
	int r = 0;

	if (!ctr)
		return 0;
	/* A running init: kill the whole container first (on failure still reap and try to
	 * remove below; the first error is reported). A reaped one was killed with its
	 * stragglers by crowd_cg_destroy. */
	if (ctr->cg && !ctr->reaped)
		r = crowd_cg_kill(ctr->cg, err);
	if (ctr->pid > 0 && !ctr->reaped) {
		int st;
		/* Without a cgroup, init's death takes its pid namespace with it; the same when
		 * the cgroup kill failed (EMFILE under a tight RLIMIT_NOFILE with the teardown's
		 * workers all opening files): waitpid below would otherwise wait forever. */
		if (!ctr->cg)
			crowd_ctr_signal(ctr, SIGKILL, NULL);
		else if (r < 0 && crowd_ctr_signal(ctr, SIGKILL, NULL) == 0)
			r = 0; /* what init leaves, the cgroup's removal below reports */
		while (waitpid(ctr->pid, &st, 0) < 0 && errno == EINTR)
			;
		ctr->reaped = true;
		ctr->status = st;
	}
	if (ctr->cg) {
		struct crowd_error e2;
		int r2 = crowd_cg_destroy(ctr->cg, &e2);
		ctr->cg = NULL;
		if (r2 < 0 && r == 0) {
			if (err)
				*err = e2;
			r = r2;
		}
	}
	/* Every process of it is gone (cgroup) or init is (its pid namespace's end). */
	int r3 = ctr_scratch_remove(ctr);
	if (r3 < 0 && r == 0)
		r = crowd_error_set(err, -r3, "container %s: removing its /dev and /tmp: %s",
				    ctr->id, strerror(-r3));
	if (ctr->id[0])
		crowd_reg_remove(ctr->id);
	crowd_closep(&ctr->pidfd);
	crowd_closep(&ctr->ready_fd);
	return r;
}
