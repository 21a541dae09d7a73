/* The backends table. Each backend lives in its own backend_<name>.c. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

extern const struct crowd_backend crowd_backend_core;
extern const struct crowd_backend crowd_backend_process;
extern const struct crowd_backend crowd_backend_crun;
extern const struct crowd_backend crowd_backend_runc;
extern const struct crowd_backend crowd_backend_bwrap;
extern const struct crowd_backend crowd_backend_vm;

const struct crowd_backend *const crowd_backends[] = {
	&crowd_backend_core, &crowd_backend_process, &crowd_backend_crun,
	&crowd_backend_runc, &crowd_backend_bwrap,   &crowd_backend_vm,
};
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
