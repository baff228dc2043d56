/* fpm.c - a PHP-FPM-like prefork pool: a master forks workers (pm static, dynamic
 * or ondemand), generates requests at a fixed rate against a deadline and hands
 * each to an idle worker over a socketpair. A request allocates small malloc chunks
 * and large mmaps, touches them, works for --request-time and frees them - all but
 * --retain bytes, which the worker keeps for good: the slow per-worker growth of
 * long-lived PHP workers. --max-requests recycles a worker, SIGUSR2 (or
 * --reload-every) replaces all of them; memory the master touched before forking
 * (--shared) stays shared copy-on-write, which PSS shows and RSS does not. A worker's
 * size at start is --worker-base (its own anonymous memory: the interpreter's heap) plus
 * --worker-shared-file (a file every worker maps shared and reads: code and opcache
 * files, one copy in the page cache, counted in each worker's RSS). Workers
 * that die (the OOM killer's SIGKILL in a small cgroup) are counted, listed and
 * replaced at a bounded rate, so the master survives a pool that does not fit.
 *
 * The master is one event loop (epoll over the worker channels and a signalfd for
 * SIGCHLD, SIGTERM, SIGINT and SIGUSR2; its timeout is the next deadline). */
#define _GNU_SOURCE
#include "fpm.h"
#include "hist.h"
#include "workload.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const pm_names[] = { "static", "dynamic", "ondemand", NULL };

#define CFG(f) offsetof(struct fpm_cfg, f)
static const struct opt fpm_opts[] = {
	{ "pm", OPT_ENUM, CFG(pm), "dynamic", 0, 0, pm_names,
	  "process manager: static (max-children always), dynamic (spare workers between min-spare and max-spare), "
	  "ondemand (a worker per waiting request, stopped after idle-timeout)", false },
	{ "max-children", OPT_UINT, CFG(max_children), "5", 1, 256, NULL, "most workers taking requests at once", false },
	{ "start-servers", OPT_UINT, CFG(start_servers), "2", 0, 256, NULL, "workers started first (dynamic)", false },
	{ "min-spare", OPT_UINT, CFG(min_spare), "1", 0, 256, NULL, "fewest idle workers (dynamic)", false },
	{ "max-spare", OPT_UINT, CFG(max_spare), "3", 1, 256, NULL, "most idle workers (dynamic)", false },
	{ "idle-timeout", OPT_DURATION, CFG(idle_timeout), "10s", 1, 0, NULL,
	  "an idle worker exits after this long (ondemand)", false },
	{ "max-requests", OPT_UINT, CFG(max_requests), "0", 0, 1000000000, NULL,
	  "a worker is replaced after this many requests; 0 = never", false },
	{ "rps", OPT_UINT, CFG(rps), "100", 0, 100000, NULL,
	  "requests per second, paced against a deadline; 0 = keep the queue full (every worker always busy)", false },
	{ "queue", OPT_UINT, CFG(queue), "64", 0, 1000000, NULL,
	  "requests that may wait for a worker; one arriving at a full queue fails", false },
	{ "requests", OPT_UINT, CFG(requests), "0", 0, 0, NULL,
	  "stop with status done after this many requests; 0 = until SIGTERM", false },
	{ "request-mem", OPT_SIZE, CFG(request_mem), "2M", 0, 1ULL << 30, NULL,
	  "memory each request allocates, touches and frees (4/5 small mallocs, 1/5 large mmaps)", false },
	{ "request-time", OPT_DURATION, CFG(request_time), "5ms", 0, 60000, NULL,
	  "time a request takes, its memory held meanwhile", false },
	{ "retain", OPT_SIZE, CFG(retain), "0", 0, 1ULL << 30, NULL,
	  "bytes of each request the worker keeps for good (its slow growth)", false },
	{ "shared", OPT_SIZE_PCT, CFG(shared), "0", 0, 0, NULL,
	  "memory the master touches before forking, shared copy-on-write with the workers", false },
	{ "shared-write", OPT_UINT, CFG(shared_write), "0", 0, 100, NULL,
	  "percent of --shared each worker writes to when it starts (copy-on-write copies)", false },
	{ "reload-every", OPT_DURATION, CFG(reload_every), "0", 0, 0, NULL,
	  "reload as on SIGUSR2 this often; 0 = never", false },
	{ "worker-base", OPT_SIZE, CFG(worker_base), "0", 0, 1ULL << 34, NULL,
	  "private anonymous memory each worker touches when it starts and keeps (a fresh worker's own RSS)", false },
	{ "worker-shared-file", OPT_SIZE, CFG(worker_shared_file), "0", 0, 1ULL << 34, NULL,
	  "size of a file (unlinked, in $TMPDIR or /var/tmp) that every worker maps shared and reads when it starts: "
	  "file pages in each worker's RSS, one copy in the page cache", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* ---- pure helpers (fpm.h) ---- */

int fpm_check_cfg(const struct fpm_cfg *c, struct wl_problems *p)
{
	size_t n0 = p->n;
	if (c->pm == FPM_DYNAMIC) {
		if (c->max_spare > c->max_children)
			wl_problem(p, WL_OPTS("max-spare", "max-children", "pm"),
				   "--max-spare (%llu) must not exceed --max-children (%llu)",
				   (unsigned long long)c->max_spare, (unsigned long long)c->max_children);
		if (c->min_spare > c->max_spare)
			wl_problem(p, WL_OPTS("min-spare", "max-spare", "pm"), "--min-spare (%llu) must not exceed --max-spare (%llu)",
				   (unsigned long long)c->min_spare, (unsigned long long)c->max_spare);
		else if (c->start_servers < c->min_spare || c->start_servers > c->max_spare)
			wl_problem(p, WL_OPTS("start-servers", "min-spare", "max-spare", "pm"),
				   "--start-servers (%llu) must be between --min-spare (%llu) and --max-spare (%llu)",
				   (unsigned long long)c->start_servers, (unsigned long long)c->min_spare,
				   (unsigned long long)c->max_spare);
	}
	if (c->reload_every && c->reload_every != DURATION_FOREVER && c->reload_every < 100)
		wl_problem(p, WL_OPTS("reload-every"), "--reload-every below 100ms would replace the pool faster than it starts");
	if (c->queue == 0 && (c->rps == 0 || c->pm == FPM_ONDEMAND))
		wl_problem(p, WL_OPTS("queue", c->rps == 0 ? "rps" : "pm"),
			   "--queue=0 leaves %s nothing to work from: give it at least 1",
			   c->rps == 0 ? "--rps=0 (keep the queue full)" : "--pm=ondemand (a worker per waiting request)");
	return p->n > n0 ? -EINVAL : 0;
}

static int fpm_check(const void *cfg, struct wl_problems *p)
{
	return fpm_check_cfg(cfg, p);
}

unsigned fpm_pm_initial(const struct fpm_cfg *c)
{
	return c->pm == FPM_STATIC ? (unsigned)c->max_children : c->pm == FPM_DYNAMIC ? (unsigned)c->start_servers : 0;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

int fpm_pm_delta(const struct fpm_cfg *c, const struct fpm_counts *n, enum fpm_when when)
{
	unsigned room = n->active < c->max_children ? (unsigned)c->max_children - n->active : 0;
	switch (c->pm) {
	case FPM_STATIC:
		return (int)room;
	case FPM_DYNAMIC:
		if (when == FPM_NOW)
			return (int)min_u(n->pending, room);
		if (n->idle < c->min_spare)
			return (int)min_u((unsigned)c->min_spare - n->idle, room);
		return n->idle > c->max_spare ? -1 : 0;
	case FPM_ONDEMAND:
		if (when == FPM_TICK)
			return -(int)n->idle_expired;
		return n->queued > n->idle ? (int)min_u(n->queued - n->idle, room) : 0;
	}
	return 0;
}

void fpm_rate_init(struct fpm_rate *r, double per_s, double now)
{
	r->per_s = per_s < 1 ? 1 : per_s;
	r->tokens = r->per_s;
	r->t = now;
}

static double rate_tokens(const struct fpm_rate *r, double now)
{
	double t = r->tokens + (now - r->t) * r->per_s;
	return t > r->per_s ? r->per_s : t;
}

bool fpm_rate_take(struct fpm_rate *r, double now)
{
	r->tokens = rate_tokens(r, now);
	r->t = now;
	if (r->tokens < 1.0)
		return false;
	r->tokens -= 1.0;
	return true;
}

double fpm_rate_next(const struct fpm_rate *r, double now)
{
	double t = rate_tokens(r, now);
	return t >= 1.0 ? now : now + (1.0 - t) / r->per_s;
}

void fpm_plan_request(uint64_t mem, struct fpm_plan *p)
{
	uint64_t large = mem / 5 / FPM_PAGE * FPM_PAGE;
	p->large_count = large >= 2 * (uint64_t)FPM_LARGE_MIN ? 2 : large >= FPM_LARGE_MIN ? 1 : 0;
	p->large_each = p->large_count ? large / p->large_count / FPM_PAGE * FPM_PAGE : 0;
	p->small_bytes = mem - p->large_each * p->large_count;
}

size_t fpm_small_size(uint64_t *rng)
{
	uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	return FPM_SMALL_MIN + (size_t)(x % (FPM_SMALL_MAX - FPM_SMALL_MIN + 1));
}

/* ---- the worker ---- */

enum msg_type { MSG_REQ = 1, MSG_QUIT, MSG_READY, MSG_DONE };

struct fpm_msg {
	uint32_t type;
	int32_t err; /* MSG_DONE: 0, or the errno of a failed allocation */
};

struct kept {
	struct kept *next;
};

/* What a worker allocates per request, set up once. */
struct wmem {
	struct fpm_plan plan;
	void **small;
	size_t nsmall_max;
	struct kept *kept; /* --retain chunks, never freed */
	uint64_t rng;
};

/* One write per page (and to the last byte): every page is really charged. */
static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += FPM_PAGE)
		p[off] = (char)off | 1;
	if (len)
		p[len - 1] = 1;
}

/* One request: allocate, touch, hold for request_time, free all but what is
 * retained. 0, or ENOMEM (everything of this request freed). */
static int serve(const struct fpm_cfg *c, struct wmem *m)
{
	double deadline = now_s() + (double)c->request_time / 1000.0;
	void *large[2] = { NULL, NULL };
	size_t n = 0;
	int err = 0;
	for (uint64_t done = 0; done < m->plan.small_bytes && n < m->nsmall_max; n++) {
		size_t len = fpm_small_size(&m->rng);
		if (len > m->plan.small_bytes - done)
			len = (size_t)(m->plan.small_bytes - done);
		if (!(m->small[n] = malloc(len))) {
			err = ENOMEM;
			goto out;
		}
		touch(m->small[n], len);
		done += len;
	}
	for (unsigned i = 0; i < m->plan.large_count; i++) {
		void *p = mmap(NULL, m->plan.large_each, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			err = ENOMEM;
			goto out;
		}
		large[i] = p;
		touch(p, m->plan.large_each);
	}
	if (c->retain) {
		struct kept *k = malloc(sizeof(*k) + c->retain);
		if (!k) {
			err = ENOMEM;
			goto out;
		}
		touch((char *)(k + 1), c->retain);
		k->next = m->kept;
		m->kept = k;
	}
	wl_sleep_until(deadline);
out:
	for (size_t i = 0; i < n; i++)
		free(m->small[i]);
	for (unsigned i = 0; i < 2; i++)
		if (large[i])
			munmap(large[i], m->plan.large_each);
	return err;
}

static int send_msg(int fd, uint32_t type, int err)
{
	struct fpm_msg m = { type, err };
	ssize_t k;
	while ((k = send(fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
		;
	return k == (ssize_t)sizeof(m) ? 0 : k < 0 ? -errno : -EIO;
}

/* The worker's life after fork: read the shared memory (and write the part it
 * dirties), read the shared file, touch its base memory, say ready, then serve
 * requests until told to quit or the channel closes. Never returns. */
static void worker_main(const struct fpm_cfg *c, int fd, char *shared, const char *sfile)
{
	struct wmem m = { .rng = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL };
	fpm_plan_request(c->request_mem, &m.plan);
	m.nsmall_max = (size_t)(m.plan.small_bytes / FPM_SMALL_MIN) + 2;
	m.small = calloc(m.nsmall_max, sizeof(*m.small));
	if (!m.small)
		_exit(WL_EXIT_ENOMEM);
	volatile char sink = 0;
	for (uint64_t off = 0; off < c->shared; off += FPM_PAGE)
		sink ^= shared[off];
	uint64_t dirty = c->shared * c->shared_write / 100;
	for (uint64_t off = 0; off < dirty; off += FPM_PAGE)
		shared[off] = (char)(off >> 12) | 2;
	for (uint64_t off = 0; sfile && off < c->worker_shared_file; off += FPM_PAGE)
		sink ^= sfile[off]; /* maps the page cache's pages into this worker */
	(void)sink;
	if (c->worker_base) { /* the worker's own memory, kept for its life */
		void *b = mmap(NULL, c->worker_base, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			_exit(WL_EXIT_ENOMEM);
		touch(b, c->worker_base);
	}
	if (send_msg(fd, MSG_READY, 0) < 0)
		_exit(WL_EXIT_OK);
	for (;;) {
		struct fpm_msg msg;
		ssize_t k = recv(fd, &msg, sizeof(msg), 0);
		if (k < 0 && errno == EINTR && !wl_stop)
			continue;
		if (k != (ssize_t)sizeof(msg) || msg.type != MSG_REQ)
			_exit(WL_EXIT_OK); /* quit, the master gone, or SIGTERM */
		int err = serve(c, &m);
		(void)send_msg(fd, MSG_DONE, err);
		if (err)
			_exit(WL_EXIT_ENOMEM);
	}
}

/* ---- the master ---- */

enum quit_reason { QUIT_NONE, QUIT_RECYCLE, QUIT_RELOAD, QUIT_IDLE, QUIT_STOP, QUIT_N };
static const char *const quit_names[QUIT_N] = { "", "max_requests", "reload", "idle", "stop" };
enum respawn_reason { RESPAWN_MAX_REQUESTS, RESPAWN_DIED, RESPAWN_RELOAD, RESPAWN_N };
static const char *const respawn_names[RESPAWN_N] = { "max_requests", "died", "reload" };

#define MAINT_INTERVAL_S 1.0 /* php-fpm's process manager looks once a second */
#define STOP_GRACE_MAX_S 3.0 /* with KILL_WAIT_S, inside the 5 s mph allows after SIGTERM */
#define FORK_RETRY_S 0.1     /* after a failed fork */
#define KILL_WAIT_S 1.5      /* after SIGKILL, how long to wait for workers to be reaped */
#define MAX_KILLED_LISTED 256
/* mph reads report lines into an 8 KiB buffer (harness/supervise.h) and drops
 * longer ones: per-worker arrays are cut to fit and the cut is counted. */
#define RECORD_MAX 8000

struct worker {
	pid_t pid; /* 0: a free slot */
	int fd;    /* the master's end of the channel, -1 once closed */
	bool ready, busy, killed_by_master;
	enum quit_reason quit;
	double idle_since, req_gen; /* req_gen: when the request it serves was generated */
	uint64_t requests;
	long long rss_start, rss, pss, rss_max;
};

struct killed {
	int pid;
	double t;
	uint64_t requests;
	bool busy; /* a request was lost with it */
	long long rss;
	int replaced_by;
	double replaced_after;
};

struct pending {
	enum respawn_reason why;
	long killed; /* index into the killed list, -1 */
	double since;
};

struct pool {
	const struct fpm_cfg *c;
	struct wl_ctx *ctx;
	pid_t self;
	struct worker *w;
	size_t nw;
	int ep, sfd;
	sigset_t oldmask;
	char *shared;
	char *sfile; /* --worker-shared-file, mapped shared (read-only) before any fork */
	double t0, next_req, next_tick, next_reload, stop_at, kill_at, fork_retry_at;
	double *q; /* generation times of waiting requests (a ring) */
	size_t qcap, qhead, qlen, qmax;
	struct pending *pend; /* replacements owed (a ring) */
	size_t pcap, phead, plen;
	struct killed killed[MAX_KILLED_LISTED];
	size_t nkilled;
	struct fpm_rate rate;
	struct hist lat;
	uint64_t generated, served, failed_queue, failed_died, failed_enomem, unserved;
	uint64_t spawned, spawn_failures, respawns[RESPAWN_N], exits_quit[QUIT_N];
	uint64_t exits_killed, exits_signaled, exits_failed, exits_killed_at_stop, reloads;
	long long rss_start_min, rss_start_max, worker_rss_max, worker_pss_max, recycled_rss_max;
	bool stopping, hard_killed;
	const char *status;
	json_t *final_workers; /* the pool as it was when stopping began */
};

static bool live(const struct worker *w)
{
	return w->pid > 0;
}

/* Counted in the pool: not told to quit. Until it is reaped, a worker whose
 * channel closed still counts, so that its replacement comes after its exit is
 * known (and attributed to it). */
static bool in_pool(const struct worker *w)
{
	return live(w) && w->quit == QUIT_NONE;
}

static bool is_idle(const struct worker *w)
{
	return in_pool(w) && w->fd >= 0 && !w->busy;
}

static void close_channel(struct pool *p, struct worker *w)
{
	if (w->fd < 0)
		return;
	(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
}

/* VmRSS and Pss of a worker, read by the master. False when they cannot be read
 * (a worker exiting or just killed): it keeps the values of its last reading. */
static bool sample(struct pool *p, struct worker *w)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)w->pid);
	long long rss = read_kb_key(path, "VmRSS");
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)w->pid);
	long long pss = read_kb_key(path, "Pss");
	if (rss < 0 || pss < 0)
		return false;
	w->rss = rss;
	w->pss = pss;
	if (rss > w->rss_max)
		w->rss_max = rss;
	if (rss > p->worker_rss_max)
		p->worker_rss_max = rss;
	if (pss > p->worker_pss_max)
		p->worker_pss_max = pss;
	return true;
}

/* A replacement owed. ondemand replaces nobody (it starts workers for requests),
 * but a died worker is still noted: the next worker it starts is its replacement,
 * attributed and rate-limited as such. */
static void push_pending(struct pool *p, enum respawn_reason why, long killed, double now)
{
	if (p->stopping || (p->c->pm == FPM_ONDEMAND && why != RESPAWN_DIED))
		return;
	if (p->plen == p->pcap) { /* cannot happen while the pm keeps its bounds; keep the newest */
		p->phead = (p->phead + 1) % p->pcap;
		p->plen--;
	}
	p->pend[(p->phead + p->plen++) % p->pcap] = (struct pending){ why, killed, now };
}

static void quit_worker(struct pool *p, struct worker *w, enum quit_reason why, double now)
{
	if (w->quit != QUIT_NONE)
		return;
	w->quit = why;
	if (w->fd >= 0 && send_msg(w->fd, MSG_QUIT, 0) < 0)
		close_channel(p, w); /* it is dying anyway; its exit is reaped */
	if (why == QUIT_RECYCLE)
		push_pending(p, RESPAWN_MAX_REQUESTS, -1, now);
	else if (why == QUIT_RELOAD)
		push_pending(p, RESPAWN_RELOAD, -1, now);
}

/* In the child, right after fork: die with the master, get the signal mask the
 * master had before its signalfd, keep only the channel and stderr. */
static void worker_enter(struct pool *p, int fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != p->self)
		_exit(WL_EXIT_OK);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
	if (p->ctx->report_fd == 1) { /* standalone: leave stdout (the reports) to the master */
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, 1);
	}
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	worker_main(p->c, fd, p->shared, p->sfile);
}

/* Fork one worker. 0, or -errno (no free slot: -EAGAIN). */
static int spawn(struct pool *p, double now)
{
	struct worker *w = NULL;
	for (size_t i = 0; i < p->nw && !w; i++)
		if (!live(&p->w[i]))
			w = &p->w[i];
	if (!w)
		return -EAGAIN;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_enter(p, sv[1]);
	}
	close(sv[1]);
	*w = (struct worker){ .pid = pid, .fd = sv[0], .idle_since = now, .rss_start = -1, .rss = -1, .pss = -1 };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)(w - p->w) };
	(void)epoll_ctl(p->ep, EPOLL_CTL_ADD, w->fd, &ev);
	p->spawned++;
	wl_report(p->ctx, "child", json_pack("{s:i, s:s}", "pid", (int)pid, "role", "worker"));
	if (p->plen) {
		struct pending *pe = &p->pend[p->phead];
		p->phead = (p->phead + 1) % p->pcap;
		p->plen--;
		p->respawns[pe->why]++;
		if (pe->killed >= 0) {
			p->killed[pe->killed].replaced_by = (int)pid;
			p->killed[pe->killed].replaced_after = now - pe->since;
		}
	}
	return 0;
}

/* Start up to n workers. Replacing a worker that died takes a token of the rate
 * limit (a pool whose workers are killed as soon as they grow, as in too small a
 * cgroup, must not fork as fast as it can); recycling, reloading and pm scaling
 * are paced by the requests and the pm's bounds. After a failed fork nothing is
 * forked for FORK_RETRY_S. Returns how many it could not start. */
static unsigned spawn_some(struct pool *p, unsigned n, double now)
{
	for (; n && now >= p->fork_retry_at; n--) {
		bool replaces_dead = p->plen && p->pend[p->phead].why == RESPAWN_DIED;
		if (replaces_dead && !fpm_rate_take(&p->rate, now))
			break;
		int r = spawn(p, now);
		if (r == -EAGAIN)
			break;
		if (r < 0) { /* ENOMEM or EAGAIN from fork under pressure */
			p->spawn_failures++;
			p->fork_retry_at = now + FORK_RETRY_S;
			fprintf(stderr, "fpm: fork of a worker failed: %s\n", strerror(-r));
			break;
		}
	}
	return n;
}

/* When spawn_some could next start a worker that it could not now. */
static double spawn_next(const struct pool *p, double now)
{
	double t = p->fork_retry_at > now ? p->fork_retry_at : now;
	return p->plen && p->pend[p->phead].why == RESPAWN_DIED ? fpm_rate_next(&p->rate, t) : t;
}

static struct worker *longest_idle(struct pool *p)
{
	struct worker *best = NULL;
	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];
		if (is_idle(w) && w->ready && (!best || w->idle_since < best->idle_since))
			best = w;
	}
	return best;
}

static int send_req(struct pool *p, struct worker *w, double t)
{
	int r = send_msg(w->fd, MSG_REQ, 0);
	if (r < 0) {
		close_channel(p, w); /* it is dying; its exit is reaped */
		return r;
	}
	w->busy = true;
	w->req_gen = t;
	return 0;
}

/* Waiting requests to idle workers, the one idle longest first (as the kernel
 * wakes the longest-waiting accept() of a shared listen socket). */
static void dispatch(struct pool *p)
{
	struct worker *w;
	while (p->qlen && (w = longest_idle(p))) {
		if (send_req(p, w, p->q[p->qhead]) < 0)
			continue;
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
	}
}

static void arrive(struct pool *p, double t)
{
	p->generated++;
	dispatch(p); /* those waiting first */
	if (p->qlen < p->qcap) {
		p->q[(p->qhead + p->qlen++) % p->qcap] = t;
		if (p->qlen > p->qmax)
			p->qmax = p->qlen;
		return;
	}
	/* the queue is full: only a worker free with nothing waiting (--queue=0) takes it */
	struct worker *w = p->qlen ? NULL : longest_idle(p);
	if (!w || send_req(p, w, t) < 0)
		p->failed_queue++;
}

static void on_message(struct pool *p, struct worker *w, const struct fpm_msg *m, double now)
{
	if (m->type == MSG_READY) {
		w->ready = true;
		w->idle_since = now;
		sample(p, w);
		w->rss_start = w->rss;
		if (w->rss >= 0 && (p->rss_start_min < 0 || w->rss < p->rss_start_min))
			p->rss_start_min = w->rss;
		if (w->rss > p->rss_start_max)
			p->rss_start_max = w->rss;
		return;
	}
	if (m->type != MSG_DONE || !w->busy)
		return;
	w->busy = false;
	w->idle_since = now;
	w->requests++;
	if (m->err) {
		p->failed_enomem++;
		return;
	}
	p->served++;
	hist_add(&p->lat, (uint64_t)((now - w->req_gen) * 1e9));
	if (p->c->max_requests && w->requests >= p->c->max_requests && w->quit == QUIT_NONE) {
		sample(p, w); /* at its largest: everything it will ever retain is there */
		if (w->rss > p->recycled_rss_max)
			p->recycled_rss_max = w->rss;
		quit_worker(p, w, QUIT_RECYCLE, now);
	}
}

/* Read what a worker sent. Each message is timed as it is read: a batch of
 * events can take milliseconds (sampling at a stop), and a signal read in it may
 * be newer than the batch. */
static void drain(struct pool *p, struct worker *w)
{
	while (w->fd >= 0) {
		struct fpm_msg m;
		ssize_t k = recv(w->fd, &m, sizeof(m), MSG_DONTWAIT);
		if (k == (ssize_t)sizeof(m))
			on_message(p, w, &m, now_s());
		else if (k < 0 && errno == EINTR)
			continue;
		else if (k < 0 && errno == EAGAIN)
			return;
		else
			close_channel(p, w); /* EOF: exiting or killed */
	}
}

/* A worker ended: why, what it took with it, and whether it is owed a replacement. */
static void account_exit(struct pool *p, struct worker *w, int status, double now)
{
	bool sigkill = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	if (w->busy) { /* its request in flight is lost */
		if (w->killed_by_master)
			p->unserved++;
		else
			p->failed_died++;
	}
	if (sigkill && w->killed_by_master) {
		p->exits_killed_at_stop++;
	} else if (sigkill) { /* not by the master: in a cgroup, the OOM killer */
		long idx = -1;
		if (p->nkilled < MAX_KILLED_LISTED) {
			idx = (long)p->nkilled++;
			p->killed[idx] = (struct killed){ (int)w->pid, now - p->t0, w->requests, w->busy, w->rss, 0, 0 };
		}
		p->exits_killed++;
		if (w->quit == QUIT_NONE)
			push_pending(p, RESPAWN_DIED, idx, now);
	} else if (w->quit != QUIT_NONE && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		p->exits_quit[w->quit]++;
	} else {
		if (WIFSIGNALED(status))
			p->exits_signaled++;
		else
			p->exits_failed++;
		if (w->quit == QUIT_NONE)
			push_pending(p, RESPAWN_DIED, -1, now);
	}
}

static void reap(struct pool *p, double now)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (size_t i = 0; i < p->nw; i++) {
			struct worker *w = &p->w[i];
			if (w->pid != pid)
				continue;
			drain(p, w); /* a reply that came before the end still counts */
			close_channel(p, w);
			account_exit(p, w, status, now);
			w->pid = 0;
			break;
		}
	}
}

static void counts(struct pool *p, double now, struct fpm_counts *n)
{
	*n = (struct fpm_counts){ .queued = (unsigned)p->qlen, .pending = (unsigned)p->plen };
	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];
		n->active += in_pool(w);
		if (!is_idle(w))
			continue;
		n->idle++;
		if (w->ready && (now - w->idle_since) * 1000.0 >= (double)p->c->idle_timeout)
			n->idle_expired++;
	}
}

/* Stop n idle workers, those idle longest first. */
static void stop_idle(struct pool *p, unsigned n, double now)
{
	for (struct worker *w; n && (w = longest_idle(p)); n--)
		quit_worker(p, w, QUIT_IDLE, now);
}

static void reload(struct pool *p, double now)
{
	unsigned n = 0;
	p->reloads++;
	for (size_t i = 0; i < p->nw; i++)
		if (in_pool(&p->w[i])) {
			quit_worker(p, &p->w[i], QUIT_RELOAD, now);
			n++;
		}
	wl_report(p->ctx, "phase", json_pack("{s:s, s:i}", "phase", "reload", "workers_replaced", (int)n));
}

static json_t *worker_json(const struct worker *w, bool full)
{
	json_t *j = json_pack("{s:i, s:I, s:I, s:I}", "pid", (int)w->pid, "rss", (json_int_t)w->rss, "pss",
			      (json_int_t)w->pss, "requests", (json_int_t)w->requests);
	if (full) {
		json_object_set_new(j, "rss_start", json_integer(w->rss_start));
		json_object_set_new(j, "rss_max", json_integer(w->rss_max));
	}
	return j;
}

/* Sample every live worker; the records of those ready and readable now. */
static json_t *sample_all(struct pool *p, bool full)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];
		if (live(w) && w->ready && sample(p, w))
			json_array_append_new(a, worker_json(w, full));
	}
	return a;
}

static void begin_stop(struct pool *p, const char *status, double now)
{
	p->stopping = true;
	p->status = status;
	p->final_workers = sample_all(p, true);
	p->unserved += p->qlen;
	p->qlen = 0;
	p->plen = 0;
	for (size_t i = 0; i < p->nw; i++)
		if (live(&p->w[i]))
			quit_worker(p, &p->w[i], QUIT_STOP, now);
	double grace = 2.0 + (double)p->c->request_time / 1000.0;
	p->stop_at = now + (grace < STOP_GRACE_MAX_S ? grace : STOP_GRACE_MAX_S);
}

static void kill_rest(struct pool *p, double now)
{
	p->hard_killed = true;
	p->kill_at = now + KILL_WAIT_S;
	for (size_t i = 0; i < p->nw; i++)
		if (live(&p->w[i])) {
			p->w[i].killed_by_master = true;
			kill(p->w[i].pid, SIGKILL);
		}
}

/* Cut the arrays named until the record fits a report line; count what was cut. */
static void fit(json_t *o, const char *const *arrays)
{
	for (const char *const *name = arrays; *name; name++) {
		json_t *a = json_object_get(o, *name);
		size_t cut = 0;
		for (;;) {
			char *s = json_dumps(o, JSON_COMPACT);
			size_t len = s ? strlen(s) : 0;
			free(s);
			if (len <= RECORD_MAX || !json_array_size(a))
				break;
			size_t drop = json_array_size(a) / 4 + 1;
			for (size_t k = 0; k < drop; k++, cut++)
				json_array_remove(a, json_array_size(a) - 1);
			char key[64];
			snprintf(key, sizeof(key), "%s_omitted", *name);
			json_object_set_new(o, key, json_integer((json_int_t)cut));
		}
	}
}

static json_t *progress_json(struct pool *p, double now)
{
	struct fpm_counts n;
	counts(p, now, &n);
	uint64_t respawned = 0;
	for (int i = 0; i < RESPAWN_N; i++)
		respawned += p->respawns[i];
	json_t *j = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:I, s:I, s:I}", "generated",
			      (json_int_t)p->generated, "served", (json_int_t)p->served, "failed",
			      (json_int_t)(p->failed_queue + p->failed_died + p->failed_enomem), "queued", (int)n.queued,
			      "active", (int)n.active, "idle", (int)n.idle, "busy", (int)(n.active - n.idle), "respawns",
			      (json_int_t)respawned, "killed", (json_int_t)p->exits_killed, "master_rss",
			      (json_int_t)wl_status_bytes("VmRSS"));
	json_object_set_new(j, "workers", sample_all(p, false));
	static const char *const arrays[] = { "workers", NULL };
	fit(j, arrays);
	return j;
}

static json_t *counters_json(const char *const *names, const uint64_t *v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		if (names[i][0])
			json_object_set_new(o, names[i], json_integer((json_int_t)v[i]));
	return o;
}

static json_t *final_json(struct pool *p, double now)
{
	double el = now - p->t0;
	json_t *req = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "generated", (json_int_t)p->generated, "served",
				(json_int_t)p->served, "failed",
				(json_int_t)(p->failed_queue + p->failed_died + p->failed_enomem), "failed_queue_full",
				(json_int_t)p->failed_queue, "failed_worker_died", (json_int_t)p->failed_died,
				"failed_enomem", (json_int_t)p->failed_enomem, "unserved_at_stop", (json_int_t)p->unserved);
	json_t *exits = counters_json(quit_names, p->exits_quit, QUIT_N);
	json_object_set_new(exits, "killed", json_integer((json_int_t)p->exits_killed));
	json_object_set_new(exits, "signaled", json_integer((json_int_t)p->exits_signaled));
	json_object_set_new(exits, "failed", json_integer((json_int_t)p->exits_failed));
	json_object_set_new(exits, "killed_at_stop", json_integer((json_int_t)p->exits_killed_at_stop));
	json_t *killed = json_array();
	for (size_t i = 0; i < p->nkilled; i++) {
		const struct killed *k = &p->killed[i];
		json_array_append_new(killed, json_pack("{s:i, s:f, s:I, s:b, s:I, s:o, s:o}", "pid", k->pid, "t", k->t,
							"requests", (json_int_t)k->requests, "busy", k->busy, "rss_sampled",
							(json_int_t)k->rss, "replaced_by",
							k->replaced_by ? json_integer(k->replaced_by) : json_null(),
							"replaced_after_s",
							k->replaced_by ? json_real(k->replaced_after) : json_null()));
	}
	unsigned unreaped = 0;
	for (size_t i = 0; i < p->nw; i++)
		unreaped += live(&p->w[i]);
	json_t *j = json_pack("{s:s, s:s, s:f, s:o, s:I, s:f, s:o, s:I}", "status", p->status, "pm", pm_names[p->c->pm],
			      "elapsed_s", el, "requests", req, "rps_target", (json_int_t)p->c->rps, "rps_served",
			      el > 0 ? (double)p->served / el : 0.0, "latency", hist_json(&p->lat), "queue_max",
			      (json_int_t)p->qmax);
	json_object_set_new(j, "workers_spawned", json_integer((json_int_t)p->spawned));
	json_object_set_new(j, "spawn_failures", json_integer((json_int_t)p->spawn_failures));
	json_object_set_new(j, "respawns", counters_json(respawn_names, p->respawns, RESPAWN_N));
	json_object_set_new(j, "exits", exits);
	json_object_set_new(j, "reloads", json_integer((json_int_t)p->reloads));
	json_object_set_new(j, "killed_total", json_integer((json_int_t)p->exits_killed));
	json_object_set_new(j, "unreaped", json_integer(unreaped));
	json_t *sizes = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "worker_rss_start_min",
				  (json_int_t)p->rss_start_min, "worker_rss_start_max", (json_int_t)p->rss_start_max,
				  "worker_rss_max", (json_int_t)p->worker_rss_max, "worker_pss_max",
				  (json_int_t)p->worker_pss_max, "recycled_rss_max", (json_int_t)p->recycled_rss_max,
				  "master_rss", (json_int_t)wl_status_bytes("VmRSS"), "shared_bytes",
				  (json_int_t)p->c->shared, "retain_bytes", (json_int_t)p->c->retain);
	json_object_update(j, sizes);
	json_decref(sizes);
	json_object_set_new(j, "workers", p->final_workers ? p->final_workers : json_array());
	p->final_workers = NULL;
	json_object_set_new(j, "killed", killed);
	static const char *const arrays[] = { "killed", "workers", NULL };
	fit(j, arrays);
	return j;
}

static void on_signal(struct pool *p)
{
	struct signalfd_siginfo si;
	while (read(p->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		double now = now_s();
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(p, now);
			break;
		case SIGUSR2:
			if (!p->stopping)
				reload(p, now);
			break;
		default: /* SIGTERM, SIGINT: stop; a second one: no more grace */
			if (!p->stopping)
				begin_stop(p, "stopped", now);
			else if (!p->hard_killed)
				p->stop_at = now;
		}
	}
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* One turn's work while running: generate what is due, maintain the pool, hand
 * out requests. Returns when it next wants to run (besides events). */
static double run_turn(struct pool *p, double now)
{
	const struct fpm_cfg *c = p->c;
	double next = p->ctx->next_progress;
	bool more = !c->requests || p->generated < c->requests;
	if (c->rps) {
		for (; more && now >= p->next_req; more = !c->requests || p->generated < c->requests) {
			arrive(p, p->next_req);
			p->next_req = p->t0 + (double)p->generated / (double)c->rps;
		}
		if (more)
			next = min_d(next, p->next_req);
	} else {
		while (more && p->qlen < p->qcap) {
			arrive(p, now);
			more = !c->requests || p->generated < c->requests;
		}
	}
	struct fpm_counts n;
	if (now >= p->next_tick) {
		p->next_tick += MAINT_INTERVAL_S * ceil((now - p->next_tick + 1e-9) / MAINT_INTERVAL_S);
		counts(p, now, &n);
		int d = fpm_pm_delta(c, &n, FPM_TICK);
		if (d > 0)
			spawn_some(p, (unsigned)d, now);
		else if (d < 0)
			stop_idle(p, (unsigned)-d, now);
	}
	next = min_d(next, p->next_tick);
	if (c->reload_every && c->reload_every != DURATION_FOREVER) {
		if (now >= p->next_reload) {
			reload(p, now);
			p->next_reload = now + (double)c->reload_every / 1000.0;
		}
		next = min_d(next, p->next_reload);
	}
	counts(p, now, &n);
	int d = fpm_pm_delta(c, &n, FPM_NOW);
	if (d > 0 && spawn_some(p, (unsigned)d, now))
		next = min_d(next, spawn_next(p, now));
	dispatch(p);
	if (!more && !p->qlen) {
		bool busy = false;
		for (size_t i = 0; i < p->nw; i++)
			busy |= live(&p->w[i]) && p->w[i].busy;
		if (!busy)
			begin_stop(p, "done", now);
	}
	return next;
}

/* The master's loop. 0, or -errno when epoll fails. */
static int loop(struct pool *p)
{
	struct epoll_event evs[64];
	for (;;) {
		double now = now_s(), next;
		if (!p->stopping) {
			next = run_turn(p, now);
		} else {
			bool any = false;
			for (size_t i = 0; i < p->nw; i++)
				any |= live(&p->w[i]);
			if (!any)
				return 0;
			if (!p->hard_killed && now >= p->stop_at)
				kill_rest(p, now);
			if (p->hard_killed && now >= p->kill_at) {
				fprintf(stderr, "fpm: workers still not reaped %.0f s after SIGKILL; giving up on them\n",
					KILL_WAIT_S);
				return 0;
			}
			next = min_d(p->ctx->next_progress, p->hard_killed ? p->kill_at : p->stop_at);
		}
		if (wl_progress_due(p->ctx))
			wl_report(p->ctx, "progress", progress_json(p, now));
		next = min_d(next, p->ctx->next_progress);
		double wait = next - now_s();
		if (wait < 0)
			wait = 0;
		struct timespec ts = { (time_t)wait, (long)((wait - floor(wait)) * 1e9) };
		int k = epoll_pwait2(p->ep, evs, 64, &ts, NULL);
		if (k < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < k; i++) {
			if (evs[i].data.u64 == UINT64_MAX)
				on_signal(p);
			else
				drain(p, &p->w[evs[i].data.u64]);
		}
	}
}

/* Runs a configuration fpm_check_cfg accepted (the shared main checks first). */

/* The workers' shared file: unlinked from the start (O_TMPFILE: nothing to clean up
 * even after SIGKILL), written by the master so that its pages are in the page cache
 * (charged to the pool's cgroup once), mapped shared for the workers to read. */
static int map_shared_file(struct pool *p, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	uint64_t size = p->c->worker_shared_file;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600), r = 0;
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "a temporary file in %s for --worker-shared-file: %s", dir, strerror(errno));
		return r;
	}
	char block[65536];
	for (uint64_t off = 0; off < size && !r; off += sizeof(block)) {
		size_t n = size - off < sizeof(block) ? (size_t)(size - off) : sizeof(block);
		memset(block, (int)(off >> 16) | 1, n);
		ssize_t k = pwrite(fd, block, n, (off_t)off);
		if (k != (ssize_t)n)
			r = k < 0 ? -errno : -ENOSPC;
	}
	void *m = r ? MAP_FAILED : mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (!r && m == MAP_FAILED)
		r = -errno;
	close(fd);
	if (r) {
		snprintf(err, errlen, "writing and mapping %llu bytes of --worker-shared-file in %s: %s",
			 (unsigned long long)size, dir, strerror(-r));
		return r;
	}
	p->sfile = m;
	return 0;
}

static int fpm_run(void *vcfg, struct wl_ctx *ctx)
{
	const struct fpm_cfg *c = vcfg;
	struct pool pool = { .c = c, .ctx = ctx, .ep = -1, .sfd = -1, .rss_start_min = -1, .status = "stopped" };
	struct pool *p = &pool;
	char err[256];
	int rc = WL_EXIT_OK, r0;
	p->self = getpid();
	struct fpm_plan plan;
	fpm_plan_request(c->request_mem, &plan);
	json_t *start = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "pid", (int)p->self, "pm",
				  pm_names[c->pm], "max_children", (json_int_t)c->max_children, "rps", (json_int_t)c->rps,
				  "request_mem", (json_int_t)c->request_mem, "request_small_bytes",
				  (json_int_t)plan.small_bytes, "request_mmap_bytes", (json_int_t)plan.large_each,
				  "request_mmaps", (json_int_t)plan.large_count, "retain", (json_int_t)c->retain,
				  "max_requests", (json_int_t)c->max_requests, "shared", (json_int_t)c->shared,
				  "shared_write_pct", (json_int_t)c->shared_write);
	json_object_set_new(start, "worker_base", json_integer((json_int_t)c->worker_base));
	json_object_set_new(start, "worker_shared_file", json_integer((json_int_t)c->worker_shared_file));
	wl_report(ctx, "start", start);

	/* signals to the signalfd; the workers get the old mask back */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, &p->oldmask);
	p->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
	if (p->sfd < 0 || p->ep < 0 || epoll_ctl(p->ep, EPOLL_CTL_ADD, p->sfd, &ev) < 0) {
		snprintf(err, sizeof(err), "signalfd/epoll: %s", strerror(errno));
		p->status = "error";
		rc = WL_EXIT_ERROR;
		goto out;
	}

	if (c->shared) { /* touched here, before any fork: shared copy-on-write */
		void *s = mmap(NULL, c->shared, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s == MAP_FAILED) {
			snprintf(err, sizeof(err), "mmap of %llu shared bytes: %s", (unsigned long long)c->shared,
				 strerror(errno));
			p->status = "enomem";
			rc = WL_EXIT_ENOMEM;
			goto out;
		}
		p->shared = s;
		for (uint64_t off = 0; off < c->shared; off += FPM_PAGE)
			p->shared[off] = (char)(off >> 12) | 1;
	}

	if (c->worker_shared_file && (r0 = map_shared_file(p, err, sizeof(err))) < 0) {
		p->status = r0 == -ENOMEM || r0 == -ENOSPC ? "enomem" : "error";
		rc = r0 == -ENOMEM || r0 == -ENOSPC ? WL_EXIT_ENOMEM : WL_EXIT_ERROR;
		goto out;
	}

	p->nw = 2 * c->max_children + 1; /* room for those finishing after a reload */
	p->w = xcalloc(p->nw, sizeof(*p->w));
	p->qcap = c->queue;
	p->q = xcalloc(p->qcap ? p->qcap : 1, sizeof(*p->q));
	p->pcap = p->nw;
	p->pend = xcalloc(p->pcap, sizeof(*p->pend));
	p->t0 = now_s();
	p->next_req = p->t0;
	p->next_tick = p->t0 + MAINT_INTERVAL_S;
	p->next_reload = p->t0 + (double)c->reload_every / 1000.0;
	fpm_rate_init(&p->rate, (double)c->max_children, p->t0);
	spawn_some(p, fpm_pm_initial(c), p->t0);
	if (wl_stop) /* SIGTERM before the signalfd saw it */
		begin_stop(p, "stopped", now_s());
	int r = loop(p);
	if (r < 0) {
		snprintf(err, sizeof(err), "epoll_wait: %s", strerror(-r));
		p->status = "error";
		rc = WL_EXIT_ERROR;
	}
out:;
	json_t *fin = final_json(p, now_s());
	if (rc != WL_EXIT_OK) {
		json_object_set_new(fin, "error", json_string(err));
		fprintf(stderr, "fpm: %s\n", err);
	}
	wl_report(ctx, "final", fin);
	if (p->shared)
		munmap(p->shared, c->shared);
	if (p->sfile)
		munmap(p->sfile, c->worker_shared_file);
	if (p->sfd >= 0)
		close(p->sfd);
	if (p->ep >= 0)
		close(p->ep);
	free(p->w);
	free(p->q);
	free(p->pend);
	return rc;
}

const struct workload wl_fpm = {
	.name = "fpm",
	.summary = "A PHP-FPM-like prefork pool: workers that serve requests at a given rate, each keeping --retain bytes "
		   "of every request; recycling (--max-requests), reload (SIGUSR2), shared copy-on-write memory.",
	.cfg_size = sizeof(struct fpm_cfg),
	.opts = fpm_opts,
	.check = fpm_check,
	.run = fpm_run,
};
