/* Network namespaces made off a container's critical path. Creating one (setup_net: a
 * loopback device, the per-namespace sysctl tables, the protocols' state) is the costliest
 * part of a clone3 with CLONE_NEWNET. A helper thread makes it, with lo up, while the
 * starting thread creates the container's cgroup and clones and the child sets up its mounts;
 * the child then joins it with setns. The namespace is made for that container, inside its
 * start: nothing is made ahead, and nothing outlives the container but what it holds. */
#ifndef CROWD_NETNS_H
#define CROWD_NETNS_H

#include <stdbool.h>

#include "error.h"

struct crowd_netns_job {
	int sock;  /* the parent's end of the container's sync socket: the answer goes there */
	bool done; /* the maker has answered (and is done with sock) */
	struct crowd_netns_job *next;
};

/* Ask the maker thread for a new network namespace, to be sent over sock (SCM_RIGHTS) to
 * whoever reads the other end. 0: queued, the caller must crowd_netns_job_wait() before sock
 * is closed; -errno: no maker thread (the caller clones with CLONE_NEWNET itself). */
int crowd_netns_job_start(struct crowd_netns_job *job, int sock);
/* For a program about to start one container (crowd run): have the maker begin that
 * container's namespace now, before the caller's own setup (cgroups, registry); the next
 * crowd_netns_job_start() gets it. At most one is made ahead; one never claimed is freed
 * with the process. */
void crowd_netns_prefetch(void);
/* Until the maker is done with job (no-op for a job never started: sock < 0). */
void crowd_netns_job_wait(struct crowd_netns_job *job);
/* In the child: receive the namespace from sock and setns into it; no allocation. */
int crowd_netns_join(int sock, struct crowd_error *err);
/* Bring up lo in the current network namespace (ioctl, no exec). */
int crowd_net_lo_up(struct crowd_error *err);

#endif
