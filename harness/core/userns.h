/* User namespaces for --rootless: the parent writes the child's uid/gid maps (setgroups
 * denied first, so an unprivileged caller may write the gid map), mapping root inside to the
 * caller outside. */
#ifndef CROWD_USERNS_H
#define CROWD_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Map uid 0 / gid 0 in pid's user namespace to uid / gid outside. */
int crowd_userns_map(pid_t pid, uid_t uid, gid_t gid, struct crowd_error *err);

#endif
