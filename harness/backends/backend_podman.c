/* Backend podman: `podman run -d` (daemonless: podman starts conmon, which starts the OCI
 * runtime and stays as the container's monitor), the image crowd's rootfs imported once as
 * crowd-rootfs:<content hash>, readiness through a bind-mounted FIFO (ready_fifo.h), the
 * container's pid from --pidfile; stop is `podman rm -f -t 0`.
 *
 * Two settings make it run on this kind of host (recorded in host.json):
 * - rlimits: podman asks the runtime for RLIMIT_NOFILE/NPROC of 1048576 or more, which fails
 *   without CAP_SYS_RESOURCE ("setrlimit ... Operation not permitted"); crowd passes --ulimit
 *   values within what conmon has: NOFILE crowd's own hard limit, NPROC at most 32768 (podman
 *   runs conmon with that hard limit when the host's is higher).
 * - runtime: on a hybrid cgroup host crun refuses ("cgroups in hybrid mode not supported"),
 *   so --runtime runc there. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"
#include "engine_wait.h"
#include "core/security.h"
#include "core/util.h"
#include "engine/memory.h"
#include "engine_img.h"
#include "peer.h"
#include "ready_fifo.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

#define NPROC_CAP 32768

struct pm_run {
	char bin[256];
	char image[64];
	char prefix[96]; /* crowd-<top>-<run>- */
	char top_label[80];
	char cg_parent[192]; /* /<top>/<run>-podman */
	char nofile[48], nproc[48];
	bool runc; /* --runtime runc (hybrid cgroups) */
	unsigned seq;
	pthread_mutex_t mu;
};

struct pm_inst {
	char name[160];
	char pidfile[PATH_MAX];
	char conmon_pidfile[PATH_MAX];
	char fifo[PATH_MAX];
	int fifo_fd;
	pid_t ctr_pid, conmon_pid;
	int ctr_pidfd;
	bool created;
};

static bool hybrid_cgroups(void)
{
	struct stat st;
	return stat("/sys/fs/cgroup/unified", &st) == 0 && stat("/sys/fs/cgroup/memory", &st) == 0;
}

static int podman_probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char bin[256], rootfs[PATH_MAX];
	if (crowd_peer_which("podman", bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT,
				       "podman not found in PATH (apt-get install podman)");
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM,
				       "podman is driven as root here; run crowd as root");
	if (hybrid_cgroups() && crowd_peer_which("runc", bin, sizeof(bin)) < 0)
		return crowd_error_set(err, ENOENT,
				       "podman needs runc on a hybrid cgroup host (crun "
				       "refuses it): apt-get install runc");
	if (cfg) {
		int r = crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err);
		if (r < 0)
			return r;
		if (!strcmp(rootfs, "/"))
			return crowd_error_set(err, EINVAL,
					       "podman needs --rootfs DIR (an image is "
					       "made of it), not the host's root");
	}
	return 0;
}

/* Run podman with argv (argv[0] set here); its output into out. */
static int pm_run_cmd(struct pm_run *p, char **argv, int timeout_ms, char *out, size_t outlen,
		      struct crowd_error *err)
{
	argv[0] = p->bin;
	return crowd_peer_run(argv, 0, timeout_ms, out, outlen, err);
}

static int ensure_image(struct crowd_backend_run *run, struct pm_run *p, const char *rootfs,
			struct crowd_error *err)
{
	char tar[PATH_MAX], tag[17], out[512];
	if (crowd_peer_fmt(tar, sizeof(tar), "%s/rootfs.tar", run->scratch) < 0)
		return crowd_error_set(err, ENAMETOOLONG, "scratch path too long");
	int r = crowd_engine_rootfs_tar(rootfs, tar, tag, err);
	if (r < 0)
		return r;
	snprintf(p->image, sizeof(p->image), "%s:%s", CROWD_ENGINE_IMAGE_REPO, tag);
	char *exists[] = {NULL, "image", "exists", p->image, NULL};
	r = pm_run_cmd(p, exists, 30000, out, sizeof(out), err);
	if (r > 0) {
		char *imp[] = {NULL, "import", "--quiet", tar, p->image, NULL};
		r = pm_run_cmd(p, imp, 120000, out, sizeof(out), err);
		if (r > 0)
			r = crowd_error_set(err, EIO, "podman import %s as %s: %s", rootfs,
					    p->image, out);
	}
	unlink(tar);
	return r < 0 ? r : 0;
}

static int podman_open(struct crowd_backend_run *run, struct crowd_error *err)
{
	struct pm_run *p = calloc(1, sizeof(*p));
	if (!p)
		return crowd_error_set(err, ENOMEM, "podman: out of memory");
	pthread_mutex_init(&p->mu, NULL);
	char rootfs[PATH_MAX];
	int r;
	if (crowd_peer_which("podman", p->bin, sizeof(p->bin)) < 0) {
		r = crowd_error_set(err, ENOENT, "podman not found in PATH");
		goto fail;
	}
	if ((r = crowd_peer_rootfs(run->cfg, rootfs, sizeof(rootfs), err)) < 0 ||
	    (r = crowd_peer_scratch(run, err)) < 0 || (r = ensure_image(run, p, rootfs, err)) < 0)
		goto fail;
	p->runc = hybrid_cgroups();
	struct rlimit nf = {0}, np = {0};
	getrlimit(RLIMIT_NOFILE, &nf);
	getrlimit(RLIMIT_NPROC, &np);
	unsigned long long nproc = np.rlim_max == RLIM_INFINITY || np.rlim_max > NPROC_CAP
				       ? NPROC_CAP
				       : (unsigned long long)np.rlim_max;
	unsigned long long nofile = nf.rlim_max == RLIM_INFINITY || nf.rlim_max > 1048576
					? 1048576
					: (unsigned long long)nf.rlim_max;
	snprintf(p->nofile, sizeof(p->nofile), "nofile=%llu:%llu", nofile, nofile);
	snprintf(p->nproc, sizeof(p->nproc), "nproc=%llu:%llu", nproc, nproc);
	snprintf(p->top_label, sizeof(p->top_label), "%s", crowd_peer_top());
	crowd_engine_safe_name(p->top_label);
	crowd_peer_fmt(p->prefix, sizeof(p->prefix), "crowd-%s-%s-", crowd_peer_top(),
		       run->run_name);
	crowd_engine_safe_name(p->prefix);
	crowd_peer_fmt(p->cg_parent, sizeof(p->cg_parent), "/%s/%s-podman", crowd_peer_top(),
		       run->run_name);
	const struct crowd_config *cfg = run->cfg;
	crowd_peer_fmt(run->invocation, sizeof(run->invocation),
		       "%s run -d --name <name>%s --cgroup-manager cgroupfs --cgroup-parent %s "
		       "--network %s --pid %s --ipc %s --uts %s --cgroupns %s --ulimit %s --ulimit "
		       "%s --log-driver none --pidfile <scratch>/<id>.pid --conmon-pidfile "
		       "<scratch>/<id>.conmon -v <scratch>/<id>.ready:%s -e CROWD_READY_PATH=%s "
		       "--label crowd.top=%s %s <workload>; stop: podman rm -f -t 0 <name>",
		       p->bin, p->runc ? " --runtime runc" : "", p->cg_parent,
		       cfg->ns & CLONE_NEWNET ? "none" : "host",
		       cfg->ns & CLONE_NEWPID ? "private" : "host",
		       cfg->ns & CLONE_NEWIPC ? "private" : "host",
		       cfg->ns & CLONE_NEWUTS ? "private" : "host",
		       cfg->ns & CLONE_NEWCGROUP ? "private" : "host", p->nofile, p->nproc,
		       CROWD_READY_FIFO_INSIDE, CROWD_READY_FIFO_INSIDE, p->top_label, p->image);
	size_t off = 0;
	char *un = run->unapplied;
	size_t ul = sizeof(run->unapplied);
	crowd_peer_fmt(un, ul, "rlimits %s %s (podman's defaults need CAP_SYS_RESOURCE)%s",
		       p->nofile, p->nproc,
		       p->runc ? "; runtime runc (crun refuses hybrid cgroups)" : "");
	off = strlen(un);
	if (!(cfg->ns & CLONE_NEWNS))
		crowd_peer_fmt(un + off, ul - off, "; ns without mnt");
	off = strlen(un);
	if (cfg->ns & CLONE_NEWUSER)
		crowd_peer_fmt(un + off, ul - off, "; ns user (not mapped)");
	off = strlen(un);
	crowd_peer_fmt(un + off, ul - off, "; security: podman's own capabilities, devices, masks");
	run->priv = p;
	return 0;
fail:
	pthread_mutex_destroy(&p->mu);
	free(p);
	crowd_peer_scratch_remove(run);
	return r;
}

static int podman_start(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	struct pm_run *p = run->priv;
	const struct crowd_config *cfg = run->cfg;
	struct pm_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "podman: out of memory");
	c->fifo_fd = c->ctr_pidfd = -1;
	inst->priv = c;
	pthread_mutex_lock(&p->mu);
	unsigned seq = p->seq++;
	pthread_mutex_unlock(&p->mu);
	crowd_peer_fmt(c->name, sizeof(c->name), "%s%d-%u", p->prefix, inst->sample.index, seq);
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "podman-%d-%u",
			       inst->sample.index, seq);
	crowd_peer_fmt(c->pidfile, sizeof(c->pidfile), "%s/podman-%u.pid", run->scratch, seq);
	crowd_peer_fmt(c->conmon_pidfile, sizeof(c->conmon_pidfile), "%s/podman-%u.conmon",
		       run->scratch, seq);
	bool fd_ready = cfg->workload.desc && cfg->workload.desc->ready == CROWD_READY_FD;
	int r;
	char vol[PATH_MAX + 64], label[128], cgp[256];
	if (fd_ready) {
		char fname[64];
		snprintf(fname, sizeof(fname), "podman-%u", seq);
		if ((r = crowd_ready_fifo_open(run->scratch, fname, c->fifo, sizeof(c->fifo),
					       err)) < 0)
			return r;
		c->fifo_fd = r;
		snprintf(vol, sizeof(vol), "%s:%s", c->fifo, CROWD_READY_FIFO_INSIDE);
	}
	snprintf(label, sizeof(label), "crowd.top=%s", p->top_label);
	snprintf(cgp, sizeof(cgp), "%s", p->cg_parent);

	char *argv[96];
	int n = 1;
#define A(x) argv[n++] = (char *)(x)
	A("run");
	A("-d");
	A("--name");
	A(c->name);
	if (p->runc) {
		A("--runtime");
		A("runc");
	}
	A("--cgroup-manager");
	A("cgroupfs");
	A("--cgroup-parent");
	A(cgp);
	A("--network");
	A(cfg->ns & CLONE_NEWNET ? "none" : "host");
	A("--pid");
	A(cfg->ns & CLONE_NEWPID ? "private" : "host");
	A("--ipc");
	A(cfg->ns & CLONE_NEWIPC ? "private" : "host");
	A("--uts");
	A(cfg->ns & CLONE_NEWUTS ? "private" : "host");
	A("--cgroupns");
	A(cfg->ns & CLONE_NEWCGROUP ? "private" : "host");
	A("--ulimit");
	A(p->nofile);
	A("--ulimit");
	A(p->nproc);
	A("--log-driver");
	A("none");
	A("--pidfile");
	A(c->pidfile);
	A("--conmon-pidfile");
	A(c->conmon_pidfile);
	A("--label");
	A(label);
	if (cfg->security & CROWD_SEC_NNP) {
		A("--security-opt");
		A("no-new-privileges");
	}
	if (!(cfg->security & CROWD_SEC_SECCOMP)) {
		A("--security-opt");
		A("seccomp=unconfined");
	}
	if (!(cfg->security & CROWD_SEC_MASKS)) {
		A("--security-opt");
		A("unmask=ALL");
	}
	char mem[32], pids[32], cpus[48];
	if (cfg->limits.memory_max_bytes > 0) {
		snprintf(mem, sizeof(mem), "%lld", (long long)cfg->limits.memory_max_bytes);
		A("--memory");
		A(mem);
	}
	if (cfg->limits.pids_max > 0) {
		snprintf(pids, sizeof(pids), "%lld", (long long)cfg->limits.pids_max);
		A("--pids-limit");
		A(pids);
	}
	if (cfg->limits.cpu_quota_us > 0 && cfg->limits.cpu_period_us > 0) {
		snprintf(cpus, sizeof(cpus), "%.3f",
			 (double)cfg->limits.cpu_quota_us / (double)cfg->limits.cpu_period_us);
		A("--cpus");
		A(cpus);
	}
	if (cfg->limits.cpuset_cpus[0]) {
		A("--cpuset-cpus");
		A(cfg->limits.cpuset_cpus);
	}
	if (fd_ready) {
		A("-v");
		A(vol);
		A("-e");
		A("CROWD_READY_PATH=" CROWD_READY_FIFO_INSIDE);
	}
	A(p->image);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i] &&
			   n < (int)CROWD_ARRAY_SIZE(argv) - 1;
	     i++)
		A(cfg->workload.argv[i]);
	argv[n] = NULL;
#undef A
	char out[1024];
	c->created = true; /* stop() removes it by name, whatever happened */
	r = pm_run_cmd(p, argv, 120000, out, sizeof(out), err);
	if (r < 0)
		return crowd_error_prefix(err, "podman run");
	if (r > 0) {
		char *last = strrchr(out, '\n');
		return crowd_error_set(err, EIO, "podman run: %s", last ? last + 1 : out);
	}
	inst->sample.t_clone_ns = crowd_now_ns() - run->t0_ns; /* podman says it runs */
	c->ctr_pid = crowd_peer_read_pidfile(c->pidfile);
	c->conmon_pid = crowd_peer_read_pidfile(c->conmon_pidfile);
	if (!c->ctr_pid)
		return crowd_error_set(err, ESRCH, "podman: no pid in %s (exited at once?)",
				       c->pidfile);
	return crowd_engine_inst_publish(cfg, inst, c->ctr_pid, &c->ctr_pidfd, &c->fifo_fd,
					 err);
}

static int podman_ready(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	(void)run;
	if (inst->ready_fd < 0)
		return 1; /* no readiness byte: started (podman run -d returned) = ready */
	int r = crowd_ready_fifo_read(inst->ready_fd);
	if (r < 0)
		return crowd_error_set(err, EIO,
				       "podman: workload closed its readiness FIFO "
				       "without the byte (it exited?)");
	return r;
}

static int podman_stats(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	struct pm_inst *c = inst->priv;
	if (!c || !c->ctr_pid)
		return crowd_error_set(err, ESRCH, "%s: no container process", run->backend->name);
	int r = crowd_mem_tree(c->ctr_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	inst->sample.cgroup_bytes = crowd_engine_cg_memory(c->ctr_pid);
	/* conmon, the container's monitor: the only per-container process of podman once `podman
	 * run -d` returned (no daemon). */
	char comm[32];
	int64_t pss = 0, rss = 0;
	if (c->conmon_pid > 1 && crowd_engine_parent(c->conmon_pid, comm, sizeof(comm)) &&
	    !strcmp(comm, "conmon") && crowd_mem_pids(&c->conmon_pid, 1, &pss, &rss, NULL) == 0)
		inst->sample.engine_bytes = pss;
	return 0;
}

/* `podman rm -f -t 0 NAME`; 0 when removed or not there. A container whose conmon is still
 * dying (crowd was SIGKILLed a moment before) can fail with "device or resource busy" on its
 * root filesystem: tried up to three times, 300 ms apart. */
static int remove_container(const char *bin, const char *name, struct crowd_error *err)
{
	char out[512];
	char *argv[] = {(char *)bin, "rm", "-f", "-t", "0", "--ignore", (char *)name, NULL};
	int r = 0;
	for (int attempt = 0; attempt < 3; attempt++) {
		if (attempt)
			usleep(300000);
		r = crowd_peer_run(argv, 0, 60000, out, sizeof(out), err);
		if (r <= 0)
			return r;
	}
	return crowd_error_set(err, EBUSY, "podman rm -f %s: %s", name, out);
}

static int podman_stop(struct crowd_backend_run *run, struct crowd_inst *inst,
		       struct crowd_error *err)
{
	struct pm_run *p = run->priv;
	struct pm_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	if (c->created)
		ret = remove_container(p->bin, c->name, err);
	/* conmon exits after the container is removed: wait for it (it is the container's
	 * part outside its cgroup, and holds the run's conmon cgroup). */
	if (c->conmon_pid > 1) {
		char path[64], st[256];
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->conmon_pid);
		for (int i = 0; i < 500; i++) {
			/* gone, or a zombie (out of every cgroup already) */
			if (crowd_read_file(path, st, sizeof(st), NULL) <= 0 ||
			    (strrchr(st, ')') && strrchr(st, ')')[2] == 'Z'))
				break;
			usleep(10000);
		}
	}
	crowd_ready_fifo_close(&c->fifo_fd, c->fifo);
	crowd_closep(&c->ctr_pidfd);
	unlink(c->pidfile);
	unlink(c->conmon_pidfile);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void podman_close(struct crowd_backend_run *run)
{
	struct pm_run *p = run->priv;
	crowd_peer_scratch_remove(run);
	if (!p)
		return;
	char top[96];
	crowd_engine_cg_rmdir(p->cg_parent);
	snprintf(top, sizeof(top), "/%s", crowd_peer_top());
	crowd_engine_cg_rmdir(top);
	pthread_mutex_destroy(&p->mu);
	free(p);
	run->priv = NULL;
}

/* crowd clean: containers labelled with this top whose names have crowd's prefix. */
static int podman_sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	char bin[256], top[80], prefix[96], filter[128], out[16384];
	int r = crowd_peer_sweep("podman", NULL, NULL, ret, err);
	if (crowd_peer_which("podman", bin, sizeof(bin)) < 0)
		return r;
	snprintf(top, sizeof(top), "%s", crowd_peer_top());
	crowd_engine_safe_name(top);
	snprintf(prefix, sizeof(prefix), "crowd-%s-", crowd_peer_top());
	crowd_engine_safe_name(prefix);
	snprintf(filter, sizeof(filter), "label=crowd.top=%s", top);
	char *argv[] = {bin, "ps", "-a", "--filter", filter, "--format", "{{.Names}}", NULL};
	if (crowd_peer_run(argv, 0, 60000, out, sizeof(out), NULL) == 0) {
		char *save = NULL;
		for (char *name = strtok_r(out, "\n", &save); name;
		     name = strtok_r(NULL, "\n", &save)) {
			if (strncmp(name, prefix, strlen(prefix)))
				continue;
			struct crowd_error e = {0};
			if (remove_container(bin, name, &e) == 0) {
				ret->instances++;
			} else {
				ret->left++;
				if (!r)
					r = crowd_error_set(err, e.code, "%s", e.msg);
			}
		}
	}
	/* The conmons of removed containers exit a moment later and hold the run's conmon
	 * cgroup until then. */
	unsigned left = 0;
	for (int i = 0; i < 100 && (left = crowd_engine_cg_sweep(crowd_peer_top(), "podman")); i++)
		usleep(50000);
	ret->left += left;
	return r;
}

const struct crowd_backend crowd_backend_podman = {
    .name = "podman",
    .help = "Podman: podman run -d (daemonless; conmon monitors each container)",
    .probe = podman_probe,
    .open = podman_open,
    .start = podman_start,
    .ready = podman_ready,
    .stats = podman_stats,
    .stop = podman_stop,
    .close = podman_close,
    .sweep = podman_sweep,
};
