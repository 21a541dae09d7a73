/* crowd load URL: the built-in load generator against one HTTP server on this host's loopback,
 * with a wrk-like summary (or --json). */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "load/load.h"
#include "results/units.h"

static volatile sig_atomic_t load_stop;

static void on_signal(int sig)
{
	(void)sig;
	load_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crowd load URL [OPTIONS]\n\n"
		"HTTP/1.1 load against a server on this host's loopback (127.0.0.0/8, ::1, localhost).\n\n"
		"  -c, --connections N   keep-alive connections (default 10)\n"
		"  -d, --duration T      how long, e.g. 500ms, 5s, 1m (default 5s)\n"
		"  -t, --threads N       worker threads (default: online CPUs, at most N connections)\n"
		"  -p, --pipeline N      requests in flight per connection (default 1: no pipelining)\n"
		"      --timeout T       per request, connect included (default 2s)\n"
		"      --json            one JSON object on stdout instead of the summary\n"
		"  -h, --help            this text\n\n"
		"Exit: 0 ok, 1 no successful (2xx) response or the load could not run, 2 bad input.\n");
}

static void print_json(const char *url, const struct crowd_load_opts *o,
		       const struct crowd_load_result *r, const struct crowd_load_totals *t)
{
	json_t *j = json_pack(
		"{s:s, s:i, s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f,"
		" s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:f}",
		"url", url, "connections", (int)o->connections, "duration_ns", (json_int_t)t->duration_ns,
		"threads", (int)t->threads, "pipeline", (int)(o->pipeline ? o->pipeline : 1),
		"requests", (json_int_t)t->requests, "bytes", (json_int_t)t->bytes,
		"errors", (json_int_t)t->errors, "status_errors", (json_int_t)t->status_errors,
		"rps", t->total_rps, "bytes_per_s", t->bytes_per_s,
		"latency_p50_ns", (json_int_t)t->p50_ns, "latency_p90_ns", (json_int_t)t->p90_ns,
		"latency_p99_ns", (json_int_t)t->p99_ns, "latency_max_ns", (json_int_t)t->max_ns,
		"latency_min_ns", (json_int_t)t->min_ns, "latency_mean_ns", t->mean_ns,
		"latency_stddev_ns", t->stddev_ns,
		"errors_by_kind", "connect", (json_int_t)t->connect_errors, "read",
		(json_int_t)t->read_errors, "write", (json_int_t)t->write_errors, "parse",
		(json_int_t)t->parse_errors, "timeout", (json_int_t)t->timeouts, "status",
		(json_int_t)t->status_errors,
		"client_cpu_ns", (json_int_t)t->client_cpu_ns,
		"client_cpu_per_s", (double)t->client_cpu_ns / (double)t->duration_ns);
	if (j && r->first_response_ns >= 0)
		json_object_set_new(j, "first_response_ns", json_integer(r->first_response_ns));
	if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		fprintf(stderr, "crowd load: writing JSON failed\n");
	fputc('\n', stdout);
	json_decref(j);
}

static void print_summary(const char *url, const struct crowd_load_opts *o,
			  const struct crowd_load_totals *t)
{
	char a[32], b[32], c[32], d[32], e[32], f[32];
	printf("Running %s test @ %s\n", crowd_units_format_time((double)o->duration_ns, a, sizeof(a)),
	       url);
	if (o->pipeline > 1)
		printf("  %u threads and %u connections, pipeline %u\n", t->threads, o->connections,
		       o->pipeline);
	else
		printf("  %u threads and %u connections, no pipelining\n", t->threads, o->connections);
	printf("  Latency   %9s %9s %9s %9s %9s %9s\n", "mean", "stdev", "p50", "p90", "p99", "max");
	if (t->requests == 0)
		printf("            %9s %9s %9s %9s %9s %9s\n", "-", "-", "-", "-", "-", "-");
	else
		printf("            %9s %9s %9s %9s %9s %9s\n",
		       crowd_units_format_time(t->mean_ns, a, sizeof(a)),
		       crowd_units_format_time(t->stddev_ns, b, sizeof(b)),
		       crowd_units_format_time((double)t->p50_ns, c, sizeof(c)),
		       crowd_units_format_time((double)t->p90_ns, d, sizeof(d)),
		       crowd_units_format_time((double)t->p99_ns, e, sizeof(e)),
		       crowd_units_format_time((double)t->max_ns, f, sizeof(f)));
	printf("  %llu requests in %s, %s read\n", (unsigned long long)t->requests,
	       crowd_units_format_time((double)t->duration_ns, a, sizeof(a)),
	       crowd_units_format_size((double)t->bytes, b, sizeof(b)));
	if (t->errors)
		printf("  Errors: connect %llu, read %llu, write %llu, parse %llu, timeout %llu, "
		       "non-2xx %llu\n",
		       (unsigned long long)t->connect_errors, (unsigned long long)t->read_errors,
		       (unsigned long long)t->write_errors, (unsigned long long)t->parse_errors,
		       (unsigned long long)t->timeouts, (unsigned long long)t->status_errors);
	printf("Requests/sec: %10.2f\n", t->total_rps);
	printf("Transfer/sec: %10s\n", crowd_units_format_size(t->bytes_per_s, a, sizeof(a)));
	printf("Client CPU:   %10s (%.0f%% of one CPU)\n",
	       crowd_units_format_time((double)t->client_cpu_ns, a, sizeof(a)),
	       100.0 * (double)t->client_cpu_ns / (double)t->duration_ns);
}

int crowd_cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"connections", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"pipeline", required_argument, NULL, 'p'},
		{"timeout", required_argument, NULL, 1000},
		{"json", no_argument, NULL, 1001},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct crowd_load_opts o = {
		.connections = 10,
		.duration_ns = 5000000000LL,
		.pipeline = 1,
		.timeout_ns = 2000000000LL,
	};
	bool json = false;
	uint64_t u;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:d:t:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (crowd_units_parse_count(optarg, &u) < 0 || u < 1 || u > 100000)
				crowd_usage_error("load", "--connections '%s': allowed 1..100000", optarg);
			o.connections = (unsigned)u;
			break;
		case 'd':
			if (crowd_units_parse_time(optarg, &o.duration_ns) < 0 ||
			    o.duration_ns < 1000000 || o.duration_ns > 86400000000000LL)
				crowd_usage_error("load", "--duration '%s': allowed 1ms..24h (e.g. 500ms, 5s)",
						  optarg);
			break;
		case 't':
			if (crowd_units_parse_uint(optarg, 1, 256, &u) < 0)
				crowd_usage_error("load", "--threads '%s': allowed 1..256", optarg);
			o.threads = (unsigned)u;
			break;
		case 'p':
			if (crowd_units_parse_uint(optarg, 1, 1024, &u) < 0)
				crowd_usage_error("load", "--pipeline '%s': allowed 1..1024", optarg);
			o.pipeline = (unsigned)u;
			break;
		case 1000:
			if (crowd_units_parse_time(optarg, &o.timeout_ns) < 0 ||
			    o.timeout_ns < 1000000 || o.timeout_ns > 3600000000000LL)
				crowd_usage_error("load", "--timeout '%s': allowed 1ms..1h", optarg);
			break;
		case 1001:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return CROWD_EXIT_OK;
		default:
			crowd_usage_error("load", "unknown option '%s' (see crowd load --help)",
					  argv[optind - 1]);
		}
	}
	if (optind >= argc)
		crowd_usage_error("load", "missing URL (e.g. http://127.0.0.1:8080/)");
	if (optind + 1 < argc)
		crowd_usage_error("load", "'%s': one URL only", argv[optind + 1]);
	const char *url = argv[optind];
	if (o.threads > o.connections)
		o.threads = o.connections;

	struct crowd_error err = {0};
	struct crowd_load_target t;
	char path[1024];
	if (crowd_load_parse_url(url, &t, path, sizeof(path), &err) < 0)
		crowd_usage_error("load", "%s", err.msg);

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct crowd_load_result r;
	struct crowd_load_totals tot;
	if (crowd_load_run(&t, 1, &o, &r, &tot, &load_stop, &err) < 0)
		return crowd_report("load", &err);
	if (json)
		print_json(url, &o, &r, &tot);
	else
		print_summary(url, &o, &tot);
	fflush(stdout);
	if (r.first_response_ns < 0) {
		fprintf(stderr, "crowd load: no successful (2xx) response from %s\n", url);
		return CROWD_EXIT_FAIL;
	}
	return CROWD_EXIT_OK;
}
