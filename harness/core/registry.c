/* Container registry: UUIDs, the in-memory table of this run, records on disk for clean. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "registry.h"
#include "cgroup.h"
#include "util.h"

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct crowd_reg_entry *reg_table;
static size_t reg_len, reg_cap;
static char reg_dir_cache[256];
static bool reg_dir_made;

static const char *const cg_hierarchies[] = {"unified", "memory", "pids",   "cpu",
					     "cpuacct", "cpuset", "freezer", "devices"};

int crowd_uuid_new(char out[CROWD_UUID_LEN + 1], struct crowd_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return crowd_error_errno(err, errno, "getrandom for a container id");
		}
		got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	char *p = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[b[i] >> 4];
		*p++ = hex[b[i] & 15];
	}
	*p = '\0';
	return 0;
}

bool crowd_uuid_valid(const char *s)
{
	if (!s || strlen(s) != CROWD_UUID_LEN)
		return false;
	for (int i = 0; i < CROWD_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash != (s[i] == '-'))
			return false;
		if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

static bool is_tmpfs(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC;
}

/* Records live in memory (tmpfs): on a disk they cost a journalled create per container. */
int crowd_reg_dir(char *buf, size_t len, struct crowd_error *err)
{
	const char *top = crowd_cg_top(err);
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (!top)
		return -EINVAL;
	if (geteuid() == 0 && is_tmpfs("/run"))
		n = snprintf(buf, len, "/run/crowd/%s", top);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "/dev/shm/crowd/%s", top);
	else if (xdg && *xdg == '/')
		n = snprintf(buf, len, "%s/crowd/%s", xdg, top);
	else
		n = snprintf(buf, len, "/dev/shm/crowd-%u/%s", (unsigned)geteuid(), top);
	if (n < 0 || (size_t)n >= len)
		return crowd_error_set(err, ENAMETOOLONG, "registry directory name too long");
	return 0;
}

/* A directory crowd trusts with records a root `crowd clean` acts on: a real directory (no
 * symlink), owned by us, writable by nobody else. Anyone may create /dev/shm/crowd first. */
static int dir_trusted(const char *path, struct crowd_error *err)
{
	struct stat st;
	uid_t me = geteuid();

	if (lstat(path, &st) < 0)
		return crowd_error_errno(err, errno, "registry: %s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != me || (st.st_mode & 077))
		return crowd_error_set(
		    err, EPERM,
		    "registry directory %s is %s owned by uid %u with mode %04o: "
		    "it must be a directory owned by uid %u with mode 0700 "
		    "(someone else made it; remove it and run again)",
		    path, S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)me);
	return 0;
}

int crowd_reg_dir_check(const char *dir, struct crowd_error *err)
{
	char parent[256];
	const char *slash = strrchr(dir, '/');
	int r;

	/* The level above <top> is crowd's too ("crowd", "crowd-<uid>"): check it first. */
	if (slash && slash != dir && (size_t)(slash - dir) < sizeof(parent)) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
		if ((r = dir_trusted(parent, err)) < 0)
			return r;
	}
	return dir_trusted(dir, err);
}

/* mkdir -p whose last two levels (crowd's own) are made 0700 and then checked. */
static int reg_dir_make(const char *path, struct crowd_error *err)
{
	int r = crowd_mkdir_p(path, 0700, 0700, err);
	if (r < 0)
		return crowd_error_prefix(err, "registry");
	return crowd_reg_dir_check(path, err);
}

/* Field 22 of /proc/PID/stat (start time); *ret_state gets field 3 when not NULL. */
static uint64_t proc_stat_start(pid_t pid, char *ret_state)
{
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return 0;
	char *p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return 0;
	if (ret_state)
		*ret_state = p[2];
	/* After ") " come fields 3...; starttime is field 22. */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

static uint64_t proc_start_ticks(pid_t pid)
{
	return proc_stat_start(pid, NULL);
}

/* The recorded process still runs (not a zombie) as itself. */
static bool record_alive(const struct crowd_reg_entry *e)
{
	char state = 0;
	return e->start_ticks && proc_stat_start(e->pid, &state) == e->start_ticks &&
	       state != 'Z' && state != 'X';
}

uint64_t crowd_reg_pidns_ino(pid_t pid)
{
	char path[48];
	struct stat st;
	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/pid");
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int crowd_reg_add(const char *id, pid_t pid, uint64_t pidns_ino, const struct crowd_cg *cg,
		  struct crowd_error *err)
{
	struct crowd_reg_entry e = {.pid = pid, .pidns_ino = pidns_ino};
	char path[320], text[2048];
	int r, n;

	snprintf(e.id, sizeof(e.id), "%s", id);
	/* pids and namespace inode numbers are reused: the start time tells ours apart. */
	e.start_ticks = proc_start_ticks(pid);

	pthread_mutex_lock(&reg_lock);
	if (!reg_dir_made) {
		if ((r = crowd_reg_dir(reg_dir_cache, sizeof(reg_dir_cache), err)) < 0)
			goto unlock;
		if ((r = reg_dir_make(reg_dir_cache, err)) < 0)
			goto unlock;
		reg_dir_made = true;
	}
	if (reg_len == reg_cap) {
		size_t cap = reg_cap ? reg_cap * 2 : 64;
		struct crowd_reg_entry *t = realloc(reg_table, cap * sizeof(*t));
		if (!t) {
			r = crowd_error_set(err, ENOMEM, "registry: out of memory");
			goto unlock;
		}
		reg_table = t;
		reg_cap = cap;
	}
	reg_table[reg_len++] = e;
	snprintf(path, sizeof(path), "%s/%s", reg_dir_cache, id);
	r = 0;
unlock:
	pthread_mutex_unlock(&reg_lock);
	if (r < 0)
		return r;

	n = snprintf(text, sizeof(text), "id=%s\npid=%d\nstart=%llu\npidns=%llu\n", id, (int)pid,
		     (unsigned long long)e.start_ticks, (unsigned long long)pidns_ino);
	for (size_t i = 0; cg && i < CROWD_ARRAY_SIZE(cg_hierarchies); i++) {
		const char *p = crowd_cg_path(cg, cg_hierarchies[i]);
		if (p && n >= 0 && (size_t)n < sizeof(text))
			n += snprintf(text + n, sizeof(text) - (size_t)n, "cgroup=%s\n", p);
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ENOENT) {
		/* Another crowd with the same <top> removed the directory when it emptied it. */
		if (reg_dir_make(reg_dir_cache, NULL) == 0)
			fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0 || crowd_write_all(fd, text, strlen(text)) < 0) {
		int e2 = errno;
		if (fd >= 0)
			close(fd);
		crowd_reg_remove(id);
		return crowd_error_errno(err, e2, "registry: writing %s", path);
	}
	close(fd);
	return 0;
}

void crowd_reg_remove(const char *id)
{
	char path[320];
	bool found = false;

	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_len; i++)
		if (!strcmp(reg_table[i].id, id)) {
			reg_table[i] = reg_table[--reg_len];
			found = true;
			break;
		}
	snprintf(path, sizeof(path), "%s/%s", reg_dir_cache, id);
	if (found)
		unlink(path);
	/* The last one out removes the directory (made again by the next add). */
	if (found && reg_len == 0 && reg_dir_made && rmdir(reg_dir_cache) == 0)
		reg_dir_made = false;
	pthread_mutex_unlock(&reg_lock);
}

int crowd_reg_lookup(const char *id, struct crowd_reg_entry *ret)
{
	int r = -ENOENT;
	pthread_mutex_lock(&reg_lock);
	for (size_t i = 0; i < reg_len; i++)
		if (!strcmp(reg_table[i].id, id)) {
			*ret = reg_table[i];
			r = 0;
			break;
		}
	pthread_mutex_unlock(&reg_lock);
	return r;
}

size_t crowd_reg_count(void)
{
	pthread_mutex_lock(&reg_lock);
	size_t n = reg_len;
	pthread_mutex_unlock(&reg_lock);
	return n;
}

void crowd_reg_close(void)
{
	pthread_mutex_lock(&reg_lock);
	if (reg_dir_made && reg_len == 0 && rmdir(reg_dir_cache) == 0)
		reg_dir_made = false;
	pthread_mutex_unlock(&reg_lock);
}

int crowd_reg_pids(uint64_t pidns_ino, pid_t **ret, size_t *ret_n, struct crowd_error *err)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *v = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return crowd_error_errno(err, errno, "opendir /proc");
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || crowd_reg_pidns_ino((pid_t)pid) != pidns_ino)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			pid_t *t = realloc(v, cap * sizeof(*t));
			if (!t) {
				free(v);
				closedir(d);
				return crowd_error_set(err, ENOMEM, "out of memory");
			}
			v = t;
		}
		v[n++] = (pid_t)pid;
	}
	closedir(d);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int record_parse(const char *path, struct crowd_reg_entry *e)
{
	char buf[2048];
	if (crowd_read_file(path, buf, sizeof(buf), NULL) <= 0)
		return -EIO;
	memset(e, 0, sizeof(*e));
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "pid=", 4))
			e->pid = (pid_t)strtol(line + 4, NULL, 10);
		else if (!strncmp(line, "start=", 6))
			e->start_ticks = strtoull(line + 6, NULL, 10);
		else if (!strncmp(line, "pidns=", 6))
			e->pidns_ino = strtoull(line + 6, NULL, 10);
	}
	return e->pid > 0 ? 0 : -EINVAL;
}

/* SIGKILL pid through a pidfd, and only when still_ours holds once the pidfd pins the
 * process (a pid checked and then killed may have been reused in between). Kernels
 * without pidfd_open: kill(2) after the same check. 1 when the signal was sent. */
static int kill_checked(pid_t pid, bool (*still_ours)(pid_t pid, const void *arg), const void *arg)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int r = 0;

	if (fd < 0 && errno != ENOSYS)
		return 0;
	if (still_ours(pid, arg))
		r = fd >= 0 ? syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0
			    : kill(pid, SIGKILL) == 0;
	if (fd >= 0)
		close(fd);
	return r;
}

static bool record_init_ours(pid_t pid, const void *arg)
{
	(void)pid;
	return record_alive(arg);
}

static bool in_pidns(pid_t pid, const void *arg)
{
	return crowd_reg_pidns_ino(pid) == *(const uint64_t *)arg;
}

/* Kill what a record names, once its init is proven to be the recorded process (same pid
 * and start time: pids and namespace inode numbers are both reused). Killing a pid
 * namespace's init ends the namespace; the rest of it is killed too for good measure.
 * Returns 1 when something survived a bounded wait. */
static unsigned record_kill(const struct crowd_reg_entry *e, uint64_t own_pidns, unsigned *killed)
{
	if (!record_alive(e))
		return 0;
	if (kill_checked(e->pid, record_init_ours, e))
		(*killed)++;
	if (e->pidns_ino && e->pidns_ino != own_pidns) {
		pid_t *pids = NULL;
		size_t n = 0;
		if (crowd_reg_pids(e->pidns_ino, &pids, &n, NULL) == 0) {
			for (size_t i = 0; i < n; i++)
				if (pids[i] != e->pid &&
				    kill_checked(pids[i], in_pidns, &e->pidns_ino))
					(*killed)++;
			free(pids);
		}
	}
	for (int round = 0; round < 100; round++) {
		if (!record_alive(e))
			return 0;
		usleep(10000);
	}
	return 1;
}

int crowd_reg_sweep(unsigned *ret_killed, unsigned *ret_removed, unsigned *ret_left,
		    struct crowd_error *err)
{
	char dir[256], path[512];
	struct crowd_reg_entry e;
	uint64_t own = crowd_reg_pidns_ino(0);
	int r;

	*ret_killed = *ret_removed = *ret_left = 0;
	if ((r = crowd_reg_dir(dir, sizeof(dir), err)) < 0)
		return r;
	if (access(dir, F_OK) < 0 && errno == ENOENT)
		return 0;
	if ((r = crowd_reg_dir_check(dir, err)) < 0)
		return r;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0
				       : crowd_error_errno(err, errno, "registry: opendir %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (record_parse(path, &e) == 0 && record_kill(&e, own, ret_killed)) {
			(*ret_left)++;
			continue;
		}
		if (unlink(path) == 0)
			(*ret_removed)++;
		else
			(*ret_left)++;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
		return crowd_error_errno(err, errno, "registry: rmdir %s", dir);
	return 0;
}
