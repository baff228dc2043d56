/* recorder.h - a millisecond-resolution timeline of what the kernel did during a run:
 * global counters (/proc/vmstat, /proc/meminfo, PSI), the run cgroup's files, each
 * workload process's memory and each NUMA node's, sampled every interval into
 * samples.csv; OOM kills, workload events and first occurrences (first direct
 * reclaim, first swap-out, first PSI full stall) into events.jsonl as they happen; and
 * a summary of reclaim for run.json.
 *
 * Every kernel file is opened once and re-read with pread. A file that is absent or
 * unreadable is recorded as absent (an empty CSV cell), never as 0. */
#ifndef MPH_RECORDER_H
#define MPH_RECORDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "kmsg.h"

struct recorder;

/* Sources that may be read less often than at every sample ([record] slow, mph record
 * --slow): each is read at most every slow_ms, and at the first and the last sample;
 * between its reads its columns are empty in samples.csv (not measured then). */
enum {
	REC_SLOW_VMSTAT = 1 << 0,     /* /proc/vmstat: vmstat.* */
	REC_SLOW_MEMINFO = 1 << 1,    /* /proc/meminfo: meminfo.* */
	REC_SLOW_PSI_MEMORY = 1 << 2, /* /proc/pressure/memory: psi.memory.* */
	REC_SLOW_PSI_IO = 1 << 3,     /* /proc/pressure/io: psi.io.* */
	REC_SLOW_NODE = 1 << 4,       /* per-node meminfo and numastat: nodeN.* */
	REC_SLOW_CG_STAT = 1 << 5,    /* the cgroup's memory.stat: cg.stat.* */
	REC_SLOW_GIVEN = 1u << 31,    /* the set was chosen (else REC_SLOW_DEFAULT) */
};
#define REC_SLOW_DEFAULT (REC_SLOW_PSI_IO | REC_SLOW_NODE)
#define REC_SLOW_MS_DEFAULT 10
/* "vmstat, node, psi.io" (names as in the enum's comments: vmstat, meminfo,
 * psi.memory, psi.io, node, cg.stat) or "none" into a set with REC_SLOW_GIVEN.
 * -EINVAL with a message in err for an unknown or empty name. */
int rec_parse_slow(const char *text, unsigned *set, char *err, size_t errlen);
/* The names of a set, as a JSON array (new reference). */
json_t *rec_slow_json(unsigned set);

struct rec_config {
	const char *dir;          /* where samples.csv and events.jsonl go */
	uint64_t interval_ms;     /* sampling period, >= 1 */
	unsigned slow;            /* REC_SLOW_* read at most every slow_ms; 0: REC_SLOW_DEFAULT */
	uint64_t slow_ms;         /* 0: REC_SLOW_MS_DEFAULT */
	bool pss;                 /* also read Pss from /proc/PID/smaps_rollup */
	bool statm;               /* processes from /proc/PID/statm (cheap, fewer fields) */
	const char *cg_dir;       /* cgroup directory to sample, NULL: none */
	enum cg_version cg_ver;
	const char *cg_rel;       /* its path as the kernel log names it ("/a/mph-1-1"); NULL: the
				   * whole machine's OOM kills are the recording's */
	bool cg_fresh;            /* created for this recording: its high-water marks are ours */
	/* A pid that belongs to the recording although it may never have been seen in
	 * cgroup.procs (a workload or an announced child); may be NULL. */
	bool (*owns)(void *ctx, int pid);
	void *owns_ctx;
	const char *const *procs; /* names of the processes to sample (columns), may be NULL */
	size_t nprocs;
	double t0;                /* CLOCK_MONOTONIC seconds that t=0 stands for */
	const char *proc_root;    /* "/proc" (tests point it at saved files) */
	const char *sys_root;     /* "/sys" */
	bool no_kmsg;             /* do not read or mark the kernel log (tests on saved files) */
	/* The tracefs instance for reclaim stalls and OOM victims (trace.h), created and
	 * journaled by the caller; NULL: none, and trace_absent says why. */
	const char *trace_dir;
	const char *trace_absent;
	/* a run's task's reclaim stall at least this long is also an event
	 * (reclaim_stall; at most 1000 a run); 0: every stall */
	uint64_t stall_event_ms;
};
#define REC_STALL_EVENT_MS_DEFAULT 10 /* [record] stall_event's, mph record's */

/* Open every source, write the CSV header and the first sample. */
int rec_open(struct recorder **out, const struct rec_config *cfg);
/* The process called name now has this pid (0: it is gone). */
void rec_set_pid(struct recorder *r, size_t proc_index, pid_t pid);
/* File descriptors the caller's event loop must watch, and what to do when one is
 * readable (sampling timer, kernel log, the cgroup's OOM notification). */
size_t rec_fds(const struct recorder *r, int *fds, size_t max);
void rec_ready(struct recorder *r, int fd);
/* Paths of the files a sample reads (open ones) and how often: every_ms[i] 0 at
 * every sample, else at most every that many ms. For benchmarks. */
size_t rec_paths(const struct recorder *r, const char **paths, uint64_t *every_ms, size_t max);
/* Take one sample now (the timer does this; exposed for tests and benchmarks). */
void rec_sample(struct recorder *r);
/* Write an event: {"t":..., "type":type, ...fields}. Steals fields (may be NULL). */
void rec_event(struct recorder *r, const char *type, json_t *fields);
/* Take one kernel log record ("pri,seq,ts,flags;message") as if read from /dev/kmsg:
 * for tests on saved logs. */
void rec_kmsg_feed(struct recorder *r, const char *rec, size_t len);
/* The kernel log the recorder reads (OOM kills seen so far). */
const struct kmsg_log *rec_kmsg(const struct recorder *r);
/* A kernel log timestamp (usec, printk clock) as seconds since t0, corrected by
 * the offset measured at open. */
double rec_kernel_t(const struct recorder *r, uint64_t ts_usec);
/* Final sample, flush, and the summary object for run.json (new reference). Also
 * decides which OOM kills were the recording's (below). */
json_t *rec_finish(struct recorder *r);
/* Scan the cgroup's processes now, between samples: when a workload has just been
 * started (it joined the cgroup before exec), so that one that dies before the next
 * scan (an OOM victim within milliseconds) is still in the processes table. */
void rec_scan_processes(struct recorder *r);
/* Append a message for samples.csv and for events.jsonl if writing it failed (the
 * first error and how many writes failed) to the JSON array msgs. After rec_finish. */
void rec_write_errors(const struct recorder *r, json_t *msgs);
/* After rec_finish: whether the kernel log's kill i (rec_kmsg()->kills[i]) was of a
 * task in the recorded cgroup, and how that was decided ("kernel log": its line names
 * the cgroup; "cgroup.procs": its pid was seen there; "workload pid"; "oom_kill
 * counter": the unnamed kills left are exactly the rise of the cgroup's counter;
 * "machine": no cgroup is recorded). */
bool rec_kill_in_run(const struct recorder *r, size_t i, const char **placed_by);
/* how many of the kills read so far are placed in the recording (not elsewhere, not
 * waiting for the end) */
size_t rec_kills_in_run(const struct recorder *r);
/* After rec_finish: the processes seen in the cgroup and their ranking (procs.h);
 * null without a cgroup. New references. */
json_t *rec_processes(const struct recorder *r);
json_t *rec_process_ranking(const struct recorder *r);
void rec_close(struct recorder *r);
/* When the kernel marked pid as an OOM victim (oom:mark_victim, seconds since t0),
 * and, if the kernel log's kill of pid was read, how long after that mark mph read it
 * (*latency; -1 when not). False without the trace or no such mark. */
/* The reclaim stalls of one process (and its threads) as run.json's workloads[]
 * entry shows them: {direct, memcg: {count, total_s, max_us}}; JSON null without the
 * trace. After rec_finish. */
json_t *rec_task_stalls(const struct recorder *r, int pid);
bool rec_mark_victim(const struct recorder *r, int pid, double *t, double *latency);

/* What the recording has measured so far, as of its last sample: a live view of the
 * recorded cgroup between samples (mph record --prom). Every value is -1 when it was
 * not measured (no such file on this hierarchy or kernel, no cgroup). */
#define REC_LIVE_TOP 5
struct rec_live {
	double t;                          /* the last sample's time, seconds since t0 */
	long long usage, swap;             /* the cgroup's memory and swap now, bytes */
	long long peak, swap_peak;         /* their peaks so far, as rec_finish's summary has them */
	long long oom_kills;               /* rise of its oom_kill counter since the first sample */
	long long pgscan, pgsteal;         /* rise of its memory.stat pgscan, pgsteal (v2), pages */
	long long psi_some_avg10, psi_full_avg10; /* its memory.pressure now, hundredths of a % */
	long long psi_some_us, psi_full_us;       /* rise of its stall totals, microseconds */
	long long nprocs, nseen;           /* processes in it at the last scan; seen since the start */
	size_t ntop;
	struct {
		int pid;
		char comm[64];
		long long rss, peak_rss;       /* bytes */
	} top[REC_LIVE_TOP];               /* the largest by RSS now, largest first */
};
void rec_live(const struct recorder *r, struct rec_live *out);

/* Reclaim summary from two /proc/vmstat snapshots ({name: value} objects) over
 * elapsed seconds: scanned/reclaimed per reclaimer by exact counter name, efficiency,
 * velocity, % direct, allocation stalls, swap, refaults. Exposed for tests. */
json_t *rec_reclaim_summary(const json_t *before, const json_t *after, double elapsed, long page_size);
/* Per-zone free/min/low/high/managed from /proc/zoneinfo text. */
json_t *rec_zoneinfo(const char *text);

#endif
