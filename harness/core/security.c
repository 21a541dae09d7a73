/* The security feature table and its --security list parser. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "security.h"
#include "util.h"

const struct crowd_sec_desc crowd_sec_table[] = {
    {"nnp", CROWD_SEC_NNP, "no_new_privs: setuid binaries and file caps gain nothing"},
    {"masks", CROWD_SEC_MASKS, "Docker's masked and read-only /proc paths"},
    {"devices", CROWD_SEC_DEVICES, "device allowlist (v1 devices cgroup, v2 BPF program)"},
    {"seccomp", CROWD_SEC_SECCOMP, "seccomp filter (--seccomp), also refusing namespaces"},
    {"sys-ro", CROWD_SEC_SYS_RO, "/sys read-only where the container sees one"},
};
const unsigned crowd_sec_table_len = CROWD_ARRAY_SIZE(crowd_sec_table);

/* An unprivileged caller (--rootless, in a delegated cgroup) cannot load a cgroup device
 * program (CAP_SYS_ADMIN/CAP_BPF) nor write a v1 devices.deny; its containers are in a user
 * namespace, where the kernel refuses device nodes (mknod) and the bind-mounted host nodes
 * keep their host permissions, so there the allowlist is the user namespace's. */
void crowd_sec_cg_limits(unsigned bits, struct crowd_cg_limits *l)
{
	l->devices = (bits & CROWD_SEC_DEVICES) && geteuid() == 0 ? crowd_dev_default() : NULL;
}

static int sec_bad(const char *what, size_t n, const char *p, struct crowd_error *err)
{
	char allowed[96];
	crowd_sec_format(CROWD_SEC_ALL, allowed, sizeof(allowed));
	return crowd_error_set(
	    err, EINVAL, "%s '%.*s' in the security list (allowed: all, none, or a list of %s)",
	    what, (int)(n > 32 ? 32 : n), p, allowed);
}

int crowd_sec_parse(const char *list, unsigned *ret, struct crowd_error *err)
{
	unsigned bits = 0;

	if (!list || !*list)
		return sec_bad("empty name", 0, "", err);
	if (!strcmp(list, "all") || !strcmp(list, "none")) {
		*ret = list[0] == 'a' ? CROWD_SEC_ALL : 0;
		return 0;
	}
	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		unsigned i = 0;
		while (i < crowd_sec_table_len && (strlen(crowd_sec_table[i].name) != n ||
						   strncmp(p, crowd_sec_table[i].name, n)))
			i++;
		if (i == crowd_sec_table_len)
			return sec_bad(n ? "unknown feature" : "empty name", n, p, err);
		bits |= crowd_sec_table[i].bit;
		p += n;
		if (!*p)
			break;
	}
	*ret = bits;
	return 0;
}

void crowd_sec_format(unsigned bits, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	snprintf(buf, len, "none");
	for (unsigned i = 0; i < crowd_sec_table_len && off < len; i++) {
		if (!(bits & crowd_sec_table[i].bit))
			continue;
		int n =
		    snprintf(buf + off, len - off, "%s%s", off ? "," : "", crowd_sec_table[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}
