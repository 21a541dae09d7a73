/* The density ramp: see density.h. */
#include "density.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/cgroup.h"
#include "results/stats.h"
#include "core/util.h"

void crowd_density_opts_init(struct crowd_density_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_count = 100000;
	o->memory_budget_bytes = -1;
	o->memory_budget_pct = -1;
	o->slo_spinup_p99_ns = -1;
	o->slo_throughput_drop_pct = -1;
	o->load_sample = 20;
	o->final_check = true;
}

void crowd_density_result_free(struct crowd_density_result *r)
{
	free(r->steps);
	r->steps = NULL;
	r->n_steps = r->cap_steps = 0;
}

/* The tightest pids limit on the run's cgroup and its parent <top>: headroom = max - current.
 * false when no limit applies. */
static bool pids_limit(const struct crowd_launch *l, int64_t *ret_max, int64_t *ret_current,
		       char *where, size_t len)
{
	return crowd_cg_pids_limit(NULL, l->run_name, ret_max, ret_current, where, len);
}

static int64_t read_sysctl(const char *path)
{
	int64_t v;
	return crowd_read_int64(path, &v, NULL) < 0 ? -1 : v;
}

bool crowd_density_limit(const struct crowd_launch *l, int code, const char *msg, char *buf,
			 size_t len)
{
	int64_t max, cur;
	char where[512];
	struct rlimit rl;
	switch (code) {
	case EAGAIN:
		if (pids_limit(l, &max, &cur, where, sizeof(where)) && cur >= max - 1) {
			snprintf(buf, len, "pids.max=%lld at %s (pids.current %lld)", (long long)max,
				 where, (long long)cur);
		} else {
			getrlimit(RLIMIT_NPROC, &rl);
			snprintf(buf, len, "EAGAIN: kernel.pid_max=%lld, kernel.threads-max=%lld, "
					   "RLIMIT_NPROC=%lld (%s)",
				 (long long)read_sysctl("/proc/sys/kernel/pid_max"),
				 (long long)read_sysctl("/proc/sys/kernel/threads-max"),
				 (long long)rl.rlim_cur, msg);
		}
		return true;
	case ENOSPC: {
		/* Namespaces count against user.max_*_namespaces; memory cgroups against the
		 * 65535 ids of the memory controller. */
		if (strstr(msg, "cgroup") || strstr(msg, "mkdir")) {
			snprintf(buf, len, "ENOSPC making a cgroup: memory cgroup ids (at most 65535) "
					   "or cgroup.max.descendants (%s)", msg);
			return true;
		}
		size_t off = (size_t)snprintf(buf, len, "ENOSPC: namespace limits");
		for (unsigned i = 0; i < crowd_ns_table_len && off < len; i++) {
			if (!(l->cfg->ns & crowd_ns_table[i].flag))
				continue;
			char p[96];
			snprintf(p, sizeof(p), "/proc/sys/user/max_%s_namespaces",
				 !strcmp(crowd_ns_table[i].name, "mnt") ? "mnt" : crowd_ns_table[i].name);
			off += (size_t)snprintf(buf + off, len - off, " user.max_%s_namespaces=%lld",
						crowd_ns_table[i].name, (long long)read_sysctl(p));
		}
		if (off < len)
			snprintf(buf + off, len - off, " (%s)", msg);
		return true;
	}
	case EMFILE:
		getrlimit(RLIMIT_NOFILE, &rl);
		snprintf(buf, len, "RLIMIT_NOFILE=%lld open files per process (%s)",
			 (long long)rl.rlim_cur, msg);
		return true;
	case ENFILE:
		snprintf(buf, len, "fs.file-max=%lld open files system-wide (%s)",
			 (long long)read_sysctl("/proc/sys/fs/file-max"), msg);
		return true;
	case ENOMEM: {
		struct crowd_meminfo mi;
		if (crowd_mem_host(&mi, NULL) == 0)
			snprintf(buf, len, "ENOMEM: MemAvailable %lld bytes, vm.max_map_count=%lld (%s)",
				 (long long)mi.available_bytes,
				 (long long)read_sysctl("/proc/sys/vm/max_map_count"), msg);
		else
			snprintf(buf, len, "ENOMEM (%s)", msg);
		return true;
	}
	default:
		return false;
	}
}

static int push_step(struct crowd_density_result *r, const struct crowd_density_step *s)
{
	if (r->n_steps == r->cap_steps) {
		size_t cap = r->cap_steps ? r->cap_steps * 2 : 32;
		struct crowd_density_step *n = realloc(r->steps, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->steps = n;
		r->cap_steps = cap;
	}
	r->steps[r->n_steps++] = *s;
	return 0;
}

static unsigned ready_total(const struct crowd_launch *l)
{
	unsigned n = 0;
	for (size_t k = 0; k < l->n_insts; k++)
		n += l->insts[k].ready && l->insts[k].sample.status == CROWD_STATUS_OK;
	return n;
}

/* Measure the instances [from, n_insts) of the step just made into s. */
static void measure_step(struct crowd_launch *l, size_t from, const struct crowd_meminfo *prev,
			 unsigned prev_ready, struct crowd_density_step *s)
{
	size_t n = l->n_insts - from, m = 0;
	double *v = calloc(n + 1, sizeof(*v));
	double cg = 0, pss = 0;
	size_t ncg = 0, npss = 0;
	crowd_launch_measure(l, from, NULL);
	for (size_t k = from; k < l->n_insts; k++) {
		const struct crowd_sample *x = &l->insts[k].sample;
		if (x->status != CROWD_STATUS_OK || x->spinup_ns < 0)
			continue;
		if (v)
			v[m++] = (double)x->spinup_ns;
		if (x->cgroup_bytes >= 0) {
			cg += (double)x->cgroup_bytes;
			ncg++;
		}
		if (x->pss_bytes >= 0) {
			pss += (double)x->pss_bytes;
			npss++;
		}
	}
	s->spinup_p50_ns = m ? (int64_t)crowd_stats_percentile(v, m, 50) : -1;
	s->spinup_p99_ns = m ? (int64_t)crowd_stats_percentile(v, m, 99) : -1;
	free(v);
	s->cgroup_per_instance_bytes = ncg ? cg / (double)ncg : -1;
	s->pss_per_instance_bytes = npss ? pss / (double)npss : -1;
	unsigned now_ready = ready_total(l);
	s->count = now_ready;
	if (l->have_mem_after && now_ready > prev_ready) {
		double added = now_ready - prev_ready;
		s->mem_available_per_instance_bytes =
			(double)(prev->available_bytes - l->mem_after.available_bytes) / added;
		s->slab_per_instance_bytes = (double)(l->mem_after.slab_bytes - prev->slab_bytes) / added;
	} else {
		s->mem_available_per_instance_bytes = s->slab_per_instance_bytes = -1;
	}
	s->rps_per_instance = -1;
}

static void stop(struct crowd_density_result *r, enum crowd_density_stop why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void stop(struct crowd_density_result *r, enum crowd_density_stop why, const char *fmt, ...)
{
	va_list ap;
	r->stopped_by = why;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* Load a random subset; the mean rps of the loaded ones, -1 when nothing ran. */
static double sample_load(struct crowd_launch *l, const struct crowd_density_opts *o, uint64_t seed,
			  size_t *ret_loaded, size_t *ret_answering)
{
	struct crowd_launch_load res[CROWD_MAX_BACKENDS];
	/* Clear old figures so only this sample's rows count. */
	for (size_t k = 0; k < l->n_insts; k++)
		l->insts[k].sample.rps = -1;
	if (crowd_launch_load(l, 0, o->load_sample, seed, res, NULL) < 0)
		return -1;
	double sum = 0;
	size_t n = 0, answering = 0;
	for (size_t k = 0; k < l->n_insts; k++) {
		if (l->insts[k].sample.rps < 0)
			continue;
		sum += l->insts[k].sample.rps;
		n++;
		answering += l->insts[k].sample.rps > 0;
	}
	if (ret_loaded)
		*ret_loaded = n;
	if (ret_answering)
		*ret_answering = answering;
	return n ? sum / (double)n : -1;
}

static void final_check(struct crowd_launch *l, struct crowd_density_result *r)
{
	size_t *idx = calloc(l->n_insts + 1, sizeof(*idx)), n = 0;
	if (!idx)
		return;
	for (size_t k = 0; k < l->n_insts; k++) {
		l->insts[k].sample.rps = -1;
		const struct crowd_inst *inst = &l->insts[k];
		if (inst->ready && inst->port && inst->sample.status == CROWD_STATUS_OK)
			idx[n++] = k;
	}
	r->checked = n;
	struct crowd_launch_load res[CROWD_MAX_BACKENDS];
	int64_t dur = l->cfg->duration_ns;
	for (int pass = 0; pass < 3 && n && !l->stop; pass++) {
		if (crowd_launch_load_list(l, idx, n, 0, dur, res, NULL) < 0)
			break;
		size_t left = 0;
		for (size_t i = 0; i < n; i++)
			if (!(l->insts[idx[i]].sample.rps > 0))
				idx[left++] = idx[i];
		n = left;
		r->retried += pass ? 0 : n;
		dur = dur < 2000000000LL ? 2000000000LL : dur;
	}
	r->answering = r->checked - n;
	free(idx);
}

int crowd_density_run(struct crowd_launch *l, const struct crowd_density_opts *o,
		      struct crowd_density_result *r, crowd_density_step_fn step_fn, void *ctx,
		      struct crowd_error *err)
{
	const struct crowd_config *cfg = l->cfg;
	bool http = cfg->load && cfg->workload.desc->http;
	memset(r, 0, sizeof(*r));
	r->budget_bytes = o->memory_budget_bytes;
	r->pids_current = -1;
	if (o->memory_budget_pct >= 0 && l->have_mem_before)
		r->budget_bytes = (int64_t)((double)l->mem_before.available_bytes * o->memory_budget_pct / 100.0);
	l->stop_on_failure = true;
	int64_t t_start = crowd_now_ns();
	double first_rps = -1;
	unsigned per = 0; /* per backend so far */
	struct crowd_meminfo prev = l->mem_before;
	unsigned prev_ready = 0;

	for (unsigned step = 1;; step++) {
		unsigned grow = o->step ? o->step : (per / 10 > 10 ? per / 10 : 10);
		unsigned next = per + grow > o->max_count ? o->max_count : per + grow;
		if (next <= per) {
			stop(r, CROWD_DENSITY_MAX_COUNT, "--max-count %u reached", o->max_count);
			break;
		}
		/* A pids limit the kernel would not enforce on a migrated process still counts. */
		int64_t pmax, pcur;
		char where[512];
		if (pids_limit(l, &pmax, &pcur, where, sizeof(where))) {
			unsigned up = ready_total(l);
			int64_t per_inst = up && pcur > 0 ? (pcur + up - 1) / up : 1;
			int64_t room = (pmax - pcur) / (per_inst ? per_inst : 1) / (int64_t)l->n_avail;
			if (room <= 0) {
				stop(r, CROWD_DENSITY_KERNEL_LIMIT, "pids.max=%lld at %s (pids.current %lld)",
				     (long long)pmax, where, (long long)pcur);
				break;
			}
			if ((int64_t)(next - per) > room)
				next = per + (unsigned)room;
		}
		size_t from = l->n_insts;
		struct crowd_error gerr = {0};
		int g = crowd_launch_grow(l, next, false, &gerr);
		per = next;
		struct crowd_density_step s = {.step = step};
		measure_step(l, from, &prev, prev_ready, &s);
		prev = l->mem_after;
		prev_ready = s.count;
		if (http && g == 0) {
			s.rps_per_instance = sample_load(l, o, step, NULL, NULL);
			if (first_rps < 0)
				first_rps = s.rps_per_instance;
		}
		if (push_step(r, &s) < 0) {
			stop(r, CROWD_DENSITY_FAILURE, "out of memory keeping step %u", step);
			return crowd_error_set(err, ENOMEM, "density: out of memory keeping step %u",
					       step);
		}
		r->max_count = s.count;
		r->ramp_ns = crowd_now_ns() - t_start;
		if (step_fn)
			step_fn(r, ctx);

		if (g == -EINTR) {
			r->interrupted = true;
			stop(r, CROWD_DENSITY_FAILURE, "interrupted");
			return crowd_error_set(err, EINTR, "interrupted");
		}
		if (g == -ECANCELED) {
			char lim[400];
			if (crowd_density_limit(l, gerr.code, gerr.msg, lim, sizeof(lim)))
				stop(r, CROWD_DENSITY_KERNEL_LIMIT, "%s", lim);
			else
				stop(r, CROWD_DENSITY_FAILURE, "a start failed: %.400s", gerr.msg);
			break;
		}
		if (g < 0) { /* the launcher itself failed (no starter thread): nothing more starts */
			stop(r, CROWD_DENSITY_FAILURE, "%.400s", gerr.msg);
			*err = gerr;
			return g;
		}
		int64_t used = l->have_mem_after ? l->mem_before.available_bytes - l->mem_after.available_bytes : 0;
		if (r->budget_bytes >= 0 && used > r->budget_bytes) {
			stop(r, CROWD_DENSITY_MEMORY_BUDGET, "MemAvailable dropped %lld bytes > budget %lld bytes",
			     (long long)used, (long long)r->budget_bytes);
			break;
		}
		if (o->slo_spinup_p99_ns >= 0 && s.spinup_p99_ns > o->slo_spinup_p99_ns) {
			stop(r, CROWD_DENSITY_SLO_SPINUP_P99, "step %u spin-up p99 %lld ns > %lld ns", step,
			     (long long)s.spinup_p99_ns, (long long)o->slo_spinup_p99_ns);
			break;
		}
		if (o->slo_throughput_drop_pct >= 0 && first_rps > 0 && s.rps_per_instance >= 0 &&
		    (first_rps - s.rps_per_instance) / first_rps * 100.0 > o->slo_throughput_drop_pct) {
			stop(r, CROWD_DENSITY_SLO_THROUGHPUT_DROP,
			     "req/s per instance %.1f is %.1f%% below the first step's %.1f (> %.1f%%)",
			     s.rps_per_instance, (first_rps - s.rps_per_instance) / first_rps * 100.0,
			     first_rps, o->slo_throughput_drop_pct);
			break;
		}
		if (next >= o->max_count) {
			stop(r, CROWD_DENSITY_MAX_COUNT, "--max-count %u reached", o->max_count);
			break;
		}
	}
	int64_t pmax, pcur;
	char where[512];
	if (pids_limit(l, &pmax, &pcur, where, sizeof(where)))
		r->pids_current = pcur;
	r->ramp_ns = crowd_now_ns() - t_start;
	/* Does every instance still answer? A short load over all of them (connections are all
	 * made before the load's clock starts); the ones that got no 2xx response (they count as
	 * errors, never as nothing) are tried again with at least 2 s, twice at most: a slow
	 * instance on a crowded host is not a dead one. */
	if (http && o->final_check && !l->stop)
		final_check(l, r);
	return 0;
}
