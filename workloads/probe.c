/* probe.c - a latency-sensitive allocator: every --period it maps --bytes of fresh
 * anonymous memory, writes one byte per page and unmaps it again, timing the map and
 * the touches. Each probe therefore takes fresh page faults, and every new page is
 * charged to the memory cgroup at fault time: when the cgroup is near its limit the
 * charge reclaims first (memcg limit reclaim runs in the faulting task), so the probe
 * pays for it. Beside a leaker or a page-cache reader in the same cgroup its latency
 * histogram is the allocation stall a latency-sensitive service would see. With --keep
 * it instead keeps a small working set and re-touches it each period: that shows
 * stalls of memory already owned (swap-in, refaults) rather than of new allocations. */
#define _GNU_SOURCE
#include "workload.h"
#include "hist.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

struct probe_cfg {
	uint64_t period;   /* ms */
	uint64_t bytes;
	uint64_t keep;
	uint64_t slow;     /* ms */
	uint64_t duration; /* ms or DURATION_FOREVER */
};

static const struct opt probe_opts[] = {
	{ "period", OPT_DURATION, offsetof(struct probe_cfg, period), "10ms", 1, 60000, NULL,
	  "time between probe starts (a fixed grid; slots a slow probe overran are skipped and counted)", false },
	{ "bytes", OPT_SIZE, offsetof(struct probe_cfg, bytes), "1M", 4096, 1ULL << 30, NULL,
	  "fresh anonymous memory each probe maps, touches (one write per page) and unmaps", false },
	{ "keep", OPT_SIZE, offsetof(struct probe_cfg, keep), "0", 0, 1ULL << 30, NULL,
	  "instead keep a working set of this size and re-touch it every period (0: fresh memory each probe)", false },
	{ "slow", OPT_DURATION, offsetof(struct probe_cfg, slow), "1ms", 1, 0, NULL,
	  "a probe taking longer than this counts as slow", false },
	{ "duration", OPT_DURATION, offsetof(struct probe_cfg, duration), "forever", 1, 0, NULL,
	  "how long to probe (forever: until SIGTERM)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* One probe: map (unless kept), write one byte per page, time it; unmap outside the
 * timed part (freeing is not what a latency-sensitive allocator waits for). Returns
 * the nanoseconds taken, or 0 with errno set when the mapping was refused. */
static uint64_t probe_once(char *kept, size_t len, size_t page)
{
	uint64_t t0 = now_ns();
	char *p = kept;
	if (!p) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 0;
	}
	for (size_t off = 0; off < len; off += page)
		((volatile char *)p)[off] = 1; /* a write: a real page, not the shared zero page */
	uint64_t ns = now_ns() - t0;
	if (!kept)
		munmap(p, len);
	return ns ? ns : 1;
}

static long long minor_faults(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : -1;
}

/* Counts of one stretch of probes: the whole run, or one progress interval. */
struct tally {
	struct hist h;
	uint64_t slow;
};

static void tally_add(struct tally *t, uint64_t ns, uint64_t slow_ns)
{
	hist_add(&t->h, ns);
	t->slow += ns > slow_ns;
}

static json_t *tally_json(const struct tally *t)
{
	return json_pack("{s:I, s:I, s:o}", "probes", (json_int_t)t->h.count, "slow", (json_int_t)t->slow, "stall",
			 hist_json(&t->h));
}

static int probe_run(void *vcfg, struct wl_ctx *ctx)
{
	const struct probe_cfg *c = vcfg;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (size_t)(c->keep ? c->keep : c->bytes);
	double period = (double)c->period / 1000.0;
	uint64_t slow_ns = c->slow * 1000000ULL;
	struct tally all = { 0 }, iv = { 0 }; /* 4 KiB of buckets each */
	uint64_t skipped = 0;
	const char *status = "done";
	int err = 0;
	char *kept = NULL;

	wl_report(ctx, "start", json_pack("{s:i, s:s, s:I, s:I, s:I}", "pid", (int)getpid(), "mode",
					  c->keep ? "keep" : "fresh", "bytes", (json_int_t)len, "period_ms",
					  (json_int_t)c->period, "slow_ms", (json_int_t)c->slow));
	if (c->keep) {
		kept = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (kept == MAP_FAILED) {
			err = errno;
			kept = NULL;
		} else {
			(void)probe_once(kept, len, page); /* first touch: not a re-touch, not counted */
		}
	}
	long long flt0 = minor_faults();
	double start = now_s(), next = start;
	double end = c->duration == DURATION_FOREVER ? INFINITY : start + (double)c->duration / 1000.0;
	while (!err && !wl_stop && now_s() < end) {
		uint64_t ns = probe_once(kept, len, page);
		if (!ns) {
			err = errno ? errno : ENOMEM;
			break;
		}
		tally_add(&all, ns, slow_ns);
		tally_add(&iv, ns, slow_ns);
		next += period;
		double now = now_s();
		if (next <= now) { /* overran: keep the grid, skip the slots that passed */
			uint64_t k = (uint64_t)((now - next) / period) + 1;
			skipped += k;
			next += (double)k * period;
		}
		if (wl_progress_due(ctx)) {
			wl_report(ctx, "progress", tally_json(&iv));
			memset(&iv, 0, sizeof(iv));
		}
		wl_sleep_until(next < end ? next : end);
	}
	/* a late wake-up past the end (a busy machine) leaves the slots from next to end
	 * without a probe: they were skipped too, so probes + skipped is every slot */
	if (!err && !wl_stop && next < end)
		skipped += (uint64_t)ceil((end - next) / period - 1e-9);
	long long flt = minor_faults() - flt0;
	if (err)
		status = "enomem";
	else if (wl_stop)
		status = "stopped";
	json_t *fin = json_pack("{s:s}", "status", status);
	json_object_update_new(fin, tally_json(&all));
	json_object_set_new(fin, "skipped", json_integer((json_int_t)skipped));
	json_object_set_new(fin, "minflt", json_integer(flt));
	json_object_set_new(fin, "seconds", json_real(now_s() - start));
	if (err) {
		json_object_set_new(fin, "errno", json_string(strerrorname_np(err)));
		fprintf(stderr, "probe: mapping %zu bytes failed after %llu probes: %s\n", len,
			(unsigned long long)all.h.count, strerror(err));
	}
	wl_report(ctx, "final", fin);
	if (kept)
		munmap(kept, len);
	return err ? WL_EXIT_ENOMEM : WL_EXIT_OK;
}

const struct workload wl_probe = {
	.name = "probe",
	.summary = "Every period map, touch and unmap fresh memory (or re-touch a kept set), timing each: the allocation-stall histogram.",
	.cfg_size = sizeof(struct probe_cfg),
	.opts = probe_opts,
	.run = probe_run,
};
