/* The httpd event loop: one thread, epoll (level-triggered), non-blocking sockets. */
#ifndef CROWD_HTTPD_SERVER_H
#define CROWD_HTTPD_SERVER_H

#include <stdint.h>

struct httpd_config {
	const char *bind; /* address to listen on; NULL: [::] dual stack, else 0.0.0.0 */
	uint16_t port;
	uint32_t max_conns;  /* connections held at once; accept pauses at the limit */
	uint64_t timeout_ms; /* a connection that completes no request (and sends nothing) this
			      * long is closed: idle keep-alive and slowloris alike */
};

/* Listen, signal readiness (CROWD_READY_FD), serve until SIGTERM/SIGINT, free everything.
 * Returns 0 or -errno; *ret_what names the step that failed. */
int httpd_serve(const struct httpd_config *cfg, const char **ret_what);

#endif
