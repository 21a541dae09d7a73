/* HTTP/1.1 request parsing and routing for crowd's httpd: pure, allocation-free, no I/O, so
 * the Check tests link it directly (build/libwl.a) and the server stays small.
 *
 * Incremental: keep one struct http_parser per request and call http_parse() with all the
 * bytes buffered so far for that request (buf[0] is its first byte; the buffer may move
 * between calls but must keep its contents). Every byte is examined once. */
#ifndef CROWD_HTTP_H
#define CROWD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX	   4096	      /* request line + headers; larger: 431 (or 414) */
#define HTTP_BODY_MAX	   (1u << 20) /* request bodies are read and dropped; larger: 413 */
#define HTTP_BYTES_MAX	   (1u << 20) /* largest N of GET /bytes/N */
#define HTTP_RESP_HEAD_MAX 256	      /* room http_write_head() may need */
#define HTTP_DATE_LEN	   29	      /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_ROOT_BODY	   "Hello from crowd\n"

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_OTHER, /* any other well-formed method: 405 */
};

enum http_parse_result {
	HTTP_PARSE_MORE,  /* head incomplete: read more and call again */
	HTTP_PARSE_DONE,  /* head complete: see http_parser.req */
	HTTP_PARSE_ERROR, /* malformed or too large: answer req.status and close */
};

struct http_request {
	enum http_method method;
	uint8_t version_minor; /* HTTP/1.<minor> */
	bool keep_alive;       /* connection may carry another request */
	size_t target_off;     /* path (no query) as offsets into the buffer */
	size_t target_len;
	uint64_t content_length; /* body bytes following the head (to be dropped) */
	size_t head_len;	 /* bytes of request line + headers + blank line */
	int status;		 /* on HTTP_PARSE_ERROR: 400, 413, 414, 431, 501 or 505 */
};

struct http_parser {
	size_t pos;	   /* next byte to scan */
	size_t line_start; /* first byte of the line being scanned */
	unsigned empty_lines;
	bool have_request_line;
	bool method_done; /* a space ended the method of the (unfinished) request line */
	bool conn_close, conn_keep_alive, have_length, have_te;
	unsigned hosts;
	struct http_request req;
};

void http_parser_init(struct http_parser *p);
/* Scan buf[0..len) for the request head; at most max_head bytes are taken as head. */
enum http_parse_result http_parse(struct http_parser *p, const char *buf, size_t len,
				  size_t max_head);

struct http_response {
	int status;
	uint64_t body_len;
	const char *body;	/* NULL: body_len filler bytes (for /bytes/N) */
	bool close;		/* add "Connection: close" and close after sending */
	bool keep_alive_header; /* HTTP/1.0 keep-alive: say so */
	bool head_only;		/* HEAD: headers (with Content-Length) but no body */
	bool allow;		/* 405: add "Allow: GET, HEAD" */
};

/* Decide the answer to a parsed request; buf is the buffer the request was parsed from. */
void http_route(const struct http_request *req, const char *buf, struct http_response *ret);
/* The answer to a request that failed to parse (status from req.status); always closes. */
void http_error_response(int status, struct http_response *ret);
/* Response head into out; returns its length, 0 when cap is too small. date may be NULL. */
size_t http_write_head(const struct http_response *r, const char *date, char *out, size_t cap);
/* IMF-fixdate of a Unix time into out (HTTP_DATE_LEN chars plus NUL). */
void http_format_date(int64_t unix_s, char out[HTTP_DATE_LEN + 1]);
/* Reason phrase of a status this server sends, "Unknown" otherwise. */
const char *http_reason(int status);

#endif
