/* Shared by bench and density on the command side: see fleet.h. */
#include "fleet.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "results/stats.h"
#include "results/units.h"
#include "core/util.h"

static struct crowd_launch *volatile sig_launch;
static volatile sig_atomic_t sig_pending; /* came while the launcher was being opened */

static void on_signal(int sig)
{
	struct crowd_launch *l = sig_launch;
	if (l)
		crowd_launch_interrupt_signal(l, sig);
	else
		sig_pending = sig;
}

void crowd_fleet_signals(struct crowd_launch *l)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = l ? on_signal : SIG_DFL;
	sig_launch = l;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (l && sig_pending)
		crowd_launch_interrupt_signal(l, sig_pending);
}

/* While the launcher opens (its cgroups are made): a signal is kept for it, not fatal. */
static void fleet_signals_pending(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	sig_launch = NULL;
	sig_pending = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int crowd_fleet_init(struct crowd_fleet *f, const char *cmd, struct crowd_config *cfg, int argc,
		     char **argv, struct crowd_error *err)
{
	memset(f, 0, sizeof(*f));
	f->cmd = cmd;
	f->cfg = cfg;
	f->started = time(NULL);
	size_t off = (size_t)snprintf(f->argv_line, sizeof(f->argv_line), "crowd");
	for (int i = 0; i < argc && off < sizeof(f->argv_line); i++)
		off += (size_t)snprintf(f->argv_line + off, sizeof(f->argv_line) - off, " %s",
					argv[i]);
	cfg->argv_line = f->argv_line;
	f->show_progress = crowd_tty() && !cfg->quiet;
	if (cfg->out) {
		snprintf(f->dir, sizeof(f->dir), "%s", cfg->out);
		return 0;
	}
	f->default_dir = true;
	return crowd_results_default_dir(cfg, f->started, NULL, f->dir, sizeof(f->dir), err);
}

void crowd_fleet_progress(const struct crowd_launch *l, void *ctx)
{
	struct crowd_fleet *f = ctx;
	if (!f->show_progress)
		return;
	int64_t now = crowd_now_ns();
	bool done = l->n_ready + l->n_failed + l->n_interrupted >= f->target;
	if (!done && now - f->last_draw_ns < 100000000)
		return; /* at most ~10 redraws a second */
	f->last_draw_ns = now;
	double secs = (double)(now - l->t0_ns) / 1e9;
	double rate = secs > 0 ? l->n_ready / secs : 0;
	unsigned left =
	    f->target > l->n_ready + l->n_failed ? f->target - l->n_ready - l->n_failed : 0;
	char eta[32] = "--";
	if (rate > 0) {
		double e = left / rate;
		snprintf(eta, sizeof(eta), "%um%02us", (unsigned)(e / 60), (unsigned)fmod(e, 60));
	}
	unsigned width = 24,
		 fill = f->target ? (unsigned)((uint64_t)width * l->n_ready / f->target) : 0;
	char bar[32];
	for (unsigned i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	if (l->n_stopped) {
		fprintf(stderr, "\r\033[Ktearing down %u/%zu", l->n_stopped, l->n_insts);
		fflush(stderr);
		f->drawn = true;
		return;
	}
	fprintf(stderr, "\r\033[K[%s] started %zu/%u  ready %u  failed %u  %.0f/s  ETA %s", bar,
		l->n_insts, f->target, l->n_ready, l->n_failed, rate, eta);
	fflush(stderr);
	f->drawn = true;
}

void crowd_fleet_progress_done(struct crowd_fleet *f)
{
	if (f->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		f->drawn = false;
	}
}

void crowd_fleet_load(struct crowd_fleet *f, size_t from, size_t subset, uint64_t seed)
{
	struct crowd_launch *l = f->l;
	if (l->stop)
		return;
	if (f->show_progress) {
		fprintf(stderr, "\r\033[K%s: HTTP load for %.1fs...", f->cmd,
			(double)f->cfg->duration_ns / 1e9);
		fflush(stderr);
		f->drawn = true;
	}
	struct crowd_error e = {0};
	if (crowd_launch_load(l, from, subset, seed, f->load, &e) < 0)
		snprintf(f->load_error, sizeof(f->load_error), "%s", e.msg);
	crowd_fleet_progress_done(f);
}

/* How readiness was seen: the backend's own kind (a VM's console) or the workload's. */
static const char *ready_kind_of(const struct crowd_fleet *f, const struct crowd_launch_backend *lb)
{
	if (lb->run.ready_kind[0])
		return lb->run.ready_kind;
	return crowd_ready_kind_name(f->cfg->workload.desc->ready);
}

/* Per-backend facts for summary.json: host deltas when one backend ran alone (with several,
 * the host cannot tell whose memory is whose), load totals, how readiness was seen. */
static void fill_summaries(struct crowd_fleet *f)
{
	struct crowd_launch *l = f->l;
	f->n_bs = 0;
	for (unsigned i = 0; i < l->n_avail; i++) {
		unsigned b = l->avail[i];
		struct crowd_launch_backend *lb = &l->be[b];
		struct crowd_backend_summary *s = &f->bs[f->n_bs++];
		crowd_backend_summary_init(s, lb->label);
		s->cfg = f->cfg->sweep ? &lb->cfg : NULL;
		s->ready_kind = ready_kind_of(f, lb);
		s->accel = lb->run.accel[0] ? lb->run.accel : NULL;
		s->kernel = lb->run.kernel[0] ? lb->run.kernel : NULL;
		s->invocation = lb->run.invocation[0] ? lb->run.invocation : NULL;
		s->unapplied = lb->run.unapplied[0] ? lb->run.unapplied : NULL;
		unsigned ready = 0;
		for (size_t k = 0; k < l->n_insts; k++)
			ready +=
			    crowd_launch_backend_of(l, &l->insts[k]) == lb && l->insts[k].ready;
		if (l->n_avail == 1 && l->have_mem_before && l->have_mem_after && ready) {
			s->have_host_deltas = true;
			s->mem_available_delta_per_instance =
			    (double)(l->mem_before.available_bytes - l->mem_after.available_bytes) /
			    ready;
			s->slab_delta_per_instance =
			    (double)(l->mem_after.slab_bytes - l->mem_before.slab_bytes) / ready;
		}
		if (f->load[b].ran) {
			s->load_ran = true;
			s->load_partial = l->load_partial;
			s->total_rps = f->load[b].total_rps;
			s->jain = f->load[b].fairness;
			s->client_cpu_ns = (double)f->load[b].client_cpu_ns;
			s->duration_ns = (double)f->load[b].duration_ns;
			s->connections = (unsigned)f->load[b].targets *
					 (f->cfg->connections ? f->cfg->connections : 1);
		}
	}
}

/* The samples of the launch in one array (calloc'd), for the results model. */
static struct crowd_sample *fleet_samples(const struct crowd_launch *l)
{
	struct crowd_sample *s = calloc(l->n_insts + 1, sizeof(*s));
	for (size_t k = 0; s && k < l->n_insts; k++)
		s[k] = l->insts[k].sample;
	return s;
}

static struct crowd_run_output fleet_output(struct crowd_fleet *f, const struct crowd_sample *s)
{
	crowd_launch_interrupt_phase(f->l, f->interrupted_phase, sizeof(f->interrupted_phase));
	return (struct crowd_run_output){
	    .interrupted_phase = f->interrupted_phase[0] ? f->interrupted_phase : NULL,
	    .cfg = f->cfg,
	    .started = f->started,
	    .samples = s,
	    .extra = f->l->extra,
	    .n = f->l->n_insts,
	    .backends = f->bs,
	    .n_backends = f->n_bs,
	    .density = f->density,
	    .steps = f->steps,
	    .n_steps = f->n_steps,
	    .sweep = f->cfg->sweep != CROWD_SWEEP_NONE,
	    .kernel = f->kernel,
	    .slab_steps = f->slab_steps,
	};
}

int crowd_fleet_write(struct crowd_fleet *f, struct crowd_error *err)
{
	fill_summaries(f);
	_cleanup_free_ struct crowd_sample *s = fleet_samples(f->l);
	if (!s)
		return crowd_error_set(err, ENOMEM, "results: out of memory");
	struct crowd_run_output out = fleet_output(f, s);
	int r = crowd_results_write(f->dir, &out, &f->summary, err);
	if (r < 0)
		return r;
	f->have_summary = true;
	if (f->default_dir)
		crowd_results_link_latest(f->dir, NULL);
	if (!f->openmetrics)
		return 0;
	struct crowd_om_host h = {f->summary.host, &f->summary};
	return crowd_results_write_openmetrics(f->openmetrics, &h, 1, err);
}

void crowd_fleet_check_openmetrics(const char *cmd, const char *path)
{
	if (!path)
		return;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	struct stat st;
	if (!*path || (slash && stat(dir, &st) < 0) || (slash && !S_ISDIR(st.st_mode)))
		crowd_usage_error(cmd, "--openmetrics '%s': its folder does not exist (allowed: a file "
				       "in an existing folder)",
				  path);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		crowd_usage_error(cmd, "--openmetrics '%s': is a folder (allowed: a file)", path);
}

/* The summary when crowd_fleet_write could not hand it back (the folder was not written). */
static void fleet_summarize(struct crowd_fleet *f, const struct crowd_sample *s)
{
	if (f->have_summary)
		return;
	fill_summaries(f);
	struct crowd_run_output out = fleet_output(f, s);
	f->have_summary = crowd_results_summarize(&out, &f->summary, NULL) == 0;
}

/* The rows of the printed table, in order. */
static const struct {
	const char *metric, *label;
} rows[] = {
    {"spinup_ns", "spin-up"},
    {"phase_cgroup_ns", "  cgroup"},
    {"phase_clone_ns", "  clone"},
    {"phase_setup_ns", "  setup"},
    {"phase_ready_ns", "  exec->ready"},
    {"phase_first_response_ns", "ready->1st resp"},
    {"teardown_ns", "teardown"},
    {"cgroup_bytes", "mem cgroup"},
    {"pss_bytes", "mem PSS"},
    {"rss_bytes", "mem RSS"},
    {"engine_bytes", "mem engine"},
    {"rps", "req/s per inst"},
};

static void print_backend(const struct crowd_fleet *f, unsigned b, const struct crowd_sample *s,
			  size_t n, FILE *out)
{
	struct crowd_launch *l = f->l;
	struct crowd_launch_backend *lb = &l->be[b];
	const char *name = lb->label;
	unsigned ok = 0;
	for (size_t k = 0; k < n; k++)
		ok += !strcmp(s[k].backend, name) && s[k].status == CROWD_STATUS_OK;
	fprintf(out, "\n%s: %u %s, %u ok, %u failed, %u interrupted (ready: %s%s%s)\n", name,
		lb->count, f->cfg->workload.name, ok, lb->failed, lb->interrupted,
		ready_kind_of(f, lb), lb->run.accel[0] ? ", accel " : "", lb->run.accel);
	fprintf(out, "  %-16s %10s %10s %10s %10s %10s  %s\n", "", "p50", "p90", "p99", "max",
		"mean", "p50 95% CI");
	const struct crowd_summary_backend *sb =
	    f->have_summary ? crowd_summary_backend(&f->summary, name) : NULL;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(rows); i++) {
		const struct crowd_metric *m = crowd_metric_find(rows[i].metric);
		const struct crowd_stats *stp = m ? crowd_summary_stats(sb, m) : NULL;
		if (!stp)
			continue;
		struct crowd_stats st = *stp;
		char a[24], bb[24], c[24], d[24], e[24], lo[24], hi[24];
		fprintf(out, "  %-16s %10s %10s %10s %10s %10s  [%s, %s]\n", rows[i].label,
			crowd_units_format(st.p50, m->unit, a, sizeof(a)),
			crowd_units_format(st.p90, m->unit, bb, sizeof(bb)),
			crowd_units_format(st.p99, m->unit, c, sizeof(c)),
			crowd_units_format(st.max, m->unit, d, sizeof(d)),
			crowd_units_format(st.mean, m->unit, e, sizeof(e)),
			crowd_units_format(st.ci95_lo, m->unit, lo, sizeof(lo)),
			crowd_units_format(st.ci95_hi, m->unit, hi, sizeof(hi)));
	}
	if (sb) {
		const struct crowd_summary_backend *bs = sb;
		char x[24], y[24];
		if (bs->have_host)
			fprintf(
			    out, "  host per instance: MemAvailable drop %s, Slab growth %s\n",
			    crowd_units_format(bs->mem_available_delta_per_instance, "bytes", x,
					       sizeof(x)),
			    crowd_units_format(bs->slab_delta_per_instance, "bytes", y, sizeof(y)));
		if (bs->have_load)
			fprintf(out,
				"  load: %s req/s total over %zu instances, fairness %.3f, %.1fs "
				"(all backends at once), client CPU %s\n",
				crowd_units_format_count(bs->total_rps, x, sizeof(x)),
				f->load[b].targets, bs->jain, bs->duration_ns / 1e9,
				crowd_units_format_time(bs->client_cpu_ns, y, sizeof(y)));
	}
	if (f->load[b].errors)
		fprintf(out, "  load: %llu request errors\n",
			(unsigned long long)f->load[b].errors);
	if (sb && sb->have_load && sb->load_partial)
		fprintf(out, "  load: PARTIAL (cut short by the interrupt)\n");
	if (sb) {
		/* How the instances ended, when any ended otherwise than killed at teardown. */
		char ends[256] = "";
		size_t off = 0;
		for (unsigned e = 1; e < CROWD_END_REASONS && off < sizeof(ends); e++)
			if (sb->ends[e])
				off += (size_t)snprintf(ends + off, sizeof(ends) - off, "%s%u %s",
							off ? ", " : "", sb->ends[e],
							crowd_end_reasons[e]);
		if (off)
			fprintf(out, "  ended: %s; %u running at teardown\n", ends, sb->ends[0]);
	}
	/* The first few distinct errors, so a failure is understood without the CSV. */
	unsigned shown = 0;
	for (size_t k = 0; k < n && shown < 3; k++) {
		if (strcmp(s[k].backend, name) || s[k].status != CROWD_STATUS_FAILED)
			continue;
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = !strcmp(s[j].backend, name) && s[j].status == CROWD_STATUS_FAILED &&
			       !strcmp(s[j].error, s[k].error);
		if (!seen) {
			fprintf(out, "  error (#%d): %s\n", s[k].index, s[k].error);
			shown++;
		}
	}
}

/* "p50 [lo, hi]" of one sweep value in unit's own format, into buf. */
static const char *sweep_p50(const struct crowd_summary_sweep_value *v, const char *unit, char *buf,
			     size_t len)
{
	char a[24], lo[24], hi[24];
	if (!isfinite(v->p50))
		return "-";
	snprintf(buf, len, "%s [%s, %s]", crowd_units_format(v->p50, unit, a, sizeof(a)),
		 crowd_units_format(v->ci95_lo, unit, lo, sizeof(lo)),
		 crowd_units_format(v->ci95_hi, unit, hi, sizeof(hi)));
	return buf;
}

/* "+d [+lo, +hi]" of one step's difference, divided by scale (µs, KiB), into buf. */
static const char *sweep_delta(const struct crowd_summary_sweep_value *v, double scale, char *buf,
			       size_t len)
{
	if (!isfinite(v->delta))
		return "-";
	snprintf(buf, len, "%+.1f [%+.1f, %+.1f]", v->delta / scale, v->delta_lo / scale,
		 v->delta_hi / scale);
	return buf;
}

/* The sweep table: per step its spin-up p50 with CI, what the step added (µs, with the
 * bootstrap CI of the difference of medians) and the same for the cgroup charge and PSS. */
static void print_sweep(const struct crowd_summary *s, FILE *out)
{
	fprintf(out, "\n%s sweep (each step adds one primitive to its base; delta: difference of "
		     "p50s to the base step, bootstrap 95%% CI)\n",
		s->sweep_kind[0] ? s->sweep_kind : "security");
	fprintf(out, "  %-15s %-15s %-30s %-26s %-12s %-24s %-12s %s\n", "step", "vs",
		"spin-up p50 [95% CI]", "delta us [95% CI]", "cgroup p50", "delta KiB [95% CI]",
		"PSS p50", "delta KiB [95% CI]");
	for (unsigned i = 0; i < s->n_sweep; i++) {
		const struct crowd_summary_sweep *st = &s->sweep[i];
		char a[80], b[80], c[24], d[80], e[24], g[80];
		fprintf(
		    out, "  %-15s %-15s %-30s %-26s %-12s %-24s %-12s %s\n", st->name,
		    st->vs[0] ? st->vs : "-", sweep_p50(&st->m[0], "ns", a, sizeof(a)),
		    sweep_delta(&st->m[0], 1e3, b, sizeof(b)),
		    isfinite(st->m[1].p50) ? crowd_units_format(st->m[1].p50, "bytes", c, sizeof(c))
					   : "-",
		    sweep_delta(&st->m[1], 1024, d, sizeof(d)),
		    isfinite(st->m[2].p50) ? crowd_units_format(st->m[2].p50, "bytes", e, sizeof(e))
					   : "-",
		    sweep_delta(&st->m[2], 1024, g, sizeof(g)));
	}
}

void crowd_fleet_print(struct crowd_fleet *f, FILE *out)
{
	struct crowd_launch *l = f->l;
	_cleanup_free_ struct crowd_sample *s = fleet_samples(l);
	if (!s)
		return;
	fleet_summarize(f, s);
	char ns[128];
	crowd_ns_format(f->cfg->ns, ns, sizeof(ns));
	char ph[48];
	crowd_launch_interrupt_phase(l, ph, sizeof(ph));
	fprintf(out, "crowd %s: %s, -j %u, ns %s%s%s%s\n", f->cmd, f->cfg->workload.name,
		f->cfg->concurrency, ns[0] ? ns : "none", ph[0] ? "  (INTERRUPTED during " : "", ph,
		ph[0] ? ")" : "");
	for (unsigned i = 0; i < l->n_be; i++)
		if (!l->be[i].available)
			fprintf(out, "\n%s: unavailable: %s\n", l->be[i].label, l->be[i].reason);
	for (unsigned i = 0; i < l->n_avail; i++)
		print_backend(f, l->avail[i], s, l->n_insts, out);
	if (l->n_avail > 1 && l->have_mem_before && l->have_mem_after && l->n_ready) {
		char x[24], y[24];
		double avail =
		    (double)(l->mem_before.available_bytes - l->mem_after.available_bytes);
		double slab = (double)(l->mem_after.slab_bytes - l->mem_before.slab_bytes);
		fprintf(out,
			"\nhost, all backends together, per instance: MemAvailable drop %s, Slab "
			"growth %s (not attributable to one backend when they run side by side)\n",
			crowd_units_format(avail / l->n_ready, "bytes", x, sizeof(x)),
			crowd_units_format(slab / l->n_ready, "bytes", y, sizeof(y)));
	}
	if (f->load_error[0])
		fprintf(out, "\nload failed: %s\n", f->load_error);
	if (l->n_stopped && l->teardown_workers) {
		char x[24];
		fprintf(out, "\nteardown: %u instances in %s wall, %u in parallel\n", l->n_stopped,
			crowd_units_format_time(l->teardown_wall_ns, x, sizeof(x)),
			l->teardown_workers);
	}
	if (f->have_summary && f->summary.n_sweep)
		print_sweep(&f->summary, out);
	if (f->have_summary)
		crowd_summary_kernel_print(&f->summary.kernel, out);
}

int crowd_fleet_print_json(struct crowd_fleet *f, FILE *out)
{
	_cleanup_free_ struct crowd_sample *s = fleet_samples(f->l);
	if (!s)
		return -ENOMEM;
	fleet_summarize(f, s);
	if (!f->have_summary)
		return -ENOMEM;
	int r = crowd_results_summary_dump(&f->summary, out, NULL);
	fputc('\n', out);
	return r;
}

int crowd_fleet_open(struct crowd_fleet *f, const char *cmd, struct crowd_config *cfg,
		     unsigned per_backend, int64_t timeout_ns, int argc, char **argv,
		     struct crowd_error *err)
{
	int r = crowd_fleet_init(f, cmd, cfg, argc, argv, err);
	if (r == 0) {
		fleet_signals_pending();
		r = crowd_launch_open(cfg, per_backend, &f->l, err);
	}
	if (r < 0) {
		int sig = sig_pending;
		crowd_fleet_signals(NULL);
		if (sig)
			raise(sig); /* nothing was started: die of it as before */
		return r;
	}
	if (f->l->cg_undelegated)
		crowd_warn(cmd,
			   "no cgroups for this run (%s): containers run without cgroup limits "
			   "and the cgroup columns are empty",
			   f->l->cg_error);
	crowd_slab_read(&f->slab_before);
	f->l->timeout_ns = timeout_ns;
	f->l->progress = crowd_fleet_progress;
	f->l->progress_ctx = f;
	f->target = per_backend * f->l->n_avail;
	crowd_fleet_signals(f->l);
	return 0;
}

void crowd_fleet_kernel(struct crowd_fleet *f)
{
	struct crowd_slab_snap now;
	crowd_slab_attr_free(&f->kernel_own);
	if (crowd_slab_read(&now) < 0)
		return;
	crowd_slab_attribute(&f->slab_before, &now, f->l->n_ready, &f->kernel_own);
	crowd_slab_snap_free(&now);
	f->kernel = &f->kernel_own;
}

void crowd_fleet_kernel_free(struct crowd_fleet *f)
{
	crowd_slab_attr_free(&f->kernel_own);
	crowd_slab_snap_free(&f->slab_before);
	f->kernel = NULL;
}
