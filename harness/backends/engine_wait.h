/* The readiness fd of an engine backend: readable when the workload's byte came through the
 * FIFO (ready_fifo.h) *or* the engine process crowd started exited, so an engine that fails
 * before the workload runs is reported at once (with its log) instead of at --timeout. */
#ifndef CROWD_ENGINE_WAIT_H
#define CROWD_ENGINE_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* An epoll fd watching fifo_fd and pidfd (either may be -1) for input; -errno with err. */
int crowd_engine_wait_fd(int fifo_fd, int pidfd, struct crowd_error *err);
/* Whether pid (crowd's child) has exited; reaps it then and sets *pid to 0. */
bool crowd_engine_exited(pid_t *pid);

/* Reads a log's tail (or its first error) into buf for a message. */
typedef void (*crowd_engine_tail_fn)(const char *log, char *buf, size_t len);
/* The ready op's first step for an engine whose workload signals through a FIFO: 1 when the
 * byte came; 0 not yet; -EIO with err when the engine process (*engine_pid, named cmd in the
 * message, reaped and zeroed, as is *inst_pid) exited first or the workload closed the FIFO
 * unready (name: the backend). engine_tail reads the engine's log for the first case
 * (NULL: crowd_peer_log_tail), crowd_peer_log_tail always for the second. */
int crowd_engine_ready(int fifo_fd, pid_t *engine_pid, pid_t *inst_pid, const char *log,
		       crowd_engine_tail_fn engine_tail, const char *name, const char *cmd,
		       struct crowd_error *err);

struct crowd_config;
struct crowd_inst;
/* Hand a started engine instance to the launcher: a pidfd of ctr_pid (the workload on the
 * host) into *ret_pidfd, its network namespace when the run has one, 127.0.0.1 and the
 * workload's port, and the FIFO (*fifo_fd, then -1) as its readiness fd. */
int crowd_engine_inst_publish(const struct crowd_config *cfg, struct crowd_inst *inst,
			      pid_t ctr_pid, int *ret_pidfd, int *fifo_fd, struct crowd_error *err);

#endif
