#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

int crowd_write_fileat(int dirfd, const char *name, const char *text, struct crowd_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_TRUNC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", name);
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	if (n < 0)
		return crowd_error_errno(err, errno, "write '%s' to %s", text, name);
	if ((size_t)n != len)
		return crowd_error_set(err, EIO, "short write to %s", name);
	return 0;
}

int crowd_write_file(const char *path, const char *text, struct crowd_error *err)
{
	return crowd_write_fileat(AT_FDCWD, path, text, err);
}

ssize_t crowd_read_fileat(int dirfd, const char *name, char *buf, size_t len,
			  struct crowd_error *err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", name);
	size_t off = 0;
	while (off + 1 < len) {
		ssize_t n = read(fd, buf + off, len - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return crowd_error_errno(err, errno, "read %s", name);
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf[off] = '\0';
	return (ssize_t)off;
}

ssize_t crowd_read_file(const char *path, char *buf, size_t len, struct crowd_error *err)
{
	return crowd_read_fileat(AT_FDCWD, path, buf, len, err);
}

int crowd_read_int64at(int dirfd, const char *name, int64_t *ret, struct crowd_error *err)
{
	char buf[64];
	ssize_t n = crowd_read_fileat(dirfd, name, buf, sizeof(buf), err);
	if (n < 0)
		return (int)n;
	if (strncmp(buf, "max", 3) == 0) {
		*ret = INT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return crowd_error_set(err, EINVAL, "%s: not a number: '%.20s'", name, buf);
	*ret = v;
	return 0;
}

int crowd_read_int64(const char *path, int64_t *ret, struct crowd_error *err)
{
	return crowd_read_int64at(AT_FDCWD, path, ret, err);
}

int crowd_mkdir_p(const char *path, mode_t mode, mode_t parent_mode, struct crowd_error *err)
{
	char buf[PATH_MAX];

	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return crowd_error_errno(err, errno, "mkdir %s", path);
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return crowd_error_set(err, ENAMETOOLONG, "mkdir %.64s...: name too long", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, parent_mode) < 0 && errno != EEXIST)
			return crowd_error_errno(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return crowd_error_errno(err, errno, "mkdir %s", buf);
	return 0;
}

int crowd_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t crowd_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

int crowd_thread_detached(void *(*fn)(void *), void *arg, size_t stack_size)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if ((r = pthread_attr_init(&attr)) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, stack_size);
		r = pthread_create(&t, &attr, fn, arg);
		pthread_attr_destroy(&attr);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int rmtree_depth(int dirfd, const char *name, dev_t dev, unsigned depth);

/* The directory fd's entries (on dev), then the fd closed. readdir's d_type spares a stat
 * per file: only directories are opened (and checked to be on dev: a mount point is never
 * descended). */
static int rmtree_fd(int fd, dev_t dev, unsigned depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		int q = 0;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
			if (unlinkat(fd, n, 0) < 0 && errno != ENOENT)
				q = -errno;
		} else if (de->d_type == DT_DIR && unlinkat(fd, n, AT_REMOVEDIR) == 0) {
			/* empty (most are): one call, not six */
		} else {
			q = rmtree_depth(fd, n, dev, depth);
		}
		if (q < 0 && r == 0)
			r = q;
	}
	closedir(d);
	return r;
}

/* A container may have made the tree: no symlink is followed, no other file system entered
 * (dev), and no deeper than 64 directories (-ELOOP; a thread's stack is small). */
static int rmtree_depth(int dirfd, const char *name, dev_t dev, unsigned depth)
{
	struct stat st;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		/* not a directory (ENOTDIR, or ELOOP for a symlink): a file */
		if (errno == ENOTDIR || errno == ELOOP)
			return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		return -errno;
	}
	int e = fstat(fd, &st) < 0 ? errno : st.st_dev != dev ? EBUSY : 0;
	if (e) {
		close(fd);
		return -e;
	}
	if (depth == 0) {
		close(fd);
		return -ELOOP;
	}
	int r = rmtree_fd(fd, dev, depth - 1);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

int crowd_rmtree_at(int dirfd, const char *name, dev_t dev)
{
	return rmtree_depth(dirfd, name, dev, 64);
}

ssize_t crowd_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (fd >= 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

ssize_t crowd_recv_fd(int sock, void *buf, size_t len, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;

	*ret_fd = -1;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
	/* the fd was sent but the receiver had no descriptor free for it */
	if (*ret_fd < 0 && (mh.msg_flags & MSG_CTRUNC)) {
		errno = EMFILE;
		return -1;
	}
	return n;
}
