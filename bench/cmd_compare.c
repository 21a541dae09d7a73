/* crowd compare OLD NEW: did NEW get slower or fatter than OLD? For each backend and metric in
 * both folders: medians, NEW/OLD ratio with a bootstrap 95% CI, Mann–Whitney p, verdict.
 * crowd compare --history DIR...: one metric across many folders in time order. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "compare_hosts.h"
#include "results/history.h"
#include "results/results.h"
#include "results/stats.h"
#include "results/units.h"
#include "core/util.h"

static const char compare_help[] =
    "usage: crowd compare OLD NEW [OLD NEW ...] [--threshold PCT]\n"
    "                     [--json | --markdown | --benchstat] [--metric NAME]\n"
    "       crowd compare --ab OLD_CROWD NEW_CROWD [--rounds K] [-n N] [--out DIR]\n"
    "                     [--threshold PCT] [--json | --markdown | --benchstat]\n"
    "                     [-- BENCH_OPTION...]\n"
    "       crowd compare --history DIR... [--metric NAME] [--backend NAME] [--data FILE]\n"
    "       crowd compare --by host FLEET [--metric NAME] [--threshold PCT] [--json]\n\n"
    "Did NEW get slower than OLD? Give the results folders of interleaved rounds as pairs\n"
    "(OLD_1 NEW_1 OLD_2 NEW_2 ..., run alternately), or let --ab run them: the run is the\n"
    "unit. Per backend and metric: medians, NEW/OLD = geometric mean of the rounds' ratios\n"
    "of medians with a 95% CI, and p from a sign-flip permutation test over the rounds.\n"
    "The primary metric (spinup_ns, or --metric's) decides: 'regressed' when p < 0.05 and\n"
    "the change exceeds the threshold; 'inconclusive' when it exceeds the threshold without\n"
    "that p (fewer than 6 rounds never reach it; one pair of runs is at most inconclusive).\n"
    "The other metrics are flagged with Holm-adjusted p and do not decide; a significant\n"
    "rise of the failure rate is a regression.\n\n"
    "  --threshold PCT  smallest change that counts, in percent (default 5)\n"
    "  --json           the comparison as JSON on stdout\n"
    "  --markdown       the comparison as a Markdown table (for a pull request)\n"
    "  --benchstat      benchstat's table layout: run medians, delta or ~, (p n)\n"
    "  --metric NAME    only this metric, which then decides (history: default spinup_ns)\n"
    "  --ab             run OLD_CROWD and NEW_CROWD (crowd binaries) alternately, ABBA:\n"
    "                   K rounds of 'bench -n N --workload idle --backend core --no-load'\n"
    "                   plus the options after --, then compare the rounds\n"
    "  --rounds K       --ab: rounds (default 10, at least 6 for a verdict)\n"
    "  -n N             --ab: containers per run (default 100)\n"
    "  --out DIR        --ab: keep the runs in DIR/old-I, DIR/new-I (default: a temporary\n"
    "                   folder, removed)\n"
    "  --backend NAME   history: only this backend (default: all)\n"
    "  --history        the remaining arguments are folders; print one metric over them,\n"
    "                   oldest first (by summary.json 'started', else folder name)\n"
    "  --data FILE      history: also write a whitespace-separated data file for plotting\n"
    "  --by host        FLEET is a fleet folder (crowd merge): one row per host, its rows\n"
    "                   against the other hosts' pooled (docs/fleet.md); exits 0\n\n"
    "Exit: 0 no regression, 1 regressed, 2 bad input, 4 inconclusive (one run per side,\n"
    "too few rounds, rounds that disagree, no primary metric), 3 --ab left something behind.\n";

enum {
	OPT_THRESHOLD = 1000,
	OPT_JSON,
	OPT_MARKDOWN,
	OPT_METRIC,
	OPT_BACKEND,
	OPT_HISTORY,
	OPT_DATA,
	OPT_BY,
	OPT_BENCHSTAT,
	OPT_AB,
	OPT_ROUNDS,
	OPT_OUT
};

struct compare_opts {
	double threshold; /* fraction: 0.05 */
	bool json, markdown, benchstat, history;
	const struct crowd_metric *metric;
	const char *backend, *data;
	/* --ab */
	bool ab;
	unsigned rounds, n;
	const char *out;
	char **bench_args; /* the options after "--" */
	int n_bench_args;
};

struct row {
	const char *backend;
	const struct crowd_metric *metric; /* NULL: the failures row */
	struct crowd_stats_cmp c;	   /* failures row: medians hold the failure rates */
	size_t f_old, f_new;
	bool primary; /* decides the exit code (spinup_ns, or the --metric given) */
	double p_adj; /* p after Holm's adjustment over the secondary metrics (primary: p) */
	/* each round's medians (k each; NULL for the failures row): benchstat's runs */
	double *med_old, *med_new;
};

/* The metric that decides when --metric does not name one. */
#define PRIMARY_METRIC "spinup_ns"

static void load_or_exit(const char *dir, struct crowd_results *r)
{
	struct crowd_error err = {0};
	/* values only, the file streamed: runs of 10^5..10^6 rows fit in memory */
	if (crowd_results_read_values(dir, r, &err) < 0)
		crowd_usage_error("compare", "%s (expected a results folder holding samples.csv)",
				  err.msg);
	if (r->n == 0)
		crowd_usage_error("compare", "%s: samples.csv has no rows", dir);
}

/* Backend i of r when it has samples, else NULL. */
static const char *backend_at(const struct crowd_results *r, unsigned i)
{
	return i < r->summary.n_backends && r->summary.backends[i].count
		   ? r->summary.backends[i].name
		   : NULL;
}

static bool has_backend(const struct crowd_results *r, const char *b)
{
	const struct crowd_summary_backend *x = crowd_summary_backend(&r->summary, b);
	return x && x->count;
}

/* A row's OLD or NEW value: the median, or "failed/n" for the failures row. */
static const char *fmt_side(const struct row *r, bool new_side, char *buf, size_t len)
{
	if (!r->metric) {
		snprintf(buf, len, "%zu/%zu", new_side ? r->f_new : r->f_old,
			 new_side ? r->c.n_new : r->c.n_old);
		return buf;
	}
	return crowd_units_format(new_side ? r->c.median_new : r->c.median_old, r->metric->unit,
				  buf, len);
}

static const char *fmt_p(double p, char *buf, size_t len)
{
	if (p < 0.001)
		return "<0.001";
	snprintf(buf, len, "%.3f", p);
	return buf;
}

static const char *fmt_ratio(double r, char *buf, size_t len)
{
	if (isnan(r))
		return "-";
	if (isinf(r))
		return "inf";
	snprintf(buf, len, "%.3f", r);
	return buf;
}

/* OLD and NEW folders: round i is (o[i], n[i]), run alternately so a drifting machine
 * hurts both sides of a round alike. k == 1 is the plain two-folder comparison. */
struct sides {
	struct crowd_results *o, *n;
	size_t k;
};

static bool in_all(const struct crowd_results *r, size_t k, const char *b)
{
	for (size_t i = 0; i < k; i++)
		if (!has_backend(&r[i], b))
			return false;
	return true;
}

/* Per-round value arrays for one metric (or the failure flags); freed with rounds_free. */
struct rounds {
	double **v;
	size_t *n;
	size_t k, failed; /* failed: total failures (failure flags only) */
};

static void rounds_free(struct rounds *r)
{
	for (size_t i = 0; r->v && i < r->k; i++)
		free(r->v[i]);
	free(r->v);
	free(r->n);
	r->v = NULL;
	r->n = NULL;
}

/* 1 per failed row, 0 per ok row of backend b (interrupted rows left out). */
static size_t failure_flags(const struct crowd_results *r, const char *b, double *ret,
			    size_t *ret_failed)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		enum crowd_status st = crowd_results_status(r, i);
		if (st == CROWD_STATUS_INTERRUPTED || strcmp(crowd_results_backend(r, i), b))
			continue;
		ret[k] = st == CROWD_STATUS_FAILED;
		*ret_failed += ret[k] > 0;
		k++;
	}
	return k;
}

/* Values of metric m (NULL: failure flags) of backend b in each of the k folders; false
 * when a folder has none or memory runs out. */
static bool rounds_get(const struct crowd_results *r, size_t k, const struct crowd_metric *m,
		       const char *b, struct rounds *ret)
{
	*ret = (struct rounds){
	    .v = calloc(k, sizeof(double *)), .n = calloc(k, sizeof(size_t)), .k = k};
	if (!ret->v || !ret->n)
		goto fail;
	for (size_t i = 0; i < k; i++) {
		ret->v[i] = malloc((r[i].n ? r[i].n : 1) * sizeof(double));
		if (!ret->v[i])
			goto fail;
		ret->n[i] = m ? crowd_results_metric_values(&r[i], m, b, ret->v[i])
			      : failure_flags(&r[i], b, ret->v[i], &ret->failed);
		if (!ret->n[i])
			goto fail;
	}
	return true;
fail:
	rounds_free(ret);
	return false;
}

static size_t rounds_total(const struct rounds *r)
{
	size_t t = 0;
	for (size_t i = 0; i < r->k; i++)
		t += r->n[i];
	return t;
}

/* Failures: any significant rise of the failure rate is a regression, whatever the
 * threshold (a benchmark should not fail at all). Mann–Whitney (stratified by round) on
 * the 0/1 flags. */
static bool compare_failures(const struct sides *s, const char *b, struct row *r)
{
	struct crowd_mwu mwu;
	struct crowd_error err = {0};
	struct rounds o, n;
	if (!rounds_get(s->o, s->k, NULL, b, &o))
		return false;
	if (!rounds_get(s->n, s->k, NULL, b, &n)) {
		rounds_free(&o);
		return false;
	}
	r->backend = b;
	r->metric = NULL;
	r->med_old = r->med_new = NULL;
	r->f_old = o.failed;
	r->f_new = n.failed;
	r->c =
	    (struct crowd_stats_cmp){.n_old = rounds_total(&o), .n_new = rounds_total(&n), .p = 1};
	r->c.median_old = (double)r->f_old / (double)r->c.n_old;
	r->c.median_new = (double)r->f_new / (double)r->c.n_new;
	r->c.ratio = r->c.median_old > 0 ? r->c.median_new / r->c.median_old
					 : (r->c.median_new > 0 ? INFINITY : 1);
	r->c.ratio_lo = r->c.ratio_hi = NAN;
	if ((r->f_old || r->f_new) &&
	    crowd_stats_mann_whitney_strat((const double *const *)n.v, n.n,
					   (const double *const *)o.v, o.n, s->k, &mwu, &err) == 0)
		r->c.p = mwu.p;
	if (r->c.p < CROWD_STATS_ALPHA)
		r->c.verdict = r->c.median_new > r->c.median_old ? CROWD_VERDICT_REGRESSED
								 : CROWD_VERDICT_IMPROVED;
	rounds_free(&o);
	rounds_free(&n);
	return true;
}

/* All rows OLD vs NEW; returns how many (rows has room for CROWD_MAX_BACKENDS * (metrics+1)). */
static size_t compare_all(const struct sides *s, const struct compare_opts *opt, struct row *rows)
{
	struct crowd_error err = {0};
	size_t k = 0;
	for (unsigned b = 0; b < s->o[0].summary.n_backends; b++) {
		const char *name = backend_at(&s->o[0], b);
		if (!name || !in_all(s->o, s->k, name) || !in_all(s->n, s->k, name))
			continue;
		for (unsigned m = 0; m < crowd_metrics_len; m++) {
			const struct crowd_metric *met = &crowd_metrics[m];
			struct rounds o, n;
			if (opt->metric && opt->metric != met)
				continue;
			if (!rounds_get(s->o, s->k, met, name, &o))
				continue;
			if (!rounds_get(s->n, s->k, met, name, &n)) {
				rounds_free(&o);
				continue;
			}
			struct row *r = &rows[k];
			r->backend = name;
			r->metric = met;
			r->med_old = malloc(s->k * sizeof(double));
			r->med_new = malloc(s->k * sizeof(double));
			for (size_t i = 0; r->med_old && r->med_new && i < s->k; i++) {
				r->med_old[i] = crowd_stats_median(o.v[i], o.n[i]);
				r->med_new[i] = crowd_stats_median(n.v[i], n.n[i]);
			}
			int rc = crowd_stats_compare_rounds((const double *const *)o.v, o.n,
							    (const double *const *)n.v, n.n, s->k,
							    met->higher_is_better, opt->threshold,
							    CROWD_STATS_SEED + m, &r->c, &err);
			rounds_free(&o);
			rounds_free(&n);
			if (rc < 0 || !r->med_old || !r->med_new) {
				crowd_warn("compare", "%s %s: %s", name, met->name,
					   rc < 0 ? err.msg : "out of memory");
				free(r->med_old);
				free(r->med_new);
				r->med_old = r->med_new = NULL;
				continue;
			}
			k++;
		}
		if (!opt->metric && compare_failures(s, name, &rows[k]))
			k++;
	}
	return k;
}

/* The overall verdict and exit code. The primary metric decides (spinup_ns, or --metric's):
 * regressed -> 1, inconclusive -> 4; a significant rise of the failure rate is a regression
 * too. The secondary metrics are flagged after Holm's adjustment of their p-values and do
 * not decide. With one run per side (k == 1) the samples share their run's drift, so any
 * change is at most "inconclusive". Sets the rows' primary, p_adj and verdicts. */
struct decision {
	int rc;
	const struct row *why; /* the row that decided (NULL: none) */
	bool no_primary;       /* no row of the primary metric */
	size_t flagged;	       /* secondaries regressed after the adjustment */
};

static struct decision decide(struct row *rows, size_t n, size_t k, const struct compare_opts *opt)
{
	struct decision d = {.rc = CROWD_EXIT_OK, .no_primary = true};
	_cleanup_free_ double *p = malloc((n ? n : 1) * sizeof(double));
	_cleanup_free_ double *adj = malloc((n ? n : 1) * sizeof(double));
	_cleanup_free_ size_t *idx = malloc((n ? n : 1) * sizeof(size_t));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		r->p_adj = r->c.p;
		r->primary = r->metric && (opt->metric ? r->metric == opt->metric
						       : !strcmp(r->metric->name, PRIMARY_METRIC));
		if (r->metric && !r->primary && p && adj && idx) {
			idx[m] = i;
			p[m++] = r->c.p;
		}
	}
	if (m)
		crowd_stats_holm(p, m, adj);
	for (size_t j = 0; j < m; j++) {
		struct row *r = &rows[idx[j]];
		r->p_adj = adj[j];
		crowd_stats_verdict(&r->c, r->metric->higher_is_better, opt->threshold, r->p_adj,
				    CROWD_STATS_ALPHA);
	}
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
		if (k == 1 && r->metric && r->c.verdict != CROWD_VERDICT_NO_CHANGE)
			r->c.verdict = CROWD_VERDICT_INCONCLUSIVE;
		if (r->primary)
			d.no_primary = false;
		if ((r->primary || !r->metric) && r->c.verdict == CROWD_VERDICT_REGRESSED) {
			d.rc = CROWD_EXIT_FAIL;
			d.why = r;
		} else if (r->primary && r->c.verdict == CROWD_VERDICT_INCONCLUSIVE &&
			   d.rc == CROWD_EXIT_OK) {
			d.rc = CROWD_EXIT_INCONCLUSIVE;
			d.why = r;
		} else if (!r->primary && r->metric && r->c.verdict == CROWD_VERDICT_REGRESSED) {
			d.flagged++;
		}
	}
	if (d.no_primary && d.rc == CROWD_EXIT_OK)
		d.rc = CROWD_EXIT_INCONCLUSIVE;
	return d;
}

/* The verdict line(s) under a table: what decided, in words a reader can act on. */
static void print_decision(const struct decision *d, size_t k, const struct compare_opts *opt,
			   const char *prefix)
{
	char a[32];
	const struct row *r = d->why;
	const char *pm = opt->metric ? opt->metric->name : PRIMARY_METRIC;
	if (d->rc == CROWD_EXIT_FAIL && r && !r->metric)
		printf("%sREGRESSION: %s failure rate rose from %zu/%zu to %zu/%zu (p %s)\n",
		       prefix, r->backend, r->f_old, r->c.n_old, r->f_new, r->c.n_new,
		       fmt_p(r->c.p, a, sizeof(a)));
	else if (d->rc == CROWD_EXIT_FAIL && r)
		printf("%sREGRESSION: %s %s %.3fx over %zu rounds (p %s < 0.05, beyond the %g%% "
		       "threshold)\n",
		       prefix, r->backend, r->metric->name, r->c.ratio, k,
		       fmt_p(r->c.p, a, sizeof(a)), opt->threshold * 100);
	else if (d->rc == CROWD_EXIT_INCONCLUSIVE && d->no_primary)
		printf("%sINCONCLUSIVE: no %s to decide on\n", prefix, pm);
	else if (d->rc == CROWD_EXIT_INCONCLUSIVE && k == 1)
		printf("%sINCONCLUSIVE: %s %s %.3fx, but one run per side cannot tell a change "
		       "from the machine's drift between runs; compare interleaved rounds "
		       "(crowd compare --ab OLD_CROWD NEW_CROWD, or OLD NEW pairs)\n",
		       prefix, r->backend, r->metric->name, r->c.ratio);
	else if (d->rc == CROWD_EXIT_INCONCLUSIVE && k < 6)
		printf("%sINCONCLUSIVE: %s %s %.3fx, but %zu rounds cannot show it (a verdict "
		       "needs 6 rounds or more)\n",
		       prefix, r->backend, r->metric->name, r->c.ratio, k);
	else if (d->rc == CROWD_EXIT_INCONCLUSIVE)
		printf("%sINCONCLUSIVE: %s %s %.3fx, but the %zu rounds do not agree (p %s); "
		       "run more rounds\n",
		       prefix, r->backend, r->metric->name, r->c.ratio, k,
		       fmt_p(r->c.p, a, sizeof(a)));
	else
		printf("%sno regression\n", prefix);
	if (d->flagged)
		printf("%snote: %zu secondary metric%s flagged (Holm-adjusted p); only %s "
		       "decides\n",
		       prefix, d->flagged, d->flagged > 1 ? "s" : "", pm);
}

/* "a" or "a, b, c" of the run names of one side. */
static const char *run_names(const struct crowd_results *r, size_t k, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < k && off < len; i++)
		off +=
		    (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", r[i].summary.run);
	return buf;
}

/* One number per run from summary.json (host view, load totals): shown beside the table,
 * without a verdict, since one value per run has no spread to test against. */
static const struct {
	const char *name;
	const char *unit;
	size_t off;
} run_values[] = {
    {"host_mem_available_per_instance", "bytes",
     offsetof(struct crowd_summary_backend, mem_available_delta_per_instance)},
    {"host_slab_per_instance", "bytes",
     offsetof(struct crowd_summary_backend, slab_delta_per_instance)},
    {"load_total_rps", "req/s", offsetof(struct crowd_summary_backend, total_rps)},
    {"load_jain_fairness", "", offsetof(struct crowd_summary_backend, jain)},
};

/* Mean over the k folders of run value v of backend b; NAN when a folder lacks it. */
static double run_value(const struct crowd_results *r, size_t k, const char *b, size_t v)
{
	double sum = 0;
	for (size_t i = 0; i < k; i++) {
		const struct crowd_summary_backend *x = crowd_summary_backend(&r[i].summary, b);
		if (!x)
			return NAN;
		double d;
		memcpy(&d, (const char *)x + run_values[v].off, sizeof(d));
		if (isnan(d))
			return NAN;
		sum += d;
	}
	return sum / (double)k;
}

static const char *fmt_run_value(size_t v, double x, char *buf, size_t len)
{
	if (run_values[v].unit[0])
		return crowd_units_format(x, run_values[v].unit, buf, len);
	snprintf(buf, len, "%.3f", x); /* a fraction: Jain's index */
	return buf;
}

/* Differences in how the two sides were measured, one line each into print(). */
static void measurement_notes(const struct sides *s, const char *b,
			      void (*print)(const char *line, void *ctx), void *ctx)
{
	char line[256];
	for (size_t i = 0; i < s->k; i++) {
		const struct crowd_summary_backend *o = crowd_summary_backend(&s->o[i].summary, b);
		const struct crowd_summary_backend *n = crowd_summary_backend(&s->n[i].summary, b);
		/* "" is "not recorded" (no summary.json): nothing to compare */
		if (!o || !n)
			continue;
		if (o->ready_kind[0] && n->ready_kind[0] && strcmp(o->ready_kind, n->ready_kind)) {
			snprintf(line, sizeof(line),
				 "%s: readiness seen differently: OLD %s, NEW %s", b, o->ready_kind,
				 n->ready_kind);
			print(line, ctx);
			return;
		}
		if (o->accel[0] && n->accel[0] && strcmp(o->accel, n->accel)) {
			snprintf(line, sizeof(line), "%s: accelerator differs: OLD %s, NEW %s", b,
				 o->accel, n->accel);
			print(line, ctx);
			return;
		}
	}
}

static void print_note_text(const char *line, void *ctx)
{
	printf("%snote: %s\n", (const char *)ctx, line);
}

static void print_note_json(const char *line, void *ctx)
{
	json_array_append_new(ctx, json_string(line));
}

static void print_run_values_text(const struct sides *s, const char *prefix, bool markdown)
{
	bool header = false;
	for (unsigned b = 0; b < s->o[0].summary.n_backends; b++) {
		const char *name = backend_at(&s->o[0], b);
		if (!name || !in_all(s->o, s->k, name) || !in_all(s->n, s->k, name))
			continue;
		for (size_t v = 0; v < CROWD_ARRAY_SIZE(run_values); v++) {
			double o = run_value(s->o, s->k, name, v),
			       n = run_value(s->n, s->k, name, v);
			char a[32], c[32];
			if (isnan(o) || isnan(n))
				continue;
			if (!header) {
				if (markdown)
					printf("\n| backend | one value per run (no test) | old | "
					       "new |\n|---|---|--:|--:|\n");
				else
					printf("\n%sone value per run%s (no test possible):\n",
					       prefix, s->k > 1 ? ", mean over rounds" : "");
				header = true;
			}
			if (markdown)
				printf("| %s | %s | %s | %s |\n", name, run_values[v].name,
				       fmt_run_value(v, o, a, sizeof(a)),
				       fmt_run_value(v, n, c, sizeof(c)));
			else
				printf("%s%-8s %-34s %10s %10s\n", prefix, name, run_values[v].name,
				       fmt_run_value(v, o, a, sizeof(a)),
				       fmt_run_value(v, n, c, sizeof(c)));
		}
	}
}

static void print_text(const struct sides *s, const struct compare_opts *opt,
		       const struct row *rows, size_t k)
{
	char a[32], b[32], c[32], d[32], e[32], p[16], names[1024];
	const struct crowd_results *o = &s->o[0], *n = &s->n[0];
	printf("OLD %s\n", run_names(s->o, s->k, names, sizeof(names)));
	printf("NEW %s\n", run_names(s->n, s->k, names, sizeof(names)));
	if (s->k > 1)
		printf("%zu interleaved rounds: ratio = geometric mean of the rounds' NEW/OLD "
		       "medians, CI by two-level bootstrap, p by sign-flip permutation over the "
		       "rounds\n",
		       s->k);
	else
		printf("one run per side: p from the samples, which share their run's drift; at "
		       "most 'inconclusive'\n");
	printf("workload %s, threshold %g%%, 95%% bootstrap CI of NEW/OLD medians\n",
	       n->summary.workload, opt->threshold * 100);
	printf("primary metric %s decides; p of the others Holm-adjusted\n\n",
	       opt->metric ? opt->metric->name : PRIMARY_METRIC);
	printf("%-8s %-24s %5s %5s %10s %10s %7s %17s %7s  %s\n", "backend", "metric", "n_old",
	       "n_new", "old p50", "new p50", "ratio", "95% CI", "p", "verdict");
	for (size_t i = 0; i < k; i++) {
		const struct row *r = &rows[i];
		char ci[80];
		if (r->metric)
			snprintf(ci, sizeof(ci), "[%s, %s]", fmt_ratio(r->c.ratio_lo, d, sizeof(d)),
				 fmt_ratio(r->c.ratio_hi, e, sizeof(e)));
		else
			snprintf(ci, sizeof(ci), "-");
		bool bad = r->c.verdict == CROWD_VERDICT_REGRESSED;
		printf("%-8s %-24s %5zu %5zu %10s %10s %7s %17s %7s  %s%s\n", r->backend,
		       r->metric ? r->metric->name : "failures", r->c.n_old, r->c.n_new,
		       fmt_side(r, false, a, sizeof(a)), fmt_side(r, true, b, sizeof(b)),
		       fmt_ratio(r->c.ratio, c, sizeof(c)), ci, fmt_p(r->p_adj, p, sizeof(p)),
		       bad ? "REGRESSED" : crowd_verdict_name(r->c.verdict),
		       bad && (r->primary || !r->metric) ? "  <<<" : "");
	}
	for (unsigned i = 0; i < o->summary.n_backends; i++)
		if (backend_at(o, i) && !has_backend(n, backend_at(o, i)))
			printf("(backend %s only in OLD)\n", backend_at(o, i));
	for (unsigned i = 0; i < n->summary.n_backends; i++)
		if (backend_at(n, i) && !has_backend(o, backend_at(n, i)))
			printf("(backend %s only in NEW)\n", backend_at(n, i));
	if (!opt->metric)
		print_run_values_text(s, "", false);
	for (unsigned i = 0; i < o->summary.n_backends; i++)
		measurement_notes(s, o->summary.backends[i].name, print_note_text, "");
}

static void print_markdown(const struct sides *s, const struct compare_opts *opt,
			   const struct row *rows, size_t k)
{
	char a[32], b[32], c[32], d[32], e[32], p[16], on[1024], nn[1024];
	printf("**crowd compare** `%s` → `%s` (workload %s, threshold %g%%%s)\n\n",
	       run_names(s->o, s->k, on, sizeof(on)), run_names(s->n, s->k, nn, sizeof(nn)),
	       s->n[0].summary.workload, opt->threshold * 100,
	       s->k > 1 ? ", interleaved rounds" : "");
	printf("| backend | metric | n old | n new | old p50 | new p50 | NEW/OLD | 95%% CI | p | "
	       "verdict |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|---|\n");
	for (size_t i = 0; i < k; i++) {
		const struct row *r = &rows[i];
		bool bad = r->c.verdict == CROWD_VERDICT_REGRESSED;
		printf("| %s | %s | %zu | %zu | %s | %s | %s | [%s, %s] | %s | %s%s%s |\n",
		       r->backend, r->metric ? r->metric->name : "failures", r->c.n_old, r->c.n_new,
		       fmt_side(r, false, a, sizeof(a)), fmt_side(r, true, b, sizeof(b)),
		       fmt_ratio(r->c.ratio, c, sizeof(c)), fmt_ratio(r->c.ratio_lo, d, sizeof(d)),
		       fmt_ratio(r->c.ratio_hi, e, sizeof(e)), fmt_p(r->p_adj, p, sizeof(p)),
		       bad ? "**" : "", bad ? "REGRESSED" : crowd_verdict_name(r->c.verdict),
		       bad ? "**" : "");
	}
	if (!opt->metric)
		print_run_values_text(s, "", true);
	for (unsigned i = 0; i < s->o[0].summary.n_backends; i++)
		measurement_notes(s, s->o[0].summary.backends[i].name, print_note_text, "\n");
}

/* Median of the k run medians and their largest relative deviation from it, in percent:
 * benchstat's "value ± spread" (the run is the unit). */
static double runs_center(const double *m, size_t k, double *ret_pct)
{
	double c = crowd_stats_median(m, k), dev = 0;
	for (size_t i = 0; i < k; i++)
		if (c != 0)
			dev = fmax(dev, fabs(m[i] - c) / fabs(c));
	*ret_pct = dev * 100;
	return c;
}

/* The layout of benchstat's comparison table: one line per metric, the runs' medians as
 * "value ± spread", the change, or "~" when the verdict is not a change, with (p=P n=K+K). */
static void print_benchstat(const struct sides *s, const struct row *rows, size_t k)
{
	printf("name%*s old%*s new%*s delta\n", 32, "", 16, "", 16, "");
	for (size_t i = 0; i < k; i++) {
		const struct row *r = &rows[i];
		char name[64], a[32], b[32], ov[48], nv[48], delta[24];
		double po, pn;
		if (!r->metric || !r->med_old || !r->med_new)
			continue;
		snprintf(name, sizeof(name), "%s/%s", r->backend, r->metric->name);
		double co = runs_center(r->med_old, s->k, &po),
		       cn = runs_center(r->med_new, s->k, &pn);
		snprintf(ov, sizeof(ov), "%s ± %2.0f%%",
			 crowd_units_format(co, r->metric->unit, a, sizeof(a)), po);
		snprintf(nv, sizeof(nv), "%s ± %2.0f%%",
			 crowd_units_format(cn, r->metric->unit, b, sizeof(b)), pn);
		bool change = r->c.verdict == CROWD_VERDICT_REGRESSED ||
			      r->c.verdict == CROWD_VERDICT_IMPROVED;
		if (change && isfinite(r->c.ratio))
			snprintf(delta, sizeof(delta), "%+.2f%%", (r->c.ratio - 1) * 100);
		else
			snprintf(delta, sizeof(delta), "~");
		printf("%-36s %-20s %-20s %-8s (p=%.3f n=%zu+%zu)\n", name, ov, nv, delta, r->p_adj,
		       s->k, s->k);
	}
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int print_json(const struct sides *s, const struct compare_opts *opt, const struct row *rows,
		      size_t k, const struct decision *dec)
{
	const struct crowd_results *o = &s->o[0], *n = &s->n[0];
	json_t *arr = json_array();
	for (size_t i = 0; i < k; i++) {
		const struct row *r = &rows[i];
		json_array_append_new(
		    arr,
		    json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:f,s:f,s:o,s:[o,o],s:f,s:s}", "backend",
			      r->backend, "metric", r->metric ? r->metric->name : "failures",
			      "unit", r->metric ? r->metric->unit : "fraction", "higher_is_better",
			      r->metric ? r->metric->higher_is_better : false, "n_old",
			      (json_int_t)r->c.n_old, "n_new", (json_int_t)r->c.n_new, "median_old",
			      r->c.median_old, "median_new", r->c.median_new, "ratio",
			      num_or_null(r->c.ratio), "ci95", num_or_null(r->c.ratio_lo),
			      num_or_null(r->c.ratio_hi), "p", r->c.p, "verdict",
			      crowd_verdict_name(r->c.verdict)));
		json_t *cur = json_array_get(arr, json_array_size(arr) - 1);
		json_object_set_new(cur, "primary", json_boolean(r->primary));
		json_object_set_new(cur, "p_adjusted", json_real(r->p_adj));
		if (!r->metric) {
			json_t *last = cur;
			json_object_set_new(last, "failed_old", json_integer((json_int_t)r->f_old));
			json_object_set_new(last, "failed_new", json_integer((json_int_t)r->f_new));
		}
	}
	json_t *root =
	    json_pack("{s:s,s:s,s:s,s:s,s:f,s:b,s:o}", "old", o->summary.run, "new", n->summary.run,
		      "old_dir", o->dir, "new_dir", n->dir, "threshold", opt->threshold,
		      "regressed", dec->rc == CROWD_EXIT_FAIL, "comparisons", arr);
	static const char *const verdicts[] = {[CROWD_EXIT_OK] = "no regression",
					       [CROWD_EXIT_FAIL] = "regressed",
					       [CROWD_EXIT_INCONCLUSIVE] = "inconclusive"};
	json_object_set_new(root, "verdict", json_string(verdicts[dec->rc]));
	json_object_set_new(root, "exit", json_integer(dec->rc));
	json_object_set_new(root, "primary_metric",
			    json_string(opt->metric ? opt->metric->name : PRIMARY_METRIC));
	json_object_set_new(root, "workload", json_string(n->summary.workload));
	json_object_set_new(root, "rounds", json_integer((json_int_t)s->k));
	json_t *od = json_array(), *nd = json_array();
	for (size_t i = 0; i < s->k; i++) {
		json_array_append_new(od, json_string(s->o[i].dir));
		json_array_append_new(nd, json_string(s->n[i].dir));
	}
	json_object_set_new(root, "old_dirs", od);
	json_object_set_new(root, "new_dirs", nd);
	json_t *rv = json_array(), *notes = json_array();
	for (unsigned b = 0; b < o->summary.n_backends; b++) {
		const char *name = backend_at(o, b);
		if (!name || !in_all(s->o, s->k, name) || !in_all(s->n, s->k, name))
			continue;
		for (size_t v = 0; v < CROWD_ARRAY_SIZE(run_values); v++) {
			double ov = run_value(s->o, s->k, name, v),
			       nv = run_value(s->n, s->k, name, v);
			if (!isnan(ov) && !isnan(nv))
				json_array_append_new(
				    rv, json_pack("{s:s,s:s,s:s,s:f,s:f}", "backend", name, "name",
						  run_values[v].name, "unit", run_values[v].unit,
						  "old", ov, "new", nv));
		}
		measurement_notes(s, name, print_note_json, notes);
	}
	json_object_set_new(root, "run_values", rv);
	json_object_set_new(root, "notes", notes);
	char *text =
	    json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	json_decref(root);
	if (!text)
		return -1;
	puts(text);
	free(text);
	return 0;
}

/* "a,b" of the backends with samples. */
static void backend_list(const struct crowd_results *r, char *buf, size_t len)
{
	for (unsigned i = 0; i < r->summary.n_backends; i++)
		if (backend_at(r, i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "",
				 backend_at(r, i));
}

static int compare_sides(char **dirs, size_t k, const struct compare_opts *opt)
{
	_cleanup_free_ struct crowd_results *o = calloc(k, sizeof(*o));
	_cleanup_free_ struct crowd_results *n = calloc(k, sizeof(*n));
	if (!o || !n)
		return CROWD_EXIT_FAIL;
	struct sides s = {o, n, k};
	for (size_t i = 0; i < k; i++) {
		load_or_exit(dirs[2 * i], &o[i]);
		load_or_exit(dirs[2 * i + 1], &n[i]);
	}
	for (size_t i = 0; i < 2 * k; i++) {
		const struct crowd_results *x = i % 2 ? &n[i / 2] : &o[i / 2];
		const char *ow = o[0].summary.workload, *xw = x->summary.workload;
		if (ow[0] && xw[0] && strcmp(ow, xw))
			crowd_usage_error("compare",
					  "workloads differ: %s ran '%s', %s ran '%s'; compare "
					  "runs of the same workload",
					  dirs[0], ow, dirs[i], xw);
	}
	size_t cap = (size_t)CROWD_MAX_BACKENDS * (crowd_metrics_len + 1);
	_cleanup_free_ struct row *rows = calloc(cap, sizeof(*rows));
	if (!rows)
		return CROWD_EXIT_FAIL;
	size_t nrows = compare_all(&s, opt, rows);
	if (nrows == 0) {
		char ob[160] = "", nb[160] = "";
		backend_list(&o[0], ob, sizeof(ob));
		backend_list(&n[0], nb, sizeof(nb));
		crowd_usage_error("compare",
				  "nothing to compare: OLD has backends %s, NEW has %s%s%s, no "
				  "metric with ok samples in every folder",
				  ob, nb, opt->metric ? ", metric " : "",
				  opt->metric ? opt->metric->name : "");
	}
	struct decision dec = decide(rows, nrows, k, opt);
	int rc = dec.rc;
	if (opt->json) {
		if (print_json(&s, opt, rows, nrows, &dec) < 0)
			rc = CROWD_EXIT_FAIL;
	} else if (opt->markdown) {
		print_markdown(&s, opt, rows, nrows);
		print_decision(&dec, k, opt, "\n");
	} else if (opt->benchstat) {
		print_benchstat(&s, rows, nrows);
	} else {
		print_text(&s, opt, rows, nrows);
		putchar('\n');
		print_decision(&dec, k, opt, "");
	}
	for (size_t i = 0; i < nrows; i++) {
		free(rows[i].med_old);
		free(rows[i].med_new);
	}
	for (size_t i = 0; i < k; i++) {
		crowd_results_free(&o[i]);
		crowd_results_free(&n[i]);
	}
	return rc;
}

/* ---- --ab: run two crowd builds alternately, then compare the rounds ---- */

extern char **environ;

/* The temporary folder of an --ab run without --out, removed at exit whatever happens. */
static char ab_tmp[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void ab_tmp_remove(void)
{
	if (ab_tmp[0])
		nftw(ab_tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* CROWD bench ... --out DIR, stdout to /dev/null; its exit status, or 128+signal. */
static int ab_bench(const char *crowd, const char *dir, const struct compare_opts *opt)
{
	char n[16];
	snprintf(n, sizeof(n), "%u", opt->n);
	const char *fixed[] = {crowd,	    "bench", "-n",	  n,	     "--workload", "idle",
			       "--backend", "core",  "--no-load", "--quiet", "--out",	   dir};
	size_t nf = CROWD_ARRAY_SIZE(fixed), na = (size_t)opt->n_bench_args;
	_cleanup_free_ char **argv = calloc(nf + na + 1, sizeof(char *));
	if (!argv)
		return -1;
	for (size_t i = 0; i < nf; i++)
		argv[i] = (char *)fixed[i];
	for (size_t i = 0; i < na; i++)
		argv[nf + i] = opt->bench_args[i];
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execve(crowd, argv, environ);
		fprintf(stderr, "crowd compare: --ab: exec %s: %s\n", crowd, strerror(errno));
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int compare_sides(char **dirs, size_t k, const struct compare_opts *opt);

/* K rounds, ABBA: odd rounds run OLD first, even rounds NEW first, so whatever favours the
 * first (or second) run of a pair cancels out; then compare the rounds. */
static int ab(const char *old_crowd, const char *new_crowd, const struct compare_opts *opt)
{
	const char *crowds[2] = {old_crowd, new_crowd}, *sides[2] = {"old", "new"};
	for (int i = 0; i < 2; i++)
		if (access(crowds[i], X_OK) < 0)
			crowd_usage_error("compare",
					  "--ab: %s crowd '%s': %m (give the path of a "
					  "crowd binary)",
					  i ? "NEW" : "OLD", crowds[i]);
	const char *base = opt->out;
	if (!base) {
		snprintf(ab_tmp, sizeof(ab_tmp), "/tmp/crowd-ab.XXXXXX");
		if (!mkdtemp(ab_tmp)) {
			ab_tmp[0] = '\0';
			crowd_warn("compare", "--ab: mkdtemp: %m");
			return CROWD_EXIT_FAIL;
		}
		atexit(ab_tmp_remove);
		base = ab_tmp;
	} else if (mkdir(base, 0755) < 0 && errno != EEXIST) {
		crowd_usage_error("compare", "--out '%s': %m", base);
	}
	size_t k = opt->rounds;
	_cleanup_free_ char **dirs = calloc(2 * k, sizeof(char *));
	_cleanup_free_ char *names = malloc(2 * k * PATH_MAX);
	if (!dirs || !names)
		return CROWD_EXIT_FAIL;
	for (size_t i = 0; i < k; i++) {
		for (int j = 0; j < 2; j++) {
			/* round i (0-based): i even runs OLD first, odd runs NEW first */
			int side = i % 2 ? 1 - j : j;
			char *d = names + (2 * i + (size_t)side) * PATH_MAX;
			snprintf(d, PATH_MAX, "%s/%s-%zu", base, sides[side], i + 1);
			dirs[2 * i + (size_t)side] = d;
			if (!opt->json)
				fprintf(stderr, "crowd compare: --ab round %zu/%zu: %s\n", i + 1, k,
					sides[side]);
			int rc = ab_bench(crowds[side], d, opt);
			if (rc == 0)
				continue;
			crowd_warn("compare",
				   "--ab: the %s crowd's bench failed (exit %d) in round "
				   "%zu: no verdict",
				   sides[side], rc, i + 1);
			if (rc == CROWD_EXIT_USAGE)
				return CROWD_EXIT_USAGE;
			return rc == CROWD_EXIT_LEFTOVER || rc > 128 ? rc : CROWD_EXIT_FAIL;
		}
	}
	return compare_sides(dirs, k, opt);
}

/* ---- history (computed by harness/history.c, shared with crowd plot --history) ---- */

static int history(char **dirs, int n, const struct compare_opts *opt)
{
	struct crowd_error err = {0};
	struct crowd_history h;
	int rc = crowd_history_compute(dirs, (size_t)n, opt->metric, opt->backend, &h, &err);
	if (rc == -ENOMEM)
		return crowd_report("compare", &err);
	if (rc == -ENODATA)
		crowd_usage_error("compare", "--history: %s", err.msg);
	if (rc < 0)
		crowd_usage_error("compare", "%s (expected a results folder holding samples.csv)",
				  err.msg);
	const struct crowd_metric *m = h.metric;
	FILE *data = NULL;
	if (opt->data && !(data = fopen(opt->data, "we"))) {
		crowd_history_free(&h);
		crowd_usage_error("compare", "--data '%s': %m", opt->data);
	}
	printf("metric %s, oldest first\n", m->name);
	printf("%3s %-20s %-40s %-8s %5s %10s %21s %10s %10s\n", "#", "started", "run", "backend",
	       "n", "p50", "95% CI of p50", "p90", "p99");
	for (size_t i = 0; i < h.n; i++) {
		const struct crowd_history_row *w = &h.rows[i];
		const struct crowd_stats *st = &w->st;
		char a[32], c[32], d[32], e[32], f[32], ci[80];
		snprintf(ci, sizeof(ci), "[%s, %s]",
			 crowd_units_format(st->ci95_lo, m->unit, c, sizeof(c)),
			 crowd_units_format(st->ci95_hi, m->unit, d, sizeof(d)));
		printf("%3zu %-20s %-40.40s %-8s %5zu %10s %21s %10s %10s\n", w->index, w->started,
		       w->run, w->backend, st->n,
		       crowd_units_format(st->p50, m->unit, a, sizeof(a)), ci,
		       crowd_units_format(st->p90, m->unit, e, sizeof(e)),
		       crowd_units_format(st->p99, m->unit, f, sizeof(f)));
	}
	rc = CROWD_EXIT_OK;
	if (data) {
		int w = crowd_history_write_data(data, &h, NULL);
		if (fclose(data) != 0 || w < 0) {
			crowd_warn("compare", "write %s: %m", opt->data);
			rc = CROWD_EXIT_FAIL;
		}
	}
	crowd_history_free(&h);
	return rc;
}

static double parse_threshold(const char *arg)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end != arg && *end == '%')
		end++;
	if (errno || end == arg || *end || !(v >= 0 && v <= 100))
		crowd_usage_error(
		    "compare",
		    "--threshold '%s': allowed a percentage from 0 to 100, e.g. 5 or 2.5%%", arg);
	return v / 100;
}

/* --by host FLEET: bench/compare_hosts.c. */
static int by_host(const char *by, char **dirs, int n, const struct compare_opts *opt)
{
	if (strcmp(by, "host"))
		crowd_usage_error("compare", "--by '%s': allowed: host", by);
	if (n != 1)
		crowd_usage_error("compare", "--by host: give one fleet folder, got %d", n);
	if (opt->history || opt->markdown || opt->benchstat || opt->ab || opt->backend || opt->data)
		crowd_usage_error("compare",
				  "--by host goes with --metric, --threshold, --json only");
	return crowd_compare_by_host(dirs[0], opt->metric, opt->threshold, opt->json);
}

static unsigned parse_count(const char *arg, const char *what, unsigned lo, unsigned hi)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi)
		crowd_usage_error("compare", "%s '%s': allowed a whole number from %u to %u", what,
				  arg, lo, hi);
	return (unsigned)v;
}

int crowd_cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"threshold", required_argument, NULL, OPT_THRESHOLD},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"markdown", no_argument, NULL, OPT_MARKDOWN},
	    {"metric", required_argument, NULL, OPT_METRIC},
	    {"backend", required_argument, NULL, OPT_BACKEND},
	    {"history", no_argument, NULL, OPT_HISTORY},
	    {"data", required_argument, NULL, OPT_DATA},
	    {"by", required_argument, NULL, OPT_BY},
	    {"benchstat", no_argument, NULL, OPT_BENCHSTAT},
	    {"ab", no_argument, NULL, OPT_AB},
	    {"rounds", required_argument, NULL, OPT_ROUNDS},
	    {"out", required_argument, NULL, OPT_OUT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct compare_opts opt = {.threshold = 0.05, .rounds = 10, .n = 100};
	const char *by = NULL;
	int c;
	bool n_given = false, rounds_given = false;

	/* "--": what follows goes to --ab's bench runs, never to this parser */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			opt.bench_args = argv + i + 1;
			opt.n_bench_args = argc - i - 1;
			argc = i;
			break;
		}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case OPT_THRESHOLD:
			opt.threshold = parse_threshold(optarg);
			break;
		case OPT_JSON:
			opt.json = true;
			break;
		case OPT_MARKDOWN:
			opt.markdown = true;
			break;
		case OPT_METRIC:
			if (!(opt.metric = crowd_metric_find(optarg))) {
				char names[512];
				crowd_usage_error("compare", "--metric '%s': allowed: %s", optarg,
						  crowd_metric_names(names, sizeof(names)));
			}
			break;
		case OPT_BACKEND:
			opt.backend = optarg;
			break;
		case OPT_HISTORY:
			opt.history = true;
			break;
		case OPT_DATA:
			opt.data = optarg;
			break;
		case OPT_BY:
			by = optarg;
			break;
		case OPT_BENCHSTAT:
			opt.benchstat = true;
			break;
		case OPT_AB:
			opt.ab = true;
			break;
		case OPT_ROUNDS:
			opt.rounds = parse_count(optarg, "--rounds", 1, 1000);
			rounds_given = true;
			break;
		case 'n':
			opt.n = parse_count(optarg, "-n", 1, 1000000);
			n_given = true;
			break;
		case OPT_OUT:
			opt.out = optarg;
			break;
		case 'h':
			fputs(compare_help, stdout);
			return CROWD_EXIT_OK;
		case '?':
		default:
			if (optopt >= OPT_THRESHOLD)
				crowd_usage_error("compare", "option '%s' needs a value",
						  argv[optind - 1]);
			crowd_usage_error("compare",
					  "unknown option '%s'; see crowd compare --help",
					  argv[optind - 1]);
		}
	}
	int rest = argc - optind;
	if (opt.json + opt.markdown + opt.benchstat > 1)
		crowd_usage_error("compare", "--json, --markdown and --benchstat: choose one");
	if (by)
		return by_host(by, argv + optind, rest, &opt);
	if (opt.history) {
		if (rest < 1)
			crowd_usage_error("compare", "--history: give one or more results folders");
		if (opt.json || opt.markdown || opt.benchstat)
			crowd_usage_error(
			    "compare", "--history prints a table; use --data FILE for a data file");
		return history(argv + optind, rest, &opt);
	}
	if (opt.backend || opt.data)
		crowd_usage_error("compare", "--backend and --data go with --history");
	if (!opt.ab && (n_given || rounds_given || opt.out || opt.bench_args))
		crowd_usage_error("compare", "-n, --rounds, --out and '-- BENCH_OPTION...' go with "
					     "--ab");
	if (opt.ab) {
		if (rest != 2)
			crowd_usage_error("compare",
					  "--ab: expected two crowd binaries, OLD_CROWD "
					  "NEW_CROWD, got %d arguments",
					  rest);
		return ab(argv[optind], argv[optind + 1], &opt);
	}
	if (rest < 2 || rest % 2)
		crowd_usage_error(
		    "compare", "expected results folders in pairs, OLD NEW [OLD NEW ...], got %d",
		    rest);
	return compare_sides(argv + optind, (size_t)rest / 2, &opt);
}
