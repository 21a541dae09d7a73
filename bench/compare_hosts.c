/* crowd compare --by host FLEET: one row per host of a fleet folder (crowd merge), so the slow
 * node stands out. Each host's rows against the pooled rows of all other hosts, with the same
 * statistics as compare (crowd_stats_compare: ratio of medians with a bootstrap 95% CI,
 * Mann-Whitney p, verdict). A view: it exits 0 whatever it finds. */
#include "compare_hosts.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/util.h"
#include "results/stats.h"
#include "results/units.h"

#define MAX_HOSTS 256

static const char *const default_metrics[] = {"spinup_ns", "pss_bytes", "cgroup_bytes", "rps"};

struct host_row {
	const char *backend, *host;
	const struct crowd_metric *m;
	size_t n;
	double p50, p99;
	bool have_cmp; /* other hosts have the metric too */
	struct crowd_stats_cmp c;
};

static void fmt(const struct crowd_metric *m, double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		crowd_units_format(v, m->unit, buf, len);
}

static const char *verdict(const struct host_row *r)
{
	if (!r->have_cmp)
		return "-";
	switch (r->c.verdict) {
	case CROWD_VERDICT_REGRESSED:
		return "WORSE";
	case CROWD_VERDICT_IMPROVED:
		return "better";
	case CROWD_VERDICT_INCONCLUSIVE:
		return "unclear";
	case CROWD_VERDICT_NO_CHANGE:
		break;
	}
	return "no change";
}

static void print_text(const struct host_row *rows, size_t n, size_t n_hosts, size_t n_rows,
		       const char *dir)
{
	printf("%s: %zu hosts, %zu rows; each host against the other hosts' rows pooled\n", dir,
	       n_hosts, n_rows);
	const char *last_b = NULL;
	const struct crowd_metric *last_m = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct host_row *r = &rows[i];
		if (r->m != last_m || !last_b || strcmp(r->backend, last_b)) {
			printf("\n%s %s\n  %-20s %5s %10s %10s %10s %8s %17s %7s  %s\n", r->backend,
			       r->m->name, "host", "n", "p50", "p99", "others p50", "ratio",
			       "95% CI", "p", "verdict");
			last_b = r->backend;
			last_m = r->m;
		}
		char a[24], b[24], c[24], ci[40] = "-", ratio[16] = "-", p[16] = "-";
		fmt(r->m, r->p50, a, sizeof(a));
		fmt(r->m, r->p99, b, sizeof(b));
		fmt(r->m, r->have_cmp ? r->c.median_old : NAN, c, sizeof(c));
		if (r->have_cmp) {
			snprintf(ratio, sizeof(ratio), "%.3fx", r->c.ratio);
			snprintf(ci, sizeof(ci), "[%.3f, %.3f]", r->c.ratio_lo, r->c.ratio_hi);
			snprintf(p, sizeof(p), "%.3g", r->c.p);
		}
		bool bad = r->have_cmp && r->c.verdict == CROWD_VERDICT_REGRESSED;
		printf("  %-20s %5zu %10s %10s %10s %8s %17s %7s  %s%s\n", r->host, r->n, a, b, c,
		       ratio, ci, p, verdict(r), bad ? "  <<<" : "");
	}
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int print_json(const struct host_row *rows, size_t n, const char *dir)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct host_row *r = &rows[i];
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s}", "host",
				 r->host, "backend", r->backend, "metric", r->m->name, "n",
				 (json_int_t)r->n, "p50", num(r->p50), "p99", num(r->p99),
				 "others_p50", num(r->have_cmp ? r->c.median_old : NAN), "ratio",
				 num(r->have_cmp ? r->c.ratio : NAN), "ratio_ci95_lo",
				 num(r->have_cmp ? r->c.ratio_lo : NAN), "ratio_ci95_hi",
				 num(r->have_cmp ? r->c.ratio_hi : NAN), "p",
				 num(r->have_cmp ? r->c.p : NAN), "verdict", verdict(r)));
	}
	json_t *root = json_pack("{s:s,s:o}", "fleet", dir, "hosts", a);
	int rc = root && json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0;
	fputc('\n', stdout);
	json_decref(root);
	return rc ? CROWD_EXIT_OK : CROWD_EXIT_FAIL;
}

/* Metric m of backend b: this host's values into mine, the other hosts' into rest. */
static void split(const struct crowd_results *r, const struct crowd_metric *m, const char *b,
		  const char *host, double *mine, size_t *n_mine, double *rest, size_t *n_rest)
{
	*n_mine = *n_rest = 0;
	for (size_t k = 0; k < r->n; k++) {
		const struct crowd_sample *s = &r->samples[k];
		double v = m->get(s);
		if (s->status != CROWD_STATUS_OK || strcmp(s->backend, b) || isnan(v))
			continue;
		if (!strcmp(r->extra[k].host, host))
			mine[(*n_mine)++] = v;
		else
			rest[(*n_rest)++] = v;
	}
}

int crowd_compare_by_host(const char *dir, const struct crowd_metric *only, double threshold,
			  bool json)
{
	struct crowd_results r;
	struct crowd_error err = {0};
	if (crowd_results_read(dir, &r, &err) < 0)
		crowd_usage_error("compare", "%s (expected a fleet folder from crowd merge)",
				  err.msg);
	const char *hosts[MAX_HOSTS];
	size_t nh = crowd_results_hosts(&r, hosts, MAX_HOSTS);
	if (r.n == 0 || nh == 0 || !hosts[0][0]) {
		crowd_results_free(&r);
		crowd_usage_error("compare",
				  "%s: no rows with a host (allowed: a results folder "
				  "whose samples.csv has the host column)",
				  dir);
	}
	size_t nm = only ? 1 : CROWD_ARRAY_SIZE(default_metrics);
	size_t cap = (size_t)r.summary.n_backends * nm * nh + 1;
	_cleanup_free_ struct host_row *rows = calloc(cap, sizeof(*rows));
	_cleanup_free_ double *mine = malloc((r.n + 1) * sizeof(double));
	_cleanup_free_ double *rest = malloc((r.n + 1) * sizeof(double));
	int rc = rows && mine && rest ? CROWD_EXIT_OK : CROWD_EXIT_FAIL;
	size_t n = 0;
	for (unsigned b = 0; rc == CROWD_EXIT_OK && b < r.summary.n_backends; b++)
		for (size_t j = 0; rc == CROWD_EXIT_OK && j < nm; j++) {
			const struct crowd_metric *m =
			    only ? only : crowd_metric_find(default_metrics[j]);
			const char *bn = r.summary.backends[b].name;
			for (size_t h = 0; h < nh && n < cap; h++) {
				size_t n_mine, n_rest;
				split(&r, m, bn, hosts[h], mine, &n_mine, rest, &n_rest);
				if (!n_mine)
					continue;
				struct host_row *row = &rows[n++];
				*row = (struct host_row){
				    .backend = bn, .host = hosts[h], .m = m, .n = n_mine};
				row->p50 = crowd_stats_percentile(mine, n_mine, 50);
				row->p99 = crowd_stats_percentile(mine, n_mine, 99);
				row->have_cmp = n_rest > 0;
				if (row->have_cmp &&
				    crowd_stats_compare(rest, n_rest, mine, n_mine,
							m->higher_is_better, threshold,
							CROWD_STATS_SEED, &row->c, &err) < 0)
					rc = crowd_report("compare", &err);
			}
		}
	if (rc == CROWD_EXIT_OK) {
		if (json)
			rc = print_json(rows, n, dir);
		else
			print_text(rows, n, nh, r.n, dir);
	}
	crowd_results_free(&r);
	return rc;
}
