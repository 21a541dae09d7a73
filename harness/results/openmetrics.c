/* The summary as OpenMetrics text for node_exporter's textfile collector (docs/fleet.md):
 * spin-up quantiles, memory per container, requests per second, the density answer, labelled by
 * backend, workload and host. Values in base units (seconds, bytes). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "results.h"
#include "version.h"

/* s as an OpenMetrics label value (\\, \" and \n escaped). */
static void put_label(FILE *f, const char *name, const char *s, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* The shortest of %.15g..%.17g that reads back exactly. */
static void put_value(FILE *f, double v)
{
	char buf[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fprintf(f, " %s\n", buf);
}

/* name{backend=..,workload=..,host=..[,extra=..]} */
static void put_series(FILE *f, const char *name, const char *suffix, const char *backend,
		       const char *workload, const char *host, const char *k, const char *v)
{
	fprintf(f, "%s%s{", name, suffix);
	bool first = true;
	if (backend) {
		put_label(f, "backend", backend, first);
		first = false;
	}
	put_label(f, "workload", workload, first);
	put_label(f, "host", host, false);
	if (k && v)
		put_label(f, k, v, false);
	fputc('}', f);
}

static void put_family(FILE *f, const char *name, const char *type, const char *unit,
		       const char *help)
{
	fprintf(f, "# TYPE %s %s\n", name, type);
	if (unit)
		fprintf(f, "# UNIT %s %s\n", name, unit);
	fprintf(f, "# HELP %s %s\n", name, help);
}

typedef void (*family_fn)(FILE *f, const struct crowd_om_host *h,
			  const struct crowd_summary_backend *b);

/* Metric m of b: its statistics when some ok instance had it, else NULL. */
static const struct crowd_stats *stats_of(const struct crowd_summary_backend *b, const char *m)
{
	const struct crowd_stats *st = crowd_summary_stats(b, crowd_metric_find(m));
	return st && st->n ? st : NULL;
}

static void f_spinup(FILE *f, const struct crowd_om_host *h, const struct crowd_summary_backend *b)
{
	const struct crowd_stats *st = stats_of(b, "spinup_ns");
	if (!st)
		return;
	const char *wl = h->s->workload, *name = "crowd_spinup_seconds";
	static const char *const q[] = {"0.5", "0.9", "0.99"};
	const double v[] = {st->p50, st->p90, st->p99};
	for (size_t i = 0; i < 3; i++) {
		put_series(f, name, "", b->name, wl, h->host, "quantile", q[i]);
		put_value(f, v[i] / 1e9);
	}
	put_series(f, name, "_sum", b->name, wl, h->host, NULL, NULL);
	put_value(f, st->mean * (double)st->n / 1e9);
	put_series(f, name, "_count", b->name, wl, h->host, NULL, NULL);
	put_value(f, (double)st->n);
}

static void f_memory(FILE *f, const struct crowd_om_host *h, const struct crowd_summary_backend *b)
{
	static const struct {
		const char *metric, *kind;
	} kinds[] = {{"cgroup_bytes", "cgroup"}, {"pss_bytes", "pss"}, {"rss_bytes", "rss"}};
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(kinds); i++) {
		const struct crowd_stats *st = stats_of(b, kinds[i].metric);
		if (!st)
			continue;
		put_series(f, "crowd_container_memory_bytes", "", b->name, h->s->workload, h->host,
			   "kind", kinds[i].kind);
		put_value(f, st->p50);
	}
}

static void f_host_memory(FILE *f, const struct crowd_om_host *h,
			  const struct crowd_summary_backend *b)
{
	if (!b->have_host || !isfinite(b->mem_available_delta_per_instance))
		return;
	put_series(f, "crowd_host_memory_per_container_bytes", "", b->name, h->s->workload, h->host,
		   NULL, NULL);
	put_value(f, b->mem_available_delta_per_instance);
}

static void f_rps(FILE *f, const struct crowd_om_host *h, const struct crowd_summary_backend *b)
{
	const struct crowd_stats *st = stats_of(b, "rps");
	if (!st)
		return;
	put_series(f, "crowd_container_requests_per_second", "", b->name, h->s->workload, h->host,
		   NULL, NULL);
	put_value(f, st->p50);
}

static void f_total_rps(FILE *f, const struct crowd_om_host *h,
			const struct crowd_summary_backend *b)
{
	if (!b->have_load || !isfinite(b->total_rps))
		return;
	put_series(f, "crowd_requests_per_second", "", b->name, h->s->workload, h->host, NULL,
		   NULL);
	put_value(f, b->total_rps);
}

static void f_containers(FILE *f, const struct crowd_om_host *h,
			 const struct crowd_summary_backend *b)
{
	const char *st[] = {"ok", "failed", "interrupted"};
	unsigned v[] = {b->count - b->failures - b->interrupted, b->failures, b->interrupted};
	if (b->failures + b->interrupted > b->count)
		v[0] = 0;
	for (size_t i = 0; i < 3; i++) {
		put_series(f, "crowd_containers", "", b->name, h->s->workload, h->host, "status",
			   st[i]);
		put_value(f, v[i]);
	}
}

static const struct {
	const char *name, *type, *unit, *help;
	family_fn fn;
} families[] = {
    {"crowd_spinup_seconds", "summary", "seconds",
     "Container spin-up latency, request to ready, over the run's instances.", f_spinup},
    {"crowd_container_memory_bytes", "gauge", "bytes",
     "Median memory per container (kind: cgroup memory.current, PSS, RSS).", f_memory},
    {"crowd_host_memory_per_container_bytes", "gauge", "bytes",
     "Host MemAvailable drop per container (what no cgroup is charged for included).",
     f_host_memory},
    {"crowd_container_requests_per_second", "gauge", NULL,
     "Median HTTP requests per second per container under load.", f_rps},
    {"crowd_requests_per_second", "gauge", NULL,
     "HTTP requests per second of all containers of a backend together.", f_total_rps},
    {"crowd_containers", "gauge", NULL, "Instances of the run by status.", f_containers},
};

int crowd_results_openmetrics_dump(const struct crowd_om_host *h, size_t n, FILE *f)
{
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(families); i++) {
		put_family(f, families[i].name, families[i].type, families[i].unit,
			   families[i].help);
		for (size_t k = 0; k < n; k++)
			for (unsigned b = 0; b < h[k].s->n_backends; b++)
				families[i].fn(f, &h[k], &h[k].s->backends[b]);
	}
	bool density = false;
	for (size_t k = 0; k < n; k++)
		density |= h[k].s->have_density;
	if (density) {
		put_family(f, "crowd_density_max_containers", "gauge", NULL,
			   "Density answer: instances that fit before the stop condition.");
		for (size_t k = 0; k < n; k++) {
			if (!h[k].s->have_density)
				continue;
			put_series(f, "crowd_density_max_containers", "", NULL, h[k].s->workload,
				   h[k].host, "stopped_by", h[k].s->density_stopped_by);
			put_value(f, h[k].s->density_max_count);
		}
	}
	/* an info metric, typed gauge: node_exporter's textfile collector and promtool read the
	 * Prometheus text format, which has no info type */
	put_family(f, "crowd_run_info", "gauge", NULL, "The run: its id and crowd's version.");
	for (size_t k = 0; k < n; k++) {
		fputs("crowd_run_info{", f);
		put_label(f, "workload", h[k].s->workload, true);
		put_label(f, "host", h[k].host, false);
		put_label(f, "run_id", h[k].s->run_id, false);
		put_label(f, "crowd_version", h[k].s->crowd_version, false);
		fputs("} 1\n", f);
	}
	fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}

int crowd_results_write_openmetrics(const char *path, const struct crowd_om_host *h, size_t n,
				    struct crowd_error *err)
{
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	FILE *f = fopen(tmp, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", tmp);
	int r = crowd_results_openmetrics_dump(h, n, f);
	if (fclose(f) != 0 || r < 0 || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return crowd_error_errno(err, e, "write %s", path);
	}
	return 0;
}
