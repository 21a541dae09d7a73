/* Backend bwrap: bubblewrap with --unshare-* matching --ns, the rootfs bound read-only at /,
 * fresh /proc, /dev and /tmp, the capability profile by --cap-drop/--cap-add, and the
 * readiness pipe inherited as fd 3. No cgroup: limits are reported unapplied. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "core/caps.h"
#include "engine/memory.h"
#include "oci.h"
#include "peer.h"
#include "core/util.h"

struct bwrap_run {
	char bin[256];
	char rootfs[PATH_MAX];
	char *argv[128]; /* everything up to and including "--"; the workload argv follows */
	unsigned argc;
	unsigned seq;
	char exe_name[256]; /* file name the workload's binary resolves to in the rootfs */
};

struct bwrap_inst {
	pid_t pid; /* bwrap, our child */
	int pidfd;
	pid_t ctr_pid; /* bwrap's child: pid 1 of the new pid namespace (or the workload) */
	char log[PATH_MAX];
	struct crowd_cg *cg; /* crowd's leaf around bwrap (bwrap makes no cgroup) */
};

static int attach_cb(pid_t pid, void *ctx, struct crowd_error *err)
{
	return crowd_cg_attach(ctx, pid, err);
}

/* --ns flag -> bwrap option */
static const struct {
	unsigned long flag;
	const char *opt;
} unshare_map[] = {
	{CLONE_NEWPID, "--unshare-pid"}, {CLONE_NEWNET, "--unshare-net"},
	{CLONE_NEWIPC, "--unshare-ipc"}, {CLONE_NEWUTS, "--unshare-uts"},
	{CLONE_NEWUSER, "--unshare-user"}, {CLONE_NEWCGROUP, "--unshare-cgroup"},
};

static int probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which("bwrap", bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT,
				       "bwrap not found in PATH (apt-get install bubblewrap)");
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM,
				       "bwrap is driven as root here; run crowd as root");
	if (cfg)
		return crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err);
	return 0;
}

/* bwrap dies with crowd (--die-with-parent): only the scratch directories are left. */
static int sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	return crowd_peer_sweep("bwrap", NULL, NULL, ret, err);
}

static void add(struct bwrap_run *b, const char *arg)
{
	if (b->argc + 1 < CROWD_ARRAY_SIZE(b->argv))
		b->argv[b->argc++] = (char *)arg;
}

static int open_run(struct crowd_backend_run *run, struct crowd_error *err)
{
	const struct crowd_config *cfg = run->cfg;
	struct bwrap_run *b = calloc(1, sizeof(*b));
	if (!b)
		return crowd_error_set(err, ENOMEM, "bwrap: out of memory");
	int r;
	if (crowd_peer_which("bwrap", b->bin, sizeof(b->bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "bwrap not found in PATH");
		goto fail;
	}
	if ((r = crowd_peer_rootfs(cfg, b->rootfs, sizeof(b->rootfs), err)) < 0)
		goto fail;
	if ((r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	/* /bin/sleep in a busybox rootfs runs as "busybox": compare what the path resolves to. */
	const char *a0 = cfg->workload.argv[0] ? cfg->workload.argv[0] : "";
	char full[PATH_MAX], *real = NULL;
	if (crowd_peer_fmt(full, sizeof(full), "%s/%s", strcmp(b->rootfs, "/") ? b->rootfs : "",
			   a0) == 0)
		real = realpath(full, NULL);
	const char *name = strrchr(real ? real : a0, '/');
	snprintf(b->exe_name, sizeof(b->exe_name), "%s", name ? name + 1 : (real ? real : a0));
	free(real);
	add(b, b->bin);
	add(b, "--die-with-parent");
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(unshare_map); i++)
		if ((cfg->ns & unshare_map[i].flag) ||
		    (unshare_map[i].flag == CLONE_NEWUSER && cfg->rootless))
			add(b, unshare_map[i].opt);
	add(b, "--ro-bind");
	add(b, b->rootfs);
	add(b, "/");
	add(b, "--proc");
	add(b, "/proc");
	add(b, "--dev");
	add(b, "/dev");
	add(b, "--tmpfs");
	add(b, "/tmp");
	if (cfg->ns & CLONE_NEWUTS) {
		add(b, "--hostname");
		add(b, "crowd");
	}
	add(b, "--clearenv");
	add(b, "--setenv");
	add(b, "PATH");
	add(b, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	add(b, "--setenv");
	add(b, "HOME");
	add(b, "/");
	add(b, "--setenv");
	add(b, "TERM");
	add(b, "xterm");
	if (cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD) {
		add(b, "--setenv");
		add(b, "CROWD_READY_FD");
		add(b, "3");
	}
	if (cfg->caps != CROWD_CAPS_ALL) {
		add(b, "--cap-drop");
		add(b, "ALL");
	}
	if (cfg->caps == CROWD_CAPS_DEFAULT)
		for (unsigned i = 0; i < crowd_caps_default_len; i++) {
			add(b, "--cap-add");
			add(b, crowd_caps_default_names[i]);
		}
	/* The run's filter (compiled once), from a fresh fd per instance after the readiness one. */
	if (cfg->security & CROWD_SEC_SECCOMP) {
		bool ready = cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD;
		add(b, "--seccomp");
		add(b, ready ? "4" : "3");
	}
	add(b, "--chdir");
	add(b, "/");
	add(b, "--");
	b->argv[b->argc] = NULL;

	size_t off = (size_t)snprintf(run->invocation, sizeof(run->invocation), "%s", b->bin);
	for (unsigned i = 1; i < b->argc && off < sizeof(run->invocation); i++) {
		const char *a = b->argv[i];
		if (!strcmp(a, "--cap-add") && i + 1 < b->argc &&
		    !strcmp(b->argv[i + 1], crowd_caps_default_names[0])) {
			off += (size_t)snprintf(run->invocation + off, sizeof(run->invocation) - off,
						" --cap-add <each of the %u default caps>",
						crowd_caps_default_len);
			i += 2 * crowd_caps_default_len - 1;
			continue;
		}
		off += (size_t)snprintf(run->invocation + off, sizeof(run->invocation) - off, " %s",
					a);
	}
	if (off < sizeof(run->invocation))
		snprintf(run->invocation + off, sizeof(run->invocation) - off,
			 " WORKLOAD... (readiness fd 3 inherited)");

	char limits[160] = "";
	if (!run->cg)
		crowd_oci_limits_text(cfg, limits, sizeof(limits));
	else {
		size_t l = strlen(run->invocation);
		crowd_peer_fmt(run->invocation + l, sizeof(run->invocation) - l,
			       "; before exec crowd moves bwrap into the leaf <top>/<run>/<id> of its "
			       "own cgroups, which apply the limits");
	}
	crowd_peer_fmt(run->unapplied, sizeof(run->unapplied), "%s%smasked /proc paths%s",
		       limits, limits[0] ? "; " : "", cfg->pod_size > 1 ? "; pod-size" : "");
	if (limits[0]) {
		size_t l = strlen(run->unapplied);
		crowd_peer_fmt(run->unapplied + l, sizeof(run->unapplied) - l,
			       " (bwrap makes no cgroup)");
	}
	run->priv = b;
	return 0;
fail:
	free(b);
	return r;
}

static int start(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct bwrap_run *b = run->priv;
	const struct crowd_config *cfg = run->cfg;
	struct bwrap_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "bwrap: out of memory");
	c->pidfd = -1;
	inst->priv = c;
	unsigned seq = b->seq++;
	if (!inst->sample.id[0])
		snprintf(inst->sample.id, sizeof(inst->sample.id), "bwrap-%d-%u", inst->sample.index,
			 seq);
	crowd_peer_fmt(c->log, sizeof(c->log), "%s/bwrap-%u.log", run->scratch, seq);
	if (run->cg) {
		char leaf[64];
		snprintf(leaf, sizeof(leaf), "bwrap-%d-%u", inst->sample.index, seq);
		struct crowd_cg_limits lim = cfg->limits;
		crowd_sec_cg_limits(cfg->security, &lim);
		int q = crowd_cg_create(run->cg, leaf, &lim, &c->cg, err);
		if (q < 0)
			return crowd_error_prefix(err, "bwrap");
		inst->sample.t_cgroup_ns = crowd_now_ns() - run->t0_ns;
	}

	char *argv[CROWD_ARRAY_SIZE(b->argv) + CROWD_ARRAY_SIZE(cfg->workload.argv)];
	size_t n = 0;
	for (unsigned i = 0; i < b->argc; i++)
		argv[n++] = b->argv[i];
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		argv[n++] = cfg->workload.argv[i];
	argv[n] = NULL;

	bool fd_ready = cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD;
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return crowd_error_errno(err, errno, "pipe");
	_cleanup_close_ int rd = p[0];
	_cleanup_close_ int wr = p[1];
	_cleanup_close_ int logfd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0)
		return crowd_error_errno(err, errno, "open %s", c->log);
	_cleanup_close_ int scfd = -1;
	if (cfg->security & CROWD_SEC_SECCOMP) {
		const struct crowd_seccomp *sc = cfg->seccomp;
		int q = sc ? 0 : crowd_seccomp_default(&sc, err);
		if (q < 0 || (scfd = q = crowd_seccomp_memfd(sc, err)) < 0)
			return crowd_error_prefix(err, "bwrap");
	}
	if (!fd_ready) {
		/* No readiness byte: a 1 ms tick, and ready once the workload's binary runs. */
		crowd_closep(&rd);
		rd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (rd < 0)
			return crowd_error_errno(err, errno, "timerfd");
		struct itimerspec its = {.it_interval = {0, 1000000}, .it_value = {0, 1000000}};
		timerfd_settime(rd, 0, &its, NULL);
	}
	int keep[2] = {fd_ready ? wr : scfd, scfd};
	unsigned n_keep = (fd_ready ? 1u : 0u) + (scfd >= 0 ? 1u : 0u);
	struct crowd_peer_spawn s = {.argv = argv, .keep_fds = keep, .n_keep = n_keep,
				     .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd,
				     .flags = 0, .in_parent = c->cg ? attach_cb : NULL, .ctx = c->cg};
	int r = crowd_peer_spawn(&s, &c->pid, &c->pidfd, err);
	if (r < 0) {
		crowd_cg_destroy(c->cg, NULL);
		c->cg = NULL;
		return crowd_error_prefix(err, "bwrap");
	}
	inst->pid = c->pid;
	inst->pidfd = c->pidfd;
	inst->ready_fd = crowd_steal_fd(rd);
	inst->started = true;
	return 0;
}

/* Some descendant of pid executes a file named base (the workload's binary). */
static bool runs_workload(pid_t pid, const char *base)
{
	pid_t p = pid;
	for (int depth = 0; depth < 4 && (p = crowd_peer_first_child(p)); depth++) {
		char link[64], exe[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/exe", (int)p);
		ssize_t n = readlink(link, exe, sizeof(exe) - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		const char *e = strrchr(exe, '/');
		if (!strcmp(e ? e + 1 : exe, base))
			return true;
	}
	return false;
}

static int ready(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	struct bwrap_inst *c = inst->priv;
	const struct crowd_config *cfg = run->cfg;
	bool fd_ready = cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD;
	char buf[8];
	ssize_t n = read(inst->ready_fd, buf, fd_ready ? 1 : sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (fd_ready && n <= 0) {
		char tail[200];
		crowd_peer_log_tail(c->log, tail, sizeof(tail));
		return crowd_error_set(err, EIO, "bwrap: workload exited before it was ready%s%s",
				       tail[0] ? ": " : "", tail);
	}
	if (!fd_ready && waitpid(c->pid, NULL, WNOHANG) == c->pid) {
		c->pid = 0;
		inst->pid = 0;
		char tail[200];
		crowd_peer_log_tail(c->log, tail, sizeof(tail));
		return crowd_error_set(err, EIO, "bwrap exited%s%s", tail[0] ? ": " : "", tail);
	}
	struct bwrap_run *b = run->priv;
	if (!fd_ready && !runs_workload(c->pid, b->exe_name))
		return 0;
	c->ctr_pid = crowd_peer_first_child(c->pid);
	if (cfg->ns & CLONE_NEWNET) {
		pid_t np = crowd_peer_find_netns_child(c->pid);
		int fd = np ? crowd_peer_netns_open(np) : -ESRCH;
		if (fd < 0)
			return crowd_error_errno(err, -fd, "bwrap: network namespace of the workload");
		inst->netns_fd = fd;
	}
	snprintf(inst->addr, sizeof(inst->addr), "127.0.0.1");
	inst->port = cfg->workload.desc ? cfg->workload.desc->port : 0;
	return 1;
}

static int stats(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct bwrap_inst *c = inst->priv;
	/* From bwrap's child down: the monitoring bwrap outside is the runtime's, as the
	 * waiting `crun run` is for crun. */
	pid_t top = c && c->ctr_pid ? c->ctr_pid : (c ? c->pid : 0);
	if (!top)
		return crowd_error_set(err, ESRCH, "bwrap: no process");
	crowd_peer_cg_memory(c->cg, inst);
	return crowd_mem_tree(top, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
}

static int stop(struct crowd_backend_run *run, struct crowd_inst *inst, struct crowd_error *err)
{
	(void)run;
	struct bwrap_inst *c = inst->priv;
	if (!c)
		return 0;
	crowd_peer_kill_tree(&c->pid, &c->pidfd);
	int ret = crowd_peer_cg_destroy(&c->cg, err);
	unlink(c->log);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void close_run(struct crowd_backend_run *run)
{
	free(run->priv);
	run->priv = NULL;
	crowd_peer_scratch_remove(run);
}

const struct crowd_backend crowd_backend_bwrap = {
	.name = "bwrap",
	.help = "bubblewrap: --unshare-* matching --ns over the same rootfs, read-only",
	.probe = probe,
	.sweep = sweep,
	.open = open_run,
	.start = start,
	.ready = ready,
	.stats = stats,
	.stop = stop,
	.close = close_run,
};
