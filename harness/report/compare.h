/* compare.h - runs compared side by side (mph compare, mph ab): run.json files
 * gathered from plan directories, grouped (by variant, kernel, host or a scenario
 * key), and one row per metric with, per group, the mean over its runs, the spread,
 * the change against a baseline group and whether that change is significant (the
 * test named: stats.h). Every value is read through the metric table (core/schema.h),
 * never by a JSON path of its own. Regression gates (`oom_kills > 0`,
 * `pgscan_direct:+20%`, `probe.p99_ms:worse`) are checked on the table.
 *
 * Like the rest of report/, this reads result files only and never touches the
 * machine. Functions return -errno with a message in err; nothing here logs. */
#ifndef MPH_COMPARE_H
#define MPH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "stats.h"
#include "../core/schema.h"

#define COMPARE_SCHEMA "mph-compare/1"

struct cmp_run {
	char *path;      /* its run.json */
	json_t *run;
	char *variant;   /* as the plan.json listing it names it; NULL when no plan.json does */
};

struct cmp_runs {
	struct cmp_run *v;
	size_t n, cap;
	char **notes;    /* what was left out and why (jobs not done), for stderr */
	size_t nnotes;
};

/* Add the runs arg names: a run.json; a plan.json or a directory holding one (the
 * jobs that left a run.json); any other directory: every run.json below it, those of
 * a plan directory through its plan.json. A run seen twice is kept once. 0, or
 * -errno (-ENOENT: nothing there, -EINVAL: not mph's JSON) with the reason in err. */
int cmp_load(struct cmp_runs *rs, const char *arg, char *err, size_t errlen);
/* Add one parsed run (takes the reference). */
void cmp_add(struct cmp_runs *rs, const char *path, json_t *run, const char *variant);
void cmp_runs_free(struct cmp_runs *rs);

enum cmp_by { CMP_BY_VARIANT, CMP_BY_KERNEL, CMP_BY_HOST, CMP_BY_KEY };
/* "variant", "kernel", "host", or a scenario key (vm.swappiness, sysctl.vm.swappiness,
 * memory.max, leaker.size: as --set names it, or without its section). */
void cmp_parse_by(const char *s, enum cmp_by *by, const char **key);
/* The group a run belongs to, malloc'd: "-" when the run does not say. */
char *cmp_group_key(const struct cmp_run *r, enum cmp_by by, const char *key);

struct cmp_group {
	char *name;
	size_t *idx;     /* into the runs */
	size_t n;
};
/* The runs in groups, in order of their first run. */
void cmp_group_runs(const struct cmp_runs *rs, enum cmp_by by, const char *key, struct cmp_group **g, size_t *ng);
void cmp_groups_free(struct cmp_group *g, size_t ng);

/* What a cell says of its group against the baseline. */
enum cmp_verdict {
	CV_BASE,      /* the baseline's own column */
	CV_UNTESTED,  /* no test possible (fewer than 2 runs with a value on a side) */
	CV_SAME,      /* no measurable change: not significant */
	CV_BETTER,    /* significant, in the metric's better direction */
	CV_WORSE,
	CV_CHANGED,   /* significant, for a metric without a better direction */
};

struct cmp_cell {
	size_t runs;            /* runs in the group */
	size_t n;               /* of those, runs with a value */
	double *x;              /* their values (numbers), or for an outcome row 1 exited / 0 not */
	struct sample_stats st;
	double change_pct;      /* (mean - baseline's) / |baseline's| x 100; +-INFINITY from 0; NAN: none */
	double diff;            /* mean - baseline's mean */
	struct stat_result test;
	bool significant;       /* test.p < alpha */
	enum cmp_verdict verdict;
	char *text;             /* outcome rows: "oom-killed 3/3", "exited 2/3, oom-killed 1/3" */
	json_t *counts;         /* outcome rows: {"exited": 2, ...} */
};

struct cmp_row {
	char *name;             /* "oom_kills", "leaker.outcome" */
	struct metric_ref ref;
	bool outcome;           /* a workload's outcome: counts, and Fisher's test on exited */
	bool shown;             /* printed (a gate may add a row that is not) */
	struct cmp_cell *cells; /* one per group */
};

struct cmp_opts {
	const char *baseline;        /* the baseline group's name; NULL: the first group */
	double alpha;                /* significance level; 0: 0.05 */
	enum stat_choice test;
	const char *const *metrics;  /* only these rows, in this order; NULL: the default set */
	size_t nmetrics;
	bool all;                    /* every numeric metric, also those with no better side or all zero */
	const char *by;              /* how the groups were made, for the header and JSON */
};

struct cmp_table {
	const struct cmp_runs *rs;
	struct cmp_group *g;    /* borrowed */
	size_t ng, base;
	double alpha;
	enum stat_choice test;
	char *by;
	struct schema_wl *wls;  /* every workload the runs have (name, type), in order of appearance */
	size_t nwl;
	struct cmp_row *rows;
	size_t nrows;
	size_t hidden_zero;     /* default rows left out because every run has 0 */
};

/* Build the table over the groups. -EINVAL with err for an unknown baseline or
 * metric (a misspelt name gets the nearest one). */
int cmp_build(struct cmp_table *t, const struct cmp_runs *rs, struct cmp_group *g, size_t ng,
	      const struct cmp_opts *o, char *err, size_t errlen);
/* The row of metric, added (not shown) when the table has none. NULL with err when
 * the name is unknown. */
struct cmp_row *cmp_row_for(struct cmp_table *t, const char *metric, char *err, size_t errlen);
void cmp_table_free(struct cmp_table *t);

/* A cell as the text table prints it: "1.25 ±0.05 (+3.10%) *t". Returns buf. */
const char *cmp_cell_text(const struct cmp_table *t, const struct cmp_row *r, size_t gi, char *buf, size_t len);
const char *cmp_verdict_name(enum cmp_verdict v); /* "better", "worse", "no measurable change", ... */

void cmp_print_text(FILE *f, const struct cmp_table *t);
void cmp_print_markdown(FILE *f, const struct cmp_table *t);
void cmp_print_csv(FILE *f, const struct cmp_table *t);
/* schema mph-compare/1: groups (name, runs), metrics (cells with every number);
 * non-finite numbers are null. New reference. */
json_t *cmp_json(const struct cmp_table *t);

/* ---- regression gates ---------------------------------------------------------- */

enum gate_kind {
	GATE_ABS,    /* METRIC OP VALUE: on each group's mean */
	GATE_REL,    /* METRIC:+N% / METRIC:-N%: a significant change beyond N% of the baseline */
	GATE_WORSE,  /* METRIC:worse: significantly worse, per the metric's better direction */
};
enum gate_op { GOP_EQ, GOP_NE, GOP_LT, GOP_LE, GOP_GT, GOP_GE };

struct gate {
	char *text;        /* as written */
	char *metric;
	enum gate_kind kind;
	enum gate_op op;
	double value;      /* GATE_ABS: in the metric's unit, or bytes when value_is_size */
	bool value_is_size;/* written with a size suffix (64M) */
	double pct;        /* GATE_REL: +20 or -10 */
	char *file;        /* --gates FILE, or NULL for --fail-on */
	int line;
};

/* "oom_kills > 0", "pgscan_direct:+20%", "probe.p99_ms:worse". 0, or -EINVAL with err. */
int gate_parse(const char *text, struct gate *g, char *err, size_t errlen);
/* A file of gates: one a line, blank lines and # comments skipped. Appends to *v; the
 * problems (file:line: message), one a line, go into err. 0, -EINVAL, or -errno. */
int gates_load(const char *path, struct gate **v, size_t *n, char *err, size_t errlen);
void gates_free(struct gate *v, size_t n);

enum gate_result { GR_PASS, GR_TRIP, GR_ERROR, GR_SKIP };

struct gate_verdict {
	const struct gate *g;
	size_t group;
	enum gate_result r;
	char *message;     /* "oom_kills > 0: max=32M has 1 (mean of 3 runs), baseline max=96M 0" */
};

/* Every gate on every group. A gate on a value no run of a group has, or a relative
 * gate without a test (fewer than 2 runs), is an error: it cannot say the change is
 * harmless. The baseline's own cell of a relative gate is skipped. 0, or -EINVAL with
 * err for a gate naming an unknown metric or a word. */
int gates_eval(struct cmp_table *t, const struct gate *g, size_t ng, struct gate_verdict **out, size_t *nout,
	       char *err, size_t errlen);
void gate_verdicts_free(struct gate_verdict *v, size_t n);
const char *gate_result_name(enum gate_result r);
/* JUnit XML: one testcase per gate x group (classname mph.compare). -EIO. */
int gates_junit(FILE *f, const struct cmp_table *t, const struct gate_verdict *v, size_t n);
int gates_junit_file(const char *path, const struct cmp_table *t, const struct gate_verdict *v, size_t n);
json_t *gates_json(const struct cmp_table *t, const struct gate_verdict *v, size_t n);

#endif
