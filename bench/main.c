/* crowd: entry point and the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "version.h"

const struct crowd_command crowd_commands[] = {
	{"info", "host, cgroup layout, namespaces, capabilities, backends available", crowd_cmd_info},
	{"run", "one container through the core, attached: crowd run [OPTS] -- CMD [ARG...]", crowd_cmd_run},
	{"bench", "N containers of a workload on one or more backends, measured, torn down", crowd_cmd_bench},
	{"density", "add containers until a stop condition; report how many fit and what limited", crowd_cmd_density},
	{"compare", "compare two results folders statistically; exit 1 on a regression", crowd_cmd_compare},
	{"plot", "figures from results folders with gnuplot", crowd_cmd_plot},
	{"load", "HTTP load generator against a URL on this host", crowd_cmd_load},
	{"clean", "kill and remove everything crowd left behind", crowd_cmd_clean},
	{"audit", "which security switches each backend turns on, probed from inside", crowd_cmd_audit},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: crowd COMMAND [OPTIONS]\n\n"
		   "crowd is a container performance benchmark and density-test suite.\n\n"
		   "commands:\n");
	for (const struct crowd_command *c = crowd_commands; c->name; c++)
		fprintf(f, "  %-9s %s\n", c->name, c->summary);
	fprintf(f, "\n'crowd COMMAND --help' tells more. Exit codes: 0 ok, 1 failure or regression,\n"
		   "2 bad input, 3 cleanup left something behind, 128+N killed by signal N.\n");
}

/* "crowd CMD: message" on one line of stderr. */
static void vwarn(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "crowd %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void crowd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(cmd, fmt, ap);
	va_end(ap);
	exit(CROWD_EXIT_USAGE);
}

void crowd_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(cmd, fmt, ap);
	va_end(ap);
}

int crowd_report(const char *cmd, const struct crowd_error *err)
{
	fprintf(stderr, "crowd %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
	return CROWD_EXIT_FAIL;
}

bool crowd_tty(void)
{
	return isatty(STDERR_FILENO);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CROWD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CROWD_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("crowd %s (%s)\n", CROWD_VERSION, CROWD_GIT);
		return CROWD_EXIT_OK;
	}
	for (const struct crowd_command *c = crowd_commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	fprintf(stderr, "crowd: unknown command '%s' (allowed: ", argv[1]);
	for (const struct crowd_command *c = crowd_commands; c->name; c++)
		fprintf(stderr, "%s%s", c->name, c[1].name ? ", " : ")\n");
	return CROWD_EXIT_USAGE;
}
