/* OCI config.json generation with jansson. */
#include "oci.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "core/caps.h"
#include "core/util.h"

/* crowd namespace flag -> OCI namespace type */
static const struct {
	unsigned long flag;
	const char *type;
} ns_map[] = {
	{CLONE_NEWPID, "pid"}, {CLONE_NEWNET, "network"}, {CLONE_NEWIPC, "ipc"},
	{CLONE_NEWUTS, "uts"}, {CLONE_NEWNS, "mount"},    {CLONE_NEWUSER, "user"},
	{CLONE_NEWCGROUP, "cgroup"},
};

/* Paths Docker masks and makes read-only; the core uses the same idea. */
static const char *const masked_paths[] = {
	"/proc/acpi",	    "/proc/asound",	"/proc/kcore",	    "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/proc/scsi",	    "/sys/firmware",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *str_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The capability names of the profile, OCI spelling ("CAP_NET_BIND_SERVICE"). */
static json_t *caps_array(enum crowd_caps_profile p)
{
	json_t *a = json_array();
	switch (p) {
	case CROWD_CAPS_NONE:
		break;
	case CROWD_CAPS_DEFAULT:
		for (unsigned i = 0; i < crowd_caps_default_len; i++)
			json_array_append_new(a, json_string(crowd_caps_default_names[i]));
		break;
	case CROWD_CAPS_ALL:
		/* Every capability crowd itself may hold: asking for one outside its bounding
		 * set (CAP_SYS_RESOURCE is missing on some hosts) makes capset fail. */
		for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
			if (cap_get_bound(c) != 1)
				continue;
			char *name = cap_to_name(c);
			if (!name)
				continue;
			char up[64] = "";
			for (size_t i = 0; name[i] && i + 1 < sizeof(up); i++)
				up[i] = (char)toupper((unsigned char)name[i]);
			cap_free(name);
			if (!strncmp(up, "CAP_", 4))
				json_array_append_new(a, json_string(up));
		}
		break;
	}
	return a;
}

static json_t *mount_obj(const char *dest, const char *type, const char *src,
			 const char *const *opts, size_t n)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src,
			 "options", str_array(opts, n));
}

static json_t *mounts_array(const struct crowd_config *cfg)
{
	static const char *const proc_o[] = {"nosuid", "noexec", "nodev"};
	static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755", "size=65536k"};
	static const char *const pts_o[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620"};
	static const char *const shm_o[] = {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"};
	static const char *const mq_o[] = {"nosuid", "noexec", "nodev"};
	static const char *const sys_o[] = {"nosuid", "noexec", "nodev", "ro"};
	static const char *const sysb_o[] = {"rbind", "nosuid", "noexec", "nodev", "ro"};
	bool sys_ro = cfg->security & CROWD_SEC_SYS_RO; /* "ro" is the last option */
	static const char *const tmp_o[] = {"nosuid", "nodev", "mode=1777", "size=65536k"};
	json_t *m = json_array();
	json_array_append_new(m, mount_obj("/proc", "proc", "proc", proc_o, 3));
	json_array_append_new(m, mount_obj("/dev", "tmpfs", "tmpfs", dev_o, 4));
	json_array_append_new(m, mount_obj("/dev/pts", "devpts", "devpts", pts_o, 5));
	json_array_append_new(m, mount_obj("/dev/shm", "tmpfs", "shm", shm_o, 5));
	if (cfg->ns & CLONE_NEWIPC)
		json_array_append_new(m, mount_obj("/dev/mqueue", "mqueue", "mqueue", mq_o, 3));
	/* sysfs can only be mounted fresh in a network namespace of one's own. */
	if ((cfg->ns & CLONE_NEWNET) && !(cfg->ns & CLONE_NEWUSER) && !cfg->rootless)
		json_array_append_new(m, mount_obj("/sys", "sysfs", "sysfs", sys_o, 4 - !sys_ro));
	else
		json_array_append_new(m, mount_obj("/sys", "none", "/sys", sysb_o, 5 - !sys_ro));
	json_array_append_new(m, mount_obj("/tmp", "tmpfs", "tmpfs", tmp_o, 4));
	return m;
}

static json_t *resources_obj(const struct crowd_cg_limits *l)
{
	json_t *r = json_object();
	if (l->memory_max_bytes >= 0)
		json_object_set_new(r, "memory",
				    json_pack("{s:I}", "limit", (json_int_t)l->memory_max_bytes));
	if (l->pids_max >= 0)
		json_object_set_new(r, "pids", json_pack("{s:I}", "limit", (json_int_t)l->pids_max));
	json_t *cpu = json_object();
	if (l->cpu_quota_us >= 0) {
		json_object_set_new(cpu, "quota", json_integer(l->cpu_quota_us));
		json_object_set_new(cpu, "period",
				    json_integer(l->cpu_period_us > 0 ? l->cpu_period_us : 100000));
	}
	if (l->cpuset_cpus[0])
		json_object_set_new(cpu, "cpus", json_string(l->cpuset_cpus));
	if (l->cpuset_mems[0])
		json_object_set_new(cpu, "mems", json_string(l->cpuset_mems));
	if (json_object_size(cpu))
		json_object_set_new(r, "cpu", cpu);
	else
		json_decref(cpu);
	return r;
}

void crowd_oci_limits_text(const struct crowd_config *cfg, char *buf, size_t len)
{
	const struct crowd_cg_limits *l = &cfg->limits;
	size_t off = 0;
	buf[0] = '\0';
#define ADD(...)                                                                               \
	do {                                                                                   \
		if (off < len)                                                                 \
			off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);            \
	} while (0)
	if (l->memory_max_bytes >= 0)
		ADD("%smemory-max=%lld", off ? " " : "", (long long)l->memory_max_bytes);
	if (l->pids_max >= 0)
		ADD("%spids-max=%lld", off ? " " : "", (long long)l->pids_max);
	if (l->cpu_quota_us >= 0)
		ADD("%scpu-max=%lld/%lld", off ? " " : "", (long long)l->cpu_quota_us,
		    (long long)l->cpu_period_us);
	if (l->cpuset_cpus[0])
		ADD("%scpuset-cpus=%s", off ? " " : "", l->cpuset_cpus);
	if (l->cpuset_mems[0])
		ADD("%scpuset-mems=%s", off ? " " : "", l->cpuset_mems);
#undef ADD
}

static json_t *build(const struct crowd_oci_opts *o)
{
	const struct crowd_config *cfg = o->cfg;
	json_t *args = json_array();
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(cfg->workload.argv) && cfg->workload.argv[i]; i++)
		json_array_append_new(args, json_string(cfg->workload.argv[i]));

	json_t *env = json_array();
	json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					       "/usr/bin:/sbin:/bin"));
	json_array_append_new(env, json_string("HOME=/"));
	json_array_append_new(env, json_string("TERM=xterm"));
	if (o->ready_fd >= 0) {
		char e[32];
		snprintf(e, sizeof(e), "CROWD_READY_FD=%d", o->ready_fd);
		json_array_append_new(env, json_string(e));
	}

	json_t *caps = json_pack("{s:o, s:o, s:o, s:[], s:[]}", "bounding", caps_array(cfg->caps),
				 "effective", caps_array(cfg->caps), "permitted",
				 caps_array(cfg->caps), "inheritable", "ambient");

	json_t *process = json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:b}", "terminal", 0,
				    "user", "uid", 0, "gid", 0, "args", args, "env", env, "cwd", "/",
				    "capabilities", caps, "noNewPrivileges",
				    (cfg->security & CROWD_SEC_NNP) != 0);

	json_t *ns = json_array();
	for (size_t i = 0; i < CROWD_ARRAY_SIZE(ns_map); i++)
		/* OCI runtimes always set up a mount namespace; crowd says so in unapplied. */
		if ((cfg->ns & ns_map[i].flag) || ns_map[i].flag == CLONE_NEWNS ||
		    (ns_map[i].flag == CLONE_NEWUSER && cfg->rootless))
			json_array_append_new(ns, json_pack("{s:s}", "type", ns_map[i].type));

	json_t *linux_ = json_pack("{s:o}", "namespaces", ns);
	if (cfg->security & CROWD_SEC_MASKS) {
		json_object_set_new(linux_, "maskedPaths",
				    str_array(masked_paths, CROWD_ARRAY_SIZE(masked_paths)));
		json_object_set_new(linux_, "readonlyPaths",
				    str_array(readonly_paths, CROWD_ARRAY_SIZE(readonly_paths)));
	}
	/* The core's own table; a --seccomp FILE is not passed on (unapplied says so). */
	if ((cfg->security & CROWD_SEC_SECCOMP) && !cfg->seccomp)
		json_object_set_new(linux_, "seccomp", crowd_seccomp_oci_json());
	if ((cfg->ns & CLONE_NEWUSER) || cfg->rootless) {
		/* Root in the container is the caller outside, as with the core's --rootless. */
		json_t *map = json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					(int)getuid(), "size", 1);
		json_t *gmap = json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					 (int)getgid(), "size", 1);
		json_object_set_new(linux_, "uidMappings", map);
		json_object_set_new(linux_, "gidMappings", gmap);
	}
	if (o->cgroups_path)
		json_object_set_new(linux_, "cgroupsPath", json_string(o->cgroups_path));
	if (o->resources) {
		json_t *res = resources_obj(&cfg->limits);
		if (cfg->security & CROWD_SEC_DEVICES)
			json_object_set_new(res, "devices", crowd_dev_oci_json());
		json_object_set_new(linux_, "resources", res);
	}

	json_t *root = json_pack("{s:s, s:{s:s, s:b}, s:o, s:o, s:o}", "ociVersion", "1.0.2",
				 "root", "path", o->rootfs, "readonly", 1, "process", process,
				 "mounts", mounts_array(cfg), "linux", linux_);
	if (root && (cfg->ns & CLONE_NEWUTS))
		json_object_set_new(root, "hostname", json_string("crowd"));
	return root;
}

int crowd_oci_write(const char *bundle, const struct crowd_oci_opts *o, struct crowd_error *err)
{
	char path[4096];
	if (!o->cfg->workload.argv[0])
		return crowd_error_set(err, EINVAL, "OCI config: no workload argv");
	json_t *root = build(o);
	if (!root)
		return crowd_error_set(err, ENOMEM, "OCI config: building JSON failed");
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int r = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (r < 0)
		return crowd_error_errno(err, errno ? errno : EIO, "write %s", path);
	return 0;
}
