/* uid/gid maps for a child in a new user namespace, written by the parent. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userns.h"
#include "util.h"

static int write_proc(pid_t pid, const char *file, const char *text, struct crowd_error *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "user namespace: opening %s", path);
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int e = errno;
	close(fd);
	if (n != (ssize_t)len)
		return crowd_error_errno(err, n < 0 ? e : EIO,
					 "user namespace: writing '%.*s' to %s",
					 (int)strcspn(text, "\n"), text, path);
	return 0;
}

int crowd_userns_map(pid_t pid, uid_t uid, gid_t gid, struct crowd_error *err)
{
	char map[48];
	int r = write_proc(pid, "setgroups", "deny", err);
	/* ENOENT: a kernel without the setgroups file (< 3.19) needs no deny. */
	if (r < 0 && r != -ENOENT)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if ((r = write_proc(pid, "uid_map", map, err)) < 0)
		return r;
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	return write_proc(pid, "gid_map", map, err);
}
