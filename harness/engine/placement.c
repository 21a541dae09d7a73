/* Placement from the CPU topology: see placement.h. The topology comes from the crowd-topo
 * helper, run once per process (topology.h). */
#include "placement.h"

#include <stdio.h>
#include <string.h>

#include "topology.h"
#include "core/util.h"

int crowd_place_check(const struct crowd_config *cfg, struct crowd_error *err)
{
	struct crowd_error why = {0};
	const struct crowd_topo *t;

	if (cfg->placement == CROWD_PLACE_NONE)
		return 0;
	t = crowd_topo_get(&why);
	if (!t)
		return crowd_error_set(err, why.code ? why.code : ENODEV, "%s", why.msg);
	if (cfg->placement == CROWD_PLACE_SPREAD && t->cores < 1)
		return crowd_error_set(err, ENODEV, "the topology has no cores");
	return 0;
}

static const struct crowd_topo_unit *choose(const struct crowd_config *cfg, int index)
{
	const struct crowd_topo *t;

	if (index < 0 || cfg->placement == CROWD_PLACE_NONE || !(t = crowd_topo_get(NULL)))
		return NULL;
	switch (cfg->placement) {
	case CROWD_PLACE_SPREAD:
		return t->cores > 0 ? &t->core[index % t->cores] : NULL;
	case CROWD_PLACE_COMPACT: {
		if (t->pus < 1)
			return NULL;
		unsigned n = cfg->count ? cfg->count : 1;
		unsigned per = (n + (unsigned)t->pus - 1) / (unsigned)t->pus;
		return &t->pu[((unsigned)index / per) % (unsigned)t->pus];
	}
	case CROWD_PLACE_NONE:
		return NULL;
	}
	return NULL;
}

int crowd_place_cpus(const struct crowd_config *cfg, int index, cpu_set_t *ret)
{
	const struct crowd_topo_unit *u = choose(cfg, index);
	CPU_ZERO(ret);
	if (!u)
		return 0;
	*ret = u->cpus;
	return CPU_COUNT(ret);
}

int crowd_place_limits(const struct crowd_config *cfg, int index, struct crowd_cg_limits *lim)
{
	const struct crowd_topo_unit *u = choose(cfg, index);
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
