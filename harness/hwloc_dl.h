/* libhwloc without linking it: libhwloc.so.15 (and the libudev it needs) is opened with
 * dlopen() the first time a topology is needed, so starting build/crowd maps only libc and
 * libm. hwloc_dl.c defines the few hwloc functions crowd and hwloc.h's inline helpers call
 * as forwarders to the loaded library; code keeps including <hwloc.h> and calls
 * crowd_hwloc_load() before its first hwloc call. A forwarder called while the library is
 * not loaded fails the way hwloc reports errors (-1 with errno ENOSYS, NULL, 0), never
 * crashes. CROWD_HWLOC_LIB names another file to open instead (tests use a missing one). */
#ifndef CROWD_HWLOC_DL_H
#define CROWD_HWLOC_DL_H

#include "error.h"

#define CROWD_HWLOC_SONAME "libhwloc.so.15"

/* Open the library and resolve every forwarded symbol, once per process (thread-safe).
 * 0 when loaded; else -ENOENT (library not opened), -ENOSYS (a symbol missing) or -ENOTSUP
 * (another API major version), with dlerror()'s reason in err. Later calls return the
 * same result without retrying. */
int crowd_hwloc_load(struct crowd_error *err);

#endif
