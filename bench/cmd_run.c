/* crowd run [OPTS] -- CMD [ARG...]: one container through the core, attached. stdio is
 * passed through, signals are forwarded, and crowd exits with CMD's status (128+N when a
 * signal ended it). Everything is torn down before exit. The supervision itself is the
 * library's (core/supervise.h); this file parses, calls it, and prints. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/cgroup.h"
#include "core/container.h"
#include "core/netns.h"
#include "core/registry.h"
#include "core/supervise.h"
#include "core/util.h"
#include "engine/config.h"
#include "opts.h"
#include "results/units.h"

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

/* What one attached run holds, torn down in reverse. */
struct run_state {
	struct crowd_config cfg;
	struct crowd_ctr_spec spec;
	struct crowd_cg_run *run;
	struct crowd_pod *pod;
	struct crowd_ctr ctr;
	bool started;
	struct crowd_supervise sup;
};

static bool has_limits(const struct crowd_config *cfg)
{
	return cfg->limits.memory_max_bytes >= 0 || cfg->limits.pids_max >= 0 ||
	       cfg->limits.cpu_quota_us >= 0 || cfg->limits.cpuset_cpus[0];
}

/* Options, then what only crowd run refuses; returns the index of CMD. */
static int run_parse(int argc, char **argv, struct crowd_config *cfg)
{
	crowd_config_init(cfg);
	int first = crowd_opts_parse(&run_cmd, argc, argv, cfg);
	if (first >= argc)
		crowd_usage_error("run",
				  "missing command (usage: crowd run [OPTIONS] -- CMD [ARG...])");
	if (cfg->pod_size > 1)
		crowd_usage_error("run",
				  "--pod-size %u: crowd run starts one container (allowed: 1)",
				  cfg->pod_size);
	bool rootless = cfg->rootless || (cfg->ns & CLONE_NEWUSER);
	if (geteuid() != 0 && !rootless)
		crowd_usage_error("run", "needs root, or --rootless for a user namespace");
	char why[256];
	if (geteuid() != 0 && has_limits(cfg) && crowd_cg_user_root(NULL, 0, why, sizeof(why)) < 0)
		crowd_usage_error("run",
				  "--memory-max/--pids-max/--cpu-max/--cpuset: cgroup limits need "
				  "root or a delegated cgroup (%s)",
				  why);
	return first;
}

static void run_spec(const struct crowd_config *cfg, char **argv, struct crowd_ctr_spec *spec)
{
	crowd_ctr_spec_init(spec);
	spec->ns = cfg->ns;
	spec->rootfs = cfg->rootfs;
	spec->rootfs_overlay = cfg->rootfs_mode == CROWD_ROOTFS_OVERLAY;
	spec->limits = cfg->limits;
	spec->caps = cfg->caps;
	spec->security = cfg->security;
	spec->seccomp = cfg->seccomp;
	spec->rootless = cfg->rootless;
	spec->single = true;
	spec->argv = argv;
	spec->stdio[0] = STDIN_FILENO;
	spec->stdio[1] = STDOUT_FILENO;
	spec->stdio[2] = STDERR_FILENO;
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

/* The run's cgroup (as root), the pod (--pod-size 1), the container. */
static int run_start(struct run_state *s, struct crowd_error *err)
{
	const struct crowd_config *cfg = &s->cfg;
	bool rootless = cfg->rootless || (cfg->ns & CLONE_NEWUSER);
	/* The container's network namespace is made by a helper thread from now on, while the
	 * cgroups, the registry and the clone are made (harness/core/netns.h). */
	if (geteuid() == 0 && !rootless && (cfg->ns & CLONE_NEWNET) && cfg->pod_size != 1)
		crowd_netns_prefetch();
	/* Root, or a caller with a delegated subtree (crowd_cg_user_root): a cgroup per run. */
	if (geteuid() == 0 || crowd_cg_user_root(NULL, 0, NULL, 0) == 0) {
		char name[64];
		snprintf(name, sizeof(name), "run-%d", (int)getpid());
		int r = crowd_cg_run_open(run_cgroup_root(has_limits(cfg)), name, &s->run, err);
		if (r < 0)
			return r;
	}
	if (cfg->pod_size == 1) {
		int r = crowd_pod_create(s->run, &s->spec, &s->pod, err);
		if (r < 0)
			return r;
	}
	s->spec.pod = s->pod;
	int r = crowd_ctr_start(s->run, &s->spec, &s->ctr, err);
	s->started = r == 0;
	return r;
}

/* What the end says beyond its exit code. */
static void run_report_end(const struct run_state *s, const struct crowd_supervise_end *end)
{
	if (end->forward.code)
		crowd_warn("run", "forwarding a signal: %s", end->forward.msg);
	if (!end->oom_kills)
		return;
	char lim[32] = "?";
	if (s->cfg.limits.memory_max_bytes >= 0)
		crowd_units_format_size((double)s->cfg.limits.memory_max_bytes, lim, sizeof(lim));
	crowd_warn("run",
		   "container %s was killed by the OOM killer (memory-max %s, %" PRId64
		   " OOM kill%s)",
		   s->ctr.id, lim, end->oom_kills, end->oom_kills == 1 ? "" : "s");
}

/* Container, pod, cgroup, registry, signals: each failure is reported, and any makes the
 * exit code 3 (something may be left behind). */
static int run_teardown(struct run_state *s, int rc)
{
	struct crowd_error err = {0};
	if (s->started && crowd_ctr_destroy(&s->ctr, &err) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
	if (s->pod && crowd_pod_destroy(s->pod, &err) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
	if (s->run && crowd_cg_run_close(s->run, &err) < 0) {
		crowd_report("run", &err);
		rc = CROWD_EXIT_LEFTOVER;
	}
	crowd_reg_close();
	crowd_supervise_close(&s->sup);
	return rc;
}

int crowd_cmd_run(int argc, char **argv)
{
	struct run_state s = {.sup.sfd = -1};
	struct crowd_error err = {0};
	struct crowd_supervise_end end;
	int first = run_parse(argc, argv, &s.cfg);
	run_spec(&s.cfg, argv + first, &s.spec);

	/* The forwarded signals are blocked before the start, so none is lost. */
	if (crowd_supervise_open(&s.sup, &err) < 0)
		return crowd_report("run", &err);
	int rc = CROWD_EXIT_FAIL;
	if (run_start(&s, &err) < 0 ||
	    crowd_supervise_wait(&s.sup, &s.ctr, s.cfg.ns & CLONE_NEWPID, &end, &err) < 0) {
		rc = crowd_report("run", &err);
	} else {
		run_report_end(&s, &end);
		rc = end.exit_code;
	}
	return run_teardown(&s, rc);
}
