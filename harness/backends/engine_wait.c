/* Readiness fd of an engine backend (see engine_wait.h). */
#include "engine_wait.h"
#include "backend.h"
#include "peer.h"
#include "ready_fifo.h"

#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

int crowd_engine_wait_fd(int fifo_fd, int pidfd, struct crowd_error *err)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return crowd_error_errno(err, errno, "epoll_create1");
	int fds[2] = {fifo_fd, pidfd};
	for (int i = 0; i < 2; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
		if (fds[i] >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			int e = errno;
			close(ep);
			return crowd_error_errno(err, e, "epoll_ctl");
		}
	}
	return ep;
}

bool crowd_engine_exited(pid_t *pid)
{
	if (*pid <= 0)
		return true;
	if (waitpid(*pid, NULL, WNOHANG) != *pid)
		return false;
	*pid = 0;
	return true;
}

int crowd_engine_ready(int fifo_fd, pid_t *engine_pid, pid_t *inst_pid, const char *log,
		       crowd_engine_tail_fn engine_tail, const char *name, const char *cmd,
		       struct crowd_error *err)
{
	char tail[200] = "";
	int n = crowd_ready_fifo_read(fifo_fd);

	if (n <= 0 && crowd_engine_exited(engine_pid)) {
		(engine_tail ? engine_tail : crowd_peer_log_tail)(log, tail, sizeof(tail));
		*inst_pid = 0;
		return crowd_error_set(err, EIO, "%s exited before the workload was ready%s%s", cmd,
				       tail[0] ? ": " : "", tail);
	}
	if (n < 0) {
		crowd_peer_log_tail(log, tail, sizeof(tail));
		return crowd_error_set(err, EIO, "%s: workload exited before it was ready%s%s",
				       name, tail[0] ? ": " : "", tail);
	}
	return n > 0;
}

int crowd_engine_inst_publish(const struct crowd_config *cfg, struct crowd_inst *inst,
			      pid_t ctr_pid, int *ret_pidfd, int *fifo_fd, struct crowd_error *err)
{
	int fd = (int)syscall(SYS_pidfd_open, ctr_pid, 0);
	*ret_pidfd = fd >= 0 ? fd : -1;
	if (cfg->ns & CLONE_NEWNET) {
		int ns = crowd_peer_netns_open(ctr_pid);
		if (ns < 0)
			return crowd_error_errno(err, -ns, "open /proc/%d/ns/net", (int)ctr_pid);
		inst->netns_fd = ns;
	}
	crowd_peer_fmt(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = cfg->workload.desc ? cfg->workload.desc->port : 0;
	inst->pid = ctr_pid;
	inst->pidfd = *ret_pidfd;
	inst->ready_fd = *fifo_fd;
	*fifo_fd = -1; /* the launcher's now; closed by crowd_peer_inst_stopped */
	inst->started = true;
	return 0;
}
