#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "wl.h"

int wl_ready_notify(void)
{
	const char *s = getenv("CROWD_READY_FD");
	uint64_t fd;
	int r;

	if (!s || !*s)
		return 0;
	r = wl_parse_uint(s, 65535, &fd);
	if (r < 0)
		return r;
	unsetenv("CROWD_READY_FD"); /* children must not signal a second time */
	/* A reader that went away is not worth dying of SIGPIPE for: ignore it for the write. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ign, &old);
	do
		r = (int)write((int)fd, "R", 1);
	while (r < 0 && errno == EINTR);
	r = r < 0 && errno != EPIPE ? -errno : 0;
	sigaction(SIGPIPE, &old, NULL);
	close((int)fd);
	return r;
}
