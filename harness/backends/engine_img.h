/* What the engine backends (docker, podman) share: the image made from crowd's rootfs, named
 * by a content hash, and the per-container cost of an engine outside the container. */
#ifndef CROWD_ENGINE_IMG_H
#define CROWD_ENGINE_IMG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

/* The image repository every engine imports the rootfs as: crowd-rootfs:<hash>. */
#define CROWD_ENGINE_IMAGE_REPO "crowd-rootfs"

/* Write a deterministic tar of rootfs (sorted names, mtime 0, uid/gid 0) to tar_path and name
 * it by the content: tag gets 16 hex digits of a 64-bit FNV-1a hash of the tar stream, so a
 * changed rootfs gets a new image and an unchanged one the same (tag must hold 17 bytes). */
int crowd_engine_rootfs_tar(const char *rootfs, const char *tar_path, char *tag,
			    struct crowd_error *err);

/* The parent pid of pid (from /proc/PID/stat), 0 when gone; its comm into comm when not NULL. */
pid_t crowd_engine_parent(pid_t pid, char *comm, size_t len);

/* The memory cgroup of pid (v1 "memory" line, else the unified one): its usage in bytes, or
 * -1 when unreadable. */
int64_t crowd_engine_cg_memory(pid_t pid);

/* A name safe for an engine's container names ([a-zA-Z0-9_.-]): other bytes become '-'. */
void crowd_engine_safe_name(char *s);

/* rmdir /sys/fs/cgroup/<h>/<rel> in every hierarchy (and <rel> on a pure v2 host): the
 * cgroup parent an engine made for a run, once its containers are gone. Empty ones only. */
void crowd_engine_cg_rmdir(const char *rel);

/* For crowd clean: the run parents /<top>/<run>-<backend> (and their empty children) in every
 * hierarchy; how many could not be removed. */
unsigned crowd_engine_cg_sweep(const char *top, const char *backend);

#endif
