/* Readiness through engines that cannot pass an open fd (lxc, nspawn, runsc, docker...):
 * a per-instance FIFO the engine bind-mounts into the container, named there by
 * CROWD_READY_PATH (workloads/common/ready.c). crowd opens the read end before the container
 * starts, so the workload's O_WRONLY|O_NONBLOCK open finds a reader. */
#ifndef CROWD_READY_FIFO_H
#define CROWD_READY_FIFO_H

#include "core/error.h"

/* mkfifo path (0600; an old one is replaced) and open it O_RDONLY|O_NONBLOCK|O_CLOEXEC.
 * Returns the fd for the launcher to poll (readable once the byte came), or -errno. */
int crowd_ready_fifo_open(const char *path, struct crowd_error *err);
/* Close *fd (when >= 0, then -1) and unlink path (when not NULL). Missing is fine. */
void crowd_ready_fifo_close(int *fd, const char *path);

#endif
