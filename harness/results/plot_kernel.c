/* The kernel-objects and sweep figures of crowd plot: see plotdata.h. */
#include "plotdata.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEPS 512
#define MAX_KINDS 48
#define TOP_KINDS 7

struct kinds {
	char name[MAX_KINDS][32];
	double total[MAX_KINDS];
	unsigned n;
	unsigned steps[MAX_STEPS], counts[MAX_STEPS];
	unsigned n_steps;
	double *v; /* [step][kind] bytes per instance */
};

static int kind_index(struct kinds *k, const char *name)
{
	for (unsigned i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name))
			return (int)i;
	if (k->n == MAX_KINDS)
		return -1;
	snprintf(k->name[k->n], sizeof(k->name[0]), "%.31s", name);
	return (int)k->n++;
}

static int step_index(struct kinds *k, unsigned step, unsigned count)
{
	if (k->n_steps && k->steps[k->n_steps - 1] == step)
		return (int)k->n_steps - 1;
	if (k->n_steps == MAX_STEPS)
		return -1;
	k->steps[k->n_steps] = step;
	k->counts[k->n_steps] = count;
	return (int)k->n_steps++;
}

/* slab.csv of dir into k: per step and kind (kmalloc caches by name), bytes per instance
 * (meminfo rows left out). */
static int read_slab(const char *dir, struct kinds *k)
{
	char path[PATH_MAX + 16], line[512];
	snprintf(path, sizeof(path), "%s/slab.csv", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	k->v = calloc((size_t)MAX_STEPS * MAX_KINDS, sizeof(double));
	if (!k->v) {
		fclose(f);
		return -ENOMEM;
	}
	bool header = true;
	while (fgets(line, sizeof(line), f)) {
		unsigned step, count;
		char cache[64], kind[64];
		double added, bytes;
		if (header) {
			header = false;
			continue;
		}
		if (sscanf(line, "%u,%u,%lf,%63[^,],%63[^,],%lf", &step, &count, &added, cache,
			   kind, &bytes) != 6 ||
		    !strcmp(kind, "meminfo"))
			continue;
		/* kmalloc caches by size: kmalloc-1k holds other objects than kmalloc-64 */
		int s = step_index(k, step, count),
		    c = kind_index(k, !strncmp(kind, "kmalloc", 7) ? cache : kind);
		if (s < 0 || c < 0)
			continue;
		k->v[(size_t)s * MAX_KINDS + (size_t)c] += bytes;
		k->total[c] += bytes;
	}
	fclose(f);
	return k->n_steps ? 0 : -ENODATA;
}

int crowd_plot_prep_kernel(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			   struct crowd_plot_job *job, struct crowd_error *err)
{
	static struct kinds k;
	const struct crowd_plot_run *run = NULL;
	/* the folder with the most steps (a density ramp over a bench's one) */
	size_t best = 0, best_steps = 0;
	for (size_t i = 0; i < n; i++) {
		free(k.v);
		memset(&k, 0, sizeof(k));
		if (read_slab(runs[i]->res.dir, &k) == 0 && k.n_steps > best_steps) {
			best = i;
			best_steps = k.n_steps;
		}
	}
	free(k.v);
	memset(&k, 0, sizeof(k));
	if (best_steps && read_slab(runs[best]->res.dir, &k) == 0)
		run = runs[best];
	if (!run) {
		job->skip = true;
		snprintf(job->skip_reason, sizeof(job->skip_reason),
			 "no folder has slab.csv (crowd density or bench as root)");
		return 0;
	}
	/* the largest kinds by growth over all steps, the rest as "other" */
	unsigned top[TOP_KINDS], ntop = 0;
	bool taken[MAX_KINDS] = {false};
	while (ntop < TOP_KINDS && ntop < k.n) {
		int pick = -1;
		for (unsigned c = 0; c < k.n; c++)
			if (!taken[c] && (pick < 0 || k.total[c] > k.total[pick]))
				pick = (int)c;
		if (pick < 0 || k.total[pick] <= 0)
			break;
		taken[pick] = true;
		top[ntop++] = (unsigned)pick;
	}
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/kernel-objects.dat", datadir);
	FILE *f = fopen(path, "we");
	if (!f) {
		free(k.v);
		k.v = NULL;
		return crowd_error_errno(err, errno, "%s", path);
	}
	fprintf(f, "count");
	for (unsigned t = 0; t < ntop; t++)
		fprintf(f, " \"%s\"", k.name[top[t]]);
	fprintf(f, " \"other\"\n");
	for (unsigned s = 0; s < k.n_steps; s++) {
		double other = 0;
		fprintf(f, "%u", k.counts[s]);
		for (unsigned t = 0; t < ntop; t++)
			fprintf(f, " %.3f", k.v[(size_t)s * MAX_KINDS + top[t]] / 1024);
		for (unsigned c = 0; c < k.n; c++)
			if (!taken[c])
				other += k.v[(size_t)s * MAX_KINDS + c];
		fprintf(f, " %.3f\n", other / 1024);
	}
	free(k.v);
	k.v = NULL;
	if (fclose(f) != 0)
		return crowd_error_errno(err, errno, "writing %s", path);
	char vars[256];
	snprintf(vars, sizeof(vars), "%u", ntop + 1);
	int r = crowd_plot_job_setstr(job, "run", run->res.folder);
	return r < 0 ? r : crowd_plot_job_setstr(job, "kindcols", vars);
}

static void val(FILE *f, double v, double scale)
{
	if (isfinite(v))
		fprintf(f, " %.6g", v / scale);
	else
		fprintf(f, " NaN");
}

int crowd_plot_prep_sweep(struct crowd_plot_run *const *runs, size_t n, const char *datadir,
			  struct crowd_plot_job *job, struct crowd_error *err)
{
	const struct crowd_summary *s = NULL;
	const struct crowd_plot_run *run = NULL;
	for (size_t i = 0; i < n && !s; i++)
		if (runs[i]->res.have_summary && runs[i]->res.summary.n_sweep) {
			run = runs[i];
			s = &run->res.summary;
		}
	if (!s) {
		job->skip = true;
		snprintf(job->skip_reason, sizeof(job->skip_reason),
			 "no folder is a sweep (crowd bench --sweep security|ns|caps)");
		return 0;
	}
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/sweep.dat", datadir);
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "%s", path);
	fprintf(f, "step vs spinup_delta_us lo hi cgroup_delta_kib lo hi pss_delta_kib lo hi\n");
	static const double scale[CROWD_SWEEP_METRICS] = {1e3, 1024, 1024};
	for (unsigned i = 0; i < s->n_sweep; i++) {
		const struct crowd_summary_sweep *st = &s->sweep[i];
		fprintf(f, "%s %s", st->name, st->vs[0] ? st->vs : "-");
		for (unsigned j = 0; j < CROWD_SWEEP_METRICS; j++) {
			val(f, st->m[j].delta, scale[j]);
			val(f, st->m[j].delta_lo, scale[j]);
			val(f, st->m[j].delta_hi, scale[j]);
		}
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return crowd_error_errno(err, errno, "writing %s", path);
	char rows[16];
	snprintf(rows, sizeof(rows), "%u", s->n_sweep);
	int r = crowd_plot_job_setstr(job, "run", run->res.folder);
	if (r == 0)
		r = crowd_plot_job_setstr(job, "kind",
					  s->sweep_kind[0] ? s->sweep_kind : "security");
	return r < 0 ? r : crowd_plot_job_setstr(job, "rows", rows);
}
