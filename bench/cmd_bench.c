/* crowd bench: N instances of a workload on one or more backends, interleaved, measured,
 * loaded (httpd), torn down; a results folder and a printed summary. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fleet.h"
#include "engine/launcher.h"
#include "opts.h"

struct bench_ctx {
	int64_t timeout_ns;
};

static const struct crowd_opt bench_opts[] = {
    CROWD_OPT_LAUNCH_TIMEOUT(struct bench_ctx, timeout_ns),
    {0},
};

int crowd_cmd_bench(int argc, char **argv)
{
	struct bench_ctx bc = {.timeout_ns = CROWD_LAUNCH_TIMEOUT_NS};
	struct crowd_opts_cmd cmd = {
	    .name = "bench",
	    .synopsis = "crowd bench [OPTIONS]",
	    .description =
		"Start N instances of a workload per backend (interleaved when several),\n"
		"measure spin-up phases, memory and HTTP throughput, tear all down, and\n"
		"write a results folder. Ctrl-C tears down what was started and exits 130.",
	    .groups = CROWD_OPTS_CONTAINER | CROWD_OPTS_FLEET | CROWD_OPTS_LOAD | CROWD_OPTS_VM,
	    .extra = bench_opts,
	    .ctx = &bc,
	};
	struct crowd_config cfg;
	crowd_config_init(&cfg);
	int optind_ = crowd_opts_parse(&cmd, argc, argv, &cfg);
	if (optind_ < argc)
		crowd_usage_error("bench", "'%s': unexpected argument (bench takes options only)",
				  argv[optind_]);

	struct crowd_fleet f;
	struct crowd_error err = {0};
	if (crowd_fleet_init(&f, "bench", &cfg, argc - 1, argv + 1, &err) < 0)
		return crowd_report("bench", &err);

	int r = crowd_launch_open(&cfg, cfg.count, &f.l, &err);
	if (r < 0) {
		crowd_workload_inst_free(&cfg.workload);
		return crowd_report("bench", &err);
	}
	struct crowd_launch *l = f.l;
	l->timeout_ns = bc.timeout_ns;
	l->progress = crowd_fleet_progress;
	l->progress_ctx = &f;
	f.target = cfg.count * l->n_avail;
	crowd_fleet_signals(l);

	r = crowd_launch_grow(l, cfg.count, true, &err);
	crowd_fleet_progress_done(&f);
	if (r < 0 && r != -EINTR)
		crowd_report("bench", &err); /* the launcher failed: no instance could start */
	else if (!l->stop) {
		crowd_launch_measure(l, 0, &err);
		if (cfg.load && cfg.workload.desc->http)
			crowd_fleet_load(&f, 0, 0, 0);
	}

	struct crowd_error terr = {0};
	int tr = crowd_launch_teardown(l, &terr);
	crowd_fleet_progress_done(&f);
	crowd_fleet_signals(NULL);

	int rc = CROWD_EXIT_OK;
	struct crowd_error werr = {0};
	if (crowd_fleet_write(&f, &werr) < 0) {
		crowd_report("bench", &werr);
		rc = CROWD_EXIT_FAIL;
	}
	if (cfg.json)
		crowd_fleet_print_json(&f, stdout);
	else
		crowd_fleet_print(&f, stdout);
	if (!cfg.json)
		printf("\nresults: %s\n", f.dir);
	fflush(stdout);

	if (tr < 0) {
		crowd_warn("bench", "teardown: %s", terr.msg);
		rc = CROWD_EXIT_LEFTOVER;
	} else if (l->interrupted) {
		rc = 130;
	} else if (r < 0) {
		rc = CROWD_EXIT_FAIL;
	} else if (rc == CROWD_EXIT_OK && (l->n_failed || !l->n_ready)) {
		crowd_warn("bench", "%u of %zu instances failed", l->n_failed, l->n_insts);
		rc = CROWD_EXIT_FAIL;
	}
	crowd_launch_free(l);
	crowd_workload_inst_free(&cfg.workload);
	return rc;
}
