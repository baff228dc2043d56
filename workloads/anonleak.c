/* anonleak.c - an anonymous-memory leaker. Allocates --size in --chunk steps (malloc
 * or mmap), touching every page so each one is really charged, at --rate bytes per
 * second (0: as fast as the page-fault path allows), then holds the memory for --hold.
 * Under a memory cgroup without swap it is the canonical OOM victim; with overcommit
 * settings it shows where ENOMEM comes instead. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/units.h"
#include "../harness/util.h"

#include <errno.h>
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
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static void *alloc_chunk(int via, size_t len)
{
	if (via == VIA_MALLOC)
		return malloc(len);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static json_t *progress(uint64_t done, double t0)
{
	double el = now_s() - t0;
	return json_pack("{s:I, s:I, s:f}", "bytes", (json_int_t)done, "rss_bytes",
			 (json_int_t)wl_status_bytes("VmRSS"), "mb_per_s",
			 el > 0 ? (double)done / 1048576.0 / el : 0.0);
}

static int anonleak_run(void *vcfg, struct wl_ctx *ctx)
{
	struct anonleak_cfg *c = vcfg;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t done = 0;
	const char *status = "done";
	int err = 0;

	wl_report(ctx, "start", json_pack("{s:i, s:I, s:I, s:I, s:s}", "pid", (int)getpid(), "size",
					  (json_int_t)c->size, "chunk", (json_int_t)c->chunk, "rate",
					  (json_int_t)c->rate, "via", via_names[c->via]));
	double t0 = now_s();
	while (done < c->size && !wl_stop) {
		size_t len = (size_t)(c->size - done < c->chunk ? c->size - done : c->chunk);
		char *p = alloc_chunk(c->via, len);
		if (!p) {
			err = errno ? errno : ENOMEM;
			status = "enomem";
			break;
		}
		for (size_t off = 0; off < len; off += (size_t)page)
			p[off] = 1; /* a write: a real page, not the shared zero page */
		done += len;
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", progress(done, t0));
		if (c->rate)
			wl_sleep_until(t0 + (double)done / (double)c->rate);
	}
	double fill_s = now_s() - t0;
	if (!err && !wl_stop) {
		wl_report(ctx, "phase", json_pack("{s:s, s:I}", "phase", "hold", "bytes", (json_int_t)done));
		double end = c->hold == DURATION_FOREVER ? 0 : now_s() + (double)c->hold / 1000.0;
		while (!wl_stop && (c->hold == DURATION_FOREVER || now_s() < end)) {
			double next = now_s() + (double)ctx->report_interval_ms / 1000.0;
			wl_sleep_until(c->hold == DURATION_FOREVER || next < end ? next : end);
			if (wl_progress_due(ctx))
				wl_report(ctx, "progress", progress(done, t0));
		}
	}
	if (wl_stop && !err)
		status = "stopped";
	json_t *fin = json_pack("{s:s, s:I, s:I, s:f, s:f}", "status", status, "bytes", (json_int_t)done,
				"rss_bytes", (json_int_t)wl_status_bytes("VmRSS"), "fill_seconds", fill_s,
				"fill_mb_per_s", fill_s > 0 ? (double)done / 1048576.0 / fill_s : 0.0);
	if (err) {
		json_object_set_new(fin, "errno", json_string(strerrorname_np(err)));
		fprintf(stderr, "anonleak: allocation of %llu bytes failed after %llu bytes: %s\n",
			(unsigned long long)c->chunk, (unsigned long long)done, strerror(err));
	}
	wl_report(ctx, "final", fin);
	return err ? WL_EXIT_ENOMEM : WL_EXIT_OK;
}

const struct workload wl_anonleak = {
	.name = "anonleak",
	.summary = "Allocate and touch anonymous memory at a given rate up to a given size, then hold it.",
	.cfg_size = sizeof(struct anonleak_cfg),
	.opts = anonleak_opts,
	.run = anonleak_run,
};
