/* fpm.h - the configuration of the fpm workload (workloads/fpm.c) and its pure
 * parts, which the unit tests call: the process manager's decision how many workers
 * to start or stop, the respawn rate limit, and how one request's memory is split
 * between small malloc chunks and large mmaps. */
#ifndef MPH_FPM_H
#define MPH_FPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fpm_pm { FPM_STATIC, FPM_DYNAMIC, FPM_ONDEMAND };

struct fpm_cfg {
	int pm;                   /* enum fpm_pm */
	uint64_t max_children;
	uint64_t start_servers, min_spare, max_spare; /* dynamic */
	uint64_t idle_timeout;    /* ms, ondemand */
	uint64_t max_requests;    /* 0: never recycle */
	uint64_t rps;             /* 0: backlog mode, the queue is kept full */
	uint64_t queue;
	uint64_t requests;        /* 0: no limit */
	uint64_t request_mem, request_time /* ms */, retain;
	uint64_t shared, shared_write /* percent */;
	uint64_t worker_base;        /* private anonymous memory a worker touches at start */
	uint64_t worker_shared_file; /* a file mapped shared that every worker reads at start */
	uint64_t reload_every;    /* ms, 0 or forever: never */
};

struct wl_problems;
/* The rules between options that the option table cannot express (php-fpm's own
 * for pm = dynamic): the workload's check. 0, or -EINVAL with every problem
 * appended to p. */
int fpm_check_cfg(const struct fpm_cfg *c, struct wl_problems *p);

/* What the process manager looks at. */
struct fpm_counts {
	unsigned active;       /* workers that take requests: not told to quit */
	unsigned idle;         /* of those, not busy (a starting worker counts as idle) */
	unsigned queued;       /* requests waiting for a worker */
	unsigned pending;      /* replacements owed for workers that recycled, died or reloaded */
	unsigned idle_expired; /* idle workers idle for longer than idle_timeout */
};

enum fpm_when {
	FPM_NOW,  /* evaluated on every turn of the event loop */
	FPM_TICK, /* the once-a-second maintenance, as php-fpm's */
};

/* Workers to start when the pool starts. */
unsigned fpm_pm_initial(const struct fpm_cfg *c);
/* > 0: workers to start now; < 0: idle workers to stop; 0: nothing.
 * static keeps max_children; dynamic replaces what it owes at once and keeps
 * min_spare..max_spare idle at the tick (stopping one per tick, as php-fpm);
 * ondemand starts a worker for each request that finds none idle and stops those
 * idle longer than idle_timeout at the tick. Never above max_children. */
int fpm_pm_delta(const struct fpm_cfg *c, const struct fpm_counts *n, enum fpm_when when);

/* Token bucket limiting how fast died workers are replaced: per_s tokens a second,
 * at most per_s stored (a burst of per_s, then per_s a second). */
struct fpm_rate {
	double tokens, per_s, t;
};
void fpm_rate_init(struct fpm_rate *r, double per_s, double now);
/* Takes a token if there is one. */
bool fpm_rate_take(struct fpm_rate *r, double now);
/* When the next token is there (now if one is). */
double fpm_rate_next(const struct fpm_rate *r, double now);

#define FPM_PAGE 4096u
#define FPM_SMALL_MIN 4096u        /* small allocations: malloc of 4 KiB .. 16 KiB */
#define FPM_SMALL_MAX 16384u
#define FPM_LARGE_MIN (256u * 1024) /* large allocations: mmap of at least 256 KiB */

/* One request's memory: a fifth as one or two large mmaps (two when that fifth is
 * at least 512 KiB, one when at least 256 KiB, none below: then everything is
 * small), the rest as small malloc chunks. small + large_count * large_each == mem
 * up to the page rounding of the large part. */
struct fpm_plan {
	uint64_t small_bytes;
	unsigned large_count;
	uint64_t large_each;
};
void fpm_plan_request(uint64_t mem, struct fpm_plan *p);
/* Next small chunk size, FPM_SMALL_MIN..FPM_SMALL_MAX, from a xorshift state. */
size_t fpm_small_size(uint64_t *rng);

#endif
