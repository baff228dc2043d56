/* report.h - mph's report library: what people and CI read, made from result files
 * (run.json, plan.json) only. It links nothing that touches the machine (host/), so
 * it can never change it and is tested on saved files without root. */
#ifndef MPH_REPORT_H
#define MPH_REPORT_H

#include <jansson.h>

/* The human summary of one run.json, then its path, on stdout. */
void report_run_summary(const json_t *out, const char *path);

#endif
