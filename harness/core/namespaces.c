/* The namespace table: names crowd uses on the command line and their CLONE_NEW* flags. */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "container.h"
#include "error.h"

const struct crowd_ns_desc crowd_ns_table[] = {
    {"pid", CLONE_NEWPID, "pid"},	   {"mnt", CLONE_NEWNS, "mnt"},
    {"uts", CLONE_NEWUTS, "uts"},	   {"ipc", CLONE_NEWIPC, "ipc"},
    {"net", CLONE_NEWNET, "net"},	   {"user", CLONE_NEWUSER, "user"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"},
};
const unsigned crowd_ns_table_len = sizeof(crowd_ns_table) / sizeof(crowd_ns_table[0]);

static unsigned long ns_all(void)
{
	unsigned long f = 0;
	for (unsigned i = 0; i < crowd_ns_table_len; i++)
		f |= crowd_ns_table[i].flag;
	return f;
}

static void ns_allowed(char *buf, size_t len)
{
	size_t off = 0;
	for (unsigned i = 0; i < crowd_ns_table_len && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					crowd_ns_table[i].name);
}

int crowd_ns_parse(const char *list, unsigned long *ret_flags, struct crowd_error *err)
{
	char allowed[96];
	unsigned long flags = 0;

	if (!list || !*list) {
		ns_allowed(allowed, sizeof(allowed));
		return crowd_error_set(err, EINVAL, "empty namespace list (allowed: all, none, %s)",
				       allowed);
	}
	if (!strcmp(list, "all")) {
		*ret_flags = ns_all();
		return 0;
	}
	if (!strcmp(list, "none")) {
		*ret_flags = 0;
		return 0;
	}
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		unsigned i;
		for (i = 0; i < crowd_ns_table_len; i++)
			if (strlen(crowd_ns_table[i].name) == n &&
			    !strncmp(p, crowd_ns_table[i].name, n))
				break;
		if (i == crowd_ns_table_len) {
			ns_allowed(allowed, sizeof(allowed));
			return crowd_error_set(
			    err, EINVAL,
			    "unknown namespace '%.*s' (allowed: all, none, or a list of %s)",
			    (int)(n > 32 ? 32 : n), p, allowed);
		}
		flags |= crowd_ns_table[i].flag;
		p += n;
		if (*p == ',') {
			p++;
			if (!*p) {
				ns_allowed(allowed, sizeof(allowed));
				return crowd_error_set(
				    err, EINVAL, "trailing ',' in namespace list (allowed: %s)",
				    allowed);
			}
		}
	}
	*ret_flags = flags;
	return 0;
}

void crowd_ns_format(unsigned long flags, char *buf, size_t len)
{
	size_t off = 0;
	if (!len)
		return;
	buf[0] = '\0';
	if (flags == 0) {
		snprintf(buf, len, "none");
		return;
	}
	for (unsigned i = 0; i < crowd_ns_table_len; i++) {
		if (!(flags & crowd_ns_table[i].flag) || off >= len)
			continue;
		int n =
		    snprintf(buf + off, len - off, "%s%s", off ? "," : "", crowd_ns_table[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}
