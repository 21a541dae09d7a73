/* The backends table. Each backend lives in its own backend_<name>.c, which defines
 * `const struct crowd_backend crowd_backend_<name>`; its one line here adds it. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

/* In the order `crowd info` lists them. */
#define BACKENDS(X)                                                                                \
	X(core)                                                                                    \
	X(process)                                                                                 \
	X(crun)                                                                                    \
	X(runc)                                                                                    \
	X(bwrap)                                                                                   \
	X(vm)                                                                                      \
	X(docker)                                                                                  \
	X(podman)                                                                                  \
	X(lxc)                                                                                     \
	X(nspawn)                                                                                  \
	X(runsc)

#define DECLARE(name) extern const struct crowd_backend crowd_backend_##name;
#define ENTRY(name)   &crowd_backend_##name,
BACKENDS(DECLARE)
const struct crowd_backend *const crowd_backends[] = {BACKENDS(ENTRY)};
const unsigned crowd_backends_len = sizeof(crowd_backends) / sizeof(crowd_backends[0]);

const struct crowd_backend *crowd_backend_find(const char *name)
{
	for (unsigned i = 0; i < crowd_backends_len; i++)
		if (!strcmp(crowd_backends[i]->name, name))
			return crowd_backends[i];
	return NULL;
}

void crowd_backend_names(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < crowd_backends_len && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					crowd_backends[i]->name);
}
