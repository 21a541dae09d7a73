/* httpd: crowd's tiny HTTP/1.1 server (see http.h for what it answers, server.h for how). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "wl.h"

static const char usage[] =
    "usage: httpd [--port N] [--bind ADDR] [--timeout TIME] [--max-conns N] [--help]\n"
    "Tiny HTTP/1.1 server: GET / answers a fixed body, GET /bytes/N answers N bytes\n"
    "(N <= 1048576), HEAD too, anything else 404; other methods 405. Keep-alive, pipelining.\n"
    "  --port N         TCP port 1..65535 (default: $PORT, else 8080)\n"
    "  --bind ADDR      IPv4 or IPv6 address (default: [::] dual stack, or 0.0.0.0)\n"
    "  --timeout TIME   close a connection that completes no request for TIME\n"
    "                   (idle keep-alive and slow clients alike; ms/s/m; default 15s; 0: never)\n"
    "  --max-conns N    connections at once, 1..1000000 (default 4096)\n"
    "Writes one byte to the fd in $CROWD_READY_FD (if set) after listen(). Exits 0 on\n"
    "SIGTERM or SIGINT.\n";

int main(int argc, char **argv)
{
	struct httpd_config cfg = {.port = 8080, .max_conns = 4096, .timeout_ms = 15000};
	const char *port_env = getenv("PORT"), *v, *what = "";
	uint64_t n;
	int r;

	if (port_env && *port_env) {
		if (wl_parse_uint(port_env, 65535, &n) < 0 || n == 0)
			wl_usage_fail("httpd", "PORT='%s': want a port 1..65535", port_env);
		cfg.port = (uint16_t)n;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (wl_opt("httpd", argc, argv, &i, "--port", &v)) {
			if (wl_parse_uint(v, 65535, &n) < 0 || n == 0)
				wl_usage_fail("httpd", "--port '%s': want a port 1..65535", v);
			cfg.port = (uint16_t)n;
		} else if (wl_opt("httpd", argc, argv, &i, "--bind", &v)) {
			unsigned char a[16];
			if (inet_pton(AF_INET6, v, a) != 1 && inet_pton(AF_INET, v, a) != 1)
				wl_usage_fail("httpd", "--bind '%s': want an IPv4 or IPv6 address",
					      v);
			cfg.bind = v;
		} else if (wl_opt("httpd", argc, argv, &i, "--timeout", &v)) {
			if (wl_parse_duration_ms(v, 86400000, &cfg.timeout_ms) < 0)
				wl_usage_fail("httpd",
					      "--timeout '%s': want a time 0..24h like 15s", v);
		} else if (wl_opt("httpd", argc, argv, &i, "--max-conns", &v)) {
			if (wl_parse_uint(v, 1000000, &n) < 0 || n == 0)
				wl_usage_fail("httpd", "--max-conns '%s': want 1..1000000", v);
			cfg.max_conns = (uint32_t)n;
		} else {
			wl_usage_fail("httpd", "unknown argument '%s'", argv[i]);
		}
	}
	r = httpd_serve(&cfg, &what);
	if (r < 0)
		wl_die("httpd", r, "%s (port %u)", what, cfg.port);
	return 0;
}
