/* decide.h - what mph compare, mph ab and mph search share: the comparison's options
 * (one set of table entries for compare and ab) and the report they end in; the
 * options of the plans that ab and search run, and the scenario as they see it. */
#ifndef MPH_DECIDE_H
#define MPH_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/cli.h"
#include "../report/compare.h"

#define CMP_MAX_LIST 64

struct cmp_cli {
	const char *by, *baseline, *gates, *junit, *alpha, *test;
	const char *fail_on[CMP_MAX_LIST];
	size_t nfail_on;
	const char *metrics[CMP_MAX_LIST];
	size_t nmetrics;
	bool json, csv, markdown, all;
};

/* The table entries of struct cmp_cli's options, for a command's struct T holding it
 * as member m (ab leaves out --by and --baseline, which it sets itself). */
#define CMP_CLI_COMMON(T, m)                                                                                        \
	{ "fail-on", "RULE", CLI_LIST, offsetof(T, m.fail_on), offsetof(T, m.nfail_on), CMP_MAX_LIST,                   \
	  "exit 1 if RULE trips: 'oom_kills > 0', 'pgscan_direct:+20%' (significant rise), 'probe.p99_ms:worse'" }, \
	{ "gates", "FILE", CLI_STRING, offsetof(T, m.gates), 0, 0, "rules as for --fail-on, one a line, # comments" },   \
	{ "junit", "FILE", CLI_STRING, offsetof(T, m.junit), 0, 0, "write the gates as JUnit XML (gate x group)" },      \
	{ "metric", "NAME", CLI_LIST, offsetof(T, m.metrics), offsetof(T, m.nmetrics), CMP_MAX_LIST,                    \
	  "only these rows (docs/results.md's metric names); repeatable" },                                             \
	{ "all", NULL, CLI_FLAG, offsetof(T, m.all), 0, 0, "every numeric metric, also those all 0 or with no better side" }, \
	{ "alpha", "P", CLI_STRING, offsetof(T, m.alpha), 0, 0, "significance level (default 0.05)" },                  \
	{ "test", "auto|welch|mwu", CLI_STRING, offsetof(T, m.test), 0, 0,                                              \
	  "auto (default): Welch's t-test, Mann-Whitney U for a skewed sample" },                                       \
	{ "json", NULL, CLI_FLAG, offsetof(T, m.json), 0, 0, "the comparison as JSON (mph-compare/1) on stdout" },      \
	{ "csv", NULL, CLI_FLAG, offsetof(T, m.csv), 0, 0, "one CSV line per metric x group on stdout" },               \
	{ "markdown", NULL, CLI_FLAG, offsetof(T, m.markdown), 0, 0, "the table as markdown on stdout" }

/* Check the options that need checking (one output format, alpha, test); prog names
 * the command in messages. 0, or EXIT_BAD_INPUT after printing why. */
int cmp_cli_check(const struct cmp_cli *c, const char *prog);

/* Called after the table is printed, for ab's verdicts: on the human stream (stdout
 * for text, else stderr) and, in JSON, as extra members of the object. */
typedef void (*cmp_extra_fn)(void *ctx, FILE *human, const struct cmp_table *t, json_t *json);

/* Build the table over the groups, print it as the options say, check the gates and
 * write JUnit: mph's exit code (0, 1 a gate tripped or could not be evaluated, 2 bad
 * input: a metric, a gate or the baseline). */
int cmp_cli_report(const struct cmp_cli *c, const char *prog, struct cmp_runs *rs, struct cmp_group *g, size_t ng,
		   cmp_extra_fn extra, void *ctx);

struct plan_opts;
struct scen_text;

/* The options of the plans ab and search run: where results go, the journal, --wait. */
struct decide_run {
	const char *results, *run_dir, *state_dir, *cache_dir;
	uint64_t wait_ms;
	const char *sets[CMP_MAX_LIST]; /* the user's --set, passed to every plan */
	size_t nsets;
};

#define DECIDE_RUN_OPTS(T, m)                                                                                      \
	{ "results", "DIR", CLI_STRING, offsetof(T, m.results), 0, 0, "where results go (default: results)" },         \
	{ "run-dir", "DIR", CLI_STRING, offsetof(T, m.run_dir), 0, 0, "exactly this directory for all the plans" },    \
	{ "set", "S.K=V", CLI_LIST, offsetof(T, m.sets), offsetof(T, m.nsets), CMP_MAX_LIST,                          \
	  "set a key of the scenario for every run (as mph run --set)" },                                              \
	{ "wait", "T", CLI_DURATION, offsetof(T, m.wait_ms), 0, 86400,                                                 \
	  "if another mph run is in progress, wait up to T for it (default: refuse)" },                                \
	{ "state-dir", "DIR", CLI_STRING, offsetof(T, m.state_dir), 0, 0, "journal (default: $MPH_STATE_DIR or /var/lib/mph)" }

/* plan options for one plan of ab or search: the user's sets, then extra (n), into
 * dir; quiet, the plans' own output on stderr (stdout is the decision's). */
void decide_plan_opts(const struct decide_run *d, struct plan_opts *po, const char *dir, const char *const *extra,
		      size_t n);
/* A new directory for the decision's plans: run_dir, or <results>/<name>/<stamp>-<what>.
 * malloc'd, NULL after printing why. */
char *decide_dir(const struct decide_run *d, const char *name, const char *what);
/* The scenario's settings with --set applied (plus extra), and how many variants
 * its sweep has: an exit code (2 after printing the problems). */
int decide_scenario(const char *file, const char *const *sets, size_t nsets, struct scen_text *tx, size_t *nvariants);

#endif
