/* The backends table: every way crowd can start the same workload (its own core, plain
 * processes, crun, runc, bubblewrap, a QEMU microVM). Adding one is one file defining a
 * const struct crowd_backend, plus its line in backends.c. */
#ifndef CROWD_BACKEND_H
#define CROWD_BACKEND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/cgroup.h"
#include "engine/config.h"
#include "core/error.h"
#include "results/sample.h"

/* One started instance (container, process, VM) and the row it fills. */
struct crowd_inst {
	struct crowd_sample sample;
	const struct crowd_backend *backend;
	int ready_fd;     /* the launcher polls it for EPOLLIN; -1: none */
	pid_t pid;        /* main process on the host, 0: none */
	int pidfd;        /* -1: none */
	int netns_fd;     /* network namespace the workload listens in; -1: crowd's own */
	char addr[64];    /* where to connect, inside netns_fd ("127.0.0.1") */
	unsigned port;    /* 0: does not listen */
	bool started, ready, stopped;
	void *priv;       /* the backend's own state */
};

/* Per backend, per run. */
struct crowd_backend_run {
	const struct crowd_config *cfg;
	const struct crowd_backend *backend;
	int64_t t0_ns;              /* run start, CLOCK_MONOTONIC; samples are relative to it */
	struct crowd_cg_run *cg;    /* the run's parent cgroup, shared by backends that use cgroups */
	char run_name[64];          /* unique per run: cgroup names, bundle dirs */
	char scratch[PATH_MAX];     /* a private directory for this backend's files, removed after */
	char invocation[1024];      /* how the peer was invoked (host.json) */
	char unapplied[256];        /* limits the backend could not apply (host.json), "" if none */
	char accel[8];              /* vm: the accelerator that ran ("kvm", "tcg"), "" otherwise */
	char ready_kind[16];        /* how readiness was seen when not the workload's own kind
				     * ("console" for vm), "" otherwise */
	void *priv;
};

/* What sweeps removed, and what they could not. */
struct crowd_sweep {
	unsigned instances; /* containers, processes or VMs of killed runs, killed or deleted */
	unsigned dirs;	    /* scratch directories removed */
	unsigned left;	    /* instances or directories that could not be removed */
};

struct crowd_backend {
	const char *name;
	const char *help;
	/* 0: can run here with cfg; -errno: unavailable, err says why (one line). cfg may be
	 * NULL: whatever does not depend on a run's configuration. */
	int (*probe)(const struct crowd_config *cfg, struct crowd_error *err);
	/* Optional, once per run before any start. */
	int (*open)(struct crowd_backend_run *run, struct crowd_error *err);
	/* Start one instance. Fill sample phases it can see (t_cgroup, t_clone, ...), set
	 * ready_fd. The launcher stamped t_request already. */
	int (*start)(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err);
	/* ready_fd became readable: 1 ready (backend may fill t_setup), 0 not yet, <0 failed. */
	int (*ready)(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err);
	/* Fill cgroup_bytes / pss_bytes / rss_bytes of the sample. */
	int (*stats)(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err);
	/* Kill, reap, remove everything of the instance. Must be safe on a half-started one. */
	int (*stop)(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err);
	/* Optional, once per run after every stop. */
	void (*close)(struct crowd_backend_run *run);
	/* Optional, for crowd clean: kill and remove what this backend's runs under
	 * $CROWD_CGROUP_TOP left when crowd was killed (instances still running, runtime state,
	 * scratch directories), never what belongs to another top. Adds to *ret; 0, or the first
	 * failure's -errno with err. Cgroups are crowd clean's own sweep, after every backend's. */
	int (*sweep)(struct crowd_sweep *ret, struct crowd_error *err);
};

/* In the order `crowd info` lists them. */
extern const struct crowd_backend *const crowd_backends[];
extern const unsigned crowd_backends_len;
const struct crowd_backend *crowd_backend_find(const char *name);
/* "core, process, crun, ..." for messages. */
void crowd_backend_names(char *buf, size_t len);

#endif
