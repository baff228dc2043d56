/* oomwatch.c - oom:mark_victim read by pinned threads (oomwatch.h says why). The
 * threads share one set of per-CPU trace_pipe_raw descriptors and one page buffer
 * under a mutex: whichever runs first reads every CPU's pages, the others find
 * nothing. Each thread has an epoll set of its own (a shared one would wake only one
 * of them, maybe the one that cannot run). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oomwatch.h"
#include "traceraw.h"
#include "../core/util.h"

#define MAX_MARKS 4096     /* marks kept for oomwatch_take; beyond, counted */
#define PAGES_PER_DRAIN 64 /* per CPU and wake-up: the instance holds only marks */
#define STOP_ID UINT32_MAX

struct watcher {
	struct oomwatch *w;
	pthread_t tid;
	int cpu;
	int ep;
	bool running;
	bool short_slice; /* its sched_setattr was taken */
};

struct oomwatch {
	int dir_fd;
	int *cpufd;
	size_t ncpu;
	struct raw_layout lay;
	struct raw_event ev;
	int stopfd; /* eventfd, written once at stop and never read: every thread sees it */
	int notefd; /* eventfd: a mark was parsed */
	pthread_mutex_t mu; /* guards everything below */
	unsigned char *page;
	struct trace_victim marks[MAX_MARKS];
	size_t nmarks, taken;
	long long dropped_marks, read_errors, wakeups;
	struct raw_stats rs;
	struct watcher th[OOMWATCH_MAX_THREADS];
	size_t nth;
};

/* raw_parse_page's callback, under mu: the mark, timed as it is parsed */
static void on_event(void *ctx, const struct tev *e)
{
	struct oomwatch *w = ctx;
	if (e->kind != TEV_MARK_VICTIM)
		return;
	if (w->nmarks - w->taken >= MAX_MARKS) {
		w->dropped_marks++;
		return;
	}
	w->marks[w->nmarks % MAX_MARKS] = (struct trace_victim){ (int)e->value, e->ts, now_s() };
	__atomic_store_n(&w->nmarks, w->nmarks + 1, __ATOMIC_RELEASE); /* oomwatch_take looks without the lock */
}

/* Every CPU's pages, under mu; a mark parsed signals notefd. */
static void drain(struct oomwatch *w)
{
	pthread_mutex_lock(&w->mu);
	size_t had = w->nmarks;
	w->wakeups++;
	for (size_t c = 0; c < w->ncpu; c++) {
		for (int k = 0; k < PAGES_PER_DRAIN; k++) {
			ssize_t n = read(w->cpufd[c], w->page, w->lay.page_size);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN)
				w->read_errors++;
			if (n <= 0)
				break;
			(void)raw_parse_page(&w->lay, &w->ev, 1, w->page, (size_t)n, &w->rs, on_event, w);
		}
	}
	bool got = w->nmarks > had;
	pthread_mutex_unlock(&w->mu);
	if (got) {
		uint64_t one = 1;
		(void)!write(w->notefd, &one, sizeof(one));
	}
}

/* A short slice for this thread: EEVDF (Linux 6.12 on) then picks a woken watcher
 * ahead of a task with the default slice on its CPU, and lets it preempt one
 * (PREEMPT_SHORT); class and nice stay the default, and older kernels ignore it.
 * The watcher runs for microseconds per mark, well inside the slice. */
#define WATCH_SLICE_NS 100000
struct mph_sched_attr { /* the kernel's struct sched_attr, first version (48 bytes) */
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

static bool short_slice(void)
{
	struct mph_sched_attr a = { .size = sizeof(a), .policy = SCHED_OTHER, .runtime = WATCH_SLICE_NS };
	return syscall(SYS_sched_setattr, 0, &a, 0) == 0;
}

static void *watch(void *arg)
{
	struct watcher *me = arg;
	me->short_slice = short_slice();
	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(me->ep, ev, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		bool stop = false;
		for (int i = 0; i < n; i++)
			stop |= ev[i].data.u32 == STOP_ID;
		if (stop)
			break;
		drain(me->w);
	}
	return NULL;
}

/* The instance: only the mark, on the run's clock, waking a reader on any data. */
static int setup(struct oomwatch *w, char **why)
{
	static const char *const conf[][2] = {
		{ "tracing_on", "0" }, { "trace_clock", "mono" }, { "buffer_size_kb", "16" },
		{ "buffer_percent", "0" }, { "events/oom/mark_victim/enable", "1" },
	};
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(conf); i++)
		if ((r = write_file_at(w->dir_fd, conf[i][0], conf[i][1])) < 0) {
			*why = xasprintf("%s: %s", conf[i][0], strerror(-r));
			return r;
		}
	int ev = openat(w->dir_fd, "events", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ev < 0) {
		r = -errno;
		*why = xasprintf("events: %s", strerror(-r));
		return r;
	}
	if ((r = raw_layout_at(ev, &w->lay, why)) == 0)
		r = raw_event_at(ev, "oom/mark_victim", "pid", &w->ev, why);
	close(ev);
	if (r < 0)
		return r;
	w->ev.kind = TEV_MARK_VICTIM;
	if ((r = raw_open_cpus(w->dir_fd, &w->cpufd, &w->ncpu, why)) < 0)
		return r;
	w->page = xcalloc(1, w->lay.page_size);
	if ((r = write_file_at(w->dir_fd, "tracing_on", "1")) < 0)
		*why = xasprintf("tracing_on: %s", strerror(-r));
	return r;
}

/* Up to OOMWATCH_MAX_THREADS CPUs spread over those this process may run on. */
static size_t pick_cpus(int *cpu)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	int all[CPU_SETSIZE];
	size_t n = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			all[n++] = c;
	size_t k = n < OOMWATCH_MAX_THREADS ? n : OOMWATCH_MAX_THREADS;
	for (size_t i = 0; i < k; i++)
		cpu[i] = all[i * n / k];
	return k;
}

static int start_threads(struct oomwatch *w, char **why)
{
	int cpus[OOMWATCH_MAX_THREADS];
	size_t k = pick_cpus(cpus);
	if (!k) {
		int r = errno ? -errno : -ENOENT;
		*why = xasprintf("sched_getaffinity: %s", strerror(-r));
		return r;
	}
	/* the threads take no signal: the main loop's handling stays the main loop's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int r = 0;
	for (size_t i = 0; i < k && !r; i++) {
		struct watcher *t = &w->th[w->nth];
		*t = (struct watcher){ .w = w, .cpu = cpus[i], .ep = epoll_create1(EPOLL_CLOEXEC) };
		if (t->ep < 0) {
			r = -errno;
			*why = xasprintf("epoll_create1: %s", strerror(errno));
			break;
		}
		w->nth++;
		struct epoll_event stop = { .events = EPOLLIN, .data.u32 = STOP_ID };
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, w->stopfd, &stop) < 0)
			r = -errno;
		for (size_t c = 0; c < w->ncpu && !r; c++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)c };
			if (epoll_ctl(t->ep, EPOLL_CTL_ADD, w->cpufd[c], &ev) < 0)
				r = -errno;
		}
		if (r) {
			*why = xasprintf("epoll_ctl: %s", strerror(-r));
			break;
		}
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		(void)pthread_attr_setstacksize(&attr, 256 << 10);
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(t->cpu, &one);
		(void)pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
		int e = pthread_create(&t->tid, &attr, watch, t);
		pthread_attr_destroy(&attr);
		if (e) {
			r = -e;
			*why = xasprintf("pthread_create: %s", strerror(e));
			break;
		}
		t->running = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

int oomwatch_start(struct oomwatch **out, const char *dir, char **why)
{
	*why = NULL;
	struct oomwatch *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	w->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->notefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	if (w->stopfd < 0 || w->notefd < 0 || w->dir_fd < 0) {
		r = -errno;
		*why = xasprintf("%s: %s", w->dir_fd < 0 ? dir : "eventfd", strerror(errno));
	}
	if (r == 0)
		r = setup(w, why);
	if (r == 0)
		r = start_threads(w, why);
	if (r < 0) {
		oomwatch_stop(w);
		return r;
	}
	*out = w;
	return 0;
}

int oomwatch_fd(const struct oomwatch *w)
{
	return w ? w->notefd : -1;
}

void oomwatch_ack(struct oomwatch *w)
{
	uint64_t cnt;
	(void)!read(w->notefd, &cnt, sizeof(cnt));
}

size_t oomwatch_take(struct oomwatch *w, struct trace_victim *v, size_t max)
{
	/* the loop asks at every sample: no lock and no system call while none came */
	if (__atomic_load_n(&w->nmarks, __ATOMIC_ACQUIRE) == w->taken)
		return 0;
	pthread_mutex_lock(&w->mu);
	size_t n = 0;
	for (; w->taken < w->nmarks && n < max; w->taken++)
		v[n++] = w->marks[w->taken % MAX_MARKS];
	pthread_mutex_unlock(&w->mu);
	return n;
}

json_t *oomwatch_summary(const struct oomwatch *w)
{
	struct oomwatch *m = (struct oomwatch *)w; /* the mutex, not the data, changes */
	json_t *cpus = json_array();
	bool slice = w->nth > 0;
	for (size_t i = 0; i < w->nth; i++) {
		json_array_append_new(cpus, json_integer(w->th[i].cpu));
		slice &= w->th[i].short_slice;
	}
	pthread_mutex_lock(&m->mu);
	json_t *s = json_pack("{s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "threads", (json_int_t)w->nth,
			      "cpus", cpus, "slice_us", slice ? json_integer(WATCH_SLICE_NS / 1000) : json_null(), "marks", (json_int_t)w->nmarks, "marks_dropped", (json_int_t)w->dropped_marks,
			      "wakeups", (json_int_t)w->wakeups, "pages", (json_int_t)w->rs.pages, "lost_events",
			      (json_int_t)w->rs.lost_events, "dropped_pages", (json_int_t)w->rs.dropped_pages,
			      "unknown_events", (json_int_t)w->rs.unknown, "short_events", (json_int_t)w->rs.short_events,
			      "read_errors", (json_int_t)w->read_errors);
	pthread_mutex_unlock(&m->mu);
	return s;
}

void oomwatch_stop(struct oomwatch *w)
{
	if (!w)
		return;
	uint64_t one = 1;
	if (w->stopfd >= 0)
		(void)!write(w->stopfd, &one, sizeof(one));
	for (size_t i = 0; i < w->nth; i++) {
		if (w->th[i].running)
			pthread_join(w->th[i].tid, NULL);
		close(w->th[i].ep);
	}
	if (w->dir_fd >= 0)
		(void)write_file_at(w->dir_fd, "tracing_on", "0");
	for (size_t c = 0; c < w->ncpu; c++)
		close(w->cpufd[c]);
	free(w->cpufd);
	free(w->page);
	int fds[] = { w->dir_fd, w->stopfd, w->notefd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
