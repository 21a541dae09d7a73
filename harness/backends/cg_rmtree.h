/* Cgroups an engine made itself (lxc's <id>, <id>.mon and its pivot, nspawn's payload and
 * supervisor): removed bottom-up in every mounted hierarchy once their processes are gone. */
#ifndef CROWD_CG_RMTREE_H
#define CROWD_CG_RMTREE_H

/* rmdir /sys/fs/cgroup/<each hierarchy>/<rel> and every directory below it, deepest first;
 * only empty cgroups go (rmdir), so nothing that still runs is touched. Returns how many
 * could not be removed (busy), 0 when none is left. rel starts with '/'. */
unsigned crowd_cg_rmtree(const char *rel);
/* The same below an absolute cgroup directory (one hierarchy). */
unsigned crowd_cg_rmtree_dir(const char *dir);

/* crowd_cg_rmtree, and while something is left (processes an engine killed still dying, or
 * a container whose engine died before it could kill it), SIGKILL what the pids or cgroup2
 * tree below rel holds and try again, tries times 10 ms apart. Returns what is left. */
unsigned crowd_cg_rmtree_kill(const char *rel, int tries);
/* rmdir /sys/fs/cgroup/<each hierarchy>/<rel> alone, where it is empty (e.g. <top> after a
 * run); busy or missing ones are left without a word. */
void crowd_cg_rmdir_empty(const char *rel);

#endif
