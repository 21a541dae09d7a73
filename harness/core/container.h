/* The runtime core: a container is a group of processes for which namespaces and a cgroup
 * were set up. crowd_ctr_start() makes one with clone3 (CLONE_INTO_CGROUP and CLONE_PIDFD
 * where the kernel has them, a fallback where not), sets up its root filesystem, ids and
 * capabilities in the child, and execs the command. */
#ifndef CROWD_CONTAINER_H
#define CROWD_CONTAINER_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "caps.h"
#include "cgroup.h"
#include "error.h"
#include "security.h"

/* Namespace table: the names crowd uses (pid, mnt, uts, ipc, net, user, cgroup) and their
 * CLONE_NEW* flags. */
struct crowd_ns_desc {
	const char *name;
	unsigned long flag;
	const char *proc_name; /* /proc/PID/ns/<proc_name> */
};
extern const struct crowd_ns_desc crowd_ns_table[];
extern const unsigned crowd_ns_table_len;
#define CROWD_NS_DEFAULT (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)
/* Parse "pid,mnt,..." or "all" or "none" into CLONE_NEW* flags. On a bad name, -EINVAL and
 * err says which name and what is allowed. */
int crowd_ns_parse(const char *list, unsigned long *ret_flags, struct crowd_error *err);
/* Format flags back into "pid,mnt,..." */
void crowd_ns_format(unsigned long flags, char *buf, size_t len);

struct crowd_pod; /* K containers sharing net, ipc and uts namespaces of an infra process */

struct crowd_ctr_spec {
	unsigned long ns;            /* CLONE_NEW* flags */
	const char *rootfs;          /* directory to pivot_root into; NULL: host root */
	struct crowd_cg_limits limits;
	enum crowd_caps_profile caps;
	bool rootless;               /* user namespace mapping root to the caller */
	const char *hostname;        /* with a uts namespace; NULL: "crowd" */
	char *const *argv;           /* argv[0] is looked up in PATH inside the container */
	char *const *envp;           /* NULL: a minimal PATH/HOME/TERM */
	int stdio[3];                /* fds for 0,1,2 in the child; -1: /dev/null */
	bool ready_pipe;             /* give the workload CROWD_READY_FD */
	struct crowd_pod *pod;       /* join this pod's namespaces; NULL: none */
	const char *cgroup_leaf;     /* NULL: the container id */
	bool rootfs_overlay;         /* a writable overlayfs per container over rootfs (pivots
				      * in the child: no template); false: rootfs read-only */
	bool single;                 /* the only container with this rootfs in this process:
				      * pivot in the child, no shared mount-ns template */
	unsigned security;           /* CROWD_SEC_* features (security.h); default: all */
	const struct crowd_seccomp *seccomp; /* with CROWD_SEC_SECCOMP; NULL: the default */
};
void crowd_ctr_spec_init(struct crowd_ctr_spec *spec);

struct crowd_ctr {
	char id[37];                 /* UUID */
	pid_t pid;                   /* in crowd's pid namespace */
	int pidfd;                   /* -1 when the kernel gave none */
	int ready_fd;                /* read end of the readiness pipe, or -1 */
	struct crowd_cg *cg;
	uint64_t pidns_ino;          /* inode of /proc/PID/ns/pid */
	int64_t t_cgroup_ns;         /* CLOCK_MONOTONIC: cgroup made, limits written */
	int64_t t_clone_ns;          /* clone returned (the earlier of parent and child) */
	int64_t t_setup_ns;          /* child finished setup, just before exec (sent by the child) */
	bool reaped;
	int status;                  /* wait status once reaped */
	bool scratch;                /* its /dev and /tmp are in scratch_fd/id (rootfs.h) */
	int scratch_fd;              /* the template's, borrowed */
};

/* Start a container in run's cgroup. On failure nothing is left: the half-set-up child is
 * killed and reaped and its cgroup removed; err holds what the child or parent reported. */
int crowd_ctr_start(struct crowd_cg_run *run, const struct crowd_ctr_spec *spec,
		    struct crowd_ctr *ret, struct crowd_error *err);
/* Wait for the container's init to exit (blocking); ret_status is a wait status. */
int crowd_ctr_wait(struct crowd_ctr *ctr, int *ret_status, struct crowd_error *err);
/* Without reaping (crowd_ctr_wait still can): how init ended, as a wait status, once it has.
 * Waits up to timeout_ms for it (a workload that closed its readiness pipe by exiting may
 * not be a zombie yet). 1: ended, *ret_status set; 0: still running; negative errno. */
int crowd_ctr_peek_exit(const struct crowd_ctr *ctr, int timeout_ms, int *ret_status);
/* Send sig to the container's init. */
int crowd_ctr_signal(struct crowd_ctr *ctr, int sig, struct crowd_error *err);
/* Kill every process through the cgroup, reap, remove the cgroup, close fds. */
int crowd_ctr_destroy(struct crowd_ctr *ctr, struct crowd_error *err);

/* Pods: an infra process holding net, ipc and uts namespaces that members join by setns. */
int crowd_pod_create(struct crowd_cg_run *run, const struct crowd_ctr_spec *spec,
		     struct crowd_pod **ret, struct crowd_error *err);
int crowd_pod_destroy(struct crowd_pod *pod, struct crowd_error *err);
/* fd of the pod's network namespace (for the load generator), owned by the pod. */
int crowd_pod_netns_fd(const struct crowd_pod *pod);
/* The namespaces a pod shares, and a pidfd of its infra process to setns into them. */
#define CROWD_POD_NS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
int crowd_pod_pidfd(const struct crowd_pod *pod);

#endif
