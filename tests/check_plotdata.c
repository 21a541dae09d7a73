/* harness/results/plotdata.c: reading results folders back for `crowd plot` and the data files each
 * figure gets. Uses the committed folders under tests/data (run from the repository top). */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results/plotdata.h"
#include "testutil.h"

static const char *small = "tests/data/results-small";
static char tmp[64];

static void make_tmp(void)
{
	crowd_test_mkdtemp(tmp, sizeof(tmp), "crowd-check-plotdata");
}

static void rm_tmp(void)
{
	crowd_test_rmtree(tmp);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	crowd_test_write(dir, name, text, 0644);
}

static const struct crowd_plot_backend *find(const struct crowd_plot_run *r, const char *name)
{
	for (unsigned i = 0; i < r->n_backends; i++)
		if (!strcmp(r->backend[i].sum->name, name))
			return &r->backend[i];
	return NULL;
}

static const char *header =
    "backend,workload,index,id,status,t_request_ns,t_cgroup_ns,t_clone_ns,t_setup_ns,"
    "t_ready_ns,t_first_response_ns,spinup_ns,teardown_ns,cgroup_bytes,pss_bytes,rss_bytes,"
    "rps,error\n";

START_TEST(test_read_small)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_plot_run_read(small, &r, &err), 0);
	ck_assert_str_eq(r->res.folder, "results-small");
	ck_assert_uint_eq(r->n_backends, 6);
	ck_assert_str_eq(r->backend[0].sum->name, "core");
	const struct crowd_plot_backend *runc = find(r, "runc");
	ck_assert_ptr_nonnull(runc);
	ck_assert_uint_eq(runc->sum->count, 8);
	ck_assert_uint_eq(runc->sum->failures, 1); /* the quoted, comma-laden error row */
	ck_assert_uint_eq(runc->col[CROWD_PLOT_SPINUP_MS].n, 7);
	const struct crowd_plot_backend *process = find(r, "process");
	ck_assert_uint_eq(process->col[CROWD_PLOT_PHASE_CGROUP_MS].n, 0);
	ck_assert_uint_eq(process->col[CROWD_PLOT_PHASE_CLONE_MS].n, 8);
	/* First row of samples.csv: core, spin-up 4389842 ns, clone 7730865 - 7114635. */
	const struct crowd_plot_backend *core = find(r, "core");
	const struct crowd_plot_values *sp = &core->col[CROWD_PLOT_SPINUP_MS];
	bool seen = false;
	for (size_t i = 0; i < sp->n; i++)
		seen |= fabs(sp->v[i] - 4.389842) < 1e-9;
	ck_assert(seen);
	for (size_t i = 1; i < sp->n; i++)
		ck_assert(sp->v[i - 1] <= sp->v[i]); /* sorted for the CDF */
	const struct crowd_plot_values *cl = &core->col[CROWD_PLOT_PHASE_CLONE_MS];
	seen = false;
	for (size_t i = 0; i < cl->n; i++)
		seen |= fabs(cl->v[i] - 0.616230) < 1e-9;
	ck_assert(seen);
	ck_assert(core->sum->have_host && core->sum->mem_available_delta_per_instance > 0);
	ck_assert(!isnan(core->sum->total_rps));
	ck_assert_str_eq(find(r, "vm")->sum->accel, "kvm");
	/* the medians of the columns are summary.json's p50 (one percentile rule) */
	ck_assert_double_eq_tol(sp->v[sp->n / 2 - 1] / 2 + sp->v[sp->n / 2] / 2,
				core->sum->metrics[0].p50 / 1e6, 1e-9);
	ck_assert(strstr(r->host, "AMD EPYC 7B13") && strstr(r->host, "6.18.0-1-amd64"));
	ck_assert_str_eq(r->version, "crowd 0.1.0 (3993971)");
	ck_assert_ptr_null(r->res.steps);
	crowd_plot_run_free(r);
}
END_TEST

START_TEST(test_read_density)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_plot_run_read("tests/data/results-small-density", &r, &err), 0);
	ck_assert_uint_eq(r->res.n_steps, 6);
	ck_assert_uint_eq(r->res.steps[0].count, 8);
	ck_assert_int_eq(r->res.steps[0].spinup_p99_ns, 6786174);
	ck_assert(r->res.summary.have_density);
	ck_assert_uint_eq(r->res.summary.density_max_count, 40);
	ck_assert_str_eq(r->res.summary.density_stopped_by, "slo-spinup-p99");
	crowd_plot_run_free(r);
}
END_TEST

START_TEST(test_not_results)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_plot_run_read("/nonexistent/crowd", &r, &err), -ENOENT);
	ck_assert_int_eq(crowd_plot_run_read("tests", &r, &err), -ENOENT);
	ck_assert(strstr(err.msg, "not a results folder"));
	ck_assert_int_eq(crowd_plot_run_read("tests/lib.sh", &r, &err), -ENOTDIR);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_malformed)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	char text[1024];
	make_tmp();
	write_text(tmp, "summary.json", "{\"crowd_version\": \"0.1.0\", \"backends\": {}}\n");
	snprintf(text, sizeof(text),
		 "%score,httpd,0,a,ok,1,2,3,4,5,,4,9,10,11,12,,\n"
		 "core,httpd,1,b,ok,1,2,3,4,x5,,4,9,10,11,12,,\n",
		 header);
	write_text(tmp, "samples.csv", text);
	ck_assert_int_eq(crowd_plot_run_read(tmp, &r, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "samples.csv:3: bad t_ready_ns 'x5'"), "%s", err.msg);

	snprintf(text, sizeof(text), "%score,httpd,0,a,ok,1,2\n", header);
	write_text(tmp, "samples.csv", text);
	ck_assert_int_eq(crowd_plot_run_read(tmp, &r, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "samples.csv:2: 7 fields, header has 18"), "%s", err.msg);

	write_text(tmp, "samples.csv", "backend,status\ncore,ok\n");
	ck_assert_int_eq(crowd_plot_run_read(tmp, &r, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "lacks column 'workload'"), "%s", err.msg);

	snprintf(text, sizeof(text), "%score,httpd,0,a,ok,1,2,3,4,5,,4,9,10,11,12,,\n", header);
	write_text(tmp, "samples.csv", text);
	write_text(tmp, "summary.json", "{\"backends\": \n");
	ck_assert_int_eq(crowd_plot_run_read(tmp, &r, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "summary.json"), "%s", err.msg);
	ck_assert_ptr_null(r);
	rm_tmp();
}
END_TEST

/* A quoted error with a doubled quote, a comma and a newline stays one field. */
START_TEST(test_quoted_error)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	char text[1024];
	make_tmp();
	write_text(tmp, "summary.json", "{\"backends\": {}}\n");
	snprintf(text, sizeof(text),
		 "%scrun,httpd,0,a,failed,1,,3,,,,,9,,,,,\"exit 1: \"\"x\"\", y\nz\"\n"
		 "crun,httpd,1,b,ok,1,,3,,5,,4,9,,11,12,100.500,\"\"\n",
		 header);
	write_text(tmp, "samples.csv", text);
	ck_assert_int_eq(crowd_plot_run_read(tmp, &r, &err), 0);
	ck_assert_uint_eq(r->n_backends, 1);
	ck_assert_uint_eq(r->backend[0].sum->count, 2);
	ck_assert_uint_eq(r->backend[0].sum->failures, 1);
	ck_assert_double_eq_tol(r->backend[0].col[CROWD_PLOT_RPS].v[0], 100.5, 1e-12);
	/* ready measured from clone when there is no setup phase */
	ck_assert_double_eq_tol(r->backend[0].col[CROWD_PLOT_PHASE_READY_MS].v[0], 2e-6, 1e-15);
	ck_assert(!r->backend[0].sum->have_host);
	ck_assert(isnan(r->backend[0].sum->mem_available_delta_per_instance));
	crowd_plot_run_free(r);
	rm_tmp();
}
END_TEST

static const struct crowd_plot_figure *figure(const char *name)
{
	for (const struct crowd_plot_figure *f = crowd_plot_figures; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* Each figure either has data and gnuplot variables, or is skipped with a reason. */
START_TEST(test_figures)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_plot_run_read(small, &r, &err), 0);
	make_tmp();
	struct crowd_plot_run *runs[] = {r};
	struct crowd_plot_job job;

	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("spinup-cdf")->prepare(runs, 1, tmp, &job, &err), 0);
	ck_assert(!job.skip);
	ck_assert_msg(strstr(job.vars, "n=6;") &&
			  strstr(job.vars, "titles='core process crun runc bwrap vm'"),
		      "%s", job.vars);

	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("density")->prepare(runs, 1, tmp, &job, &err), 0);
	ck_assert(job.skip);
	ck_assert(strstr(job.skip_reason, "density.csv"));

	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("phases")->prepare(runs, 1, tmp, &job, &err), 0);
	ck_assert_msg(strstr(job.vars, "rows=5;"), "%s", job.vars); /* vm left out */

	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("containers-vs-vm")->prepare(runs, 1, tmp, &job, &err), 0);
	ck_assert(!job.skip);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/containers-vs-vm.dat", tmp);
	ck_assert_int_eq(access(path, R_OK), 0);

	/* Two folders: titles name the folder. */
	struct crowd_plot_run *r2 = NULL;
	ck_assert_int_eq(crowd_plot_run_read("tests/data/results-small-after", &r2, &err), 0);
	struct crowd_plot_run *two[] = {r, r2};
	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("spinup-cdf")->prepare(two, 2, tmp, &job, &err), 0);
	ck_assert_msg(strstr(job.vars, "results-small-after:core") && strstr(job.vars, "n=9;"),
		      "%s", job.vars);
	/* core has the same colour in both folders, told apart by dash type */
	ck_assert_msg(strstr(job.vars, "lts='1 2 3 4 5 6 1 2 3'") &&
			  strstr(job.vars, "dts='1 1 1 1 1 1 2 2 2'"),
		      "%s", job.vars);
	crowd_plot_run_free(r2);
	crowd_plot_run_free(r);
	rm_tmp();
}
END_TEST

/* Engines are bars of containers-vs-vm like any container backend, their memory with what
 * they cost outside the container (engine_bytes) added to the PSS. */
START_TEST(test_engines_vs_vm)
{
	struct crowd_plot_run *r = NULL;
	struct crowd_error err = {0};
	make_tmp();
	char dir[PATH_MAX], path[PATH_MAX], line[512];
	snprintf(dir, sizeof(dir), "%s/engines", tmp);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	char csv[4096];
	snprintf(csv, sizeof(csv),
		 "%.*s,latency_p50_ns,latency_p99_ns,errors,engine_bytes\n"
		 "core,httpd,0,a,ok,1,,,,2000001,,2000000,1,100000,40000,80000,1,,,,,\n"
		 "docker,httpd,1,b,ok,1,,,,500000001,,500000000,1,300000,40000,80000,1,,,,,"
		 "6291456\n"
		 "docker,httpd,2,c,ok,1,,,,500000001,,500000000,1,300000,40000,80000,1,,,,,"
		 "6291456\n"
		 "vm,httpd,3,d,ok,1,,,,900000001,,900000000,1,,52428800,60000000,1,,,,,\n",
		 (int)strlen(header) - 1, header);
	write_text(dir, "samples.csv", csv);
	write_text(dir, "summary.json", "{\"backends\": {}}\n");
	ck_assert_msg(crowd_plot_run_read(dir, &r, &err) == 0, "%s", err.msg);
	const struct crowd_plot_backend *dk = find(r, "docker");
	ck_assert_ptr_nonnull(dk);
	ck_assert_uint_eq(dk->col[CROWD_PLOT_ENGINE_MIB].n, 2);
	ck_assert_uint_eq(find(r, "core")->col[CROWD_PLOT_ENGINE_MIB].n, 0);
	struct crowd_plot_run *runs[] = {r};
	struct crowd_plot_job job;
	memset(&job, 0, sizeof(job));
	ck_assert_int_eq(figure("containers-vs-vm")->prepare(runs, 1, tmp, &job, &err), 0);
	ck_assert(!job.skip);
	ck_assert_msg(strstr(job.vars, "rows=3;"), "%s", job.vars);
	snprintf(path, sizeof(path), "%s/containers-vs-vm.dat", tmp);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	bool docker = false;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		double sp, pss;
		if (sscanf(line, "%63s %lf %lf", name, &sp, &pss) != 3 || strcmp(name, "docker"))
			continue;
		/* 40000 B PSS + 6 MiB engine */
		ck_assert_double_eq_tol(pss, 6.0 + 40000.0 / 1048576, 1e-5);
		ck_assert_double_eq_tol(sp, 500.0, 1e-6);
		docker = true;
	}
	fclose(f);
	ck_assert(docker);
	crowd_plot_run_free(r);
	rm_tmp();
}
END_TEST

START_TEST(test_setstr_quotes)
{
	struct crowd_plot_job job = {0};
	ck_assert_int_eq(crowd_plot_job_setstr(&job, "out", "/tmp/it's here"), 0);
	ck_assert_str_eq(job.vars, "out='/tmp/it''s here'; ");
}
END_TEST

static Suite *plotdata_suite(void)
{
	Suite *s = suite_create("plotdata");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_read_small);
	tcase_add_test(tc, test_read_density);
	tcase_add_test(tc, test_not_results);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_quoted_error);
	tcase_add_test(tc, test_figures);
	tcase_add_test(tc, test_engines_vs_vm);
	tcase_add_test(tc, test_setstr_quotes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(plotdata_suite());
}
