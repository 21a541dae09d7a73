/* Backend crun: the OCI runtime crun (Debian package) over a generated bundle. On a hybrid
 * cgroup host crun refuses to start unless it sees cgroup2 at /sys/fs/cgroup, so it is spawned
 * in a private mount namespace that shows it, with --cgroup-manager=disabled (it then makes
 * no cgroup: limits are reported unapplied). */
#include "backend.h"
#include "peer_oci.h"

static const struct crowd_oci_runtime rt = {.name = "crun", .cgroup2_ns = true, .cgroup_disabled = true};

static int probe(const struct crowd_config *cfg, char *reason, size_t len)
{
	return crowd_peer_oci_probe(&rt, cfg, reason, len);
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	return crowd_peer_oci_open(&rt, run, err);
}

const struct crowd_backend crowd_backend_crun = {
	.name = "crun",
	.help = "crun (OCI runtime in C) with a generated bundle",
	.probe = probe,
	.open = open_run,
	.start = crowd_peer_oci_start,
	.ready = crowd_peer_oci_ready,
	.stats = crowd_peer_oci_stats,
	.stop = crowd_peer_oci_stop,
	.close = crowd_peer_oci_close,
};
