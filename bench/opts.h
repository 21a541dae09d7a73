/* The shared options of run, bench and density (DESIGN.md "Shared options"): one table,
 * parsed with getopt_long; a command adds its own options through `extra`. Bad input exits 2
 * with a one-line message naming the option and what is allowed. */
#ifndef CROWD_OPTS_H
#define CROWD_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "backends/backend.h"
#include "engine/config.h"

/* Which groups of shared options a command takes. */
enum {
	CROWD_OPTS_CONTAINER = 1 << 0, /* --ns --rootfs --memory-max --pids-max --cpu-max --caps --rootless --pod-size */
	CROWD_OPTS_FLEET = 1 << 1,     /* -n -j --backend --workload --placement --out --json --quiet */
	CROWD_OPTS_LOAD = 1 << 2,      /* --duration --load --no-load --connections */
	CROWD_OPTS_VM = 1 << 3,        /* --vm-accel */
};

/* A command's own option: called with the option's `val` and its argument. Return 0, or
 * call crowd_usage_error(). */
typedef void (*crowd_opts_extra_fn)(int val, const char *arg, void *ctx);

struct crowd_opts_cmd {
	const char *name;               /* "bench" */
	const char *synopsis;           /* for --help: "crowd bench [OPTIONS]" */
	const char *description;        /* for --help */
	unsigned groups;
	const struct option *extra;     /* NULL or {0}-terminated; val >= 1000 */
	const char *extra_help;         /* lines for --help */
	crowd_opts_extra_fn extra_fn;
	void *ctx;
};

/* Parse argv into cfg (initialised with crowd_config_init first). Returns optind: the index
 * of the first non-option argument (after "--" for run). --help prints and exits 0. */
int crowd_opts_parse(const struct crowd_opts_cmd *cmd, int argc, char **argv,
		     struct crowd_config *cfg);

/* For extra options: parse helpers that exit 2 with "crowd CMD: --opt 'x': ..." */
uint64_t crowd_opts_size(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max);
int64_t crowd_opts_time(const char *cmd, const char *opt, const char *arg, int64_t min_ns,
			int64_t max_ns);
uint64_t crowd_opts_uint(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max);
double crowd_opts_double(const char *cmd, const char *opt, const char *arg, double min,
			 double max);

/* --backend LIST for a command that parses it itself (crowd audit): into cfg->backends, or
 * exit 2 naming the unknown or repeated backend. */
void crowd_opts_backends(const char *cmd, const char *arg, struct crowd_config *cfg);

/* build/rootfs beside the binary, else $(PREFIX)/share/crowd/rootfs. */
const char *crowd_opts_default_rootfs(void);

#endif
