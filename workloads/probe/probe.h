/* The probe's findings: what the container it runs in lets it see and do, collected once and
 * written as one JSON object (docs/audit.md lists the keys). Every check is harmless: calls
 * are made with arguments the kernel rejects after its permission checks, device nodes are
 * only opened, files are only opened (never written), and whatever it makes it removes. */
#ifndef CROWD_PROBE_H
#define CROWD_PROBE_H

#include <stddef.h>

/* A growing text buffer; on allocation failure it stays as it was and oom is set. */
struct probe_buf {
	char *s;
	size_t len, cap;
	int oom;
};

/* Collect every finding into buf as one JSON object. 0, or -ENOMEM. */
int probe_collect(struct probe_buf *buf);

void probe_buf_free(struct probe_buf *buf);

/* The short name of an errno value ("EPERM"), "ok" for 0, "E<n>" for one it does not know. */
const char *probe_errno_name(int e, char *tmp, size_t len);

#endif
