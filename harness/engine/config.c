#include "config.h"

#include <string.h>

void crowd_config_init(struct crowd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->count = 100;
	cfg->concurrency = 1;
	cfg->ns = CROWD_NS_DEFAULT;
	cfg->limits = (struct crowd_cg_limits)CROWD_CG_LIMITS_NONE;
	cfg->caps = CROWD_CAPS_DEFAULT;
	cfg->placement = CROWD_PLACE_NONE;
	cfg->duration_ns = 5000000000LL;
	cfg->load = true;
	cfg->connections = 1;
	cfg->vm_accel = "auto";
}
