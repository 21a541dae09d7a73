/* --placement spread|compact: which CPUs instance i may run on, chosen from the hwloc
 * topology. spread: round-robin over cores (instance i gets every PU of core i mod cores);
 * compact: fill one PU before the next (ceil(N/PUs) instances per PU, in topology order). The
 * core backend writes the choice as cgroup cpuset limits, the process backend as
 * sched_setaffinity. */
#ifndef CROWD_PLACEMENT_H
#define CROWD_PLACEMENT_H

#include <sched.h>
#include <stddef.h>

#include "core/cgroup.h"
#include "config.h"

/* Fill *ret for instance index (per backend) of a run of cfg->count. Returns the number of
 * CPUs set, 0 when placement is none or the topology is unknown. */
int crowd_place_cpus(const struct crowd_config *cfg, int index, cpu_set_t *ret);
/* The same as cpuset limits ("0-1" style list, and the NUMA node(s) of those CPUs). Returns
 * the number of CPUs, 0 when nothing was set. */
int crowd_place_limits(const struct crowd_config *cfg, int index, struct crowd_cg_limits *lim);
/* 0 when cfg->placement is none or the topology is known; else < 0 with the reason in err
 * (the crowd-topo helper missing or failing, topology.h), and placement would set nothing. */
int crowd_place_check(const struct crowd_config *cfg, struct crowd_error *err);
/* "spread", "compact", "none". */
const char *crowd_place_name(enum crowd_placement p);

#endif
