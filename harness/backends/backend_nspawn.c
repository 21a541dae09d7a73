/* Backend nspawn: `systemd-nspawn --register=no --keep-unit --as-pid2` over the run's rootfs
 * (read-only; the rootfs make builds has the empty /usr nspawn insists on). No systemd runs
 * here, so there is no machine, no scope and no unit: crowd moves nspawn into a leaf of its
 * own cgroups before exec (limits, memory), and nspawn, treating that as its unit's cgroup,
 * makes <leaf>/supervisor for itself and <leaf>/payload for the container (name=systemd and
 * cgroup2 hierarchies). --private-network for net in --ns (an empty namespace, lo up);
 * nspawn always makes its own pid, mount, ipc and uts namespaces. Readiness: a per-container
 * FIFO bound at /run/crowd, named by CROWD_READY_PATH. Teardown: SIGKILL of the container's
 * pid 1 (what stopping the scope does), then nspawn exits on its own; the cgroups go after.
 * Engine overhead: PSS of the nspawn process, which stays as the container's parent. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* Where nspawn keeps a directory per machine name while it runs. */
#define NSPAWN_PROPAGATE "/run/systemd/nspawn/propagate"

struct nspawn_run {
	char bin[256];
	char rootfs[PATH_MAX];
	char *argv[96]; /* up to the machine name; the rest per container */
	unsigned argc;
	char caps[1024]; /* --capability=... */
	unsigned seq;
};

struct nspawn_inst {
	char name[64];
	char dir[PATH_MAX]; /* bound at /run/crowd: holds the FIFO "crowd.ready" */
	char fifo[PATH_MAX];
	int fifo_fd; /* the FIFO\'s read end; the readiness fd is an epoll of it and pidfd */
	char bind[PATH_MAX + 16];
	char log[PATH_MAX];
	pid_t pid; /* systemd-nspawn, our child */
	int pidfd;
	pid_t ctr_pid; /* pid 1 of the container (nspawn's stub init, --as-pid2) */
	int ctr_pidfd;
	struct crowd_cg *cg;
};

static int attach_cb(pid_t pid, void *ctx, struct crowd_error *err)
{
	return crowd_cg_attach(ctx, pid, err);
}

/* nspawn's lock on the image (-D: /run/systemd/nspawn/locks/inode-<dev>:<ino>, shared with
 * --read-only) is removed by the last nspawn to leave, unless that one was killed. Remove it
 * as systemd does: only when an exclusive lock can be had, i.e. no nspawn holds it. */
static void release_image_lock(const char *rootfs)
{
	struct stat st;
	char path[PATH_MAX];
	if (stat(rootfs, &st) < 0 ||
	    crowd_peer_fmt(path, sizeof(path), "/run/systemd/nspawn/locks/inode-%lu:%lu",
			   (unsigned long)st.st_dev, (unsigned long)st.st_ino) < 0)
		return;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		unlink(path);
	close(fd);
}

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which("systemd-nspawn", bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT,
				       "systemd-nspawn not found in PATH (apt-get "
				       "install systemd-container)");
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM,
				       "nspawn is driven as root here; run crowd as root");
	if (!cfg)
		return 0;
	int r = crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err);
	if (r < 0)
		return r;
	char usr[PATH_MAX];
	struct stat st;
	if (crowd_peer_fmt(usr, sizeof(usr), "%s/usr", strcmp(rootfs, "/") ? rootfs : "") < 0 ||
	    stat(usr, &st) < 0 || !S_ISDIR(st.st_mode))
		return crowd_error_set(err, ENOENT,
				       "%s has no /usr directory, which systemd-nspawn "
				       "requires (make builds build/rootfs with one)",
				       rootfs);
	if (!(cfg->ns & CLONE_NEWNET))
		return crowd_error_set(err, EINVAL,
				       "--ns without net is not driven by crowd (the "
				       "workloads would share the host's ports)");
	if ((cfg->ns & CLONE_NEWUSER) || cfg->rootless)
		return crowd_error_set(err, EINVAL,
				       "--ns user/--rootless are not mapped "
				       "(--private-users) by crowd");
	return 0;
}

static void add(struct nspawn_run *n, const char *a)
{
	if (n->argc + 1 < CROWD_ARRAY_SIZE(n->argv))
		n->argv[n->argc++] = (char *)a;
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct nspawn_run *n = calloc(1, sizeof(*n));
	if (!n)
		return crowd_error_set(err, ENOMEM, "nspawn: out of memory");
	int r;
	if (crowd_peer_which("systemd-nspawn", n->bin, sizeof(n->bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "systemd-nspawn not found in PATH");
		goto fail;
	}
	if ((r = crowd_peer_rootfs(cfg, n->rootfs, sizeof(n->rootfs), err)) < 0)
		goto fail;
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	/* For crowd clean after a killed run: which image nspawn locked. */
	char rec[PATH_MAX];
	if (crowd_peer_fmt(rec, sizeof(rec), "%s/rootfs", run->scratch) == 0) {
		FILE *f = fopen(rec, "we");
		if (f) {
			fputs(n->rootfs, f);
			fclose(f);
		}
	}
	add(n, n->bin);
	add(n, "--quiet");
	add(n, "--register=no");
	add(n, "--keep-unit");
	add(n, "--as-pid2");
	add(n, "-D");
	add(n, n->rootfs);
	add(n, "--read-only");
	if (cfg->ns & CLONE_NEWNET)
		add(n, "--private-network");
	add(n, "--timezone=off");
	add(n, "--resolv-conf=off");
	add(n, "--link-journal=no");
	add(n, "--console=pipe");
	if (cfg->security & CROWD_SEC_NNP)
		add(n, "--no-new-privileges=yes");
	if (cfg->caps == CROWD_CAPS_ALL)
		add(n, "--capability=all");
	else {
		/* nspawn's own default set minus everything, then crowd's profile. */
		add(n, "--drop-capability=all");
		if (cfg->caps == CROWD_CAPS_DEFAULT) {
			size_t off = (size_t)snprintf(n->caps, sizeof(n->caps), "--capability=");
			for (unsigned i = 0; i < crowd_caps_default_len && off < sizeof(n->caps);
			     i++)
				off +=
				    (size_t)snprintf(n->caps + off, sizeof(n->caps) - off, "%s%s",
						     i ? "," : "", crowd_caps_default_names[i]);
			add(n, n->caps);
		}
	}
	add(n, "--setenv=CROWD_READY_PATH=/run/crowd/crowd.ready");
	add(n, "--setenv=HOME=/");
	add(n, "--setenv=TERM=xterm");
	n->argv[n->argc] = NULL;

	size_t off = (size_t)snprintf(run->invocation, sizeof(run->invocation), "%s", n->bin);
	for (unsigned i = 1; i < n->argc && off < sizeof(run->invocation); i++)
		off += (size_t)snprintf(run->invocation + off, sizeof(run->invocation) - off, " %s",
					n->argv[i]);
	if (off < sizeof(run->invocation))
		snprintf(
		    run->invocation + off, sizeof(run->invocation) - off,
		    " --bind=<scratch>/<id>.run:/run/crowd -M <id> WORKLOAD... (readiness FIFO; "
		    "no systemd: nspawn runs in crowd's leaf <top>/<run>/<id> and makes "
		    "payload/ and supervisor/ under it; stop: SIGKILL of the container's pid 1)");
	char limits[160] = "";
	if (!run->cg)
		crowd_oci_limits_text(cfg, limits, sizeof(limits));
	size_t u = 0;
	run->unapplied[0] = '\0';
#define UN(...)                                                                                    \
	do {                                                                                       \
		if (u < sizeof(run->unapplied))                                                    \
			u += (size_t)snprintf(run->unapplied + u, sizeof(run->unapplied) - u,      \
					      __VA_ARGS__);                                        \
	} while (0)
	if (limits[0])
		UN("%s (no cgroup)", limits);
	if ((cfg->ns & (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)) !=
	    (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS))
		UN("%sns without pid/mnt/ipc/uts (nspawn always makes them)", u ? "; " : "");
	if (!(cfg->ns & CLONE_NEWCGROUP))
		UN("%sns without cgroup (nspawn makes one on cgroup2)", u ? "; " : "");
	UN("%sseccomp: nspawn's own filter, not crowd's%s", u ? "; " : "",
	   cfg->security & CROWD_SEC_SECCOMP ? "" : " (crowd asked for none)");
	if (cfg->security & CROWD_SEC_MASKS)
		UN("; masked paths: nspawn's own /proc, /sys handling");
	if (cfg->security & CROWD_SEC_DEVICES)
		UN("; device rules: nspawn's own");
	if (cfg->pod_size > 1)
		UN("; pod-size");
#undef UN
	run->priv = n;
	return 0;
fail:
	free(n);
	return r;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct nspawn_run *n = run->priv;
	const struct crowd_config *cfg = run->cfg;
	struct nspawn_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "nspawn: out of memory");
	c->pidfd = c->ctr_pidfd = c->fifo_fd = -1;
	inst->priv = c;
	unsigned seq = n->seq++;
	/* Unique across concurrent runs: nspawn keeps /run/systemd/nspawn/propagate/<name>. */
	crowd_peer_fmt(c->name, sizeof(c->name), "crowd-%s-%d-%u", run->run_name,
		       inst->sample.index, seq);
	for (char *p = c->name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			*p = '-';
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "nspawn-%d-%u",
			       inst->sample.index, seq);
	crowd_peer_fmt(c->dir, sizeof(c->dir), "%s/%s.run", run->scratch, inst->sample.id);
	crowd_peer_fmt(c->log, sizeof(c->log), "%s/%s.log", run->scratch, inst->sample.id);
	crowd_peer_fmt(c->bind, sizeof(c->bind), "--bind=%s:/run/crowd", c->dir);
	int r;
	if (mkdir(c->dir, 0700) < 0)
		return crowd_error_errno(err, errno, "nspawn: mkdir %s", c->dir);
	if (run->cg) {
		struct crowd_cg_limits lim = cfg->limits;
		crowd_sec_cg_limits(cfg->security, &lim);
		if ((r = crowd_cg_create(run->cg, inst->sample.id, &lim, &c->cg, err)) < 0)
			return crowd_error_prefix(err, "nspawn");
		inst->sample.t_cgroup_ns = crowd_now_ns() - run->t0_ns;
	}
	_cleanup_close_ int rd =
	    crowd_ready_fifo_open(c->dir, "crowd", c->fifo, sizeof(c->fifo), err);
	if (rd < 0)
		return crowd_error_prefix(err, "nspawn");
	_cleanup_close_ int logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return crowd_error_errno(err, errno, "open %s", c->log);

	char *argv[CROWD_ARRAY_SIZE(n->argv) + CROWD_ARRAY_SIZE(cfg->workload.argv) + 4];
	size_t k = 0;
	for (unsigned i = 0; i < n->argc; i++)
		argv[k++] = n->argv[i];
	argv[k++] = c->bind;
	argv[k++] = "-M";
	argv[k++] = c->name;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		argv[k++] = cfg->workload.argv[i];
	argv[k] = NULL;
	struct crowd_peer_spawn s = {.argv = argv,
				     .stdin_fd = -1,
				     .stdout_fd = logfd,
				     .stderr_fd = logfd,
				     .in_parent = c->cg ? attach_cb : NULL,
				     .ctx = c->cg};
	if ((r = crowd_peer_spawn(&s, &c->pid, &c->pidfd, err)) < 0)
		return crowd_error_prefix(err, "nspawn");
	inst->pid = c->pid;
	inst->pidfd = c->pidfd;
	c->fifo_fd = crowd_steal_fd(rd);
	int ep = crowd_engine_wait_fd(c->fifo_fd, c->pidfd, err);
	if (ep < 0)
		return crowd_error_prefix(err, "nspawn");
	inst->ready_fd = ep;
	inst->started = true;
	return 0;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct nspawn_inst *c = inst->priv;
	int n = crowd_engine_ready(c->fifo_fd, &c->pid, &inst->pid, c->log, NULL, "nspawn",
				   "systemd-nspawn", err);
	if (n <= 0)
		return n;
	c->ctr_pid = crowd_peer_first_child(c->pid);
	if (!c->ctr_pid)
		return crowd_error_set(err, ESRCH, "nspawn: no container process under nspawn");
	int fd = (int)syscall(SYS_pidfd_open, c->ctr_pid, 0);
	c->ctr_pidfd = fd >= 0 ? fd : -1;
	if (run->cfg->ns & CLONE_NEWNET) {
		int ns = crowd_peer_netns_open(c->ctr_pid);
		if (ns < 0)
			return crowd_error_errno(err, -ns, "nspawn: open /proc/%d/ns/net",
						 (int)c->ctr_pid);
		inst->netns_fd = ns;
	}
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = run->cfg->workload.desc ? run->cfg->workload.desc->port : 0;
	return 1;
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct nspawn_inst *c = inst->priv;
	if (!c || !c->ctr_pid)
		return crowd_error_set(err, ESRCH, "nspawn: no container process");
	int r = crowd_mem_tree(c->ctr_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	/* On a v1 memory hierarchy the leaf holds nspawn too (it moves itself only in the
	 * name=systemd and cgroup2 ones). */
	crowd_peer_cg_memory(c->cg, inst);
	int64_t pss = -1, rss = -1;
	if (crowd_mem_pids(&c->pid, 1, &pss, &rss, NULL) == 0 && pss >= 0)
		inst->sample.engine_bytes = pss;
	return 0;
}

/* nspawn's payload/ and supervisor/ below the leaf, in every hierarchy. */
static unsigned rm_nspawn_cgroups(struct crowd_cg *cg)
{
	const char *p = cg ? crowd_cg_path(cg, "unified") : NULL;
	if (!p)
		return 0;
	const char *rel = NULL;
	if (!strncmp(p, "/sys/fs/cgroup/unified/", 23))
		rel = p + 22;
	else if (!strncmp(p, "/sys/fs/cgroup/", 15))
		rel = p + 14;
	if (!rel)
		return 0;
	char sub[PATH_MAX];
	unsigned left = 0;
	if (crowd_peer_fmt(sub, sizeof(sub), "%s/payload", rel) == 0)
		left += crowd_cg_rmtree(sub);
	if (crowd_peer_fmt(sub, sizeof(sub), "%s/supervisor", rel) == 0)
		left += crowd_cg_rmtree(sub);
	return left;
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct nspawn_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	/* pid 1 of the container's pid namespace: the kernel kills the rest, and nspawn exits.
	 * Half-started (no pid 1 known yet): nspawn's whole tree; the leaf's kill below gets
	 * anything that escaped. */
	bool killed = false;
	if (c->ctr_pidfd >= 0)
		killed = syscall(SYS_pidfd_send_signal, c->ctr_pidfd, SIGKILL, NULL, 0) == 0;
	if (c->pid > 0 && (!killed || crowd_peer_wait(c->pid, c->pidfd, 5000, NULL) < 0))
		crowd_peer_kill_tree(&c->pid, &c->pidfd);
	c->pid = 0;
	crowd_closep(&c->pidfd);
	crowd_closep(&c->ctr_pidfd);
	/* nspawn removes its machine directory on its way out, unless it was killed (a
	 * half-started container): the name is this run's own. */
	char prop[PATH_MAX];
	if (crowd_peer_fmt(prop, sizeof(prop), "%s/%s", NSPAWN_PROPAGATE, c->name) == 0)
		crowd_peer_rmtree(prop, NULL);
	if (c->cg) {
		/* Whatever survived (a half-started container) is in the leaf's subtree. */
		crowd_cg_kill(c->cg, NULL);
		unsigned left = 0;
		for (int i = 0; i < 200 && (left = rm_nspawn_cgroups(c->cg)); i++)
			usleep(5000);
		if (left)
			ret = crowd_error_set(err, EBUSY, "nspawn: %u cgroups of %s left", left,
					      c->name);
		const char *p = crowd_cg_path(c->cg, "unified");
		char rel[PATH_MAX] = "";
		if (p && !strncmp(p, "/sys/fs/cgroup/unified/", 23))
			crowd_peer_fmt(rel, sizeof(rel), "%s", p + 22);
		int r = crowd_peer_cg_destroy(&c->cg, ret ? NULL : err);
		if (r < 0 && !ret)
			ret = r;
		/* nspawn made the leaf in name=systemd too (mkdir -p of payload/). */
		if (rel[0])
			crowd_cg_rmdir_empty(rel);
	}
	crowd_ready_fifo_close(&c->fifo_fd, c->fifo);
	rmdir(c->dir);
	unlink(c->log);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void close_run(struct crowd_backend_run *run)
{
	/* In name=systemd, which crowd does not use, nspawn's mkdir -p also made <top>/<run>
	 * and <top>: gone once empty. */
	char path[PATH_MAX];
	if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/systemd/%s/%s", crowd_peer_top(),
			   run->run_name) == 0)
		rmdir(path);
	if (crowd_peer_fmt(path, sizeof(path), "/sys/fs/cgroup/systemd/%s", crowd_peer_top()) == 0)
		rmdir(path);
	struct nspawn_run *n = run->priv;
	if (n)
		release_image_lock(n->rootfs);
	free(run->priv);
	run->priv = NULL;
	crowd_peer_scratch_remove(run);
}

/* One run's scratch left by a killed crowd: the nspawn processes bound to its directories,
 * then their containers and cgroups. */
static void sweep_run(const char *dir, const void *ctx, struct crowd_sweep *ret,
		      struct crowd_error *err)
{
	(void)ctx;
	(void)err;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".run"))
			continue;
		char bind[PATH_MAX + 16];
		if (crowd_peer_fmt(bind, sizeof(bind), "--bind=%s/%s:/run/crowd", dir, de->d_name) <
		    0)
			continue;
		ret->instances += crowd_peer_kill_by_args("--setenv=TERM=xterm", bind);
		/* A killed nspawn leaves its machine's /run/systemd/nspawn/propagate/<name>
		 * (name: see start()). */
		const char *b = strrchr(dir, '/');
		size_t blen = b ? strlen(b + 1) : 0;
		char prop[PATH_MAX];
		if (blen > 7 && !strncmp(de->d_name, "nspawn-", 7) &&
		    crowd_peer_fmt(prop, sizeof(prop), "%s/crowd-%.*s-%.*s", NSPAWN_PROPAGATE,
				   (int)(blen - 7), b + 1, (int)(l - 4 - 7), de->d_name + 7) == 0)
			crowd_peer_rmtree(prop, NULL);
	}
	closedir(d);
	char rec[PATH_MAX], rootfs[PATH_MAX];
	ssize_t rl;
	if (crowd_peer_fmt(rec, sizeof(rec), "%s/rootfs", dir) == 0 &&
	    (rl = crowd_read_file(rec, rootfs, sizeof(rootfs), NULL)) > 0) {
		rootfs[rl < (ssize_t)sizeof(rootfs) ? rl : (ssize_t)sizeof(rootfs) - 1] = '\0';
		release_image_lock(rootfs);
	}
	/* The containers outlive a killed nspawn (no PR_SET_PDEATHSIG): kill what the run's
	 * leaves hold, and remove nspawn's payload/ and supervisor/ under them, also in
	 * name=systemd, which crowd's own cgroup sweep does not walk; then <top> there. */
	const char *base = strrchr(dir, '/');
	char rel[PATH_MAX];
	size_t bl = base ? strlen(base + 1) : 0;
	if (bl > 7 && !strcmp(base + 1 + bl - 7, "-nspawn") &&
	    crowd_peer_fmt(rel, sizeof(rel), "/%s/%.*s", crowd_peer_top(), (int)(bl - 7),
			   base + 1) == 0)
		(void)crowd_cg_rmtree_kill(rel, 200);
	if (crowd_peer_fmt(rel, sizeof(rel), "/%s", crowd_peer_top()) == 0)
		crowd_cg_rmdir_empty(rel);
}

static int sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	return crowd_peer_sweep("nspawn", sweep_run, NULL, ret, err);
}

const struct crowd_backend crowd_backend_nspawn = {
    .name = "nspawn",
    .help = "systemd-nspawn --register=no --keep-unit --as-pid2 over the same rootfs",
    .probe = probe,
    .open = open_run,
    .start = start,
    .ready = ready,
    .stats = stats,
    .stop = stop,
    .close = close_run,
    .sweep = sweep,
};
