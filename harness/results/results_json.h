/* Inside harness/results: the JSON of the results model, shared by the writer and crowd merge. */
#ifndef CROWD_RESULTS_JSON_H
#define CROWD_RESULTS_JSON_H

#include <jansson.h>

#include "results.h"

/* summary.json's object for s (new reference, NULL when out of memory). */
json_t *crowd_results_summary_json(const struct crowd_summary *s);

#endif
