/* clone3 with fallbacks, from a spawner thread that lives as long as the process. */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

static pid_t clone3_raw(struct clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

/* clone3 with CLONE_INTO_CGROUP and CLONE_PIDFD; then without CLONE_INTO_CGROUP; then plain
 * clone, when the kernel says it cannot (EINVAL, ENOSYS, E2BIG). */
unsigned crowd_spawn_skip;

static pid_t ctr_clone(unsigned long flags, int cg_fd, int *ret_pidfd, bool *ret_in_cgroup,
		       struct crowd_error *err)
{
	struct clone_args args = {
	    .flags = flags | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
	    .exit_signal = SIGCHLD,
	};
	pid_t pid = -1;

	*ret_pidfd = -1;
	*ret_in_cgroup = false;
	if (cg_fd >= 0 && crowd_spawn_skip < 1) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cg_fd;
		pid = clone3_raw(&args);
		if (pid >= 0) {
			*ret_in_cgroup = true;
			return pid;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != E2BIG)
			return ERRNO_SET(err, errno, "clone3 into cgroup");
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	if (crowd_spawn_skip < 2) {
		pid = clone3_raw(&args);
		if (pid >= 0)
			return pid;
		if (errno != EINVAL && errno != ENOSYS && errno != E2BIG)
			return ERRNO_SET(err, errno, "clone3");
	}
	*ret_pidfd = -1;
	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		return ERRNO_SET(err, errno, "clone");
	return pid;
}

struct spawn_req {
	crowd_spawn_fn fn;
	void *arg;
	unsigned long flags;
	int cg_fd;
	pid_t pid;
	int pidfd;
	bool in_cgroup, done;
	struct crowd_error err;
	struct spawn_req *next;
};

bool crowd_spawn_in_cgroup;
static __thread bool spawn_here;

void crowd_spawn_thread_durable(bool on)
{
	spawn_here = on;
}

static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawn_cond = PTHREAD_COND_INITIALIZER;
static struct spawn_req *spawn_head;
static pthread_once_t spawn_once = PTHREAD_ONCE_INIT;
static bool spawn_running;

static void *spawn_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&spawn_lock);
		while (!spawn_head)
			pthread_cond_wait(&spawn_cond, &spawn_lock);
		struct spawn_req *q = spawn_head;
		spawn_head = q->next;
		pthread_mutex_unlock(&spawn_lock);

		q->pid = ctr_clone(q->flags, q->cg_fd, &q->pidfd, &q->in_cgroup, &q->err);
		if (q->pid == 0) {
			crowd_spawn_in_cgroup = q->in_cgroup;
			q->fn(q->arg);
			_exit(127);
		}
		pthread_mutex_lock(&spawn_lock);
		q->done = true;
		pthread_cond_broadcast(&spawn_cond);
		pthread_mutex_unlock(&spawn_lock);
	}
	return NULL;
}

static void spawn_start(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;

	/* The spawner takes no signals: they stay with the threads that expect them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	spawn_running = pthread_create(&t, &attr, spawn_main, NULL) == 0;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Clone through the spawner thread (directly from the main thread, or when the spawner
 * could not be started). */
pid_t crowd_spawn(unsigned long flags, int cg_fd, crowd_spawn_fn fn, void *arg, int *ret_pidfd,
		  bool *ret_in_cgroup, struct crowd_error *err)
{
	struct spawn_req q = {.fn = fn, .arg = arg, .flags = flags, .cg_fd = cg_fd, .pidfd = -1};

	/* The main thread lives as long as the process, and a thread that said it outlives its
	 * children may clone itself: each saves two thread switches, which on a loaded host cost
	 * more than the clone. */
	bool here = spawn_here || gettid() == getpid();
	if (!here)
		pthread_once(&spawn_once, spawn_start);
	if (here || !spawn_running) {
		pid_t pid = ctr_clone(flags, cg_fd, ret_pidfd, ret_in_cgroup, err);
		if (pid == 0) {
			crowd_spawn_in_cgroup = *ret_in_cgroup;
			fn(arg);
			_exit(127);
		}
		return pid;
	}
	pthread_mutex_lock(&spawn_lock);
	struct spawn_req **tail = &spawn_head;
	while (*tail)
		tail = &(*tail)->next;
	*tail = &q;
	pthread_cond_broadcast(&spawn_cond);
	while (!q.done)
		pthread_cond_wait(&spawn_cond, &spawn_lock);
	pthread_mutex_unlock(&spawn_lock);
	*ret_pidfd = q.pidfd;
	*ret_in_cgroup = q.in_cgroup;
	if (q.pid < 0 && err)
		*err = q.err;
	return q.pid;
}
