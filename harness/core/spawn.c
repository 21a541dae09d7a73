/* clone3 with fallbacks, from a spawner thread that lives as long as the process. */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"
#include "util.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

unsigned crowd_spawn_skip;

/* What the child runs, and where it is: read by the child, written by the parent only while
 * no child of this call runs. */
struct spawn_child {
	crowd_spawn_fn fn;
	void *arg;
	bool in_cgroup;
};

static _Noreturn void spawn_child_main(void *p)
{
	const struct spawn_child *ch = p;
	ch->fn(ch->arg, ch->in_cgroup);
	_exit(127);
}

/* ---- sharing the address space until exec ----------------------------------------------- *
 * A copy of the harness's address space costs the clone (page tables of every mapping) and
 * then a copy-on-write fault for every page either side writes before the child execs: on
 * this kind of VM, where a fault costs microseconds, that is a fifth of a container's start.
 * With CLONE_VM|CLONE_VFORK the child runs on a stack of its own in our memory while the
 * cloning thread sleeps until the exec (what posix_spawn does). The child may then write
 * nothing the parent owns except its own stack, and must not wait for the parent. */
#if defined(__x86_64__)
#define SPAWN_SHARED_VM 1
#define SPAWN_STACK (256 * 1024)
#define SPAWN_GUARD 4096

/* clone3 that starts the child on args->stack: it calls entry(arg) there and exits if that
 * returns; the parent gets the pid or a negative errno. (syscall() cannot do this: the child
 * would return through a stack frame it does not have.) */
static long clone3_entry(struct clone_args *args, void (*entry)(void *), void *arg)
{
	register long rax __asm__("rax") = SYS_clone3;
	register struct clone_args *rdi __asm__("rdi") = args;
	register long rsi __asm__("rsi") = (long)sizeof(*args);
	register void (*r8)(void *) __asm__("r8") = entry;
	register void *r9 __asm__("r9") = arg;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 /* child: outermost frame, rsp = stack top (16-byte aligned) */
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r9, %%rdi\n\t"
			 "call *%%r8\n\t"
			 "mov $127, %%edi\n\t"
			 "mov %[nr_exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:"
			 : "+r"(rax)
			 : "r"(rdi), "r"(rsi), "r"(r8), "r"(r9), [nr_exit] "i"(SYS_exit)
			 : "rcx", "r11", "memory", "cc");
	return rax;
}

/* One stack per cloning thread, kept for its next clone (the child is done with it once the
 * clone returns: CLONE_VFORK), unmapped when the thread ends. */
static pthread_key_t stack_key;
static pthread_once_t stack_once = PTHREAD_ONCE_INIT;
static bool stack_key_ok;
static __thread void *stack_base;

static void stack_free(void *base)
{
	munmap(base, SPAWN_STACK + SPAWN_GUARD);
}

static void stack_key_make(void)
{
	stack_key_ok = pthread_key_create(&stack_key, stack_free) == 0;
}

/* The lowest address of a usable stack of SPAWN_STACK bytes above a guard page, or NULL. */
static void *spawn_stack(void)
{
	if (stack_base)
		return (char *)stack_base + SPAWN_GUARD;
	pthread_once(&stack_once, stack_key_make);
	if (!stack_key_ok)
		return NULL;
	void *p = mmap(NULL, SPAWN_STACK + SPAWN_GUARD, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p, SPAWN_GUARD, PROT_NONE) < 0 || pthread_setspecific(stack_key, p) != 0) {
		munmap(p, SPAWN_STACK + SPAWN_GUARD);
		return NULL;
	}
	stack_base = p;
	return (char *)p + SPAWN_GUARD;
}

static int legacy_child_main(void *p)
{
	spawn_child_main(p);
}
#endif

static pid_t clone3_fork(struct clone_args *args)
{
	return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

/* One rung of the ladder. Fork mode: the child returns 0 here and runs ch itself. */
static pid_t clone_rung(struct clone_args *args, void *stack, struct spawn_child *ch)
{
#ifdef SPAWN_SHARED_VM
	if (stack) {
		long r = clone3_entry(args, spawn_child_main, ch);
		if (r < 0) {
			errno = (int)-r;
			return -1;
		}
		return (pid_t)r;
	}
#else
	(void)stack;
#endif
	pid_t pid = clone3_fork(args);
	if (pid == 0)
		spawn_child_main(ch);
	return pid;
}

/* clone3 with CLONE_INTO_CGROUP and CLONE_PIDFD; then without CLONE_INTO_CGROUP; then plain
 * clone, when the kernel says it cannot (EINVAL, ENOSYS, E2BIG). */
static pid_t ctr_clone(unsigned long flags, unsigned opts, int cg_fd, struct spawn_child *ch,
		       int *ret_pidfd, bool *ret_in_cgroup, struct crowd_error *err)
{
	void *stack = NULL;
	unsigned long vm = 0;
#ifdef SPAWN_SHARED_VM
	if ((opts & CROWD_SPAWN_SHARE_VM) && (stack = spawn_stack()))
		vm = CLONE_VM | CLONE_VFORK;
#else
	(void)opts;
#endif
	struct clone_args args = {
	    .flags = flags | vm | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)ret_pidfd,
	    .exit_signal = SIGCHLD,
	    .stack = (uint64_t)(uintptr_t)stack,
	    .stack_size = stack ? SPAWN_STACK : 0,
	};
	pid_t pid = -1;

	*ret_pidfd = -1;
	*ret_in_cgroup = false;
	if (cg_fd >= 0 && crowd_spawn_skip < 1) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cg_fd;
		ch->in_cgroup = true;
		pid = clone_rung(&args, stack, ch);
		if (pid >= 0) {
			*ret_in_cgroup = true;
			return pid;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != E2BIG)
			return ERRNO_SET(err, errno, "clone3 into cgroup");
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	ch->in_cgroup = false;
	if (crowd_spawn_skip < 2) {
		pid = clone_rung(&args, stack, ch);
		if (pid >= 0)
			return pid;
		if (errno != EINVAL && errno != ENOSYS && errno != E2BIG)
			return ERRNO_SET(err, errno, "clone3");
	}
	*ret_pidfd = -1;
#ifdef SPAWN_SHARED_VM
	if (stack) {
		pid = clone(legacy_child_main, (char *)stack + SPAWN_STACK, (int)(flags | vm | SIGCHLD),
			    ch);
		if (pid < 0)
			return ERRNO_SET(err, errno, "clone");
		return pid;
	}
#endif
	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid < 0)
		return ERRNO_SET(err, errno, "clone");
	if (pid == 0)
		spawn_child_main(ch);
	return pid;
}

/* Signals stay blocked in the cloning thread while a child shares its memory: a handler
 * running in the child would run on the harness's data. The child unblocks what it wants. */
static pid_t ctr_clone_masked(unsigned long flags, unsigned opts, int cg_fd,
			      struct spawn_child *ch, int *ret_pidfd, bool *ret_in_cgroup,
			      struct crowd_error *err)
{
	sigset_t all, old;

	if (!(opts & CROWD_SPAWN_SHARE_VM))
		return ctr_clone(flags, opts, cg_fd, ch, ret_pidfd, ret_in_cgroup, err);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t pid = ctr_clone(flags, opts, cg_fd, ch, ret_pidfd, ret_in_cgroup, err);
	int e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

struct spawn_req {
	struct spawn_child ch;
	unsigned long flags;
	unsigned opts;
	int cg_fd;
	pid_t pid;
	int pidfd;
	bool in_cgroup, done;
	struct crowd_error err;
	struct spawn_req *next;
};

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

		q->pid = ctr_clone_masked(q->flags, q->opts, q->cg_fd, &q->ch, &q->pidfd,
					  &q->in_cgroup, &q->err);
		pthread_mutex_lock(&spawn_lock);
		q->done = true;
		pthread_cond_broadcast(&spawn_cond);
		pthread_mutex_unlock(&spawn_lock);
	}
	return NULL;
}

static void spawn_start(void)
{
	spawn_running = crowd_thread_detached(spawn_main, NULL, 256 * 1024) == 0;
}

/* Clone through the spawner thread (directly from the main thread, or when the spawner
 * could not be started). */
pid_t crowd_spawn(unsigned long flags, unsigned opts, int cg_fd, crowd_spawn_fn fn, void *arg,
		  int *ret_pidfd, bool *ret_in_cgroup, struct crowd_error *err)
{
	struct spawn_req q = {.ch = {.fn = fn, .arg = arg},
			      .flags = flags,
			      .opts = opts,
			      .cg_fd = cg_fd,
			      .pidfd = -1};

	/* The main thread lives as long as the process, and a thread that said it outlives its
	 * children may clone itself: each saves two thread switches, which on a loaded host cost
	 * more than the clone. */
	bool here = spawn_here || gettid() == getpid();
	if (!here)
		pthread_once(&spawn_once, spawn_start);
	if (here || !spawn_running)
		return ctr_clone_masked(flags, opts, cg_fd, &q.ch, ret_pidfd, ret_in_cgroup, err);
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
