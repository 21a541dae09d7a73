/* crun and runc behind the backend interface (see peer_oci.h). */
#include "peer_oci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"
#include "engine/memory.h"
#include "peer.h"
#include "core/util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

struct oci_run {
	const struct crowd_oci_runtime *rt;
	char bin[256];
	char root[PATH_MAX];   /* --root: the runtime's state directory */
	char bundle[PATH_MAX]; /* shared bundle (no per-container cgroup), "" otherwise */
	char rootfs[PATH_MAX];
	char cg_parent[128];   /* runc: cgroupsPath parent "/<top>/<run>-runc" */
	unsigned seq;
};

struct oci_inst {
	char id[64];
	char bundle[PATH_MAX]; /* own bundle (runc), removed on stop */
	char pidfile[PATH_MAX];
	char log[PATH_MAX];
	pid_t rt_pid;          /* the `run` process, our child */
	int rt_pidfd;
	pid_t ctr_pid;         /* the container's init on the host */
	int ctr_pidfd;
	bool fd_ready;         /* readiness through CROWD_READY_FD (else: started = ready) */
	struct crowd_cg *cg;   /* crowd's leaf around a runtime without a cgroup manager */
};

/* In the parent, before the runtime execs: into the instance's cgroup. */
static int attach_cb(pid_t pid, void *ctx, struct crowd_error *err)
{
	return crowd_cg_attach(ctx, pid, err);
}

/* Where runc may make cgroups: every v1 hierarchy and the unified one. */
static const char *const hier[] = {
	"memory",  "cpu,cpuacct", "cpu",     "cpuacct", "cpuset", "pids",	"freezer",
	"devices", "blkio",	  "systemd", "unified", "net_cls", "perf_event", "hugetlb",
	"rdma",	   "misc",	  "net_prio", "net_cls,net_prio",
};

/* rmdir <hierarchy><rel> everywhere; the processes are gone by now. */
static void cg_rmdir_all(const char *rel)
{
	char path[PATH_MAX];
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(hier); i++)
		if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/%s%s", hier[i], rel) == 0)
			rmdir(path);
}

int crowd_peer_oci_probe(const struct crowd_oci_runtime *rt, const struct crowd_config *cfg,
			 struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which(rt->name, bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT, "%s not found in PATH (apt-get install %s)",
				       rt->name, rt->name);
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM, "%s is driven as root here; run crowd as root",
				       rt->name);
	int r;
	if (cfg && (r = crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err)) < 0)
		return r;
	if (rt->cgroup2_ns) {
		/* What would stop crun here: no private mount namespace or no cgroup2. */
		char *argv[] = {bin, "--version", NULL};
		char out[256];
		r = crowd_peer_run(argv, CROWD_PEER_CGROUP2_NS, 5000, out, sizeof(out), err);
		if (r < 0)
			return crowd_error_prefix(err, "%s --version in a cgroup2 mount namespace",
						  rt->name);
		if (r > 0)
			return crowd_error_set(err, EIO,
					       "%s --version in a cgroup2 mount namespace: %s",
					       rt->name, out);
	}
	return 0;
}

int crowd_peer_oci_open(const struct crowd_oci_runtime *rt, struct crowd_backend_run *run,
			struct crowd_error *err)
{
	struct oci_run *o = calloc(1, sizeof(*o));
	if (!o)
		return crowd_error_set(err, ENOMEM, "%s: out of memory", rt->name);
	o->rt = rt;
	int r;
	if (crowd_peer_which(rt->name, o->bin, sizeof(o->bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "%s not found in PATH", rt->name);
		goto fail;
	}
	if ((r = crowd_peer_rootfs(run->cfg, o->rootfs, sizeof(o->rootfs), err)) < 0)
		goto fail;
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	crowd_peer_fmt(o->root, sizeof(o->root), "%s/state", run->scratch);
	if (mkdir(o->root, 0700) < 0 && errno != EEXIST) {
		r = crowd_error_errno(err, errno, "mkdir %s", o->root);
		goto fail;
	}
	char limits[200];
	crowd_oci_limits_text(run->cfg, limits, sizeof(limits));
	if (rt->cgroup_disabled) {
		/* Nothing per container in the config: one bundle serves every container. With the
		 * runtime's own cgroup manager disabled, crowd puts the runtime (and so the
		 * container) in a leaf of the run's cgroup before exec: limits and memory.current
		 * as for the core. */
		crowd_peer_fmt(o->bundle, sizeof(o->bundle), "%s/bundle", run->scratch);
		if (mkdir(o->bundle, 0700) < 0 && errno != EEXIST) {
			r = crowd_error_errno(err, errno, "mkdir %s", o->bundle);
			goto fail;
		}
		struct crowd_oci_opts oo = {.cfg = run->cfg, .rootfs = o->rootfs,
					    .ready_fd = 3, .resources = false};
		if ((r = crowd_oci_write(o->bundle, &oo, err)) < 0)
			goto fail;
		crowd_peer_fmt(run->invocation, sizeof(run->invocation),
			 "fork, unshare(CLONE_NEWNS), mount cgroup2 on /sys/fs/cgroup, exec %s "
			 "--root %s --cgroup-manager=disabled run --bundle %s --preserve-fds 1 "
			 "--pid-file <scratch>/<id>.pid <id> (not detached; readiness fd 3)%s",
			 o->bin, o->root, o->bundle,
			 run->cg ? "; before exec crowd moves it into the leaf <top>/<run>/<id> of "
				   "its own cgroups, which apply the limits" :
				   "");
		if (limits[0] && !run->cg)
			crowd_peer_fmt(run->unapplied, sizeof(run->unapplied),
				 "%s (no cgroup: --cgroup-manager=disabled on a hybrid host)", limits);
	} else {
		crowd_peer_fmt(o->cg_parent, sizeof(o->cg_parent), "/%s/%s-%s", crowd_peer_top(), run->run_name,
			 rt->name);
		crowd_peer_fmt(run->invocation, sizeof(run->invocation),
			 "%s --root %s run --bundle <scratch>/<id> --preserve-fds 1 --pid-file "
			 "<scratch>/<id>.pid <id> (not detached; readiness fd 3; cgroupsPath %s/<id>)",
			 o->bin, o->root, o->cg_parent);
	}
	if (!(run->cfg->ns & CLONE_NEWNS)) {
		size_t off = strlen(run->unapplied);
		crowd_peer_fmt(run->unapplied + off, sizeof(run->unapplied) - off,
			 "%sns without mnt (OCI runtimes always make a mount namespace)",
			 off ? "; " : "");
	}
	if ((run->cfg->security & CROWD_SEC_SECCOMP) && run->cfg->seccomp) {
		size_t off = strlen(run->unapplied);
		crowd_peer_fmt(run->unapplied + off, sizeof(run->unapplied) - off,
			       "%s--seccomp %s (the OCI config carries no filter then)",
			       off ? "; " : "", run->cfg->seccomp->name);
	}
	if (run->cfg->pod_size > 1) {
		size_t off = strlen(run->unapplied);
		crowd_peer_fmt(run->unapplied + off, sizeof(run->unapplied) - off, "%spod-size",
			 off ? "; " : "");
	}
	run->priv = o;
	return 0;
fail:
	free(o);
	return r;
}

static void inst_free(struct oci_inst *c)
{
	if (!c)
		return;
	crowd_closep(&c->rt_pidfd);
	crowd_closep(&c->ctr_pidfd);
	free(c);
}

int crowd_peer_oci_start(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err)
{
	struct oci_run *o = run->priv;
	const struct crowd_oci_runtime *rt = o->rt;
	struct oci_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "%s: out of memory", rt->name);
	c->rt_pidfd = c->ctr_pidfd = -1;
	c->fd_ready = run->cfg->workload.desc && run->cfg->workload.desc->ready == CROWD_READY_FD;
	crowd_peer_fmt(c->id, sizeof(c->id), "%s-%d-%u", rt->name, inst->sample.index, o->seq++);
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "%s", c->id);
	crowd_peer_fmt(c->pidfile, sizeof(c->pidfile), "%s/%s.pid", run->scratch, c->id);
	crowd_peer_fmt(c->log, sizeof(c->log), "%s/%s.log", run->scratch, c->id);
	inst->priv = c;

	int r;
	const char *bundle = o->bundle;
	if (!o->bundle[0]) {
		char cgpath[256];
		crowd_peer_fmt(c->bundle, sizeof(c->bundle), "%s/%s", run->scratch, c->id);
		crowd_peer_fmt(cgpath, sizeof(cgpath), "%s/%s", o->cg_parent, c->id);
		if (mkdir(c->bundle, 0700) < 0) {
			r = crowd_error_errno(err, errno, "mkdir %s", c->bundle);
			c->bundle[0] = '\0';
			return r;
		}
		struct crowd_oci_opts oo = {.cfg = run->cfg, .rootfs = o->rootfs, .ready_fd = 3,
					    .cgroups_path = cgpath, .resources = true};
		if ((r = crowd_oci_write(c->bundle, &oo, err)) < 0)
			return r;
		bundle = c->bundle;
	}

	int p[2];
	if (c->fd_ready) {
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
			return crowd_error_errno(err, errno, "pipe");
	} else {
		/* No readiness byte: poll the pid file each millisecond (ready = started). */
		p[0] = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (p[0] < 0)
			return crowd_error_errno(err, errno, "timerfd");
		struct itimerspec its = {.it_interval = {0, 1000000}, .it_value = {0, 1000000}};
		timerfd_settime(p[0], 0, &its, NULL);
		p[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	}
	_cleanup_close_ int rd = p[0];
	_cleanup_close_ int wr = p[1];
	_cleanup_close_ int logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return crowd_error_errno(err, errno, "open %s", c->log);

	if (rt->cgroup_disabled && run->cg) {
		struct crowd_cg_limits lim = run->cfg->limits;
		crowd_sec_cg_limits(run->cfg->security, &lim);
		if ((r = crowd_cg_create(run->cg, c->id, &lim, &c->cg, err)) < 0)
			return crowd_error_prefix(err, "%s", rt->name);
		inst->sample.t_cgroup_ns = crowd_now_ns() - run->t0_ns;
	}

	char *argv[20];
	int n = 0;
	argv[n++] = o->bin;
	argv[n++] = "--root";
	argv[n++] = o->root;
	if (rt->cgroup_disabled)
		argv[n++] = "--cgroup-manager=disabled";
	argv[n++] = "run";
	argv[n++] = "--bundle";
	argv[n++] = (char *)bundle;
	argv[n++] = "--preserve-fds";
	argv[n++] = "1";
	argv[n++] = "--pid-file";
	argv[n++] = c->pidfile;
	argv[n++] = c->id;
	argv[n] = NULL;
	struct crowd_peer_spawn s = {.argv = argv, .keep_fds = &wr, .n_keep = 1, .stdin_fd = -1,
				     .stdout_fd = logfd, .stderr_fd = logfd,
				     /* no PDEATHSIG: the starting thread may end before the container */
				     .flags = rt->cgroup2_ns ? CROWD_PEER_CGROUP2_NS : 0,
				     .in_parent = c->cg ? attach_cb : NULL, .ctx = c->cg};
	if ((r = crowd_peer_spawn(&s, &c->rt_pid, &c->rt_pidfd, err)) < 0) {
		crowd_cg_destroy(c->cg, NULL);
		c->cg = NULL;
		return crowd_error_prefix(err, "%s", rt->name);
	}
	inst->pid = c->rt_pid;
	inst->pidfd = c->rt_pidfd;
	inst->ready_fd = crowd_steal_fd(rd);
	inst->started = true;
	return 0;
}

/* The container's init pid from the pid file; its network namespace for the load. */
static int learn_container(struct crowd_backend_run *run, struct crowd_inst *inst,
			   struct oci_inst *c, struct crowd_error *err)
{
	/* The runtime may write its pid file only after the workload already signalled; the
	 * container's init is then the runtime's child. */
	c->ctr_pid = crowd_peer_read_pidfile(c->pidfile);
	if (!c->ctr_pid && c->rt_pid > 0)
		c->ctr_pid = crowd_peer_first_child(c->rt_pid);
	if (!c->ctr_pid)
		return crowd_error_set(err, ESRCH, "%s: no pid file %s", run->backend->name,
				       c->pidfile);
	int fd = (int)syscall(SYS_pidfd_open, c->ctr_pid, 0);
	c->ctr_pidfd = fd >= 0 ? fd : -1;
	if (run->cfg->ns & CLONE_NEWNET) {
		int ns = crowd_peer_netns_open(c->ctr_pid);
		if (ns < 0)
			return crowd_error_errno(err, -ns, "open /proc/%d/ns/net", (int)c->ctr_pid);
		inst->netns_fd = ns;
	}
	crowd_peer_fmt(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = run->cfg->workload.desc ? run->cfg->workload.desc->port : 0;
	return 0;
}

static int failed(struct crowd_backend_run *run, struct oci_inst *c, struct crowd_error *err,
		  const char *what)
{
	char tail[200];
	crowd_peer_log_tail(c->log, tail, sizeof(tail));
	return crowd_error_set(err, EIO, "%s: %s%s%s", run->backend->name, what,
			       tail[0] ? ": " : "", tail);
}

int crowd_peer_oci_ready(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err)
{
	struct oci_inst *c = inst->priv;
	if (!c)
		return crowd_error_set(err, EINVAL, "%s: not started", run->backend->name);
	if (c->fd_ready) {
		char b;
		ssize_t n = read(inst->ready_fd, &b, 1);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return failed(run, c, err, "workload exited before it was ready");
	} else {
		uint64_t ticks;
		(void)!read(inst->ready_fd, &ticks, sizeof(ticks));
		if (!crowd_peer_read_pidfile(c->pidfile)) {
			if (waitpid(c->rt_pid, NULL, WNOHANG) == c->rt_pid) {
				c->rt_pid = 0;
				return failed(run, c, err, "runtime exited before the container started");
			}
			return 0;
		}
	}
	int r = learn_container(run, inst, c, err);
	return r < 0 ? r : 1;
}

int crowd_peer_oci_stats(struct crowd_backend_run *run, struct crowd_inst *inst,
			 struct crowd_error *err)
{
	struct oci_run *o = run->priv;
	struct oci_inst *c = inst->priv;
	if (!c || !c->ctr_pid)
		return crowd_error_set(err, ESRCH, "%s: no container process", run->backend->name);
	/* The container's processes; the waiting `run` process is the runtime's, not the
	 * container's, and is left out. */
	int r = crowd_mem_tree(c->ctr_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	if (c->cg) {
		crowd_peer_cg_memory(c->cg, inst);
	} else if (o->cg_parent[0]) {
		char path[PATH_MAX];
		int64_t v;
		crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/memory%s/%s/memory.usage_in_bytes",
			 o->cg_parent, c->id);
		if (crowd_read_int64(path, &v, NULL) == 0) {
			inst->sample.cgroup_bytes = v;
		} else {
			crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup%s/%s/memory.current",
				 o->cg_parent, c->id);
			if (crowd_read_int64(path, &v, NULL) == 0)
				inst->sample.cgroup_bytes = v;
		}
	}
	return 0;
}

/* `RUNTIME --root ROOT delete -f ID`: kills the container and removes its state. */
static int delete_force(const struct crowd_oci_runtime *rt, char *bin, char *root, char *id,
			struct crowd_error *err)
{
	char *argv[] = {bin, "--root", root, "delete", "-f", id, NULL};
	char *argv_d[] = {bin, "--root", root, "--cgroup-manager=disabled", "delete", "-f", id, NULL};
	char out[256];
	int r = crowd_peer_run(rt->cgroup_disabled ? argv_d : argv,
			       rt->cgroup2_ns ? CROWD_PEER_CGROUP2_NS : 0, 10000, out, sizeof(out), err);
	if (r > 0)
		return crowd_error_set(err, EBUSY, "%s delete -f %s: %s", rt->name, id, out);
	return r < 0 ? r : 0;
}

int crowd_peer_oci_stop(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	struct oci_run *o = run->priv;
	struct oci_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	if (!c->ctr_pid)
		c->ctr_pid = crowd_peer_read_pidfile(c->pidfile);
	if (c->ctr_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->ctr_pidfd, SIGKILL, NULL, 0);
	else if (c->ctr_pid > 0 && c->rt_pid > 0)
		kill(c->ctr_pid, SIGKILL); /* the runtime still waits for it: the pid is ours */
	if (c->rt_pid > 0 && crowd_peer_wait(c->rt_pid, c->rt_pidfd, 5000, NULL) < 0)
		crowd_peer_kill(&c->rt_pid, NULL);
	c->rt_pid = 0;

	/* A foreground `run` deletes its container when it exits; delete -f only what is left. */
	char state[PATH_MAX];
	crowd_peer_fmt(state, sizeof(state), "%s/%s", o->root, c->id);
	if (access(state, F_OK) == 0)
		ret = delete_force(o->rt, o->bin, o->root, c->id, err);
	if (o->cg_parent[0]) {
		char rel[256];
		crowd_peer_fmt(rel, sizeof(rel), "%s/%s", o->cg_parent, c->id);
		cg_rmdir_all(rel);
	}
	if (c->cg) {
		int r = crowd_peer_cg_destroy(&c->cg, ret ? NULL : err);
		if (r < 0 && !ret)
			ret = r;
	}
	if (c->bundle[0] && crowd_peer_rmtree(c->bundle, err) < 0 && !ret)
		ret = -EBUSY;
	unlink(c->pidfile);
	unlink(c->log);
	inst_free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

void crowd_peer_oci_close(struct crowd_backend_run *run)
{
	struct oci_run *o = run->priv;
	if (!o)
		return;
	if (o->cg_parent[0]) {
		/* runc made <top>/<run>-runc, and <top> if it was not there: rmdir works only
		 * on empty ones, so nobody else's are touched. */
		char rel[256];
		cg_rmdir_all(o->cg_parent);
		crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top());
		cg_rmdir_all(rel);
	}
	crowd_peer_rmtree(o->root, NULL);
	if (o->bundle[0])
		crowd_peer_rmtree(o->bundle, NULL);
	crowd_peer_scratch_remove(run);
	free(o);
	run->priv = NULL;
}

/* Whether `RUNTIME --root ROOT state ID` knows the container. */
static bool known_to(const struct crowd_oci_runtime *rt, char *bin, char *root, char *id)
{
	char *argv[] = {bin, "--root", root, "state", id, NULL};
	return crowd_peer_run(argv, rt->cgroup2_ns ? CROWD_PEER_CGROUP2_NS : 0, 10000, NULL, 0,
			      NULL) == 0;
}

/* One run's scratch dir (see crowd_peer_oci_sweep). */
static void sweep_run(const char *dir, const void *ctx, struct crowd_sweep *ret,
		      struct crowd_error *err)
{
	const struct crowd_oci_runtime *rt = ctx;
	char root[PATH_MAX], bin[PATH_MAX];
	if (crowd_peer_fmt(root, sizeof(root), "%s/state", dir) < 0)
		return;
	DIR *d = opendir(root);
	if (!d)
		return;
	bool have_bin = crowd_peer_which(rt->name, bin, sizeof(bin)) == 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		/* One the runtime does not know was killed mid-create: what it had started is in
		 * a cgroup the cgroup sweep empties. */
		if (have_bin && !known_to(rt, bin, root, de->d_name))
			continue;
		struct crowd_error e = {0};
		/* The waiting `RUNTIME run` may remove the state itself as the kill lands, making
		 * delete fail on a container that is gone all the same. */
		if (have_bin && (delete_force(rt, bin, root, de->d_name, &e) == 0 ||
				 !known_to(rt, bin, root, de->d_name))) {
			ret->instances++;
			continue;
		}
		ret->left++;
		if (err && !err->code)
			crowd_error_set(err, e.code ? e.code : ENOENT, "%s", have_bin ? e.msg :
					"container state left but no runtime binary to delete it");
	}
	closedir(d);
	/* The runtimes' waiting `run` processes: they would recreate the state directory on
	 * their way out, after the scratch is gone. */
	crowd_peer_kill_by_args("--root", root);
	if (rt->cgroup_disabled)
		return;
	/* The runtime's parent <top>/<run>-<runtime> in every hierarchy, also those crowd's own
	 * sweep does not walk (runc makes one in name=systemd, blkio, devices...), then <top>
	 * where that left it empty. */
	const char *base = strrchr(dir, '/');
	char rel[PATH_MAX];
	if (base && crowd_peer_fmt(rel, sizeof(rel), "/%s/%s", crowd_peer_top(), base + 1) == 0) {
		for (size_t i = 0; i < CROWD_ARRAY_SIZE(hier); i++) {
			char path[PATH_MAX];
			if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/%s%s", hier[i], rel) == 0 &&
			    rmdir(path) < 0 && errno != ENOENT) {
				ret->left++;
				if (err && !err->code)
					crowd_error_errno(err, errno, "remove cgroup %s", path);
			}
		}
	}
	crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top());
	cg_rmdir_all(rel);
}

int crowd_peer_oci_sweep(const struct crowd_oci_runtime *rt, struct crowd_sweep *ret,
			 struct crowd_error *err)
{
	return crowd_peer_sweep(rt->name, sweep_run, rt, ret, err);
}
