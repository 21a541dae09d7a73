/* crowd density: add instances in steps until a stop condition; report how many fit, what
 * each costs and what stopped the ramp; then tear all of them down, timed. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "engine/density.h"
#include "fleet.h"
#include "engine/launcher.h"
#include "opts.h"
#include "results/units.h"

struct density_ctx {
	struct crowd_density_opts o;
	int64_t timeout_ns;
	struct crowd_fleet *f;
	const char *openmetrics;
};

/* --memory-budget B|P%: bytes, or a share of MemAvailable at the start. */
static void parse_memory_budget(const char *cmd, const char *arg, void *dst)
{
	struct crowd_density_opts *o = &((struct density_ctx *)dst)->o;
	size_t len = strlen(arg);
	char num[32];
	if (len < 2 || arg[len - 1] != '%') {
		o->memory_budget_bytes =
		    (int64_t)crowd_opts_size(cmd, "memory-budget", arg, 1, 1ULL << 50);
		return;
	}
	if (len >= sizeof(num))
		crowd_usage_error(cmd,
				  "--memory-budget '%s': not allowed (BYTES like 20G, or "
				  "0.001%%..100%%)",
				  arg);
	memcpy(num, arg, len - 1);
	num[len - 1] = '\0';
	o->memory_budget_pct = crowd_opts_double(cmd, "memory-budget", num, 0.001, 100);
}

#define AT(field) CROWD_OPT_AT(struct density_ctx, field)

static const struct crowd_opt density_opts[] = {
    {"step", 0, 0, CROWD_OPT_COUNT, "K", "instances per step", .min = 1, .max = 1000000,
     .def = "+10%, at least 10", AT(o.step)},
    {"max-count", 0, 0, CROWD_OPT_COUNT, "N", "stop at N per backend", .min = 1, .max = 1000000,
     AT(o.max_count)},
    {"memory-budget", 0, 0, CROWD_OPT_TEXT, "B|P%",
     "stop when MemAvailable dropped by B bytes (1..1024T) or P% (0.001..100) of it",
     .parse = parse_memory_budget},
    {"slo-spinup-p99", 0, 0, CROWD_OPT_TIME, "TIME", "stop when a step's p99 spin-up exceeds TIME",
     .min = 1000, .max = 3600000000000LL, AT(o.slo_spinup_p99_ns)},
    {"slo-throughput-drop", 0, 0, CROWD_OPT_NUMBER, "P",
     "with --load: stop when req/s per instance falls P% below the first step's", .fmin = 0,
     .fmax = 100, AT(o.slo_throughput_drop_pct)},
    {"load-sample", 0, 0, CROWD_OPT_COUNT, "K", "instances loaded per step with --load", .min = 1,
     .max = 1000000, AT(o.load_sample)},
    CROWD_OPT_LAUNCH_TIMEOUT(struct density_ctx, timeout_ns),
    CROWD_OPT_OPENMETRICS(struct density_ctx, openmetrics),
    {0},
};

static void print_step(const struct crowd_density_result *r, void *vctx)
{
	struct density_ctx *c = vctx;
	struct crowd_fleet *f = c->f;
	const struct crowd_density_step *s = &r->steps[r->n_steps - 1];
	if (!f->show_progress)
		return;
	char a[24], b[24], m[24], p[24];
	crowd_fleet_progress_done(f);
	fprintf(stderr, "step %u: %u up, spin-up p50 %s p99 %s, +%s MemAvailable/instance, PSS %s",
		s->step, s->count, crowd_units_format_time((double)s->spinup_p50_ns, a, sizeof(a)),
		crowd_units_format_time((double)s->spinup_p99_ns, b, sizeof(b)),
		crowd_units_format_size(s->mem_available_per_instance_bytes, m, sizeof(m)),
		crowd_units_format_size(s->pss_per_instance_bytes, p, sizeof(p)));
	if (s->rps_per_instance >= 0)
		fprintf(stderr, ", %.0f req/s/instance", s->rps_per_instance);
	fputc('\n', stderr);
}

static void print_density(const struct crowd_fleet *f, const struct crowd_density_result *r,
			  FILE *out)
{
	const struct crowd_launch *l = f->l;
	char a[24], b[24], c[24], d[24], e[24], g[24];
	fprintf(out, "\n  %5s %8s %10s %10s %12s %10s %10s %10s %10s\n", "step", "count", "p50",
		"p99", "MemAvail/i", "Slab/i", "cgroup/i", "PSS/i", "req/s/i");
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct crowd_density_step *s = &r->steps[i];
		char rps[24] = "-";
		if (s->rps_per_instance >= 0)
			snprintf(rps, sizeof(rps), "%.0f", s->rps_per_instance);
		fprintf(
		    out, "  %5u %8u %10s %10s %12s %10s %10s %10s %10s\n", s->step, s->count,
		    crowd_units_format_time((double)s->spinup_p50_ns, a, sizeof(a)),
		    crowd_units_format_time((double)s->spinup_p99_ns, b, sizeof(b)),
		    crowd_units_format(s->mem_available_per_instance_bytes, "bytes", c, sizeof(c)),
		    crowd_units_format(s->slab_per_instance_bytes, "bytes", d, sizeof(d)),
		    s->cgroup_per_instance_bytes >= 0
			? crowd_units_format_size(s->cgroup_per_instance_bytes, e, sizeof(e))
			: "-",
		    s->pss_per_instance_bytes >= 0
			? crowd_units_format_size(s->pss_per_instance_bytes, g, sizeof(g))
			: "-",
		    rps);
	}
	double per = NAN;
	if (l->have_mem_after && r->max_count)
		per = (double)(l->mem_before.available_bytes - l->mem_after.available_bytes) /
		      r->max_count;
	char ramp[24], each[24];
	fprintf(out, "\n%u %s %s up; stopped by %s: %s; %s MemAvailable each; ramp %s\n",
		r->max_count, f->cfg->workload.name, r->max_count == 1 ? "instance" : "instances",
		crowd_density_stop_name(r->stopped_by), r->detail,
		crowd_units_format(per, "bytes", each, sizeof(each)),
		crowd_units_format_time((double)r->ramp_ns, ramp, sizeof(ramp)));
	if (r->checked)
		fprintf(out,
			"HTTP at the end: %zu of %zu answered (%zu on a second or third try)\n",
			r->answering, r->checked, r->retried - (r->checked - r->answering));
}

static const struct crowd_opts_cmd density_cmd = {
    .name = "density",
    .synopsis = "crowd density [OPTIONS]",
    .description = "Add instances in steps until a stop condition (memory budget, spin-up or\n"
		   "throughput SLO, a kernel or cgroup limit, --max-count); report how many fit,\n"
		   "what each costs and what stopped the ramp; tear all down, timed.",
    .groups = CROWD_OPTS_CONTAINER | CROWD_OPTS_FLEET | CROWD_OPTS_LOAD | CROWD_OPTS_VM,
    .extra = density_opts,
};

static void density_parse(int argc, char **argv, struct crowd_config *cfg, struct density_ctx *dc)
{
	crowd_opts_parse_only(&density_cmd, dc, argc, argv, cfg);
	/* Load is opt-in here (--load), and a step's load sample is short unless told. */
	cfg->load = cfg->load && crowd_opts_given("load") && cfg->workload.desc->http;
	if (!crowd_opts_given("duration"))
		cfg->duration_ns = 1000000000LL;
	if (dc->o.slo_throughput_drop_pct >= 0 && !cfg->load)
		crowd_usage_error("density",
				  "--slo-throughput-drop needs --load and an HTTP workload");
	cfg->count = dc->o.max_count;
	crowd_fleet_check_openmetrics("density", dc->openmetrics);
}

/* The results folder with the steps, and the summary. 0, or CROWD_EXIT_FAIL when writing
 * failed. */
static int density_write_print(struct crowd_fleet *f, const struct crowd_density_result *res)
{
	int rc = CROWD_EXIT_OK;
	struct crowd_error werr = {0};
	struct crowd_density_outcome oc = {
	    .max_count = res->max_count,
	    .stopped_by = res->stopped_by,
	    .detail = res->detail,
	    .ramp_ns = res->ramp_ns,
	};
	f->density = &oc;
	f->steps = res->steps;
	f->n_steps = res->n_steps;
	f->slab_steps = res->slab_steps;
	if (res->kernel.added > 0)
		f->kernel = &res->kernel;
	if (crowd_fleet_write(f, &werr) < 0) {
		crowd_report("density", &werr);
		rc = CROWD_EXIT_FAIL;
	}
	if (f->cfg->json) {
		crowd_fleet_print_json(f, stdout);
	} else {
		crowd_fleet_print(f, stdout);
		print_density(f, res, stdout);
		printf("\nresults: %s\n", f->dir);
	}
	fflush(stdout);
	f->density = NULL; /* oc ends here; the steps stay res's */
	return rc;
}

int crowd_cmd_density(int argc, char **argv)
{
	struct density_ctx dc = {.timeout_ns = CROWD_LAUNCH_TIMEOUT_NS};
	struct crowd_config cfg;
	struct crowd_fleet f;
	struct crowd_error err = {0}, terr = {0};
	struct crowd_density_result res;
	crowd_density_opts_init(&dc.o);
	density_parse(argc, argv, &cfg, &dc);
	dc.f = &f;
	if (crowd_fleet_open(&f, "density", &cfg, dc.o.max_count, dc.timeout_ns, argc - 1, argv + 1,
			     &err) < 0) {
		crowd_workload_inst_free(&cfg.workload);
		return crowd_report("density", &err);
	}
	f.openmetrics = dc.openmetrics;
	int r = crowd_density_run(f.l, &dc.o, &res, print_step, &dc, &err);
	crowd_fleet_progress_done(&f);
	if (r < 0 && r != -EINTR)
		crowd_report("density", &err);
	if (f.show_progress)
		fprintf(stderr, "density: tearing down %zu instances...\n", f.l->n_insts);
	int tr = crowd_launch_teardown(f.l, &terr);
	crowd_fleet_progress_done(&f);
	crowd_fleet_signals(NULL);

	int rc = density_write_print(&f, &res);
	if (tr < 0) {
		crowd_warn("density", "teardown: %s", terr.msg);
		rc = CROWD_EXIT_LEFTOVER;
	} else if (res.interrupted || f.l->interrupted) {
		rc = crowd_launch_exit_code(f.l);
	} else if (rc == CROWD_EXIT_OK && (res.stopped_by == CROWD_DENSITY_FAILURE || r < 0)) {
		rc = CROWD_EXIT_FAIL;
	}
	crowd_density_result_free(&res);
	crowd_fleet_kernel_free(&f);
	crowd_launch_free(f.l);
	crowd_workload_inst_free(&cfg.workload);
	return rc;
}
