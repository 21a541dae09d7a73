/* Backend runc: the OCI runtime runc (Debian package) over a generated bundle per container,
 * its cgroups (v1 here) under <top>/<run>-runc/<id> so `crowd clean` can sweep them. */
#include "backend.h"
#include "peer_oci.h"

static const struct crowd_oci_runtime crowd_oci_runc = {.name = "runc", .cgroup2_ns = false, .cgroup_disabled = false};

CROWD_PEER_OCI_BACKEND(crowd_backend_runc, crowd_oci_runc, "runc (OCI runtime in Go) with a generated bundle");
