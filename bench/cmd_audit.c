/* crowd audit: which security switches each backend turns on, probed from inside one
 * container per backend (engine/audit.h), as a table, Markdown or JSON. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "engine/audit.h"
#include "fleet.h"
#include "opts.h"

struct audit_args {
	struct crowd_config *cfg;
	bool json, markdown;
};

static void parse_backend(const char *cmd, const char *arg, void *dst)
{
	struct audit_args *a = dst;
	crowd_opts_backends(cmd, arg, a->cfg);
}

static const struct crowd_opt audit_opts[] = {
    {"backend", 0, 0, CROWD_OPT_TEXT, "LIST", "backends to audit, e.g. core,process", .def = "all",
     .parse = parse_backend},
    {"json", 0, 0, CROWD_OPT_FLAG, NULL, "the cells and each probe's raw report as JSON",
     CROWD_OPT_AT(struct audit_args, json)},
    {"markdown", 0, 0, CROWD_OPT_FLAG, NULL, "the table in Markdown",
     CROWD_OPT_AT(struct audit_args, markdown)},
    {0},
};

static int print(const struct crowd_audit *a, const struct audit_args *args)
{
	if (args->json) {
		json_t *j = crowd_audit_json(a);
		if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) < 0) {
			json_decref(j);
			crowd_warn("audit", "writing JSON: out of memory");
			return CROWD_EXIT_FAIL;
		}
		json_decref(j);
		fputc('\n', stdout);
		return CROWD_EXIT_OK;
	}
	char *s = crowd_audit_render(a, args->markdown ? CROWD_AUDIT_MARKDOWN : CROWD_AUDIT_TEXT);
	if (!s) {
		crowd_warn("audit", "writing the table: out of memory");
		return CROWD_EXIT_FAIL;
	}
	fputs(s, stdout);
	free(s);
	return CROWD_EXIT_OK;
}

int crowd_cmd_audit(int argc, char **argv)
{
	struct crowd_config cfg;
	struct audit_args args = {.cfg = &cfg};
	struct crowd_opts_cmd cmd = {
	    .name = "audit",
	    .synopsis = "crowd audit [--backend LIST] [--json | --markdown] [OPTIONS]",
	    .description =
		"Start one probe container per backend (default: every backend; the ones that\n"
		"cannot run here are listed with their reason), read what each turned on from\n"
		"inside (seccomp, capabilities, no_new_privs, read-only root and /sys, masked\n"
		"/proc paths, device nodes, nested user namespaces, namespaces, uid map,\n"
		"writable cgroup limits), tear all down and print a table: rows are features,\n"
		"columns backends. The container options below apply as in crowd bench.\n"
		"docs/audit.md explains every row and cell.",
	    .groups = CROWD_OPTS_CONTAINER | CROWD_OPTS_VM,
	    .extra = audit_opts,
	    .ctx = &args,
	};
	crowd_config_init(&cfg);
	int optind_ = crowd_opts_parse(&cmd, argc, argv, &cfg);
	if (optind_ < argc)
		crowd_usage_error("audit", "'%s': unexpected argument (audit takes options only)",
				  argv[optind_]);
	if (args.json && args.markdown)
		crowd_usage_error("audit", "--json and --markdown: pick one");

	struct crowd_audit a;
	struct crowd_error err = {0};
	if (crowd_audit_open(&cfg, &a, &err) < 0)
		return crowd_report("audit", &err);
	crowd_fleet_signals(a.launch);
	int r = crowd_audit_collect(&a, &err);
	struct crowd_error terr = {0};
	int tr = crowd_audit_close(&a, &terr);
	crowd_fleet_signals(NULL);

	int rc = r == -EINTR ? 130 : print(&a, &args);
	if (r < 0 && r != -EINTR)
		rc = crowd_report("audit", &err);
	else if (r == -EINTR)
		crowd_warn("audit", "interrupted");
	if (tr < 0) {
		crowd_warn("audit", "teardown: %s", terr.msg);
		rc = CROWD_EXIT_LEFTOVER;
	}
	crowd_audit_free(&a);
	return rc;
}
