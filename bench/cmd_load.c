/* crowd load URL: the built-in load generator against one HTTP server on this host's loopback,
 * with a wrk-like summary (or --json). */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "load/load.h"
#include "opts.h"
#include "results/units.h"

static volatile sig_atomic_t load_stop;

static void on_signal(int sig)
{
	(void)sig;
	load_stop = 1;
}

struct load_ctx {
	struct crowd_load_opts o;
	bool json;
};

#define AT(field) CROWD_OPT_AT(struct load_ctx, field)

static const struct crowd_opt load_opts[] = {
    {"connections", 'c', 0, CROWD_OPT_COUNT, "N", "keep-alive connections", .min = 1, .max = 100000,
     AT(o.connections)},
    {"duration", 'd', 0, CROWD_OPT_TIME, "T", "how long, e.g. 500ms, 5s, 1m", .min = 1000000,
     .max = 86400000000000LL, AT(o.duration_ns)},
    {"threads", 't', 0, CROWD_OPT_COUNT, "N", "worker threads", .min = 1, .max = 256,
     .def = "online CPUs, at most N connections", AT(o.threads)},
    {"pipeline", 'p', 0, CROWD_OPT_COUNT, "N",
     "requests in flight per connection, 1: no pipelining", .min = 1, .max = 1024, AT(o.pipeline)},
    {"timeout", 0, 0, CROWD_OPT_TIME, "T", "per request, connect included", .min = 1000000,
     .max = 3600000000000LL, AT(o.timeout_ns)},
    {"json", 0, 0, CROWD_OPT_FLAG, NULL, "one JSON object on stdout instead of the summary",
     AT(json)},
    {0},
};

static void print_json(const char *url, const struct crowd_load_opts *o,
		       const struct crowd_load_result *r, const struct crowd_load_totals *t)
{
	json_t *j = json_pack(
	    "{s:s, s:i, s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f,"
	    " s:f, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I, s:f}",
	    "url", url, "connections", (int)o->connections, "duration_ns",
	    (json_int_t)t->duration_ns, "threads", (int)t->threads, "pipeline",
	    (int)(o->pipeline ? o->pipeline : 1), "requests", (json_int_t)t->requests, "bytes",
	    (json_int_t)t->bytes, "errors", (json_int_t)t->errors, "status_errors",
	    (json_int_t)t->status_errors, "rps", t->total_rps, "bytes_per_s", t->bytes_per_s,
	    "latency_p50_ns", (json_int_t)t->p50_ns, "latency_p90_ns", (json_int_t)t->p90_ns,
	    "latency_p99_ns", (json_int_t)t->p99_ns, "latency_max_ns", (json_int_t)t->max_ns,
	    "latency_min_ns", (json_int_t)t->min_ns, "latency_mean_ns", t->mean_ns,
	    "latency_stddev_ns", t->stddev_ns, "errors_by_kind", "connect",
	    (json_int_t)t->connect_errors, "read", (json_int_t)t->read_errors, "write",
	    (json_int_t)t->write_errors, "parse", (json_int_t)t->parse_errors, "timeout",
	    (json_int_t)t->timeouts, "status", (json_int_t)t->status_errors, "client_cpu_ns",
	    (json_int_t)t->client_cpu_ns, "client_cpu_per_s",
	    (double)t->client_cpu_ns / (double)t->duration_ns);
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
	printf("Running %s test @ %s\n",
	       crowd_units_format_time((double)o->duration_ns, a, sizeof(a)), url);
	if (o->pipeline > 1)
		printf("  %u threads and %u connections, pipeline %u\n", t->threads, o->connections,
		       o->pipeline);
	else
		printf("  %u threads and %u connections, no pipelining\n", t->threads,
		       o->connections);
	printf("  Latency   %9s %9s %9s %9s %9s %9s\n", "mean", "stdev", "p50", "p90", "p99",
	       "max");
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
	struct load_ctx lc = {.o = {
				  .connections = 10,
				  .duration_ns = 5000000000LL,
				  .pipeline = 1,
				  .timeout_ns = 2000000000LL,
			      }};
	const struct crowd_opts_cmd cmd = {
	    .name = "load",
	    .synopsis = "crowd load URL [OPTIONS]",
	    .description = "HTTP/1.1 load against a server on this host's loopback (127.0.0.0/8, "
			   "::1, localhost).",
	    .epilogue = "Exit: 0 ok, 1 no successful (2xx) response or the load could not run, 2 "
			"bad input.\n",
	    .extra = load_opts,
	    .ctx = &lc,
	    .args_anywhere = true,
	};
	int first = crowd_opts_parse(&cmd, argc, argv, NULL);
	if (first >= argc)
		crowd_usage_error("load", "missing URL (e.g. http://127.0.0.1:8080/)");
	if (first + 1 < argc)
		crowd_usage_error("load", "'%s': one URL only", argv[first + 1]);
	const char *url = argv[first];
	struct crowd_load_opts *o = &lc.o;
	if (o->threads > o->connections)
		o->threads = o->connections;

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
	if (crowd_load_run(&t, 1, o, &r, &tot, &load_stop, &err) < 0)
		return crowd_report("load", &err);
	if (lc.json)
		print_json(url, o, &r, &tot);
	else
		print_summary(url, o, &tot);
	fflush(stdout);
	if (r.first_response_ns < 0) {
		fprintf(stderr, "crowd load: no successful (2xx) response from %s\n", url);
		return CROWD_EXIT_FAIL;
	}
	return CROWD_EXIT_OK;
}
