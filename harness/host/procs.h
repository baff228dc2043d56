/* procs.h - every process of a cgroup, found through its cgroup.procs at each sample:
 * who it is (pid, ppid, comm, cmdline: read at its first sight and after an exec, and
 * again 1, 2, 4, ... 512 scans later, for a title it sets itself), its memory over time (RSS, anon,
 * file, shmem, swap; Pss for the largest few) into processes.csv, one row per process
 * and sample, and a table of its whole life (first and last seen, peaks, how it ended)
 * for run.json.
 *
 * Cost is bounded per sample: /proc/PID/statm (one short line: ~1.3 us read back to
 * back, ~4 us at 10 Hz, when the caches have cooled since the last read) for every
 * process, through an fd kept open per process (RLIMIT_NOFILE's soft limit raised to
 * its hard one; when they run out, opened per read); /proc/PID/status (the anon/file/shmem split and swap) only for a process
 * whose statm changed since its last status read; smaps_rollup (Pss, which walks every
 * mapping) only for the PROCS_PSS_TOP largest by RSS, and only when asked for. A
 * process's values carry over between status reads: unchanged resident and shared
 * pages mean unchanged memory (swap aside: a swapped-out page freed without being read
 * back lowers VmSwap without touching statm). */
#ifndef MPH_PROCS_H
#define MPH_PROCS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../core/util.h"

#define PROCS_PSS_TOP 5
#define PROCS_RANK_TOP 10
#define PROCS_FD_RESERVE 256 /* fds left to the rest of mph when keeping statm open */

enum proc_end { PE_RUNNING, PE_EXITED, PE_LEFT, PE_OOM_KILLED };

struct proc_ent {
	int pid, ppid;
	char comm[64];
	char *cmdline;
	double first_seen, last_seen;
	long long rss, anon, file, shmem, swap, pss;  /* last values, -1: unknown */
	long long peak_rss, peak_anon, peak_swap, peak_pss;
	unsigned long long st_res, st_shared;         /* statm at the last status read */
	int statm_fd;
	bool alive;      /* in cgroup.procs at the last scan */
	bool status_ok;  /* status was read at least once */
	bool statm_fresh; /* st_res, st_shared read at first sight, in this scan */
	unsigned long cmdline_scan; /* the scan at which cmdline is read again */
	unsigned long cmdline_gap;  /* scans from that one to the next (doubling from 1) */
	enum proc_end end;
};

/* An event for events.jsonl (process_new, process_gone); fields are stolen. */
typedef void (*procs_event_fn)(void *ctx, double t, const char *type, json_t *fields);

struct proc_set {
	char *procs_path;      /* the cgroup's cgroup.procs */
	const char *proc_root; /* "/proc" */
	bool pss;
	long page;
	struct proc_ent *e;
	size_t n, e_cap;
	FILE *csv;             /* processes.csv, NULL: none */
	struct write_err csv_err; /* its failed writes (the recorder reports them in run.json) */
	procs_event_fn event;
	void *ctx;
	char *buf;
	size_t bufsz;
	int *pids;             /* scratch: the pids of one scan */
	size_t *live, live_cap; /* scratch: the entries alive in one scan */
	char *rows;            /* scratch: one scan's processes.csv rows */
	size_t rows_cap;
	size_t fds_kept, fds_max; /* statm fds kept open, and at most (procs_open; tests lower it) */
	unsigned long scan;    /* scans so far */
	size_t npids, pids_cap;
};

/* Watch the cgroup whose cgroup.procs is procs_path; rows go to csv (may be NULL;
 * the header is written here). -errno when cgroup.procs cannot be opened. */
int procs_open(struct proc_set *ps, const char *procs_path, const char *proc_root, bool pss, FILE *csv,
	       procs_event_fn event, void *ctx);
/* One scan at time t (seconds): new and gone processes, each one's memory, CSV rows. */
void procs_sample(struct proc_set *ps, double t);
/* pid was seen in the cgroup at some scan. */
/* The process pid as the scans last saw it (the newest, should the pid have been
 * reused); NULL when never seen. */
const struct proc_ent *procs_find(const struct proc_set *ps, int pid);
bool procs_seen(const struct proc_set *ps, int pid);
/* The process with pid (its latest life, when the pid was reused) was OOM-killed. */
void procs_mark_oom(struct proc_set *ps, int pid);
/* The table for run.json: pid, ppid, comm, cmdline, role, depth, first_seen_s,
 * last_seen_s, peaks, ended. */
json_t *procs_json(const struct proc_set *ps);
/* {by_peak_swap: [...], by_peak_rss: [...]}: the PROCS_RANK_TOP first of each. */
json_t *procs_ranking(const struct proc_set *ps);
/* The processes in the cgroup at the last scan with the largest RSS, largest first:
 * up to max of them into out (borrowed); returns how many. */
size_t procs_top_rss(const struct proc_set *ps, const struct proc_ent **out, size_t max);
/* How many processes were in the cgroup at the last scan. */
size_t procs_alive(const struct proc_set *ps);
void procs_close(struct proc_set *ps);

/* Parsers, exposed for tests: statm's resident and shared pages; status's fields
 * (bytes; -1 when a key is missing). */
bool procs_parse_statm(const char *text, unsigned long long *res, unsigned long long *shared);
void procs_parse_status(const char *text, struct proc_ent *e);

#endif
