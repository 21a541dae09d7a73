/* The options of the commands (docs/architecture.md; README "Options"): one table of rows,
 * stress-ng style. A row carries the option's type, its range and where its value goes; the
 * parser's checks and the --help text (ranges, defaults, allowed names) are both made from the row,
 * so they cannot disagree. A command takes groups of the shared rows and adds rows of its own. Bad
 * input exits 2 with a one-line message naming the option and what is allowed. */
#ifndef CROWD_OPTS_H
#define CROWD_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends/backend.h"
#include "engine/config.h"

/* Which groups of shared options a command takes. */
enum {
	CROWD_OPTS_CONTAINER =
	    1
	    << 0, /* --ns --rootfs --memory-max --pids-max --cpu-max --caps --rootless --pod-size */
	CROWD_OPTS_FLEET = 1 << 1, /* -n -j --backend --workload --placement --out --json --quiet */
	CROWD_OPTS_LOAD = 1 << 2,  /* --duration --load --no-load --connections */
	CROWD_OPTS_VM = 1 << 3,	   /* --vm-accel */
};

enum crowd_opt_type {
	CROWD_OPT_FLAG,	  /* no argument */
	CROWD_OPT_COUNT,  /* an integer min..max (k/M suffixes) */
	CROWD_OPT_SIZE,	  /* bytes min..max, K/M/G/T suffixes */
	CROWD_OPT_TIME,	  /* nanoseconds min..max, written with ns/us/ms/s/m/h */
	CROWD_OPT_NUMBER, /* a decimal number fmin..fmax */
	CROWD_OPT_NAME,	  /* one name of the row's name table */
	CROWD_OPT_LIST,	  /* names of the row's name table, comma-separated (row's parse) */
	CROWD_OPT_PATH,	  /* a path (row's parse checks it) */
	CROWD_OPT_TEXT,	  /* its own syntax, told by the help (row's parse) */
};

/* How a checked value is stored at the row's offset. */
enum crowd_opt_store {
	CROWD_OPT_NOSTORE, /* the row's parse stores it */
	CROWD_OPT_U32,	   /* unsigned, and enums (a NAME row stores the name's index) */
	CROWD_OPT_I64,
	CROWD_OPT_BOOL, /* a FLAG sets true */
	CROWD_OPT_DOUBLE,
	CROWD_OPT_STR, /* const char *: the argument, or the name from the table */
};

/* .store and .off for field of type (checked at compile time: an unlisted type fails). */
#define CROWD_OPT_STORE_OF(x)                                                                      \
	_Generic((x), unsigned: CROWD_OPT_U32, int64_t: CROWD_OPT_I64, bool: CROWD_OPT_BOOL, \
		 double: CROWD_OPT_DOUBLE, const char *: CROWD_OPT_STR)
#define CROWD_OPT_AT(type, field)                                                                  \
	.store = CROWD_OPT_STORE_OF(((type *)0)->field), .off = offsetof(type, field)

struct crowd_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0: none */
	unsigned group;	  /* shared rows: a CROWD_OPTS_* group, 0 for every command */
	enum crowd_opt_type type;
	const char *arg; /* the argument's name in --help */
	const char *help;
	int64_t min, max;  /* COUNT, SIZE, TIME */
	double fmin, fmax; /* NUMBER */
	/* NAME, LIST: the i-th allowed name, NULL past the last. */
	const char *(*name_at)(unsigned i);
	/* What --help calls the default; NULL: the stored value before parsing, if it has one
	 * (a negative number, 0 unsigned, NULL or false count as none). */
	const char *def;
	enum crowd_opt_store store;
	size_t off; /* in struct crowd_config for shared rows, in the command's ctx for its own */
	/* LIST, PATH, TEXT and FLAGs with more to do: check arg (NULL for a flag) and store it
	 * at dst (the config or the ctx); bad input: crowd_usage_error. */
	void (*parse)(const char *cmd, const char *arg, void *dst);
};

/* --timeout of bench and density: a launched instance's time from request to ready. */
#define CROWD_OPT_LAUNCH_TIMEOUT(type, field)                                                      \
	{                                                                                          \
		"timeout", 0, 0, CROWD_OPT_TIME, "TIME", "per instance, request to ready",         \
		    .min = 1000000, .max = 3600000000000LL, CROWD_OPT_AT(type, field)              \
	}

/* --openmetrics FILE of bench, density and merge (docs/fleet.md). */
#define CROWD_OPT_OPENMETRICS(type, field)                                                         \
	{                                                                                          \
		"openmetrics", 0, 0, CROWD_OPT_PATH, "FILE",                                       \
		    "also write the summary as OpenMetrics text (node_exporter textfile)",         \
		    CROWD_OPT_AT(type, field)                                                      \
	}

struct crowd_opts_cmd {
	const char *name;	 /* "bench" */
	const char *synopsis;	 /* for --help: "crowd bench [OPTIONS]" */
	const char *description; /* for --help */
	const char *epilogue;	 /* for --help after the options, or NULL */
	unsigned groups;
	const struct crowd_opt *extra; /* the command's own rows, or NULL; {0}-terminated */
	void *ctx;		       /* where the command's own rows store */
	bool args_anywhere;	       /* arguments may come before options (crowd load URL -c 4) */
};

/* Parse argv into cfg (initialised with crowd_config_init first; NULL when the command takes
 * no shared group). Returns the index of the first argument (after "--" for run). --help
 * prints and exits 0. */
int crowd_opts_parse(const struct crowd_opts_cmd *cmd, int argc, char **argv,
		     struct crowd_config *cfg);

/* For a command that takes options only: crowd_config_init(cfg) (cfg may be NULL without
 * shared groups), crowd_opts_parse with the command's rows storing into ctx, and an argument
 * left over is bad input. */
void crowd_opts_parse_only(const struct crowd_opts_cmd *cmd, void *ctx, int argc, char **argv,
			   struct crowd_config *cfg);

/* Whether option `name` (long name without "--") was given in the last parse. */
bool crowd_opts_given(const char *name);

/* For a row's parse: the checks a SIZE or NUMBER row makes; opt is the name without "--".
 * Exit 2 with "crowd CMD: --opt 'x': not allowed (a size 256K..64T, ...)". */
uint64_t crowd_opts_size(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max);
double crowd_opts_double(const char *cmd, const char *opt, const char *arg, double min, double max);

/* --backend LIST for a command that parses it itself (crowd audit): into cfg->backends, or
 * exit 2 naming the unknown or repeated backend. */
void crowd_opts_backends(const char *cmd, const char *arg, struct crowd_config *cfg);

/* build/rootfs beside the binary, else $(PREFIX)/share/crowd/rootfs. */
const char *crowd_opts_default_rootfs(void);

#endif
