/* libhwloc opened at run time (harness/hwloc_dl.c): it loads and answers like the linked
 * library did; a missing library or symbol is an error with dlerror()'s reason, after which
 * the forwarders fail cleanly and host facts and placement report the topology unavailable.
 * Each test forks (CK_FORK), so each starts with the library not yet loaded. */
#include <check.h>
#include <hwloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "host.h"
#include "hwloc_dl.h"
#include "placement.h"
#include "testutil.h"

START_TEST(test_loads_and_counts_pus)
{
	struct crowd_error err = {0};
	unsetenv("CROWD_HWLOC_LIB");
	ck_assert_int_eq(crowd_hwloc_load(&err), 0);
	ck_assert_int_eq(crowd_hwloc_load(NULL), 0); /* once, same answer */
	hwloc_topology_t t;
	ck_assert_int_eq(hwloc_topology_init(&t), 0);
	ck_assert_int_eq(hwloc_topology_load(t), 0);
	int pus = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU);
	ck_assert_int_eq(pus, (int)sysconf(_SC_NPROCESSORS_CONF));
	hwloc_obj_t pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, 0);
	ck_assert_ptr_nonnull(pu);
	ck_assert_int_eq(hwloc_bitmap_weight(pu->cpuset), 1);
	ck_assert_int_eq(hwloc_bitmap_first(pu->cpuset), (int)pu->os_index);
	hwloc_topology_destroy(t);
}
END_TEST

START_TEST(test_missing_library)
{
	struct crowd_error err = {0};
	setenv("CROWD_HWLOC_LIB", "/nonexistent/libhwloc.so.15", 1);
	ck_assert_int_eq(crowd_hwloc_load(&err), -ENOENT);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/libhwloc.so.15"));
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open shared object file"));
	/* Not retried, same reason. */
	struct crowd_error again = {0};
	ck_assert_int_eq(crowd_hwloc_load(&again), -ENOENT);
	ck_assert_str_eq(again.msg, err.msg);
	/* The forwarders fail like hwloc does instead of jumping through NULL. */
	hwloc_topology_t t = NULL;
	errno = 0;
	ck_assert_int_eq(hwloc_topology_init(&t), -1);
	ck_assert_int_eq(errno, ENOSYS);
	ck_assert_int_eq(hwloc_topology_load(t), -1);
	ck_assert_int_eq(hwloc_get_type_depth(t, HWLOC_OBJ_PU), HWLOC_TYPE_DEPTH_UNKNOWN);
	ck_assert_uint_eq(hwloc_get_nbobjs_by_depth(t, 0), 0);
	ck_assert_ptr_null(hwloc_get_obj_by_depth(t, 0, 0));
	hwloc_topology_destroy(t);
}
END_TEST

START_TEST(test_missing_symbol)
{
	struct crowd_error err = {0};
	/* A library that opens but is not hwloc. */
	setenv("CROWD_HWLOC_LIB", "libc.so.6", 1);
	ck_assert_int_eq(crowd_hwloc_load(&err), -ENOSYS);
	ck_assert_ptr_nonnull(strstr(err.msg, "undefined symbol: hwloc_"));
	errno = 0;
	hwloc_topology_t t = NULL;
	ck_assert_int_eq(hwloc_topology_init(&t), -1);
	ck_assert_int_eq(errno, ENOSYS);
}
END_TEST

START_TEST(test_host_without_library)
{
	static struct crowd_host h;
	setenv("CROWD_HWLOC_LIB", "/nonexistent/libhwloc.so.15", 1);
	ck_assert_int_eq(crowd_host_probe(&h, NULL), 0);
	ck_assert_int_eq(h.pus, -1);
	ck_assert_int_eq(h.cores, -1);
	ck_assert_uint_eq(h.n_caches, 0);
	ck_assert_ptr_nonnull(strstr(h.topology_error, "hwloc: /nonexistent/libhwloc.so.15"));
	ck_assert_str_ne(h.kernel, ""); /* the rest is still probed */
}
END_TEST

START_TEST(test_host_with_library)
{
	static struct crowd_host h;
	unsetenv("CROWD_HWLOC_LIB");
	ck_assert_int_eq(crowd_host_probe(&h, NULL), 0);
	ck_assert_str_eq(h.topology_error, "");
	ck_assert_int_eq(h.pus, (int)sysconf(_SC_NPROCESSORS_CONF));
	ck_assert_int_ge(h.cores, 1);
	ck_assert_int_ge(h.packages, 1);
}
END_TEST

START_TEST(test_placement_check)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	unsetenv("CROWD_HWLOC_LIB");
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_place_check(&cfg, &err), 0); /* none needs no topology */
	cfg.placement = CROWD_PLACE_SPREAD;
	cfg.count = 2;
	ck_assert_int_eq(crowd_place_check(&cfg, &err), 0);
	cpu_set_t set;
	ck_assert_int_ge(crowd_place_cpus(&cfg, 0, &set), 1);
}
END_TEST

START_TEST(test_placement_without_library)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	setenv("CROWD_HWLOC_LIB", "/nonexistent/libhwloc.so.15", 1);
	crowd_config_init(&cfg);
	ck_assert_int_eq(crowd_place_check(&cfg, &err), 0);
	cfg.placement = CROWD_PLACE_COMPACT;
	cfg.count = 2;
	ck_assert_int_eq(crowd_place_check(&cfg, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "hwloc: /nonexistent/libhwloc.so.15"));
	cpu_set_t set;
	ck_assert_int_eq(crowd_place_cpus(&cfg, 0, &set), 0);
	ck_assert_int_eq(CPU_COUNT(&set), 0);
}
END_TEST

static Suite *hwloc_dl_suite(void)
{
	Suite *s = suite_create("hwloc_dl");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_loads_and_counts_pus);
	tcase_add_test(tc, test_missing_library);
	tcase_add_test(tc, test_missing_symbol);
	tcase_add_test(tc, test_host_without_library);
	tcase_add_test(tc, test_host_with_library);
	tcase_add_test(tc, test_placement_check);
	tcase_add_test(tc, test_placement_without_library);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(hwloc_dl_suite());
}
