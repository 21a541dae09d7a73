/* Readiness fd of an engine backend (see engine_wait.h). */
#include "engine_wait.h"

#include <errno.h>
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
