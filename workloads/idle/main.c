/* idle: the pause process. Signals ready, then sleeps in sigwaitinfo(); reaps children (it
 * may be pid 1 of a pid namespace) and exits 0 on SIGTERM or SIGINT. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl.h"

static const char usage[] =
    "usage: idle [--help]\n"
    "Wait for SIGTERM or SIGINT and exit 0; reap children meanwhile (pid 1 duty).\n"
    "Writes one byte to the fd in $CROWD_READY_FD (if set) once waiting.\n";

int main(int argc, char **argv)
{
	sigset_t set;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		wl_usage_fail("idle", "unknown argument '%s' (idle takes none)", argv[i]);
	}
	r = wl_signals_block(true, &set);
	if (r < 0)
		wl_die("idle", r, "blocking signals");
	r = wl_ready_notify();
	if (r < 0)
		wl_die("idle", r, "CROWD_READY_FD");
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			wl_die("idle", -errno, "sigwaitinfo");
		}
		if (sig == SIGCHLD) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			continue;
		}
		return 0; /* SIGTERM, SIGINT */
	}
}
