/* HTTP/1.1 load generator: see load.h. Each worker thread owns a share of the connections
 * and one epoll set; a connection is a small state machine (connecting, writing, reading) with
 * a deadline in every state, so nothing waits forever. */
#include "load.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "histogram.h"
#include "results/stats.h"
#include "core/util.h"

#define BUF_LEN		   8192
#define RETRY_NS	   (10 * 1000000LL)  /* wait before reconnecting after a failed connect, */
#define RETRY_MAX_NS	   (100 * 1000000LL) /* doubling up to this while connects keep failing */
#define TICK_NS		   (10 * 1000000LL)  /* deadline scan period and longest epoll wait */
#define DEFAULT_TIMEOUT_NS (2 * 1000000000LL)
#define MAX_EVENTS	   256
#define MAX_THREADS	   256
#define MAX_PIPELINE	   1024

enum conn_state { CONN_IDLE, CONN_CONNECTING, CONN_ACTIVE };
enum parse_state {
	PARSE_HEADER,
	PARSE_BODY_LEN,
	PARSE_BODY_EOF,
	PARSE_CHUNK_SIZE,
	PARSE_CHUNK_DATA,
	PARSE_CHUNK_CRLF,
	PARSE_CHUNK_TRAILER,
};

/* One worker's counters for one target. */
struct tstats {
	uint64_t requests, bytes, connect_errors, read_errors, write_errors, parse_errors, timeouts,
	    status_errors;
	int64_t first_ns;
	uint64_t unanswered; /* connections still waiting for a first response at the end */
	struct crowd_hist hist;
};

/* Per target, shared read-only by the workers. */
struct tinfo {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr;
	socklen_t addr_len;
	int family;
	int netns_fd;
	char *req; /* the request repeated `pipeline` times */
	size_t req_len;
};

struct conn {
	int fd;
	size_t target;
	struct tstats *st;
	enum conn_state state;
	int64_t deadline_ns; /* timeout when connecting/active, retry time when idle */
	int64_t retry_ns;    /* next backoff after a failed connect; 0 after a success */
	bool want_out;
	size_t wr_off;
	unsigned inflight;
	int64_t batch_ns; /* when the current batch of requests was sent */
	enum parse_state ps;
	uint64_t remain;
	int status;
	bool close_after;
	unsigned gen; /* bumped on close: tells a caller its connection was replaced */
	bool settled; /* connect phase: connected, or its failure counted */
	size_t len;
	char buf[BUF_LEN];
};

struct run;

struct worker {
	pthread_t tid;
	struct run *run;
	struct conn **conns;
	size_t nconns;
	struct tstats **stats; /* per target, NULL when this worker has no connection to it */
	int epfd;
	int own_netns; /* -1 when no target needs another namespace */
	int cur_netns; /* the target netns fd this thread is in, -1: its own */
	int64_t cpu_ns;
	int64_t exit_ns;
	size_t unsettled; /* connect phase: connections neither connected nor failed yet */
	int err;
	struct crowd_error error;
};

struct run {
	const struct tinfo *ti;
	size_t ntargets;
	unsigned pipeline;
	int64_t start_ns, end_ns, timeout_ns;
	volatile sig_atomic_t *stop;
	volatile sig_atomic_t abort;
	/* Connections are opened (in each target's netns) and confirmed before the clock starts:
	 * start_ns/end_ns are set by the caller once every worker reached the barrier. */
	volatile bool measuring;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t nready; /* workers done connecting */
	bool go;       /* the clock started */
};

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A socket made in netns_fd by a forked child: an unprivileged load generator may not setns
 * into a network namespace a user namespace owns (a --rootless container's); a child, which
 * has one thread, may join that user namespace first (its owner has every capability in it;
 * a threaded process may not), then the network namespace, and pass the socket back. */
static int socket_via_child(int netns_fd, int family)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	int userns = ioctl(netns_fd, NS_GET_USERNS);
	if (userns < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int e = 0, fd = -1;
		if (setns(userns, CLONE_NEWUSER) < 0 || setns(netns_fd, CLONE_NEWNET) < 0 ||
		    (fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			e = errno;
		_exit(crowd_send_fd(sv[1], &e, sizeof(e), fd) < 0 ? 1 : 0);
	}
	int e = pid < 0 ? errno : 0, fd = -1;
	close(sv[1]);
	close(userns);
	if (pid > 0) {
		int child_err = EIO;
		ssize_t n = crowd_recv_fd(sv[0], &child_err, sizeof(child_err), &fd);
		if (fd < 0)
			e = n < 0 ? errno : child_err ? child_err : EIO;
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(sv[0]);
	return fd >= 0 ? fd : -e;
}

/* A socket made in the target's network namespace. Namespace switches are lazy: the thread
 * stays where it is until a target of another namespace needs a socket. */
static int make_socket(struct worker *w, const struct tinfo *ti)
{
	int want = ti->netns_fd;
	int fd = -1;
	if (want != w->cur_netns) {
		int to = want >= 0 ? want : w->own_netns;
		if (setns(to, CLONE_NEWNET) < 0) {
			int e = errno;
			if (e == EPERM && want >= 0 && geteuid() != 0)
				fd = socket_via_child(want, ti->family);
			if (fd < 0) {
				if (fd < -1)
					e = -fd;
				w->err = crowd_error_errno(
				    &w->error, e, "setns into the target's network namespace");
				return -e;
			}
		} else {
			w->cur_netns = want;
		}
	}
	if (fd < 0)
		fd = socket(ti->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->gen++;
	c->state = CONN_IDLE;
	c->want_out = false;
	c->len = 0;
	c->inflight = 0;
}

static int conn_events(struct worker *w, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	return epoll_ctl(w->epfd, op, c->fd, &ev);
}

static void conn_open(struct worker *w, struct conn *c, int64_t now);

/* Connect phase: this connection is done waiting (connected, or its failure was counted). */
static void conn_settle(struct worker *w, struct conn *c)
{
	if (!c->settled) {
		c->settled = true;
		w->unsettled--;
	}
}

/* After a failed connect: try again later, waiting longer each time it keeps failing. */
static void conn_backoff(struct worker *w, struct conn *c, int64_t now)
{
	conn_settle(w, c);
	c->retry_ns = c->retry_ns ? c->retry_ns * 2 : RETRY_NS;
	if (c->retry_ns > RETRY_MAX_NS)
		c->retry_ns = RETRY_MAX_NS;
	c->deadline_ns = now + c->retry_ns;
}

/* Close, count nothing, and connect again at once (or after RETRY_NS when asked). */
static void conn_restart(struct worker *w, struct conn *c, int64_t now, bool backoff)
{
	conn_close(c);
	if (backoff) {
		conn_backoff(w, c, now);
		return;
	}
	conn_open(w, c, now);
}

static void conn_write(struct worker *w, struct conn *c, int64_t now)
{
	const struct tinfo *ti = &w->run->ti[c->target];
	while (c->wr_off < ti->req_len) {
		ssize_t n = send(c->fd, ti->req + c->wr_off, ti->req_len - c->wr_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0) {
			c->wr_off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!c->want_out &&
			    conn_events(w, c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD) == 0)
				c->want_out = true;
			return;
		}
		c->st->write_errors++;
		conn_restart(w, c, now, false);
		return;
	}
	if (c->want_out && conn_events(w, c, EPOLLIN, EPOLL_CTL_MOD) == 0)
		c->want_out = false;
}

static void conn_send_batch(struct worker *w, struct conn *c, int64_t now)
{
	if (!w->run->measuring) {
		/* Connected before the clock started: wait for it, no request and no deadline. */
		c->inflight = 0;
		c->wr_off = w->run->ti[c->target].req_len;
		c->deadline_ns = INT64_MAX;
		conn_settle(w, c);
		return;
	}
	c->wr_off = 0;
	c->inflight = w->run->pipeline;
	c->batch_ns = now;
	c->deadline_ns = now + w->run->timeout_ns;
	c->ps = PARSE_HEADER;
	conn_write(w, c, now);
}

static void conn_open(struct worker *w, struct conn *c, int64_t now)
{
	const struct tinfo *ti = &w->run->ti[c->target];
	int fd = make_socket(w, ti);
	if (fd < 0) {
		if (w->err)
			return;
		c->st->connect_errors++;
		conn_backoff(w, c, now);
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->want_out = false;
	int r = connect(fd, &ti->addr.sa, ti->addr_len);
	if (r < 0 && errno != EINPROGRESS) {
		c->st->connect_errors++;
		conn_restart(w, c, now, true);
		return;
	}
	if (conn_events(w, c, r == 0 ? EPOLLIN : EPOLLOUT, EPOLL_CTL_ADD) < 0) {
		c->st->connect_errors++;
		conn_restart(w, c, now, true);
		return;
	}
	if (r == 0) {
		c->state = CONN_ACTIVE;
		c->retry_ns = 0;
		conn_send_batch(w, c, now);
		return;
	}
	c->state = CONN_CONNECTING;
	c->deadline_ns = now + w->run->timeout_ns;
}

static void conn_connected(struct worker *w, struct conn *c, int64_t now)
{
	int e = 0;
	socklen_t len = sizeof(e);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e) {
		c->st->connect_errors++;
		conn_restart(w, c, now, true);
		return;
	}
	if (conn_events(w, c, EPOLLIN, EPOLL_CTL_MOD) < 0) {
		c->st->connect_errors++;
		conn_restart(w, c, now, true);
		return;
	}
	c->state = CONN_ACTIVE;
	c->retry_ns = 0;
	conn_send_batch(w, c, now);
}

/* Case-insensitive search of a token in a header value of n bytes. */
static bool value_has(const char *v, size_t n, const char *tok)
{
	size_t k = strlen(tok);
	for (size_t i = 0; i + k <= n; i++)
		if (!strncasecmp(v + i, tok, k))
			return true;
	return false;
}

/* Status line and the headers that frame the body. head holds n bytes ending in "\r\n\r\n".
 * ret_len: Content-Length or -1. */
static int parse_head(const char *head, size_t n, int *ret_status, int64_t *ret_len,
		      bool *ret_chunked, bool *ret_close)
{
	if (n < 16 || memcmp(head, "HTTP/1.", 7) || !isdigit((unsigned char)head[7]) ||
	    head[8] != ' ' || !isdigit((unsigned char)head[9]) ||
	    !isdigit((unsigned char)head[10]) || !isdigit((unsigned char)head[11]))
		return -EPROTO;
	bool http10 = head[7] == '0';
	*ret_status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	*ret_len = -1;
	*ret_chunked = false;
	*ret_close = http10;
	const char *p = memchr(head, '\n', n);
	const char *end = head + n;
	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			size_t name_len = (size_t)(colon - p);
			const char *v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			size_t vlen = (size_t)(eol - v);
			if (name_len == 14 && !strncasecmp(p, "Content-Length", 14)) {
				int64_t x = 0;
				const char *q = v;
				if (q >= eol || !isdigit((unsigned char)*q))
					return -EPROTO;
				for (; q < eol && isdigit((unsigned char)*q); q++) {
					if (x > (INT64_MAX - 9) / 10)
						return -EPROTO;
					x = x * 10 + (*q - '0');
				}
				*ret_len = x;
			} else if (name_len == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
				*ret_chunked = value_has(v, vlen, "chunked");
			} else if (name_len == 10 && !strncasecmp(p, "Connection", 10)) {
				if (value_has(v, vlen, "close"))
					*ret_close = true;
				else if (value_has(v, vlen, "keep-alive"))
					*ret_close = false;
			}
		}
		p = eol;
	}
	return 0;
}

/* A response is complete. Returns true when the connection is still usable for parsing. */
static bool response_done(struct worker *w, struct conn *c)
{
	int64_t now = crowd_now_ns();
	struct tstats *st = c->st;
	unsigned gen = c->gen;
	if (now < w->run->end_ns) {
		st->requests++;
		crowd_hist_record(&st->hist, now - c->batch_ns);
		if (c->status >= 200 && c->status < 300) {
			if (st->first_ns < 0)
				st->first_ns = now;
		} else {
			st->status_errors++;
		}
	}
	c->ps = PARSE_HEADER;
	if (c->close_after) {
		conn_restart(w, c, now, false);
		return false;
	}
	if (c->inflight > 0)
		c->inflight--;
	if (c->inflight == 0) {
		if (now >= w->run->end_ns)
			return false;
		conn_send_batch(w, c, now);
		return c->gen == gen && c->state == CONN_ACTIVE;
	}
	return true;
}

static void conn_fail(struct worker *w, struct conn *c, uint64_t *counter)
{
	(*counter)++;
	conn_restart(w, c, crowd_now_ns(), false);
}

/* What one parsing step did: go on with the next state, wait for more bytes, or the
 * connection was closed or restarted (its buffer is gone). */
enum step { STEP_NEXT, STEP_MORE, STEP_GONE };

static enum step step_fail(struct worker *w, struct conn *c)
{
	conn_fail(w, c, &c->st->parse_errors);
	return STEP_GONE;
}

/* Status line and headers: how the body is framed. */
static enum step step_header(struct worker *w, struct conn *c, char *p, size_t avail, size_t *used)
{
	if (avail == 0)
		return STEP_MORE;
	char *e = memmem(p, avail, "\r\n\r\n", 4);
	if (!e) {
		if (avail >= BUF_LEN - 1 || (p == c->buf && c->len == BUF_LEN))
			return step_fail(w, c);
		return STEP_MORE;
	}
	size_t hlen = (size_t)(e - p) + 4;
	int64_t clen;
	bool chunked;
	if (parse_head(p, hlen, &c->status, &clen, &chunked, &c->close_after) < 0)
		return step_fail(w, c);
	*used = hlen;
	if (c->status >= 100 && c->status < 200)
		return STEP_NEXT; /* interim response: the real one follows */
	if (c->status == 204 || c->status == 304) {
		c->remain = 0;
		c->ps = PARSE_BODY_LEN;
	} else if (chunked) {
		c->ps = PARSE_CHUNK_SIZE;
	} else if (clen >= 0) {
		c->remain = (uint64_t)clen;
		c->ps = PARSE_BODY_LEN;
	} else {
		c->close_after = true;
		c->ps = PARSE_BODY_EOF;
	}
	return STEP_NEXT;
}

/* c->remain bytes of a body or a chunk; then the response is done, or the chunk's CRLF. */
static enum step step_body(struct worker *w, struct conn *c, size_t avail, size_t *used)
{
	size_t take = avail < c->remain ? avail : (size_t)c->remain;
	*used = take;
	c->remain -= take;
	if (c->remain > 0)
		return STEP_MORE;
	if (c->ps == PARSE_CHUNK_DATA) {
		c->ps = PARSE_CHUNK_CRLF;
		return STEP_NEXT;
	}
	return response_done(w, c) ? STEP_NEXT : STEP_GONE;
}

/* A chunk-size line, or a trailer line (an empty one ends the response). */
static enum step step_chunk_line(struct worker *w, struct conn *c, const char *p, size_t avail,
				 size_t *used)
{
	const char *e = memmem(p, avail, "\r\n", 2);
	if (!e)
		return avail >= 256 ? step_fail(w, c) : STEP_MORE;
	size_t llen = (size_t)(e - p);
	*used = llen + 2;
	if (c->ps == PARSE_CHUNK_TRAILER)
		return llen == 0 && !response_done(w, c) ? STEP_GONE : STEP_NEXT;
	uint64_t size = 0;
	size_t i = 0;
	for (; i < llen && isxdigit((unsigned char)p[i]) && i < 15; i++)
		size = size * 16 + (uint64_t)(isdigit((unsigned char)p[i])
						  ? p[i] - '0'
						  : (tolower((unsigned char)p[i]) - 'a' + 10));
	if (i == 0 || (i < llen && p[i] != ';' && p[i] != ' '))
		return step_fail(w, c);
	c->remain = size;
	c->ps = size == 0 ? PARSE_CHUNK_TRAILER : PARSE_CHUNK_DATA;
	return STEP_NEXT;
}

static enum step parse_step(struct worker *w, struct conn *c, char *p, size_t avail, size_t *used)
{
	switch (c->ps) {
	case PARSE_HEADER:
		return step_header(w, c, p, avail, used);
	case PARSE_BODY_LEN:
	case PARSE_CHUNK_DATA:
		return step_body(w, c, avail, used);
	case PARSE_BODY_EOF: /* to the end of the connection: conn_read ends the response */
		*used = avail;
		return STEP_MORE;
	case PARSE_CHUNK_SIZE:
	case PARSE_CHUNK_TRAILER:
		return step_chunk_line(w, c, p, avail, used);
	case PARSE_CHUNK_CRLF:
		if (avail < 2)
			return STEP_MORE;
		if (p[0] != '\r' || p[1] != '\n')
			return step_fail(w, c);
		*used = 2;
		c->ps = PARSE_CHUNK_SIZE;
		return STEP_NEXT;
	}
	return STEP_MORE;
}

/* Consume what is in c->buf. Returns false when the connection was closed or restarted. */
static bool conn_parse(struct worker *w, struct conn *c)
{
	size_t pos = 0;
	enum step r;
	do {
		size_t used = 0;
		r = parse_step(w, c, c->buf + pos, c->len - pos, &used);
		pos += used;
	} while (r == STEP_NEXT);
	if (r == STEP_GONE)
		return false;
	if (pos > 0) {
		memmove(c->buf, c->buf + pos, c->len - pos);
		c->len -= pos;
	}
	return true;
}

static void conn_read(struct worker *w, struct conn *c)
{
	for (;;) {
		size_t space = BUF_LEN - c->len;
		ssize_t n = read(c->fd, c->buf + c->len, space);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			conn_fail(w, c, &c->st->read_errors);
			return;
		}
		if (n == 0) {
			if (c->inflight == 0 && c->len == 0) {
				/* Closed while idle (waiting for the clock, or after the end): no
				 * request was lost, connect again. */
				conn_restart(w, c, crowd_now_ns(), false);
				return;
			}
			if (c->ps == PARSE_BODY_EOF) {
				response_done(w, c); /* close_after is set: it reconnects */
				return;
			}
			/* Closed before a complete response: partial read or a dropped connection.
			 */
			conn_fail(w, c, &c->st->read_errors);
			return;
		}
		c->st->bytes += (uint64_t)n;
		c->len += (size_t)n;
		if (!conn_parse(w, c))
			return;
		/* Level-triggered: after a short read epoll reports the rest, if any. */
		if ((size_t)n < space)
			return;
	}
}

static void conn_event(struct worker *w, struct conn *c, uint32_t ev)
{
	int64_t now = crowd_now_ns();
	switch (c->state) {
	case CONN_IDLE:
		return;
	case CONN_CONNECTING:
		conn_connected(w, c, now);
		return;
	case CONN_ACTIVE:
		if ((ev & EPOLLOUT) && c->wr_off < w->run->ti[c->target].req_len) {
			conn_write(w, c, now);
			if (c->state != CONN_ACTIVE)
				return;
		}
		if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(w, c);
		return;
	}
}

static void scan_deadlines(struct worker *w, int64_t now)
{
	for (size_t i = 0; i < w->nconns && !w->err; i++) {
		struct conn *c = w->conns[i];
		if (c->deadline_ns > now)
			continue;
		if (c->state == CONN_IDLE) {
			conn_open(w, c, now);
		} else {
			c->st->timeouts++;
			conn_settle(w, c);
			conn_restart(w, c, now, false);
		}
	}
}

/* One round of the event loop: wait at most wait_ms, run the callbacks of the sockets that
 * are ready, and every TICK_NS the deadlines. */
static void worker_poll(struct worker *w, int wait_ms, int64_t *next_scan)
{
	struct epoll_event events[MAX_EVENTS];
	int n = epoll_wait(w->epfd, events, MAX_EVENTS, wait_ms);
	if (n < 0 && errno != EINTR) {
		w->err = crowd_error_errno(&w->error, errno, "epoll_wait");
		return;
	}
	for (int i = 0; i < n && !w->err; i++)
		conn_event(w, events[i].data.ptr, events[i].events);
	int64_t now = crowd_now_ns();
	if (now >= *next_scan) {
		scan_deadlines(w, now);
		*next_scan = now + TICK_NS;
	}
}

static bool worker_go_on(const struct worker *w)
{
	return !w->err && !w->run->abort && !(w->run->stop && *w->run->stop);
}

/* Connect phase, before the clock: every connection is opened in its target's netns and
 * either connected or its failure counted (a refused or timed-out target is an error of that
 * target, retried during the load). Then wait at the barrier for the clock to start. */
static void worker_connect(struct worker *w)
{
	struct run *run = w->run;
	w->unsettled = w->nconns;
	for (size_t i = 0; i < w->nconns && !w->err; i++)
		conn_open(w, w->conns[i], crowd_now_ns());
	int64_t next_scan = crowd_now_ns() + TICK_NS;
	while (w->unsettled > 0 && worker_go_on(w))
		worker_poll(w, (int)(TICK_NS / 1000000), &next_scan);
	if (w->err)
		run->abort = 1;
	pthread_mutex_lock(&run->mu);
	run->nready++;
	pthread_cond_broadcast(&run->cv);
	while (!run->go)
		pthread_cond_wait(&run->cv, &run->mu);
	pthread_mutex_unlock(&run->mu);
}

/* The measured load: every idle connection sends its first batch, then until the end. */
static void worker_load(struct worker *w)
{
	struct run *run = w->run;
	int64_t now = crowd_now_ns();
	for (size_t i = 0; i < w->nconns && worker_go_on(w); i++) {
		struct conn *c = w->conns[i];
		if (c->state == CONN_ACTIVE && c->inflight == 0)
			conn_send_batch(w, c, now);
	}
	int64_t next_scan = now + TICK_NS;
	while (worker_go_on(w) && (now = crowd_now_ns()) < run->end_ns) {
		int64_t wait_ns = run->end_ns - now;
		if (wait_ns > next_scan - now)
			wait_ns = next_scan - now;
		worker_poll(w, wait_ns <= 0 ? 0 : (int)((wait_ns + 999999) / 1000000), &next_scan);
	}
	w->exit_ns = crowd_now_ns();
	if (w->err)
		run->abort = 1;
}

/* A worker thread, wrk's thread_main: connect, load, then close what is still open (a
 * connection still waiting for its answer counts as unanswered). */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int64_t cpu0 = thread_cpu_ns();
	worker_connect(w);
	worker_load(w);
	for (size_t i = 0; i < w->nconns; i++) {
		struct conn *c = w->conns[i];
		if (c->state == CONN_CONNECTING || (c->state == CONN_ACTIVE && c->inflight > 0))
			c->st->unanswered++;
		conn_close(c);
	}
	if (w->cur_netns >= 0 && w->own_netns >= 0 && setns(w->own_netns, CLONE_NEWNET) == 0)
		w->cur_netns = -1;
	w->cpu_ns = thread_cpu_ns() - cpu0;
	return NULL;
}

static int target_prepare(const struct crowd_load_target *t, unsigned pipeline, struct tinfo *ti,
			  struct crowd_error *err)
{
	memset(ti, 0, sizeof(*ti));
	ti->netns_fd = t->netns_fd;
	if (t->port < 1 || t->port > 65535)
		return crowd_error_set(err, EINVAL, "target %s: port %u not in 1..65535", t->addr,
				       t->port);
	bool v6 = strchr(t->addr, ':') != NULL;
	if (v6) {
		ti->family = AF_INET6;
		ti->addr.in6.sin6_family = AF_INET6;
		ti->addr.in6.sin6_port = htons((uint16_t)t->port);
		ti->addr_len = sizeof(ti->addr.in6);
		if (inet_pton(AF_INET6, t->addr, &ti->addr.in6.sin6_addr) != 1)
			return crowd_error_set(err, EINVAL,
					       "target '%s': not a numeric IPv6 address", t->addr);
	} else {
		ti->family = AF_INET;
		ti->addr.in.sin_family = AF_INET;
		ti->addr.in.sin_port = htons((uint16_t)t->port);
		ti->addr_len = sizeof(ti->addr.in);
		if (inet_pton(AF_INET, t->addr, &ti->addr.in.sin_addr) != 1)
			return crowd_error_set(err, EINVAL,
					       "target '%s': not a numeric IPv4 address", t->addr);
	}
	const char *path = t->path && t->path[0] ? t->path : "/";
	char one[1024];
	int len = snprintf(one, sizeof(one),
			   "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: crowd-load\r\n\r\n",
			   path, v6 ? "[" : "", t->addr, v6 ? "]" : "", t->port);
	if (len < 0 || (size_t)len >= sizeof(one))
		return crowd_error_set(err, EINVAL, "target %s: path too long", t->addr);
	ti->req_len = (size_t)len * pipeline;
	ti->req = malloc(ti->req_len);
	if (!ti->req)
		return crowd_error_errno(err, ENOMEM, "request buffer");
	for (unsigned i = 0; i < pipeline; i++)
		memcpy(ti->req + (size_t)i * (size_t)len, one, (size_t)len);
	return 0;
}

/* Descriptors open in this process now (a launcher holds pidfds and netns fds by the
 * thousand); 0 when /proc/self/fd cannot be read. */
static size_t open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

size_t crowd_load_max_targets(unsigned connections, unsigned extra_fds_per_target)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return SIZE_MAX;
	size_t used = open_fds() + MAX_THREADS * 2 + 64,
	       per = (size_t)connections + extra_fds_per_target;
	if (per == 0)
		per = 1;
	if (rl.rlim_max <= used + per)
		return 1;
	return (size_t)((rl.rlim_max - used) / per);
}

/* Enough descriptors for every connection, on top of those already open: raise the soft limit
 * up to the hard one. */
static int ensure_nofile(size_t nconns, size_t need, struct crowd_error *err)
{
	struct rlimit rl;
	size_t open_now = open_fds();
	need += open_now;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return crowd_error_errno(err, errno, "getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			return crowd_error_set(
			    err, EMFILE,
			    "%zu connections need %zu file descriptors (%zu open already); "
			    "RLIMIT_NOFILE hard limit is %llu",
			    nconns, need, open_now, (unsigned long long)rl.rlim_max);
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return crowd_error_errno(err, errno, "setrlimit(RLIMIT_NOFILE)");
	}
	return 0;
}

static void summarize(const struct crowd_hist *h, struct crowd_load_result *r)
{
	r->p50_ns = crowd_hist_percentile(h, 50);
	r->p90_ns = crowd_hist_percentile(h, 90);
	r->p99_ns = crowd_hist_percentile(h, 99);
	r->max_ns = h->n ? h->max_ns : 0;
	r->mean_ns = crowd_hist_mean(h);
}

/* ---- the driver: plan the connections, run the workers, add up what they counted ---- */

/* What one load holds: the targets, the workers and the connections dealt to them. */
struct plan {
	struct run run;
	struct tinfo *ti;
	struct worker *w;
	struct conn *conns;
	struct conn **cptr; /* the workers' connection lists, one slice each */
	size_t *owner;	    /* connection -> its worker */
	size_t n, nconns, nthreads;
	unsigned connections;
	bool any_netns;
};

static int check_opts(const struct crowd_load_target *t, size_t n, const struct crowd_load_opts *o,
		      struct crowd_load_result *ret, struct crowd_error *err)
{
	if (!t || !o || !ret || n == 0)
		return crowd_error_set(err, EINVAL, "load: no targets");
	if (o->connections < 1 || o->connections > 100000)
		return crowd_error_set(err, EINVAL, "load: connections %u not in 1..100000",
				       o->connections);
	if (o->duration_ns <= 0)
		return crowd_error_set(err, EINVAL, "load: duration must be > 0");
	if (o->pipeline > MAX_PIPELINE)
		return crowd_error_set(err, EINVAL, "load: pipeline %u not in 1..%d", o->pipeline,
				       MAX_PIPELINE);
	if (o->threads > MAX_THREADS)
		return crowd_error_set(err, EINVAL, "load: threads %u not in 1..%d", o->threads,
				       MAX_THREADS);
	if (o->timeout_ns < 0)
		return crowd_error_set(err, EINVAL, "load: timeout must be >= 0");
	return 0;
}

/* Sizes, descriptors, the arrays, and each target's address and request. */
static int plan_alloc(struct plan *pl, const struct crowd_load_target *t, size_t n,
		      const struct crowd_load_opts *o, struct crowd_error *err)
{
	unsigned pipeline = o->pipeline ? o->pipeline : 1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pl->n = n;
	pl->connections = o->connections;
	pl->nconns = n * o->connections;
	pl->nthreads = o->threads ? o->threads : (cpus > 0 ? (size_t)cpus : 1);
	if (pl->nthreads > pl->nconns)
		pl->nthreads = pl->nconns;
	pl->run = (struct run){
	    .ntargets = n,
	    .pipeline = pipeline,
	    .timeout_ns = o->timeout_ns ? o->timeout_ns : DEFAULT_TIMEOUT_NS,
	    .mu = PTHREAD_MUTEX_INITIALIZER,
	    .cv = PTHREAD_COND_INITIALIZER,
	};
	int r = ensure_nofile(pl->nconns, pl->nconns + pl->nthreads + 64, err);
	if (r < 0)
		return r;
	pl->ti = calloc(n, sizeof(*pl->ti));
	pl->w = calloc(pl->nthreads, sizeof(*pl->w));
	pl->conns = calloc(pl->nconns, sizeof(*pl->conns));
	pl->cptr = calloc(pl->nconns, sizeof(*pl->cptr));
	pl->owner = calloc(pl->nconns, sizeof(*pl->owner));
	/* no descriptor yet: plan_free closes only what was opened */
	for (size_t k = 0; pl->conns && k < pl->nconns; k++)
		pl->conns[k].fd = -1;
	for (size_t i = 0; pl->w && i < pl->nthreads; i++) {
		pl->w[i].epfd = -1;
		pl->w[i].own_netns = -1;
	}
	if (!pl->ti || !pl->w || !pl->conns || !pl->cptr || !pl->owner)
		return crowd_error_errno(err, ENOMEM, "load: allocating %zu connections",
					 pl->nconns);
	pl->run.ti = pl->ti;
	for (size_t i = 0; i < n; i++) {
		r = target_prepare(&t[i], pipeline, &pl->ti[i], err);
		if (r < 0)
			return r;
		pl->any_netns |= t[i].netns_fd >= 0;
	}
	return 0;
}

/* Connection k (target k / C) goes to a worker through a fixed pseudo-random shuffle dealt
 * round-robin: workers get equal shares, and no pattern in the targets' order (backends
 * interleaved A, B, A, B...) can line up with the workers and give one kind of target a
 * thread of its own. */
static void plan_deal(struct plan *pl)
{
	size_t nconns = pl->nconns, nthreads = pl->nthreads, *owner = pl->owner;
	for (size_t k = 0; k < nconns; k++)
		owner[k] = k;
	uint64_t seed = 0x9e3779b97f4a7c15ULL ^ nconns;
	for (size_t k = nconns - 1; k > 0; k--) {
		size_t j = (size_t)(crowd_rng_splitmix64(&seed) % (k + 1)), x = owner[k];
		owner[k] = owner[j];
		owner[j] = x;
	}
	for (size_t pos = 0; pos < nconns; pos++)
		pl->cptr[pos] = &pl->conns[owner[pos]];
	for (size_t pos = 0; pos < nconns; pos++)
		owner[pl->cptr[pos] - pl->conns] = pos % nthreads;
}

/* A connection's counters: one per (worker, target), made on first use. */
static struct tstats *plan_stats(struct worker *w, size_t target)
{
	if (!w->stats[target]) {
		w->stats[target] = calloc(1, sizeof(struct tstats));
		if (w->stats[target])
			w->stats[target]->first_ns = -1;
	}
	return w->stats[target];
}

/* Each worker: its slice of connections, its counters, its epoll set, and the descriptor of
 * its own network namespace when some target lives in another. */
static int plan_workers(struct plan *pl, struct crowd_error *err)
{
	size_t nconns = pl->nconns, nthreads = pl->nthreads;
	for (size_t i = 0; i < nthreads; i++) {
		struct worker *w = &pl->w[i];
		w->run = &pl->run;
		w->cur_netns = -1;
		w->conns = pl->cptr + i * (nconns / nthreads) +
			   (i < nconns % nthreads ? i : nconns % nthreads);
		w->stats = calloc(pl->n, sizeof(*w->stats));
		if (!w->stats)
			return crowd_error_errno(err, ENOMEM, "load: worker stats");
	}
	for (size_t k = 0; k < nconns; k++) {
		struct worker *w = &pl->w[pl->owner[k]];
		struct conn *c = &pl->conns[k];
		c->target = k / pl->connections;
		c->st = plan_stats(w, c->target);
		if (!c->st)
			return crowd_error_errno(err, ENOMEM, "load: worker stats");
		w->conns[w->nconns++] = c;
	}
	for (size_t i = 0; i < nthreads; i++) {
		struct worker *w = &pl->w[i];
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0)
			return crowd_error_errno(err, errno, "load: epoll_create1");
		if (!pl->any_netns)
			continue;
		w->own_netns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (w->own_netns < 0)
			return crowd_error_errno(err, errno, "load: open /proc/thread-self/ns/net");
	}
	return 0;
}

/* Start the workers, start the clock once every connection is made (or has failed), and join
 * them. ret_last_exit: when the last worker stopped. */
static int plan_run(struct plan *pl, int64_t duration_ns, int64_t *ret_last_exit,
		    struct crowd_error *err)
{
	struct run *run = &pl->run;
	size_t started = 0;
	int r = 0;
	for (; started < pl->nthreads; started++) {
		int e = pthread_create(&pl->w[started].tid, NULL, worker_main, &pl->w[started]);
		if (e) {
			run->abort = 1;
			r = crowd_error_errno(err, e, "load: starting worker thread %zu", started);
			break;
		}
	}
	pthread_mutex_lock(&run->mu);
	while (run->nready < started)
		pthread_cond_wait(&run->cv, &run->mu);
	run->start_ns = crowd_now_ns();
	run->end_ns = run->start_ns + duration_ns;
	run->measuring = true;
	run->go = true;
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->mu);
	*ret_last_exit = run->start_ns;
	for (size_t i = 0; i < started; i++) {
		struct worker *w = &pl->w[i];
		pthread_join(w->tid, NULL);
		if (w->exit_ns > *ret_last_exit)
			*ret_last_exit = w->exit_ns;
		if (w->err && r >= 0) {
			*err = w->error;
			r = w->err;
		}
	}
	return r;
}

/* The counters a worker's tstats, a target's result and the totals share, by name. */
#define COUNTERS_ADD(dst, src)                                                                     \
	do {                                                                                       \
		(dst)->requests += (src)->requests;                                                \
		(dst)->bytes += (src)->bytes;                                                      \
		(dst)->connect_errors += (src)->connect_errors;                                    \
		(dst)->read_errors += (src)->read_errors;                                          \
		(dst)->write_errors += (src)->write_errors;                                        \
		(dst)->parse_errors += (src)->parse_errors;                                        \
		(dst)->timeouts += (src)->timeouts;                                                \
		(dst)->status_errors += (src)->status_errors;                                      \
	} while (0)

/* One target's result from every worker's counters for it; th gets its latencies. */
static void sum_target(const struct plan *pl, size_t i, double secs, struct crowd_hist *th,
		       struct crowd_load_result *res)
{
	uint64_t unanswered = 0;
	memset(res, 0, sizeof(*res));
	res->first_response_ns = -1;
	crowd_hist_init(th);
	for (size_t j = 0; j < pl->nthreads; j++) {
		const struct tstats *st = pl->w[j].stats[i];
		if (!st)
			continue;
		COUNTERS_ADD(res, st);
		if (st->first_ns >= 0 &&
		    (res->first_response_ns < 0 || st->first_ns < res->first_response_ns))
			res->first_response_ns = st->first_ns;
		crowd_hist_merge(th, &st->hist);
		unanswered += st->unanswered;
	}
	res->errors = res->connect_errors + res->read_errors + res->write_errors +
		      res->parse_errors + res->timeouts + res->status_errors;
	/* Never silently nothing: a target that gave no response in the whole load has its
	 * unanswered connections counted as timeouts. */
	if (res->requests == 0 && res->errors == 0 && unanswered) {
		res->timeouts = unanswered;
		res->errors = unanswered;
	}
	res->rps = (double)res->requests / secs;
	res->bytes_per_s = (double)res->bytes / secs;
	summarize(th, res);
}

static void sum_add(struct crowd_load_totals *sum, const struct crowd_load_result *res)
{
	COUNTERS_ADD(sum, res);
	sum->errors += res->errors;
}

/* Every target's result, and the totals over all of them. */
static int plan_sum(const struct plan *pl, int64_t dur_ns, struct crowd_load_result *ret,
		    struct crowd_load_totals *tot, struct crowd_error *err)
{
	struct crowd_hist *all = calloc(1, sizeof(*all)), *th = calloc(1, sizeof(*th));
	double *rps = calloc(pl->n, sizeof(*rps)), secs = (double)dur_ns / 1e9;
	struct crowd_load_totals sum = {.threads = (unsigned)pl->nthreads, .duration_ns = dur_ns};
	int r = 0;
	if (!all || !th || !rps) {
		r = crowd_error_errno(err, ENOMEM, "load: summing %zu targets", pl->n);
		goto out;
	}
	crowd_hist_init(all);
	for (size_t i = 0; i < pl->n; i++) {
		sum_target(pl, i, secs, th, &ret[i]);
		crowd_hist_merge(all, th);
		rps[i] = ret[i].rps;
		sum_add(&sum, &ret[i]);
	}
	for (size_t j = 0; j < pl->nthreads; j++)
		sum.client_cpu_ns += pl->w[j].cpu_ns;
	sum.total_rps = (double)sum.requests / secs;
	sum.bytes_per_s = (double)sum.bytes / secs;
	sum.fairness = crowd_stats_jain(rps, pl->n);
	if (isnan(sum.fairness))
		sum.fairness = 0; /* nothing ran (load.h) */
	sum.p50_ns = crowd_hist_percentile(all, 50);
	sum.p90_ns = crowd_hist_percentile(all, 90);
	sum.p99_ns = crowd_hist_percentile(all, 99);
	sum.max_ns = all->n ? all->max_ns : 0;
	sum.min_ns = all->n ? all->min_ns : 0;
	sum.mean_ns = crowd_hist_mean(all);
	sum.stddev_ns = crowd_hist_stddev(all);
	if (tot)
		*tot = sum;
out:
	free(all);
	free(th);
	free(rps);
	return r;
}

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; pl->w && i < pl->nthreads; i++) {
		struct worker *w = &pl->w[i];
		for (size_t j = 0; w->stats && j < pl->n; j++)
			free(w->stats[j]);
		free(w->stats);
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->own_netns >= 0)
			close(w->own_netns);
	}
	for (size_t k = 0; pl->conns && k < pl->nconns; k++)
		if (pl->conns[k].fd >= 0)
			close(pl->conns[k].fd);
	for (size_t i = 0; pl->ti && i < pl->n; i++)
		free(pl->ti[i].req);
	free(pl->ti);
	free(pl->w);
	free(pl->conns);
	free(pl->cptr);
	free(pl->owner);
}

int crowd_load_run(const struct crowd_load_target *t, size_t n, const struct crowd_load_opts *o,
		   struct crowd_load_result *ret, struct crowd_load_totals *tot,
		   volatile sig_atomic_t *stop, struct crowd_error *err)
{
	int r = check_opts(t, n, o, ret, err);
	if (r < 0)
		return r;
	struct plan pl = {0};
	int64_t last_exit = 0;
	r = plan_alloc(&pl, t, n, o, err);
	pl.run.stop = stop;
	if (r == 0) {
		plan_deal(&pl);
		r = plan_workers(&pl, err);
	}
	if (r == 0)
		r = plan_run(&pl, o->duration_ns, &last_exit, err);
	if (r == 0) {
		/* The measured wall time: to the last worker's stop, within the duration. */
		int64_t dur_ns = last_exit - pl.run.start_ns;
		dur_ns = dur_ns > o->duration_ns ? o->duration_ns : dur_ns <= 0 ? 1 : dur_ns;
		r = plan_sum(&pl, dur_ns, ret, tot, err);
	}
	plan_free(&pl);
	return r;
}

/* Loopback only: 127.0.0.0/8, ::1, or the name localhost. */
int crowd_load_parse_url(const char *url, struct crowd_load_target *ret, char *path_buf,
			 size_t path_len, struct crowd_error *err)
{
	static const char allowed[] = "allowed: http://127.0.0.1|localhost|[::1][:PORT][/PATH]";
	memset(ret, 0, sizeof(*ret));
	ret->netns_fd = -1;
	ret->port = 80;
	if (!url || strncmp(url, "http://", 7))
		return crowd_error_set(err, EINVAL, "URL '%s': only http:// is supported (%s)",
				       url ? url : "", allowed);
	const char *h = url + 7;
	const char *host_end, *rest;
	char host[64];
	if (*h == '[') {
		host_end = strchr(h, ']');
		if (!host_end)
			return crowd_error_set(err, EINVAL, "URL '%s': unterminated '[' (%s)", url,
					       allowed);
		h++;
		rest = host_end + 1;
	} else {
		host_end = h + strcspn(h, ":/?#");
		rest = host_end;
	}
	size_t hl = (size_t)(host_end - h);
	if (hl == 0 || hl >= sizeof(host))
		return crowd_error_set(err, EINVAL, "URL '%s': no host (%s)", url, allowed);
	memcpy(host, h, hl);
	host[hl] = '\0';

	if (*rest == ':') {
		rest++;
		char *end;
		errno = 0;
		unsigned long p = strtoul(rest, &end, 10);
		if (end == rest || errno || p < 1 || p > 65535 || (*end && *end != '/'))
			return crowd_error_set(err, EINVAL, "URL '%s': port must be 1..65535", url);
		ret->port = (unsigned)p;
		rest = end;
	}
	if (*rest && *rest != '/')
		return crowd_error_set(err, EINVAL, "URL '%s': expected '/' after the host (%s)",
				       url, allowed);
	const char *path = *rest ? rest : "/";
	if (strlen(path) >= path_len)
		return crowd_error_set(err, EINVAL, "URL '%s': path longer than %zu bytes", url,
				       path_len - 1);
	for (const char *q = path; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return crowd_error_set(
			    err, EINVAL, "URL '%s': path has a space or control character", url);
	strcpy(path_buf, path);
	ret->path = path_buf;

	if (!strcasecmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) != 127)
			return crowd_error_set(err, EINVAL,
					       "URL '%s': host %s is not a loopback address (%s)",
					       url, host, allowed);
	} else if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&a6))
			return crowd_error_set(err, EINVAL,
					       "URL '%s': host %s is not a loopback address (%s)",
					       url, host, allowed);
	} else {
		return crowd_error_set(err, EINVAL,
				       "URL '%s': host '%s' is not a loopback address (%s)", url,
				       host, allowed);
	}
	snprintf(ret->addr, sizeof(ret->addr), "%s", host);
	return 0;
}
