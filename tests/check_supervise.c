/* The attached-run supervisor (core/supervise.h), as root with real containers: a signal sent
 * to the supervising process reaches the container's init, the end of a killed container
 * comes back as 128+N, and a wait that fails is an error, never a made-up exit status. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/container.h"
#include "core/registry.h"
#include "core/supervise.h"
#include "core/util.h"
#include "testutil_core.h"

static char rootfs[PATH_MAX];

/* Supervision opened, then a container of argv with its own pid namespace. */
static void start(struct crowd_supervise *s, struct crowd_cg_run **run, char **argv,
		  struct crowd_ctr *ctr)
{
	struct crowd_error err = {0};
	struct crowd_ctr_spec spec;
	ck_assert_int_eq(crowd_supervise_open(s, &err), 0);
	ck_assert_msg(crowd_cg_run_open(NULL, "sup", run, &err) == 0, "%s", err.msg);
	crowd_ctr_spec_init(&spec);
	spec.rootfs = rootfs;
	spec.argv = argv;
	ck_assert_msg(crowd_ctr_start(*run, &spec, ctr, &err) == 0, "%s", err.msg);
}

static void finish(struct crowd_supervise *s, struct crowd_cg_run *run, struct crowd_ctr *ctr)
{
	struct crowd_error err = {0};
	ck_assert_msg(crowd_ctr_destroy(ctr, &err) == 0, "%s", err.msg);
	ck_assert_msg(crowd_cg_run_close(run, &err) == 0, "%s", err.msg);
	crowd_supervise_close(s);
}

/* Until pid catches sig (its shell set the trap), at most 5 s. */
static void wait_caught(pid_t pid, int sig)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int i = 0; i < 500; i++) {
		const char *p;
		if (crowd_read_file(path, buf, sizeof(buf), NULL) > 0 &&
		    (p = strstr(buf, "SigCgt:")) && (strtoull(p + 7, NULL, 16) >> (sig - 1)) & 1)
			return;
		usleep(10000);
	}
	ck_abort_msg("pid %d never caught signal %d", (int)pid, sig);
}

/* A container of argv, what the test does to it, then supervised to its end. */
static void supervise(char **argv, void (*act)(struct crowd_ctr *), struct crowd_supervise_end *end)
{
	struct crowd_supervise s;
	struct crowd_cg_run *run;
	struct crowd_ctr ctr;
	struct crowd_error err = {0};
	start(&s, &run, argv, &ctr);
	act(&ctr);
	int64_t t0 = crowd_now_ns();
	ck_assert_msg(crowd_supervise_wait(&s, &ctr, true, end, &err) == 0, "%s", err.msg);
	ck_assert_int_lt(crowd_now_ns() - t0, 10000000000LL);
	finish(&s, run, &ctr);
}

/* SIGTERM to the supervising process (blocked: it waits in the signalfd). */
static void term_self(struct crowd_ctr *ctr)
{
	(void)ctr;
	ck_assert_int_eq(kill(getpid(), SIGTERM), 0);
}

static void term_self_once_caught(struct crowd_ctr *ctr)
{
	wait_caught(ctr->pid, SIGTERM);
	term_self(ctr);
}

static void kill_container(struct crowd_ctr *ctr)
{
	ck_assert_int_eq(crowd_ctr_signal(ctr, SIGKILL, NULL), 0);
}

/* SIGTERM to the supervisor: the container's trap runs and its exit status comes back. */
START_TEST(sigterm_reaches_init)
{
	if (!crowd_test_root_rootfs(rootfs, sizeof(rootfs)))
		return;
	struct crowd_supervise_end end;
	char *argv[] = {"/bin/sh", "-c", "trap 'exit 7' TERM; sleep 30 & wait", NULL};
	supervise(argv, term_self_once_caught, &end);
	ck_assert_int_eq(end.exit_code, 7);
	ck_assert_int_eq(end.killed_by, 0);
	ck_assert_int_eq(end.forward.code, 0);
}
END_TEST

/* An init with no handler in its own pid namespace would never see SIGTERM: the supervisor
 * kills the container for it, and the end reads 128+15. */
START_TEST(uncaught_signal_is_128_plus_n)
{
	if (!crowd_test_root_rootfs(rootfs, sizeof(rootfs)))
		return;
	struct crowd_supervise_end end;
	char *argv[] = {"/bin/sleep", "30", NULL};
	supervise(argv, term_self, &end);
	ck_assert_int_eq(end.killed_by, SIGTERM);
	ck_assert_int_eq(end.exit_code, 128 + SIGTERM);
}
END_TEST

/* A container killed from elsewhere: its signal is the exit code, 128+9. */
START_TEST(killed_container_is_128_plus_n)
{
	if (!crowd_test_root_rootfs(rootfs, sizeof(rootfs)))
		return;
	struct crowd_supervise_end end;
	char *argv[] = {"/bin/sleep", "30", NULL};
	supervise(argv, kill_container, &end);
	ck_assert_int_eq(end.killed_by, 0);
	ck_assert_int_eq(end.exit_code, 128 + SIGKILL);
	ck_assert(WIFSIGNALED(end.status) && WTERMSIG(end.status) == SIGKILL);
}
END_TEST

/* Without a pidfd (a kernel before 5.3), and init reaped behind the supervisor's back: the wait
 * fails with ECHILD instead of reading a status that was never there as "exited 0". */
START_TEST(lost_child_is_an_error)
{
	if (!crowd_test_root_rootfs(rootfs, sizeof(rootfs)))
		return;
	struct crowd_supervise s;
	struct crowd_cg_run *run;
	struct crowd_ctr ctr;
	struct crowd_supervise_end end;
	struct crowd_error err = {0};
	char *argv[] = {"/bin/true", NULL};
	start(&s, &run, argv, &ctr);
	if (ctr.pidfd >= 0)
		close(ctr.pidfd);
	ctr.pidfd = -1;
	int st;
	ck_assert_int_eq(waitpid(ctr.pid, &st, 0), ctr.pid);
	ck_assert_int_eq(crowd_supervise_wait(&s, &ctr, true, &end, &err), -ECHILD);
	ck_assert_msg(strstr(err.msg, ctr.id), "error does not name the container: %s", err.msg);
	ctr.reaped = true; /* the test reaped it */
	ctr.status = st;
	finish(&s, run, &ctr);
}
END_TEST

/* close restores the caller's mask: SIGTERM is no longer blocked. */
START_TEST(close_restores_mask)
{
	struct crowd_supervise s;
	struct crowd_error err = {0};
	sigset_t cur;
	ck_assert_int_eq(crowd_supervise_open(&s, &err), 0);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ck_assert(sigismember(&cur, SIGTERM) && sigismember(&cur, SIGWINCH));
	crowd_supervise_close(&s);
	crowd_supervise_close(&s);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	ck_assert(!sigismember(&cur, SIGTERM) && !sigismember(&cur, SIGWINCH));
	ck_assert_int_eq(s.sfd, -1);
}
END_TEST

static Suite *supervise_suite(void)
{
	Suite *s = suite_create("supervise");
	TCase *tc = tcase_create("supervise");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, close_restores_mask);
	tcase_add_test(tc, sigterm_reaches_init);
	tcase_add_test(tc, uncaught_signal_is_128_plus_n);
	tcase_add_test(tc, killed_container_is_128_plus_n);
	tcase_add_test(tc, lost_child_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run_swept(supervise_suite(), "supervise");
}
