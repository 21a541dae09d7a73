/* Placement from the hwloc topology: see placement.h. The topology is loaded once, libhwloc
 * with it (hwloc_dl.h). */
#include "placement.h"

#include <hwloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "hwloc_dl.h"
#include "util.h"

#define MAX_UNITS 1024

struct unit {
	cpu_set_t cpus;
	int node; /* NUMA node, -1 unknown */
};

static struct {
	pthread_once_t once;
	struct unit cores[MAX_UNITS], pus[MAX_UNITS];
	int n_cores, n_pus;
	struct crowd_error err; /* why there are no units */
} topo = {.once = PTHREAD_ONCE_INIT};

static int node_of(hwloc_topology_t t, hwloc_obj_t o)
{
	hwloc_obj_t n = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_NUMANODE, o);
	if (n)
		return (int)n->os_index;
	/* NUMA nodes hang off as memory children; the first node sharing the cpuset. */
	hwloc_obj_t m = hwloc_get_next_obj_covering_cpuset_by_type(t, o->cpuset, HWLOC_OBJ_NUMANODE, NULL);
	return m ? (int)m->os_index : 0;
}

static void fill(hwloc_topology_t t, hwloc_obj_type_t type, struct unit *u, int *n)
{
	int count = hwloc_get_nbobjs_by_type(t, type);
	for (int i = 0; i < count && *n < MAX_UNITS; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t, type, (unsigned)i);
		struct unit *x = &u[*n];
		CPU_ZERO(&x->cpus);
		unsigned id;
		hwloc_bitmap_foreach_begin(id, o->cpuset)
		{
			if (id < CPU_SETSIZE)
				CPU_SET(id, &x->cpus);
		}
		hwloc_bitmap_foreach_end();
		x->node = node_of(t, o);
		if (CPU_COUNT(&x->cpus))
			(*n)++;
	}
}

static void load(void)
{
	hwloc_topology_t t;
	if (crowd_hwloc_load(&topo.err) < 0) {
		crowd_error_prefix(&topo.err, "hwloc");
		return;
	}
	if (hwloc_topology_init(&t) < 0) {
		crowd_error_errno(&topo.err, errno, "hwloc_topology_init");
		return;
	}
	if (hwloc_topology_load(t) == 0) {
		fill(t, HWLOC_OBJ_CORE, topo.cores, &topo.n_cores);
		fill(t, HWLOC_OBJ_PU, topo.pus, &topo.n_pus);
		if (!topo.n_cores || !topo.n_pus)
			crowd_error_set(&topo.err, ENODEV, "hwloc: no cores or PUs in the topology");
	} else {
		crowd_error_errno(&topo.err, errno, "hwloc_topology_load");
	}
	hwloc_topology_destroy(t);
}

int crowd_place_check(const struct crowd_config *cfg, struct crowd_error *err)
{
	if (cfg->placement == CROWD_PLACE_NONE)
		return 0;
	pthread_once(&topo.once, load);
	if (topo.n_cores && topo.n_pus)
		return 0;
	if (err)
		*err = topo.err;
	return -(topo.err.code ? topo.err.code : ENODEV);
}

static const struct unit *choose(const struct crowd_config *cfg, int index)
{
	pthread_once(&topo.once, load);
	if (index < 0)
		return NULL;
	switch (cfg->placement) {
	case CROWD_PLACE_SPREAD:
		return topo.n_cores ? &topo.cores[index % topo.n_cores] : NULL;
	case CROWD_PLACE_COMPACT: {
		if (!topo.n_pus)
			return NULL;
		unsigned n = cfg->count ? cfg->count : 1;
		unsigned per = (n + (unsigned)topo.n_pus - 1) / (unsigned)topo.n_pus;
		return &topo.pus[((unsigned)index / per) % (unsigned)topo.n_pus];
	}
	case CROWD_PLACE_NONE:
		return NULL;
	}
	return NULL;
}

int crowd_place_cpus(const struct crowd_config *cfg, int index, cpu_set_t *ret)
{
	const struct unit *u = choose(cfg, index);
	CPU_ZERO(ret);
	if (!u)
		return 0;
	*ret = u->cpus;
	return CPU_COUNT(ret);
}

int crowd_place_limits(const struct crowd_config *cfg, int index, struct crowd_cg_limits *lim)
{
	const struct unit *u = choose(cfg, index);
	if (!u)
		return 0;
	size_t off = 0;
	lim->cpuset_cpus[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &u->cpus))
			continue;
		int e = c;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, &u->cpus))
			e++;
		int w = e > c ? snprintf(lim->cpuset_cpus + off, sizeof(lim->cpuset_cpus) - off,
					 "%s%d-%d", off ? "," : "", c, e)
			      : snprintf(lim->cpuset_cpus + off, sizeof(lim->cpuset_cpus) - off,
					 "%s%d", off ? "," : "", c);
		if (w < 0 || (size_t)w >= sizeof(lim->cpuset_cpus) - off)
			break;
		off += (size_t)w;
		c = e;
	}
	snprintf(lim->cpuset_mems, sizeof(lim->cpuset_mems), "%d", u->node < 0 ? 0 : u->node);
	return CPU_COUNT(&u->cpus);
}

const char *crowd_place_name(enum crowd_placement p)
{
	static const char *const names[] = {
		[CROWD_PLACE_NONE] = "none",
		[CROWD_PLACE_SPREAD] = "spread",
		[CROWD_PLACE_COMPACT] = "compact",
	};
	return (unsigned)p < CROWD_ARRAY_SIZE(names) ? names[p] : "none";
}
