/* Backend core: placeholder until its issue lands; probe says so. */
#include <stdio.h>

#include "backend.h"

static int probe(const struct crowd_config *cfg, char *reason, size_t len)
{
	(void)cfg;
	snprintf(reason, len, "not built yet");
	return -1;
}

const struct crowd_backend crowd_backend_core = {
	.name = "core",
	.help = "not built yet",
	.probe = probe,
};
