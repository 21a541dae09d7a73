/* One metric across many results folders in time order: the computation behind
 * `crowd compare --history` (the table) and `crowd plot --history` (the trend figure), and
 * the data file both write. */
#ifndef CROWD_HISTORY_H
#define CROWD_HISTORY_H

#include <stdio.h>

#include "core/error.h"
#include "results.h"
#include "stats.h"

/* One backend of one folder: the summary of the metric's ok samples. */
struct crowd_history_row {
	size_t index;        /* position of the folder in time order, from 0 */
	char started[32];    /* summary.json "started", "-" when unknown */
	char run[128];       /* run name (whitespace replaced by '_') */
	char backend[16];
	struct crowd_stats st; /* in the metric's base unit (ns, bytes, req/s) */
};

struct crowd_history {
	const struct crowd_metric *metric;
	size_t n_runs;                 /* folders, oldest first */
	char (*runs)[128];             /* their run names, oldest first */
	struct crowd_history_row *rows; /* by folder (oldest first), then backend */
	size_t n;
	char backends[CROWD_MAX_BACKENDS][16]; /* distinct backends of rows, first seen first */
	unsigned n_backends;
};

/* Read the n folders, order them by summary.json "started" (then run name), and summarize
 * metric m (NULL: spinup_ns) of each backend (backend NULL: all) with ok samples.
 * -ENOENT / -EINVAL: a folder is missing or not a results folder (err names it);
 * -ENODATA: no folder has ok samples of m (for backend). */
int crowd_history_compute(char *const *dirs, size_t n, const struct crowd_metric *m,
			  const char *backend, struct crowd_history *ret,
			  struct crowd_error *err);
void crowd_history_free(struct crowd_history *h);

/* The data file: two '#' header lines, then "index started run backend n p50 ci95_lo
 * ci95_hi p90 p99" per row of backend (NULL: all), base units, %.15g. */
int crowd_history_write_data(FILE *f, const struct crowd_history *h, const char *backend);

#endif
