/* workload.h - what every workload exports: a name, an option table, a check of
 * the rules between its options and a run function. The registry
 * (workloads/registry.c) lists them; the shared main (workloads/main.c) turns a
 * table into argument parsing and --help, and mph uses the same tables and checks to
 * validate `[workload N]` sections before it changes anything. */
#ifndef MPH_WORKLOAD_H
#define MPH_WORKLOAD_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../harness/core/opt.h"

/* Exit codes every workload uses; mph's classification relies on them. */
enum wl_exit {
	WL_EXIT_OK = 0,
	WL_EXIT_ERROR = 1,
	WL_EXIT_USAGE = 2,
	WL_EXIT_ENOMEM = 3, /* an allocation failed (also reported as status "enomem") */
};

struct wl_ctx {
	int report_fd;               /* JSON lines go here, nothing else does */
	uint64_t report_interval_ms; /* period of "progress" records */
	double t0;                   /* CLOCK_MONOTONIC seconds at start */
	double next_progress;
	const char *name;
};

/* One problem found by a check: the options it concerns (the one a user most likely
 * has to change first) and what is wrong, worded for the command line (--chunk-max). */
#define WL_PROBLEM_OPTS 4
struct wl_problem {
	const char *opts[WL_PROBLEM_OPTS + 1]; /* option names, NULL-terminated; static strings */
	char msg[256];
};

/* Every problem of one configuration; a check appends, never clears. More than
 * WL_PROBLEMS_MAX are not kept (no workload has that many rules). */
#define WL_PROBLEMS_MAX 16
struct wl_problems {
	size_t n;
	struct wl_problem v[WL_PROBLEMS_MAX];
};

/* The option names of a problem, inline: WL_OPTS("chunk-max", "chunk"). */
#define WL_OPTS(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* Append a problem concerning the options in opts (NULL-terminated). */
void wl_problem(struct wl_problems *p, const char *const *opts, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct workload {
	const char *name;
	const char *summary;
	size_t cfg_size;
	const struct opt *opts;
	/* The rules between options that the option table cannot express, judged on a
	 * config filled by opt_defaults and opt_set. Pure: no files, no machine, no
	 * output. 0, or -EINVAL with every problem appended to p. NULL: no such rules.
	 * The shared main calls it before run (run may rely on it), mph when it
	 * validates a scenario: the same function, so the two never disagree. */
	int (*check)(const void *cfg, struct wl_problems *p);
	/* Runs the workload; returns a wl_exit code. The final report is written by it. */
	int (*run)(void *cfg, struct wl_ctx *ctx);
	/* Bytes it needs free on a disk file system with this config (filled as for
	 * check): its files and any reserve it insists on. NULL: none. mph sizes a guest's
	 * scratch disk by it ([machine] disk). */
	uint64_t (*disk_bytes)(const void *cfg);
	/* It starts processes it cannot announce with "child" records (an external
	 * command's own children). When it is a scenario's only workload, mph counts every
	 * OOM kill of a task in the run cgroup as its own; beside other workloads only the
	 * pids it announced are attributed to it. */
	bool untracked_children;
};

/* Options every workload takes (workloads/runtime.c). */
struct wl_common {
	uint64_t report_fd;
	uint64_t report_interval;
	char *membind, *interleave, *preferred;
};
extern const struct opt wl_common_opts[];

extern const struct workload *const workloads[];
const struct workload *workload_find(const char *name);
/* Names of all registered workloads, for suggestions; n set to the count. */
size_t workload_names(const char **names, size_t max);

/* Runtime for workloads (workloads/runtime.c). */
extern volatile sig_atomic_t wl_stop; /* set by SIGTERM/SIGINT */
/* Write one report record: adds "type", "t" (seconds since start), "workload";
 * steals the reference to obj. */
void wl_report(struct wl_ctx *ctx, const char *type, json_t *obj);
/* True when a progress record is due (and schedules the next one). */
int wl_progress_due(struct wl_ctx *ctx);
/* Sleep until the monotonic time t (seconds), or until wl_stop is set. */
void wl_sleep_until(double t);
/* Hold for ms milliseconds (DURATION_FOREVER: until wl_stop), writing a progress
 * record made by progress(arg) whenever one is due. */
void wl_hold(struct wl_ctx *ctx, uint64_t ms, json_t *(*progress)(void *arg), void *arg);
/* The rules of the options every workload takes: at most one NUMA placement, node
 * lists that exist (nnodes 0: on this machine, asked of libnuma; else on a machine of
 * nnodes nodes, a guest), one node for --preferred. 0, or -EINVAL with the problems
 * appended to p. */
int wl_check_common(const struct wl_common *com, int nnodes, struct wl_problems *p);
/* Everything a configuration is checked for before the workload runs: the common
 * options, then the workload's own check. 0, or -EINVAL with every problem in p. */
int wl_check(const struct workload *w, const void *cfg, const struct wl_common *com, int nnodes,
	     struct wl_problems *p);
/* Apply at most one NUMA placement (wl_check_common on this machine first).
 * 0, or -EINVAL with the first problem's message in err. */
int wl_apply_numa(const char *membind, const char *interleave, const char *preferred, char *err, size_t errlen);
/* Read a "Key:  N kB" line of /proc/self/status in bytes, -1 when unavailable. */
long long wl_status_bytes(const char *key);

#endif
