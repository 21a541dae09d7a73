/* Backend lxc: LXC's `lxc-start -F` (foreground: lxc-start is the container's monitor and
 * crowd's child) with a config file crowd writes per container: the run's rootfs read-only,
 * no network device (an empty private network namespace, lo only), the namespaces of --ns
 * (all but user: lxc.namespace.keep fails here, so --ns without some is recorded as
 * unapplied), the capability profile, cgroups that LXC makes itself
 * under <top>/<run>-lxc/<id> (monitor in <id>.mon, its pivot in <top>/<run>-lxc/pivot) and a
 * private lxcpath (-P) in the run's scratch, so nothing of the system's LXC is touched.
 * Readiness: a per-container FIFO, bind-mounted at /run and named by CROWD_READY_PATH.
 * Teardown: `lxc-stop -k`. Engine overhead: PSS of the lxc-start monitor. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cg_rmtree.h"
#include "core/caps.h"
#include "core/util.h"
#include "engine/memory.h"
#include "oci.h"
#include "peer.h"
#include "engine_wait.h"
#include "ready_fifo.h"

struct lxc_run {
	char start_bin[256], stop_bin[256];
	char rootfs[PATH_MAX];
	char lxcpath[PATH_MAX]; /* -P: the run's private lxcpath */
	char cg_parent[128];	/* "/<top>/<run>-lxc" (relative to each hierarchy) */
	char common[4096];	/* the config lines every container shares */
	unsigned seq;
};

struct lxc_inst {
	char name[64];
	char conf[PATH_MAX];
	char dir[PATH_MAX]; /* bind-mounted at /run: holds the FIFO "crowd.ready" */
	char fifo[PATH_MAX];
	int fifo_fd; /* the FIFO\'s read end; the readiness fd is an epoll of it and pidfd */
	char log[PATH_MAX];
	pid_t pid; /* lxc-start -F, our child: the monitor */
	int pidfd;
	pid_t ctr_pid; /* the container's init (the workload) */
};

static const struct {
	unsigned long flag;
	const char *name;
} ns_names[] = {
    {CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "net"},	{CLONE_NEWIPC, "ipc"},
    {CLONE_NEWUTS, "uts"}, {CLONE_NEWCGROUP, "cgroup"},
};

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which("lxc-start", bin, sizeof(bin)) < 0 ||
	    crowd_peer_which("lxc-stop", bin, sizeof(bin)) < 0)
		return crowd_error_set(
		    err, ENOENT, "lxc-start/lxc-stop not found in PATH (apt-get install lxc)");
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM, "lxc is driven as root here; run crowd as root");
	if (cfg) {
		if (!(cfg->ns & CLONE_NEWNET))
			return crowd_error_set(err, EINVAL,
					       "--ns without net is not driven by crowd (the "
					       "workloads would share the host's ports)");
		if (cfg->ns & CLONE_NEWUSER || cfg->rootless)
			return crowd_error_set(err, EINVAL,
					       "--ns user/--rootless need an id map crowd does not "
					       "write for lxc");
		return crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err);
	}
	return 0;
}

static bool cg_v2_only(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (off < sizeof(l->common))                                                       \
			off += (size_t)snprintf(l->common + off, sizeof(l->common) - off,          \
						__VA_ARGS__);                                      \
	} while (0)

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct lxc_run *l = calloc(1, sizeof(*l));
	if (!l)
		return crowd_error_set(err, ENOMEM, "lxc: out of memory");
	int r;
	if (crowd_peer_which("lxc-start", l->start_bin, sizeof(l->start_bin)) < 0 ||
	    crowd_peer_which("lxc-stop", l->stop_bin, sizeof(l->stop_bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "lxc-start/lxc-stop not found in PATH");
		goto fail;
	}
	if ((r = crowd_peer_rootfs(cfg, l->rootfs, sizeof(l->rootfs), err)) < 0)
		goto fail;
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	crowd_peer_fmt(l->lxcpath, sizeof(l->lxcpath), "%s/lxc", run->scratch);
	if (mkdir(l->lxcpath, 0700) < 0 && errno != EEXIST) {
		r = crowd_error_errno(err, errno, "mkdir %s", l->lxcpath);
		goto fail;
	}
	crowd_peer_fmt(l->cg_parent, sizeof(l->cg_parent), "/%s/%s-lxc", crowd_peer_top(),
		       run->run_name);

	size_t off = 0;
	ADD("lxc.rootfs.path = dir:%s\nlxc.rootfs.options = ro\n", l->rootfs);
	ADD("lxc.apparmor.profile = unconfined\nlxc.autodev = 1\n");
	ADD("lxc.mount.auto = proc:mixed sys:ro\n");
	ADD("lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777,size=65536k 0 0\n");
	if (cfg->ns & CLONE_NEWUTS)
		ADD("lxc.uts.name = crowd\n");
	if (cfg->ns & CLONE_NEWNET)
		ADD("lxc.net.0.type = empty\nlxc.net.0.flags = up\n");
	char keep[64] = "";
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(ns_names); i++)
		if (!(cfg->ns & ns_names[i].flag)) {
			size_t k = strlen(keep);
			snprintf(keep + k, sizeof(keep) - k, "%s%s", k ? " " : "",
				 ns_names[i].name);
		}
	/* Not lxc.namespace.keep: with any namespace kept, lxc 5.0.2 fails its /dev setup here
	 * (mkdir dev/pts: EOVERFLOW). lxc makes them all; unapplied says so. */
	if (cfg->security & CROWD_SEC_NNP)
		ADD("lxc.no_new_privs = 1\n");
	if (cfg->caps == CROWD_CAPS_NONE)
		ADD("lxc.cap.keep = none\n");
	else if (cfg->caps == CROWD_CAPS_DEFAULT) {
		ADD("lxc.cap.keep =");
		for (unsigned i = 0; i < crowd_caps_default_len; i++) {
			char c[64];
			const char *n = crowd_caps_default_names[i];
			snprintf(c, sizeof(c), "%s", strncmp(n, "CAP_", 4) ? n : n + 4);
			lower(c);
			ADD(" %s", c);
		}
		ADD("\n");
	}
	const struct crowd_cg_limits *lim = &cfg->limits;
	bool v2 = cg_v2_only();
	if (lim->memory_max_bytes >= 0)
		ADD(v2 ? "lxc.cgroup2.memory.max = %lld\n"
		       : "lxc.cgroup.memory.limit_in_bytes = %lld\n",
		    (long long)lim->memory_max_bytes);
	if (lim->pids_max >= 0)
		ADD(v2 ? "lxc.cgroup2.pids.max = %lld\n" : "lxc.cgroup.pids.max = %lld\n",
		    (long long)lim->pids_max);
	if (lim->cpu_quota_us >= 0) {
		long long period = lim->cpu_period_us > 0 ? (long long)lim->cpu_period_us : 100000;
		if (v2)
			ADD("lxc.cgroup2.cpu.max = %lld %lld\n", (long long)lim->cpu_quota_us,
			    period);
		else
			ADD("lxc.cgroup.cpu.cfs_period_us = %lld\nlxc.cgroup.cpu.cfs_quota_us = "
			    "%lld\n",
			    period, (long long)lim->cpu_quota_us);
	}
	if (lim->cpuset_cpus[0])
		ADD(v2 ? "lxc.cgroup2.cpuset.cpus = %s\n" : "lxc.cgroup.cpuset.cpus = %s\n",
		    lim->cpuset_cpus);
	ADD("lxc.cgroup.dir.monitor.pivot = %s/pivot\n", l->cg_parent + 1);
	ADD("lxc.environment = "
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
	ADD("lxc.environment = HOME=/\nlxc.environment = TERM=xterm\n");
	ADD("lxc.environment = CROWD_READY_PATH=/run/crowd.ready\n");
	/* lxc.init.cmd is split on spaces: the workload's argv must not hold any. */
	ADD("lxc.init.cmd =");
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++) {
		if (strpbrk(cfg->workload.argv[i], " \t\n")) {
			r = crowd_error_set(err, EINVAL,
					    "lxc: workload argument '%s' has white space, which "
					    "lxc.init.cmd cannot carry",
					    cfg->workload.argv[i]);
			goto fail;
		}
		ADD(" %s", cfg->workload.argv[i]);
	}
	ADD("\n");
	if (off >= sizeof(l->common)) {
		r = crowd_error_set(err, ENAMETOOLONG, "lxc: config too long");
		goto fail;
	}

	crowd_peer_fmt(run->invocation, sizeof(run->invocation),
		       "%s -F -n <id> -P %s -f <scratch>/<id>.conf (foreground; lxc-start is the "
		       "monitor; rootfs dir ro, lxc.net.0.type=empty, all namespaces but user, "
		       "apparmor unconfined, cgroups %s/<id> made by lxc; readiness FIFO bound at "
		       "/run, CROWD_READY_PATH); stop: %s -k",
		       l->start_bin, l->lxcpath, l->cg_parent, l->stop_bin);
	char un[256];
	size_t u = 0;
	un[0] = '\0';
	if (!(cfg->ns & CLONE_NEWNS))
		u += (size_t)snprintf(un + u, sizeof(un) - u,
				      "ns without mnt (lxc always makes one)");
	if (keep[0])
		u += (size_t)snprintf(un + u, sizeof(un) - u,
				      "%sns without %s: lxc made them anyway (lxc.namespace.keep "
				      "breaks lxc's /dev setup here)",
				      u ? "; " : "", keep);
	if (cfg->security & CROWD_SEC_SECCOMP)
		u += (size_t)snprintf(un + u, sizeof(un) - u, "%sseccomp (no lxc.seccomp.profile)",
				      u ? "; " : "");
	if (cfg->security & CROWD_SEC_MASKS)
		u += (size_t)snprintf(un + u, sizeof(un) - u,
				      "%smasked paths (lxc proc:mixed/sys:ro instead)",
				      u ? "; " : "");
	if (cfg->security & CROWD_SEC_DEVICES)
		u +=
		    (size_t)snprintf(un + u, sizeof(un) - u,
				     "%sdevice rules (no lxc.cgroup.devices lines)", u ? "; " : "");
	if (lim->cpuset_mems[0])
		u += (size_t)snprintf(un + u, sizeof(un) - u, "%scpuset-mems", u ? "; " : "");
	if (cfg->pod_size > 1)
		u += (size_t)snprintf(un + u, sizeof(un) - u, "%spod-size", u ? "; " : "");
	crowd_peer_fmt(run->unapplied, sizeof(run->unapplied), "%s", un);
	run->priv = l;
	return 0;
fail:
	free(l);
	return r;
}
#undef ADD

static int write_conf(const struct lxc_run *l, const struct lxc_inst *c, struct crowd_error *err)
{
	FILE *f = fopen(c->conf, "we");
	if (!f)
		return crowd_error_errno(err, errno, "lxc: open %s", c->conf);
	fputs(l->common, f);
	fprintf(f, "lxc.mount.entry = %s run none bind 0 0\n", c->dir);
	fprintf(f, "lxc.cgroup.dir.container = %s/%s\n", l->cg_parent + 1, c->name);
	fprintf(f, "lxc.cgroup.dir.monitor = %s/%s.mon\n", l->cg_parent + 1, c->name);
	if (fclose(f) != 0)
		return crowd_error_errno(err, errno, "lxc: write %s", c->conf);
	return 0;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct lxc_run *l = run->priv;
	struct lxc_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "lxc: out of memory");
	c->pidfd = c->fifo_fd = -1;
	inst->priv = c;
	unsigned seq = l->seq++;
	crowd_peer_fmt(c->name, sizeof(c->name), "crowd-lxc-%d-%u", inst->sample.index, seq);
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "%s", c->name);
	crowd_peer_fmt(c->conf, sizeof(c->conf), "%s/%s.conf", run->scratch, c->name);
	crowd_peer_fmt(c->dir, sizeof(c->dir), "%s/%s.run", run->scratch, c->name);
	crowd_peer_fmt(c->log, sizeof(c->log), "%s/%s.log", run->scratch, c->name);
	int r;
	if (mkdir(c->dir, 0700) < 0)
		return crowd_error_errno(err, errno, "lxc: mkdir %s", c->dir);
	if ((r = write_conf(l, c, err)) < 0)
		return r;
	_cleanup_close_ int rd =
	    crowd_ready_fifo_open(c->dir, "crowd", c->fifo, sizeof(c->fifo), err);
	if (rd < 0)
		return crowd_error_prefix(err, "lxc");
	_cleanup_close_ int logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return crowd_error_errno(err, errno, "open %s", c->log);
	char *argv[] = {l->start_bin, "-F", "-n", c->name, "-P", l->lxcpath, "-f", c->conf, NULL};
	struct crowd_peer_spawn s = {
	    .argv = argv, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd};
	if ((r = crowd_peer_spawn(&s, &c->pid, &c->pidfd, err)) < 0)
		return crowd_error_prefix(err, "lxc");
	inst->pid = c->pid;
	inst->pidfd = c->pidfd;
	c->fifo_fd = crowd_steal_fd(rd);
	int ep = crowd_engine_wait_fd(c->fifo_fd, c->pidfd, err);
	if (ep < 0)
		return crowd_error_prefix(err, "lxc");
	inst->ready_fd = ep;
	inst->started = true;
	return 0;
}

/* The first line lxc-start wrote to stderr (the cause; its last one is "failed to start"),
 * without the "lxc-start: <name>: " prefix. */
static void log_first_error(const char *path, char *buf, size_t len)
{
	char text[4096];
	ssize_t n = crowd_read_file(path, text, sizeof(text), NULL);
	if (n <= 0) {
		buf[0] = '\0';
		return;
	}
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	const char *m = text;
	for (int i = 0; i < 2 && strstr(m, ": "); i++)
		m = strstr(m, ": ") + 2;
	size_t l = strnlen(m, len - 1);
	memcpy(buf, m, l);
	buf[l] = '\0';
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct lxc_inst *c = inst->priv;
	int n = crowd_engine_ready(c->fifo_fd, &c->pid, &inst->pid, c->log, log_first_error, "lxc",
				   "lxc-start", err);
	if (n <= 0)
		return n;
	c->ctr_pid = crowd_peer_first_child(c->pid);
	if (!c->ctr_pid)
		return crowd_error_set(err, ESRCH, "lxc: no container process under lxc-start");
	if (run->cfg->ns & CLONE_NEWNET) {
		int fd = crowd_peer_netns_open(c->ctr_pid);
		if (fd < 0)
			return crowd_error_errno(err, -fd, "lxc: open /proc/%d/ns/net",
						 (int)c->ctr_pid);
		inst->netns_fd = fd;
	}
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = run->cfg->workload.desc ? run->cfg->workload.desc->port : 0;
	return 1;
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct lxc_run *l = run->priv;
	struct lxc_inst *c = inst->priv;
	if (!c || !c->ctr_pid)
		return crowd_error_set(err, ESRCH, "lxc: no container process");
	int r = crowd_mem_tree(c->ctr_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	char path[PATH_MAX];
	int64_t v;
	if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/memory%s/%s/memory.usage_in_bytes",
			   l->cg_parent, c->name) == 0 &&
	    crowd_read_int64(path, &v, NULL) == 0)
		inst->sample.cgroup_bytes = v;
	else if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup%s/%s/memory.current",
				l->cg_parent, c->name) == 0 &&
		 crowd_read_int64(path, &v, NULL) == 0)
		inst->sample.cgroup_bytes = v;
	/* The monitor: lxc-start itself, in its own <id>.mon cgroup, outside the container's. */
	int64_t pss = -1, rss = -1;
	if (crowd_mem_pids(&c->pid, 1, &pss, &rss, NULL) == 0 && pss >= 0)
		inst->sample.engine_bytes = pss;
	return 0;
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct lxc_run *l = run->priv;
	struct lxc_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	if (c->pid > 0) {
		/* What LXC's own tool does: ask the monitor over its command socket to SIGKILL the
		 * container; the monitor then exits. */
		char *argv[] = {l->stop_bin, "-k", "-n", c->name, "-P", l->lxcpath, NULL};
		char out[256];
		struct crowd_error e = {0};
		int q = crowd_peer_run(argv, 0, 10000, out, sizeof(out), &e);
		if (q != 0 || crowd_peer_wait(c->pid, c->pidfd, 5000, NULL) < 0)
			crowd_peer_kill_tree(&c->pid, &c->pidfd);
		c->pid = 0;
	}
	crowd_closep(&c->pidfd);
	char rel[PATH_MAX];
	crowd_peer_fmt(rel, sizeof(rel), "%s/%s", l->cg_parent, c->name);
	unsigned left = crowd_cg_rmtree_kill(rel, 200);
	crowd_peer_fmt(rel, sizeof(rel), "%s/%s.mon", l->cg_parent, c->name);
	left += crowd_cg_rmtree_kill(rel, 200);
	if (left)
		ret = crowd_error_set(err, EBUSY, "lxc: %u cgroups of %s left", left, c->name);
	char state[PATH_MAX];
	crowd_peer_fmt(state, sizeof(state), "%s/%s", l->lxcpath, c->name);
	crowd_peer_rmtree(state, NULL);
	crowd_ready_fifo_close(&c->fifo_fd, c->fifo);
	rmdir(c->dir);
	unlink(c->conf);
	unlink(c->log);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void close_run(struct crowd_backend_run *run)
{
	struct lxc_run *l = run->priv;
	if (l) {
		crowd_cg_rmtree_kill(l->cg_parent, 200);
		char rel[160];
		crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top());
		crowd_cg_rmdir_empty(rel);
	}
	free(l);
	run->priv = NULL;
	crowd_peer_scratch_remove(run);
}

/* One run's scratch directory left by a killed crowd: stop each container of its lxcpath,
 * kill the monitors still running from it, remove the cgroups LXC made. */
static void sweep_run(const char *dir, const void *ctx, struct crowd_sweep *ret,
		      struct crowd_error *err)
{
	(void)ctx;
	char lxcpath[PATH_MAX];
	if (crowd_peer_fmt(lxcpath, sizeof(lxcpath), "%s/lxc", dir) < 0)
		return;
	unsigned n = crowd_peer_kill_by_args("-P", lxcpath);
	ret->instances += n;
	const char *base = strrchr(dir, '/');
	char rel[PATH_MAX];
	if (base && crowd_peer_fmt(rel, sizeof(rel), "/%s/%s", crowd_peer_top(), base + 1) == 0) {
		/* What is still busy (a container dying of its monitor's death) is left to
		 * crowd clean's own cgroup sweep, which runs after the backends' and kills. */
		(void)crowd_cg_rmtree_kill(rel, 200);
	}
	(void)err;
	/* <top> where only the engine had made it (name=systemd, blkio...): crowd's own sweep
	 * walks the hierarchies crowd uses. */
	char top[160];
	if (crowd_peer_fmt(top, sizeof(top), "/%s", crowd_peer_top()) == 0)
		crowd_cg_rmdir_empty(top);
}

static int sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	return crowd_peer_sweep("lxc", sweep_run, NULL, ret, err);
}

const struct crowd_backend crowd_backend_lxc = {
    .name = "lxc",
    .help = "LXC (lxc-start -F) with a config crowd writes: same rootfs, no network device",
    .probe = probe,
    .open = open_run,
    .start = start,
    .ready = ready,
    .stats = stats,
    .stop = stop,
    .close = close_run,
    .sweep = sweep,
};
