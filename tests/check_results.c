/* Results folder: samples.csv and density.csv round-trip exactly, summary.json and host.json
 * carry the schema's keys and the right statistics, the writer hands back the summary the
 * reader reads, columns are found by name, bad files are rejected with the file and line. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/results.h"
#include "testutil.h"
#include "version.h"

static char tmpdir[64];

static void setup(void)
{
	crowd_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_results");
}

static void teardown(void)
{
	crowd_test_rmtree(tmpdir);
}

/* Six samples over two backends with every kind of field: absent phases, a failure with a
 * quoted, comma-holding error, rps with 3 decimals, big integers. */
static void make_samples(struct crowd_sample *s, struct crowd_sample_extra *x)
{
	for (int i = 0; i < 6; i++) {
		crowd_sample_init(&s[i]);
		crowd_sample_extra_init(&x[i]);
		snprintf(s[i].backend, sizeof(s[i].backend), "%s", i % 2 ? "process" : "core");
		snprintf(s[i].workload, sizeof(s[i].workload), "idle");
		s[i].index = i;
		snprintf(s[i].id, sizeof(s[i].id), "id-%d", i);
		s[i].t_request_ns = 1000 * i;
		if (i % 2 == 0)
			s[i].t_cgroup_ns = 1000 * i + 100;
		s[i].t_clone_ns = 1000 * i + 300;
		s[i].t_ready_ns = 1000 * i + 900 + i;
		s[i].spinup_ns = s[i].t_ready_ns - s[i].t_request_ns;
		s[i].teardown_ns = 5000000000123LL + i;
		s[i].cgroup_bytes = i % 2 ? -1 : 4096 * (i + 1);
		s[i].pss_bytes = 100000 + i;
		s[i].rps = i == 3 ? -1 : 1234.5 + i * 0.125;
		x[i].latency_p50_ns = 200 + i;
		s[i].engine_bytes = i == 1 ? 7000000 : -1;
	}
	s[4].status = CROWD_STATUS_FAILED;
	snprintf(s[4].error, sizeof(s[4].error),
		 "start: clone3: \"x\", y: Operation not permitted");
	s[5].status = CROWD_STATUS_INTERRUPTED;
}

START_TEST(samples_roundtrip)
{
	struct crowd_sample s[6], *r = NULL;
	struct crowd_sample_extra x[6], *rx = NULL;
	struct crowd_error err = {0};
	char path[128];
	size_t n;

	make_samples(s, x);
	snprintf(x[4].end_reason, sizeof(x[4].end_reason), "exit");
	x[4].exit_code = 42;
	snprintf(x[4].end_phase, sizeof(x[4].end_phase), "load");
	snprintf(x[5].end_reason, sizeof(x[5].end_reason), "oom");
	x[5].end_signal = 9;
	snprintf(x[5].end_phase, sizeof(x[5].end_phase), "before-ready");
	snprintf(path, sizeof(path), "%s/samples.csv", tmpdir);
	ck_assert_int_eq(crowd_results_write_samples(path, s, x, 6, &err), 0);
	ck_assert_int_eq(crowd_results_read_samples(path, &r, &rx, &n, &err), 0);
	ck_assert_uint_eq(n, 6);
	for (int i = 0; i < 6; i++) {
		ck_assert_str_eq(r[i].backend, s[i].backend);
		ck_assert_str_eq(r[i].workload, s[i].workload);
		ck_assert_str_eq(r[i].id, s[i].id);
		ck_assert_str_eq(r[i].error, s[i].error);
		ck_assert_int_eq(r[i].index, s[i].index);
		ck_assert_int_eq(r[i].status, s[i].status);
		ck_assert_int_eq(r[i].t_request_ns, s[i].t_request_ns);
		ck_assert_int_eq(r[i].t_cgroup_ns, s[i].t_cgroup_ns);
		ck_assert_int_eq(r[i].t_clone_ns, s[i].t_clone_ns);
		ck_assert_int_eq(r[i].t_setup_ns, s[i].t_setup_ns);
		ck_assert_int_eq(r[i].t_ready_ns, s[i].t_ready_ns);
		ck_assert_int_eq(r[i].t_first_response_ns, s[i].t_first_response_ns);
		ck_assert_int_eq(r[i].spinup_ns, s[i].spinup_ns);
		ck_assert_int_eq(r[i].teardown_ns, s[i].teardown_ns);
		ck_assert_int_eq(r[i].cgroup_bytes, s[i].cgroup_bytes);
		ck_assert_int_eq(r[i].pss_bytes, s[i].pss_bytes);
		ck_assert_int_eq(r[i].rss_bytes, s[i].rss_bytes);
		ck_assert_int_eq(r[i].engine_bytes, s[i].engine_bytes);
		ck_assert(r[i].rps == s[i].rps);
		ck_assert_int_eq(rx[i].latency_p50_ns, x[i].latency_p50_ns);
		ck_assert_int_eq(rx[i].latency_p99_ns, -1);
		ck_assert_str_eq(rx[i].end_reason, x[i].end_reason);
		ck_assert_str_eq(rx[i].end_phase, x[i].end_phase);
		ck_assert_int_eq(rx[i].exit_code, x[i].exit_code);
		ck_assert_int_eq(rx[i].end_signal, x[i].end_signal);
	}
	free(r);
	free(rx);

	/* the file itself: header in the schema's order, empty fields, quoted error */
	FILE *f = fopen(path, "r");
	char line[1024];
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "backend,workload,index,id,status,t_request_ns,t_cgroup_ns,"
			       "t_clone_ns,t_setup_ns,t_ready_ns,t_first_response_ns,spinup_ns,"
			       "teardown_ns,cgroup_bytes,pss_bytes,rss_bytes,rps,error,"
			       "latency_p50_ns,latency_p99_ns,errors,end_reason,exit_code,"
			       "end_signal,end_phase,engine_bytes\n");
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "core,idle,0,id-0,ok,0,100,300,,900,,900,5000000000123,4096,"
			       "100000,,1234.500,\"\",200,,,\"\",,,\"\",\n");
	for (int i = 0; i < 4; i++)
		ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_ptr_nonnull(strstr(line, ",failed,"));
	ck_assert_ptr_nonnull(
	    strstr(line, "\"start: clone3: \"\"x\"\", y: Operation not permitted\""));
	fclose(f);
}
END_TEST

START_TEST(samples_bad_input)
{
	struct crowd_sample *r = NULL;
	struct crowd_error err = {0};
	char path[128];
	size_t n;
	snprintf(path, sizeof(path), "%s/bad.csv", tmpdir);

	FILE *f = fopen(path, "w");
	fputs("backend,workload\ncore,idle\n", f);
	fclose(f);
	ck_assert_int_eq(crowd_results_read_samples(path, &r, NULL, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "lacks column 'index'"));

	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	make_samples(s, x);
	ck_assert_int_eq(crowd_results_write_samples(path, s, NULL, 6, &err), 0);
	f = fopen(path, "a");
	fputs("core,idle,7,id,ok,12x,,,,,,,,,,,,\"\",,,,,\n", f);
	fclose(f);
	ck_assert_int_eq(crowd_results_read_samples(path, &r, NULL, &n, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, ":8: bad t_request_ns '12x'"), "%s", err.msg);

	f = fopen(path, "w");
	fputs("backend,workload,index,id,status,t_request_ns,t_cgroup_ns,t_clone_ns,t_setup_ns,"
	      "t_ready_ns,t_first_response_ns,spinup_ns,teardown_ns,cgroup_bytes,pss_bytes,"
	      "rss_bytes,rps,error\ncore,idle,0,a,weird,,,,,,,,,,,,,\"\"\n",
	      f);
	fclose(f);
	ck_assert_int_eq(crowd_results_read_samples(path, &r, NULL, &n, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad status"));

	snprintf(path, sizeof(path), "%s/none", tmpdir);
	struct crowd_results res;
	ck_assert_int_eq(crowd_results_read(path, &res, &err), -ENOENT);
}
END_TEST

START_TEST(metrics_phases)
{
	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	double v[6];
	make_samples(s, x);
	/* phase_clone: from t_cgroup when present (core), else from t_request (process) */
	ck_assert_uint_eq(crowd_metric_values(crowd_metric_find("phase_clone_ns"), s, 6, "core", v),
			  2);
	ck_assert_double_eq(v[0], 200);
	ck_assert_uint_eq(
	    crowd_metric_values(crowd_metric_find("phase_clone_ns"), s, 6, "process", v), 2);
	ck_assert_double_eq(v[0], 300);
	/* ready from clone when no t_setup; failed and interrupted rows are left out */
	ck_assert_uint_eq(crowd_metric_values(crowd_metric_find("phase_ready_ns"), s, 6, NULL, v),
			  4);
	ck_assert_double_eq(v[3], 603);
	ck_assert_uint_eq(crowd_metric_values(crowd_metric_find("phase_setup_ns"), s, 6, NULL, v),
			  0);
	ck_assert_uint_eq(crowd_metric_values(crowd_metric_find("rps"), s, 6, "process", v), 1);
	ck_assert(crowd_metric_find("rps")->higher_is_better);
	ck_assert(!crowd_metric_find("spinup_ns")->higher_is_better);
	ck_assert_ptr_null(crowd_metric_find("bogus"));
}
END_TEST

static json_t *load(const char *dir, const char *file)
{
	char path[256];
	json_error_t jerr;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	json_t *j = json_load_file(path, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", path, jerr.text);
	return j;
}

START_TEST(folder_write_read)
{
	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	struct crowd_config cfg;
	struct crowd_error err = {0};
	struct crowd_backend_summary b[2];
	char dir[128];

	make_samples(s, x);
	crowd_config_init(&cfg);
	snprintf(cfg.workload.name, sizeof(cfg.workload.name), "idle");
	cfg.backends[0] = "core";
	cfg.backends[1] = "process";
	cfg.n_backends = 2;
	cfg.argv_line = "crowd bench -n 6";
	crowd_backend_summary_init(&b[0], "core");
	crowd_backend_summary_init(&b[1], "process");
	b[0].ready_kind = "fd";
	b[0].have_host_deltas = true;
	b[0].mem_available_delta_per_instance = 123456;
	b[0].slab_delta_per_instance = -10;
	b[0].invocation = "in process";
	b[1].load_ran = true;
	b[1].total_rps = 99.5;
	b[1].jain = 0.9;
	b[1].connections = 2;
	snprintf(dir, sizeof(dir), "%s/a/run1", tmpdir);
	struct crowd_run_output out = {.cfg = &cfg,
				       .started = 1700000000,
				       .samples = s,
				       .extra = x,
				       .n = 6,
				       .backends = b,
				       .n_backends = 2};
	struct crowd_summary w;
	ck_assert_int_eq(crowd_results_write(dir, &out, &w, &err), 0);
	/* what the writer hands back is what it wrote */
	ck_assert_str_eq(w.run, "run1");
	ck_assert_uint_eq(w.n_backends, 2);
	ck_assert_uint_eq(w.backends[0].metrics[0].n, 2);
	ck_assert_double_eq_tol(w.backends[0].metrics[0].p50, 901, 1e-9);

	json_t *sum = load(dir, "summary.json");
	ck_assert_str_eq(json_string_value(json_object_get(sum, "run")), "run1");
	ck_assert_str_eq(json_string_value(json_object_get(sum, "workload")), "idle");
	ck_assert_str_eq(json_string_value(json_object_get(sum, "started")),
			 "2023-11-14T22:13:20Z");
	ck_assert_str_eq(json_string_value(json_object_get(sum, "crowd_version")), CROWD_VERSION);
	ck_assert_int_eq(json_integer_value(json_object_get(sum, "count")), 6);
	json_t *core = json_object_get(json_object_get(sum, "backends"), "core");
	json_t *proc = json_object_get(json_object_get(sum, "backends"), "process");
	ck_assert_ptr_nonnull(core);
	ck_assert_int_eq(json_integer_value(json_object_get(core, "count")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(core, "failures")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(proc, "interrupted")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(core, "ready_kind")), "fd");
	/* core ok samples: 0 and 2 -> spinup 900 and 902 */
	json_t *sp = json_object_get(json_object_get(core, "metrics"), "spinup_ns");
	ck_assert_int_eq(json_integer_value(json_object_get(sp, "n")), 2);
	ck_assert_double_eq_tol(json_real_value(json_object_get(sp, "p50")), 901, 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(sp, "min")), 900, 1e-9);
	ck_assert_double_eq_tol(json_real_value(json_object_get(sp, "p90")), 901.8, 1e-9);
	ck_assert_int_eq(json_array_size(json_object_get(sp, "ci95_p50")), 2);
	ck_assert_ptr_null(json_object_get(json_object_get(core, "metrics"), "phase_setup_ns"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(core, "metrics"), "phase_cgroup_ns"));
	ck_assert_ptr_null(json_object_get(json_object_get(proc, "metrics"), "cgroup_bytes"));
	ck_assert_double_eq(json_real_value(json_object_get(json_object_get(core, "host"),
							    "slab_delta_bytes_per_instance")),
			    -10);
	ck_assert_ptr_null(json_object_get(core, "load"));
	ck_assert_double_eq(
	    json_real_value(json_object_get(json_object_get(proc, "load"), "jain_fairness")), 0.9);
	json_decref(sum);

	json_t *host = load(dir, "host.json");
	const char *keys[] = {"kernel", "cpu_model", "topology",     "memory",	 "crowd_version",
			      "git",	"options",   "command_line", "backends", "capabilities"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(json_object_get(host, keys[i]), "host.json lacks %s", keys[i]);
	ck_assert(json_integer_value(json_object_get(json_object_get(host, "topology"), "pus")) >=
		  1);
	ck_assert(json_integer_value(
		      json_object_get(json_object_get(host, "memory"), "total_bytes")) > 0);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(host, "options"), "count")),
	    (json_int_t)cfg.count);
	ck_assert_str_eq(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(host, "backends"), "core"), "invocation")),
	    "in process");
	json_decref(host);

	/* read it back; "latest" resolves to the run */
	ck_assert_int_eq(crowd_results_link_latest(dir, &err), 0);
	char latest[160];
	snprintf(latest, sizeof(latest), "%s/a/latest", tmpdir);
	struct crowd_results r;
	ck_assert_int_eq(crowd_results_read(latest, &r, &err), 0);
	ck_assert_uint_eq(r.n, 6);
	ck_assert_str_eq(r.folder, "run1");
	ck_assert(r.have_summary);
	ck_assert_str_eq(r.summary.run, "run1");
	ck_assert_str_eq(r.summary.workload, "idle");
	ck_assert_str_eq(r.summary.started, "2023-11-14T22:13:20Z");
	ck_assert_uint_eq(r.summary.n_backends, 2);
	ck_assert_str_eq(r.summary.backends[1].name, "process");
	ck_assert_ptr_null(r.steps);
	ck_assert(r.host.present && r.host.kernel[0] && r.host.pus >= 1);
	const struct crowd_summary_backend *ci = crowd_summary_backend(&r.summary, "core");
	const struct crowd_summary_backend *pi = crowd_summary_backend(&r.summary, "process");
	ck_assert_ptr_nonnull(ci);
	ck_assert_ptr_nonnull(pi);
	ck_assert_str_eq(ci->ready_kind, "fd");
	ck_assert_double_eq(ci->mem_available_delta_per_instance, 123456);
	ck_assert_double_eq(ci->slab_delta_per_instance, -10);
	ck_assert(isnan(ci->total_rps));
	ck_assert_double_eq(pi->total_rps, 99.5);
	ck_assert_double_eq(pi->jain, 0.9);
	ck_assert(isnan(pi->mem_available_delta_per_instance));
	ck_assert_ptr_null(crowd_summary_backend(&r.summary, "vm"));
	ck_assert_uint_eq(ci->count, 3);
	ck_assert_uint_eq(ci->failures, 1);
	ck_assert_uint_eq(pi->interrupted, 1);
	/* the statistics read back are those written, to summary.json's 15 digits */
	const struct crowd_metric *sp_m = crowd_metric_find("spinup_ns");
	for (unsigned i = 0; i < 2; i++) {
		const struct crowd_stats *a = crowd_summary_stats(&w.backends[i], sp_m);
		const struct crowd_stats *c = crowd_summary_stats(&r.summary.backends[i], sp_m);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->n, a->n);
		ck_assert_double_eq_tol(c->p90, a->p90, 1e-9);
		ck_assert_double_eq_tol(c->ci95_hi, a->ci95_hi, 1e-9);
		ck_assert_double_eq_tol(c->stddev, a->stddev, 1e-6);
	}
	ck_assert_ptr_null(crowd_summary_stats(ci, crowd_metric_find("phase_setup_ns")));
	crowd_results_free(&r);
}
END_TEST

START_TEST(density_roundtrip)
{
	struct crowd_error err = {0};
	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	struct crowd_density_step st[3], *r;
	size_t n;
	char dir[128], path[160];

	make_samples(s, x);
	snprintf(dir, sizeof(dir), "%s/d", tmpdir);
	for (unsigned i = 0; i < 3; i++)
		st[i] = (struct crowd_density_step){
		    i, 10 * (i + 1), 1000 + i, 5000 + i, 1048576.25 * i, -3.5, 4096, 1e6 / 3, -1};
	struct crowd_density_outcome o = {30, CROWD_DENSITY_SLO_SPINUP_P99, "p99 8ms > 5ms",
					  123456789};
	struct crowd_run_output out = {
	    .samples = s, .n = 6, .density = &o, .steps = st, .n_steps = 3};
	struct crowd_summary w;
	ck_assert_int_eq(crowd_results_write(dir, &out, &w, &err), 0);
	ck_assert(w.have_density);
	ck_assert_str_eq(w.density_stopped_by, "slo-spinup-p99");
	snprintf(path, sizeof(path), "%s/density.csv", dir);
	ck_assert_int_eq(crowd_results_read_density(path, &r, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(r, st, sizeof(st)) == 0);
	free(r);
	json_t *sum = load(dir, "summary.json");
	json_t *d = json_object_get(sum, "density");
	ck_assert_str_eq(json_string_value(json_object_get(d, "stopped_by")), "slo-spinup-p99");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "max_count")), 30);
	ck_assert_ptr_nonnull(json_object_get(sum, "backends"));
	json_decref(sum);
	struct crowd_results res;
	ck_assert_int_eq(crowd_results_read(dir, &res, &err), 0);
	ck_assert_uint_eq(res.n_steps, 3);
	ck_assert(res.summary.have_density);
	ck_assert_uint_eq(res.summary.density_max_count, 30);
	ck_assert_str_eq(res.summary.density_detail, "p99 8ms > 5ms");
	ck_assert_int_eq(res.summary.density_ramp_ns, 123456789);
	crowd_results_free(&res);
}
END_TEST

/* A sweep run: each backend a step, in order; the first step has no delta, the second's
 * spin-up delta is the difference of the ok medians (902 - 901); a metric one step lacks has
 * no delta; summary.json "sweep" reads back the same. */
START_TEST(sweep_roundtrip)
{
	struct crowd_error err = {0};
	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	char dir[128];
	make_samples(s, x);
	snprintf(dir, sizeof(dir), "%s/s", tmpdir);
	struct crowd_run_output out = {.samples = s, .extra = x, .n = 6, .sweep = true};
	struct crowd_summary w;
	ck_assert_int_eq(crowd_results_write(dir, &out, &w, &err), 0);
	ck_assert_uint_eq(w.n_sweep, 2);
	ck_assert_str_eq(w.sweep[0].name, "core");
	ck_assert_str_eq(w.sweep[1].name, "process");
	ck_assert(isnan(w.sweep[0].m[0].delta));
	ck_assert_double_eq(w.sweep[0].m[0].p50, 901);
	ck_assert_double_eq(w.sweep[1].m[0].delta, 1);
	ck_assert(w.sweep[1].m[0].delta_lo <= 1 && 1 <= w.sweep[1].m[0].delta_hi);
	ck_assert(isnan(w.sweep[1].m[1].delta)); /* process has no cgroup_bytes */
	struct crowd_results res;
	ck_assert_int_eq(crowd_results_read(dir, &res, &err), 0);
	ck_assert_uint_eq(res.summary.n_sweep, 2);
	ck_assert_str_eq(res.summary.sweep[1].name, "process");
	ck_assert_double_eq(res.summary.sweep[1].m[0].delta, 1);
	ck_assert_double_eq(res.summary.sweep[1].m[0].delta_hi, w.sweep[1].m[0].delta_hi);
	ck_assert(isnan(res.summary.sweep[0].m[0].delta));
	crowd_results_free(&res);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
	crowd_test_write(dir, name, text, 0644);
}

/* Readers find columns by name: a column appended after the documented ones (and one in the
 * middle of a reordered header) is ignored, the others land in their fields. */
START_TEST(read_reordered_columns)
{
	struct crowd_error err = {0};
	struct crowd_results r;
	write_file(
	    tmpdir, "samples.csv",
	    "status,future_col,backend,rps,spinup_ns,workload,index,id,t_request_ns,"
	    "t_cgroup_ns,t_clone_ns,t_setup_ns,t_ready_ns,t_first_response_ns,teardown_ns,"
	    "cgroup_bytes,pss_bytes,rss_bytes,error,latency_p99_ns,appended_ns\n"
	    "ok,\"x,y\",crun,12.500,700,idle,3,c-3,100,,200,300,800,,55,,4096,8192,\"\",77,9\n"
	    "failed,,crun,,,idle,4,c-4,150,,,,,,,,,,\"exit 1\",,\n");
	write_file(tmpdir, "density.csv",
		   "count,rps_per_instance,step,spinup_p50_ns,spinup_p99_ns,"
		   "mem_available_per_instance_bytes,slab_per_instance_bytes,"
		   "cgroup_per_instance_bytes,pss_per_instance_bytes,new_thing\n"
		   "10,,1,1000,2000,-5,12.5,4096,,zz\n");
	ck_assert_msg(crowd_results_read(tmpdir, &r, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.samples[0].backend, "crun");
	ck_assert_int_eq(r.samples[0].index, 3);
	ck_assert_int_eq(r.samples[0].status, CROWD_STATUS_OK);
	ck_assert_int_eq(r.samples[0].spinup_ns, 700);
	ck_assert_int_eq(r.samples[0].t_ready_ns, 800);
	ck_assert_int_eq(r.samples[0].t_cgroup_ns, -1);
	ck_assert_int_eq(r.samples[0].pss_bytes, 4096);
	ck_assert(r.samples[0].rps == 12.5);
	ck_assert_int_eq(r.extra[0].latency_p99_ns, 77);
	ck_assert_int_eq(r.extra[0].latency_p50_ns, -1);
	ck_assert_str_eq(r.samples[1].error, "exit 1");
	ck_assert_int_eq(r.samples[1].status, CROWD_STATUS_FAILED);
	/* no summary.json: the model still names the run and counts the backends */
	ck_assert(!r.have_summary);
	ck_assert_str_eq(r.summary.workload, "idle");
	ck_assert_str_eq(r.summary.run, r.folder);
	ck_assert_uint_eq(r.summary.n_backends, 1);
	ck_assert_uint_eq(r.summary.backends[0].count, 2);
	ck_assert_uint_eq(r.summary.backends[0].failures, 1);
	ck_assert_uint_eq(r.n_steps, 1);
	ck_assert_uint_eq(r.steps[0].step, 1);
	ck_assert_uint_eq(r.steps[0].count, 10);
	ck_assert_int_eq(r.steps[0].spinup_p99_ns, 2000);
	ck_assert_double_eq(r.steps[0].mem_available_per_instance_bytes, -5);
	ck_assert_double_eq(r.steps[0].slab_per_instance_bytes, 12.5);
	ck_assert_double_eq(r.steps[0].rps_per_instance, -1);
	ck_assert_double_eq(r.steps[0].pss_per_instance_bytes, -1);
	crowd_results_free(&r);
}
END_TEST

/* A truncated or malformed file is refused with its path and line. */
START_TEST(read_bad_files)
{
	struct crowd_error err = {0};
	struct crowd_results r;
	struct crowd_sample s[6];
	struct crowd_sample_extra x[6];
	char path[160], dir[128];
	static const struct {
		const char *file, *append, *want;
	} cases[] = {
	    /* the last row cut short by a crash */
	    {"samples.csv", "core,idle,6,id-6,ok,1,2,3", "samples.csv:8: 8 fields, header has 28"},
	    /* an unterminated quote */
	    {"samples.csv", "core,idle,6,id-6,ok,1,,,,,,,,,,,,\"cut,,,\n",
	     "samples.csv:8: unterminated quote"},
	    {"samples.csv", "core,idle,6,id-6,maybe,,,,,,,,,,,,,\"\",,,,,,,,,,\n",
	     "samples.csv:8: bad status 'maybe'"},
	    {"samples.csv", "core,idle,6,id-6,ok,,,,,,,-5,,,,,,\"\",,,,,,,,,,\n",
	     "samples.csv:8: bad spinup_ns '-5'"},
	    {"summary.json", "{\"run\": ", "summary.json:1:"},
	    {"summary.json", "[1, 2]", "summary.json:1: not a JSON object"},
	    {"density.csv", "step,count\n1,2\n",
	     "density.csv:1: header lacks column 'spinup_p50_ns'"},
	    {"host.json", "{\n\"kernel\": \"6.1\",\n", "host.json:3:"},
	};
	make_samples(s, x);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/bad%zu", tmpdir, i);
		struct crowd_run_output out = {.samples = s, .extra = x, .n = 6};
		ck_assert_int_eq(crowd_results_write(dir, &out, NULL, &err), 0);
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		FILE *f = fopen(path, strcmp(cases[i].file, "samples.csv") ? "w" : "a");
		fputs(cases[i].append, f);
		fclose(f);
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(crowd_results_read(dir, &r, &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, cases[i].want) && strstr(err.msg, dir),
			      "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
		ck_assert_ptr_null(r.samples);
	}
	/* an empty samples.csv (a run killed before its first write) */
	write_file(tmpdir, "samples.csv", "");
	ck_assert_int_eq(crowd_results_read(tmpdir, &r, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "samples.csv:1: no header line"), "%s", err.msg);
	/* not a results folder */
	snprintf(dir, sizeof(dir), "%s/empty", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(crowd_results_read(dir, &r, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "not a results folder (no samples.csv)"), "%s", err.msg);
}
END_TEST

START_TEST(default_dir_name)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	char buf[256];
	crowd_config_init(&cfg);
	cfg.backends[0] = "core";
	cfg.backends[1] = "crun";
	cfg.n_backends = 2;
	snprintf(cfg.workload.name, sizeof(cfg.workload.name), "cmd:/bin/x y");
	ck_assert_int_eq(crowd_results_default_dir(&cfg, 1700000000, NULL, buf, sizeof(buf), &err),
			 0);
	ck_assert_str_eq(buf, "results/runs/20231114-221320-core+crun-cmd__bin_x_y");
}
END_TEST

static Suite *results_suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, samples_roundtrip);
	tcase_add_test(tc, samples_bad_input);
	tcase_add_test(tc, metrics_phases);
	tcase_add_test(tc, folder_write_read);
	tcase_add_test(tc, density_roundtrip);
	tcase_add_test(tc, sweep_roundtrip);
	tcase_add_test(tc, read_reordered_columns);
	tcase_add_test(tc, read_bad_files);
	tcase_add_test(tc, default_dir_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(results_suite());
}
