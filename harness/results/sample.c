#include "sample.h"

#include <string.h>

const char *crowd_status_name(enum crowd_status s)
{
	switch (s) {
	case CROWD_STATUS_OK:
		return "ok";
	case CROWD_STATUS_FAILED:
		return "failed";
	case CROWD_STATUS_INTERRUPTED:
		return "interrupted";
	}
	return "unknown";
}

void crowd_sample_init(struct crowd_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->t_request_ns = s->t_cgroup_ns = s->t_clone_ns = s->t_setup_ns = -1;
	s->t_ready_ns = s->t_first_response_ns = s->spinup_ns = s->teardown_ns = -1;
	s->cgroup_bytes = s->pss_bytes = s->rss_bytes = s->engine_bytes = -1;
	s->rps = -1.0;
	s->status = CROWD_STATUS_OK;
}
