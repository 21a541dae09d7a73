/* OCI runtime-spec config.json from a crowd_config, so crun and runc run the same rootfs,
 * namespaces, limits and capability profile as the core (built with jansson). */
#ifndef CROWD_OCI_H
#define CROWD_OCI_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/config.h"
#include "core/error.h"

struct crowd_oci_opts {
	const struct crowd_config *cfg;
	const char *rootfs;       /* absolute path; "/" for the host root */
	int ready_fd;             /* CROWD_READY_FD inside the container; -1: none */
	const char *cgroups_path; /* linux.cgroupsPath; NULL: leave it to the runtime */
	bool resources;           /* write linux.resources from cfg->limits */
};

/* Write <bundle>/config.json. */
int crowd_oci_write(const char *bundle, const struct crowd_oci_opts *o, struct crowd_error *err);

/* The limits of cfg in words ("memory-max=64M pids-max=..."), "" when none; for
 * run->unapplied when a runtime cannot apply them. */
void crowd_oci_limits_text(const struct crowd_config *cfg, char *buf, size_t len);

#endif
