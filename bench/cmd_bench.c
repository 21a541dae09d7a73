/* crowd bench: N instances of a workload on one or more backends, interleaved, measured,
 * loaded (httpd), torn down; a results folder and a printed summary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "fleet.h"
#include "engine/launcher.h"
#include "opts.h"

struct bench_ctx {
	int64_t timeout_ns;
	bool security_sweep;
	unsigned sweep; /* index of sweep_at's names, when --sweep was given */
	const char *openmetrics;
};

/* --sweep's names: the sweep kinds from security on. */
static const char *sweep_at(unsigned i)
{
	return i + CROWD_SWEEP_SECURITY <= CROWD_SWEEP_CAPS
		   ? crowd_sweep_kind_name((enum crowd_sweep_kind)(i + CROWD_SWEEP_SECURITY))
		   : NULL;
}

static const struct crowd_opt bench_opts[] = {
    CROWD_OPT_LAUNCH_TIMEOUT(struct bench_ctx, timeout_ns),
    {"sweep", 0, 0, CROWD_OPT_NAME, "KIND",
     "core once per step, interleaved, each step one primitive more: security (7 cumulative "
     "features, docs/security.md), ns (none, +pid ... +user, then each namespace alone), caps "
     "(none, default, all); the marginal cost of each (docs/bench.md)",
     .name_at = sweep_at, .def = "no sweep", CROWD_OPT_AT(struct bench_ctx, sweep)},
    {"security-sweep", 0, 0, CROWD_OPT_FLAG, NULL, "the same as --sweep security",
     CROWD_OPT_AT(struct bench_ctx, security_sweep)},
    CROWD_OPT_OPENMETRICS(struct bench_ctx, openmetrics),
    {0},
};

/* A sweep sets its primitive itself (security: --security, --seccomp, --caps; ns: --ns;
 * caps: --caps) and runs on core alone. */
static void check_sweep(const struct crowd_config *cfg, bool alias)
{
	static const char *const own_security[] = {"security", "seccomp", "caps", NULL};
	static const char *const own_ns[] = {"ns", NULL};
	static const char *const own_caps[] = {"caps", NULL};
	const char *const *own = cfg->sweep == CROWD_SWEEP_SECURITY ? own_security
				 : cfg->sweep == CROWD_SWEEP_NS	    ? own_ns
								    : own_caps;
	char opt[32];
	if (!cfg->sweep)
		return;
	snprintf(opt, sizeof(opt), "%s%s", alias ? "--security-sweep" : "--sweep ",
		 alias ? "" : crowd_sweep_kind_name(cfg->sweep));
	for (size_t i = 0; own[i]; i++)
		if (crowd_opts_given(own[i]))
			crowd_usage_error("bench",
					  "%s: sets --%s itself (allowed: %s without --%s)", opt,
					  own[i], opt, own[i]);
	if (cfg->n_backends != 1 || strcmp(cfg->backends[0], "core"))
		crowd_usage_error("bench", "%s: runs on one backend (allowed: --backend core)", opt);
}

static const struct crowd_opts_cmd bench_cmd = {
    .name = "bench",
    .synopsis = "crowd bench [OPTIONS]",
    .description = "Start N instances of a workload per backend (interleaved when several),\n"
		   "measure spin-up phases, memory and HTTP throughput, tear all down, and\n"
		   "write a results folder. SIGINT (Ctrl-C) or SIGTERM in any phase tears down\n"
		   "what was started and exits 130 or 143 (the results say the phase).",
    .groups = CROWD_OPTS_CONTAINER | CROWD_OPTS_FLEET | CROWD_OPTS_LOAD | CROWD_OPTS_VM,
    .extra = bench_opts,
};

/* Start them all, measure, load. Negative errno when the launcher itself failed (reported
 * here); -EINTR when interrupted. */
static int bench_run(struct crowd_fleet *f, const struct crowd_config *cfg)
{
	struct crowd_error err = {0};
	int r = crowd_launch_grow(f->l, cfg->count, true, &err);
	crowd_fleet_progress_done(f);
	if (r < 0 && r != -EINTR)
		crowd_report("bench", &err); /* no instance could start */
	if (r < 0 || f->l->stop)
		return r;
	crowd_launch_measure(f->l, 0, &err);
	crowd_fleet_kernel(f);
	if (cfg->load && cfg->workload.desc->http)
		crowd_fleet_load(f, 0, 0, 0);
	return 0;
}

/* The results folder and the summary; the exit code from how the run (r) and the teardown
 * (tr, terr) went. */
static int bench_report(struct crowd_fleet *f, const struct crowd_config *cfg, int r, int tr,
			const struct crowd_error *terr)
{
	const struct crowd_launch *l = f->l;
	int rc = CROWD_EXIT_OK;
	struct crowd_error werr = {0};
	if (crowd_fleet_write(f, &werr) < 0) {
		crowd_report("bench", &werr);
		rc = CROWD_EXIT_FAIL;
	}
	if (cfg->json) {
		crowd_fleet_print_json(f, stdout);
	} else {
		crowd_fleet_print(f, stdout);
		printf("\nresults: %s\n", f->dir);
	}
	fflush(stdout);
	if (tr < 0) {
		crowd_warn("bench", "teardown: %s", terr->msg);
		return CROWD_EXIT_LEFTOVER;
	}
	if (l->interrupted)
		return crowd_launch_exit_code(l);
	if (r < 0)
		return CROWD_EXIT_FAIL;
	if (rc == CROWD_EXIT_OK && (l->n_failed || !l->n_ready)) {
		crowd_warn("bench", "%u of %zu instances failed", l->n_failed, l->n_insts);
		rc = CROWD_EXIT_FAIL;
	}
	return rc;
}

int crowd_cmd_bench(int argc, char **argv)
{
	struct bench_ctx bc = {.timeout_ns = CROWD_LAUNCH_TIMEOUT_NS};
	struct crowd_config cfg;
	struct crowd_fleet f;
	struct crowd_error err = {0};
	crowd_opts_parse_only(&bench_cmd, &bc, argc, argv, &cfg);
	bool sweep = crowd_opts_given("sweep");
	if (bc.security_sweep && sweep && bc.sweep != 0)
		crowd_usage_error("bench", "--security-sweep and --sweep %s: one sweep at a time "
					   "(allowed: one of them)",
				  sweep_at(bc.sweep));
	cfg.sweep = bc.security_sweep ? CROWD_SWEEP_SECURITY
		    : sweep ? (enum crowd_sweep_kind)(bc.sweep + CROWD_SWEEP_SECURITY)
			    : CROWD_SWEEP_NONE;
	check_sweep(&cfg, bc.security_sweep);
	crowd_fleet_check_openmetrics("bench", bc.openmetrics);
	if (crowd_fleet_open(&f, "bench", &cfg, cfg.count, bc.timeout_ns, argc - 1, argv + 1,
			     &err) < 0) {
		crowd_workload_inst_free(&cfg.workload);
		return crowd_report("bench", &err);
	}
	f.openmetrics = bc.openmetrics;
	int r = bench_run(&f, &cfg);
	struct crowd_error terr = {0};
	int tr = crowd_launch_teardown(f.l, &terr);
	crowd_fleet_progress_done(&f);
	crowd_fleet_signals(NULL);
	int rc = bench_report(&f, &cfg, r, tr, &terr);
	crowd_fleet_kernel_free(&f);
	crowd_launch_free(f.l);
	crowd_workload_inst_free(&cfg.workload);
	return rc;
}
