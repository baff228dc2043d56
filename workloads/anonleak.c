/* anonleak.c - an anonymous-memory leaker. Allocates --size in --chunk steps (malloc
 * or mmap), touching every page so each one is really charged, at --rate bytes per
 * second (0: as fast as the page-fault path allows), then holds the memory for --hold.
 * Under a memory cgroup without swap it is the canonical OOM victim; with overcommit
 * settings it shows where ENOMEM comes instead.
 *
 * With --hot a fraction of what it holds is its working set: every --period it writes
 * one byte per page of it and times the pass. Pages it keeps touching stay on the
 * active LRU; when reclaim or swap takes them anyway (a neighbour's pressure, a
 * memory.high, swappiness), the pass faults them back in and its latency histogram
 * shows the stall. */
#define _GNU_SOURCE
#include "workload.h"
#include "hist.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { VIA_MALLOC, VIA_MMAP };
static const char *const via_names[] = { "malloc", "mmap", NULL };

struct anonleak_cfg {
	uint64_t size;
	uint64_t rate;
	uint64_t chunk;
	uint64_t hold;
	int via;
	double hot;
	uint64_t period;
	bool populate;
};

static const struct opt anonleak_opts[] = {
	{ "size", OPT_SIZE_PCT, offsetof(struct anonleak_cfg, size), NULL, 4096, 0, NULL,
	  "total anonymous memory to allocate and touch", true },
	{ "rate", OPT_SIZE, offsetof(struct anonleak_cfg, rate), "0", 0, 0, NULL,
	  "bytes per second; 0 = as fast as possible", false },
	{ "chunk", OPT_SIZE, offsetof(struct anonleak_cfg, chunk), "1M", 4096, 1ULL << 40, NULL,
	  "size of each allocation", false },
	{ "via", OPT_ENUM, offsetof(struct anonleak_cfg, via), "mmap", 0, 0, via_names,
	  "allocator: malloc (glibc) or mmap (anonymous private mapping)", false },
	{ "hold", OPT_DURATION, offsetof(struct anonleak_cfg, hold), "forever", 0, 0, NULL,
	  "how long to keep the memory after reaching --size (forever: until SIGTERM)", false },
	{ "hot", OPT_FRACTION, offsetof(struct anonleak_cfg, hot), "0", 0, 0, NULL,
	  "fraction of the memory allocated so far (the oldest part) re-touched every --period, each pass timed", false },
	{ "period", OPT_DURATION, offsetof(struct anonleak_cfg, period), "100ms", 1, 3600000, NULL,
	  "time between passes over the hot set", false },
	{ "populate", OPT_BOOL, offsetof(struct anonleak_cfg, populate), "no", 0, 0, NULL,
	  "fault each chunk in with one madvise(MADV_POPULATE_WRITE) instead of a write per page", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* What was allocated, in order: the hot set is a prefix of it. */
struct chunks {
	char **p;
	size_t n, cap;
	size_t len; /* every chunk but possibly the last has this length */
};

/* Latencies of hot passes over one stretch (the whole run, or one progress interval). */
struct hot_tally {
	struct hist pass; /* ns per pass */
	struct hist page; /* ns per page touched (pass / pages) */
};

struct hot {
	double fraction, period, next;
	uint64_t bytes; /* size of the last pass */
	struct hot_tally all, iv;
};

static void *alloc_chunk(int via, size_t len)
{
	if (via == VIA_MALLOC)
		return malloc(len);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void free_chunk(int via, void *p, size_t len)
{
	if (via == VIA_MALLOC)
		free(p);
	else
		munmap(p, len);
}

/* Make every page of a fresh chunk real (not the shared zero page): a write per page,
 * one page fault each, or one madvise(MADV_POPULATE_WRITE) (Linux 5.14+) that faults
 * the whole range in the kernel without an exception per page. A kernel without it
 * (EINVAL) gets the writes. -1 with errno when the kernel could not populate. */
static int fill_chunk(char *p, size_t len, size_t page, bool populate)
{
	if (populate) {
		/* malloc'd chunks need not be page-aligned: populate the pages they cover */
		uintptr_t a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1), e = (uintptr_t)p + len;
		if (a >= e || madvise((void *)a, e - a, MADV_POPULATE_WRITE) == 0) {
			p[0] = p[len - 1] = 1; /* the partial pages at the edges */
			return 0;
		}
		if (errno != EINVAL)
			return -1;
	}
	for (size_t off = 0; off < len; off += page)
		p[off] = 1;
	return 0;
}

/* One pass: a write to every page of the first fraction x done bytes, timed. */
static void hot_pass(struct hot *h, const struct chunks *ck, uint64_t done, size_t page)
{
	uint64_t want = (uint64_t)((double)done * h->fraction), left = want, pages = 0;
	uint64_t t0 = now_ns();
	for (size_t i = 0; i < ck->n && left; i++) {
		size_t len = left < ck->len ? (size_t)left : ck->len;
		for (size_t off = 0; off < len; off += page, pages++)
			((volatile char *)ck->p[i])[off] = 1;
		left -= len;
	}
	uint64_t ns = now_ns() - t0;
	h->bytes = want;
	if (!pages)
		return;
	struct hot_tally *ts[] = { &h->all, &h->iv };
	for (size_t k = 0; k < ARRAY_SIZE(ts); k++) {
		hist_add(&ts[k]->pass, ns);
		hist_add(&ts[k]->page, ns / pages);
	}
}

/* A pass if one is due; the schedule keeps its grid and skips slots a slow pass overran. */
static void hot_maybe(struct hot *h, const struct chunks *ck, uint64_t done, size_t page)
{
	double now = now_s();
	if (h->fraction <= 0 || now < h->next)
		return;
	hot_pass(h, ck, done, page);
	h->next += h->period;
	now = now_s();
	if (h->next <= now)
		h->next += (floor((now - h->next) / h->period) + 1) * h->period;
}

static json_t *hot_json(const struct hot *h, const struct hot_tally *t)
{
	return json_pack("{s:f, s:I, s:I, s:o, s:o}", "fraction", h->fraction, "bytes", (json_int_t)h->bytes,
			 "passes", (json_int_t)t->pass.count, "pass", hist_json(&t->pass), "page", hist_json(&t->page));
}

static json_t *progress(uint64_t done, double t0, struct hot *h)
{
	double el = now_s() - t0;
	json_t *j = json_pack("{s:I, s:I, s:f}", "bytes", (json_int_t)done, "rss_bytes",
			      (json_int_t)wl_status_bytes("VmRSS"), "mb_per_s",
			      el > 0 ? (double)done / 1048576.0 / el : 0.0);
	if (h->fraction > 0) {
		json_object_set_new(j, "hot", hot_json(h, &h->iv));
		memset(&h->iv, 0, sizeof(h->iv));
	}
	return j;
}

/* Wait until t (or a stop), doing hot passes and progress records when they are due. */
static void idle_until(struct wl_ctx *ctx, double t, struct hot *h, const struct chunks *ck, uint64_t done,
		       size_t page, double t0)
{
	while (!wl_stop && now_s() < t) {
		hot_maybe(h, ck, done, page);
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", progress(done, t0, h));
		double wake = ctx->next_progress < t ? ctx->next_progress : t;
		if (h->fraction > 0 && h->next < wake)
			wake = h->next;
		wl_sleep_until(wake);
	}
}

static int anonleak_run(void *vcfg, struct wl_ctx *ctx)
{
	struct anonleak_cfg *c = vcfg;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t done = 0;
	const char *status = "done";
	int err = 0;
	struct hot h = { 0 }; /* 16 KiB of histogram buckets */
	struct chunks ck = { .len = (size_t)c->chunk };

	wl_report(ctx, "start", json_pack("{s:i, s:I, s:I, s:I, s:s, s:b, s:f, s:I}", "pid", (int)getpid(), "size",
					  (json_int_t)c->size, "chunk", (json_int_t)c->chunk, "rate",
					  (json_int_t)c->rate, "via", via_names[c->via], "populate", c->populate, "hot",
					  c->hot, "period_ms", (json_int_t)c->period));
	double t0 = now_s();
	h.fraction = c->hot;
	h.period = (double)c->period / 1000.0;
	h.next = t0 + h.period;
	while (done < c->size && !wl_stop) {
		size_t len = (size_t)(c->size - done < c->chunk ? c->size - done : c->chunk);
		char *p = alloc_chunk(c->via, len);
		if (!p) {
			err = errno ? errno : ENOMEM;
			status = "enomem";
			break;
		}
		if (ck.n == ck.cap) {
			ck.cap = ck.cap ? 2 * ck.cap : 64;
			ck.p = xrealloc(ck.p, ck.cap * sizeof(*ck.p));
		}
		if (fill_chunk(p, len, page, c->populate) < 0) {
			err = errno;
			status = "enomem";
			free_chunk(c->via, p, len);
			break;
		}
		ck.p[ck.n++] = p;
		done += len;
		hot_maybe(&h, &ck, done, page);
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", progress(done, t0, &h));
		if (c->rate)
			idle_until(ctx, t0 + (double)done / (double)c->rate, &h, &ck, done, page, t0);
	}
	double fill_s = now_s() - t0;
	if (!err && !wl_stop) {
		wl_report(ctx, "phase", json_pack("{s:s, s:I}", "phase", "hold", "bytes", (json_int_t)done));
		idle_until(ctx, c->hold == DURATION_FOREVER ? INFINITY : now_s() + (double)c->hold / 1000.0, &h, &ck,
			   done, page, t0);
	}
	if (wl_stop && !err)
		status = "stopped";
	json_t *fin = json_pack("{s:s, s:I, s:I, s:f, s:f}", "status", status, "bytes", (json_int_t)done,
				"rss_bytes", (json_int_t)wl_status_bytes("VmRSS"), "fill_seconds", fill_s,
				"fill_mb_per_s", fill_s > 0 ? (double)done / 1048576.0 / fill_s : 0.0);
	if (h.fraction > 0)
		json_object_set_new(fin, "hot", hot_json(&h, &h.all));
	if (err) {
		json_object_set_new(fin, "errno", json_string(strerrorname_np(err)));
		fprintf(stderr, "anonleak: allocation of %llu bytes failed after %llu bytes: %s\n",
			(unsigned long long)c->chunk, (unsigned long long)done, strerror(err));
	}
	wl_report(ctx, "final", fin);
	/* the leak ends with the report: give it back (the run function may be called
	 * again in the same process, as the unit tests do) */
	for (size_t i = 0; i < ck.n; i++)
		free_chunk(c->via, ck.p[i], i + 1 < ck.n ? ck.len : (size_t)(done - (uint64_t)i * ck.len));
	free(ck.p);
	return err ? WL_EXIT_ENOMEM : WL_EXIT_OK;
}

const struct workload wl_anonleak = {
	.name = "anonleak",
	.summary = "Allocate and touch anonymous memory at a given rate up to a given size, then hold it.",
	.cfg_size = sizeof(struct anonleak_cfg),
	.opts = anonleak_opts,
	.run = anonleak_run,
};
