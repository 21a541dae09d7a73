#include "config.h"

#include <jansson.h>
#include <string.h>

void crowd_config_init(struct crowd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->count = 100;
	cfg->concurrency = 1;
	cfg->ns = CROWD_NS_DEFAULT;
	cfg->limits = (struct crowd_cg_limits)CROWD_CG_LIMITS_NONE;
	cfg->caps = CROWD_CAPS_DEFAULT;
	cfg->security = CROWD_SEC_ALL;
	cfg->placement = CROWD_PLACE_NONE;
	cfg->duration_ns = 5000000000LL;
	cfg->load = true;
	cfg->connections = 1;
	cfg->vm_accel = "auto";
	cfg->vm_kernel = "auto";
}

#define SEC_CAPS_ON    0u
#define SEC_NNP_ON     (SEC_CAPS_ON | CROWD_SEC_NNP)
#define SEC_MASKS_ON   (SEC_NNP_ON | CROWD_SEC_MASKS)
#define SEC_DEVICES_ON (SEC_MASKS_ON | CROWD_SEC_DEVICES)
#define SEC_SECCOMP_ON (SEC_DEVICES_ON | CROWD_SEC_SECCOMP)

const struct crowd_sweep_step crowd_sweep_steps[] = {
    {"none", CROWD_CAPS_ALL, 0},
    {"caps", CROWD_CAPS_DEFAULT, SEC_CAPS_ON},
    {"nnp", CROWD_CAPS_DEFAULT, SEC_NNP_ON},
    {"masks", CROWD_CAPS_DEFAULT, SEC_MASKS_ON},
    {"devices", CROWD_CAPS_DEFAULT, SEC_DEVICES_ON},
    {"seccomp", CROWD_CAPS_DEFAULT, SEC_SECCOMP_ON},
    {"all", CROWD_CAPS_DEFAULT, CROWD_SEC_ALL},
};
const unsigned crowd_sweep_steps_len = sizeof(crowd_sweep_steps) / sizeof(crowd_sweep_steps[0]);

void crowd_config_sweep_step(const struct crowd_config *base, unsigned i, struct crowd_config *ret)
{
	*ret = *base;
	ret->caps = crowd_sweep_steps[i].caps;
	ret->security = crowd_sweep_steps[i].security;
}

json_t *crowd_config_security_json(const struct crowd_config *cfg)
{
	const struct crowd_seccomp *sc = cfg->seccomp;
	char features[96];
	json_t *o;

	crowd_sec_format(cfg->security, features, sizeof(features));
	o = json_pack("{s:s}", "features", features);
	if (o && (cfg->security & CROWD_SEC_DEVICES)) {
		json_t *rules = json_array();
		char line[64];
		json_array_append_new(rules, json_string("deny a *:* rwm"));
		for (unsigned i = 0; i < crowd_dev_table_len; i++) {
			crowd_dev_rule_format(&crowd_dev_table[i], line, sizeof(line));
			json_array_append_new(rules, json_string(line));
		}
		json_object_set_new(o, "devices", rules);
	}
	if (!o || !(cfg->security & CROWD_SEC_SECCOMP))
		return o;
	if (sc || crowd_seccomp_default(&sc, NULL) == 0)
		json_object_set_new(o, "seccomp",
				    json_pack("{s:s,s:s,s:I,s:I,s:I}", "profile", sc->name, "hash",
					      sc->hash, "rules", (json_int_t)sc->rules,
					      "unknown_names", (json_int_t)sc->unknown, "bpf_insns",
					      (json_int_t)sc->len));
	return o;
}
