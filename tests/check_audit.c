/* crowd audit's report parser, cells and views: a full report, one with fields missing or of
 * the wrong type, garbage, the text/Markdown/JSON views, and the probe's own collector run on
 * this host read back by the parser (every row it knows answered). */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/probe/probe.h"
#include "engine/audit.h"
#include "testutil.h"

/* A report as the probe writes it, from a container with its own namespaces (ids 1..8). */
static const char good[] =
    "{\"probe\":1,\"uid\":0,\"euid\":0,\"uid_map\":[\"0 100000 65536\"],"
    "\"boot_id\":\"host-boot\",\"kernel\":\"6.1.0\","
    "\"ns\":{\"pid\":1,\"net\":2,\"mnt\":3,\"user\":4,\"uts\":5,\"ipc\":6,\"cgroup\":7,\"time\":8},"
    "\"pid\":1,\"pid1\":\"probe\",\"procs\":1,\"ifaces\":[\"lo\",\"eth0\"],"
    "\"no_new_privs\":1,\"seccomp\":2,\"seccomp_filters\":1,"
    "\"caps\":{\"inh\":\"0000000000000000\",\"prm\":\"00000000a80425fb\","
    "\"eff\":\"00000000a80425fb\",\"bnd\":\"000001ffffffffff\",\"amb\":\"0000000000000000\"},"
    "\"cap_last_cap\":40,"
    "\"syscalls\":{\"keyctl\":\"EPERM\",\"add_key\":\"EFAULT\",\"bpf\":\"ENOSYS\"},"
    "\"userns\":\"EPERM\",\"root\":\"ro\",\"root_access_w\":\"EROFS\",\"sys\":\"rw\","
    "\"masked\":{\"/proc/kcore\":\"masked\",\"/proc/keys\":\"ok\",\"/proc/acpi\":\"absent\","
    "\"/proc/timer_list\":\"EACCES\"},"
    "\"readonly\":{\"/proc/sys\":\"ro\"},"
    "\"devices\":{\"nodev\":0,\"char\":{\"node\":\"c 4 1\",\"mknod\":\"ok\",\"open\":\"ok\"},"
    "\"block\":{\"node\":\"b 7 0\",\"mknod\":\"EPERM\"}},"
    "\"cgroup\":{\"memory\":{\"file\":\"/sys/fs/cgroup/memory.max\",\"open_w\":\"ok\"},"
    "\"pids\":\"absent\"}}";

static const struct crowd_audit_host host = {
    .ns = {1, 99, 99, 4, 99, 99, 99, 99}, /* shares pid and user with the report */
    .boot_id = "host-boot",
};

static unsigned row_of(const char *key)
{
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		if (!strcmp(crowd_audit_row(r)->key, key))
			return r;
	ck_abort_msg("no row %s", key);
	return 0;
}

static json_t *parse_ok(const char *text)
{
	json_t *j = NULL;
	struct crowd_error err = {0};
	ck_assert_int_eq(crowd_audit_parse(text, strlen(text), &j, &err), 0);
	ck_assert_ptr_nonnull(j);
	return j;
}

#define ck_cell(report, h, key, want)                                                              \
	do {                                                                                       \
		char cell_[64];                                                                    \
		crowd_audit_cell(row_of(key), report, h, cell_, sizeof(cell_));                    \
		ck_assert_msg(!strcmp(cell_, want), "%s: '%s', want '%s'", key, cell_, want);      \
	} while (0)

START_TEST(test_cells_good)
{
	json_t *j = parse_ok(good);
	ck_cell(j, &host, "kernel", "HOST");
	ck_cell(j, &host, "ns.pid", "HOST");
	ck_cell(j, &host, "ns.net", "own");
	ck_cell(j, &host, "ns.user", "HOST");
	ck_cell(j, &host, "pid1", "probe");
	ck_cell(j, &host, "procs", "1");
	ck_cell(j, &host, "ifaces", "eth0");
	ck_cell(j, &host, "uid_map", "0->100000 x65536");
	ck_cell(j, &host, "caps.eff", "14 of 41");
	ck_cell(j, &host, "caps.bnd", "all (41)");
	ck_cell(j, &host, "caps.amb", "none");
	ck_cell(j, &host, "cap_sys_admin", "no");
	ck_cell(j, &host, "no_new_privs", "on");
	ck_cell(j, &host, "seccomp", "2 (filter)");
	ck_cell(j, &host, "lsm", "none");
	ck_cell(j, &host, "syscall.keyctl", "EPERM");
	ck_cell(j, &host, "syscall.add_key", "reached");
	ck_cell(j, &host, "syscall.bpf", "ENOSYS");
	ck_cell(j, &host, "userns", "EPERM");
	ck_cell(j, &host, "root", "on");
	ck_cell(j, &host, "sys", "rw!");
	ck_cell(j, &host, "readonly:/proc/sys", "ro");
	ck_cell(j, &host, "masked:/proc/kcore", "masked");
	ck_cell(j, &host, "masked:/proc/keys", "readable!");
	ck_cell(j, &host, "masked:/proc/acpi", "absent");
	ck_cell(j, &host, "masked:/proc/timer_list", "EACCES");
	ck_cell(j, &host, "device.char", "opened!");
	ck_cell(j, &host, "device.block", "mknod EPERM");
	ck_cell(j, &host, "cgroup.memory", "writable!");
	ck_cell(j, &host, "cgroup.pids", "absent");

	/* Another kernel (a VM's guest): namespaces are the guest's, not comparable. */
	struct crowd_audit_host other = host;
	snprintf(other.boot_id, sizeof(other.boot_id), "other-boot");
	ck_cell(j, &other, "kernel", "own 6.1.0");
	ck_cell(j, &other, "ns.pid", "guest");
	json_decref(j);
}
END_TEST

/* Variants of single fields, each in a report of its own. */
START_TEST(test_cells_variants)
{
	static const struct {
		const char *report, *key, *want;
	} cases[] = {
	    {"{\"probe\":1,\"seccomp\":0}", "seccomp", "OFF"},
	    {"{\"probe\":1,\"seccomp\":1}", "seccomp", "1 (strict)"},
	    {"{\"probe\":1,\"no_new_privs\":0}", "no_new_privs", "OFF"},
	    {"{\"probe\":1,\"root\":\"rw\"}", "root", "OFF"},
	    {"{\"probe\":1,\"userns\":\"ok\"}", "userns", "allowed"},
	    {"{\"probe\":1,\"lsm\":\"docker-default (enforce)\"}", "lsm",
	     "docker-default (enforce)"},
	    {"{\"probe\":1,\"uid_map\":[\"0 0 4294967295\"]}", "uid_map", "host (identity)"},
	    {"{\"probe\":1,\"ifaces\":[\"lo\"]}", "ifaces", "none"},
	    {"{\"probe\":1,\"ifaces\":[\"lo\",\"eth0\",\"wg0\"]}", "ifaces", "eth0,wg0"},
	    {"{\"probe\":1,\"cap_last_cap\":40,\"caps\":{\"eff\":\"000001ffffffffff\"}}",
	     "cap_sys_admin", "yes!"},
	    {"{\"probe\":1,\"devices\":{\"char\":{\"mknod\":\"ok\",\"open\":\"ENXIO\"}}}",
	     "device.char", "allowed (ENXIO)"},
	    {"{\"probe\":1,\"devices\":{\"char\":{\"mknod\":\"ok\",\"open\":\"EPERM\"}}}",
	     "device.char", "EPERM"},
	    {"{\"probe\":1,\"devices\":{\"nodev\":1,\"char\":{\"mknod\":\"ok\",\"open\":\"EACCES\"}"
	     "}}",
	     "device.char", "nodev"},
	    {"{\"probe\":1,\"cgroup\":{\"pids\":{\"open_w\":\"EROFS\"}}}", "cgroup.pids", "EROFS"},
	    {"{\"probe\":1,\"readonly\":{\"/proc/sysrq-trigger\":\"absent\"}}",
	     "readonly:/proc/sysrq-trigger", "absent"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = parse_ok(cases[i].report);
		ck_cell(j, &host, cases[i].key, cases[i].want);
		json_decref(j);
	}
}
END_TEST

/* Fields missing or of the wrong type are "?", never a guess; no row crashes on them. */
START_TEST(test_cells_missing)
{
	json_t *empty = parse_ok("{\"probe\":1}");
	json_t *wrong = parse_ok(
	    "{\"probe\":1,\"seccomp\":\"two\",\"caps\":{\"eff\":\"zz\",\"bnd\":7},\"ns\":[1],"
	    "\"uid_map\":[\"x\"],\"ifaces\":\"lo\",\"syscalls\":{\"bpf\":1},\"devices\":{\"char\":"
	    "{\"open\":\"ok\"}},\"cgroup\":{\"memory\":{}},\"root\":1,\"boot_id\":5,\"lsm\":3}");
	char cell[64];
	for (unsigned r = 0; r < crowd_audit_rows_len; r++) {
		const char *key = crowd_audit_row(r)->key;
		crowd_audit_cell(r, empty, &host, cell, sizeof(cell));
		ck_assert_msg(!strcmp(cell, !strcmp(key, "lsm") ? "none" : "?"), "%s: '%s'", key,
			      cell);
		crowd_audit_cell(r, wrong, &host, cell, sizeof(cell));
		ck_assert_msg(!strcmp(cell, "?"), "%s (wrong type): '%s'", key, cell);
	}
	crowd_audit_cell(crowd_audit_rows_len, empty, &host, cell, sizeof(cell));
	ck_assert_str_eq(cell, "?");
	crowd_audit_cell(0, NULL, &host, cell, sizeof(cell));
	ck_assert_str_eq(cell, "?");
	ck_assert_ptr_null(crowd_audit_row(crowd_audit_rows_len));
	json_decref(empty);
	json_decref(wrong);
}
END_TEST

START_TEST(test_parse_garbage)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "[1,2]",
	    "{\"probe\":2}",
	    "{\"uid\":0}",
	    "{\"probe\":1",
	    "\"probe\"",
	    "{\"probe\":\"1\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = NULL;
		struct crowd_error err = {0};
		ck_assert_int_eq(crowd_audit_parse(bad[i], strlen(bad[i]), &j, &err), -EINVAL);
		ck_assert_ptr_null(j);
		ck_assert_msg(strstr(err.msg, "probe report"), "'%s': %s", bad[i], err.msg);
	}
}
END_TEST

/* One backend that ran, one unavailable: the table shows the first, lists the second. */
static void two_columns(struct crowd_audit *a)
{
	memset(a, 0, sizeof(*a));
	a->host = host;
	a->n_col = 2;
	a->col[0] = (struct crowd_audit_column){.backend = "core", .available = true, .ran = true};
	a->col[0].report = parse_ok(good);
	a->col[1] = (struct crowd_audit_column){.backend = "vm", .available = false};
	snprintf(a->col[1].reason, sizeof(a->col[1].reason), "no /dev/kvm");
	a->n_ran = 1;
}

START_TEST(test_render_text)
{
	struct crowd_audit a;
	two_columns(&a);
	char *s = crowd_audit_render(&a, CROWD_AUDIT_TEXT);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "core\n") && !strstr(s, " vm "), "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "system calls:\n"));
	const char *line = strstr(s, "  seccomp ");
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(strncmp(line + strcspn(line, "2"), "2 (filter)\n", 11), 0);
	/* The cells start where the header's backend name does. */
	ck_assert_int_eq(strcspn(line, "2"), strstr(s, "core\n") - s);
	ck_assert_ptr_nonnull(strstr(s, "\nunavailable vm: no /dev/kvm\n"));
	/* One line per row, a heading per group, the header, a blank before each later group
	 * and before the list of the rest. */
	size_t lines = 0, groups = 0;
	for (const char *p = s; *p; p++)
		lines += *p == '\n';
	for (unsigned r = 0; r < crowd_audit_rows_len; r++)
		groups +=
		    r == 0 || strcmp(crowd_audit_row(r)->group, crowd_audit_row(r - 1)->group);
	ck_assert_uint_eq(lines, 1 + crowd_audit_rows_len + groups + (groups - 1) + 2);
	free(s);
	crowd_audit_free(&a);
}
END_TEST

START_TEST(test_render_markdown)
{
	struct crowd_audit a;
	two_columns(&a);
	char *s = crowd_audit_render(&a, CROWD_AUDIT_MARKDOWN);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(!strncmp(s, "| feature | core |\n|---|---|\n", 29), "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "\n| seccomp | 2 (filter) |\n"));
	ck_assert_ptr_nonnull(strstr(s, "\n| **privileges** | |\n"));
	ck_assert_ptr_nonnull(strstr(s, "\n- unavailable vm: no /dev/kvm\n"));
	free(s);

	/* Nothing ran: no table, only the reasons. */
	a.col[0].ran = false;
	snprintf(a.col[0].reason, sizeof(a.col[0].reason), "probe did not start");
	s = crowd_audit_render(&a, CROWD_AUDIT_TEXT);
	ck_assert_str_eq(s, "failed core: probe did not start\nunavailable vm: no /dev/kvm\n");
	free(s);
	crowd_audit_free(&a);
}
END_TEST

START_TEST(test_json)
{
	struct crowd_audit a;
	two_columns(&a);
	json_t *j = crowd_audit_json(&a);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "rows")), crowd_audit_rows_len);
	json_t *b0 = json_array_get(json_object_get(j, "backends"), 0);
	json_t *b1 = json_array_get(json_object_get(j, "backends"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(b0, "name")), "core");
	ck_assert(json_is_true(json_object_get(b0, "ran")));
	ck_assert_str_eq(
	    json_string_value(json_object_get(json_object_get(b0, "cells"), "seccomp")),
	    "2 (filter)");
	ck_assert_uint_eq(json_object_size(json_object_get(b0, "cells")), crowd_audit_rows_len);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(b0, "report"), "seccomp")), 2);
	ck_assert(json_is_false(json_object_get(b1, "available")));
	ck_assert_str_eq(json_string_value(json_object_get(b1, "reason")), "no /dev/kvm");
	ck_assert_ptr_null(json_object_get(b1, "cells"));
	json_decref(j);
	crowd_audit_free(&a);
}
END_TEST

/* The probe's collector, run here, and the parser agree: every row gets an answer, and seen
 * from the same process, every namespace is the host's. */
START_TEST(test_probe_roundtrip)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(probe_collect(f), 0);
	ck_assert_int_eq(fclose(f), 0);
	json_t *j = NULL;
	struct crowd_error err = {0};
	ck_assert_msg(crowd_audit_parse(text, len, &j, &err) == 0, "%s\n%s", err.msg, text);
	struct crowd_audit_host self;
	crowd_audit_host_read(&self);
	char cell[64];
	for (unsigned r = 0; r < crowd_audit_rows_len; r++) {
		crowd_audit_cell(r, j, &self, cell, sizeof(cell));
		ck_assert_msg(strcmp(cell, "?") && cell[0], "%s: '%s'", crowd_audit_row(r)->key,
			      cell);
	}
	ck_cell(j, &self, "kernel", "HOST");
	ck_cell(j, &self, "ns.pid", "HOST");
	ck_cell(j, &self, "ns.net", "HOST");
	json_decref(j);
	free(text);
}
END_TEST

static Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("report");
	tcase_add_test(tc, test_cells_good);
	tcase_add_test(tc, test_cells_variants);
	tcase_add_test(tc, test_cells_missing);
	tcase_add_test(tc, test_parse_garbage);
	tcase_add_test(tc, test_render_text);
	tcase_add_test(tc, test_render_markdown);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_probe_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return crowd_test_run(audit_suite());
}
