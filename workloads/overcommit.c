/* overcommit.c - virtual memory reserved versus memory used. Reserves --reserve of
 * address space in --chunk requests (anonymous private mmap, optionally
 * MAP_NORESERVE, or malloc), then writes one byte to each page of the first --touch
 * bytes of it. Reports how far reserving got and the errno it stopped with, how far
 * touching got, VmSize against VmRSS, and Committed_AS / CommitLimit before and after.
 *
 * The kernel decides at reservation time (mm/util.c __vm_enough_memory) according
 * to vm.overcommit_memory: 0 refuses only a single request larger than RAM + swap;
 * 1 refuses nothing; 2 refuses a request once Committed_AS would pass CommitLimit
 * (less user_reserve_kbytes for a large process). Touching is what costs pages, and
 * under a memory cgroup touching past the limit ends in the memcg OOM killer.
 *
 * When reserving stops with ENOMEM the reservation is released before anything is
 * reported and nothing is touched: under overcommit_memory=2 the machine sits at its
 * commit limit meanwhile, and every process on it (mph included) is refused memory.
 * The figures at the limit are read then and reported after the release. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { VIA_MMAP, VIA_MALLOC };
static const char *const via_names[] = { "mmap", "malloc", NULL };

#define MAX_REQUESTS (1u << 20)

struct overcommit_cfg {
	uint64_t reserve, chunk, touch, hold;
	int via;
	bool noreserve;
};

static const struct opt overcommit_opts[] = {
	{ "reserve", OPT_SIZE, offsetof(struct overcommit_cfg, reserve), NULL, 4096, 1ULL << 47, NULL,
	  "virtual memory to reserve (nothing is touched while reserving)", true },
	{ "chunk", OPT_SIZE, offsetof(struct overcommit_cfg, chunk), "64M", 4096, 1ULL << 47, NULL,
	  "size of each request; one request of --reserve when chunk >= reserve", false },
	{ "via", OPT_ENUM, offsetof(struct overcommit_cfg, via), "mmap", 0, 0, via_names,
	  "mmap (anonymous private mapping) or malloc (glibc; large requests become mmaps)", false },
	{ "noreserve", OPT_BOOL, offsetof(struct overcommit_cfg, noreserve), "no", 0, 0, NULL,
	  "MAP_NORESERVE (--via=mmap only): not counted in Committed_AS, except under overcommit_memory=2", false },
	{ "touch", OPT_SIZE_PCT, offsetof(struct overcommit_cfg, touch), "0", 0, 0, NULL,
	  "bytes of the reservation to write to, one byte a page, from its start; at most what was reserved, "
	  "so --touch equal to --reserve touches all of it",
	  false },
	{ "hold", OPT_DURATION, offsetof(struct overcommit_cfg, hold), "0", 0, 0, NULL,
	  "how long to keep the reservation after touching (forever: until SIGTERM)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* Figures read at each step: numbers first, JSON later (see the file comment). */
static const struct probe {
	const char *name, *file, *key;
} snap_probes[] = {
	{ "vm_size", "/proc/self/status", "VmSize" },
	{ "vm_rss", "/proc/self/status", "VmRSS" },
	{ "committed_as", "/proc/meminfo", "Committed_AS" },
	{ "commit_limit", "/proc/meminfo", "CommitLimit" },
}, machine_probes[] = {
	{ "mem_total", "/proc/meminfo", "MemTotal" },
	{ "mem_free", "/proc/meminfo", "MemFree" },
	{ "swap_total", "/proc/meminfo", "SwapTotal" },
	{ "swap_free", "/proc/meminfo", "SwapFree" },
};

/* The vm sysctls that decide what reserving may do. */
static const char *const vm_knobs[] = { "overcommit_memory", "overcommit_ratio", "overcommit_kbytes",
					"user_reserve_kbytes", "admin_reserve_kbytes" };

struct snap {
	long long v[ARRAY_SIZE(snap_probes)];
};

static void snap_take(struct snap *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(snap_probes); i++)
		s->v[i] = read_kb_key(snap_probes[i].file, snap_probes[i].key);
}

static json_t *probes_json(const struct probe *p, const long long *v, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, p[i].name, v[i] < 0 ? json_null() : json_integer(v[i]));
	return o;
}

static json_t *snap_json(const struct snap *s)
{
	return probes_json(snap_probes, s->v, ARRAY_SIZE(snap_probes));
}

static json_t *machine_json(void)
{
	long long v[ARRAY_SIZE(machine_probes)];
	for (size_t i = 0; i < ARRAY_SIZE(machine_probes); i++)
		v[i] = read_kb_key(machine_probes[i].file, machine_probes[i].key);
	return probes_json(machine_probes, v, ARRAY_SIZE(machine_probes));
}

static json_t *knobs_json(void)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(vm_knobs); i++) {
		char *path = xasprintf("/proc/sys/vm/%s", vm_knobs[i]);
		long long v;
		json_object_set_new(o, vm_knobs[i], read_file_ll(path, &v) == 0 ? json_integer(v) : json_null());
		free(path);
	}
	return o;
}

struct region {
	char *p;
	size_t len;
};

static char *reserve_one(const struct overcommit_cfg *c, size_t len)
{
	if (c->via == VIA_MALLOC)
		return malloc(len);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (c->noreserve ? MAP_NORESERVE : 0), -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void release_all(const struct overcommit_cfg *c, struct region *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c->via == VIA_MALLOC)
			free(r[i].p);
		else
			(void)munmap(r[i].p, r[i].len);
	}
}

static json_t *progress(uint64_t reserved, uint64_t touched)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "reserved_bytes", (json_int_t)reserved, "touched_bytes",
			 (json_int_t)touched, "vm_size", (json_int_t)wl_status_bytes("VmSize"), "vm_rss",
			 (json_int_t)wl_status_bytes("VmRSS"));
}

/* Write one byte to each page of the first `want` bytes of the regions. */
static uint64_t touch_regions(struct wl_ctx *ctx, struct region *r, size_t n, uint64_t want, uint64_t reserved)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t done = 0, pages = 0;
	for (size_t i = 0; i < n && done < want && !wl_stop; i++) {
		for (size_t off = 0; off < r[i].len && done < want && !wl_stop; off += page) {
			r[i].p[off] = 1;
			done += r[i].len - off < page ? r[i].len - off : page;
			if (++pages % 4096 == 0 && wl_progress_due(ctx)) /* look at the clock every 16 MiB */
				wl_report(ctx, "progress", progress(reserved, done));
		}
	}
	return done;
}

struct amounts {
	uint64_t reserved, touched;
};

static json_t *hold_progress(void *arg)
{
	const struct amounts *a = arg;
	return progress(a->reserved, a->touched);
}

/* The size of each request: one request of --reserve when chunk >= reserve. */
static uint64_t request_size(const struct overcommit_cfg *c)
{
	return c->chunk < c->reserve ? c->chunk : c->reserve;
}

static int overcommit_check(const void *vcfg, struct wl_problems *p)
{
	const struct overcommit_cfg *c = vcfg;
	size_t n0 = p->n;
	if (c->noreserve && c->via != VIA_MMAP)
		wl_problem(p, WL_OPTS("noreserve", "via"), "--noreserve is a flag of mmap; it needs --via=mmap");
	uint64_t chunk = request_size(c); /* 0 only with --reserve missing */
	if (chunk && (c->reserve + chunk - 1) / chunk > MAX_REQUESTS)
		wl_problem(p, WL_OPTS("chunk", "reserve"), "--reserve/--chunk gives more than %u requests; raise --chunk",
			   MAX_REQUESTS);
	return p->n > n0 ? -EINVAL : 0;
}

/* Runs a configuration overcommit_check accepted (the shared main checks first). */
static int overcommit_run(void *vcfg, struct wl_ctx *ctx)
{
	struct overcommit_cfg *c = vcfg;
	uint64_t chunk = request_size(c);
	size_t nmax = (size_t)((c->reserve + chunk - 1) / chunk);
	struct region *r = calloc(nmax, sizeof(*r));
	if (!r) {
		fprintf(stderr, "overcommit: no memory for a table of %zu requests\n", nmax);
		wl_report(ctx, "final", json_pack("{s:s, s:s}", "status", "enomem", "errno", "ENOMEM"));
		return WL_EXIT_ENOMEM;
	}

	struct snap before, reserved, end, released;
	snap_take(&before);
	wl_report(ctx, "start",
		  json_pack("{s:i, s:I, s:I, s:s, s:b, s:I, s:o, s:o, s:o}", "pid", (int)getpid(), "reserve",
			    (json_int_t)c->reserve, "chunk", (json_int_t)chunk, "via", via_names[c->via], "noreserve",
			    c->noreserve, "touch", (json_int_t)c->touch, "sysctl", knobs_json(), "machine",
			    machine_json(), "before", snap_json(&before)));

	uint64_t done = 0, touched = 0;
	size_t n = 0;
	int err = 0;
	while (done < c->reserve && !wl_stop) {
		size_t len = (size_t)(c->reserve - done < chunk ? c->reserve - done : chunk);
		char *p = reserve_one(c, len);
		if (!p) {
			err = errno ? errno : ENOMEM;
			break;
		}
		r[n++] = (struct region){ p, len };
		done += len;
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", progress(done, 0));
	}
	size_t requests = n;
	uint64_t failed = err ? (c->reserve - done < chunk ? c->reserve - done : chunk) : 0;
	snap_take(&reserved);
	if (err) {
		/* at the limit: no reports, no touching, give it all back first */
		release_all(c, r, n);
	} else {
		wl_report(ctx, "phase", json_pack("{s:s, s:I, s:o}", "phase", "reserved", "reserved_bytes",
						   (json_int_t)done, "state", snap_json(&reserved)));
		if (c->touch && !wl_stop) {
			touched = touch_regions(ctx, r, n, c->touch, done);
			wl_report(ctx, "phase", json_pack("{s:s, s:I}", "phase", "touched", "touched_bytes",
							   (json_int_t)touched));
		}
		if (c->hold && !wl_stop) {
			wl_report(ctx, "phase", json_pack("{s:s}", "phase", "hold"));
			struct amounts a = { done, touched };
			wl_hold(ctx, c->hold, hold_progress, &a);
		}
		snap_take(&end);
		release_all(c, r, n);
	}
	snap_take(&released);
	free(r);

	const char *status = err == ENOMEM ? "enomem" : err ? "error" : wl_stop ? "stopped" : "done";
	json_t *fin = json_pack("{s:s, s:I, s:I, s:s?, s:I, s:I, s:I}", "status", status, "reserved_bytes",
				(json_int_t)done, "reserve_requests", (json_int_t)requests, "reserve_errno",
				err ? strerrorname_np(err) : NULL, "failed_request_bytes", (json_int_t)failed, "touch",
				(json_int_t)c->touch, "touched_bytes", (json_int_t)touched);
	json_object_set_new(fin, "before", snap_json(&before));
	json_object_set_new(fin, "reserved", snap_json(&reserved));
	if (!err)
		json_object_set_new(fin, "end", snap_json(&end));
	json_object_set_new(fin, "released", snap_json(&released));
	if (err)
		fprintf(stderr, "overcommit: a request of %llu bytes failed after %llu bytes were reserved: %s\n",
			(unsigned long long)failed, (unsigned long long)done, strerror(err));
	wl_report(ctx, "final", fin);
	return err == ENOMEM ? WL_EXIT_ENOMEM : err ? WL_EXIT_ERROR : WL_EXIT_OK;
}

const struct workload wl_overcommit = {
	.name = "overcommit",
	.summary = "Reserve virtual memory in steps until the kernel refuses, then touch part of it: overcommit "
		   "policy, Committed_AS and VmSize versus VmRSS.",
	.cfg_size = sizeof(struct overcommit_cfg),
	.opts = overcommit_opts,
	.check = overcommit_check,
	.run = overcommit_run,
};
