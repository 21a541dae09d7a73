/* The options of a run as the library sees them. bench/ fills this from the command line;
 * backends, the launcher and the writers read it. */
#ifndef CROWD_CONFIG_H
#define CROWD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/container.h"
#include "workload.h"

#define CROWD_MAX_BACKENDS 8

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
	struct crowd_cg_limits limits;	     /* --memory-max, --pids-max, --cpu-max */
	enum crowd_caps_profile caps;	     /* --caps */
	unsigned security;		     /* --security: CROWD_SEC_* features (default all) */
	const struct crowd_seccomp *seccomp; /* --seccomp FILE, compiled; NULL: the default */
	bool security_sweep;		     /* --security-sweep: the backend as the steps below */
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

/* --security-sweep: cumulative steps from no security to all of it, each one feature more than
 * the step before, so the cost of each shows as the difference to its predecessor. A step's
 * label is "<backend>-<name>" ("core-none", "core-caps", ...): only [a-z-], safe in file
 * names, CSV and gnuplot titles (where "folder:backend" already uses ':'). */
struct crowd_sweep_step {
	const char *name;	      /* "none", "caps", "nnp", ..., "all" */
	enum crowd_caps_profile caps; /* --caps of the step */
	unsigned security;	      /* CROWD_SEC_* bits of the step */
};
extern const struct crowd_sweep_step crowd_sweep_steps[];
extern const unsigned crowd_sweep_steps_len;
/* base with step i's caps and security (the seccomp filter stays base's: the default). */
void crowd_config_sweep_step(const struct crowd_config *base, unsigned i, struct crowd_config *ret);

/* What the run's security was, for host.json: the features, the seccomp filter (name, hash,
 * rules) and the device rules. A new jansson reference. */
struct json_t;
struct json_t *crowd_config_security_json(const struct crowd_config *cfg);

#endif
