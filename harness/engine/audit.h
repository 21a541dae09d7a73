/* crowd audit: which security switches each backend turns on, seen from inside. One probe
 * container per backend (workloads/probe) is started through the launcher; its report, one
 * JSON object served over HTTP on its port, is fetched the way the load generator reaches a
 * workload; every instance is torn down. The rows of the table and their short cells ("on",
 * "OFF", "2 (filter)", "EPERM", "opened!") are made here, so every view agrees. A library:
 * it never prints (docs/audit.md). */
#ifndef CROWD_AUDIT_H
#define CROWD_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "core/error.h"

struct crowd_launch;

/* Namespaces the probe reports, by name; crowd's own are compared with them. */
#define CROWD_AUDIT_NS 8
extern const char *const crowd_audit_ns_names[CROWD_AUDIT_NS];

/* What crowd itself sees: its namespaces (inode numbers, 0: unknown) and kernel boot id, so a
 * cell can say "own" or "HOST", and a VM's guest kernel is told from the host's. */
struct crowd_audit_host {
	uint64_t ns[CROWD_AUDIT_NS];
	char boot_id[64];
};
void crowd_audit_host_read(struct crowd_audit_host *ret);

struct crowd_audit_column {
	const char *backend;
	bool available;	  /* the backend could run here */
	bool ran;	  /* a report was collected */
	char reason[256]; /* why not available, or why no report */
	json_t *report;	  /* the probe's report (owned), NULL when !ran */
};

struct crowd_audit {
	struct crowd_config cfg; /* the run's: the probe workload, one instance per backend */
	struct crowd_audit_host host;
	struct crowd_audit_column col[CROWD_MAX_BACKENDS];
	unsigned n_col;
	unsigned n_ran;
	struct crowd_launch *launch; /* between open and close */
};

/* Probe and open the backends of cfg (cfg->backends; none: every backend crowd has), with the
 * probe workload in place of cfg's. -ENODEV when none can run (err lists why). */
int crowd_audit_open(const struct crowd_config *cfg, struct crowd_audit *a,
		     struct crowd_error *err);
/* Start one probe per available backend, wait for readiness, fetch each report. A backend
 * whose probe failed keeps the reason in its column. 0 when at least one report came; -EIO
 * when none did; -EINTR when interrupted (crowd_launch_interrupt on a->launch). */
int crowd_audit_collect(struct crowd_audit *a, struct crowd_error *err);
/* Tear every instance down and free the launcher; -EBUSY when something was left. */
int crowd_audit_close(struct crowd_audit *a, struct crowd_error *err);
/* Close if needed, free the reports. */
void crowd_audit_free(struct crowd_audit *a);

/* Parse a probe's report: a JSON object with "probe": 1. -EINVAL otherwise (err says why). */
int crowd_audit_parse(const char *text, size_t len, json_t **ret, struct crowd_error *err);

/* The rows of the table, 0..crowd_audit_rows_len-1 in order. */
struct crowd_audit_row_name {
	const char *key;   /* "seccomp", "syscall.bpf": the JSON name */
	const char *label; /* "seccomp", "bpf()": the table's */
	const char *group; /* the heading the row sits under: "system calls" */
};
extern const unsigned crowd_audit_rows_len;
/* NULL for a row out of range. */
const struct crowd_audit_row_name *crowd_audit_row(unsigned row);

/* The short cell of a row for one report; "?" where the report lacks the field. */
void crowd_audit_cell(unsigned row, const json_t *report, const struct crowd_audit_host *host,
		      char *buf, size_t len);

enum crowd_audit_style {
	CROWD_AUDIT_TEXT,     /* aligned columns, group headings */
	CROWD_AUDIT_MARKDOWN, /* a GitHub table */
};
/* The table (rows: features; columns: the backends that ran), then one line per backend that
 * did not, with its reason. malloc'd; NULL when out of memory. */
char *crowd_audit_render(const struct crowd_audit *a, enum crowd_audit_style style);
/* {"backends":[{"name","available","ran","reason","cells":{key:cell},"report":{...}}],
 *  "rows":[{"key","label","group"}]}; NULL when out of memory. */
json_t *crowd_audit_json(const struct crowd_audit *a);

#endif
