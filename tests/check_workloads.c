/* Unit tests for workloads/common: size/duration/integer parsing and readiness. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wl.h"
#include "testutil.h"

START_TEST(test_parse_size)
{
	uint64_t v = 7;

	ck_assert_int_eq(wl_parse_size("64M", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 64ULL << 20);
	ck_assert_int_eq(wl_parse_size("16k", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 16384);
	ck_assert_int_eq(wl_parse_size("2GiB", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 2ULL << 30);
	ck_assert_int_eq(wl_parse_size("4096", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(wl_parse_size("0", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 0);
	v = 7;
	ck_assert_int_eq(wl_parse_size("", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size("M", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size("-1M", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size("12X", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size(" 1M", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size("1.5M", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_size("2T", 1ULL << 40, &v), -ERANGE);
	ck_assert_int_eq(wl_parse_size("99999999999999999999", UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(wl_parse_size("17179869184G", UINT64_MAX, &v), -ERANGE);
	ck_assert_uint_eq(v, 7); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_duration_uint)
{
	uint64_t v;

	ck_assert_int_eq(wl_parse_duration_ms("5", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 5000);
	ck_assert_int_eq(wl_parse_duration_ms("250ms", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 250);
	ck_assert_int_eq(wl_parse_duration_ms("2m", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, 120000);
	ck_assert_int_eq(wl_parse_duration_ms("1d", UINT64_MAX, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_duration_ms("25h", 86400000, &v), -ERANGE);
	ck_assert_int_eq(wl_parse_uint("65535", 65535, &v), 0);
	ck_assert_uint_eq(v, 65535);
	ck_assert_int_eq(wl_parse_uint("65536", 65535, &v), -ERANGE);
	ck_assert_int_eq(wl_parse_uint("80k", 65535, &v), -EINVAL);
	ck_assert_int_eq(wl_parse_uint("+1", 65535, &v), -EINVAL);
}
END_TEST

START_TEST(test_ready_notify)
{
	int p[2];
	char c = 0, buf[8];

	unsetenv("CROWD_READY_FD");
	ck_assert_int_eq(wl_ready_notify(), 0); /* absent: nothing to do */
	ck_assert_int_eq(pipe(p), 0);
	snprintf(buf, sizeof(buf), "%d", p[1]);
	setenv("CROWD_READY_FD", buf, 1);
	ck_assert_int_eq(wl_ready_notify(), 0);
	ck_assert_ptr_null(getenv("CROWD_READY_FD")); /* children will not signal again */
	ck_assert_int_eq(fcntl(p[1], F_GETFD), -1);   /* and it was closed */
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 0); /* exactly one byte, then EOF */
	close(p[0]);
	/* A reader that is gone: no SIGPIPE death, no error. */
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	snprintf(buf, sizeof(buf), "%d", p[1]);
	setenv("CROWD_READY_FD", buf, 1);
	ck_assert_int_eq(wl_ready_notify(), 0);
	ck_assert_int_eq(fcntl(p[1], F_GETFD), -1);
	setenv("CROWD_READY_FD", "x", 1);
	ck_assert_int_eq(wl_ready_notify(), -EINVAL);
	setenv("CROWD_READY_FD", "1000", 1);
	ck_assert_int_eq(wl_ready_notify(), -EBADF);
}
END_TEST

/* The FIFO path engines bind-mount in: one byte through it, the variable gone after; no
 * reader (ENXIO) is quiet; a path that does not exist is an error; the fd wins over it. */
START_TEST(test_ready_path)
{
	char dir[] = "/tmp/crowd-wl-XXXXXX", fifo[64], c = 0, buf[8];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/ready", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	unsetenv("CROWD_READY_FD");

	setenv("CROWD_READY_PATH", fifo, 1);
	ck_assert_int_eq(wl_ready_notify(), 0); /* no reader: ENXIO, quiet */
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	setenv("CROWD_READY_PATH", fifo, 1);
	ck_assert_int_eq(wl_ready_notify(), 0);
	ck_assert_ptr_null(getenv("CROWD_READY_PATH"));
	ck_assert_int_eq(read(rd, &c, 1), 1);
	ck_assert_int_eq(c, 'R');
	ck_assert_int_eq(read(rd, &c, 1), 0); /* writer closed: exactly one byte */

	int p[2];
	ck_assert_int_eq(pipe(p), 0); /* both set: the fd is used, the path untouched */
	snprintf(buf, sizeof(buf), "%d", p[1]);
	setenv("CROWD_READY_FD", buf, 1);
	setenv("CROWD_READY_PATH", fifo, 1);
	ck_assert_int_eq(wl_ready_notify(), 0);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(read(rd, &c, 1), 0);
	close(p[0]);
	close(rd);

	setenv("CROWD_READY_PATH", "/nonexistent/crowd-ready", 1);
	ck_assert_int_eq(wl_ready_notify(), -ENOENT);
	unsetenv("CROWD_READY_PATH");
	unlink(fifo);
	rmdir(dir);
}
END_TEST

static Suite *workloads_suite(void)
{
	Suite *s = suite_create("workloads");
	TCase *tc = tcase_create("common");

	tcase_add_test(tc, test_parse_size);
	tcase_add_test(tc, test_parse_duration_uint);
	tcase_add_test(tc, test_ready_notify);
	tcase_add_test(tc, test_ready_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(workloads_suite());
}
