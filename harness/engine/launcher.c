/* The run engine: see launcher.h. Starts run on the calling thread, one at a time; a small
 * observer thread sits on the one epoll set of ready fds and only stamps the time an fd
 * became readable, so a start in progress never delays the t_ready of another instance. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/spawn.h"
#include "ports.h"
#include "results/stats.h"
#include "results/units.h"
#include "core/util.h"

#define QUIT_TOKEN UINT64_MAX

struct crowd_launch_slot {
	int64_t t_event_ns; /* when the observer saw the fd readable (absolute) */
	int evented;	    /* set by the observer, cleared by the launcher (atomics) */
	bool in_flight;	    /* on the in-flight list: starting or waiting for ready */
	bool starting;	    /* a starter is inside backend start() for it */
	bool armed;	    /* registered in the epoll set */
	unsigned be;	    /* index of its entry in l->be */
};

static void wake(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof(one));
	(void)r;
}

/* The observer: stamps readiness and wakes the launcher. No allocation, no locks. */
static void *observer_main(void *arg)
{
	struct crowd_launch *l = arg;
	struct epoll_event ev[64];
	for (;;) {
		int n = epoll_wait(l->ep_fd, ev, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		int64_t now = crowd_now_ns();
		bool any = false;
		for (int i = 0; i < n; i++) {
			if (ev[i].data.u64 == QUIT_TOKEN)
				return NULL;
			struct crowd_launch_slot *s = &l->slots[ev[i].data.u64];
			__atomic_store_n(&s->t_event_ns, now, __ATOMIC_RELAXED);
			__atomic_store_n(&s->evented, 1, __ATOMIC_RELEASE);
			any = true;
		}
		if (any)
			wake(l->wake_fd);
	}
}

const char *crowd_launch_phase_name(int phase)
{
	switch (phase) {
	case CROWD_PHASE_RAMP:
		return "ramp";
	case CROWD_PHASE_LOAD:
		return "load";
	case CROWD_PHASE_TEARDOWN:
		return "teardown";
	}
	return "";
}

void crowd_launch_interrupt_signal(struct crowd_launch *l, int sig)
{
	if (!l->stop) {
		l->stop_phase = l->phase;
		l->stop_step = l->step;
		l->stop_signal = sig;
	}
	l->stop = 1;
	wake(l->wake_fd);
}

void crowd_launch_interrupt(struct crowd_launch *l)
{
	crowd_launch_interrupt_signal(l, 0);
}

const char *crowd_launch_interrupt_phase(const struct crowd_launch *l, char *buf, size_t len)
{
	if (!l->stop)
		snprintf(buf, len, "%s", "");
	else if (l->stop_step)
		snprintf(buf, len, "%s (step %d)", crowd_launch_phase_name(l->stop_phase),
			 (int)l->stop_step);
	else
		snprintf(buf, len, "%s", crowd_launch_phase_name(l->stop_phase));
	return buf;
}

int crowd_launch_exit_code(const struct crowd_launch *l)
{
	return 128 + (l->stop_signal ? (int)l->stop_signal : SIGINT);
}

struct crowd_launch_backend *crowd_launch_backend_of(struct crowd_launch *l,
						     const struct crowd_inst *inst)
{
	if (l->insts && inst >= l->insts && inst < l->insts + l->cap)
		return &l->be[l->slots[inst - l->insts].be];
	for (unsigned i = 0; i < l->n_be; i++)
		if (l->be[i].backend == inst->backend)
			return &l->be[i];
	return NULL;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A launch with nothing open yet: its clock started and its run named. */
static struct crowd_launch *launch_new(const struct crowd_config *cfg)
{
	struct crowd_launch *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = cfg;
	l->ep_fd = l->wake_fd = l->quit_fd = -1;
	l->timeout_ns = CROWD_LAUNCH_TIMEOUT_NS;
	l->t0_ns = crowd_now_ns();
	snprintf(l->run_name, sizeof(l->run_name), "run-%d-%lld", (int)getpid(),
		 (long long)(l->t0_ns / 1000000));
	return l;
}

/* One entry of l->be: backend b with its own copy of the options, probed with them. */
static void probe_entry(struct crowd_launch *l, const struct crowd_backend *b,
			const struct crowd_config *cfg, const char *label)
{
	struct crowd_launch_backend *lb = &l->be[l->n_be++];
	struct crowd_error perr = {0};
	lb->backend = b;
	lb->cfg = *cfg;
	snprintf(lb->label, sizeof(lb->label), "%s", label);
	lb->available = b->probe(&lb->cfg, &perr) == 0;
	snprintf(lb->reason, sizeof(lb->reason), "%s", lb->available ? "" : perr.msg);
}

/* A sweep: the first backend once per step, each step its own entry. */
static void probe_sweep(struct crowd_launch *l, const struct crowd_backend *b)
{
	unsigned n;
	const struct crowd_sweep_step *steps = crowd_sweep_table(l->cfg->sweep, &n);
	for (unsigned i = 0; i < n && l->n_be < CROWD_MAX_BACKENDS; i++) {
		struct crowd_launch_backend *lb = &l->be[l->n_be];
		struct crowd_config step;
		char label[sizeof(lb->label)];
		crowd_config_sweep_step(l->cfg, i, &step, lb->exe, sizeof(lb->exe));
		snprintf(label, sizeof(label), "%s-%s", b->name, steps[i].name);
		probe_entry(l, b, &step, label);
	}
}

/* Probe every backend of the run; a backend named twice runs once. An unavailable one keeps
 * the reason its probe gave. */
static void probe_backends(struct crowd_launch *l)
{
	const struct crowd_config *cfg = l->cfg;
	for (unsigned i = 0; i < cfg->n_backends && l->n_be < CROWD_MAX_BACKENDS; i++) {
		const struct crowd_backend *b = crowd_backend_find(cfg->backends[i]);
		bool dup = false;
		for (unsigned k = 0; k < l->n_be; k++)
			dup |= l->be[k].backend == b;
		if (!b || dup)
			continue;
		if (cfg->sweep) {
			probe_sweep(l, b);
			return;
		}
		probe_entry(l, b, cfg, b->name);
	}
}

/* Open one available backend on the run; when it fails it becomes unavailable with the
 * reason (and why the run has no cgroup, which is often the cause). */
static void open_backend(struct crowd_launch *l, unsigned i)
{
	struct crowd_launch_backend *lb = &l->be[i];
	lb->run.cfg = &lb->cfg;
	lb->run.backend = lb->backend;
	lb->run.t0_ns = l->t0_ns;
	lb->run.cg = l->cg;
	snprintf(lb->run.run_name, sizeof(lb->run.run_name), "%s", l->run_name);
	struct crowd_error oerr = {0};
	if (lb->backend->open && lb->backend->open(&lb->run, &oerr) < 0) {
		lb->available = false;
		snprintf(lb->reason, sizeof(lb->reason), "%.120s%s%.120s", oerr.msg,
			 l->cg ? "" : ": ", l->cg ? "" : l->cg_error);
		return;
	}
	lb->opened = true;
	l->avail[l->n_avail++] = i;
}

/* Open the available backends; -ENODEV when none can run (err lists every reason). */
static int open_backends(struct crowd_launch *l, struct crowd_error *err)
{
	char reasons[1024] = "";
	size_t roff = 0;
	for (unsigned i = 0; i < l->n_be; i++)
		if (l->be[i].available)
			open_backend(l, i);
	for (unsigned i = 0; i < l->n_be; i++)
		if (!l->be[i].available && roff < sizeof(reasons)) {
			/* "core: core: ..." said nothing twice: the label once */
			size_t ll = strlen(l->be[i].label);
			bool named = !strncmp(l->be[i].reason, l->be[i].label, ll) &&
				     l->be[i].reason[ll] == ':';
			roff += (size_t)snprintf(reasons + roff, sizeof(reasons) - roff, "%s%s%s%s",
						 roff ? "; " : "", named ? "" : l->be[i].label,
						 named ? "" : ": ", l->be[i].reason);
		}
	if (l->n_avail == 0)
		return crowd_error_set(err, ENODEV, "no backend can run here: %s", reasons);
	return 0;
}

/* Room for cap_per_backend rows per available backend; mmap so untouched capacity costs
 * nothing. */
static int rows_alloc(struct crowd_launch *l, unsigned cap_per_backend, struct crowd_error *err)
{
	l->cap = (size_t)cap_per_backend * l->n_avail;
	if (l->cap == 0)
		l->cap = 1;
	l->insts = mmap(NULL, l->cap * sizeof(*l->insts), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	l->slots = mmap(NULL, l->cap * sizeof(*l->slots), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	l->extra = mmap(NULL, l->cap * sizeof(*l->extra), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (l->extra == MAP_FAILED)
		l->extra = NULL;
	if (l->insts == MAP_FAILED || l->slots == MAP_FAILED || !l->extra) {
		if (l->insts == MAP_FAILED)
			l->insts = NULL;
		if (l->slots == MAP_FAILED)
			l->slots = NULL;
		return crowd_error_set(err, ENOMEM, "launcher: no room for %zu instances", l->cap);
	}
	return 0;
}

/* The in-flight list, the epoll set with its wake and quit eventfds, and the observer thread
 * on it. */
static int observer_start(struct crowd_launch *l, struct crowd_error *err)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->fl = calloc(l->cfg->concurrency ? l->cfg->concurrency : 1, sizeof(*l->fl));
	if (!l->fl)
		return crowd_error_set(err, ENOMEM, "launcher: out of memory");
	l->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->ep_fd < 0 || l->wake_fd < 0 || l->quit_fd < 0)
		return crowd_error_errno(err, errno, "launcher: epoll/eventfd");
	struct epoll_event qev = {.events = EPOLLIN, .data.u64 = QUIT_TOKEN};
	if (epoll_ctl(l->ep_fd, EPOLL_CTL_ADD, l->quit_fd, &qev) < 0)
		return crowd_error_errno(err, errno, "launcher: epoll_ctl");
	/* The observer must not take SIGINT/SIGTERM: the command's handler runs on this thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(&l->observer, NULL, observer_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return crowd_error_errno(err, r, "launcher: observer thread");
	l->observer_running = true;
	return 0;
}

int crowd_launch_open(const struct crowd_config *cfg, unsigned cap_per_backend,
		      struct crowd_launch **ret, struct crowd_error *err)
{
	struct crowd_launch *l = launch_new(cfg);
	if (!l)
		return crowd_error_set(err, ENOMEM, "launcher: out of memory");
	raise_nofile();
	int r;
	probe_backends(l);
	if (cfg->n_backends == 0) {
		r = crowd_error_set(err, EINVAL, "launcher: no backend given");
		goto fail;
	}

	/* The run's parent cgroup, for the backends that want one. */
	struct crowd_error cgerr = {0};
	char why[256];
	if (geteuid() != 0 && crowd_cg_user_root(NULL, 0, why, sizeof(why)) < 0) {
		/* No delegated subtree: a --rootless core run goes on without cgroups, and every
		 * cgroup figure is absent (never zero); the command says so once. */
		l->cg = NULL;
		l->cg_undelegated = true;
		snprintf(l->cg_error, sizeof(l->cg_error), "no delegated cgroup: %.200s", why);
	} else if (crowd_cg_run_open(NULL, l->run_name, &l->cg, &cgerr) < 0) {
		l->cg = NULL;
		snprintf(l->cg_error, sizeof(l->cg_error), "%s", cgerr.msg);
	}

	if ((r = open_backends(l, err)) < 0 || (r = rows_alloc(l, cap_per_backend, err)) < 0 ||
	    (r = observer_start(l, err)) < 0)
		goto fail;
	struct crowd_error merr = {0};
	l->have_mem_before = crowd_mem_host(&l->mem_before, &merr) == 0;
	*ret = l;
	return 0;
fail:
	crowd_launch_free(l);
	return r;
}

static int64_t rel(const struct crowd_launch *l, int64_t abs_ns)
{
	return abs_ns - l->t0_ns;
}

static int64_t read_sysctl(const char *path)
{
	int64_t v;
	return crowd_read_int64(path, &v, NULL) < 0 ? -1 : v;
}

bool crowd_launch_limit(const struct crowd_launch *l, int code, const char *msg, char *buf,
			 size_t len)
{
	int64_t max, cur;
	char where[512];
	struct rlimit rl;
	switch (code) {
	case EAGAIN:
		if (crowd_cg_pids_limit(NULL, l->run_name, &max, &cur, where, sizeof(where)) && cur >= max - 1) {
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
		/* clone3's ENOSPC is a namespace limit even when it says "clone3 into cgroup". */
		if (!strstr(msg, "clone") && !strstr(msg, "unshare") &&
		    (strstr(msg, "cgroup") || strstr(msg, "mkdir"))) {
			snprintf(buf, len, "ENOSPC making a cgroup: memory cgroup ids (at most 65535) "
					   "or cgroup.max.descendants (%s)", msg);
			return true;
		}
		/* The lowest limit of the kinds asked is the one hit first. */
		const char *low = NULL;
		long long lowv = -1;
		unsigned kinds = 0;
		for (unsigned i = 0; i < crowd_ns_table_len; i++) {
			if (!(l->cfg->ns & crowd_ns_table[i].flag))
				continue;
			char p[96];
			snprintf(p, sizeof(p), "/proc/sys/user/max_%s_namespaces",
				 crowd_ns_table[i].name);
			long long v = (long long)read_sysctl(p);
			kinds++;
			if (v >= 0 && (!low || v < lowv)) {
				low = crowd_ns_table[i].name;
				lowv = v;
			}
		}
		if (low)
			snprintf(buf, len,
				 "ENOSPC: namespace limit user.max_%s_namespaces=%lld (the lowest of "
				 "the %u kinds asked; %s)",
				 low, lowv, kinds, msg);
		else
			snprintf(buf, len, "ENOSPC: a user.max_*_namespaces limit (%s)", msg);
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

/* The end columns of row k. */
static void end_set(struct crowd_launch *l, size_t k, const char *reason, const char *phase)
{
	struct crowd_sample_extra *x = &l->extra[k];
	snprintf(x->end_reason, sizeof(x->end_reason), "%s", reason);
	snprintf(x->end_phase, sizeof(x->end_phase), "%s", phase);
}

/* The end columns of row k from what the backend saw (inst->end), and in msg (when not NULL)
 * how it ended, e.g. "workload exited with status 42 during load". */
static void end_record(struct crowd_launch *l, size_t k, const char *phase, char *msg, size_t len)
{
	const struct crowd_inst *inst = &l->insts[k];
	const struct crowd_inst_end *e = &inst->end;
	struct crowd_sample_extra *x = &l->extra[k];
	char when[32], lim[32] = "unlimited";
	snprintf(when, sizeof(when), "%s%s", strcmp(phase, "before-ready") ? "during " : "",
		 strcmp(phase, "before-ready") ? phase : "before ready");
	if (e->vanished) {
		end_set(l, k, "vanished", phase);
		if (WIFSIGNALED(e->status))
			x->end_signal = WTERMSIG(e->status);
		if (msg)
			snprintf(msg, len,
				 "vanished %s: its cgroup was removed by someone else (a "
				 "concurrent crowd clean?)",
				 when);
	} else if (WIFEXITED(e->status)) {
		end_set(l, k, "exit", phase);
		x->exit_code = WEXITSTATUS(e->status);
		if (msg)
			snprintf(msg, len, "workload exited with status %d %s%s",
				 WEXITSTATUS(e->status), when,
				 WEXITSTATUS(e->status) == 127 ? " (exec failed?)" : "");
	} else if (WTERMSIG(e->status) == SIGKILL && e->oom_kills > 0) {
		const struct crowd_launch_backend *lb = &l->be[l->slots[k].be];
		end_set(l, k, "oom", phase);
		x->end_signal = SIGKILL;
		if (lb->cfg.limits.memory_max_bytes >= 0)
			crowd_units_format_size((double)lb->cfg.limits.memory_max_bytes, lim,
						sizeof(lim));
		if (msg)
			snprintf(msg, len,
				 "killed by the OOM killer (memory-max %s, %lld OOM kill%s) %s",
				 lim, (long long)e->oom_kills, e->oom_kills == 1 ? "" : "s", when);
	} else {
		end_set(l, k, "signal", phase);
		x->end_signal = WTERMSIG(e->status);
		if (msg)
			snprintf(msg, len, "workload killed by signal %d (%s) %s",
				 WTERMSIG(e->status), strsignal(WTERMSIG(e->status)), when);
	}
}

/* Row of inst failed: e says why; reason is its end_reason ("failed-start", "timeout"), or
 * NULL when the backend may have seen it end before ready (inst->end). */
static void inst_failed(struct crowd_launch *l, struct crowd_inst *inst,
			const struct crowd_error *e, const char *reason)
{
	struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
	size_t k = (size_t)(inst - l->insts);
	inst->sample.status = CROWD_STATUS_FAILED;
	snprintf(inst->sample.error, sizeof(inst->sample.error), "%s",
		 e && e->msg[0] ? e->msg : "failed");
	if (!reason && inst->end.ended)
		end_record(l, k, "before-ready", inst->sample.error, sizeof(inst->sample.error));
	else
		end_set(l, k, reason ? reason : "failed-start", "before-ready");
	/* A limit's errno: the row names the limit and its value, as density's stop does. */
	if (e && (e->code == ENOSPC || e->code == EMFILE || e->code == ENFILE))
		crowd_launch_limit(l, e->code, e->msg, inst->sample.error,
				    sizeof(inst->sample.error));
	l->n_failed++;
	if (lb)
		lb->failed++;
	if (!l->first_failure.code && e) {
		l->first_failure = *e;
		if (!l->first_failure.code)
			l->first_failure.code = EIO;
	}
}

static void disarm(struct crowd_launch *l, size_t k)
{
	struct crowd_launch_slot *s = &l->slots[k];
	if (s->armed) {
		epoll_ctl(l->ep_fd, EPOLL_CTL_DEL, l->insts[k].ready_fd, NULL);
		s->armed = false;
	}
}

/* Take k off the in-flight list (lock held). */
static void fl_remove(struct crowd_launch *l, size_t k)
{
	for (size_t i = 0; i < l->n_fl; i++)
		if (l->fl[i] == k) {
			l->fl[i] = l->fl[--l->n_fl];
			break;
		}
	l->slots[k].in_flight = false;
	pthread_cond_broadcast(&l->cv);
}

static void finish_ready(struct crowd_launch *l, size_t k, int64_t t_abs)
{
	struct crowd_inst *inst = &l->insts[k];
	inst->ready = true;
	inst->sample.t_ready_ns = rel(l, t_abs);
	inst->sample.spinup_ns = inst->sample.t_ready_ns - inst->sample.t_request_ns;
	fl_remove(l, k);
	l->n_ready++;
}

/* A workload that listens on the host's network and ended before ready: if its port is now
 * bound by someone else, that is the likely cause (another program took it between the
 * allocator's probe and the workload's bind). Say so in the error; there is no retry. */
static void blame_port(const struct crowd_inst *inst, struct crowd_error *e)
{
	size_t len = strlen(e->msg);
	if (!inst->port || len + 1 >= sizeof(e->msg) || !crowd_ports_held(inst->port))
		return; /* not from the allocator: the workload has a network namespace */
	if (crowd_ports_unbound(inst->port))
		return;
	snprintf(e->msg + len, sizeof(e->msg) - len, " (port %u is taken by another program)",
		 inst->port);
}

/* Ask the backend about an instance whose fd the observer saw readable (lock held). */
static void handle_event(struct crowd_launch *l, size_t k)
{
	struct crowd_inst *inst = &l->insts[k];
	struct crowd_launch_slot *s = &l->slots[k];
	struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
	int64_t t = __atomic_load_n(&s->t_event_ns, __ATOMIC_RELAXED);
	struct crowd_error e = {0};
	int r = lb->backend->ready(&lb->run, inst, &e);
	if (r > 0) {
		disarm(l, k);
		finish_ready(l, k, t);
	} else if (r == 0) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = k};
		epoll_ctl(l->ep_fd, EPOLL_CTL_MOD, inst->ready_fd, &ev);
	} else {
		disarm(l, k);
		fl_remove(l, k);
		blame_port(inst, &e);
		inst_failed(l, inst, &e, NULL);
	}
}

/* Harvest what the observer stamped and time out the slow ones (lock held). Returns the time
 * until the nearest deadline in ms (-1: none). Only the in-flight list is walked, so a step
 * costs O(window), not O(instances). */
static int harvest(struct crowd_launch *l)
{
	int64_t now = crowd_now_ns(), nearest = INT64_MAX;
	for (size_t i = 0; i < l->n_fl;) {
		size_t k = l->fl[i];
		struct crowd_launch_slot *s = &l->slots[k];
		if (s->starting) {
			i++;
			continue;
		}
		if (__atomic_exchange_n(&s->evented, 0, __ATOMIC_ACQUIRE))
			handle_event(l, k);
		if (!s->in_flight)
			continue; /* removed: l->fl[i] is another one now */
		int64_t deadline = l->t0_ns + l->insts[k].sample.t_request_ns + l->timeout_ns;
		if (now >= deadline) {
			struct crowd_error e;
			crowd_error_set(&e, ETIMEDOUT, "not ready after %lld ms",
					(long long)(l->timeout_ns / 1000000));
			disarm(l, k);
			fl_remove(l, k);
			inst_failed(l, &l->insts[k], &e, "timeout");
			continue;
		}
		if (deadline < nearest)
			nearest = deadline;
		i++;
	}
	if (nearest == INT64_MAX)
		return -1;
	return (int)((nearest - now) / 1000000 + 1);
}

static void wait_wake(struct crowd_launch *l, int timeout_ms)
{
	struct pollfd p = {.fd = l->wake_fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) > 0) {
		uint64_t v;
		ssize_t n = read(l->wake_fd, &v, sizeof(v));
		(void)n;
	}
}

/* Start instance k, reserved by the caller (in flight, starting). Runs without the lock, so
 * several starters can be inside backend start() at once; returns with the lock held. */
static void start_one(struct crowd_launch *l, size_t k)
{
	struct crowd_inst *inst = &l->insts[k];
	struct crowd_launch_slot *s = &l->slots[k];
	struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
	struct crowd_error e = {0};

	inst->sample.t_request_ns = rel(l, crowd_now_ns());
	int r = lb->backend->start(&lb->run, inst, &e);
	bool armed = false;
	if (r == 0 && inst->ready_fd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = k};
		if (epoll_ctl(l->ep_fd, EPOLL_CTL_ADD, inst->ready_fd, &ev) < 0)
			r = crowd_error_errno(&e, errno, "epoll_ctl on the ready fd");
		else
			armed = true;
	}
	int rr = 1;
	if (r == 0 && inst->ready_fd < 0) /* nothing to wait on: the backend decides at once */
		rr = lb->backend->ready(&lb->run, inst, &e);

	pthread_mutex_lock(&l->lock);
	inst->started = true; /* stop() is called even on a half-started one */
	s->armed = armed;
	s->starting = false;
	if (r < 0) {
		fl_remove(l, k);
		inst_failed(l, inst, &e, "failed-start");
	} else {
		l->n_started++;
		if (rr <= 0) {
			fl_remove(l, k);
			blame_port(inst, &e);
			inst_failed(l, inst, &e, NULL);
		} else if (inst->ready_fd < 0) {
			finish_ready(l, k, crowd_now_ns());
		}
	}
	wake(l->wake_fd);
}

static void new_row(struct crowd_launch *l, size_t k)
{
	unsigned be = l->avail[k % l->n_avail];
	struct crowd_launch_backend *lb = &l->be[be];
	struct crowd_inst *inst = &l->insts[k];
	memset(inst, 0, sizeof(*inst));
	memset(&l->slots[k], 0, sizeof(l->slots[k]));
	l->slots[k].be = be;
	crowd_sample_extra_init(&l->extra[k]);
	crowd_sample_init(&inst->sample);
	inst->backend = lb->backend;
	inst->ready_fd = inst->pidfd = inst->netns_fd = -1;
	snprintf(inst->sample.backend, sizeof(inst->sample.backend), "%s", lb->label);
	snprintf(inst->sample.workload, sizeof(inst->sample.workload), "%s", l->cfg->workload.name);
	inst->sample.index = (int)lb->count++;
}

static void mark_interrupted(struct crowd_launch *l, size_t k)
{
	struct crowd_inst *inst = &l->insts[k];
	struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
	inst->sample.status = CROWD_STATUS_INTERRUPTED;
	snprintf(inst->sample.error, sizeof(inst->sample.error), "interrupted before ready");
	end_set(l, k, "interrupted", "before-ready");
	disarm(l, k);
	fl_remove(l, k);
	l->n_interrupted++;
	lb->interrupted++;
}

/* A starter: take the next row while the window has room, start it, repeat. Starters live
 * until teardown: a child may hold PR_SET_PDEATHSIG, which fires when the thread that made it
 * exits, so the threads that start instances must outlive them. */
static void *starter_main(void *arg)
{
	struct crowd_launch *l = arg;
	/* Joined only after teardown: clone directly, no hand-off to the spawner thread. */
	crowd_spawn_thread_durable(true);
	unsigned window = l->cfg->concurrency ? l->cfg->concurrency : 1;
	pthread_mutex_lock(&l->lock);
	while (!l->quit_starters) {
		if (l->stop || l->cancel || l->n_insts >= l->grow_target || l->n_fl >= window) {
			pthread_cond_wait(&l->cv, &l->lock);
			continue;
		}
		size_t k = l->n_insts++;
		new_row(l, k);
		l->slots[k].in_flight = l->slots[k].starting = true;
		l->fl[l->n_fl++] = k;
		l->busy++;
		pthread_mutex_unlock(&l->lock);
		start_one(l, k); /* returns locked */
		l->busy--;
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Make the starters once: as many as the window, at most one per CPU (each mostly waits in
 * backend start()). They block every signal: the command's handler runs on its own thread. */
static int starters_spawn(struct crowd_launch *l, struct crowd_error *err)
{
	if (l->n_starters)
		return 0;
	unsigned window = l->cfg->concurrency ? l->cfg->concurrency : 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = window < (cpus > 0 ? (unsigned)cpus : 1) ? window : (unsigned)cpus;
	if (n < 1)
		n = 1;
	if (n > CROWD_ARRAY_SIZE(l->starters))
		n = CROWD_ARRAY_SIZE(l->starters);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&l->starters[l->n_starters], NULL, starter_main, l) != 0)
			break;
		l->n_starters++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!l->n_starters)
		return crowd_error_set(err, EAGAIN, "launcher: no starter thread");
	return 0;
}

/* Ready instances that ended on their own since the last look (the backend's ended()): their
 * end columns, and an end other than exit status 0 fails the row. The starters are parked. */
static void check_ends(struct crowd_launch *l)
{
	const char *phase = crowd_launch_phase_name(l->phase);
	for (size_t k = 0; k < l->n_insts; k++) {
		struct crowd_inst *inst = &l->insts[k];
		struct crowd_launch_backend *lb = &l->be[l->slots[k].be];
		if (!inst->started || inst->stopped || !inst->ready || l->extra[k].end_reason[0] ||
		    !lb->backend->ended || lb->backend->ended(&lb->run, inst) != 1)
			continue;
		struct crowd_error e = {.code = ECHILD};
		end_record(l, k, phase, e.msg, sizeof(e.msg));
		bool clean = !inst->end.vanished && WIFEXITED(inst->end.status) &&
			     WEXITSTATUS(inst->end.status) == 0;
		if (clean || inst->sample.status != CROWD_STATUS_OK)
			continue;
		inst->sample.status = CROWD_STATUS_FAILED;
		snprintf(inst->sample.error, sizeof(inst->sample.error), "%s", e.msg);
		l->n_failed++;
		lb->failed++;
		if (!l->first_failure.code)
			l->first_failure = e;
	}
}

static void starters_join(struct crowd_launch *l)
{
	pthread_mutex_lock(&l->lock);
	l->quit_starters = true;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->lock);
	for (unsigned i = 0; i < l->n_starters; i++)
		pthread_join(l->starters[i], NULL);
	l->n_starters = 0;
}

int crowd_launch_grow(struct crowd_launch *l, unsigned per_backend, bool fill_interrupted,
		      struct crowd_error *err)
{
	size_t target = (size_t)per_backend * l->n_avail;
	if (target > l->cap)
		target = l->cap;
	int r = starters_spawn(l, err);
	if (r < 0)
		return r;

	pthread_mutex_lock(&l->lock);
	l->phase = CROWD_PHASE_RAMP;
	l->grow_target = target;
	l->cancel = false;
	pthread_cond_broadcast(&l->cv);
	int64_t last_progress = 0;
	for (;;) {
		int timeout_ms = harvest(l);
		if (l->stop_on_failure && l->first_failure.code && !l->cancel) {
			l->cancel = true;
			pthread_cond_broadcast(&l->cv);
		}
		if (l->busy == 0 &&
		    (l->stop || l->cancel || (l->n_insts >= target && l->n_fl == 0)))
			break;
		pthread_mutex_unlock(&l->lock);
		int64_t now = crowd_now_ns();
		if (l->progress && now - last_progress >= 20000000) {
			last_progress = now;
			l->progress(l, l->progress_ctx);
		}
		wait_wake(l, timeout_ms);
		pthread_mutex_lock(&l->lock);
	}
	if (l->stop || l->cancel) {
		harvest(l); /* keep what became ready meanwhile */
		while (l->n_fl)
			mark_interrupted(l, l->fl[0]);
		if (l->stop && fill_interrupted)
			while (l->n_insts < target) {
				size_t k = l->n_insts++;
				new_row(l, k);
				l->insts[k].sample.status = CROWD_STATUS_INTERRUPTED;
				snprintf(l->insts[k].sample.error, sizeof(l->insts[k].sample.error),
					 "interrupted before start");
				end_set(l, k, "interrupted", "before-ready");
				l->n_interrupted++;
				crowd_launch_backend_of(l, &l->insts[k])->interrupted++;
			}
	}
	l->grow_target = l->n_insts; /* park the starters */
	check_ends(l);
	pthread_mutex_unlock(&l->lock);
	if (l->progress)
		l->progress(l, l->progress_ctx);
	if (l->stop) {
		l->interrupted = true;
		return crowd_error_set(err, EINTR, "interrupted");
	}
	if (l->cancel) {
		*err = l->first_failure;
		return -ECANCELED;
	}
	return 0;
}

int crowd_launch_measure(struct crowd_launch *l, size_t from, struct crowd_error *err)
{
	(void)err;
	struct crowd_error merr = {0};
	l->have_mem_after = crowd_mem_host(&l->mem_after, &merr) == 0;
	for (size_t k = from; k < l->n_insts; k++) {
		struct crowd_inst *inst = &l->insts[k];
		if (!inst->ready || inst->sample.status != CROWD_STATUS_OK)
			continue;
		struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
		struct crowd_error e = {0};
		if (lb->backend->stats && lb->backend->stats(&lb->run, inst, &e) < 0 &&
		    !inst->sample.error[0])
			snprintf(inst->sample.error, sizeof(inst->sample.error), "stats: %.230s",
				 e.msg);
	}
	return 0;
}

int crowd_launch_load(struct crowd_launch *l, size_t from, size_t subset, uint64_t seed,
		      struct crowd_launch_load ret[CROWD_MAX_BACKENDS], struct crowd_error *err)
{
	memset(ret, 0, sizeof(*ret) * CROWD_MAX_BACKENDS);
	size_t *idx = calloc(l->n_insts + 1, sizeof(*idx)), n = 0;
	if (!idx)
		return crowd_error_set(err, ENOMEM, "load: out of memory");
	for (size_t k = from; k < l->n_insts; k++) {
		const struct crowd_inst *inst = &l->insts[k];
		if (inst->ready && inst->port && inst->sample.status == CROWD_STATUS_OK)
			idx[n++] = k;
	}
	if (subset && n > subset) {
		/* A reproducible random subset (partial Fisher-Yates), kept in launch order. */
		struct crowd_rng rng;
		crowd_rng_seed(&rng, seed);
		for (size_t i = 0; i < subset; i++) {
			size_t j = i + (size_t)crowd_rng_below(&rng, n - i), t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		n = subset;
	}
	int r = n ? crowd_launch_load_list(l, idx, n, 0, l->cfg->duration_ns, ret, err) : 0;
	free(idx);
	return r;
}

/* An interrupt cut the load of rows idx[0..n) short: their rps is of a partial load. */
static void load_cut(struct crowd_launch *l, const size_t *idx, size_t n)
{
	l->load_partial = true;
	for (size_t i = 0; i < n; i++) {
		struct crowd_inst *inst = &l->insts[idx[i]];
		if (inst->sample.status != CROWD_STATUS_OK)
			continue;
		inst->sample.status = CROWD_STATUS_INTERRUPTED;
		snprintf(inst->sample.error, sizeof(inst->sample.error),
			 "interrupted during load (rps of a partial load)");
		l->n_interrupted++;
		l->be[l->slots[idx[i]].be].interrupted++;
	}
}

int crowd_launch_load_list(struct crowd_launch *l, const size_t *idx, size_t n, size_t chunk,
			   int64_t duration_ns, struct crowd_launch_load ret[CROWD_MAX_BACKENDS],
			   struct crowd_error *err)
{
	memset(ret, 0, sizeof(*ret) * CROWD_MAX_BACKENDS);
	if (n == 0)
		return 0;
	struct crowd_load_target *t = calloc(n, sizeof(*t));
	struct crowd_load_result *res = calloc(n, sizeof(*res));
	double *rps = calloc(n, sizeof(*rps));
	int *own = calloc(n, sizeof(*own));
	if (!t || !res || !rps || !own) {
		free(t);
		free(res);
		free(rps);
		free(own);
		return crowd_error_set(err, ENOMEM, "load: out of memory");
	}
	struct stat self_ns;
	if (stat("/proc/self/ns/net", &self_ns) < 0)
		self_ns.st_ino = 0;
	struct crowd_load_opts o = {
	    .connections = l->cfg->connections ? l->cfg->connections : 1,
	    .duration_ns = duration_ns,
	};
	int64_t cpu_ns = 0, dur_ns = 0;
	int r = 0;
	l->phase = CROWD_PHASE_LOAD;
	/* All at once, unless the descriptors would not fit: a target costs a socket per
	 * connection and, when the backend left it to us, a network namespace fd opened only for
	 * its chunk. The load generator connects everything before its clock starts, so each
	 * chunk gets its full measured duration whatever the number of targets. */
	if (chunk == 0)
		chunk = crowd_load_max_targets(o.connections, 1);
	for (size_t c0 = 0; c0 < n && r == 0 && !l->stop; c0 += chunk) {
		size_t cn = n - c0 < chunk ? n - c0 : chunk;
		for (size_t i = c0; i < c0 + cn; i++) {
			const struct crowd_inst *inst = &l->insts[idx[i]];
			own[i] = -1;
			t[i].netns_fd = inst->netns_fd;
			if (inst->netns_fd < 0 && inst->pid > 0) {
				char path[64];
				struct stat st;
				snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)inst->pid);
				int fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd >= 0 && fstat(fd, &st) == 0 && st.st_ino != self_ns.st_ino)
					t[i].netns_fd = own[i] = fd;
				else if (fd >= 0)
					close(fd);
			}
			snprintf(t[i].addr, sizeof(t[i].addr), "%s",
				 inst->addr[0] ? inst->addr : "127.0.0.1");
			t[i].port = inst->port;
			t[i].path = "/";
		}
		struct crowd_load_totals tot;
		r = crowd_load_run(t + c0, cn, &o, res + c0, &tot, &l->stop, err);
		for (size_t i = c0; i < c0 + cn; i++)
			crowd_closep(&own[i]);
		cpu_ns += tot.client_cpu_ns;
		dur_ns += tot.duration_ns;
	}
	if (r == 0) {
		for (size_t i = 0; i < n; i++) {
			struct crowd_inst *inst = &l->insts[idx[i]];
			struct crowd_sample_extra *x = &l->extra[idx[i]];
			inst->sample.rps = res[i].rps;
			if (res[i].first_response_ns > 0)
				inst->sample.t_first_response_ns = rel(l, res[i].first_response_ns);
			x->latency_p50_ns = res[i].requests ? res[i].p50_ns : -1;
			x->latency_p99_ns = res[i].requests ? res[i].p99_ns : -1;
			x->errors = (int64_t)res[i].errors;
		}
		for (unsigned b = 0; b < l->n_be; b++) {
			size_t m = 0;
			struct crowd_launch_load *lr = &ret[b];
			for (size_t i = 0; i < n; i++) {
				if (l->slots[idx[i]].be != b)
					continue;
				rps[m++] = res[i].rps;
				lr->total_rps += res[i].rps;
				lr->requests += res[i].requests;
				lr->errors += res[i].errors;
			}
			if (!m)
				continue;
			lr->ran = true;
			lr->targets = m;
			lr->fairness = crowd_stats_jain(rps, m);
			lr->client_cpu_ns = cpu_ns;
			lr->duration_ns = dur_ns;
		}
	}
	if (l->stop)
		load_cut(l, idx, n);
	check_ends(l);
	free(t);
	free(res);
	free(rps);
	free(own);
	return r;
}

static void stop_observer(struct crowd_launch *l)
{
	if (!l->observer_running)
		return;
	wake(l->quit_fd);
	pthread_join(l->observer, NULL);
	l->observer_running = false;
}

/* Stop one instance, timed on its own from kill to cgroup removed. Returns stop()'s result;
 * its message goes into the row and *e. */
static int teardown_one(struct crowd_launch *l, size_t k, struct crowd_error *e)
{
	struct crowd_inst *inst = &l->insts[k];
	disarm(l, k);
	struct crowd_launch_backend *lb = crowd_launch_backend_of(l, inst);
	int64_t t = crowd_now_ns();
	int r = lb->backend->stop(&lb->run, inst, e);
	inst->sample.teardown_ns = crowd_now_ns() - t;
	inst->stopped = true;
	if (inst->end.vanished && strcmp(l->extra[k].end_reason, "vanished")) {
		char phase[16];
		snprintf(phase, sizeof(phase), "%s", l->extra[k].end_phase);
		end_record(l, k, phase[0] ? phase : "teardown", NULL, 0);
		if (inst->sample.status == CROWD_STATUS_FAILED)
			end_record(l, k, phase[0] ? phase : "teardown", inst->sample.error,
				   sizeof(inst->sample.error));
	}
	if (!l->extra[k].end_reason[0])
		end_set(l, k, "running-at-teardown", "teardown");
	if (r < 0) {
		size_t n = strlen(inst->sample.error);
		snprintf(inst->sample.error + n, sizeof(inst->sample.error) - n, "%sstop: %s",
			 n ? "; " : "", e->msg);
	}
	return r;
}

/* Parallel teardown: workers take the next row from a shared cursor. Every backend's stop()
 * touches only its instance's state (and locks what it shares, e.g. core's registry), so
 * instances are stopped concurrently; the starters stay alive meanwhile, since children may
 * hold a PR_SET_PDEATHSIG tied to the starter that made them. */
struct teardown {
	struct crowd_launch *l;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t next;
	unsigned running;
	int ret;
	struct crowd_error *err;
};

static void *teardown_main(void *arg)
{
	struct teardown *td = arg;
	struct crowd_launch *l = td->l;
	pthread_mutex_lock(&td->mu);
	while (td->next < l->n_insts) {
		size_t k = td->next++;
		struct crowd_inst *inst = &l->insts[k];
		if (!inst->started || inst->stopped)
			continue;
		pthread_mutex_unlock(&td->mu);
		struct crowd_error e = {0};
		int r = teardown_one(l, k, &e);
		pthread_mutex_lock(&td->mu);
		__atomic_add_fetch(&l->n_stopped, 1, __ATOMIC_RELAXED);
		if (r < 0 && !td->ret)
			td->ret = crowd_error_set(td->err, e.code ? e.code : EIO, "%s#%d stop: %s",
						  inst->sample.backend, inst->sample.index, e.msg);
	}
	td->running--;
	pthread_cond_broadcast(&td->cv);
	pthread_mutex_unlock(&td->mu);
	return NULL;
}

/* A stop mostly waits (for a process to die, for the kernel to free a pid namespace and
 * offline a cgroup), so more workers than CPUs: TEARDOWN_WORKERS, or -j when larger, at most
 * TEARDOWN_MAX_WORKERS and never more than the instances. 1000 idle core containers, 2 CPUs:
 * 3 workers 1.2-1.5 s, 8 ~1.0 s, 16 ~0.5 s (docs/bench.md). */
#define TEARDOWN_WORKERS     16
#define TEARDOWN_MAX_WORKERS 64
static unsigned teardown_nworkers(const struct crowd_launch *l)
{
	unsigned n = TEARDOWN_WORKERS;
	if (l->cfg->concurrency > n)
		n = l->cfg->concurrency;
	if (n > TEARDOWN_MAX_WORKERS)
		n = TEARDOWN_MAX_WORKERS;
	if (n > l->n_insts)
		n = l->n_insts ? (unsigned)l->n_insts : 1;
	return n;
}

int crowd_launch_teardown(struct crowd_launch *l, struct crowd_error *err)
{
	struct teardown td = {
	    .l = l,
	    .mu = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER,
	    .err = err,
	};
	int64_t t0 = crowd_now_ns();
	if (l->n_insts) {
		pthread_mutex_lock(&l->lock);
		check_ends(l); /* what ended since the last phase, before the kill ends them all */
		pthread_mutex_unlock(&l->lock);
	}
	l->phase = CROWD_PHASE_TEARDOWN;
	/* Every process of the run at once (one cgroup.kill): the stops below then mostly reap
	 * and remove cgroups, and nothing keeps running (or serving) while they queue. */
	if (l->cg && l->n_started) {
		struct crowd_error kerr = {0};
		crowd_cg_run_kill(l->cg, &kerr);
	}
	unsigned want = teardown_nworkers(l);
	pthread_t tids[TEARDOWN_MAX_WORKERS];
	unsigned n = 0;
	/* Workers block every signal, like the starters: the command's handler has its own. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&td.mu);
	for (; n < want && n < CROWD_ARRAY_SIZE(tids); n++) {
		if (pthread_create(&tids[n], NULL, teardown_main, &td) != 0)
			break;
		td.running++;
	}
	pthread_mutex_unlock(&td.mu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (n == 0) {
		td.running = 1; /* no thread: this one does it all */
		teardown_main(&td);
	} else {
		unsigned shown = 0;
		pthread_mutex_lock(&td.mu);
		while (td.running) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&td.cv, &td.mu, &ts);
			unsigned now_stopped = __atomic_load_n(&l->n_stopped, __ATOMIC_RELAXED);
			if (l->progress && now_stopped != shown) {
				shown = now_stopped;
				pthread_mutex_unlock(&td.mu);
				l->progress(l, l->progress_ctx);
				pthread_mutex_lock(&td.mu);
			}
		}
		pthread_mutex_unlock(&td.mu);
		for (unsigned i = 0; i < n; i++)
			pthread_join(tids[i], NULL);
	}
	l->teardown_workers = n ? n : 1;
	l->teardown_wall_ns = crowd_now_ns() - t0;
	if (l->stop)
		l->interrupted = true;
	if (l->progress && l->n_stopped)
		l->progress(l, l->progress_ctx);
	int ret = td.ret;
	starters_join(l);
	stop_observer(l);
	for (unsigned i = 0; i < l->n_be; i++) {
		struct crowd_launch_backend *lb = &l->be[i];
		if (lb->opened && lb->backend->close)
			lb->backend->close(&lb->run);
		lb->opened = false;
	}
	if (l->cg) {
		struct crowd_error e = {0};
		if (crowd_cg_run_close(l->cg, &e) < 0 && !ret)
			ret =
			    crowd_error_set(err, e.code ? e.code : EBUSY, "run cgroup: %s", e.msg);
		l->cg = NULL;
	}
	char what[PATH_MAX];
	if (crowd_cg_run_left(NULL, l->run_name, what, sizeof(what)))
		return crowd_error_set(err, EBUSY, "left behind: cgroup %s", what);
	return ret;
}

void crowd_launch_free(struct crowd_launch *l)
{
	if (!l)
		return;
	bool live = false;
	for (size_t k = 0; k < l->n_insts; k++)
		live |= l->insts[k].started && !l->insts[k].stopped;
	if (live || l->cg) {
		struct crowd_error e;
		crowd_launch_teardown(l, &e);
	}
	if (l->n_starters)
		starters_join(l);
	stop_observer(l);
	for (unsigned i = 0; i < l->n_be; i++)
		if (l->be[i].opened && l->be[i].backend->close)
			l->be[i].backend->close(&l->be[i].run);
	if (l->insts)
		munmap(l->insts, l->cap * sizeof(*l->insts));
	if (l->slots)
		munmap(l->slots, l->cap * sizeof(*l->slots));
	if (l->extra)
		munmap(l->extra, l->cap * sizeof(*l->extra));
	free(l->fl);
	crowd_closep(&l->ep_fd);
	crowd_closep(&l->wake_fd);
	crowd_closep(&l->quit_fd);
	free(l);
}
