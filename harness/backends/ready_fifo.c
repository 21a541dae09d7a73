/* The readiness FIFO of an engine backend (see ready_fifo.h). */
#include "ready_fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int crowd_ready_fifo_open(const char *path, struct crowd_error *err)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return crowd_error_errno(err, errno, "remove old %s", path);
	if (mkfifo(path, 0600) < 0)
		return crowd_error_errno(err, errno, "mkfifo %s", path);
	/* Never a writer yet: Linux reports no EPOLLHUP until one came and went. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		unlink(path);
		return crowd_error_errno(err, e, "open %s", path);
	}
	return fd;
}

void crowd_ready_fifo_close(int *fd, const char *path)
{
	if (fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	if (path)
		unlink(path);
}
