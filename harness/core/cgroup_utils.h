/* Internal to the cgroup layer: the hierarchy table, the run and leaf objects, the manager
 * interface (one const instance per layout: cgroup_v2.c, cgroup_v1.c, cgroup_hybrid.c) and
 * the small file helpers the managers share (cgroup_utils.c). The dispatcher (cgroup.c)
 * detects the layout and calls the managers only through struct cg_ops; nothing here calls
 * the dispatcher. Tests include this header for the seams at the bottom. */
#ifndef CROWD_CGROUP_UTILS_H
#define CROWD_CGROUP_UTILS_H

#include <stdbool.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/vfs.h>

#include "cgroup_types.h"
#include "error.h"

/* Controllers crowd uses, as bits. */
enum {
	CG_MEMORY = 1u << 0,
	CG_PIDS = 1u << 1,
	CG_CPU = 1u << 2,
	CG_CPUACCT = 1u << 3,
	CG_CPUSET = 1u << 4,
	CG_FREEZER = 1u << 5,
	CG_DEVICES = 1u << 6,
};
#define CG_NCTRL 7

struct cg_ctrl_desc {
	unsigned bit;
	const char *name; /* v1 mount name under the root and v2 controller name */
	bool v2;	  /* also a cgroup2 controller crowd enables */
};
extern const struct cg_ctrl_desc cg_ctrl_table[CG_NCTRL];

/* One mounted hierarchy: the cgroup2 one, or a v1 one holding one or more controllers. */
#define CG_MAX_HIER (CG_NCTRL + 1)
struct cg_hier {
	char name[16];	/* "unified" or the first v1 controller name */
	unsigned ctrls; /* v1 controllers mounted there; 0 for cgroup2 */
	bool v2;
	char *mnt;  /* <root>/<name>, or <root> for a unified layout */
	int top_fd; /* <mnt>/<top>, O_PATH|O_DIRECTORY, or -1 */
	int run_fd; /* <mnt>/<top>/<run>, O_PATH|O_DIRECTORY, or -1 */
};

struct cg_ops;

struct crowd_cg_run {
	const struct cg_ops *ops;
	enum crowd_cg_layout layout;
	char *top;
	char *name;
	unsigned nh;
	struct cg_hier h[CG_MAX_HIER];
	int v2;		     /* index of the cgroup2 hierarchy in h, or -1 */
	unsigned v2_avail;   /* controllers the cgroup2 root offers */
	unsigned v2_enabled; /* enabled down to the run (atomic: leaves may be made in threads) */
	/* The device policy the run's own directory carries (v1 devices hierarchy, or the
	 * cgroup2 one), applied once by the first leaf that asks (cg_run_devices); atomic. */
	const struct crowd_dev_policy *dev_policy;
	pthread_mutex_t dev_lock;
};

struct crowd_cg {
	struct crowd_cg_run *run;
	char *leaf;
	unsigned present;	  /* bit i: the leaf exists in run->h[i] */
	unsigned at_run;	  /* bit i: no leaf in run->h[i]; joins the run's own directory */
	int v2_fd;		  /* O_PATH|O_DIRECTORY of the cgroup2 leaf, or -1 */
	char *paths[CG_MAX_HIER]; /* made on demand by crowd_cg_path */
};

/* What differs between layouts: one instance per manager. Every leaf op gets a leaf whose
 * run is set; the dispatcher checks arguments and adds context to errors. */
struct cg_ops {
	const char *name;
	/* Make <top>/<run> in each hierarchy; run->h[i].run_fd set on success. */
	int (*run_open)(struct crowd_cg_run *run, struct crowd_error *err);
	/* Make the leaf and write its limits; on failure remove what it made. */
	int (*create)(struct crowd_cg *cg, const struct crowd_cg_limits *lim,
		      struct crowd_error *err);
	int (*attach)(struct crowd_cg *cg, pid_t pid, struct crowd_error *err);
	/* Open the cgroup.procs files attach writes to, in its order, into ret (zeroed, fds
	 * -1); on failure the caller closes what was opened. */
	int (*attach_open)(struct crowd_cg *cg, struct crowd_cg_attach *ret,
			   struct crowd_error *err);
	int (*pids)(struct crowd_cg *cg, pid_t **ret, size_t *ret_n, struct crowd_error *err);
	int (*stats)(struct crowd_cg *cg, struct crowd_cg_stats *ret, struct crowd_error *err);
	int (*kill)(struct crowd_cg *cg, struct crowd_error *err);
	/* Kill, wait until empty, remove the leaf in every hierarchy. */
	int (*remove)(struct crowd_cg *cg, struct crowd_error *err);
	/* Kill what runs in one cgroup directory of hierarchy h (any depth under <top>) and
	 * wait until it is empty: the sweep and the removal of busy trees. */
	int (*kill_dir)(int dirfd, const struct cg_hier *h, struct crowd_error *err);
};

/* ---- small file helpers (cgroup_utils.c) ---- */

int cg_mkdirat(int dirfd, const char *name, bool exist_ok, struct crowd_error *err);
/* rmdir with bounded retries while the kernel still says EBUSY. 0 when gone (or absent). */
int cg_rmdirat(int dirfd, const char *name, struct crowd_error *err);
/* Depth first under parent_fd/name: each cgroup's children, then kill (what runs there),
 * then rmdir; counts removed and left, keeps the first error. */
typedef int cg_kill_dir_fn(int dirfd, const struct cg_hier *h, struct crowd_error *err);
struct cg_tree_count {
	unsigned removed, left;
	struct crowd_error first;
};
void cg_tree_remove(int parent_fd, const char *name, cg_kill_dir_fn *kill, const struct cg_hier *h,
		    struct cg_tree_count *c);
/* rmdir; when the kernel says EBUSY (cgroups made inside the leaf, or processes), kill and
 * remove what is below depth first (cg_tree_remove). */
int cg_rmdir_tree(int parent_fd, const char *name, cg_kill_dir_fn *kill, const struct cg_hier *h,
		  struct crowd_error *err);
/* Value of "key N" in a flat keyed file ("usage_usec 12\n..."); -ENOENT if absent. */
int cg_parse_keyed(const char *text, const char *key, int64_t *ret);
/* Parse a cgroup.procs text into a malloc'd array. */
int cg_parse_pids(const char *text, pid_t **ret, size_t *ret_n);
/* Read a whole (possibly long) file into a malloc'd NUL-terminated buffer. */
int cg_read_allat(int dirfd, const char *name, char **ret, struct crowd_error *err);
/* Read a cgroup.procs file (name relative to dirfd) into a malloc'd array. */
int cg_read_pidsat(int dirfd, const char *name, pid_t **ret, size_t *ret_n,
		   struct crowd_error *err);
/* A new v1 cpuset has empty cpus/mems and refuses tasks: copy the parent's into the child
 * where the child's are empty. */
int cg_cpuset_inherit(int parent_fd, int child_fd, struct crowd_error *err);
/* Open <mnt>/<top>/<run> of hierarchy i, making what is missing; v1 cpuset levels get
 * cpus/mems from their parent so tasks may join below. */
int cg_hier_open_run(struct crowd_cg_run *run, unsigned i, struct crowd_error *err);
/* Index in run->h of the v1 hierarchy holding ctrl, or -1. */
int cg_hier_index(const struct crowd_cg_run *run, unsigned ctrl);
/* Index of the v1 hierarchy holding ctrl when the leaf is there, else -1. */
int cg_leaf_hier(const struct crowd_cg *cg, unsigned ctrl);
/* "<leaf>/<file>" into buf, for openat relative to a run dirfd. */
const char *cg_leaf_file(const struct crowd_cg *cg, const char *file, char *buf, size_t len);
/* Apply a device policy to the run's own directory once per run: the first caller runs apply
 * (under a lock, leaves are made in threads), later ones return at once. A second, different
 * policy is refused (EINVAL): the directory carries one. */
typedef int cg_dev_apply_fn(struct crowd_cg_run *run, const struct crowd_dev_policy *p,
			    struct crowd_error *err);
int cg_run_devices(struct crowd_cg_run *run, const struct crowd_dev_policy *p,
		   cg_dev_apply_fn *apply, struct crowd_error *err);
/* The controllers a set of limits needs (CG_* bits). */
unsigned cg_limits_ctrls(const struct crowd_cg_limits *l);
/* Stats from a table of files; v1 looks each controller's hierarchy up, v2 uses the leaf fd.
 * Missing files leave -1. */
struct cg_stat_desc {
	unsigned ctrl; /* v1 controller holding the file */
	const char *file;
	const char *key; /* NULL: the file is one number; else "key N" line */
	int64_t scale;
	size_t off; /* offsetof(struct crowd_cg_stats, field) */
};
int cg_stats_read(struct crowd_cg *cg, const struct cg_stat_desc *t, size_t n, bool v1,
		  struct crowd_cg_stats *ret, struct crowd_error *err);

/* Seams for tests: how directories are made and removed and file systems told apart (the
 * default is mkdirat, unlinkat and statfs), so a plain temporary directory can stand in for
 * a cgroup file system of any layout. */
struct cg_fs_ops {
	int (*mkdirat)(int dirfd, const char *name, mode_t mode);
	int (*rmdirat)(int dirfd, const char *name);
	int (*statfs)(const char *path, struct statfs *ret);
};
extern const struct cg_fs_ops *cg_fs;

#define CG_WAIT_EMPTY_NS (10LL * 1000000000LL)
#define CG_RMDIR_TRIES	 200

#endif
