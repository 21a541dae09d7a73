/* Readiness through an engine: a per-instance FIFO on the host, opened for reading before the
 * container starts, bind-mounted into it and named by CROWD_READY_PATH. The workload opens it
 * O_WRONLY|O_NONBLOCK (which works only while crowd holds the read end) and writes one byte
 * (workloads/common/ready.c). Shared by the engine backends (docker, podman, lxc, nspawn...). */
#ifndef CROWD_READY_FIFO_H
#define CROWD_READY_FIFO_H

#include <stddef.h>

#include "core/error.h"

/* Where the FIFO appears inside the container (CROWD_READY_PATH's value). */
#define CROWD_READY_FIFO_INSIDE "/run/crowd-ready"

/* mkfifo dir/<name>.ready (mode 0622) and open it O_RDONLY|O_NONBLOCK|O_CLOEXEC; the path
 * into path (len bytes). Returns the fd, or -errno with err (nothing left behind). */
int crowd_ready_fifo_open(const char *dir, const char *name, char *path, size_t len,
			  struct crowd_error *err);

/* What one read of a readable FIFO says: 1 the byte came, 0 not yet (nothing to read, no
 * writer yet), <0 the writer closed it without a byte (-EPIPE) or read failed. */
int crowd_ready_fifo_read(int fd);

/* Close *fd (set to -1) and unlink path (when not NULL or ""); both may be absent already. */
void crowd_ready_fifo_close(int *fd, const char *path);

#endif
