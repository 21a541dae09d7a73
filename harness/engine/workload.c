#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const httpd_args[] = {"--port", "8080", NULL};
static const char *const none_args[] = {NULL};
static const char *const cpu_args[] = {NULL};
static const char *const mem_args[] = {"--bytes", "16M", NULL};

const struct crowd_workload crowd_workloads[] = {
	{"httpd", "tiny HTTP/1.1 server on port 8080", "/bin/httpd", httpd_args, 8080,
	 CROWD_READY_FD, true},
	{"idle", "pause-like: signals ready and waits", "/bin/idle", none_args, 0, CROWD_READY_FD,
	 false},
	{"cpu", "burns CPU in fixed work units", "/bin/cpu", cpu_args, 0, CROWD_READY_FD, false},
	{"mem", "touches 16 MiB and holds it", "/bin/mem", mem_args, 0, CROWD_READY_FD, false},
};
const unsigned crowd_workloads_len = sizeof(crowd_workloads) / sizeof(crowd_workloads[0]);

const char *crowd_ready_kind_name(enum crowd_ready_kind k)
{
	switch (k) {
	case CROWD_READY_FD:
		return "fd";
	case CROWD_READY_TCP:
		return "tcp";
	case CROWD_READY_CONSOLE:
		return "console";
	case CROWD_READY_EXEC:
		return "exec";
	}
	return "unknown";
}

void crowd_workload_inst_free(struct crowd_workload_inst *w)
{
	for (size_t i = 0; i < sizeof(w->argv) / sizeof(w->argv[0]) && w->argv[i]; i++) {
		free(w->argv[i]);
		w->argv[i] = NULL;
	}
}

static int set_argv(struct crowd_workload_inst *w, const char *path, const char *const *args)
{
	size_t n = 0;
	w->argv[n++] = strdup(path);
	for (; args && *args && n + 1 < sizeof(w->argv) / sizeof(w->argv[0]); args++)
		w->argv[n++] = strdup(*args);
	w->argv[n] = NULL;
	for (size_t i = 0; i < n; i++)
		if (!w->argv[i])
			return -1;
	return 0;
}

int crowd_workload_parse(const char *text, struct crowd_workload_inst *ret, struct crowd_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (!strncmp(text, "cmd:", 4)) {
		const char *p = text + 4;
		char *args[sizeof(ret->argv) / sizeof(ret->argv[0])];
		size_t n = 0;
		char *copy = strdup(p), *save = NULL;
		if (!copy)
			return crowd_error_set(err, ENOMEM, "--workload: out of memory");
		for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			if (n + 1 >= sizeof(args) / sizeof(args[0])) {
				free(copy);
				return crowd_error_set(err, EINVAL, "--workload cmd: at most 30 arguments");
			}
			args[n++] = tok;
		}
		args[n] = NULL;
		if (n == 0 || args[0][0] != '/') {
			free(copy);
			return crowd_error_set(err, EINVAL,
					       "--workload '%s': cmd: needs an absolute PATH (cmd:/bin/sleep 60)",
					       text);
		}
		ret->cmd_desc = (struct crowd_workload){.name = "cmd",
							.help = "a command of the user's",
							.path = NULL,
							.args = NULL,
							.port = 0,
							.ready = CROWD_READY_EXEC,
							.http = false};
		int r = set_argv(ret, args[0], (const char *const *)args + 1);
		free(copy);
		if (r < 0) {
			crowd_workload_inst_free(ret);
			return crowd_error_set(err, ENOMEM, "--workload: out of memory");
		}
		ret->cmd_desc.path = ret->argv[0];
		ret->desc = &ret->cmd_desc;
		snprintf(ret->name, sizeof(ret->name), "cmd");
		return 0;
	}
	for (unsigned i = 0; i < crowd_workloads_len; i++) {
		if (strcmp(text, crowd_workloads[i].name))
			continue;
		ret->desc = &crowd_workloads[i];
		snprintf(ret->name, sizeof(ret->name), "%s", crowd_workloads[i].name);
		if (set_argv(ret, ret->desc->path, ret->desc->args) < 0) {
			crowd_workload_inst_free(ret);
			return crowd_error_set(err, ENOMEM, "--workload: out of memory");
		}
		return 0;
	}
	return crowd_error_set(err, EINVAL,
			       "--workload '%s': unknown (allowed: httpd, idle, cpu, mem, cmd:PATH ARGS)",
			       text);
}

int crowd_workload_argv(const struct crowd_workload_inst *w, const char *prefix, unsigned port,
			char **argv, size_t argv_len, char *buf, size_t buf_len,
			struct crowd_error *err)
{
	char *const *src = w->argv;
	size_t n = 0, off = 0;
	if (!src[0])
		return crowd_error_set(err, EINVAL, "workload has no command");
	for (; src[n] && n + 1 < argv_len; n++) {
		const char *s = src[n];
		char tmp[16];
		if (port && n > 0 && !strcmp(src[n - 1], "--port")) {
			snprintf(tmp, sizeof(tmp), "%u", port);
			s = tmp;
		}
		int len =
		    snprintf(buf + off, buf_len - off, "%s%s", n == 0 && prefix ? prefix : "", s);
		if (len < 0 || (size_t)len >= buf_len - off)
			return crowd_error_set(err, ENAMETOOLONG, "workload command line too long");
		argv[n] = buf + off;
		off += (size_t)len + 1;
	}
	argv[n] = NULL;
	return 0;
}
