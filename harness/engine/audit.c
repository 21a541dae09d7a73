/* crowd audit's run: one probe instance per backend through the launcher, each report fetched
 * over HTTP from inside the instance's network namespace, everything torn down (audit.h). */
#include "audit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/backend.h"
#include "core/util.h"
#include "launcher.h"

#define FETCH_TIMEOUT_MS 5000
#define REPORT_MAX	 (256 * 1024)

static char probe_path[] = "/bin/probe", probe_port_opt[] = "--port", probe_port[] = "8080";
static const char *const probe_args[] = {probe_port_opt, probe_port, NULL};
static const struct crowd_workload probe_workload = {
    .name = "probe",
    .help = "reports which security switches its container turned on (workloads/probe)",
    .path = "/bin/probe",
    .args = probe_args,
    .port = 8080,
    .ready = CROWD_READY_FD,
    .http = true,
};

int crowd_audit_open(const struct crowd_config *cfg, struct crowd_audit *a, struct crowd_error *err)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	a->cfg.count = 1;
	a->cfg.concurrency = 1;
	a->cfg.load = false;
	memset(&a->cfg.workload, 0, sizeof(a->cfg.workload));
	a->cfg.workload.desc = &probe_workload;
	a->cfg.workload.argv[0] = probe_path;
	a->cfg.workload.argv[1] = probe_port_opt;
	a->cfg.workload.argv[2] = probe_port;
	snprintf(a->cfg.workload.name, sizeof(a->cfg.workload.name), "probe");
	if (!a->cfg.n_backends)
		for (unsigned i = 0; i < crowd_backends_len && i < CROWD_MAX_BACKENDS; i++)
			a->cfg.backends[a->cfg.n_backends++] = crowd_backends[i]->name;
	crowd_audit_host_read(&a->host);

	int r = crowd_launch_open(&a->cfg, 1, &a->launch, err);
	if (r < 0) {
		a->launch = NULL;
		return r;
	}
	for (unsigned i = 0; i < a->launch->n_be; i++) {
		const struct crowd_launch_backend *lb = &a->launch->be[i];
		struct crowd_audit_column *c = &a->col[a->n_col++];
		c->backend = lb->backend->name;
		c->available = lb->available;
		snprintf(c->reason, sizeof(c->reason), "%s", lb->reason);
	}
	return 0;
}

struct sock_job {
	int netns_fd;
	int fd, err;
};

/* On a thread of its own: a thread that setns()ed away dies with its namespace, so crowd's
 * threads never end up in an instance's. */
static void *sock_thread(void *arg)
{
	struct sock_job *j = arg;
	if (setns(j->netns_fd, CLONE_NEWNET) < 0) {
		j->err = errno;
		return NULL;
	}
	j->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	j->err = j->fd < 0 ? errno : 0;
	return NULL;
}

/* A TCP socket made inside the network namespace netns_fd (-1: crowd's own); a socket keeps
 * the namespace it was made in. */
static int socket_in(int netns_fd, struct crowd_error *err)
{
	struct sock_job j = {.netns_fd = netns_fd, .fd = -1};
	pthread_t t;
	if (netns_fd < 0) {
		j.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		j.err = errno;
	} else {
		int r = pthread_create(&t, NULL, sock_thread, &j);
		if (r)
			return crowd_error_errno(err, r, "report: thread");
		pthread_join(t, NULL);
	}
	if (j.fd < 0)
		return crowd_error_errno(err, j.err,
					 "report: socket in the instance's network "
					 "namespace");
	return j.fd;
}

/* Wait for events on fd until the deadline; -ETIMEDOUT past it. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
	for (;;) {
		int64_t left_ms = (deadline_ns - crowd_now_ns()) / 1000000;
		if (left_ms <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)left_ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* GET / from addr:port in netns_fd; the body (malloc'd, NUL-terminated) of a 200 answer. */
static int http_get(int netns_fd, const char *addr, unsigned port, char **ret_body, size_t *ret_len,
		    struct crowd_error *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return crowd_error_set(err, EINVAL, "report: address '%s' is not IPv4", addr);
	_cleanup_close_ int fd = socket_in(netns_fd, err);
	if (fd < 0)
		return fd;
	int64_t deadline = crowd_now_ns() + FETCH_TIMEOUT_MS * 1000000LL;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		return crowd_error_errno(err, errno, "report: connect to %s:%u", addr, port);
	int so = 0, r = wait_fd(fd, POLLOUT, deadline);
	socklen_t sl = sizeof(so);
	if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so)
		r = -so;
	static const char req[] = "GET / HTTP/1.0\r\nHost: probe\r\n\r\n";
	if (r == 0 && send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1)
		r = -errno;
	if (r < 0)
		return crowd_error_errno(err, -r, "report: request to %s:%u", addr, port);

	char *buf = malloc(REPORT_MAX + 1);
	size_t got = 0;
	if (!buf)
		return crowd_error_set(err, ENOMEM, "report: out of memory");
	while (got < REPORT_MAX && (r = wait_fd(fd, POLLIN, deadline)) == 0) {
		ssize_t n = recv(fd, buf + got, REPORT_MAX - got, 0);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (n > 0)
			got += (size_t)n;
	}
	buf[got] = '\0';
	char *body = strstr(buf, "\r\n\r\n");
	if (r < 0 || strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200", 4) || !body) {
		free(buf);
		if (r < 0)
			return crowd_error_errno(err, -r, "report: answer from %s:%u", addr, port);
		return crowd_error_set(err, EPROTO, "report: no 200 answer from %s:%u", addr, port);
	}
	body += 4;
	*ret_len = got - (size_t)(body - buf);
	memmove(buf, body, *ret_len + 1);
	*ret_body = buf;
	return 0;
}

/* The network namespace to reach inst in: the backend's, else its process's when that is not
 * crowd's own (the fd goes to *ret_own to be closed), else -1. */
static int inst_netns(const struct crowd_inst *inst, int *ret_own)
{
	struct stat self, st;
	char path[64];
	*ret_own = -1;
	if (inst->netns_fd >= 0 || inst->pid <= 0)
		return inst->netns_fd;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)inst->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (stat("/proc/self/ns/net", &self) == 0 && fstat(fd, &st) == 0 &&
	    st.st_ino != self.st_ino)
		return *ret_own = fd;
	close(fd);
	return -1;
}

static int fetch(const struct crowd_inst *inst, json_t **ret, struct crowd_error *err)
{
	_cleanup_close_ int own = -1;
	int netns = inst_netns(inst, &own);
	char *body = NULL;
	size_t len = 0;
	int r =
	    http_get(netns, inst->addr[0] ? inst->addr : "127.0.0.1", inst->port, &body, &len, err);
	if (r < 0)
		return r;
	r = crowd_audit_parse(body, len, ret, err);
	free(body);
	return r;
}

static struct crowd_audit_column *column_of(struct crowd_audit *a, const struct crowd_inst *inst)
{
	for (unsigned c = 0; c < a->n_col; c++)
		if (!strcmp(a->col[c].backend, inst->backend->name))
			return &a->col[c];
	return NULL;
}

int crowd_audit_collect(struct crowd_audit *a, struct crowd_error *err)
{
	struct crowd_launch *l = a->launch;
	if (!l)
		return crowd_error_set(err, EINVAL, "audit: not open");
	int r = crowd_launch_grow(l, 1, false, err);
	if (r == -EINTR || l->stop)
		return crowd_error_set(err, EINTR, "audit: interrupted");
	for (size_t k = 0; k < l->n_insts; k++) {
		const struct crowd_inst *inst = &l->insts[k];
		struct crowd_audit_column *c = column_of(a, inst);
		if (!c)
			continue;
		struct crowd_error e = {0};
		if (!inst->ready || inst->sample.status != CROWD_STATUS_OK) {
			snprintf(c->reason, sizeof(c->reason), "probe did not start: %.220s",
				 inst->sample.error[0] ? inst->sample.error : "not ready");
		} else if (!inst->port) {
			snprintf(c->reason, sizeof(c->reason), "probe does not listen on a port");
		} else if (fetch(inst, &c->report, &e) < 0) {
			c->report = NULL;
			snprintf(c->reason, sizeof(c->reason), "%s", e.msg);
		} else {
			c->ran = true;
			c->reason[0] = '\0';
			a->n_ran++;
		}
	}
	if (!a->n_ran)
		return crowd_error_set(err, EIO, "audit: no backend's probe report could be read");
	return 0;
}

int crowd_audit_close(struct crowd_audit *a, struct crowd_error *err)
{
	if (!a->launch)
		return 0;
	int r = crowd_launch_teardown(a->launch, err);
	crowd_launch_free(a->launch);
	a->launch = NULL;
	return r;
}

void crowd_audit_free(struct crowd_audit *a)
{
	struct crowd_error e = {0};
	crowd_audit_close(a, &e);
	for (unsigned c = 0; c < a->n_col; c++) {
		json_decref(a->col[c].report);
		a->col[c].report = NULL;
	}
}
