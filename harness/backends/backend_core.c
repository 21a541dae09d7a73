/* Backend core: crowd's own runtime core, in process. One leaf cgroup per container under the
 * run's parent cgroup, crowd_ctr_start with the workload from the rootfs, readiness through
 * the CROWD_READY_FD pipe, phases t_cgroup/t_clone/t_setup as the core stamped them. With
 * --pod-size K > 1, containers i*K..i*K+K-1 share the net, ipc and uts namespaces of one pod
 * (each member then listens on its own port). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "core/container.h"
#include "engine/ports.h"
#include "engine/memory.h"
#include "engine/placement.h"
#include "core/util.h"

#define POD_NS (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

struct core_run {
	/* Starters run start() side by side (-j): the pod table is theirs to share. */
	pthread_mutex_t lock;
	struct crowd_pod **pods;
	size_t n_pods, cap_pods;
};

struct core_inst {
	struct crowd_ctr ctr;
	bool have_ctr;
	unsigned claimed; /* a port from the launcher's allocator, released in stop() */
	char argbuf[1024];
	char *argv[34];
};

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	if (geteuid() != 0 && !(cfg && cfg->rootless))
		return crowd_error_set(err, EPERM, "needs root (or --rootless)");
	if (cfg && cfg->rootfs) {
		char path[4096];
		snprintf(path, sizeof(path), "%s%s", cfg->rootfs, cfg->workload.argv[0]);
		if (access(path, X_OK) < 0)
			return crowd_error_errno(err, errno, "workload binary %s", path);
	}
	return 0;
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	if (!run->cg)
		return crowd_error_set(err, ENODEV, "core: the run's cgroups could not be made");
	struct core_run *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return crowd_error_set(err, ENOMEM, "core: out of memory");
	pthread_mutex_init(&cr->lock, NULL);
	run->priv = cr;
	return 0;
}

static void close_run(struct crowd_backend_run *run)
{
	struct core_run *cr = run->priv;
	if (!cr)
		return;
	for (size_t i = 0; i < cr->n_pods; i++)
		if (cr->pods[i]) {
			struct crowd_error e;
			crowd_pod_destroy(cr->pods[i], &e);
		}
	free(cr->pods);
	pthread_mutex_destroy(&cr->lock);
	free(cr);
	run->priv = NULL;
}

static int64_t rel(const struct crowd_backend_run *run, int64_t t)
{
	return t > 0 ? t - run->t0_ns : -1;
}

static void spec_fill(const struct crowd_config *cfg, int index, struct crowd_ctr_spec *spec)
{
	crowd_ctr_spec_init(spec);
	spec->ns = cfg->ns;
	spec->rootfs = cfg->rootfs;
	spec->limits = cfg->limits;
	crowd_place_limits(cfg, index, &spec->limits);
	spec->caps = cfg->caps;
	spec->security = cfg->security;
	spec->seccomp = cfg->seccomp;
	spec->rootless = cfg->rootless;
	/* Workloads that cannot signal (cmd:) are ready once exec succeeded, which
	 * crowd_ctr_start has seen by the time it returns. */
	spec->ready_pipe = cfg->workload.desc->ready == CROWD_READY_FD;
	spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;
}

/* The pod of member index, made when its first member starts (under cr->lock: two members
 * starting at once must not both make it). */
static int pod_get_locked(struct crowd_backend_run *run, int index, struct crowd_pod **ret,
			  struct crowd_error *err)
{
	struct core_run *cr = run->priv;
	size_t p = (size_t)index / run->cfg->pod_size;
	if (p >= cr->cap_pods) {
		size_t cap = cr->cap_pods ? cr->cap_pods * 2 : 64;
		while (cap <= p)
			cap *= 2;
		struct crowd_pod **np = realloc(cr->pods, cap * sizeof(*np));
		if (!np)
			return crowd_error_set(err, ENOMEM, "core: out of memory");
		memset(np + cr->cap_pods, 0, (cap - cr->cap_pods) * sizeof(*np));
		cr->pods = np;
		cr->cap_pods = cap;
	}
	if (!cr->pods[p]) {
		struct crowd_ctr_spec spec;
		spec_fill(run->cfg, index, &spec);
		int r = crowd_pod_create(run->cg, &spec, &cr->pods[p], err);
		if (r < 0)
			return crowd_error_prefix(err, "pod %zu", p);
		if (p + 1 > cr->n_pods)
			cr->n_pods = p + 1;
	}
	*ret = cr->pods[p];
	return 0;
}

static int pod_get(struct crowd_backend_run *run, int index, struct crowd_pod **ret,
		   struct crowd_error *err)
{
	struct core_run *cr = run->priv;
	pthread_mutex_lock(&cr->lock);
	int r = pod_get_locked(run, index, ret, err);
	pthread_mutex_unlock(&cr->lock);
	return r;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	int index = inst->sample.index;
	struct core_inst *ci = calloc(1, sizeof(*ci));
	if (!ci)
		return crowd_error_set(err, ENOMEM, "core: out of memory");
	inst->priv = ci;

	struct crowd_ctr_spec spec;
	spec_fill(cfg, index, &spec);
	struct crowd_pod *pod = NULL;
	if (cfg->pod_size > 1) {
		int r = pod_get(run, index, &pod, err);
		if (r < 0)
			return r;
		spec.pod = pod;
		spec.ns &= ~(unsigned long)POD_NS;
	}

	/* One port per listener in a network namespace: all of them when it is the host's. */
	unsigned port = 0, wport = cfg->workload.desc->port;
	if (wport) {
		if (pod)
			port = wport + (unsigned)index % cfg->pod_size;
		else if (!(cfg->ns & CLONE_NEWNET))
			port = ci->claimed = crowd_ports_claim();
		else
			port = wport;
		if (!port)
			return crowd_error_set(err, EADDRINUSE, "core: no free TCP port");
	}
	int r =
	    crowd_workload_argv(&cfg->workload, NULL, port != wport ? port : 0, ci->argv,
				CROWD_ARRAY_SIZE(ci->argv), ci->argbuf, sizeof(ci->argbuf), err);
	if (r < 0)
		return r;
	spec.argv = ci->argv;

	r = crowd_ctr_start(run->cg, &spec, &ci->ctr, err);
	if (r < 0)
		return r;
	ci->have_ctr = true;
	inst->pid = ci->ctr.pid;
	inst->pidfd = ci->ctr.pidfd;
	inst->ready_fd = ci->ctr.ready_fd;
	inst->port = port;
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	snprintf(inst->sample.id, sizeof(inst->sample.id), "%s", ci->ctr.id);
	inst->sample.t_cgroup_ns = rel(run, ci->ctr.t_cgroup_ns);
	inst->sample.t_clone_ns = rel(run, ci->ctr.t_clone_ns);
	inst->sample.t_setup_ns = rel(run, ci->ctr.t_setup_ns);

	/* A pod's network namespace is the pod's; a container's own is opened by the launcher
	 * from /proc/PID/ns/net only while it loads it (fds per process are limited). */
	if (pod && port)
		inst->netns_fd = crowd_pod_netns_fd(pod);
	return 0;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct core_inst *ci = inst->priv;
	if (inst->ready_fd < 0) {
		crowd_closep(&ci->ctr.pidfd);
		inst->pidfd = -1;
		return 1; /* exec succeeded: all a cmd: workload can tell */
	}
	char c;
	ssize_t n = read(inst->ready_fd, &c, 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (inst->sample.t_setup_ns < 0)
		inst->sample.t_setup_ns = rel(run, ci->ctr.t_setup_ns);
	if (n == 1) {
		/* Done with the pipe, and the pidfd: destroy kills through the cgroup and reaps by
		 * pid, so one fd per container is left (the cgroup's) and density can go high. */
		crowd_closep(&ci->ctr.ready_fd);
		inst->ready_fd = -1;
		crowd_closep(&ci->ctr.pidfd);
		inst->pidfd = -1;
		return 1;
	}
	if (n == 0) {
		/* EOF: the workload exited (its fds close before it is a zombie) or closed the fd.
		 * Give an exit up to 100 ms to become visible, so the row says how it ended. */
		int st = 0;
		if (crowd_ctr_peek_exit(&ci->ctr, 100, &st) == 1) {
			if (WIFSIGNALED(st))
				return crowd_error_set(err, ECHILD,
						       "core: workload killed by signal %d (%s) "
						       "before ready",
						       WTERMSIG(st), strsignal(WTERMSIG(st)));
			return crowd_error_set(
			    err, ECHILD, "core: workload exited with status %d before ready%s",
			    WEXITSTATUS(st), WEXITSTATUS(st) == 127 ? " (exec failed?)" : "");
		}
		return crowd_error_set(err, EPIPE,
				       "core: workload closed CROWD_READY_FD before ready");
	}
	return crowd_error_errno(err, errno, "core: read ready fd");
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct core_inst *ci = inst->priv;
	struct crowd_cg_stats st;
	int r = crowd_cg_stats(ci->ctr.cg, &st, err);
	if (r < 0)
		return r;
	inst->sample.cgroup_bytes = st.memory_current_bytes;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	r = crowd_cg_pids(ci->ctr.cg, &pids, &n, err);
	if (r < 0)
		return r;
	return crowd_mem_pids(pids, n, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct core_inst *ci = inst->priv;
	int r = 0;
	if (!ci)
		return 0;
	inst->netns_fd = -1; /* the pod's, if any: the pod closes it */
	if (ci->have_ctr)
		r = crowd_ctr_destroy(&ci->ctr, err);
	crowd_ports_release(ci->claimed); /* after the listener is gone */
	inst->ready_fd = inst->pidfd = -1;
	inst->pid = 0;
	free(ci);
	inst->priv = NULL;
	return r;
}

const struct crowd_backend crowd_backend_core = {
	.name = "core",
	.help = "crowd's own runtime core: clone3, namespaces, cgroups, pivot_root, caps",
	.probe = probe,
	.open = open_run,
	.start = start,
	.ready = ready,
	.stats = stats,
	.stop = stop,
	.close = close_run,
};
