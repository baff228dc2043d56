/* run.h - the mph subcommands. Each returns a process exit code (see README). */
#ifndef MPH_RUN_H
#define MPH_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mph_exit {
	EXIT_OK = 0,
	EXIT_RUN_FAILED = 1,    /* mph could not carry the run out (or undo it) */
	EXIT_BAD_INPUT = 2,     /* bad scenario or command line; nothing was changed */
	EXIT_UNSUPPORTED = 3,   /* this machine lacks what the scenario needs */
	EXIT_REFUSED = 4,       /* another mph holds the lock, or a journal awaits `mph restore` */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: the run was stopped and undone */
};

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

int cmd_run(int argc, char **argv);
/* Run the scenario on this machine; base is the run directory (NULL: results/<name>/<stamp>). */
int run_local(const struct run_opts *o, const char *scenario, const char *base);
/* What run_local checks before it changes anything: the exit code it would refuse with, or 0. */
int run_local_check(const struct run_opts *o, const char *scenario);
/* Where the scenario runs: here, in a guest, or on each of --kernel (vm.c). */
int run_dispatch(const struct run_opts *o, const char *scenario);
bool run_in_guest(void);
struct scenario;
json_t *run_scenario_json(const struct scenario *sc, unsigned rep);
void run_print_summary(const json_t *out, const char *path);
int cmd_restore(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
/* One line of `mph doctor`: state (ok, no, --, n/a), what, details. */
void doctor_line(const char *state, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cmd_record(int argc, char **argv);

#endif
