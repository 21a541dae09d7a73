/* Shared pieces of the engine backends (see engine_img.h). */
#include "engine_img.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "core/util.h"

int crowd_engine_rootfs_tar(const char *rootfs, const char *tar_path, char *tag,
			    struct crowd_error *err)
{
	char tar[256], out[512];
	if (crowd_peer_which("tar", tar, sizeof(tar)) < 0)
		return crowd_error_set(err, ENOENT, "tar not found in PATH");
	char *argv[] = {tar,	     "--sort=name",	"--mtime=@0", "--owner=0",
			"--group=0", "--numeric-owner", "-C",	      (char *)rootfs,
			"-cf",	     (char *)tar_path,	".",	      NULL};
	int r = crowd_peer_run(argv, 0, 120000, out, sizeof(out), err);
	if (r < 0)
		return crowd_error_prefix(err, "tar of %s", rootfs);
	if (r > 0)
		return crowd_error_set(err, EIO, "tar of %s: %s", rootfs, out);
	_cleanup_close_ int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crowd_error_errno(err, errno, "open %s", tar_path);
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ULL;
		}
	if (n < 0)
		return crowd_error_errno(err, errno, "read %s", tar_path);
	snprintf(tag, 17, "%016llx", (unsigned long long)h);
	return 0;
}

pid_t crowd_engine_parent(pid_t pid, char *comm, size_t len)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return 0;
	char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
	if (!open_p || !close_p || close_p[1] != ' ')
		return 0;
	if (comm && len) {
		size_t l = (size_t)(close_p - open_p - 1);
		if (l >= len)
			l = len - 1;
		memcpy(comm, open_p + 1, l);
		comm[l] = '\0';
	}
	/* ") S PPID ..." */
	long ppid = strtol(close_p + 4, NULL, 10);
	return ppid > 0 ? (pid_t)ppid : 0;
}

int64_t crowd_engine_cg_memory(pid_t pid)
{
	char path[64], buf[4096], file[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return -1;
	const char *v1 = NULL, *v2 = NULL;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctl = c1 + 1, *rel = c2 + 1;
		if (!strcmp(ctl, "memory") || (strstr(ctl, "memory") && strchr(ctl, ',')))
			v1 = rel;
		else if (!ctl[0] && !strcmp(line, "0:"))
			v2 = rel;
		*c2 = ':';
	}
	int64_t v;
	if (v1 &&
	    crowd_peer_fmt(file, sizeof(file), "/sys/fs/cgroup/memory%s/memory.usage_in_bytes",
			   v1) == 0 &&
	    crowd_read_int64(file, &v, NULL) == 0)
		return v;
	/* The unified hierarchy: beside v1 on a hybrid host, at the top on a pure v2 one. */
	static const char *const roots[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	for (size_t i = 0; v2 && i < CROWD_ARRAY_SIZE(roots); i++)
		if (crowd_peer_fmt(file, sizeof(file), "%s%s/memory.current", roots[i], v2) == 0 &&
		    crowd_read_int64(file, &v, NULL) == 0)
			return v;
	return -1;
}

void crowd_engine_safe_name(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			*s = '-';
}

/* Every directory where a cgroup tree is rooted: /sys/fs/cgroup/<h> and /sys/fs/cgroup. */
static size_t cg_roots(char roots[][64], size_t max)
{
	size_t n = 0;
	DIR *d = opendir("/sys/fs/cgroup");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) && n + 1 < max)
			if (de->d_name[0] != '.' && de->d_type == DT_DIR)
				snprintf(roots[n++], 64, "/sys/fs/cgroup/%.40s", de->d_name);
		closedir(d);
	}
	snprintf(roots[n++], 64, "/sys/fs/cgroup");
	return n;
}

/* rmdir path's empty subdirectories (one level down), then path; -errno of path's rmdir. */
static int rmdir_shallow(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_name[0] != '.' && de->d_type == DT_DIR &&
		    crowd_peer_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name) == 0)
			rmdir(sub);
	}
	closedir(d);
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

void crowd_engine_cg_rmdir(const char *rel)
{
	char roots[32][64], path[PATH_MAX];
	size_t n = cg_roots(roots, 32);
	for (size_t i = 0; i < n; i++)
		if (crowd_peer_fmt(path, sizeof(path), "%s%s", roots[i], rel) == 0)
			rmdir_shallow(path);
}

unsigned crowd_engine_cg_sweep(const char *top, const char *backend)
{
	char roots[32][64], path[PATH_MAX];
	size_t n = cg_roots(roots, 32), bl = strlen(backend);
	unsigned left = 0;
	for (size_t i = 0; i < n; i++) {
		if (crowd_peer_fmt(path, sizeof(path), "%s/%s", roots[i], top) < 0)
			continue;
		DIR *d = opendir(path);
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			char run[PATH_MAX];
			if (de->d_type != DT_DIR || l <= bl + 1 || de->d_name[l - bl - 1] != '-' ||
			    strcmp(de->d_name + l - bl, backend) ||
			    crowd_peer_fmt(run, sizeof(run), "%s/%s", path, de->d_name) < 0)
				continue;
			if (rmdir_shallow(run) < 0)
				left++;
		}
		closedir(d);
		rmdir(path); /* <top> itself once empty; crowd clean's sweep does the rest */
	}
	return left;
}
