/* Driving an OCI runtime (crun, runc) for the backends table: one state root per run under
 * the run's scratch, a generated bundle over the run's rootfs, `RUNTIME run` (not detached:
 * the container is a child of the runtime, which is a child of crowd) with the readiness pipe
 * passed by --preserve-fds, kill and delete on stop. */
#ifndef CROWD_PEER_OCI_H
#define CROWD_PEER_OCI_H

#include <stdbool.h>

#include "backend.h"

struct crowd_oci_runtime {
	const char *name;    /* backend name, binary name */
	bool cgroup2_ns;     /* spawn in a private mount namespace with cgroup2 at /sys/fs/cgroup */
	bool cgroup_disabled; /* --cgroup-manager=disabled: no cgroup, limits unapplied */
};

int crowd_peer_oci_probe(const struct crowd_oci_runtime *rt, const struct crowd_config *cfg,
			 struct crowd_error *err);
int crowd_peer_oci_open(const struct crowd_oci_runtime *rt, struct crowd_backend_run *run,
			struct crowd_error *err);
int crowd_peer_oci_start(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err);
int crowd_peer_oci_ready(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err);
int crowd_peer_oci_stats(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err);
int crowd_peer_oci_stop(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err);
void crowd_peer_oci_close(struct crowd_backend_run *run);
/* For crowd clean: in every scratch directory of rt's runs, delete -f each container left in
 * its state directory that the runtime knows, kill the runtime's waiting `run` processes and
 * remove rt's parent cgroups; then the directories (crowd_peer_sweep). */
int crowd_peer_oci_sweep(const struct crowd_oci_runtime *rt, struct crowd_sweep *ret,
			 struct crowd_error *err);

/* The backends-table entry of one OCI runtime: `var` named crowd_backend_<name>, driven by
 * the crowd_peer_oci_* functions with the runtime description `rt`. */
#define CROWD_PEER_OCI_BACKEND(var, rt, help_text)                                                 \
	static int var##_probe(const struct crowd_config *cfg, struct crowd_error *err)            \
	{                                                                                          \
		return crowd_peer_oci_probe(&(rt), cfg, err);                                      \
	}                                                                                          \
	static int var##_open(struct crowd_backend_run *run, struct crowd_error *err)              \
	{                                                                                          \
		return crowd_peer_oci_open(&(rt), run, err);                                       \
	}                                                                                          \
	static int var##_sweep(struct crowd_sweep *ret, struct crowd_error *err)                   \
	{                                                                                          \
		return crowd_peer_oci_sweep(&(rt), ret, err);                                      \
	}                                                                                          \
	const struct crowd_backend var = {                                                         \
	    .name = (rt).name,                                                                     \
	    .help = (help_text),                                                                   \
	    .probe = var##_probe,                                                                  \
	    .open = var##_open,                                                                    \
	    .start = crowd_peer_oci_start,                                                         \
	    .ready = crowd_peer_oci_ready,                                                         \
	    .stats = crowd_peer_oci_stats,                                                         \
	    .stop = crowd_peer_oci_stop,                                                           \
	    .close = crowd_peer_oci_close,                                                         \
	    .sweep = var##_sweep,                                                                  \
	}

#endif
