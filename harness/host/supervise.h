/* supervise.h - starts workloads inside the run cgroup (fork, join, exec: every page
 * they touch is charged there), collects their JSON-lines reports, enforces duration
 * and the hard timeout, and reaps them. mph itself stays outside the cgroup. */
#ifndef MPH_SUPERVISE_H
#define MPH_SUPERVISE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

#include "cgroup.h"
#include "outcome.h"

struct wl_proc {
	const char *name;       /* scenario's workload name */
	const char *type;       /* workload type */
	char **argv;            /* full argv, argv[0] the binary path */
	char *out_path;         /* its stdout goes to this file (NULL: inherited) */
	pid_t pid, parent;
	int pidfd, report_fd;
	double started, ended;  /* seconds since the run's start */
	bool reaped, timed_out, term_sent;
	int status;             /* wait status */
	int start_errno;        /* exec/join failure in the child */
	const char *start_what; /* which step failed */
	json_t *start, *last_progress, *final; /* reports */
	size_t nreports, bad_lines;
	int *children;          /* pids announced with {"type":"child","pid":N} records */
	size_t nchildren;
	char buf[65536];        /* one report line at most this long */
	size_t blen;
};

/* What an observer (the recorder) wants from the loop: its own file descriptors
 * watched, and to hear of workload starts, records and exits. Any may be NULL. */
struct sup_hooks {
	void *ctx;
	const int *fds;
	size_t nfds;
	void (*on_fd)(void *ctx, int fd);
	void (*on_start)(void *ctx, size_t i, const struct wl_proc *w);
	void (*on_record)(void *ctx, size_t i, const char *type, json_t *rec);
	void (*on_exit)(void *ctx, size_t i, const struct wl_proc *w);
};

struct supervisor {
	struct wl_proc *w;
	size_t n;
	double t0;              /* CLOCK_MONOTONIC seconds at run start */
	uint64_t duration_ms, timeout_ms;
	FILE *reports_log;      /* every report line, as received (may be NULL) */
	bool interrupted;       /* SIGINT/SIGTERM/SIGHUP reached mph */
	int signo;
	struct sup_hooks hooks;
};

/* Start every workload in cg (NULL: stay in mph's cgroup; s->t0 is the run's time zero; 0: now). Returns 0, or -errno when one could not be started
 * (the others are killed; each wl_proc says what failed). */
int sup_start(struct supervisor *s, struct cg *cg);
/* Run until every workload has ended (with none: until a signal or the duration),
 * enforcing duration and timeout. sigfd is a
 * signalfd for the signals that interrupt a run (-1: none). */
int sup_wait(struct supervisor *s, int sigfd);
void sup_free(struct supervisor *s);
/* pid is this workload or one of the children it announced. */
bool wl_owns(const struct wl_proc *w, int pid);
/* pid is one of the run's workloads or their announced children. */
bool sup_owns(const struct supervisor *s, int pid);
/* Block SIGINT, SIGTERM and SIGHUP and return a signalfd for them (old gets the
 * previous mask): from then on an interrupt is an event of the loop, so a run is
 * still undone. sup_signals_end() closes it and restores the mask. */
int sup_signals_begin(sigset_t *old);
void sup_signals_end(int fd, const sigset_t *old);

#endif
