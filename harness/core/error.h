/* Errors of the library: a small fixed-size, caller-owned object filled by the failing
 * function, which returns -errno. Fixed size so a cloned child can write it whole to the
 * parent through the sync pipe. The library never prints; bench/ does. */
#ifndef CROWD_ERROR_H
#define CROWD_ERROR_H

#include <errno.h>

struct crowd_error {
	int code;       /* positive errno, 0 when no error */
	char msg[248];  /* "what failed: why" */
};

/* Fill err (may be NULL) and return -code. code is a positive errno. */
int crowd_error_set(struct crowd_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like crowd_error_set, adding ": strerror(code)". */
int crowd_error_errno(struct crowd_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "context: " in front of the message already in err; return -err->code. */
int crowd_error_prefix(struct crowd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void crowd_error_clear(struct crowd_error *err);

#endif
