/* The device allowlist of a container: deny every device, allow what a container needs
 * (null, zero, full, random, urandom, tty, ptmx, pts: crowd's /dev and Docker's default),
 * and mknod of any node (opening one still needs a rule). One table, written as v1
 * devices cgroup lines, compiled into a cgroup2 BPF_PROG_TYPE_CGROUP_DEVICE program (loaded
 * once per process, attached once per run to the run's cgroup), and written as OCI
 * linux.resources.devices for crun and runc. */
#ifndef CROWD_DEVICES_H
#define CROWD_DEVICES_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct crowd_dev_rule {
	char type;	    /* 'c', 'b', or 'a' (both) */
	int major, minor;   /* -1: any */
	const char *access; /* a subset of "rwm" */
	const char *what;
};
extern const struct crowd_dev_rule crowd_dev_table[];
extern const unsigned crowd_dev_table_len;

/* The policy of a run: the table and, once a cgroup2 leaf asked for it, the loaded program.
 * Opaque; the default one lives as long as the process. */
struct crowd_dev_policy;
const struct crowd_dev_policy *crowd_dev_default(void);

/* "c 1:3 rwm" (v1 devices.allow syntax). */
void crowd_dev_rule_format(const struct crowd_dev_rule *r, char *buf, size_t len);
/* Does the table allow this access ('c' or 'b'; access one of 'r', 'w', 'm')? */
bool crowd_dev_allowed(char type, unsigned major, unsigned minor, char access);

/* v1: deny all, then allow each rule, in the cgroup <dirfd>/<dir> of the devices hierarchy
 * (the cgroup layer writes them once per run, on the run's directory: "."). */
int crowd_dev_v1_write(int dirfd, const char *dir, const struct crowd_dev_policy *p,
		       struct crowd_error *err);
/* v2: the table as a BPF_PROG_TYPE_CGROUP_DEVICE program into out (up to max); returns the
 * instruction count, or more than max when out is too small. */
unsigned crowd_dev_bpf_build(struct bpf_insn *out, unsigned max);
/* v2: attach the policy's program (loaded on first use, once per process) to the cgroup2
 * directory cg_fd (an O_PATH fd is fine); it applies to every cgroup below, so the cgroup
 * layer attaches it once per run, to the run's directory. */
int crowd_dev_v2_attach(int cg_fd, const struct crowd_dev_policy *p, struct crowd_error *err);

/* The table as OCI linux.resources.devices (a new jansson reference). */
struct json_t;
struct json_t *crowd_dev_oci_json(void);

#endif
