#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "wl.h"

/* Write the byte to fd and close it. A reader that went away is not worth dying of SIGPIPE
 * for: SIGPIPE is ignored for the write and EPIPE is not an error. */
static int ready_write(int fd)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int r;

	sigaction(SIGPIPE, &ign, &old);
	do
		r = (int)write(fd, "R", 1);
	while (r < 0 && errno == EINTR);
	r = r < 0 && errno != EPIPE ? -errno : 0;
	sigaction(SIGPIPE, &old, NULL);
	close(fd);
	return r;
}

/* CROWD_READY_PATH names a FIFO (or file) the engine bind-mounted in for us: the way the
 * byte crosses engines that cannot pass an open fd (docker, podman, lxc, nspawn, runsc).
 * The harness holds the FIFO open for reading; O_NONBLOCK makes a FIFO nobody reads any
 * more fail at once (ENXIO) instead of hanging the workload. */
static int ready_path(const char *path)
{
	int fd;

	do
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno == ENXIO ? 0 : -errno; /* ENXIO: no reader any more */
	return ready_write(fd);
}

int wl_ready_notify(void)
{
	const char *s = getenv("CROWD_READY_FD");
	const char *path = getenv("CROWD_READY_PATH");
	uint64_t fd;
	int r;

	if (path && *path && (!s || !*s)) {
		r = ready_path(path);
		unsetenv("CROWD_READY_PATH"); /* children must not signal a second time */
		return r;
	}
	if (!s || !*s)
		return 0;
	r = wl_parse_uint(s, 65535, &fd);
	if (r < 0)
		return r;
	unsetenv("CROWD_READY_FD"); /* children must not signal a second time */
	unsetenv("CROWD_READY_PATH");
	return ready_write((int)fd);
}
