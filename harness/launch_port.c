/* Helpers for backends that run the workload where ports can collide: a free port, and the
 * workload's argv with its --port value replaced (declared in launcher.h). Kept apart from the
 * launcher so a backend links without the run engine. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher.h"

unsigned crowd_launch_free_port(unsigned hint)
{
	for (unsigned i = 0; i < 20000; i++) {
		unsigned port = 20000 + (hint + i) % 40000;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 0;
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port),
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
		close(fd);
		if (r == 0)
			return port;
	}
	return 0;
}

int crowd_launch_argv(const struct crowd_config *cfg, const char *prefix, unsigned port,
		      char **argv, size_t argv_len, char *buf, size_t buf_len,
		      struct crowd_error *err)
{
	char *const *src = cfg->workload.argv;
	size_t n = 0, off = 0;
	if (!src[0])
		return crowd_error_set(err, EINVAL, "workload has no command");
	for (; src[n] && n + 1 < argv_len; n++) {
		const char *s = src[n];
		char tmp[16];
		if (port && n > 0 && !strcmp(src[n - 1], "--port")) {
			snprintf(tmp, sizeof(tmp), "%u", port);
			s = tmp;
		}
		int w = snprintf(buf + off, buf_len - off, "%s%s", n == 0 && prefix ? prefix : "", s);
		if (w < 0 || (size_t)w >= buf_len - off)
			return crowd_error_set(err, ENAMETOOLONG, "workload command line too long");
		argv[n] = buf + off;
		off += (size_t)w + 1;
	}
	argv[n] = NULL;
	return 0;
}
