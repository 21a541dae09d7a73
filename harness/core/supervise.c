/* Attached run of one container: signal forwarding, waiting, the exit status (supervise.h). */
#include "supervise.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

/* Signals passed on to the container's init. */
static const int forwarded[] = {SIGINT,	 SIGTERM, SIGHUP,   SIGQUIT,
				SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

/* Of those, the ones whose default action ends a process. */
static bool sig_terminates(int sig)
{
	return sig != SIGWINCH && sig != SIGCONT;
}

/* Does pid catch sig (SigCgt in /proc/PID/status)? Unknown counts as yes: the container is
 * then left to end on its own. */
static bool sig_caught(pid_t pid, int sig)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return true;
	const char *p = strstr(buf, "SigCgt:");
	if (!p)
		return true;
	uint64_t mask = strtoull(p + 7, NULL, 16);
	return mask & (1ULL << (sig - 1));
}

int crowd_supervise_open(struct crowd_supervise *s, struct crowd_error *err)
{
	sigset_t mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &mask, &s->old) < 0)
		return crowd_error_errno(err, errno, "blocking the forwarded signals");
	s->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sfd < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &s->old, NULL);
		return crowd_error_errno(err, e, "signalfd for the forwarded signals");
	}
	return 0;
}

void crowd_supervise_close(struct crowd_supervise *s)
{
	if (s->sfd < 0)
		return;
	close(s->sfd);
	s->sfd = -1;
	sigprocmask(SIG_SETMASK, &s->old, NULL);
}

/* Pass one signal on; a terminating one a pid-namespace init does not catch kills the
 * container. A container that just ended (ESRCH) is no failure. */
static void forward(struct crowd_ctr *ctr, int sig, bool pidns_init,
		    struct crowd_supervise_end *end)
{
	struct crowd_error e = {0};
	int r = crowd_ctr_signal(ctr, sig, &e);
	if (r == 0 && sig_terminates(sig) && pidns_init && !sig_caught(ctr->pid, sig)) {
		end->killed_by = sig;
		r = crowd_ctr_signal(ctr, SIGKILL, &e);
	}
	if (r < 0 && r != -ESRCH && !end->forward.code)
		end->forward = e;
}

/* Forward what the signalfd holds. */
static int drain_signals(struct crowd_supervise *s, struct crowd_ctr *ctr, bool pidns_init,
			 struct crowd_supervise_end *end, struct crowd_error *err)
{
	struct signalfd_siginfo si;
	ssize_t n;
	while ((n = read(s->sfd, &si, sizeof(si))) == (ssize_t)sizeof(si))
		forward(ctr, (int)si.ssi_signo, pidns_init, end);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return crowd_error_errno(err, errno, "reading the forwarded signals");
	return 0;
}

/* 1 once init ended (not reaped yet), 0 while it runs. Without a pidfd the poll wakes up
 * every 100 ms to look. */
static int wait_event(struct crowd_supervise *s, struct crowd_ctr *ctr, bool pidns_init,
		      struct crowd_supervise_end *end, struct crowd_error *err)
{
	struct pollfd pfd[2] = {{.fd = s->sfd, .events = POLLIN},
				{.fd = ctr->pidfd, .events = POLLIN}};
	bool pidfd = ctr->pidfd >= 0;
	if (poll(pfd, pidfd ? 2 : 1, pidfd ? -1 : 100) < 0 && errno != EINTR)
		return crowd_error_errno(err, errno, "waiting for container %s", ctr->id);
	if ((pfd[0].revents & POLLIN) && drain_signals(s, ctr, pidns_init, end, err) < 0)
		return -err->code;
	int st, r = crowd_ctr_peek_exit(ctr, 0, &st);
	if (r < 0)
		return crowd_error_errno(err, -r, "waiting for container %s", ctr->id);
	return r;
}

/* How the end reads as an exit code; the OOM kills of a SIGKILLed container. */
static void translate(const struct crowd_ctr *ctr, struct crowd_supervise_end *end)
{
	int st = end->status;
	if (end->killed_by)
		end->exit_code = 128 + end->killed_by;
	else if (WIFEXITED(st))
		end->exit_code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		end->exit_code = 128 + WTERMSIG(st);
	else
		end->exit_code = 1;
	struct crowd_cg_stats cs;
	if (!end->killed_by && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && ctr->cg &&
	    crowd_cg_stats(ctr->cg, &cs, NULL) == 0 && cs.oom_kills > 0)
		end->oom_kills = cs.oom_kills;
}

int crowd_supervise_wait(struct crowd_supervise *s, struct crowd_ctr *ctr, bool pidns_init,
			 struct crowd_supervise_end *ret, struct crowd_error *err)
{
	memset(ret, 0, sizeof(*ret));
	int r;
	while ((r = wait_event(s, ctr, pidns_init, ret, err)) == 0)
		;
	if (r < 0)
		return r;
	r = crowd_ctr_wait(ctr, &ret->status, err);
	if (r < 0)
		return r;
	translate(ctr, ret);
	return 0;
}
