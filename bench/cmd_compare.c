/* crowd compare OLD NEW: did NEW get slower or fatter than OLD? For each backend and metric in
 * both folders: medians, NEW/OLD ratio with a bootstrap 95% CI, Mann–Whitney p, verdict.
 * crowd compare --history DIR...: one metric across many folders in time order. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare_hosts.h"
#include "results/history.h"
#include "results/results.h"
#include "results/stats.h"
#include "results/units.h"
#include "core/util.h"

static const char compare_help[] =
    "usage: crowd compare OLD NEW [OLD NEW ...] [--threshold PCT] [--json | --markdown]\n"
    "                     [--metric NAME]\n"
    "       crowd compare --history DIR... [--metric NAME] [--backend NAME] [--data FILE]\n"
    "       crowd compare --by host FLEET [--metric NAME] [--threshold PCT] [--json]\n\n"
    "Compare two results folders. For each backend and metric present in both: medians, the\n"
    "ratio NEW/OLD of the medians with a bootstrap 95% confidence interval, a Mann-Whitney U\n"
    "p-value, and a verdict. 'regressed' only when the interval excludes 1 and the change\n"
    "exceeds the threshold in the bad direction and p < 0.05 (lower is better, except rps).\n"
    "More pairs are interleaved rounds (run OLD, NEW, OLD, NEW, ...): the ratio is the\n"
    "geometric mean of the rounds' ratios, so a machine that drifts between rounds does not\n"
    "look like a change.\n\n"
    "  --threshold PCT  smallest change that counts, in percent (default 5)\n"
    "  --json           the comparison as JSON on stdout\n"
    "  --markdown       the comparison as a Markdown table (for a pull request)\n"
    "  --metric NAME    only this metric (default: all; history: spinup_ns)\n"
    "  --backend NAME   history: only this backend (default: all)\n"
    "  --history        the remaining arguments are folders; print one metric over them,\n"
    "                   oldest first (by summary.json 'started', else folder name)\n"
    "  --data FILE      history: also write a whitespace-separated data file for plotting\n"
    "  --by host        FLEET is a fleet folder (crowd merge): one row per host, its rows\n"
    "                   against the other hosts' pooled (docs/fleet.md); exits 0\n\n"
    "Exit: 0 no regression, 1 something regressed, 2 bad input.\n";

enum {
	OPT_THRESHOLD = 1000,
	OPT_JSON,
	OPT_MARKDOWN,
	OPT_METRIC,
	OPT_BACKEND,
	OPT_HISTORY,
	OPT_DATA,
	OPT_BY
};

struct compare_opts {
	double threshold; /* fraction: 0.05 */
	bool json, markdown, history;
	const struct crowd_metric *metric;
	const char *backend, *data;
};

struct row {
	const char *backend;
	const struct crowd_metric *metric; /* NULL: the failures row */
	struct crowd_stats_cmp c;	   /* failures row: medians hold the failure rates */
	size_t f_old, f_new;
};

static void load_or_exit(const char *dir, struct crowd_results *r)
{
	struct crowd_error err = {0};
	if (crowd_results_read(dir, r, &err) < 0)
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
		if (strcmp(r->samples[i].backend, b) ||
		    r->samples[i].status == CROWD_STATUS_INTERRUPTED)
			continue;
		ret[k] = r->samples[i].status == CROWD_STATUS_FAILED;
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
		ret->n[i] = m ? crowd_metric_values(m, r[i].samples, r[i].n, b, ret->v[i])
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
			int rc = crowd_stats_compare_rounds((const double *const *)o.v, o.n,
							    (const double *const *)n.v, n.n, s->k,
							    met->higher_is_better, opt->threshold,
							    CROWD_STATS_SEED + m, &r->c, &err);
			rounds_free(&o);
			rounds_free(&n);
			if (rc < 0) {
				crowd_warn("compare", "%s %s: %s", name, met->name, err.msg);
				continue;
			}
			k++;
		}
		if (!opt->metric && compare_failures(s, name, &rows[k]))
			k++;
	}
	return k;
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
		       "medians, "
		       "CI by two-level bootstrap, p by Mann-Whitney stratified by round\n",
		       s->k);
	printf("workload %s, threshold %g%%, 95%% bootstrap CI of NEW/OLD medians\n\n",
	       n->summary.workload, opt->threshold * 100);
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
		       fmt_ratio(r->c.ratio, c, sizeof(c)), ci, fmt_p(r->c.p, p, sizeof(p)),
		       bad ? "REGRESSED" : crowd_verdict_name(r->c.verdict), bad ? "  <<<" : "");
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
		       fmt_ratio(r->c.ratio_hi, e, sizeof(e)), fmt_p(r->c.p, p, sizeof(p)),
		       bad ? "**" : "", bad ? "REGRESSED" : crowd_verdict_name(r->c.verdict),
		       bad ? "**" : "");
	}
	if (!opt->metric)
		print_run_values_text(s, "", true);
	for (unsigned i = 0; i < s->o[0].summary.n_backends; i++)
		measurement_notes(s, s->o[0].summary.backends[i].name, print_note_text, "\n");
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static int print_json(const struct sides *s, const struct compare_opts *opt, const struct row *rows,
		      size_t k, bool regressed)
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
		if (!r->metric) {
			json_t *last = json_array_get(arr, json_array_size(arr) - 1);
			json_object_set_new(last, "failed_old", json_integer((json_int_t)r->f_old));
			json_object_set_new(last, "failed_new", json_integer((json_int_t)r->f_new));
		}
	}
	json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:f,s:b,s:o}", "old", o->summary.run, "new",
				 n->summary.run, "old_dir", o->dir, "new_dir", n->dir, "threshold",
				 opt->threshold, "regressed", regressed, "comparisons", arr);
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
	bool regressed = false;
	for (size_t i = 0; i < nrows; i++)
		regressed |= rows[i].c.verdict == CROWD_VERDICT_REGRESSED;
	int rc = regressed ? CROWD_EXIT_FAIL : CROWD_EXIT_OK;
	if (opt->json) {
		if (print_json(&s, opt, rows, nrows, regressed) < 0)
			rc = CROWD_EXIT_FAIL;
	} else if (opt->markdown) {
		print_markdown(&s, opt, rows, nrows);
	} else {
		print_text(&s, opt, rows, nrows);
		printf("\n%s\n",
		       regressed ? "REGRESSION: at least one metric got worse beyond the threshold"
				 : "no regression");
	}
	for (size_t i = 0; i < k; i++) {
		crowd_results_free(&o[i]);
		crowd_results_free(&n[i]);
	}
	return rc;
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
	if (opt->history || opt->markdown || opt->backend || opt->data)
		crowd_usage_error("compare", "--by host goes with --metric, --threshold, --json only");
	return crowd_compare_by_host(dirs[0], opt->metric, opt->threshold, opt->json);
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct compare_opts opt = {.threshold = 0.05};
	const char *by = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
	if (opt.json && opt.markdown)
		crowd_usage_error("compare", "--json and --markdown: choose one");
	if (by)
		return by_host(by, argv + optind, rest, &opt);
	if (opt.history) {
		if (rest < 1)
			crowd_usage_error("compare", "--history: give one or more results folders");
		if (opt.json || opt.markdown)
			crowd_usage_error(
			    "compare", "--history prints a table; use --data FILE for a data file");
		return history(argv + optind, rest, &opt);
	}
	if (opt.backend || opt.data)
		crowd_usage_error("compare", "--backend and --data go with --history");
	if (rest < 2 || rest % 2)
		crowd_usage_error(
		    "compare", "expected results folders in pairs, OLD NEW [OLD NEW ...], got %d",
		    rest);
	return compare_sides(argv + optind, (size_t)rest / 2, &opt);
}
