/* Shared options of run, bench and density: one table, parsed with getopt_long. */
#include "opts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/caps.h"
#include "engine/placement.h"
#include "core/rootfs.h"
#include "core/util.h"
#include "cli.h"
#include "results/units.h"

enum {
	OPT_NS = 500,
	OPT_ROOTFS,
	OPT_MEMORY_MAX,
	OPT_PIDS_MAX,
	OPT_CPU_MAX,
	OPT_CPUSET,
	OPT_CAPS,
	OPT_ROOTLESS,
	OPT_POD_SIZE,
	OPT_BACKEND,
	OPT_WORKLOAD,
	OPT_PLACEMENT,
	OPT_OUT,
	OPT_JSON,
	OPT_QUIET,
	OPT_DURATION,
	OPT_LOAD,
	OPT_NO_LOAD,
	OPT_CONNECTIONS,
	OPT_VM_ACCEL,
	OPT_SECURITY,
	OPT_SECCOMP,
	OPT_HELP,
};

struct opt_desc {
	struct option opt;
	unsigned group; /* 0: every command */
	const char *arg;
	const char *help;
};

static const struct opt_desc opt_table[] = {
	{{"count", required_argument, NULL, 'n'}, CROWD_OPTS_FLEET, "N", "instances per backend (default 100; 1..1000000)"},
	{{"concurrency", required_argument, NULL, 'j'}, CROWD_OPTS_FLEET, "C", "starts in flight (default 1; 1..4096)"},
	{{"backend", required_argument, NULL, OPT_BACKEND}, CROWD_OPTS_FLEET, "LIST", "backends side by side, interleaved (default core)"},
	{{"workload", required_argument, NULL, OPT_WORKLOAD}, CROWD_OPTS_FLEET, "W", "httpd|idle|cpu|mem|cmd:PATH ARGS (default httpd)"},
	{{"placement", required_argument, NULL, OPT_PLACEMENT}, CROWD_OPTS_FLEET, "P", "none|spread|compact cpusets from hwloc (default none)"},
	{{"out", required_argument, NULL, OPT_OUT}, CROWD_OPTS_FLEET, "DIR", "results folder (default results/runs/<time>-<backends>-<workload>)"},
	{{"json", no_argument, NULL, OPT_JSON}, CROWD_OPTS_FLEET, NULL, "print summary.json on stdout"},
	{{"quiet", no_argument, NULL, OPT_QUIET}, CROWD_OPTS_FLEET, NULL, "no progress display"},
	{{"ns", required_argument, NULL, OPT_NS}, CROWD_OPTS_CONTAINER, "LIST", "pid,mnt,uts,ipc,net,user,cgroup | all | none (default: all but user)"},
	{{"rootfs", required_argument, NULL, OPT_ROOTFS}, CROWD_OPTS_CONTAINER, "DIR|host", "root filesystem (default: the one make builds)"},
	{{"memory-max", required_argument, NULL, OPT_MEMORY_MAX}, CROWD_OPTS_CONTAINER, "BYTES", "memory limit, K/M/G suffixes (256K..64T)"},
	{{"pids-max", required_argument, NULL, OPT_PIDS_MAX}, CROWD_OPTS_CONTAINER, "N", "process limit (1..4194304)"},
	{{"cpu-max", required_argument, NULL, OPT_CPU_MAX}, CROWD_OPTS_CONTAINER, "Q/P", "CPU quota per period, e.g. 50ms/100ms or 50000/100000 (us)"},
	{{"cpuset", required_argument, NULL, OPT_CPUSET}, CROWD_OPTS_CONTAINER, "CPUS", "cpuset.cpus of each container, e.g. 0-1"},
	{{"caps", required_argument, NULL, OPT_CAPS}, CROWD_OPTS_CONTAINER, "PROFILE", "default (Docker's 14) | none | all"},
	{{"security", required_argument, NULL, OPT_SECURITY}, CROWD_OPTS_CONTAINER, "LIST", "nnp,masks,devices,seccomp,sys-ro | all | none (default all; docs/security.md)"},
	{{"seccomp", required_argument, NULL, OPT_SECCOMP}, CROWD_OPTS_CONTAINER, "default|none|FILE", "seccomp filter: crowd's denylist, none, or an OCI/Docker JSON profile"},
	{{"rootless", no_argument, NULL, OPT_ROOTLESS}, CROWD_OPTS_CONTAINER, NULL, "user namespace mapping root to the caller"},
	{{"pod-size", required_argument, NULL, OPT_POD_SIZE}, CROWD_OPTS_CONTAINER, "K", "K containers per pod sharing net, ipc, uts (1..1024)"},
	{{"duration", required_argument, NULL, OPT_DURATION}, CROWD_OPTS_LOAD, "TIME", "HTTP load once all are ready, e.g. 5s, 500ms (default 5s)"},
	{{"load", no_argument, NULL, OPT_LOAD}, CROWD_OPTS_LOAD, NULL, "run HTTP load (default for httpd)"},
	{{"no-load", no_argument, NULL, OPT_NO_LOAD}, CROWD_OPTS_LOAD, NULL, "no HTTP load"},
	{{"connections", required_argument, NULL, OPT_CONNECTIONS}, CROWD_OPTS_LOAD, "C", "connections per container (default 1; 1..1024)"},
	{{"vm-accel", required_argument, NULL, OPT_VM_ACCEL}, CROWD_OPTS_VM, "A", "kvm|tcg|auto for the vm backend (default auto)"},
	{{"help", no_argument, NULL, OPT_HELP}, 0, NULL, "this help"},
};

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

uint64_t crowd_opts_size(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max)
{
	uint64_t v;
	char lo[32], hi[32];
	if (crowd_units_parse_size(arg, &v) < 0 || v < min || v > max)
		crowd_usage_error(cmd, "%s '%s': not allowed (a size %s..%s, K/M/G/T suffixes)", opt,
				  arg, crowd_units_format_size((double)min, lo, sizeof(lo)),
				  crowd_units_format_size((double)max, hi, sizeof(hi)));
	return v;
}

int64_t crowd_opts_time(const char *cmd, const char *opt, const char *arg, int64_t min_ns,
			int64_t max_ns)
{
	int64_t v;
	char lo[32], hi[32];
	if (crowd_units_parse_time(arg, &v) < 0 || v < min_ns || v > max_ns)
		crowd_usage_error(cmd, "%s '%s': not allowed (a time %s..%s, ns/us/ms/s/m/h)", opt,
				  arg, crowd_units_format_time((double)min_ns, lo, sizeof(lo)),
				  crowd_units_format_time((double)max_ns, hi, sizeof(hi)));
	return v;
}

uint64_t crowd_opts_uint(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max)
{
	uint64_t v;
	if (crowd_units_parse_count(arg, &v) < 0 || v < min || v > max)
		crowd_usage_error(cmd, "%s '%s': not allowed (an integer %llu..%llu)", opt, arg,
				  (unsigned long long)min, (unsigned long long)max);
	return v;
}

double crowd_opts_double(const char *cmd, const char *opt, const char *arg, double min,
			 double max)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v >= min && v <= max))
		crowd_usage_error(cmd, "%s '%s': not allowed (a number %g..%g)", opt, arg, min, max);
	return v;
}

/* "50ms/100ms", "50000/100000" (microseconds) or "0.5" (a fraction of one CPU, 100ms period). */
static void parse_cpu_max(const char *cmd, const char *arg, struct crowd_config *cfg)
{
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
	crowd_usage_error(cmd,
			  "--cpu-max '%s': not allowed (QUOTA/PERIOD like 50ms/100ms or 50000/100000 "
			  "in us, quota >= 1ms, period 1ms..1s; or a CPU count like 0.5)",
			  arg);
}

static void parse_backends(const char *cmd, const char *arg, struct crowd_config *cfg)
{
	char names[256];
	char *copy = strdup(arg), *save = NULL;
	if (!copy)
		crowd_usage_error(cmd, "out of memory");
	cfg->n_backends = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct crowd_backend *b = crowd_backend_find(tok);
		if (!b) {
			crowd_backend_names(names, sizeof(names));
			crowd_usage_error(cmd, "--backend '%s': unknown backend (allowed: %s)", tok,
					  names);
		}
		for (unsigned i = 0; i < cfg->n_backends; i++)
			if (!strcmp(cfg->backends[i], b->name))
				crowd_usage_error(cmd, "--backend '%s': '%s' given twice", arg, tok);
		if (cfg->n_backends == CROWD_MAX_BACKENDS)
			crowd_usage_error(cmd, "--backend '%s': at most %d backends", arg,
					  CROWD_MAX_BACKENDS);
		cfg->backends[cfg->n_backends++] = b->name;
	}
	free(copy);
	if (!cfg->n_backends)
		crowd_usage_error(cmd, "--backend '%s': empty list", arg);
}

const char *crowd_opts_default_rootfs(void)
{
	static char path[PATH_MAX];
	if (crowd_rootfs_default(path, sizeof(path), NULL) < 0)
		snprintf(path, sizeof(path), "%s/rootfs", CROWD_DATADIR);
	return path;
}

static void print_help(const struct crowd_opts_cmd *cmd)
{
	printf("usage: %s\n\n%s\n\noptions:\n", cmd->synopsis, cmd->description);
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *d = &opt_table[i];
		if (d->group && !(d->group & cmd->groups))
			continue;
		char left[48];
		int shortopt = d->opt.val < 256 ? d->opt.val : 0;
		char shortpart[8] = "    ";
		if (shortopt)
			snprintf(shortpart, sizeof(shortpart), "-%c, ", shortopt);
		snprintf(left, sizeof(left), "%s--%s%s%s", shortpart, d->opt.name,
			 d->arg ? " " : "", d->arg ? d->arg : "");
		printf("  %-28s %s\n", left, d->help);
	}
	if (cmd->extra_help)
		printf("%s", cmd->extra_help);
}

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
				crowd_usage_error(cmd, "--out '%s': %s is not a directory (allowed: a "
						  "directory path)", out, path);
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
	crowd_usage_error(cmd, "--workload 'cmd:%s': no executable file %s in the rootfs %s nor on "
			  "the host", exe, exe, host ? "(host)" : cfg->rootfs);
}

int crowd_opts_parse(const struct crowd_opts_cmd *cmd, int argc, char **argv,
		     struct crowd_config *cfg)
{
	struct option longopts[64];
	size_t n = 0;
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(opt_table); i++)
		if (!opt_table[i].group || (opt_table[i].group & cmd->groups))
			longopts[n++] = opt_table[i].opt;
	for (const struct option *o = cmd->extra; o && o->name && n + 1 < CROWD_ARRAY_SIZE(longopts); o++)
		longopts[n++] = *o;
	longopts[n] = (struct option){0};

	const char *c = cmd->name;
	char shortopts[16] = "+";
	if (cmd->groups & CROWD_OPTS_FLEET)
		strcat(shortopts, "n:j:");
	strcat(shortopts, "h");

	bool rootfs_set = false, load_set = false;
	const char *seccomp_opt = NULL;
	struct crowd_error err = {0};
	int opt;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const char *a = optarg;
		switch (opt) {
		case 'n':
			cfg->count = (unsigned)crowd_opts_uint(c, "--count", a, 1, 1000000);
			break;
		case 'j':
			cfg->concurrency = (unsigned)crowd_opts_uint(c, "--concurrency", a, 1, 4096);
			break;
		case OPT_BACKEND:
			parse_backends(c, a, cfg);
			break;
		case OPT_WORKLOAD:
			crowd_workload_inst_free(&cfg->workload);
			if (crowd_workload_parse(a, &cfg->workload, &err) < 0)
				crowd_usage_error(c, "%s", err.msg);
			break;
		case OPT_PLACEMENT:
			if (!strcmp(a, "none"))
				cfg->placement = CROWD_PLACE_NONE;
			else if (!strcmp(a, "spread"))
				cfg->placement = CROWD_PLACE_SPREAD;
			else if (!strcmp(a, "compact"))
				cfg->placement = CROWD_PLACE_COMPACT;
			else
				crowd_usage_error(c, "--placement '%s': unknown (allowed: none, spread, compact)", a);
			break;
		case OPT_OUT:
			if (!*a)
				crowd_usage_error(c, "--out '': empty (allowed: a directory path)");
			cfg->out = a;
			break;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_NS:
			if (crowd_ns_parse(a, &cfg->ns, &err) < 0)
				crowd_usage_error(c, "--ns '%s': %s", a, err.msg);
			break;
		case OPT_ROOTFS:
			rootfs_set = true;
			if (!strcmp(a, "host")) {
				cfg->rootfs = NULL;
			} else {
				if (crowd_rootfs_check(a, &err) < 0)
					crowd_usage_error(c, "--%s", err.msg);
				cfg->rootfs = a;
			}
			break;
		case OPT_MEMORY_MAX:
			cfg->limits.memory_max_bytes =
				(int64_t)crowd_opts_size(c, "--memory-max", a, 256 * 1024ULL, 64ULL << 40);
			break;
		case OPT_PIDS_MAX:
			cfg->limits.pids_max = (int64_t)crowd_opts_uint(c, "--pids-max", a, 1, 4194304);
			break;
		case OPT_CPU_MAX:
			parse_cpu_max(c, a, cfg);
			break;
		case OPT_CPUSET: {
			char online[256] = "";
			if (!*a || strspn(a, "0123456789,-") != strlen(a) ||
			    strlen(a) >= sizeof(cfg->limits.cpuset_cpus))
				crowd_usage_error(c, "--cpuset '%s': not allowed (a CPU list like 0-1 or 0,2)", a);
			if (crowd_read_file("/sys/devices/system/cpu/online", online, sizeof(online), NULL) > 0) {
				online[strcspn(online, "\n")] = '\0';
				int r = cpulist_within(a, online);
				if (r < 0)
					crowd_usage_error(c, "--cpuset '%s': not allowed (a CPU list like 0-1 or 0,2)", a);
				if (r == 0)
					crowd_usage_error(c, "--cpuset '%s': not allowed (online CPUs here: %s)", a, online);
			}
			snprintf(cfg->limits.cpuset_cpus, sizeof(cfg->limits.cpuset_cpus), "%s", a);
			break;
		}
		case OPT_CAPS:
			if (crowd_caps_parse(a, &cfg->caps, &err) < 0)
				crowd_usage_error(c, "--caps '%s': unknown (allowed: default, none, all)", a);
			break;
		case OPT_SECURITY:
			if (crowd_sec_parse(a, &cfg->security, &err) < 0)
				crowd_usage_error(c, "--security '%s': %s", a, err.msg);
			break;
		case OPT_SECCOMP:
			seccomp_opt = a;
			break;
		case OPT_ROOTLESS:
			cfg->rootless = true;
			cfg->ns |= CLONE_NEWUSER;
			break;
		case OPT_POD_SIZE:
			cfg->pod_size = (unsigned)crowd_opts_uint(c, "--pod-size", a, 1, 1024);
			break;
		case OPT_DURATION:
			cfg->duration_ns = crowd_opts_time(c, "--duration", a, 100000000LL, 3600000000000LL);
			break;
		case OPT_LOAD:
			cfg->load = true;
			load_set = true;
			break;
		case OPT_NO_LOAD:
			cfg->load = false;
			load_set = true;
			break;
		case OPT_CONNECTIONS:
			cfg->connections = (unsigned)crowd_opts_uint(c, "--connections", a, 1, 1024);
			break;
		case OPT_VM_ACCEL:
			if (strcmp(a, "kvm") && strcmp(a, "tcg") && strcmp(a, "auto"))
				crowd_usage_error(c, "--vm-accel '%s': unknown (allowed: kvm, tcg, auto)", a);
			cfg->vm_accel = a;
			break;
		case 'h':
		case OPT_HELP:
			print_help(cmd);
			exit(CROWD_EXIT_OK);
		case '?':
			if (optopt && optopt < 256)
				crowd_usage_error(c, "-%c: unknown option (see 'crowd %s --help')", optopt, c);
			crowd_usage_error(c, "'%s': unknown option (see 'crowd %s --help')",
					  argv[optind - 1], c);
		case ':':
			crowd_usage_error(c, "'%s' needs an argument", argv[optind - 1]);
		default:
			if (cmd->extra_fn && opt >= 1000) {
				cmd->extra_fn(opt, a, cmd->ctx);
				break;
			}
			crowd_usage_error(c, "'%s': unknown option", argv[optind - 1]);
		}
	}
	/* After the loop: --seccomp picks the filter whatever --security said before or after. */
	if (seccomp_opt && !strcmp(seccomp_opt, "none")) {
		cfg->security &= ~(unsigned)CROWD_SEC_SECCOMP;
	} else if (seccomp_opt) {
		struct crowd_seccomp *sc = NULL;
		if (strcmp(seccomp_opt, "default") && crowd_seccomp_load_file(seccomp_opt, &sc, &err) < 0)
			crowd_usage_error(c, "--seccomp: %s (allowed: default, none, or an OCI/Docker "
					     "seccomp JSON file)", err.msg);
		cfg->seccomp = sc;
		cfg->security |= CROWD_SEC_SECCOMP;
	}
	if ((cmd->groups & CROWD_OPTS_CONTAINER) && !rootfs_set) {
		const char *def = crowd_opts_default_rootfs();
		struct stat st;
		if (stat(def, &st) < 0 || !S_ISDIR(st.st_mode))
			crowd_usage_error(c, "default rootfs %s is missing: run 'make' or give --rootfs DIR|host", def);
		cfg->rootfs = def;
	}
	if ((cmd->groups & CROWD_OPTS_FLEET) && !cfg->workload.desc) {
		if (crowd_workload_parse("httpd", &cfg->workload, &err) < 0)
			crowd_usage_error(c, "%s", err.msg);
	}
	if ((cmd->groups & CROWD_OPTS_FLEET) && !cfg->n_backends) {
		cfg->backends[0] = "core";
		cfg->n_backends = 1;
	}
	if ((cmd->groups & CROWD_OPTS_FLEET) && cfg->out)
		check_out(c, cfg->out);
	if ((cmd->groups & CROWD_OPTS_FLEET) && cfg->workload.desc == &cfg->workload.cmd_desc)
		check_cmd(c, cfg);
	if ((cmd->groups & CROWD_OPTS_LOAD) && cfg->workload.desc && !cfg->workload.desc->http) {
		if (load_set && cfg->load)
			crowd_usage_error(c, "--load: workload '%s' does not serve HTTP (allowed with httpd)",
					  cfg->workload.name);
		cfg->load = false;
	}
	if ((cmd->groups & CROWD_OPTS_CONTAINER) && cfg->rootless && geteuid() != 0 &&
	    (cfg->limits.memory_max_bytes >= 0 || cfg->limits.pids_max >= 0 ||
	     cfg->limits.cpu_quota_us >= 0))
		crowd_usage_error(c, "--rootless: cgroup limits need root here (no delegated cgroup); "
				     "drop --memory-max/--pids-max/--cpu-max");
	/* --placement needs the topology: without it placement would silently set nothing. */
	if ((cmd->groups & CROWD_OPTS_FLEET) && crowd_place_check(cfg, &err) < 0)
		crowd_usage_error(c, "--placement %s: no CPU topology: %s",
				  crowd_place_name(cfg->placement), err.msg);
	return optind;
}

void crowd_opts_backends(const char *cmd, const char *arg, struct crowd_config *cfg)
{
	parse_backends(cmd, arg, cfg);
}
