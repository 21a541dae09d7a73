/* The hybrid manager: v1 hierarchies for limits and statistics, plus a leaf on the
 * controller-less cgroup2 mount (<root>/unified) for clone3(CLONE_INTO_CGROUP),
 * cgroup.events and cgroup.kill. */
#ifndef CROWD_CGROUP_HYBRID_H
#define CROWD_CGROUP_HYBRID_H

#include "cgroup_utils.h"

extern const struct cg_ops cg_ops_hybrid;

#endif
