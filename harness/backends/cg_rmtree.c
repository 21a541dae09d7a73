/* Remove engine-made cgroup trees (see cg_rmtree.h). */
#include "cg_rmtree.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned rm_dir(const char *dir, bool recurse)
{
	if (!recurse)
		return rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EBUSY;
	unsigned left = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0; /* not there: nothing left */
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char sub[PATH_MAX];
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int)sizeof(sub)) {
			left++;
			continue;
		}
		left += rm_dir(sub, true);
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		left++;
	return left;
}

static unsigned rm_rel(const char *rel, bool recurse)
{
	char path[PATH_MAX];
	struct stat st;
	/* cgroup2 mounted at /sys/fs/cgroup itself: one tree. */
	if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0)
		return snprintf(path, sizeof(path), "/sys/fs/cgroup%s", rel) < (int)sizeof(path)
			   ? rm_dir(path, recurse)
			   : 1;
	unsigned left = 0;
	DIR *d = opendir("/sys/fs/cgroup");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* Each hierarchy's mount point has cgroup.procs at its root. */
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/cgroup.procs", de->d_name) >=
			(int)sizeof(path) ||
		    stat(path, &st) < 0)
			continue;
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s", de->d_name, rel) >=
		    (int)sizeof(path)) {
			left++;
			continue;
		}
		left += rm_dir(path, recurse);
	}
	closedir(d);
	return left;
}

unsigned crowd_cg_rmtree_dir(const char *dir)
{
	return rm_dir(dir, true);
}

unsigned crowd_cg_rmtree(const char *rel)
{
	return rm_rel(rel, true);
}

void crowd_cg_rmdir_empty(const char *rel)
{
	(void)rm_rel(rel, false);
}

/* SIGKILL every process listed in dir/cgroup.procs and below. */
static void kill_dir(const char *dir)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return;
	FILE *f = fopen(path, "re");
	if (f) {
		long pid;
		while (fscanf(f, "%ld", &pid) == 1)
			if (pid > 1)
				kill((pid_t)pid, SIGKILL);
		fclose(f);
	}
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			kill_dir(path);
	closedir(d);
}

unsigned crowd_cg_rmtree_kill(const char *rel, int tries)
{
	unsigned left = crowd_cg_rmtree(rel);
	for (int i = 0; left && i < tries; i++) {
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup/pids%s", rel) < (int)sizeof(path))
			kill_dir(path);
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s", rel) <
		    (int)sizeof(path))
			kill_dir(path);
		if (snprintf(path, sizeof(path), "/sys/fs/cgroup%s", rel) < (int)sizeof(path))
			kill_dir(path);
		usleep(10000);
		left = crowd_cg_rmtree(rel);
	}
	return left;
}
