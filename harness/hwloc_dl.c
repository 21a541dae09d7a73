/* libhwloc opened at run time (see hwloc_dl.h). */
#include "hwloc_dl.h"

#include <dlfcn.h>
#include <hwloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Every hwloc function crowd's objects reference (`nm -u` of host.o and placement.o, the
 * inline helpers of hwloc.h included), plus the version check. */
static struct {
	__typeof__(hwloc_get_api_version) *get_api_version;
	__typeof__(hwloc_topology_init) *topology_init;
	__typeof__(hwloc_topology_load) *topology_load;
	__typeof__(hwloc_topology_destroy) *topology_destroy;
	__typeof__(hwloc_topology_set_type_filter) *topology_set_type_filter;
	__typeof__(hwloc_get_type_depth) *get_type_depth;
	__typeof__(hwloc_get_nbobjs_by_depth) *get_nbobjs_by_depth;
	__typeof__(hwloc_get_obj_by_depth) *get_obj_by_depth;
	__typeof__(hwloc_bitmap_first) *bitmap_first;
	__typeof__(hwloc_bitmap_next) *bitmap_next;
	__typeof__(hwloc_bitmap_weight) *bitmap_weight;
	__typeof__(hwloc_bitmap_intersects) *bitmap_intersects;
} fn;

#define SYM(f)                                                                                     \
	{                                                                                          \
		"hwloc_" #f, (void **)&fn.f                                                        \
	}
static const struct {
	const char *name;
	void **slot;
} syms[] = {
	SYM(get_api_version),	  SYM(topology_init),	    SYM(topology_load),
	SYM(topology_destroy),	  SYM(topology_set_type_filter), SYM(get_type_depth),
	SYM(get_nbobjs_by_depth), SYM(get_obj_by_depth),    SYM(bitmap_first),
	SYM(bitmap_next),	  SYM(bitmap_weight),	    SYM(bitmap_intersects),
};

static struct {
	pthread_once_t once;
	void *handle;
	struct crowd_error err;
} dl = {.once = PTHREAD_ONCE_INIT};

static void hwloc_dl_unload(void)
{
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(syms); i++)
		*syms[i].slot = NULL;
	dlclose(dl.handle);
	dl.handle = NULL;
}

/* RTLD_GLOBAL as if linked: hwloc's plugins (hwloc_pci.so, ...) find the core symbols only
 * in the global scope. The library stays loaded for the life of the process. */
static void hwloc_dl_open(void)
{
	const char *lib = secure_getenv("CROWD_HWLOC_LIB");
	if (!lib || !*lib)
		lib = CROWD_HWLOC_SONAME;
	dl.handle = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	if (!dl.handle) {
		const char *why = dlerror();
		crowd_error_set(&dl.err, ENOENT, "%s", why ? why : lib);
		return;
	}
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(syms); i++) {
		dlerror();
		*syms[i].slot = dlsym(dl.handle, syms[i].name);
		if (!*syms[i].slot) {
			const char *why = dlerror();
			crowd_error_set(&dl.err, ENOSYS, "%s: %s", lib, why ? why : syms[i].name);
			hwloc_dl_unload();
			return;
		}
	}
	unsigned v = fn.get_api_version();
	if (v >> 16 != HWLOC_API_VERSION >> 16) {
		crowd_error_set(&dl.err, ENOTSUP, "%s: hwloc API %u.%u, crowd was built for %u.x",
				lib, v >> 16, (v >> 8) & 0xff, HWLOC_API_VERSION >> 16);
		hwloc_dl_unload();
	}
}

int crowd_hwloc_load(struct crowd_error *err)
{
	pthread_once(&dl.once, hwloc_dl_open);
	if (dl.handle)
		return 0;
	if (err)
		*err = dl.err;
	return -dl.err.code;
}

/* The forwarders, named and typed as in hwloc.h so its inline helpers call them too. */

int hwloc_topology_init(hwloc_topology_t *topologyp)
{
	if (!fn.topology_init) {
		errno = ENOSYS;
		return -1;
	}
	return fn.topology_init(topologyp);
}

int hwloc_topology_load(hwloc_topology_t topology)
{
	if (!fn.topology_load) {
		errno = ENOSYS;
		return -1;
	}
	return fn.topology_load(topology);
}

void hwloc_topology_destroy(hwloc_topology_t topology)
{
	if (fn.topology_destroy)
		fn.topology_destroy(topology);
}

int hwloc_topology_set_type_filter(hwloc_topology_t topology, hwloc_obj_type_t type,
				   enum hwloc_type_filter_e filter)
{
	if (!fn.topology_set_type_filter) {
		errno = ENOSYS;
		return -1;
	}
	return fn.topology_set_type_filter(topology, type, filter);
}

int hwloc_get_type_depth(hwloc_topology_t topology, hwloc_obj_type_t type)
{
	return fn.get_type_depth ? fn.get_type_depth(topology, type) : HWLOC_TYPE_DEPTH_UNKNOWN;
}

unsigned hwloc_get_nbobjs_by_depth(hwloc_topology_t topology, int depth)
{
	return fn.get_nbobjs_by_depth ? fn.get_nbobjs_by_depth(topology, depth) : 0;
}

hwloc_obj_t hwloc_get_obj_by_depth(hwloc_topology_t topology, int depth, unsigned idx)
{
	return fn.get_obj_by_depth ? fn.get_obj_by_depth(topology, depth, idx) : NULL;
}

int hwloc_bitmap_first(hwloc_const_bitmap_t bitmap)
{
	return fn.bitmap_first ? fn.bitmap_first(bitmap) : -1;
}

int hwloc_bitmap_next(hwloc_const_bitmap_t bitmap, int prev)
{
	return fn.bitmap_next ? fn.bitmap_next(bitmap, prev) : -1;
}

int hwloc_bitmap_weight(hwloc_const_bitmap_t bitmap)
{
	return fn.bitmap_weight ? fn.bitmap_weight(bitmap) : 0;
}

int hwloc_bitmap_intersects(hwloc_const_bitmap_t bitmap1, hwloc_const_bitmap_t bitmap2)
{
	return fn.bitmap_intersects ? fn.bitmap_intersects(bitmap1, bitmap2) : 0;
}
