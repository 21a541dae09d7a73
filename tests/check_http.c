/* Unit tests for workloads/httpd/http.c: the incremental request parser and the router. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/httpd/http.h"
#include "testutil.h"

/* Parse a whole buffer with a fresh parser. */
static enum http_parse_result parse_all(struct http_parser *p, const char *buf, size_t len)
{
	http_parser_init(p);
	return http_parse(p, buf, len, HTTP_HEAD_MAX);
}

static enum http_parse_result parse_str(struct http_parser *p, const char *s)
{
	return parse_all(p, s, strlen(s));
}

/* Status of a complete request: the parse error, or what the router answers. */
static int status_of(const char *s, struct http_response *ret)
{
	struct http_parser p;
	struct http_response resp;
	enum http_parse_result r = parse_str(&p, s);

	if (!ret)
		ret = &resp;
	if (r == HTTP_PARSE_MORE)
		return 0;
	if (r == HTTP_PARSE_ERROR) {
		http_error_response(p.req.status, ret);
		return p.req.status;
	}
	http_route(&p.req, s, ret);
	return ret->status;
}

START_TEST(test_simple_get)
{
	const char *s = "GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n";
	struct http_parser p;

	ck_assert_int_eq(parse_str(&p, s), HTTP_PARSE_DONE);
	ck_assert_int_eq(p.req.method, HTTP_GET);
	ck_assert_int_eq(p.req.version_minor, 1);
	ck_assert(p.req.keep_alive);
	ck_assert_uint_eq(p.req.head_len, strlen(s));
	ck_assert_uint_eq(p.req.target_len, strlen("/index.html"));
	ck_assert(!memcmp(s + p.req.target_off, "/index.html", p.req.target_len));
	ck_assert_int_eq(status_of(s, NULL), 404);
}
END_TEST

START_TEST(test_pipelined)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
			"HEAD /bytes/7 HTTP/1.1\r\nHost: a\r\n\r\n"
			"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody"
			"GET /last HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
			"GET /partial HTTP/1.1\r\nHo";
	static const int want_status[] = {200, 200, 405, 404};
	static const char *const want_target[] = {"/", "/bytes/7", "/x", "/last"};
	size_t off = 0, len = strlen(s);
	unsigned n = 0;
	struct http_parser p;
	struct http_response resp;

	for (;;) {
		enum http_parse_result r = parse_all(&p, s + off, len - off);
		if (r == HTTP_PARSE_MORE)
			break;
		ck_assert_int_eq(r, HTTP_PARSE_DONE);
		ck_assert_uint_lt(n, 4);
		http_route(&p.req, s + off, &resp);
		ck_assert_int_eq(resp.status, want_status[n]);
		ck_assert_uint_eq(p.req.target_len, strlen(want_target[n]));
		ck_assert(!memcmp(s + off + p.req.target_off, want_target[n], p.req.target_len));
		ck_assert(resp.close == (n == 3));
		off += p.req.head_len + p.req.content_length;
		n++;
	}
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(s + off, "GET /partial HTTP/1.1\r\nHo");
}
END_TEST

/* The same request cut at every byte position: MORE before the end, then the same result. */
START_TEST(test_split_every_position)
{
	const char *s = "GET /bytes/42 HTTP/1.1\r\nHost: example\r\nConnection: keep-alive\r\n"
			"Accept: */*\r\n\r\n";
	size_t len = strlen(s);

	for (size_t cut = 0; cut < len; cut++) {
		struct http_parser p;
		struct http_response resp;
		http_parser_init(&p);
		ck_assert_msg(http_parse(&p, s, cut, HTTP_HEAD_MAX) == HTTP_PARSE_MORE, "cut %zu",
			      cut);
		ck_assert_msg(http_parse(&p, s, len, HTTP_HEAD_MAX) == HTTP_PARSE_DONE, "cut %zu",
			      cut);
		ck_assert_uint_eq(p.req.head_len, len);
		http_route(&p.req, s, &resp);
		ck_assert_int_eq(resp.status, 200);
		ck_assert_uint_eq(resp.body_len, 42);
		ck_assert_ptr_null(resp.body);
	}
	/* And one byte per call, from a buffer that is copied anew each time (buffers move). */
	struct http_parser p;
	char *copy = NULL;
	http_parser_init(&p);
	for (size_t n = 1; n <= len; n++) {
		free(copy);
		copy = malloc(n);
		memcpy(copy, s, n);
		enum http_parse_result r = http_parse(&p, copy, n, HTTP_HEAD_MAX);
		ck_assert_int_eq(r, n < len ? HTTP_PARSE_MORE : HTTP_PARSE_DONE);
	}
	ck_assert(!memcmp(copy + p.req.target_off, "/bytes/42", 9));
	free(copy);
}
END_TEST

START_TEST(test_oversized_headers)
{
	char buf[HTTP_HEAD_MAX + 100];
	struct http_parser p;
	size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");

	memset(buf + n, 'a', sizeof(buf) - n);
	ck_assert_int_eq(parse_all(&p, buf, HTTP_HEAD_MAX - 1), HTTP_PARSE_MORE);
	ck_assert_int_eq(parse_all(&p, buf, HTTP_HEAD_MAX), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.req.status, 431);
	ck_assert_int_eq(parse_all(&p, buf, sizeof(buf)), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.req.status, 431);
	/* Many small headers add up the same way. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	while (n + 10 < sizeof(buf))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-A: 1\r\n");
	ck_assert_int_eq(parse_all(&p, buf, n), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.req.status, 431);
	/* A request line that never ends is 414. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', sizeof(buf) - 5);
	ck_assert_int_eq(parse_all(&p, buf, sizeof(buf)), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.req.status, 414);
	/* Exactly at the limit is still fine. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ");
	memset(buf + n, 'p', HTTP_HEAD_MAX - n - 4);
	memcpy(buf + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(parse_all(&p, buf, HTTP_HEAD_MAX), HTTP_PARSE_DONE);
	ck_assert_uint_eq(p.req.head_len, HTTP_HEAD_MAX);
}
END_TEST

START_TEST(test_methods)
{
	struct http_response resp;

	ck_assert_int_eq(
	    status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &resp), 405);
	ck_assert(resp.allow);
	ck_assert(!resp.close);
	ck_assert_int_eq(status_of("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 405);
	ck_assert_int_eq(status_of("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 405);
	ck_assert_int_eq(status_of("get / HTTP/1.1\r\nHost: a\r\n\r\n", NULL),
			 405); /* case matters */
	ck_assert_int_eq(status_of("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 400);
	ck_assert_int_eq(status_of("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", &resp), 200);
	ck_assert(resp.head_only);
	ck_assert_uint_eq(resp.body_len, strlen(HTTP_ROOT_BODY));
}
END_TEST

START_TEST(test_garbage)
{
	struct http_parser p;
	struct http_response resp;
	static const char tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	static const char *const bad[] = {
	    "hello\r\n\r\n",
	    "GET /\r\n\r\n",			  /* HTTP/0.9 */
	    "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", /* two spaces */
	    "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
	    "GET / HTTX/1.1\r\nHost: a\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n",			    /* no Host */
	    "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /* two */
	    "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-A : 1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01z\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
	    "GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET relative HTTP/1.1\r\nHost: a\r\n\r\n",
	    "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", /* too many blank lines */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse_str(&p, bad[i]) == HTTP_PARSE_ERROR, "case %zu", i);
		ck_assert_msg(p.req.status == 400, "case %zu: %d", i, p.req.status);
		http_error_response(p.req.status, &resp);
		ck_assert(resp.close);
	}
	/* Binary junk is refused before any newline arrives. */
	ck_assert_int_eq(parse_all(&p, tls, sizeof(tls)), HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.req.status, 400);
	ck_assert_int_eq(parse_str(&p, "GE"), HTTP_PARSE_MORE);
	ck_assert_int_eq(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n", NULL), 505);
	ck_assert_int_eq(
	    status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n", NULL),
	    413);
	ck_assert_int_eq(
	    status_of("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", NULL),
	    501);
}
END_TEST

START_TEST(test_lenient_forms)
{
	struct http_parser p;
	struct http_response resp;

	/* Bare LF line ends, a leading empty line, a folded-free OWS value, absolute-form. */
	ck_assert_int_eq(status_of("GET / HTTP/1.1\nHost: a\n\n", NULL), 200);
	ck_assert_int_eq(status_of("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 200);
	ck_assert_int_eq(
	    status_of("GET http://a.example/bytes/3?q HTTP/1.1\r\nHost: a\r\n\r\n", &resp), 200);
	ck_assert_uint_eq(resp.body_len, 3);
	ck_assert_int_eq(status_of("GET http://a.example HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 200);
	ck_assert_int_eq(parse_str(&p, "GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE); /* no Host ok */
}
END_TEST

START_TEST(test_bytes_route)
{
	struct http_response resp;

	ck_assert_int_eq(status_of("GET /bytes/0 HTTP/1.1\r\nHost: a\r\n\r\n", &resp), 200);
	ck_assert_uint_eq(resp.body_len, 0);
	ck_assert_int_eq(status_of("GET /bytes/1048576 HTTP/1.1\r\nHost: a\r\n\r\n", &resp), 200);
	ck_assert_uint_eq(resp.body_len, HTTP_BYTES_MAX);
	ck_assert_ptr_null(resp.body);
	ck_assert_int_eq(status_of("GET /bytes/1048577 HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 400);
	ck_assert_int_eq(
	    status_of("GET /bytes/184467440737095516160000 HTTP/1.1\r\nHost: a\r\n\r\n", NULL),
	    400);
	ck_assert_int_eq(status_of("GET /bytes/12?x=1 HTTP/1.1\r\nHost: a\r\n\r\n", &resp), 200);
	ck_assert_uint_eq(resp.body_len, 12);
	ck_assert_int_eq(status_of("GET /bytes/ HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 404);
	ck_assert_int_eq(status_of("GET /bytes/1a HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 404);
	ck_assert_int_eq(status_of("GET /bytes/-1 HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 404);
	ck_assert_int_eq(status_of("GET /bytes HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 404);
	ck_assert_int_eq(status_of("GET //bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n", NULL), 404);
}
END_TEST

START_TEST(test_keep_alive)
{
	struct http_parser p;
	struct http_response resp;

	ck_assert_int_eq(parse_str(&p, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_DONE);
	ck_assert(p.req.keep_alive);
	ck_assert_int_eq(parse_str(&p, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
			 HTTP_PARSE_DONE);
	ck_assert(!p.req.keep_alive);
	ck_assert_int_eq(
	    parse_str(&p, "GET / HTTP/1.1\r\nHost: a\r\nconnection: Upgrade, CLOSE \r\n\r\n"),
	    HTTP_PARSE_DONE);
	ck_assert(!p.req.keep_alive);
	ck_assert_int_eq(parse_str(&p, "GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
	ck_assert(!p.req.keep_alive);
	ck_assert_int_eq(status_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &resp), 200);
	ck_assert(!resp.close);
	ck_assert(resp.keep_alive_header);
	ck_assert_int_eq(status_of("GET / HTTP/1.0\r\n\r\n", &resp), 200);
	ck_assert(resp.close);
	/* A token that merely contains "close" is not close. */
	ck_assert_int_eq(parse_str(&p, "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n"),
			 HTTP_PARSE_DONE);
	ck_assert(p.req.keep_alive);
}
END_TEST

START_TEST(test_write_head)
{
	struct http_response resp;
	char out[HTTP_RESP_HEAD_MAX], date[HTTP_DATE_LEN + 1];
	size_t n;

	http_format_date(784111777, date);
	ck_assert_str_eq(date, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_error_response(431, &resp);
	resp.allow = true;
	resp.keep_alive_header = true; /* close wins */
	n = http_write_head(&resp, date, out, sizeof(out));
	ck_assert_uint_gt(n, 0);
	out[n < sizeof(out) ? n : sizeof(out) - 1] = '\0';
	ck_assert_ptr_nonnull(strstr(out, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nConnection: close\r\n"));
	ck_assert_ptr_null(strstr(out, "keep-alive"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "\r\nContent-Length: 32\r\n"));
	ck_assert(n >= 4 && !memcmp(out + n - 4, "\r\n\r\n", 4));
	/* Too small a buffer: nothing, never a truncated head. */
	ck_assert_uint_eq(http_write_head(&resp, date, out, 40), 0);
	ck_assert_str_eq(http_reason(200), "OK");
	ck_assert_str_eq(http_reason(999), "Unknown");
}
END_TEST

/* Two connections' parsers are independent: a stalled one holds no shared state. */
START_TEST(test_interleaved_parsers)
{
	const char *slow = "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ";
	const char *fast = "GET /bytes/1 HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_parser a, b;

	http_parser_init(&a);
	http_parser_init(&b);
	for (size_t i = 1; i <= strlen(slow); i++)
		ck_assert_int_eq(http_parse(&a, slow, i, HTTP_HEAD_MAX), HTTP_PARSE_MORE);
	ck_assert_int_eq(http_parse(&b, fast, strlen(fast), HTTP_HEAD_MAX), HTTP_PARSE_DONE);
	ck_assert_int_eq(http_parse(&a, slow, strlen(slow), HTTP_HEAD_MAX), HTTP_PARSE_MORE);
}
END_TEST

/* Random mutations of valid requests, parsed whole and in random pieces: both ways must
 * agree, and whatever is found must lie inside the bytes given. */
START_TEST(test_random_consistency)
{
	static const char *const seeds[] = {
	    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "HEAD /bytes/123 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	    "POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n",
	    "GET http://h/p HTTP/1.1\nHost: b\nConnection: close\n\n",
	};
	static const char alphabet[] = "GETHOST /:\r\n\r\n\t,0123456789xX-\x01\x7f\xff";
	unsigned seed = 12345;

	for (int iter = 0; iter < 20000; iter++) {
		char buf[256];
		const char *src = seeds[iter % 4];
		size_t len = strlen(src);
		struct http_parser whole, parts;
		enum http_parse_result rw, rp = HTTP_PARSE_MORE;

		memcpy(buf, src, len);
		for (int m = (int)(rand_r(&seed) % 4); m > 0; m--) {
			size_t at = (size_t)rand_r(&seed) % len;
			switch (rand_r(&seed) % 3) {
			case 0: /* replace */
				buf[at] = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
				break;
			case 1: /* delete */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			default: /* insert */
				if (len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = alphabet[(size_t)rand_r(&seed) %
							   (sizeof(alphabet) - 1)];
					len++;
				}
			}
		}
		rw = parse_all(&whole, buf, len);
		http_parser_init(&parts);
		for (size_t n = 0; n < len && rp == HTTP_PARSE_MORE;) {
			n += 1 + (size_t)rand_r(&seed) % 7;
			if (n > len)
				n = len;
			rp = http_parse(&parts, buf, n, HTTP_HEAD_MAX);
		}
		ck_assert_msg(rw == rp, "iteration %d: whole %d, pieces %d", iter, rw, rp);
		if (rw == HTTP_PARSE_ERROR) {
			ck_assert_int_eq(whole.req.status, parts.req.status);
		} else if (rw == HTTP_PARSE_DONE) {
			struct http_response resp;
			ck_assert_uint_eq(whole.req.head_len, parts.req.head_len);
			ck_assert_uint_le(whole.req.head_len, len);
			ck_assert_uint_le(whole.req.target_off + whole.req.target_len,
					  whole.req.head_len);
			ck_assert_uint_eq(whole.req.target_off, parts.req.target_off);
			ck_assert(whole.req.keep_alive == parts.req.keep_alive);
			http_route(&whole.req, buf, &resp);
			ck_assert(resp.status == 200 || resp.status == 400 || resp.status == 404 ||
				  resp.status == 405);
		}
	}
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("parser");

	tcase_add_test(tc, test_simple_get);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_split_every_position);
	tcase_add_test(tc, test_oversized_headers);
	tcase_add_test(tc, test_methods);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_lenient_forms);
	tcase_add_test(tc, test_bytes_route);
	tcase_add_test(tc, test_keep_alive);
	tcase_add_test(tc, test_write_head);
	tcase_add_test(tc, test_interleaved_parsers);
	tcase_add_test(tc, test_random_consistency);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(http_suite());
}
