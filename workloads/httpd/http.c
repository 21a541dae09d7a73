#include "http.h"

#include <string.h>
#include <time.h>

/* RFC 9110 tchar: what a method or header name may contain. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Case-insensitive: does s[0..n) equal the lower-case literal lit? */
static bool lc_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)lit[i])
			return false;
	}
	return i == n && !lit[i];
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

void http_parser_init(struct http_parser *p)
{
	memset(p, 0, sizeof(*p));
}

/* Strict request line: METHOD SP TARGET SP HTTP/1.x. Returns 0 or an error status. */
static int parse_request_line(struct http_parser *p, const char *line, size_t off, size_t n)
{
	struct http_request *r = &p->req;
	size_t i = 0, t, j, ps, pe;
	const char *v;

	while (i < n && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ' ')
		return 400;
	if (i == 3 && !memcmp(line, "GET", 3))
		r->method = HTTP_GET;
	else if (i == 4 && !memcmp(line, "HEAD", 4))
		r->method = HTTP_HEAD;
	else
		r->method = HTTP_OTHER;

	t = j = i + 1;
	while (j < n && (unsigned char)line[j] > 0x20 && (unsigned char)line[j] < 0x7f)
		j++;
	if (j == t || j >= n || line[j] != ' ')
		return 400;

	v = line + j + 1;
	if (n - j - 1 != 8 || memcmp(v, "HTTP/", 5) || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	r->version_minor = (uint8_t)(v[7] - '0');

	/* absolute-form (proxies' style) is allowed: route on its path; no path means "/". */
	if (line[t] == '/') {
		ps = t;
	} else if (j - t > 7 && (lc_eq(line + t, 7, "http://") || lc_eq(line + t, 8, "https://"))) {
		for (ps = t + (line[t + 4] == ':' ? 7 : 8);
		     ps < j && line[ps] != '/' && line[ps] != '?'; ps++)
			;
	} else if (r->method == HTTP_OTHER) {
		ps = j; /* "*" (asterisk-form) and the like: 405 anyway */
	} else {
		return 400;
	}
	for (pe = ps; pe < j && line[pe] != '?'; pe++)
		;
	r->target_off = off + ps;
	r->target_len = pe - ps;
	return 0;
}

/* One header line (not empty, CR stripped). Returns 0 or an error status. */
static int parse_header(struct http_parser *p, const char *line, size_t n)
{
	size_t i = 0, vs, ve;

	if (is_ows(line[0]))
		return 400; /* obs-fold: rejected, RFC 9112 5.2 */
	while (i < n && is_tchar((unsigned char)line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ':')
		return 400;
	for (size_t k = i + 1; k < n; k++) {
		unsigned char c = (unsigned char)line[k];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 400;
	}
	for (vs = i + 1; vs < n && is_ows(line[vs]); vs++)
		;
	for (ve = n; ve > vs && is_ows(line[ve - 1]); ve--)
		;

	if (lc_eq(line, i, "connection")) {
		size_t a = vs;
		while (a < ve) {
			size_t b = a, e;
			while (b < ve && line[b] != ',')
				b++;
			for (e = b; e > a && is_ows(line[e - 1]); e--)
				;
			if (lc_eq(line + a, e - a, "close"))
				p->conn_close = true;
			else if (lc_eq(line + a, e - a, "keep-alive"))
				p->conn_keep_alive = true;
			for (a = b + 1; a < ve && is_ows(line[a]); a++)
				;
		}
	} else if (lc_eq(line, i, "content-length")) {
		uint64_t v = 0;
		if (vs == ve)
			return 400;
		for (size_t k = vs; k < ve; k++) {
			if (line[k] < '0' || line[k] > '9')
				return 400;
			if (v > HTTP_BODY_MAX)
				break; /* 413 below; avoids overflow */
			v = v * 10 + (uint64_t)(line[k] - '0');
		}
		if (p->have_length && v != p->req.content_length)
			return 400;
		if (v > HTTP_BODY_MAX)
			return 413;
		p->have_length = true;
		p->req.content_length = v;
	} else if (lc_eq(line, i, "transfer-encoding")) {
		p->have_te = true;
	} else if (lc_eq(line, i, "host")) {
		p->hosts++;
	}
	return 0;
}

static enum http_parse_result fail(struct http_parser *p, int status)
{
	p->req.status = status;
	return HTTP_PARSE_ERROR;
}

static enum http_parse_result finish(struct http_parser *p, size_t head_len)
{
	struct http_request *r = &p->req;

	if (p->have_te)
		return fail(p, 501); /* chunked request bodies are not implemented */
	if (r->version_minor >= 1 && p->hosts != 1)
		return fail(p, 400); /* RFC 9112 3.2: exactly one Host */
	if (p->hosts > 1)
		return fail(p, 400);
	r->keep_alive =
	    r->version_minor >= 1 ? !p->conn_close : (p->conn_keep_alive && !p->conn_close);
	r->head_len = head_len;
	return HTTP_PARSE_DONE;
}

enum http_parse_result http_parse(struct http_parser *p, const char *buf, size_t len,
				  size_t max_head)
{
	size_t limit = len < max_head ? len : max_head;

	while (p->pos < limit) {
		const char *nl = memchr(buf + p->pos, '\n', limit - p->pos);
		size_t start = p->line_start, end, n;
		int st;

		if (!nl) {
			/* Reject a method that cannot be one before the line even ends
			 * (TLS hellos, binary junk) instead of waiting for a timeout. */
			for (size_t k = p->pos;
			     !p->have_request_line && !p->method_done && k < limit; k++) {
				unsigned char c = (unsigned char)buf[k];
				if (c == ' ' && k > start)
					p->method_done = true;
				else if (!is_tchar(c) && !(c == '\r' && k == start))
					return fail(p, 400);
			}
			p->pos = limit;
			break;
		}
		end = (size_t)(nl - buf);
		n = end - start;
		if (n && buf[end - 1] == '\r')
			n--;
		p->pos = p->line_start = end + 1;

		if (!p->have_request_line) {
			if (n == 0) {
				/* RFC 9112 2.2: ignore a few empty lines before a request. */
				if (++p->empty_lines > 4)
					return fail(p, 400);
				p->method_done = false;
				continue;
			}
			st = parse_request_line(p, buf + start, start, n);
			if (st)
				return fail(p, st);
			p->have_request_line = true;
			continue;
		}
		if (n == 0)
			return finish(p, end + 1);
		st = parse_header(p, buf + start, n);
		if (st)
			return fail(p, st);
	}
	if (len >= max_head)
		return fail(p, p->have_request_line ? 431 : 414);
	return HTTP_PARSE_MORE;
}

struct status_text {
	int status;
	const char *reason;
	const char *body;
};

static const struct status_text statuses[] = {
    {200, "OK", HTTP_ROOT_BODY},
    {400, "Bad Request", "Bad Request\n"},
    {404, "Not Found", "Not Found\n"},
    {405, "Method Not Allowed", "Method Not Allowed\n"},
    {413, "Content Too Large", "Content Too Large\n"},
    {414, "URI Too Long", "URI Too Long\n"},
    {431, "Request Header Fields Too Large", "Request Header Fields Too Large\n"},
    {501, "Not Implemented", "Not Implemented\n"},
    {505, "HTTP Version Not Supported", "HTTP Version Not Supported\n"},
};

static const struct status_text *status_find(int status)
{
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].status == status)
			return &statuses[i];
	return NULL;
}

const char *http_reason(int status)
{
	const struct status_text *s = status_find(status);
	return s ? s->reason : "Unknown";
}

static void set_status(struct http_response *r, int status)
{
	const struct status_text *s = status_find(status);

	r->status = status;
	r->body = s ? s->body : "";
	r->body_len = strlen(r->body);
}

void http_error_response(int status, struct http_response *ret)
{
	memset(ret, 0, sizeof(*ret));
	set_status(ret, status);
	ret->close = true;
}

void http_route(const struct http_request *req, const char *buf, struct http_response *ret)
{
	const char *t = buf + req->target_off;
	size_t n = req->target_len;

	memset(ret, 0, sizeof(*ret));
	ret->close = !req->keep_alive;
	ret->keep_alive_header = req->keep_alive && req->version_minor == 0;
	ret->head_only = req->method == HTTP_HEAD;
	if (req->method == HTTP_OTHER) {
		set_status(ret, 405);
		ret->allow = true;
		return;
	}
	if (n == 0 || (n == 1 && t[0] == '/')) {
		set_status(ret, 200);
		return;
	}
	if (n > 7 && !memcmp(t, "/bytes/", 7)) {
		uint64_t v = 0;
		size_t k;
		for (k = 7; k < n && t[k] >= '0' && t[k] <= '9'; k++)
			if (v <= HTTP_BYTES_MAX)
				v = v * 10 + (uint64_t)(t[k] - '0');
		if (k == n) {
			if (v > HTTP_BYTES_MAX) {
				set_status(ret, 400);
				return;
			}
			ret->status = 200;
			ret->body = NULL;
			ret->body_len = v;
			return;
		}
	}
	set_status(ret, 404);
}

/* Bounded appender for http_write_head(). */
struct out {
	char *p;
	size_t len, cap;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->cap - o->len < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}
#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static void put_uint(struct out *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10));
	put(o, tmp + i, sizeof(tmp) - i);
}

size_t http_write_head(const struct http_response *r, const char *date, char *out, size_t cap)
{
	struct out o = {.p = out, .cap = cap};
	const char *reason = http_reason(r->status);

	PUT_LIT(&o, "HTTP/1.1 ");
	put_uint(&o, (uint64_t)r->status);
	PUT_LIT(&o, " ");
	put(&o, reason, strlen(reason));
	PUT_LIT(&o, "\r\nServer: crowd\r\n");
	if (date) {
		PUT_LIT(&o, "Date: ");
		put(&o, date, HTTP_DATE_LEN);
		PUT_LIT(&o, "\r\n");
	}
	PUT_LIT(&o, "Content-Type: text/plain\r\nContent-Length: ");
	put_uint(&o, r->body_len);
	PUT_LIT(&o, "\r\n");
	if (r->allow)
		PUT_LIT(&o, "Allow: GET, HEAD\r\n");
	if (r->close)
		PUT_LIT(&o, "Connection: close\r\n");
	else if (r->keep_alive_header)
		PUT_LIT(&o, "Connection: keep-alive\r\n");
	PUT_LIT(&o, "\r\n");
	return o.overflow ? 0 : o.len;
}

void http_format_date(int64_t unix_s, char out[HTTP_DATE_LEN + 1])
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t t = (time_t)unix_s;
	struct tm tm;
	struct out o = {.p = out, .cap = HTTP_DATE_LEN};

	gmtime_r(&t, &tm);
	put(&o, days + 3 * tm.tm_wday, 3);
	PUT_LIT(&o, ", ");
	out[o.len++] = (char)('0' + tm.tm_mday / 10);
	out[o.len++] = (char)('0' + tm.tm_mday % 10);
	PUT_LIT(&o, " ");
	put(&o, months + 3 * tm.tm_mon, 3);
	PUT_LIT(&o, " ");
	put_uint(&o, (uint64_t)(tm.tm_year + 1900) % 10000);
	PUT_LIT(&o, " ");
	out[o.len++] = (char)('0' + tm.tm_hour / 10);
	out[o.len++] = (char)('0' + tm.tm_hour % 10);
	PUT_LIT(&o, ":");
	out[o.len++] = (char)('0' + tm.tm_min / 10);
	out[o.len++] = (char)('0' + tm.tm_min % 10);
	PUT_LIT(&o, ":");
	out[o.len++] = (char)('0' + tm.tm_sec / 10);
	out[o.len++] = (char)('0' + tm.tm_sec % 10);
	PUT_LIT(&o, " GMT");
	out[HTTP_DATE_LEN] = '\0';
}
