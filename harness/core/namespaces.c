/* The namespace table: names crowd uses and their CLONE_NEW* flags. (Written by the lead so
 * option parsing links; the core engineer owns this file.) */
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "container.h"

const struct crowd_ns_desc crowd_ns_table[] = {
	{"pid", CLONE_NEWPID, "pid"},   {"mnt", CLONE_NEWNS, "mnt"},
	{"uts", CLONE_NEWUTS, "uts"},   {"ipc", CLONE_NEWIPC, "ipc"},
	{"net", CLONE_NEWNET, "net"},   {"user", CLONE_NEWUSER, "user"},
	{"cgroup", CLONE_NEWCGROUP, "cgroup"},
};
const unsigned crowd_ns_table_len = sizeof(crowd_ns_table) / sizeof(crowd_ns_table[0]);

int crowd_ns_parse(const char *list, unsigned long *ret_flags, struct crowd_error *err)
{
	unsigned long flags = 0;
	if (!strcmp(list, "all")) {
		for (unsigned i = 0; i < crowd_ns_table_len; i++)
			flags |= crowd_ns_table[i].flag;
		*ret_flags = flags;
		return 0;
	}
	if (!strcmp(list, "none")) {
		*ret_flags = 0;
		return 0;
	}
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned i;
		for (i = 0; i < crowd_ns_table_len; i++)
			if (strlen(crowd_ns_table[i].name) == len && !strncmp(p, crowd_ns_table[i].name, len))
				break;
		if (i == crowd_ns_table_len)
			return crowd_error_set(err, EINVAL,
					       "unknown namespace '%.*s' (allowed: pid, mnt, uts, ipc, net, user, cgroup, all, none)",
					       (int)len, p);
		flags |= crowd_ns_table[i].flag;
		p += len;
		if (*p == ',')
			p++;
	}
	if (!flags)
		return crowd_error_set(err, EINVAL, "empty list (allowed: pid, mnt, uts, ipc, net, user, cgroup, all, none)");
	*ret_flags = flags;
	return 0;
}

void crowd_ns_format(unsigned long flags, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < crowd_ns_table_len && off < len; i++)
		if (flags & crowd_ns_table[i].flag)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						crowd_ns_table[i].name);
	if (!off)
		snprintf(buf, len, "none");
}
