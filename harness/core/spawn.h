/* Making the processes of containers and pods: clone3 with CLONE_PIDFD and CLONE_INTO_CGROUP
 * where the kernel has them, falling back to clone3 without CLONE_INTO_CGROUP, then to clone.
 * PR_SET_PDEATHSIG follows the parent *thread*: a child cloned by a launcher thread that then
 * ended would be killed. So clones are made by one spawner thread that lives as long as the
 * process (the main thread, which lives as long, clones itself). */
#ifndef CROWD_SPAWN_H
#define CROWD_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Runs in the child; must not return (end with execve or _exit). in_cgroup: whether
 * CLONE_INTO_CGROUP placed it in the cgroup given to crowd_spawn. */
typedef void (*crowd_spawn_fn)(void *arg, bool in_cgroup);

/* crowd_spawn options. SHARE_VM: the child runs in the caller's memory, on a stack of its
 * own, while the calling thread sleeps until it execs or exits (CLONE_VM|CLONE_VFORK, as
 * posix_spawn does): no page-table copy and no copy-on-write faults. fn must then write
 * nothing but its own stack and kernel state (no globals, no thread-locals, no malloc) and
 * must never wait for the parent. Where the architecture has no support, a copy is made. */
enum { CROWD_SPAWN_SHARE_VM = 1u << 0 };

/* Clone with flags (CLONE_NEW*; CLONE_PIDFD is added) into the cgroup2 directory cg_fd
 * (-1: none), run fn(arg) in the child. Returns the pid; *ret_pidfd is a pidfd or -1,
 * *ret_in_cgroup tells whether CLONE_INTO_CGROUP was used. Without SHARE_VM, fn sees a copy
 * of the caller's memory taken while other threads may hold locks: no malloc, stdio or
 * locale in it either way. */
pid_t crowd_spawn(unsigned long flags, unsigned opts, int cg_fd, crowd_spawn_fn fn, void *arg,
		  int *ret_pidfd, bool *ret_in_cgroup, struct crowd_error *err);

/* The calling thread promises to outlive every process it spawns from now on (a launcher's
 * worker that is joined only after its containers are torn down): it clones directly
 * instead of handing the clone to the spawner thread. Thread-local; false undoes it. */
void crowd_spawn_thread_durable(bool on);

/* For tests of the fallbacks: skip the first N ways (1: no CLONE_INTO_CGROUP, 2: no clone3). */
extern unsigned crowd_spawn_skip;

#endif
