/* The crowd command line: one file per subcommand (cmd_<name>.c). This is the only code
 * that prints or exits. */
#ifndef CROWD_CLI_H
#define CROWD_CLI_H

#include <stdbool.h>

#include "core/error.h"

/* Exit codes (docs/architecture.md, "Exit codes"). */
enum {
	CROWD_EXIT_OK = 0,
	CROWD_EXIT_FAIL = 1,	 /* runtime failure or regression found */
	CROWD_EXIT_USAGE = 2,	 /* bad input */
	CROWD_EXIT_LEFTOVER = 3, /* cleanup left something behind */
	/* compare: no verdict possible (one run per side, too few rounds, rounds that disagree,
	 * no baseline); never a regression, never a pass */
	CROWD_EXIT_INCONCLUSIVE = 4
};

struct crowd_command {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv); /* argv[0] is the subcommand name */
};
extern const struct crowd_command crowd_commands[];

int crowd_cmd_info(int argc, char **argv);
int crowd_cmd_run(int argc, char **argv);
int crowd_cmd_bench(int argc, char **argv);
int crowd_cmd_density(int argc, char **argv);
int crowd_cmd_compare(int argc, char **argv);
int crowd_cmd_plot(int argc, char **argv);
int crowd_cmd_clean(int argc, char **argv);
int crowd_cmd_load(int argc, char **argv);
int crowd_cmd_audit(int argc, char **argv);
int crowd_cmd_merge(int argc, char **argv);

/* "crowd CMD: message" on stderr and exit 2. For bad input only: name the input and what
 * is allowed. */
void crowd_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* "crowd CMD: message" on stderr. */
void crowd_warn(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print err as "crowd CMD: msg" and return CROWD_EXIT_FAIL (or 2 for EINVAL when usage). */
int crowd_report(const char *cmd, const struct crowd_error *err);
/* True when stderr is a terminal and --quiet was not given: progress display allowed. */
bool crowd_tty(void);

#endif
