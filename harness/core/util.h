/* Small helpers shared by the whole library: cleanup attributes, clocks, file I/O. */
#ifndef CROWD_UTIL_H
#define CROWD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

static inline void crowd_freep(void *p)
{
	free(*(void **)p);
}
static inline void crowd_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
#define _cleanup_free_	__attribute__((cleanup(crowd_freep)))
#define _cleanup_close_ __attribute__((cleanup(crowd_closep)))

/* Hand ownership on: return the value and leave the variable empty. */
#define crowd_steal_ptr(p)                                                                         \
	({                                                                                         \
		__typeof__(p) _s = (p);                                                            \
		(p) = NULL;                                                                        \
		_s;                                                                                \
	})
#define crowd_steal_fd(fd)                                                                         \
	({                                                                                         \
		int _s = (fd);                                                                     \
		(fd) = -1;                                                                         \
		_s;                                                                                \
	})

#define CROWD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* CLOCK_MONOTONIC in nanoseconds: the one clock of every phase timestamp. */
static inline int64_t crowd_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Write the whole string to an existing file (cgroup knobs, /proc files). */
int crowd_write_file(const char *path, const char *text, struct crowd_error *err);
int crowd_write_fileat(int dirfd, const char *name, const char *text, struct crowd_error *err);
/* Read up to len-1 bytes, NUL-terminated; returns bytes read or -errno. */
ssize_t crowd_read_file(const char *path, char *buf, size_t len, struct crowd_error *err);
ssize_t crowd_read_fileat(int dirfd, const char *name, char *buf, size_t len,
			  struct crowd_error *err);
/* Read a file holding one integer ("max" gives INT64_MAX). */
int crowd_read_int64(const char *path, int64_t *ret, struct crowd_error *err);
int crowd_read_int64at(int dirfd, const char *name, int64_t *ret, struct crowd_error *err);
/* mkdir -p: path with mode, its missing parents with parent_mode; an existing directory is
 * fine. err names the directory that could not be made. */
int crowd_mkdir_p(const char *path, mode_t mode, mode_t parent_mode, struct crowd_error *err);
/* rm -rf name (relative to dirfd) on file system dev: 0, or the first -errno (-EBUSY at a
 * mount point, -ELOOP past 64 levels); what could be removed is. */
int crowd_rmtree_at(int dirfd, const char *name, dev_t dev);
/* One message of len bytes on a socket, with fd (when >= 0) riding along (SCM_RIGHTS); no
 * SIGPIPE, EINTR retried. sendmsg's result. No malloc: safe in a cloned child. */
ssize_t crowd_send_fd(int sock, const void *buf, size_t len, int fd);
/* One message of up to len bytes, and *ret_fd the fd that came with it (close-on-exec) or -1;
 * EINTR retried. recvmsg's result; -1 with EMFILE when an fd came but none was free here. */
ssize_t crowd_recv_fd(int sock, void *buf, size_t len, int *ret_fd);
/* Write all bytes / read exactly len bytes, retrying on EINTR and short counts. */
int crowd_write_all(int fd, const void *buf, size_t len);
ssize_t crowd_read_all(int fd, void *buf, size_t len);

/* A detached thread of stack_size bytes running fn(arg) that takes no signals (they stay with
 * the threads that expect them): the library's long-lived workers. 0 or a positive errno. */
int crowd_thread_detached(void *(*fn)(void *), void *arg, size_t stack_size);

#endif
