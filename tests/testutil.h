/* Helpers shared by the Check unit tests (header only). */
#ifndef CROWD_TESTUTIL_H
#define CROWD_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* Run one suite (CK_FORK as the environment says, fork by default); the process exit code. */
static inline int crowd_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
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
