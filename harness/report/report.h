/* report.h - what people and CI read about a plan's results: JUnit XML, TAP, the
 * terminal's verdict table and the compact summary of `mph run --json`. The writers
 * only read plan.json (schema mph-plan/1, docs/results.md) and the runs' run.json; they
 * never touch the machine: report/ links nothing of host/ (tests/layers.sh checks its
 * includes, and the Makefile links its test against core/ alone). Nothing here logs: functions return -errno. */
#ifndef MPH_REPORT_H
#define MPH_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#define REPORT_PLAN_SCHEMA "mph-plan/1"

/* One line of a report: a job's run, an assertion checked on a job, or an aggregate.
 * Every writer prints the same list, so JUnit, TAP and the table agree on names,
 * verdicts and messages. */
enum report_kind {
	REPORT_PASS,
	REPORT_FAIL,  /* an assertion did not hold */
	REPORT_ERROR, /* a job failed or was interrupted, or an assertion could not be evaluated */
	REPORT_SKIP,  /* a job skipped or not run, or an assertion not evaluated because of it */
};

struct report_case {
	char *name;              /* "<variant>/r<N>[@<kernel>]: <assertion>", or "...: run" */
	enum report_kind kind;
	char *message;           /* one line, why it failed, erred or was skipped; NULL if it passed */
	const json_t *assertion; /* the assertion or aggregate (borrowed from the plan); NULL for ": run" */
	const json_t *job;       /* the job (borrowed); NULL for aggregates */
	double time_s;           /* the job's elapsed_s on its first case, 0 on the others */
};

/* The plan as report cases, in plan order: per job "<job>: run" when it did not complete
 * (or declared no assertions), then its assertions; then the aggregates; then a case
 * "plan" if the plan's verdict is fail, error or interrupted and no case says so (a plan
 * interrupted between jobs), or it was skipped before it had jobs. -EINVAL if plan
 * is not an mph-plan/1 object; *cases and *n are untouched on failure. */
int report_cases(const json_t *plan, struct report_case **cases, size_t *n);
void report_cases_free(struct report_case *cases, size_t n);

/* "<variant>/r<N>[@<kernel>]" ("r1" without a sweep on the host), malloc'd. */
char *report_job_label(const json_t *job);

/* o's string member key, dflt when it is absent or not a string */
const char *report_str(const json_t *o, const char *key, const char *dflt);

/* A measured value as text: integers as written, reals with %g's 6 digits, strings as
 * they are, "null" for no value. Returns buf. */
const char *report_value(const json_t *v, char *buf, size_t len);

/* s escaped as XML character data (attr false) or an attribute value (attr true);
 * what XML 1.0 cannot carry (control characters, invalid UTF-8, U+FFFE, U+FFFF) is
 * written visibly as \xNN or \uNNNN. NULL writes nothing. */
void report_xml_put(FILE *f, const char *s, bool attr);

/* Load plan.json, checking its schema: -errno from reading, -EINVAL if it is not JSON
 * or not mph-plan/1. *plan is untouched on failure. */
int report_plan_load(const char *path, json_t **plan);

/* counts as docs/results.md defines them, computed from the jobs and aggregates (the
 * plan runner writes this object as the plan's "counts"). NULL if plan is not a plan. */
json_t *report_plan_counts(const json_t *plan);

/* JUnit XML: <testsuites> with one <testsuite> per plan (name = scenario), one
 * <testcase> per report case. -EINVAL for a plan that is not mph-plan/1 (nothing is
 * written then), -EIO if writing to f failed. */
int report_junit(FILE *f, const json_t *const *plans, size_t n);
/* The same into path, atomically (temporary file, fsync, rename). */
int report_junit_file(const char *path, const json_t *const *plans, size_t n);
/* What a writer of plans (report_junit, report_tap, report_lava) prints, written to
 * path atomically; nothing when the writer fails. -errno. */
int report_plans_file(const char *path, int (*put)(FILE *f, const json_t *const *plans, size_t n),
		      const json_t *const *plans, size_t n);

/* TAP version 14: one test point per report case across all plans, failures followed by
 * a YAML diagnostic block. Errors as report_junit. */
int report_tap(FILE *f, const json_t *const *plans, size_t n);
/* The same with "TAP version <version>" (13 or 14): what we write is also valid TAP 13,
 * which is as far as older harnesses go (Test::Harness 3.44, Debian 12's prove, rejects
 * "TAP version 14" as a parse error and fails the file). -EINVAL for another version. */
int report_tap_version(FILE *f, const json_t *const *plans, size_t n, int version);
int report_tap_file(const char *path, const json_t *const *plans, size_t n);

/* The terminal's verdict table: a header, one line per job (variant, kernel, repeat,
 * status, assertions held, and each workload's outcome from <plan_dir>/<dir>/run.json;
 * plan_dir NULL or a missing run.json leaves the outcomes out), every assertion that
 * did not hold with its value and file:line, and the verdict line. Lines stay within
 * about 100 columns. */
void report_plan_table(FILE *f, const json_t *plan, const char *plan_dir);

/* What `mph run --json` prints: schema "mph-plan-summary/1", scenario, file, verdict,
 * exit_code, reason, counts, "failed" (assertions and aggregates that failed or could
 * not be evaluated, with their values) and "jobs_not_done" (every job not done).
 * New reference; NULL if plan is not a plan. */
json_t *report_plan_summary(const json_t *plan);

/* Prometheus text exposition format (0.0.4) for node_exporter's textfile collector:
 * every metric of the table (core/schema.h) of every job that was done, read from
 * <dirs[i]>/<job dir>/run.json, named mph_... with its unit (docs/prometheus.md),
 * labelled scenario, variant, kernel, repeat (and workload); then
 * mph_expectation_passed per assertion and mph_plan_exit_code. dirs may be NULL (no
 * run metrics). -EINVAL for a plan that is not mph-plan/1, -EIO if writing failed. */
int report_prom(FILE *f, const json_t *const *plans, const char *const *dirs, size_t n);
/* The same into path, atomically (a temporary file beside it, fsync, rename). */
int report_prom_file(const char *path, const json_t *const *plans, const char *const *dirs, size_t n);
struct metric;
/* The Prometheus name of a metric of the table, malloc'd; *scale (to the base unit)
 * and *counter (a _total counter, else a gauge) when not NULL. */
char *report_prom_name(const struct metric *m, double *scale, bool *counter);
/* s as a label value: `\`, `"` and newline escaped, bytes that are not UTF-8 as U+FFFD. */
void report_prom_label_value(FILE *f, const char *s);

/* mph record's metrics (docs/prometheus.md, "mph record --prom"): one recording of
 * one cgroup, while it runs (the recorder's last sample) or after it ended (record.json's
 * summary). Plain numbers: NAN for one not measured, left out of the file, never 0.
 * Quantities "now" (usage, swap, PSI avg10, processes, each process's RSS) are only
 * written while running: after the end the file stays in the collector's directory, and
 * it must not go on claiming a value nobody measures any more. */
#define REPORT_PROM_TOP 5
struct report_prom_record {
	const char *cgroup;            /* the cgroup label: its path in the hierarchy */
	bool running;                  /* mph_record_running 1 (live values) or 0 (the summary) */
	double usage_bytes, swap_bytes;                /* now */
	double peak_bytes, swap_peak_bytes;            /* so far, or over the recording */
	double limit_bytes;                            /* memory.max mph set (--memory-max) */
	double oom_kills;                              /* of the recorded cgroup */
	double scanned_pages, reclaimed_pages;         /* its own reclaim (v2 memory.stat) */
	double psi_some_avg10_pct, psi_full_avg10_pct; /* its memory.pressure now */
	double psi_some_s, psi_full_s;                 /* its stall time */
	double processes, processes_seen;              /* in it now; seen in it */
	double exit_code;                              /* the command's, after the end */
	size_t ntop;
	struct {
		int pid;
		char comm[64];
		double rss_bytes, peak_rss_bytes;       /* RSS now (while running), peak */
	} top[REPORT_PROM_TOP];        /* the largest processes: by RSS now, or by peak RSS */
};
/* Every value NAN, nothing running: to fill in. */
void report_prom_record_init(struct report_prom_record *r, const char *cgroup);
/* The finished recording's values from record.json (schema mph-record/1); cgroup
 * borrows from it. -EINVAL (r untouched) when it is not one. */
int report_prom_record_json(const json_t *record, struct report_prom_record *r);
/* mph_record_... families of one recording, labelled cgroup (and pid, comm for the
 * top processes). -EIO if writing failed. */
int report_prom_record(FILE *f, const struct report_prom_record *r);
/* The same into path, atomically (a temporary file beside it, fsync, rename). */
int report_prom_record_file(const char *path, const struct report_prom_record *r);

/* LAVA test cases, one line per report case: "NAME RESULT MEASUREMENT UNITS" (`-` for
 * none), for tools/lava/mph-plan.sh to hand to lava-test-case (docs/lava.md). Errors
 * as report_junit. */
int report_lava(FILE *f, const json_t *const *plans, size_t n);
int report_lava_file(const char *path, const json_t *const *plans, size_t n);
/* "<scenario>.<case>" with what LAVA does not take in a name as `_`, malloc'd. */
char *report_lava_name(const char *scenario, const char *case_name);
/* The unit of what an assertion's text measures ("bytes", "MiB", "repeats" for
 * majority()), NULL when it is not a number with a unit. */
const char *report_lava_units(const char *text);

/* The human summary of one run.json, then its path: on f, or on stdout. */
void report_run_summary_to(FILE *f, const json_t *out, const char *path);
void report_run_summary(const json_t *out, const char *path);

#endif
