/* Readiness FIFOs for the engine backends (see ready_fifo.h). */
#include "ready_fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peer.h"

int crowd_ready_fifo_open(const char *dir, const char *name, char *path, size_t len,
			  struct crowd_error *err)
{
	if (crowd_peer_fmt(path, len, "%s/%s.ready", dir, name) < 0)
		return crowd_error_set(err, ENAMETOOLONG, "ready FIFO path too long: %s", path);
	unlink(path); /* a stale one of an earlier run with the same name */
	if (mkfifo(path, 0600) < 0)
		return crowd_error_errno(err, errno, "mkfifo %s", path);
	/* The workload may run as another uid inside: it must be able to open it for writing
	 * (mkfifo's mode went through the umask). */
	if (chmod(path, 0622) < 0) {
		int e = errno;
		unlink(path);
		return crowd_error_errno(err, e, "chmod %s", path);
	}
	/* Reading end first, non-blocking: the open does not wait for a writer, and with no
	 * writer yet poll reports nothing (no POLLHUP until a writer came and went). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		unlink(path);
		return crowd_error_errno(err, e, "open %s", path);
	}
	return fd;
}

int crowd_ready_fifo_read(int fd)
{
	char b;
	ssize_t n = read(fd, &b, 1);
	if (n == 1)
		return 1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return -EPIPE; /* EOF: a writer came and closed it without the byte */
}

void crowd_ready_fifo_close(int *fd, const char *path)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	if (path && path[0])
		unlink(path);
}
