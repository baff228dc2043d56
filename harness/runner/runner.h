/* runner.h - where a scenario runs: this machine (local.c) or a qemu guest (vm.c).
 * The options a run takes, and the local target's entry points. */
#ifndef MPH_RUNNER_H
#define MPH_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/exit.h"

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
};

/* Run the scenario on this machine; base is the run directory (NULL: results/<name>/<stamp>). */
int run_local(const struct run_opts *o, const char *scenario, const char *base);
/* What run_local checks before it changes anything: the exit code it would refuse with, or 0. */
int run_local_check(const struct run_opts *o, const char *scenario);
/* Is this mph running inside an mph guest (mph_guest=1 on the kernel command line)? */
bool run_in_guest(void);

#endif
