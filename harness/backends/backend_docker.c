/* Backend docker: containers of a running dockerd, driven over its Engine API on the unix
 * socket (no docker CLI per container): create, start, inspect for the init pid, and on stop
 * DELETE ?force=1 (what `docker rm -f` does). The image is crowd's rootfs imported once as
 * crowd-rootfs:<content hash>. Readiness comes through a FIFO bind-mounted into the container
 * (ready_fifo.h). crowd never starts a daemon: scripts/dockerd-private.sh does for the tests. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"
#include "engine_wait.h"
#include "core/security.h"
#include "core/util.h"
#include "docker_api.h"
#include "engine/memory.h"
#include "engine_img.h"
#include "oci.h"
#include "peer.h"
#include "ready_fifo.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Container names: crowd-<top>-<run>-<index>-<seq>; crowd clean removes by the prefix. */
#define NAME_FMT "crowd-%s-"

struct dk_run {
	char sock[108];
	char image[64];
	char prefix[96];     /* crowd-<top>-<run>- */
	char top_label[80];  /* the crowd.top label value */
	char cg_parent[192]; /* CgroupParent /<top>/<run>-docker (cgroupfs driver), "" */
	pid_t daemons[2];    /* dockerd and its containerd (0: not found) */
	int64_t daemon_base; /* their PSS after open */
	pthread_mutex_t mu;
	int live;	      /* containers started and not yet stopped */
	int64_t daemon_t_ns;  /* when daemon_share was measured */
	int64_t daemon_share; /* growth per container then */
	unsigned seq;
};

struct dk_inst {
	char name[160];
	char id[80];
	char fifo[PATH_MAX];
	int fifo_fd;
	pid_t ctr_pid;
	int ctr_pidfd;
	bool created, counted;
};

static int dk_call(const char *sock, const char *method, const char *path, const char *body,
		   int timeout_ms, struct crowd_docker_resp *resp, struct crowd_error *err)
{
	struct crowd_docker_req rq = {
	    .method = method, .path = path, .body = body, .body_fd = -1, .timeout_ms = timeout_ms};
	return crowd_docker_call(sock, &rq, resp, err);
}

/* An answer other than want: its message as the error. */
static int dk_expect(struct crowd_docker_resp *resp, int want, int also, const char *what,
		     struct crowd_error *err)
{
	if (resp->status == want || (also && resp->status == also))
		return 0;
	char m[200];
	crowd_docker_message(resp, m, sizeof(m));
	return crowd_error_set(err, resp->status == 404 ? ENOENT : EIO, "docker: %s: %d %s", what,
			       resp->status, m);
}

static int docker_probe(const struct crowd_config *cfg, struct crowd_error *err)
{
	char sock[108], rootfs[PATH_MAX];
	int r;
	if ((r = crowd_docker_socket(sock, sizeof(sock), err)) < 0)
		return r;
	if (geteuid() != 0)
		return crowd_error_set(err, EPERM,
				       "docker is measured as root here (the "
				       "containers' /proc entries); run crowd as root");
	struct crowd_docker_resp resp;
	struct crowd_error e = {0};
	if (dk_call(sock, "GET", "/_ping", NULL, 5000, &resp, &e) < 0)
		return crowd_error_set(err, e.code ? e.code : ECONNREFUSED,
				       "no docker daemon at %s (start one, e.g. "
				       "scripts/dockerd-private.sh, and set DOCKER_HOST)",
				       sock);
	int st = resp.status;
	free(resp.body);
	if (st != 200)
		return crowd_error_set(err, EIO, "docker daemon at %s: /_ping answered %d", sock,
				       st);
	if (cfg) {
		if ((r = crowd_peer_rootfs(cfg, rootfs, sizeof(rootfs), err)) < 0)
			return r;
		if (!strcmp(rootfs, "/"))
			return crowd_error_set(err, EINVAL,
					       "docker needs --rootfs DIR (an image is "
					       "made of it), not the host's root");
	}
	return 0;
}

static void daemon_pids(struct dk_run *d, pid_t dockerd)
{
	d->daemons[0] = dockerd;
	d->daemons[1] = 0;
	char path[96], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)dockerd, (int)dockerd);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		pid_t p = (pid_t)strtol(t, NULL, 10);
		char comm[32];
		if (crowd_engine_parent(p, comm, sizeof(comm)) && !strcmp(comm, "containerd")) {
			d->daemons[1] = p;
			return;
		}
	}
}

static int64_t daemons_pss(const struct dk_run *d)
{
	int64_t pss = 0, rss = 0;
	if (crowd_mem_pids(d->daemons, d->daemons[1] ? 2 : 1, &pss, &rss, NULL) < 0)
		return -1;
	return pss;
}

/* The image crowd-rootfs:<hash> of the run's rootfs: imported unless the daemon has it. */
static int ensure_image(struct crowd_backend_run *run, struct dk_run *d, const char *rootfs,
			struct crowd_error *err)
{
	char tar[PATH_MAX], tag[17], path[256];
	_cleanup_close_ int fd = -1;
	if (crowd_peer_fmt(tar, sizeof(tar), "%s/rootfs.tar", run->scratch) < 0)
		return crowd_error_set(err, ENAMETOOLONG, "scratch path too long");
	int r = crowd_engine_rootfs_tar(rootfs, tar, tag, err);
	if (r < 0)
		return r;
	snprintf(d->image, sizeof(d->image), "%s:%s", CROWD_ENGINE_IMAGE_REPO, tag);
	snprintf(path, sizeof(path), "/images/%s/json", d->image);
	struct crowd_docker_resp resp;
	if ((r = dk_call(d->sock, "GET", path, NULL, 10000, &resp, err)) < 0)
		goto out;
	int st = resp.status;
	free(resp.body);
	if (st == 200)
		goto out;
	fd = open(tar, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = crowd_error_errno(err, errno, "open %s", tar);
		goto out;
	}
	snprintf(path, sizeof(path), "/images/create?fromSrc=-&repo=%s&tag=%s",
		 CROWD_ENGINE_IMAGE_REPO, tag);
	struct crowd_docker_req rq = {
	    .method = "POST", .path = path, .body_fd = fd, .timeout_ms = 120000};
	if ((r = crowd_docker_call(d->sock, &rq, &resp, err)) < 0)
		goto out;
	/* A stream of JSON progress lines; a failure is one with "error". */
	if (resp.status != 200 || strstr(resp.body, "\"error\"")) {
		char m[200];
		crowd_docker_message(&resp, m, sizeof(m));
		r = crowd_error_set(err, EIO, "docker: import %s as %s: %d %s", rootfs, d->image,
				    resp.status, m);
	}
	free(resp.body);
out:
	unlink(tar);
	return r;
}

static void ns_text(const struct crowd_config *cfg, char *un, size_t len)
{
	size_t off = strlen(un);
#define ADD(...)                                                                                   \
	do {                                                                                       \
		crowd_peer_fmt(un + off, len - off, "%s", off ? "; " : "");                        \
		off = strlen(un);                                                                  \
		crowd_peer_fmt(un + off, len - off, __VA_ARGS__);                                  \
		off = strlen(un);                                                                  \
	} while (0)
	if (!(cfg->ns & CLONE_NEWNS))
		ADD("ns without mnt (an engine always makes a mount namespace)");
	if (cfg->ns & CLONE_NEWUSER)
		ADD("ns user (docker maps users daemon-wide with --userns-remap only)");
	if (cfg->limits.cpuset_mems[0])
		ADD("cpuset-mems");
	if (cfg->pod_size > 1)
		ADD("pod-size");
	ADD("security: docker's own capabilities, device rules and /proc masks");
#undef ADD
}

static int docker_open(struct crowd_backend_run *run, struct crowd_error *err)
{
	struct dk_run *d = calloc(1, sizeof(*d));
	if (!d)
		return crowd_error_set(err, ENOMEM, "docker: out of memory");
	pthread_mutex_init(&d->mu, NULL);
	char rootfs[PATH_MAX];
	int r;
	if ((r = crowd_docker_socket(d->sock, sizeof(d->sock), err)) < 0 ||
	    (r = crowd_peer_rootfs(run->cfg, rootfs, sizeof(rootfs), err)) < 0 ||
	    (r = crowd_peer_scratch(run, err)) < 0)
		goto fail;
	if ((r = ensure_image(run, d, rootfs, err)) < 0)
		goto fail;
	struct crowd_docker_resp resp;
	if ((r = dk_call(d->sock, "GET", "/_ping", NULL, 5000, &resp, err)) < 0)
		goto fail;
	free(resp.body);
	daemon_pids(d, resp.peer);
	/* With the cgroupfs driver the containers' cgroups go under /<top>/<run>-docker, as
	 * runc's do: crowd clean's cgroup sweep finds what a killed run left. */
	if (dk_call(d->sock, "GET", "/info", NULL, 10000, &resp, NULL) == 0) {
		json_t *j = resp.status == 200 ? json_loads(resp.body, 0, NULL) : NULL;
		const char *drv = j ? json_string_value(json_object_get(j, "CgroupDriver")) : NULL;
		if (drv && !strcmp(drv, "cgroupfs"))
			crowd_peer_fmt(d->cg_parent, sizeof(d->cg_parent), "/%s/%s-docker",
				       crowd_peer_top(), run->run_name);
		json_decref(j);
		free(resp.body);
	}
	d->daemon_base = d->daemons[0] ? daemons_pss(d) : -1;
	snprintf(d->top_label, sizeof(d->top_label), "%s", crowd_peer_top());
	crowd_engine_safe_name(d->top_label);
	crowd_peer_fmt(d->prefix, sizeof(d->prefix), NAME_FMT "%s-", crowd_peer_top(),
		       run->run_name);
	crowd_engine_safe_name(d->prefix);

	crowd_peer_fmt(
	    run->invocation, sizeof(run->invocation),
	    "Docker Engine API on %s (dockerd pid %d): POST /containers/create "
	    "(image %s, NetworkMode %s, PidMode %s, IpcMode %s, UTSMode %s, "
	    "CgroupnsMode %s, CgroupParent %s, LogConfig none, bind <scratch>/<id>.ready:%s, env "
	    "CROWD_READY_PATH), POST /start, GET /json for the pid; stop: DELETE "
	    "?force=1 (docker rm -f)",
	    d->sock, (int)resp.peer, d->image, run->cfg->ns & CLONE_NEWNET ? "none" : "host",
	    run->cfg->ns & CLONE_NEWPID ? "private" : "host",
	    run->cfg->ns & CLONE_NEWIPC ? "private" : "host",
	    run->cfg->ns & CLONE_NEWUTS ? "private" : "host",
	    run->cfg->ns & CLONE_NEWCGROUP ? "private" : "host",
	    d->cg_parent[0] ? d->cg_parent : "(the daemon's default)", CROWD_READY_FIFO_INSIDE);
	ns_text(run->cfg, run->unapplied, sizeof(run->unapplied));
	run->priv = d;
	return 0;
fail:
	pthread_mutex_destroy(&d->mu);
	free(d);
	crowd_peer_scratch_remove(run);
	return r;
}

/* The create body. */
static char *create_body(struct crowd_backend_run *run, const struct dk_run *d,
			 const struct dk_inst *c, bool fd_ready)
{
	const struct crowd_config *cfg = run->cfg;
	json_t *cmd = json_array();
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		json_array_append_new(cmd, json_string(cfg->workload.argv[i]));
	json_t *env = json_array();
	json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					       "/usr/bin:/sbin:/bin"));
	json_array_append_new(env, json_string("HOME=/"));
	json_t *binds = json_array();
	if (fd_ready) {
		char e[PATH_MAX + 64];
		snprintf(e, sizeof(e), "CROWD_READY_PATH=%s", CROWD_READY_FIFO_INSIDE);
		json_array_append_new(env, json_string(e));
		snprintf(e, sizeof(e), "%s:%s", c->fifo, CROWD_READY_FIFO_INSIDE);
		json_array_append_new(binds, json_string(e));
	}
	json_t *secopt = json_array();
	if (cfg->security & CROWD_SEC_NNP)
		json_array_append_new(secopt, json_string("no-new-privileges"));
	if (!(cfg->security & CROWD_SEC_SECCOMP))
		json_array_append_new(secopt, json_string("seccomp=unconfined"));
	json_t *host =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:{s:s},s:b}", "NetworkMode",
		      cfg->ns & CLONE_NEWNET ? "none" : "host", "PidMode",
		      cfg->ns & CLONE_NEWPID ? "" : "host", "IpcMode",
		      cfg->ns & CLONE_NEWIPC ? "private" : "host", "UTSMode",
		      cfg->ns & CLONE_NEWUTS ? "" : "host", "CgroupnsMode",
		      cfg->ns & CLONE_NEWCGROUP ? "private" : "host", "Binds", binds, "SecurityOpt",
		      secopt, "LogConfig", "Type", "none", "AutoRemove", 0);
	if (!(cfg->security & CROWD_SEC_MASKS)) {
		json_object_set_new(host, "MaskedPaths", json_array());
		json_object_set_new(host, "ReadonlyPaths", json_array());
	}
	const struct crowd_cg_limits *l = &cfg->limits;
	if (l->memory_max_bytes > 0)
		json_object_set_new(host, "Memory", json_integer(l->memory_max_bytes));
	if (l->pids_max > 0)
		json_object_set_new(host, "PidsLimit", json_integer(l->pids_max));
	if (l->cpu_quota_us > 0 && l->cpu_period_us > 0) {
		json_object_set_new(host, "CpuQuota", json_integer(l->cpu_quota_us));
		json_object_set_new(host, "CpuPeriod", json_integer(l->cpu_period_us));
	}
	if (l->cpuset_cpus[0])
		json_object_set_new(host, "CpusetCpus", json_string(l->cpuset_cpus));
	if (d->cg_parent[0])
		json_object_set_new(host, "CgroupParent", json_string(d->cg_parent));
	json_t *body = json_pack("{s:s,s:o,s:o,s:{s:s,s:s},s:o,s:s}", "Image", d->image, "Cmd", cmd,
				 "Env", env, "Labels", "crowd.top", d->top_label, "crowd.run",
				 run->run_name, "HostConfig", host, "WorkingDir", "/");
	char *s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return s;
}

static int docker_start(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	struct dk_run *d = run->priv;
	struct dk_inst *c = calloc(1, sizeof(*c));
	if (!c)
		return crowd_error_set(err, ENOMEM, "docker: out of memory");
	c->fifo_fd = c->ctr_pidfd = -1;
	inst->priv = c;
	pthread_mutex_lock(&d->mu);
	unsigned seq = d->seq++;
	pthread_mutex_unlock(&d->mu);
	crowd_peer_fmt(c->name, sizeof(c->name), "%s%d-%u", d->prefix, inst->sample.index, seq);
	if (!inst->sample.id[0])
		crowd_peer_fmt(inst->sample.id, sizeof(inst->sample.id), "docker-%d-%u",
			       inst->sample.index, seq);
	bool fd_ready = run->cfg->workload.desc && run->cfg->workload.desc->ready == CROWD_READY_FD;
	int r;
	if (fd_ready) {
		char fname[64];
		snprintf(fname, sizeof(fname), "docker-%u", seq);
		if ((r = crowd_ready_fifo_open(run->scratch, fname, c->fifo, sizeof(c->fifo),
					       err)) < 0)
			return r;
		c->fifo_fd = r;
	}
	_cleanup_free_ char *body = create_body(run, d, c, fd_ready);
	if (!body)
		return crowd_error_set(err, ENOMEM, "docker: out of memory");
	char path[256];
	snprintf(path, sizeof(path), "/containers/create?name=%s", c->name);
	struct crowd_docker_resp resp;
	c->created = true; /* from here on stop() removes it by name, whatever came back */
	if ((r = dk_call(d->sock, "POST", path, body, 60000, &resp, err)) < 0)
		return r;
	r = dk_expect(&resp, 201, 0, "create", err);
	json_t *j = r == 0 ? json_loads(resp.body, 0, NULL) : NULL;
	const char *id = j ? json_string_value(json_object_get(j, "Id")) : NULL;
	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	json_decref(j);
	free(resp.body);
	if (r < 0)
		return r;
	if (!c->id[0])
		return crowd_error_set(err, EPROTO, "docker: create answered no Id");
	inst->sample.t_cgroup_ns = crowd_now_ns() - run->t0_ns; /* created: its cgroup is named */

	snprintf(path, sizeof(path), "/containers/%s/start", c->id);
	if ((r = dk_call(d->sock, "POST", path, NULL, 60000, &resp, err)) < 0)
		return r;
	r = dk_expect(&resp, 204, 304, "start", err);
	free(resp.body);
	if (r < 0)
		return r;
	inst->sample.t_clone_ns = crowd_now_ns() - run->t0_ns; /* the daemon says it runs */
	pthread_mutex_lock(&d->mu);
	d->live++;
	pthread_mutex_unlock(&d->mu);
	c->counted = true;

	snprintf(path, sizeof(path), "/containers/%s/json", c->id);
	if ((r = dk_call(d->sock, "GET", path, NULL, 30000, &resp, err)) < 0)
		return r;
	r = dk_expect(&resp, 200, 0, "inspect", err);
	j = r == 0 ? json_loads(resp.body, 0, NULL) : NULL;
	json_int_t pid =
	    j ? json_integer_value(json_object_get(json_object_get(j, "State"), "Pid")) : 0;
	json_decref(j);
	free(resp.body);
	if (r < 0)
		return r;
	if (pid <= 0)
		return crowd_error_set(err, ESRCH, "docker: %s has no pid (exited at once?)",
				       c->name);
	c->ctr_pid = (pid_t)pid;
	return crowd_engine_inst_publish(run->cfg, inst, c->ctr_pid, &c->ctr_pidfd, &c->fifo_fd,
					 err);
}

static int docker_ready(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	(void)run;
	if (inst->ready_fd < 0)
		return 1; /* no readiness byte: started (the daemon said so) = ready */
	int r = crowd_ready_fifo_read(inst->ready_fd);
	if (r < 0)
		return crowd_error_set(err, EIO,
				       "docker: workload closed its readiness FIFO "
				       "without the byte (it exited?)");
	return r;
}

/* The daemons' growth per running container, measured at most twice a second. */
static int64_t daemon_share(struct dk_run *d)
{
	pthread_mutex_lock(&d->mu);
	int64_t now = crowd_now_ns(), v = d->daemon_share;
	if (d->daemon_base >= 0 && d->live > 0 && now - d->daemon_t_ns > 500000000) {
		int64_t pss = daemons_pss(d);
		int64_t g = pss >= 0 ? pss - d->daemon_base : 0;
		v = d->daemon_share = (g > 0 ? g : 0) / d->live;
		d->daemon_t_ns = now;
	}
	pthread_mutex_unlock(&d->mu);
	return v;
}

static int docker_stats(struct crowd_backend_run *run, struct crowd_inst *inst,
			struct crowd_error *err)
{
	struct dk_run *d = run->priv;
	struct dk_inst *c = inst->priv;
	if (!c || !c->ctr_pid)
		return crowd_error_set(err, ESRCH, "docker: no container process");
	int r = crowd_mem_tree(c->ctr_pid, &inst->sample.pss_bytes, &inst->sample.rss_bytes, err);
	if (r < 0)
		return r;
	inst->sample.cgroup_bytes = crowd_engine_cg_memory(c->ctr_pid);
	/* The shim: the nearest ancestor named containerd-shim* (it reaps the container's init). */
	pid_t shim = 0, p = c->ctr_pid;
	char comm[32] = "";
	for (int up = 0; up < 4 && !shim; up++) {
		if ((p = crowd_engine_parent(p, NULL, 0)) <= 1)
			break;
		if (crowd_engine_parent(p, comm, sizeof(comm)) &&
		    !strncmp(comm, "containerd-shim", 15))
			shim = p;
	}
	int64_t pss = 0, rss = 0;
	if (shim > 1 && crowd_mem_pids(&shim, 1, &pss, &rss, NULL) == 0)
		inst->sample.engine_bytes = pss + daemon_share(d);
	return 0;
}

/* DELETE /containers/<name>?force=1: kills and removes, as `docker rm -f`. 0 when removed
 * or not there. */
static int remove_container(const char *sock, const char *name, struct crowd_error *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/containers/%s?force=1&v=1", name);
	struct crowd_docker_resp resp;
	int r = dk_call(sock, "DELETE", path, NULL, 60000, &resp, err);
	if (r < 0)
		return r;
	r = dk_expect(&resp, 204, 404, "rm -f", err);
	free(resp.body);
	return r;
}

static int docker_stop(struct crowd_backend_run *run, struct crowd_inst *inst,
		       struct crowd_error *err)
{
	struct dk_run *d = run->priv;
	struct dk_inst *c = inst->priv;
	int ret = 0;
	if (!c)
		return 0;
	if (c->created)
		ret = remove_container(d->sock, c->id[0] ? c->id : c->name, err);
	if (c->counted) {
		pthread_mutex_lock(&d->mu);
		d->live--;
		pthread_mutex_unlock(&d->mu);
	}
	crowd_ready_fifo_close(&c->fifo_fd, c->fifo);
	crowd_closep(&c->ctr_pidfd);
	free(c);
	crowd_peer_inst_stopped(inst);
	return ret;
}

static void docker_close(struct crowd_backend_run *run)
{
	struct dk_run *d = run->priv;
	crowd_peer_scratch_remove(run);
	if (!d)
		return;
	if (d->cg_parent[0]) {
		char top[96];
		crowd_engine_cg_rmdir(d->cg_parent);
		snprintf(top, sizeof(top), "/%s", crowd_peer_top());
		crowd_engine_cg_rmdir(top);
	}
	pthread_mutex_destroy(&d->mu);
	free(d);
	run->priv = NULL;
}

/* crowd clean: every container labelled with this top whose name has crowd's prefix. */
static int docker_sweep(struct crowd_sweep *ret, struct crowd_error *err)
{
	char sock[108], prefix[96], path[512];
	int r = crowd_peer_sweep("docker", NULL, NULL, ret, err);
	if (crowd_docker_socket(sock, sizeof(sock), NULL) < 0) {
		ret->left += crowd_engine_cg_sweep(crowd_peer_top(), "docker");
		return r;
	}
	crowd_peer_fmt(prefix, sizeof(prefix), "/" NAME_FMT, crowd_peer_top());
	crowd_engine_safe_name(prefix + 1);
	/* filters={"label":["crowd.top=<top>"]}, URL-encoded */
	char top[80];
	snprintf(top, sizeof(top), "%s", crowd_peer_top());
	crowd_engine_safe_name(top);
	snprintf(path, sizeof(path),
		 "/containers/json?all=1&filters=%%7B%%22label%%22%%3A%%5B%%22crowd.top%%3D%s%%22"
		 "%%5D%%7D",
		 top);
	struct crowd_docker_resp resp;
	if (dk_call(sock, "GET", path, NULL, 10000, &resp, NULL) < 0)
		return r; /* no daemon: nothing of ours can be running in it */
	json_t *list = resp.status == 200 ? json_loads(resp.body, 0, NULL) : NULL;
	free(resp.body);
	size_t i;
	json_t *ctr;
	json_array_foreach(list, i, ctr)
	{
		const char *id = json_string_value(json_object_get(ctr, "Id"));
		json_t *names = json_object_get(ctr, "Names");
		const char *name = json_string_value(json_array_get(names, 0));
		if (!id || !name || strncmp(name, prefix, strlen(prefix)))
			continue;
		struct crowd_error e = {0};
		if (remove_container(sock, id, &e) == 0) {
			ret->instances++;
		} else {
			ret->left++;
			if (!r)
				r = crowd_error_set(err, e.code, "%s", e.msg);
		}
	}
	json_decref(list);
	ret->left += crowd_engine_cg_sweep(crowd_peer_top(), "docker");
	return r;
}

const struct crowd_backend crowd_backend_docker = {
    .name = "docker",
    .help = "Docker: containers of a running dockerd (DOCKER_HOST or /var/run/docker.sock), "
	    "over its API",
    .probe = docker_probe,
    .open = docker_open,
    .start = docker_start,
    .ready = docker_ready,
    .stats = docker_stats,
    .stop = docker_stop,
    .close = docker_close,
    .sweep = docker_sweep,
};
