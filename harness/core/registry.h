/* The container registry: each container has a UUID, mapped to its pid-namespace inode and
 * its pids. In memory for the run, plus one small record per container on disk
 * (<dir>/<id>: pid, start time, pid-namespace inode, cgroup paths) so that `crowd clean`
 * finds the processes of a crashed harness even when they are in no cgroup.
 * <dir> is on tmpfs: /run/crowd/<top> for root (/dev/shm/crowd/<top> when /run is not a
 * tmpfs), else $XDG_RUNTIME_DIR/crowd/<top> or /dev/shm/crowd-<uid>/<top>; <top> is
 * CROWD_CGROUP_TOP or "crowd". */
#ifndef CROWD_REGISTRY_H
#define CROWD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct crowd_cg;

#define CROWD_UUID_LEN 36

struct crowd_reg_entry {
	char id[CROWD_UUID_LEN + 1];
	pid_t pid;
	uint64_t pidns_ino;   /* 0: unknown */
	uint64_t start_ticks; /* /proc/PID/stat starttime, to tell a reused pid apart; 0: unknown */
};

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower case. */
int crowd_uuid_new(char out[CROWD_UUID_LEN + 1], struct crowd_error *err);
bool crowd_uuid_valid(const char *s);

/* The registry directory for this user and CROWD_CGROUP_TOP. */
int crowd_reg_dir(char *buf, size_t len, struct crowd_error *err);

/* Record a started container (memory and disk). cg may be NULL. */
int crowd_reg_add(const char *id, pid_t pid, uint64_t pidns_ino, const struct crowd_cg *cg,
		  struct crowd_error *err);
/* Forget a container (memory and disk). Unknown ids are fine. */
void crowd_reg_remove(const char *id);
/* Look a container of this run up by id; -ENOENT when unknown. */
int crowd_reg_lookup(const char *id, struct crowd_reg_entry *ret);
size_t crowd_reg_count(void);
/* At the end of a run: remove the registry directory when no record is left in it. */
void crowd_reg_close(void);

/* The pids whose pid namespace has inode pidns_ino (scanning /proc); *ret is malloc'd. */
int crowd_reg_pids(uint64_t pidns_ino, pid_t **ret, size_t *ret_n, struct crowd_error *err);
/* Inode of /proc/<pid>/ns/pid (pid 0: our own); 0 when it cannot be read. */
uint64_t crowd_reg_pidns_ino(pid_t pid);

/* crowd clean: for each record on disk, SIGKILL its processes (by pid namespace when it had
 * its own, else the recorded pid if its start time matches), then delete the record.
 * Counts processes killed, records removed, and records left (processes that survived). */
int crowd_reg_sweep(unsigned *ret_killed, unsigned *ret_removed, unsigned *ret_left,
		    struct crowd_error *err);

#endif
