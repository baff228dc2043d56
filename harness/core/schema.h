/* schema.h - the metrics of run.json: one table naming every value that an
 * expectation, a comparison, a plot or a report may read from a run, with its type,
 * unit, meaning and where it comes from. Readers go through schema_value() and never
 * walk run.json by hand, so a key that moves is changed here once.
 *
 * Two kinds of names:
 *   run metrics        "oom_kills", "peak_usage", "swap_out_mb": one value per run
 *   workload metrics   "<workload>.<metric>": "leaker.outcome", "probe.p99_ms"; the
 *                      workload is found by name in run.json's `workloads` array.
 *                      Some metrics exist for every workload (outcome, exit_code, ...),
 *                      the rest come from the final report of one workload type.
 *
 * A value that run.json does not have (null on this kernel or cgroup version, a
 * workload that wrote no final report) is MV_ABSENT, never 0. */
#ifndef MPH_SCHEMA_H
#define MPH_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum metric_type { MT_NUMBER, MT_WORD, MT_BOOL };

enum metric_unit {
	MU_NONE,      /* words, booleans, codes */
	MU_BYTES,     /* compared in bytes; expectations may write 64M */
	MU_MIB,       /* a number of MiB (2^20 bytes) */
	MU_MIB_S,     /* MiB per second */
	MU_PER_S,     /* events per second */
	MU_PAGES,     /* the kernel's pages */
	MU_S,
	MU_MS,
	MU_US,
	MU_COUNT,
	MU_PCT,       /* percent, 0..100 */
	MU_N
};

/* Which way a number is better, for comparisons (mph compare, mph ab): fewer OOM
 * kills, less reclaim and stall time are better; more throughput is. MB_NONE: the
 * metric describes what happened (bytes allocated, when an event came) and has no
 * better side; a comparison reports its change without calling it better or worse. */
enum metric_better { MB_NONE, MB_LOWER, MB_HIGHER };

enum mval_kind { MV_ABSENT, MV_NUMBER, MV_WORD };

/* One measured value. word points into the run's JSON (or a static string): valid
 * while the run is. why says what was missing when kind is MV_ABSENT (static). */
struct mval {
	enum mval_kind kind;
	double num;
	const char *word;
	const char *why;
};

struct metric;
/* An extractor for a value that needs computing. obj is the run (run metrics) or the
 * workload's object in `workloads` (workload metrics). Returns 0 with out set (absent
 * included). */
typedef int (*metric_get_fn)(const json_t *obj, const struct metric *m, struct mval *out);

struct metric {
	const char *name;
	const char *wl_type;        /* workload metrics: the workload type; "*" any; NULL: a run metric */
	enum metric_type type;
	enum metric_unit unit;
	const char *path;           /* dotted JSON path from obj ("recorder.peak_usage_bytes") */
	double scale;               /* numbers: multiplied by this (ns -> ms: 1e-6); 0 means 1 */
	metric_get_fn get;          /* NULL: read path */
	const char *const *words;   /* MT_WORD: the values it can take (NULL-terminated), NULL: any */
	const char *null_word;      /* MT_WORD: what a JSON null means, NULL: absent */
	const char *meaning;        /* one sentence */
	enum metric_better better;  /* numbers: which way is better; MB_NONE: neither */
};

/* A resolved name: the metric and, for a workload metric, the workload's name. */
struct metric_ref {
	const struct metric *m;
	const char *workload;       /* NULL for a run metric; points into the caller's list */
};

/* The type under which a scenario's [action NAME]s are given to schema_resolve():
 * their metrics (drop.result, drop.file_kept_pct) are read from run.json's `actions`. */
#define SCHEMA_ACTION "action"

/* A workload of the scenario (or an action, type SCHEMA_ACTION): what names are
 * checked against. */
struct schema_wl {
	const char *name;
	const char *type;
};

/* The run metric called name, or NULL. */
const struct metric *schema_find(const char *name);
/* The workload metric called name for a workload of type wl_type (common ones first),
 * or NULL. */
const struct metric *schema_find_wl(const char *wl_type, const char *name);
/* Resolve "oom_kills" or "<workload>.<metric>" against the scenario's workloads.
 * Returns 0, or -ENOENT with a message in err (unknown metric or workload, with the
 * nearest name when one is close). */
int schema_resolve(const char *name, const struct schema_wl *wls, size_t nwl, struct metric_ref *out, char *err,
		   size_t errlen);
/* The value of ref in run (a parsed run.json). Returns 0 with out set, MV_ABSENT when
 * the run does not have it (why says what was missing); -EINVAL when ref is
 * incomplete. */
int schema_value(const json_t *run, const struct metric_ref *ref, struct mval *out);

const char *metric_unit_name(enum metric_unit u);
const char *metric_type_name(enum metric_type t);
/* "lower", "higher", "-" */
const char *metric_better_name(enum metric_better b);
/* Every metric, run metrics then workload metrics, in table order. */
const struct metric *schema_metrics(size_t *n);
/* The tables as markdown (docs/results.md's "Metrics", between the markers). */
void schema_doc_markdown(FILE *f);

#endif
