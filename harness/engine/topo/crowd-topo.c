/* crowd-topo: the CPU topology of this host, read with libhwloc and printed as lines for
 * build/crowd, which is linked statically and so cannot load libhwloc itself. crowd runs
 * this program only when it needs a topology (crowd info, host.json, --placement) and parses
 * its output with crowd_topo_parse() (harness/topology.c).
 *
 * Output format, version 1: one record per line, words separated by one space, integers in
 * decimal, nothing else on stdout.
 *
 *   crowd-topo 1                     first line: the format version
 *   packages N                       counts of hwloc objects (N >= 0; pus >= 1)
 *   numa_nodes N
 *   cores N
 *   pus N
 *   cache LEVEL KIND SIZE COUNT      one per cache type present: level 1..5, KIND data,
 *                                    instruction or unified, SIZE bytes of one cache (-1
 *                                    unknown), COUNT caches of that type
 *   core NODE OS[,OS...]             one per core in topology order: its NUMA node's OS index
 *                                    (-1 unknown) and the OS indexes of its PUs
 *   pu OS NODE                       one per PU in topology order: its OS index and NUMA node
 *   end                              last line: the output is complete
 *
 * The core and pu lines come in the numbers the counts announce. On failure nothing
 * is promised on stdout: a one-line reason goes to stderr and the exit status is 1.
 * Usage: crowd-topo (no arguments). */
#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

static const struct {
	hwloc_obj_type_t type;
	unsigned level;
	const char *kind;
} cache_types[] = {
    {HWLOC_OBJ_L1CACHE, 1, "data"},    {HWLOC_OBJ_L1ICACHE, 1, "instruction"},
    {HWLOC_OBJ_L2CACHE, 2, "unified"}, {HWLOC_OBJ_L3CACHE, 3, "unified"},
    {HWLOC_OBJ_L4CACHE, 4, "unified"}, {HWLOC_OBJ_L5CACHE, 5, "unified"},
};

/* The NUMA node of o: in hwloc 2 nodes are memory children, so the first node whose cpuset
 * covers o's; -1 when there is none. */
static int node_of(hwloc_topology_t t, hwloc_obj_t o)
{
	hwloc_obj_t n = hwloc_get_ancestor_obj_by_type(t, HWLOC_OBJ_NUMANODE, o);
	if (!n)
		n = hwloc_get_next_obj_covering_cpuset_by_type(t, o->cpuset, HWLOC_OBJ_NUMANODE,
							       NULL);
	return n ? (int)n->os_index : -1;
}

static void print_topology(hwloc_topology_t t)
{
	printf("crowd-topo 1\n");
	printf("packages %d\n", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE));
	printf("numa_nodes %d\n", hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE));
	int cores = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE);
	int pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
	printf("cores %d\npus %d\n", cores, pus);
	for (size_t i = 0; i < sizeof(cache_types) / sizeof(cache_types[0]); i++) {
		int n = hwloc_get_nbobjs_by_type(t, cache_types[i].type);
		if (n <= 0)
			continue;
		hwloc_obj_t o = hwloc_get_obj_by_type(t, cache_types[i].type, 0);
		const char *kind = o && o->attr && o->attr->cache.type == HWLOC_OBJ_CACHE_UNIFIED
				       ? "unified"
				       : cache_types[i].kind;
		long long size = o && o->attr ? (long long)o->attr->cache.size : -1;
		printf("cache %u %s %lld %d\n", cache_types[i].level, kind, size, n);
	}
	for (int i = 0; i < cores; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t, HWLOC_OBJ_CORE, (unsigned)i);
		unsigned id;
		const char *sep = " ";
		printf("core %d", node_of(t, o));
		hwloc_bitmap_foreach_begin(id, o->cpuset)
		{
			printf("%s%u", sep, id);
			sep = ",";
		}
		hwloc_bitmap_foreach_end();
		/* A core without PUs (not seen in practice) still gets its line. */
		printf("%s\n", *sep == ' ' ? " -" : "");
	}
	for (int i = 0; i < pus; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)i);
		printf("pu %u %d\n", o->os_index, node_of(t, o));
	}
	printf("end\n");
}

int main(int argc, char **argv)
{
	hwloc_topology_t t;

	if (argc > 1) {
		fprintf(stderr, "crowd-topo: '%s': no arguments allowed\n", argv[1]);
		return 2;
	}
	if (hwloc_get_api_version() >> 16 != HWLOC_API_VERSION >> 16) {
		fprintf(stderr, "crowd-topo: libhwloc API %#x, built for %#x\n",
			hwloc_get_api_version(), (unsigned)HWLOC_API_VERSION);
		return 1;
	}
	if (hwloc_topology_init(&t) < 0) {
		fprintf(stderr, "crowd-topo: hwloc_topology_init: %s\n", strerror(errno));
		return 1;
	}
	hwloc_topology_set_type_filter(t, HWLOC_OBJ_L1ICACHE, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(t) < 0) {
		fprintf(stderr, "crowd-topo: hwloc_topology_load: %s\n", strerror(errno));
		hwloc_topology_destroy(t);
		return 1;
	}
	print_topology(t);
	hwloc_topology_destroy(t);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "crowd-topo: writing stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
