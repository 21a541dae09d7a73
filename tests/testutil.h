/* Helpers shared by the Check unit tests (header only). */
#ifndef CROWD_TESTUTIL_H
#define CROWD_TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/registry.h"

/* Run one suite (CK_FORK as the environment says, fork by default); the process exit code. */
static inline int crowd_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}

/* crowd_test_run with a cgroup top of its own, crowd-check-NAME-PID (CK_FORK children
 * inherit it), swept at the end so that a failed test leaves nothing behind. */
static inline int crowd_test_run_swept(Suite *s, const char *name)
{
	char top[64];
	snprintf(top, sizeof(top), "crowd-check-%s-%d", name, (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
	int failed = crowd_test_run(s);
	unsigned killed = 0, removed = 0, left = 0, cgs = 0, cg_left = 0;
	crowd_reg_sweep(&killed, &removed, &left, NULL);
	if (geteuid() == 0)
		crowd_cg_sweep(NULL, &cgs, &cg_left, NULL);
	if (killed || removed || cgs)
		printf("swept after the suite: %u processes, %u records, %u cgroups\n", killed,
		       removed, cgs);
	return failed;
}

/* For tests of real containers: true when running as root with the rootfs make builds
 * ($CROWD_TOP/build/rootfs, path in buf); else prints "skip WHAT: why" and returns false. */
static inline bool crowd_test_root_rootfs(const char *what, char *buf, size_t len)
{
	const char *t = getenv("CROWD_TOP");
	if (geteuid() != 0) {
		printf("skip %s: needs root\n", what);
		return false;
	}
	snprintf(buf, len, "%s/build/rootfs", t ? t : ".");
	if (access(buf, F_OK) != 0) {
		printf("skip %s: %s missing (make)\n", what, buf);
		return false;
	}
	return true;
}

/* A fresh directory /tmp/<name>.XXXXXX in buf; fails the test when it cannot be made. */
static inline void crowd_test_mkdtemp(char *buf, size_t len, const char *name)
{
	ck_assert_int_lt(snprintf(buf, len, "/tmp/%s.XXXXXX", name), (int)len);
	ck_assert_ptr_nonnull(mkdtemp(buf));
}

/* rm -rf of a directory crowd_test_mkdtemp made. */
static inline void crowd_test_rmtree(const char *dir)
{
	char cmd[4200];
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir), (int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
}

#endif
