/* The option table and its parser (opts.h): rows for the options run, bench and density
 * share, the checks and the --help text made from them. */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/caps.h"
#include "core/cgroup.h"
#include "core/rootfs.h"
#include "core/security.h"
#include "core/util.h"
#include "engine/placement.h"
#include "results/units.h"

#define MAX_ROWS 64

/* ---- name tables: the allowed names of a NAME or LIST row, from the tables that define them */

static const char *placement_at(unsigned i)
{
	return i <= CROWD_PLACE_COMPACT ? crowd_place_name((enum crowd_placement)i) : NULL;
}

static const char *caps_at(unsigned i)
{
	return i <= CROWD_CAPS_ALL ? crowd_caps_profile_name((enum crowd_caps_profile)i) : NULL;
}

static const char *vm_accel_at(unsigned i)
{
	static const char *const names[] = {"auto", "kvm", "tcg"};
	return i < CROWD_ARRAY_SIZE(names) ? names[i] : NULL;
}

static const char *rootfs_mode_at(unsigned i)
{
	return crowd_rootfs_mode_name((enum crowd_rootfs_mode)i);
}

static const char *vm_kernel_at(unsigned i)
{
	static const char *const names[] = {"auto", "minimal", "debian"};
	return i < CROWD_ARRAY_SIZE(names) ? names[i] : NULL;
}

static const char *ns_at(unsigned i)
{
	return i < crowd_ns_table_len ? crowd_ns_table[i].name : NULL;
}

static const char *security_at(unsigned i)
{
	return i < crowd_sec_table_len ? crowd_sec_table[i].name : NULL;
}

static const char *backend_at(unsigned i)
{
	return i < crowd_backends_len ? crowd_backends[i]->name : NULL;
}

static const char *workload_at(unsigned i)
{
	return i < crowd_workloads_len ? crowd_workloads[i].name : NULL;
}

/* "a, b, c" from a name table. */
static const char *names_join(const char *(*name_at)(unsigned), char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; name_at(i) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", name_at(i));
	return buf;
}

/* ---- the shared rows' own parsers (LIST, PATH, TEXT, flags with more to do) ---- */

static void parse_backends(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	char names[256];
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		crowd_usage_error(cmd, "out of memory");
	cfg->n_backends = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct crowd_backend *b = crowd_backend_find(tok);
		if (!b)
			crowd_usage_error(cmd, "--backend '%s': unknown backend (allowed: %s)", tok,
					  names_join(backend_at, names, sizeof(names)));
		for (unsigned i = 0; i < cfg->n_backends; i++)
			if (!strcmp(cfg->backends[i], b->name))
				crowd_usage_error(cmd, "--backend '%s': '%s' given twice", arg,
						  tok);
		if (cfg->n_backends == CROWD_MAX_BACKENDS)
			crowd_usage_error(cmd, "--backend '%s': at most %d backends", arg,
					  CROWD_MAX_BACKENDS);
		cfg->backends[cfg->n_backends++] = b->name;
	}
	free(copy);
	if (!cfg->n_backends)
		crowd_usage_error(cmd, "--backend '%s': empty list", arg);
}

static void parse_workload(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	struct crowd_error err = {0};
	crowd_workload_inst_free(&cfg->workload);
	if (crowd_workload_parse(arg, &cfg->workload, &err) < 0)
		crowd_usage_error(cmd, "%s", err.msg);
}

static void parse_ns(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	struct crowd_error err = {0};
	if (crowd_ns_parse(arg, &cfg->ns, &err) < 0)
		crowd_usage_error(cmd, "--ns '%s': %s", arg, err.msg);
}

static void parse_security(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	struct crowd_error err = {0};
	if (crowd_sec_parse(arg, &cfg->security, &err) < 0)
		crowd_usage_error(cmd, "--security '%s': %s", arg, err.msg);
}

void crowd_opts_backends(const char *cmd, const char *arg, struct crowd_config *cfg)
{
	parse_backends(cmd, arg, cfg);
}

/* --seccomp is applied once every option is read (finish_container), so that it picks the
 * filter whatever --security says before or after it. */
static const char *seccomp_arg;

static void parse_seccomp(const char *cmd, const char *arg, void *dst)
{
	(void)cmd;
	(void)dst;
	seccomp_arg = arg;
}

static void finish_seccomp(const char *cmd, struct crowd_config *cfg)
{
	struct crowd_error err = {0};
	struct crowd_seccomp *sc = NULL;
	if (!seccomp_arg)
		return;
	if (!strcmp(seccomp_arg, "none")) {
		cfg->security &= ~(unsigned)CROWD_SEC_SECCOMP;
		return;
	}
	if (strcmp(seccomp_arg, "default") && crowd_seccomp_load_file(seccomp_arg, &sc, &err) < 0)
		crowd_usage_error(cmd,
				  "--seccomp: %s (allowed: default, none, or an OCI/Docker seccomp "
				  "JSON file)",
				  err.msg);
	cfg->seccomp = sc;
	cfg->security |= CROWD_SEC_SECCOMP;
}

static void parse_rootfs(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	if (!strcmp(arg, "host")) {
		cfg->rootfs = NULL;
		return;
	}
	struct crowd_error err = {0};
	if (crowd_rootfs_check(arg, &err) < 0)
		crowd_usage_error(cmd, "--%s", err.msg);
	cfg->rootfs = arg;
}

/* "50ms/100ms", "50000/100000" (microseconds) or "0.5" (a fraction of one CPU, 100ms period). */
static void parse_cpu_max(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	const char *slash = strchr(arg, '/');
	int64_t quota_us, period_us;
	if (!slash) {
		char *end;
		errno = 0;
		double cpus = strtod(arg, &end);
		if (end == arg || *end || errno || !(cpus >= 0.01 && cpus <= 1024))
			goto bad;
		period_us = 100000;
		quota_us = (int64_t)(cpus * (double)period_us);
	} else {
		char q[64];
		size_t qlen = (size_t)(slash - arg);
		if (qlen == 0 || qlen >= sizeof(q))
			goto bad;
		memcpy(q, arg, qlen);
		q[qlen] = '\0';
		const char *parts[2] = {q, slash + 1};
		int64_t us[2];
		for (int i = 0; i < 2; i++) {
			uint64_t plain;
			int64_t ns;
			if (crowd_units_parse_uint(parts[i], 1, 1000000000, &plain) == 0)
				us[i] = (int64_t)plain;
			else if (crowd_units_parse_time(parts[i], &ns) == 0 && ns >= 1000)
				us[i] = ns / 1000;
			else
				goto bad;
		}
		quota_us = us[0];
		period_us = us[1];
	}
	if (quota_us < 1000 || period_us < 1000 || period_us > 1000000)
		goto bad;
	cfg->limits.cpu_quota_us = quota_us;
	cfg->limits.cpu_period_us = period_us;
	return;
bad:
	crowd_usage_error(
	    cmd,
	    "--cpu-max '%s': not allowed (QUOTA/PERIOD like 50ms/100ms or 50000/100000 "
	    "in us, quota >= 1ms, period 1ms..1s; or a CPU count like 0.5)",
	    arg);
}

/* CPU lists ("0-3,6"): bit n of set for each CPU named; -EINVAL when malformed. */
static int cpulist_parse(const char *list, unsigned char *set, unsigned max)
{
	const char *p = list;
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (end == p)
			return -EINVAL;
		p = end;
		if (*p == '-') {
			hi = strtoul(++p, &end, 10);
			if (end == p || hi < lo)
				return -EINVAL;
			p = end;
		}
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return -EINVAL;
		for (unsigned long n = lo; n <= hi; n++) {
			if (n >= max)
				return 0;
			set[n / 8] |= (unsigned char)(1u << (n % 8));
		}
	}
	return 1;
}

/* 1 when every CPU of list is in online, 0 when one is not, -EINVAL when list is malformed. */
static int cpulist_within(const char *list, const char *online)
{
	unsigned char want[512] = {0}, have[512] = {0};
	int r = cpulist_parse(list, want, 8 * sizeof(want));
	if (r <= 0)
		return r < 0 ? r : 0;
	if (cpulist_parse(online, have, 8 * sizeof(have)) < 0)
		return 1; /* cannot tell: the kernel will */
	for (size_t i = 0; i < sizeof(want); i++)
		if (want[i] & ~have[i])
			return 0;
	return 1;
}

static void parse_cpuset(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	char online[256] = "";
	if (!*arg || strspn(arg, "0123456789,-") != strlen(arg) ||
	    strlen(arg) >= sizeof(cfg->limits.cpuset_cpus))
		crowd_usage_error(cmd, "--cpuset '%s': not allowed (a CPU list like 0-1 or 0,2)",
				  arg);
	if (crowd_read_file("/sys/devices/system/cpu/online", online, sizeof(online), NULL) > 0) {
		online[strcspn(online, "\n")] = '\0';
		int r = cpulist_within(arg, online);
		if (r < 0)
			crowd_usage_error(
			    cmd, "--cpuset '%s': not allowed (a CPU list like 0-1 or 0,2)", arg);
		if (r == 0)
			crowd_usage_error(cmd, "--cpuset '%s': not allowed (online CPUs here: %s)",
					  arg, online);
	}
	snprintf(cfg->limits.cpuset_cpus, sizeof(cfg->limits.cpuset_cpus), "%s", arg);
}

static void parse_rootless(const char *cmd, const char *arg, void *dst)
{
	struct crowd_config *cfg = dst;
	(void)cmd, (void)arg;
	cfg->rootless = true;
	cfg->ns |= CLONE_NEWUSER;
}

static void parse_load(const char *cmd, const char *arg, void *dst)
{
	(void)cmd, (void)arg;
	((struct crowd_config *)dst)->load = true;
}

static void parse_no_load(const char *cmd, const char *arg, void *dst)
{
	(void)cmd, (void)arg;
	((struct crowd_config *)dst)->load = false;
}

static void parse_out(const char *cmd, const char *arg, void *dst)
{
	if (!*arg)
		crowd_usage_error(cmd, "--out '': empty (allowed: a directory path)");
	((struct crowd_config *)dst)->out = arg;
}

/* ---- the shared rows ---- */

#define CFG(field) CROWD_OPT_AT(struct crowd_config, field)
#define HOUR_NS	   3600000000000LL

static const struct crowd_opt opt_table[] = {
    {"count", 'n', CROWD_OPTS_FLEET, CROWD_OPT_COUNT, "N", "instances per backend", .min = 1,
     .max = 1000000, CFG(count)},
    {"concurrency", 'j', CROWD_OPTS_FLEET, CROWD_OPT_COUNT, "C", "starts in flight", .min = 1,
     .max = 4096, CFG(concurrency)},
    {"backend", 0, CROWD_OPTS_FLEET, CROWD_OPT_LIST, "LIST", "backends side by side, interleaved",
     .name_at = backend_at, .def = "core", .parse = parse_backends},
    {"workload", 0, CROWD_OPTS_FLEET, CROWD_OPT_TEXT, "W", "a workload, or cmd:PATH ARGS",
     .name_at = workload_at, .def = "httpd", .parse = parse_workload},
    {"placement", 0, CROWD_OPTS_FLEET, CROWD_OPT_NAME, "P", "cpusets from the hwloc topology",
     .name_at = placement_at, CFG(placement)},
    {"out", 0, CROWD_OPTS_FLEET, CROWD_OPT_PATH, "DIR", "results folder",
     .def = "results/runs/<time>-<backends>-<workload>", .parse = parse_out},
    {"json", 0, CROWD_OPTS_FLEET, CROWD_OPT_FLAG, NULL, "print summary.json on stdout", CFG(json)},
    {"quiet", 0, CROWD_OPTS_FLEET, CROWD_OPT_FLAG, NULL, "no progress display", CFG(quiet)},
    {"ns", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_LIST, "LIST", "namespaces, or all, or none",
     .name_at = ns_at, .def = "all but user", .parse = parse_ns},
    {"rootfs", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_PATH, "DIR|host", "root filesystem",
     .def = "the one make builds", .parse = parse_rootfs},
    {"rootfs-mode", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_NAME, "M",
     "core containers' root: ro (the rootfs, read-only, shared) or overlay (a writable "
     "overlayfs each, upper on a tmpfs of the container, as engines give)",
     .name_at = rootfs_mode_at, .def = "ro", CFG(rootfs_mode)},
    {"memory-max", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_SIZE, "BYTES", "memory limit",
     .min = 256 * 1024LL, .max = 64LL << 40, CFG(limits.memory_max_bytes)},
    {"pids-max", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_COUNT, "N", "process limit", .min = 1,
     .max = 4194304, CFG(limits.pids_max)},
    {"cpu-max", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_TEXT, "Q/P",
     "CPU quota per period, e.g. 50ms/100ms or 50000/100000 (us), or CPUs like 0.5",
     .parse = parse_cpu_max},
    {"cpuset", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_TEXT, "CPUS",
     "cpuset.cpus of each container, e.g. 0-1", .parse = parse_cpuset},
    {"caps", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_NAME, "PROFILE", "capability profile",
     .name_at = caps_at, .def = "default, Docker's 14", CFG(caps)},
    {"security", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_LIST, "LIST",
     "security features, or all, or none (docs/security.md)", .name_at = security_at, .def = "all",
     .parse = parse_security},
    {"seccomp", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_PATH, "default|none|FILE",
     "seccomp filter: crowd's denylist, none, or an OCI/Docker JSON profile", .def = "default",
     .parse = parse_seccomp},
    {"rootless", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_FLAG, NULL,
     "user namespace mapping root to the caller", .parse = parse_rootless},
    {"pod-size", 0, CROWD_OPTS_CONTAINER, CROWD_OPT_COUNT, "K",
     "K containers per pod sharing net, ipc, uts", .min = 1, .max = 1024, CFG(pod_size)},
    {"duration", 0, CROWD_OPTS_LOAD, CROWD_OPT_TIME, "TIME", "HTTP load once all are ready",
     .min = 100000000LL, .max = HOUR_NS, CFG(duration_ns)},
    {"load", 0, CROWD_OPTS_LOAD, CROWD_OPT_FLAG, NULL, "run HTTP load (default for httpd)",
     .parse = parse_load},
    {"no-load", 0, CROWD_OPTS_LOAD, CROWD_OPT_FLAG, NULL, "no HTTP load", .parse = parse_no_load},
    {"connections", 0, CROWD_OPTS_LOAD, CROWD_OPT_COUNT, "C", "connections per container", .min = 1,
     .max = 1024, CFG(connections)},
    {"vm-accel", 0, CROWD_OPTS_VM, CROWD_OPT_NAME, "A", "accelerator of the vm backend",
     .name_at = vm_accel_at, CFG(vm_accel)},
    {"vm-kernel", 0, CROWD_OPTS_VM, CROWD_OPT_NAME, "K",
     "guest kernel of the vm backend (auto: minimal when built)", .name_at = vm_kernel_at,
     CFG(vm_kernel)},
    {"help", 'h', 0, CROWD_OPT_FLAG, NULL, "this help", .def = NULL},
};

/* ---- values: checked against the row, written back the way the parser reads them ---- */

union opt_value {
	int64_t i;
	double d;
	const char *s;
};

/* v exactly, in the largest unit that divides it, so the parser reads it back: "256K",
 * "64T", "100ms", "1h", "1000000". */
static const char *format_exact(enum crowd_opt_type t, int64_t v, char *buf, size_t len)
{
	static const struct {
		const char *sfx;
		int64_t mul;
	} sizes[] = {{"T", 1LL << 40}, {"G", 1LL << 30}, {"M", 1LL << 20}, {"K", 1LL << 10}},
	  times[] = {{"h", HOUR_NS},	{"m", 60000000000LL}, {"s", 1000000000LL},
		     {"ms", 1000000LL}, {"us", 1000LL},	      {"ns", 1}};
	size_t n = t == CROWD_OPT_SIZE	 ? CROWD_ARRAY_SIZE(sizes)
		   : t == CROWD_OPT_TIME ? CROWD_ARRAY_SIZE(times)
					 : 0;
	for (size_t i = 0; i < n && v; i++) {
		int64_t mul = t == CROWD_OPT_SIZE ? sizes[i].mul : times[i].mul;
		if (v % mul == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / mul),
				 t == CROWD_OPT_SIZE ? sizes[i].sfx : times[i].sfx);
			return buf;
		}
	}
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

static bool has_range(const struct crowd_opt *o)
{
	return o->type == CROWD_OPT_COUNT || o->type == CROWD_OPT_SIZE ||
	       o->type == CROWD_OPT_TIME || o->type == CROWD_OPT_NUMBER;
}

/* "1..1000000", "256K..64T", "100ms..1h", "0..100": the range of a numeric row, the same in
 * --help and in the message that refuses a value. */
static const char *range_text(const struct crowd_opt *o, char *buf, size_t len)
{
	char lo[32], hi[32];
	if (o->type == CROWD_OPT_NUMBER)
		snprintf(buf, len, "%g..%g", o->fmin, o->fmax);
	else
		snprintf(buf, len, "%s..%s", format_exact(o->type, o->min, lo, sizeof(lo)),
			 format_exact(o->type, o->max, hi, sizeof(hi)));
	return buf;
}

static _Noreturn void bad_value(const char *cmd, const struct crowd_opt *o, const char *arg)
{
	static const char *const kind[] = {[CROWD_OPT_COUNT] = "an integer",
					   [CROWD_OPT_SIZE] = "a size",
					   [CROWD_OPT_TIME] = "a time",
					   [CROWD_OPT_NUMBER] = "a number"};
	char range[96];
	crowd_usage_error(cmd, "--%s '%s': not allowed (%s %s%s)", o->name, arg, kind[o->type],
			  range_text(o, range, sizeof(range)),
			  o->type == CROWD_OPT_SIZE   ? ", K/M/G/T suffixes"
			  : o->type == CROWD_OPT_TIME ? ", ns/us/ms/s/m/h"
						      : "");
}

/* arg checked against the row; exits 2 when it is not allowed. */
static union opt_value check_value(const char *cmd, const struct crowd_opt *o, const char *arg)
{
	union opt_value v = {0};
	uint64_t u;
	char names[256], *end;
	switch (o->type) {
	case CROWD_OPT_COUNT:
	case CROWD_OPT_SIZE:
		if ((o->type == CROWD_OPT_COUNT ? crowd_units_parse_count(arg, &u)
						: crowd_units_parse_size(arg, &u)) < 0 ||
		    u < (uint64_t)o->min || u > (uint64_t)o->max)
			bad_value(cmd, o, arg);
		v.i = (int64_t)u;
		break;
	case CROWD_OPT_TIME:
		if (crowd_units_parse_time(arg, &v.i) < 0 || v.i < o->min || v.i > o->max)
			bad_value(cmd, o, arg);
		break;
	case CROWD_OPT_NUMBER:
		errno = 0;
		v.d = strtod(arg, &end);
		if (end == arg || *end || errno || !(v.d >= o->fmin && v.d <= o->fmax))
			bad_value(cmd, o, arg);
		break;
	case CROWD_OPT_NAME:
		for (unsigned i = 0; o->name_at(i); i++)
			if (!strcmp(arg, o->name_at(i)))
				return (union opt_value){.i = i};
		crowd_usage_error(cmd, "--%s '%s': unknown (allowed: %s)", o->name, arg,
				  names_join(o->name_at, names, sizeof(names)));
	case CROWD_OPT_FLAG:
	case CROWD_OPT_LIST:
	case CROWD_OPT_PATH:
	case CROWD_OPT_TEXT:
		v.s = arg;
		break;
	}
	return v;
}

static void store(const struct crowd_opt *o, void *dst, union opt_value v)
{
	char *p = (char *)dst + o->off;
	switch (o->store) {
	case CROWD_OPT_NOSTORE:
		break;
	case CROWD_OPT_U32:
		*(unsigned *)p = (unsigned)v.i;
		break;
	case CROWD_OPT_I64:
		*(int64_t *)p = v.i;
		break;
	case CROWD_OPT_BOOL:
		*(bool *)p = true;
		break;
	case CROWD_OPT_DOUBLE:
		/* p is the place of a double field (CROWD_OPT_AT checks its type). */
		// cppcheck-suppress invalidPointerCast
		*(double *)p = o->type == CROWD_OPT_NUMBER ? v.d : (double)v.i;
		break;
	case CROWD_OPT_STR:
		*(const char **)p = o->type == CROWD_OPT_NAME ? o->name_at((unsigned)v.i) : v.s;
		break;
	}
}

/* The value at the row's place, as it is before parsing: the default. */
static union opt_value load(const struct crowd_opt *o, const void *dst)
{
	union opt_value v = {.i = -1};
	if (!dst || o->store == CROWD_OPT_NOSTORE)
		return v; /* the help row, or a row its parse stores */
	const char *p = (const char *)dst + o->off;
	switch (o->store) {
	case CROWD_OPT_NOSTORE:
		break;
	case CROWD_OPT_U32:
		v.i = *(const unsigned *)p;
		break;
	case CROWD_OPT_I64:
		v.i = *(const int64_t *)p;
		break;
	case CROWD_OPT_BOOL:
		v.i = *(const bool *)p ? 1 : -1;
		break;
	case CROWD_OPT_DOUBLE:
		// cppcheck-suppress invalidPointerCast
		v.d = *(const double *)p;
		break;
	case CROWD_OPT_STR:
		v.s = *(const char *const *)p;
		break;
	}
	return v;
}

/* ---- --help, made from the rows ---- */

/* "default 100", "default 5s", "default none": what the row says, else the value it holds
 * before parsing; "" when it has none. */
static const char *describe_default(const struct crowd_opt *o, union opt_value d, char *buf,
				    size_t len)
{
	char v[64] = "";
	if (o->def)
		snprintf(v, sizeof(v), "%s", o->def);
	else if (o->type == CROWD_OPT_FLAG)
		;
	else if (o->store == CROWD_OPT_STR && d.s)
		snprintf(v, sizeof(v), "%s", d.s);
	else if (o->type == CROWD_OPT_NAME && o->store != CROWD_OPT_STR && d.i >= 0)
		snprintf(v, sizeof(v), "%s", o->name_at((unsigned)d.i));
	else if (o->store == CROWD_OPT_DOUBLE && d.d >= 0)
		snprintf(v, sizeof(v), "%g", d.d);
	else if (o->store == CROWD_OPT_U32 || o->store == CROWD_OPT_I64)
		if (d.i > 0 || (d.i == 0 && o->store == CROWD_OPT_I64))
			format_exact(o->type, d.i, v, sizeof(v));
	snprintf(buf, len, "%s%s", v[0] ? "default: " : "", v);
	return buf;
}

/* One row: "  -n, --count N      instances per backend (1..1000000; default 100)". */
static void print_row(const struct crowd_opt *o, union opt_value d)
{
	char left[48], what[256] = "", def[96];
	snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : " ",
		 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
		 o->arg ? " " : "", o->arg ? o->arg : "");
	if (has_range(o)) {
		range_text(o, what, sizeof(what));
	} else if (o->name_at) {
		size_t n = (size_t)snprintf(what, sizeof(what), "%s",
					    o->type == CROWD_OPT_NAME ? "one of: " : "of: ");
		names_join(o->name_at, what + n, sizeof(what) - n);
	}
	describe_default(o, d, def, sizeof(def));
	if (what[0] || def[0])
		printf("  %-28s %s (%s%s%s)\n", left, o->help, what, what[0] && def[0] ? "; " : "",
		       def);
	else
		printf("  %-28s %s\n", left, o->help);
}

static void print_help(const struct crowd_opts_cmd *cmd, const struct crowd_opt *const *rows,
		       size_t n, const union opt_value *defaults)
{
	printf("usage: %s\n\n%s\n\noptions:\n", cmd->synopsis, cmd->description);
	for (size_t i = 0; i < n; i++)
		print_row(rows[i], defaults[i]);
	if (cmd->epilogue)
		printf("\n%s", cmd->epilogue);
}

/* ---- parsing ---- */

/* One parse: the rows a command takes (shared ones first, then its own), where each stores,
 * which were given, and their defaults for --help. */
struct parse {
	const struct crowd_opts_cmd *cmd;
	struct crowd_config *cfg;
	const struct crowd_opt *rows[MAX_ROWS];
	void *dst[MAX_ROWS];
	union opt_value defaults[MAX_ROWS];
	bool given[MAX_ROWS];
	size_t n;
};

static void add_row(struct parse *p, const struct crowd_opt *o, void *dst)
{
	if (p->n == MAX_ROWS)
		crowd_usage_error(p->cmd->name, "internal: more than %d options", MAX_ROWS);
	p->rows[p->n] = o;
	p->dst[p->n] = dst;
	p->defaults[p->n] = load(o, dst);
	p->n++;
}

static void collect_rows(struct parse *p)
{
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(opt_table); i++) {
		const struct crowd_opt *o = &opt_table[i];
		if (o->group && !(o->group & p->cmd->groups))
			continue;
		if (!strcmp(o->name, "help"))
			continue; /* last, after the command's own */
		add_row(p, o, p->cfg);
	}
	for (const struct crowd_opt *o = p->cmd->extra; o && o->name; o++)
		add_row(p, o, p->cmd->ctx);
	add_row(p, &opt_table[CROWD_ARRAY_SIZE(opt_table) - 1], NULL);
}

/* getopt_long's tables: row k is val 1000 + k; a short name is its own val. */
static void getopt_tables(const struct parse *p, struct option *longopts, char *shortopts,
			  size_t shortlen)
{
	size_t s = (size_t)snprintf(shortopts, shortlen, "%s:", p->cmd->args_anywhere ? "" : "+");
	for (size_t k = 0; k < p->n; k++) {
		const struct crowd_opt *o = p->rows[k];
		bool arg = o->type != CROWD_OPT_FLAG;
		longopts[k] = (struct option){o->name, arg ? required_argument : no_argument, NULL,
					      1000 + (int)k};
		if (o->short_name && s + 3 < shortlen) {
			shortopts[s++] = o->short_name;
			if (arg)
				shortopts[s++] = ':';
		}
	}
	longopts[p->n] = (struct option){0};
	shortopts[s] = '\0';
}

static size_t row_of(const struct parse *p, int val)
{
	if (val >= 1000)
		return (size_t)(val - 1000);
	for (size_t k = 0; k < p->n; k++)
		if (p->rows[k]->short_name == val)
			return k;
	return p->n;
}

static _Noreturn void bad_option(const char *c, int val, char **argv)
{
	if (val == ':')
		crowd_usage_error(c, "'%s' needs an argument", argv[optind - 1]);
	if (optopt > 0 && optopt < 256)
		crowd_usage_error(c, "-%c: unknown option (see 'crowd %s --help')", optopt, c);
	crowd_usage_error(c, "'%s': unknown option (see 'crowd %s --help')", argv[optind - 1], c);
}

static void apply(struct parse *p, size_t k, const char *arg)
{
	const struct crowd_opt *o = p->rows[k];
	const char *c = p->cmd->name;
	p->given[k] = true;
	if (!strcmp(o->name, "help")) {
		print_help(p->cmd, p->rows, p->n, p->defaults);
		exit(CROWD_EXIT_OK);
	}
	union opt_value v = check_value(c, o, arg);
	if (o->parse)
		o->parse(c, arg, p->dst[k]);
	else
		store(o, p->dst[k], v);
}

static bool given(const struct parse *p, const char *name)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->given[k] && !strcmp(p->rows[k]->name, name))
			return true;
	return false;
}

static struct parse the_parse; /* large; one parse per process */

bool crowd_opts_given(const char *name)
{
	return given(&the_parse, name);
}

/* ---- after the options: defaults that need a look around, and checks across options ---- */

/* --out: the nearest part of the path that exists must be a directory (the rest is made). */
static void check_out(const char *cmd, const char *out)
{
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof(path), "%s", out) >= (int)sizeof(path))
		crowd_usage_error(cmd, "--out '%s': path too long", out);
	for (;;) {
		if (stat(path, &st) == 0) {
			if (!S_ISDIR(st.st_mode))
				crowd_usage_error(cmd,
						  "--out '%s': %s is not a directory (allowed: a "
						  "directory path)",
						  out, path);
			return;
		}
		char *slash = strrchr(path, '/');
		if (!slash || slash == path)
			return; /* what is left is "/" or the current directory */
		*slash = '\0';
	}
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* --workload cmd:PATH: PATH must be an executable file in the rootfs or, for the process
 * backend, on the host; found in neither, no backend could run it. */
static void check_cmd(const char *cmd, const struct crowd_config *cfg)
{
	const char *exe = cfg->workload.argv[0];
	char path[PATH_MAX];
	if (!exe || is_executable(exe))
		return;
	bool host = !cfg->rootfs || !strcmp(cfg->rootfs, "host");
	if (!host && snprintf(path, sizeof(path), "%s%s", cfg->rootfs, exe) < (int)sizeof(path) &&
	    is_executable(path))
		return;
	crowd_usage_error(cmd,
			  "--workload 'cmd:%s': no executable file %s in the rootfs %s nor on "
			  "the host",
			  exe, exe, host ? "(host)" : cfg->rootfs);
}

static void finish_container(const struct parse *p)
{
	const char *c = p->cmd->name;
	struct crowd_config *cfg = p->cfg;
	if (!given(p, "rootfs")) {
		const char *def = crowd_opts_default_rootfs();
		struct stat st;
		if (stat(def, &st) < 0 || !S_ISDIR(st.st_mode))
			crowd_usage_error(
			    c, "default rootfs %s is missing: run 'make' or give --rootfs DIR|host",
			    def);
		cfg->rootfs = def;
	}
	finish_seccomp(c, cfg);
	char why[256];
	if (cfg->rootless && geteuid() != 0 &&
	    (cfg->limits.memory_max_bytes >= 0 || cfg->limits.pids_max >= 0 ||
	     cfg->limits.cpu_quota_us >= 0) &&
	    crowd_cg_user_root(NULL, 0, why, sizeof(why)) < 0)
		crowd_usage_error(c,
				  "--rootless: cgroup limits need root or a delegated cgroup (%s); "
				  "drop --memory-max/--pids-max/--cpu-max",
				  why);
}

static void finish_fleet(const struct parse *p)
{
	const char *c = p->cmd->name;
	struct crowd_config *cfg = p->cfg;
	struct crowd_error err = {0};
	if (!cfg->workload.desc && crowd_workload_parse("httpd", &cfg->workload, &err) < 0)
		crowd_usage_error(c, "%s", err.msg);
	if (!cfg->n_backends) {
		cfg->backends[0] = "core";
		cfg->n_backends = 1;
	}
	if (cfg->out)
		check_out(c, cfg->out);
	if (cfg->workload.desc == &cfg->workload.cmd_desc)
		check_cmd(c, cfg);
	/* --placement needs the topology: without it placement would silently set nothing. */
	if (crowd_place_check(cfg, &err) < 0)
		crowd_usage_error(c, "--placement %s: no CPU topology: %s",
				  crowd_place_name(cfg->placement), err.msg);
}

static void finish_load(const struct parse *p)
{
	struct crowd_config *cfg = p->cfg;
	if (!cfg->workload.desc || cfg->workload.desc->http)
		return;
	if (given(p, "load") && cfg->load)
		crowd_usage_error(p->cmd->name,
				  "--load: workload '%s' does not serve HTTP (allowed with httpd)",
				  cfg->workload.name);
	cfg->load = false;
}

int crowd_opts_parse(const struct crowd_opts_cmd *cmd, int argc, char **argv,
		     struct crowd_config *cfg)
{
	struct parse *p = &the_parse;
	struct option longopts[MAX_ROWS + 1];
	char shortopts[2 * MAX_ROWS + 4];
	int opt;

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->cfg = cfg;
	collect_rows(p);
	getopt_tables(p, longopts, shortopts, sizeof(shortopts));
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t k = row_of(p, opt);
		if (opt == '?' || opt == ':' || k >= p->n)
			bad_option(cmd->name, opt, argv);
		apply(p, k, optarg);
	}
	if (cmd->groups & CROWD_OPTS_CONTAINER)
		finish_container(p);
	if (cmd->groups & CROWD_OPTS_FLEET)
		finish_fleet(p);
	if (cmd->groups & CROWD_OPTS_LOAD)
		finish_load(p);
	return optind;
}

void crowd_opts_parse_only(const struct crowd_opts_cmd *cmd, void *ctx, int argc, char **argv,
			   struct crowd_config *cfg)
{
	struct crowd_opts_cmd with_ctx = *cmd;
	with_ctx.ctx = ctx;
	if (cfg)
		crowd_config_init(cfg);
	int first = crowd_opts_parse(&with_ctx, argc, argv, cfg);
	if (first < argc)
		crowd_usage_error(cmd->name, "'%s': unexpected argument (%s takes options only)",
				  argv[first], cmd->name);
}

uint64_t crowd_opts_size(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max)
{
	const struct crowd_opt o = {opt, .type = CROWD_OPT_SIZE, .min = (int64_t)min,
				    .max = (int64_t)max};
	return (uint64_t)check_value(cmd, &o, arg).i;
}

double crowd_opts_double(const char *cmd, const char *opt, const char *arg, double min, double max)
{
	const struct crowd_opt o = {opt, .type = CROWD_OPT_NUMBER, .fmin = min, .fmax = max};
	return check_value(cmd, &o, arg).d;
}

const char *crowd_opts_default_rootfs(void)
{
	static char path[PATH_MAX];
	if (crowd_rootfs_default(path, sizeof(path), NULL) < 0)
		snprintf(path, sizeof(path), "%s/rootfs", CROWD_DATADIR);
	return path;
}
