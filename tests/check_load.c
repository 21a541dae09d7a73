/* Load generator against small servers started by the tests themselves (threads in the test
 * process, on 127.0.0.1 or in a network namespace made by the test): known response rates,
 * and every kind of failure counted without hanging. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "load/load.h"
#include "results/stats.h"
#include "core/util.h"
#include "testutil.h"

enum mode {
	SRV_OK,        /* keep-alive, Content-Length */
	SRV_SLEEP10,   /* sleeps 10 ms before each response */
	SRV_CHUNKED,   /* chunked body */
	SRV_CLOSE,     /* one complete response, then closes without saying so */
	SRV_CONNCLOSE, /* "Connection: close" and closes: clean, no error */
	SRV_PARTIAL,   /* half a response, then closes */
	SRV_SILENT,    /* reads requests, never answers */
	SRV_500,       /* 500 Internal Server Error */
	SRV_BIG,       /* 200000-byte body: many reads per response */
	SRV_DRIP,      /* the response in pieces: status line, headers and body split */
};

struct server {
	int lfd;
	unsigned port;
	enum mode mode;
	pthread_t tid;
};

struct sconn {
	int fd;
	enum mode mode;
};

static const char ok_resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

static int send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int respond(int fd, enum mode m)
{
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
	static const char connclose[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	static const char partial[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";
	static const char e500[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nerr";
	switch (m) {
	case SRV_OK:
		return send_all(fd, ok_resp, sizeof(ok_resp) - 1);
	case SRV_SLEEP10:
		usleep(10000);
		return send_all(fd, ok_resp, sizeof(ok_resp) - 1);
	case SRV_CHUNKED:
		return send_all(fd, chunked, sizeof(chunked) - 1);
	case SRV_CLOSE:
		send_all(fd, ok_resp, sizeof(ok_resp) - 1);
		return -1;
	case SRV_CONNCLOSE:
		send_all(fd, connclose, sizeof(connclose) - 1);
		return -1;
	case SRV_PARTIAL:
		send_all(fd, partial, sizeof(partial) - 1);
		return -1;
	case SRV_SILENT:
		return 0;
	case SRV_500:
		return send_all(fd, e500, sizeof(e500) - 1);
	case SRV_BIG: {
		static char big[200000 + 64];
		int h = snprintf(big, 64, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n");
		memset(big + h, 'x', 200000);
		return send_all(fd, big, (size_t)h + 200000);
	}
	case SRV_DRIP: {
		static const char *const piece[] = {"HTTP/1.1 2", "00 OK\r\nContent-Le", "ngth: 5\r\n\r",
						    "\nhe", "llo"};
		for (size_t i = 0; i < sizeof(piece) / sizeof(piece[0]); i++) {
			if (send_all(fd, piece[i], strlen(piece[i])) < 0)
				return -1;
			usleep(2000);
		}
		return 0;
	}
	}
	return -1;
}

/* One thread per connection: answer every complete request (pipelined ones too). */
static void *sconn_main(void *arg)
{
	struct sconn sc = *(struct sconn *)arg;
	free(arg);
	char buf[8192];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(sc.fd, buf + len, sizeof(buf) - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		char *e;
		bool stop = false;
		while ((e = memmem(buf, len, "\r\n\r\n", 4))) {
			size_t used = (size_t)(e - buf) + 4;
			memmove(buf, buf + used, len - used);
			len -= used;
			if (respond(sc.fd, sc.mode) < 0) {
				stop = true;
				break;
			}
		}
		if (stop || len == sizeof(buf))
			break;
	}
	close(sc.fd);
	return NULL;
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		struct sconn *sc = malloc(sizeof(*sc));
		ck_assert_ptr_nonnull(sc);
		sc->fd = fd;
		sc->mode = s->mode;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &a, sconn_main, sc)) {
			close(fd);
			free(sc);
		}
		pthread_attr_destroy(&a);
	}
	return NULL;
}

/* A listening socket on 127.0.0.1 with a kernel-chosen port (0: listen; 1: bound only, for
 * "connection refused"). */
static int listen_local(bool do_listen, unsigned *ret_port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (do_listen)
		ck_assert_int_eq(listen(fd, 512), 0);
	socklen_t l = sizeof(a);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*ret_port = ntohs(a.sin_port);
	return fd;
}

static void server_start(struct server *s, enum mode m)
{
	s->mode = m;
	s->lfd = listen_local(true, &s->port);
	ck_assert_int_eq(pthread_create(&s->tid, NULL, server_main, s), 0);
}

static struct crowd_load_target target_of(unsigned port)
{
	struct crowd_load_target t = {.netns_fd = -1, .port = port, .path = "/"};
	strcpy(t.addr, "127.0.0.1");
	return t;
}

/* Run one target for duration_ms with c connections; checks the run ends in time. */
static void run1(unsigned port, unsigned c, int64_t duration_ms, int64_t timeout_ms,
		 unsigned pipeline, struct crowd_load_result *r, struct crowd_load_totals *tot)
{
	struct crowd_load_target t = target_of(port);
	struct crowd_load_opts o = {.connections = c,
				    .duration_ns = duration_ms * 1000000,
				    .threads = 2,
				    .pipeline = pipeline,
				    .timeout_ns = timeout_ms * 1000000};
	struct crowd_error err = {0};
	int64_t t0 = crowd_now_ns();
	int rc = crowd_load_run(&t, 1, &o, r, tot, NULL, &err);
	int64_t took_ms = (crowd_now_ns() - t0) / 1000000;
	ck_assert_msg(rc == 0, "crowd_load_run: %s", err.msg);
	/* Never hangs: done within the duration plus a margin; this shared VM shows scheduling
	 * stalls of whole processes of a few seconds under load. */
	ck_assert_msg(took_ms < duration_ms + 5000, "load took %lld ms", (long long)took_ms);
	ck_assert_uint_eq(r->errors, r->connect_errors + r->read_errors + r->write_errors +
					     r->parse_errors + r->timeouts + r->status_errors);
}

START_TEST(test_ok_keepalive)
{
	struct server s;
	server_start(&s, SRV_OK);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 4, 500, 2000, 1, &r, &tot);
	ck_assert_uint_gt(r.requests, 100);
	ck_assert_uint_eq(r.errors, 0);
	/* every response is 43 bytes */
	ck_assert_uint_ge(r.bytes, r.requests * (sizeof(ok_resp) - 1));
	ck_assert_int_gt(r.first_response_ns, 0);
	ck_assert_int_le(r.p50_ns, r.p99_ns);
	ck_assert_int_le(r.p99_ns, r.max_ns);
	ck_assert_uint_eq(tot.requests, r.requests);
	ck_assert_double_eq_tol(tot.fairness, 1.0, 1e-9);
	ck_assert_int_gt(tot.client_cpu_ns, 0);
	ck_assert_double_eq_tol(r.rps, (double)r.requests / ((double)tot.duration_ns / 1e9), 1e-6);
}
END_TEST

/* c connections to a server that takes at least 10 ms per response. Bounds from the measured
 * duration and latencies, not from wall-clock assumptions (a stalled host only makes responses
 * slower): at most c responses per 10 ms of the measured duration; and the rate is what c
 * connections each waiting mean_ns per response give (Little's law), within 25%. */
static void check_rate(const struct crowd_load_result *r, const struct crowd_load_totals *tot,
		       unsigned c, unsigned pipeline)
{
	double secs = (double)tot->duration_ns / 1e9;
	ck_assert_msg(r->requests > 0, "no response in %.3f s", secs);
	ck_assert_msg(r->p50_ns >= 10000000, "p50 %lld ns, each response takes >= 10 ms",
		      (long long)r->p50_ns);
	double most = c * (secs / 0.010) + c * pipeline;
	ck_assert_msg((double)r->requests <= most, "%llu responses in %.3f s: more than %.0f possible",
		      (unsigned long long)r->requests, secs, most);
	double little = c * pipeline / (r->mean_ns / 1e9);
	ck_assert_msg(r->rps >= 0.75 * little && r->rps <= 1.25 * little,
		      "%.1f rps, but %u connections x %u in flight at a mean %.2f ms give %.1f",
		      r->rps, c, pipeline, r->mean_ns / 1e6, little);
}

/* One connection to a server that takes 10 ms per response: about 100 requests/s. */
START_TEST(test_known_rate)
{
	struct server s;
	server_start(&s, SRV_SLEEP10);
	struct crowd_load_result r1, r4;
	struct crowd_load_totals tot;
	run1(s.port, 1, 1500, 2000, 1, &r1, &tot);
	ck_assert_uint_eq(r1.errors, 0);
	check_rate(&r1, &tot, 1, 1);
	run1(s.port, 4, 1500, 2000, 1, &r4, &tot);
	ck_assert_uint_eq(r4.errors, 0);
	check_rate(&r4, &tot, 4, 1);

}
END_TEST

START_TEST(test_pipeline)
{
	struct server s;
	server_start(&s, SRV_SLEEP10);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	/* The server answers pipelined requests one after the other, 10 ms each: pipelining
	 * does not speed it up, but every response is parsed and counted. */
	run1(s.port, 1, 1000, 2000, 4, &r, &tot);
	ck_assert_uint_eq(r.errors, 0);
	/* 4 in flight, served one after the other: never more than one per 10 ms */
	double secs = (double)tot.duration_ns / 1e9;
	ck_assert_msg((double)r.requests <= secs / 0.010 + 4, "%llu responses in %.3f s",
		      (unsigned long long)r.requests, secs);
	ck_assert_msg(r.requests >= 4, "%llu responses", (unsigned long long)r.requests);
	/* a batch of 4 takes >= 40 ms: the latency of a batch's last response shows it */
	ck_assert_msg(r.max_ns >= 40000000, "max latency %lld ns", (long long)r.max_ns);
	struct server s2;
	server_start(&s2, SRV_OK);
	run1(s2.port, 2, 500, 2000, 8, &r, &tot);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_uint_gt(r.requests, 1000);
	ck_assert_uint_ge(r.bytes, r.requests * (sizeof(ok_resp) - 1));
}
END_TEST

START_TEST(test_chunked)
{
	struct server s;
	server_start(&s, SRV_CHUNKED);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 2, 500, 2000, 1, &r, &tot);
	ck_assert_uint_gt(r.requests, 50);
	ck_assert_uint_eq(r.errors, 0);
}
END_TEST

START_TEST(test_big_and_split_responses)
{
	struct server big, drip;
	server_start(&big, SRV_BIG);
	server_start(&drip, SRV_DRIP);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(big.port, 2, 500, 2000, 1, &r, &tot);
	ck_assert_uint_gt(r.requests, 10);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_uint_ge(r.bytes, r.requests * 200000);
	/* every response arrives in 5 pieces 2 ms apart: ~10 ms each, 1 connection */
	run1(drip.port, 1, 500, 2000, 1, &r, &tot);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_msg(r.requests >= 5 && r.requests <= 50, "%llu requests",
		      (unsigned long long)r.requests);
	ck_assert_int_ge(r.p50_ns, 8000000);
}
END_TEST

START_TEST(test_ipv6_loopback)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		crowd_test_skip("no ::1 here (%s)", strerror(errno));
		close(fd);
		return;
	}
	ck_assert_int_eq(listen(fd, 64), 0);
	socklen_t l = sizeof(a);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	static struct server s;
	s.mode = SRV_OK;
	s.lfd = fd;
	s.port = ntohs(a.sin6_port);
	ck_assert_int_eq(pthread_create(&s.tid, NULL, server_main, &s), 0);
	struct crowd_load_target t = {.netns_fd = -1, .addr = "::1", .port = s.port};
	struct crowd_load_opts o = {.connections = 2, .duration_ns = 300000000LL, .threads = 1};
	struct crowd_load_result r;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), 0);
	ck_assert_uint_gt(r.requests, 10);
	ck_assert_uint_eq(r.errors, 0);
}
END_TEST

/* A netns fd that is no network namespace: the run fails with a message, leaks nothing. */
START_TEST(test_bad_netns_fd)
{
	if (geteuid() != 0)
		CROWD_SKIP("needs root (setns)");
	struct server s;
	server_start(&s, SRV_OK);
	struct crowd_load_target t = target_of(s.port);
	t.netns_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(t.netns_fd, 0);
	struct crowd_load_opts o = {.connections = 2, .duration_ns = 300000000LL, .threads = 2};
	struct crowd_load_result r;
	struct crowd_error err = {0};
	int before = 0, after = 0;
	for (int fd = 0; fd < 1024; fd++)
		before += fcntl(fd, F_GETFD) >= 0;
	ck_assert_int_lt(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "setns") != NULL, "message: %s", err.msg);
	for (int fd = 0; fd < 1024; fd++)
		after += fcntl(fd, F_GETFD) >= 0;
	ck_assert_int_eq(before, after);
	close(t.netns_fd);
}
END_TEST

START_TEST(test_connection_close_is_clean)
{
	struct server s;
	server_start(&s, SRV_CONNCLOSE);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 2, 500, 2000, 1, &r, &tot);
	ck_assert_uint_gt(r.requests, 20);
	ck_assert_uint_eq(r.errors, 0);
}
END_TEST

START_TEST(test_server_closes)
{
	struct server s;
	server_start(&s, SRV_CLOSE);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 2, 500, 2000, 1, &r, &tot);
	/* Each connection gets one response, then the next request finds it closed. */
	ck_assert_uint_gt(r.requests, 10);
	ck_assert_uint_gt(r.read_errors, 10);
	ck_assert_uint_eq(r.timeouts, 0);
	ck_assert_uint_eq(tot.read_errors, r.read_errors);
}
END_TEST

START_TEST(test_partial)
{
	struct server s;
	server_start(&s, SRV_PARTIAL);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 2, 500, 2000, 1, &r, &tot);
	ck_assert_uint_eq(r.requests, 0);
	ck_assert_uint_gt(r.read_errors, 10);
	ck_assert_int_eq(r.first_response_ns, -1);
}
END_TEST

START_TEST(test_timeout)
{
	struct server s;
	server_start(&s, SRV_SILENT);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 2, 1000, 200, 1, &r, &tot);
	ck_assert_uint_eq(r.requests, 0);
	/* 2 connections, each timing out after 200 ms and starting again: at most
	 * 2 x duration / 200 ms; at least one each, and no fewer than if every one of them took
	 * twice the timeout (deadlines are scanned every 10 ms, a loaded host adds delays). */
	double per = (double)tot.duration_ns / 200e6;
	ck_assert_msg((double)r.timeouts <= 2 * per + 1e-9 && r.timeouts >= 2 &&
			      (double)r.timeouts >= 2 * (double)(int)(per / 2),
		      "timeouts %llu in %.3f s", (unsigned long long)r.timeouts,
		      (double)tot.duration_ns / 1e9);
	ck_assert_uint_eq(r.errors, r.timeouts);
}
END_TEST

START_TEST(test_refused)
{
	unsigned port;
	int fd = listen_local(false, &port); /* bound, not listening: connect is refused */
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(port, 3, 500, 2000, 1, &r, &tot);
	ck_assert_uint_eq(r.requests, 0);
	ck_assert_uint_gt(r.connect_errors, 3);
	/* refused connects retry after 10 ms doubling to 100 ms (about 8 tries each in 500 ms),
	 * not in a busy loop */
	ck_assert_uint_lt(r.connect_errors, 3 * 15);
	ck_assert_int_eq(r.first_response_ns, -1);
	ck_assert_double_eq(tot.fairness, 0.0);
	close(fd);
}
END_TEST

/* A server that starts listening 200 ms into the run is picked up within the backoff. */
static void *listen_later(void *arg)
{
	struct server *s = arg;
	usleep(200000);
	if (listen(s->lfd, 64) < 0)
		return NULL;
	return server_main(s);
}

START_TEST(test_late_server)
{
	static struct server s;
	s.mode = SRV_OK;
	s.lfd = listen_local(false, &s.port);
	struct crowd_load_target t = target_of(s.port);
	struct crowd_load_opts o = {.connections = 2, .duration_ns = 1500000000LL, .threads = 1};
	struct crowd_load_result r;
	struct crowd_error err = {0};
	int64_t t0 = crowd_now_ns();
	ck_assert_int_eq(pthread_create(&s.tid, NULL, listen_later, &s), 0);
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), 0);
	ck_assert_uint_gt(r.connect_errors, 0);
	ck_assert_uint_gt(r.requests, 10);
	int64_t first_ms = (r.first_response_ns - t0) / 1000000;
	/* never before it listens; soon after (backoff is at most 100 ms), with room for a loaded
	 * host */
	ck_assert_msg(first_ms >= 200 && first_ms < 1200, "first response after %lld ms",
		      (long long)first_ms);
}
END_TEST

START_TEST(test_status_errors)
{
	struct server s;
	server_start(&s, SRV_500);
	struct crowd_load_result r;
	struct crowd_load_totals tot;
	run1(s.port, 1, 300, 2000, 1, &r, &tot);
	ck_assert_uint_gt(r.requests, 10);
	ck_assert_uint_eq(r.status_errors, r.requests);
	ck_assert_int_eq(r.first_response_ns, -1);
}
END_TEST

/* Two targets at different speeds: per-target results and Jain's index. */
START_TEST(test_two_targets_fairness)
{
	struct server fast, slow;
	server_start(&fast, SRV_SLEEP10);
	server_start(&slow, SRV_SLEEP10);
	struct crowd_load_target t[2] = {target_of(fast.port), target_of(slow.port)};
	struct crowd_load_opts o = {.connections = 2, .duration_ns = 1000000000LL, .threads = 2};
	struct crowd_load_result r[2];
	struct crowd_load_totals tot;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_load_run(t, 2, &o, r, &tot, NULL, &err), 0);
	ck_assert_uint_eq(tot.requests, r[0].requests + r[1].requests);
	for (int i = 0; i < 2; i++)
		check_rate(&r[i], &tot, 2, 1);
	double x[2] = {r[0].rps, r[1].rps};
	ck_assert_double_eq_tol(tot.fairness, crowd_stats_jain(x, 2), 1e-9);
	ck_assert(tot.fairness > 0.9);
}
END_TEST

START_TEST(test_stop_flag)
{
	struct server s;
	server_start(&s, SRV_OK);
	struct crowd_load_target t = target_of(s.port);
	struct crowd_load_opts o = {.connections = 1, .duration_ns = 60000000000LL};
	struct crowd_load_result r;
	struct crowd_error err = {0};
	volatile sig_atomic_t stop = 1; /* already stopped: returns at once */
	int64_t t0 = crowd_now_ns();
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, &stop, &err), 0);
	ck_assert_int_lt(crowd_now_ns() - t0, 1000000000LL);
}
END_TEST

START_TEST(test_parse_url)
{
	struct crowd_load_target t;
	char path[256];
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_load_parse_url("http://127.0.0.1:8080/x?y=1", &t, path, sizeof(path), &err), 0);
	ck_assert_str_eq(t.addr, "127.0.0.1");
	ck_assert_uint_eq(t.port, 8080);
	ck_assert_str_eq(t.path, "/x?y=1");
	ck_assert_int_eq(t.netns_fd, -1);
	ck_assert_int_eq(crowd_load_parse_url("http://localhost", &t, path, sizeof(path), &err), 0);
	ck_assert_str_eq(t.addr, "127.0.0.1");
	ck_assert_uint_eq(t.port, 80);
	ck_assert_str_eq(t.path, "/");
	ck_assert_int_eq(crowd_load_parse_url("http://[::1]:81/", &t, path, sizeof(path), &err), 0);
	ck_assert_str_eq(t.addr, "::1");
	ck_assert_int_eq(crowd_load_parse_url("http://127.1.2.3:9/", &t, path, sizeof(path), &err), 0);
	const char *bad[] = {
		"http://10.0.0.1/",      "http://example.com/", "https://127.0.0.1/",
		"http://[::2]:80/",      "http://127.0.0.1:0/", "http://127.0.0.1:70000/",
		"http://127.0.0.1:80x/", "127.0.0.1:80",        "http://127.0.0.1/a b",
		"http://0.0.0.0/",       "http://[::ffff:8.8.8.8]/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		crowd_error_clear(&err);
		ck_assert_msg(crowd_load_parse_url(bad[i], &t, path, sizeof(path), &err) == -EINVAL,
			      "accepted %s", bad[i]);
		ck_assert_msg(err.msg[0], "no message for %s", bad[i]);
	}
}
END_TEST

START_TEST(test_bad_opts)
{
	struct crowd_load_target t = target_of(1);
	struct crowd_load_result r;
	struct crowd_error err = {0};
	struct crowd_load_opts o = {.connections = 0, .duration_ns = 1000000};
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), -EINVAL);
	o.connections = 1;
	o.duration_ns = 0;
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), -EINVAL);
	o.duration_ns = 1000000;
	strcpy(t.addr, "not-an-ip");
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), -EINVAL);
	t = target_of(0);
	ck_assert_int_eq(crowd_load_run(&t, 1, &o, &r, NULL, NULL, &err), -EINVAL);
	/* A refused target closes none of the caller's descriptors (fd 0 is one). */
	ck_assert_int_ge(fcntl(0, F_GETFD), 0);
}
END_TEST

/* A server in a network namespace the test makes: reached only through netns_fd. */
START_TEST(test_netns_target)
{
	if (geteuid() != 0)
		CROWD_SKIP("needs root (unshare CLONE_NEWNET, setns)");
	struct stat before, after;
	ck_assert_int_eq(stat("/proc/thread-self/ns/net", &before), 0);
	int up[2], hold[2];
	ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(hold, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(up[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr = {0};
		strcpy(ifr.ifr_name, "lo");
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
			_exit(2);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			_exit(3);
		close(s);
		static struct server srv;
		srv.mode = SRV_OK;
		srv.lfd = listen_local(true, &srv.port);
		if (pthread_create(&srv.tid, NULL, server_main, &srv))
			_exit(4);
		if (write(up[1], &srv.port, sizeof(srv.port)) != sizeof(srv.port))
			_exit(5);
		char c;
		(void)!read(hold[0], &c, 1); /* until the parent is done */
		_exit(0);
	}
	close(up[1]);
	close(hold[0]);
	unsigned port = 0;
	ck_assert_int_eq(read(up[0], &port, sizeof(port)), sizeof(port));
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	int nsfd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(nsfd, 0);

	struct crowd_load_target t[2] = {target_of(port), target_of(port)};
	t[0].netns_fd = nsfd;
	struct crowd_load_opts o = {.connections = 2, .duration_ns = 500000000LL, .threads = 2};
	struct crowd_load_result r[2];
	struct crowd_load_totals tot;
	struct crowd_error err = {0};
	int rc = crowd_load_run(t, 2, &o, r, &tot, NULL, &err);
	close(hold[1]);
	close(up[0]);
	int status;
	waitpid(pid, &status, 0);
	close(nsfd);
	ck_assert_msg(rc == 0, "%s", err.msg);
	ck_assert_msg(r[0].requests > 50 && r[0].errors == 0,
		      "in the namespace: %llu requests, %llu errors",
		      (unsigned long long)r[0].requests, (unsigned long long)r[0].errors);
	ck_assert_int_gt(r[0].first_response_ns, 0);
	/* The same address and port from the host's namespace reaches nothing. */
	ck_assert_uint_eq(r[1].requests, 0);
	ck_assert_uint_gt(r[1].connect_errors, 0);
	/* The calling thread is still in its own namespace. */
	ck_assert_int_eq(stat("/proc/thread-self/ns/net", &after), 0);
	ck_assert_uint_eq(before.st_ino, after.st_ino);
}
END_TEST


/* Many network namespaces made by the test thread (unshare, lo up, a listener, the netns fd
 * kept), served by one epoll thread: SRV_OK on every listener except the ones in silent[]. */
#define MANY 300

struct many {
	int lfd[MANY];
	int nsfd[MANY];
	bool silent[MANY];
	int epfd;
};

static void *many_main(void *arg)
{
	struct many *m = arg;
	struct epoll_event ev[64];
	for (;;) {
		int n = epoll_wait(m->epfd, ev, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			int64_t tag = (int64_t)ev[i].data.u64;
			if (tag < MANY) { /* a listener */
				int fd = accept4(m->lfd[tag], NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				struct epoll_event e = {.events = EPOLLIN,
							.data.u64 = (uint64_t)fd << 32 | (uint64_t)m->silent[tag] << 31 | MANY};
				epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &e);
				continue;
			}
			int fd = (int)(ev[i].data.u64 >> 32);
			bool silent = (ev[i].data.u64 >> 31) & 1;
			char buf[4096];
			ssize_t k = read(fd, buf, sizeof(buf));
			if (k <= 0) {
				close(fd);
				continue;
			}
			/* requests are never pipelined here: one response per request seen */
			for (char *p = buf; !silent && (p = memmem(p, (size_t)(buf + k - p), "\r\n\r\n", 4)); p += 4)
				if (send_all(fd, ok_resp, sizeof(ok_resp) - 1) < 0)
					break;
		}
	}
	return NULL;
}

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	int r = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 ? 0 : -1;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		r = -1;
	if (s >= 0)
		close(s);
	return r;
}

/* Every one of MANY targets, each in its own network namespace, gets requests: the clock
 * starts only after every connection is made, so a short load over many namespaces leaves no
 * target silent. A target that never answers, and one that refuses, are errors, never
 * nothing. */
START_TEST(test_many_netns_targets)
{
	if (geteuid() != 0)
		CROWD_SKIP("needs root (unshare CLONE_NEWNET, setns)");
	static struct many m;
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(self, 0);
	m.epfd = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(m.epfd, 0);
	static struct crowd_load_target t[MANY + 1];
	const size_t silent_at = 7, refused_at = MANY;
	for (size_t i = 0; i <= MANY; i++) {
		ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
		ck_assert_int_eq(lo_up(), 0);
		unsigned port;
		int fd = listen_local(i < MANY, &port); /* the last one only bound: refused */
		int nsfd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(nsfd, 0);
		t[i] = target_of(port);
		t[i].netns_fd = nsfd;
		if (i == MANY)
			break; /* fd and nsfd of the refusing one stay open until the process ends */
		m.lfd[i] = fd;
		m.nsfd[i] = nsfd;
		m.silent[i] = i == silent_at;
		struct epoll_event e = {.events = EPOLLIN, .data.u64 = i};
		ck_assert_int_eq(epoll_ctl(m.epfd, EPOLL_CTL_ADD, fd, &e), 0);
	}
	ck_assert_int_eq(setns(self, CLONE_NEWNET), 0);
	pthread_t tid;
	ck_assert_int_eq(pthread_create(&tid, NULL, many_main, &m), 0);

	/* 200 ms: far less than opening 301 connections in 301 namespaces may take on a busy
	 * host; the timeout is longer than the load, so the silent target has no timeout of its
	 * own during the run. */
	struct crowd_load_opts o = {.connections = 1, .duration_ns = 200000000LL, .threads = 2,
				    .timeout_ns = 5000000000LL};
	static struct crowd_load_result r[MANY + 1];
	struct crowd_load_totals tot;
	struct crowd_error err = {0};
	int64_t t0 = crowd_now_ns();
	int rc = crowd_load_run(t, MANY + 1, &o, r, &tot, NULL, &err);
	int64_t took_ms = (crowd_now_ns() - t0) / 1000000;
	ck_assert_msg(rc == 0, "%s", err.msg);
	size_t silent = 0;
	for (size_t i = 0; i < MANY; i++) {
		if (i == silent_at)
			continue;
		if (r[i].requests == 0 || r[i].errors)
			silent++;
	}
	ck_assert_msg(silent == 0, "%zu of %d answering targets got no requests or had errors "
		      "(load took %lld ms, measured %lld ms)", silent, MANY - 1, (long long)took_ms,
		      (long long)(tot.duration_ns / 1000000));
	/* The measured duration is the load's, not the connecting before it. */
	ck_assert_int_le(tot.duration_ns, o.duration_ns);
	ck_assert_uint_eq(r[silent_at].requests, 0);
	ck_assert_uint_gt(r[silent_at].errors, 0);
	ck_assert_uint_eq(r[silent_at].timeouts, r[silent_at].errors);
	ck_assert_uint_eq(r[refused_at].requests, 0);
	ck_assert_uint_gt(r[refused_at].connect_errors, 0);
	for (size_t i = 0; i <= MANY; i++)
		close(t[i].netns_fd);
	close(self);
}
END_TEST

static Suite *load_suite(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_url);
	tcase_add_test(tc, test_bad_opts);
	tcase_add_test(tc, test_ok_keepalive);
	tcase_add_test(tc, test_known_rate);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_chunked);
	tcase_add_test(tc, test_big_and_split_responses);
	tcase_add_test(tc, test_ipv6_loopback);
	tcase_add_test(tc, test_bad_netns_fd);
	tcase_add_test(tc, test_connection_close_is_clean);
	tcase_add_test(tc, test_server_closes);
	tcase_add_test(tc, test_partial);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_late_server);
	tcase_add_test(tc, test_status_errors);
	tcase_add_test(tc, test_two_targets_fairness);
	tcase_add_test(tc, test_stop_flag);
	tcase_add_test(tc, test_netns_target);
	tcase_add_test(tc, test_many_netns_targets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(load_suite());
}
