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
#include "../core/util.h"

/* What a workload may pour into mph is bounded, so that a flood of reports or output
 * neither stops supervision (deadlines, signals, the recorder) nor fills the disk:
 * - each wake-up of the loop reads at most SUP_READ_BUDGET bytes from one pipe;
 * - report lines are taken (parsed) at most SUP_REPORT_TICK_MAX bytes per workload per
 *   SUP_REPORT_TICK_MS; reports.jsonl gets at most reports_max bytes per workload;
 *   beyond either, lines are dropped and counted, except that the last line before
 *   the pipe closes is always taken, so a final record survives;
 * - a line longer than SUP_REPORT_LINE_MAX, or one that is not a record of the
 *   contract (an object with type, workload and t), is counted as bad, not copied;
 * - <workload>.stdout keeps the first stdout_max bytes, the stderr passed through
 *   the first stderr_max (then a marker line; the count when it closes). */
#define SUP_READ_BUDGET     (64 * 1024)
#define SUP_REPORT_LINE_MAX (64 * 1024)
#define SUP_REPORT_TICK_MS  1000
#define SUP_REPORT_TICK_MAX (1024 * 1024)
#define SUP_REPORTS_MAX     (64ULL << 20)  /* reports_max when 0 */
#define SUP_STDOUT_MAX      (64ULL << 20)  /* stdout_max when 0 */
#define SUP_STDERR_MAX      (64 * 1024)    /* a default for stderr_max */

struct wl_proc {
	const char *name;       /* scenario's workload name */
	const char *type;       /* workload type */
	char **argv;            /* full argv, argv[0] the binary path */
	char *out_path;         /* its stdout goes to this file (NULL: inherited) */
	char oom_adj_text[8];   /* written to /proc/self/oom_score_adj in the child before exec ("": not) */
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
	char buf[SUP_REPORT_LINE_MAX + 1]; /* one report line at most this long */
	size_t blen;
	bool skipping;          /* in a line longer than buf: dropped up to its newline */
	uint64_t report_bytes;  /* written to reports.jsonl */
	uint64_t tick_start, tick_bytes; /* report bytes taken in the current tick */
	uint64_t dropped_bytes, dropped_lines; /* report lines beyond a bound */
	char *held;             /* the last dropped line, taken if it is the last one */
	size_t held_len, held_cap;
	int out_fd, err_fd;     /* mph's ends of its stdout and stderr pipes (-1: none) */
	int out_file;           /* out_path, written by mph (-1: could not be opened) */
	uint64_t stdout_bytes, stdout_kept, stderr_bytes, stderr_kept;
	struct write_err out_err; /* writing out_path */
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
	FILE *reports_log;      /* every record of the contract, as received (may be NULL) */
	uint64_t reports_max;   /* bytes of reports.jsonl per workload (0: SUP_REPORTS_MAX) */
	uint64_t stdout_max;    /* bytes kept of each out_path (0: SUP_STDOUT_MAX) */
	size_t stderr_max;      /* >0: workloads' stderr reaches mph's through a pipe, this
				 * much each; 0: they inherit mph's stderr */
	struct write_err reports_err;
	bool interrupted;       /* a terminating signal reached mph */
	int signo;
	bool fds_set;           /* sup_start set the pipes' descriptors */
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
/* One wake-up's worth of w's reports (at most SUP_READ_BUDGET bytes from report_fd),
 * split into lines and taken within the bounds. 0 at EOF, 1 otherwise. For sup_wait;
 * exposed for tests. */
int sup_read_reports(struct supervisor *s, struct wl_proc *w);
/* Send sig to workload i's main process (through its pidfd). 0; -ESRCH when it has
 * ended (reaped, or exited and not yet reaped); -errno otherwise. */
int sup_signal(struct supervisor *s, size_t i, int sig);
/* pid is this workload or one of the children it announced. */
bool wl_owns(const struct wl_proc *w, int pid);
/* pid is one of the run's workloads or their announced children. */
bool sup_owns(const struct supervisor *s, int pid);
/* What the bounds did to a workload's streams, for run.json: report_dropped_bytes,
 * report_dropped_lines, report_truncated, stdout_bytes, stdout_truncated,
 * stderr_bytes (null: stderr not passed through mph), stderr_truncated (new reference). */
json_t *sup_io_json(const struct supervisor *s, const struct wl_proc *w);
/* Append a message for each file the supervisor failed to write (reports_path:
 * the name of reports_log) to the JSON array msgs. */
void sup_write_errors(const struct supervisor *s, const char *reports_path, json_t *msgs);
/* Block every terminating signal that can be caught and is not about a fault
 * (INT, TERM, HUP, QUIT, USR1, USR2, ALRM, VTALRM, PROF, IO, PWR, XCPU, STKFLT and
 * the real-time ones) and return a signalfd for them (old gets the previous mask):
 * from then on a signal is an event of the loop, so a run is still undone. SIGPIPE
 * and SIGXFSZ are ignored meanwhile: a closed stdout or a file-size limit is a
 * write error (EPIPE, EFBIG), not the end of mph.
 * sup_signals_end() closes the signalfd and returns a signal that was still pending
 * (0: none). Once a signal reached mph (in sup_wait or pending here) the signals stay
 * blocked, so that a second one cannot end mph before it exits with 130; otherwise
 * the mask and the dispositions are restored. */
int sup_signals_begin(sigset_t *old);
int sup_signals_end(int fd, const sigset_t *old);
/* The terminating signal last read from a signalfd (0: none so far). */
int sup_signal_caught(void);

#endif
