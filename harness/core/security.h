/* Security features of a container, one bit each, so that each can be switched on alone
 * (--security LIST) and its cost measured: no_new_privs, masked /proc paths, the device
 * allowlist, the seccomp filter (which also refuses new namespaces, user ones included),
 * /sys read-only. All are on by default. */
#ifndef CROWD_SECURITY_H
#define CROWD_SECURITY_H

#include <stddef.h>

#include "error.h"
#include "devices.h"
#include "seccomp.h"

enum {
	CROWD_SEC_NNP = 1u << 0,     /* PR_SET_NO_NEW_PRIVS before exec */
	CROWD_SEC_MASKS = 1u << 1,   /* Docker's masked and read-only /proc paths */
	CROWD_SEC_DEVICES = 1u << 2, /* device allowlist: v1 devices cgroup, v2 BPF program */
	CROWD_SEC_SECCOMP = 1u << 3, /* a seccomp filter (the default one: seccomp.h) */
	CROWD_SEC_SYS_RO = 1u << 4,  /* /sys read-only where the container sees one */
};
#define CROWD_SEC_ALL                                                                              \
	(CROWD_SEC_NNP | CROWD_SEC_MASKS | CROWD_SEC_DEVICES | CROWD_SEC_SECCOMP | CROWD_SEC_SYS_RO)

struct crowd_sec_desc {
	const char *name;
	unsigned bit;
	const char *help;
};
extern const struct crowd_sec_desc crowd_sec_table[];
extern const unsigned crowd_sec_table_len;

/* The cgroup limits with the device allowlist added when bits hold CROWD_SEC_DEVICES (the
 * core's leaves and the peers' crowd-made leaves alike). */
struct crowd_cg_limits;
void crowd_sec_cg_limits(unsigned bits, struct crowd_cg_limits *l);

/* "nnp,devices,..." or "all" or "none" into CROWD_SEC_* bits. On a bad name, -EINVAL and
 * err names it and what is allowed. */
int crowd_sec_parse(const char *list, unsigned *ret, struct crowd_error *err);
/* Bits back into "nnp,masks,..." ("none" for 0). */
void crowd_sec_format(unsigned bits, char *buf, size_t len);

#endif
