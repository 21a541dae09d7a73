#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int error_vset(struct crowd_error *err, int code, const char *suffix, const char *fmt,
		      va_list ap)
{
	if (code <= 0)
		code = EIO;
	if (!err)
		return -code;
	err->code = code;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	if (suffix && n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", suffix);
	return -code;
}

int crowd_error_set(struct crowd_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_vset(err, code, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int crowd_error_errno(struct crowd_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = error_vset(err, code, strerror(code > 0 ? code : EIO), fmt, ap);
	va_end(ap);
	return r;
}

int crowd_error_prefix(struct crowd_error *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	char both[2 * sizeof(err->msg) + 2];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(both, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(err->msg))
		n = sizeof(err->msg) - 1;
	both[n++] = ':';
	both[n++] = ' ';
	memcpy(both + n, err->msg, sizeof(err->msg));
	both[n + sizeof(err->msg) - 1] = '\0';
	memcpy(err->msg, both, sizeof(err->msg) - 1);
	err->msg[sizeof(err->msg) - 1] = '\0';
	if (err->code <= 0)
		err->code = EIO;
	return -err->code;
}

void crowd_error_clear(struct crowd_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
