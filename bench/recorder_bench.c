/* recorder_bench.c - the recorder's costs, each printed as a ratio or share measured
 * side by side in this one run (the machines are noisy; absolute times mean little):
 *   1. CPU per sample at 1 kHz against the raw cost of pread-ing the same files on the
 *      same schedule (goal <= 1.1x), and each source's own cost
 *   2. CPU share of `mph record` at 100 Hz and 1 kHz (goals < 1% and < 6% of a core)
 *   3. OOM detection latency: kernel log timestamp of a kill to the recorded event,
 *      over repeated real memcg OOM kills (goal p99 < 2 ms)
 *   4. 1000 processes sampled at 10 Hz (goal < 5% of a core)
 *   5. every process of a cgroup (1000, found through cgroup.procs each tick, as the
 *      recorder samples a run's cgroup): CPU share at 10 Hz (goal < 5% of a core)
 *      beside the raw cost of reading cgroup.procs and each /proc/PID/statm on the
 *      same 10 Hz schedule (and, as before 2026-12-02, back to back)
 * Needs root and a memory cgroup (3 and 4 create cgroups below this process's own,
 * with a limit, and remove them). Run with `make bench`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness/host/cgroup.h"
#include "../harness/host/procs.h"
#include "../harness/host/recorder.h"
#include "../harness/core/util.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Sleep until tick k of a period from t0 (CLOCK_MONOTONIC seconds): a true rate,
 * whatever each tick's work took */
static void tick_wait(double t0, int k, double period)
{
	double at = t0 + k * period;
	struct timespec ts = { (time_t)at, (long)((at - (double)(time_t)at) * 1e9) };
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static const char *verdict(bool ok)
{
	return ok ? "meets goal" : "MISSES goal";
}

/* CPU seconds of one pread of fd at 0 (the file generated once), best of a few
 * batches: the per-source table's figure */
static double read_cost(int fd, char *buf, size_t len)
{
	enum { BATCHES = 7, PER = 50 };
	double v[BATCHES];
	for (int b = 0; b < BATCHES; b++) {
		double t = cpu_now();
		for (int i = 0; i < PER; i++)
			(void)!pread(fd, buf, len, 0);
		v[b] = (cpu_now() - t) / PER;
	}
	return median(v, BATCHES);
}

/* cgroup.procs as the sampler reads it: open, read to the end, close */
static void read_procs_list(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd >= 0 && read(fd, buf, len) > 0)
		;
	if (fd >= 0)
		close(fd);
}

struct cost_row {
	const char *path;
	uint64_t every_ms;
	double us;
};

static int cmp_cost(const void *a, const void *b)
{
	const struct cost_row *x = a, *y = b;
	return x->us < y->us ? 1 : x->us > y->us ? -1 : 0;
}

/* What a recorder reads, opened for raw reads of the same: its files (each with its
 * schedule, rec_paths) and the statm of each process of the cgroup now, kept open as
 * the sampler keeps them. */
struct raw_set {
	const char *path[64];
	uint64_t every[64];
	int fd[64], pfd[256];
	size_t np, npids;
};

static void raw_set_open(struct raw_set *rs, const struct recorder *r, const char *cgprocs)
{
	rs->np = rec_paths(r, rs->path, rs->every, ARRAY_SIZE(rs->path));
	rs->npids = 0;
	for (size_t i = 0; i < rs->np; i++)
		rs->fd[i] = open(rs->path[i], O_RDONLY | O_CLOEXEC);
	char *list = NULL;
	if (read_file(cgprocs, &list, NULL) == 0)
		for (char *l = strtok(list, "\n"); l && rs->npids < ARRAY_SIZE(rs->pfd); l = strtok(NULL, "\n")) {
			char *sp = xasprintf("/proc/%s/statm", l);
			if ((rs->pfd[rs->npids] = open(sp, O_RDONLY | O_CLOEXEC)) >= 0)
				rs->npids++;
			free(sp);
		}
	free(list);
}

static void raw_set_close(struct raw_set *rs)
{
	for (size_t i = 0; i < rs->np; i++)
		if (rs->fd[i] >= 0)
			close(rs->fd[i]);
	for (size_t p = 0; p < rs->npids; p++)
		close(rs->pfd[p]);
}

/* 1. per-sample CPU against pread of the same files on the same schedule, interleaved
 * in rounds: a recorder at 1 kHz (interval 1ms) recording this process's cgroup and
 * this process, called back to back. Its sources: the fast files at every sample, the
 * slow set at most every slow_interval (10 ms by default), the cgroup's processes
 * (cgroup.procs and each one's statm) at most every 100 ms. Then each source's own
 * cost. */
static void bench_sample_cost(const struct cg_env *env, const char *tmp)
{
	static const char *const procs[] = { "self" };
	char *cgdir = xasprintf("%s%s", env->mount, env->own), *cgprocs = xasprintf("%s/cgroup.procs", cgdir);
	struct rec_config c = { .dir = tmp, .interval_ms = 1, .cg_dir = cgdir, .cg_ver = env->ver, .procs = procs,
				.nprocs = 1, .t0 = now_s(), .no_kmsg = true };
	struct recorder *r;
	if (rec_open(&r, &c) < 0) {
		printf("1. sample cost: cannot open the recorder\n");
		free(cgdir);
		free(cgprocs);
		return;
	}
	rec_set_pid(r, 0, getpid());
	struct raw_set rs;
	raw_set_open(&rs, r, cgprocs);
	const char *const *path = rs.path;
	const uint64_t *every = rs.every;
	const int *fd = rs.fd, *pfd = rs.pfd;
	size_t np = rs.np, npids = rs.npids;
	double last[64] = { 0 };
	static char buf[65536];
	enum { ROUNDS = 15, PER = 400 };
	double raw[ROUNDS], rec[ROUNDS], last_procs = 0;
	for (int k = 0; k < ROUNDS; k++) {
		double t = cpu_now();
		for (int i = 0; i < PER; i++) {
			double now = now_s();
			for (size_t f = 0; f < np; f++) {
				if (every[f] && now - last[f] < (double)every[f] / 1000.0 - 0.0005)
					continue;
				last[f] = now;
				if (pread(fd[f], buf, sizeof(buf), 0) < 0)
					abort();
			}
			if (now - last_procs >= 0.1 - 0.0005) {
				last_procs = now;
				read_procs_list(cgprocs, buf, sizeof(buf));
				for (size_t p = 0; p < npids; p++)
					(void)!pread(pfd[p], buf, sizeof(buf), 0);
			}
		}
		raw[k] = (cpu_now() - t) / PER;
		t = cpu_now();
		for (int i = 0; i < PER; i++)
			rec_sample(r);
		rec[k] = (cpu_now() - t) / PER;
	}
	double mr = median(raw, ROUNDS), ms = median(rec, ROUNDS);
	printf("1. CPU per sample at 1 kHz: %.1f us, raw pread of the same %zu files + %zu processes (same schedule): %.1f us -> %.2fx (goal <= 1.1x: %s)\n",
	       ms * 1e6, np, npids, mr * 1e6, ms / mr, verdict(ms / mr <= 1.1));
	/* what each source costs, read back to back (warm) */
	struct cost_row rows[64 + 2];
	size_t nr = 0;
	double sum_every = 0;
	for (size_t i = 0; i < np; i++) {
		rows[nr++] = (struct cost_row){ path[i], every[i], read_cost(fd[i], buf, sizeof(buf)) * 1e6 };
		if (!every[i])
			sum_every += rows[nr - 1].us;
	}
	double tp = cpu_now();
	for (int i = 0; i < 50; i++)
		read_procs_list(cgprocs, buf, sizeof(buf));
	rows[nr++] = (struct cost_row){ cgprocs, 100, (cpu_now() - tp) / 50 * 1e6 };
	if (npids)
		rows[nr++] = (struct cost_row){ "/proc/PID/statm (each process of the cgroup)", 100,
						read_cost(pfd[0], buf, sizeof(buf)) * 1e6 };
	qsort(rows, nr, sizeof(*rows), cmp_cost);
	printf("   per source, CPU of one read (us), and when the recorder reads it:\n");
	for (size_t i = 0; i < nr; i++) {
		char when[32];
		if (rows[i].every_ms)
			snprintf(when, sizeof(when), "every %llu ms", (unsigned long long)rows[i].every_ms);
		else
			snprintf(when, sizeof(when), "every sample");
		printf("   %8.1f  %-14s %s\n", rows[i].us, when, rows[i].path);
	}
	printf("   the files read at every sample: %.1f us together\n", sum_every);
	raw_set_close(&rs);
	json_decref(rec_finish(r));
	rec_close(r);
	free(cgdir);
	free(cgprocs);
}

/* CPU share of a child command over its wall time */
static double child_share(char *const argv[])
{
	double t0 = now_s();
	pid_t pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	double wall = now_s() - t0;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec / 1e6;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? cpu / wall * 100.0 : -1;
}

/* CPU seconds of `mph record --interval iv --duration d [--slow S --slow-interval SI]` */
static double record_cpu(const char *mph, const struct cg_env *env, const char *tmp, const char *iv, const char *d,
			 const char *slow, const char *slow_iv)
{
	char *out = xasprintf("%s/share-%s-%s", tmp, iv, d), *own = xstrdup(env->own);
	char *argv[] = { (char *)mph, "record", "--interval", (char *)iv, "--duration", (char *)d, "--cgroup", own, "--out",
			 out, slow ? "--slow" : NULL, (char *)slow, "--slow-interval", (char *)slow_iv, NULL };
	double t0 = now_s(), share = child_share(argv);
	free(out);
	free(own);
	return share < 0 ? -1 : share / 100.0 * (now_s() - t0);
}

/* CPU share of a loop on a recorder's schedule, over 5 s: woken by a timerfd every
 * period through epoll, as mph's loop is, reading fd[0..np) on their schedules and
 * the cgroup's processes (cgroup.procs, each one's statm) every 100 ms; np 0 and no
 * processes: the floor, waking and reading nothing. */
static double loop_share(double period, const int *fd, const uint64_t *every, size_t np, const char *cgprocs,
			 const int *pfd, size_t npids)
{
	static char buf[65536];
	int tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC), ep = epoll_create1(EPOLL_CLOEXEC);
	long ns = (long)(period * 1e9);
	struct itimerspec its = { { ns / 1000000000L, ns % 1000000000L }, { ns / 1000000000L, ns % 1000000000L } };
	struct epoll_event ev = { .events = EPOLLIN };
	if (tf < 0 || ep < 0 || timerfd_settime(tf, 0, &its, NULL) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev) < 0)
		return -1;
	double last[64] = { 0 }, last_procs = 0, t0 = now_s(), c0 = cpu_now();
	while (now_s() - t0 < 5.0) {
		struct epoll_event e;
		uint64_t n;
		if (epoll_wait(ep, &e, 1, -1) != 1 || read(tf, &n, sizeof(n)) != sizeof(n))
			continue;
		double now = now_s();
		for (size_t f = 0; f < np && f < 64; f++) {
			if (every[f] && now - last[f] < (double)every[f] / 1000.0 - period / 2)
				continue;
			last[f] = now;
			(void)!pread(fd[f], buf, sizeof(buf), 0);
		}
		if (cgprocs && now - last_procs >= 0.1 - period / 2) {
			last_procs = now;
			read_procs_list(cgprocs, buf, sizeof(buf));
			for (size_t p = 0; p < npids; p++)
				(void)!pread(pfd[p], buf, sizeof(buf), 0);
		}
	}
	double share = (cpu_now() - c0) / (now_s() - t0) * 100.0;
	close(tf);
	close(ep);
	return share;
}

/* 2b. beside part 2's default-set runs: the floor of waking at all on that schedule
 * and the raw reads of the same files (a recorder's rec_paths with mph record's
 * defaults) on it, each 5 s of this process. */
static void bench_share_floor(const struct cg_env *env, const char *tmp, const char *iv, double period, double mph_share)
{
	static const char *const procs[] = { "self" };
	char *cgdir = xasprintf("%s%s", env->mount, env->own), *cgprocs = xasprintf("%s/cgroup.procs", cgdir);
	struct rec_config c = { .dir = tmp, .interval_ms = (uint64_t)(period * 1000 + 0.5), .cg_dir = cgdir,
				.cg_ver = env->ver, .procs = procs, .nprocs = 1, .t0 = now_s(), .no_kmsg = true };
	struct recorder *r;
	if (rec_open(&r, &c) < 0) {
		printf("2. floor: cannot open a recorder\n");
		free(cgdir);
		free(cgprocs);
		return;
	}
	struct raw_set rs;
	raw_set_open(&rs, r, cgprocs);
	double floor = loop_share(period, NULL, NULL, 0, NULL, NULL, 0);
	double raw = loop_share(period, rs.fd, rs.every, rs.np, cgprocs, rs.pfd, rs.npids);
	size_t np = rs.np, npids = rs.npids;
	printf("2. at %s, this process on the same schedule: waking and reading nothing %.2f%% of one core (the floor),\n"
	       "   reading the same %zu files + %zu processes %.2f%%; mph record's %.2f%% is %.2fx the raw reads, %.2f%% above the floor\n",
	       iv, floor, np, npids, raw, mph_share, raw > 0 ? mph_share / raw : 0, mph_share - floor);
	raw_set_close(&rs);
	json_decref(rec_finish(r));
	rec_close(r);
	free(cgdir);
	free(cgprocs);
}

/* 2. mph record at 100 Hz and 1 kHz, recording a cgroup, with the default slow set
 * and with a cheaper one (the machine-wide files less often). The share is marginal:
 * the CPU of a 7 s run minus that of a 2 s run, over 5 s, so that start-up (exec,
 * learning the files, calibration) is not counted as a per-second cost; the whole
 * 7 s run's share is printed beside it. */
static void bench_share(const char *mph, const struct cg_env *env, const char *tmp)
{
	static const struct { const char *iv, *slow, *slow_iv; double goal; } rates[] = {
		{ "10ms", NULL, NULL, 1.0 },
		{ "10ms", "vmstat,meminfo,psi.memory,psi.io,node,cg.stat", "100ms", 1.0 },
		{ "1ms", NULL, NULL, 6.0 },
		{ "1ms", "vmstat,meminfo,psi.memory,psi.io,node,cg.stat", "10ms", 6.0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		double c2 = record_cpu(mph, env, tmp, rates[i].iv, "2s", rates[i].slow, rates[i].slow_iv),
		       c7 = record_cpu(mph, env, tmp, rates[i].iv, "7s", rates[i].slow, rates[i].slow_iv);
		double share = (c7 - c2) / 5.0 * 100.0;
		char set[128];
		if (rates[i].slow)
			snprintf(set, sizeof(set), "--slow %s --slow-interval %s", rates[i].slow, rates[i].slow_iv);
		else
			snprintf(set, sizeof(set), "default slow set");
		printf("2. mph record at %s (%s): %.2f%% of one core in steady state (%.2f%% over a whole 7 s run) (goal < %.0f%%: %s)\n",
		       rates[i].iv, set, share, c7 / 7.0 * 100.0, rates[i].goal,
		       verdict(c2 >= 0 && c7 >= 0 && share < rates[i].goal));
		if (!rates[i].slow)
			bench_share_floor(env, tmp, rates[i].iv, strcmp(rates[i].iv, "10ms") == 0 ? 0.010 : 0.001, share);
	}
}

/* 3. repeated memcg OOM kills through mph run; latency from events.jsonl */
static void bench_oom_latency(const char *mph, const char *tmp)
{
	enum { N = 30 };
	double lat[N];
	size_t n = 0;
	char *res = xasprintf("%s/oomruns", tmp);
	for (int i = 0; i < N; i++) {
		char *argv[] = { (char *)mph, "run", "--wait", "5m", "--results", res, "scenarios/oom-basic.ini", NULL };
		if (child_share(argv) < 0)
			continue;
	}
	char *cmd = xasprintf("cat %s/oom-basic/*/r1/events.jsonl", res); /* each run a one-job plan */
	FILE *p = popen(cmd, "r");
	char line[4096];
	while (p && fgets(line, sizeof(line), p) && n < N) {
		json_t *e = json_loads(line, 0, NULL);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (type && strcmp(type, "oom_kill") == 0)
			lat[n++] = json_real_value(json_object_get(e, "detection_latency_s"));
		json_decref(e);
	}
	if (p)
		pclose(p);
	if (n) {
		qsort(lat, n, sizeof(*lat), cmp_d);
		double p50 = lat[n / 2], p99 = lat[(size_t)((double)(n - 1) * 0.99)], max = lat[n - 1];
		printf("3. OOM detection latency over %zu kills: p50 %.3f ms, p99 %.3f ms, max %.3f ms (goal p99 < 2 ms: %s)\n",
		       n, p50 * 1e3, p99 * 1e3, max * 1e3, verdict(p99 < 0.002));
	} else {
		printf("3. OOM detection latency: no OOM kill recorded\n");
	}
	free(cmd);
	free(res);
}

/* N idle processes (real ones: forks that join a 1G cgroup made for the bench below
 * this process's own, then pause), for parts 4 and 5 */
struct idle {
	struct cg *cg;
	pid_t *pids;
	int n;     /* forked */
};

/* The limits on forking that this process is under, for when a fork fails */
static void print_fork_limits(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NPROC, &rl) == 0)
		printf("   RLIMIT_NPROC soft %lld hard %lld\n", (long long)rl.rlim_cur, (long long)rl.rlim_max);
	char *text = NULL;
	if (read_file("/proc/self/cgroup", &text, NULL) == 0) {
		for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
			char *pids = strstr(l, ":pids:"), *v2 = strncmp(l, "0::", 3) == 0 ? l + 2 : NULL;
			const char *dir = pids ? "/sys/fs/cgroup/pids" : "/sys/fs/cgroup/unified";
			char *rel = pids ? pids + 5 : v2, *max = NULL;
			if (!rel)
				continue;
			char *path = xasprintf("%s%s/pids.max", dir, rel);
			if (read_file(path, &max, NULL) == 0)
				printf("   %s: %s", path, max);
			free(max);
			free(path);
		}
	}
	free(text);
}

static int idle_start(const struct cg_env *env, const char *name, int n, struct idle *out)
{
	memset(out, 0, sizeof(*out));
	if (cg_create(env, name, &out->cg) < 0 || cg_write(out->cg, "memory.max", "1073741824") < 0) {
		cg_destroy(out->cg, 5000);
		out->cg = NULL;
		return -1;
	}
	out->pids = xcalloc((size_t)n, sizeof(*out->pids));
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) { /* never kept: kill(-1) would signal every process */
			printf("   fork %d of %d failed: %s\n", i + 1, n, strerror(errno));
			print_fork_limits();
			break;
		}
		if (pid == 0) {
			if (cg_enter(out->cg) < 0)
				_exit(1);
			pause();
			_exit(0);
		}
		out->pids[out->n++] = pid;
	}
	/* every child in the cgroup before measuring (each joins after its fork) */
	char *procs = cg_path(out->cg, "cgroup.procs");
	size_t in = 0;
	for (double t0 = now_s(); now_s() - t0 < 30;) {
		char *text = NULL;
		in = 0;
		if (read_file(procs, &text, NULL) == 0)
			for (char *c = text; *c; c++)
				in += *c == '\n';
		free(text);
		if (in >= (size_t)out->n)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (in < (size_t)out->n)
		printf("   only %zu of %d processes joined the cgroup\n", in, out->n);
	free(procs);
	return 0;
}

static void idle_stop(struct idle *id)
{
	for (int i = 0; i < id->n; i++)
		kill(id->pids[i], SIGKILL);
	for (int i = 0; i < id->n; i++)
		waitpid(id->pids[i], NULL, 0);
	free(id->pids);
	cg_destroy(id->cg, 5000);
	memset(id, 0, sizeof(*id));
}

/* 4. 1000 idle processes (in a limited cgroup) sampled at 10 Hz for 5 s */
static void bench_many(const struct cg_env *env, const char *tmp)
{
	enum { N = 1000 };
	struct idle id;
	char name[64];
	snprintf(name, sizeof(name), "mph-bench-%d", (int)getpid());
	if (idle_start(env, name, N, &id) < 0) {
		printf("4. cannot create a cgroup for the processes\n");
		return;
	}
	char **names = xcalloc(N, sizeof(*names));
	for (int i = 0; i < N; i++)
		names[i] = xasprintf("p%d", i);
	for (int statm = 0; statm < 2; statm++) {
	struct rec_config c = { .dir = tmp, .interval_ms = 100, .procs = (const char *const *)names, .nprocs = N,
				.t0 = now_s(), .no_kmsg = true, .statm = statm };
	struct recorder *r;
	if (rec_open(&r, &c) == 0) {
		for (int i = 0; i < id.n; i++)
			rec_set_pid(r, (size_t)i, id.pids[i]);
		double wall0 = now_s(), cpu = 0;
		for (int k = 0; k < 50; k++) {
			double t = cpu_now();
			rec_sample(r);
			cpu += cpu_now() - t;
			tick_wait(wall0, k + 1, 0.1);
		}
		double share = cpu / (now_s() - wall0) * 100.0;
		printf("4. %d processes sampled at 10 Hz from /proc/PID/%s: %.2f%% of one core, %.2f ms per sample (goal < 5%%: %s)\n",
		       id.n, statm ? "statm" : "status", share, cpu / 50 * 1e3, verdict(share < 5.0));
		json_decref(rec_finish(r));
		rec_close(r);
	}
	}
	for (int i = 0; i < N; i++)
		free(names[i]);
	free(names);
	idle_stop(&id);
}

/* One raw scan, the floor of the sampler's: cgroup.procs opened and read to its end
 * (as it must be: v1 builds the list of pids at an open's first read, and a pread at 0
 * of a kept fd returns that list again, however old), then each statm through an fd
 * kept open, as the sampler keeps them */
static void raw_scan(const char *procs_path, const int *fds, int n, char *buf, size_t len)
{
	int pfd = open(procs_path, O_RDONLY | O_CLOEXEC);
	while (pfd >= 0 && read(pfd, buf, len) > 0)
		;
	if (pfd >= 0)
		close(pfd);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)!pread(fds[i], buf, 256, 0);
}

static double mean(const double *v, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : 0;
}

/* One window of part 5: ticks scans of the sampler at 10 Hz, each followed 50 ms later
 * by a raw scan; the sampler's share and both per-scan costs printed */
static void procs_window(struct proc_set *ps, const char *procs_path, const int *fds, int n, char *buf, size_t len,
			 const char *what)
{
	enum { TICKS = 50 };
	const double period = 0.1;
	double cpu[TICKS], raw[TICKS], wall0 = now_s();
	unsigned long from = ps->scan + 1;
	for (int k = 0; k < TICKS; k++) {
		tick_wait(wall0, 2 * k + 1, period / 2);
		double t = cpu_now();
		procs_sample(ps, now_s() - wall0);
		cpu[k] = cpu_now() - t;
		tick_wait(wall0, 2 * k + 2, period / 2);
		t = cpu_now();
		raw_scan(procs_path, fds, n, buf, len);
		raw[k] = cpu_now() - t;
	}
	double mc = mean(cpu, TICKS), mr = mean(raw, TICKS), share = mc / period * 100.0;
	double medc = median(cpu, TICKS), medr = median(raw, TICKS);
	printf("5. %zu processes of a cgroup sampled at 10 Hz, scans %lu-%lu (%s): %.2f%% of one core, %.2f ms per scan (median %.2f) (goal < 5%%: %s)\n",
	       ps->n, from, ps->scan, what, share, mc * 1e3, medc * 1e3, verdict(share < 5.0));
	printf("   raw, the same files on the same schedule (10 Hz, 50 ms after each scan): cgroup.procs + %d statm reads %.2f ms per tick (median %.2f); the sampler costs %.2fx that (%.2fx at the median)\n",
	       n, mr * 1e3, medr * 1e3, mr > 0 ? mc / mr : 0, medr > 0 ? medc / medr : 0);
}

/* 5. the cgroup-wide process sampler (host/procs.c) against its floor: the same files
 * read raw on the same schedule, both at 10 Hz, their ticks interleaved (each 50 ms
 * after the other's), so that each reads after the same idle time. Between two reads
 * 100 ms apart the caches have gone cold: a statm read then costs about three times
 * what it does back to back, which is how the floor was read before (printed too).
 * Two windows: the processes' first seconds, when the sampler reads each cmdline again
 * at 4, 8, 16 and 32 scans of age, and later, when it does so every 512 scans. */
static void bench_procs(const struct cg_env *env, const char *tmp)
{
	enum { N = 1000, WARM = 3, LATER = 300 };
	struct idle id;
	char name[64];
	snprintf(name, sizeof(name), "mph-bench-procs-%d", (int)getpid());
	if (idle_start(env, name, N, &id) < 0) {
		printf("5. cannot create a cgroup for the processes\n");
		return;
	}
	char *procs_path = cg_path(id.cg, "cgroup.procs");
	struct proc_set ps;
	/* processes.csv written as the recorder writes it */
	char *csv_path = xasprintf("%s/processes.csv", tmp);
	FILE *csv = fopen(csv_path, "we");
	if (csv)
		setvbuf(csv, NULL, _IOFBF, 1 << 18);
	if (csv && procs_path && procs_open(&ps, procs_path, "/proc", false, csv, NULL, NULL) == 0) {
		enum { BUFSZ = 1 << 16, B2B = 50 };
		int *fds = xcalloc((size_t)id.n, sizeof(int));
		for (int i = 0; i < id.n; i++) {
			char p[64];
			snprintf(p, sizeof(p), "/proc/%d/statm", (int)id.pids[i]);
			fds[i] = open(p, O_RDONLY | O_CLOEXEC);
		}
		char *buf = xcalloc(1, BUFSZ);
		/* the first scan finds every process new (statm opened, cmdline and status
		 * read); the next two read each cmdline again (1 and 2 scans after its first
		 * reading, for titles set after an exec) */
		double wall0 = now_s(), t = cpu_now();
		procs_sample(&ps, 0);
		double first = cpu_now() - t;
		while (ps.scan < WARM)
			procs_sample(&ps, now_s() - wall0);
		procs_window(&ps, procs_path, fds, id.n, buf, BUFSZ - 1, "the first seconds: cmdline read again at 4, 8, 16, 32");
		/* on to scan LATER back to back, without rows (the processes are then past
		 * the cmdline re-read at 256 scans; the next is at 768) */
		ps.csv = NULL;
		while (ps.scan < LATER)
			procs_sample(&ps, now_s() - wall0);
		ps.csv = csv;
		procs_window(&ps, procs_path, fds, id.n, buf, BUFSZ - 1, "later: cmdline read again every 512 scans, not here");
		double b2b = cpu_now();
		for (int k = 0; k < B2B; k++)
			raw_scan(procs_path, fds, id.n, buf, BUFSZ - 1);
		b2b = (cpu_now() - b2b) / B2B;
		printf("   the same raw reads back to back (warm caches; the floor printed before 2026-12-02): %.2f ms per tick\n",
		       b2b * 1e3);
		printf("   the first scan (every process new: statm opened, cmdline and status read): %.2f ms\n", first * 1e3);
		procs_close(&ps);
		for (int i = 0; i < id.n; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(fds);
		free(buf);
	} else {
		printf("5. cannot open %s\n", procs_path ? procs_path : "cgroup.procs");
	}
	if (csv)
		fclose(csv);
	free(csv_path);
	free(procs_path);
	idle_stop(&id);
}

/* recorder_bench [MPH [PART...]]: the parts named (1-5), all by default */
static bool part_on(int argc, char **argv, int part)
{
	if (argc <= 2)
		return true;
	for (int i = 2; i < argc; i++)
		if (atoi(argv[i]) == part)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *mph = argc > 1 ? argv[1] : "./mph";
	struct cg_env env;
	if (geteuid() != 0 || cg_env_detect(&env) < 0) {
		fprintf(stderr, "recorder_bench: needs root and a memory cgroup controller\n");
		return 3;
	}
	char tmp[] = "/tmp/mph-bench-XXXXXX";
	if (!mkdtemp(tmp))
		return 1;
	printf("recorder benchmark (%s)\n", env.mount);
	if (part_on(argc, argv, 1))
		bench_sample_cost(&env, tmp);
	if (part_on(argc, argv, 2))
		bench_share(mph, &env, tmp);
	if (part_on(argc, argv, 3))
		bench_oom_latency(mph, tmp);
	if (part_on(argc, argv, 4))
		bench_many(&env, tmp);
	if (part_on(argc, argv, 5))
		bench_procs(&env, tmp);
	char *rm = xasprintf("rm -rf %s", tmp);
	if (system(rm) != 0)
		fprintf(stderr, "recorder_bench: could not remove %s\n", tmp);
	free(rm);
	cg_env_free(&env);
	return 0;
}
