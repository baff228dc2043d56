/* plan.h - what `mph run` carries out: the scenario on this machine, in a guest, or on
 * each of several kernels. */
#ifndef MPH_PLAN_H
#define MPH_PLAN_H

#include "../runner/runner.h"

/* Run the scenario where the options and its [machine] section say. An exit code. */
int plan_run(const struct run_opts *o, const char *scenario);

#endif
