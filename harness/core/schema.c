/* schema.c - the metric table of run.json (schema.h): names, types, units, meanings
 * and where each value is read from. To add a metric, add a row; the docs table
 * (docs/results.md, "Metrics") is printed from these rows and a unit test keeps the
 * two equal. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"
#include "util.h"

static const char *const outcome_words[] = { "exited", "oom-killed", "killed", "timed-out", "enomem", "failed-to-start",
					     NULL };
static const char *const status_words[] = { "done", "stopped", "enomem", "error", NULL };
static const char *const cgroup_words[] = { "v1", "v2", NULL };
static const char *const action_words[] = { "done", "skipped", "failed", NULL };

static int get_len(const json_t *obj, const struct metric *m, struct mval *out);
static int get_global_kills(const json_t *obj, const struct metric *m, struct mval *out);
static int get_hist(const json_t *obj, const struct metric *m, struct mval *out);
static int get_wmark_min(const json_t *obj, const struct metric *m, struct mval *out);
static int get_wmark_low_over_min(const json_t *obj, const struct metric *m, struct mval *out);
static int get_wmark_high_over_min(const json_t *obj, const struct metric *m, struct mval *out);
static int get_wmark_gap_10k(const json_t *obj, const struct metric *m, struct mval *out);
static int get_wmark_gap_ratio(const json_t *obj, const struct metric *m, struct mval *out);

/* a trailing LOWER or HIGHER says which way a number is better (compare, ab) */
#define NUM(n, u, p, mean, ...) { .name = n, .type = MT_NUMBER, .unit = u, .path = p, .meaning = mean, __VA_ARGS__ }
#define LEN(n, p, mean, ...) \
	{ .name = n, .type = MT_NUMBER, .unit = MU_COUNT, .path = p, .get = get_len, .meaning = mean, __VA_ARGS__ }
#define BOOL(n, p, mean) { .name = n, .type = MT_BOOL, .path = p, .meaning = mean }
#define WORD(n, p, w, nw, mean) { .name = n, .type = MT_WORD, .path = p, .words = w, .null_word = nw, .meaning = mean }
/* a quantile of a workloads/hist.c histogram {count, min_ns, ..., max_ns}: absent
 * when it holds no samples */
#define HIST(n, u, p, sc, mean, ...) \
	{ .name = n, .type = MT_NUMBER, .unit = u, .path = p, .scale = sc, .get = get_hist, .meaning = mean, __VA_ARGS__ }
/* a figure of the zones' watermarks at the start (zoneinfo.start), summed over the
 * zones that have pages (managed_pages > 0) */
#define WMARK(n, u, fn, mean) { .name = n, .type = MT_NUMBER, .unit = u, .path = "zoneinfo.start", .get = fn, .meaning = mean }
#define LOWER .better = MB_LOWER
#define HIGHER .better = MB_HIGHER

#define RC "recorder.reclaim."
#define CR "recorder.cgroup_reclaim."

/* One value per run. Machine-wide reclaim counters (/proc/vmstat) and the run
 * cgroup's own (memory.stat) are kept apart: reclaim at a cgroup's limit only shows in
 * the cgroup's (docs/recorder.md). */
static const struct metric run_metrics[] = {
	LEN("oom_kills", "oom_kills", "OOM kills that belong to this run (its cgroup's or its workloads'); kills elsewhere are not counted", LOWER),
	{ .name = "global_oom_kills", .type = MT_NUMBER, .unit = MU_COUNT, .path = "oom_kills", .get = get_global_kills,
	  .meaning = "of oom_kills, those made by the global OOM killer (the machine, not a cgroup limit, ran out)", LOWER },
	NUM("oom_kills_elsewhere", MU_COUNT, "oom_kills_elsewhere", "OOM kills the kernel logged during the run outside the run's cgroup"),
	NUM("cgroup_oom_kill", MU_COUNT, "cgroup.oom_kill", "rise of the run cgroup's own oom_kill counter over the run", LOWER),
	NUM("peak_usage", MU_BYTES, "recorder.peak_usage_bytes", "the run cgroup's highest memory usage: the higher of the sampled usage and its high-water mark", LOWER),
	NUM("cgroup_peak", MU_BYTES, "cgroup.peak_bytes", "the run cgroup's high-water mark (v1 max_usage_in_bytes, v2 memory.peak)", LOWER),
	NUM("failcnt", MU_COUNT, "cgroup.failcnt", "v1: times the cgroup's usage hit memory.max (memory.failcnt); absent on v2", LOWER),
	NUM("events_low", MU_COUNT, "cgroup.memory_events.low", "v2 memory.events low at the end: reclaimed below memory.low; absent on v1"),
	NUM("events_high", MU_COUNT, "cgroup.memory_events.high", "v2 memory.events high: times usage went over memory.high and was throttled; absent on v1", LOWER),
	NUM("events_max", MU_COUNT, "cgroup.memory_events.max", "v2 memory.events max: times usage was about to go over memory.max; absent on v1", LOWER),
	NUM("events_oom", MU_COUNT, "cgroup.memory_events.oom", "v2 memory.events oom: times the cgroup ran out of memory at its limit; absent on v1", LOWER),
	NUM("events_oom_kill", MU_COUNT, "cgroup.memory_events.oom_kill", "v2 memory.events oom_kill: processes OOM-killed in the cgroup; absent on v1", LOWER),
	NUM("swap_out_mb", MU_MIB, RC "swap_out_mb", "written to swap during the run, machine-wide (Δ pswpout × page size)", LOWER),
	NUM("swap_in_mb", MU_MIB, RC "swap_in_mb", "read back from swap during the run, machine-wide (Δ pswpin × page size)", LOWER),
	NUM("cgroup_swap_out_mb", MU_MIB, CR "swap_out_mb", "the run cgroup's own swap-out (memory.stat pswpout); absent where memory.stat has none", LOWER),
	NUM("cgroup_swap_in_mb", MU_MIB, CR "swap_in_mb", "the run cgroup's own swap-in (memory.stat pswpin); absent where memory.stat has none", LOWER),
	NUM("pgscan_direct", MU_PAGES, RC "reclaimers.direct.scanned_pages", "pages scanned by direct reclaim, machine-wide; reclaim at a cgroup's limit is not counted here", LOWER),
	NUM("pgscan_kswapd", MU_PAGES, RC "reclaimers.kswapd.scanned_pages", "pages scanned by kswapd, machine-wide", LOWER),
	NUM("pgsteal_direct", MU_PAGES, RC "reclaimers.direct.reclaimed_pages", "pages reclaimed by direct reclaim, machine-wide", LOWER),
	NUM("pgsteal_kswapd", MU_PAGES, RC "reclaimers.kswapd.reclaimed_pages", "pages reclaimed by kswapd, machine-wide", LOWER),
	NUM("direct_scan_pct", MU_PCT, RC "direct_scan_pct", "direct reclaim's share of the pages scanned, machine-wide; absent when nothing was scanned", LOWER),
	NUM("direct_efficiency_pct", MU_PCT, RC "reclaimers.direct.efficiency_pct", "pages direct reclaim reclaimed per 100 it scanned, machine-wide; absent when it scanned none", HIGHER),
	NUM("kswapd_efficiency_pct", MU_PCT, RC "reclaimers.kswapd.efficiency_pct", "pages kswapd reclaimed per 100 it scanned, machine-wide; absent when it scanned none", HIGHER),
	NUM("cgroup_pgscan_direct", MU_PAGES, CR "reclaimers.direct.scanned_pages", "pages scanned by direct reclaim charged to the run cgroup, limit reclaim included; absent on v1", LOWER),
	NUM("cgroup_pgscan_kswapd", MU_PAGES, CR "reclaimers.kswapd.scanned_pages", "pages of the run cgroup scanned by kswapd; absent on v1", LOWER),
	NUM("cgroup_pgsteal_direct", MU_PAGES, CR "reclaimers.direct.reclaimed_pages", "pages of the run cgroup reclaimed by direct reclaim, limit reclaim included; absent on v1", LOWER),
	NUM("cgroup_pgsteal_kswapd", MU_PAGES, CR "reclaimers.kswapd.reclaimed_pages", "pages of the run cgroup reclaimed by kswapd; absent on v1", LOWER),
	NUM("cgroup_direct_efficiency_pct", MU_PCT, CR "reclaimers.direct.efficiency_pct", "the run cgroup's direct reclaim (limit reclaim included): pages reclaimed per 100 scanned; absent on v1 or when none were scanned", HIGHER),
	NUM("allocation_stalls", MU_COUNT, RC "allocation_stalls", "allocations that entered direct reclaim, machine-wide (Σ Δ allocstall_*)", LOWER),
	NUM("numa_miss", MU_PAGES, "vmstat.delta.numa_miss", "pages allocated on another node than the one asked for (the intended node was short), machine-wide (Δ numa_miss); absent without NUMA"),
	NUM("numa_foreign", MU_PAGES, "vmstat.delta.numa_foreign", "pages meant for a node but allocated on another, machine-wide (Δ numa_foreign); absent without NUMA"),
	NUM("zone_reclaim_failed", MU_COUNT, "vmstat.delta.zone_reclaim_failed", "vm.zone_reclaim_mode reclaims of a node that freed too little (Δ zone_reclaim_failed); absent without NUMA"),
	NUM("refaults_anon", MU_PAGES, RC "refaults_anon_pages", "anonymous pages faulted back soon after being reclaimed, machine-wide (Δ workingset_refault_anon)", LOWER),
	NUM("refaults_file", MU_PAGES, RC "refaults_file_pages", "file pages read back soon after being reclaimed, machine-wide (Δ workingset_refault_file)", LOWER),
	NUM("cgroup_refaults_anon", MU_PAGES, CR "refaults_anon_pages", "the run cgroup's anonymous workingset refaults", LOWER),
	NUM("cgroup_refaults_file", MU_PAGES, CR "refaults_file_pages", "the run cgroup's file workingset refaults: on v1 where limit reclaim of page cache shows", LOWER),
	NUM("major_faults", MU_COUNT, RC "major_faults", "page faults that needed I/O, machine-wide (Δ pgmajfault)", LOWER),
	NUM("cgroup_major_faults", MU_COUNT, CR "major_faults", "the run cgroup's major faults", LOWER),
	NUM("psi_some_total_s", MU_S, "recorder.psi_memory.some.stall_total_s", "time in which some task waited for memory, machine-wide (/proc/pressure/memory some total)", LOWER),
	NUM("psi_full_total_s", MU_S, "recorder.psi_memory.full.stall_total_s", "time in which all non-idle tasks waited for memory, machine-wide (PSI full total)", LOWER),
	NUM("psi_some_avg10_peak", MU_PCT, "recorder.psi_memory.some.peak_avg10_pct", "the highest PSI memory some avg10 sampled", LOWER),
	NUM("psi_full_avg10_peak", MU_PCT, "recorder.psi_memory.full.peak_avg10_pct", "the highest PSI memory full avg10 sampled", LOWER),
	NUM("first_direct_reclaim_s", MU_S, "recorder.first_direct_reclaim_s", "when direct reclaim was first seen; absent when it never happened"),
	NUM("first_swap_out_s", MU_S, "recorder.first_swap_out_s", "when swap-out was first seen; absent when it never happened"),
	NUM("first_psi_full_stall_s", MU_S, "recorder.first_psi_full_stall_s", "when PSI memory full first rose; absent when it never did"),
	NUM("first_oom_kill_s", MU_S, "recorder.first_oom_kill_s", "when the first OOM kill happened (the kernel's clock); absent without one"),
	NUM("memcg_stalls", MU_COUNT, "recorder.reclaim_stalls.memcg.count", "the run's tasks' limit reclaim stalls (tracepoints); absent without [record] stalls"),
	NUM("memcg_stall_p99_us", MU_US, "recorder.reclaim_stalls.memcg.p99_us", "99th percentile of those stalls; absent without one"),
	NUM("direct_stalls", MU_COUNT, "recorder.reclaim_stalls.direct.count", "the run's tasks' direct reclaim stalls (tracepoints); absent without [record] stalls"),
	NUM("direct_stall_p99_us", MU_US, "recorder.reclaim_stalls.direct.p99_us", "99th percentile of those stalls; absent without one"),
	WMARK("watermark_min_pages", MU_PAGES, get_wmark_min, "Σ min watermark of the zones with pages, at the start (/proc/zoneinfo; vm.min_free_kbytes / 4 KiB)"),
	WMARK("watermark_low_over_min", MU_NONE, get_wmark_low_over_min, "Σ low / Σ min watermark at the start; the old formula's 1.25, today's 1 + max(min/4, managed × watermark_scale_factor / 10000) / min"),
	WMARK("watermark_high_over_min", MU_NONE, get_wmark_high_over_min, "Σ high / Σ min watermark at the start; the old formula's 1.5"),
	WMARK("watermark_gap_per_10k", MU_NONE, get_wmark_gap_10k, "Σ (low − min) × 10000 / Σ managed pages at the start: watermark_scale_factor when it sets the gap (today's formula), more when min/4 does"),
	WMARK("watermark_gap_ratio", MU_NONE, get_wmark_gap_ratio, "Σ (high − low) / Σ (low − min) at the start: 1 when high = low + the same gap as low = min + gap"),
	NUM("elapsed_s", MU_S, "elapsed_s", "seconds from starting the workloads until all had ended or been stopped"),
	NUM("samples", MU_COUNT, "recorder.samples", "samples the recorder took"),
	BOOL("interrupted", "interrupted", "the run was cut short by SIGINT, SIGTERM or SIGHUP"),
	BOOL("kernel_log_readable", "kernel_log.readable", "mph could read /dev/kmsg, so OOM kills were confirmed by the kernel log"),
	LEN("errors", "errors", "what went wrong in carrying the run out or undoing it (0 on a clean run)", LOWER),
	WORD("cgroup_version", "cgroup.version", cgroup_words, NULL, "the cgroup hierarchy the run used"),
};

#define FIN "report_final."

/* Per workload, found by name in `workloads`. wl_type "*": every workload. */
static const struct metric wl_metrics[] = {
	{ .name = "outcome", .wl_type = "*", .type = MT_WORD, .path = "outcome", .words = outcome_words,
	  .meaning = "how the workload ended (docs/results.md, Outcomes)" },
	NUM("exit_code", MU_NONE, "exit_code", "its exit status; absent when it did not exit (killed, not started)"),
	WORD("signal", "signal", NULL, "none", "the signal that ended it (KILL, TERM, ...), none when it exited"),
	NUM("started_s", MU_S, "started_s", "when it started, in seconds since the workloads were started"),
	NUM("ended_s", MU_S, "ended_s", "when it ended, in seconds since the workloads were started"),
	BOOL("sigterm_sent", "sigterm_sent", "mph sent it SIGTERM (end of duration, interruption)"),
	LEN("oom_kills", "oom_killed_pids", "OOM victims among itself and the children it announced", LOWER),
	NUM("children", MU_COUNT, "children", "processes it announced with child records"),
	WORD("status", FIN "status", status_words, NULL, "the status of its final report; absent when it wrote none (killed)"),
	NUM("report_bad_lines", MU_COUNT, "report_bad_lines", "report lines that were not valid JSON records"),

	{ .name = "bytes", .wl_type = "anonleak", .type = MT_NUMBER, .unit = MU_BYTES, .path = FIN "bytes",
	  .meaning = "anonymous memory allocated and touched" },
	NUM("rss_bytes", MU_BYTES, FIN "rss_bytes", "its VmRSS at the end"),
	NUM("fill_seconds", MU_S, FIN "fill_seconds", "time to allocate and touch it all", LOWER),
	NUM("fill_mb_per_s", MU_MIB_S, FIN "fill_mb_per_s", "allocation rate while filling", HIGHER),
	NUM("hot_passes", MU_COUNT, FIN "hot.passes", "passes over the hot set; absent without --hot", HIGHER),
	HIST("hot_pass_p50_ms", MU_MS, FIN "hot.pass.p50_ns", 1e-6, "median time of a pass over the hot set", LOWER),
	HIST("hot_pass_p99_ms", MU_MS, FIN "hot.pass.p99_ns", 1e-6, "99th percentile time of a pass over the hot set", LOWER),
	HIST("hot_pass_max_ms", MU_MS, FIN "hot.pass.max_ns", 1e-6, "slowest pass over the hot set", LOWER),
	HIST("hot_page_p99_us", MU_US, FIN "hot.page.p99_ns", 1e-3, "99th percentile of a pass's time per page", LOWER),

	{ .name = "chunks", .wl_type = "alloc", .type = MT_NUMBER, .unit = MU_COUNT, .path = FIN "chunks",
	  .meaning = "chunks allocated" },
	NUM("bytes", MU_BYTES, FIN "bytes", "bytes allocated"),
	NUM("freed_bytes", MU_BYTES, FIN "freed_bytes", "bytes freed again"),
	NUM("first_malloc_growth_bytes", MU_BYTES, FIN "first_malloc_growth_bytes", "how much the first malloc grew the heap"),
	NUM("allocated_rss_bytes", MU_BYTES, FIN "allocated_rss_bytes", "VmRSS after allocating minus before"),
	NUM("returned_bytes", MU_BYTES, FIN "returned_bytes", "what free() gave back to the kernel (VmRSS)"),
	NUM("trim_returned_bytes", MU_BYTES, FIN "trim_returned_bytes", "what malloc_trim gave back to the kernel (VmRSS)"),
	NUM("mmapped_chunks", MU_COUNT, FIN "mmapped_chunks", "malloc: chunks glibc served with mmap"),

	{ .name = "reserved_bytes", .wl_type = "overcommit", .type = MT_NUMBER, .unit = MU_BYTES,
	  .path = FIN "reserved_bytes", .meaning = "address space granted" },
	NUM("reserve_requests", MU_COUNT, FIN "reserve_requests", "reservations granted"),
	NUM("failed_request_bytes", MU_BYTES, FIN "failed_request_bytes", "size of the refused reservation (0 when none was)"),
	NUM("touched_bytes", MU_BYTES, FIN "touched_bytes", "bytes of the reservation touched"),
	NUM("reserved_vm_size", MU_BYTES, FIN "reserved.vm_size", "its VmSize once reserving ended (granted or refused)"),
	NUM("reserved_vm_rss", MU_BYTES, FIN "reserved.vm_rss", "its VmRSS at the same moment, before touching: reserving is not using"),
	NUM("commit_limit", MU_BYTES, FIN "reserved.commit_limit", "CommitLimit (/proc/meminfo) at the same moment"),
	WORD("reserve_errno", FIN "reserve_errno", NULL, "none", "why a reservation was refused (ENOMEM), none when none was"),

	{ .name = "passes_done", .wl_type = "pagecache", .type = MT_NUMBER, .unit = MU_COUNT, .path = FIN "passes_done",
	  .meaning = "passes started (one cut short by SIGTERM included)" },
	NUM("bytes", MU_BYTES, FIN "bytes", "bytes read or written by all passes"),
	NUM("mb_per_s", MU_MIB_S, FIN "mb_per_s", "rate over the passes' time", HIGHER),
	NUM("io_read_bytes", MU_BYTES, FIN "io_read_bytes", "what the kernel fetched from storage for it (/proc/self/io read_bytes)", LOWER),
	NUM("major_faults", MU_COUNT, FIN "major_faults", "its major faults (only --access=mmap has them)"),
	NUM("resident_bytes", MU_BYTES, FIN "resident_bytes", "its files' pages in the page cache at the end (mincore)"),

	{ .name = "bytes", .wl_type = "shm", .type = MT_NUMBER, .unit = MU_BYTES, .path = FIN "bytes",
	  .meaning = "shared memory filled" },
	NUM("rss_shmem_bytes", MU_BYTES, FIN "rss_shmem_bytes", "its shared memory in RAM at the end (RssShmem)"),
	NUM("swap_bytes", MU_BYTES, FIN "swap_bytes", "its shared memory in swap at the end"),
	NUM("fill_seconds", MU_S, FIN "fill_seconds", "time to fill it", LOWER),
	WORD("backing", FIN "backing", NULL, NULL, "tmpfs, memfd or sysv"),

	{ .name = "probes", .wl_type = "probe", .type = MT_NUMBER, .unit = MU_COUNT, .path = FIN "probes",
	  .meaning = "allocations timed" },
	NUM("slow", MU_COUNT, FIN "slow", "probes slower than --slow", LOWER),
	NUM("skipped", MU_COUNT, FIN "skipped", "grid slots lost to overruns", LOWER),
	NUM("minflt", MU_COUNT, FIN "minflt", "minor faults while probing"),
	HIST("min_ms", MU_MS, FIN "stall.min_ns", 1e-6, "fastest probe", LOWER),
	HIST("mean_ms", MU_MS, FIN "stall.mean_ns", 1e-6, "mean probe time", LOWER),
	HIST("p50_ms", MU_MS, FIN "stall.p50_ns", 1e-6, "median probe time (upper bound of its bucket, within 12.5%)", LOWER),
	HIST("p90_ms", MU_MS, FIN "stall.p90_ns", 1e-6, "90th percentile probe time", LOWER),
	HIST("p99_ms", MU_MS, FIN "stall.p99_ns", 1e-6, "99th percentile probe time: the allocation stall reclaim costs", LOWER),
	HIST("p999_ms", MU_MS, FIN "stall.p999_ns", 1e-6, "99.9th percentile probe time", LOWER),
	HIST("max_ms", MU_MS, FIN "stall.max_ns", 1e-6, "slowest probe", LOWER),

	{ .name = "cmd_exit_code", .wl_type = "exec", .type = MT_NUMBER, .path = FIN "exit_code",
	  .meaning = "the command's exit status; absent when it was killed" },
	WORD("cmd_signal", FIN "signal", NULL, "none", "the signal that ended the command, none when it exited"),
	NUM("seconds", MU_S, FIN "seconds", "how long the command ran"),

	{ .name = "requests_served", .wl_type = "fpm", .type = MT_NUMBER, .unit = MU_COUNT,
	  .path = FIN "requests.served", .meaning = "requests answered", HIGHER },
	NUM("requests_failed", MU_COUNT, FIN "requests.failed", "requests that failed (queue full, worker died, ENOMEM)", LOWER),
	NUM("failed_worker_died", MU_COUNT, FIN "requests.failed_worker_died", "requests lost with a worker that died", LOWER),
	NUM("rps_served", MU_PER_S, FIN "rps_served", "requests answered per second", HIGHER),
	HIST("p50_ms", MU_MS, FIN "latency.p50_ns", 1e-6, "median request latency (generation to reply)", LOWER),
	HIST("p99_ms", MU_MS, FIN "latency.p99_ns", 1e-6, "99th percentile request latency", LOWER),
	HIST("max_ms", MU_MS, FIN "latency.max_ns", 1e-6, "slowest request", LOWER),
	NUM("workers_spawned", MU_COUNT, FIN "workers_spawned", "worker processes started"),
	NUM("killed_total", MU_COUNT, FIN "killed_total", "workers killed by SIGKILL the master did not send (in a cgroup, the OOM killer)", LOWER),
	NUM("respawns_died", MU_COUNT, FIN "respawns.died", "workers replaced because one died", LOWER),
	NUM("worker_rss_max", MU_BYTES, FIN "worker_rss_max", "the largest worker RSS sampled", LOWER),

	/* [action NAME]: SCHEMA_ACTION, read from the action's entry in `actions` */
	{ .name = "result", .wl_type = SCHEMA_ACTION, .type = MT_WORD, .path = "result", .words = action_words,
	  .meaning = "what became of the action" },
	NUM("done_s", MU_S, "done_s", "when it was done, in seconds since the workloads were started; absent when it was not"),
	NUM("before_file", MU_BYTES, "before.file", "the run cgroup's page cache just before the action (memory.stat file; v1 cache)"),
	NUM("after_file", MU_BYTES, "after.file", "the same, `after` (default: at once) after the action"),
	NUM("file_kept_pct", MU_PCT, "kept_pct.file", "after_file × 100 / before_file; absent when before_file is 0"),
	NUM("before_anon", MU_BYTES, "before.anon", "the run cgroup's anonymous memory just before the action (memory.stat anon; v1 rss)"),
	NUM("after_anon", MU_BYTES, "after.anon", "the same, after the action"),
	NUM("anon_kept_pct", MU_PCT, "kept_pct.anon", "after_anon × 100 / before_anon; absent when before_anon is 0"),
	NUM("before_inactive_anon", MU_BYTES, "before.inactive_anon", "memory.stat inactive_anon just before the action"),
	NUM("after_inactive_anon", MU_BYTES, "after.inactive_anon", "the same, after the action"),
	NUM("inactive_anon_kept_pct", MU_PCT, "kept_pct.inactive_anon", "after_inactive_anon × 100 / before_inactive_anon; absent when it was 0"),
	NUM("before_shmem", MU_BYTES, "before.shmem", "memory.stat shmem just before the action"),
	NUM("after_shmem", MU_BYTES, "after.shmem", "the same, after the action"),
	NUM("shmem_kept_pct", MU_PCT, "kept_pct.shmem", "after_shmem × 100 / before_shmem; absent when it was 0"),
	NUM("before_usage", MU_BYTES, "before.usage", "the run cgroup's usage (memory.current) just before the action"),
	NUM("after_usage", MU_BYTES, "after.usage", "the same, after the action"),
	NUM("usage_kept_pct", MU_PCT, "kept_pct.usage", "after_usage × 100 / before_usage"),
};

/* The rows without their own wl_type carry on the type of the row above them
 * (keeps the table readable); resolved once. */
static const char *row_type(const struct metric *tab, size_t i)
{
	while (i > 0 && !tab[i].wl_type)
		i--;
	return tab[i].wl_type;
}

static const char *const unit_names[MU_N] = {
	[MU_NONE] = "-", [MU_BYTES] = "bytes", [MU_MIB] = "MiB", [MU_MIB_S] = "MiB/s", [MU_PER_S] = "1/s", [MU_PAGES] = "pages",
	[MU_S] = "s",    [MU_MS] = "ms",       [MU_US] = "us",   [MU_COUNT] = "count", [MU_PCT] = "%",
};

const char *metric_unit_name(enum metric_unit u)
{
	return u < MU_N ? unit_names[u] : "?";
}

const char *metric_type_name(enum metric_type t)
{
	static const char *const n[] = { [MT_NUMBER] = "number", [MT_WORD] = "word", [MT_BOOL] = "bool" };
	return t <= MT_BOOL ? n[t] : "?";
}

const char *metric_better_name(enum metric_better b)
{
	return b == MB_LOWER ? "lower" : b == MB_HIGHER ? "higher" : "-";
}

/* wl_metrics with wl_type filled in on every row: what callers and the docs see */
static struct metric all[ARRAY_SIZE(run_metrics) + ARRAY_SIZE(wl_metrics)];
static size_t nall;

static void init(void)
{
	if (nall)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(run_metrics); i++)
		all[nall++] = run_metrics[i];
	for (size_t i = 0; i < ARRAY_SIZE(wl_metrics); i++) {
		all[nall] = wl_metrics[i];
		all[nall++].wl_type = row_type(wl_metrics, i);
	}
}

const struct metric *schema_metrics(size_t *n)
{
	init();
	*n = nall;
	return all;
}

const struct metric *schema_find(const char *name)
{
	init();
	for (size_t i = 0; i < nall && !all[i].wl_type; i++)
		if (strcmp(all[i].name, name) == 0)
			return &all[i];
	return NULL;
}

/* a metric of every workload ("*"), which an action is not */
static bool is_any(const char *row_type, const char *wl_type)
{
	return strcmp(row_type, "*") == 0 && !(wl_type && strcmp(wl_type, SCHEMA_ACTION) == 0);
}

const struct metric *schema_find_wl(const char *wl_type, const char *name)
{
	init();
	for (size_t i = 0; i < nall; i++)
		if (all[i].wl_type && (is_any(all[i].wl_type, wl_type) || (wl_type && strcmp(all[i].wl_type, wl_type) == 0)) &&
		    strcmp(all[i].name, name) == 0)
			return &all[i];
	return NULL;
}

/* A workload type that has a metric called name, for "p99_ms is a probe metric". */
static const char *type_having(const char *name)
{
	for (size_t i = 0; i < nall; i++)
		if (all[i].wl_type && strcmp(all[i].name, name) == 0)
			return all[i].wl_type;
	return NULL;
}

static void suggest(char *err, size_t errlen, const char *what, const char *s, const char *const *names, size_t n)
{
	const char *near = nearest_name(s, names, n);
	if (near)
		snprintf(err, errlen, "%s (did you mean %s?)", what, near);
	else
		snprintf(err, errlen, "%s", what);
}

int schema_resolve(const char *name, const struct schema_wl *wls, size_t nwl, struct metric_ref *out, char *err,
		   size_t errlen)
{
	const char *names[ARRAY_SIZE(all)];
	char what[256];
	size_t n = 0;

	init();
	/* the longest workload name that prefixes "<name>." (workload names may hold dots) */
	const struct schema_wl *w = NULL;
	size_t wlen = 0;
	for (size_t i = 0; i < nwl; i++) {
		size_t l = strlen(wls[i].name);
		if (l > wlen && strncmp(name, wls[i].name, l) == 0 && name[l] == '.') {
			w = &wls[i];
			wlen = l;
		}
	}
	if (w) {
		const char *mn = name + wlen + 1;
		const struct metric *m = schema_find_wl(w->type, mn);
		if (m) {
			*out = (struct metric_ref){ .m = m, .workload = w->name };
			return 0;
		}
		for (size_t i = 0; i < nall; i++)
			if (all[i].wl_type && (is_any(all[i].wl_type, w->type) || strcmp(all[i].wl_type, w->type) == 0))
				names[n++] = all[i].name;
		const char *other = type_having(mn);
		if (strcmp(w->type, SCHEMA_ACTION) == 0)
			snprintf(what, sizeof(what), "action %s has no metric '%s'", w->name, mn);
		else if (other && strcmp(other, "*") != 0)
			snprintf(what, sizeof(what), "workload %s (%s) has no metric '%s'; it is a metric of %s workloads",
				 w->name, w->type, mn, other);
		else
			snprintf(what, sizeof(what), "workload %s (%s) has no metric '%s'", w->name, w->type, mn);
		suggest(err, errlen, what, mn, names, n);
		return -ENOENT;
	}
	const char *dot = strrchr(name, '.');
	if (!dot) {
		const struct metric *m = schema_find(name);
		if (m) {
			*out = (struct metric_ref){ .m = m, .workload = NULL };
			return 0;
		}
		for (size_t i = 0; i < nall && !all[i].wl_type; i++)
			names[n++] = all[i].name;
		if (type_having(name)) {
			snprintf(err, errlen, "'%s' is a workload metric: write <workload>.%s", name, name);
			return -ENOENT;
		}
		snprintf(what, sizeof(what), "no metric '%s' (docs/results.md lists them)", name);
		suggest(err, errlen, what, name, names, n);
		return -ENOENT;
	}
	char wn[128];
	snprintf(wn, sizeof(wn), "%.*s", (int)(dot - name), name);
	for (size_t i = 0; i < nwl && n < ARRAY_SIZE(names); i++)
		names[n++] = wls[i].name;
	snprintf(what, sizeof(what), "no workload '%s' in this scenario", wn);
	suggest(err, errlen, what, wn, names, n);
	return -ENOENT;
}

/* Walk a dotted path of object keys. NULL with *why set when a key is missing or an
 * object on the way is null. */
static const json_t *walk(const json_t *obj, const char *path, const char **why)
{
	const char *p = path;
	while (obj) {
		if (json_is_null(obj)) {
			*why = "null in run.json";
			return NULL;
		}
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		obj = json_object_getn(obj, p, len);
		if (!obj) {
			*why = "missing from run.json";
			return NULL;
		}
		if (!dot)
			return obj;
		p = dot + 1;
	}
	*why = "missing from run.json";
	return NULL;
}

static void absent(struct mval *out, const char *why)
{
	*out = (struct mval){ .kind = MV_ABSENT, .why = why };
}

static int get_path(const json_t *obj, const struct metric *m, struct mval *out)
{
	const char *why = NULL;
	const json_t *v = walk(obj, m->path, &why);
	if (!v || json_is_null(v)) {
		if (m->type == MT_WORD && m->null_word && v) {
			*out = (struct mval){ .kind = MV_WORD, .word = m->null_word };
			return 0;
		}
		absent(out, v ? "null in run.json" : why);
		return 0;
	}
	switch (m->type) {
	case MT_NUMBER:
		if (!json_is_number(v)) {
			absent(out, "not a number in run.json");
			return 0;
		}
		*out = (struct mval){ .kind = MV_NUMBER, .num = json_number_value(v) * (m->scale ? m->scale : 1) };
		return 0;
	case MT_BOOL:
		if (!json_is_boolean(v)) {
			absent(out, "not a boolean in run.json");
			return 0;
		}
		*out = (struct mval){ .kind = MV_WORD, .word = json_is_true(v) ? "true" : "false" };
		return 0;
	case MT_WORD:
		if (!json_is_string(v)) {
			absent(out, "not a string in run.json");
			return 0;
		}
		*out = (struct mval){ .kind = MV_WORD, .word = json_string_value(v) };
		return 0;
	}
	return -EINVAL;
}

static int get_len(const json_t *obj, const struct metric *m, struct mval *out)
{
	const char *why = NULL;
	const json_t *v = walk(obj, m->path, &why);
	if (!json_is_array(v)) {
		absent(out, !v ? why : json_is_null(v) ? "null in run.json" : "not an array in run.json");
		return 0;
	}
	*out = (struct mval){ .kind = MV_NUMBER, .num = (double)json_array_size(v) };
	return 0;
}

static int get_global_kills(const json_t *obj, const struct metric *m, struct mval *out)
{
	int r = get_len(obj, m, out);
	if (r < 0 || out->kind == MV_ABSENT)
		return r;
	size_t i, n = 0;
	const json_t *k;
	json_array_foreach (json_object_get(obj, m->path), i, k)
		n += json_is_true(json_object_get(k, "global"));
	out->num = (double)n;
	return 0;
}

static int get_hist(const json_t *obj, const struct metric *m, struct mval *out)
{
	/* the histogram is the object holding the field: its count says if it has samples */
	const char *dot = strrchr(m->path, '.');
	char parent[128];
	snprintf(parent, sizeof(parent), "%.*s", (int)(dot - m->path), m->path);
	const char *why = NULL;
	const json_t *h = walk(obj, parent, &why);
	if (!json_is_object(h)) {
		absent(out, h ? "null in run.json" : why);
		return 0;
	}
	const json_t *count = json_object_get(h, "count");
	if (json_is_integer(count) && json_integer_value(count) == 0) {
		absent(out, "no samples in the histogram");
		return 0;
	}
	return get_path(obj, m, out);
}

/* Σ min, low, high and managed pages over the zones of zoneinfo.start that have
 * pages; 0 when the sums exist (and *out is untouched), else *out is absent. A zone
 * without pages (an empty Movable) still shows a min: it is left out. */
static int wmark_sums(const json_t *obj, const struct metric *m, struct mval *out, double sum[4])
{
	static const char *const keys[4] = { "min_pages", "low_pages", "high_pages", "managed_pages" };
	const char *why = NULL;
	const json_t *zones = walk(obj, m->path, &why), *z;
	size_t i, n = 0;
	if (!json_is_array(zones)) {
		absent(out, zones ? "zoneinfo not recorded (null in run.json)" : why);
		return -1;
	}
	memset(sum, 0, 4 * sizeof(*sum));
	json_array_foreach (zones, i, z) {
		json_t *managed = json_object_get(z, "managed_pages");
		if (!json_is_integer(managed) || json_integer_value(managed) <= 0)
			continue;
		for (size_t k = 0; k < 4; k++) {
			json_t *v = json_object_get(z, keys[k]);
			if (!json_is_integer(v)) {
				absent(out, "a zone without its watermarks in run.json");
				return -1;
			}
			sum[k] += (double)json_integer_value(v);
		}
		n++;
	}
	if (!n || sum[0] <= 0) {
		absent(out, "no zone with pages and a min watermark in run.json");
		return -1;
	}
	return 0;
}

static int wmark_value(const json_t *obj, const struct metric *m, struct mval *out, int what)
{
	double s[4];
	if (wmark_sums(obj, m, out, s) < 0)
		return 0;
	double v, gap = s[1] - s[0];
	switch (what) {
	case 0: v = s[0]; break;
	case 1: v = s[1] / s[0]; break;
	case 2: v = s[2] / s[0]; break;
	case 3: v = gap * 10000.0 / s[3]; break;
	default:
		if (gap <= 0) {
			absent(out, "low equals min: no gap to compare with");
			return 0;
		}
		v = (s[2] - s[1]) / gap;
	}
	*out = (struct mval){ .kind = MV_NUMBER, .num = v };
	return 0;
}

static int get_wmark_min(const json_t *obj, const struct metric *m, struct mval *out)
{
	return wmark_value(obj, m, out, 0);
}

static int get_wmark_low_over_min(const json_t *obj, const struct metric *m, struct mval *out)
{
	return wmark_value(obj, m, out, 1);
}

static int get_wmark_high_over_min(const json_t *obj, const struct metric *m, struct mval *out)
{
	return wmark_value(obj, m, out, 2);
}

static int get_wmark_gap_10k(const json_t *obj, const struct metric *m, struct mval *out)
{
	return wmark_value(obj, m, out, 3);
}

static int get_wmark_gap_ratio(const json_t *obj, const struct metric *m, struct mval *out)
{
	return wmark_value(obj, m, out, 4);
}

int schema_value(const json_t *run, const struct metric_ref *ref, struct mval *out)
{
	if (!run || !ref || !ref->m || (ref->m->wl_type && !ref->workload))
		return -EINVAL;
	const json_t *obj = run;
	if (ref->m->wl_type) {
		bool act = strcmp(ref->m->wl_type, SCHEMA_ACTION) == 0;
		const json_t *wls = json_object_get(run, act ? "actions" : "workloads"), *w;
		size_t i;
		obj = NULL;
		json_array_foreach (wls, i, w) {
			const char *n = json_string_value(json_object_get(w, "name"));
			if (n && strcmp(n, ref->workload) == 0) {
				obj = w;
				break;
			}
		}
		if (!obj) {
			absent(out, act ? "no such action in run.json" : "no such workload in run.json");
			return 0;
		}
	}
	return (ref->m->get ? ref->m->get : get_path)(obj, ref->m, out);
}

static void doc_from(FILE *f, const struct metric *m)
{
	if (m->get == get_len)
		fprintf(f, "length of `%s`", m->path);
	else if (m->get == get_global_kills)
		fprintf(f, "entries of `%s` with `global` true", m->path);
	else
		fprintf(f, "`%s`", m->path);
	if (m->scale && m->scale != 1) {
		double k = -log10(m->scale);
		if (k == floor(k) && k > 0)
			fprintf(f, " / 10^%.0f", k);
		else
			fprintf(f, " × %g", m->scale);
	}
	if (m->get == get_hist)
		fprintf(f, ", absent if the histogram's count is 0");
	if (m->null_word)
		fprintf(f, "; null is `%s`", m->null_word);
}

static void doc_meaning(FILE *f, const struct metric *m)
{
	fprintf(f, "%s", m->meaning);
	if (m->words) {
		fprintf(f, ": ");
		for (size_t i = 0; m->words[i]; i++)
			fprintf(f, "%s`%s`", i ? ", " : "", m->words[i]);
	}
}

void schema_doc_markdown(FILE *f)
{
	init();
	fprintf(f, "Run metrics, one value per run:\n\n");
	fprintf(f, "| name | type | unit | better | from run.json | meaning |\n| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < nall; i++) {
		const struct metric *m = &all[i];
		if (m->wl_type)
			continue;
		fprintf(f, "| %s | %s | %s | %s | ", m->name, metric_type_name(m->type), metric_unit_name(m->unit),
			metric_better_name(m->better));
		doc_from(f, m);
		fprintf(f, " | ");
		doc_meaning(f, m);
		fprintf(f, " |\n");
	}
	fprintf(f, "\nWorkload metrics, written `<workload>.<metric>` (`leaker.outcome`), read from the workload's\n"
		   "entry in `workloads` (matched by name); `*` marks those of every workload:\n\n");
	fprintf(f, "| workload | name | type | unit | better | from its entry in `workloads` | meaning |\n"
		   "| --- | --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < nall; i++) {
		const struct metric *m = &all[i];
		if (!m->wl_type || strcmp(m->wl_type, SCHEMA_ACTION) == 0)
			continue;
		fprintf(f, "| %s | %s | %s | %s | %s | ", m->wl_type, m->name, metric_type_name(m->type),
			metric_unit_name(m->unit), metric_better_name(m->better));
		doc_from(f, m);
		fprintf(f, " | ");
		doc_meaning(f, m);
		fprintf(f, " |\n");
	}
	fprintf(f, "\nAction metrics, written `<action>.<metric>` (`drop.file_kept_pct`) for an `[action NAME]`,\n"
		   "read from the action's entry in `actions` (matched by name):\n\n");
	fprintf(f, "| name | type | unit | better | from its entry in `actions` | meaning |\n"
		   "| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < nall; i++) {
		const struct metric *m = &all[i];
		if (!m->wl_type || strcmp(m->wl_type, SCHEMA_ACTION) != 0)
			continue;
		fprintf(f, "| %s | %s | %s | %s | ", m->name, metric_type_name(m->type), metric_unit_name(m->unit),
			metric_better_name(m->better));
		doc_from(f, m);
		fprintf(f, " | ");
		doc_meaning(f, m);
		fprintf(f, " |\n");
	}
}
