/* plan.h - what `mph run` carries out. A scenario becomes a plan of jobs: each
 * variant of its sweep (lists of values, scenario/sweep.h) x each kernel (--kernel,
 * or [machine] kernel, or this machine) x each repeat. Every job is validated before
 * the first one starts; then one scheduler runs them (this machine's alone, guests up
 * to --jobs at once), checks the expectations against what each run measured, and
 * writes plan.json beside the jobs' directories (docs/results.md). */
#ifndef MPH_PLAN_H
#define MPH_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "../runner/runner.h"

#define PLAN_MAX_SETS 64

struct plan_opts {
	struct run_opts run;
	const char *sets[PLAN_MAX_SETS]; /* --set SECTION.KEY=V[,V...] (and --vm K=V as machine.K=V) */
	size_t nsets;
	bool dry_run;      /* validate, print the jobs and what they would change; change nothing */
	bool tap;          /* TAP version 14 on stdout; the human summary goes to stderr */
	bool json;         /* plan.json's summary on stdout; the human summary goes to stderr */
	bool quiet;        /* no per-job summaries, no progress: the verdict table only */
	const char *junit; /* write JUnit XML here */
	const char *prom;  /* write the runs' metrics here, Prometheus text format (docs/prometheus.md) */
	const char *lava;  /* write the report cases here for lava-test-case (docs/lava.md) */
	bool report;       /* write report.html into the plan's directory at the end */
	const char *resume; /* a plan directory whose jobs not yet done are run */
};

/* Run the scenario's plan. Returns mph's exit code: 0 every expectation held (or none
 * was declared), 1 one failed or a job could not be carried out, 2 bad usage or
 * scenario, 3 this machine cannot run it, 4 refused, 130 interrupted. */
int plan_run(struct plan_opts *po, const char *scenario);

#endif
