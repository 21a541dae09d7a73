/* The container's root filesystem: choosing it in the parent, entering it in the child
 * (bind, fresh /proc with masked and read-only paths, minimal /dev, private /tmp,
 * pivot_root, read-only root). */
#ifndef CROWD_ROOTFS_H
#define CROWD_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The default rootfs: <dir of /proc/self/exe>/rootfs when it exists (build/crowd next to
 * build/rootfs), else CROWD_DATADIR/rootfs. */
int crowd_rootfs_default(char *buf, size_t len, struct crowd_error *err);
/* A usable rootfs: an existing directory (not a file, not "/"). */
int crowd_rootfs_check(const char *path, struct crowd_error *err);

/* --rootfs-mode: what a container's root is made of. */
enum crowd_rootfs_mode {
	CROWD_ROOTFS_RO,      /* the rootfs itself, read-only, shared by every container */
	CROWD_ROOTFS_OVERLAY, /* a writable overlayfs per container: lower the rootfs, upper
			       * and work on a tmpfs of the container (as engines give a
			       * writable layer per container) */
};
const char *crowd_rootfs_mode_name(enum crowd_rootfs_mode m); /* "ro", "overlay"; NULL past */

/* In the child, in its new mount namespace, before capabilities are dropped. rootfs NULL:
 * stay on the host root (still a fresh /proc when with_proc; /sys made read-only with
 * CROWD_SEC_SYS_RO). userns: devices by bind mount instead of mknod, remounts keep locked
 * flags. security: CROWD_SEC_* bits; CROWD_SEC_MASKS masks /proc paths as Docker does.
 * overlay: CROWD_ROOTFS_OVERLAY (a tmpfs is mounted on the rootfs's /tmp in this private
 * mount namespace to hold upper, work and the merged mount point; the root stays writable). */
int crowd_rootfs_enter(const char *rootfs, bool with_proc, bool userns, unsigned security,
		       bool overlay, struct crowd_error *err);

/* In the parent: an fd of a mount namespace pivoted into rootfs (read-only, old root
 * detached, a scratch tmpfs on its /tmp), and an O_PATH fd of that scratch; made on first use
 * and kept for the life of the process (owned by the cache; do not close). For containers
 * without a user namespace. */
int crowd_rootfs_template(const char *rootfs, int *ret_fd, int *ret_scratch,
			  struct crowd_error *err);
/* In the child (not in a new mount namespace yet): join a private copy of the template,
 * then a fresh /proc (when with_proc), /dev and /tmp, the last two bound from the scratch's
 * directory id (made here), the masked /proc directories from its read-only empty/. */
int crowd_rootfs_enter_template(int tmpl_fd, const char *id, bool with_proc, unsigned security,
				struct crowd_error *err);
/* In the parent, once the container is gone: remove its directory id from the scratch
 * (scratch_fd from crowd_rootfs_template); 0, or -errno (what could be removed is). */
int crowd_rootfs_scratch_remove(int scratch_fd, const char *id);

#endif
