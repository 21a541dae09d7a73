#include "config.h"

#include "core/util.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
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

static const struct crowd_sweep_step security_steps[] = {
    {"none", CROWD_CAPS_ALL, 0, 0, -1},
    {"caps", CROWD_CAPS_DEFAULT, SEC_CAPS_ON, 0, -1},
    {"nnp", CROWD_CAPS_DEFAULT, SEC_NNP_ON, 0, -1},
    {"masks", CROWD_CAPS_DEFAULT, SEC_MASKS_ON, 0, -1},
    {"devices", CROWD_CAPS_DEFAULT, SEC_DEVICES_ON, 0, -1},
    {"seccomp", CROWD_CAPS_DEFAULT, SEC_SECCOMP_ON, 0, -1},
    {"all", CROWD_CAPS_DEFAULT, CROWD_SEC_ALL, 0, -1},
};

#define NS_P  CLONE_NEWPID
#define NS_M  (NS_P | CLONE_NEWNS)
#define NS_U  (NS_M | CLONE_NEWUTS)
#define NS_I  (NS_U | CLONE_NEWIPC)
#define NS_N  (NS_I | CLONE_NEWNET)
#define NS_C  (NS_N | CLONE_NEWCGROUP)
#define NS_US (NS_C | CLONE_NEWUSER)
/* security and caps of ns steps come from the run (crowd_config_sweep_step keeps them) */
static const struct crowd_sweep_step ns_steps[] = {
    {"ns-none", 0, 0, 0, -1},
    {"add-pid", 0, 0, NS_P, -1},
    {"add-mnt", 0, 0, NS_M, -1},
    {"add-uts", 0, 0, NS_U, -1},
    {"add-ipc", 0, 0, NS_I, -1},
    {"add-net", 0, 0, NS_N, -1},
    {"add-cgroup", 0, 0, NS_C, -1},
    {"add-user", 0, 0, NS_US, -1},
    {"one-pid", 0, 0, CLONE_NEWPID, 0},
    {"one-mnt", 0, 0, CLONE_NEWNS, 0},
    {"one-uts", 0, 0, CLONE_NEWUTS, 0},
    {"one-ipc", 0, 0, CLONE_NEWIPC, 0},
    {"one-net", 0, 0, CLONE_NEWNET, 0},
    {"one-cgroup", 0, 0, CLONE_NEWCGROUP, 0},
    {"one-user", 0, 0, CLONE_NEWUSER, 0},
};

static const struct crowd_sweep_step caps_steps[] = {
    {"nocaps", CROWD_CAPS_NONE, 0, 0, -1},
    {"defcaps", CROWD_CAPS_DEFAULT, 0, 0, -1},
    {"allcaps", CROWD_CAPS_ALL, 0, 0, -1},
};

static const struct {
	const char *name;
	const struct crowd_sweep_step *steps;
	unsigned n;
} sweeps[] = {
    [CROWD_SWEEP_NONE] = {"", NULL, 0},
    [CROWD_SWEEP_SECURITY] = {"security", security_steps, CROWD_ARRAY_SIZE(security_steps)},
    [CROWD_SWEEP_NS] = {"ns", ns_steps, CROWD_ARRAY_SIZE(ns_steps)},
    [CROWD_SWEEP_CAPS] = {"caps", caps_steps, CROWD_ARRAY_SIZE(caps_steps)},
};

const struct crowd_sweep_step *crowd_sweep_table(enum crowd_sweep_kind kind, unsigned *ret_n)
{
	*ret_n = sweeps[kind].n;
	return sweeps[kind].steps;
}

const char *crowd_sweep_kind_name(enum crowd_sweep_kind kind)
{
	return sweeps[kind].name;
}

int crowd_sweep_kind_parse(const char *text, enum crowd_sweep_kind *ret)
{
	for (unsigned k = CROWD_SWEEP_SECURITY; k < CROWD_ARRAY_SIZE(sweeps); k++)
		if (!strcmp(text, sweeps[k].name)) {
			*ret = (enum crowd_sweep_kind)k;
			return 0;
		}
	return -EINVAL;
}

void crowd_config_sweep_step(const struct crowd_config *base, unsigned i, struct crowd_config *ret,
			     char *exe, size_t exe_len)
{
	unsigned n;
	const struct crowd_sweep_step *st = &crowd_sweep_table(base->sweep, &n)[i];
	*ret = *base;
	switch (base->sweep) {
	case CROWD_SWEEP_SECURITY:
		ret->caps = st->caps;
		ret->security = st->security;
		break;
	case CROWD_SWEEP_CAPS:
		ret->caps = st->caps;
		break;
	case CROWD_SWEEP_NS:
		ret->ns = st->ns;
		if (base->rootfs && base->workload.argv[0]) {
			snprintf(exe, exe_len, "%s%s", base->rootfs, base->workload.argv[0]);
			ret->workload.argv[0] = exe;
			ret->rootfs = NULL;
		}
		break;
	case CROWD_SWEEP_NONE:
		break;
	}
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
