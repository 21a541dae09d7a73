/* summary.json and host.json: struct crowd_summary to JSON and back (the same keys both
 * ways), host.json written from the probe and read for footnotes. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/caps.h"
#include "core/util.h"
#include "engine/host.h"
#include "results.h"
#include "results_json.h"
#include "version.h"

#define JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* ---- the one pair of JSON readers: a string into a buffer, a number or NAN ---- */

static void json_str(json_t *o, const char *key, char *dst, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (v)
		snprintf(dst, len, "%s", v);
}

static double json_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A double for JSON: null when not finite (jansson has no NaN). */
static json_t *json_num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* ---- summary.json ---- */

static json_t *stats_json(const struct crowd_stats *st)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:[o,o]}", "n", (json_int_t)st->n, "min",
			 json_num_or_null(st->min), "p50", json_num_or_null(st->p50), "p90",
			 json_num_or_null(st->p90), "p99", json_num_or_null(st->p99), "max",
			 json_num_or_null(st->max), "mean", json_num_or_null(st->mean), "stddev",
			 json_num_or_null(st->stddev), "ci95_p50", json_num_or_null(st->ci95_lo),
			 json_num_or_null(st->ci95_hi));
}

static void stats_read(json_t *j, struct crowd_stats *st)
{
	json_t *ci = json_object_get(j, "ci95_p50");
	json_t *n = json_object_get(j, "n");
	*st = (struct crowd_stats){
	    .n =
		json_is_integer(n) && json_integer_value(n) > 0 ? (size_t)json_integer_value(n) : 0,
	    .min = json_num(j, "min"),
	    .p50 = json_num(j, "p50"),
	    .p90 = json_num(j, "p90"),
	    .p99 = json_num(j, "p99"),
	    .max = json_num(j, "max"),
	    .mean = json_num(j, "mean"),
	    .stddev = json_num(j, "stddev"),
	    .ci95_lo = json_is_number(json_array_get(ci, 0))
			   ? json_number_value(json_array_get(ci, 0))
			   : NAN,
	    .ci95_hi = json_is_number(json_array_get(ci, 1))
			   ? json_number_value(json_array_get(ci, 1))
			   : NAN,
	};
}

static json_t *backend_json(const struct crowd_summary_backend *b)
{
	json_t *j = json_pack("{s:I,s:I,s:I}", "count", (json_int_t)b->count, "failures",
			      (json_int_t)b->failures, "interrupted", (json_int_t)b->interrupted);
	if (!j)
		return NULL;
	json_t *ends = json_object();
	json_object_set_new(j, "ends", ends);
	for (unsigned e = 0; e < CROWD_END_REASONS; e++)
		if (b->ends[e])
			json_object_set_new(ends, crowd_end_reasons[e], json_integer(b->ends[e]));
	if (b->ready_kind[0])
		json_object_set_new(j, "ready_kind", json_string(b->ready_kind));
	if (b->accel[0])
		json_object_set_new(j, "accel", json_string(b->accel));
	if (b->kernel[0])
		json_object_set_new(j, "kernel", json_string(b->kernel));
	json_t *metrics = json_object();
	json_object_set_new(j, "metrics", metrics);
	for (unsigned m = 0; m < crowd_metrics_len; m++)
		if (b->metrics[m].n)
			json_object_set_new(metrics, crowd_metrics[m].name,
					    stats_json(&b->metrics[m]));
	if (b->have_host)
		json_object_set_new(j, "host",
				    json_pack("{s:o,s:o}", "mem_available_delta_bytes_per_instance",
					      json_num_or_null(b->mem_available_delta_per_instance),
					      "slab_delta_bytes_per_instance",
					      json_num_or_null(b->slab_delta_per_instance)));
	if (b->have_load)
		json_object_set_new(j, "load",
				    json_pack("{s:o,s:o,s:o,s:o,s:I}", "total_rps",
					      json_num_or_null(b->total_rps), "jain_fairness",
					      json_num_or_null(b->jain), "client_cpu_ns",
					      json_num_or_null(b->client_cpu_ns), "duration_ns",
					      json_num_or_null(b->duration_ns), "connections",
					      (json_int_t)b->connections));
	if (b->have_load && b->load_partial)
		json_object_set_new(json_object_get(j, "load"), "partial", json_true());
	return j;
}

/* "sweep": the steps in order, each with p50, its CI, and the step's delta with its CI. */
static json_t *sweep_json(const struct crowd_summary *s)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < s->n_sweep; i++) {
		const struct crowd_summary_sweep *st = &s->sweep[i];
		json_t *o = json_pack("{s:s,s:s?}", "name", st->name, "vs", st->vs[0] ? st->vs : NULL);
		for (unsigned j = 0; j < CROWD_SWEEP_METRICS; j++)
			json_object_set_new(
			    o, crowd_sweep_metrics[j],
			    json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "p50",
				      json_num_or_null(st->m[j].p50), "ci95_lo",
				      json_num_or_null(st->m[j].ci95_lo), "ci95_hi",
				      json_num_or_null(st->m[j].ci95_hi), "delta",
				      json_num_or_null(st->m[j].delta), "delta_ci95_lo",
				      json_num_or_null(st->m[j].delta_lo), "delta_ci95_hi",
				      json_num_or_null(st->m[j].delta_hi)));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *crowd_results_summary_json(const struct crowd_summary *s)
{
	json_t *root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "crowd_version", s->crowd_version,
				 "git", s->git, "run", s->run, "workload", s->workload, "started",
				 s->started, "count", (json_int_t)s->count);
	if (!root)
		return NULL;
	json_object_set_new(root, "results_version", json_integer(s->results_version));
	if (s->host[0])
		json_object_set_new(root, "host", json_string(s->host));
	if (s->run_id[0])
		json_object_set_new(root, "run_id", json_string(s->run_id));
	if (s->fleet)
		json_object_set_new(root, "fleet", json_true());
	json_t *backends = json_object();
	json_object_set_new(root, "backends", backends);
	for (unsigned i = 0; i < s->n_backends; i++)
		json_object_set_new(backends, s->backends[i].name, backend_json(&s->backends[i]));
	if (s->interrupted_phase[0])
		json_object_set_new(root, "interrupted",
				    json_pack("{s:s}", "phase", s->interrupted_phase));
	if (s->n_sweep) {
		json_object_set_new(root, "sweep", sweep_json(s));
		json_object_set_new(root, "sweep_kind", json_string(s->sweep_kind));
	}
	if (s->kernel.have)
		json_object_set_new(root, "kernel", crowd_summary_kernel_json(&s->kernel));
	if (s->have_density)
		json_object_set_new(root, "density",
				    json_pack("{s:I,s:s,s:s,s:I}", "max_count",
					      (json_int_t)s->density_max_count, "stopped_by",
					      s->density_stopped_by, "detail", s->density_detail,
					      "ramp_ns", (json_int_t)s->density_ramp_ns));
	return root;
}

int crowd_results_summary_dump(const struct crowd_summary *s, FILE *f, struct crowd_error *err)
{
	json_t *j = crowd_results_summary_json(s);
	if (!j)
		return crowd_error_errno(err, ENOMEM, "build summary.json");
	int r = json_dumpf(j, f, JSON_FLAGS);
	json_decref(j);
	if (r < 0 || ferror(f))
		return crowd_error_errno(err, errno ? errno : EIO, "write summary.json");
	return 0;
}

/* j to path through path.tmp and a rename, so a reader never sees half a file. */
static int dump_json(json_t *j, const char *path, struct crowd_error *err)
{
	if (!j)
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_FLAGS) < 0) {
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

int crowd_results_write_summary(const char *path, const struct crowd_summary *s,
				struct crowd_error *err)
{
	json_t *j = crowd_results_summary_json(s);
	int r = dump_json(j, path, err);
	json_decref(j);
	return r;
}

/* One backend of summary.json into b (name already set). */
static void backend_read(json_t *j, struct crowd_summary_backend *b)
{
	json_t *metrics = json_object_get(j, "metrics"), *host = json_object_get(j, "host");
	json_t *load = json_object_get(j, "load");
	json_str(j, "ready_kind", b->ready_kind, sizeof(b->ready_kind));
	json_str(j, "accel", b->accel, sizeof(b->accel));
	json_str(j, "kernel", b->kernel, sizeof(b->kernel));
	for (unsigned m = 0; m < crowd_metrics_len; m++) {
		json_t *st = json_object_get(metrics, crowd_metrics[m].name);
		if (json_is_object(st))
			stats_read(st, &b->metrics[m]);
	}
	b->have_host = json_is_object(host);
	b->mem_available_delta_per_instance =
	    json_num(host, "mem_available_delta_bytes_per_instance");
	b->slab_delta_per_instance = json_num(host, "slab_delta_bytes_per_instance");
	b->have_load = json_is_object(load);
	b->total_rps = json_num(load, "total_rps");
	b->jain = json_num(load, "jain_fairness");
	b->client_cpu_ns = json_num(load, "client_cpu_ns");
	b->duration_ns = json_num(load, "duration_ns");
	double c = json_num(load, "connections");
	b->connections = c > 0 ? (unsigned)c : 0;
	b->load_partial = json_is_true(json_object_get(load, "partial"));
	json_t *ends = json_object_get(j, "ends");
	for (unsigned e = 0; e < CROWD_END_REASONS; e++) {
		double v = json_num(ends, crowd_end_reasons[e]);
		b->ends[e] = v > 0 ? (unsigned)v : 0;
	}
}

/* A JSON object from path; -EINVAL with file and line when it is not one. */
static int load_object(const char *path, json_t **ret, struct crowd_error *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		return access(path, F_OK) < 0
			   ? crowd_error_errno(err, errno, "open %s", path)
			   : crowd_error_set(err, EINVAL, "%s:%d: %s", path, je.line, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return crowd_error_set(err, EINVAL, "%s:1: not a JSON object", path);
	}
	*ret = j;
	return 0;
}

static void sweep_read(json_t *a, struct crowd_summary *ret)
{
	size_t i;
	json_t *o;
	json_array_foreach(a, i, o)
	{
		if (ret->n_sweep >= CROWD_MAX_BACKENDS)
			break;
		struct crowd_summary_sweep *st = &ret->sweep[ret->n_sweep++];
		json_str(o, "name", st->name, sizeof(st->name));
		json_str(o, "vs", st->vs, sizeof(st->vs));
		for (unsigned j = 0; j < CROWD_SWEEP_METRICS; j++) {
			json_t *m = json_object_get(o, crowd_sweep_metrics[j]);
			st->m[j] = (struct crowd_summary_sweep_value){
			    json_num(m, "p50"),		  json_num(m, "ci95_lo"),
			    json_num(m, "ci95_hi"),	  json_num(m, "delta"),
			    json_num(m, "delta_ci95_lo"), json_num(m, "delta_ci95_hi")};
		}
	}
}

int crowd_results_read_summary(const char *path, struct crowd_summary *ret, struct crowd_error *err)
{
	json_t *root = NULL;
	int r = load_object(path, &root, err);
	if (r < 0)
		return r;
	double v = json_num(root, "results_version");
	ret->results_version = v >= 0 ? (int)v : 0;
	json_str(root, "host", ret->host, sizeof(ret->host));
	json_str(root, "run_id", ret->run_id, sizeof(ret->run_id));
	ret->fleet = json_is_true(json_object_get(root, "fleet"));
	json_str(root, "crowd_version", ret->crowd_version, sizeof(ret->crowd_version));
	json_str(root, "git", ret->git, sizeof(ret->git));
	json_str(root, "run", ret->run, sizeof(ret->run));
	json_str(root, "workload", ret->workload, sizeof(ret->workload));
	json_str(root, "started", ret->started, sizeof(ret->started));
	double count = json_num(root, "count");
	ret->count = count > 0 ? (size_t)count : 0;
	const char *name;
	json_t *b;
	json_t *backends = json_object_get(root, "backends");
	json_object_foreach(backends, name, b)
	{
		if (ret->n_backends >= CROWD_MAX_BACKENDS)
			break;
		struct crowd_summary_backend *x = &ret->backends[ret->n_backends++];
		crowd_summary_backend_init(x, name);
		backend_read(b, x);
	}
	sweep_read(json_object_get(root, "sweep"), ret);
	json_str(json_object_get(root, "interrupted"), "phase", ret->interrupted_phase,
		 sizeof(ret->interrupted_phase));
	json_str(root, "sweep_kind", ret->sweep_kind, sizeof(ret->sweep_kind));
	json_t *d = json_object_get(root, "density");
	if ((ret->have_density = json_is_object(d))) {
		double max = json_num(d, "max_count"), ramp = json_num(d, "ramp_ns");
		ret->density_max_count = max > 0 ? (unsigned)max : 0;
		ret->density_ramp_ns = ramp >= 0 ? (int64_t)ramp : -1;
		json_str(d, "stopped_by", ret->density_stopped_by, sizeof(ret->density_stopped_by));
		json_str(d, "detail", ret->density_detail, sizeof(ret->density_detail));
	}
	json_decref(root);
	return 0;
}

/* ---- host.json ---- */

static const char *const placement_names[] = {
    [CROWD_PLACE_NONE] = "none",
    [CROWD_PLACE_SPREAD] = "spread",
    [CROWD_PLACE_COMPACT] = "compact",
};

static json_t *limits_json(const struct crowd_cg_limits *l)
{
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
	return limits;
}

static json_t *options_json(const struct crowd_config *cfg)
{
	char ns[128];
	json_t *backends = json_array();
	for (unsigned i = 0; i < cfg->n_backends; i++)
		json_array_append_new(backends, json_string(cfg->backends[i]));
	crowd_ns_format(cfg->ns, ns, sizeof(ns));
	json_t *argv = json_array();
	for (unsigned i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		json_array_append_new(argv, json_string(cfg->workload.argv[i]));
	json_t *o = json_pack(
	    "{s:I,s:I,s:o,s:s,s:o,s:s,s:s?,s:o,s:s,s:b,s:I,s:s,s:I,s:b,s:I,s:s?,s:b,s:b,s:s?,s:s?}",
	    "count", (json_int_t)cfg->count, "concurrency", (json_int_t)cfg->concurrency,
	    "backends", backends, "workload", cfg->workload.name, "workload_argv", argv, "ns", ns,
	    "rootfs", cfg->rootfs, "limits", limits_json(&cfg->limits), "caps",
	    crowd_caps_profile_name(cfg->caps), "rootless", cfg->rootless, "pod_size",
	    (json_int_t)cfg->pod_size, "placement",
	    (unsigned)cfg->placement < CROWD_ARRAY_SIZE(placement_names)
		? placement_names[cfg->placement]
		: "?",
	    "duration_ns", (json_int_t)cfg->duration_ns, "load", cfg->load, "connections",
	    (json_int_t)cfg->connections, "out", cfg->out, "json", cfg->json, "quiet", cfg->quiet,
	    "vm_accel", cfg->vm_accel, "vm_kernel", cfg->vm_kernel);
	const char *rm = crowd_rootfs_mode_name(cfg->rootfs_mode);
	if (o && rm)
		json_object_set_new(o, "rootfs_mode", json_string(rm));
	return o;
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
	json_object_set_new(root, "results_version", json_integer(CROWD_RESULTS_VERSION));
	if (out->host)
		json_object_set_new(root, "host", json_string(out->host));
	if (out->run_id)
		json_object_set_new(root, "run_id", json_string(out->run_id));
	if (out->cfg) {
		json_object_set_new(root, "options", options_json(out->cfg));
		json_object_set_new(root, "security", crowd_config_security_json(out->cfg));
		if (out->cfg->argv_line)
			json_object_set_new(root, "command_line", json_string(out->cfg->argv_line));
	}
	json_t *backends = json_object();
	json_object_set_new(root, "backends", backends);
	for (size_t i = 0; i < out->n_backends; i++) {
		const struct crowd_backend_summary *b = &out->backends[i];
		json_t *o = json_pack("{s:s,s:s}", "invocation", b->invocation ? b->invocation : "",
				      "unapplied", b->unapplied ? b->unapplied : "");
		json_t *sec = o && b->cfg ? crowd_config_security_json(b->cfg) : NULL;
		if (sec) { /* a sweep step: its features and, since steps differ there, its caps */
			json_object_set_new(sec, "caps",
					    json_string(crowd_caps_profile_name(b->cfg->caps)));
			json_object_set_new(o, "security", sec);
		}
		if (o && b->accel) /* vm: which accelerator and guest kernel ran */
			json_object_set_new(o, "accel", json_string(b->accel));
		if (o && b->kernel)
			json_object_set_new(o, "guest_kernel", json_string(b->kernel));
		json_object_set_new(backends, b->name, o);
	}
	r = dump_json(root, path, err);
	json_decref(root);
	return r;
}

int crowd_results_read_host(const char *path, struct crowd_results_host *ret,
			    struct crowd_error *err)
{
	json_t *h = NULL;
	*ret = (struct crowd_results_host){.pus = NAN, .memory_total_bytes = NAN};
	int r = load_object(path, &h, err);
	if (r < 0)
		return r;
	ret->present = true;
	ret->fleet = json_is_true(json_object_get(h, "fleet"));
	json_str(h, "cpu_model", ret->cpu_model, sizeof(ret->cpu_model));
	json_str(h, "kernel", ret->kernel, sizeof(ret->kernel));
	json_str(h, "kernel_release", ret->kernel, sizeof(ret->kernel));
	json_str(h, "cgroup_layout", ret->cgroup_layout, sizeof(ret->cgroup_layout));
	ret->pus = json_num(json_object_get(h, "topology"), "pus");
	ret->memory_total_bytes = json_num(json_object_get(h, "memory"), "total_bytes");
	json_decref(h);
	return 0;
}
