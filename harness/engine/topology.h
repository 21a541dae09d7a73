/* The CPU topology, from the crowd-topo helper program (harness/topo/crowd-topo.c): build/crowd
 * is linked statically and cannot load libhwloc, so the helper, linked with it, prints the
 * topology as lines (format in the helper's source) and crowd_topo_get() runs it once per
 * process, only when something needs a topology (crowd info, host.json, --placement).
 *
 * The helper is CROWD_TOPO_HELPER when set, else crowd-topo beside the running executable,
 * else ../libexec/crowd/crowd-topo from the executable's folder, else
 * $(PREFIX)/libexec/crowd/crowd-topo. A missing, failing, hanging (10 s) or garbled
 * helper is an error with the reason; never a topology of zeros. */
#ifndef CROWD_TOPOLOGY_H
#define CROWD_TOPOLOGY_H

#include <sched.h>
#include <stdint.h>

#include "core/error.h"

#define CROWD_TOPO_MAX_CACHES 8
#define CROWD_TOPO_MAX_UNITS  CPU_SETSIZE

struct crowd_topo_cache {
	unsigned level;	    /* 1..5 */
	const char *kind;   /* static: "data", "instruction", "unified" */
	int64_t size_bytes; /* of one cache, -1 unknown */
	unsigned count;
};

/* A core (its PUs) or a PU (itself), with the OS index of its NUMA node (-1 unknown). */
struct crowd_topo_unit {
	cpu_set_t cpus;
	int node;
};

struct crowd_topo {
	int packages, numa_nodes, cores, pus;
	struct crowd_topo_cache caches[CROWD_TOPO_MAX_CACHES];
	unsigned n_caches;
	struct crowd_topo_unit core[CROWD_TOPO_MAX_UNITS]; /* cores entries */
	struct crowd_topo_unit pu[CROWD_TOPO_MAX_UNITS];   /* pus entries */
};

/* Parse the helper's output (len bytes, need not be NUL-terminated) into *ret. 0, or
 * -EBADMSG (bad syntax, missing/unknown record, counts that disagree, no "end") or -ERANGE
 * (a number out of range) with the line number and what is wrong in err. */
int crowd_topo_parse(const char *text, size_t len, struct crowd_topo *ret, struct crowd_error *err);

/* The helper's path as crowd_topo_get() would run it, in buf. */
int crowd_topo_helper_path(char *buf, size_t len, struct crowd_error *err);

/* Run the helper at path, wait for it and parse its output. < 0 with the reason in err:
 * not executable, killed, exit status and its first stderr line, timeout, bad output. */
int crowd_topo_run(const char *path, struct crowd_topo *ret, struct crowd_error *err);

/* This host's topology, read once per process (thread-safe; later calls return the same
 * result, success or error). NULL with the reason in err ("topology helper PATH: why"). */
const struct crowd_topo *crowd_topo_get(struct crowd_error *err);

#endif
