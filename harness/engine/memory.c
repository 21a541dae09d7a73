#include "memory.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

/* Value in kB of "Key:" in a /proc key-value file body, in bytes; -1 when absent. */
static int64_t kv_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10) * 1024;
	}
	return -1;
}

static int mem_one(pid_t pid, int64_t *pss, int64_t *rss)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) < 0)
		return -ESRCH;
	int64_t p = kv_kb(buf, "Pss"), r = kv_kb(buf, "Rss");
	if (p < 0 || r < 0)
		return -ESRCH; /* a zombie or kernel thread has no mappings */
	*pss += p;
	*rss += r;
	return 0;
}

int crowd_mem_pids(const pid_t *pids, size_t n, int64_t *ret_pss_bytes, int64_t *ret_rss_bytes,
		   struct crowd_error *err)
{
	int64_t pss = 0, rss = 0;
	size_t seen = 0;
	for (size_t i = 0; i < n; i++)
		if (mem_one(pids[i], &pss, &rss) == 0)
			seen++;
	if (n && !seen)
		return crowd_error_set(err, ESRCH, "smaps_rollup: none of %zu processes readable", n);
	*ret_pss_bytes = pss;
	*ret_rss_bytes = rss;
	return 0;
}

static void tree_walk(pid_t pid, int depth, int64_t *pss, int64_t *rss, size_t *seen)
{
	char path[96], buf[4096];
	if (mem_one(pid, pss, rss) == 0)
		(*seen)++;
	if (depth > 16)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) < 0)
		return;
	for (char *p = buf, *end; *p; p = end) {
		long child = strtol(p, &end, 10);
		if (end == p)
			break;
		tree_walk((pid_t)child, depth + 1, pss, rss, seen);
	}
}

int crowd_mem_tree(pid_t pid, int64_t *ret_pss_bytes, int64_t *ret_rss_bytes,
		   struct crowd_error *err)
{
	int64_t pss = 0, rss = 0;
	size_t seen = 0;
	tree_walk(pid, 0, &pss, &rss, &seen);
	if (!seen)
		return crowd_error_set(err, ESRCH, "smaps_rollup of pid %d not readable", (int)pid);
	*ret_pss_bytes = pss;
	*ret_rss_bytes = rss;
	return 0;
}

int crowd_mem_host(struct crowd_meminfo *ret, struct crowd_error *err)
{
	char buf[8192];
	ssize_t n = crowd_read_file("/proc/meminfo", buf, sizeof(buf), err);
	if (n < 0)
		return (int)n;
	ret->total_bytes = kv_kb(buf, "MemTotal");
	ret->available_bytes = kv_kb(buf, "MemAvailable");
	ret->slab_bytes = kv_kb(buf, "Slab");
	ret->page_tables_bytes = kv_kb(buf, "PageTables");
	ret->kernel_stack_bytes = kv_kb(buf, "KernelStack");
	return 0;
}
