/* crowd info [--json]: what this host offers a container benchmark, and which backends can
 * run here (or why not). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "cli.h"
#include "engine/host.h"
#include "opts.h"
#include "results/units.h"
#include "core/util.h"
#include "version.h"

struct info_ctx {
	bool json;
};

static const struct crowd_opt info_opts[] = {
    {"json", 0, 0, CROWD_OPT_FLAG, NULL, "one JSON object on stdout instead of the table",
     CROWD_OPT_AT(struct info_ctx, json)},
    {0},
};

static const struct crowd_opts_cmd info_cmd = {
    .name = "info",
    .synopsis = "crowd info [--json]",
    .description =
	"Kernel, CPU model and topology (hwloc), memory, cgroup layout, namespaces and user\n"
	"namespaces available, crowd's own capabilities (libcap), and each backend: available,\n"
	"or unavailable with the reason.",
    .extra = info_opts,
};

struct backend_state {
	const char *name;
	bool available;
	char reason[256];
};

static void probe_backends(struct backend_state *st)
{
	struct crowd_config cfg;
	struct crowd_error err = {0};
	/* the defaults `crowd bench` would use: httpd from the rootfs make builds */
	crowd_config_init(&cfg);
	cfg.rootfs = crowd_opts_default_rootfs();
	if (crowd_workload_parse("httpd", &cfg.workload, &err) < 0) {
		for (unsigned i = 0; i < crowd_backends_len; i++) {
			st[i].name = crowd_backends[i]->name;
			st[i].available = false;
			snprintf(st[i].reason, sizeof(st[i].reason), "default workload: %.200s",
				 err.msg);
		}
		return;
	}
	for (unsigned i = 0; i < crowd_backends_len; i++) {
		const struct crowd_backend *b = crowd_backends[i];
		st[i].name = b->name;
		st[i].reason[0] = '\0';
		cfg.backends[0] = b->name;
		cfg.n_backends = 1;
		struct crowd_error perr = {0};
		st[i].available = b->probe(&cfg, &perr) == 0;
		if (!st[i].available && !perr.msg[0])
			snprintf(perr.msg, sizeof(perr.msg), "probe failed without a reason");
		snprintf(st[i].reason, sizeof(st[i].reason), "%s", st[i].available ? "" : perr.msg);
	}
	crowd_workload_inst_free(&cfg.workload);
}

static int print_json(const struct crowd_host *h, const struct backend_state *st)
{
	json_t *root = crowd_host_json(h);
	if (!root)
		return CROWD_EXIT_FAIL;
	json_object_set_new(root, "crowd_version", json_string(CROWD_VERSION));
	json_object_set_new(root, "git", json_string(CROWD_GIT));
	json_t *backends = json_object();
	for (unsigned i = 0; i < crowd_backends_len; i++) {
		json_t *b = json_pack("{s:b}", "available", st[i].available);
		if (!st[i].available)
			json_object_set_new(b, "reason", json_string(st[i].reason));
		json_object_set_new(backends, st[i].name, b);
	}
	json_object_set_new(root, "backends", backends);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return CROWD_EXIT_FAIL;
	puts(text);
	free(text);
	return CROWD_EXIT_OK;
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static int print_text(const struct crowd_host *h, const struct backend_state *st)
{
	char a[32], b[32];
	printf("crowd %s (%s)\n", CROWD_VERSION, CROWD_GIT);
	printf("%-14s %s\n", "kernel", h->kernel[0] ? h->kernel : "(unknown)");
	printf("%-14s %s\n", "cpu", h->cpu_model[0] ? h->cpu_model : "(unknown)");
	if (h->pus > 0)
		printf("%-14s %d %s, %d NUMA %s, %d %s, %d %s\n", "topology", h->packages,
		       plural(h->packages, "package", "packages"), h->numa_nodes,
		       plural(h->numa_nodes, "node", "nodes"), h->cores,
		       plural(h->cores, "core", "cores"), h->pus, plural(h->pus, "PU", "PUs"));
	else
		printf("%-14s unavailable: %s\n", "topology", h->topology_error);
	if (h->n_caches) {
		printf("%-14s", "caches");
		for (unsigned i = 0; i < h->n_caches; i++) {
			const struct crowd_host_cache *c = &h->caches[i];
			printf("%s L%u%s %s x%u", i ? "," : "", c->level,
			       !strcmp(c->kind, "data")		 ? "d"
			       : !strcmp(c->kind, "instruction") ? "i"
								 : "",
			       crowd_units_format_size((double)c->size_bytes, a, sizeof(a)),
			       c->count);
		}
		putchar('\n');
	}
	if (h->mem_total_bytes >= 0)
		printf("%-14s %s total, %s available\n", "memory",
		       crowd_units_format_size((double)h->mem_total_bytes, a, sizeof(a)),
		       crowd_units_format_size((double)h->mem_available_bytes, b, sizeof(b)));
	printf("%-14s %s\n", "cgroups", h->cgroup_layout[0] ? h->cgroup_layout : "(undetected)");
	printf("%-14s %s\n", "namespaces", h->namespaces);
	printf("%-14s %s", "user ns", h->userns_allowed ? "allowed" : "not allowed");
	if (h->max_user_namespaces >= 0)
		printf(" (max_user_namespaces %lld", (long long)h->max_user_namespaces);
	if (h->unprivileged_userns_clone >= 0)
		printf(", unprivileged_userns_clone %d", h->unprivileged_userns_clone);
	printf("%s\n", h->max_user_namespaces >= 0 ? ")" : "");
	printf("%-14s %s (uid %u)\n", "capabilities", h->caps[0] ? h->caps : "(unknown)", h->uid);
	printf("backends\n");
	for (unsigned i = 0; i < crowd_backends_len; i++) {
		if (st[i].available)
			printf("  %-12s available\n", st[i].name);
		else
			printf("  %-12s unavailable: %s\n", st[i].name, st[i].reason);
	}
	return CROWD_EXIT_OK;
}

int crowd_cmd_info(int argc, char **argv)
{
	struct info_ctx ic = {0};
	struct crowd_host h;
	struct crowd_error err = {0};
	struct backend_state st[32];
	crowd_opts_parse_only(&info_cmd, &ic, argc, argv, NULL);
	if (crowd_backends_len > CROWD_ARRAY_SIZE(st))
		return CROWD_EXIT_FAIL;
	if (crowd_host_probe(&h, &err) < 0)
		return crowd_report("info", &err);
	probe_backends(st);
	return ic.json ? print_json(&h, st) : print_text(&h, st);
}
