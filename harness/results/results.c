/* The results folder: the metrics table, the summary computed from the samples, the folder
 * written and read back whole (the files' formats are in results_csv.c and results_json.c). */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"
#include "stats.h"
#include "core/util.h"
#include "version.h"

_Static_assert(CROWD_METRICS_MAX >= 11, "crowd_metrics fits struct crowd_summary_backend");

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
	int64_t from = s->t_setup_ns >= 0   ? s->t_setup_ns
		       : s->t_clone_ns >= 0 ? s->t_clone_ns
					    : s->t_request_ns;
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
static double m_engine(const struct crowd_sample *s)
{
	return v_or_nan(s->engine_bytes);
}
static double m_rps(const struct crowd_sample *s)
{
	return s->rps < 0 ? NAN : s->rps;
}

const struct crowd_metric crowd_metrics[] = {
    {"spinup_ns", "ns", false, m_spinup},
    {"phase_cgroup_ns", "ns", false, m_phase_cgroup},
    {"phase_clone_ns", "ns", false, m_phase_clone},
    {"phase_setup_ns", "ns", false, m_phase_setup},
    {"phase_ready_ns", "ns", false, m_phase_ready},
    {"phase_first_response_ns", "ns", false, m_phase_first_response},
    {"teardown_ns", "ns", false, m_teardown},
    {"cgroup_bytes", "bytes", false, m_cgroup},
    {"pss_bytes", "bytes", false, m_pss},
    {"rss_bytes", "bytes", false, m_rss},
    {"engine_bytes", "bytes", false, m_engine},
    {"rps", "req/s", true, m_rps},
};
const unsigned crowd_metrics_len = CROWD_ARRAY_SIZE(crowd_metrics);

const struct crowd_metric *crowd_metric_find(const char *name)
{
	for (unsigned i = 0; i < crowd_metrics_len; i++)
		if (!strcmp(crowd_metrics[i].name, name))
			return &crowd_metrics[i];
	return NULL;
}

const char *crowd_metric_names(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < crowd_metrics_len && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					crowd_metrics[i].name);
	return buf;
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

const char *const crowd_end_reasons[CROWD_END_REASONS] = {
    "running-at-teardown", "exit",    "signal",	    "oom", "vanished",
    "failed-start",	   "timeout", "interrupted"};

void crowd_sample_extra_init(struct crowd_sample_extra *x)
{
	x->latency_p50_ns = x->latency_p99_ns = x->errors = -1;
	x->host[0] = x->run_id[0] = '\0';
	x->exit_code = x->end_signal = -1;
	x->end_reason[0] = x->end_phase[0] = '\0';
}

void crowd_backend_summary_init(struct crowd_backend_summary *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->mem_available_delta_per_instance = b->slab_delta_per_instance = -1;
	b->total_rps = b->jain = b->client_cpu_ns = b->duration_ns = -1;
}

/* ---- the summary ---- */

void crowd_summary_backend_init(struct crowd_summary_backend *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->mem_available_delta_per_instance = b->slab_delta_per_instance = NAN;
	b->total_rps = b->jain = b->client_cpu_ns = b->duration_ns = NAN;
}

const struct crowd_summary_backend *crowd_summary_backend(const struct crowd_summary *s,
							  const char *name)
{
	for (unsigned i = 0; i < s->n_backends; i++)
		if (!strcmp(s->backends[i].name, name))
			return &s->backends[i];
	return NULL;
}

const struct crowd_stats *crowd_summary_stats(const struct crowd_summary_backend *b,
					      const struct crowd_metric *m)
{
	if (!b || !m)
		return NULL;
	size_t i = (size_t)(m - crowd_metrics);
	return i < crowd_metrics_len && b->metrics[i].n ? &b->metrics[i] : NULL;
}

/* Backend name in s, added (if there is room) when new. */
static struct crowd_summary_backend *summary_add(struct crowd_summary *s, const char *name)
{
	struct crowd_summary_backend *b =
	    (struct crowd_summary_backend *)crowd_summary_backend(s, name);
	if (b || s->n_backends >= CROWD_MAX_BACKENDS)
		return b;
	b = &s->backends[s->n_backends++];
	crowd_summary_backend_init(b, name);
	return b;
}

/* Rows, failures and interruptions per backend; backends new to s added in order of first
 * appearance. */
static void summary_count(struct crowd_summary *s, const struct crowd_sample *x,
			  const struct crowd_sample_extra *ex, size_t n)
{
	for (unsigned i = 0; i < s->n_backends; i++) {
		s->backends[i].count = s->backends[i].failures = s->backends[i].interrupted = 0;
		memset(s->backends[i].ends, 0, sizeof(s->backends[i].ends));
	}
	for (size_t i = 0; i < n; i++) {
		struct crowd_summary_backend *b = summary_add(s, x[i].backend);
		if (!b)
			continue;
		b->count++;
		b->failures += x[i].status == CROWD_STATUS_FAILED;
		b->interrupted += x[i].status == CROWD_STATUS_INTERRUPTED;
		for (unsigned e = 0; ex && e < CROWD_END_REASONS; e++)
			b->ends[e] += !strcmp(ex[i].end_reason, crowd_end_reasons[e]);
	}
}

/* What the launcher knew of backend b beyond its samples. */
static void summary_facts(struct crowd_summary_backend *b, const struct crowd_backend_summary *f)
{
	snprintf(b->ready_kind, sizeof(b->ready_kind), "%s", f->ready_kind ? f->ready_kind : "");
	snprintf(b->accel, sizeof(b->accel), "%s", f->accel ? f->accel : "");
	snprintf(b->kernel, sizeof(b->kernel), "%s", f->kernel ? f->kernel : "");
	if ((b->have_host = f->have_host_deltas)) {
		b->mem_available_delta_per_instance = f->mem_available_delta_per_instance;
		b->slab_delta_per_instance = f->slab_delta_per_instance;
	}
	if ((b->have_load = f->load_ran)) {
		b->load_partial = f->load_partial;
		b->total_rps = f->total_rps;
		b->jain = f->jain;
		b->client_cpu_ns = f->client_cpu_ns;
		b->duration_ns = f->duration_ns;
		b->connections = f->connections;
	}
}

/* The statistics of every metric of b over the ok samples (vals has room for n). */
static int summary_stats(struct crowd_summary_backend *b, const struct crowd_sample *s, size_t n,
			 double *vals, struct crowd_error *err)
{
	for (unsigned m = 0; m < crowd_metrics_len; m++) {
		size_t k = crowd_metric_values(&crowd_metrics[m], s, n, b->name, vals);
		int r =
		    k ? crowd_stats_summarize(vals, k, CROWD_STATS_SEED, &b->metrics[m], err) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

const char *const crowd_sweep_metrics[CROWD_SWEEP_METRICS] = {"spinup_ns", "cgroup_bytes",
							      "pss_bytes"};

/* The step sweep step i is measured against: its table's base, else the one before; -1 for
 * the first. */
static int sweep_base(const struct crowd_run_output *out, unsigned i)
{
	unsigned n = 0;
	const struct crowd_sweep_step *t =
	    out->cfg ? crowd_sweep_table(out->cfg->sweep, &n) : NULL;
	if (t && i < n && t[i].base >= 0)
		return t[i].base;
	return (int)i - 1;
}

/* Metric m of sweep step i against its base (prev and cur have room for out->n). */
static int sweep_metric(struct crowd_summary *s, unsigned i, unsigned j,
			const struct crowd_run_output *out, double *prev, double *cur,
			struct crowd_error *err)
{
	const struct crowd_metric *m = crowd_metric_find(crowd_sweep_metrics[j]);
	const struct crowd_stats *st = crowd_summary_stats(&s->backends[i], m);
	struct crowd_summary_sweep_value *sm = &s->sweep[i].m[j];
	sm->p50 = st ? st->p50 : NAN;
	sm->ci95_lo = st ? st->ci95_lo : NAN;
	sm->ci95_hi = st ? st->ci95_hi : NAN;
	sm->delta = sm->delta_lo = sm->delta_hi = NAN;
	int base = sweep_base(out, i);
	if (base < 0 || (unsigned)base >= s->n_backends || !m)
		return 0;
	size_t kp = crowd_metric_values(m, out->samples, out->n, s->backends[base].name, prev);
	size_t kc = crowd_metric_values(m, out->samples, out->n, s->backends[i].name, cur);
	if (!kp || !kc)
		return 0;
	return crowd_stats_diff_ci(prev, kp, cur, kc, CROWD_STATS_RESAMPLES, 0.95, CROWD_STATS_SEED,
				   &sm->delta, &sm->delta_lo, &sm->delta_hi, err);
}

/* The sweep table: every backend of s is a step, in order. */
static int summary_sweep(struct crowd_summary *s, const struct crowd_run_output *out,
			 struct crowd_error *err)
{
	size_t n = out->n ? out->n : 1;
	_cleanup_free_ double *prev = malloc(n * sizeof(double));
	_cleanup_free_ double *cur = malloc(n * sizeof(double));
	if (!prev || !cur)
		return crowd_error_errno(err, ENOMEM, "summarize the sweep");
	snprintf(s->sweep_kind, sizeof(s->sweep_kind), "%s",
		 out->cfg && out->cfg->sweep ? crowd_sweep_kind_name(out->cfg->sweep) : "security");
	for (unsigned i = 0; i < s->n_backends; i++) {
		snprintf(s->sweep[i].name, sizeof(s->sweep[i].name), "%s", s->backends[i].name);
		int base = sweep_base(out, i);
		snprintf(s->sweep[i].vs, sizeof(s->sweep[i].vs), "%s",
			 base >= 0 && (unsigned)base < s->n_backends ? s->backends[base].name : "");
		for (unsigned j = 0; j < CROWD_SWEEP_METRICS; j++) {
			int r = sweep_metric(s, i, j, out, prev, cur, err);
			if (r < 0)
				return r;
		}
		s->n_sweep = i + 1;
	}
	return 0;
}

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int crowd_results_summarize(const struct crowd_run_output *out, struct crowd_summary *ret,
			    struct crowd_error *err)
{
	memset(ret, 0, sizeof(*ret));
	ret->results_version = CROWD_RESULTS_VERSION;
	snprintf(ret->host, sizeof(ret->host), "%s", out->host ? out->host : "");
	snprintf(ret->run_id, sizeof(ret->run_id), "%s", out->run_id ? out->run_id : "");
	snprintf(ret->crowd_version, sizeof(ret->crowd_version), "%s", CROWD_VERSION);
	snprintf(ret->git, sizeof(ret->git), "%s", CROWD_GIT);
	snprintf(ret->run, sizeof(ret->run), "%s", out->run_name ? out->run_name : ".");
	snprintf(ret->workload, sizeof(ret->workload), "%s",
		 out->cfg && out->cfg->workload.name[0] ? out->cfg->workload.name
		 : out->n				? out->samples[0].workload
							: "");
	iso_time(out->started ? out->started : time(NULL), ret->started, sizeof(ret->started));
	ret->count = out->n;
	snprintf(ret->interrupted_phase, sizeof(ret->interrupted_phase), "%s",
		 out->interrupted_phase ? out->interrupted_phase : "");
	for (size_t i = 0; i < out->n_backends; i++)
		summary_add(ret, out->backends[i].name);
	summary_count(ret, out->samples, out->extra, out->n);
	_cleanup_free_ double *vals = malloc((out->n ? out->n : 1) * sizeof(double));
	if (!vals)
		return crowd_error_errno(err, ENOMEM, "summarize the run");
	for (unsigned i = 0; i < ret->n_backends; i++) {
		struct crowd_summary_backend *b = &ret->backends[i];
		for (size_t k = 0; k < out->n_backends; k++)
			if (!strcmp(out->backends[k].name, b->name))
				summary_facts(b, &out->backends[k]);
		int r = summary_stats(b, out->samples, out->n, vals, err);
		if (r < 0)
			return r;
	}
	if ((ret->have_density = out->density != NULL)) {
		ret->density_max_count = out->density->max_count;
		snprintf(ret->density_stopped_by, sizeof(ret->density_stopped_by), "%s",
			 crowd_density_stop_name(out->density->stopped_by));
		snprintf(ret->density_detail, sizeof(ret->density_detail), "%s",
			 out->density->detail ? out->density->detail : "");
		ret->density_ramp_ns = out->density->ramp_ns;
	}
	crowd_summary_kernel_fill(&ret->kernel, out->kernel);
	return out->sweep ? summary_sweep(ret, out, err) : 0;
}

/* ---- the folder ---- */

/* The last component of path (trailing slashes ignored) into buf. */
static void base_name(const char *path, char *buf, size_t len)
{
	size_t l = strlen(path);
	while (l > 1 && path[l - 1] == '/')
		l--;
	size_t b = l;
	while (b > 0 && path[b - 1] != '/')
		b--;
	snprintf(buf, len, "%.*s", (int)(l - b), path + b);
}

void crowd_results_hostname(char *buf, size_t len)
{
	const char *env = getenv("CROWD_HOST");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return;
	}
	if (gethostname(buf, len) < 0 || !buf[0])
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

int crowd_results_new_run_id(char *buf, size_t len, struct crowd_error *err)
{
	unsigned char b[16];
	size_t got = 0;
	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
		if (r < 0 && errno != EINTR)
			return crowd_error_errno(err, errno, "run id: getrandom");
		got += r > 0 ? (size_t)r : 0;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	if (len < 37)
		return crowd_error_set(err, ENAMETOOLONG, "run id: buffer too small");
	size_t off = 0;
	for (size_t i = 0; i < sizeof(b); i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%02x",
					i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", b[i]);
	return 0;
}

/* out's rows with host and run_id set (out->extra's, or none), calloc'd. */
static struct crowd_sample_extra *with_origin(const struct crowd_run_output *out)
{
	struct crowd_sample_extra *x = calloc(out->n + 1, sizeof(*x));
	for (size_t i = 0; x && i < out->n; i++) {
		if (out->extra)
			x[i] = out->extra[i];
		else
			crowd_sample_extra_init(&x[i]);
		if (!x[i].host[0])
			snprintf(x[i].host, sizeof(x[i].host), "%s", out->host);
		if (!x[i].run_id[0])
			snprintf(x[i].run_id, sizeof(x[i].run_id), "%s", out->run_id);
	}
	return x;
}

/* slab.csv: density's steps, or bench's one measurement as step 1. */
static int write_slab(const char *dir, const struct crowd_run_output *out, struct crowd_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/slab.csv", dir);
	if (out->slab_steps && out->n_steps) {
		_cleanup_free_ unsigned *st = calloc(out->n_steps, sizeof(*st));
		_cleanup_free_ unsigned *ct = calloc(out->n_steps, sizeof(*ct));
		if (!st || !ct)
			return crowd_error_errno(err, ENOMEM, "write %s", path);
		for (size_t i = 0; i < out->n_steps; i++) {
			st[i] = out->steps[i].step;
			ct[i] = out->steps[i].count;
		}
		return crowd_results_write_slab(path, st, ct, out->slab_steps, out->n_steps, err);
	}
	if (!out->kernel)
		return 0;
	unsigned one = 1, count = (unsigned)out->kernel->added;
	return crowd_results_write_slab(path, &one, &count, out->kernel, 1, err);
}

int crowd_results_write(const char *dir, const struct crowd_run_output *out_,
			struct crowd_summary *ret_summary, struct crowd_error *err)
{
	char path[PATH_MAX], host[64], run_id[40];
	struct crowd_run_output o = *out_, *out = &o;
	if (!o.host) {
		crowd_results_hostname(host, sizeof(host));
		o.host = host;
	}
	if (!o.run_id) {
		int r = crowd_results_new_run_id(run_id, sizeof(run_id), err);
		if (r < 0)
			return r;
		o.run_id = run_id;
	}
	_cleanup_free_ struct crowd_summary *sum = malloc(sizeof(*sum));
	_cleanup_free_ struct crowd_sample_extra *x = with_origin(out);
	if (!sum || !x)
		return crowd_error_errno(err, ENOMEM, "summarize the run");
	int r = crowd_results_summarize(out, sum, err);
	if (r < 0)
		return r;
	if (!out->run_name)
		base_name(dir, sum->run, sizeof(sum->run));
	if (ret_summary)
		*ret_summary = *sum;
	if ((r = crowd_mkdir_p(dir, 0755, 0755, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	if ((r = crowd_results_write_samples_cols(path, out->samples, x, out->n,
						  out->extra != NULL, true, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if ((r = crowd_results_write_summary(path, sum, err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/host.json", dir);
	if ((r = crowd_results_write_host(path, out, err)) < 0)
		return r;
	if ((r = write_slab(dir, out, err)) < 0)
		return r;
	if (!out->density)
		return 0;
	snprintf(path, sizeof(path), "%s/density.csv", dir);
	return crowd_results_write_density(path, out->steps, out->n_steps, err);
}

int crowd_results_default_dir(const struct crowd_config *cfg, time_t t, const char *root, char *buf,
			      size_t len, struct crowd_error *err)
{
	char stamp[32], backends[160] = "";
	struct tm tm;
	size_t off = 0;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (unsigned i = 0; i < cfg->n_backends && off < sizeof(backends); i++)
		off += (size_t)snprintf(backends + off, sizeof(backends) - off, "%s%s",
					i ? "+" : "", cfg->backends[i]);
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
	if (snprintf(buf, len, "%s/%s-%s-%s", root ? root : "results/runs", stamp, backends,
		     wlbuf) >= (int)len)
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

/* ---- reading a folder ---- */

/* True when path exists (the optional files of a folder). */
static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* What the samples say that summary.json did not: run name, workload, backends. */
static void fill_from_samples(struct crowd_results *r)
{
	struct crowd_summary *s = &r->summary;
	if (!s->run[0])
		snprintf(s->run, sizeof(s->run), "%s", r->folder);
	if (!s->workload[0] && r->n)
		snprintf(s->workload, sizeof(s->workload), "%s", r->samples[0].workload);
	/* sample order first, then names only summary.json has */
	struct crowd_summary from_json = *s;
	s->n_backends = 0;
	for (size_t i = 0; i < r->n; i++)
		summary_add(s, r->samples[i].backend);
	for (unsigned i = 0; i < from_json.n_backends; i++)
		summary_add(s, from_json.backends[i].name);
	for (unsigned i = 0; i < s->n_backends; i++) {
		const struct crowd_summary_backend *j =
		    crowd_summary_backend(&from_json, s->backends[i].name);
		if (j)
			s->backends[i] = *j;
	}
	summary_count(s, r->samples, r->extra, r->n);
	if (!r->have_summary)
		s->count = r->n;
}

/* Building the values of crowd_results_read_values row by row. */
struct values_ctx {
	struct crowd_results *r;
	size_t cap;
	char names[CROWD_MAX_BACKENDS][sizeof(((struct crowd_sample *)0)->backend)];
	unsigned n_names;
	unsigned count[CROWD_MAX_BACKENDS], failures[CROWD_MAX_BACKENDS],
	    interrupted[CROWD_MAX_BACKENDS];
	char workload[sizeof(((struct crowd_sample *)0)->workload)];
	const char *path;
	struct crowd_error *err;
};

static int values_row(const struct crowd_sample *s, const struct crowd_sample_extra *x, void *ctx)
{
	(void)x;
	struct values_ctx *c = ctx;
	struct crowd_results *r = c->r;
	unsigned b = 0;
	while (b < c->n_names && strcmp(c->names[b], s->backend))
		b++;
	if (b == c->n_names) {
		if (b >= CROWD_MAX_BACKENDS)
			return crowd_error_set(c->err, EINVAL, "%s: more than %d backends", c->path,
					       CROWD_MAX_BACKENDS);
		snprintf(c->names[b], sizeof(c->names[b]), "%s", s->backend);
		c->n_names++;
	}
	if (!r->n)
		snprintf(c->workload, sizeof(c->workload), "%s", s->workload);
	if (r->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 1024;
		unsigned char *nb = realloc(r->row_backend, nc);
		if (nb)
			r->row_backend = nb;
		unsigned char *ns = nb ? realloc(r->row_status, nc) : NULL;
		if (ns)
			r->row_status = ns;
		float *nv =
		    ns ? realloc(r->row_values, nc * crowd_metrics_len * sizeof(float)) : NULL;
		if (!nv)
			return crowd_error_errno(c->err, ENOMEM, "read %s", c->path);
		r->row_values = nv;
		c->cap = nc;
	}
	r->row_backend[r->n] = (unsigned char)b;
	r->row_status[r->n] = (unsigned char)s->status;
	for (unsigned m = 0; m < crowd_metrics_len; m++)
		r->row_values[r->n * crowd_metrics_len + m] = (float)crowd_metrics[m].get(s);
	c->count[b]++;
	c->failures[b] += s->status == CROWD_STATUS_FAILED;
	c->interrupted[b] += s->status == CROWD_STATUS_INTERRUPTED;
	r->n++;
	return 0;
}

size_t crowd_results_metric_values(const struct crowd_results *r, const struct crowd_metric *m,
				   const char *backend, double *ret)
{
	if (r->samples || !r->row_values)
		return crowd_metric_values(m, r->samples, r->n, backend, ret);
	size_t mi = (size_t)(m - crowd_metrics), k = 0;
	const struct crowd_summary_backend *b = crowd_summary_backend(&r->summary, backend);
	size_t bi = b ? (size_t)(b - r->summary.backends) : 0;
	for (size_t i = 0; i < r->n; i++) {
		if (r->row_status[i] != CROWD_STATUS_OK || (backend && r->row_backend[i] != bi))
			continue;
		float v = r->row_values[i * crowd_metrics_len + mi];
		if (!isnan(v))
			ret[k++] = v;
	}
	return k;
}

enum crowd_status crowd_results_status(const struct crowd_results *r, size_t i)
{
	return r->samples ? r->samples[i].status : (enum crowd_status)r->row_status[i];
}

const char *crowd_results_backend(const struct crowd_results *r, size_t i)
{
	return r->samples ? r->samples[i].backend : r->summary.backends[r->row_backend[i]].name;
}

static int read_dir(const char *dir, struct crowd_results *ret, bool values,
		    struct crowd_error *err);

int crowd_results_read(const char *dir, struct crowd_results *ret, struct crowd_error *err)
{
	return read_dir(dir, ret, false, err);
}

int crowd_results_read_values(const char *dir, struct crowd_results *ret, struct crowd_error *err)
{
	return read_dir(dir, ret, true, err);
}

/* fill_from_samples for a values read: the backends in order of first appearance, their
 * counts; row_backend renumbered to index summary.backends. */
static void fill_from_values(struct crowd_results *r, const struct values_ctx *c)
{
	struct crowd_summary *s = &r->summary;
	if (!s->run[0])
		snprintf(s->run, sizeof(s->run), "%s", r->folder);
	if (!s->workload[0] && r->n)
		snprintf(s->workload, sizeof(s->workload), "%s", c->workload);
	struct crowd_summary from_json = *s;
	unsigned char to[CROWD_MAX_BACKENDS] = {0};
	s->n_backends = 0;
	for (unsigned i = 0; i < c->n_names; i++) {
		summary_add(s, c->names[i]);
		to[i] = (unsigned char)(s->n_backends - 1);
	}
	for (unsigned i = 0; i < from_json.n_backends; i++)
		summary_add(s, from_json.backends[i].name);
	for (unsigned i = 0; i < s->n_backends; i++) {
		const struct crowd_summary_backend *j =
		    crowd_summary_backend(&from_json, s->backends[i].name);
		if (j)
			s->backends[i] = *j;
		s->backends[i].count = s->backends[i].failures = s->backends[i].interrupted = 0;
	}
	for (unsigned i = 0; i < c->n_names; i++) {
		struct crowd_summary_backend *b = &s->backends[to[i]];
		b->count = c->count[i];
		b->failures = c->failures[i];
		b->interrupted = c->interrupted[i];
	}
	for (size_t i = 0; i < r->n; i++)
		r->row_backend[i] = to[r->row_backend[i]];
	if (!r->have_summary)
		s->count = r->n;
}

static int read_dir(const char *dir, struct crowd_results *ret, bool values,
		    struct crowd_error *err)
{
	char path[PATH_MAX + 16], real[PATH_MAX];
	struct stat st;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->host = (struct crowd_results_host){.pus = NAN, .memory_total_bytes = NAN};
	if (stat(dir, &st) < 0)
		return crowd_error_errno(err, errno, "results folder %s", dir);
	if (!S_ISDIR(st.st_mode))
		return crowd_error_set(err, ENOTDIR, "results folder %s: not a directory", dir);
	snprintf(ret->dir, sizeof(ret->dir), "%s", dir);
	base_name(realpath(dir, real) ? real : dir, ret->folder, sizeof(ret->folder));
	snprintf(path, sizeof(path), "%s/samples.csv", dir);
	if (!exists(path))
		return crowd_error_set(err, ENOENT, "%s: not a results folder (no samples.csv)",
				       dir);
	_cleanup_free_ struct values_ctx *vc = NULL;
	if (values) {
		vc = calloc(1, sizeof(*vc));
		if (!vc)
			return crowd_error_errno(err, ENOMEM, "read %s", path);
		*vc = (struct values_ctx){.r = ret, .path = path, .err = err};
		r = crowd_results_scan_samples(path, values_row, vc, err);
	} else {
		r = crowd_results_read_samples(path, &ret->samples, &ret->extra, &ret->n, err);
	}
	snprintf(path, sizeof(path), "%s/summary.json", dir);
	if (r >= 0 && (ret->have_summary = exists(path)))
		r = crowd_results_read_summary(path, &ret->summary, err);
	snprintf(path, sizeof(path), "%s/host.json", dir);
	if (r >= 0 && exists(path))
		r = crowd_results_read_host(path, &ret->host, err);
	snprintf(path, sizeof(path), "%s/density.csv", dir);
	if (r >= 0 && exists(path))
		r = crowd_results_read_density(path, &ret->steps, &ret->n_steps, err);
	if (r < 0) {
		crowd_results_free(ret);
		return r == -ENOENT ? -EINVAL : r; /* a file vanished or unreadable inside */
	}
	if (values)
		fill_from_values(ret, vc);
	else
		fill_from_samples(ret);
	/* rows of a folder that says where it ran but whose rows do not (hand-made CSVs) */
	for (size_t i = 0; ret->extra && i < ret->n; i++) {
		struct crowd_sample_extra *x = &ret->extra[i];
		if (!x->host[0])
			snprintf(x->host, sizeof(x->host), "%s", ret->summary.host);
		if (!x->run_id[0])
			snprintf(x->run_id, sizeof(x->run_id), "%s", ret->summary.run_id);
	}
	return 0;
}

size_t crowd_results_hosts(const struct crowd_results *r, const char **names, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *h = r->extra[i].host;
		size_t j = 0;
		while (j < k && strcmp(names[j], h))
			j++;
		if (j == k && k < max)
			names[k++] = h;
	}
	return k;
}

void crowd_results_free(struct crowd_results *r)
{
	if (!r)
		return;
	free(r->samples);
	free(r->extra);
	free(r->steps);
	free(r->row_backend);
	free(r->row_status);
	free(r->row_values);
	r->row_backend = r->row_status = NULL;
	r->row_values = NULL;
	r->samples = NULL;
	r->extra = NULL;
	r->steps = NULL;
	r->n = r->n_steps = 0;
}
