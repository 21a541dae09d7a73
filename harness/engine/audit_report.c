/* The audit's rows and cells: what each field of a probe's report means, in a few characters
 * (audit.h; docs/audit.md explains every row and cell). */
#include "audit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

const char *const crowd_audit_ns_names[CROWD_AUDIT_NS] = {"pid", "net", "mnt",	  "user",
							  "uts", "ipc", "cgroup", "time"};

enum kind {
	K_KERNEL,  /* boot_id: the host's kernel or a guest's */
	K_NS,	   /* ns.<arg>: own or the host's */
	K_STR,	   /* <field> as it is */
	K_INT,	   /* <field>, a number */
	K_IFACES,  /* ifaces: the ones besides lo */
	K_UIDMAP,  /* uid_map: identity or the first range */
	K_SECCOMP, /* seccomp mode */
	K_ONOFF,   /* <field> 1: on, 0: OFF */
	K_CAPS,	   /* caps.<arg>: how many of the capabilities */
	K_CAPBIT,  /* caps.eff bit <bit> */
	K_SYSCALL, /* syscalls.<arg>: refused, or reached the argument checks */
	K_USERNS,  /* userns: a nested user namespace could be made */
	K_ROOT,	   /* root "ro": on */
	K_MOUNT,   /* <field> or readonly.<arg>: ro, rw!, absent */
	K_MASKED,  /* masked.<arg>: masked, absent, or what open() said */
	K_DEVICE,  /* devices.<arg>: mknod, then open */
	K_CGROUP,  /* cgroup.<arg>: its limit file opened for writing? */
};

struct crowd_audit_row {
	struct crowd_audit_row_name name;
	enum kind kind;
	const char *field; /* the report's key, or the object holding arg */
	const char *arg;
	int bit;
};

#define NS(n)                                                                                      \
	{                                                                                          \
		{"ns." n, n " namespace", "isolation"}, K_NS, "ns", n, 0                           \
	}
#define CALL(n)                                                                                    \
	{                                                                                          \
		{"syscall." n, n "()", "system calls"}, K_SYSCALL, "syscalls", n, 0                \
	}
#define MASK(p)                                                                                    \
	{                                                                                          \
		{"masked:" p, p, "masked paths"}, K_MASKED, "masked", p, 0                         \
	}
#define CAPS(n, l)                                                                                 \
	{                                                                                          \
		{"caps." n, l, "privileges"}, K_CAPS, "caps", n, 0                                 \
	}

static const struct crowd_audit_row crowd_audit_rows[] = {
    {{"kernel", "kernel", "isolation"}, K_KERNEL, "boot_id", NULL, 0},
    NS("pid"),
    NS("net"),
    NS("mnt"),
    NS("user"),
    NS("uts"),
    NS("ipc"),
    NS("cgroup"),
    NS("time"),
    {{"pid1", "pid 1 is", "isolation"}, K_STR, "pid1", NULL, 0},
    {{"procs", "processes seen", "isolation"}, K_INT, "procs", NULL, 0},
    {{"ifaces", "interfaces besides lo", "isolation"}, K_IFACES, "ifaces", NULL, 0},
    {{"uid", "uid", "privileges"}, K_INT, "uid", NULL, 0},
    {{"uid_map", "uid map", "privileges"}, K_UIDMAP, "uid_map", NULL, 0},
    CAPS("eff", "CapEff"),
    CAPS("prm", "CapPrm"),
    CAPS("bnd", "CapBnd"),
    CAPS("inh", "CapInh"),
    CAPS("amb", "CapAmb"),
    {{"cap_sys_admin", "CAP_SYS_ADMIN", "privileges"}, K_CAPBIT, "caps", "eff", 21},
    {{"no_new_privs", "no_new_privs", "privileges"}, K_ONOFF, "no_new_privs", NULL, 0},
    {{"lsm", "LSM label", "privileges"}, K_STR, "lsm", NULL, 0},
    {{"seccomp", "seccomp", "system calls"}, K_SECCOMP, "seccomp", NULL, 0},
    CALL("keyctl"),
    CALL("add_key"),
    CALL("bpf"),
    CALL("perf_event_open"),
    CALL("userfaultfd"),
    CALL("mount"),
    CALL("fsopen"),
    CALL("pivot_root"),
    CALL("kexec_load"),
    CALL("init_module"),
    CALL("open_by_handle_at"),
    CALL("reboot"),
    {{"userns", "nested user namespace", "system calls"}, K_USERNS, "userns", NULL, 0},
    {{"root", "read-only root", "filesystems"}, K_ROOT, "root", NULL, 0},
    {{"sys", "/sys", "filesystems"}, K_MOUNT, "sys", NULL, 0},
    {{"readonly:/proc/sys", "/proc/sys", "filesystems"}, K_MOUNT, "readonly", "/proc/sys", 0},
    {{"readonly:/proc/sysrq-trigger", "/proc/sysrq-trigger", "filesystems"},
     K_MOUNT,
     "readonly",
     "/proc/sysrq-trigger",
     0},
    MASK("/proc/kcore"),
    MASK("/proc/keys"),
    MASK("/proc/timer_list"),
    MASK("/proc/sched_debug"),
    MASK("/proc/acpi"),
    MASK("/proc/scsi"),
    MASK("/sys/firmware"),
    MASK("/sys/devices/virtual/powercap"),
    {{"device.char", "char device c 4 1", "devices"}, K_DEVICE, "devices", "char", 0},
    {{"device.block", "block device (root disk)", "devices"}, K_DEVICE, "devices", "block", 0},
    {{"cgroup.memory", "memory limit writable", "cgroups"}, K_CGROUP, "cgroup", "memory", 0},
    {{"cgroup.pids", "pids limit writable", "cgroups"}, K_CGROUP, "cgroup", "pids", 0},
};
const unsigned crowd_audit_rows_len = CROWD_ARRAY_SIZE(crowd_audit_rows);

const struct crowd_audit_row_name *crowd_audit_row(unsigned row)
{
	return row < crowd_audit_rows_len ? &crowd_audit_rows[row].name : NULL;
}

void crowd_audit_host_read(struct crowd_audit_host *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < CROWD_AUDIT_NS; i++) {
		char path[64];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/self/ns/%s", crowd_audit_ns_names[i]);
		if (stat(path, &st) == 0)
			ret->ns[i] = st.st_ino;
	}
	if (crowd_read_file("/proc/sys/kernel/random/boot_id", ret->boot_id, sizeof(ret->boot_id),
			    NULL) < 0)
		ret->boot_id[0] = '\0';
	ret->boot_id[strcspn(ret->boot_id, "\n")] = '\0';
}

int crowd_audit_parse(const char *text, size_t len, json_t **ret, struct crowd_error *err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);
	if (!j)
		return crowd_error_set(err, EINVAL, "probe report: not JSON (%s at line %d)",
				       je.text, je.line);
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "probe")) != 1) {
		json_decref(j);
		return crowd_error_set(err, EINVAL,
				       "probe report: not an object with \"probe\": 1");
	}
	*ret = j;
	return 0;
}

/* ---- cells */

__attribute__((format(printf, 3, 4))) static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The row's value: report[field] or report[field][arg]; NULL when absent. */
static const json_t *value(const struct crowd_audit_row *r, const json_t *report)
{
	const json_t *v = json_object_get(report, r->field);
	return r->arg && r->kind != K_CAPBIT ? json_object_get(v, r->arg) : v;
}

/* Capabilities set in a /proc/self/status hex mask, among 0..last. -1 when unreadable. */
static int cap_count(const char *hex, int last, uint64_t *ret_mask)
{
	char *end;
	errno = 0;
	unsigned long long m = strtoull(hex, &end, 16);
	if (errno || end == hex || *end)
		return -1;
	if (last >= 0 && last < 63)
		m &= (2ULL << last) - 1;
	*ret_mask = m;
	return __builtin_popcountll(m);
}

static void cell_caps(const struct crowd_audit_row *r, const json_t *report, const char *hex,
		      char *buf, size_t len)
{
	json_int_t last = json_integer_value(json_object_get(report, "cap_last_cap"));
	uint64_t m;
	int n = cap_count(hex, last > 0 ? (int)last : 63, &m);
	if (n < 0)
		put(buf, len, "?");
	else if (r->kind == K_CAPBIT)
		put(buf, len, "%s", m >> r->bit & 1 ? "yes!" : "no");
	else if (n == 0)
		put(buf, len, "none");
	else if (last > 0 && n == last + 1)
		put(buf, len, "all (%d)", n);
	else
		put(buf, len, "%d of %lld", n, last > 0 ? (long long)last + 1 : 64LL);
}

static bool is_errno_refusal(const char *s)
{
	return !strcmp(s, "EPERM") || !strcmp(s, "EACCES") || !strcmp(s, "ENOSYS");
}

static void cell_device(const json_t *report, const json_t *v, char *buf, size_t len)
{
	const char *mk = json_string_value(json_object_get(v, "mknod"));
	const char *op = json_string_value(json_object_get(v, "open"));
	const json_t *nodev = json_object_get(json_object_get(report, "devices"), "nodev");
	if (!mk)
		put(buf, len, "?");
	else if (strcmp(mk, "ok"))
		put(buf, len, "mknod %s", mk);
	else if (!op)
		put(buf, len, "?");
	else if (!strcmp(op, "ok"))
		put(buf, len, "opened!");
	else if (!strcmp(op, "EACCES") && json_integer_value(nodev))
		put(buf, len, "nodev"); /* only mounts with nodev were writable: untested */
	else if (is_errno_refusal(op))
		put(buf, len, "%s", op);
	else
		put(buf, len, "allowed (%s)", op); /* past the device check; no such device */
}

static void cell_uidmap(const json_t *v, char *buf, size_t len)
{
	const char *first = json_string_value(json_array_get(v, 0));
	unsigned long long in, out, count;
	if (!first || sscanf(first, "%llu %llu %llu", &in, &out, &count) != 3)
		put(buf, len, "?");
	else if (in == 0 && out == 0 && count == 4294967295ULL)
		put(buf, len, "host (identity)");
	else
		put(buf, len, "%llu->%llu x%llu%s", in, out, count,
		    json_array_size(v) > 1 ? " ..." : "");
}

static void cell_ifaces(const json_t *v, char *buf, size_t len)
{
	size_t i, off = 0, n = 0;
	json_t *e;
	if (!json_is_array(v)) {
		put(buf, len, "?");
		return;
	}
	buf[0] = '\0';
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);
		if (!s || !strcmp(s, "lo"))
			continue;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", n ? "," : "", s);
		n++;
	}
	if (!n)
		put(buf, len, "none");
}

/* own / HOST for a namespace; "guest" when the probe ran on another kernel (a VM). */
static void cell_ns(const struct crowd_audit_row *r, const json_t *report,
		    const struct crowd_audit_host *host, const json_t *v, char *buf, size_t len)
{
	const char *boot = json_string_value(json_object_get(report, "boot_id"));
	if (!json_is_integer(v)) {
		put(buf, len, "?");
		return;
	}
	if (boot && host->boot_id[0] && strcmp(boot, host->boot_id)) {
		put(buf, len, "guest");
		return;
	}
	for (unsigned i = 0; i < CROWD_AUDIT_NS; i++)
		if (!strcmp(crowd_audit_ns_names[i], r->arg)) {
			bool same = host->ns[i] && (uint64_t)json_integer_value(v) == host->ns[i];
			put(buf, len, "%s", same ? "HOST" : "own");
			return;
		}
	put(buf, len, "?");
}

/* Cells from a string value, by kind; false when the kind takes something else. */
static bool cell_string(const struct crowd_audit_row *r, const char *s, char *buf, size_t len)
{
	switch (r->kind) {
	case K_STR:
		put(buf, len, "%s", s);
		return true;
	case K_SYSCALL:
		put(buf, len, "%s", is_errno_refusal(s) ? s : "reached");
		return true;
	case K_USERNS:
		put(buf, len, "%s", !strcmp(s, "ok") ? "allowed" : s);
		return true;
	case K_ROOT:
		put(buf, len, "%s", !strcmp(s, "ro") ? "on" : !strcmp(s, "rw") ? "OFF" : s);
		return true;
	case K_MOUNT:
		put(buf, len, "%s", !strcmp(s, "rw") ? "rw!" : s);
		return true;
	case K_MASKED:
		put(buf, len, "%s", !strcmp(s, "ok") ? "readable!" : s);
		return true;
	case K_CGROUP:
		put(buf, len, "%s", s); /* "absent" */
		return true;
	case K_KERNEL:
	case K_NS:
	case K_INT:
	case K_IFACES:
	case K_UIDMAP:
	case K_SECCOMP:
	case K_ONOFF:
	case K_CAPS:
	case K_CAPBIT:
	case K_DEVICE:
		return false;
	}
	return false;
}

static void cell_other(const struct crowd_audit_row *r, const json_t *report,
		       const struct crowd_audit_host *host, const json_t *v, char *buf, size_t len)
{
	json_int_t n = json_integer_value(v);
	switch (r->kind) {
	case K_KERNEL: {
		const char *boot = json_string_value(v);
		const char *rel = json_string_value(json_object_get(report, "kernel"));
		if (!boot || !host->boot_id[0])
			put(buf, len, "?");
		else if (!strcmp(boot, host->boot_id))
			put(buf, len, "HOST");
		else
			put(buf, len, "own %s", rel ? rel : "");
		return;
	}
	case K_NS:
		cell_ns(r, report, host, v, buf, len);
		return;
	case K_INT:
		put(buf, len, "%lld", (long long)n);
		return;
	case K_IFACES:
		cell_ifaces(v, buf, len);
		return;
	case K_UIDMAP:
		cell_uidmap(v, buf, len);
		return;
	case K_SECCOMP:
		put(buf, len, "%s", n == 0 ? "OFF" : n == 1 ? "1 (strict)" : "2 (filter)");
		return;
	case K_ONOFF:
		put(buf, len, "%s", n ? "on" : "OFF");
		return;
	case K_CAPS:
		cell_caps(r, report, json_string_value(v), buf, len);
		return;
	case K_CAPBIT:
		cell_caps(r, report, json_string_value(json_object_get(v, r->arg)), buf, len);
		return;
	case K_DEVICE:
		cell_device(report, v, buf, len);
		return;
	case K_CGROUP: {
		const char *o = json_string_value(json_object_get(v, "open_w"));
		put(buf, len, "%s", !o ? "?" : !strcmp(o, "ok") ? "writable!" : o);
		return;
	}
	case K_STR:
	case K_SYSCALL:
	case K_USERNS:
	case K_ROOT:
	case K_MOUNT:
	case K_MASKED:
		put(buf, len, "?");
		return;
	}
}

/* Whether v has the JSON type the row's kind reads. */
static bool typed(const struct crowd_audit_row *r, const json_t *v)
{
	switch (r->kind) {
	case K_KERNEL:
		return json_is_string(v);
	case K_INT:
	case K_NS:
	case K_SECCOMP:
	case K_ONOFF:
		return json_is_integer(v);
	case K_IFACES:
	case K_UIDMAP:
		return json_is_array(v);
	case K_CAPS:
		return json_is_string(v) && json_string_value(v)[0];
	case K_CAPBIT:
	case K_DEVICE:
		return json_is_object(v);
	case K_CGROUP:
		return json_is_object(v) || json_is_string(v);
	case K_STR:
	case K_SYSCALL:
	case K_USERNS:
	case K_ROOT:
	case K_MOUNT:
	case K_MASKED:
		return json_is_string(v);
	}
	return false;
}

void crowd_audit_cell(unsigned row, const json_t *report, const struct crowd_audit_host *host,
		      char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = '\0';
	if (row >= crowd_audit_rows_len || !json_is_object(report)) {
		put(buf, len, "?");
		return;
	}
	const struct crowd_audit_row *r = &crowd_audit_rows[row];
	const json_t *v = value(r, report);
	if (!v && r->kind == K_STR && !strcmp(r->field, "lsm"))
		put(buf, len, "none"); /* no LSM answers /proc/self/attr/current */
	else if (!v || !typed(r, v))
		put(buf, len, "?");
	else if (!json_is_string(v) || !cell_string(r, json_string_value(v), buf, len))
		cell_other(r, report, host, v, buf, len);
}
