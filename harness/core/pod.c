/* Pods: an infra process (an in-process clone running a pause loop, no exec) holds new net,
 * ipc and uts namespaces; members join them with setns on its pidfd, as Kubernetes pods
 * share the pause container's namespaces. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "netns.h"
#include "registry.h"
#include "spawn.h"
#include "util.h"

#define ERRNO_SET(err, code, fmt, ...)                                                             \
	crowd_error_set(err, code, fmt ": %s", ##__VA_ARGS__, strerrordesc_np(code))

struct crowd_pod {
	char id[CROWD_UUID_LEN + 1];
	pid_t pid;
	int pidfd;
	int netns_fd;
	struct crowd_cg *cg;
};

int crowd_pod_pidfd(const struct crowd_pod *pod)
{
	return pod ? pod->pidfd : -1;
}

int crowd_pod_netns_fd(const struct crowd_pod *pod)
{
	return pod ? pod->netns_fd : -1;
}

struct infra_ctx {
	int sock, parent_sock;
	const char *hostname;
};

static void infra_main(void *arg, bool in_cgroup)
{
	(void)in_cgroup;
	const struct infra_ctx *c = arg;
	const char *hostname = c->hostname;
	int sock = c->sock;
	struct crowd_error e = {0};
	sigset_t all;

	close(c->parent_sock);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		_exit(127);
	if (sethostname(hostname, strlen(hostname)) < 0)
		ERRNO_SET(&e, errno, "pod: sethostname");
	else
		crowd_net_lo_up(&e);
	if (e.code == 0) {
		/* Hold nothing of the harness: every fd but the sync socket goes. */
		if (sock > 3)
			syscall(SYS_close_range, 3U, (unsigned)sock - 1, 0U);
		syscall(SYS_close_range, (unsigned)sock + 1, ~0U, 0U);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; null >= 0 && i < 3; i++)
			if (i != sock)
				dup2(null, i);
		prctl(PR_SET_NAME, "crowd-pod-infra", 0, 0, 0);
	}
	if (send(sock, &e, sizeof(e), MSG_NOSIGNAL) != sizeof(e) || e.code)
		_exit(127);
	close(sock);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (;;)
		pause();
}

int crowd_pod_create(struct crowd_cg_run *run, const struct crowd_ctr_spec *spec,
		     struct crowd_pod **ret, struct crowd_error *err)
{
	struct crowd_cg_limits none = CROWD_CG_LIMITS_NONE;
	_cleanup_close_ int sock_p = -1, sock_c = -1;
	struct crowd_pod *pod;
	struct crowd_error ce;
	char leaf[64], path[64];
	int sv[2], r;

	if (spec && (spec->rootless || (spec->ns & CLONE_NEWUSER)))
		return crowd_error_set(err, EINVAL, "pods with --rootless are not supported");
	pod = calloc(1, sizeof(*pod));
	if (!pod)
		return crowd_error_set(err, ENOMEM, "out of memory");
	pod->pidfd = pod->netns_fd = -1;
	if ((r = crowd_uuid_new(pod->id, err)) < 0)
		goto fail;
	snprintf(leaf, sizeof(leaf), "pod-%s", pod->id);
	if (run && (r = crowd_cg_create(run, leaf, &none, &pod->cg, err)) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = crowd_error_errno(err, errno, "pod: socketpair");
		goto fail;
	}
	sock_p = sv[0];
	sock_c = sv[1];

	struct infra_ctx ic = {
	    .sock = sock_c,
	    .parent_sock = sock_p,
	    .hostname = spec && spec->hostname ? spec->hostname : "crowd-pod",
	};
	bool in_cgroup;
	pid_t pid = crowd_spawn(CROWD_POD_NS, 0, pod->cg ? crowd_cg_clone_fd(pod->cg) : -1, infra_main,
				&ic, &pod->pidfd, &in_cgroup, err);
	if (pid < 0) {
		r = crowd_error_prefix(err, "pod: the infra process");
		goto fail;
	}
	pod->pid = pid;
	crowd_closep(&sock_c);
	if (pod->cg && (r = crowd_cg_attach(pod->cg, pid, err)) < 0)
		goto fail;
	ssize_t n;
	while ((n = recv(sock_p, &ce, sizeof(ce), 0)) < 0 && errno == EINTR)
		;
	if (n != sizeof(ce)) {
		r = crowd_error_set(err, ECHILD, "pod: the infra process died during setup");
		goto fail;
	}
	if (ce.code) {
		ce.msg[sizeof(ce.msg) - 1] = '\0';
		r = crowd_error_set(err, ce.code, "%s", ce.msg);
		goto fail;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if ((pod->netns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		r = crowd_error_errno(err, errno, "pod: opening %s", path);
		goto fail;
	}
	if ((r = crowd_reg_add(pod->id, pid, crowd_reg_pidns_ino(pid), pod->cg, err)) < 0)
		goto fail;
	*ret = pod;
	return 0;
fail:
	crowd_pod_destroy(pod, NULL);
	return r;
}

int crowd_pod_destroy(struct crowd_pod *pod, struct crowd_error *err)
{
	int r = 0;
	if (!pod)
		return 0;
	if (pod->pid > 0) {
		if (pod->pidfd < 0 ||
		    syscall(SYS_pidfd_send_signal, pod->pidfd, SIGKILL, NULL, 0) < 0)
			kill(pod->pid, SIGKILL);
		while (waitpid(pod->pid, NULL, 0) < 0 && errno == EINTR)
			;
		crowd_reg_remove(pod->id);
	}
	if (pod->cg)
		r = crowd_cg_destroy(pod->cg, err);
	crowd_closep(&pod->netns_fd);
	crowd_closep(&pod->pidfd);
	free(pod);
	return r;
}
