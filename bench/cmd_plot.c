/* crowd plot DIR... [--format png|svg|pdf] [--out DIR]: figures from results folders.
 * harness/plotdata.c writes the data files; gnuplot draws them with scripts/NAME.gp. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "results/history.h"
#include "results/plotdata.h"
#include "core/util.h"

static const char *const formats[] = {"png", "svg", "pdf"};
static const char allowed_opts[] =
    "allowed: --format, --out, --quiet, --history, --metric, --backend, --help";

static void usage(FILE *f)
{
	fprintf(f,
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

/* True when gnuplot is on $PATH. */
static bool find_gnuplot(void)
{
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/bin:/bin";
	_cleanup_free_ char *dup = strdup(path);
	if (!dup)
		return false;
	char *save = NULL;
	for (char *d = strtok_r(dup, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/gnuplot", *d ? d : ".");
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* Run gnuplot -e VARS SCRIPT; its stderr is kept in msg. Returns its exit status, or -1 when
 * it could not run or died of a signal. */
static int run_gnuplot(const char *vars, const char *script, char *msg, size_t len)
{
	int pfd[2];
	msg[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(msg, len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execlp("gnuplot", "gnuplot", "-e", vars, script, (char *)NULL);
		dprintf(pfd[1], "cannot run gnuplot: %s\n", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	size_t k = 0;
	for (;;) {
		char chunk[4096];
		ssize_t r = read(pfd[0], chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r && k + 1 < len; i++)
			msg[k++] = chunk[i];
	}
	msg[k] = '\0';
	close(pfd[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	/* gnuplot's messages start with blank lines and end with one: trim them. */
	while (k > 0 && (msg[k - 1] == '\n' || msg[k - 1] == ' '))
		msg[--k] = '\0';
	size_t lead = strspn(msg, "\n ");
	memmove(msg, msg + lead, k - lead + 1);
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

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

/* One table cell: a number of obj scaled, or an empty cell when absent. */
static void html_value(FILE *f, json_t *obj, const char *key, double scale, int decimals)
{
	json_t *v = json_object_get(obj, key);
	fputs("<td>", f);
	if (json_is_number(v))
		fprintf(f, "%.*f", decimals, json_number_value(v) / scale);
	fputs("</td>", f);
}

static void html_metric(FILE *f, json_t *metrics, const char *metric, const char *stat,
			double scale, int decimals)
{
	html_value(f, json_object_get(metrics, metric), stat, scale, decimals);
}

struct figure_result {
	const struct crowd_plot_figure *fig;
	bool written;
	char note[200];
};

static int write_index(const char *out, const char *fmt, const struct plot_runs *runs,
		       const struct figure_result *res, size_t nres, const char *footnote)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/index.html", out);
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
	html_escape(f, footnote);
	fputs("</p>\n", f);
	for (size_t i = 0; i < runs->n; i++) {
		const struct crowd_plot_run *r = runs->v[i];
		json_t *s = r->summary;
		fputs("<h2>", f);
		html_escape(f, r->name);
		fputs("</h2>\n<p class=\"note\">", f);
		html_escape(f, r->dir);
		const char *wl = json_string_value(json_object_get(s, "workload"));
		const char *started = json_string_value(json_object_get(s, "started"));
		fprintf(f, " &middot; workload ");
		html_escape(f, wl ? wl : "?");
		fprintf(f, " &middot; started ");
		html_escape(f, started ? started : "?");
		fputs("</p>\n<table><tr><th>backend</th><th>count</th><th>failures</th>"
		      "<th>ready</th><th>spin-up p50 ms</th><th>p90 ms</th><th>p99 ms</th>"
		      "<th>teardown p50 ms</th><th>cgroup p50 MiB</th><th>PSS p50 MiB</th>"
		      "<th>host view MiB</th><th>req/s p50</th><th>total req/s</th></tr>\n",
		      f);
		json_t *bes = json_object_get(s, "backends");
		const char *name;
		json_t *be;
		json_object_foreach(bes, name, be)
		{
			json_t *m = json_object_get(be, "metrics");
			const char *ready = json_string_value(json_object_get(be, "ready_kind"));
			const char *accel = json_string_value(json_object_get(be, "accel"));
			fputs("<tr><td>", f);
			html_escape(f, name);
			if (accel) {
				fputs(" (", f);
				html_escape(f, accel);
				fputs(")", f);
			}
			fprintf(f, "</td><td>%lld</td><td>%lld</td><td>",
				json_integer_value(json_object_get(be, "count")),
				json_integer_value(json_object_get(be, "failures")));
			html_escape(f, ready ? ready : "");
			fputs("</td>", f);
			html_metric(f, m, "spinup_ns", "p50", 1e6, 2);
			html_metric(f, m, "spinup_ns", "p90", 1e6, 2);
			html_metric(f, m, "spinup_ns", "p99", 1e6, 2);
			html_metric(f, m, "teardown_ns", "p50", 1e6, 2);
			html_metric(f, m, "cgroup_bytes", "p50", 1048576.0, 3);
			html_metric(f, m, "pss_bytes", "p50", 1048576.0, 3);
			html_value(f, json_object_get(be, "host"),
				   "mem_available_delta_bytes_per_instance", 1048576.0, 3);
			html_metric(f, m, "rps", "p50", 1, 0);
			html_value(f, json_object_get(be, "load"), "total_rps", 1, 0);
			fputs("</tr>\n", f);
		}
		fputs("</table>\n", f);
		json_t *d = json_object_get(s, "density");
		if (d) {
			const char *by = json_string_value(json_object_get(d, "stopped_by"));
			const char *detail = json_string_value(json_object_get(d, "detail"));
			fprintf(f, "<p>density: %lld containers, stopped by ",
				json_integer_value(json_object_get(d, "max_count")));
			html_escape(f, by ? by : "?");
			fputs(detail ? " &mdash; " : "", f);
			html_escape(f, detail ? detail : "");
			fputs("</p>\n", f);
		}
	}
	fputs("<h2>Figures</h2>\n", f);
	for (size_t i = 0; i < nres; i++) {
		fputs("<h3>", f);
		html_escape(f, res[i].fig->title);
		fputs("</h3>\n", f);
		if (!res[i].written) {
			fputs("<p class=\"note\">not drawn: ", f);
			html_escape(f, res[i].note);
			fputs("</p>\n", f);
		} else if (!strcmp(fmt, "pdf")) {
			fprintf(f, "<p><a href=\"%s.pdf\">%s.pdf</a></p>\n", res[i].fig->name,
				res[i].fig->name);
		} else {
			fprintf(f, "<p><img src=\"%s.%s\" alt=\"", res[i].fig->name, fmt);
			html_escape(f, res[i].fig->title);
			fputs("\"></p>\n", f);
		}
	}
	fputs("</body></html>\n", f);
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* gnuplot draws fr->fig from job's variables into out/NAME.fmt; 0, or the exit code. */
static int draw_figure(struct figure_result *fr, const struct crowd_plot_job *job,
		       const char *out, const char *fmt, const char *scripts, const char *datadir,
		       const char *footnote, bool quiet)
{
	const struct crowd_plot_figure *fig = fr->fig;
	char outfile[PATH_MAX + 64], script[PATH_MAX + 64];
	snprintf(outfile, sizeof(outfile), "%s/%s.%s", out, fig->name, fmt);
	snprintf(script, sizeof(script), "%s/%s", scripts, fig->script);
	unlink(outfile); /* never leave a stale figure from an earlier call */
	struct crowd_plot_job all = {0};
	crowd_plot_job_setstr(&all, "fmt", fmt);
	crowd_plot_job_setstr(&all, "out", outfile);
	crowd_plot_job_setstr(&all, "datadir", datadir);
	crowd_plot_job_setstr(&all, "scriptdir", scripts);
	crowd_plot_job_setstr(&all, "footnote", footnote);
	crowd_plot_job_setstr(&all, "figtitle", fig->title);
	if (strlen(all.vars) + strlen(job->vars) + 1 > sizeof(all.vars)) {
		crowd_warn("plot", "%s: too many series for one figure", fig->name);
		return CROWD_EXIT_FAIL;
	}
	strcat(all.vars, job->vars);
	char msg[8192];
	int st = run_gnuplot(all.vars, script, msg, sizeof(msg));
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
	if (!quiet)
		printf("wrote %s\n", outfile);
	return 0;
}

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

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

int crowd_cmd_plot(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"out", required_argument, NULL, 'o'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"history", no_argument, NULL, 'H'},
	    {"metric", required_argument, NULL, 'm'},
	    {"backend", required_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *fmt = "png", *out_opt = NULL;
	bool quiet = false;
	struct {
		bool on;
		const struct crowd_metric *metric;
		const char *metric_arg, *backend;
	} hist_opt = {0};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:o:qHm:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			fmt = optarg;
			break;
		case 'o':
			out_opt = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'H':
			hist_opt.on = true;
			break;
		case 'm':
			hist_opt.metric_arg = optarg;
			break;
		case 'b':
			hist_opt.backend = optarg;
			break;
		case 'h':
			usage(stdout);
			return CROWD_EXIT_OK;
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
		fmt_ok |= !strcmp(fmt, formats[i]);
	if (!fmt_ok)
		crowd_usage_error("plot", "--format '%s' is not known (allowed: png, svg, pdf)",
				  fmt);
	if (!hist_opt.on && (hist_opt.metric_arg || hist_opt.backend))
		crowd_usage_error("plot", "--metric and --backend go with --history");
	if (hist_opt.metric_arg && !(hist_opt.metric = crowd_metric_find(hist_opt.metric_arg))) {
		char names[512] = "";
		for (unsigned i = 0; i < crowd_metrics_len; i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", crowd_metrics[i].name);
		crowd_usage_error("plot", "--metric '%s' is not known (allowed: %s)",
				  hist_opt.metric_arg, names);
	}
	if (optind >= argc)
		crowd_usage_error("plot", "no results folder given (usage: crowd plot DIR... "
					  "[--format png|svg|pdf] [--out DIR])");

	__attribute__((cleanup(plot_runs_free))) struct plot_runs runs = {0};
	runs.v = calloc((size_t)(argc - optind), sizeof(*runs.v));
	if (!runs.v)
		return CROWD_EXIT_FAIL;
	for (int i = optind; i < argc; i++) {
		struct crowd_error err = {0};
		int r = crowd_plot_run_read(argv[i], &runs.v[runs.n], &err);
		if (r == -ENOMEM || r == -EIO)
			return crowd_report("plot", &err);
		if (r < 0) {
			crowd_warn("plot", "%s", err.msg);
			return CROWD_EXIT_USAGE;
		}
		runs.n++;
	}

	/* the history before anything is created: a metric no folder has is bad input */
	__attribute__((cleanup(crowd_history_free))) struct crowd_history h = {0};
	if (hist_opt.on) {
		struct crowd_error err = {0};
		int r = crowd_history_compute(argv + optind, (size_t)(argc - optind),
					      hist_opt.metric, hist_opt.backend, &h, &err);
		if (r == -ENODATA) {
			crowd_warn("plot", "--history: %s", err.msg);
			return CROWD_EXIT_USAGE;
		}
		if (r < 0)
			return crowd_report("plot", &err);
	}

	char scripts[PATH_MAX];
	if (find_scripts(scripts, sizeof(scripts)) < 0) {
		crowd_warn("plot",
			   "gnuplot scripts not found (looked in $CROWD_DATADIR, "
			   "../scripts and ../share/crowd next to crowd, %s)",
			   CROWD_DATADIR);
		return CROWD_EXIT_FAIL;
	}
	if (!find_gnuplot()) {
		crowd_warn("plot",
			   "gnuplot not found on PATH (Debian: apt-get install gnuplot-nox)");
		return CROWD_EXIT_FAIL;
	}
	char out[PATH_MAX];
	if (out_opt) {
		struct stat st;
		int r = mkdir_one(out_opt);
		if (r == 0 && (stat(out_opt, &st) < 0 || !S_ISDIR(st.st_mode)))
			r = -ENOTDIR;
		if (r < 0 || !realpath(out_opt, out)) {
			crowd_warn("plot",
				   "--out '%s': cannot create the folder: %s (its parent "
				   "must exist)",
				   out_opt, strerror(r < 0 ? -r : errno));
			return CROWD_EXIT_USAGE;
		}
	} else {
		snprintf(out, sizeof(out), "%s", runs.v[0]->dir);
	}

	char datadir[PATH_MAX + 16];
	snprintf(datadir, sizeof(datadir), "%s/plot-data", out);
	int r = mkdir_one(datadir);
	if (r < 0) {
		crowd_warn("plot", "%s: %s", datadir, strerror(-r));
		return CROWD_EXIT_FAIL;
	}
	clear_data(datadir);

	char footnote[1024];
	make_footnote(&runs, footnote, sizeof(footnote));
	struct figure_result res[16];
	size_t nres = 0, written = 0;
	if (hist_opt.on) {
		struct crowd_error err = {0};
		static char name[64], title[160];
		static struct crowd_plot_figure hist_fig = {name, "history.gp", title, NULL};
		snprintf(name, sizeof(name), "history-%s", h.metric->name);
		struct crowd_plot_job job = {0};
		r = crowd_plot_history_prepare(&h, datadir, &job, title, sizeof(title), &err);
		if (r < 0)
			return crowd_report("plot", &err);
		struct figure_result *fr = &res[nres++];
		*fr = (struct figure_result){.fig = &hist_fig};
		r = draw_figure(fr, &job, out, fmt, scripts, datadir, footnote, quiet);
		if (r)
			return r;
		written++;
	}
	for (const struct crowd_plot_figure *fig = crowd_plot_figures; !hist_opt.on && fig->name;
	     fig++) {
		struct figure_result *fr = &res[nres++];
		*fr = (struct figure_result){.fig = fig};
		struct crowd_plot_job job = {0};
		struct crowd_error err = {0};
		char outfile[PATH_MAX + 64];
		snprintf(outfile, sizeof(outfile), "%s/%s.%s", out, fig->name, fmt);
		unlink(outfile); /* never leave a stale figure from an earlier call */
		if (fig->prepare(runs.v, runs.n, datadir, &job, &err) < 0)
			return crowd_report("plot", &err);
		if (job.skip) {
			snprintf(fr->note, sizeof(fr->note), "%s", job.skip_reason);
			if (!quiet)
				printf("skipped %s: %s\n", fig->name, job.skip_reason);
			continue;
		}
		r = draw_figure(fr, &job, out, fmt, scripts, datadir, footnote, quiet);
		if (r)
			return r;
		written++;
	}
	r = write_index(out, fmt, &runs, res, nres, footnote);
	if (r < 0) {
		crowd_warn("plot", "%s/index.html: %s", out, strerror(-r));
		return CROWD_EXIT_FAIL;
	}
	if (!quiet)
		printf("crowd plot: %zu figures and index.html in %s\n", written, out);
	return CROWD_EXIT_OK;
}
