/* The plot's view of results folders (read by crowd_results_read), and the .dat files each
 * figure plots. */
#include "plotdata.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "stats.h"

#define NS_PER_MS     1e6
#define BYTES_PER_MIB 1048576.0

/* Each column: a metric of the results model, in display units. */
static const struct {
	const char *metric;
	double scale; /* base units per display unit */
} plot_columns[CROWD_PLOT_NCOLUMNS] = {
    [CROWD_PLOT_SPINUP_MS] = {"spinup_ns", NS_PER_MS},
    [CROWD_PLOT_PHASE_CGROUP_MS] = {"phase_cgroup_ns", NS_PER_MS},
    [CROWD_PLOT_PHASE_CLONE_MS] = {"phase_clone_ns", NS_PER_MS},
    [CROWD_PLOT_PHASE_SETUP_MS] = {"phase_setup_ns", NS_PER_MS},
    [CROWD_PLOT_PHASE_READY_MS] = {"phase_ready_ns", NS_PER_MS},
    [CROWD_PLOT_PHASE_FIRST_RESPONSE_MS] = {"phase_first_response_ns", NS_PER_MS},
    [CROWD_PLOT_CGROUP_MIB] = {"cgroup_bytes", BYTES_PER_MIB},
    [CROWD_PLOT_PSS_MIB] = {"pss_bytes", BYTES_PER_MIB},
    [CROWD_PLOT_RPS] = {"rps", 1},
    [CROWD_PLOT_ENGINE_MIB] = {"engine_bytes", BYTES_PER_MIB},
};

/* The ok values of column k of backend b, scaled and sorted (for CDFs and quantiles). */
static int column_fill(const struct crowd_results *res, struct crowd_plot_backend *b, int k)
{
	struct crowd_plot_values *c = &b->col[k];
	c->v = malloc((res->n ? res->n : 1) * sizeof(double));
	if (!c->v)
		return -ENOMEM;
	c->n = crowd_results_metric_values(res, crowd_metric_find(plot_columns[k].metric),
					   b->sum->name, c->v);
	for (size_t i = 0; i < c->n; i++)
		c->v[i] /= plot_columns[k].scale;
	crowd_stats_sort(c->v, c->n);
	return 0;
}

/* The footnote's words for the run's host and crowd version. */
static void describe(struct crowd_plot_run *r)
{
	const struct crowd_results_host *h = &r->res.host;
	const struct crowd_summary *s = &r->res.summary;
	char cpus[32] = "", mem[32] = "";
	if (!isnan(h->pus))
		snprintf(cpus, sizeof(cpus), ", %.0f CPUs", h->pus);
	if (!isnan(h->memory_total_bytes))
		snprintf(mem, sizeof(mem), ", %.1f GiB",
			 h->memory_total_bytes / (1024.0 * BYTES_PER_MIB));
	if (h->present)
		snprintf(r->host, sizeof(r->host), "%s%s%s, kernel %s, cgroups %s",
			 h->cpu_model[0] ? h->cpu_model : "unknown CPU", cpus, mem,
			 h->kernel[0] ? h->kernel : "?",
			 h->cgroup_layout[0] ? h->cgroup_layout : "?");
	else
		snprintf(r->host, sizeof(r->host), "host unknown (no host.json)");
	snprintf(r->version, sizeof(r->version), "crowd %s%s%s%s",
		 s->crowd_version[0] ? s->crowd_version : "?", s->git[0] ? " (" : "", s->git,
		 s->git[0] ? ")" : "");
}

void crowd_plot_run_free(struct crowd_plot_run *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_backends; i++)
		for (int k = 0; k < CROWD_PLOT_NCOLUMNS; k++)
			free(r->backend[i].col[k].v);
	crowd_results_free(&r->res);
	free(r);
}

static void run_freep(struct crowd_plot_run **r)
{
	crowd_plot_run_free(*r);
}

int crowd_plot_run_read(const char *dir, struct crowd_plot_run **ret, struct crowd_error *err)
{
	char real[PATH_MAX];
	__attribute__((cleanup(run_freep))) struct crowd_plot_run *r = calloc(1, sizeof(*r));
	if (!r)
		return crowd_error_errno(err, ENOMEM, "%s", dir);
	/* the real path: a figure's default place and the report name the run, not "latest" */
	/* values only, samples.csv streamed: a 600,000-row run fits in ~60 MB, not ~550 */
	const char *path = realpath(dir, real) ? real : dir;
	int rc = crowd_results_read_values(path, &r->res, err);
	if (rc < 0)
		return rc;
	if (r->res.summary.fleet) {
		/* a fleet is split into one run per host (crowd_plot_run_split_hosts), which needs
		 * whole rows with their host */
		crowd_results_free(&r->res);
		memset(&r->res, 0, sizeof(r->res));
		if ((rc = crowd_results_read(path, &r->res, err)) < 0)
			return rc;
	}
	if (!r->res.have_summary)
		return crowd_error_set(err, ENOENT,
				       "%s: not a results folder (no readable summary.json)", dir);
	describe(r);
	for (unsigned i = 0; i < r->res.summary.n_backends; i++) {
		const struct crowd_summary_backend *sb = &r->res.summary.backends[i];
		if (!sb->count)
			continue; /* named in summary.json, no sample */
		struct crowd_plot_backend *b = &r->backend[r->n_backends++];
		b->sum = sb;
		for (int k = 0; k < CROWD_PLOT_NCOLUMNS; k++)
			if (column_fill(&r->res, b, k) < 0)
				return crowd_error_errno(err, ENOMEM, "%s", dir);
	}
	*ret = crowd_steal_ptr(r);
	return 0;
}

/* One run of fleet's rows of host h (folder named h, summary from those rows). */
static int host_run(const struct crowd_plot_run *fleet, const char *h, struct crowd_plot_run **ret,
		    struct crowd_error *err)
{
	const struct crowd_results *src = &fleet->res;
	__attribute__((cleanup(run_freep))) struct crowd_plot_run *r = calloc(1, sizeof(*r));
	if (!r || !(r->res.samples = calloc(src->n + 1, sizeof(*r->res.samples))) ||
	    !(r->res.extra = calloc(src->n + 1, sizeof(*r->res.extra))))
		return crowd_error_errno(err, ENOMEM, "%s", src->dir);
	for (size_t k = 0; k < src->n; k++)
		if (!strcmp(src->extra[k].host, h)) {
			r->res.samples[r->res.n] = src->samples[k];
			r->res.extra[r->res.n++] = src->extra[k];
		}
	snprintf(r->res.dir, sizeof(r->res.dir), "%s", src->dir);
	snprintf(r->res.folder, sizeof(r->res.folder), "%s", h);
	r->res.host = src->host;
	r->res.have_summary = true;
	struct crowd_run_output o = {.samples = r->res.samples, .n = r->res.n, .host = h,
				     .run_name = h};
	int rc = crowd_results_summarize(&o, &r->res.summary, err);
	if (rc < 0)
		return rc;
	snprintf(r->res.summary.started, sizeof(r->res.summary.started), "%s",
		 src->summary.started);
	snprintf(r->host, sizeof(r->host), "host %s of fleet %s", h, src->folder);
	snprintf(r->version, sizeof(r->version), "%s", fleet->version);
	for (unsigned i = 0; i < r->res.summary.n_backends; i++) {
		struct crowd_plot_backend *b = &r->backend[r->n_backends++];
		b->sum = &r->res.summary.backends[i];
		for (int k = 0; k < CROWD_PLOT_NCOLUMNS; k++)
			if (column_fill(&r->res, b, k) < 0)
				return crowd_error_errno(err, ENOMEM, "%s", src->dir);
	}
	*ret = crowd_steal_ptr(r);
	return 0;
}

int crowd_plot_run_split_hosts(const struct crowd_plot_run *fleet, struct crowd_plot_run **ret,
			       size_t max, size_t *ret_n, struct crowd_error *err)
{
	const char *hosts[256];
	size_t nh = crowd_results_hosts(&fleet->res, hosts, CROWD_ARRAY_SIZE(hosts));
	if (nh > max)
		return crowd_error_set(err, E2BIG, "%s: %zu hosts, at most %zu series", fleet->res.dir,
				       nh, max);
	*ret_n = 0;
	for (size_t h = 0; h < nh; h++) {
		int rc = host_run(fleet, hosts[h], &ret[h], err);
		if (rc < 0) {
			while (h > 0)
				crowd_plot_run_free(ret[--h]);
			return rc;
		}
	}
	*ret_n = nh;
	return 0;
}

/* Quantile p in [0,1] of a column (the stats.h rule); NAN when it is empty. */
static double quantile(const struct crowd_plot_values *c, double p)
{
	return c->n ? crowd_stats_percentile_sorted(c->v, c->n, p * 100) : NAN;
}

/* A density.csv value in display units, NAN when absent (-1). */
static double shown(double v, double scale)
{
	return v == -1 ? NAN : v / scale;
}

/* ---- gnuplot variables ---- */

static int job_append(struct crowd_plot_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int job_append(struct crowd_plot_job *job, const char *fmt, ...)
{
	size_t len = strlen(job->vars);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(job->vars + len, sizeof(job->vars) - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(job->vars) - len) {
		job->vars[len] = '\0';
		return -ENOSPC;
	}
	return 0;
}

int crowd_plot_job_setstr(struct crowd_plot_job *job, const char *name, const char *value)
{
	char q[2048];
	size_t k = 0;
	for (const char *p = value; *p && k + 3 < sizeof(q); p++) {
		if (*p == '\'')
			q[k++] = '\'';
		q[k++] = *p == '\n' ? ' ' : *p;
	}
	q[k] = '\0';
	return job_append(job, "%s='%s'; ", name, q);
}

static int job_setnum(struct crowd_plot_job *job, const char *name, double v)
{
	return job_append(job, "%s=%.17g; ", name, v);
}

static int job_skip(struct crowd_plot_job *job, const char *reason)
{
	job->skip = true;
	snprintf(job->skip_reason, sizeof(job->skip_reason), "%s", reason);
	return 0;
}

/* A series title without blanks (gnuplot's word lists split on them): "backend", or
 * "folder:backend" when several folders overlay. */
static void series_title(char *buf, size_t len, const struct crowd_plot_run *r, const char *backend,
			 size_t nruns)
{
	if (nruns > 1 && backend)
		snprintf(buf, len, "%s:%s", r->res.folder, backend);
	else
		snprintf(buf, len, "%s", backend ? backend : r ? r->res.folder : "");
	for (char *p = buf; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\'' || *p == '"')
			*p = '_';
}

/* Word list of titles, grown as series are added. */
struct titles {
	char s[2048];
	unsigned n;
};

static void titles_add(struct titles *t, const char *title)
{
	size_t len = strlen(t->s);
	snprintf(t->s + len, sizeof(t->s) - len, "%s%s", t->n ? " " : "", title);
	t->n++;
}

static FILE *dat_open(const char *datadir, const char *name, int k, struct crowd_error *err)
{
	char path[PATH_MAX + 64];
	if (k >= 0)
		snprintf(path, sizeof(path), "%s/%s-%d.dat", datadir, name, k);
	else
		snprintf(path, sizeof(path), "%s/%s.dat", datadir, name);
	FILE *f = fopen(path, "we");
	if (!f)
		crowd_error_errno(err, errno, "%s", path);
	return f;
}

static int dat_close(FILE *f, const char *name, struct crowd_error *err)
{
	if (fclose(f) != 0)
		return crowd_error_errno(err, errno, "writing %s data", name);
	return 0;
}

static bool is_vm(const char *backend)
{
	return !strcmp(backend, "vm");
}

/* The container backends of the runs have a VM figure of their own when a VM ran: keep the
 * phase and memory bar charts on a scale where containers are visible. */
static bool any_vm(struct crowd_plot_run *const *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++)
			if (is_vm(runs[i]->backend[b].sum->name))
				return true;
	return false;
}

/* Line type of a backend: the same colour for it in every folder of an overlay (first
 * appearance order); the folder is told apart by its dash type. */
static unsigned backend_lt(struct crowd_plot_run *const *runs, size_t n, const char *name)
{
	const char *seen[CROWD_PLOT_MAX_BACKENDS * 4];
	unsigned k = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++) {
			const char *nm = runs[i]->backend[b].sum->name;
			bool dup = false;
			for (unsigned j = 0; j < k; j++)
				dup |= !strcmp(seen[j], nm);
			if (dup)
				continue;
			if (!strcmp(nm, name))
				return k + 1;
			if (k < CROWD_ARRAY_SIZE(seen))
				seen[k++] = nm;
		}
	return k + 1;
}

/* Word lists of line and dash types, one per series, next to the titles. */
struct styles {
	char lts[512], dts[512];
};

static void styles_add(struct styles *st, unsigned lt, unsigned dt)
{
	size_t l = strlen(st->lts), d = strlen(st->dts);
	snprintf(st->lts + l, sizeof(st->lts) - l, "%s%u", l ? " " : "", lt);
	snprintf(st->dts + d, sizeof(st->dts) - d, "%s%u", d ? " " : "", dt);
}

static int job_setstyles(struct crowd_plot_job *job, const struct styles *st)
{
	int r = crowd_plot_job_setstr(job, "lts", st->lts);
	return r < 0 ? r : crowd_plot_job_setstr(job, "dts", st->dts);
}

/* The host view of memory per instance, MiB; NAN when summary.json has none. */
static double host_mib(const struct crowd_plot_backend *be)
{
	return be->sum->mem_available_delta_per_instance / BYTES_PER_MIB;
}

static double median(const struct crowd_plot_values *c)
{
	return quantile(c, 0.5);
}

/* ---- figures ---- */

#define CDF_MAX_POINTS 5000

/* CDF of spin-up per backend: one file per series, "ms fraction" rows. */
static int prep_spinup_cdf(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			   struct crowd_plot_job *job, struct crowd_error *err)
{
	struct titles t = {0};
	struct styles st = {0};
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++) {
			const struct crowd_plot_values *c =
			    &runs[i]->backend[b].col[CROWD_PLOT_SPINUP_MS];
			if (c->n == 0)
				continue;
			FILE *f = dat_open(datadir, "spinup-cdf", (int)t.n + 1, err);
			if (!f)
				return -err->code;
			fprintf(f, "# spinup_ms fraction_le\n%.6f 0\n", c->v[0]);
			/* every sample up to CDF_MAX_POINTS; beyond, that many evenly spaced ranks
			 * and the last (a line of 10^5 points looks the same and costs gnuplot
			 * seconds) */
			size_t step = c->n > CDF_MAX_POINTS ? c->n / CDF_MAX_POINTS : 1;
			for (size_t k = step - 1; k < c->n; k += step)
				fprintf(f, "%.6f %.6f\n", c->v[k], (double)(k + 1) / (double)c->n);
			if (step > 1 && c->n % step != 0)
				fprintf(f, "%.6f 1\n", c->v[c->n - 1]);
			int r = dat_close(f, "spinup-cdf", err);
			if (r < 0)
				return r;
			char title[200];
			series_title(title, sizeof(title), runs[i], runs[i]->backend[b].sum->name,
				     n);
			titles_add(&t, title);
			styles_add(&st, backend_lt(runs, n, runs[i]->backend[b].sum->name),
				   (unsigned)i + 1);
		}
	if (t.n == 0)
		return job_skip(job, "no sample has a spin-up time");
	job_setnum(job, "n", t.n);
	job_setstyles(job, &st);
	return crowd_plot_job_setstr(job, "titles", t.s);
}

static const enum crowd_plot_column phase_columns[] = {
    CROWD_PLOT_PHASE_CGROUP_MS, CROWD_PLOT_PHASE_CLONE_MS,	    CROWD_PLOT_PHASE_SETUP_MS,
    CROWD_PLOT_PHASE_READY_MS,	CROWD_PLOT_PHASE_FIRST_RESPONSE_MS,
};

/* Median of each phase per backend, one row each; absent phases are 0 (not drawn). */
static int prep_phases(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
		       struct crowd_plot_job *job, struct crowd_error *err)
{
	bool vm = any_vm(runs, n);
	FILE *f = dat_open(datadir, "phases", -1, err);
	if (!f)
		return -err->code;
	fprintf(f, "backend cgroup clone setup exec-to-ready first-response spinup_p50\n");
	unsigned rows = 0;
	bool first_response = false;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++) {
			const struct crowd_plot_backend *be = &runs[i]->backend[b];
			if (is_vm(be->sum->name))
				continue;
			bool any = false;
			for (size_t p = 0; p < CROWD_ARRAY_SIZE(phase_columns); p++)
				any |= be->col[phase_columns[p]].n > 0;
			if (!any)
				continue;
			char title[200];
			series_title(title, sizeof(title), runs[i], be->sum->name, n);
			fprintf(f, "%s", title);
			for (size_t p = 0; p < CROWD_ARRAY_SIZE(phase_columns); p++) {
				const struct crowd_plot_values *c = &be->col[phase_columns[p]];
				fprintf(f, " %.6f", c->n ? median(c) : 0.0);
			}
			first_response |= be->col[CROWD_PLOT_PHASE_FIRST_RESPONSE_MS].n > 0;
			double sp = median(&be->col[CROWD_PLOT_SPINUP_MS]);
			fprintf(f, " %.6f\n", isnan(sp) ? 0.0 : sp);
			rows++;
		}
	int r = dat_close(f, "phases", err);
	if (r < 0)
		return r;
	if (rows == 0)
		return job_skip(job, "no container backend has phase timestamps");
	job_setnum(job, "rows", rows);
	job_setnum(job, "first_response", first_response);
	return crowd_plot_job_setstr(job, "note", vm ? "vm left out: see containers-vs-vm" : "");
}

/* Memory per container: p50 with p10..p90 of cgroup and PSS, and the host view. */
static int prep_memory(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
		       struct crowd_plot_job *job, struct crowd_error *err)
{
	bool vm = any_vm(runs, n);
	FILE *f = dat_open(datadir, "memory", -1, err);
	if (!f)
		return -err->code;
	fprintf(
	    f, "backend cgroup_p50 cgroup_p10 cgroup_p90 pss_p50 pss_p10 pss_p90 host host host\n");
	unsigned rows = 0;
	bool has[3] = {false, false, false}; /* cgroup, PSS, host view */
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++) {
			const struct crowd_plot_backend *be = &runs[i]->backend[b];
			const struct crowd_plot_values *cg = &be->col[CROWD_PLOT_CGROUP_MIB];
			const struct crowd_plot_values *pss = &be->col[CROWD_PLOT_PSS_MIB];
			if (is_vm(be->sum->name) ||
			    (cg->n == 0 && pss->n == 0 && isnan(host_mib(be))))
				continue;
			has[0] |= cg->n > 0;
			has[1] |= pss->n > 0;
			has[2] |= !isnan(host_mib(be));
			char title[200];
			series_title(title, sizeof(title), runs[i], be->sum->name, n);
			fprintf(f, "%s", title);
			const struct crowd_plot_values *cols[] = {cg, pss};
			for (size_t k = 0; k < CROWD_ARRAY_SIZE(cols); k++) {
				if (cols[k]->n == 0)
					fprintf(f, " NaN NaN NaN");
				else
					fprintf(f, " %.6f %.6f %.6f", median(cols[k]),
						quantile(cols[k], 0.1), quantile(cols[k], 0.9));
			}
			if (isnan(host_mib(be)))
				fprintf(f, " NaN NaN NaN\n");
			else
				fprintf(f, " %.6f %.6f %.6f\n", host_mib(be), host_mib(be),
					host_mib(be));
			rows++;
		}
	int r = dat_close(f, "memory", err);
	if (r < 0)
		return r;
	if (rows == 0)
		return job_skip(job, "no container backend has memory measurements");
	job_setnum(job, "rows", rows);
	char kinds[8];
	snprintf(kinds, sizeof(kinds), "%s%s%s", has[0] ? "1 " : "", has[1] ? "2 " : "",
		 has[2] ? "3" : "");
	crowd_plot_job_setstr(job, "kinds", kinds);
	return crowd_plot_job_setstr(job, "note", vm ? "vm left out: see containers-vs-vm" : "");
}

/* Requests/s per container: one data block per series (separated by two blank lines). */
static int prep_throughput(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			   struct crowd_plot_job *job, struct crowd_error *err)
{
	struct titles t = {0};
	struct styles st = {0};
	FILE *f = dat_open(datadir, "throughput", -1, err);
	if (!f)
		return -err->code;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends; b++) {
			const struct crowd_plot_values *c =
			    &runs[i]->backend[b].col[CROWD_PLOT_RPS];
			if (c->n == 0)
				continue;
			char title[200];
			series_title(title, sizeof(title), runs[i], runs[i]->backend[b].sum->name,
				     n);
			fprintf(f, "%s# %s\n", t.n ? "\n\n" : "", title);
			for (size_t k = 0; k < c->n; k++)
				fprintf(f, "%.3f\n", c->v[k]);
			titles_add(&t, title);
			styles_add(&st, backend_lt(runs, n, runs[i]->backend[b].sum->name),
				   (unsigned)i + 1);
		}
	int r = dat_close(f, "throughput", err);
	if (r < 0)
		return r;
	if (t.n == 0)
		return job_skip(job,
				"no sample has requests/s (run with load, e.g. --duration 5s)");
	job_setnum(job, "n", t.n);
	job_setstyles(job, &st);
	return crowd_plot_job_setstr(job, "titles", t.s);
}

/* Requests/s against N, per container and in aggregate. A density folder gives a curve:
 * density.csv has the mean over the containers loaded at each step, so its aggregate is that
 * mean times N (an estimate; the title says so). Plain runs give one point per folder and
 * backend (load.total_rps, else the sum over the samples), joined across folders in order of
 * N. Data: rps-vs-n-<i>.dat "count per_container aggregate". */
struct rps_point {
	double count, per, agg;
	const char *folder;
};

static int cmp_point(const void *a, const void *b)
{
	const struct rps_point *x = a, *y = b;
	return (x->count > y->count) - (x->count < y->count);
}

static int prep_rps_vs_n(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			 struct crowd_plot_job *job, struct crowd_error *err)
{
	struct titles t = {0};
	struct styles st = {0};
	char est[256] = "";
	unsigned most = 0;
	for (size_t i = 0; i < n; i++) {
		const struct crowd_plot_run *r = runs[i];
		if (!r->res.steps)
			continue;
		FILE *f = dat_open(datadir, "rps-vs-n", (int)t.n + 1, err);
		if (!f)
			return -err->code;
		fprintf(f, "# count rps_per_container aggregate_rps(estimate: mean x N)\n");
		unsigned pts = 0;
		for (size_t s = 0; s < r->res.n_steps; s++) {
			const struct crowd_density_step *d = &r->res.steps[s];
			if (isnan(d->rps_per_instance) || d->rps_per_instance < 0)
				continue;
			fprintf(f, "%u %.3f %.3f\n", d->count, d->rps_per_instance,
				d->count * d->rps_per_instance);
			pts++;
		}
		int rc = dat_close(f, "rps-vs-n", err);
		if (rc < 0)
			return rc;
		if (pts == 0)
			continue;
		char title[200], full[220];
		series_title(title, sizeof(title), r, NULL, n);
		snprintf(full, sizeof(full), "%s(density)", title);
		titles_add(&t, full);
		styles_add(&st, backend_lt(runs, n, r->n_backends ? r->backend[0].sum->name : ""),
			   2);
		size_t l = strlen(est);
		snprintf(est + l, sizeof(est) - l, "%s1", l ? " " : "");
		most = pts > most ? pts : most;
	}
	/* Plain runs: one series per backend name across the folders. */
	const char *names[CROWD_PLOT_MAX_BACKENDS * 4];
	unsigned nn = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends && !runs[i]->res.steps; b++) {
			const char *nm = runs[i]->backend[b].sum->name;
			bool seen = false;
			for (unsigned k = 0; k < nn; k++)
				seen |= !strcmp(names[k], nm);
			if (!seen && nn < CROWD_ARRAY_SIZE(names))
				names[nn++] = nm;
		}
	for (unsigned k = 0; k < nn; k++) {
		struct rps_point pt[64];
		unsigned pts = 0;
		for (size_t i = 0; i < n && pts < CROWD_ARRAY_SIZE(pt); i++)
			for (unsigned b = 0; b < runs[i]->n_backends && !runs[i]->res.steps; b++) {
				const struct crowd_plot_backend *be = &runs[i]->backend[b];
				const struct crowd_plot_values *c = &be->col[CROWD_PLOT_RPS];
				if (strcmp(be->sum->name, names[k]) || c->n == 0)
					continue;
				double sum = 0;
				for (size_t j = 0; j < c->n; j++)
					sum += c->v[j];
				double agg = isnan(be->sum->total_rps) ? sum : be->sum->total_rps;
				pt[pts++] = (struct rps_point){(double)c->n, agg / (double)c->n,
							       agg, runs[i]->res.folder};
				break;
			}
		if (pts == 0)
			continue;
		qsort(pt, pts, sizeof(pt[0]), cmp_point);
		FILE *f = dat_open(datadir, "rps-vs-n", (int)t.n + 1, err);
		if (!f)
			return -err->code;
		fprintf(f, "# count rps_per_container aggregate_rps folder\n");
		for (unsigned j = 0; j < pts; j++)
			fprintf(f, "%.0f %.3f %.3f %s\n", pt[j].count, pt[j].per, pt[j].agg,
				pt[j].folder);
		int rc = dat_close(f, "rps-vs-n", err);
		if (rc < 0)
			return rc;
		titles_add(&t, names[k]);
		styles_add(&st, backend_lt(runs, n, names[k]), 1);
		size_t l = strlen(est);
		snprintf(est + l, sizeof(est) - l, "%s0", l ? " " : "");
		most = pts > most ? pts : most;
	}
	if (most < 2)
		return job_skip(job, "needs requests/s at two or more N: a density run with load, "
				     "or several folders with load at different N");
	job_setnum(job, "n", t.n);
	job_setstyles(job, &st);
	crowd_plot_job_setstr(job, "est", est);
	return crowd_plot_job_setstr(job, "titles", t.s);
}

/* Density: per folder, memory per container and spin-up against N, and the stop point. */
static int prep_density(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			struct crowd_plot_job *job, struct crowd_error *err)
{
	struct titles t = {0};
	char stops[512] = "", reasons[512] = "";
	/* Two ramps (e.g. --backend core and --backend vm in the same budget): how many of the
	 * one fit per one of the other, written on the figure. */
	char who[2][64];
	double count[2];
	unsigned nc = 0;
	for (size_t i = 0; i < n; i++) {
		const struct crowd_plot_run *r = runs[i];
		if (!r->res.steps)
			continue;
		const struct crowd_summary *su = &r->res.summary;
		if (su->have_density && su->density_max_count > 0 && su->n_backends == 1) {
			if (nc < 2) {
				const struct crowd_summary_backend *b = &su->backends[0];
				snprintf(who[nc], sizeof(who[nc]), "%s%s%s%s", b->name,
					 b->accel[0] ? " (" : "", b->accel, b->accel[0] ? ")" : "");
				count[nc] = (double)su->density_max_count;
			}
			nc++;
		}
		FILE *f = dat_open(datadir, "density", (int)t.n + 1, err);
		if (!f)
			return -err->code;
		fprintf(f, "# count mem_available_mib slab_mib cgroup_mib pss_mib spinup_p50_ms "
			   "spinup_p99_ms\n");
		for (size_t s = 0; s < r->res.n_steps; s++) {
			const struct crowd_density_step *d = &r->res.steps[s];
			fprintf(f, "%u %.6f %.6f %.6f %.6f %.6f %.6f\n", d->count,
				shown(d->mem_available_per_instance_bytes, BYTES_PER_MIB),
				shown(d->slab_per_instance_bytes, BYTES_PER_MIB),
				shown(d->cgroup_per_instance_bytes, BYTES_PER_MIB),
				shown(d->pss_per_instance_bytes, BYTES_PER_MIB),
				shown((double)d->spinup_p50_ns, NS_PER_MS),
				shown((double)d->spinup_p99_ns, NS_PER_MS));
		}
		int rc = dat_close(f, "density", err);
		if (rc < 0)
			return rc;
		char title[200];
		series_title(title, sizeof(title), r, NULL, n);
		titles_add(&t, title);
		size_t ls = strlen(stops), lr = strlen(reasons);
		snprintf(stops + ls, sizeof(stops) - ls, "%s%.0f", t.n > 1 ? " " : "",
			 r->res.summary.have_density ? (double)r->res.summary.density_max_count
						     : -1.0);
		snprintf(reasons + lr, sizeof(reasons) - lr, "%s%s", t.n > 1 ? " " : "",
			 r->res.summary.density_stopped_by[0] ? r->res.summary.density_stopped_by
							      : "unknown");
	}
	if (t.n == 0)
		return job_skip(job, "no folder has density.csv (made by crowd density)");
	job_setnum(job, "n", t.n);
	if (nc == 2) {
		unsigned hi = count[0] >= count[1] ? 0 : 1, lo = 1 - hi;
		char ratio[256];
		snprintf(ratio, sizeof(ratio), "%s: %.0f, %s: %.0f: %.1f %s per %s", who[hi],
			 count[hi], who[lo], count[lo], count[hi] / count[lo], who[hi], who[lo]);
		crowd_plot_job_setstr(job, "ratio", ratio);
	}
	crowd_plot_job_setstr(job, "titles", t.s);
	crowd_plot_job_setstr(job, "stops", stops);
	return crowd_plot_job_setstr(job, "reasons", reasons);
}

/* Containers against the VM of the same folder: spin-up p50 and PSS p50 per instance, with
 * the VM/container ratio per container backend. An engine's bar (docker, podman, ...) adds
 * its per-container cost outside the container (engine_bytes: shim or monitor, daemon
 * share), as the VM's is its whole QEMU process. */
static int prep_vm(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
		   struct crowd_plot_job *job, struct crowd_error *err)
{
	unsigned rows = 0;
	FILE *f = dat_open(datadir, "containers-vs-vm", -1, err);
	if (!f)
		return -err->code;
	fprintf(f, "backend spinup_p50_ms pss_p50_mib spinup_ratio pss_ratio is_vm\n");
	for (size_t i = 0; i < n; i++) {
		const struct crowd_plot_run *r = runs[i];
		const struct crowd_plot_backend *vm = NULL;
		for (unsigned b = 0; b < r->n_backends; b++)
			if (is_vm(r->backend[b].sum->name))
				vm = &r->backend[b];
		if (!vm)
			continue;
		double vs = median(&vm->col[CROWD_PLOT_SPINUP_MS]);
		double vp = median(&vm->col[CROWD_PLOT_PSS_MIB]);
		for (unsigned b = 0; b < r->n_backends; b++) {
			const struct crowd_plot_backend *be = &r->backend[b];
			double s = median(&be->col[CROWD_PLOT_SPINUP_MS]);
			double p = median(&be->col[CROWD_PLOT_PSS_MIB]);
			if (isnan(s) && isnan(p))
				continue;
			if (be->col[CROWD_PLOT_ENGINE_MIB].n && !isnan(p))
				p += median(&be->col[CROWD_PLOT_ENGINE_MIB]);
			char name[48], title[200];
			/* Software emulation is much slower than KVM: say which one ran. */
			snprintf(name, sizeof(name), "%s%s%s%s", be->sum->name,
				 be->sum->accel[0] ? "(" : "", be->sum->accel,
				 be->sum->accel[0] ? ")" : "");
			series_title(title, sizeof(title), r, name, n);
			fprintf(f, "%s %.6f %.6f %.6g %.6g %d\n", title, s, p, vs / s, vp / p,
				be == vm);
			rows++;
		}
	}
	int rc = dat_close(f, "containers-vs-vm", err);
	if (rc < 0)
		return rc;
	if (rows == 0)
		return job_skip(job, "no folder has a vm backend with samples");
	return job_setnum(job, "rows", rows);
}

const struct crowd_plot_figure crowd_plot_figures[] = {
    {"spinup-cdf", "spinup-cdf.gp", "Spin-up latency CDF", prep_spinup_cdf},
    {"phases", "phases.gp", "Spin-up phases (median)", prep_phases},
    {"memory", "memory.gp", "Memory per container", prep_memory},
    {"throughput", "throughput.gp", "Requests/s per container", prep_throughput},
    {"rps-vs-n", "rps-vs-n.gp", "Requests/s against N", prep_rps_vs_n},
    {"density", "density.gp", "Density", prep_density},
    {"containers-vs-vm", "containers-vs-vm.gp", "Containers against VMs", prep_vm},
    {"kernel-objects", "kernel-objects.gp", "Kernel memory by object", crowd_plot_prep_kernel},
    {"sweep", "sweep.gp", "Price of each primitive", crowd_plot_prep_sweep},
    {NULL, NULL, NULL, NULL},
};

/* ---- the trend figure of crowd plot --history ---- */

/* How a metric is drawn: its words on the axis and the unit it is shown in. */
static const struct {
	const char *metric, *what;
} history_words[] = {
    {"spinup_ns", "spin-up latency"},
    {"phase_cgroup_ns", "phase cgroup"},
    {"phase_clone_ns", "phase clone"},
    {"phase_setup_ns", "phase setup"},
    {"phase_ready_ns", "phase exec to ready"},
    {"phase_first_response_ns", "phase first response"},
    {"teardown_ns", "teardown"},
    {"cgroup_bytes", "cgroup memory per container"},
    {"pss_bytes", "PSS per container"},
    {"rss_bytes", "RSS per container"},
    {"rps", "requests/s per container"},
};

static const struct {
	const char *unit, *shown;
	double scale;
} history_units[] = {
    {"ns", "ms", 1e6},
    {"bytes", "MiB", 1048576.0},
    {"req/s", "req/s", 1},
};

int crowd_plot_history_prepare(const struct crowd_history *h, const char *datadir,
			       struct crowd_plot_job *job, char *title, size_t title_len,
			       struct crowd_error *err)
{
	const struct crowd_metric *m = h->metric;
	const char *what = m->name, *shown = m->unit;
	double scale = 1;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(history_words); i++)
		if (!strcmp(history_words[i].metric, m->name))
			what = history_words[i].what;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(history_units); i++)
		if (!strcmp(history_units[i].unit, m->unit)) {
			shown = history_units[i].shown;
			scale = history_units[i].scale;
		}

	/* history.dat: every row, the same file as crowd compare --history --data */
	FILE *f = dat_open(datadir, "history", -1, err);
	if (!f)
		return -err->code;
	int r = crowd_history_write_data(f, h, NULL);
	int c = dat_close(f, "history", err);
	if (r < 0 || c < 0)
		return r < 0 ? crowd_error_set(err, EIO, "writing history data") : c;
	/* history-runs.dat: "index started run" of every folder, for the x labels */
	if (!(f = dat_open(datadir, "history-runs", -1, err)))
		return -err->code;
	fprintf(f, "# index started run\n");
	for (size_t i = 0; i < h->n_runs; i++) {
		const char *started = "-";
		for (size_t k = 0; k < h->n; k++)
			if (h->rows[k].index == i)
				started = h->rows[k].started;
		fprintf(f, "%zu %s %s\n", i, started, h->runs[i]);
	}
	if ((c = dat_close(f, "history-runs", err)) < 0)
		return c;
	/* history-<i>.dat: the rows of backend i */
	struct titles t = {0};
	for (unsigned b = 0; b < h->n_backends; b++) {
		if (!(f = dat_open(datadir, "history", (int)b + 1, err)))
			return -err->code;
		r = crowd_history_write_data(f, h, h->backends[b]);
		c = dat_close(f, "history", err);
		if (r < 0 || c < 0)
			return r < 0 ? crowd_error_set(err, EIO, "writing history data") : c;
		char word[40];
		series_title(word, sizeof(word), NULL, h->backends[b], 1);
		titles_add(&t, word);
	}
	/* a log axis when the values span more than 30x (a VM beside containers), and all
	 * are positive */
	double lo = INFINITY, hi = -INFINITY;
	for (size_t k = 0; k < h->n; k++) {
		const struct crowd_stats *s = &h->rows[k].st;
		double v[] = {s->p50, s->ci95_lo, s->ci95_hi, s->p90, s->p99};
		for (size_t j = 0; j < CROWD_ARRAY_SIZE(v); j++) {
			lo = fmin(lo, v[j]);
			hi = fmax(hi, v[j]);
		}
	}
	bool logy = lo > 0 && hi / lo > 30;
	char ylabel[128];
	snprintf(ylabel, sizeof(ylabel), "%s (%s%s)", what, shown, logy ? ", log scale" : "");
	snprintf(title, title_len, "Trend of %s over %zu results folders", what, h->n_runs);
	job_setnum(job, "n", h->n_backends);
	job_setnum(job, "nruns", (double)h->n_runs);
	job_setnum(job, "scale", scale);
	job_setnum(job, "logy", logy);
	crowd_plot_job_setstr(job, "metric", m->name);
	crowd_plot_job_setstr(job, "ylabel", ylabel);
	return crowd_plot_job_setstr(job, "titles", t.s);
}
