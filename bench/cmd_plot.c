/* crowd plot DIR... [--format png|svg|pdf] [--out DIR]: figures from results folders.
 * harness/results/plotdata.c writes the data files; gnuplot draws them with scripts/NAME.gp
 * (run through crowd_peer_run, as the peers run their tools); index.html reports the
 * results model of each folder beside the figures. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/peer.h"
#include "cli.h"
#include "core/util.h"
#include "results/history.h"
#include "results/plotdata.h"

/* gnuplot gets this long per figure before it is killed. */
#define GNUPLOT_TIMEOUT_MS 120000

static const char *const formats[] = {"png", "svg", "pdf"};
static const char allowed_opts[] =
    "allowed: --format, --out, --quiet, --history, --metric, --backend, --help";

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: crowd plot DIR... [--format png|svg|pdf] [--out DIR] [--quiet]\n"
	    "       crowd plot --history DIR... [--metric NAME] [--backend NAME] [--format FMT]\n"
	    "                  [--out DIR] [--quiet]\n\n"
	    "Figures from one or more results folders with gnuplot; several folders overlay\n"
	    "in one figure. Writes the figures, their data (plot-data/) and index.html into\n"
	    "--out (default: the first DIR).\n"
	    "With --history: one trend figure, history-METRIC.FMT, of one metric across the\n"
	    "folders in time order (the numbers of crowd compare --history): median with its\n"
	    "95%% CI, p90 and p99 per backend.\n\n"
	    "  -f, --format FMT  png (default), svg or pdf\n"
	    "  -o, --out DIR     output folder (created if missing; its parent must exist)\n"
	    "  -q, --quiet       print nothing but errors\n"
	    "  -H, --history     the trend figure instead of the per-run figures\n"
	    "  -m, --metric NAME history: the metric (default spinup_ns; see crowd compare)\n"
	    "  -b, --backend NAME history: only this backend (default: all)\n"
	    "  -h, --help        this text\n\n"
	    "Scripts are looked up in $CROWD_DATADIR, next to the binary (../scripts,\n"
	    "../share/crowd) and in %s.\n",
	    CROWD_DATADIR);
}

struct plot_opts {
	const char *fmt, *out;
	bool quiet, history;
	const struct crowd_metric *metric; /* --history */
	const char *backend;		   /* --history */
};

struct plot_runs {
	struct crowd_plot_run **v;
	size_t n;
};

static void plot_runs_free(struct plot_runs *r)
{
	for (size_t i = 0; i < r->n; i++)
		crowd_plot_run_free(r->v[i]);
	free(r->v);
}

/* Where the figures go, and what draws them. */
struct plot_out {
	char dir[PATH_MAX];
	char datadir[PATH_MAX + 16];
	char scripts[PATH_MAX];
	char gnuplot[PATH_MAX];
	char footnote[1024];
};

struct figure_result {
	const struct crowd_plot_figure *fig;
	bool written;
	char note[200];
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder holding the .gp scripts: $CROWD_DATADIR, ../scripts next to the binary (a
 * build tree), ../share/crowd next to it (an installed or DESTDIR-staged tree), the
 * compiled-in data folder. */
static int find_scripts(char *buf, size_t len)
{
	static char rel[2][PATH_MAX + 32];
	char exe[PATH_MAX], path[PATH_MAX + 64];
	const char *env = getenv("CROWD_DATADIR");
	const char *cands[5];
	size_t n = 0;
	if (env && *env)
		cands[n++] = env;
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l > 0) {
		exe[l] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(rel[0], sizeof(rel[0]), "%s/../scripts", exe);
			snprintf(rel[1], sizeof(rel[1]), "%s/../share/crowd", exe);
			cands[n++] = rel[0];
			cands[n++] = rel[1];
		}
	}
	cands[n++] = CROWD_DATADIR;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/common.gp", cands[i]);
		if (is_file(path) && realpath(cands[i], buf) && strlen(buf) < len)
			return 0;
	}
	return -ENOENT;
}

/* ---- phase 1: options ---- */

static const struct crowd_metric *metric_or_exit(const char *name)
{
	const struct crowd_metric *m = crowd_metric_find(name);
	if (m)
		return m;
	char names[512];
	crowd_usage_error("plot", "--metric '%s' is not known (allowed: %s)", name,
			  crowd_metric_names(names, sizeof(names)));
}

/* Parse argv into opt (bad input exits 2); returns the index of the first folder. */
static int parse_opts(int argc, char **argv, struct plot_opts *opt)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'}, {"out", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},	      {"history", no_argument, NULL, 'H'},
	    {"metric", required_argument, NULL, 'm'}, {"backend", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	const char *metric = NULL;
	int c;
	*opt = (struct plot_opts){.fmt = "png"};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:o:qHm:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt->fmt = optarg;
			break;
		case 'o':
			opt->out = optarg;
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'H':
			opt->history = true;
			break;
		case 'm':
			metric = optarg;
			break;
		case 'b':
			opt->backend = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(CROWD_EXIT_OK);
		default:
			if (optopt && strchr("fomb", optopt))
				crowd_usage_error("plot", "option '%s' needs a value (%s)",
						  argv[optind - 1], allowed_opts);
			crowd_usage_error("plot", "unknown option '%s' (%s)", argv[optind - 1],
					  allowed_opts);
		}
	}
	bool fmt_ok = false;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(formats); i++)
		fmt_ok |= !strcmp(opt->fmt, formats[i]);
	if (!fmt_ok)
		crowd_usage_error("plot", "--format '%s' is not known (allowed: png, svg, pdf)",
				  opt->fmt);
	if (!opt->history && (metric || opt->backend))
		crowd_usage_error("plot", "--metric and --backend go with --history");
	if (metric)
		opt->metric = metric_or_exit(metric);
	if (optind >= argc)
		crowd_usage_error("plot", "no results folder given (usage: crowd plot DIR... "
					  "[--format png|svg|pdf] [--out DIR])");
	return optind;
}

/* ---- phase 2: the folders ---- */

/* A fleet folder (crowd merge) in runs->v[runs->n]: replaced by one run per host (docs/fleet.md),
 * so every figure has a series per host. 0 or the exit code. */
static int split_fleet(struct plot_runs *runs, size_t *cap)
{
	struct crowd_plot_run *fleet = runs->v[runs->n];
	struct crowd_plot_run *per[256];
	size_t nh = 0;
	struct crowd_error err = {0};
	if (crowd_plot_run_split_hosts(fleet, per, CROWD_ARRAY_SIZE(per), &nh, &err) < 0)
		return crowd_report("plot", &err);
	struct crowd_plot_run **v = realloc(runs->v, (*cap + nh) * sizeof(*v));
	if (!v) {
		while (nh > 0)
			crowd_plot_run_free(per[--nh]);
		return CROWD_EXIT_FAIL;
	}
	runs->v = v;
	*cap += nh;
	crowd_plot_run_free(fleet);
	for (size_t h = 0; h < nh; h++)
		runs->v[runs->n++] = per[h];
	return 0;
}

/* Read every folder; 0, or the exit code (2 for a folder that is not one). */
static int read_runs(char **dirs, size_t n, struct plot_runs *runs)
{
	size_t cap = n;
	runs->v = calloc(cap, sizeof(*runs->v));
	if (!runs->v)
		return CROWD_EXIT_FAIL;
	for (size_t i = 0; i < n; i++) {
		struct crowd_error err = {0};
		int r = crowd_plot_run_read(dirs[i], &runs->v[runs->n], &err);
		if (r == -ENOMEM || r == -EIO)
			return crowd_report("plot", &err);
		if (r < 0) {
			crowd_warn("plot", "%s", err.msg);
			return CROWD_EXIT_USAGE;
		}
		if (runs->v[runs->n]->res.summary.fleet) {
			if ((r = split_fleet(runs, &cap)) != 0)
				return r;
			continue;
		}
		runs->n++;
	}
	return 0;
}

/* The history before anything is created: a metric no folder has is bad input. */
static int read_history(char **dirs, size_t n, const struct plot_opts *opt, struct crowd_history *h)
{
	struct crowd_error err = {0};
	int r = crowd_history_compute(dirs, n, opt->metric, opt->backend, h, &err);
	if (r == -ENODATA) {
		crowd_warn("plot", "--history: %s", err.msg);
		return CROWD_EXIT_USAGE;
	}
	return r < 0 ? crowd_report("plot", &err) : 0;
}

/* ---- phase 3: the output folder, the scripts, gnuplot ---- */

/* Append the distinct values of one field of the runs, joined with sep. */
static size_t append_distinct(const struct plot_runs *runs, size_t off, char *buf, size_t len,
			      const char *sep, size_t k)
{
	for (size_t i = 0; i < runs->n; i++) {
		const char *v = (const char *)runs->v[i] + off;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(v, (const char *)runs->v[j] + off);
		if (seen)
			continue;
		int n = snprintf(buf + k, len - k, "%s%s", i ? sep : "", v);
		if (n < 0 || (size_t)n >= len - k)
			return len - 1;
		k += (size_t)n;
	}
	return k;
}

/* Hosts and crowd versions of all folders, each distinct one once, as the footnote. */
static void make_footnote(const struct plot_runs *runs, char *buf, size_t len)
{
	size_t k = (size_t)snprintf(buf, len, "host: ");
	k = append_distinct(runs, offsetof(struct crowd_plot_run, host), buf, len, " | ", k);
	if (k + 3 < len) {
		strcpy(buf + k, "; ");
		k += 2;
	}
	append_distinct(runs, offsetof(struct crowd_plot_run, version), buf, len, ", ", k);
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* Data files of an earlier call would be mistaken for this one's: remove them. */
static void clear_data(const char *datadir)
{
	DIR *d = opendir(datadir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".dat"))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* --out (made when missing; its parent must exist) or the first folder. */
static int out_dir(const struct plot_opts *opt, const struct plot_runs *runs, char *out)
{
	if (!opt->out) {
		snprintf(out, PATH_MAX, "%s", runs->v[0]->res.dir);
		return 0;
	}
	struct stat st;
	int r = mkdir_one(opt->out);
	if (r == 0 && (stat(opt->out, &st) < 0 || !S_ISDIR(st.st_mode)))
		r = -ENOTDIR;
	if (r < 0 || !realpath(opt->out, out)) {
		crowd_warn("plot",
			   "--out '%s': cannot create the folder: %s (its parent must exist)",
			   opt->out, strerror(r < 0 ? -r : errno));
		return CROWD_EXIT_USAGE;
	}
	return 0;
}

static int prepare_out(const struct plot_opts *opt, const struct plot_runs *runs,
		       struct plot_out *po)
{
	if (find_scripts(po->scripts, sizeof(po->scripts)) < 0) {
		crowd_warn("plot",
			   "gnuplot scripts not found (looked in $CROWD_DATADIR, "
			   "../scripts and ../share/crowd next to crowd, %s)",
			   CROWD_DATADIR);
		return CROWD_EXIT_FAIL;
	}
	if (crowd_peer_which("gnuplot", po->gnuplot, sizeof(po->gnuplot)) < 0) {
		crowd_warn("plot",
			   "gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
		return CROWD_EXIT_FAIL;
	}
	int r = out_dir(opt, runs, po->dir);
	if (r)
		return r;
	snprintf(po->datadir, sizeof(po->datadir), "%s/plot-data", po->dir);
	if ((r = mkdir_one(po->datadir)) < 0) {
		crowd_warn("plot", "%s: %s", po->datadir, strerror(-r));
		return CROWD_EXIT_FAIL;
	}
	clear_data(po->datadir);
	make_footnote(runs, po->footnote, sizeof(po->footnote));
	return 0;
}

/* gnuplot -e VARS SCRIPT; its messages (leading blank lines trimmed) in msg. Returns its
 * exit status, or -1 when it did not run to an exit (msg says why). */
static int run_gnuplot(const struct plot_out *po, const char *vars, const char *script, char *msg,
		       size_t len)
{
	char *argv[] = {(char *)po->gnuplot, (char *)"-e", (char *)vars, (char *)script, NULL};
	struct crowd_error err = {0};
	int st = crowd_peer_run(argv, CROWD_PEER_INHERIT_ENV, GNUPLOT_TIMEOUT_MS, msg, len, &err);
	if (st < 0) {
		snprintf(msg, len, "%s", err.msg);
		return -1;
	}
	size_t lead = strspn(msg, "\n ");
	memmove(msg, msg + lead, strlen(msg + lead) + 1);
	return st;
}

/* ---- phase 4: the figures ---- */

/* gnuplot draws fr->fig from job's variables into out/NAME.fmt; 0, or the exit code. */
static int draw_figure(struct figure_result *fr, const struct crowd_plot_job *job,
		       const struct plot_out *po, const struct plot_opts *opt)
{
	const struct crowd_plot_figure *fig = fr->fig;
	char outfile[PATH_MAX + 64], script[PATH_MAX + 64];
	snprintf(outfile, sizeof(outfile), "%s/%s.%s", po->dir, fig->name, opt->fmt);
	snprintf(script, sizeof(script), "%s/%s", po->scripts, fig->script);
	unlink(outfile); /* never leave a stale figure from an earlier call */
	struct crowd_plot_job all = {0};
	crowd_plot_job_setstr(&all, "fmt", opt->fmt);
	crowd_plot_job_setstr(&all, "out", outfile);
	crowd_plot_job_setstr(&all, "datadir", po->datadir);
	crowd_plot_job_setstr(&all, "scriptdir", po->scripts);
	crowd_plot_job_setstr(&all, "footnote", po->footnote);
	crowd_plot_job_setstr(&all, "figtitle", fig->title);
	if (strlen(all.vars) + strlen(job->vars) + 1 > sizeof(all.vars)) {
		crowd_warn("plot", "%s: too many series for one figure", fig->name);
		return CROWD_EXIT_FAIL;
	}
	strcat(all.vars, job->vars);
	char msg[8192];
	int st = run_gnuplot(po, all.vars, script, msg, sizeof(msg));
	if (st != 0) {
		unlink(outfile);
		crowd_warn("plot", "gnuplot failed on %s (%s)%s%s", fig->name, script,
			   msg[0] ? ":\n" : "", msg);
		return CROWD_EXIT_FAIL;
	}
	if (msg[0])
		crowd_warn("plot", "gnuplot on %s: %s", fig->name, msg);
	if (!is_file(outfile)) {
		crowd_warn("plot", "gnuplot wrote no %s", outfile);
		return CROWD_EXIT_FAIL;
	}
	fr->written = true;
	if (!opt->quiet)
		printf("wrote %s\n", outfile);
	return 0;
}

/* The trend figure of --history into res[0]; 0, or the exit code. */
static int draw_history(const struct crowd_history *h, const struct plot_out *po,
			const struct plot_opts *opt, struct figure_result *res)
{
	static char name[64], title[160];
	static struct crowd_plot_figure fig = {name, "history.gp", title, NULL};
	struct crowd_error err = {0};
	struct crowd_plot_job job = {0};
	snprintf(name, sizeof(name), "history-%s", h->metric->name);
	if (crowd_plot_history_prepare(h, po->datadir, &job, title, sizeof(title), &err) < 0)
		return crowd_report("plot", &err);
	*res = (struct figure_result){.fig = &fig};
	return draw_figure(res, &job, po, opt);
}

/* Every per-run figure into res (one each, drawn or skipped with the reason); *ret_n set;
 * 0, or the exit code. */
static int draw_figures(const struct plot_runs *runs, const struct plot_out *po,
			const struct plot_opts *opt, struct figure_result *res, size_t *ret_n)
{
	*ret_n = 0;
	for (const struct crowd_plot_figure *fig = crowd_plot_figures; fig->name; fig++) {
		struct figure_result *fr = &res[(*ret_n)++];
		struct crowd_plot_job job = {0};
		struct crowd_error err = {0};
		char outfile[PATH_MAX + 64];
		*fr = (struct figure_result){.fig = fig};
		snprintf(outfile, sizeof(outfile), "%s/%s.%s", po->dir, fig->name, opt->fmt);
		unlink(outfile); /* never leave a stale figure from an earlier call */
		if (fig->prepare(runs->v, runs->n, po->datadir, &job, &err) < 0)
			return crowd_report("plot", &err);
		if (job.skip) {
			snprintf(fr->note, sizeof(fr->note), "%s", job.skip_reason);
			if (!opt->quiet)
				printf("skipped %s: %s\n", fig->name, job.skip_reason);
			continue;
		}
		int r = draw_figure(fr, &job, po, opt);
		if (r)
			return r;
	}
	return 0;
}

/* ---- phase 5: index.html, the report of the results model beside the figures ---- */

static void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* One table cell: v / scale, or an empty cell when absent. */
static void html_num(FILE *f, double v, double scale, int decimals)
{
	fputs("<td>", f);
	if (!isnan(v))
		fprintf(f, "%.*f", decimals, v / scale);
	fputs("</td>", f);
}

/* A cell of one statistic (offset in struct crowd_stats) of metric name of backend b. */
static void html_stat(FILE *f, const struct crowd_summary_backend *b, const char *name, size_t off,
		      double scale, int decimals)
{
	const struct crowd_stats *st = crowd_summary_stats(b, crowd_metric_find(name));
	double v = NAN;
	if (st)
		memcpy(&v, (const char *)st + off, sizeof(v));
	html_num(f, v, scale, decimals);
}

static void html_backend(FILE *f, const struct crowd_summary_backend *b)
{
	const size_t p50 = offsetof(struct crowd_stats, p50);
	fputs("<tr><td>", f);
	html_escape(f, b->name);
	if (b->accel[0]) {
		fputs(" (", f);
		html_escape(f, b->accel);
		fputs(")", f);
	}
	fprintf(f, "</td><td>%u</td><td>%u</td><td>", b->count, b->failures);
	html_escape(f, b->ready_kind);
	fputs("</td>", f);
	html_stat(f, b, "spinup_ns", p50, 1e6, 2);
	html_stat(f, b, "spinup_ns", offsetof(struct crowd_stats, p90), 1e6, 2);
	html_stat(f, b, "spinup_ns", offsetof(struct crowd_stats, p99), 1e6, 2);
	html_stat(f, b, "teardown_ns", p50, 1e6, 2);
	html_stat(f, b, "cgroup_bytes", p50, 1048576.0, 3);
	html_stat(f, b, "pss_bytes", p50, 1048576.0, 3);
	html_num(f, b->have_host ? b->mem_available_delta_per_instance : NAN, 1048576.0, 3);
	html_stat(f, b, "rps", p50, 1, 0);
	html_num(f, b->have_load ? b->total_rps : NAN, 1, 0);
	fputs("</tr>\n", f);
}

static void html_run(FILE *f, const struct crowd_plot_run *r)
{
	const struct crowd_summary *s = &r->res.summary;
	fputs("<h2>", f);
	html_escape(f, r->res.folder);
	fputs("</h2>\n<p class=\"note\">", f);
	html_escape(f, r->res.dir);
	fprintf(f, " &middot; workload ");
	html_escape(f, s->workload[0] ? s->workload : "?");
	fprintf(f, " &middot; started ");
	html_escape(f, s->started[0] ? s->started : "?");
	fputs("</p>\n<table><tr><th>backend</th><th>count</th><th>failures</th>"
	      "<th>ready</th><th>spin-up p50 ms</th><th>p90 ms</th><th>p99 ms</th>"
	      "<th>teardown p50 ms</th><th>cgroup p50 MiB</th><th>PSS p50 MiB</th>"
	      "<th>host view MiB</th><th>req/s p50</th><th>total req/s</th></tr>\n",
	      f);
	for (unsigned i = 0; i < s->n_backends; i++)
		html_backend(f, &s->backends[i]);
	fputs("</table>\n", f);
	if (s->have_density) {
		fprintf(f, "<p>density: %u containers, stopped by ", s->density_max_count);
		html_escape(f, s->density_stopped_by[0] ? s->density_stopped_by : "?");
		fputs(s->density_detail[0] ? " &mdash; " : "", f);
		html_escape(f, s->density_detail);
		fputs("</p>\n", f);
	}
}

static void html_figure(FILE *f, const struct figure_result *fr, const char *fmt)
{
	fputs("<h3>", f);
	html_escape(f, fr->fig->title);
	fputs("</h3>\n", f);
	if (!fr->written) {
		fputs("<p class=\"note\">not drawn: ", f);
		html_escape(f, fr->note);
		fputs("</p>\n", f);
	} else if (!strcmp(fmt, "pdf")) {
		fprintf(f, "<p><a href=\"%s.pdf\">%s.pdf</a></p>\n", fr->fig->name, fr->fig->name);
	} else {
		fprintf(f, "<p><img src=\"%s.%s\" alt=\"", fr->fig->name, fmt);
		html_escape(f, fr->fig->title);
		fputs("\"></p>\n", f);
	}
}

static int write_index(const struct plot_out *po, const char *fmt, const struct plot_runs *runs,
		       const struct figure_result *res, size_t nres)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/index.html", po->dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>crowd plot</title>\n"
	      "<style>body{font-family:sans-serif;max-width:1240px;margin:1em auto}"
	      "table{border-collapse:collapse;margin-bottom:1em}"
	      "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
	      "td:first-child,th:first-child{text-align:left}"
	      "img{max-width:100%;border:1px solid #eee}.note{color:#666}</style>\n"
	      "</head><body>\n<h1>crowd results</h1>\n<p class=\"note\">",
	      f);
	html_escape(f, po->footnote);
	fputs("</p>\n", f);
	for (size_t i = 0; i < runs->n; i++)
		html_run(f, runs->v[i]);
	fputs("<h2>Figures</h2>\n", f);
	for (size_t i = 0; i < nres; i++)
		html_figure(f, &res[i], fmt);
	fputs("</body></html>\n", f);
	return fclose(f) != 0 ? -errno : 0;
}

int crowd_cmd_plot(int argc, char **argv)
{
	struct plot_opts opt;
	int first = parse_opts(argc, argv, &opt);
	char **dirs = argv + first;
	size_t ndirs = (size_t)(argc - first);

	__attribute__((cleanup(plot_runs_free))) struct plot_runs runs = {0};
	int r = read_runs(dirs, ndirs, &runs);
	__attribute__((cleanup(crowd_history_free))) struct crowd_history h = {0};
	if (!r && opt.history)
		r = read_history(dirs, ndirs, &opt, &h);
	struct plot_out po;
	if (!r)
		r = prepare_out(&opt, &runs, &po);
	if (r)
		return r;

	struct figure_result res[16];
	size_t nres = 1;
	r = opt.history ? draw_history(&h, &po, &opt, res)
			: draw_figures(&runs, &po, &opt, res, &nres);
	if (r)
		return r;
	if ((r = write_index(&po, opt.fmt, &runs, res, nres)) < 0) {
		crowd_warn("plot", "%s/index.html: %s", po.dir, strerror(-r));
		return CROWD_EXIT_FAIL;
	}
	size_t written = 0;
	for (size_t i = 0; i < nres; i++)
		written += res[i].written;
	if (!opt.quiet)
		printf("crowd plot: %zu figures and index.html in %s\n", written, po.dir);
	return CROWD_EXIT_OK;
}
