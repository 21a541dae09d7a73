/* Backend runsc: gVisor's runsc over the same generated OCI bundle as crun and runc (oci.c),
 * one bundle per container (its cgroupsPath <top>/<run>-runsc/<id> and its readiness FIFO
 * bound at /run/crowd, named by CROWD_READY_PATH: runsc passes no extra fds), state under the
 * run's scratch (--root). `runsc run` is not detached: it waits for the container as crowd's
 * child, as `crun run` does.
 *
 * Flags found to work on this host (runsc release 20221219, Debian 12): --platform=ptrace (its
 * default; no systrap in this release), --host-fifo=open (else the sentry refuses to open the
 * host FIFO: EPERM), --network=host. gVisor's default --network=sandbox runs its own network
 * stack inside the sentry, which nothing outside the sandbox can reach without a veth; with
 * --network=host the sentry's sockets are the kernel's, in the private network namespace the
 * OCI config asks for (empty, lo brought up by crowd as the core does), so the load reaches it
 * the way it reaches every other backend. host.json says so.
 *
 * Memory: for gVisor the container is the sandbox (the sentry, whose memory file holds the
 * application's memory) and its gofer (the file-system proxy, one per container); runsc puts
 * both in the container's cgroup (cgroup_bytes), and pss_bytes is the PSS of the two trees.
 * Engine overhead (engine_bytes), outside that cgroup: the waiting `runsc run`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cg_rmtree.h"
#include "core/netns.h"
#include "core/util.h"
#include "engine/memory.h"
#include "oci.h"
#include "peer.h"
#include "engine_img.h"
#include "engine_wait.h"
#include "ready_fifo.h"

/* Global flags before the subcommand, for every runsc invocation of a run. */
#define RUNSC_FLAGS "--network=host", "--host-fifo=open", "--platform=ptrace"

struct runsc_run {
	char bin[256];
	char root[PATH_MAX];
	char rootfs[PATH_MAX];
	char cg_parent[128]; /* "/<top>/<run>-runsc" */
	unsigned seq;
};

struct runsc_inst {
	char id[64];
	char bundle[PATH_MAX];
	char dir[PATH_MAX]; /* bound at /run/crowd: the FIFO "crowd.ready" */
	char fifo[PATH_MAX];
	int fifo_fd; /* the FIFO\'s read end; the readiness fd is an epoll of it and pidfd */
	char pidfile[PATH_MAX];
	char log[PATH_MAX];
	pid_t rt_pid; /* `runsc run`, our child */
	int rt_pidfd;
	pid_t sandbox_pid; /* from --pid-file: the sandbox (sentry) */
};

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which("runsc", bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT,
				       "runsc not found in PATH (apt-get install runsc)");
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM,
				       "runsc is driven as root here; run crowd as root");
	if (!cfg)
		return 0;
	if ((cfg->ns & CLONE_NEWUSER) || cfg->rootless)
		return crowd_error_set(err, EINVAL,
				       "--ns user/--rootless are not driven by crowd for gVisor");
	if (!(cfg->ns & CLONE_NEWNET))
		return crowd_error_set(err, EINVAL,
				       "--ns without net would put gVisor's host network "
				       "mode on the host's own network; crowd does not do that");
	return crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err);
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct runsc_run *o = calloc(1, sizeof(*o));
	if (!o)
		return crowd_error_set(err, ENOMEM, "runsc: out of memory");
	int r;
	if (crowd_peer_which("runsc", o->bin, sizeof(o->bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "runsc not found in PATH");
		goto fail;
	}
	if ((r = crowd_peer_rootfs(cfg, o->rootfs, sizeof(o->rootfs), err)) < 0)
		goto fail;
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	crowd_peer_fmt(o->root, sizeof(o->root), "%s/state", run->scratch);
	if (mkdir(o->root, 0700) < 0 && errno != EEXIST) {
		r = crowd_error_errno(err, errno, "mkdir %s", o->root);
		goto fail;
	}
	crowd_peer_fmt(o->cg_parent, sizeof(o->cg_parent), "/%s/%s-runsc", crowd_peer_top(),
		       run->run_name);
	crowd_peer_fmt(
	    run->invocation, sizeof(run->invocation),
	    "%s --root %s --network=host --host-fifo=open --platform=ptrace run --bundle "
	    "<scratch>/<id> --pid-file <scratch>/<id>.pid <id> (not detached; the OCI "
	    "config's private netns, lo brought up by crowd, so the sentry's host-mode "
	    "sockets listen there; readiness FIFO bound at /run/crowd, CROWD_READY_PATH; "
	    "cgroupsPath %s/<id>); stop: %s kill <id> KILL, delete -force if left",
	    o->bin, o->root, o->cg_parent, o->bin);
	size_t u = 0;
	run->unapplied[0] = '\0';
#define UN(...)                                                                                    \
	do {                                                                                       \
		if (u < sizeof(run->unapplied))                                                    \
			u += (size_t)snprintf(run->unapplied + u, sizeof(run->unapplied) - u,      \
					      __VA_ARGS__);                                        \
	} while (0)
	UN("network: gVisor's own stack (--network=sandbox) replaced by host mode in a private "
	   "netns");
	if (!(cfg->ns & CLONE_NEWNS))
		UN("; ns without mnt (always one)");
	if (cfg->security & CROWD_SEC_SECCOMP)
		UN("; seccomp: the application's syscalls go to the sentry, not the host kernel");
	if (cfg->pod_size > 1)
		UN("; pod-size");
#undef UN
	run->priv = o;
	return 0;
fail:
	free(o);
	return r;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct runsc_run *o = run->priv;
	struct runsc_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "runsc: out of memory");
	c->rt_pidfd = c->fifo_fd = -1;
	inst->priv = c;
	crowd_peer_fmt(c->id, sizeof(c->id), "crowd-runsc-%d-%u", inst->sample.index, o->seq++);
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "%s", c->id);
	crowd_peer_fmt(c->bundle, sizeof(c->bundle), "%s/%s", run->scratch, c->id);
	crowd_peer_fmt(c->dir, sizeof(c->dir), "%s/%s.run", run->scratch, c->id);
	crowd_peer_fmt(c->pidfile, sizeof(c->pidfile), "%s/%s.pid", run->scratch, c->id);
	crowd_peer_fmt(c->log, sizeof(c->log), "%s/%s.log", run->scratch, c->id);
	int r;
	if (mkdir(c->bundle, 0700) < 0) {
		r = crowd_error_errno(err, errno, "mkdir %s", c->bundle);
		c->bundle[0] = '\0';
		return r;
	}
	if (mkdir(c->dir, 0700) < 0) {
		r = crowd_error_errno(err, errno, "mkdir %s", c->dir);
		c->dir[0] = '\0';
		return r;
	}
	char cgpath[256];
	crowd_peer_fmt(cgpath, sizeof(cgpath), "%s/%s", o->cg_parent, c->id);
	struct crowd_oci_opts oo = {.cfg = run->cfg,
				    .rootfs = o->rootfs,
				    .ready_fd = -1,
				    .cgroups_path = cgpath,
				    .resources = true,
				    .ready_dir = c->dir};
	if ((r = crowd_oci_write(c->bundle, &oo, err)) < 0)
		return r;
	_cleanup_close_ int rd =
	    crowd_ready_fifo_open(c->dir, "crowd", c->fifo, sizeof(c->fifo), err);
	if (rd < 0)
		return crowd_error_prefix(err, "runsc");
	_cleanup_close_ int logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return crowd_error_errno(err, errno, "open %s", c->log);
	char *argv[] = {o->bin,	   "--root",	 o->root,    RUNSC_FLAGS, "run", "--bundle",
			c->bundle, "--pid-file", c->pidfile, c->id,	  NULL};
	struct crowd_peer_spawn s = {
	    .argv = argv, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd};
	if ((r = crowd_peer_spawn(&s, &c->rt_pid, &c->rt_pidfd, err)) < 0)
		return crowd_error_prefix(err, "runsc");
	inst->pid = c->rt_pid;
	inst->pidfd = c->rt_pidfd;
	c->fifo_fd = crowd_steal_fd(rd);
	int ep = crowd_engine_wait_fd(c->fifo_fd, c->rt_pidfd, err);
	if (ep < 0)
		return crowd_error_prefix(err, "runsc");
	inst->ready_fd = ep;
	inst->started = true;
	return 0;
}

/* Bring lo up in the network namespace nsfd: a short-lived child joins it (crowd's threads
 * stay where they are). */
static int lo_up_in(int nsfd, struct crowd_error *err)
{
	pid_t p = fork();
	if (p < 0)
		return crowd_error_errno(err, errno, "fork");
	if (p == 0) {
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(1);
		_exit(crowd_net_lo_up(NULL) < 0 ? 2 : 0);
	}
	int st;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return crowd_error_set(err, EIO,
				       "runsc: bringing up lo in the sandbox's netns "
				       "failed (%s)",
				       WIFEXITED(st) && WEXITSTATUS(st) == 1 ? "setns" : "ioctl");
	return 0;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct runsc_inst *c = inst->priv;
	int n = crowd_engine_ready(c->fifo_fd, &c->rt_pid, &inst->pid, c->log, NULL, "runsc",
				   "runsc run", err);
	if (n <= 0)
		return n;
	/* runsc writes the pid file before it starts the container. */
	c->sandbox_pid = crowd_peer_read_pidfile(c->pidfile);
	if (!c->sandbox_pid)
		return crowd_error_set(err, ESRCH, "runsc: no pid file %s", c->pidfile);
	int ns = crowd_peer_netns_open(c->sandbox_pid);
	if (ns < 0)
		return crowd_error_errno(err, -ns, "runsc: open /proc/%d/ns/net",
					 (int)c->sandbox_pid);
	inst->netns_fd = ns;
	int r = lo_up_in(ns, err);
	if (r < 0)
		return r;
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = run->cfg->workload.desc ? run->cfg->workload.desc->port : 0;
	return 1;
}

/* The gofer: the child of `runsc run` that is not the sandbox. */
static pid_t find_gofer(pid_t rt_pid, pid_t sandbox)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)rt_pid, (int)rt_pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return 0;
	for (char *p = buf, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0 && v != sandbox)
			return (pid_t)v;
	}
	return 0;
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct runsc_inst *c = inst->priv;
	if (!c || !c->sandbox_pid)
		return crowd_error_set(err, ESRCH, "runsc: no sandbox process");
	int r =
	    crowd_mem_tree(c->sandbox_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	pid_t gofer = c->rt_pid > 0 ? find_gofer(c->rt_pid, c->sandbox_pid) : 0;
	int64_t gp = 0, gr = 0;
	if (gofer && crowd_mem_tree(gofer, &gp, &gr, NULL) == 0) {
		inst->sample.pss_bytes += gp;
		inst->sample.rss_bytes += gr;
	}
	/* the cgroup the engine put the container in (v1 memory, else v2) */
	inst->sample.cgroup_bytes = crowd_engine_cg_memory(c->sandbox_pid);
	int64_t pss = -1, rss = -1;
	if (c->rt_pid > 0 && crowd_mem_pids(&c->rt_pid, 1, &pss, &rss, NULL) == 0 && pss >= 0)
		inst->sample.engine_bytes = pss;
	return 0;
}

/* runsc --root ROOT <flags> ARGS...; 0 or the exit status / -errno. */
static int runsc_cmd(const struct runsc_run *o, const char *a, const char *b, const char *id,
		     const char *d, char *out, size_t outlen, struct crowd_error *err)
{
	char *argv[] = {(char *)o->bin, "--root",   (char *)o->root, RUNSC_FLAGS, (char *)a,
			(char *)b,	(char *)id, (char *)d,	     NULL};
	return crowd_peer_run(argv, 0, 10000, out, outlen, err);
}

static bool state_left(const struct runsc_run *o, const char *id)
{
	DIR *d = opendir(o->root);
	if (!d)
		return false;
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d)))
		found = strstr(de->d_name, id) != NULL;
	closedir(d);
	return found;
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct runsc_run *o = run->priv;
	struct runsc_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	char out[256];
	if (c->rt_pid > 0) {
		/* The engine's own way: kill the container; the foreground run then deletes it
		 * and exits. */
		if (!inst->ready ||
		    runsc_cmd(o, "kill", c->id, "KILL", NULL, out, sizeof(out), NULL) != 0 ||
		    crowd_peer_wait(c->rt_pid, c->rt_pidfd, 5000, NULL) < 0)
			/* Half-started (or kill failed): the whole tree, then delete -force below.
			 */
			crowd_peer_kill_tree(&c->rt_pid, &c->rt_pidfd);
		c->rt_pid = 0;
	}
	crowd_closep(&c->rt_pidfd);
	if (state_left(o, c->id)) {
		struct crowd_error e = {0};
		int r = runsc_cmd(o, "delete", "-force", c->id, NULL, out, sizeof(out), &e);
		if (r != 0 && state_left(o, c->id))
			ret = crowd_error_set(err, EBUSY, "runsc delete -force %s: %s", c->id,
					      r < 0 ? e.msg : out);
	}
	char rel[256];
	crowd_peer_fmt(rel, sizeof(rel), "%s/%s", o->cg_parent, c->id);
	unsigned left = 0;
	left = crowd_cg_rmtree_kill(rel, 200);
	if (left && !ret)
		ret = crowd_error_set(err, EBUSY, "runsc: %u cgroups of %s left", left, c->id);
	crowd_ready_fifo_close(&c->fifo_fd, c->fifo);
	if (c->dir[0])
		rmdir(c->dir);
	if (c->bundle[0])
		crowd_peer_rmtree(c->bundle, NULL);
	unlink(c->pidfile);
	unlink(c->log);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void close_run(struct crowd_backend_run *run)
{
	struct runsc_run *o = run->priv;
	if (o) {
		crowd_cg_rmtree_kill(o->cg_parent, 200);
		char rel[160];
		crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top());
		crowd_cg_rmdir_empty(rel);
		crowd_peer_rmtree(o->root, NULL);
	}
	free(o);
	run->priv = NULL;
	crowd_peer_scratch_remove(run);
}

/* One run's scratch left by a killed crowd: delete -force what runsc still knows, kill the
 * waiting `runsc run` processes (sandbox and gofer are attached to them and go too), remove
 * runsc's cgroups (what is still busy is crowd clean's own cgroup sweep). */
static void sweep_run(const char *dir, const void *ctx, struct crowd_sweep *ret,
		      struct crowd_error *err)
{
	(void)ctx;
	(void)err;
	struct runsc_run o = {0};
	if (crowd_peer_which("runsc", o.bin, sizeof(o.bin)) < 0 ||
	    crowd_peer_fmt(o.root, sizeof(o.root), "%s/state", dir) < 0)
		return;
	struct stat st;
	if (stat(o.root, &st) == 0) {
		char out[4096];
		if (runsc_cmd(&o, "list", "-quiet", NULL, NULL, out, sizeof(out), NULL) == 0) {
			for (char *save = NULL, *id = strtok_r(out, "\n", &save); id;
			     id = strtok_r(NULL, "\n", &save))
				if (!strncmp(id, "crowd-runsc-", 12) &&
				    runsc_cmd(&o, "delete", "-force", id, NULL, NULL, 0, NULL) == 0)
					ret->instances++;
		}
		crowd_peer_kill_by_args("--root", o.root);
	}
	const char *base = strrchr(dir, '/');
	char rel[PATH_MAX];
	if (base && crowd_peer_fmt(rel, sizeof(rel), "/%s/%s", crowd_peer_top(), base + 1) == 0)
		(void)crowd_cg_rmtree_kill(rel, 200);
	/* <top> where only runsc had made it (name=systemd, blkio...): crowd's own sweep walks
	 * the hierarchies crowd uses. */
	if (crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top()) == 0)
		crowd_cg_rmdir_empty(rel);
}

static int sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	return crowd_peer_sweep("runsc", sweep_run, NULL, ret, err);
}

const struct crowd_backend crowd_backend_runsc = {
    .name = "runsc",
    .help = "gVisor's runsc with the same OCI bundle (a sandbox kernel in user space)",
    .probe = probe,
    .open = open_run,
    .start = start,
    .ready = ready,
    .stats = stats,
    .stop = stop,
    .close = close_run,
    .sweep = sweep,
};
