/* Capability profiles, applied with libcap in the child before exec. */
#ifndef CROWD_CAPS_H
#define CROWD_CAPS_H

#include <sys/capability.h>

#include "error.h"

enum crowd_caps_profile {
	CROWD_CAPS_DEFAULT, /* the 14 capabilities Docker keeps */
	CROWD_CAPS_NONE,
	CROWD_CAPS_ALL,
};

/* The 14 capabilities Docker keeps by default, as "CAP_CHOWN", ... (OCI spelling). */
extern const char *const crowd_caps_default_names[];
extern const unsigned crowd_caps_default_len;

/* Parse --caps: default, none, all. */
int crowd_caps_parse(const char *text, enum crowd_caps_profile *ret, struct crowd_error *err);
const char *crowd_caps_profile_name(enum crowd_caps_profile p);

/* In the child: set bounding, permitted, effective to the profile; clear inheritable and
 * ambient. Call after all privileged setup, just before no_new_privs and exec. scratch is a
 * cap_t from cap_init() that the parent made for this child alone (the child may share the
 * parent's memory and must not allocate); NULL is reported as out of memory. */
int crowd_caps_apply(enum crowd_caps_profile p, cap_t scratch, struct crowd_error *err);

static inline void crowd_cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}
#define _cleanup_cap_ __attribute__((cleanup(crowd_cap_freep)))

#endif
