/* The Docker Engine API client (see docker_api.h). */
#include "docker_api.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"

int crowd_docker_socket(char *buf, size_t len, struct crowd_error *err)
{
	const char *h = getenv("DOCKER_HOST");
	const char *path = DEFAULT_SOCKET;
	if (h && h[0]) {
		if (strncmp(h, "unix://", 7))
			return crowd_error_set(
			    err, EINVAL, "DOCKER_HOST=%s: only unix:// sockets are supported", h);
		path = h + 7;
	}
	if ((size_t)snprintf(buf, len, "%s", path) >= len ||
	    strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return crowd_error_set(err, ENAMETOOLONG, "docker socket path too long: %s", path);
	return 0;
}

/* Write all of buf within the deadline. */
static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int64_t left = (deadline - crowd_now_ns()) / 1000000;
			if (left <= 0 || poll(&p, 1, (int)left) <= 0)
				return -ETIMEDOUT;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Decode a chunked body in place; its new length. */
static size_t dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;
	while (in < len) {
		char *end;
		unsigned long sz = strtoul(b + in, &end, 16);
		char *nl = memchr(b + in, '\n', len - in);
		if (!nl || end == b + in)
			break;
		in = (size_t)(nl - b) + 1;
		if (sz == 0 || in + sz > len)
			break;
		memmove(b + out, b + in, sz);
		out += sz;
		in += sz;
		if (in < len && b[in] == '\r')
			in++;
		if (in < len && b[in] == '\n')
			in++;
	}
	b[out] = '\0';
	return out;
}

int crowd_docker_call(const char *sock, const struct crowd_docker_req *req,
		      struct crowd_docker_resp *resp, struct crowd_error *err)
{
	memset(resp, 0, sizeof(*resp));
	int64_t deadline =
	    crowd_now_ns() + (int64_t)(req->timeout_ms ? req->timeout_ms : 30000) * 1000000;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return crowd_error_errno(err, errno, "socket");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	/* Blocking connect (a unix socket connects at once or fails), then non-blocking I/O
	 * with the deadline. */
	int cr;
	while ((cr = connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0 && errno == EINTR)
		;
	if (cr < 0)
		return crowd_error_errno(err, errno, "no docker daemon at %s", sock);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		return crowd_error_errno(err, errno, "fcntl");
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
		resp->peer = cred.pid;

	off_t body_len = 0;
	if (req->body_fd >= 0) {
		struct stat st;
		if (fstat(req->body_fd, &st) < 0)
			return crowd_error_errno(err, errno, "stat request body");
		body_len = st.st_size;
	} else if (req->body) {
		body_len = (off_t)strlen(req->body);
	}
	char head[1024];
	int hl = snprintf(head, sizeof(head),
			  "%s %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: crowd\r\n"
			  "Connection: close\r\nContent-Type: %s\r\nContent-Length: %lld\r\n\r\n",
			  req->method, req->path,
			  req->body_fd >= 0 ? "application/x-tar" : "application/json",
			  (long long)body_len);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return crowd_error_set(err, ENAMETOOLONG, "docker request too long: %s", req->path);
	int r = send_all(fd, head, (size_t)hl, deadline);
	if (r == 0 && req->body_fd >= 0) {
		char buf[65536];
		ssize_t n;
		if (lseek(req->body_fd, 0, SEEK_SET) < 0)
			return crowd_error_errno(err, errno, "seek request body");
		while (r == 0 && (n = read(req->body_fd, buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return crowd_error_errno(err, errno, "read request body");
			}
			r = send_all(fd, buf, (size_t)n, deadline);
		}
	} else if (r == 0 && req->body) {
		r = send_all(fd, req->body, (size_t)body_len, deadline);
	}
	if (r < 0)
		return crowd_error_errno(err, -r, "docker %s %s: send", req->method, req->path);

	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	if (!b)
		return crowd_error_set(err, ENOMEM, "docker: out of memory");
	for (;;) {
		if (len + 1 >= cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return crowd_error_set(err, ENOMEM, "docker: out of memory");
			}
			b = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, b + len, cap - 1 - len, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int64_t left = (deadline - crowd_now_ns()) / 1000000;
			if (left > 0 && poll(&p, 1, (int)left) > 0)
				continue;
			free(b);
			return crowd_error_set(err, ETIMEDOUT,
					       "docker %s %s: no answer within %d ms", req->method,
					       req->path, req->timeout_ms);
		}
		int e = errno;
		free(b);
		return crowd_error_errno(err, e, "docker %s %s: receive", req->method, req->path);
	}
	b[len] = '\0';
	int status = 0;
	char *hdr_end = strstr(b, "\r\n\r\n");
	if (sscanf(b, "HTTP/1.%*d %d", &status) != 1 || !hdr_end) {
		free(b);
		return crowd_error_set(err, EPROTO, "docker %s %s: not an HTTP answer", req->method,
				       req->path);
	}
	*hdr_end = '\0';
	bool chunked = strcasestr(b, "\r\ntransfer-encoding: chunked") != NULL;
	char *body = hdr_end + 4;
	size_t blen = len - (size_t)(body - b);
	memmove(b, body, blen);
	b[blen] = '\0';
	if (chunked)
		blen = dechunk(b, blen);
	resp->status = status;
	resp->body = b;
	resp->len = blen;
	return 0;
}

void crowd_docker_message(const struct crowd_docker_resp *resp, char *buf, size_t len)
{
	json_t *j = resp->body ? json_loads(resp->body, JSON_DECODE_ANY, NULL) : NULL;
	const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;
	snprintf(buf, len, "%s", m ? m : resp->body ? resp->body : "");
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		buf[--l] = '\0';
	json_decref(j);
}
