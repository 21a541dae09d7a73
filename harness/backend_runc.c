/* Backend runc: the OCI runtime runc (Debian package) over a generated bundle per container,
 * its cgroups (v1 here) under <top>/<run>-runc/<id> so `crowd clean` can sweep them. */
#include "backend.h"
#include "peer_oci.h"

static const struct crowd_oci_runtime rt = {.name = "runc", .cgroup2_ns = false, .cgroup_disabled = false};

static int probe(const struct crowd_config *cfg, char *reason, size_t len)
{
	return crowd_peer_oci_probe(&rt, cfg, reason, len);
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	return crowd_peer_oci_open(&rt, run, err);
}

const struct crowd_backend crowd_backend_runc = {
	.name = "runc",
	.help = "runc (OCI runtime in Go) with a generated bundle",
	.probe = probe,
	.open = open_run,
	.start = crowd_peer_oci_start,
	.ready = crowd_peer_oci_ready,
	.stats = crowd_peer_oci_stats,
	.stop = crowd_peer_oci_stop,
	.close = crowd_peer_oci_close,
};
