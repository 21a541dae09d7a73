/* The attached run of one container (crowd run): the signals the supervising process gets
 * (INT TERM HUP QUIT USR1 USR2 WINCH CONT) are forwarded to the container's init, the
 * supervisor waits for init to end, and the end becomes an exit status: init's own, or 128+N
 * when signal N ended it. A library: never prints, never exits. */
#ifndef CROWD_SUPERVISE_H
#define CROWD_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "container.h"
#include "error.h"

struct crowd_supervise {
	int sfd;      /* signalfd of the forwarded signals; -1 when closed */
	sigset_t old; /* the caller's signal mask, restored by crowd_supervise_close */
};

struct crowd_supervise_end {
	int status;		    /* wait status of init */
	int killed_by;		    /* a terminating signal a pid-namespace init had no handler
				     * for: the container was killed for it; 0: none */
	int exit_code;		    /* init's exit status, or 128+N */
	int64_t oom_kills;	    /* OOM kills in the container's cgroup when SIGKILL ended
				     * it; 0: none or unknown */
	struct crowd_error forward; /* the first signal that could not be forwarded; code 0:
				     * every one was */
};

/* Block the forwarded signals and open a signalfd for them. Call before crowd_ctr_start,
 * so that no signal is lost while the container starts (its child unblocks them). */
int crowd_supervise_open(struct crowd_supervise *s, struct crowd_error *err);

/* Forward signals to ctr's init until it ends, reap it, and say how it ended. pidns_init:
 * init is the init of a new pid namespace, which the kernel spares every signal it has no
 * handler for; crowd kills the container itself then, and the end is 128+N as if signal N
 * had ended it. Negative errno when waiting failed (err says why); the container may still
 * run then: the caller destroys it. */
int crowd_supervise_wait(struct crowd_supervise *s, struct crowd_ctr *ctr, bool pidns_init,
			 struct crowd_supervise_end *ret, struct crowd_error *err);

/* Close the signalfd and restore the caller's mask. Safe to call twice. */
void crowd_supervise_close(struct crowd_supervise *s);

#endif
