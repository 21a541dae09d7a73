/* harness/engine/slab.c: the growth between two slabinfo snapshots attributed per instance,
 * largest first, summing to what the caches grew; an unreadable snapshot says why; a cache's
 * kind from its name. Synthetic snapshots: no /proc needed. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "engine/slab.h"
#include "testutil.h"

static struct crowd_slab_snap snap(struct crowd_slab_cache *c, size_t n, int64_t slab)
{
	return (struct crowd_slab_snap){.readable = true,
					.c = c,
					.n = n,
					.slab_bytes = slab,
					.page_tables_bytes = 1000,
					.kernel_stack_bytes = 2000};
}

START_TEST(test_attribute)
{
	struct crowd_slab_cache a[] = {
	    {"dentry", 4096 * 10, 100}, {"kmalloc-1k", 4096 * 8, 32}, {"gone", 4096, 4}};
	struct crowd_slab_cache b[] = {{"kmalloc-1k", 4096 * 28, 112},
				       {"dentry", 4096 * 12, 140},
				       {"net_namespace", 4096 * 4, 2}};
	struct crowd_slab_snap sa = snap(a, 3, 4096 * 19), sb = snap(b, 3, 4096 * 44);
	sb.page_tables_bytes = 1000 + 4 * 300;
	struct crowd_slab_attr at;
	ck_assert_int_eq(crowd_slab_attribute(&sa, &sb, 4, &at), 0);
	ck_assert(at.readable);
	ck_assert_uint_eq(at.n, 4);
	/* largest growth first: kmalloc-1k +20 pages, net_namespace +4, dentry +2, gone -1 */
	ck_assert_str_eq(at.items[0].name, "kmalloc-1k");
	ck_assert_double_eq(at.items[0].bytes, 4096.0 * 20 / 4);
	ck_assert_double_eq(at.items[0].objs, 20);
	ck_assert_str_eq(at.items[1].name, "net_namespace");
	ck_assert_str_eq(at.items[1].kind, "net namespace");
	ck_assert_str_eq(at.items[2].name, "dentry");
	ck_assert_str_eq(at.items[3].name, "gone");
	ck_assert_double_eq(at.items[3].bytes, -4096.0 / 4);
	ck_assert_double_eq(at.attributed, 4096.0 * 25 / 4);
	ck_assert_double_eq(at.slab_delta, 4096.0 * 25 / 4);
	ck_assert_double_eq(at.page_tables, 300);
	ck_assert_double_eq(at.kernel_stack, 0);
	crowd_slab_attr_free(&at);
}
END_TEST

START_TEST(test_unreadable)
{
	struct crowd_slab_snap sa = {.readable = false, .slab_bytes = 100},
			       sb = {.readable = false, .slab_bytes = 300};
	snprintf(sa.why, sizeof(sa.why), "/proc/slabinfo: Permission denied (root only)");
	struct crowd_slab_attr at;
	ck_assert_int_eq(crowd_slab_attribute(&sa, &sb, 2, &at), 0);
	ck_assert(!at.readable);
	ck_assert_str_eq(at.why, "/proc/slabinfo: Permission denied (root only)");
	ck_assert_double_eq(at.slab_delta, 100); /* meminfo still counts */
	ck_assert(isnan(at.attributed));
	ck_assert_uint_eq(at.n, 0);
	crowd_slab_attr_free(&at);
}
END_TEST

START_TEST(test_kinds)
{
	ck_assert_str_eq(crowd_slab_kind("mnt_cache"), "mount");
	ck_assert_str_eq(crowd_slab_kind("proc_inode_cache"), "inode (/proc)");
	ck_assert_str_eq(crowd_slab_kind("kmalloc-cg-1k"), "kmalloc (accounted)");
	ck_assert_str_eq(crowd_slab_kind("kmalloc-1k"), "kmalloc");
	ck_assert_str_eq(crowd_slab_kind("pid_namespace"), "pid namespace");
	ck_assert_str_eq(crowd_slab_kind("pid"), "pid");
	ck_assert_str_eq(crowd_slab_kind("zzz"), "other");
}
END_TEST

static Suite *slab_suite(void)
{
	Suite *s = suite_create("slab");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_attribute);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_kinds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(slab_suite());
}
