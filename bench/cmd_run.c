/* crowd run [OPTS] -- CMD [ARG...]: one container through the core, attached. stdio is
 * passed through, signals are forwarded, and crowd exits with CMD's status (128+N when a
 * signal ended it). Everything is torn down before exit. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "engine/config.h"
#include "core/container.h"
#include "core/netns.h"
#include "opts.h"
#include "core/registry.h"
#include "results/units.h"
#include "core/util.h"

/* Signals crowd passes on to the container's init. */
static const int forwarded[] = {SIGINT,	 SIGTERM, SIGHUP,   SIGQUIT,
				SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
/* Of those, the ones whose default action ends a process. */
static bool sig_terminates(int sig)
{
	return sig != SIGWINCH && sig != SIGCONT;
}

/* Does pid catch sig (SigCgt in /proc/PID/status)? An init of a pid namespace drops every
 * signal it has no handler for, so crowd must end the container itself then. */
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

/* Where the run's cgroups go. On a hybrid host a container without limits needs nothing
 * from the v1 controllers: it stays in its cgroup2 leaf, where clone3 put it (tracked and
 * killed through cgroup.procs and cgroup.kill). Moving a task into a v1 hierarchy takes the
 * cgroup threadgroup lock for writing, whose first use waits an RCU grace period (about
 * 6 ms here), more than all the rest of a start. With any limit, every hierarchy is used. */
static const char *run_cgroup_root(bool limits)
{
	enum crowd_cg_layout layout;
	if (limits || crowd_cg_detect("/sys/fs/cgroup", &layout, NULL) < 0 ||
	    layout != CROWD_CG_HYBRID)
		return NULL;
	return "/sys/fs/cgroup/unified";
}

static const struct crowd_opts_cmd run_cmd = {
    .name = "run",
    .synopsis = "crowd run [OPTIONS] -- CMD [ARG...]",
    .description =
	"Run CMD in one container through crowd's runtime core, attached: stdin, stdout and\n"
	"stderr are passed through, signals (INT TERM HUP QUIT USR1 USR2 WINCH CONT) are\n"
	"forwarded, and crowd exits with CMD's status, or 128+N when signal N ended it.\n"
	"Exit codes: CMD's status; 1 when the container could not start; 2 bad input;\n"
	"3 when teardown left something behind.",
    .groups = CROWD_OPTS_CONTAINER,
};

int crowd_cmd_run(int argc, char **argv)
{
	struct crowd_config cfg;
	struct crowd_ctr_spec spec;
	struct crowd_ctr ctr;
	struct crowd_cg_run *run = NULL;
	struct crowd_pod *pod = NULL;
	struct crowd_error err = {0};
	sigset_t mask, old;
	int rc = CROWD_EXIT_FAIL, status = 0, killed_by = 0, r;
	char run_name[64];

	crowd_config_init(&cfg);
	int first = crowd_opts_parse(&run_cmd, argc, argv, &cfg);
	if (first >= argc)
		crowd_usage_error("run",
				  "missing command (usage: crowd run [OPTIONS] -- CMD [ARG...])");
	if (cfg.pod_size > 1)
		crowd_usage_error("run",
				  "--pod-size %u: crowd run starts one container (allowed: 1)",
				  cfg.pod_size);
	bool rootless = cfg.rootless || (cfg.ns & CLONE_NEWUSER);
	bool limits = cfg.limits.memory_max_bytes >= 0 || cfg.limits.pids_max >= 0 ||
		      cfg.limits.cpu_quota_us >= 0 || cfg.limits.cpuset_cpus[0];
	if (geteuid() != 0) {
		if (!rootless)
			crowd_usage_error("run", "needs root, or --rootless for a user namespace");
		if (limits)
			crowd_usage_error(
			    "run", "--memory-max/--pids-max/--cpu-max/--cpuset: cgroup limits "
				   "need root (an unprivileged --rootless run has no delegated "
				   "cgroup here)");
	}

	/* The container's network namespace is made by a helper thread from now on, while the
	 * cgroups, the registry and the clone are made (harness/core/netns.h). */
	if (geteuid() == 0 && !rootless && (cfg.ns & CLONE_NEWNET) && cfg.pod_size != 1)
		crowd_netns_prefetch();

	crowd_ctr_spec_init(&spec);
	spec.ns = cfg.ns;
	spec.rootfs = cfg.rootfs;
	spec.limits = cfg.limits;
	spec.caps = cfg.caps;
	spec.security = cfg.security;
	spec.seccomp = cfg.seccomp;
	spec.rootless = cfg.rootless;
	spec.single = true;
	spec.argv = argv + first;
	spec.stdio[0] = STDIN_FILENO;
	spec.stdio[1] = STDOUT_FILENO;
	spec.stdio[2] = STDERR_FILENO;

	/* Block the forwarded signals before the start, so none is lost; the child unblocks. */
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0) {
		crowd_warn("run", "signalfd: %s", strerror(errno));
		return CROWD_EXIT_FAIL;
	}

	if (geteuid() == 0) {
		snprintf(run_name, sizeof(run_name), "run-%d", (int)getpid());
		if (crowd_cg_run_open(run_cgroup_root(limits), run_name, &run, &err) < 0) {
			rc = crowd_report("run", &err);
			goto out;
		}
	}
	if (cfg.pod_size == 1 && crowd_pod_create(run, &spec, &pod, &err) < 0) {
		rc = crowd_report("run", &err);
		goto out;
	}
	spec.pod = pod;
	if (crowd_ctr_start(run, &spec, &ctr, &err) < 0) {
		rc = crowd_report("run", &err);
		goto out;
	}

	struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = ctr.pidfd, .events = POLLIN}};
	for (;;) {
		if (poll(pfd, ctr.pidfd >= 0 ? 2 : 1, ctr.pidfd >= 0 ? -1 : 100) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				int sig = (int)si.ssi_signo;
				crowd_ctr_signal(&ctr, sig, NULL);
				if (sig_terminates(sig) && (cfg.ns & CLONE_NEWPID) &&
				    !sig_caught(ctr.pid, sig)) {
					/* The kernel drops it at a pid-namespace init without a
					 * handler. */
					killed_by = sig;
					crowd_ctr_signal(&ctr, SIGKILL, NULL);
				}
			}
		}
		if (ctr.pidfd < 0 || (pfd[1].revents & (POLLIN | POLLHUP))) {
			if (ctr.pidfd < 0 && waitpid(ctr.pid, &status, WNOHANG) == 0)
				continue;
			if (ctr.pidfd < 0) {
				ctr.reaped = true;
				ctr.status = status;
			}
			break;
		}
	}
	if (crowd_ctr_wait(&ctr, &status, &err) < 0) {
		rc = crowd_report("run", &err);
	} else if (killed_by) {
		rc = 128 + killed_by;
	} else if (WIFEXITED(status)) {
		rc = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		rc = 128 + WTERMSIG(status);
		struct crowd_cg_stats st;
		if (WTERMSIG(status) == SIGKILL && ctr.cg &&
		    crowd_cg_stats(ctr.cg, &st, NULL) == 0 && st.oom_kills > 0) {
			char lim[32] = "?";
			if (cfg.limits.memory_max_bytes >= 0)
				crowd_units_format_size((double)cfg.limits.memory_max_bytes, lim,
							sizeof(lim));
			crowd_warn(
			    "run",
			    "container %s was killed by the OOM killer (memory-max %s, %" PRId64
			    " OOM kill%s)",
			    ctr.id, lim, st.oom_kills, st.oom_kills == 1 ? "" : "s");
		}
	}
	if (crowd_ctr_destroy(&ctr, &err) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
out:
	if (pod && crowd_pod_destroy(pod, &err) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
	if (run && (r = crowd_cg_run_close(run, &err)) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
	crowd_reg_close();
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
