/* The readiness fd of an engine backend: readable when the workload's byte came through the
 * FIFO (ready_fifo.h) *or* the engine process crowd started exited, so an engine that fails
 * before the workload runs is reported at once (with its log) instead of at --timeout. */
#ifndef CROWD_ENGINE_WAIT_H
#define CROWD_ENGINE_WAIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/error.h"

/* An epoll fd watching fifo_fd and pidfd (either may be -1) for input; -errno with err. */
int crowd_engine_wait_fd(int fifo_fd, int pidfd, struct crowd_error *err);
/* Whether pid (crowd's child) has exited; reaps it then and sets *pid to 0. */
bool crowd_engine_exited(pid_t *pid);

#endif
