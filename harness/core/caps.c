/* Capability profiles with libcap. The child calls crowd_caps_apply() after clone(), maybe
 * in the harness's own memory (CROWD_SPAWN_SHARE_VM) and while other threads hold the malloc
 * lock, so nothing here allocates at apply time: the parent allocates the cap_t the child
 * fills, one per container, and frees it once the child has exec'd. */
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"

const char *const crowd_caps_default_names[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",	       "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",	       "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",	   "CAP_AUDIT_WRITE",
};
const unsigned crowd_caps_default_len =
    sizeof(crowd_caps_default_names) / sizeof(crowd_caps_default_names[0]);

static const cap_value_t caps_default[] = {
    CAP_CHOWN,	 CAP_DAC_OVERRIDE, CAP_FSETID,		 CAP_FOWNER,
    CAP_MKNOD,	 CAP_NET_RAW,	   CAP_SETGID,		 CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,	   CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,	 CAP_AUDIT_WRITE,
};

static const struct {
	const char *name;
	enum crowd_caps_profile profile;
} caps_profiles[] = {
    {"default", CROWD_CAPS_DEFAULT},
    {"none", CROWD_CAPS_NONE},
    {"all", CROWD_CAPS_ALL},
};

int crowd_caps_parse(const char *text, enum crowd_caps_profile *ret, struct crowd_error *err)
{
	for (size_t i = 0; i < sizeof(caps_profiles) / sizeof(caps_profiles[0]); i++)
		if (text && !strcmp(text, caps_profiles[i].name)) {
			*ret = caps_profiles[i].profile;
			return 0;
		}
	return crowd_error_set(err, EINVAL,
			       "unknown capability profile '%.32s' (allowed: default, none, all)",
			       text ? text : "");
}

const char *crowd_caps_profile_name(enum crowd_caps_profile p)
{
	for (size_t i = 0; i < sizeof(caps_profiles) / sizeof(caps_profiles[0]); i++)
		if (caps_profiles[i].profile == p)
			return caps_profiles[i].name;
	return "?";
}

static bool caps_wanted(enum crowd_caps_profile p, cap_value_t c)
{
	switch (p) {
	case CROWD_CAPS_ALL:
		return true;
	case CROWD_CAPS_NONE:
		return false;
	case CROWD_CAPS_DEFAULT:
		for (size_t i = 0; i < sizeof(caps_default) / sizeof(caps_default[0]); i++)
			if (caps_default[i] == c)
				return true;
		return false;
	}
	return false;
}

int crowd_caps_apply(enum crowd_caps_profile p, cap_t caps_scratch, struct crowd_error *err)
{
	cap_value_t max = (cap_value_t)cap_max_bits();

	if (!caps_scratch)
		return crowd_error_set(err, ENOMEM,
				       "capabilities: no memory for the capability set");
	/* One syscall for the whole ambient set (libcap's cap_reset_ambient() clears it one
	 * capability at a time). EINVAL: a kernel without ambient capabilities. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return crowd_error_set(err, errno, "capabilities: clearing the ambient set failed");
	if (cap_clear(caps_scratch) < 0)
		return crowd_error_set(err, EINVAL, "capabilities: cap_clear failed");
	/* What the bounding set still holds bounds what we may keep (CAP_SYS_RESOURCE may be
	 * gone already on this host); the rest leaves the bounding set for good. */
	for (cap_value_t c = 0; c < max; c++) {
		if (!caps_wanted(p, c)) {
			if (cap_drop_bound(c) < 0 && errno != EINVAL)
				return crowd_error_set(
				    err, errno,
				    "capabilities: dropping %d from the bounding set failed", c);
			continue;
		}
		if (cap_get_bound(c) != 1)
			continue;
		cap_set_flag(caps_scratch, CAP_PERMITTED, 1, &c, CAP_SET);
		cap_set_flag(caps_scratch, CAP_EFFECTIVE, 1, &c, CAP_SET);
	}
	if (cap_set_proc(caps_scratch) < 0)
		return crowd_error_set(err, errno, "capabilities: cap_set_proc (%s) failed",
				       crowd_caps_profile_name(p));
	return 0;
}
