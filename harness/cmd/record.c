/* record.c - `mph record`: the recorder on its own, for a cgroup that mph did not
 * create (a production service), a command it starts inside that cgroup, or a command
 * in a cgroup it creates with a limit (journalled like a run's, and removed), until
 * Ctrl-C, the command's end or --duration. Writes samples.csv, processes.csv,
 * events.jsonl and record.json; with --prom, the cgroup's metrics for node_exporter's
 * textfile collector, refreshed every --prom-interval and replaced by the summary at
 * the end. */
#define _GNU_SOURCE
#include "../host/cgroup.h"
#include "../host/journal.h"
#include "../host/recorder.h"
#include "../host/result.h"
#include "../host/trace.h"
#include "cmd.h"
#include "../runner/runner.h"
#include "../report/report.h"
#include "../host/supervise.h"
#include "../core/units.h"
#include "../core/util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: mph record [--interval T] [--cgroup PATH] [--out DIR] [--duration T] [--pss] [--statm]\n"
		   "                  [--slow LIST] [--slow-interval T]\n"
		   "                  [--memory-max SIZE] [--wait T] [--state-dir DIR] [--prom FILE [--prom-interval T]]\n"
		   "                  [--stalls]\n"
		   "                  [-- CMD ARGS...]\n\n"
		   "Samples /proc/vmstat, /proc/meminfo, PSI, NUMA nodes, a cgroup's memory files and every\n"
		   "process in it every interval into samples.csv and processes.csv, and OOM kills and first\n"
		   "occurrences into events.jsonl, until Ctrl-C, the command's end, or the duration.\n\n"
		   "  --interval T     sampling period (default 100ms, at least 1ms)\n"
		   "  --cgroup PATH    cgroup to record: a directory, or a path inside the memory hierarchy;\n"
		   "                   with -- CMD, the command runs inside it\n"
		   "  --memory-max SZ  without --cgroup: run CMD in a cgroup mph creates with this limit\n"
		   "                   (required on a host: at most half of MemAvailable), removed after\n"
		   "  --wait T         if another mph holds the lock, wait up to T (default: refuse)\n"
		   "  --state-dir DIR  journal of the created cgroup (default: $MPH_STATE_DIR or /var/lib/mph)\n"
		   "  --out DIR        output directory (default results/record/<UTC time>)\n"
		   "  --duration T     stop after T\n"
		   "  --pss            also sample Pss (the command's, and the largest processes')\n"
		   "  --statm          read the command's memory from /proc/PID/statm (cheaper, fewer fields)\n"
		   "  --slow LIST      sources read at most every --slow-interval, their cells empty between:\n"
		   "                   vmstat, meminfo, psi.memory, psi.io, node, cg.stat, or none\n"
		   "                   (default node,psi.io)\n"
		   "  --slow-interval T  how often the slow sources are read (default 10ms)\n"
		   "  --prom FILE      the cgroup's metrics in Prometheus's text format (node_exporter's textfile\n"
		   "                   collector), written atomically every --prom-interval and at the end\n"
		   "  --prom-interval T  how often FILE is rewritten (default 10s, at least --interval)\n"
		   "  --stalls         reclaim stalls and OOM victims from kernel tracepoints, in a tracefs\n"
		   "                   instance of mph's own (journalled; needs root): record.json's\n"
		   "                   recorder.reclaim_stalls\n");
}

/* The event loop's context: the recorder, and the live metrics file when asked for. */
struct rec_loop {
	struct recorder *rec;
	const char *prom;      /* --prom FILE, NULL: none */
	const char *cgroup;    /* its cgroup label */
	long long limit;       /* memory.max mph set, -1: none */
	int prom_tfd;          /* fires every --prom-interval */
	bool prom_failed;      /* the last write failed (told once until one succeeds) */
};

static double or_nan(long long v, double scale)
{
	return v < 0 ? NAN : (double)v * scale;
}

/* FILE from the recorder's last sample. A failed write is reported once and the
 * recording goes on: the next interval tries again. */
static void prom_live(struct rec_loop *L)
{
	struct rec_live v;
	rec_live(L->rec, &v);
	struct report_prom_record p;
	report_prom_record_init(&p, L->cgroup);
	p.running = true;
	p.usage_bytes = or_nan(v.usage, 1);
	p.swap_bytes = or_nan(v.swap, 1);
	p.peak_bytes = or_nan(v.peak, 1);
	p.swap_peak_bytes = or_nan(v.swap_peak, 1);
	p.limit_bytes = or_nan(L->limit, 1);
	p.oom_kills = or_nan(v.oom_kills, 1);
	p.scanned_pages = or_nan(v.pgscan, 1);
	p.reclaimed_pages = or_nan(v.pgsteal, 1);
	p.psi_some_avg10_pct = or_nan(v.psi_some_avg10, 0.01); /* hundredths of a % */
	p.psi_full_avg10_pct = or_nan(v.psi_full_avg10, 0.01);
	p.psi_some_s = or_nan(v.psi_some_us, 1e-6);
	p.psi_full_s = or_nan(v.psi_full_us, 1e-6);
	p.processes = or_nan(v.nprocs, 1);
	p.processes_seen = or_nan(v.nseen, 1);
	for (size_t i = 0; i < v.ntop && i < REPORT_PROM_TOP; i++) {
		p.top[i].pid = v.top[i].pid;
		snprintf(p.top[i].comm, sizeof(p.top[i].comm), "%s", v.top[i].comm);
		p.top[i].rss_bytes = or_nan(v.top[i].rss, 1);
		p.top[i].peak_rss_bytes = or_nan(v.top[i].peak_rss, 1);
		p.ntop = i + 1;
	}
	int r = report_prom_record_file(L->prom, &p);
	if (r < 0 && !L->prom_failed)
		fprintf(stderr, "mph record: cannot write %s: %s (trying again every --prom-interval)\n", L->prom, strerror(-r));
	L->prom_failed = r < 0;
}

static void on_fd(void *ctx, int fd)
{
	struct rec_loop *L = ctx;
	uint64_t n;
	if (fd == L->prom_tfd) {
		if (read(fd, &n, sizeof(n)) == sizeof(n))
			prom_live(L);
		return;
	}
	rec_ready(L->rec, fd);
}

static void on_start(void *ctx, size_t i, const struct wl_proc *w)
{
	struct rec_loop *L = ctx;
	rec_set_pid(L->rec, i, w->pid);
	rec_event(L->rec, "command_start", json_pack("{s:i}", "pid", (int)w->pid));
	rec_scan_processes(L->rec);
}

static void on_exit_(void *ctx, size_t i, const struct wl_proc *w)
{
	struct rec_loop *L = ctx;
	char sigbuf[16];
	rec_set_pid(L->rec, i, 0);
	rec_event(L->rec, "command_exit", WIFEXITED(w->status) ? json_pack("{s:i}", "exit_code", WEXITSTATUS(w->status))
							     : json_pack("{s:s}", "signal", signal_name(WTERMSIG(w->status), sigbuf, sizeof(sigbuf))));
}

static bool owns_pid(void *ctx, int pid)
{
	return sup_owns(ctx, pid);
}

/* A cgroup given as a directory, or as a path inside the memory hierarchy. */
static char *cgroup_dir(const struct cg_env *env, const char *arg)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup(arg);
	char *d = xasprintf("%s/%s", env->mount, arg[0] == '/' ? arg + 1 : arg);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	return NULL;
}

struct rec_opts {
	uint64_t interval, duration, memory_max, wait_ms, prom_interval, slow_ms;
	unsigned slow;
	const char *cgarg, *out, *state_dir, *prom;
	bool pss, statm, stalls;
	char **cmd;
};

/* An exit code, or -1 after --help. */
static int parse(int argc, char **argv, struct rec_opts *o)
{
	static const struct option lo[] = {
		{ "interval", required_argument, NULL, 'i' }, { "cgroup", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },      { "duration", required_argument, NULL, 'd' },
		{ "pss", no_argument, NULL, 'p' },            { "help", no_argument, NULL, 'h' },
		{ "statm", no_argument, NULL, 'm' },          { "memory-max", required_argument, NULL, 'M' },
		{ "wait", required_argument, NULL, 'w' },     { "state-dir", required_argument, NULL, 's' },
		{ "prom", required_argument, NULL, 'P' },     { "prom-interval", required_argument, NULL, 'I' },
		{ "slow", required_argument, NULL, 'S' },     { "slow-interval", required_argument, NULL, 'L' },
		{ "stalls", no_argument, NULL, 'T' },         { NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		int r = 0;
		const char *what = "a duration such as 10ms or 5s";
		switch (c) {
		case 'i': r = parse_duration_ms(optarg, &o->interval); if (!r && !o->interval) r = -ERANGE; what = "a duration such as 10ms (at least 1ms)"; break;
		case 'd': r = parse_duration_ms(optarg, &o->duration); break;
		case 'w': r = parse_duration_ms(optarg, &o->wait_ms); if (!r && o->wait_ms > UINT32_MAX) r = -ERANGE; break;
		case 'M': r = parse_size(optarg, &o->memory_max); if (!r && !o->memory_max) r = -ERANGE; what = "a size such as 256M"; break;
		case 'I': r = parse_duration_ms(optarg, &o->prom_interval); if (!r && !o->prom_interval) r = -ERANGE; break;
		case 'L': r = parse_duration_ms(optarg, &o->slow_ms); if (!r && !o->slow_ms) r = -ERANGE; what = "a duration such as 100ms (at least 1ms)"; break;
		case 'S': {
			char err[256];
			if (rec_parse_slow(optarg, &o->slow, err, sizeof(err)) < 0) {
				fprintf(stderr, "mph record: --slow %s: %s\n", optarg, err);
				return EXIT_BAD_INPUT;
			}
			break;
		}
		case 'P': o->prom = optarg; break;
		case 'c': o->cgarg = optarg; break;
		case 'o': o->out = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'p': o->pss = true; break;
		case 'm': o->statm = true; break;
		case 'T': o->stalls = true; break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_BAD_INPUT;
		}
		if (r < 0) {
			const char *name = c == 'i' ? "interval" : c == 'd' ? "duration" : c == 'w' ? "wait" : c == 'I' ? "prom-interval"
					 : c == 'L' ? "slow-interval" : "memory-max";
			fprintf(stderr, "mph record: --%s %s: expected %s\n", name, optarg, what);
			return EXIT_BAD_INPUT;
		}
	}
	o->cmd = optind < argc ? argv + optind : NULL;
	if (o->memory_max && (o->cgarg || !o->cmd)) {
		fprintf(stderr, "mph record: --memory-max is the limit of the cgroup mph creates for -- CMD (not with --cgroup)\n");
		return EXIT_BAD_INPUT;
	}
	if (o->prom_interval && !o->prom) {
		fprintf(stderr, "mph record: --prom-interval is how often --prom FILE is written: it needs --prom\n");
		return EXIT_BAD_INPUT;
	}
	if (o->prom && !o->cgarg && !o->cmd) {
		/* the machine's own numbers are node_exporter's (its meminfo, vmstat and pressure collectors) */
		fprintf(stderr, "mph record: --prom writes a cgroup's metrics: it needs --cgroup or -- CMD\n");
		return EXIT_BAD_INPUT;
	}
	if (!o->prom_interval)
		o->prom_interval = 10000;
	if (o->prom && o->prom_interval < o->interval) {
		fprintf(stderr, "mph record: --prom-interval %llums is shorter than --interval %llums: FILE would repeat "
				"the same sample\n", (unsigned long long)o->prom_interval, (unsigned long long)o->interval);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

/* The lock, then a journal of what this recording changes (its cgroup, its tracefs
 * instance), begun; an exit code. The caller replays the journal and releases the
 * lock, also after a failure here (*locked says whether it was taken). */
static int begin_journal(const struct rec_opts *o, struct journal *j, bool *locked)
{
	if (*locked)
		return EXIT_OK;
	int holder = 0;
	int r = journal_lock(j, o->state_dir, "/proc/sys", (unsigned)o->wait_ms, &holder);
	if (r == -EBUSY) {
		fprintf(stderr, "mph record: another mph run is in progress (pid %d); use --wait T to queue\n", holder);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		fprintf(stderr, "mph record: cannot take the lock in %s: %s\n", o->state_dir, strerror(-r));
		return EXIT_RUN_FAILED;
	}
	*locked = true;
	if (journal_exists(j)) {
		fprintf(stderr, "mph record: a previous run was interrupted and left changes in place (journal %s);\n"
				"     run `mph restore` first\n", j->path);
		return EXIT_REFUSED;
	}
	if ((r = journal_begin(j)) < 0) {
		fprintf(stderr, "mph record: cannot write the journal %s: %s\n", j->path, strerror(-r));
		return EXIT_RUN_FAILED;
	}
	return EXIT_OK;
}

/* A cgroup of our own for the command, limited, journalled before it exists (a killed
 * mph leaves it to `mph restore`). The caller removes it and releases the lock. */
static int make_cgroup(const struct rec_opts *o, const struct cg_env *env, struct journal *j, bool *locked, struct cg **cg)
{
	bool guest = run_in_guest();
	long long avail = meminfo_bytes("MemAvailable");
	if (!o->memory_max && !guest) {
		fprintf(stderr, "mph record: -- CMD without --cgroup needs --memory-max: without a limit the command "
				"could put the whole host under memory pressure\n");
		return EXIT_BAD_INPUT;
	}
	if (o->memory_max && !guest && avail > 0 && o->memory_max > (uint64_t)avail / 2) {
		fprintf(stderr, "mph record: --memory-max %llu MiB is more than half of MemAvailable (%lld MiB): "
				"too close to global pressure on this host\n", (unsigned long long)(o->memory_max >> 20), avail >> 20);
		return EXIT_UNSUPPORTED;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "mph record: creating a cgroup for the command needs root\n");
		return EXIT_UNSUPPORTED;
	}
	int r = begin_journal(o, j, locked);
	if (r != EXIT_OK)
		return r;
	char *name = xasprintf("mph-%d-1", (int)getpid()); /* named as a run names its cgroups: the journal accepts no other */
	char *dir = xasprintf("%s%s/%s", env->mount, env->own, name);
	if (access(dir, F_OK) == 0) {
		r = -EEXIST;
		fprintf(stderr, "mph record: cgroup %s already exists; mph will not take it over\n", dir);
	} else if ((r = journal_add(j, J_CGROUP, dir, NULL)) < 0) {
		fprintf(stderr, "mph record: cannot write the journal %s: %s\n", j->path, strerror(-r));
	} else if ((r = cg_create(env, name, cg)) < 0) {
		fprintf(stderr, "mph record: cannot create cgroup %s: %s\n", dir, strerror(-r));
	} else if (o->memory_max) {
		char v[32];
		snprintf(v, sizeof(v), "%llu", (unsigned long long)o->memory_max);
		if ((r = cg_write(*cg, "memory.max", v)) < 0)
			fprintf(stderr, "mph record: cannot limit %s to %s bytes: %s\n", dir, v, strerror(-r));
	}
	free(name);
	free(dir);
	return r < 0 ? EXIT_RUN_FAILED : EXIT_OK;
}

/* The command's argv, argv[0] looked up in PATH as a shell would (execv wants a path). */
static char **command_argv(char **cmd)
{
	size_t n = 0;
	while (cmd[n])
		n++;
	char **argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		argv[i] = xstrdup(cmd[i]);
	if (!strchr(cmd[0], '/')) {
		char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"), *save = NULL;
		for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			char *full = xasprintf("%s/%s", d, cmd[0]);
			if (access(full, X_OK) == 0) {
				free(argv[0]);
				argv[0] = full;
				break;
			}
			free(full);
		}
		free(path);
	}
	return argv;
}

/* The recorded cgroup's OOM kills from the kernel log, as the recorder placed them. */
static void kills_json(json_t *res, const struct recorder *rec)
{
	const struct kmsg_log *km = rec_kmsg(rec);
	json_t *kills = json_array();
	size_t elsewhere = 0;
	for (size_t i = 0; i < km->n; i++) {
		const char *by = NULL;
		if (rec_kill_in_run(rec, i, &by)) {
			json_t *kj = oom_kill_json(&km->kills[i], rec_kernel_t(rec, km->kills[i].ts_usec));
			json_object_set_new(kj, "placed_by", json_string(by));
			json_array_append_new(kills, kj);
		} else {
			elsewhere++;
		}
	}
	json_object_set_new(res, "oom_kills", kills);
	json_object_set_new(res, "oom_kills_elsewhere", json_integer((json_int_t)elsewhere));
}

int cmd_record(int argc, char **argv)
{
	struct rec_opts o = { .interval = 100, .state_dir = journal_default_dir() };
	int code = parse(argc, argv, &o);
	if (code != EXIT_OK)
		return code < 0 ? EXIT_OK : code;

	struct cg_env env = { 0 };
	struct cg *cg = NULL;
	bool created = false, locked = false;
	struct journal j = { .fd = -1, .lock_fd = -1 };
	char *dir = NULL, *trace_dir = NULL, *trace_absent = NULL;
	if (o.cgarg || o.cmd) {
		if (cg_env_detect(&env) < 0) {
			fprintf(stderr, "mph record: no memory cgroup controller here, so %s\n",
				o.cgarg ? "--cgroup cannot be recorded" : "the command cannot get a cgroup of its own");
			return EXIT_UNSUPPORTED;
		}
	} else {
		(void)cg_env_detect(&env); /* for host facts only */
	}
	if (o.cgarg) {
		char *cgdir = cgroup_dir(&env, o.cgarg);
		int r = cgdir ? cg_open_dir(&env, cgdir, &cg) : -ENOENT;
		free(cgdir);
		if (r < 0) {
			fprintf(stderr, "mph record: --cgroup %s: no such cgroup (a directory, or a path under %s)\n", o.cgarg, env.mount);
			cg_env_free(&env);
			return EXIT_BAD_INPUT;
		}
	}
	/* the timer of --prom, made before anything is changed: it cannot fail half-way */
	int prom_tfd = -1;
	if (o.prom) {
		struct itimerspec its = { .it_interval = { (time_t)(o.prom_interval / 1000), (long)(o.prom_interval % 1000) * 1000000L } };
		its.it_value = its.it_interval;
		prom_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (prom_tfd < 0 || timerfd_settime(prom_tfd, 0, &its, NULL) < 0) {
			fprintf(stderr, "mph record: cannot set a timer for --prom: %s\n", strerror(errno));
			if (prom_tfd >= 0)
				close(prom_tfd);
			cg_close(cg);
			cg_env_free(&env);
			return EXIT_RUN_FAILED;
		}
	}
	/* signals are events of the loop from here on: Ctrl-C still removes our cgroup */
	sigset_t old;
	int sigfd = sup_signals_begin(&old);
	if (o.cmd && !o.cgarg) {
		code = make_cgroup(&o, &env, &j, &locked, &cg);
		created = cg != NULL;
		if (code != EXIT_OK)
			goto undo;
	}
	/* --stalls: the tracefs instance, journalled (a failure is recorded as absent) */
	if (o.stalls) {
		if (geteuid() != 0)
			trace_absent = xstrdup("not root: tracefs instances need root");
		else if ((code = begin_journal(&o, &j, &locked)) != EXIT_OK)
			goto undo;
		else
			trace_setup(&j, &trace_dir, &trace_absent);
	}
	if (o.out) {
		dir = xstrdup(o.out);
	} else {
		char *stamp = utc_stamp(false);
		dir = xasprintf("results/record/%s", stamp);
		free(stamp);
	}
	int r = mkdir_p(dir);
	if (r < 0) {
		fprintf(stderr, "mph record: cannot create %s: %s\n", dir, strerror(-r));
		code = EXIT_RUN_FAILED;
		goto undo;
	}

	struct supervisor sup = { 0 };
	const char *names[] = { "cmd" };
	sup.t0 = now_s();
	sup.duration_ms = o.duration ? o.duration : UINT64_MAX;
	sup.timeout_ms = UINT64_MAX;
	struct rec_config rc = { .dir = dir, .interval_ms = o.interval, .slow = o.slow, .slow_ms = o.slow_ms, .pss = o.pss, .statm = o.statm,
				 .cg_dir = cg ? cg->dir : NULL, .cg_ver = env.ver, .cg_rel = cg ? cg->rel : NULL,
				 .cg_fresh = created, .owns = owns_pid, .owns_ctx = &sup, .procs = names,
				 .nprocs = o.cmd ? 1 : 0, .t0 = sup.t0, .trace_dir = trace_dir, .trace_absent = trace_absent,
				 .stall_event_ms = REC_STALL_EVENT_MS_DEFAULT };
	struct recorder *rec = NULL;
	if ((r = rec_open(&rec, &rc)) < 0) {
		fprintf(stderr, "mph record: cannot start recording in %s: %s\n", dir, strerror(-r));
		code = EXIT_RUN_FAILED;
		goto undo;
	}
	long long oom_before = -1, oom_after = -1;
	if (cg)
		(void)cg_read_key_ll(cg, "memory.events", "oom_kill", &oom_before);
	struct rec_loop loop = { .rec = rec, .prom = o.prom, .cgroup = cg ? cg->rel : NULL,
				 .limit = created && o.memory_max ? (long long)o.memory_max : -1, .prom_tfd = -1 };
	int fds[8];
	size_t nfds = rec_fds(rec, fds, ARRAY_SIZE(fds) - 1);
	if (prom_tfd >= 0) {
		loop.prom_tfd = prom_tfd;
		fds[nfds++] = prom_tfd;
		prom_live(&loop); /* FILE exists from the first sample on */
	}
	sup.hooks = (struct sup_hooks){ .ctx = &loop, .fds = fds, .nfds = nfds, .on_fd = on_fd,
					.on_start = on_start, .on_exit = on_exit_ };
	if (o.cmd) {
		sup.n = 1;
		sup.w = xcalloc(1, sizeof(*sup.w));
		sup.w[0].name = "cmd";
		sup.w[0].type = "command";
		sup.w[0].argv = command_argv(o.cmd);
		sup.w[0].pidfd = sup.w[0].report_fd = -1;
		/* the command joins the cgroup before exec: everything it touches is charged there */
		if ((r = sup_start(&sup, cg)) < 0) {
			fprintf(stderr, "mph record: cannot run %s%s%s: %s\n", o.cmd[0], cg ? " in " : "", cg ? cg->dir : "",
				strerror(sup.w[0].start_errno ? sup.w[0].start_errno : -r));
			code = EXIT_RUN_FAILED;
		}
	}
	if (code == EXIT_OK)
		(void)sup_wait(&sup, sigfd);
	json_t *summary = rec_finish(rec);
	if (cg)
		(void)cg_read_key_ll(cg, "memory.events", "oom_kill", &oom_after);
	json_t *res = json_pack("{s:s, s:s, s:o, s:s?, s:b}", "schema", "mph-record/1", "mph_version", MPH_VERSION, "host",
				host_json(&env), "cgroup", cg ? cg->dir : NULL, "cgroup_created", created);
	/* as the kernel log and Prometheus's label name it: the same on v1 and v2 */
	json_object_set_new(res, "cgroup_path", cg ? json_string(cg->rel) : json_null());
	json_object_set_new(res, "memory_max_bytes", created && o.memory_max ? json_integer((json_int_t)o.memory_max) : json_null());
	/* the recorded cgroup's own counter over the recording */
	json_object_set_new(res, "oom_kill", oom_before >= 0 && oom_after >= 0 ? json_integer(oom_after - oom_before) : json_null());
	kills_json(res, rec);
	json_object_set_new(res, "processes", rec_processes(rec));
	json_object_set_new(res, "process_ranking", rec_process_ranking(rec));
	json_object_set_new(res, "recorder", summary);
	if (o.cmd) {
		json_t *a = json_array();
		for (char **p = o.cmd; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(res, "command", a);
		json_object_set_new(res, "exit_code", sup.w[0].reaped && WIFEXITED(sup.w[0].status)
							      ? json_integer(WEXITSTATUS(sup.w[0].status)) : json_null());
	}
	json_object_set_new(res, "interrupted", json_boolean(sup.interrupted));
	char *path = xasprintf("%s/record.json", dir);
	if (json_save(path, res) < 0)
		code = EXIT_RUN_FAILED;
	else
		printf("%s\n", path);
	free(path);
	if (loop.prom_tfd >= 0) {
		/* the summary replaces the live values: what the collector serves from now on */
		struct report_prom_record pr;
		int k = report_prom_record_json(res, &pr);
		if (k == 0)
			k = report_prom_record_file(o.prom, &pr);
		if (k < 0)
			fprintf(stderr, "mph record: cannot write %s: %s\n", o.prom, strerror(-k));
	}
	json_decref(res);
	rec_close(rec);
	sup_free(&sup);
undo:
	if (created) {
		int k = cg_destroy(cg, 5000);
		if (k < 0) {
			fprintf(stderr, "mph record: removing %s failed: %s (the journal keeps it for `mph restore`)\n",
				"the command's cgroup", strerror(-k));
			code = EXIT_RUN_FAILED;
		}
	} else {
		cg_close(cg);
	}
	if (j.fd >= 0) {
		int k = journal_replay(&j, NULL);
		if (k < 0) {
			fprintf(stderr, "mph record: undoing the journal failed: %s; run `mph restore`\n", strerror(-k));
			code = EXIT_RUN_FAILED;
		}
	}
	if (locked)
		journal_unlock(&j);
	sup_signals_end(sigfd, &old);
	if (prom_tfd >= 0)
		close(prom_tfd);
	free(dir);
	free(trace_dir);
	free(trace_absent);
	cg_env_free(&env);
	return code;
}
