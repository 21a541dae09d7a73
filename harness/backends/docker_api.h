/* A small client of the Docker Engine API over its unix socket: one HTTP/1.1 request per
 * connection (Connection: close), the answer's status and body (chunked or not). crowd never
 * starts dockerd; it talks to the one DOCKER_HOST (unix://PATH) or /var/run/docker.sock names. */
#ifndef CROWD_DOCKER_API_H
#define CROWD_DOCKER_API_H

#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* The daemon's socket path into buf: DOCKER_HOST's unix:// path or the default one. -EINVAL
 * with err for a DOCKER_HOST that is not unix:// (tcp:// is not supported). */
int crowd_docker_socket(char *buf, size_t len, struct crowd_error *err);

struct crowd_docker_req {
	const char *method; /* "GET", "POST", "DELETE" */
	const char *path;   /* "/containers/create?name=x", without a version prefix */
	const char *body;   /* JSON, or NULL */
	int body_fd;	    /* or: a file sent as application/x-tar (-1: none) */
	int timeout_ms;
};

struct crowd_docker_resp {
	int status; /* HTTP status */
	char *body; /* NUL-terminated, malloc'd (free it), de-chunked */
	size_t len;
	pid_t peer; /* the daemon's pid (SO_PEERCRED), 0 when unknown */
};

/* One request. 0 when an answer came (any status), -errno with err when none did (no
 * daemon: -ECONNREFUSED or -ENOENT, with "no docker daemon at PATH"). */
int crowd_docker_call(const char *sock, const struct crowd_docker_req *req,
		      struct crowd_docker_resp *resp, struct crowd_error *err);

/* The daemon's error message of an answer ({"message": "..."}), or its body, into buf. */
void crowd_docker_message(const struct crowd_docker_resp *resp, char *buf, size_t len);

#endif
