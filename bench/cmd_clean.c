/* crowd clean: kill and remove whatever crowd left behind — processes recorded in the
 * registry (also those in no cgroup), the cgroups under <top> in every hierarchy, and any
 * mount crowd made on the host. Idempotent; exit 3 when something could not be removed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "backends/backend.h"
#include "cli.h"
#include "core/cgroup.h"
#include "core/registry.h"

/* Mount points under the registry directory (crowd mounts nothing else on the host). */
static void clean_mounts(const char *dir, unsigned *removed, unsigned *left)
{
	char line[4096], mp[4096];
	size_t dlen = strlen(dir);
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (strncmp(mp, dir, dlen) || (mp[dlen] && mp[dlen] != '/'))
			continue;
		if (umount2(mp, MNT_DETACH) == 0)
			(*removed)++;
		else
			(*left)++;
	}
	fclose(f);
}

/* Every backend's own sweep, through the table; each failure reported with its name. */
static int sweep_backends(struct crowd_sweep *ret)
{
	int rc = CROWD_EXIT_OK;
	for (unsigned i = 0; i < crowd_backends_len; i++) {
		const struct crowd_backend *b = crowd_backends[i];
		struct crowd_error err = {0};
		if (b->sweep && b->sweep(ret, &err) < 0) {
			crowd_error_prefix(&err, "%s", b->name);
			crowd_report("clean", &err);
			rc = CROWD_EXIT_FAIL;
		}
	}
	return rc;
}

int crowd_cmd_clean(int argc, char **argv)
{
	struct crowd_error err = {0};
	struct crowd_sweep peers = {0};
	unsigned killed = 0, records = 0, rec_left = 0, cgs = 0, cg_left = 0, mounts = 0,
		 mnt_left = 0;
	char dir[256];
	int rc = CROWD_EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(
			    "usage: crowd clean\n\n"
			    "Kill and remove everything crowd left behind: processes of "
			    "containers in the\n"
			    "registry (the recorded init, checked by pid and start time, and "
			    "its pid\n"
			    "namespace; also outside any cgroup), cgroups under\n"
			    "<hierarchy>/$CROWD_CGROUP_TOP (default crowd) in every hierarchy, "
			    "mounts\n"
			    "under the registry directory, and what each backend's own sweep "
			    "finds\n"
			    "(crun/runc containers deleted with 'RUNTIME delete -f', QEMUs "
			    "killed by\n"
			    "their pid file, scratch directories /tmp/crowd-<top>/<run>-<backend> "
			    "removed).\n"
			    "Idempotent. Exit 0 when all is gone, 3 when\n"
			    "something could not be removed, 1 on another failure, 2 on bad "
			    "input.\n");
			return CROWD_EXIT_OK;
		}
		crowd_usage_error(
		    "clean", "'%s': unknown argument (crowd clean takes no arguments)", argv[i]);
	}
	if (crowd_reg_dir(dir, sizeof(dir), &err) < 0)
		crowd_usage_error("clean", "%s", err.msg);

	clean_mounts(dir, &mounts, &mnt_left);
	if (crowd_reg_sweep(&killed, &records, &rec_left, &err) < 0) {
		crowd_report("clean", &err);
		rc = CROWD_EXIT_FAIL;
	}
	/* Before the cgroups: a runtime's delete finds its containers by its own state. */
	if (sweep_backends(&peers) != CROWD_EXIT_OK)
		rc = CROWD_EXIT_FAIL;
	if (crowd_cg_sweep(NULL, &cgs, &cg_left, &err) < 0) {
		crowd_report("clean", &err);
		rc = CROWD_EXIT_FAIL;
	}
	printf("crowd clean: killed %u process%s, removed %u registry record%s, %u cgroup%s, %u "
	       "mount%s, %u peer container%s, %u scratch dir%s\n",
	       killed, killed == 1 ? "" : "es", records, records == 1 ? "" : "s", cgs,
	       cgs == 1 ? "" : "s", mounts, mounts == 1 ? "" : "s", peers.instances,
	       peers.instances == 1 ? "" : "s", peers.dirs, peers.dirs == 1 ? "" : "s");
	if (rec_left || cg_left || mnt_left || peers.left) {
		fprintf(stderr,
			"crowd clean: left behind: %u registry record%s, %u cgroup%s, %u mount%s, "
			"%u peer container%s or scratch dir%s\n",
			rec_left, rec_left == 1 ? "" : "s", cg_left, cg_left == 1 ? "" : "s",
			mnt_left, mnt_left == 1 ? "" : "s", peers.left, peers.left == 1 ? "" : "s",
			peers.left == 1 ? "" : "s");
		rc = CROWD_EXIT_LEFTOVER;
	}
	return rc;
}
