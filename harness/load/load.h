/* The built-in HTTP/1.1 load generator: epoll worker threads, keep-alive connections, C per
 * target, fixed duration, optional pipelining. Sockets for a target in another network
 * namespace are created inside that namespace (the worker thread setns()es in, calls socket(),
 * and setns()es back; a socket keeps the namespace it was made in), so its traffic stays on that
 * namespace's loopback. Never prints. */
#ifndef CROWD_LOAD_H
#define CROWD_LOAD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct crowd_load_target {
	int netns_fd;      /* network namespace to connect from; -1: the caller's own */
	char addr[64];     /* numeric IPv4 or IPv6 address, e.g. "127.0.0.1", "::1" */
	unsigned port;
	const char *path;  /* request path, "/" when NULL */
};

struct crowd_load_result {
	uint64_t requests;       /* complete responses, any status */
	uint64_t bytes;          /* bytes read, headers included */
	uint64_t errors;         /* sum of the kinds below */
	uint64_t connect_errors; /* refused, unreachable, connect failed */
	uint64_t read_errors;    /* reset, server closed before a complete response, partial reads */
	uint64_t write_errors;   /* send failed */
	uint64_t parse_errors;   /* malformed response */
	uint64_t timeouts;       /* no progress within timeout_ns in any state */
	uint64_t status_errors;  /* responses with a status outside 2xx (also counted in requests) */
	double rps, bytes_per_s;
	int64_t first_response_ns; /* CLOCK_MONOTONIC, absolute, of the first 2xx; -1: none */
	int64_t p50_ns, p90_ns, p99_ns, max_ns;
	double mean_ns;
};

struct crowd_load_totals {
	uint64_t requests, bytes, errors;
	uint64_t connect_errors, read_errors, write_errors, parse_errors, timeouts, status_errors;
	double total_rps, bytes_per_s;
	double fairness;        /* Jain's index of the targets' rps, 1/n..1; 0 when nothing ran */
	int64_t client_cpu_ns;  /* CPU time of the load threads (CLOCK_THREAD_CPUTIME_ID summed) */
	int64_t duration_ns;    /* measured wall time of the load */
	unsigned threads;       /* worker threads used */
	int64_t p50_ns, p90_ns, p99_ns, max_ns, min_ns; /* over all targets */
	double mean_ns, stddev_ns;
};

struct crowd_load_opts {
	unsigned connections; /* per target, >= 1 */
	int64_t duration_ns;  /* > 0 */
	unsigned threads;     /* 0: number of online CPUs (never more than connections in total) */
	unsigned pipeline;    /* requests in flight per connection; 0 or 1: no pipelining */
	int64_t timeout_ns;   /* 0: 2 s */
};

/* Load n targets for o->duration_ns (or until *stop becomes non-zero; stop may be NULL).
 * All connections are opened first, each in its target's network namespace, and every one is
 * connected or has its failure counted before the measured duration starts: connecting to
 * thousands of namespaces costs no target its share of the load. A target that never answered
 * during the load has errors > 0 (connect errors, or its unanswered connections counted as
 * timeouts): requests > 0 or errors > 0 for every target unless *stop ended it early.
 * ret: n results (required); tot: may be NULL. Errors of requests are counted, not returned;
 * a negative errno means the load could not run at all (bad options, no threads, setns). */
int crowd_load_run(const struct crowd_load_target *t, size_t n, const struct crowd_load_opts *o,
		   struct crowd_load_result *ret, struct crowd_load_totals *tot,
		   volatile sig_atomic_t *stop, struct crowd_error *err);

/* How many targets of `connections` each (plus extra_fds_per_target descriptors the caller
 * opens per target, e.g. a netns fd) one crowd_load_run can take under the RLIMIT_NOFILE hard
 * limit, given the descriptors open now. SIZE_MAX: no limit. At least 1. */
size_t crowd_load_max_targets(unsigned connections, unsigned extra_fds_per_target);

/* Parse "http://HOST[:PORT][/PATH]" where HOST is a loopback address (127.0.0.0/8, ::1,
 * "localhost"). Anything else: -EINVAL with a message saying what is allowed. path_buf holds
 * the path; ret->path points into it. ret->netns_fd = -1. */
int crowd_load_parse_url(const char *url, struct crowd_load_target *ret, char *path_buf,
			 size_t path_len, struct crowd_error *err);

#endif
