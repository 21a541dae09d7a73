/* Kernel memory by object: /proc/slabinfo (root only) and PageTables/KernelStack/Slab from
 * /proc/meminfo, read as snapshots; the growth between two snapshots attributed per added
 * instance to slab caches, each with the kind of kernel object it holds (net namespace,
 * mounts, dentries, inodes, cgroup, pid, sockets, tasks, ...). SLUB merges caches of the same
 * size and flags: a merged cache shows under one name (slab_nomerge on the kernel command line
 * separates them). */
#ifndef CROWD_SLAB_H
#define CROWD_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crowd_slab_cache {
	char name[32];
	int64_t bytes; /* num_slabs * pagesperslab * page size: what meminfo's Slab counts */
	int64_t objs;  /* active objects */
};

struct crowd_slab_snap {
	bool readable; /* /proc/slabinfo read; false: why says why (meminfo figures may be there) */
	char why[128];
	struct crowd_slab_cache *c;
	size_t n;
	int64_t slab_bytes, page_tables_bytes, kernel_stack_bytes; /* /proc/meminfo, -1 absent */
};

/* Read both files. Returns 0 with ret->readable false (and why) when slabinfo cannot be read
 * (not root, no SLUB debug interface); -ENOMEM only when out of memory. */
int crowd_slab_read(struct crowd_slab_snap *ret);
void crowd_slab_snap_free(struct crowd_slab_snap *s);

/* One cache's growth per added instance. */
struct crowd_slab_item {
	char name[32];
	const char *kind;   /* "dentry", "inode", "mount", "net namespace", ... "other" */
	double bytes, objs; /* per added instance; may be negative (a cache shrank) */
};

/* The growth from a to b over `added` instances. items: every cache that changed, largest
 * growth first. Sums are per instance. */
struct crowd_slab_attr {
	bool readable;
	char why[128];
	double added;
	double slab_delta;		  /* meminfo Slab, per instance */
	double attributed;		  /* sum of items[].bytes: should be close to slab_delta */
	double page_tables, kernel_stack; /* meminfo, per instance */
	struct crowd_slab_item *items;
	size_t n;
};
int crowd_slab_attribute(const struct crowd_slab_snap *a, const struct crowd_slab_snap *b,
			 double added, struct crowd_slab_attr *ret);
void crowd_slab_attr_free(struct crowd_slab_attr *a);

/* The kind of object a cache named name holds ("other" when unknown). */
const char *crowd_slab_kind(const char *name);

#endif
