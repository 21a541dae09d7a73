/* The options of a run as the library sees them. bench/ fills this from the command line;
 * backends, the launcher and the writers read it. */
#ifndef CROWD_CONFIG_H
#define CROWD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rootfs.h"
#include "core/container.h"
#include "workload.h"

#define CROWD_MAX_BACKENDS 16 /* a sweep has up to 15 steps (--sweep ns) */

/* --sweep: which primitive the run adds step by step (none: not a sweep). */
enum crowd_sweep_kind {
	CROWD_SWEEP_NONE,
	CROWD_SWEEP_SECURITY, /* --sweep security (alias --security-sweep) */
	CROWD_SWEEP_NS,
	CROWD_SWEEP_CAPS,
};

enum crowd_placement {
	CROWD_PLACE_NONE,
	CROWD_PLACE_SPREAD,  /* round-robin over cores from the hwloc topology */
	CROWD_PLACE_COMPACT, /* fill one core's PUs before the next */
};

struct crowd_config {
	unsigned count;	      /* -n, default 100 */
	unsigned concurrency; /* -j, starts in flight, default 1 */
	const char *backends[CROWD_MAX_BACKENDS];
	unsigned n_backends;		     /* default: core */
	struct crowd_workload_inst workload; /* --workload, default httpd */
	unsigned long ns;		     /* --ns, CLONE_NEW* flags, default CROWD_NS_DEFAULT */
	const char *rootfs;		     /* --rootfs DIR; NULL means host */
	enum crowd_rootfs_mode rootfs_mode;  /* --rootfs-mode of the core: ro (default), overlay */
	struct crowd_cg_limits limits;	     /* --memory-max, --pids-max, --cpu-max */
	enum crowd_caps_profile caps;	     /* --caps */
	unsigned security;		     /* --security: CROWD_SEC_* features (default all) */
	const struct crowd_seccomp *seccomp; /* --seccomp FILE, compiled; NULL: the default */
	enum crowd_sweep_kind sweep;	     /* --sweep: the backend as the steps below */
	bool rootless;			     /* --rootless */
	unsigned pod_size;		     /* --pod-size, 0/1: no pods */
	enum crowd_placement placement;
	int64_t duration_ns;  /* --duration: load per container */
	bool load;	      /* --load / --no-load */
	unsigned connections; /* --connections per container */
	const char *out;      /* --out DIR; NULL: results/runs/<timestamp>-... */
	bool json, quiet;
	const char *vm_accel;  /* --vm-accel kvm|tcg|auto */
	const char *vm_kernel; /* --vm-kernel minimal|debian|auto */
	const char *argv_line; /* the command line as typed, for host.json */
};

void crowd_config_init(struct crowd_config *cfg);

/* --sweep KIND: the first backend once per step of the kind's table, interleaved. security:
 * cumulative from no security to all of it; ns: cumulative none, +pid, +mnt, +uts, +ipc,
 * +net, +cgroup, +user, then each namespace alone; caps: none, default, all. A step is measured
 * against its base (the step before, or "core-ns-none" for a namespace alone), so its cost
 * shows as the difference. A step's label is "<backend>-<name>" ("core-nnp", "core-add-net",
 * "core-one-pid"): only [a-z-], safe in file names, CSV and gnuplot titles (where
 * "folder:backend" already uses ':'), at most 15 characters. */
struct crowd_sweep_step {
	const char *name;	      /* "none", "caps", "nnp", ..., "add-pid", "one-net" */
	enum crowd_caps_profile caps; /* --caps of the step */
	unsigned security;	      /* CROWD_SEC_* bits of the step */
	unsigned long ns;	      /* ns sweep: CLONE_NEW* of the step */
	int base;		      /* the step it is measured against; -1: the one before */
};
/* The steps of kind (NULL and 0 for CROWD_SWEEP_NONE). */
const struct crowd_sweep_step *crowd_sweep_table(enum crowd_sweep_kind kind, unsigned *ret_n);
/* "security", "ns", "caps" ("" for none); parse: -EINVAL for another name. */
const char *crowd_sweep_kind_name(enum crowd_sweep_kind kind);
int crowd_sweep_kind_parse(const char *text, enum crowd_sweep_kind *ret);
/* base with step i of base->sweep applied: security, caps or namespaces. The ns sweep runs
 * every step on the host's root (a rootfs needs the mnt namespace), the workload binary taken
 * from base's rootfs: exe (exe_len bytes, kept as long as ret) holds its path. */
void crowd_config_sweep_step(const struct crowd_config *base, unsigned i, struct crowd_config *ret,
			     char *exe, size_t exe_len);

/* What the run's security was, for host.json: the features, the seccomp filter (name, hash,
 * rules) and the device rules. A new jansson reference. */
struct json_t;
struct json_t *crowd_config_security_json(const struct crowd_config *cfg);

#endif
