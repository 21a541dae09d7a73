/* Memory of processes and of the host: PSS/RSS from /proc/PID/smaps_rollup, MemAvailable and
 * Slab from /proc/meminfo. */
#ifndef CROWD_MEMORY_H
#define CROWD_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

/* Sum Pss and Rss over pids (a pid that vanished is skipped). */
int crowd_mem_pids(const pid_t *pids, size_t n, int64_t *ret_pss_bytes, int64_t *ret_rss_bytes,
		   struct crowd_error *err);
/* pid and all of its descendants (walks /proc/PID/task/TID/children). */
int crowd_mem_tree(pid_t pid, int64_t *ret_pss_bytes, int64_t *ret_rss_bytes,
		   struct crowd_error *err);

struct crowd_meminfo {
	int64_t total_bytes, available_bytes, slab_bytes, page_tables_bytes, kernel_stack_bytes;
};
int crowd_mem_host(struct crowd_meminfo *ret, struct crowd_error *err);

#endif
