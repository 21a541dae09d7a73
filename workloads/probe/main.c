/* probe: finds out which security switches the container it runs in turned on (probe.h), then
 * serves that report as one JSON object to every HTTP request on its port, so `crowd audit`
 * reads it the way the load generator reaches httpd, on any backend. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "probe.h"
#include "wl.h"

static const char usage[] =
    "usage: probe [--port N] [--print] [--help]\n"
    "Collect what the container allows (seccomp, capabilities, no_new_privs, read-only\n"
    "root and /sys, masked /proc paths, device nodes, nested user namespaces, namespaces,\n"
    "uid map, writable cgroup limits), then answer every HTTP request on port N (default 8080)\n"
    "with that report as JSON. Every check is harmless and leaves nothing behind.\n"
    "  --print   write the report on stdout and exit instead of serving it\n"
    "Writes one byte to the fd in $CROWD_READY_FD (if set) after listen(). Exits 0 on\n"
    "SIGTERM or SIGINT.\n";

static int listen_on(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

struct report {
	char *s;
	size_t len;
};

/* Read the request head (up to a blank line, 2 s at most), answer the report, close. */
static void answer(int fd, const struct report *report)
{
	struct timeval tv = {.tv_sec = 2};
	char in[4096], head[160];
	size_t got = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < sizeof(in) - 1) {
		ssize_t r = recv(fd, in + got, sizeof(in) - 1 - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		in[got] = '\0';
		if (strstr(in, "\r\n\r\n") || strstr(in, "\n\n"))
			break;
	}
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 report->len);
	send_all(fd, head, (size_t)n);
	send_all(fd, report->s, report->len);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static int serve(uint16_t port, const struct report *report)
{
	sigset_t set;
	int r = wl_signals_block(false, &set);
	if (r < 0)
		wl_die("probe", r, "blocking signals");
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		wl_die("probe", -errno, "signalfd");
	int lfd = listen_on(port);
	if (lfd < 0)
		wl_die("probe", lfd, "listen on port %u", port);
	r = wl_ready_notify();
	if (r < 0)
		wl_die("probe", r, "CROWD_READY_FD");
	struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			wl_die("probe", -errno, "poll");
		}
		if (p[1].revents)
			return 0; /* SIGTERM, SIGINT */
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0)
			answer(c, report);
	}
}

int main(int argc, char **argv)
{
	uint64_t port = 8080;
	bool print = false;
	const char *v;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--print"))
			print = true;
		else if (wl_opt("probe", argc, argv, &i, "--port", &v)) {
			if (wl_parse_uint(v, 65535, &port) < 0 || port == 0)
				wl_usage_fail("probe", "--port '%s': want a port 1..65535", v);
		} else
			wl_usage_fail("probe", "unknown argument '%s'", argv[i]);
	}
	if (print) {
		int r = probe_collect(stdout);
		if (r < 0 || fputc('\n', stdout) == EOF || fflush(stdout))
			wl_die("probe", r < 0 ? r : -EIO, "writing the report");
		return 0;
	}
	struct report report = {0};
	FILE *f = open_memstream(&report.s, &report.len);
	if (!f)
		wl_die("probe", -errno, "open_memstream");
	int r = probe_collect(f);
	if (fclose(f) != 0 || r < 0)
		wl_die("probe", r < 0 ? r : -ENOMEM, "collecting the report");
	r = serve((uint16_t)port, &report);
	free(report.s);
	return r;
}
