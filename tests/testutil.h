/* Helpers shared by the Check unit tests (header only). */
#ifndef CROWD_TESTUTIL_H
#define CROWD_TESTUTIL_H

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* dir/name holding text, with mode; its path in a static buffer, valid until the next call. */
static inline const char *crowd_test_write(const char *dir, const char *name, const char *text,
					   mode_t mode)
{
	static char path[4096];
	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, name), (int)sizeof(path));
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

/* rm -rf of a directory crowd_test_mkdtemp made. */
static inline void crowd_test_rmtree(const char *dir)
{
	char cmd[4200];
	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir), (int)sizeof(cmd));
	ck_assert_int_eq(system(cmd), 0);
}

/* Record that the running test cannot run on this host, and why; the caller returns right
 * after (CROWD_SKIP does both). Check 0.15 has no skip result, so Check itself still counts
 * the case as passed: the skip goes to stdout as "SKIP <test>: <reason>" for a person, and,
 * when the environment names a file in CROWD_SKIP_LOG, as the line "<test>\t<reason>" appended
 * to it, where scripts/run-tests.sh reads it and counts the case as skipped (docs/testing.md).
 * <test> is the name given to START_TEST, so the runner matches it with Check's TAP log. */
__attribute__((format(printf, 1, 2))) static inline void crowd_test_skip(const char *fmt, ...)
{
	char reason[512], line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (char *c = reason; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	printf("SKIP %s: %s\n", tcase_name(), reason);
	fflush(stdout);
	const char *log = getenv("CROWD_SKIP_LOG");
	if (!log || !*log)
		return;
	int n = snprintf(line, sizeof(line), "%s\t%s\n", tcase_name(), reason);
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	/* One write with O_APPEND: a whole line even when forked tests run side by side. */
	ck_assert_msg(fd >= 0 && write(fd, line, (size_t)n) == n, "CROWD_SKIP_LOG %s unwritable",
		      log);
	close(fd);
}

/* In a test body: record the skip with its reason (printf-style) and end the test. */
#define CROWD_SKIP(...)                                                                            \
	do {                                                                                       \
		crowd_test_skip(__VA_ARGS__);                                                      \
		return;                                                                            \
	} while (0)

#endif
