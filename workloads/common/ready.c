#include <errno.h>
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
	do
		r = (int)write((int)fd, "R", 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		r = -errno;
	else
		r = 0;
	close((int)fd);
	return r;
}
