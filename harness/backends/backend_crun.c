/* Backend crun: the OCI runtime crun (Debian package) over a generated bundle. On a hybrid
 * cgroup host crun refuses to start unless it sees cgroup2 at /sys/fs/cgroup, so it is spawned
 * in a private mount namespace that shows it, with --cgroup-manager=disabled (it then makes
 * no cgroup: limits are reported unapplied). */
#include "backend.h"
#include "peer_oci.h"

static const struct crowd_oci_runtime crowd_oci_crun = {.name = "crun", .cgroup2_ns = true, .cgroup_disabled = true};

CROWD_PEER_OCI_BACKEND(crowd_backend_crun, crowd_oci_crun, "crun (OCI runtime in C) with a generated bundle");
