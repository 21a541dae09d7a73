/* Helpers shared by the peer backends (crun, runc, bwrap, vm): spawn a helper program with
 * chosen fds and no shell, run one to completion, kill-and-reap, remove scratch trees. */
#ifndef CROWD_PEER_H
#define CROWD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

enum {
	/* In the child: a private mount namespace showing cgroup2 at /sys/fs/cgroup (what crun
	 * needs on a hybrid host). */
	CROWD_PEER_CGROUP2_NS = 1u << 0,
	/* SIGKILL the child when the calling *thread* exits: only for children that the same
	 * thread waits for (crowd_peer_run), never for instances a starter thread spawns. */
	CROWD_PEER_PDEATHSIG = 1u << 1,
	/* The child gets crowd's own environment (locale, the tool's settings) instead of PATH
	 * only: for tools run for the user, such as gnuplot, not for the peers measured. */
	CROWD_PEER_INHERIT_ENV = 1u << 2,
};

struct crowd_peer_spawn {
	char *const *argv;   /* argv[0] is an absolute path */
	char *const *envp;   /* NULL: PATH only (crowd's environment with CROWD_PEER_INHERIT_ENV) */
	const int *keep_fds; /* become fds 3, 4, ... in the child */
	unsigned n_keep;
	int stdin_fd;	/* -1: /dev/null */
	int stdout_fd;	/* -1: /dev/null */
	int stderr_fd;	/* -1: /dev/null */
	unsigned flags; /* CROWD_PEER_* */
	/* Optional: called in the parent after fork while the child waits before exec (e.g. to
	 * move it into a cgroup, so the runtime and everything it starts are inside). Failure
	 * kills and reaps the child. */
	int (*in_parent)(pid_t pid, void *ctx, struct crowd_error *err);
	void *ctx;
};

/* fork + exec; *ret_pidfd is a pidfd of the child or -1 where the kernel gives none. An exec
 * failure is reported as an error (through a CLOEXEC pipe), not as a child exiting 127. */
int crowd_peer_spawn(const struct crowd_peer_spawn *s, pid_t *ret_pid, int *ret_pidfd,
		     struct crowd_error *err);

/* Spawn and wait at most timeout_ms; stdout+stderr (up to outlen-1 bytes) into out when not
 * NULL. Returns the exit status (0..255), or <0 (killed on timeout: -ETIMEDOUT). */
int crowd_peer_run(char *const *argv, unsigned flags, int timeout_ms, char *out, size_t outlen,
		   struct crowd_error *err);

/* Wait for pid (a child) up to timeout_ms; 0 when reaped (status in *ret_status when not NULL),
 * -ETIMEDOUT when still running. */
int crowd_peer_wait(pid_t pid, int pidfd, int timeout_ms, int *ret_status);

/* SIGKILL and reap a child; safe on pid <= 0. Closes *pidfd. */
void crowd_peer_kill(pid_t *pid, int *pidfd);

/* rm -rf without following symlinks or crossing mounts. Missing is fine. */
int crowd_peer_rmtree(const char *path, struct crowd_error *err);

/* Absolute path of a program found in PATH (plus /usr/sbin, /sbin); -ENOENT when absent. */
int crowd_peer_which(const char *name, char *buf, size_t len);

/* Open /proc/PID/ns/net; -errno on failure. */
int crowd_peer_netns_open(pid_t pid);

/* Read an integer pid from a file written by a runtime (--pid-file); 0 when not there yet. */
pid_t crowd_peer_read_pidfile(const char *path);

/* The first child of pid (from /proc/PID/task/PID/children); 0 when none. */
pid_t crowd_peer_first_child(pid_t pid);

/* SIGKILL pid's descendants (repeatedly, until none is left or a few rounds passed), then pid
 * itself, and reap pid (our child). */
void crowd_peer_kill_tree(pid_t *pid, int *pidfd);

/* First descendant of pid (breadth first, through /proc/PID/task/TID/children) whose network
 * namespace differs from ours; 0 when none. */
pid_t crowd_peer_find_netns_child(pid_t pid);

/* snprintf that says when it truncated: 0, or -ENAMETOOLONG (buf then holds the cut text). */
int crowd_peer_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Make the backend's scratch directory: run->scratch when the launcher named one, else
 * /tmp/crowd-<top>/<run_name>-<backend> (top: $CROWD_CGROUP_TOP or "crowd"), written back
 * into run->scratch. crowd_peer_scratch_remove() deletes it (and the parent if empty). */
struct crowd_backend_run;
int crowd_peer_scratch(struct crowd_backend_run *run, struct crowd_error *err);
void crowd_peer_scratch_remove(struct crowd_backend_run *run);
/* SIGKILL every process (but this one) whose command line has the arguments a then b, e.g.
 * "--root" and a run's state directory, and wait up to 2 s for them to die; how many. */
unsigned crowd_peer_kill_by_args(const char *a, const char *b);

/* $CROWD_CGROUP_TOP when it is one path component, else "crowd"; and /tmp/crowd-<top>, the
 * parent of every run's scratch (0, or -ENAMETOOLONG). */
const char *crowd_peer_top(void);
int crowd_peer_scratch_root(char *buf, size_t len);
/* The sweep op of a backend with a scratch directory per run: for each /tmp/crowd-<top>/
 * <run>-<name>, per_run(dir, ctx) first when given (kill what still runs from there, count it
 * in ret->instances or ret->left, the first failure into err when its code is still 0), then
 * the directory is removed (ret->dirs, or ret->left); /tmp/crowd-<top> too once empty. */
struct crowd_sweep;
typedef void (*crowd_peer_sweep_fn)(const char *dir, const void *ctx, struct crowd_sweep *ret,
				    struct crowd_error *err);
int crowd_peer_sweep(const char *name, crowd_peer_sweep_fn per_run, const void *ctx,
		     struct crowd_sweep *ret, struct crowd_error *err);

/* Where a run's rootfs is: cfg->rootfs made absolute (must be a directory), or "/" for the
 * host (cfg->rootfs NULL). */
struct crowd_config;
int crowd_peer_rootfs(const struct crowd_config *cfg, char *buf, size_t len,
		      struct crowd_error *err);

/* The tail (last line that is not empty) of a log file, for error messages. */
void crowd_peer_log_tail(const char *path, char *buf, size_t len);

/* An instance's own cgroup: its memory use into the sample (left alone when unreadable);
 * destroy it and clear *cg (error with the core's message). Both accept NULL. */
struct crowd_cg;
struct crowd_inst;
void crowd_peer_cg_memory(struct crowd_cg *cg, struct crowd_inst *inst);
int crowd_peer_cg_destroy(struct crowd_cg **cg, struct crowd_error *err);

/* The end of every peer's stop, after its own state (inst->priv) is freed: close the
 * instance's fds, forget its pids and mark it stopped. */
void crowd_peer_inst_stopped(struct crowd_inst *inst);

#endif
