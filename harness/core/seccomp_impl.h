/* Internal to the seccomp module: what the table compiler (seccomp.c) and the JSON
 * profile reader and writer (seccomp_json.c) share. */
#ifndef CROWD_SECCOMP_IMPL_H
#define CROWD_SECCOMP_IMPL_H

#include <seccomp.h>
#include <stdbool.h>

struct crowd_error;
struct crowd_sc_rule;
struct crowd_seccomp;

/* A filter context with the x86 and x32 ABIs beside the native one, tree-optimised. */
/* A filter context on the native ABI. foreign_abis: the i386 and x32 ABIs carry the same
 * rules; otherwise every call of theirs is refused with ENOSYS (libseccomp's bad-arch
 * action). */
int sc_ctx_new(uint32_t def_action, bool foreign_abis, scmp_filter_ctx *ret,
	       struct crowd_error *err);
/* Add one table rule with action for syscall number nr. */
int sc_rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, const struct crowd_sc_rule *rule,
		struct crowd_error *err);
/* Export ctx as classic BPF into sc->insns (malloc'd), sc->len and sc->hash. */
int sc_export(scmp_filter_ctx ctx, struct crowd_seccomp *sc, struct crowd_error *err);

#endif
