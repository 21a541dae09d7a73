/* crowd merge: one fleet results folder from many runs (docs/fleet.md). Rows keep their host
 * and run_id; the pooled statistics are computed from the raw samples of every host, never from
 * the hosts' percentiles; each host's own statistics and host.json are kept beside them. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "results.h"
#include "results_json.h"
#include "version.h"

struct merge {
	const char *const *dirs;
	size_t n_in;
	struct crowd_results *in; /* one per dir */
	struct crowd_sample *s;	  /* every row, in input order */
	struct crowd_sample_extra *x;
	size_t n;
	const char **hosts; /* distinct, in order of first appearance (point into x) */
	size_t n_hosts;
};

/* out may be written: it does not exist, is an empty folder, or an earlier merge's. */
static int check_out(const char *out, struct crowd_error *err)
{
	struct stat st;
	if (stat(out, &st) < 0)
		return errno == ENOENT ? 0 : crowd_error_errno(err, errno, "--out %s", out);
	if (!S_ISDIR(st.st_mode))
		return crowd_error_set(err, EINVAL,
				       "--out %s: not a folder (allowed: a new folder, an empty "
				       "one, or an earlier crowd merge's)",
				       out);
	DIR *d = opendir(out);
	if (!d)
		return crowd_error_errno(err, errno, "--out %s", out);
	bool empty = true;
	const struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (empty)
		return 0;
	char path[PATH_MAX + 16];
	struct crowd_results_host h;
	snprintf(path, sizeof(path), "%s/host.json", out);
	if (crowd_results_read_host(path, &h, NULL) == 0 && h.fleet)
		return 0;
	return crowd_error_set(err, EINVAL,
			       "--out %s: exists and is not an earlier merge (allowed: a new "
			       "folder, an empty one, or an earlier crowd merge's)",
			       out);
}

/* The same folder (after symlinks) as out? */
static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Read and check every input: a results folder of one results version >= 1, every row with
 * a host and a run id, no run id in two folders. */
static int read_inputs(struct merge *m, const char *out, struct crowd_error *err)
{
	for (size_t i = 0; i < m->n_in; i++) {
		const char *dir = m->dirs[i];
		struct crowd_results *r = &m->in[i];
		if (same_dir(dir, out))
			return crowd_error_set(err, EINVAL, "%s: is the --out folder", dir);
		int rc = crowd_results_read(dir, r, err);
		if (rc < 0)
			return rc == -ENOMEM ? rc : -EINVAL; /* err names the folder */
		int v = r->summary.results_version;
		if (v < 1)
			return crowd_error_set(
			    err, EINVAL,
			    "%s: results version %d has no host and run id per row (allowed: "
			    "folders written by crowd with results version %d)",
			    dir, v, CROWD_RESULTS_VERSION);
		if (v != m->in[0].summary.results_version)
			return crowd_error_set(err, EINVAL,
					       "%s: results version %d, but %s has %d (allowed: "
					       "runs of one results version)",
					       dir, v, m->dirs[0],
					       m->in[0].summary.results_version);
		for (size_t k = 0; k < r->n; k++) {
			const char *id = r->extra[k].run_id;
			if (!id[0] || !r->extra[k].host[0])
				return crowd_error_set(err, EINVAL,
						       "%s: row %zu has no %s (allowed: rows "
						       "with host and run_id)",
						       dir, k + 1, id[0] ? "host" : "run_id");
			for (size_t j = 0; j < i; j++)
				for (size_t q = 0; q < m->in[j].n; q++)
					if (!strcmp(m->in[j].extra[q].run_id, id))
						return crowd_error_set(
						    err, EINVAL,
						    "%s: run id %s is also in %s (the same "
						    "run given twice?)",
						    dir, id, m->dirs[j]);
		}
		m->n += r->n;
	}
	return 0;
}

static int gather(struct merge *m, struct crowd_error *err)
{
	m->s = calloc(m->n + 1, sizeof(*m->s));
	m->x = calloc(m->n + 1, sizeof(*m->x));
	m->hosts = calloc(m->n + 1, sizeof(*m->hosts));
	if (!m->s || !m->x || !m->hosts)
		return crowd_error_errno(err, ENOMEM, "merge");
	size_t k = 0;
	for (size_t i = 0; i < m->n_in; i++)
		for (size_t q = 0; q < m->in[i].n; q++, k++) {
			m->s[k] = m->in[i].samples[q];
			m->x[k] = m->in[i].extra[q];
		}
	for (k = 0; k < m->n; k++) {
		size_t j = 0;
		while (j < m->n_hosts && strcmp(m->hosts[j], m->x[k].host))
			j++;
		if (j == m->n_hosts)
			m->hosts[m->n_hosts++] = m->x[k].host;
	}
	return 0;
}

/* The input that holds all of host's rows when there is exactly one, else NULL. */
static const struct crowd_results *only_input(const struct merge *m, const char *host)
{
	const struct crowd_results *one = NULL;
	for (size_t i = 0; i < m->n_in; i++)
		for (size_t q = 0; q < m->in[i].n; q++)
			if (!strcmp(m->in[i].extra[q].host, host)) {
				if (one && one != &m->in[i])
					return NULL;
				one = &m->in[i];
				break;
			}
	return one;
}

/* Host h's statistics from its rows; what only a single run knows (density answer, the
 * backends' host deltas and load totals) comes from that run's summary.json. */
static int host_summary(const struct merge *m, const char *h, struct crowd_summary *ret,
			struct crowd_error *err)
{
	_cleanup_free_ struct crowd_sample *s = calloc(m->n + 1, sizeof(*s));
	if (!s)
		return crowd_error_errno(err, ENOMEM, "merge");
	size_t n = 0;
	for (size_t k = 0; k < m->n; k++)
		if (!strcmp(m->x[k].host, h))
			s[n++] = m->s[k];
	const struct crowd_results *one = only_input(m, h);
	struct crowd_run_output o = {.samples = s, .n = n, .host = h, .run_name = h};
	int r = crowd_results_summarize(&o, ret, err);
	if (r < 0)
		return r;
	if (!one)
		return 0;
	const struct crowd_summary *src = &one->summary;
	snprintf(ret->run_id, sizeof(ret->run_id), "%s", src->fleet ? "" : src->run_id);
	snprintf(ret->started, sizeof(ret->started), "%s", src->started);
	if (src->fleet)
		return 0;
	ret->have_density = src->have_density;
	ret->density_max_count = src->density_max_count;
	ret->density_ramp_ns = src->density_ramp_ns;
	memcpy(ret->density_stopped_by, src->density_stopped_by, sizeof(ret->density_stopped_by));
	memcpy(ret->density_detail, src->density_detail, sizeof(ret->density_detail));
	for (unsigned b = 0; b < ret->n_backends; b++) {
		struct crowd_summary_backend *d = &ret->backends[b];
		const struct crowd_summary_backend *f = crowd_summary_backend(src, d->name);
		if (!f)
			continue;
		snprintf(d->ready_kind, sizeof(d->ready_kind), "%s", f->ready_kind);
		snprintf(d->accel, sizeof(d->accel), "%s", f->accel);
		d->have_host = f->have_host;
		d->mem_available_delta_per_instance = f->mem_available_delta_per_instance;
		d->slab_delta_per_instance = f->slab_delta_per_instance;
		d->have_load = f->have_load;
		d->total_rps = f->total_rps;
		d->jain = f->jain;
		d->client_cpu_ns = f->client_cpu_ns;
		d->duration_ns = f->duration_ns;
		d->connections = f->connections;
	}
	return 0;
}

/* The distinct run ids of host h's rows. */
static json_t *host_runs(const struct merge *m, const char *h)
{
	json_t *a = json_array();
	for (size_t k = 0; a && k < m->n; k++) {
		if (strcmp(m->x[k].host, h))
			continue;
		size_t i, dup = 0;
		json_t *v;
		json_array_foreach(a, i, v) dup |= !strcmp(json_string_value(v), m->x[k].run_id);
		if (!dup)
			json_array_append_new(a, json_string(m->x[k].run_id));
	}
	return a;
}

/* j to path through path.tmp and a rename. */
static int dump(json_t *j, const char *path, struct crowd_error *err)
{
	if (!j)
		return crowd_error_errno(err, ENOMEM, "build %s", path);
	char tmp[PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return crowd_error_errno(err, e, "write %s", path);
	}
	return 0;
}

/* host.json of the fleet: each host's own host.json (from its first folder; an earlier merge
 * gives its hosts' entries) with the host's run ids, and where every input came from. */
static json_t *fleet_host_json(const struct merge *m)
{
	json_t *root = json_pack("{s:b,s:i,s:s,s:s}", "fleet", 1, "results_version",
				 m->in[0].summary.results_version, "crowd_version", CROWD_VERSION,
				 "git", CROWD_GIT);
	json_t *hosts = json_object(), *inputs = json_array();
	json_object_set_new(root, "hosts", hosts);
	json_object_set_new(root, "inputs", inputs);
	for (size_t i = 0; i < m->n_in; i++) {
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/host.json", m->dirs[i]);
		json_t *hj = json_load_file(path, 0, NULL);
		const struct crowd_results *r = &m->in[i];
		const char *names[64];
		size_t nh = crowd_results_hosts(r, names, 64);
		json_t *in_hosts = json_array();
		for (size_t k = 0; k < nh; k++) {
			json_array_append_new(in_hosts, json_string(names[k]));
			if (json_object_get(hosts, names[k]))
				continue;
			json_t *src = r->summary.fleet
					  ? json_object_get(json_object_get(hj, "hosts"), names[k])
					  : hj;
			json_t *e = json_is_object(src) ? json_deep_copy(src) : json_object();
			json_object_set_new(e, "runs", host_runs(m, names[k]));
			json_object_set_new(hosts, names[k], e);
		}
		json_array_append_new(
		    inputs, json_pack("{s:s,s:o}", "folder", r->folder, "hosts", in_hosts));
		json_decref(hj);
	}
	return root;
}

static int write_out(const struct merge *m, const char *out, struct crowd_summary *pooled,
		     struct crowd_error *err)
{
	char path[PATH_MAX + 16];
	json_t *root = crowd_results_summary_json(pooled);
	json_t *hosts = json_object();
	if (!root || !hosts) {
		json_decref(root);
		json_decref(hosts);
		return crowd_error_errno(err, ENOMEM, "merge");
	}
	json_object_set_new(root, "hosts", hosts);
	_cleanup_free_ struct crowd_summary *hs = malloc(sizeof(*hs));
	int r = hs ? 0 : crowd_error_errno(err, ENOMEM, "merge");
	for (size_t i = 0; r == 0 && i < m->n_hosts; i++) {
		r = host_summary(m, m->hosts[i], hs, err);
		json_t *hj = r == 0 ? crowd_results_summary_json(hs) : NULL;
		if (r == 0 && !hj)
			r = crowd_error_errno(err, ENOMEM, "merge");
		if (hj) {
			json_object_del(hj, "results_version");
			json_object_set_new(hj, "runs", host_runs(m, m->hosts[i]));
			json_object_set_new(hosts, m->hosts[i], hj);
		}
	}
	if (r == 0)
		r = crowd_mkdir_p(out, 0755, 0755, err);
	snprintf(path, sizeof(path), "%s/samples.csv", out);
	if (r == 0)
		r = crowd_results_write_samples_cols(path, m->s, m->x, m->n, true, true, err);
	snprintf(path, sizeof(path), "%s/summary.json", out);
	if (r == 0)
		r = dump(root, path, err);
	json_decref(root);
	snprintf(path, sizeof(path), "%s/host.json", out);
	if (r == 0) {
		json_t *h = fleet_host_json(m);
		r = dump(h, path, err);
		json_decref(h);
	}
	return r;
}

/* The pooled summary: every raw sample of every host. */
static int pooled_summary(const struct merge *m, const char *out, struct crowd_summary *ret,
			  struct crowd_error *err)
{
	struct crowd_run_output o = {.samples = m->s, .n = m->n, .host = "", .run_id = ""};
	int r = crowd_results_summarize(&o, ret, err);
	if (r < 0)
		return r;
	ret->fleet = true;
	size_t l = strlen(out), b;
	while (l > 1 && out[l - 1] == '/')
		l--;
	for (b = l; b > 0 && out[b - 1] != '/'; b--)
		;
	snprintf(ret->run, sizeof(ret->run), "%.*s", (int)(l - b), out + b);
	ret->started[0] = '\0';
	for (size_t i = 0; i < m->n_in; i++) {
		const struct crowd_summary *s = &m->in[i].summary;
		if (s->started[0] && (!ret->started[0] || strcmp(s->started, ret->started) < 0))
			snprintf(ret->started, sizeof(ret->started), "%s", s->started);
		if (strcmp(s->workload, m->in[0].summary.workload))
			snprintf(ret->workload, sizeof(ret->workload), "mixed");
		else if (i == 0)
			snprintf(ret->workload, sizeof(ret->workload), "%s", s->workload);
	}
	return 0;
}

int crowd_results_merge(const char *const *dirs, size_t n, const char *out,
			struct crowd_summary *ret_summary, struct crowd_error *err)
{
	if (!n)
		return crowd_error_set(err, EINVAL, "no results folder to merge");
	struct merge m = {.dirs = dirs, .n_in = n, .in = calloc(n, sizeof(struct crowd_results))};
	_cleanup_free_ struct crowd_summary *pooled = malloc(sizeof(*pooled));
	int r = m.in && pooled ? 0 : crowd_error_errno(err, ENOMEM, "merge");
	if (r == 0)
		r = check_out(out, err);
	if (r == 0)
		r = read_inputs(&m, out, err);
	if (r == 0)
		r = gather(&m, err);
	if (r == 0)
		r = pooled_summary(&m, out, pooled, err);
	if (r == 0)
		r = write_out(&m, out, pooled, err);
	if (r == 0 && ret_summary)
		*ret_summary = *pooled;
	for (size_t i = 0; m.in && i < n; i++)
		crowd_results_free(&m.in[i]);
	free(m.in);
	free(m.s);
	free(m.x);
	free(m.hosts);
	return r;
}
