/* The results folder: writers and readers (see results.h and DESIGN.md). */
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/caps.h"
#include "engine/host.h"
#include "results.h"
#include "stats.h"
#include "core/util.h"
#include "version.h"

/* ---- metrics ---- */

static double v_or_nan(int64_t v)
{
	return v < 0 ? NAN : (double)v;
}

/* b - a when both are present. */
static double span(int64_t a, int64_t b)
{
	return a < 0 || b < 0 ? NAN : (double)(b - a);
}

static double m_spinup(const struct crowd_sample *s)
{
	return v_or_nan(s->spinup_ns);
}
static double m_phase_cgroup(const struct crowd_sample *s)
{
	return span(s->t_request_ns, s->t_cgroup_ns);
}
static double m_phase_clone(const struct crowd_sample *s)
{
	return span(s->t_cgroup_ns >= 0 ? s->t_cgroup_ns : s->t_request_ns, s->t_clone_ns);
}
static double m_phase_setup(const struct crowd_sample *s)
{
	return span(s->t_clone_ns, s->t_setup_ns);
}
static double m_phase_ready(const struct crowd_sample *s)
{
	int64_t from = s->t_setup_ns >= 0 ? s->t_setup_ns
				: s->t_clone_ns >= 0 ? s->t_clone_ns : s->t_request_ns;
	return span(from, s->t_ready_ns);
}
static double m_phase_first_response(const struct crowd_sample *s)
{
	return span(s->t_ready_ns, s->t_first_response_ns);
}
static double m_teardown(const struct crowd_sample *s)
{
	return v_or_nan(s->teardown_ns);
}
static double m_cgroup(const struct crowd_sample *s)
{
	return v_or_nan(s->cgroup_bytes);
}
static double m_pss(const struct crowd_sample *s)
{
	return v_or_nan(s->pss_bytes);
}
static double m_rss(const struct crowd_sample *s)
{
	return v_or_nan(s->rss_bytes);
}
static double m_rps(const struct crowd_sample *s)
{
	return s->rps < 0 ? NAN : s->rps;
}

const struct crowd_metric crowd_metrics[] = {
	{ "spinup_ns", "ns", false, m_spinup },
	{ "phase_cgroup_ns", "ns", false, m_phase_cgroup },
	{ "phase_clone_ns", "ns", false, m_phase_clone },
	{ "phase_setup_ns", "ns", false, m_phase_setup },
	{ "phase_ready_ns", "ns", false, m_phase_ready },
	{ "phase_first_response_ns", "ns", false, m_phase_first_response },
	{ "teardown_ns", "ns", false, m_teardown },
	{ "cgroup_bytes", "bytes", false, m_cgroup },
	{ "pss_bytes", "bytes", false, m_pss },
	{ "rss_bytes", "bytes", false, m_rss },
	{ "rps", "req/s", true, m_rps },
};
const unsigned crowd_metrics_len = CROWD_ARRAY_SIZE(crowd_metrics);

const struct crowd_metric *crowd_metric_find(const char *name)
{
	for (unsigned i = 0; i < crowd_metrics_len; i++)
		if (!strcmp(crowd_metrics[i].name, name))
			return &crowd_metrics[i];
	return NULL;
}

size_t crowd_metric_values(const struct crowd_metric *m, const struct crowd_sample *s, size_t n,
			   const char *backend, double *ret)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i].status != CROWD_STATUS_OK || (backend && strcmp(s[i].backend, backend)))
			continue;
		double v = m->get(&s[i]);
		if (!isnan(v))
			ret[k++] = v;
	}
	return k;
}

void crowd_sample_extra_init(struct crowd_sample_extra *x)
{
	x->latency_p50_ns = x->latency_p99_ns = x->errors = -1;
}

void crowd_backend_summary_init(struct crowd_backend_summary *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->mem_available_delta_per_instance = b->slab_delta_per_instance = -1;
	b->total_rps = b->jain = b->client_cpu_ns = b->duration_ns = -1;
}

/* ---- samples.csv ---- */

static const char *const sample_columns[] = {
	"backend",	"workload",	 "index",	  "id",		  "status",
	"t_request_ns", "t_cgroup_ns",	 "t_clone_ns",	  "t_setup_ns",	  "t_ready_ns",
	"t_first_response_ns", "spinup_ns", "teardown_ns", "cgroup_bytes", "pss_bytes",
	"rss_bytes",	"rps",		 "error",
};
static const char *const extra_columns[] = { "latency_p50_ns", "latency_p99_ns", "errors" };

static void csv_int(FILE *f, int64_t v)
{
	if (v >= 0)
		fprintf(f, "%lld", (long long)v);
}

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n") && s[0]) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int close_checked(FILE *f, const char *path, struct crowd_error *err)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return crowd_error_errno(err, errno ? errno : EIO, "write %s", path);
	return 0;
}

int crowd_results_write_samples(const char *path, const struct crowd_sample *s,
				const struct crowd_sample_extra *extra, size_t n,
				struct crowd_error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	for (size_t c = 0; c < CROWD_ARRAY_SIZE(sample_columns); c++)
		fprintf(f, "%s%s", c ? "," : "", sample_columns[c]);
	if (extra)
		for (size_t c = 0; c < CROWD_ARRAY_SIZE(extra_columns); c++)
			fprintf(f, ",%s", extra_columns[c]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		const struct crowd_sample *r = &s[i];
		csv_str(f, r->backend);
		fputc(',', f);
		csv_str(f, r->workload);
		fprintf(f, ",%d,", r->index);
		csv_str(f, r->id);
		fprintf(f, ",%s", crowd_status_name(r->status));
		const int64_t ints[] = { r->t_request_ns, r->t_cgroup_ns, r->t_clone_ns,
					 r->t_setup_ns,	  r->t_ready_ns,  r->t_first_response_ns,
					 r->spinup_ns,	  r->teardown_ns, r->cgroup_bytes,
					 r->pss_bytes,	  r->rss_bytes };
		for (size_t k = 0; k < CROWD_ARRAY_SIZE(ints); k++) {
			fputc(',', f);
			csv_int(f, ints[k]);
		}
		fputc(',', f);
		if (r->rps >= 0)
			fprintf(f, "%.3f", r->rps);
		/* error always quoted, so an empty one reads as an empty string, not absent */
		fputs(",\"", f);
		for (const char *e = r->error; *e; e++) {
			if (*e == '"')
				fputc('"', f);
			fputc(*e, f);
		}
		fputc('"', f);
		if (extra) {
			fputc(',', f);
			csv_int(f, extra[i].latency_p50_ns);
			fputc(',', f);
			csv_int(f, extra[i].latency_p99_ns);
			fputc(',', f);
			csv_int(f, extra[i].errors);
		}
		fputc('\n', f);
	}
	return close_checked(f, path, err);
}

/* A whole file in memory, NUL-terminated. */
static char *slurp(const char *path, size_t *ret_len, struct crowd_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		crowd_error_errno(err, errno, "open %s", path);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		crowd_error_errno(err, ENOMEM, "read %s", path);
		return NULL;
	}
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/* CSV tokenizer over a buffer: fields of the current record, unquoted in place. */
struct csv {
	char *p;
	unsigned line;
};
#define CSV_MAX_FIELDS 64

/* Split the next record into fields; returns the count, 0 at end of input, -1 on a bad
 * quote. Fields point into the buffer (modified). */
static int csv_record(struct csv *c, char **fields)
{
	int n = 0;
	if (!*c->p)
		return 0;
	c->line++;
	for (;;) {
		char *out = c->p, *start = c->p;
		if (*c->p == '"') {
			c->p++;
			for (;;) {
				if (!*c->p)
					return -1;
				if (*c->p == '"') {
					if (c->p[1] == '"') {
						*out++ = '"';
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->line++;
				*out++ = *c->p++;
			}
			if (*c->p && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
				return -1;
		} else {
			while (*c->p && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
				c->p++;
			out = c->p;
		}
		char sep = *c->p;
		if (n < CSV_MAX_FIELDS)
			fields[n++] = start;
		if (sep == '\r' && c->p[1] == '\n')
			c->p++;
		if (sep)
			c->p++;
		*out = '\0';
		if (sep != ',')
			break;
	}
	return n;
}

static int parse_int(const char *s, int64_t *ret)
{
	if (!*s) {
		*ret = -1;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -1;
	*ret = v;
	return 0;
}

static int parse_status(const char *s, enum crowd_status *ret)
{
	static const enum crowd_status all[] = { CROWD_STATUS_OK, CROWD_STATUS_FAILED,
						 CROWD_STATUS_INTERRUPTED };
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(all); i++)
		if (!strcmp(s, crowd_status_name(all[i]))) {
			*ret = all[i];
			return 0;
		}
	return -1;
}

static int copy_field(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -1;
	strcpy(dst, src);
	return 0;
}

/* Fill one sample (and its extra) from the named column. */
static int set_column(const char *name, const char *v, struct crowd_sample *s,
		      struct crowd_sample_extra *x)
{
	struct {
		const char *name;
		int64_t *field;
	} ints[] = {
		{ "t_request_ns", &s->t_request_ns },
		{ "t_cgroup_ns", &s->t_cgroup_ns },
		{ "t_clone_ns", &s->t_clone_ns },
		{ "t_setup_ns", &s->t_setup_ns },
		{ "t_ready_ns", &s->t_ready_ns },
		{ "t_first_response_ns", &s->t_first_response_ns },
		{ "spinup_ns", &s->spinup_ns },
		{ "teardown_ns", &s->teardown_ns },
		{ "cgroup_bytes", &s->cgroup_bytes },
		{ "pss_bytes", &s->pss_bytes },
		{ "rss_bytes", &s->rss_bytes },
		{ "latency_p50_ns", &x->latency_p50_ns },
		{ "latency_p99_ns", &x->latency_p99_ns },
		{ "errors", &x->errors },
	};
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(ints); i++)
		if (!strcmp(name, ints[i].name))
			return parse_int(v, ints[i].field);
	if (!strcmp(name, "backend"))
		return copy_field(s->backend, sizeof(s->backend), v);
	if (!strcmp(name, "workload"))
		return copy_field(s->workload, sizeof(s->workload), v);
	if (!strcmp(name, "id"))
		return copy_field(s->id, sizeof(s->id), v);
	if (!strcmp(name, "error"))
		return copy_field(s->error, sizeof(s->error), v);
	if (!strcmp(name, "status"))
		return parse_status(v, &s->status);
	if (!strcmp(name, "index")) {
		int64_t i;
		if (parse_int(v, &i) < 0 || i < 0 || i > INT32_MAX)
			return -1;
		s->index = (int)i;
		return 0;
	}
	if (!strcmp(name, "rps")) {
		if (!*v) {
			s->rps = -1;
			return 0;
		}
		char *end;
		s->rps = strtod(v, &end);
		return *end || s->rps < 0 ? -1 : 0;
	}
	return 0; /* a column this version does not know: ignored */
}

int crowd_results_read_samples(const char *path, struct crowd_sample **ret,
			       struct crowd_sample_extra **ret_extra, size_t *ret_n,
			       struct crowd_error *err)
{
	size_t len;
	_cleanup_free_ char *buf = slurp(path, &len, err);
	char *fields[CSV_MAX_FIELDS], *header[CSV_MAX_FIELDS];
	struct csv c = { NULL, 0 };

	if (!buf)
		return -err->code;
	c.p = buf;
	int nh = csv_record(&c, header);
	if (nh <= 0)
		return crowd_error_set(err, EINVAL, "%s: no header line", path);
	for (size_t k = 0; k < CROWD_ARRAY_SIZE(sample_columns); k++) {
		int found = 0;
		for (int h = 0; h < nh; h++)
			found |= !strcmp(header[h], sample_columns[k]);
		if (!found)
			return crowd_error_set(err, EINVAL, "%s: header lacks column '%s'", path,
					       sample_columns[k]);
	}
	/* rows <= newlines */
	size_t cap = 1;
	for (const char *q = c.p; *q; q++)
		cap += *q == '\n';
	_cleanup_free_ struct crowd_sample *s = calloc(cap, sizeof(*s));
	_cleanup_free_ struct crowd_sample_extra *x = calloc(cap, sizeof(*x));
	if (!s || !x)
		return crowd_error_errno(err, ENOMEM, "%s", path);
	size_t n = 0;
	int nf;
	while ((nf = csv_record(&c, fields)) != 0) {
		if (nf < 0)
			return crowd_error_set(err, EINVAL, "%s:%u: unterminated quote", path, c.line);
		if (nf == 1 && !fields[0][0])
			continue; /* blank line */
		if (nf != nh)
			return crowd_error_set(err, EINVAL, "%s:%u: %d fields, header has %d", path,
					       c.line, nf, nh);
		if (n >= cap)
			return crowd_error_set(err, EINVAL, "%s:%u: too many rows", path, c.line);
		crowd_sample_init(&s[n]);
		crowd_sample_extra_init(&x[n]);
		for (int h = 0; h < nf; h++)
			if (set_column(header[h], fields[h], &s[n], &x[n]) < 0)
				return crowd_error_set(err, EINVAL, "%s:%u: bad %s '%.40s'", path,
						       c.line, header[h], fields[h]);
		n++;
	}
	*ret = crowd_steal_ptr(s);
	if (ret_extra)
		*ret_extra = crowd_steal_ptr(x);
	*ret_n = n;
	return 0;
}

/* ---- summary.json ---- */

static int dump_json(json_t *j, const char *path, struct crowd_error *err)
{
	if (!j)
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return crowd_error_errno(err, e, "write %s", path);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return crowd_error_errno(err, e, "rename %s", path);
	}
	return 0;
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Backend names of the run: those in out->backends, then any other seen in the samples. */
static unsigned run_backends(const struct crowd_run_output *out, const char **names, unsigned max)
{
	unsigned k = 0;
	for (size_t i = 0; i < out->n_backends && k < max; i++)
		names[k++] = out->backends[i].name;
	for (size_t i = 0; i < out->n && k < max; i++) {
		unsigned j;
		for (j = 0; j < k; j++)
			if (!strcmp(names[j], out->samples[i].backend))
				break;
		if (j == k)
			names[k++] = out->samples[i].backend;
	}
	return k;
}

static const struct crowd_backend_summary *find_summary(const struct crowd_run_output *out,
							const char *name)
{
	for (size_t i = 0; i < out->n_backends; i++)
		if (!strcmp(out->backends[i].name, name))
			return &out->backends[i];
	return NULL;
}

static json_t *stats_json(const struct crowd_stats *st)
{
	return json_pack("{s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:[f,f]}", "n", (json_int_t)st->n,
			 "min", st->min, "p50", st->p50, "p90", st->p90, "p99", st->p99, "max",
			 st->max, "mean", st->mean, "stddev", st->stddev, "ci95_p50", st->ci95_lo,
			 st->ci95_hi);
}

static json_t *backend_json(const struct crowd_run_output *out, const char *name, double *vals,
			    struct crowd_error *err)
{
	const struct crowd_backend_summary *bs = find_summary(out, name);
	json_int_t count = 0, failures = 0, interrupted = 0;

	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->samples[i].backend, name))
			continue;
		count++;
		failures += out->samples[i].status == CROWD_STATUS_FAILED;
		interrupted += out->samples[i].status == CROWD_STATUS_INTERRUPTED;
	}
	json_t *b = json_pack("{s:I,s:I,s:I}", "count", count, "failures", failures, "interrupted",
			      interrupted);
	if (!b)
		return NULL;
	if (bs && bs->ready_kind)
		json_object_set_new(b, "ready_kind", json_string(bs->ready_kind));
	if (bs && bs->accel)
		json_object_set_new(b, "accel", json_string(bs->accel));
	json_t *metrics = json_object();
	json_object_set_new(b, "metrics", metrics);
	for (unsigned m = 0; m < crowd_metrics_len; m++) {
		size_t k = crowd_metric_values(&crowd_metrics[m], out->samples, out->n, name, vals);
		struct crowd_stats st;
		if (k == 0)
			continue;
		if (crowd_stats_summarize(vals, k, CROWD_STATS_SEED, &st, err) < 0) {
			json_decref(b);
			return NULL;
		}
		json_object_set_new(metrics, crowd_metrics[m].name, stats_json(&st));
	}
	if (bs && bs->have_host_deltas)
		json_object_set_new(b, "host",
				    json_pack("{s:f,s:f}", "mem_available_delta_bytes_per_instance",
					      bs->mem_available_delta_per_instance,
					      "slab_delta_bytes_per_instance",
					      bs->slab_delta_per_instance));
	if (bs && bs->load_ran)
		json_object_set_new(b, "load",
				    json_pack("{s:f,s:f,s:f,s:f,s:I}", "total_rps", bs->total_rps,
					      "jain_fairness", bs->jain, "client_cpu_ns",
					      bs->client_cpu_ns, "duration_ns", bs->duration_ns,
					      "connections", (json_int_t)bs->connections));
	return b;
}

static const char *run_name_of(const struct crowd_run_output *out, const char *path, char *buf,
			       size_t len)
{
	if (out->run_name)
		return out->run_name;
	/* path is <dir>/summary.json: the folder's own name */
	snprintf(buf, len, "%s", path);
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	else
		return ".";
	char *b = strrchr(buf, '/');
	return b ? b + 1 : buf;
}

static const char *workload_of(const struct crowd_run_output *out)
{
	if (out->cfg && out->cfg->workload.name[0])
		return out->cfg->workload.name;
	return out->n ? out->samples[0].workload : "";
}

int crowd_results_write_summary(const char *path, const struct crowd_run_output *out,
				struct crowd_error *err)
{
	char started[32], namebuf[PATH_MAX];
	const char *names[64];
	iso_time(out->started ? out->started : time(NULL), started, sizeof(started));

	json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "crowd_version", CROWD_VERSION, "git",
				 CROWD_GIT, "run", run_name_of(out, path, namebuf, sizeof(namebuf)),
				 "workload", workload_of(out), "started", started, "count",
				 (json_int_t)out->n);
	if (!root)
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	_cleanup_free_ double *vals = malloc((out->n ? out->n : 1) * sizeof(double));
	if (!vals) {
		json_decref(root);
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	}
	json_t *backends = json_object();
	json_object_set_new(root, "backends", backends);
	unsigned nb = run_backends(out, names, CROWD_ARRAY_SIZE(names));
	for (unsigned i = 0; i < nb; i++) {
		json_t *b = backend_json(out, names[i], vals, err);
		if (!b) {
			json_decref(root);
			return err->code ? -err->code : crowd_error_errno(err, ENOMEM, "build %s", path);
		}
		json_object_set_new(backends, names[i], b);
	}
	int r = dump_json(root, path, err);
	json_decref(root);
	return r;
}

/* ---- host.json ---- */

static const char *const placement_names[] = {
	[CROWD_PLACE_NONE] = "none",
	[CROWD_PLACE_SPREAD] = "spread",
	[CROWD_PLACE_COMPACT] = "compact",
};

static json_t *options_json(const struct crowd_config *cfg)
{
	char ns[128];
	json_t *backends = json_array();
	for (unsigned i = 0; i < cfg->n_backends; i++)
		json_array_append_new(backends, json_string(cfg->backends[i]));
	crowd_ns_format(cfg->ns, ns, sizeof(ns));
	const struct crowd_cg_limits *l = &cfg->limits;
	json_t *limits = json_object();
	if (l->memory_max_bytes >= 0)
		json_object_set_new(limits, "memory_max_bytes", json_integer(l->memory_max_bytes));
	if (l->pids_max >= 0)
		json_object_set_new(limits, "pids_max", json_integer(l->pids_max));
	if (l->cpu_quota_us >= 0) {
		json_object_set_new(limits, "cpu_quota_us", json_integer(l->cpu_quota_us));
		json_object_set_new(limits, "cpu_period_us", json_integer(l->cpu_period_us));
	}
	if (l->cpuset_cpus[0])
		json_object_set_new(limits, "cpuset_cpus", json_string(l->cpuset_cpus));
	if (l->cpuset_mems[0])
		json_object_set_new(limits, "cpuset_mems", json_string(l->cpuset_mems));
	json_t *argv = json_array();
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		json_array_append_new(argv, json_string(cfg->workload.argv[i]));
	return json_pack("{s:I,s:I,s:o,s:s,s:o,s:s,s:s?,s:o,s:s,s:b,s:I,s:s,s:I,s:b,s:I,s:s?,s:b,s:b,s:s?}",
			 "count", (json_int_t)cfg->count, "concurrency",
			 (json_int_t)cfg->concurrency, "backends", backends, "workload",
			 cfg->workload.name, "workload_argv", argv, "ns", ns, "rootfs", cfg->rootfs,
			 "limits", limits, "caps", crowd_caps_profile_name(cfg->caps), "rootless",
			 cfg->rootless, "pod_size", (json_int_t)cfg->pod_size, "placement",
			 (unsigned)cfg->placement < CROWD_ARRAY_SIZE(placement_names)
				 ? placement_names[cfg->placement]
				 : "?",
			 "duration_ns", (json_int_t)cfg->duration_ns, "load", cfg->load,
			 "connections", (json_int_t)cfg->connections, "out", cfg->out, "json",
			 cfg->json, "quiet", cfg->quiet, "vm_accel", cfg->vm_accel);
}

int crowd_results_write_host(const char *path, const struct crowd_run_output *out,
			     struct crowd_error *err)
{
	struct crowd_host h;
	int r = crowd_host_probe(&h, err);
	if (r < 0)
		return r;
	json_t *root = crowd_host_json(&h);
	if (!root)
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	json_object_set_new(root, "crowd_version", json_string(CROWD_VERSION));
	json_object_set_new(root, "git", json_string(CROWD_GIT));
	if (out->cfg) {
		json_object_set_new(root, "options", options_json(out->cfg));
		if (out->cfg->argv_line)
			json_object_set_new(root, "command_line", json_string(out->cfg->argv_line));
	}
	json_t *backends = json_object();
	json_object_set_new(root, "backends", backends);
	for (size_t i = 0; i < out->n_backends; i++) {
		const struct crowd_backend_summary *b = &out->backends[i];
		json_object_set_new(backends, b->name,
				    json_pack("{s:s,s:s}", "invocation",
					      b->invocation ? b->invocation : "", "unapplied",
					      b->unapplied ? b->unapplied : ""));
	}
	r = dump_json(root, path, err);
	json_decref(root);
	return r;
}

/* ---- the folder ---- */

int crowd_results_write(const char *dir, const struct crowd_run_output *out,
			struct crowd_error *err)
{
	char path[PATH_MAX];
	int r = crowd_mkdir_p(dir, 0755, 0755, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	r = crowd_results_write_samples(path, out->samples, out->extra, out->n, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	r = crowd_results_write_summary(path, out, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/host.json", dir);
	return crowd_results_write_host(path, out, err);
}

int crowd_results_default_dir(const struct crowd_config *cfg, time_t t, const char *root,
			      char *buf, size_t len, struct crowd_error *err)
{
	char stamp[32], backends[160] = "";
	struct tm tm;
	size_t off = 0;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned i = 0; i < cfg->n_backends && off < sizeof(backends); i++)
		off += (size_t)snprintf(backends + off, sizeof(backends) - off, "%s%s", i ? "+" : "",
					cfg->backends[i]);
	if (!cfg->n_backends)
		snprintf(backends, sizeof(backends), "core");
	const char *wl = cfg->workload.name[0] ? cfg->workload.name : "httpd";
	/* cmd:PATH is not a file name: keep only [A-Za-z0-9._-] */
	char wlbuf[32];
	size_t k = 0;
	for (; wl[k] && k + 1 < sizeof(wlbuf); k++)
		wlbuf[k] = (strchr("._-", wl[k]) || (wl[k] >= '0' && wl[k] <= '9') ||
			    ((wl[k] | 0x20) >= 'a' && (wl[k] | 0x20) <= 'z'))
				   ? wl[k]
				   : '_';
	wlbuf[k] = '\0';
	if (snprintf(buf, len, "%s/%s-%s-%s", root ? root : "results/runs", stamp, backends, wlbuf) >=
	    (int)len)
		return crowd_error_set(err, ENAMETOOLONG, "results folder name too long");
	return 0;
}

int crowd_results_link_latest(const char *dir, struct crowd_error *err)
{
	char a[PATH_MAX], b[PATH_MAX], link[PATH_MAX], tmp[PATH_MAX];
	snprintf(a, sizeof(a), "%s", dir);
	snprintf(b, sizeof(b), "%s", dir);
	size_t l = strlen(a);
	while (l > 1 && a[l - 1] == '/') {
		l--;
		a[l] = b[l] = '\0';
	}
	const char *parent = dirname(a), *base = basename(b);
	snprintf(link, sizeof(link), "%s/latest", parent);
	snprintf(tmp, sizeof(tmp), "%s/.latest.%d", parent, (int)getpid());
	unlink(tmp);
	if (symlink(base, tmp) < 0)
		return crowd_error_errno(err, errno, "symlink %s", tmp);
	if (rename(tmp, link) < 0) {
		int e = errno;
		unlink(tmp);
		return crowd_error_errno(err, e, "rename %s to %s", tmp, link);
	}
	return 0;
}

/* ---- density ---- */

static const char *const density_stop_names[] = {
	[CROWD_DENSITY_MEMORY_BUDGET] = "memory-budget",
	[CROWD_DENSITY_SLO_SPINUP_P99] = "slo-spinup-p99",
	[CROWD_DENSITY_SLO_THROUGHPUT_DROP] = "slo-throughput-drop",
	[CROWD_DENSITY_KERNEL_LIMIT] = "kernel-limit",
	[CROWD_DENSITY_MAX_COUNT] = "max-count",
	[CROWD_DENSITY_FAILURE] = "failure",
};

const char *crowd_density_stop_name(enum crowd_density_stop s)
{
	return (unsigned)s < CROWD_ARRAY_SIZE(density_stop_names) ? density_stop_names[s] : "?";
}

static const char *const density_columns[] = {
	"step", "count", "spinup_p50_ns", "spinup_p99_ns", "mem_available_per_instance_bytes",
	"slab_per_instance_bytes", "cgroup_per_instance_bytes", "pss_per_instance_bytes",
	"rps_per_instance",
};

/* Doubles: bytes and rps; %.17g round-trips, absent (< 0 except slab) written empty. */
static void csv_double(FILE *f, double v, bool may_be_negative)
{
	char buf[32];
	if (isnan(v) || (!may_be_negative && v < 0))
		return;
	/* the shortest of %.15g..%.17g that reads back exactly */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

int crowd_results_write_density(const char *dir, const struct crowd_density_step *steps,
				size_t n, const struct crowd_density_outcome *outcome,
				struct crowd_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/density.csv", dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	for (size_t c = 0; c < CROWD_ARRAY_SIZE(density_columns); c++)
		fprintf(f, "%s%s", c ? "," : "", density_columns[c]);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		const struct crowd_density_step *s = &steps[i];
		fprintf(f, "%u,%u,", s->step, s->count);
		csv_int(f, s->spinup_p50_ns);
		fputc(',', f);
		csv_int(f, s->spinup_p99_ns);
		fputc(',', f);
		csv_double(f, s->mem_available_per_instance_bytes, true);
		fputc(',', f);
		csv_double(f, s->slab_per_instance_bytes, true);
		fputc(',', f);
		csv_double(f, s->cgroup_per_instance_bytes, false);
		fputc(',', f);
		csv_double(f, s->pss_per_instance_bytes, false);
		fputc(',', f);
		csv_double(f, s->rps_per_instance, false);
		fputc('\n', f);
	}
	int r = close_checked(f, path, err);
	if (r < 0 || !outcome)
		return r;

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root)
		return crowd_error_set(err, EINVAL, "%s: %s", path, jerr.text);
	json_object_set_new(root, "density",
			    json_pack("{s:I,s:s,s:s,s:I}", "max_count",
				      (json_int_t)outcome->max_count, "stopped_by",
				      crowd_density_stop_name(outcome->stopped_by), "detail",
				      outcome->detail ? outcome->detail : "", "ramp_ns",
				      (json_int_t)outcome->ramp_ns));
	r = dump_json(root, path, err);
	json_decref(root);
	return r;
}

static int parse_double(const char *s, double *ret)
{
	if (!*s) {
		*ret = NAN;
		return 0;
	}
	char *end;
	*ret = strtod(s, &end);
	return *end ? -1 : 0;
}

int crowd_results_read_density(const char *path, struct crowd_density_step **ret, size_t *ret_n,
			       struct crowd_error *err)
{
	size_t len;
	_cleanup_free_ char *buf = slurp(path, &len, err);
	char *f[CSV_MAX_FIELDS];
	struct csv c = { NULL, 0 };
	const int ncol = (int)CROWD_ARRAY_SIZE(density_columns);

	if (!buf)
		return -err->code;
	c.p = buf;
	int nh = csv_record(&c, f);
	if (nh < ncol)
		return crowd_error_set(err, EINVAL, "%s: header has %d columns, want %d", path,
				       nh < 0 ? 0 : nh, ncol);
	for (int k = 0; k < ncol; k++)
		if (strcmp(f[k], density_columns[k]))
			return crowd_error_set(err, EINVAL, "%s: column %d is '%s', want '%s'", path,
					       k + 1, f[k], density_columns[k]);
	size_t cap = 1;
	for (const char *q = c.p; *q; q++)
		cap += *q == '\n';
	_cleanup_free_ struct crowd_density_step *s = calloc(cap, sizeof(*s));
	if (!s)
		return crowd_error_errno(err, ENOMEM, "%s", path);
	size_t n = 0;
	int nf;
	while ((nf = csv_record(&c, f)) != 0) {
		if (nf == 1 && !f[0][0])
			continue;
		if (nf < ncol || n >= cap)
			return crowd_error_set(err, EINVAL, "%s:%u: %d fields, want %d", path, c.line,
					       nf, ncol);
		struct crowd_density_step *d = &s[n];
		int64_t step, count;
		double *dbl[] = { &d->mem_available_per_instance_bytes, &d->slab_per_instance_bytes,
				  &d->cgroup_per_instance_bytes, &d->pss_per_instance_bytes,
				  &d->rps_per_instance };
		int bad = parse_int(f[0], &step) < 0 || step < 0 || parse_int(f[1], &count) < 0 ||
			  count < 0 || parse_int(f[2], &d->spinup_p50_ns) < 0 ||
			  parse_int(f[3], &d->spinup_p99_ns) < 0;
		for (int k = 0; k < 5 && !bad; k++) {
			bad = parse_double(f[4 + k], dbl[k]) < 0;
			if (isnan(*dbl[k]))
				*dbl[k] = -1;
		}
		if (bad)
			return crowd_error_set(err, EINVAL, "%s:%u: bad number", path, c.line);
		d->step = (unsigned)step;
		d->count = (unsigned)count;
		n++;
	}
	*ret = crowd_steal_ptr(s);
	*ret_n = n;
	return 0;
}

/* ---- reading a folder ---- */

static void json_str(json_t *root, const char *key, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(root, key));
	if (v)
		snprintf(dst, len, "%s", v);
}

static double json_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void read_backend_info(json_t *backends, struct crowd_results *ret)
{
	const char *name;
	json_t *b;
	if (!json_is_object(backends))
		return;
	json_object_foreach (backends, name, b) {
		if (ret->n_info >= CROWD_MAX_BACKENDS)
			break;
		struct crowd_results_backend *x = &ret->info[ret->n_info++];
		json_t *host = json_object_get(b, "host"), *load = json_object_get(b, "load");
		snprintf(x->name, sizeof(x->name), "%s", name);
		json_str(b, "ready_kind", x->ready_kind, sizeof(x->ready_kind));
		json_str(b, "accel", x->accel, sizeof(x->accel));
		x->mem_available_delta_per_instance = json_num(host, "mem_available_delta_bytes_per_instance");
		x->slab_delta_per_instance = json_num(host, "slab_delta_bytes_per_instance");
		x->total_rps = json_num(load, "total_rps");
		x->jain = json_num(load, "jain_fairness");
	}
}

const struct crowd_results_backend *crowd_results_info(const struct crowd_results *r,
						       const char *name)
{
	for (unsigned i = 0; i < r->n_info; i++)
		if (!strcmp(r->info[i].name, name))
			return &r->info[i];
	return NULL;
}

int crowd_results_read(const char *dir, struct crowd_results *ret, struct crowd_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (stat(dir, &st) < 0)
		return crowd_error_errno(err, errno, "results folder %s", dir);
	if (!S_ISDIR(st.st_mode))
		return crowd_error_set(err, ENOTDIR, "results folder %s: not a directory", dir);
	snprintf(ret->dir, sizeof(ret->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	r = crowd_results_read_samples(path, &ret->samples, &ret->extra, &ret->n, err);
	if (r < 0)
		return r;

	/* run name: summary.json, else the folder's resolved name (so "latest" names its target) */
	char real[PATH_MAX];
	if (realpath(dir, real)) {
		const char *b = strrchr(real, '/');
		const char *name = b ? b + 1 : real;
		size_t nl = strnlen(name, sizeof(ret->run) - 1);
		memcpy(ret->run, name, nl);
		ret->run[nl] = '\0';
	}
	if (ret->n)
		snprintf(ret->workload, sizeof(ret->workload), "%s", ret->samples[0].workload);
	for (size_t i = 0; i < ret->n; i++) {
		unsigned j;
		for (j = 0; j < ret->n_backends; j++)
			if (!strcmp(ret->backends[j], ret->samples[i].backend))
				break;
		if (j == ret->n_backends && j < CROWD_MAX_BACKENDS)
			memcpy(ret->backends[ret->n_backends++], ret->samples[i].backend,
			       sizeof(ret->backends[0]));
	}

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (access(path, F_OK) == 0) {
		json_error_t jerr;
		json_t *root = json_load_file(path, 0, &jerr);
		if (!root) {
			r = crowd_error_set(err, EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
			crowd_results_free(ret);
			return r;
		}
		json_str(root, "run", ret->run, sizeof(ret->run));
		json_str(root, "workload", ret->workload, sizeof(ret->workload));
		json_str(root, "started", ret->started, sizeof(ret->started));
		json_str(root, "git", ret->git, sizeof(ret->git));
		read_backend_info(json_object_get(root, "backends"), ret);
		json_decref(root);
	}
	snprintf(path, sizeof(path), "%s/density.csv", dir);
	if (access(path, F_OK) == 0) {
		r = crowd_results_read_density(path, &ret->steps, &ret->n_steps, err);
		if (r < 0) {
			crowd_results_free(ret);
			return r;
		}
	}
	return 0;
}

void crowd_results_free(struct crowd_results *r)
{
	if (!r)
		return;
	free(r->samples);
	free(r->extra);
	free(r->steps);
	r->samples = NULL;
	r->extra = NULL;
	r->steps = NULL;
	r->n = r->n_steps = 0;
}
