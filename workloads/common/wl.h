/* Shared by every workload: readiness, argument parsing, signal set-up. Built twice: with
 * musl into each static workload, and with the host compiler into build/libwl.a for tests. */
#ifndef CROWD_WL_H
#define CROWD_WL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Write one byte to the fd named by CROWD_READY_FD (if set) and close it; without it, open
 * the FIFO named by CROWD_READY_PATH (if set) and write the byte there. Quietly does
 * nothing when neither is set or the reader is gone (EPIPE, ENXIO); -errno when one is set
 * but unusable (not a number, not an open fd, a path that cannot be opened). */
int wl_ready_notify(void);

/* "64M", "16k", "4096", "1G": bytes, binary multiples (K/M/G/T, optional "iB"/"B").
 * 0 on success, -EINVAL for malformed text, -ERANGE above max. */
int wl_parse_size(const char *text, uint64_t max, uint64_t *ret_bytes);
/* Decimal unsigned integer without sign or suffix, at most max. */
int wl_parse_uint(const char *text, uint64_t max, uint64_t *ret);
/* "5", "5s", "250ms", "2m": a duration in milliseconds, at most max_ms. */
int wl_parse_duration_ms(const char *text, uint64_t max_ms, uint64_t *ret_ms);

/* If argv[*i] is option NAME ("--name VALUE" or "--name=VALUE"), set *ret_value (moving *i
 * past a separate value) and return true. A missing value is bad input: exit 2. */
bool wl_opt(const char *prog, int argc, char **argv, int *i, const char *name,
	    const char **ret_value);

/* Print "PROG: MESSAGE" (one line) to stderr and exit 2: bad input. */
__attribute__((noreturn, format(printf, 2, 3))) void wl_usage_fail(const char *prog,
								   const char *fmt, ...);
/* Print "PROG: MESSAGE: strerror(-err)" to stderr and exit 1: runtime failure. */
__attribute__((noreturn, format(printf, 3, 4))) void wl_die(const char *prog, int err,
							    const char *fmt, ...);

/* Block SIGTERM, SIGINT (and SIGCHLD when with_chld) so they can be taken with
 * signalfd/sigwaitinfo, and give them a no-op handler: as pid 1 of a pid namespace a signal
 * with the default disposition would otherwise be dropped. Fills ret_set. */
int wl_signals_block(bool with_chld, sigset_t *ret_set);

#endif
