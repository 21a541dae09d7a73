/* The probe's findings: what the container it runs in lets it see and do, collected once and
 * written as one JSON object (docs/audit.md lists the keys). Every check is harmless: calls
 * are made with arguments the kernel rejects after its permission checks, device nodes are
 * only opened, files are only opened (never written), and whatever it makes it removes. */
#ifndef CROWD_PROBE_H
#define CROWD_PROBE_H

#include <stddef.h>
#include <stdio.h>

/* Collect every finding and write them to out as one JSON object. 0, or -EIO when out
 * failed (out of memory for a memory stream). */
int probe_collect(FILE *out);

/* The short name of an errno value ("EPERM"), "ok" for 0, "E<n>" for one it does not know. */
const char *probe_errno_name(int e, char *tmp, size_t len);

#endif
