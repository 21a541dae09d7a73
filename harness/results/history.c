/* One metric across many results folders in time order (history.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "core/util.h"

static int cmp_results(const void *a, const void *b)
{
	const struct crowd_results *x = a, *y = b;
	/* started is ISO 8601 UTC, so text order is time order; the run name (which starts
	 * with a timestamp) breaks ties and stands in when summary.json is absent */
	int c = strcmp(x->summary.started, y->summary.started);
	return c ? c : strcmp(x->summary.run, y->summary.run);
}

/* s into buf with whitespace as '_', so the data file stays whitespace-separated. */
static void copy_word(char *buf, size_t len, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		buf[i] = isspace((unsigned char)s[i]) ? '_' : s[i];
	buf[i] = '\0';
	if (!i && len > 1)
		snprintf(buf, len, "-");
}

static void add_backend(struct crowd_history *h, const char *b)
{
	for (unsigned i = 0; i < h->n_backends; i++)
		if (!strcmp(h->backends[i], b))
			return;
	if (h->n_backends < CROWD_MAX_BACKENDS)
		snprintf(h->backends[h->n_backends++], sizeof(h->backends[0]), "%s", b);
}

static int summarize(struct crowd_history *h, const struct crowd_results *r, size_t index,
		     const char *backend, struct crowd_error *err)
{
	_cleanup_free_ double *v = malloc((r->n ? r->n : 1) * sizeof(double));
	if (!v)
		return crowd_error_set(err, ENOMEM, "history: out of memory");
	for (unsigned b = 0; b < r->summary.n_backends; b++) {
		const char *name = r->summary.backends[b].name;
		if (backend && strcmp(backend, name))
			continue;
		size_t k = crowd_metric_values(h->metric, r->samples, r->n, name, v);
		if (!k)
			continue;
		struct crowd_history_row *row = &h->rows[h->n];
		*row = (struct crowd_history_row){.index = index};
		int rc = crowd_stats_summarize(v, k, CROWD_STATS_SEED, &row->st, err);
		if (rc < 0)
			return rc;
		copy_word(row->started, sizeof(row->started), r->summary.started);
		copy_word(row->run, sizeof(row->run), r->summary.run);
		snprintf(row->backend, sizeof(row->backend), "%s", name);
		add_backend(h, name);
		h->n++;
	}
	return 0;
}

int crowd_history_compute(char *const *dirs, size_t n, const struct crowd_metric *m,
			  const char *backend, struct crowd_history *ret, struct crowd_error *err)
{
	int rc = 0;
	*ret = (struct crowd_history){.metric = m ? m : crowd_metric_find("spinup_ns")};
	if (n == 0)
		return crowd_error_set(err, EINVAL, "history: no results folder given");
	struct crowd_results *r = calloc(n, sizeof(*r));
	ret->runs = calloc(n, sizeof(*ret->runs));
	ret->rows = calloc(n * CROWD_MAX_BACKENDS, sizeof(*ret->rows));
	if (!r || !ret->runs || !ret->rows) {
		rc = crowd_error_set(err, ENOMEM, "history: out of memory");
		goto out;
	}
	size_t loaded = 0;
	for (; loaded < n; loaded++) {
		rc = crowd_results_read(dirs[loaded], &r[loaded], err);
		if (rc < 0)
			goto out;
		if (r[loaded].n == 0) {
			rc = crowd_error_set(err, EINVAL, "%s: samples.csv has no rows",
					     dirs[loaded]);
			loaded++;
			goto out;
		}
	}
	qsort(r, n, sizeof(*r), cmp_results);
	for (size_t i = 0; i < n; i++) {
		copy_word(ret->runs[i], sizeof(ret->runs[i]), r[i].summary.run);
		rc = summarize(ret, &r[i], i, backend, err);
		if (rc < 0)
			goto out;
	}
	ret->n_runs = n;
	if (!ret->n)
		rc = crowd_error_set(err, ENODATA, "no folder has ok samples of %s%s%s",
				     ret->metric->name, backend ? " for backend " : "",
				     backend ? backend : "");
out:
	for (size_t i = 0; r && i < n; i++)
		crowd_results_free(&r[i]);
	free(r);
	if (rc < 0)
		crowd_history_free(ret);
	return rc;
}

void crowd_history_free(struct crowd_history *h)
{
	free(h->runs);
	free(h->rows);
	h->runs = NULL;
	h->rows = NULL;
	h->n = h->n_runs = 0;
	h->n_backends = 0;
}

int crowd_history_write_data(FILE *f, const struct crowd_history *h, const char *backend)
{
	fprintf(f,
		"# crowd compare --history, metric %s (%s)\n"
		"# index started run backend n p50 ci95_lo ci95_hi p90 p99\n",
		h->metric->name, h->metric->unit);
	for (size_t i = 0; i < h->n; i++) {
		const struct crowd_history_row *w = &h->rows[i];
		if (backend && strcmp(backend, w->backend))
			continue;
		fprintf(f, "%zu %s %s %s %zu %.15g %.15g %.15g %.15g %.15g\n", w->index, w->started,
			w->run, w->backend, w->st.n, w->st.p50, w->st.ci95_lo, w->st.ci95_hi,
			w->st.p90, w->st.p99);
	}
	return ferror(f) ? -EIO : 0;
}
