/* Backend process: the floor. The workload binary taken from the rootfs path on the host,
 * started the cheapest way a process can start -- vfork semantics: clone(CLONE_VM |
 * CLONE_VFORK), no copy of crowd's page tables, as posix_spawn does -- with CROWD_READY_FD and
 * nothing else: no namespaces, no cgroup. So core/process is the price of isolation, not of
 * fork()ing a big multi-threaded harness. Each instance gets its own port, since all of them
 * share the host's network. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "engine/ports.h"
#include "engine/memory.h"
#include "engine/placement.h"
#include "core/util.h"

#define READY_FD 3

struct proc_priv {
	unsigned port; /* from the launcher's allocator, released in stop() */
	char argbuf[1024];
	char *argv[34];
};

static const char *rootfs_prefix(const struct crowd_config *cfg)
{
	return cfg->rootfs && strcmp(cfg->rootfs, "host") ? cfg->rootfs : NULL;
}

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char path[PATH_MAX];
	if (!cfg)
		return 0;
	const char *pre = rootfs_prefix(cfg);
	snprintf(path, sizeof(path), "%s%s", pre ? pre : "", cfg->workload.argv[0]);
	if (access(path, X_OK) < 0)
		return crowd_error_errno(err, errno, "workload binary %s", path);
	return 0;
}

/* What the child needs, prepared by the parent: the child shares the parent's memory until
 * it execs, so it only makes system calls and writes nothing but its own stack. */
struct child {
	char **argv, **envp;
	int devnull, wfd;
	bool signals, pin;
	cpu_set_t cpus;
};

#define CHILD_STACK (64 * 1024)

static int child_main(void *arg)
{
	const struct child *c = arg;
	static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD,
				    SIGUSR1, SIGUSR2, SIGALRM};
	sigset_t none;
	/* crowd's handlers must not run here (they would touch the parent's memory): every
	 * signal is blocked until the dispositions are the defaults again */
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(reset); i++)
		signal(reset[i], SIG_DFL);
	sigemptyset(&none);
	/* Own process group: a Ctrl-C on the terminal is crowd's to handle. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (c->pin)
		sched_setaffinity(0, sizeof(c->cpus), &c->cpus);
	if (dup2(c->devnull, 0) < 0 || dup2(c->devnull, 1) < 0 || dup2(c->devnull, 2) < 0)
		_exit(127);
	if (!c->signals) {
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(c->argv[0], c->argv, c->envp + 1); /* no CROWD_READY_FD */
		int e = errno;
		ssize_t w = write(c->wfd, &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	if (c->wfd == READY_FD) {
		if (fcntl(c->wfd, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(c->wfd, READY_FD) < 0) {
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->argv[0], c->argv, c->envp);
	_exit(127);
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct proc_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return crowd_error_set(err, ENOMEM, "process: out of memory");
	inst->priv = p;

	unsigned port = 0;
	if (cfg->workload.desc->port) {
		port = p->port = crowd_ports_claim();
		if (!port)
			return crowd_error_set(err, EADDRINUSE, "process: no free TCP port");
	}
	int r = crowd_workload_argv(&cfg->workload, rootfs_prefix(cfg), port, p->argv,
				    CROWD_ARRAY_SIZE(p->argv), p->argbuf, sizeof(p->argbuf), err);
	if (r < 0)
		return r;
	char portenv[32], readyenv[32];
	snprintf(portenv, sizeof(portenv), "PORT=%u", port);
	snprintf(readyenv, sizeof(readyenv), "CROWD_READY_FD=%d", READY_FD);
	char *envp[] = {readyenv, "PATH=/bin:/usr/bin:/sbin:/usr/sbin", port ? portenv : NULL, NULL};

	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	bool pin = crowd_place_cpus(cfg, inst->sample.index, &cpus) > 0;

	/* With a workload that signals: the ready pipe, its write end inherited as fd 3. Without
	 * (cmd:): an exec-status pipe closed by a successful exec, carrying errno otherwise. */
	bool signals = cfg->workload.desc->ready == CROWD_READY_FD;
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int pfd[2];
	if (devnull < 0 || pipe2(pfd, O_CLOEXEC) < 0)
		return crowd_error_errno(err, errno, "process: pipe");
	_cleanup_close_ int rfd = pfd[0];
	_cleanup_close_ int wfd = pfd[1];
	struct child c = {.argv = p->argv,
			  .envp = envp,
			  .devnull = devnull,
			  .wfd = wfd,
			  .signals = signals,
			  .pin = pin,
			  .cpus = cpus};
	char *stack = malloc(CHILD_STACK);
	if (!stack)
		return crowd_error_set(err, ENOMEM, "process: out of memory");
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* vfork semantics: this thread waits until the child has exec'd or exited */
	pid_t pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	int clone_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(stack); /* the child has exec'd or exited: CLONE_VFORK */
	if (pid < 0)
		return crowd_error_errno(err, clone_errno, "process: clone");
	inst->sample.t_clone_ns = crowd_now_ns() - run->t0_ns;
	inst->pid = pid;
	inst->port = port;
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	snprintf(inst->sample.id, sizeof(inst->sample.id), "pid-%d", (int)pid);
	if (!signals) {
		crowd_closep(&wfd);
		int e = 0;
		if (crowd_read_all(rfd, &e, sizeof(e)) == sizeof(e))
			return crowd_error_errno(err, e, "process: exec %s", p->argv[0]);
		return 0; /* ready_fd -1: ready once exec succeeded */
	}
	inst->ready_fd = crowd_steal_fd(rfd);
	return 0;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	if (inst->ready_fd < 0)
		return 1; /* exec succeeded (checked in start) */
	char c;
	ssize_t n = read(inst->ready_fd, &c, 1);
	if (n == 1) {
		/* The pipe has done its job; keep the fd count low for density. */
		crowd_closep(&inst->ready_fd);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* EOF: the workload exited (its fds close before it becomes a zombie) or closed the fd.
	 * Give an exit up to 100 ms to become visible, through a pidfd rather than a sleep. */
	int st = 0;
	int pfd = (int)syscall(SYS_pidfd_open, inst->pid, 0);
	if (pfd >= 0) {
		struct pollfd pp = {.fd = pfd, .events = POLLIN};
		poll(&pp, 1, 100);
		close(pfd);
	}
	if (waitpid(inst->pid, &st, WNOHANG) == inst->pid) {
		inst->pid = 0;
		if (WIFSIGNALED(st))
			return crowd_error_set(err, ECHILD, "process: killed by signal %d before ready",
					       WTERMSIG(st));
		return crowd_error_set(err, ECHILD, "process: exited %d before ready%s",
				       WEXITSTATUS(st),
				       WEXITSTATUS(st) == 127 ? " (exec failed?)" : "");
	}
	return crowd_error_set(err, EPIPE, "process: closed its ready fd without writing");
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	if (inst->pid <= 0)
		return crowd_error_set(err, ESRCH, "process: not running");
	return crowd_mem_tree(inst->pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
}

/* Ended on its own? A look at the child's exit without reaping it (stop() reaps). */
static int ended(struct crowd_backend_run *run, struct crowd_inst *inst)
{
	(void)run;
	siginfo_t si = {0};
	if (inst->pid <= 0)
		return -ECHILD;
	if (waitid(P_PID, (id_t)inst->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return -errno;
	if (si.si_pid != inst->pid)
		return 0;
	inst->end.ended = true;
	inst->end.oom_kills = -1;
	inst->end.status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8
						    : (si.si_status & 0x7f);
	return 1;
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	int ret = 0;
	crowd_closep(&inst->ready_fd);
	if (inst->pid > 0) {
		kill(-inst->pid, SIGKILL); /* the group: whatever the workload forked */
		kill(inst->pid, SIGKILL);
		int st;
		while (waitpid(inst->pid, &st, 0) < 0) {
			if (errno != EINTR) {
				ret = crowd_error_errno(err, errno, "process: waitpid %d", (int)inst->pid);
				break;
			}
		}
		inst->pid = 0;
	}
	struct proc_priv *p = inst->priv;
	if (p)
		crowd_ports_release(p->port); /* after the listener is gone */
	free(inst->priv);
	inst->priv = NULL;
	return ret;
}

const struct crowd_backend crowd_backend_process = {
	.name = "process",
	.help = "the workload from the rootfs, started with vfork semantics, no isolation: the floor",
	.probe = probe,
	.start = start,
	.ready = ready,
	.ended = ended,
	.stats = stats,
	.stop = stop,
};
