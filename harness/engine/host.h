/* Facts about the host a run measured: kernel, CPU model and topology (hwloc), memory,
 * cgroup layout, namespaces and user namespaces, crowd's own capabilities (libcap). Used by
 * host.json and `crowd info`. Facts that cannot be read stay empty / -1, never guessed. */
#ifndef CROWD_HOST_H
#define CROWD_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

#define CROWD_HOST_MAX_CACHES 8

struct crowd_host_cache {
	unsigned level;        /* 1, 2, 3 */
	const char *kind;      /* "data", "instruction", "unified" */
	int64_t size_bytes;    /* of one cache */
	unsigned count;        /* how many of them */
};

struct crowd_host {
	char kernel[400];          /* "Linux 6.18.0 #1 SMP ... x86_64" */
	char kernel_release[65]; /* "6.18.0" */
	char machine[65];
	char cpu_model[128];
	/* hwloc, through the crowd-topo helper (topology.h); -1 when it is unavailable */
	int packages, numa_nodes, cores, pus;
	struct crowd_host_cache caches[CROWD_HOST_MAX_CACHES];
	unsigned n_caches;
	char topology_error[256]; /* why the topology is missing, "" if present */
	int64_t mem_total_bytes, mem_available_bytes;
	char cgroup_layout[16];   /* "unified", "legacy", "hybrid", "" if undetected */
	char namespaces[160];     /* space-separated kinds in /proc/self/ns: "cgroup ipc mnt ..." */
	int64_t max_user_namespaces;     /* /proc/sys/user/max_user_namespaces, -1 absent */
	int unprivileged_userns_clone;   /* /proc/sys/kernel/unprivileged_userns_clone, -1 absent */
	bool userns_allowed;             /* for an unprivileged user */
	char caps[1024];                 /* cap_to_text() of our own process */
	unsigned uid;
};

/* Gather everything; only hard failures (none so far) return < 0: facts that cannot be read
 * are recorded as absent. */
int crowd_host_probe(struct crowd_host *ret, struct crowd_error *err);

/* The host.json / `crowd info --json` object of h (new reference; NULL on ENOMEM). Keys:
 * kernel, kernel_release, machine, cpu_model, topology{packages,numa_nodes,cores,pus,caches[]},
 * memory{total_bytes,available_bytes}, cgroup_layout, namespaces[], user_namespaces{...},
 * capabilities, uid. */
json_t *crowd_host_json(const struct crowd_host *h);

#endif
