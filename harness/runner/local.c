/* local.c - the local target: run a scenario on this machine. Validate it, then for
 * each repeat: journal, apply sysctls and swap, create the cgroup, start and supervise
 * the workloads, read the kernel's counters and log, undo everything, write run.json.
 * Nothing on the machine changes before the whole scenario and this host's support
 * for it are checked. */
#define _GNU_SOURCE
#include "runner.h"
#include "actions.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/cgroup.h"
#include "../host/journal.h"
#include "../host/kmsg.h"
#include "../host/outcome.h"
#include "../host/recorder.h"
#include "../host/trace.h"
#include "../host/result.h"
#include "../host/supervise.h"
#include "../host/swap.h"
#include "../host/sysctl.h"
#include "../report/report.h"
#include "../scenario/scenario.h"
#include "../../workloads/workload.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run_cfg {
	const struct run_opts *o;
	const char *state_dir;
	const char *sysroot;
	char *wl_dir;
};


/* Directory of the workload binaries: $MPH_WORKLOAD_DIR, else <dir of mph>/workloads. */
static char *workload_dir(void)
{
	return path_beside_self("MPH_WORKLOAD_DIR", "workloads");
}

/* Can this process lower an oom_score_adj (CAP_SYS_RESOURCE in its effective set)? */
static bool can_lower_oom_adj(void)
{
	char *st = NULL;
	bool yes = false;
	if (read_file("/proc/self/status", &st, NULL) == 0) {
		const char *c = strstr(st, "\nCapEff:");
		yes = c && (strtoull(c + 9, NULL, 16) >> 24 & 1); /* CAP_SYS_RESOURCE is 24 */
	}
	free(st);
	return yes;
}

/* Checks against this machine, still changing nothing. Adds to d. */
static void preflight(const struct run_cfg *rc, const struct scenario *sc, struct diags *d)
{
	/* a workload starts with mph's oom_score_adj; going below it needs CAP_SYS_RESOURCE */
	char *own = NULL;
	int cur = read_file("/proc/self/oom_score_adj", &own, NULL) == 0 ? atoi(own) : 0;
	free(own);
	bool lower_ok = can_lower_oom_adj();
	for (size_t i = 0; i < sc->nwl; i++) {
		if (!sc->wl[i].oom_adj_set || sc->wl[i].oom_adj >= cur || lower_ok)
			continue;
		char *sec = xasprintf("workload %s", sc->wl[i].name);
		diags_add(d, sc->wl[i].oom_adj_line, sec, "oom_score_adj",
			  "%d is below mph's own (%d): lowering it needs CAP_SYS_RESOURCE, which mph lacks here (root "
			  "without it); raising works, and in a guest (--kernel 6.12) root can lower it",
			  sc->wl[i].oom_adj, cur);
		free(sec);
	}
	if (sc->memory_max < 0 && rc->o->in_guest) {
		/* a guest exists to be put under global pressure */
	} else if (sc->memory_max < 0) {
		int line = 0;
		for (size_t i = 0; i < sc->ncg; i++)
			if (strcmp(sc->cg[i].knob->name, "memory.max") == 0)
				line = sc->cg[i].line;
		diags_add(d, line, "cgroup", "memory.max",
			  "required: without a limit the workloads would put the whole host under memory pressure");
	} else {
		long long avail = meminfo_bytes("MemAvailable");
		for (size_t i = 0; i < sc->ncg; i++)
			if (strcmp(sc->cg[i].knob->name, "memory.max") == 0 && avail > 0 && sc->memory_max > avail / 2 &&
			    !rc->o->in_guest)
				diags_add(d, sc->cg[i].line, "cgroup", "memory.max",
					  "%lld MiB is more than half of MemAvailable (%lld MiB): too close to global pressure on this host",
					  sc->memory_max >> 20, avail >> 20);
	}
	for (size_t i = 0; i < sc->nsysctl; i++) {
		char *v = NULL;
		int r = sysctl_read(rc->sysroot, sc->sysctl[i].def->name, &v);
		if (r < 0)
			diags_add(d, sc->sysctl[i].line, "sysctl", sc->sysctl[i].def->name, "cannot be read on this kernel: %s",
				  strerror(-r));
		free(v);
	}
	for (size_t i = 0; i < sc->nwl; i++) {
		char *bin = xasprintf("%s/%s", rc->wl_dir, sc->wl[i].type->name);
		if (access(bin, X_OK) < 0)
			diags_add(d, sc->wl[i].line, NULL, NULL, "workload binary %s: %s (run `make`, or set MPH_WORKLOAD_DIR)",
				  bin, strerror(errno));
		free(bin);
	}
	if (sc->m.swap_size) {
		struct statvfs vfs;
		if (mkdir_p(rc->state_dir) == 0 && statvfs(rc->state_dir, &vfs) == 0 &&
		    (uint64_t)vfs.f_bavail * vfs.f_frsize < sc->m.swap_size + (256ULL << 20))
			diags_add(d, 0, "swap", "size", "not enough free space in %s for the swap file", rc->state_dir);
	}
}

static char *read_or_null(const char *path)
{
	char *buf = NULL;
	return read_file(path, &buf, NULL) == 0 ? buf : NULL;
}

static char *cg_read_or_null(const struct cg *cg, const char *name)
{
	char *buf = NULL;
	return cg_read(cg, name, &buf) == 0 ? buf : NULL;
}


struct run_state {
	const struct run_cfg *rc;
	const struct scenario *sc;
	const struct cg_env *env;
	struct journal *j;
	int sigfd;
	json_t *out;     /* run.json under construction */
	json_t *errors;  /* what went wrong, as text */
	char *trace_dir;    /* the run's tracefs instance ([record] stalls), NULL: none */
	char *trace_absent; /* why there is none */
};

static void run_error(struct run_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_error(struct run_state *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "mph: %s\n", msg);
	json_array_append_new(st->errors, json_string(msg));
	free(msg);
}

/* Apply sysctls (each journalled first, its pair partner too). */
static int apply_sysctls(struct run_state *st, json_t *arr)
{
	const struct scenario *sc = st->sc;
	for (size_t i = 0; i < sc->nsysctl; i++) {
		const struct sysctl_def *d = sc->sysctl[i].def;
		const char *names[2] = { d->name, d->partner };
		char *before = NULL;
		for (int k = 0; k < 2 && names[k]; k++) {
			char *v = NULL;
			int r = sysctl_read(st->rc->sysroot, names[k], &v);
			if (r < 0) {
				run_error(st, "cannot read %s: %s", names[k], strerror(-r));
				return r;
			}
			if ((r = journal_add(st->j, J_SYSCTL, names[k], v)) < 0) {
				run_error(st, "cannot write the journal %s: %s", st->j->path, strerror(-r));
				free(v);
				free(before);
				return r;
			}
			if (k == 0)
				before = v;
			else
				free(v);
		}
		MPH_FAILPOINT("sysctl.journaled");
		int r = sysctl_write(st->rc->sysroot, d->name, sc->sysctl[i].value);
		MPH_FAILPOINT("sysctl.written");
		char *applied = NULL;
		(void)sysctl_read(st->rc->sysroot, d->name, &applied);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:i}", "name", d->name, "before", before,
						     "requested", sc->sysctl[i].value, "applied", applied, "line", sc->sysctl[i].line));
		free(before);
		free(applied);
		if (r < 0) {
			run_error(st, "%s:%d: writing %s = %s failed: %s", sc->file, sc->sysctl[i].line, d->name,
				  sc->sysctl[i].value, strerror(-r));
			return r;
		}
	}
	return 0;
}

static void sysctls_after(struct run_state *st, json_t *arr)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		char *v = NULL;
		const char *name = json_string_value(json_object_get(e, "name"));
		(void)sysctl_read(st->rc->sysroot, name, &v);
		json_object_set_new(e, "after", v ? json_string(v) : json_null());
		const char *before = json_string_value(json_object_get(e, "before"));
		if (v && before && strcmp(v, before) != 0)
			run_error(st, "%s is %s after the run, it was %s before", name, v, before);
		free(v);
	}
}

/* Cgroup settings in table order (memory.max before memory.swap.max: v1 requires
 * memsw >= limit at every step). */
static int apply_cgroup(struct run_state *st, struct cg *cg, json_t *arr)
{
	const struct scenario *sc = st->sc;
	for (const struct cg_knob *k = cg_knobs; k->name; k++) {
		for (size_t i = 0; i < sc->ncg; i++) {
			if (sc->cg[i].knob != k)
				continue;
			MPH_FAILPOINT("cgroup.setting");
			int r = cg_write(cg, k->name, sc->cg[i].value);
			MPH_FAILPOINT("cgroup.set");
			char *back = NULL;
			if (cg_read(cg, k->name, &back) == 0)
				strtrim(back);
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:i}", "name", k->name, "file",
							     sc->cg[i].file, "written", sc->cg[i].value, "read_back", back,
							     "line", sc->cg[i].line));
			free(back);
			if (r < 0) {
				run_error(st, "%s:%d: writing %s/%s = %s failed: %s", sc->file, sc->cg[i].line, cg->dir,
					  sc->cg[i].file, sc->cg[i].value, strerror(-r));
				return r;
			}
		}
	}
	return 0;
}

static void prepare(struct run_state *st)
{
	if (st->sc->m.drop_caches) {
		sync();
		int r = sysctl_write(st->rc->sysroot, "vm.drop_caches", "3");
		if (r < 0)
			run_error(st, "drop_caches: %s", strerror(-r));
	}
	if (st->sc->m.compact_memory) {
		int r = sysctl_write(st->rc->sysroot, "vm.compact_memory", "1");
		if (r < 0)
			run_error(st, "compact_memory: %s", strerror(-r));
	}
}

/* tree_kills: non-NULL when every OOM kill in the run cgroup (tree_kills[i]) counts
 * as this workload's (a workload with untracked children, alone in the cgroup). */
static json_t *workload_json(const struct wl_proc *w, const struct kmsg_log *km, const bool *tree_kills,
			     long long cg_ooms, enum outcome *oc)
{
	struct observed ob = { 0 };
	ob.start_failed = w->start_errno != 0;
	ob.exited = WIFEXITED(w->status);
	ob.exit_code = ob.exited ? WEXITSTATUS(w->status) : -1;
	ob.signal = WIFSIGNALED(w->status) ? WTERMSIG(w->status) : 0;
	ob.timed_out = w->timed_out;
	const char *fs = w->final ? json_string_value(json_object_get(w->final, "status")) : NULL;
	ob.reported_enomem = fs && strcmp(fs, "enomem") == 0;
	ob.kmsg_available = km->fd >= 0;
	ob.kmsg_victim = kmsg_find(km, w->pid) != NULL;
	ob.cg_oom_kills = cg_ooms;
	const char *evidence = NULL;
	*oc = classify(&ob, &evidence);
	json_t *argv = json_array();
	for (char **a = w->argv; *a; a++)
		json_array_append_new(argv, json_string(*a));
	json_t *j = json_pack("{s:s, s:s, s:o, s:i, s:s, s:s?}", "name", w->name, "type", w->type, "argv", argv, "pid",
			      (int)w->pid, "outcome", outcome_name(*oc), "evidence", evidence);
	json_object_set_new(j, "exit_code", ob.exited && !ob.start_failed ? json_integer(ob.exit_code) : json_null());
	char sigbuf[16];
	json_object_set_new(j, "signal", ob.signal ? json_string(signal_name(ob.signal, sigbuf, sizeof(sigbuf))) : json_null());
	json_object_set_new(j, "sigterm_sent", json_boolean(w->term_sent));
	json_object_set_new(j, "started_s", json_real(w->started));
	json_object_set_new(j, "ended_s", json_real(w->ended));
	if (ob.start_failed)
		json_object_set_new(j, "start_error", json_sprintf("%s: %s", w->start_what, strerror(w->start_errno)));
	/* OOM kills of this workload's processes: itself and the children it announced,
	 * or, for an external command alone in the cgroup, every task of the cgroup */
	json_t *victims = json_array();
	for (size_t i = 0; i < km->n; i++)
		if (wl_owns(w, km->kills[i].pid) || (tree_kills && tree_kills[i]))
			json_array_append_new(victims, json_integer(km->kills[i].pid));
	json_object_set_new(j, "children", json_integer((json_int_t)w->nchildren));
	json_object_set_new(j, "oom_killed_pids", victims);
	json_object_set_new(j, "report_start", w->start ? json_incref(w->start) : json_null());
	json_object_set_new(j, "report_last_progress", w->last_progress ? json_incref(w->last_progress) : json_null());
	json_object_set_new(j, "report_final", w->final ? json_incref(w->final) : json_null());
	json_object_set_new(j, "report_records", json_integer((json_int_t)w->nreports));
	json_object_set_new(j, "report_bad_lines", json_integer((json_int_t)w->bad_lines));
	return j;
}

/* A workload's own reclaim stalls ([record] stalls): its process and threads'. For a
 * probe, what share of the time it measured in its probes the tracepoints saw its pid
 * stalled in reclaim: how much of a slow allocation reclaim explains. */
static json_t *workload_stalls(const struct recorder *rec, json_t *wj)
{
	json_t *s = rec_task_stalls(rec, (int)json_integer_value(json_object_get(wj, "pid")));
	const char *type = json_string_value(json_object_get(wj, "type"));
	json_t *h = json_object_get(json_object_get(wj, "report_final"), "stall");
	if (!json_is_object(s) || !type || strcmp(type, "probe") != 0 || !json_is_object(h))
		return s;
	double n = json_number_value(json_object_get(h, "count")), mean = json_number_value(json_object_get(h, "mean_ns"));
	double in_reclaim = json_number_value(json_object_get(json_object_get(s, "direct"), "total_s")) +
			    json_number_value(json_object_get(json_object_get(s, "memcg"), "total_s"));
	double probed = n * mean / 1e9;
	json_object_set_new(s, "probe_time_s", probed > 0 ? json_real(probed) : json_null());
	json_object_set_new(s, "share_of_probe_time", probed > 0 ? json_real(in_reclaim / probed) : json_null());
	return s;
}

/* The recorder hears of workloads through the supervisor's hooks; a progress line,
 * if asked for, through the recorder's ticks. */
struct hook_ctx {
	struct recorder *rec;
	const struct run_state *st;
	const struct cg *cg;
	double t0;
	uint64_t last_ms;
	struct actions *act;     /* the timed actions (NULL: none) */
	int *oom_adj_read;       /* per workload: /proc/PID/oom_score_adj right after its start */
};

#define PROGRESS_MS 250

static void progress_tick(struct hook_ctx *h)
{
	const struct run_opts *o = h->st->rc->o;
	uint64_t now = now_ms();
	if (!o->progress || now - h->last_ms < PROGRESS_MS)
		return;
	h->last_ms = now;
	const struct scenario *sc = h->st->sc;
	struct run_progress p = { .elapsed_s = now_s() - h->t0, .usage = -1, .limit = sc->memory_max, .swap = -1 };
	p.timeout_s = sc->m.timeout_ms != DURATION_FOREVER ? (double)sc->m.timeout_ms / 1000 : 0;
	long long v;
	if (cg_read_ll(h->cg, "memory.current", &v) == 0)
		p.usage = v;
	if (h->cg->ver == CG_V2 && cg_read_ll(h->cg, "memory.swap.current", &v) == 0)
		p.swap = v;
	else if (h->cg->ver == CG_V1 && p.usage >= 0 && cg_read_ll(h->cg, "memory.memsw.current", &v) == 0)
		p.swap = v > p.usage ? v - p.usage : 0;
	p.oom_kills = rec_kills_in_run(h->rec); /* a sibling cgroup's kills are not this run's */
	o->progress(o->progress_ctx, &p);
}

/* The recorder hears of workloads through the supervisor's hooks, and asks it whose
 * a pid is when it places an OOM kill the kernel log does not name the cgroup of. */
static bool sup_owns_pid(void *ctx, int pid)
{
	return sup_owns(ctx, pid);
}

static void hook_fd(void *ctx, int fd)
{
	struct hook_ctx *h = ctx;
	if (actions_owns_fd(h->act, fd))
		actions_ready(h->act, fd);
	else
		rec_ready(h->rec, fd);
	progress_tick(h);
}

static void hook_start(void *ctx, size_t i, const struct wl_proc *w)
{
	struct hook_ctx *h = ctx;
	if (i == 0) /* actions' times count from the first workload's start */
		actions_start(h->act, h->t0 + w->started);
	char path[64], *v = NULL;
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)w->pid);
	if (read_file(path, &v, NULL) == 0)
		h->oom_adj_read[i] = atoi(v);
	free(v);
	rec_set_pid(h->rec, i, w->pid);
	rec_event(h->rec, "workload_start", json_pack("{s:s, s:i}", "name", w->name, "pid", (int)w->pid));
	rec_scan_processes(h->rec);
	MPH_FAILPOINT("workload.started");
}

static void hook_record(void *ctx, size_t i, const char *type, json_t *rec)
{
	struct hook_ctx *h = ctx;
	(void)i;
	if (strcmp(type, "phase") == 0 || strcmp(type, "child") == 0 || strcmp(type, "final") == 0)
		rec_event(h->rec, strcmp(type, "final") == 0 ? "workload_final" : strcmp(type, "phase") == 0 ? "workload_phase" : "workload_child",
			  json_pack("{s:O}", "record", rec));
}

static void hook_exit(void *ctx, size_t i, const struct wl_proc *w)
{
	struct hook_ctx *h = ctx;
	ctx = h->rec;
	rec_set_pid(ctx, i, 0);
	json_t *e = json_pack("{s:s, s:i}", "name", w->name, "pid", (int)w->pid);
	if (WIFEXITED(w->status))
		json_object_set_new(e, "exit_code", json_integer(WEXITSTATUS(w->status)));
	else
	{
		char sigbuf[16];
		json_object_set_new(e, "signal", json_string(signal_name(WTERMSIG(w->status), sigbuf, sizeof(sigbuf))));
	}
	rec_event(ctx, "workload_exit", e);
	MPH_FAILPOINT("workload.exited");
}

/* The part of one run between creating the cgroup and destroying it. */
static int run_workloads(struct run_state *st, struct cg *cg, const char *rundir, json_t *cgj)
{
	const struct scenario *sc = st->sc;
	struct supervisor sup = { 0 };
	struct recorder *rec = NULL;
	int r = 0;
	sup.n = sc->nwl;
	sup.w = xcalloc(sc->nwl, sizeof(*sup.w));
	sup.duration_ms = sc->m.duration_ms;
	sup.timeout_ms = sc->m.timeout_ms;
	char *logp = xasprintf("%s/reports.jsonl", rundir);
	sup.reports_log = fopen(logp, "wex"); /* x: O_EXCL, a new file, no symlink followed */
	sup.reports_max = sc->m.record_reports_max;
	sup.stdout_max = sc->m.record_stdout_max;
	sup.stderr_max = SUP_STDERR_MAX;
	for (size_t i = 0; i < sc->nwl; i++) {
		struct wl_proc *w = &sup.w[i];
		w->name = sc->wl[i].name;
		w->type = sc->wl[i].type->name;
		w->argv = xcalloc(sc->wl[i].argc + 3, sizeof(char *));
		w->argv[0] = xasprintf("%s/%s", st->rc->wl_dir, w->type);
		for (size_t k = 0; k < sc->wl[i].argc; k++)
			w->argv[k + 1] = xstrdup(sc->wl[i].argv[k]);
		w->argv[sc->wl[i].argc + 1] = xstrdup("--report-fd=3");
		w->out_path = xasprintf("%s/%s.stdout", rundir, w->name);
		w->pidfd = w->report_fd = -1;
		if (sc->wl[i].oom_adj_set)
			snprintf(w->oom_adj_text, sizeof(w->oom_adj_text), "%d", sc->wl[i].oom_adj);
	}
	const char **names = xcalloc(sc->nwl + 1, sizeof(*names));
	for (size_t i = 0; i < sc->nwl; i++)
		names[i] = sc->wl[i].name;
	char *zone_before = read_or_null("/proc/zoneinfo");
	sup.t0 = now_s();
	struct rec_config rcfg = { .dir = rundir, .interval_ms = sc->m.record_interval_ms, .slow = sc->m.record_slow_set,
				   .slow_ms = sc->m.record_slow_ms, .pss = sc->m.record_pss,
				   .statm = sc->m.record_proc == 1,
				   .cg_dir = cg->dir, .cg_ver = cg->ver, .cg_rel = cg->rel, .cg_fresh = true,
				   .owns = sup_owns_pid, .owns_ctx = &sup, .procs = names, .nprocs = sc->nwl, .t0 = sup.t0,
				   .trace_dir = st->trace_dir, .trace_absent = st->trace_absent,
				   .stall_event_ms = sc->m.record_stall_event_ms };
	int fds[8];
	r = rec_open(&rec, &rcfg);
	/* vmstat snapshots right after the recorder's first and last samples, so that
	 * the samples' deltas and run.json's delta cover the same window */
	char *vm_before = read_or_null("/proc/vmstat");
	free(names);
	if (r < 0) {
		run_error(st, "cannot start the recorder in %s: %s", rundir, strerror(-r));
		if (sup.reports_log)
			fclose(sup.reports_log);
		sup_free(&sup);
		free(logp);
		free(zone_before);
		free(vm_before);
		return r;
	}
	const struct kmsg_log *km = rec_kmsg(rec);
	if (km->fd < 0)
		fprintf(stderr, "mph: warning: /dev/kmsg unreadable (%s): OOM victims cannot be confirmed by pid\n",
			strerror(km->open_errno));
	struct hook_ctx hctx = { .rec = rec, .st = st, .cg = cg, .t0 = sup.t0 };
	hctx.oom_adj_read = xcalloc(sc->nwl + 1, sizeof(int));
	for (size_t i = 0; i < sc->nwl; i++)
		hctx.oom_adj_read[i] = INT_MIN;
	size_t nfds = rec_fds(rec, fds, ARRAY_SIZE(fds) - 2);
	int ar = actions_open(&hctx.act, sc, &sup, cg, st->j, st->rc->sysroot, rec);
	if (ar < 0)
		run_error(st, "cannot set a timer for the scenario's actions: %s (they are skipped)", strerror(-ar));
	nfds += actions_fds(hctx.act, fds + nfds, 2);
	sup.hooks = (struct sup_hooks){ .ctx = &hctx, .fds = fds, .nfds = nfds,
					.on_fd = hook_fd, .on_start = hook_start, .on_record = hook_record, .on_exit = hook_exit };
	char *st_before = cg_read_or_null(cg, "memory.stat");
	long long oom_before = 0;
	(void)cg_read_key_ll(cg, "memory.events", "oom_kill", &oom_before);
	r = sup_start(&sup, cg);
	if (r < 0) {
		for (size_t i = 0; i < sup.n; i++)
			if (sup.w[i].start_errno)
				run_error(st, "%s:%d: workload %s: %s %s failed: %s", sc->file, sc->wl[i].line, sup.w[i].name,
					  sup.w[i].start_what, sup.w[i].argv[0], strerror(sup.w[i].start_errno));
		if (!json_array_size(st->errors))
			run_error(st, "starting workloads failed: %s", strerror(-r));
	} else {
		r = sup_wait(&sup, st->sigfd);
		if (r < 0)
			run_error(st, "supervising workloads failed: %s", strerror(-r));
	}
	if (sup.reports_log)
		fclose(sup.reports_log);
	double t_end = now_s() - sup.t0;

	json_t *actions = actions_finish(hctx.act);
	actions_close(hctx.act);
	json_t *summary = rec_finish(rec);
	json_t *werr = json_array();
	sup_write_errors(&sup, logp, werr);
	rec_write_errors(rec, werr);
	for (size_t i = 0; i < json_array_size(werr); i++)
		run_error(st, "%s", json_string_value(json_array_get(werr, i)));
	json_decref(werr);
	free(logp);
	char *vm_after = read_or_null("/proc/vmstat");
	char *zone_after = read_or_null("/proc/zoneinfo");
	char *st_after = cg_read_or_null(cg, "memory.stat");
	char *ev_after = cg->ver == CG_V2 ? cg_read_or_null(cg, "memory.events") : NULL;
	long long oom_after = -1, peak = -1, failcnt = -1;
	(void)cg_read_key_ll(cg, "memory.events", "oom_kill", &oom_after);
	(void)cg_read_ll(cg, "memory.peak", &peak);
	(void)cg_read_ll(cg, "memory.failcnt", &failcnt);
	long long cg_ooms = oom_after >= 0 ? oom_after - oom_before : -1;

	/* which kills were of tasks in the run cgroup: the recorder placed them */
	bool *in_cg = xcalloc(km->n + 1, sizeof(bool));
	for (size_t i = 0; i < km->n; i++)
		in_cg[i] = rec_kill_in_run(rec, i, NULL);
	json_t *wls = json_array();
	for (size_t i = 0; i < sup.n; i++) {
		enum outcome oc;
		bool tree = sc->nwl == 1 && sc->wl[i].type->untracked_children;
		json_t *wj = workload_json(&sup.w[i], km, tree ? in_cg : NULL, cg_ooms, &oc), *io = sup_io_json(&sup, &sup.w[i]);
		json_object_update(wj, io);
		json_decref(io);
		json_object_set_new(wj, "reclaim_stalls", workload_stalls(rec, wj));
		json_object_set_new(wj, "oom_score_adj",
				    json_pack("{s:o, s:o}", "requested", sc->wl[i].oom_adj_set ? json_integer(sc->wl[i].oom_adj) : json_null(),
					      "read_back", hctx.oom_adj_read[i] != INT_MIN ? json_integer(hctx.oom_adj_read[i]) : json_null()));
		json_array_append_new(wls, wj);
	}
	json_t *kills = json_array();
	size_t elsewhere = 0;
	for (size_t i = 0; i < km->n; i++) {
		const struct oom_kill *o = &km->kills[i];
		const char *by = NULL;
		if (rec_kill_in_run(rec, i, &by)) {
			json_t *kj = oom_kill_json(o, rec_kernel_t(rec, o->ts_usec));
			json_object_set_new(kj, "placed_by", json_string(by));
			/* oom:mark_victim: when the kernel chose it, and how long mph took to
			 * read the kill from the kernel log after that */
			double mt, lat;
			bool marked = rec_mark_victim(rec, o->pid, &mt, &lat);
			json_object_set_new(kj, "mark_victim_t", marked ? json_real(mt) : json_null());
			json_object_set_new(kj, "mark_victim_detection_latency_s", marked && lat >= 0 ? json_real(lat) : json_null());
			json_array_append_new(kills, kj);
		} else {
			elsewhere++;
		}
	}
	free(in_cg);
	free(hctx.oom_adj_read);
	json_object_set_new(st->out, "workloads", wls);
	json_object_set_new(st->out, "actions", actions);
	json_object_set_new(st->out, "oom_kills", kills);
	json_object_set_new(st->out, "oom_kills_elsewhere", json_integer((json_int_t)elsewhere));
	json_object_set_new(st->out, "kernel_log", json_pack("{s:b, s:s?}", "readable", km->fd >= 0, "error",
								  km->fd >= 0 ? NULL : strerror(km->open_errno)));
	json_object_set_new(st->out, "processes", rec_processes(rec));
	json_object_set_new(st->out, "process_ranking", rec_process_ranking(rec));
	json_object_set_new(st->out, "recorder", summary);
	json_t *zs = zone_before ? rec_zoneinfo(zone_before) : json_null(), *ze = zone_after ? rec_zoneinfo(zone_after) : json_null();
	json_object_set_new(st->out, "zoneinfo", json_pack("{s:o, s:o}", "start", zs, "end", ze));
	json_object_set_new(st->out, "interrupted", json_boolean(sup.interrupted));
	json_object_set_new(st->out, "elapsed_s", json_real(t_end));

	json_object_set_new(cgj, "oom_kill", cg_ooms >= 0 ? json_integer(cg_ooms) : json_null());
	json_object_set_new(cgj, "peak_bytes", peak >= 0 ? json_integer(peak) : json_null());
	json_object_set_new(cgj, "failcnt", failcnt >= 0 ? json_integer(failcnt) : json_null());
	json_object_set(cgj, "swap", json_object_get(summary, "cgroup_swap"));
	json_t *sb = kv_json(st_before), *sa = kv_json(st_after);
	json_object_set_new(cgj, "memory_stat_delta", kv_delta_json(sb, sa));
	json_object_set_new(cgj, "memory_stat_before", sb);
	/* v2: low, high, max, oom, oom_kill; a fresh cgroup starts at 0 */
	json_object_set_new(cgj, "memory_events", ev_after ? kv_json(ev_after) : json_null());
	free(ev_after);
	json_object_set_new(cgj, "memory_stat_after", sa);
	json_t *vb = kv_json(vm_before), *va = kv_json(vm_after);
	json_object_set_new(st->out, "vmstat", json_pack("{s:o, s:o, s:o}", "delta", kv_delta_json(vb, va), "before", vb,
							 "after", va));
	if (sup.interrupted)
		r = -EINTR;
	free(vm_before);
	free(vm_after);
	free(st_before);
	free(st_after);
	free(zone_before);
	free(zone_after);
	rec_close(rec);
	sup_free(&sup);
	return r;
}


/* [record] stalls: the run's tracefs instance (trace_setup); failing here is not the
 * run's failure: reclaim_stalls is then absent, with the reason. */
static void setup_trace(struct run_state *st)
{
	st->trace_dir = st->trace_absent = NULL;
	if (st->sc->m.record_stalls)
		trace_setup(st->j, &st->trace_dir, &st->trace_absent);
}

static int run_once(struct run_state *st, unsigned rep, const char *where, char **written)
{
	const struct scenario *sc = st->sc;
	int e = mkdir_p(where);
	if (e < 0 || !dir_is_empty(where)) {
		fprintf(stderr, "mph: cannot use %s as a run directory: %s\n", where, e < 0 ? strerror(-e) : "not empty");
		return EXIT_RUN_FAILED;
	}
	char *rundir = xstrdup(where);
	st->out = json_object();
	st->errors = json_array();
	json_t *out = st->out;
	char *started = utc_stamp(true);
	json_object_set_new(out, "schema", json_string(RUN_SCHEMA));
	json_object_set_new(out, "mph_version", json_string(MPH_VERSION));
	json_object_set_new(out, "started_at", json_string(started));
	json_object_set_new(out, "host", host_json(st->env));
	json_object_set_new(out, "machine", machine_json(st->env, st->rc->o->in_guest));
	json_object_set_new(out, "scenario", scenario_json(sc, rep));
	json_t *sys = json_array(), *cgset = json_array();
	json_t *cgj = json_pack("{s:s, s:O}", "version", cg_version_name(st->env->ver), "settings", cgset);
	json_object_set_new(out, "sysctls", sys);
	json_object_set_new(out, "cgroup", cgj);
	json_object_set_new(out, "swap", json_null());
	free(started);

	struct cg *cg = NULL;
	int r = journal_begin(st->j);
	if (r < 0) {
		run_error(st, "cannot start the journal %s: %s", st->j->path, strerror(-r));
		goto undo;
	}
	MPH_FAILPOINT("journal.begun");
	if ((r = apply_sysctls(st, sys)) < 0)
		goto undo;
	if (sc->m.swap_size) {
		char *sp = xasprintf("%s/swap-%d-%u.img", st->j->dir, (int)getpid(), rep), err[256];
		if (access(sp, F_OK) == 0) { /* not ours: never claimed by the journal */
			r = -EEXIST;
			run_error(st, "swap file %s already exists; mph will not take it over", sp);
		} else if ((r = journal_add(st->j, J_SWAP, sp, NULL)) == 0 &&
			   (r = swap_add(sp, sc->m.swap_size, err, sizeof(err))) < 0) {
			run_error(st, "%s", err);
		}
		json_object_set_new(out, "swap", json_pack("{s:s, s:I, s:b}", "file", sp, "size_bytes",
							   (json_int_t)sc->m.swap_size, "active", r == 0));
		free(sp);
		if (r < 0)
			goto undo;
	}
	prepare(st);
	char *name = xasprintf("mph-%d-%u", (int)getpid(), rep);
	char *dir = xasprintf("%s%s/%s", st->env->mount, st->env->own, name);
	/* an existing cgroup is not ours: refuse before the journal would claim it */
	if (access(dir, F_OK) == 0) {
		r = -EEXIST;
		run_error(st, "cgroup %s already exists; mph will not take it over", dir);
	} else if ((r = journal_add(st->j, J_CGROUP, dir, NULL)) == 0 && (r = cg_create(st->env, name, &cg)) < 0) {
		run_error(st, "cannot create cgroup %s: %s%s", dir, strerror(-r),
			  r == -EPERM && st->env->ver == CG_V2 ? " (mph's cgroup does not delegate memory to its children; see mph doctor)" : "");
	}
	free(name);
	free(dir);
	if (r < 0)
		goto undo;
	json_object_set_new(cgj, "path", json_string(cg->rel));
	if ((r = apply_cgroup(st, cg, cgset)) < 0)
		goto undo;
	setup_trace(st);
	r = run_workloads(st, cg, rundir, cgj);

undo:
	MPH_FAILPOINT("undo.begin");
	if (cg) {
		int k = cg_destroy(cg, 5000);
		if (k < 0)
			run_error(st, "removing the run cgroup failed: %s (the journal keeps it for `mph restore`)", strerror(-k));
	}
	if (st->j->fd >= 0) {
		int k = journal_replay(st->j, NULL);
		if (k < 0)
			run_error(st, "undoing the run's changes failed: %s; run `mph restore`", strerror(-k));
	}
	sysctls_after(st, sys);
	free(st->trace_dir);
	free(st->trace_absent);
	st->trace_dir = st->trace_absent = NULL;
	json_decref(cgset);
	char *ended = utc_stamp(true);
	json_object_set_new(out, "ended_at", json_string(ended));
	free(ended);
	json_object_set_new(out, "errors", st->errors);
	char *stamp = utc_stamp(false);
	char *path = xasprintf("%s/run.json", rundir), *fallback = xasprintf("%s/results/%s-%s-%u.json", st->j->dir, sc->m.name, stamp, rep);
	free(stamp);
	const char *saved;
	int w = result_save(out, path, fallback, &saved);
	if (w < 0) /* the message result_save added to errors */
		fprintf(stderr, "mph: %s\n", json_string_value(json_array_get(st->errors, json_array_size(st->errors) - 1)));
	if (!saved) /* nowhere: the summary is all that is left of it */
		report_run_summary_to(st->rc->o->out ? st->rc->o->out : stdout, out, "(run.json could not be written)");
	*written = saved ? xstrdup(saved) : NULL;
	free(fallback);
	int code = r == -EINTR ? EXIT_INTERRUPTED
		 : (r < 0 || w < 0 || json_array_size(st->errors)) ? EXIT_RUN_FAILED : EXIT_OK;
	free(path);
	free(rundir);
	json_decref(out);
	st->out = st->errors = NULL;
	return code;
}

int local_target(const struct run_opts *o, struct scen_target *t, struct cg_env *env)
{
	int r = cg_env_detect(env);
	if (r < 0) {
		fprintf(stderr, "mph: no memory cgroup controller found (%s); see `mph doctor`\n", strerror(-r));
		return EXIT_UNSUPPORTED;
	}
	*t = (struct scen_target){ env->ver, env->memsw, 0, o->in_guest };
	return EXIT_OK;
}

int local_preflight(const struct run_opts *o, const struct scenario *sc, struct diags *d)
{
	struct run_cfg rc = { .o = o, .state_dir = o->state_dir, .sysroot = "/proc/sys", .wl_dir = workload_dir() };
	size_t n0 = d->n;
	preflight(&rc, sc, d);
	free(rc.wl_dir);
	if (d->n > n0)
		return EXIT_UNSUPPORTED;
	if (geteuid() != 0) {
		diags_add(d, 0, NULL, NULL, "mph run needs root (it creates cgroups and may change sysctls and swap)");
		return EXIT_UNSUPPORTED;
	}
	return EXIT_OK;
}

int local_run_job(const struct run_opts *o, const struct scenario *sc, const struct cg_env *env, unsigned rep,
		  const char *dir, char **written, double *lock_wait_s)
{
	*written = NULL;
	struct run_cfg rc = { .o = o, .state_dir = o->state_dir, .sysroot = "/proc/sys", .wl_dir = workload_dir() };
	struct journal j;
	int holder = 0, code = EXIT_OK;
	double t_lock = now_s();
	int r = journal_lock(&j, rc.state_dir, rc.sysroot, (unsigned)o->wait_ms, &holder);
	*lock_wait_s = now_s() - t_lock;
	char **other = NULL;
	size_t nother = 0;
	if (r == -EBUSY) {
		fprintf(stderr, "mph: another mph run is in progress (pid %d); runs cannot overlap\n", holder);
		code = EXIT_REFUSED;
	} else if (r < 0) {
		fprintf(stderr, "mph: cannot take the lock in %s: %s\n", rc.state_dir, strerror(-r));
		code = EXIT_RUN_FAILED;
	} else if (journal_exists(&j)) {
		fprintf(stderr, "mph: a previous run was interrupted and left changes in place (journal %s);\n"
				"     run `mph restore` first\n", j.path);
		code = EXIT_REFUSED;
	} else if (journal_pending(rc.sysroot, rc.state_dir, true, &other, &nother) > 0) {
		/* their "before" values would be taken for the machine's */
		for (size_t k = 0; k < nother; k++)
			fprintf(stderr, "mph: a run with state directory %s was interrupted and left changes in place;\n"
					"     run `mph restore --state-dir %s` first\n", other[k], other[k]);
		code = EXIT_REFUSED;
	}
	journal_pending_free(other, nother);
	if (code == EXIT_OK) {
		/* From here on signals are read from a signalfd: a Ctrl-C stops the
		 * workloads and still undoes every change. */
		sigset_t old;
		struct run_state st = { .rc = &rc, .sc = sc, .env = env, .j = &j };
		st.sigfd = sup_signals_begin(&old);
		if (st.sigfd < 0) {
			fprintf(stderr, "mph: cannot watch for Ctrl-C (signalfd: %s); nothing was changed\n", strerror(errno));
			code = EXIT_RUN_FAILED;
		} else {
			code = run_once(&st, rep, dir, written);
			if (sup_signals_end(st.sigfd, &old) && code == EXIT_OK)
				code = EXIT_INTERRUPTED; /* during the undo: it was finished first */
		}
	}
	if (r == 0)
		journal_unlock(&j);
	free(rc.wl_dir);
	return code;
}

bool run_in_guest(void)
{
	char *cmdline = NULL;
	bool yes = false;
	if (read_file("/proc/cmdline", &cmdline, NULL) == 0)
		for (char *save = NULL, *w = strtok_r(cmdline, " \n", &save); w && !yes; w = strtok_r(NULL, " \n", &save))
			yes = strcmp(w, "mph_guest=1") == 0;
	free(cmdline);
	return yes;
}
