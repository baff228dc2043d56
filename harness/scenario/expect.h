/* expect.h - a scenario's [expect] section: assertions about what the kernel did,
 * parsed against the metric table (schema.h) and checked against run.json files.
 * mph itself only records the verdicts; turning them into JUnit, TAP or exit codes is
 * the reader's business.
 *
 *     [expect]                          ; or [expect KEY=VALUE ...]: only those variants
 *     NAME = METRIC OP VALUE            ; leaker_killed = leaker.outcome == oom-killed
 *     NAME = METRIC ~ VALUE ±TOL        ; near_limit = peak_usage ~ 64M ±5%   (or +-4M)
 *     NAME = AGG(METRIC) OP VALUE       ; AGG: mean, min, max over a variant's repeats
 *     NAME = majority(METRIC OP VALUE)  ; more than half of a variant's repeats pass
 *     NAME = METRIC increases with KEY  ; across a sweep's values of KEY (or decreases)
 *
 * OP is ==, !=, <, <=, >, >=, or ~ (|measured - VALUE| <= TOL; TOL is N% of |VALUE| or
 * an absolute amount in the metric's unit; both bounds included). Numbers within 1e-9
 * of each other (relative) count as equal, so decimal fractions compare as written
 * (a mean of 0.1, 0.2 and 0.6 is == 0.3). Words and booleans
 * compare only with == and !=. Values of byte metrics may carry a size suffix (64M,
 * compared in bytes); every other number is in the metric's unit (swap_out_mb in MiB).
 *
 * Scopes:
 *   run      a plain assertion: checked on every repeat of every variant it applies to
 *   variant  AGG(...) and majority(...): checked once per variant, over its repeats
 *   trend    increases/decreases with KEY: the variants are grouped by the values of
 *            their other swept keys; in each group they are ordered by the numeric
 *            value of KEY, each variant's value is the mean of METRIC over its
 *            repeats, and the trend holds when every mean is >= (decreases: <=) the
 *            one before it and the last is > (decreases: <) the first. One verdict per
 *            group; a group with fewer than two values of KEY is an error. KEY's
 *            values are sizes (64M) or plain numbers.
 *
 * A verdict is pass, fail or error: error when a value it needs is absent from a
 * run.json (null on this kernel, no final report), when a run left no run.json, or
 * when the sweep does not have the key; an absent value never passes. */
#ifndef MPH_EXPECT_H
#define MPH_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "scenario.h"
#include "../core/schema.h"

enum expect_op { EOP_EQ, EOP_NE, EOP_LT, EOP_LE, EOP_GT, EOP_GE, EOP_APPROX };
enum expect_scope { ESCOPE_RUN, ESCOPE_VARIANT, ESCOPE_TREND };
enum expect_agg { EAGG_NONE, EAGG_MEAN, EAGG_MIN, EAGG_MAX, EAGG_MAJORITY };
enum expect_tol { ETOL_NONE, ETOL_REL, ETOL_ABS };

/* METRIC OP VALUE [±TOL] */
struct expect_cond {
	struct metric_ref ref;  /* ref.workload points to the expectation's own copy */
	enum expect_op op;
	bool want_word;         /* words and booleans ("true"/"false") */
	double want;            /* numbers: in the metric's unit, bytes for byte metrics */
	char *word;
	char *want_text;        /* VALUE as written: "64M" */
	enum expect_tol tol;
	double tol_val;         /* ETOL_REL: percent; ETOL_ABS: in the metric's unit */
	char *tol_text;         /* "5%", "4M" */
};

struct expectation {
	char *name;             /* the key: its test case name */
	char *text;             /* the value as written */
	char *file;
	int line;
	char *selector;         /* "vm.swappiness=10" of [expect vm.swappiness=10]; NULL: every variant */
	enum expect_scope scope;
	enum expect_agg agg;
	struct expect_cond c;   /* ESCOPE_TREND: only c.ref */
	bool decreases;         /* ESCOPE_TREND */
	char *trend_key;        /* ESCOPE_TREND: the swept key, "vm.swappiness" */
	char *workload;         /* the workload c.ref names, or NULL */
};

struct expect_set {
	struct expectation *v;
	size_t n;
};

/* Is section an [expect] section? Returns 1 and sets *selector to what follows
 * "expect " (NULL for plain [expect]), or 0. */
int expect_section(const char *section, const char **selector);

/* Parse one line of an [expect] section. section is its name as written ("expect" or
 * "expect vm.swappiness=10"), name the key, text the value; wls the scenario's
 * workloads (name and type) that metric names are checked against. Returns 0, or
 * -EINVAL with the problem in d at line (section, key name), with the nearest name
 * for a misspelt metric, workload, word or function. */
int expect_parse_line(const char *file, int line, const char *section, const char *name, const char *text,
		      const struct schema_wl *wls, size_t nwl, struct expectation *out, struct diags *d);
/* expect_parse_line, plus the check that name is unique in the set; on success the
 * expectation is appended. 0 or -EINVAL. */
int expect_add(struct expect_set *s, const char *file, int line, const char *section, const char *name,
	       const char *text, const struct schema_wl *wls, size_t nwl, struct diags *d);
void expectation_free(struct expectation *e);
void expect_set_free(struct expect_set *s);

/* The selector's variant matcher (written elsewhere): 1 if the variant behind ctx is
 * selected by spec ("vm.swappiness=10"), 0 if not, -EINVAL if spec makes no sense. */
typedef int (*expect_match_fn)(void *ctx, const char *spec);
/* 1 if e applies to the variant behind ctx (always without a selector), 0, or the
 * matcher's -EINVAL. match may be NULL only when nothing has a selector. */
int expect_applies(const struct expectation *e, expect_match_fn match, void *ctx);

enum verdict_result { VERDICT_PASS, VERDICT_FAIL, VERDICT_ERROR };

struct verdict {
	const struct expectation *e;
	enum verdict_result result;
	struct mval value;      /* measured (a mean, a count of passing repeats); MV_ABSENT: none */
	char *message;          /* "measured 0, expected == 1" */
	json_t *detail;         /* scope's members for the JSON: repeat, variant, values, group, series */
	char *word;             /* owns value.word when it is a word */
};

/* One job of a run: a repeat of a variant. */
struct expect_kv {
	const char *key, *value;
};
struct expect_job {
	const json_t *run;             /* its run.json; NULL when it left none */
	const struct expect_kv *vars;  /* its variant's swept keys and values (none: no sweep) */
	size_t nvars;
	unsigned repeat;
	void *match_ctx;               /* passed to match() for a selector */
};

/* A run-scope expectation on one run (run NULL: missing, an error verdict).
 * 0, or -EINVAL when e is not of run scope. */
int expect_eval_run(const struct expectation *e, const json_t *run, struct verdict *out);
/* A variant-scope expectation over the n runs of one variant (NULL entries: missing).
 * 0, or -EINVAL when e is not of variant scope. */
int expect_eval_variant(const struct expectation *e, const json_t *const *runs, size_t n, struct verdict *out);
/* A trend over jobs (all the sweep's jobs; those e's selector does not select are
 * left out): one verdict per group, malloc'd into *out. 0, or -EINVAL when e is
 * not a trend. */
int expect_eval_trend(const struct expectation *e, const struct expect_job *jobs, size_t n, expect_match_fn match,
		      struct verdict **out, size_t *nout);
/* Every expectation of s over every job, each in its scope: verdicts in the order of
 * s, then of the jobs (variants in order of their first job). 0, -EINVAL. */
int expect_eval_jobs(const struct expect_set *s, const struct expect_job *jobs, size_t n, expect_match_fn match,
		     struct verdict **out, size_t *nout);

/* Verdicts point at their expectation: keep the set unchanged (no expect_add) while
 * they live.
 * {name, text, file, line, scope, value, verdict, message, ...detail}: value is the
 * measured number or word, or null; verdict "pass", "fail" or "error". New reference. */
json_t *verdict_json(const struct verdict *v);
const char *verdict_name(enum verdict_result r);
const char *expect_scope_name(enum expect_scope s);
void verdict_free(struct verdict *v);
void verdicts_free(struct verdict *v, size_t n);

#endif
