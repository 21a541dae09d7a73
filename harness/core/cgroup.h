/* cgroups through the filesystem: one interface (this file, cgroup.c) dispatching to one
 * manager per layout (cgroup_v2.c, cgroup_v1.c, cgroup_hybrid.c). One parent cgroup per run
 * (<top>/<run>), one leaf per container (<top>/<run>/<leaf>). <top> is "crowd" unless the
 * environment variable CROWD_CGROUP_TOP names another (tests use that to stay apart). */
#ifndef CROWD_CGROUP_H
#define CROWD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup_types.h"
#include "error.h"

/* <top>: $CROWD_CGROUP_TOP, or "crowd" when unset or empty. NULL with err set (EINVAL,
 * naming the variable and what is allowed) unless it is one path component of 1-127
 * characters other than "." and "..". The one reader of the variable. */
const char *crowd_cg_top(struct crowd_error *err);

/* Detect the layout under root (normally "/sys/fs/cgroup") with statfs. */
int crowd_cg_detect(const char *root, enum crowd_cg_layout *ret, struct crowd_error *err);
const char *crowd_cg_layout_name(enum crowd_cg_layout l);

/* For an unprivileged caller on a cgroup2-only host: the delegated subtree crowd works in,
 * the parent of the caller's own cgroup (/proc/self/cgroup) when the caller may write its
 * directory, cgroup.procs and cgroup.subtree_control and it offers memory and pids (as
 * systemd's user@UID.service). 0 with its path in buf; -ENOENT with why (one line) when
 * there is none. Found once per process. A NULL root below means this subtree for a caller
 * other than root who has one, /sys/fs/cgroup otherwise. */
int crowd_cg_user_root(char *buf, size_t len, char *why, size_t why_len);

/* Make <root>/<top>/<run_name> in every hierarchy the layout uses (root NULL: see
 * crowd_cg_user_root), enabling the controllers the limits need. */
int crowd_cg_run_open(const char *root, const char *run_name, struct crowd_cg_run **ret,
		      struct crowd_error *err);
/* Remove the run's parent cgroups (children must be gone); frees run. NULL is fine. */
int crowd_cg_run_close(struct crowd_cg_run *run, struct crowd_error *err);
enum crowd_cg_layout crowd_cg_run_layout(const struct crowd_cg_run *run);

/* Make a leaf and write its limits. Fail closed: a limit that cannot be applied is an error
 * naming the file, and nothing is left behind. */
int crowd_cg_create(struct crowd_cg_run *run, const char *leaf, const struct crowd_cg_limits *lim,
		    struct crowd_cg **ret, struct crowd_error *err);
/* An O_PATH|O_DIRECTORY fd of the leaf in the cgroup2 hierarchy for clone3(CLONE_INTO_CGROUP),
 * or -1 when there is none (legacy layout). Owned by cg. */
int crowd_cg_clone_fd(const struct crowd_cg *cg);
/* Move pid into the leaf in every hierarchy it is not already in. */
int crowd_cg_attach(struct crowd_cg *cg, pid_t pid, struct crowd_error *err);
/* Joining a leaf from inside: the cgroup.procs files a new process writes "0" to, opened
 * by the parent before clone so the child attaches itself (no round trip to the parent);
 * struct crowd_cg_attach is in cgroup_types.h. */
int crowd_cg_attach_open(struct crowd_cg *cg, struct crowd_cg_attach *ret, struct crowd_error *err);
/* In the child: join every hierarchy (cgroup2 too unless in_v2). No malloc. */
int crowd_cg_attach_self(const struct crowd_cg_attach *a, bool in_v2, struct crowd_error *err);
/* Close the fds (the parent, after clone). A zeroed-then-opened or failed one is fine. */
void crowd_cg_attach_close(struct crowd_cg_attach *a);
/* The pids in the leaf (cgroup.procs); *ret is malloc'd. */
int crowd_cg_pids(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err);
int crowd_cg_stats(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err);
/* Path of the leaf in the named hierarchy ("memory", "pids", "unified", ...), or NULL. */
const char *crowd_cg_path(const struct crowd_cg *cg, const char *hierarchy);
/* SIGKILL every process of the leaf (cgroup.kill on v2; freeze, kill, thaw on v1). A leaf
 * already removed (by a concurrent crowd clean) has nothing left to kill: 0. */
int crowd_cg_kill(struct crowd_cg *cg, struct crowd_error *err);
/* SIGKILL every process of the whole run at once, before its leaves are stopped one by one
 * (teardown at scale): cgroup.kill of the run's cgroup2 directory (hybrid and unified), or,
 * with v1 alone, every pid of every leaf's cgroup.procs in one pass (a process forked
 * meanwhile is left to the leaf's own kill). 0, or -errno (then each leaf's kill does it). */
int crowd_cg_run_kill(struct crowd_cg_run *run, struct crowd_error *err);
/* Whether the leaf is gone from every hierarchy it was made in (removed under us). */
bool crowd_cg_gone(const struct crowd_cg *cg);
/* Kill, wait until empty, remove the leaf with bounded retries; frees cg. NULL is fine. */
int crowd_cg_destroy(struct crowd_cg *cg, struct crowd_error *err);

/* crowd clean: kill and remove everything under <root>/<top> in every hierarchy.
 * *ret_removed counts cgroups removed, *ret_left those that could not be. */
int crowd_cg_sweep(const char *root, unsigned *ret_removed, unsigned *ret_left,
		   struct crowd_error *err);

/* Whether <root>/<hierarchy>/<top>/<run_name> is still there in any hierarchy crowd or a
 * runtime it drives makes cgroups in; ret_path names the first. On the way, each <top> left
 * empty is removed. root NULL means /sys/fs/cgroup. */
bool crowd_cg_run_left(const char *root, const char *run_name, char *ret_path, size_t len);
/* The tightest pids limit on <top>/<run_name> and on <top> (a pids hierarchy, or cgroup2):
 * its pids.max, pids.current and the directory. false when no limit applies. */
bool crowd_cg_pids_limit(const char *root, const char *run_name, int64_t *ret_max,
			 int64_t *ret_current, char *ret_where, size_t len);

/* Seams for tests: crowd_cg_run_open and crowd_cg_sweep with a given layout; check_fs false
 * skips the file-system type checks, so a plain directory can stand in for the root. */
int cg_run_open_layout(const char *root, enum crowd_cg_layout layout, bool check_fs,
		       const char *run_name, struct crowd_cg_run **ret, struct crowd_error *err);
int cg_sweep_layout(const char *root, enum crowd_cg_layout layout, bool check_fs,
		    unsigned *ret_removed, unsigned *ret_left, struct crowd_error *err);

#endif
