/* The CPU topology from the crowd-topo helper (see topology.h; the line format is documented
 * in harness/topo/crowd-topo.c). */
#include "topology.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

#ifndef CROWD_LIBEXECDIR
#define CROWD_LIBEXECDIR "/usr/local/libexec/crowd"
#endif

#define HELPER_NAME	  "crowd-topo"
#define HELPER_TIMEOUT_NS (10 * 1000000000LL)
#define HELPER_MAX_OUTPUT (1 << 20)

/* ---- parser ---- */

static const char *const cache_kinds[] = {"data", "instruction", "unified"};

struct parse {
	unsigned line;
	struct crowd_error *err;
};

static int bad(struct parse *p, int code, const char *what, const char *word)
{
	return crowd_error_set(p->err, code, "line %u: %s%s%.40s%s", p->line, what,
			       word ? " '" : "", word ? word : "", word ? "'" : "");
}

/* A decimal integer in [min, max]. */
static int num(struct parse *p, const char *w, long long min, long long max, long long *ret)
{
	char *end;
	if (!w)
		return bad(p, EBADMSG, "a number is missing", NULL);
	if (!*w || strspn(w, "-0123456789") != strlen(w))
		return bad(p, EBADMSG, "not a number:", w);
	errno = 0;
	long long v = strtoll(w, &end, 10);
	if (*end)
		return bad(p, EBADMSG, "not a number:", w);
	if (errno == ERANGE || v < min || v > max)
		return bad(p, ERANGE, "out of range:", w);
	*ret = v;
	return 0;
}

static int parse_cpus(struct parse *p, const char *w, cpu_set_t *ret)
{
	CPU_ZERO(ret);
	if (!w)
		return bad(p, EBADMSG, "the PU list is missing", NULL);
	if (!strcmp(w, "-"))
		return 0;
	char buf[8192];
	size_t n = strlen(w);
	if (w[0] == ',' || w[n - 1] == ',' || strstr(w, ",,"))
		return bad(p, EBADMSG, "bad PU list:", w);
	if (n >= sizeof(buf))
		return bad(p, ERANGE, "PU list too long", NULL);
	strcpy(buf, w);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long long id;
		int r = num(p, t, 0, CPU_SETSIZE - 1, &id);
		if (r < 0)
			return r;
		CPU_SET((int)id, ret);
	}
	return 0;
}

enum { C_PACKAGES, C_NUMA, C_CORES, C_PUS, N_COUNTS };
static const struct {
	const char *name;
	long long min, max;
} counts[N_COUNTS] = {
    [C_PACKAGES] = {"packages", 0, CROWD_TOPO_MAX_UNITS},
    [C_NUMA] = {"numa_nodes", 0, CROWD_TOPO_MAX_UNITS},
    [C_CORES] = {"cores", 0, CROWD_TOPO_MAX_UNITS},
    [C_PUS] = {"pus", 1, CROWD_TOPO_MAX_UNITS},
};

/* One record (words in w[0..n-1]) into ret; seen[] marks the counts read. */
static int parse_record(struct parse *p, char **w, int n, struct crowd_topo *ret, bool *seen,
			int *n_core, int *n_pu)
{
	long long a, b, c;
	int r;

	for (int i = 0; i < N_COUNTS; i++) {
		if (strcmp(w[0], counts[i].name))
			continue;
		if (n != 2)
			return bad(p, EBADMSG, "expected one number after", w[0]);
		if (seen[i])
			return bad(p, EBADMSG, "repeated", w[0]);
		if (*n_core || *n_pu)
			return bad(p, EBADMSG, "count after the core/pu lines:", w[0]);
		if ((r = num(p, w[1], counts[i].min, counts[i].max, &a)) < 0)
			return r;
		int *dst[N_COUNTS] = {&ret->packages, &ret->numa_nodes, &ret->cores, &ret->pus};
		*dst[i] = (int)a;
		seen[i] = true;
		return 0;
	}
	if (!strcmp(w[0], "cache")) {
		if (n != 5)
			return bad(p, EBADMSG, "expected 'cache LEVEL KIND SIZE COUNT'", NULL);
		if (ret->n_caches >= CROWD_TOPO_MAX_CACHES)
			return bad(p, ERANGE, "too many cache lines", NULL);
		struct crowd_topo_cache *k = &ret->caches[ret->n_caches];
		k->kind = NULL;
		for (size_t i = 0; i < CROWD_ARRAY_SIZE(cache_kinds); i++)
			if (!strcmp(w[2], cache_kinds[i]))
				k->kind = cache_kinds[i];
		if (!k->kind)
			return bad(p, EBADMSG, "unknown cache kind", w[2]);
		if ((r = num(p, w[1], 1, 5, &a)) < 0 ||
		    (r = num(p, w[3], -1, INT64_MAX / 2, &b)) < 0 ||
		    (r = num(p, w[4], 1, 1 << 24, &c)) < 0)
			return r;
		k->level = (unsigned)a;
		k->size_bytes = b;
		k->count = (unsigned)c;
		ret->n_caches++;
		return 0;
	}
	if (!strcmp(w[0], "core") || !strcmp(w[0], "pu")) {
		bool core = w[0][0] == 'c';
		if (!seen[C_CORES] || !seen[C_PUS])
			return bad(p, EBADMSG, "before the cores and pus counts:", w[0]);
		if (n != 3)
			return bad(p, EBADMSG,
				   core ? "expected 'core NODE OS[,OS...]'"
					: "expected 'pu OS NODE'",
				   NULL);
		int *have = core ? n_core : n_pu;
		if (*have >= (core ? ret->cores : ret->pus))
			return bad(p, EBADMSG,
				   core ? "more core lines than cores" : "more pu lines than pus",
				   NULL);
		struct crowd_topo_unit *u = core ? &ret->core[*have] : &ret->pu[*have];
		if ((r = num(p, core ? w[1] : w[2], -1, 4095, &a)) < 0)
			return r;
		u->node = (int)a;
		if (core) {
			if ((r = parse_cpus(p, w[2], &u->cpus)) < 0)
				return r;
		} else {
			if ((r = num(p, w[1], 0, CPU_SETSIZE - 1, &b)) < 0)
				return r;
			CPU_ZERO(&u->cpus);
			CPU_SET((int)b, &u->cpus);
		}
		(*have)++;
		return 0;
	}
	return bad(p, EBADMSG, "unknown record", w[0]);
}

int crowd_topo_parse(const char *text, size_t len, struct crowd_topo *ret, struct crowd_error *err)
{
	struct parse p = {.line = 0, .err = err};
	bool seen[N_COUNTS] = {false};
	int n_core = 0, n_pu = 0;
	bool ended = false;
	char line[8192];

	ret->packages = ret->numa_nodes = ret->cores = ret->pus = -1;
	ret->n_caches = 0;
	if (memchr(text, '\0', len))
		return crowd_error_set(err, EBADMSG, "a NUL byte in the output");
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		p.line++;
		if (!nl)
			return bad(&p, EBADMSG, "truncated (no newline)", NULL);
		size_t n = (size_t)(nl - (text + off));
		if (n >= sizeof(line))
			return bad(&p, EBADMSG, "line too long", NULL);
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + 1;
		if (ended)
			return bad(&p, EBADMSG, "text after 'end'", NULL);

		char *w[6], *save = NULL;
		int nw = 0;
		for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (nw == (int)CROWD_ARRAY_SIZE(w))
				return bad(&p, EBADMSG, "too many words", NULL);
			w[nw++] = t;
		}
		if (!nw)
			return bad(&p, EBADMSG, "empty line", NULL);
		if (p.line == 1) {
			if (nw != 2 || strcmp(w[0], HELPER_NAME))
				return bad(&p, EBADMSG, "not crowd-topo output: starts with", w[0]);
			if (strcmp(w[1], "1"))
				return bad(&p, EBADMSG, "format version (crowd reads 1):", w[1]);
			continue;
		}
		if (!strcmp(w[0], "end") && nw == 1) {
			ended = true;
			continue;
		}
		int r = parse_record(&p, w, nw, ret, seen, &n_core, &n_pu);
		if (r < 0)
			return r;
	}
	if (!p.line)
		return crowd_error_set(err, EBADMSG, "no output");
	if (!ended)
		return crowd_error_set(err, EBADMSG, "truncated: no 'end' line after line %u",
				       p.line);
	for (int i = 0; i < N_COUNTS; i++)
		if (!seen[i])
			return crowd_error_set(err, EBADMSG, "no '%s' line", counts[i].name);
	if (n_core != ret->cores || n_pu != ret->pus)
		return crowd_error_set(err, EBADMSG,
				       "%d core and %d pu lines for %d cores and %d pus", n_core,
				       n_pu, ret->cores, ret->pus);
	return 0;
}

/* ---- running the helper ---- */

int crowd_topo_helper_path(char *buf, size_t len, struct crowd_error *err)
{
	const char *env = secure_getenv("CROWD_TOPO_HELPER");
	char exe[PATH_MAX];

	if (env && *env) {
		if ((size_t)snprintf(buf, len, "%s", env) >= len)
			return crowd_error_set(err, ENAMETOOLONG, "CROWD_TOPO_HELPER too long");
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			/* build/crowd-topo, then $(PREFIX)/libexec/crowd/ as seen from
			 * $(PREFIX)/bin/crowd (an install moved or made with another PREFIX) */
			if ((size_t)snprintf(buf, len, "%s/" HELPER_NAME, exe) < len &&
			    access(buf, X_OK) == 0)
				return 0;
			if ((size_t)snprintf(buf, len, "%s/../libexec/crowd/" HELPER_NAME, exe) <
				len &&
			    access(buf, X_OK) == 0)
				return 0;
		}
	}
	if ((size_t)snprintf(buf, len, "%s/" HELPER_NAME, CROWD_LIBEXECDIR) >= len)
		return crowd_error_set(err, ENAMETOOLONG, "helper path too long");
	return 0;
}

static void kill_and_reap(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
		;
	*pid = -1;
}

static void close_pair(int fd[2])
{
	for (int i = 0; i < 2; i++)
		if (fd[i] >= 0) {
			close(fd[i]);
			fd[i] = -1;
		}
}

struct capture {
	char *out;
	size_t out_len;
	char errline[160]; /* the first line of stderr */
	size_t err_len;
};

/* Read the helper's stdout and stderr until both end, within the deadline. */
static int drain(int out_fd, int err_fd, struct capture *c, struct crowd_error *err)
{
	struct pollfd pfd[2] = {{.fd = out_fd, .events = POLLIN}, {.fd = err_fd, .events = POLLIN}};
	int64_t deadline = crowd_now_ns() + HELPER_TIMEOUT_NS;
	size_t cap = 0;

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		int64_t left_ms = (deadline - crowd_now_ns()) / 1000000;
		if (left_ms <= 0)
			return crowd_error_set(err, ETIMEDOUT, "no answer within %lld s",
					       HELPER_TIMEOUT_NS / 1000000000LL);
		int r = poll(pfd, 2, (int)left_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return crowd_error_errno(err, errno, "poll");
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			char buf[4096];
			ssize_t n = read(pfd[i].fd, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				pfd[i].fd = -1;
				continue;
			}
			if (i == 1) {
				size_t k = (size_t)n < sizeof(c->errline) - 1 - c->err_len
					       ? (size_t)n
					       : sizeof(c->errline) - 1 - c->err_len;
				memcpy(c->errline + c->err_len, buf, k);
				c->err_len += k;
				c->errline[c->err_len] = '\0';
				continue;
			}
			if (c->out_len + (size_t)n > HELPER_MAX_OUTPUT)
				return crowd_error_set(err, EFBIG, "more than %d bytes of output",
						       HELPER_MAX_OUTPUT);
			if (c->out_len + (size_t)n > cap) {
				size_t ncap = cap ? cap * 2 : 16384;
				while (ncap < c->out_len + (size_t)n)
					ncap *= 2;
				char *p = realloc(c->out, ncap);
				if (!p)
					return crowd_error_set(err, ENOMEM, "out of memory");
				c->out = p;
				cap = ncap;
			}
			memcpy(c->out + c->out_len, buf, (size_t)n);
			c->out_len += (size_t)n;
		}
	}
	return 0;
}

/* fork + exec with stdout and stderr on the pipes and stdin on /dev/null. exec's errno
 * comes back through a close-on-exec pipe, so a missing helper is an error here, not an exit
 * status. The child calls only async-signal-safe functions (the harness may have threads). */
static int spawn(const char *path, int out_fd, int err_fd, pid_t *ret)
{
	char *argv[] = {(char *)path, NULL};
	extern char **environ;
	int status[2];

	if (pipe2(status, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close_pair(status);
		return -e;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
		    dup2(err_fd, STDERR_FILENO) < 0)
			goto fail;
		execve(path, argv, environ);
	fail:;
		int e = errno;
		(void)!write(status[1], &e, sizeof(e));
		_exit(127);
	}
	close(status[1]);
	int e = 0;
	ssize_t n;
	while ((n = read(status[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(status[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return -(e ? e : EIO);
	}
	*ret = pid;
	return 0;
}

static int run_helper(const char *path, struct crowd_topo *ret, struct crowd_error *err)
{
	int out[2] = {-1, -1}, errp[2] = {-1, -1};
	pid_t pid = -1;
	struct capture c = {0};
	int r, status;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		r = crowd_error_errno(err, errno, "pipe");
		goto out;
	}
	r = spawn(path, out[1], errp[1], &pid);
	if (r < 0) {
		pid = -1;
		crowd_error_set(err, -r, "%s", strerror(-r));
		goto out;
	}
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;
	r = drain(out[0], errp[0], &c, err);
	if (r < 0)
		goto out; /* kill_and_reap below */
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = crowd_error_errno(err, errno, "waitpid");
		goto out;
	}
	pid = -1;
	c.errline[strcspn(c.errline, "\n")] = '\0';
	if (WIFSIGNALED(status)) {
		r = crowd_error_set(err, ECHILD, "killed by signal %d (%s)", WTERMSIG(status),
				    strsignal(WTERMSIG(status)));
		goto out;
	}
	if (WEXITSTATUS(status) != 0) {
		r = crowd_error_set(err, ECHILD, "exit status %d%s%s", WEXITSTATUS(status),
				    c.errline[0] ? ": " : "", c.errline);
		goto out;
	}
	r = crowd_topo_parse(c.out ? c.out : "", c.out_len, ret, err);
	if (r < 0)
		crowd_error_prefix(err, "bad output");
out:
	kill_and_reap(&pid);
	close_pair(out);
	close_pair(errp);
	free(c.out);
	return r;
}

int crowd_topo_run(const char *path, struct crowd_topo *ret, struct crowd_error *err)
{
	int r = run_helper(path, ret, err);
	if (r < 0) {
		ret->packages = ret->numa_nodes = ret->cores = ret->pus = -1;
		ret->n_caches = 0;
		return crowd_error_prefix(err, "topology helper %s", path);
	}
	return 0;
}

static struct {
	pthread_once_t once;
	struct crowd_topo topo;
	struct crowd_error err;
	int r;
} cached = {.once = PTHREAD_ONCE_INIT};

static void load_once(void)
{
	char path[PATH_MAX];
	cached.r = crowd_topo_helper_path(path, sizeof(path), &cached.err);
	if (cached.r == 0)
		cached.r = crowd_topo_run(path, &cached.topo, &cached.err);
	else
		crowd_error_prefix(&cached.err, "topology helper");
}

const struct crowd_topo *crowd_topo_get(struct crowd_error *err)
{
	pthread_once(&cached.once, load_once);
	if (cached.r < 0) {
		if (err)
			*err = cached.err;
		return NULL;
	}
	return &cached.topo;
}
