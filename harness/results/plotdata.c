/* Results folders read back for `crowd plot`, and the .dat files each figure plots. */
#include "plotdata.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

#define NS_PER_MS     1e6
#define BYTES_PER_MIB 1048576.0

static void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))

static int values_add(struct crowd_plot_values *c, double v)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		double *nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = v;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double crowd_plot_quantile(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return NAN;
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

/* ---- CSV: RFC 4180 fields, "" inside quotes for a quote ---- */

struct csv {
	char *buf, *p;
	unsigned line;
};

/* Next field into out (NUL-terminated, truncated to len); *ret_eol is set at the end of a
 * record. Returns 0, or 1 at the end of the input. */
static int csv_field(struct csv *c, char *out, size_t len, bool *ret_eol)
{
	size_t k = 0;
	if (!*c->p)
		return 1;
	if (*c->p == '"') {
		c->p++;
		for (;;) {
			if (!*c->p)
				break;
			if (*c->p == '"') {
				if (c->p[1] != '"') {
					c->p++;
					break;
				}
				c->p++;
			}
			if (*c->p == '\n')
				c->line++;
			if (k + 1 < len)
				out[k++] = *c->p;
			c->p++;
		}
	}
	while (*c->p && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
		if (k + 1 < len)
			out[k++] = *c->p;
		c->p++;
	}
	out[k] = '\0';
	if (*c->p == '\r')
		c->p++;
	*ret_eol = *c->p != ',';
	if (*c->p == ',')
		c->p++;
	else if (*c->p == '\n') {
		c->p++;
		c->line++;
	}
	return 0;
}

#define CSV_MAX_COLUMNS 64

/* One record into fields[]; returns the number of fields, 0 at the end of the input. */
static int csv_record(struct csv *c, char fields[][256], int max)
{
	int n = 0;
	bool eol = false;
	while (!eol) {
		char tmp[256] = "";
		if (csv_field(c, n < max ? fields[n] : tmp, 256, &eol))
			break;
		n++;
	}
	return n < max ? n : max;
}

static int read_whole(const char *path, char **ret, struct crowd_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return crowd_error_errno(err, errno, "%s", path);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 65536;
			char *nb = realloc(buf, cap);
			if (!nb)
				return crowd_error_errno(err, ENOMEM, "%s", path);
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		return crowd_error_errno(err, EIO, "%s", path);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return crowd_error_set(err, EINVAL, "%s: not a text file (NUL byte)", path);
	*ret = crowd_steal_ptr(buf);
	return 0;
}

/* Column lookup by header name; -1 when absent. */
static int column_index(char header[][256], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(header[i], name))
			return i;
	return -1;
}

/* A number field: NAN when empty, -EINVAL when not a number. */
static int parse_number(const char *s, double *ret)
{
	if (!*s) {
		*ret = NAN;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A CSV file read whole: its header, where each wanted column is, and the current row. */
struct csv_table {
	char path[PATH_MAX + 32];
	char *buf;
	struct csv c;
	int nh;
	unsigned line; /* of the current row */
	const char *const *names;
	int idx[CSV_MAX_COLUMNS];
	char fields[CSV_MAX_COLUMNS][256];
};

static void csv_table_freep(struct csv_table **t)
{
	if (*t) {
		free((*t)->buf);
		free(*t);
	}
}
#define _cleanup_csv_table_ __attribute__((cleanup(csv_table_freep)))

/* Read dir/name and find the ncols named columns in its header (each must be there). */
static int csv_table_open(const char *dir, const char *name, const char *const *names,
			  size_t ncols, struct csv_table **ret, struct crowd_error *err)
{
	_cleanup_csv_table_ struct csv_table *t = calloc(1, sizeof(*t));
	if (!t)
		return crowd_error_errno(err, ENOMEM, "%s/%s", dir, name);
	snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
	int r = read_whole(t->path, &t->buf, err);
	if (r < 0)
		return r;
	t->c = (struct csv){.buf = t->buf, .p = t->buf, .line = 1};
	t->nh = csv_record(&t->c, t->fields, CSV_MAX_COLUMNS);
	t->names = names;
	for (size_t f = 0; f < ncols && f < CSV_MAX_COLUMNS; f++) {
		t->idx[f] = column_index(t->fields, t->nh, names[f]);
		if (t->idx[f] < 0)
			return crowd_error_set(err, EINVAL, "%s: header has no column '%s'", t->path,
					       names[f]);
	}
	*ret = crowd_steal_ptr(t);
	return 0;
}

/* The next row that is not blank: 1, 0 at the end, <0 when its field count is off. */
static int csv_table_next(struct csv_table *t, struct crowd_error *err)
{
	for (;;) {
		t->line = t->c.line;
		int n = csv_record(&t->c, t->fields, CSV_MAX_COLUMNS);
		if (n == 0)
			return 0;
		if (n == 1 && !t->fields[0][0])
			continue;
		if (n != t->nh)
			return crowd_error_set(err, EINVAL, "%s line %u: %d fields, header has %d",
					       t->path, t->line, n, t->nh);
		return 1;
	}
}

/* Wanted column f of the current row. */
static const char *csv_table_field(const struct csv_table *t, size_t f)
{
	return t->fields[t->idx[f]];
}

/* Wanted column f of the current row as a number (NAN when empty). */
static int csv_table_number(const struct csv_table *t, size_t f, double *ret,
			    struct crowd_error *err)
{
	if (parse_number(csv_table_field(t, f), ret) < 0)
		return crowd_error_set(err, EINVAL, "%s line %u: %s '%s' is not a number",
				       t->path, t->line, t->names[f], csv_table_field(t, f));
	return 0;
}

enum sample_field {
	F_BACKEND,
	F_STATUS,
	F_T_REQUEST,
	F_T_CGROUP,
	F_T_CLONE,
	F_T_SETUP,
	F_T_READY,
	F_T_FIRST_RESPONSE,
	F_SPINUP,
	F_CGROUP_BYTES,
	F_PSS_BYTES,
	F_RPS,
	F_COUNT,
};
static const char *const sample_field_names[F_COUNT] = {
    [F_BACKEND] = "backend",	    [F_STATUS] = "status",
    [F_T_REQUEST] = "t_request_ns", [F_T_CGROUP] = "t_cgroup_ns",
    [F_T_CLONE] = "t_clone_ns",	    [F_T_SETUP] = "t_setup_ns",
    [F_T_READY] = "t_ready_ns",	    [F_T_FIRST_RESPONSE] = "t_first_response_ns",
    [F_SPINUP] = "spinup_ns",	    [F_CGROUP_BYTES] = "cgroup_bytes",
    [F_PSS_BYTES] = "pss_bytes",    [F_RPS] = "rps",
};

static struct crowd_plot_backend *run_backend(struct crowd_plot_run *r, const char *name)
{
	for (unsigned i = 0; i < r->n_backends; i++)
		if (!strcmp(r->backend[i].name, name))
			return &r->backend[i];
	if (r->n_backends == CROWD_PLOT_MAX_BACKENDS)
		return NULL;
	struct crowd_plot_backend *b = &r->backend[r->n_backends++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->host_mib = NAN;
	b->total_rps = NAN;
	return b;
}

/* First of the given times that is present (not NAN). */
static double first_present(double a, double b, double c)
{
	return !isnan(a) ? a : !isnan(b) ? b : c;
}

/* The phase values of one ok sample, as summary.json defines them. */
static int add_sample(struct crowd_plot_backend *b, const double *v)
{
	double ph[CROWD_PLOT_NCOLUMNS];
	for (int i = 0; i < CROWD_PLOT_NCOLUMNS; i++)
		ph[i] = NAN;
	ph[CROWD_PLOT_SPINUP_MS] = v[F_SPINUP] / NS_PER_MS;
	ph[CROWD_PLOT_PHASE_CGROUP_MS] = (v[F_T_CGROUP] - v[F_T_REQUEST]) / NS_PER_MS;
	ph[CROWD_PLOT_PHASE_CLONE_MS] =
	    (v[F_T_CLONE] - first_present(v[F_T_CGROUP], v[F_T_REQUEST], NAN)) / NS_PER_MS;
	ph[CROWD_PLOT_PHASE_SETUP_MS] = (v[F_T_SETUP] - v[F_T_CLONE]) / NS_PER_MS;
	ph[CROWD_PLOT_PHASE_READY_MS] =
	    (v[F_T_READY] - first_present(v[F_T_SETUP], v[F_T_CLONE], v[F_T_REQUEST])) / NS_PER_MS;
	ph[CROWD_PLOT_PHASE_FIRST_RESPONSE_MS] = (v[F_T_FIRST_RESPONSE] - v[F_T_READY]) / NS_PER_MS;
	ph[CROWD_PLOT_CGROUP_MIB] = v[F_CGROUP_BYTES] / BYTES_PER_MIB;
	ph[CROWD_PLOT_PSS_MIB] = v[F_PSS_BYTES] / BYTES_PER_MIB;
	ph[CROWD_PLOT_RPS] = v[F_RPS];
	for (int i = 0; i < CROWD_PLOT_NCOLUMNS; i++)
		if (!isnan(ph[i]) && values_add(&b->col[i], ph[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int read_samples(struct crowd_plot_run *r, struct crowd_error *err)
{
	_cleanup_csv_table_ struct csv_table *t = NULL;
	int ret = csv_table_open(r->dir, "samples.csv", sample_field_names, F_COUNT, &t, err);
	if (ret < 0)
		return ret;
	while ((ret = csv_table_next(t, err)) > 0) {
		double v[F_COUNT];
		for (int f = F_T_REQUEST; f < F_COUNT; f++)
			if ((ret = csv_table_number(t, (size_t)f, &v[f], err)) < 0)
				return ret;
		struct crowd_plot_backend *b = run_backend(r, csv_table_field(t, F_BACKEND));
		if (!b)
			return crowd_error_set(err, EINVAL, "%s line %u: more than %d backends",
					       t->path, t->line, CROWD_PLOT_MAX_BACKENDS);
		b->count++;
		if (strcmp(csv_table_field(t, F_STATUS), "ok")) {
			b->failures++;
			continue;
		}
		if (add_sample(b, v) < 0)
			return crowd_error_errno(err, ENOMEM, "%s", t->path);
	}
	if (ret < 0)
		return ret;
	for (unsigned i = 0; i < r->n_backends; i++)
		for (int k = 0; k < CROWD_PLOT_NCOLUMNS; k++)
			qsort(r->backend[i].col[k].v, r->backend[i].col[k].n, sizeof(double),
			      cmp_double);
	return 0;
}

static const char *const density_names[] = {
    "count",
    "spinup_p50_ns",
    "spinup_p99_ns",
    "mem_available_per_instance_bytes",
    "slab_per_instance_bytes",
    "cgroup_per_instance_bytes",
    "pss_per_instance_bytes",
    "rps_per_instance",
};
static const double density_scale[] = {
    1, NS_PER_MS, NS_PER_MS, BYTES_PER_MIB, BYTES_PER_MIB, BYTES_PER_MIB, BYTES_PER_MIB, 1};

static int read_density(struct crowd_plot_run *r, struct crowd_error *err)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/density.csv", r->dir);
	if (access(path, F_OK) < 0)
		return 0;
	_cleanup_csv_table_ struct csv_table *t = NULL;
	int ret = csv_table_open(r->dir, "density.csv", density_names,
				 CROWD_ARRAY_SIZE(density_names), &t, err);
	if (ret < 0)
		return ret;
	size_t cap = 0;
	while ((ret = csv_table_next(t, err)) > 0) {
		double v[CROWD_ARRAY_SIZE(density_names)];
		for (size_t f = 0; f < CROWD_ARRAY_SIZE(density_names); f++) {
			if ((ret = csv_table_number(t, f, &v[f], err)) < 0)
				return ret;
			v[f] /= density_scale[f];
		}
		if (r->n_steps == cap) {
			cap = cap ? 2 * cap : 16;
			void *ns = realloc(r->steps, cap * sizeof(*r->steps));
			if (!ns)
				return crowd_error_errno(err, ENOMEM, "%s", path);
			r->steps = ns;
		}
		r->steps[r->n_steps++] = (struct crowd_plot_density_step){
		    .count = v[0],
		    .spinup_p50_ms = v[1],
		    .spinup_p99_ms = v[2],
		    .mem_available_mib = v[3],
		    .slab_mib = v[4],
		    .cgroup_mib = v[5],
		    .pss_mib = v[6],
		    .rps_per_instance = v[7],
		};
	}
	if (ret < 0)
		return ret;
	if (r->n_steps == 0)
		return crowd_error_set(err, EINVAL, "%s: no rows", path);
	return 0;
}

static double json_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int load_json(const char *path, json_t **ret, struct crowd_error *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		if (access(path, F_OK) < 0)
			return crowd_error_errno(err, errno, "%s", path);
		return crowd_error_set(err, EINVAL, "%s line %d: %s", path, je.line, je.text);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return crowd_error_set(err, EINVAL, "%s: not a JSON object", path);
	}
	*ret = j;
	return 0;
}

static int read_summary(struct crowd_plot_run *r, struct crowd_error *err)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/summary.json", r->dir);
	json_t *s = NULL;
	int ret = load_json(path, &s, err);
	if (ret < 0)
		return ret;
	r->summary = s;
	const char *ver = json_str(s, "crowd_version"), *git = json_str(s, "git");
	snprintf(r->version, sizeof(r->version), "crowd %s%s%s%s", ver ? ver : "?", git ? " (" : "",
		 git ? git : "", git ? ")" : "");
	json_t *bes = json_object_get(s, "backends");
	for (unsigned i = 0; i < r->n_backends; i++) {
		struct crowd_plot_backend *b = &r->backend[i];
		json_t *be = json_object_get(bes, b->name);
		double host =
		    json_num(json_object_get(be, "host"), "mem_available_delta_bytes_per_instance");
		b->host_mib = host / BYTES_PER_MIB;
		b->total_rps = json_num(json_object_get(be, "load"), "total_rps");
		const char *accel = json_str(be, "accel");
		snprintf(b->accel, sizeof(b->accel), "%s", accel ? accel : "");
	}
	json_t *d = json_object_get(s, "density");
	r->density_max_count = json_num(d, "max_count");
	const char *stop = json_str(d, "stopped_by");
	snprintf(r->density_stop, sizeof(r->density_stop), "%s", stop ? stop : "unknown");
	return 0;
}

/* host.json is optional: the footnote says "host unknown" without it. */
static int read_host(struct crowd_plot_run *r, struct crowd_error *err)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/host.json", r->dir);
	snprintf(r->host, sizeof(r->host), "host unknown (no host.json)");
	if (access(path, F_OK) < 0)
		return 0;
	json_t *h = NULL;
	int ret = load_json(path, &h, err);
	if (ret < 0)
		return ret;
	const char *cpu = json_str(h, "cpu_model"), *kernel = json_str(h, "kernel_release");
	if (!kernel)
		kernel = json_str(h, "kernel");
	const char *layout = json_str(h, "cgroup_layout");
	double pus = json_num(json_object_get(h, "topology"), "pus");
	double mem = json_num(json_object_get(h, "memory"), "total_bytes");
	char cpus[32] = "", memtxt[32] = "";
	if (!isnan(pus))
		snprintf(cpus, sizeof(cpus), ", %.0f CPUs", pus);
	if (!isnan(mem))
		snprintf(memtxt, sizeof(memtxt), ", %.1f GiB", mem / (1024.0 * BYTES_PER_MIB));
	snprintf(r->host, sizeof(r->host), "%s%s%s, kernel %s, cgroups %s",
		 cpu ? cpu : "unknown CPU", cpus, memtxt, kernel ? kernel : "?",
		 layout ? layout : "?");
	json_decref(h);
	return 0;
}

void crowd_plot_run_free(struct crowd_plot_run *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < r->n_backends; i++)
		for (int k = 0; k < CROWD_PLOT_NCOLUMNS; k++)
			free(r->backend[i].col[k].v);
	json_decref(r->summary);
	free(r->steps);
	free(r);
}

static void run_freep(struct crowd_plot_run **r)
{
	crowd_plot_run_free(*r);
}

int crowd_plot_run_read(const char *dir, struct crowd_plot_run **ret, struct crowd_error *err)
{
	struct stat st;
	char real[PATH_MAX];
	if (stat(dir, &st) < 0)
		return crowd_error_errno(err, errno, "results folder '%s'", dir);
	if (!S_ISDIR(st.st_mode))
		return crowd_error_set(err, ENOTDIR, "%s: not a folder", dir);
	if (!realpath(dir, real))
		return crowd_error_errno(err, errno, "%s", dir);
	__attribute__((cleanup(run_freep))) struct crowd_plot_run *r = calloc(1, sizeof(*r));
	if (!r)
		return crowd_error_errno(err, ENOMEM, "%s", dir);
	memcpy(r->dir, real, sizeof(real));
	const char *base = strrchr(r->dir, '/');
	base = base && base[1] ? base + 1 : r->dir;
	size_t blen = strnlen(base, sizeof(r->name) - 1);
	memcpy(r->name, base, blen);
	r->name[blen] = '\0';
	r->density_max_count = NAN;

	static const char *const required[] = {"samples.csv", "summary.json"};
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(required); i++) {
		char path[PATH_MAX + 32];
		snprintf(path, sizeof(path), "%s/%s", r->dir, required[i]);
		if (access(path, R_OK) < 0)
			return crowd_error_set(err, ENOENT,
					       "%s: not a results folder (no readable %s)", dir,
					       required[i]);
	}
	int rc = read_samples(r, err);
	if (rc >= 0)
		rc = read_summary(r, err);
	if (rc >= 0)
		rc = read_host(r, err);
	if (rc >= 0)
		rc = read_density(r, err);
	if (rc < 0)
		return rc == -ENOENT ? -EINVAL : rc;
	*ret = crowd_steal_ptr(r);
	return 0;
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
		snprintf(buf, len, "%s:%s", r->name, backend);
	else
		snprintf(buf, len, "%s", backend ? backend : r ? r->name : "");
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
			if (is_vm(runs[i]->backend[b].name))
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
			const char *nm = runs[i]->backend[b].name;
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

static double median(const struct crowd_plot_values *c)
{
	return crowd_plot_quantile(c->v, c->n, 0.5);
}

/* ---- figures ---- */

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
			for (size_t k = 0; k < c->n; k++)
				fprintf(f, "%.6f %.6f\n", c->v[k], (double)(k + 1) / (double)c->n);
			int r = dat_close(f, "spinup-cdf", err);
			if (r < 0)
				return r;
			char title[200];
			series_title(title, sizeof(title), runs[i], runs[i]->backend[b].name, n);
			titles_add(&t, title);
			styles_add(&st, backend_lt(runs, n, runs[i]->backend[b].name),
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
			if (is_vm(be->name))
				continue;
			bool any = false;
			for (size_t p = 0; p < CROWD_ARRAY_SIZE(phase_columns); p++)
				any |= be->col[phase_columns[p]].n > 0;
			if (!any)
				continue;
			char title[200];
			series_title(title, sizeof(title), runs[i], be->name, n);
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
			if (is_vm(be->name) || (cg->n == 0 && pss->n == 0 && isnan(be->host_mib)))
				continue;
			has[0] |= cg->n > 0;
			has[1] |= pss->n > 0;
			has[2] |= !isnan(be->host_mib);
			char title[200];
			series_title(title, sizeof(title), runs[i], be->name, n);
			fprintf(f, "%s", title);
			const struct crowd_plot_values *cols[] = {cg, pss};
			for (size_t k = 0; k < CROWD_ARRAY_SIZE(cols); k++) {
				if (cols[k]->n == 0)
					fprintf(f, " NaN NaN NaN");
				else
					fprintf(f, " %.6f %.6f %.6f", median(cols[k]),
						crowd_plot_quantile(cols[k]->v, cols[k]->n, 0.1),
						crowd_plot_quantile(cols[k]->v, cols[k]->n, 0.9));
			}
			if (isnan(be->host_mib))
				fprintf(f, " NaN NaN NaN\n");
			else
				fprintf(f, " %.6f %.6f %.6f\n", be->host_mib, be->host_mib,
					be->host_mib);
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
			series_title(title, sizeof(title), runs[i], runs[i]->backend[b].name, n);
			fprintf(f, "%s# %s\n", t.n ? "\n\n" : "", title);
			for (size_t k = 0; k < c->n; k++)
				fprintf(f, "%.3f\n", c->v[k]);
			titles_add(&t, title);
			styles_add(&st, backend_lt(runs, n, runs[i]->backend[b].name),
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
		if (!r->steps)
			continue;
		FILE *f = dat_open(datadir, "rps-vs-n", (int)t.n + 1, err);
		if (!f)
			return -err->code;
		fprintf(f, "# count rps_per_container aggregate_rps(estimate: mean x N)\n");
		unsigned pts = 0;
		for (size_t s = 0; s < r->n_steps; s++) {
			const struct crowd_plot_density_step *d = &r->steps[s];
			if (isnan(d->rps_per_instance) || d->rps_per_instance < 0)
				continue;
			fprintf(f, "%.0f %.3f %.3f\n", d->count, d->rps_per_instance,
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
		styles_add(&st, backend_lt(runs, n, r->n_backends ? r->backend[0].name : ""), 2);
		size_t l = strlen(est);
		snprintf(est + l, sizeof(est) - l, "%s1", l ? " " : "");
		most = pts > most ? pts : most;
	}
	/* Plain runs: one series per backend name across the folders. */
	const char *names[CROWD_PLOT_MAX_BACKENDS * 4];
	unsigned nn = 0;
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < runs[i]->n_backends && !runs[i]->steps; b++) {
			const char *nm = runs[i]->backend[b].name;
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
			for (unsigned b = 0; b < runs[i]->n_backends && !runs[i]->steps; b++) {
				const struct crowd_plot_backend *be = &runs[i]->backend[b];
				const struct crowd_plot_values *c = &be->col[CROWD_PLOT_RPS];
				if (strcmp(be->name, names[k]) || c->n == 0)
					continue;
				double sum = 0;
				for (size_t j = 0; j < c->n; j++)
					sum += c->v[j];
				double agg = isnan(be->total_rps) ? sum : be->total_rps;
				pt[pts++] = (struct rps_point){(double)c->n, agg / (double)c->n,
							       agg, runs[i]->name};
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
	for (size_t i = 0; i < n; i++) {
		const struct crowd_plot_run *r = runs[i];
		if (!r->steps)
			continue;
		FILE *f = dat_open(datadir, "density", (int)t.n + 1, err);
		if (!f)
			return -err->code;
		fprintf(f, "# count mem_available_mib slab_mib cgroup_mib pss_mib spinup_p50_ms "
			   "spinup_p99_ms\n");
		for (size_t s = 0; s < r->n_steps; s++) {
			const struct crowd_plot_density_step *d = &r->steps[s];
			fprintf(f, "%.0f %.6f %.6f %.6f %.6f %.6f %.6f\n", d->count,
				d->mem_available_mib, d->slab_mib, d->cgroup_mib, d->pss_mib,
				d->spinup_p50_ms, d->spinup_p99_ms);
		}
		int rc = dat_close(f, "density", err);
		if (rc < 0)
			return rc;
		char title[200];
		series_title(title, sizeof(title), r, NULL, n);
		titles_add(&t, title);
		size_t ls = strlen(stops), lr = strlen(reasons);
		snprintf(stops + ls, sizeof(stops) - ls, "%s%.0f", t.n > 1 ? " " : "",
			 isnan(r->density_max_count) ? -1.0 : r->density_max_count);
		snprintf(reasons + lr, sizeof(reasons) - lr, "%s%s", t.n > 1 ? " " : "",
			 r->density_stop);
	}
	if (t.n == 0)
		return job_skip(job, "no folder has density.csv (made by crowd density)");
	job_setnum(job, "n", t.n);
	crowd_plot_job_setstr(job, "titles", t.s);
	crowd_plot_job_setstr(job, "stops", stops);
	return crowd_plot_job_setstr(job, "reasons", reasons);
}

/* Containers against the VM of the same folder: spin-up p50 and PSS p50 per instance, with
 * the VM/container ratio per container backend. */
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
			if (is_vm(r->backend[b].name))
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
			char name[48], title[200];
			/* Software emulation is much slower than KVM: say which one ran. */
			snprintf(name, sizeof(name), "%s%s%s%s", be->name, be->accel[0] ? "(" : "",
				 be->accel, be->accel[0] ? ")" : "");
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
