/* workload.h - what every workload exports: a name, an option table and a run
 * function. The registry (workloads/registry.c) lists them; the shared main
 * (workloads/main.c) turns a table into argument parsing and --help, and mph uses
 * the same tables to validate `[workload N]` sections before it changes anything. */
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

struct workload {
	const char *name;
	const char *summary;
	size_t cfg_size;
	const struct opt *opts;
	/* Runs the workload; returns a wl_exit code. The final report is written by it. */
	int (*run)(void *cfg, struct wl_ctx *ctx);
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
/* A node list for option opt that exists on this machine: 0, or -errno and err. */
int wl_check_nodes(const char *opt, const char *spec, char *err, size_t errlen);
/* The same for another machine of nnodes nodes (a guest): syntax and range only. */
int wl_check_nodes_n(const char *opt, const char *spec, int nnodes, char *err, size_t errlen);
/* Apply at most one NUMA placement (node lists checked against this machine).
 * 0, or -errno with a message for the user in err. */
int wl_apply_numa(const char *membind, const char *interleave, const char *preferred, char *err, size_t errlen);
/* Read a "Key:  N kB" line of /proc/self/status in bytes, -1 when unavailable. */
long long wl_status_bytes(const char *key);

#endif
