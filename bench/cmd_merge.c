/* crowd merge DIR... --out FLEET: one fleet results folder from many hosts' runs
 * (harness/results/merge.c; docs/fleet.md), with a per-host table. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "fleet.h"
#include "opts.h"
#include "results/results.h"
#include "results/units.h"

struct merge_ctx {
	const char *out, *openmetrics;
	bool json, quiet;
};

static const struct crowd_opt merge_opts[] = {
    {"out", 0, 0, CROWD_OPT_PATH, "FLEET", "the fleet folder (new, empty, or an earlier merge's)",
     CROWD_OPT_AT(struct merge_ctx, out)},
    CROWD_OPT_OPENMETRICS(struct merge_ctx, openmetrics),
    {"json", 0, 0, CROWD_OPT_FLAG, NULL, "print the fleet's summary.json on stdout",
     CROWD_OPT_AT(struct merge_ctx, json)},
    {"quiet", 0, 0, CROWD_OPT_FLAG, NULL, "print nothing but errors",
     CROWD_OPT_AT(struct merge_ctx, quiet)},
    {0},
};

/* One line per host and backend, then the pooled ones: spin-up p50/p99, PSS p50. */
static void print_row(const char *host, const struct crowd_summary_backend *b)
{
	static const char *const m[] = {"spinup_ns", "spinup_ns", "pss_bytes"};
	char v[3][24];
	for (int i = 0; i < 3; i++) {
		const struct crowd_stats *st = crowd_summary_stats(b, crowd_metric_find(m[i]));
		double x = !st || !st->n ? NAN : i == 1 ? st->p99 : st->p50;
		if (i < 2)
			crowd_units_format_time(x, v[i], sizeof(v[i]));
		else
			crowd_units_format_size(x, v[i], sizeof(v[i]));
		if (isnan(x))
			snprintf(v[i], sizeof(v[i]), "-");
	}
	printf("  %-20s %-8s %6u %6u %12s %12s %10s\n", host, b->name, b->count, b->failures, v[0],
	       v[1], v[2]);
}

static int print_table(const char *out)
{
	struct crowd_results r;
	struct crowd_error err = {0};
	if (crowd_results_read(out, &r, &err) < 0)
		return crowd_report("merge", &err);
	const char *hosts[256];
	size_t nh = crowd_results_hosts(&r, hosts, CROWD_ARRAY_SIZE(hosts));
	printf("%zu rows from %zu hosts\n", r.n, nh);
	printf("  %-20s %-8s %6s %6s %12s %12s %10s\n", "host", "backend", "rows", "failed",
	       "spin-up p50", "spin-up p99", "PSS p50");
	_cleanup_free_ struct crowd_sample *s = calloc(r.n + 1, sizeof(*s));
	_cleanup_free_ struct crowd_summary *hs = malloc(sizeof(*hs));
	int rc = s && hs ? CROWD_EXIT_OK : CROWD_EXIT_FAIL;
	for (size_t h = 0; rc == CROWD_EXIT_OK && h < nh; h++) {
		size_t n = 0;
		for (size_t k = 0; k < r.n; k++)
			if (!strcmp(r.extra[k].host, hosts[h]))
				s[n++] = r.samples[k];
		struct crowd_run_output o = {.samples = s, .n = n, .host = hosts[h]};
		if (crowd_results_summarize(&o, hs, &err) < 0) {
			rc = crowd_report("merge", &err);
			break;
		}
		for (unsigned b = 0; b < hs->n_backends; b++)
			print_row(hosts[h], &hs->backends[b]);
	}
	for (unsigned b = 0; rc == CROWD_EXIT_OK && b < r.summary.n_backends; b++)
		print_row("(pooled)", &r.summary.backends[b]);
	if (rc == CROWD_EXIT_OK)
		printf("\nresults: %s\n", out);
	crowd_results_free(&r);
	return rc;
}

/* The OpenMetrics text of the fleet: one series per host (computed from its rows). */
static int write_openmetrics(const char *out, const char *path, struct crowd_error *err)
{
	struct crowd_results r;
	int rc = crowd_results_read(out, &r, err);
	if (rc < 0)
		return rc;
	const char *hosts[256];
	size_t nh = crowd_results_hosts(&r, hosts, CROWD_ARRAY_SIZE(hosts));
	struct crowd_om_host om[256];
	_cleanup_free_ struct crowd_summary *hs = calloc(nh + 1, sizeof(*hs));
	_cleanup_free_ struct crowd_sample *s = calloc(r.n + 1, sizeof(*s));
	rc = hs && s ? 0 : crowd_error_errno(err, ENOMEM, "openmetrics");
	for (size_t h = 0; rc == 0 && h < nh; h++) {
		size_t n = 0;
		const char *run_id = NULL;
		for (size_t k = 0; k < r.n; k++)
			if (!strcmp(r.extra[k].host, hosts[h])) {
				s[n++] = r.samples[k];
				run_id = !run_id || !strcmp(run_id, r.extra[k].run_id)
					     ? r.extra[k].run_id
					     : "";
			}
		struct crowd_run_output o = {
		    .samples = s, .n = n, .host = hosts[h], .run_id = run_id};
		rc = crowd_results_summarize(&o, &hs[h], err);
		snprintf(hs[h].workload, sizeof(hs[h].workload), "%s", n ? s[0].workload : "");
		om[h] = (struct crowd_om_host){hosts[h], &hs[h]};
	}
	if (rc == 0)
		rc = crowd_results_write_openmetrics(path, om, nh, err);
	crowd_results_free(&r);
	return rc;
}

int crowd_cmd_merge(int argc, char **argv)
{
	struct merge_ctx mc = {0};
	const struct crowd_opts_cmd cmd = {
	    .name = "merge",
	    .synopsis = "crowd merge DIR... --out FLEET [OPTIONS]",
	    .description =
		"One fleet results folder from many runs (each DIR a results folder, e.g. one\n"
		"per host fetched by fleet/ansible): samples.csv with every row and its host and\n"
		"run_id, summary.json with the pooled statistics (from all raw samples) and each\n"
		"host's under \"hosts\", host.json with each host's host.json. crowd compare\n"
		"--by host and crowd plot read it. docs/fleet.md.",
	    .epilogue = "Exit: 0 ok, 1 the folder could not be written, 2 bad input (a folder\n"
			"that is not a results folder, results versions that differ, a run id in\n"
			"two folders).\n",
	    .extra = merge_opts,
	    .ctx = &mc,
	    .args_anywhere = true,
	};
	int first = crowd_opts_parse(&cmd, argc, argv, NULL);
	if (!mc.out)
		crowd_usage_error("merge", "missing --out FLEET (the fleet folder to write)");
	if (first >= argc)
		crowd_usage_error("merge", "missing DIR... (results folders to merge)");
	crowd_fleet_check_openmetrics("merge", mc.openmetrics);
	struct crowd_error err = {0};
	_cleanup_free_ struct crowd_summary *sum = malloc(sizeof(*sum));
	if (!sum)
		return CROWD_EXIT_FAIL;
	int r = crowd_results_merge((const char *const *)argv + first, (size_t)(argc - first),
				    mc.out, sum, &err);
	if (r == -EINVAL)
		crowd_usage_error("merge", "%s", err.msg);
	if (r < 0)
		return crowd_report("merge", &err);
	if (mc.openmetrics && write_openmetrics(mc.out, mc.openmetrics, &err) < 0)
		return crowd_report("merge", &err);
	if (mc.json) {
		crowd_results_summary_dump(sum, stdout, NULL);
		fputc('\n', stdout);
	} else if (!mc.quiet) {
		return print_table(mc.out);
	}
	return CROWD_EXIT_OK;
}
