/* crowd compare --by host FLEET (bench/compare_hosts.c). */
#ifndef CROWD_COMPARE_HOSTS_H
#define CROWD_COMPARE_HOSTS_H

#include <stdbool.h>

#include "results/results.h"

/* One row per host, backend and metric (only, or the default few): the host's median and p99
 * against the pooled rows of the other hosts (ratio with bootstrap CI, Mann-Whitney p, verdict
 * at threshold). Returns the exit code: 0, 2 on bad input (after printing why). */
int crowd_compare_by_host(const char *dir, const struct crowd_metric *only, double threshold,
			  bool json);

#endif
