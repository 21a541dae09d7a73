/* Host facts (see host.h). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/utsname.h>

#include "core/cgroup.h"
#include "host.h"
#include "memory.h"
#include "topology.h"
#include "core/util.h"

static void host_cpu_model(struct crowd_host *h)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* x86: "model name", arm64: none (use "CPU part" is not a name), others "cpu". */
		if (strncmp(line, "model name", 10) && strncmp(line, "cpu\t", 4) &&
		    strncmp(line, "Processor", 9))
			continue;
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *v = colon + 1;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", v);
		break;
	}
	fclose(f);
}

/* From the crowd-topo helper (topology.h): counts -1 and the reason when it is unavailable. */
static void host_topology(struct crowd_host *h)
{
	struct crowd_error err = { 0 };
	const struct crowd_topo *t = crowd_topo_get(&err);

	h->packages = h->numa_nodes = h->cores = h->pus = -1;
	if (!t) {
		snprintf(h->topology_error, sizeof(h->topology_error), "%s", err.msg);
		return;
	}
	h->packages = t->packages;
	h->numa_nodes = t->numa_nodes;
	h->cores = t->cores;
	h->pus = t->pus;
	for (unsigned i = 0; i < t->n_caches && h->n_caches < CROWD_HOST_MAX_CACHES; i++) {
		struct crowd_host_cache *c = &h->caches[h->n_caches++];
		c->level = t->caches[i].level;
		c->kind = t->caches[i].kind;
		c->size_bytes = t->caches[i].size_bytes;
		c->count = t->caches[i].count;
	}
}

static void host_namespaces(struct crowd_host *h)
{
	DIR *d = opendir("/proc/self/ns");
	struct dirent *de;
	const char *names[16];
	size_t n = 0;

	if (!d)
		return;
	while ((de = readdir(d)) && n < CROWD_ARRAY_SIZE(names)) {
		if (de->d_name[0] == '.' || strstr(de->d_name, "_for_children"))
			continue;
		names[n++] = strdupa(de->d_name);
	}
	closedir(d);
	/* readdir order is not sorted; keep the output stable */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	size_t off = 0;
	for (size_t i = 0; i < n && off < sizeof(h->namespaces); i++)
		off += (size_t)snprintf(h->namespaces + off, sizeof(h->namespaces) - off, "%s%s",
					i ? " " : "", names[i]);
}

static void host_userns(struct crowd_host *h)
{
	int64_t v;

	h->max_user_namespaces = -1;
	h->unprivileged_userns_clone = -1;
	if (crowd_read_int64("/proc/sys/user/max_user_namespaces", &v, NULL) == 0)
		h->max_user_namespaces = v;
	if (crowd_read_int64("/proc/sys/kernel/unprivileged_userns_clone", &v, NULL) == 0)
		h->unprivileged_userns_clone = (int)v;
	h->userns_allowed = h->max_user_namespaces != 0 && h->unprivileged_userns_clone != 0 &&
			    strstr(h->namespaces, "user") != NULL;
}

static void host_caps(struct crowd_host *h)
{
	cap_t caps = cap_get_proc();
	if (!caps)
		return;
	char *text = cap_to_text(caps, NULL);
	if (text) {
		snprintf(h->caps, sizeof(h->caps), "%s", text);
		cap_free(text);
	}
	cap_free(caps);
}

int crowd_host_probe(struct crowd_host *ret, struct crowd_error *err)
{
	struct utsname u;
	struct crowd_meminfo mi;
	enum crowd_cg_layout layout;

	(void)err;
	memset(ret, 0, sizeof(*ret));
	ret->mem_total_bytes = ret->mem_available_bytes = -1;
	if (uname(&u) == 0) {
		snprintf(ret->kernel, sizeof(ret->kernel), "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
		snprintf(ret->kernel_release, sizeof(ret->kernel_release), "%s", u.release);
		snprintf(ret->machine, sizeof(ret->machine), "%s", u.machine);
	}
	host_cpu_model(ret);
	host_topology(ret);
	if (crowd_mem_host(&mi, NULL) == 0) {
		ret->mem_total_bytes = mi.total_bytes;
		ret->mem_available_bytes = mi.available_bytes;
	}
	if (crowd_cg_detect("/sys/fs/cgroup", &layout, NULL) == 0)
		snprintf(ret->cgroup_layout, sizeof(ret->cgroup_layout), "%s",
			 crowd_cg_layout_name(layout));
	host_namespaces(ret);
	host_userns(ret);
	host_caps(ret);
	ret->uid = (unsigned)geteuid();
	return 0;
}

static json_t *int_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

json_t *crowd_host_json(const struct crowd_host *h)
{
	json_t *caches = json_array();
	for (unsigned i = 0; i < h->n_caches; i++)
		json_array_append_new(caches, json_pack("{s:I,s:s,s:o,s:I}", "level",
							(json_int_t)h->caches[i].level, "kind",
							h->caches[i].kind, "size_bytes",
							int_or_null(h->caches[i].size_bytes), "count",
							(json_int_t)h->caches[i].count));
	json_t *topo = json_pack("{s:o,s:o,s:o,s:o,s:o}", "packages", int_or_null(h->packages),
				 "numa_nodes", int_or_null(h->numa_nodes), "cores",
				 int_or_null(h->cores), "pus", int_or_null(h->pus), "caches", caches);
	if (topo && h->topology_error[0])
		json_object_set_new(topo, "error", json_string(h->topology_error));

	json_t *ns = json_array();
	char buf[sizeof(h->namespaces)];
	snprintf(buf, sizeof(buf), "%s", h->namespaces);
	char *save = NULL;
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
		json_array_append_new(ns, json_string(t));

	json_t *userns = json_pack("{s:o,s:o,s:b}", "max_user_namespaces",
				   int_or_null(h->max_user_namespaces), "unprivileged_userns_clone",
				   int_or_null(h->unprivileged_userns_clone), "allowed",
				   h->userns_allowed);
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:{s:o,s:o},s:s?,s:o,s:o,s:s,s:I}", "kernel",
			 h->kernel, "kernel_release", h->kernel_release, "machine", h->machine,
			 "cpu_model", h->cpu_model, "topology", topo, "memory", "total_bytes",
			 int_or_null(h->mem_total_bytes), "available_bytes",
			 int_or_null(h->mem_available_bytes), "cgroup_layout",
			 h->cgroup_layout[0] ? h->cgroup_layout : NULL, "namespaces", ns,
			 "user_namespaces", userns, "capabilities", h->caps, "uid",
			 (json_int_t)h->uid);
}
