/* samples.csv and density.csv: one column table per file drives both the writer (documented
 * order) and the reader (columns found by name, unknown ones ignored). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"
#include "results.h"

/* How a column is stored in its row and written: absent numbers are written empty and
 * read back as -1. */
enum col_kind {
	COL_STR,    /* char[len]; quoted when it holds , " or a line break, or is empty */
	COL_TEXT,   /* char[len]; always quoted, so an empty one reads as empty, not absent */
	COL_U32,    /* int or unsigned, 0..INT32_MAX */
	COL_I64,    /* int64_t, < 0 absent */
	COL_STATUS, /* enum crowd_status by name */
	COL_RPS,    /* double, < 0 absent, 3 decimals */
	COL_REAL,   /* double, < 0 absent, shortest text that reads back exactly */
	COL_SIGNED, /* double that may be negative, NAN absent */
};

struct col {
	const char *name;
	enum col_kind kind;
	size_t off, len; /* in the row struct */
};

/* ---- the tables ---- */

/* samples.csv rows: the sample and the load generator's extra columns side by side. */
struct sample_row {
	struct crowd_sample s;
	struct crowd_sample_extra x;
};
#define S_COL(n, k, f)                                                                             \
	{                                                                                          \
		n, k, offsetof(struct sample_row, f), sizeof(((struct sample_row *)0)->f)          \
	}

/* docs/architecture.md "The results contract": this order, new columns appended after. */
static const struct col sample_cols[] = {
    S_COL("backend", COL_STR, s.backend),
    S_COL("workload", COL_STR, s.workload),
    S_COL("index", COL_U32, s.index),
    S_COL("id", COL_STR, s.id),
    S_COL("status", COL_STATUS, s.status),
    S_COL("t_request_ns", COL_I64, s.t_request_ns),
    S_COL("t_cgroup_ns", COL_I64, s.t_cgroup_ns),
    S_COL("t_clone_ns", COL_I64, s.t_clone_ns),
    S_COL("t_setup_ns", COL_I64, s.t_setup_ns),
    S_COL("t_ready_ns", COL_I64, s.t_ready_ns),
    S_COL("t_first_response_ns", COL_I64, s.t_first_response_ns),
    S_COL("spinup_ns", COL_I64, s.spinup_ns),
    S_COL("teardown_ns", COL_I64, s.teardown_ns),
    S_COL("cgroup_bytes", COL_I64, s.cgroup_bytes),
    S_COL("pss_bytes", COL_I64, s.pss_bytes),
    S_COL("rss_bytes", COL_I64, s.rss_bytes),
    S_COL("rps", COL_RPS, s.rps),
    S_COL("error", COL_TEXT, s.error),
};
/* Written when the run has them (load ran); optional when reading. */
static const struct col extra_cols[] = {
    S_COL("latency_p50_ns", COL_I64, x.latency_p50_ns),
    S_COL("latency_p99_ns", COL_I64, x.latency_p99_ns),
    S_COL("errors", COL_I64, x.errors),
};
/* Always written, after the optional ones above; optional when reading (older folders):
 * how the instance ended, and what its engine costs outside its cgroup. */
static const struct col late_cols[] = {
    S_COL("end_reason", COL_STR, x.end_reason),
    S_COL("exit_code", COL_I64, x.exit_code),
    S_COL("end_signal", COL_I64, x.end_signal),
    S_COL("end_phase", COL_STR, x.end_phase),
    S_COL("engine_bytes", COL_I64, s.engine_bytes),
};
/* Where the row was measured: written last, whenever the rows have them (every run since
 * results version 1); optional when reading. */
static const struct col origin_cols[] = {
    S_COL("host", COL_STR, x.host),
    S_COL("run_id", COL_STR, x.run_id),
};

#define D_COL(n, k, f)                                                                             \
	{                                                                                          \
		n, k, offsetof(struct crowd_density_step, f),                                      \
		    sizeof(((struct crowd_density_step *)0)->f)                                    \
	}
static const struct col density_cols[] = {
    D_COL("step", COL_U32, step),
    D_COL("count", COL_U32, count),
    D_COL("spinup_p50_ns", COL_I64, spinup_p50_ns),
    D_COL("spinup_p99_ns", COL_I64, spinup_p99_ns),
    D_COL("mem_available_per_instance_bytes", COL_SIGNED, mem_available_per_instance_bytes),
    D_COL("slab_per_instance_bytes", COL_SIGNED, slab_per_instance_bytes),
    D_COL("cgroup_per_instance_bytes", COL_REAL, cgroup_per_instance_bytes),
    D_COL("pss_per_instance_bytes", COL_REAL, pss_per_instance_bytes),
    D_COL("rps_per_instance", COL_REAL, rps_per_instance),
};

_Static_assert(sizeof(int) == 4 && sizeof(unsigned) == 4 &&
		   sizeof(enum crowd_status) == sizeof(int),
	       "COL_U32 and COL_STATUS fields are 4 bytes");

/* ---- writing ---- */

static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The shortest of %.15g..%.17g that reads back exactly. */
static void put_real(FILE *f, double v)
{
	char buf[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

static void put_field(FILE *f, const struct col *c, const void *row)
{
	const char *p = (const char *)row + c->off;
	int64_t i64;
	double d;
	unsigned u;
	switch (c->kind) {
	case COL_STR:
		if (p[0] && !strpbrk(p, ",\"\r\n"))
			fputs(p, f);
		else
			put_quoted(f, p);
		break;
	case COL_TEXT:
		put_quoted(f, p);
		break;
	case COL_U32:
		memcpy(&u, p, sizeof(u));
		fprintf(f, "%u", u);
		break;
	case COL_STATUS:
		memcpy(&u, p, sizeof(u));
		fputs(crowd_status_name((enum crowd_status)u), f);
		break;
	case COL_I64:
		memcpy(&i64, p, sizeof(i64));
		if (i64 >= 0)
			fprintf(f, "%lld", (long long)i64);
		break;
	case COL_RPS:
	case COL_REAL:
	case COL_SIGNED:
		memcpy(&d, p, sizeof(d));
		if (isnan(d) || (c->kind != COL_SIGNED && d < 0))
			break;
		if (c->kind == COL_RPS)
			fprintf(f, "%.3f", d);
		else
			put_real(f, d);
		break;
	}
}

static void put_header(FILE *f, const struct col *cols, size_t n, bool first)
{
	for (size_t c = 0; c < n; c++)
		fprintf(f, "%s%s", first && !c ? "" : ",", cols[c].name);
}

static void put_row(FILE *f, const struct col *cols, size_t n, const void *row, bool first)
{
	for (size_t c = 0; c < n; c++) {
		if (!first || c)
			fputc(',', f);
		put_field(f, &cols[c], row);
	}
}

static int close_checked(FILE *f, const char *path, struct crowd_error *err)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return crowd_error_errno(err, errno ? errno : EIO, "write %s", path);
	return 0;
}

int crowd_results_write_samples_cols(const char *path, const struct crowd_sample *s,
				     const struct crowd_sample_extra *extra, size_t n, bool latency,
				     bool origin, struct crowd_error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	latency = latency && extra;
	origin = origin && extra;
	put_header(f, sample_cols, CROWD_ARRAY_SIZE(sample_cols), true);
	if (latency)
		put_header(f, extra_cols, CROWD_ARRAY_SIZE(extra_cols), false);
	put_header(f, late_cols, CROWD_ARRAY_SIZE(late_cols), false);
	if (origin)
		put_header(f, origin_cols, CROWD_ARRAY_SIZE(origin_cols), false);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		struct sample_row row = {.s = s[i]};
		if (extra)
			row.x = extra[i];
		put_row(f, sample_cols, CROWD_ARRAY_SIZE(sample_cols), &row, true);
		if (latency)
			put_row(f, extra_cols, CROWD_ARRAY_SIZE(extra_cols), &row, false);
		put_row(f, late_cols, CROWD_ARRAY_SIZE(late_cols), &row, false);
		if (origin)
			put_row(f, origin_cols, CROWD_ARRAY_SIZE(origin_cols), &row, false);
		fputc('\n', f);
	}
	return close_checked(f, path, err);
}

int crowd_results_write_samples(const char *path, const struct crowd_sample *s,
				const struct crowd_sample_extra *extra, size_t n,
				struct crowd_error *err)
{
	bool origin = false;
	for (size_t i = 0; extra && i < n && !origin; i++)
		origin = extra[i].host[0] || extra[i].run_id[0];
	return crowd_results_write_samples_cols(path, s, extra, n, true, origin, err);
}

int crowd_results_write_density(const char *path, const struct crowd_density_step *steps, size_t n,
				struct crowd_error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	put_header(f, density_cols, CROWD_ARRAY_SIZE(density_cols), true);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		put_row(f, density_cols, CROWD_ARRAY_SIZE(density_cols), &steps[i], true);
		fputc('\n', f);
	}
	return close_checked(f, path, err);
}

/* ---- reading ---- */

/* path opened for reading into *ret; -errno with err (-EINVAL when it is no regular file:
 * bad input, as a malformed file is, exit 2 in compare and plot alike). */
static int open_regular(const char *path, FILE **ret, struct crowd_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return crowd_error_errno(err, errno, "open %s", path);
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		return crowd_error_set(err, EINVAL, "%s: not a regular file", path);
	}
	*ret = f;
	return 0;
}

/* A whole file in memory, NUL-terminated; a NUL byte inside is -EINVAL (not a CSV). */
static int slurp(const char *path, char **ret, struct crowd_error *err)
{
	FILE *f = NULL;
	int ro = open_regular(path, &f, err);
	if (ro < 0)
		return ro;
	size_t cap = 65536, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (!buf || len + 1 == cap)
		return crowd_error_errno(err, ENOMEM, "read %s", path);
	if (bad)
		return crowd_error_errno(err, EIO, "read %s", path);
	buf[len] = '\0';
	if (strlen(buf) != len)
		return crowd_error_set(err, EINVAL, "%s: not a text file (NUL byte)", path);
	*ret = crowd_steal_ptr(buf);
	return 0;
}

/* CSV tokenizer over a buffer (RFC 4180: "" inside quotes is a quote): fields of the current
 * record, unquoted in place. */
struct csv {
	char *p;
	unsigned line; /* of the record just read */
	unsigned next; /* of the next one (a quoted field may span lines) */
};
#define CSV_MAX_FIELDS 64

/* Split the next record into fields; returns the count, 0 at end of input, -1 on a bad
 * quote. Fields point into the buffer (modified). */
static int csv_record(struct csv *c, char **fields)
{
	int n = 0;
	if (!*c->p)
		return 0;
	c->line = c->next++;
	for (;;) {
		char *out = c->p, *start = c->p;
		if (*c->p == '"') {
			c->p++;
			for (;;) {
				if (!*c->p)
					return -1;
				if (*c->p == '"') {
					if (c->p[1] != '"')
						break;
					c->p++;
				}
				c->next += *c->p == '\n';
				*out++ = *c->p++;
			}
			c->p++;
			if (*c->p && !strchr(",\r\n", *c->p))
				return -1;
		} else {
			c->p += strcspn(c->p, ",\r\n");
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
			return n;
	}
}

static int parse_i64(const char *s, int64_t *ret)
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

static int parse_double(const char *s, bool may_be_negative, double *ret)
{
	if (!*s) {
		*ret = -1;
		return 0;
	}
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || (!may_be_negative && v < 0))
		return -1;
	*ret = v;
	return 0;
}

static int parse_status(const char *s, unsigned *ret)
{
	static const enum crowd_status all[] = {CROWD_STATUS_OK, CROWD_STATUS_FAILED,
						CROWD_STATUS_INTERRUPTED};
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(all); i++)
		if (!strcmp(s, crowd_status_name(all[i]))) {
			*ret = all[i];
			return 0;
		}
	return -1;
}

/* Field v of column c into row; -1 when it is not a value of the column's kind. */
static int get_field(const struct col *c, const char *v, void *row)
{
	char *p = (char *)row + c->off;
	int64_t i64;
	double d;
	unsigned u;
	switch (c->kind) {
	case COL_STR:
	case COL_TEXT:
		if (strlen(v) >= c->len)
			return -1;
		strcpy(p, v);
		return 0;
	case COL_U32:
		if (parse_i64(v, &i64) < 0 || i64 < 0 || i64 > INT32_MAX)
			return -1;
		u = (unsigned)i64;
		memcpy(p, &u, sizeof(u));
		return 0;
	case COL_STATUS:
		if (parse_status(v, &u) < 0)
			return -1;
		memcpy(p, &u, sizeof(u));
		return 0;
	case COL_I64:
		if (parse_i64(v, &i64) < 0)
			return -1;
		memcpy(p, &i64, sizeof(i64));
		return 0;
	case COL_RPS:
	case COL_REAL:
	case COL_SIGNED:
		if (parse_double(v, c->kind == COL_SIGNED, &d) < 0)
			return -1;
		memcpy(p, &d, sizeof(d));
		return 0;
	}
	return -1;
}

/* What one CSV file is read into: its columns (the first n_required must be in the header)
 * and the rows, row_size bytes each, set up by init before their fields are read. */
struct csv_spec {
	const struct col *const *cols; /* NULL-free array of n_cols pointers */
	size_t n_cols, n_required;
	size_t row_size;
	void (*init)(void *row);
};

/* The header of c into map (map[h]: the spec column of field h, NULL for one the spec does
 * not know); returns the number of fields, or -EINVAL when a required column is missing. */
static int csv_header(struct csv *c, const char *path, const struct csv_spec *spec,
		      const struct col **map, struct crowd_error *err)
{
	char *f[CSV_MAX_FIELDS];
	int nh = csv_record(c, f);
	if (nh <= 0 || (nh == 1 && !f[0][0]))
		return crowd_error_set(err, EINVAL,
				       "%s:1: no header line (empty or truncated file)", path);
	if (nh >= CSV_MAX_FIELDS)
		return crowd_error_set(err, EINVAL, "%s:1: more than %d columns", path,
				       CSV_MAX_FIELDS - 1);
	for (size_t k = 0; k < spec->n_cols; k++) {
		int h = 0;
		while (h < nh && strcmp(f[h], spec->cols[k]->name))
			h++;
		if (h < nh)
			map[h] = spec->cols[k];
		else if (k < spec->n_required)
			return crowd_error_set(err, EINVAL, "%s:1: header lacks column '%s'", path,
					       spec->cols[k]->name);
	}
	return nh;
}

/* The next row of c into row: 1, 0 at the end, -EINVAL (file and line in err) when it is
 * not a row of nh fields of the mapped kinds. */
static int csv_row(struct csv *c, const char *path, const struct csv_spec *spec,
		   const struct col *const *map, int nh, void *row, struct crowd_error *err)
{
	char *f[CSV_MAX_FIELDS];
	int nf;
	do
		nf = csv_record(c, f);
	while (nf == 1 && !f[0][0]); /* blank lines */
	if (nf == 0)
		return 0;
	if (nf < 0)
		return crowd_error_set(err, EINVAL, "%s:%u: unterminated quote", path, c->line);
	if (nf != nh)
		return crowd_error_set(
		    err, EINVAL, "%s:%u: %d fields, header has %d (truncated or malformed row)",
		    path, c->line, nf, nh);
	spec->init(row);
	for (int h = 0; h < nf; h++)
		if (map[h] && get_field(map[h], f[h], row) < 0)
			return crowd_error_set(err, EINVAL, "%s:%u: bad %s '%.40s'", path, c->line,
					       map[h]->name, f[h]);
	return 1;
}

/* Read path into *ret (malloc'd, *ret_n rows): header names map to spec columns, columns the
 * spec does not know are skipped, every row has as many fields as the header. Errors name the
 * file and line. */
static int csv_read(const char *path, const struct csv_spec *spec, void **ret, size_t *ret_n,
		    struct crowd_error *err)
{
	_cleanup_free_ char *buf = NULL;
	const struct col *map[CSV_MAX_FIELDS] = {NULL};
	int r = slurp(path, &buf, err);
	if (r < 0)
		return r;
	struct csv c = {.p = buf, .next = 1};
	int nh = csv_header(&c, path, spec, map, err);
	if (nh < 0)
		return nh;
	size_t cap = 1; /* rows <= newlines + 1 */
	for (const char *q = c.p; *q; q++)
		cap += *q == '\n';
	_cleanup_free_ char *rows = calloc(cap, spec->row_size);
	if (!rows)
		return crowd_error_errno(err, ENOMEM, "read %s", path);
	size_t n = 0;
	while (n < cap &&
	       (r = csv_row(&c, path, spec, map, nh, rows + n * spec->row_size, err)) > 0)
		n++;
	if (r < 0)
		return r;
	*ret = crowd_steal_ptr(rows);
	*ret_n = n;
	return 0;
}

static void sample_row_init(void *row)
{
	struct sample_row *r = row;
	crowd_sample_init(&r->s);
	crowd_sample_extra_init(&r->x);
}

/* Every samples.csv column a reader knows, in contract order: the required ones, then the
 * optional groups (an older folder lacks some). */
#define SAMPLE_NCOLS                                                                               \
	(CROWD_ARRAY_SIZE(sample_cols) + CROWD_ARRAY_SIZE(extra_cols) +                            \
	 CROWD_ARRAY_SIZE(late_cols) + CROWD_ARRAY_SIZE(origin_cols))
static struct csv_spec sample_spec(const struct col **cols)
{
	static const struct {
		const struct col *v;
		size_t n;
	} groups[] = {{sample_cols, CROWD_ARRAY_SIZE(sample_cols)},
		      {extra_cols, CROWD_ARRAY_SIZE(extra_cols)},
		      {late_cols, CROWD_ARRAY_SIZE(late_cols)},
		      {origin_cols, CROWD_ARRAY_SIZE(origin_cols)}};
	size_t k = 0;
	for (size_t g = 0; g < CROWD_ARRAY_SIZE(groups); g++)
		for (size_t i = 0; i < groups[g].n; i++)
			cols[k++] = &groups[g].v[i];
	return (struct csv_spec){cols, k, CROWD_ARRAY_SIZE(sample_cols), sizeof(struct sample_row),
				 sample_row_init};
}

int crowd_results_read_samples(const char *path, struct crowd_sample **ret,
			       struct crowd_sample_extra **ret_extra, size_t *ret_n,
			       struct crowd_error *err)
{
	const struct col *cols[SAMPLE_NCOLS];
	const struct csv_spec spec = sample_spec(cols);
	_cleanup_free_ struct sample_row *rows = NULL;
	size_t n;
	int r = csv_read(path, &spec, (void **)&rows, &n, err);
	if (r < 0)
		return r;
	_cleanup_free_ struct crowd_sample *s = calloc(n + 1, sizeof(*s));
	_cleanup_free_ struct crowd_sample_extra *x = calloc(n + 1, sizeof(*x));
	if (!s || !x)
		return crowd_error_errno(err, ENOMEM, "read %s", path);
	for (size_t i = 0; i < n; i++) {
		s[i] = rows[i].s;
		x[i] = rows[i].x;
	}
	*ret = crowd_steal_ptr(s);
	if (ret_extra)
		*ret_extra = crowd_steal_ptr(x);
	*ret_n = n;
	return 0;
}

static void density_row_init(void *row)
{
	memset(row, 0, sizeof(struct crowd_density_step));
}

int crowd_results_read_density(const char *path, struct crowd_density_step **ret, size_t *ret_n,
			       struct crowd_error *err)
{
	const struct col *cols[CROWD_ARRAY_SIZE(density_cols)];
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(density_cols); i++)
		cols[i] = &density_cols[i];
	const struct csv_spec spec = {cols, CROWD_ARRAY_SIZE(cols), CROWD_ARRAY_SIZE(cols),
				      sizeof(struct crowd_density_step), density_row_init};
	return csv_read(path, &spec, (void **)ret, ret_n, err);
}

/* ---- streaming: one record at a time, for results too big to hold as rows ---- */

/* The next record of f into *buf (a quoted field may span lines: lines are joined while the
 * quotes are unbalanced); its length, 0 at the end, -1 on a read error. *lines gets the
 * number of lines read. */
static ssize_t next_record(FILE *f, char **buf, size_t *cap, unsigned *lines)
{
	size_t len = 0, quotes = 0;
	_cleanup_free_ char *line = NULL;
	size_t lcap = 0;
	*lines = 0;
	for (;;) {
		ssize_t r = getline(&line, &lcap, f);
		if (r < 0)
			return ferror(f) ? -1 : (ssize_t)len;
		(*lines)++;
		if (len + (size_t)r + 1 > *cap) {
			size_t nc = (len + (size_t)r + 1) * 2;
			char *nb = realloc(*buf, nc);
			if (!nb)
				return -1;
			*buf = nb;
			*cap = nc;
		}
		memcpy(*buf + len, line, (size_t)r + 1);
		len += (size_t)r;
		for (ssize_t i = 0; i < r; i++)
			quotes += line[i] == '"';
		if (quotes % 2 == 0)
			return (ssize_t)len;
	}
}

int crowd_results_scan_samples(const char *path,
			       int (*fn)(const struct crowd_sample *s,
					 const struct crowd_sample_extra *x, void *ctx),
			       void *ctx, struct crowd_error *err)
{
	const struct col *cols[SAMPLE_NCOLS];
	const struct csv_spec spec = sample_spec(cols);
	const struct col *map[CSV_MAX_FIELDS] = {NULL};
	FILE *f = NULL;
	int ro = open_regular(path, &f, err);
	if (ro < 0)
		return ro;
	_cleanup_free_ char *buf = NULL;
	size_t cap = 0;
	unsigned lines, line = 1;
	int nh = -1, r = 0;
	struct sample_row row;
	for (;;) {
		ssize_t len = next_record(f, &buf, &cap, &lines);
		if (len < 0) {
			r = crowd_error_errno(err, ferror(f) ? EIO : ENOMEM, "read %s", path);
			break;
		}
		if (len > 0 && strlen(buf) != (size_t)len) {
			r = crowd_error_set(err, EINVAL, "%s: not a text file (NUL byte)", path);
			break;
		}
		/* an unbalanced quote at the end of the file: the tokenizer names it */
		struct csv c = {.p = len ? buf : (char *)"", .next = line};
		if (nh < 0) {
			nh = csv_header(&c, path, &spec, map, err);
			if (nh < 0) {
				r = nh;
				break;
			}
		} else if (len == 0) {
			break;
		} else {
			int got = csv_row(&c, path, &spec, map, nh, &row, err);
			if (got < 0) {
				r = got;
				break;
			}
			if (got > 0 && (r = fn(&row.s, &row.x, ctx)) < 0)
				break;
		}
		line += lines;
		if (len == 0)
			break;
	}
	fclose(f);
	return r < 0 ? r : 0;
}
