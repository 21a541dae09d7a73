/* The seccomp policy: ONE table of denied system calls (name, errno, argument condition)
 * that both the libseccomp compiler (the core, bwrap) and the OCI JSON writer (crun, runc)
 * read. A denylist at least as strict as Docker's default profile for a container with
 * Docker's 14 capabilities, on the x86_64 ABI (the i386 and x32 ABIs are refused whole,
 * ENOSYS); it also refuses every new
 * namespace (unshare, setns, clone with CLONE_NEW*, clone3), user namespaces included.
 * A filter is compiled once per run into a classic BPF program; each container only loads
 * it (crowd_seccomp_apply) as the last step before exec. */
#ifndef CROWD_SECCOMP_H
#define CROWD_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum crowd_sc_cond {
	CROWD_SC_ALWAYS,      /* every call */
	CROWD_SC_ARG_EQ,      /* args[arg] == value */
	CROWD_SC_ARG_ANY_BIT, /* args[arg] has any bit of value (one rule per bit) */
	CROWD_SC_ARG_NOT_IN,  /* 32-bit args[arg] is neither all ones nor made only of the
			       * bits of value alone or together (personality) */
};

struct crowd_sc_row {
	const char *name;
	int errno_ret; /* EPERM, or ENOSYS for clone3 so that libc falls back to clone */
	enum crowd_sc_cond cond;
	unsigned arg;
	uint64_t value;
};
extern const struct crowd_sc_row crowd_sc_table[];
extern const unsigned crowd_sc_table_len;
#define CROWD_SC_TABLE_MAX 128 /* rows the compilers take */

/* One rule as libseccomp and OCI take it: deny name with errno_ret when (with_arg) args[arg]
 * & mask == value (masked) or args[arg] == value (not masked). */
struct crowd_sc_rule {
	const char *name;
	int errno_ret;
	bool with_arg;
	bool masked;
	unsigned arg;
	uint64_t mask, value;
};
/* The rules one row stands for (up to max); returns how many. libseccomp takes one
 * condition per argument, so a set condition becomes several rules. */
#define CROWD_SC_RULES_MAX 64
unsigned crowd_sc_expand(const struct crowd_sc_row *row, struct crowd_sc_rule *out, unsigned max);

/* A compiled filter. */
struct crowd_seccomp {
	char name[96];	  /* "default", or the profile's file name */
	char hash[17];	  /* FNV-1a 64 of the program, hex */
	unsigned rules;	  /* rules added */
	unsigned unknown; /* syscall names libseccomp knows on no ABI (skipped) */
	unsigned short len;
	struct sock_filter *insns;
};

/* Compile the table: with tree, as crowd's own program, a binary search over system call
 * numbers that the kernel walks in few steps at each load (seccomp.c); without, all through
 * libseccomp (the same policy, the reference the tests compare it with, and the fallback
 * where the tree cannot be laid out). */
int crowd_seccomp_table_compile(bool tree, struct crowd_seccomp **ret, struct crowd_error *err);
/* The default filter (the table, as a tree), compiled on first use and kept for the life of
 * the process. */
int crowd_seccomp_default(const struct crowd_seccomp **ret, struct crowd_error *err);
/* Compile an OCI or Docker seccomp JSON profile. -EINVAL naming the file and what is
 * wrong for a bad one. Free with crowd_seccomp_free. */
int crowd_seccomp_load_file(const char *path, struct crowd_seccomp **ret, struct crowd_error *err);
void crowd_seccomp_free(struct crowd_seccomp *sc);
/* In the child, after no_new_privs (or with CAP_SYS_ADMIN): install the program. No
 * malloc. */
int crowd_seccomp_apply(const struct crowd_seccomp *sc, struct crowd_error *err);
/* The program as a file descriptor holding struct sock_filter[] (bwrap's --seccomp FD),
 * positioned at its start; the caller closes it. */
int crowd_seccomp_memfd(const struct crowd_seccomp *sc, struct crowd_error *err);

/* The table as an OCI config.json "linux.seccomp" object (a new jansson reference). */
struct json_t;
struct json_t *crowd_seccomp_oci_json(void);

#endif
