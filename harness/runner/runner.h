/* runner.h - where a scenario runs: this machine (local.c) or a qemu guest (vm.c).
 * The options a run takes, and the local target's entry points. */
#ifndef MPH_RUNNER_H
#define MPH_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/exit.h"

/* A running job's state, for a live progress line: what the recorder's ticks see. */
struct run_progress {
	double elapsed_s, timeout_s;   /* timeout_s 0: none */
	long long usage, limit, swap;  /* bytes; -1: unknown or none */
	size_t oom_kills;              /* kernel-logged kills so far placed in the run's cgroup */
};
typedef void (*run_progress_fn)(void *ctx, const struct run_progress *p);

struct run_opts {
	const char *results;     /* --results: where run directories go */
	const char *run_dir;     /* --run-dir: exactly this directory, or NULL */
	const char *state_dir;   /* journal and lock */
	const char *cache_dir;   /* kernels, guest images */
	const char *kernels[16]; /* --kernel, in order */
	size_t nkernels;
	const char *vm_set[17];  /* --vm KEY=VALUE: [machine] keys, NULL-terminated */
	size_t nvm;
	unsigned only_repeat;    /* --repeat N; 0: all of them */
	unsigned jobs;           /* --jobs: guests at once (default 1) */
	uint64_t wait_ms;
	bool in_guest;           /* this mph runs inside an mph guest (mph_guest=1 on the kernel command line) */
	FILE *out;               /* the human summary (stdout; stderr when stdout carries TAP or JSON) */
	run_progress_fn progress; /* called about 4 times a second while a local job runs, or NULL */
	void *progress_ctx;
};

struct scenario;
struct scen_target;
struct cg_env;
struct diags;

/* The local target: where validation stands (this machine's cgroup version, swap
 * accounting), found without changing anything. An exit code; env to be freed. */
int local_target(const struct run_opts *o, struct scen_target *t, struct cg_env *env);
/* This machine's checks of a validated scenario (sysctls present, memory.max safe
 * here, workload binaries, disk for swap, root), changing nothing: an exit code,
 * EXIT_UNSUPPORTED with the reasons added to d. */
int local_preflight(const struct run_opts *o, const struct scenario *sc, struct diags *d);
/* One job on this machine: take the machine-wide lock (waiting o->wait_ms), refuse
 * while a journal awaits `mph restore`, then journal, apply, run, undo repeat rep of
 * sc and write dir/run.json (dir: made if missing, must be empty). An exit code;
 * *written: where run.json went (dir/run.json, or the state directory's fallback when
 * dir's file system would not take it; NULL when nowhere; malloc'd); *lock_wait_s:
 * how long it waited for another run's lock (not part of the job's own time). */
int local_run_job(const struct run_opts *o, const struct scenario *sc, const struct cg_env *env, unsigned rep,
		  const char *dir, char **written, double *lock_wait_s);
/* Is this mph running inside an mph guest (mph_guest=1 on the kernel command line)? */
bool run_in_guest(void);

#endif
