/* Kernel memory by object: see slab.h. */
#include "slab.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

/* Cache name prefixes and the object kind they hold; first match wins. */
static const struct {
	const char *prefix, *kind;
} kinds[] = {
    {"net_namespace", "net namespace"},
    {"netns", "net namespace"},
    {"nsproxy", "namespaces"},
    {"uts_namespace", "uts namespace"},
    {"ipc_namespace", "ipc namespace"},
    {"pid_namespace", "pid namespace"},
    {"user_namespace", "user namespace"},
    {"pid", "pid"},
    {"mnt_cache", "mount"},
    {"mount", "mount"},
    {"dentry", "dentry"},
    {"proc_inode_cache", "inode (/proc)"},
    {"shmem_inode_cache", "inode (tmpfs)"},
    {"sock_inode_cache", "inode (socket)"},
    {"inode_cache", "inode"},
    {"kernfs", "kernfs (cgroup/sysfs)"},
    {"cgroup", "cgroup"},
    {"css", "cgroup"},
    {"mem_cgroup", "memcg"},
    {"memcg", "memcg"},
    {"TCP", "socket"},
    {"UDP", "socket"},
    {"RAW", "socket"},
    {"PING", "socket"},
    {"UNIX", "socket"},
    {"sock", "socket"},
    {"request_sock", "socket"},
    {"tw_sock", "socket"},
    {"skbuff", "socket buffer"},
    {"ip_fib", "net routes"},
    {"ip6", "net routes"},
    {"fib6", "net routes"},
    {"ip_dst", "net routes"},
    {"inet_peer", "net routes"},
    {"nf_", "netfilter"},
    {"task_struct", "task"},
    {"signal_cache", "task"},
    {"sighand_cache", "task"},
    {"files_cache", "task"},
    {"fs_cache", "task"},
    {"task_delay", "task"},
    {"cred", "task"},
    {"mm_struct", "mm"},
    {"vm_area_struct", "mm"},
    {"anon_vma", "mm"},
    {"maple_node", "mm"},
    {"filp", "file"},
    {"eventpoll", "file"},
    {"seccomp", "seccomp"},
    {"proc_dir_entry", "/proc entry"},
    {"lsm_", "lsm blob"},
    {"pool_workqueue", "workqueue"},
    {"kmalloc-cg", "kmalloc (accounted)"},
    {"kmalloc", "kmalloc"},
    {"radix_tree", "radix tree"},
    {"xfs", "filesystem"},
    {"ext4", "filesystem"},
    {"btrfs", "filesystem"},
    {"overlay", "filesystem"},
    {"buffer_head", "filesystem"},
};

const char *crowd_slab_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(name, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].kind;
	return "other";
}

static int64_t meminfo_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return strtoll(p + klen + 1, NULL, 10) * 1024;
	return -1;
}

/* /proc/meminfo's Slab, PageTables and KernelStack are vmstat counters that each CPU batches
 * (up to its stat threshold, ~100 pages per counter and CPU) before folding them in: a delta
 * of 40 containers is off by as much as the batches. Writing vm/stat_refresh (root) folds every
 * CPU's batch now; without it (not root) the reads keep that error. */
static void read_meminfo(struct crowd_slab_snap *s)
{
	char buf[8192];
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		/* an error (EINVAL: some counter was negative) still folded the batches */
		ssize_t w = write(fd, "1", 1);
		(void)w;
		close(fd);
	}
	s->slab_bytes = s->page_tables_bytes = s->kernel_stack_bytes = -1;
	if (crowd_read_file("/proc/meminfo", buf, sizeof(buf), NULL) < 0)
		return;
	s->slab_bytes = meminfo_kb(buf, "Slab");
	s->page_tables_bytes = meminfo_kb(buf, "PageTables");
	s->kernel_stack_bytes = meminfo_kb(buf, "KernelStack");
}

/* One line "name active num objsize objperslab pagesperslab : tunables ... : slabdata
 * active_slabs num_slabs shared". 0 and ret filled, -1 on a line that is not one. */
static int parse_line(const char *line, long page, struct crowd_slab_cache *ret)
{
	char name[64];
	long long active, num, objsize, perslab, pages, aslabs, nslabs;
	if (sscanf(line, "%63s %lld %lld %lld %lld %lld", name, &active, &num, &objsize, &perslab,
		   &pages) != 6)
		return -1;
	const char *sd = strstr(line, "slabdata");
	if (!sd || sscanf(sd, "slabdata %lld %lld", &aslabs, &nslabs) != 2)
		return -1;
	snprintf(ret->name, sizeof(ret->name), "%.31s", name);
	ret->bytes = nslabs * pages * page;
	ret->objs = active;
	return 0;
}

/* One read of slabinfo between two of meminfo; *ret_drift: how far Slab moved meanwhile. */
static int read_once(struct crowd_slab_snap *ret, int64_t *ret_drift)
{
	memset(ret, 0, sizeof(*ret));
	read_meminfo(ret);
	*ret_drift = 0;
	FILE *f = fopen("/proc/slabinfo", "re");
	if (!f) {
		snprintf(ret->why, sizeof(ret->why), "/proc/slabinfo: %s%s", strerror(errno),
			 errno == EACCES ? " (root only)" : "");
		return 0;
	}
	long page = sysconf(_SC_PAGESIZE);
	char line[512];
	size_t cap = 0;
	while (fgets(line, sizeof(line), f)) {
		struct crowd_slab_cache c;
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8) ||
		    parse_line(line, page, &c) < 0)
			continue;
		if (ret->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct crowd_slab_cache *nc = realloc(ret->c, ncap * sizeof(*nc));
			if (!nc) {
				fclose(f);
				crowd_slab_snap_free(ret);
				return -ENOMEM;
			}
			ret->c = nc;
			cap = ncap;
		}
		ret->c[ret->n++] = c;
	}
	fclose(f);
	ret->readable = ret->n > 0;
	if (!ret->readable)
		snprintf(ret->why, sizeof(ret->why), "/proc/slabinfo: no caches in it");
	/* meminfo again: Slab as the mean of both, and how much it moved while slabinfo was
	 * read (other processes allocate meanwhile) */
	struct crowd_slab_snap m2;
	read_meminfo(&m2);
	if (ret->slab_bytes >= 0 && m2.slab_bytes >= 0) {
		*ret_drift = llabs(m2.slab_bytes - ret->slab_bytes);
		ret->slab_bytes = (ret->slab_bytes + m2.slab_bytes) / 2;
	}
	return 0;
}

/* On a busy host Slab moves while slabinfo is read: up to 4 reads, the steadiest kept (one
 * with no more than 64 pages of drift ends the search). */
int crowd_slab_read(struct crowd_slab_snap *ret)
{
	int64_t best_drift = -1, limit = 64 * (int64_t)sysconf(_SC_PAGESIZE);
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < 4; i++) {
		struct crowd_slab_snap s;
		int64_t drift;
		int r = read_once(&s, &drift);
		if (r < 0) {
			crowd_slab_snap_free(ret);
			return r;
		}
		if (best_drift < 0 || drift < best_drift) {
			crowd_slab_snap_free(ret);
			*ret = s;
			best_drift = drift;
		} else {
			crowd_slab_snap_free(&s);
		}
		if (!ret->readable || best_drift <= limit)
			break;
	}
	return 0;
}

void crowd_slab_snap_free(struct crowd_slab_snap *s)
{
	free(s->c);
	s->c = NULL;
	s->n = 0;
}

static const struct crowd_slab_cache *find(const struct crowd_slab_snap *s, const char *name,
					   size_t hint)
{
	if (hint < s->n && !strcmp(s->c[hint].name, name))
		return &s->c[hint];
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->c[i].name, name))
			return &s->c[i];
	return NULL;
}

static int by_bytes_desc(const void *x, const void *y)
{
	const struct crowd_slab_item *a = x, *b = y;
	return a->bytes < b->bytes ? 1 : a->bytes > b->bytes ? -1 : strcmp(a->name, b->name);
}

static double per(int64_t a, int64_t b, double added)
{
	return a >= 0 && b >= 0 && added > 0 ? (double)(b - a) / added : NAN;
}

int crowd_slab_attribute(const struct crowd_slab_snap *a, const struct crowd_slab_snap *b,
			 double added, struct crowd_slab_attr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->added = added;
	ret->slab_delta = per(a->slab_bytes, b->slab_bytes, added);
	ret->page_tables = per(a->page_tables_bytes, b->page_tables_bytes, added);
	ret->kernel_stack = per(a->kernel_stack_bytes, b->kernel_stack_bytes, added);
	ret->attributed = NAN;
	if (!a->readable || !b->readable) {
		snprintf(ret->why, sizeof(ret->why), "%s", !a->readable ? a->why : b->why);
		return 0;
	}
	if (!(added > 0)) {
		snprintf(ret->why, sizeof(ret->why), "no instance added");
		return 0;
	}
	ret->readable = true;
	ret->items = calloc(b->n + a->n + 1, sizeof(*ret->items));
	if (!ret->items)
		return -ENOMEM;
	ret->attributed = 0;
	/* caches of b (new ones count from 0), then caches that vanished from a */
	for (size_t i = 0; i < b->n + a->n; i++) {
		bool in_b = i < b->n;
		const struct crowd_slab_cache *c = in_b ? &b->c[i] : &a->c[i - b->n];
		const struct crowd_slab_cache *o = in_b ? find(a, c->name, i) : find(b, c->name, 0);
		if (!in_b && o)
			continue; /* seen from b */
		int64_t db = in_b ? c->bytes - (o ? o->bytes : 0) : -c->bytes;
		int64_t dobj = in_b ? c->objs - (o ? o->objs : 0) : -c->objs;
		if (!db && !dobj)
			continue;
		struct crowd_slab_item *it = &ret->items[ret->n++];
		snprintf(it->name, sizeof(it->name), "%s", c->name);
		it->kind = crowd_slab_kind(c->name);
		it->bytes = (double)db / added;
		it->objs = (double)dobj / added;
		ret->attributed += it->bytes;
	}
	qsort(ret->items, ret->n, sizeof(*ret->items), by_bytes_desc);
	return 0;
}

void crowd_slab_attr_free(struct crowd_slab_attr *a)
{
	free(a->items);
	a->items = NULL;
	a->n = 0;
}
