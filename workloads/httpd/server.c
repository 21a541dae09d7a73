#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "wl.h"

#define OUT_CAP		2048 /* queued response heads and small bodies of pipelined requests */
#define FILLER_LEN	4096 /* /bytes/N bodies are written from this, FILLER_IOV at a time */
#define FILLER_IOV	16
#define MAX_EVENTS	64
#define ACCEPT_RETRY_MS 100 /* after EMFILE and the like */
#define TAG_LISTEN	((void *)1)
#define TAG_SIGNAL	((void *)2)

struct conn {
	int fd;
	bool closing;	/* close once out[] and the body are sent */
	bool want_out;	/* waiting for EPOLLOUT (input paused) */
	bool peer_eof;	/* read returned 0 */
	bool lingering; /* answer sent and write side shut: drain input until EOF, then close */
	struct conn *prev, *next; /* timeout list, oldest deadline first */
	uint64_t deadline_ms;
	uint64_t body_left;	 /* filler bytes to send after out[] */
	uint64_t discard_left;	 /* request body bytes to drop */
	uint32_t in_off, in_len; /* unparsed input: in[in_off .. in_off+in_len) */
	uint32_t out_off, out_len;
	struct http_parser parser;
	char in[HTTP_HEAD_MAX];
	char out[OUT_CAP];
};

struct server {
	const struct httpd_config *cfg;
	int ep, lfd, sfd;
	bool accepting;
	uint64_t accept_retry_ms; /* out of fds or memory: try accept() again then */
	uint32_t nconns;
	struct conn *head, *tail;
	uint64_t now_ms;
	int64_t date_s;
	char date[HTTP_DATE_LEN + 1];
};

static char filler[FILLER_LEN];

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void clock_update(struct server *s)
{
	struct timespec ts;

	s->now_ms = mono_ms();
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != s->date_s) {
		s->date_s = ts.tv_sec;
		http_format_date(ts.tv_sec, s->date);
	}
}

static void list_unlink(struct server *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Progress was made: push the deadline and move to the end of the (sorted) list. */
static void conn_touch(struct server *s, struct conn *c)
{
	c->deadline_ms = s->cfg->timeout_ms ? s->now_ms + s->cfg->timeout_ms : UINT64_MAX;
	if (s->tail == c)
		return;
	if (c->prev || s->head == c)
		list_unlink(s, c);
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

static void listen_toggle(struct server *s, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLIN : 0, .data.ptr = TAG_LISTEN};

	if (s->accepting == on)
		return;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev) == 0)
		s->accepting = on;
}

static void conn_close(struct server *s, struct conn *c)
{
	list_unlink(s, c);
	close(c->fd);
	free(c);
	s->nconns--;
	if (s->nconns < s->cfg->max_conns)
		listen_toggle(s, true);
}

static int conn_want_out(struct server *s, struct conn *c, bool on)
{
	struct epoll_event ev = {.events = on ? EPOLLOUT : EPOLLIN, .data.ptr = c};

	if (c->want_out == on)
		return 0;
	if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -errno;
	c->want_out = on;
	return 0;
}

/* Queue the answer to one request; the caller made sure out[] has HTTP_RESP_HEAD_MAX room. */
static void queue_response(struct server *s, struct conn *c, const struct http_response *r)
{
	size_t n = http_write_head(r, s->date, c->out + c->out_len, OUT_CAP - c->out_len);
	uint64_t body = r->head_only ? 0 : r->body_len;

	c->out_len += (uint32_t)n;
	if (r->close)
		c->closing = true;
	if (!body)
		return;
	if (body <= OUT_CAP - c->out_len) {
		if (r->body)
			memcpy(c->out + c->out_len, r->body, body);
		else
			memset(c->out + c->out_len, 'x', body);
		c->out_len += (uint32_t)body;
	} else {
		c->body_left = body; /* only /bytes/N is this large */
	}
}

/* Answer every complete request buffered, while there is room to queue the answers. */
static void conn_process(struct server *s, struct conn *c)
{
	while (!c->closing && !c->body_left) {
		struct http_response resp;
		enum http_parse_result r;

		if (c->discard_left) {
			uint32_t n =
			    c->discard_left < c->in_len ? (uint32_t)c->discard_left : c->in_len;
			c->discard_left -= n;
			c->in_off += n;
			c->in_len -= n;
		}
		if (!c->in_len || c->discard_left)
			break;
		if (OUT_CAP - c->out_len < HTTP_RESP_HEAD_MAX)
			break;
		r = http_parse(&c->parser, c->in + c->in_off, c->in_len, HTTP_HEAD_MAX);
		if (r == HTTP_PARSE_MORE)
			break;
		if (r == HTTP_PARSE_ERROR) {
			http_error_response(c->parser.req.status, &resp);
			queue_response(s, c, &resp);
			c->in_len = 0;
			break;
		}
		http_route(&c->parser.req, c->in + c->in_off, &resp);
		queue_response(s, c, &resp);
		c->in_off += (uint32_t)c->parser.req.head_len;
		c->in_len -= (uint32_t)c->parser.req.head_len;
		c->discard_left = c->parser.req.content_length;
		http_parser_init(&c->parser);
		conn_touch(s, c);
	}
	if (!c->in_len)
		c->in_off = 0;
}

/* Send what is queued. 1: all sent, 0: would block, <0: connection is dead. */
static int conn_flush(struct server *s, struct conn *c)
{
	while (c->out_len > c->out_off || c->body_left) {
		struct iovec iov[1 + FILLER_IOV];
		int n = 0;
		ssize_t w;

		if (c->out_len > c->out_off)
			iov[n++] = (struct iovec){c->out + c->out_off, c->out_len - c->out_off};
		for (uint64_t left = c->body_left; left && n < 1 + FILLER_IOV; n++) {
			size_t k = left < FILLER_LEN ? (size_t)left : FILLER_LEN;
			iov[n] = (struct iovec){filler, k};
			left -= k;
		}
		w = n == 1 ? write(c->fd, iov[0].iov_base, iov[0].iov_len) : writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		if (c->out_len > c->out_off) {
			size_t k = c->out_len - c->out_off;
			if ((size_t)w < k) {
				c->out_off += (uint32_t)w;
				w = 0;
			} else {
				c->out_off = c->out_len = 0;
				w -= (ssize_t)k;
			}
		}
		c->body_left -= (uint64_t)w;
		if (c->body_left || c->out_len)
			conn_touch(s, c); /* a slow reader of a big body still makes progress */
	}
	c->out_off = c->out_len = 0;
	return 1;
}

/* Closing with the answer sent. Closing a socket that still has unread input makes the
 * kernel send a reset, which can destroy the answer (a 431, say) before the client reads
 * it; so shut the write side and drop input until the client's EOF or the timeout. */
static void conn_linger(struct server *s, struct conn *c)
{
	if (c->peer_eof || shutdown(c->fd, SHUT_WR) < 0 || conn_want_out(s, c, false) < 0) {
		conn_close(s, c);
		return;
	}
	c->lingering = true;
	c->in_off = c->in_len = 0;
	conn_touch(s, c);
}

/* Flush, answer what the freed room allows, repeat; then pick what to wait for. */
static void conn_run(struct server *s, struct conn *c)
{
	for (;;) {
		int r = conn_flush(s, c);
		if (r < 0) {
			conn_close(s, c);
			return;
		}
		if (r == 0) {
			if (conn_want_out(s, c, true) < 0)
				conn_close(s, c);
			return;
		}
		if (c->closing) {
			conn_linger(s, c);
			return;
		}
		if (!c->in_len || c->discard_left)
			break;
		conn_process(s, c);
		if (!c->out_len && !c->body_left)
			break; /* nothing answerable yet: wait for more input */
	}
	/* All answered that can be; a client that sent EOF will send nothing more. */
	if (c->peer_eof || conn_want_out(s, c, false) < 0)
		conn_close(s, c);
}

static void conn_readable(struct server *s, struct conn *c)
{
	ssize_t n;

	if (c->lingering) {
		n = read(c->fd, c->in, sizeof(c->in));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(s, c);
		return;
	}
	if (c->in_off && c->in_len)
		memmove(c->in, c->in + c->in_off, c->in_len);
	c->in_off = 0;
	if (c->in_len == sizeof(c->in)) {
		conn_run(s, c); /* cannot happen: a full buffer is a complete head or a 431 */
		return;
	}
	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_close(s, c);
		return;
	}
	if (n == 0) {
		/* Peer is done sending: answer what it asked (conn_run closes after that). */
		c->peer_eof = true;
		conn_process(s, c);
		conn_run(s, c);
		return;
	}
	c->in_len += (uint32_t)n;
	conn_process(s, c);
	conn_run(s, c);
}

static void accept_all(struct server *s)
{
	while (s->nconns < s->cfg->max_conns) {
		static const int one = 1;
		struct epoll_event ev = {.events = EPOLLIN};
		struct conn *c;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Back on when a connection closes, or in a moment if none will. */
				listen_toggle(s, false);
				s->accept_retry_ms = s->now_ms + ACCEPT_RETRY_MS;
			}
			return;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->closing = c->want_out = c->peer_eof = c->lingering = false;
		c->prev = c->next = NULL;
		c->body_left = c->discard_left = 0;
		c->in_off = c->in_len = c->out_off = c->out_len = 0;
		http_parser_init(&c->parser);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ev.data.ptr = c;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			return;
		}
		s->nconns++;
		c->deadline_ms = 0;
		conn_touch(s, c);
	}
	listen_toggle(s, false);
}

static void expire(struct server *s)
{
	while (s->head && s->head->deadline_ms <= s->now_ms)
		conn_close(s, s->head);
}

static int open_listener(const struct httpd_config *cfg, const char **ret_what)
{
	union {
		struct sockaddr_in6 v6;
		struct sockaddr_in v4;
	} a;
	socklen_t alen;
	int fd, one = 1, zero = 0, family = AF_INET6;

	memset(&a, 0, sizeof(a));
	if (cfg->bind) {
		if (inet_pton(AF_INET6, cfg->bind, &a.v6.sin6_addr) == 1)
			family = AF_INET6;
		else if (inet_pton(AF_INET, cfg->bind, &a.v4.sin_addr) == 1)
			family = AF_INET;
		else
			return *ret_what = "bind address", -EINVAL;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && family == AF_INET6 && !cfg->bind && errno == EAFNOSUPPORT) {
		family = AF_INET; /* kernel without IPv6: 0.0.0.0 */
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return *ret_what = "socket", -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6) {
		if (!cfg->bind)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		a.v6.sin6_family = AF_INET6;
		a.v6.sin6_port = htons(cfg->port);
		alen = sizeof(a.v6);
	} else {
		a.v4.sin_family = AF_INET;
		a.v4.sin_port = htons(cfg->port);
		alen = sizeof(a.v4);
	}
	if (bind(fd, (struct sockaddr *)&a, alen) < 0) {
		int e = -errno;
		close(fd);
		return *ret_what = "bind", e;
	}
	if (listen(fd, 1024) < 0) {
		int e = -errno;
		close(fd);
		return *ret_what = "listen", e;
	}
	return fd;
}

int httpd_serve(const struct httpd_config *cfg, const char **ret_what)
{
	struct server s = {.cfg = cfg, .ep = -1, .lfd = -1, .sfd = -1, .date_s = -1};
	struct epoll_event ev;
	sigset_t set;
	int r;

	memset(filler, 'x', sizeof(filler));
	signal(SIGPIPE, SIG_IGN);
	r = wl_signals_block(false, &set);
	if (r < 0)
		return *ret_what = "signals", r;
	s.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.sfd < 0)
		return *ret_what = "signalfd", -errno;
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0) {
		r = -errno;
		*ret_what = "epoll_create1";
		goto out;
	}
	s.lfd = open_listener(cfg, ret_what);
	if (s.lfd < 0) {
		r = s.lfd;
		goto out;
	}
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = TAG_LISTEN};
	if (epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &ev) < 0) {
		r = -errno;
		*ret_what = "epoll_ctl";
		goto out;
	}
	s.accepting = true;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = TAG_SIGNAL};
	if (epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &ev) < 0) {
		r = -errno;
		*ret_what = "epoll_ctl";
		goto out;
	}
	r = wl_ready_notify();
	if (r < 0) {
		*ret_what = "CROWD_READY_FD";
		goto out;
	}

	for (bool stop = false; !stop;) {
		struct epoll_event evs[MAX_EVENTS];
		int timeout = -1, n;

		if (s.head) {
			uint64_t now = mono_ms();
			timeout = s.head->deadline_ms <= now ? 0
				  : s.head->deadline_ms - now > 60000
				      ? 60000
				      : (int)(s.head->deadline_ms - now);
		}
		n = epoll_wait(s.ep, evs, MAX_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			*ret_what = "epoll_wait";
			goto out;
		}
		clock_update(&s);
		for (int i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;
			if (tag == TAG_LISTEN) {
				accept_all(&s);
			} else if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;
				while (read(s.sfd, &si, sizeof(si)) == sizeof(si))
					if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
						stop = true;
			} else {
				struct conn *c = tag;
				if (c->want_out)
					conn_run(&s, c);
				else
					conn_readable(&s, c);
			}
		}
		expire(&s);
		if (s.accept_retry_ms && s.accept_retry_ms <= s.now_ms) {
			s.accept_retry_ms = 0;
			if (s.nconns < cfg->max_conns)
				listen_toggle(&s, true);
		}
	}
	r = 0;
out:
	while (s.head)
		conn_close(&s, s.head);
	if (s.lfd >= 0)
		close(s.lfd);
	if (s.ep >= 0)
		close(s.ep);
	close(s.sfd);
	return r;
}
