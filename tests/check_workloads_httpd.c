/* The httpd event loop (workloads/httpd/server.c, host build in build/libwl.a) run in a
 * child process and driven over loopback: slow clients, pipelining, timeouts, SIGTERM. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../workloads/httpd/server.h"
#include "testutil.h"

static pid_t server_pid = -1;
static uint16_t server_port;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A port the kernel just gave out and took back: free unless someone races us. */
static uint16_t free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Fork a server with a 1 s timeout and wait for its ready byte. */
static void server_start(uint32_t max_conns)
{
	int p[2];
	char fdbuf[16], c;

	server_port = free_port();
	ck_assert_int_eq(pipe(p), 0);
	server_pid = fork();
	ck_assert_int_ge(server_pid, 0);
	if (server_pid == 0) {
		struct httpd_config cfg = {.bind = "127.0.0.1",
					   .port = server_port,
					   .max_conns = max_conns,
					   .timeout_ms = 1000};
		const char *what = "";
		close(p[0]);
		snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
		setenv("CROWD_READY_FD", fdbuf, 1);
		_exit(httpd_serve(&cfg, &what) == 0 ? 0 : 1);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
}

static int server_stop(void)
{
	int status;

	ck_assert_int_eq(kill(server_pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(server_pid, &status, 0), server_pid);
	server_pid = -1;
	return status;
}

static void teardown(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGKILL);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
}

static int client(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons(server_port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	ck_assert_int_eq(write(fd, s, n), (ssize_t)n);
}

/* Read until the peer closes, `want` bytes arrived, or timeout_ms passes; returns bytes. */
static size_t recv_until(int fd, char *buf, size_t cap, size_t want, int timeout_ms, bool *ret_eof)
{
	size_t len = 0;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	*ret_eof = false;
	while (len < want && len + 1 < cap) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0)
			break;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0) {
			*ret_eof = true;
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

START_TEST(test_slow_client_does_not_block)
{
	char buf[4096];
	bool eof;
	uint64_t t0;
	int slow, fast;

	server_start(64);
	slow = client();
	send_all(slow, "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ");
	fast = client();
	t0 = now_ms();
	send_all(fast, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	recv_until(fast, buf, sizeof(buf), sizeof(buf), 3000, &eof);
	ck_assert(eof);
	ck_assert_uint_lt(now_ms() - t0, 900);
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nHello from crowd\n"));
	close(fast);
	/* The slow one gets nothing and is closed when its second is up. */
	ck_assert_uint_eq(recv_until(slow, buf, sizeof(buf), 1, 3000, &eof), 0);
	ck_assert(eof);
	ck_assert_uint_ge(now_ms() - t0, 900);
	close(slow);
	ck_assert_int_eq(server_stop(), 0); /* exited 0 */
}
END_TEST

START_TEST(test_pipelined_and_errors)
{
	char buf[16384];
	bool eof;
	int fd;

	server_start(64);
	fd = client();
	send_all(fd, "GET /bytes/3 HTTP/1.1\r\nHost: t\r\n\r\n"
		     "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n"
		     "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
		     "GET / HTTP/1.1\r\nHost: t\r\nX: \x01\r\n\r\n"
		     "GET / HTTP/1.1\r\nHost: t\r\n\r\n"); /* after the 400: never answered */
	recv_until(fd, buf, sizeof(buf), sizeof(buf), 3000, &eof);
	ck_assert(eof);
	ck_assert_uint_eq(count(buf, "HTTP/1.1 "), 4);
	ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nxxxHTTP/1.1 405 "));
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 404 "));
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 400 "));
	ck_assert_ptr_nonnull(strstr(buf, "Connection: close\r\n"));
	close(fd);
	ck_assert_int_eq(server_stop(), 0);
}
END_TEST

START_TEST(test_half_close_answers_everything)
{
	char req[64 * 40], buf[65536];
	size_t n = 0;
	bool eof;
	int fd;

	server_start(64);
	fd = client();
	for (int i = 1; i <= 40; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n,
				      "GET /bytes/%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
	send_all(fd, req);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	recv_until(fd, buf, sizeof(buf), sizeof(buf), 3000, &eof);
	ck_assert(eof);
	ck_assert_uint_eq(count(buf, "HTTP/1.1 200 OK"), 40);
	ck_assert_ptr_nonnull(strstr(buf, "Content-Length: 40\r\n"));
	close(fd);
	ck_assert_int_eq(server_stop(), 0);
}
END_TEST

START_TEST(test_max_conns_pauses_accept)
{
	char buf[4096];
	bool eof;
	int a, b;

	server_start(1);
	a = client();
	send_all(a, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
	ck_assert_uint_gt(recv_until(a, buf, sizeof(buf), 100, 2000, &eof), 0);
	ck_assert_ptr_nonnull(strstr(buf, "200 OK"));
	b = client(); /* queued by the kernel, not accepted */
	send_all(b, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
	ck_assert_uint_eq(recv_until(b, buf, sizeof(buf), 1, 300, &eof), 0);
	ck_assert(!eof);
	close(a);
	recv_until(b, buf, sizeof(buf), sizeof(buf), 2000, &eof);
	ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 200 OK"));
	close(b);
	ck_assert_int_eq(server_stop(), 0);
}
END_TEST

static Suite *httpd_suite(void)
{
	Suite *s = suite_create("httpd-server");
	TCase *tc = tcase_create("loopback");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_slow_client_does_not_block);
	tcase_add_test(tc, test_pipelined_and_errors);
	tcase_add_test(tc, test_half_close_answers_everything);
	tcase_add_test(tc, test_max_conns_pauses_accept);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(httpd_suite());
}
