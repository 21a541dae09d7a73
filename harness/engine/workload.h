/* The workloads table (workloads/ holds their code): what to exec inside a container, how it
 * signals readiness, and whether it serves HTTP. */
#ifndef CROWD_WORKLOAD_H
#define CROWD_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum crowd_ready_kind {
	CROWD_READY_FD,      /* writes one byte to CROWD_READY_FD */
	CROWD_READY_TCP,     /* probe: TCP connect inside the container's network namespace */
	CROWD_READY_CONSOLE, /* a line on the console (VMs) */
	CROWD_READY_EXEC,    /* nothing better: ready once exec succeeded */
};
const char *crowd_ready_kind_name(enum crowd_ready_kind k);

struct crowd_workload {
	const char *name;
	const char *help;
	const char *path;        /* inside the rootfs, e.g. "/bin/httpd" */
	const char *const *args; /* extra arguments after argv[0], NULL-terminated */
	uint16_t port;           /* where it listens, 0: none */
	enum crowd_ready_kind ready;
	bool http;               /* serves HTTP: load can run */
};
extern const struct crowd_workload crowd_workloads[];
extern const unsigned crowd_workloads_len;

/* A chosen workload: a table entry, or "cmd:PATH ARGS" with its own argv. */
struct crowd_workload_inst {
	const struct crowd_workload *desc; /* for cmd: a descriptor owned by this struct */
	struct crowd_workload cmd_desc;
	char *argv[32];                    /* full argv (argv[0] = path), NULL-terminated */
	char name[32];
};
/* Parse --workload: "httpd", "idle", "cpu", "mem" or "cmd:PATH ARGS"; -EINVAL with a message
 * naming what is allowed. */
int crowd_workload_parse(const char *text, struct crowd_workload_inst *ret, struct crowd_error *err);
void crowd_workload_inst_free(struct crowd_workload_inst *w);
/* The argv of one instance: w's, with the value after "--port" replaced by port (when
 * port > 0) and argv[0] prefixed by prefix (the rootfs, for processes run on the host; NULL:
 * none). The strings live in buf. */
int crowd_workload_argv(const struct crowd_workload_inst *w, const char *prefix, unsigned port,
			char **argv, size_t argv_len, char *buf, size_t buf_len,
			struct crowd_error *err);

#endif
