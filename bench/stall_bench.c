/* stall_bench.c - the tracefs event source's costs ([record] stalls), each printed side
 * by side with what it replaces or adds to, measured in this one run:
 *   A. OOM detection latency over real memcg OOM kills through `mph run` with
 *      record.stalls=yes: oom:mark_victim (the kernel's timestamp of the mark to mph
 *      having parsed it) beside the kernel log path (the kill's printk timestamp to mph
 *      having read it) in the same kills (goal p99 < 0.5 ms for the event source).
 *   F. The floor under A: a thread sleeping on an idle CPU woken from another (as
 *      the OOM watch's thread on a CPU the OOM path is not holding is woken), the
 *      time from the write to it running, over 300 wake-ups 10 ms apart.
 *   W. How the reader is woken: the same kills read by this process itself through
 *      each way the kernel offers - trace_pipe (all CPUs) under epoll, the per-CPU
 *      per_cpu/cpuN/trace_pipe under epoll with buffer_percent 0 (wake on any data),
 *      and trace_pipe with the reader at a higher priority (nice -10, SCHED_FIFO) -
 *      so the recorder can use the lowest.
 *   B. CPU of `mph record --stalls` against `mph record` on the same load of
 *      ~10,000 memcg reclaim stalls a second (a page-cache reader in a 32 MiB cgroup),
 *      interleaved rounds, from the recorder's /proc/PID/schedstat over a window in
 *      steady state (goal: the difference < 2% of one core). The stall rate is what
 *      the tracepoints counted.
 * Needs root and the memory cgroup controller; creates cgroups below this process's
 * own (with a limit), a sparse file in /var/tmp and a tracefs instance of its own
 * (mounting tracefs when none is), and removes them. Run with `make bench`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness/host/cgroup.h"
#include "../harness/host/trace.h"
#include "../harness/core/util.h"

#define KILLS 30
#define SPARSE "/var/tmp/mph-stall-bench.sparse"

static const char *mph = "./mph";
static char tmp[] = "/tmp/mph-stall-bench-XXXXXX";
/* what this bench made, removed at its end and on SIGINT/SIGTERM */
static char *own_mount, *instance;

static void cleanup(void)
{
	if (instance)
		(void)trace_instance_remove(instance);
	if (own_mount)
		(void)trace_unmount(own_mount);
	(void)unlink(SPARSE);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int by_value(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return (*x > *y) - (*x < *y);
}

/* p50, p99 (nearest rank) and max of v (seconds), in ms; v is sorted */
static void quantiles(double *v, size_t n, double *p50, double *p99, double *max)
{
	qsort(v, n, sizeof(*v), by_value);
	size_t k99 = (size_t)(0.99 * (double)n + 0.999999);
	*p50 = v[(n + 1) / 2 - 1] * 1e3;
	*p99 = v[(k99 ? k99 : 1) - 1] * 1e3;
	*max = v[n - 1] * 1e3;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* a number at a dotted path of j, or -1 */
static double jnum(json_t *j, const char *path)
{
	char *p = xstrdup(path), *save = NULL;
	for (char *k = strtok_r(p, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	free(p);
	return json_is_number(j) ? json_number_value(j) : -1;
}

/* ---- A: OOM detection latency through mph run ---------------------------- */

static pid_t spawn(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (quiet) {
			int dn = open("/dev/null", O_WRONLY);
			dup2(dn, 1);
			dup2(dn, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void bench_oom_latency(void)
{
	char *res = xasprintf("%s/oomruns", tmp);
	/* KILLS runs that succeed, at most 2 x KILLS tries: on a shared machine a run can
	 * be refused (another session's interrupted run left its journal until restored) */
	for (int i = 0, ok = 0; ok < KILLS && i < 2 * KILLS; i++) {
		char *argv[] = { (char *)mph, "run", "--wait", "20m", "--results", res, "--set", "record.stalls=yes",
				 "scenarios/oom-basic.ini", NULL };
		int st = 0;
		pid_t pid = spawn(argv, true);
		if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			ok++;
			continue;
		}
		fprintf(stderr, "stall_bench: mph run %d failed (exit %d); trying again in 1 s\n", i,
			pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		sleep_s(1.0);
	}
	/* each run a one-job plan: r1/events.jsonl; the victim's mark and its kill */
	char *cmd = xasprintf("cat %s/oom-basic/*/r1/events.jsonl", res);
	FILE *p = popen(cmd, "r");
	double km[KILLS], tr[KILLS];
	size_t nk = 0, nt = 0;
	char line[4096];
	while (p && fgets(line, sizeof(line), p)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *type = json_string_value(json_object_get(e, "type"));
		double lat = jnum(e, "detection_latency_s");
		if (type && lat >= 0 && strcmp(type, "oom_kill") == 0 && nk < KILLS)
			km[nk++] = lat;
		else if (type && strcmp(type, "oom_victim") == 0 && nt < KILLS)
			tr[nt++] = lat; /* a negative one would be a clock's fault: shown, not hidden */
		json_decref(e);
	}
	if (p)
		pclose(p);
	if (!nk || !nt) {
		printf("A. OOM detection latency: %zu kills from the kernel log, %zu marks from the trace: nothing to compare\n", nk, nt);
	} else {
		double a50, a99, amax, b50, b99, bmax;
		quantiles(km, nk, &a50, &a99, &amax);
		quantiles(tr, nt, &b50, &b99, &bmax);
		printf("A. OOM detection latency, mph run with stalls, same kills:\n"
		       "   kernel log (/dev/kmsg)   %2zu kills: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n"
		       "   oom:mark_victim (trace)  %2zu marks: p50 %.3f ms, p99 %.3f ms, max %.3f ms (goal p99 < 0.5 ms: %s)\n"
		       "   p99 kernel log / trace: %.2fx\n",
		       nk, a50, a99, amax, nt, b50, b99, bmax, b99 < 0.5 ? "met" : "MISSED", b99 > 0 ? a99 / b99 : 0);
	}
	free(cmd);
	free(res);
}

/* ---- W: the ways to be woken --------------------------------------------- */

static int write_in(const char *dir, const char *file, const char *val)
{
	char *p = xasprintf("%s/%s", dir, file);
	int r = write_file(p, val);
	free(p);
	return r;
}

/* A child in cg touching anonymous memory until the OOM killer takes it. */
static pid_t leaker(struct cg *cg)
{
	pid_t pid = fork();
	if (pid == 0) {
		(void)setpriority(PRIO_PROCESS, 0, 0);
		if (cg_enter(cg) < 0)
			_exit(1);
		for (;;) {
			char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(2);
			for (size_t o = 0; o < (1 << 20); o += 4096)
				m[o] = 1;
		}
	}
	return pid;
}

/* v1: an eventfd the kernel signals when cg is out of memory, before it kills (it
 * wakes the reader directly, not through irq_work); -1 on v2 or failure */
static int oom_eventfd(struct cg *cg)
{
	char *oc = cg_path(cg, "memory.oom_control"), *ec = cg_path(cg, "cgroup.event_control");
	int efd = -1, ofd = oc ? open(oc, O_RDONLY | O_CLOEXEC) : -1;
	if (ofd >= 0 && ec && (efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0) {
		char line[64];
		snprintf(line, sizeof(line), "%d %d", efd, ofd);
		if (write_file(ec, line) < 0) {
			close(efd);
			efd = -1;
		}
	}
	if (ofd >= 0)
		close(ofd);
	free(oc);
	free(ec);
	return efd;
}

struct reader {
	int fd[64];
	size_t n;
	char buf[65536], line[4096];
	size_t len;
};

/* Parse what the reader's descriptors hold now: the latency of pid's mark, or -1. */
static double drain_for(struct reader *rd, size_t i, pid_t pid)
{
	ssize_t got;
	while ((got = read(rd->fd[i], rd->buf, sizeof(rd->buf))) > 0) {
		for (ssize_t k = 0; k < got; k++) {
			if (rd->buf[k] != '\n') {
				if (rd->len < sizeof(rd->line))
					rd->line[rd->len++] = rd->buf[k];
				continue;
			}
			struct tev e;
			bool mark = trace_parse_line(rd->line, rd->len, &e) == 0 && e.kind == TEV_MARK_VICTIM && e.value == pid;
			rd->len = 0;
			if (mark)
				return now_s() - e.ts;
		}
	}
	return -1;
}

#define NOTIFY_ID 1000 /* epoll id of the memcg OOM eventfd */

/* Wait (at most 5 s) until the mark of pid is parsed: its latency, or -1. With the
 * memcg OOM eventfd (notify >= 0), its wake-up starts reading trace_pipe actively,
 * every 50 us for at most 20 ms, as the recorder reads the kernel log. */
static double wait_mark(struct reader *rd, int ep, int notify, pid_t pid)
{
	double deadline = now_s() + 5;
	while (now_s() < deadline) {
		struct epoll_event ev[8];
		int n = epoll_wait(ep, ev, 8, 100);
		for (int i = 0; i < n; i++) {
			double l;
			if (ev[i].data.u32 != NOTIFY_ID) {
				if ((l = drain_for(rd, ev[i].data.u32, pid)) >= 0)
					return l;
				continue;
			}
			uint64_t cnt;
			(void)!read(notify, &cnt, sizeof(cnt));
			for (int k = 0; k < 400; k++) {
				for (size_t f = 0; f < rd->n; f++)
					if ((l = drain_for(rd, f, pid)) >= 0)
						return l;
				sleep_s(50e-6);
			}
		}
	}
	return -1;
}

enum { W_PIPE, W_PERCPU, W_NICE, W_FIFO, W_NOTIFY, W_NOTIFY_FIFO, NWAYS };
static const char *const way_name[NWAYS] = {
	"trace_pipe, epoll (what the recorder does)",
	"per_cpu/cpuN/trace_pipe, epoll, buffer_percent 0",
	"trace_pipe, epoll, reader at nice -10",
	"trace_pipe, epoll, reader SCHED_FIFO 1",
	"memcg OOM eventfd (v1), then trace_pipe actively",
	"the same, reader SCHED_FIFO 1",
};

static void bench_wakeups(const struct cg_env *env)
{
	char *mnt = NULL;
	if (trace_find_mount(&mnt) == -ENOENT) {
		mnt = xasprintf("%s/tracefs", tmp);
		if (trace_mount(mnt) < 0) {
			printf("W. cannot mount tracefs at %s\n", mnt);
			free(mnt);
			return;
		}
		own_mount = mnt;
	}
	instance = xasprintf("%s/instances/mph-bench-%d", mnt, (int)getpid());
	struct cg *cg = NULL;
	char name[64];
	snprintf(name, sizeof(name), "mph-stall-bench-oom-%d", (int)getpid());
	/* only the mark (the reclaim before each kill would be read too otherwise), on
	 * the clock the recorder uses; trace_pipe is opened once per way (it admits one
	 * reader at a time) */
	int e = mkdir(instance, 0700) < 0 ? -errno : write_in(instance, "trace_clock", "mono");
	if (e == 0)
		e = write_in(instance, "events/oom/mark_victim/enable", "1");
	if (e == 0)
		e = write_in(instance, "tracing_on", "1");
	if (e < 0) {
		printf("W. cannot set up the tracefs instance %s: %s\n", instance, strerror(-e));
		goto out;
	}
	if (cg_create(env, name, &cg) < 0 || cg_write(cg, "memory.max", "67108864") < 0) {
		printf("W. cannot create a cgroup for the leaker\n");
		goto out;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	double lat[NWAYS][KILLS];
	size_t got[NWAYS] = { 0 };
	/* interleaved: kill k of every way, then kill k + 1 */
	for (int k = 0; k < KILLS; k++) {
		for (int w = 0; w < NWAYS; w++) {
			struct reader *rd = xcalloc(1, sizeof(*rd));
			int ep = epoll_create1(EPOLL_CLOEXEC);
			(void)write_in(instance, "buffer_percent", "0");
			if (w == W_PERCPU) {
				for (long c = 0; c < ncpu && rd->n < 64; c++) {
					char *p = xasprintf("%s/per_cpu/cpu%ld/trace_pipe", instance, c);
					int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
					free(p);
					if (fd >= 0)
						rd->fd[rd->n++] = fd;
				}
			} else {
				char *p = xasprintf("%s/trace_pipe", instance);
				rd->fd[rd->n++] = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
				free(p);
			}
			for (size_t i = 0; i < rd->n; i++) {
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
				(void)epoll_ctl(ep, EPOLL_CTL_ADD, rd->fd[i], &ev);
			}
			/* the leaker does not inherit either (leaker(), SCHED_RESET_ON_FORK) */
			struct sched_param rt = { .sched_priority = 1 }, other = { 0 };
			if (w == W_NICE)
				(void)setpriority(PRIO_PROCESS, 0, -10);
			if (w == W_FIFO || w == W_NOTIFY_FIFO)
				(void)sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &rt);
			int notify = -1;
			if (w == W_NOTIFY || w == W_NOTIFY_FIFO) {
				if ((notify = oom_eventfd(cg)) < 0) {
					close(ep);
					free(rd);
					continue;
				}
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = NOTIFY_ID };
				(void)epoll_ctl(ep, EPOLL_CTL_ADD, notify, &ev);
			}
			pid_t pid = leaker(cg);
			double l = pid > 0 ? wait_mark(rd, ep, notify, pid) : -1;
			if (notify >= 0)
				close(notify);
			(void)sched_setscheduler(0, SCHED_OTHER, &other);
			(void)setpriority(PRIO_PROCESS, 0, 0);
			if (pid > 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			if (l >= 0)
				lat[w][got[w]++] = l;
			for (size_t i = 0; i < rd->n; i++)
				if (rd->fd[i] >= 0)
					close(rd->fd[i]);
			close(ep);
			free(rd);
		}
	}
	printf("W. OOM mark to parsed, this process reading (no mph loop), interleaved kills:\n");
	for (int w = 0; w < NWAYS; w++) {
		if (!got[w]) {
			printf("   %-50s no mark read\n", way_name[w]);
			continue;
		}
		double p50, p99, max;
		quantiles(lat[w], got[w], &p50, &p99, &max);
		printf("   %-50s %2zu: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", way_name[w], got[w], p50, p99, max);
	}
out:
	cg_destroy(cg, 5000);
	(void)trace_instance_remove(instance);
	free(instance);
	instance = NULL;
	if (own_mount) {
		(void)trace_unmount(own_mount);
		own_mount = NULL;
	}
	free(mnt);
}

/* ---- B: CPU at 10,000 stalls a second -------------------------------------- */

/* CPU nanoseconds pid has run (the first field of /proc/PID/schedstat), or -1 */
static double cpu_ns(pid_t pid)
{
	char p[64], *text = NULL;
	snprintf(p, sizeof(p), "/proc/%d/schedstat", (int)pid);
	double v = -1;
	if (read_file(p, &text, NULL) == 0)
		v = strtod(text, NULL);
	free(text);
	return v;
}

/* bytes the reader has read, shared with it (MAP_SHARED) */
static volatile unsigned long long *bytes_read;

/* A page-cache reader in cg: SPARSE read over and over, 4 KiB at a time without
 * readahead (each read charges one page; the kernel reclaims ~32 pages per stall, where
 * readahead's large folios would charge 512 at once), bytes_per_s at most (0: as fast
 * as it can), so that charges past the limit are memcg reclaim stalls. */
static pid_t reader(struct cg *cg, double bytes_per_s)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (cg_enter(cg) < 0)
			_exit(1);
		int fd = open(SPARSE, O_RDONLY | O_CLOEXEC);
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
		static char buf[4096];
		double t0 = now_s(), done = 0;
		for (off_t off = 0;; off += (off_t)sizeof(buf)) {
			ssize_t n = pread(fd, buf, sizeof(buf), off);
			if (n <= 0) {
				off = -(off_t)sizeof(buf);
				continue;
			}
			done += (double)n;
			__atomic_add_fetch(bytes_read, (unsigned long long)n, __ATOMIC_RELAXED);
			if (bytes_per_s > 0) {
				double ahead = done / bytes_per_s - (now_s() - t0);
				if (ahead > 0.0005)
					sleep_s(ahead);
			}
		}
	}
	return pid;
}

struct cost {
	double share;  /* mph's CPU over the window, % of one core; -1 not measured */
	double rate;   /* memcg stalls a second the trace counted (--stalls only), -1 */
	double bps;    /* the reader's bytes a second */
};

/* One recording of cg (mph record --cgroup, 100 ms) under the reader's load: its CPU
 * from /proc/PID/schedstat over 4 s in steady state. */
static struct cost record_under_load(struct cg *cg, const char *cgrel, bool stalls, double bytes_per_s, int round)
{
	struct cost c = { -1, -1, -1 };
	char *out = xasprintf("%s/rec-%d-%s", tmp, round, stalls ? "stalls" : "plain");
	char *state = xasprintf("%s/state", tmp);
	char *csv = xasprintf("%s/samples.csv", out), *rj = xasprintf("%s/record.json", out);
	char *argv[] = { (char *)mph, "record", "--cgroup", (char *)cgrel, "--duration", "6s", "--out", out,
			 "--wait", "20m", "--state-dir", state, stalls ? "--stalls" : NULL, NULL };
	pid_t rec = spawn(argv, true);
	/* the recording has begun (with --stalls after the lock: another mph may hold it) */
	double give_up = now_s() + 1200;
	while (access(csv, F_OK) < 0 && now_s() < give_up && waitpid(rec, NULL, WNOHANG) == 0)
		sleep_s(0.005);
	*bytes_read = 0;
	pid_t load = reader(cg, bytes_per_s);
	double t_load = now_s();
	sleep_s(1.0); /* past the recorder's start and the reader's first fill of the limit */
	double c1 = cpu_ns(rec), w1 = now_s();
	sleep_s(4.0);
	double c2 = cpu_ns(rec), w2 = now_s();
	int st = 0;
	waitpid(rec, &st, 0);
	double t_end = now_s();
	unsigned long long bytes = *bytes_read;
	kill(load, SIGKILL);
	waitpid(load, NULL, 0);
	if (c1 >= 0 && c2 >= c1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		c.share = (c2 - c1) / 1e9 / (w2 - w1) * 100.0;
	else
		fprintf(stderr, "stall_bench: mph record%s: cpu %.0f -> %.0f ns, exit %d\n", stalls ? " --stalls" : "", c1, c2,
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	c.bps = (double)bytes / (t_end - t_load);
	json_t *r = json_load_file(rj, 0, NULL);
	double n = jnum(r, "recorder.reclaim_stalls.memcg.count"), e = jnum(r, "recorder.reclaim_stalls.elsewhere.memcg.count");
	if (stalls && n >= 0)
		c.rate = (n + (e > 0 ? e : 0)) / (t_end - t_load);
	json_decref(r);
	free(out);
	free(state);
	free(csv);
	free(rj);
	return c;
}

/* the median (nearest rank), in v's unit */
static double median(double *v, size_t n)
{
	double p50, p99, max;
	quantiles(v, n, &p50, &p99, &max);
	return p50 / 1e3;
}

static void bench_stall_cost(const struct cg_env *env)
{
	struct cg *cg = NULL;
	char name[64];
	snprintf(name, sizeof(name), "mph-stall-bench-load-%d", (int)getpid());
	int fd = open(SPARSE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 2LL << 30) < 0) {
		printf("B. cannot make %s\n", SPARSE);
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	bytes_read = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bytes_read == MAP_FAILED || cg_create(env, name, &cg) < 0 || cg_write(cg, "memory.max", "33554432") < 0) {
		printf("B. cannot create a cgroup for the load\n");
		cg_destroy(cg, 5000);
		return;
	}
	char *cgrel = xasprintf("%s/%s", env->own, name);
	/* The reader's rate for 10,000 stalls a second: one recording at full speed gives
	 * the bytes charged per stall here (measured, not assumed); the rounds read at
	 * 10,000 times that a second. A reader too slow for the rate runs at full speed,
	 * and the rate printed says what it reached. */
	struct cost cal = record_under_load(cg, cgrel, true, 0, 0);
	double bps = cal.rate > 10000 && cal.bps > 0 ? 10000.0 * cal.bps / cal.rate : 0;
	printf("B. calibration: the reader at full speed %.0f MiB/s, %.0f memcg stalls/s -> %s\n", cal.bps / 1048576,
	       cal.rate, bps > 0 ? "throttled for 10,000/s" : "full speed");
	enum { MAX_ROUNDS = 20 };
	int rounds = getenv("STALL_BENCH_ROUNDS") ? atoi(getenv("STALL_BENCH_ROUNDS")) : 5;
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	double with[MAX_ROUNDS], without[MAX_ROUNDS], diff[MAX_ROUNDS], rate[MAX_ROUNDS];
	size_t n = 0;
	for (int k = 0; k < rounds; k++) {
		/* interleaved, the order alternating, so that drift hits both alike */
		struct cost a, b;
		if (k % 2 == 0) {
			a = record_under_load(cg, cgrel, true, bps, 1 + 2 * k);
			b = record_under_load(cg, cgrel, false, bps, 2 + 2 * k);
		} else {
			b = record_under_load(cg, cgrel, false, bps, 2 + 2 * k);
			a = record_under_load(cg, cgrel, true, bps, 1 + 2 * k);
		}
		if (a.share < 0 || b.share < 0 || a.rate < 0) {
			fprintf(stderr, "stall_bench: round %d left out: --stalls %.2f%%, without %.2f%% (-1: the recording failed), rate %.0f/s\n",
				k + 1, a.share, b.share, a.rate);
			continue;
		}
		with[n] = a.share;
		without[n] = b.share;
		diff[n] = a.share - b.share;
		rate[n] = a.rate;
		n++;
	}
	cg_destroy(cg, 5000);
	free(cgrel);
	(void)unlink(SPARSE);
	munmap((void *)bytes_read, 4096);
	if (!n) {
		printf("B. no complete round\n");
		return;
	}
	double d = median(diff, n), r = median(rate, n);
	/* per stall: each round's difference over its own rate */
	double per[MAX_ROUNDS];
	for (size_t i = 0; i < n; i++)
		per[i] = rate[i] > 0 ? diff[i] / 100.0 / rate[i] : 0;
	double us = median(per, n) * 1e6, at10k = us * 1e-6 * 10000 * 100.0;
	bool reached = r >= 9000;
	printf("B. mph record (100 ms) on a page-cache reader in 32 MiB, %zu interleaved rounds, 4 s windows:\n"
	       "   --stalls %.2f%% of one core, without %.2f%% (medians); the event source %.2f%% of one core\n"
	       "   at %.0f memcg stalls/s counted by the tracepoints: %.2f us of CPU per stall\n"
	       "   at 10,000 stalls/s: %.2f%% of one core%s (goal < 2%%: %s)\n",
	       n, median(with, n), median(without, n), d, r, us, reached ? d : at10k, reached ? "" : " (extrapolated per stall: rate not reached)",
	       (reached ? d : at10k) < 2.0 ? "met" : "MISSED");
}

/* ---- F: the floor, waking a thread on another CPU ------------------------- */

#define WAKES 300

struct waker {
	int efd;
	int cpu;
	volatile double sent; /* when the eventfd was written */
	double lat[WAKES];
	size_t n;
};

static void pin(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)sched_setaffinity(0, sizeof(one), &one);
}

static void *sleeper(void *arg)
{
	struct waker *w = arg;
	pin(w->cpu);
	for (size_t i = 0; i < WAKES; i++) {
		uint64_t v;
		if (read(w->efd, &v, sizeof(v)) != sizeof(v))
			break;
		w->lat[w->n++] = now_s() - w->sent;
	}
	return NULL;
}

/* What no reader can beat: a thread sleeping on CPU b (an eventfd, as the OOM watch
 * sleeps on its pages) woken from CPU a, the two otherwise idle, 10 ms apart so that
 * b has gone idle each time - on a virtual machine, a halted virtual CPU the host
 * must run again. The time from the write to the sleeper running. */
static void bench_wake_floor(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2) {
		printf("F. one CPU: no other CPU to wake\n");
		return;
	}
	struct waker w = { .efd = eventfd(0, EFD_CLOEXEC), .cpu = 1 };
	pthread_t t;
	if (w.efd < 0 || pthread_create(&t, NULL, sleeper, &w) != 0) {
		printf("F. cannot start the sleeper\n");
		return;
	}
	pin(0);
	for (size_t i = 0; i < WAKES; i++) {
		sleep_s(0.010);
		uint64_t one = 1;
		w.sent = now_s();
		if (write(w.efd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	sleep_s(0.050);
	uint64_t one = 1;
	w.sent = now_s();
	for (size_t i = w.n; i < WAKES; i++) /* let it end if wake-ups were lost */
		(void)!write(w.efd, &one, sizeof(one));
	pthread_join(t, NULL);
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	(void)sched_setaffinity(0, sizeof(all), &all);
	close(w.efd);
	size_t over = 0;
	for (size_t i = 0; i < w.n; i++)
		over += w.lat[i] > 0.5e-3;
	double p50, p99, max;
	quantiles(w.lat, w.n, &p50, &p99, &max);
	printf("F. a thread on an idle CPU woken from another (eventfd, every 10 ms), %zu wake-ups:\n"
	       "   p50 %.3f ms, p99 %.3f ms, max %.3f ms; %zu over 0.5 ms (%.1f%%)\n",
	       w.n, p50, p99, max, over, w.n ? 100.0 * (double)over / (double)w.n : 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		mph = argv[1];
	struct cg_env env;
	if (geteuid() != 0 || cg_env_detect(&env) < 0) {
		fprintf(stderr, "stall_bench: needs root and a memory cgroup controller\n");
		return 3;
	}
	if (!mkdtemp(tmp))
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("stall benchmark (tracefs event source, %s)\n", env.mount);
	/* STALL_BENCH_PARTS=AFWB (the default) picks the parts */
	const char *parts = getenv("STALL_BENCH_PARTS") ? getenv("STALL_BENCH_PARTS") : "AFWB";
	if (strchr(parts, 'A'))
		bench_oom_latency();
	if (strchr(parts, 'F'))
		bench_wake_floor();
	if (strchr(parts, 'W'))
		bench_wakeups(&env);
	if (strchr(parts, 'B'))
		bench_stall_cost(&env);
	cleanup();
	char *rm = xasprintf("rm -rf %s", tmp);
	if (system(rm) != 0)
		fprintf(stderr, "stall_bench: could not remove %s\n", tmp);
	free(rm);
	cg_env_free(&env);
	return 0;
}
