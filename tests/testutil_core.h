/* Helpers of the Check suites that start real containers (header only; links libcrowd):
 * testutil.h plus a private cgroup top swept at the end, and the root/rootfs gate. */
#ifndef CROWD_TESTUTIL_CORE_H
#define CROWD_TESTUTIL_CORE_H

#include <stdbool.h>

#include "core/cgroup.h"
#include "core/registry.h"
#include "testutil.h"

/* crowd_test_run with a cgroup top of its own, crowd-check-NAME-PID (CK_FORK children
 * inherit it), swept at the end so that a failed test leaves nothing behind. */
static inline int crowd_test_run_swept(Suite *s, const char *name)
{
	char top[64];
	snprintf(top, sizeof(top), "crowd-check-%s-%d", name, (int)getpid());
	setenv("CROWD_CGROUP_TOP", top, 1);
	int failed = crowd_test_run(s);
	unsigned killed = 0, removed = 0, left = 0, cgs = 0, cg_left = 0;
	crowd_reg_sweep(&killed, &removed, &left, NULL);
	if (geteuid() == 0)
		crowd_cg_sweep(NULL, &cgs, &cg_left, NULL);
	if (killed || removed || cgs)
		printf("swept after the suite: %u processes, %u records, %u cgroups\n", killed,
		       removed, cgs);
	return failed;
}

/* For tests of real containers: true when running as root with the rootfs make builds
 * ($CROWD_TOP/build/rootfs, path in buf); else records the skip with its reason
 * (crowd_test_skip) and returns false. */
static inline bool crowd_test_root_rootfs(char *buf, size_t len)
{
	const char *t = getenv("CROWD_TOP");
	if (geteuid() != 0) {
		crowd_test_skip("needs root");
		return false;
	}
	snprintf(buf, len, "%s/build/rootfs", t ? t : ".");
	if (access(buf, F_OK) != 0) {
		crowd_test_skip("%s missing (make)", buf);
		return false;
	}
	return true;
}

#endif
