/* trace.h - exact reclaim stalls and OOM victims from the kernel's tracepoints,
 * through a tracefs instance of mph's own (<tracefs>/instances/mph-<pid>): direct
 * reclaim and memcg reclaim begin/end paired per task, kswapd's wake periods per node,
 * and oom:mark_victim. The instance's binary per-CPU pages (per_cpu/cpuN/trace_pipe_raw,
 * decoded by traceraw.h) are read without blocking, a bounded number of bytes per
 * call, from the recorder's event loop; its trace_pipe text only where the pages
 * cannot be read (a layout or format mph does not know).
 *
 * The instance and a tracefs mount of mph's own (only when none is mounted) are
 * changes to the machine: the runner journals them before making them (journal.h,
 * kinds "trace" and "tracefs") and the journal's replay removes them. */
#ifndef MPH_TRACE_H
#define MPH_TRACE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one trace line is. */
enum tev_kind {
	TEV_DIRECT_BEGIN,
	TEV_DIRECT_END,
	TEV_MEMCG_BEGIN,
	TEV_MEMCG_END,
	TEV_KSWAPD_WAKE,
	TEV_KSWAPD_SLEEP,
	TEV_MARK_VICTIM,
	TEV_LOST,        /* "CPU:N [LOST M EVENTS]": the buffer overflowed */
};

struct tev {
	enum tev_kind kind;
	int pid;             /* the task the line is of (its thread id) */
	int tgid;            /* its process (record-tgid's column); 0 when not shown or unknown */
	char comm[16];       /* as the trace shows it ("<...>" when not recorded) */
	double ts;           /* seconds on the instance's clock (mono: CLOCK_MONOTONIC) */
	long long value;     /* nr_reclaimed (ends), nid (kswapd), the victim's pid, lost events */
};

/* Parse one line of trace_pipe's text (without or with its newline). 0; -ENOENT for
 * a line of another event or none (blank); -EINVAL for a malformed or cut-off line.
 * ev is untouched unless 0. */
int trace_parse_line(const char *line, size_t len, struct tev *ev);

/* The mounted tracefs to use (malloc'd): /sys/kernel/tracing when it is one, else
 * the first tracefs in /proc/self/mounts. -ENOENT when none is mounted. */
int trace_find_mount(char **out);
/* Mount tracefs at dir (created, mode 0700); the caller journals dir first. */
int trace_mount(const char *dir);
/* Undo trace_mount: unmount dir if it is a tracefs mount, then remove the directory.
 * 0 also when neither is there. */
int trace_unmount(const char *dir);
/* Remove an instance directory (the kernel frees its buffers); 0 when it is not
 * there or its tracefs is not mounted. */
int trace_instance_remove(const char *dir);

struct journal;
/* Make the instance <tracefs>/instances/mph-<pid> and the OOM watch's beside it
 * (trace_oom_dir; oomwatch.h), mounting tracefs at <journal dir>/tracefs-<pid> when
 * none is mounted, each journaled first (j has begun). *dir the instance (malloc'd),
 * or NULL and *absent why not (malloc'd). The OOM watch's instance may be missing
 * when *dir is not (it could not be made): the marks then come through *dir alone. */
void trace_setup(struct journal *j, char **dir, char **absent);
/* The OOM watch's instance beside the instance dir: "<dir>-oom" (malloc'd). */
char *trace_oom_dir(const char *dir);

struct trace;
/* Set up the instance at dir (it exists: mkdir'ed by the caller after journaling
 * it): the mono clock, the buffer, the events (those this kernel lacks are named in
 * *missing, a malloc'd comma-separated list or NULL), and open each CPU's
 * trace_pipe_raw (or, where its pages cannot be decoded, trace_pipe). */
int trace_open(struct trace **out, const char *dir, char **missing);
/* The descriptor for the event loop (an epoll set holding trace_pipe while armed):
 * readable when an event came while armed; -1 when closed. */
int trace_fd(const struct trace *t);
/* trace_fd was readable: read at most max bytes, then stop waking the loop until
 * trace_tick. Returns as trace_read. */
long trace_on_wake(struct trace *t, size_t max);
/* At each sample: read at most max bytes and wake the loop again at the next event. */
long trace_tick(struct trace *t, size_t max);
/* Read at most max bytes of the pages (each CPU's until it has none) or of
 * trace_pipe's text, and account the events and complete lines. Returns the
 * bytes read (0: nothing there now), or -errno. */
long trace_read(struct trace *t, size_t max);
/* Account one line as if read from trace_pipe (tests on saved lines). t may be from
 * trace_new (no instance). */
void trace_feed(struct trace *t, const char *line, size_t len);
struct trace *trace_new(void);
/* The binary pages' layout from a directory laid out as an instance's events/
 * (header_page, <sys>/<event>/format; events without a format are left out), for
 * trace_feed_page on saved pages. 0 or -errno. */
int trace_raw_formats(struct trace *t, const char *events_dir);
/* Account one page as if read from CPU cpu's trace_pipe_raw (after
 * trace_raw_formats). Stalls are paired in order of time over all CPUs: a page's
 * events wait for trace_flush (or trace_summary, or the other CPUs' reads). */
void trace_feed_page(struct trace *t, size_t cpu, const void *page, size_t len);
void trace_flush(struct trace *t);
/* How a task of the pages is named: its process (*tgid) and comm, false when it is
 * gone. The default reads /proc/<pid>/status; tests give their own. */
typedef bool (*trace_who_fn)(int pid, int *tgid, char comm[16]);
void trace_set_who(struct trace *t, trace_who_fn who);
/* Each stall as it is paired (its end read; the CPUs merged by time, so up to a read
 * after it ended): kind, the task (tid, tgid 0 when unknown; kswapd: the node), when it
 * began (trace clock), how long, pages reclaimed. NULL: none. */
enum trace_stall_kind { TRACE_STALL_DIRECT, TRACE_STALL_MEMCG, TRACE_STALL_KSWAPD };
typedef void (*trace_stall_fn)(void *ctx, enum trace_stall_kind kind, int pid, int tgid, double begin, double secs,
			       long long reclaimed);
void trace_set_on_stall(struct trace *t, trace_stall_fn fn, void *ctx);
/* Asked before who: a task someone else knows (the recorder's process scan), with
 * no look-up; false to look it up. NULL: none. */
void trace_set_known(struct trace *t, bool (*known)(void *ctx, int pid, int *tgid, char comm[16]), void *ctx);
/* Where the kernel's saved_tgids and saved_cmdlines are (the tracefs mount; tests: a
 * directory of saved copies), asked for a task gone from /proc. 0 or -errno. */
int trace_set_saved(struct trace *t, const char *dir);
/* An oom:mark_victim event: the victim, the kernel's timestamp of the mark (trace
 * clock) and when mph had parsed it (CLOCK_MONOTONIC, the same clock). */
struct trace_victim {
	int pid;
	double ts, seen;
};
/* A mark read elsewhere (the OOM watch's threads): added, or when the same mark (the
 * pid, a time within 1 ms) is there already, its earlier parse kept. */
void trace_note_victim(struct trace *t, const struct trace_victim *v);
/* The latest mark of pid as an OOM victim; false if not seen. */
bool trace_victim(const struct trace *t, int pid, struct trace_victim *v);
/* The marks seen so far, in the order read; *n their number. */
const struct trace_victim *trace_victims(const struct trace *t, size_t *n);
/* One task's stalls so far, direct [0] and memcg [1]: the task's own and, when it is a
 * process, its threads' (their tgid). */
struct trace_task {
	long long count[2], total_us[2];
	uint32_t max_us[2];
};
void trace_task_stalls(const struct trace *t, int pid, struct trace_task *out);
/* The summary for run.json's recorder.reclaim_stalls: per kind (direct, memcg, kswapd)
 * count, total_s, p50_us, p99_us, max_us, nr_reclaimed; the stallers of the run
 * (in_run(ctx, pid) true) ranked by total stall time; the others' as "elsewhere"; and
 * what could not be used (lost events, malformed lines or pages, unpaired ends); which
 * source was read (source: trace_pipe_raw or trace_pipe, text_because). A thread's
 * stalls are the run's when its process is (in_run of its tgid). */
json_t *trace_summary(struct trace *t, bool (*in_run)(void *ctx, int pid), void *ctx);
/* Close trace_pipe and stop tracing in the instance (it stays, for the caller to
 * remove). Accepts NULL. */
void trace_close(struct trace *t);

#endif
