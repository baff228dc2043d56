/* alloc.c - allocator behaviour: what a process gets back from the kernel when it
 * frees memory. Allocates --total in chunks (fixed, or seeded random sizes) through
 * glibc malloc, the program break directly (sbrk), or one anonymous mmap per chunk,
 * touches every byte, frees some or all of it in a chosen order, optionally calls
 * malloc_trim(0), and reports VmRSS, VmData and the break after each step.
 *
 * What it shows (glibc 2.36, see docs/workload-alloc.md): requests below
 * M_MMAP_THRESHOLD (128 KiB by default) come from the brk heap, and free() of them
 * keeps the pages in the process unless they merge into the top of the heap and the
 * top exceeds the trim threshold: one chunk kept at the top pins everything below it.
 * Requests at or above the threshold are mmap'd and free() unmaps them at once.
 * malloc_trim(0) also madvise(MADV_DONTNEED)s whole free pages in the middle of the
 * heap, so RSS drops although the break does not move. The first malloc of a process
 * grows the heap by the request plus M_TOP_PAD (128 KiB) rounded to pages: 132 KiB. */
#define _GNU_SOURCE
#include "workload.h"
#include "alloc.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { VIA_MALLOC, VIA_BRK, VIA_MMAP };
static const char *const via_names[] = { "malloc", "brk", "mmap", NULL };
static const char *const free_names[] = { "none", "all", "every-other", "lifo", NULL };

/* One chunk table entry per allocation; more would make the table itself (mmap'd,
 * 24 bytes an entry) a noticeable part of what is measured. */
#define MAX_CHUNKS (1u << 22)

struct alloc_cfg {
	int via;
	uint64_t chunk, chunk_max, seed, total, mmap_threshold, hold;
	int free_mode;
	bool trim;
};

static const struct opt alloc_opts[] = {
	{ "via", OPT_ENUM, offsetof(struct alloc_cfg, via), "malloc", 0, 0, via_names,
	  "malloc (glibc), brk (sbrk directly, released only from the top) or mmap (one anonymous mapping per chunk)",
	  false },
	{ "chunk", OPT_SIZE, offsetof(struct alloc_cfg, chunk), "64k", 16, 1ULL << 30, NULL,
	  "size of each allocation (the smallest one with --chunk-max)", false },
	{ "chunk-max", OPT_SIZE, offsetof(struct alloc_cfg, chunk_max), "0", 0, 1ULL << 30, NULL,
	  "0 = every chunk is --chunk; else sizes drawn uniformly from [chunk, chunk-max]", false },
	{ "seed", OPT_UINT, offsetof(struct alloc_cfg, seed), "1", 0, 0, NULL,
	  "seed of the size generator (same seed, same sizes)", false },
	{ "total", OPT_SIZE_PCT, offsetof(struct alloc_cfg, total), "64M", 4096, 1ULL << 40, NULL,
	  "bytes to allocate and touch in all (the last chunk is cut to fit)", false },
	{ "free", OPT_ENUM, offsetof(struct alloc_cfg, free_mode), "all", 0, 0, free_names,
	  "what to free: none, all (in allocation order), every-other (the last chunk and every second one "
	  "below it stay), lifo (all, newest first)",
	  false },
	{ "mmap-threshold", OPT_SIZE, offsetof(struct alloc_cfg, mmap_threshold), "0", 0, 32ULL << 20, NULL,
	  "mallopt(M_MMAP_THRESHOLD) for --via=malloc; 0 = glibc's default (128 KiB, raised when mmap'd chunks are freed)",
	  false },
	{ "trim", OPT_BOOL, offsetof(struct alloc_cfg, trim), "no", 0, 0, NULL,
	  "call malloc_trim(0) after freeing", false },
	{ "hold", OPT_DURATION, offsetof(struct alloc_cfg, hold), "0", 0, 0, NULL,
	  "how long to keep the final state before exiting (forever: until SIGTERM)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

uint64_t alloc_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t alloc_chunk_size(uint64_t *state, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + alloc_rand(state) % (hi - lo + 1);
}

size_t alloc_free_count(enum alloc_free mode, size_t n)
{
	switch (mode) {
	case FREE_ALL:
	case FREE_LIFO:
		return n;
	case FREE_EVERY_OTHER:
		return n / 2;
	case FREE_NONE:
		break;
	}
	return 0;
}

size_t alloc_free_index(enum alloc_free mode, size_t k, size_t n)
{
	switch (mode) {
	case FREE_LIFO:
		return n - 1 - k;
	case FREE_EVERY_OTHER:
		/* the freed ones are n-2, n-4, ...: those with the parity of n, lowest first */
		return n % 2 + 2 * k;
	default:
		return k;
	}
}

int proc_stat_field(const char *stat, unsigned field, unsigned long long *out)
{
	const char *p = strrchr(stat, ')');
	if (!p || field < 3)
		return -EINVAL;
	p++;
	for (unsigned f = 3; *p; f++) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (f == field) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (end == p || errno || (*end && *end != ' ' && *end != '\n'))
				return -EINVAL;
			*out = v;
			return 0;
		}
		p += strcspn(p, " ");
	}
	return -EINVAL;
}

/* The first malloc of the process. It has to be measured before any library's
 * constructor runs: libnuma's (linked into every workload) fopen()s /proc/self/status
 * and so makes the first malloc itself. Functions in the executable's .preinit_array
 * run before all constructors, with glibc's malloc already usable, and get argv.
 * heap_was_empty in the report checks the break against the kernel's start_brk.
 * Every workload binary links this file; only alloc measures. */
static struct {
	uintptr_t before, after;
	void *p; /* kept: a malloc freed unused would be optimised away */
} first_malloc;

static void measure_first_malloc(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	if (argc < 1 || !argv[0] || strcmp(base ? base + 1 : argv[0], "alloc") != 0)
		return;
	first_malloc.before = (uintptr_t)sbrk(0);
	first_malloc.p = malloc(1);
	first_malloc.after = (uintptr_t)sbrk(0);
}

__attribute__((section(".preinit_array"), used)) static void (*const first_malloc_hook)(int, char **,
											 char **) = measure_first_malloc;

struct chunk {
	char *p;
	size_t len;
	bool freed;
};

/* What one step left behind, read without allocating (see alloc_run). */
struct snap {
	bool taken;
	double at; /* seconds since start */
	long long rss, data;
	uintptr_t brk;
	struct mallinfo2 mi;
};

/* VmRSS and VmData from one read of /proc/self/status into a stack buffer: read_file
 * would malloc, and a block left above the last chunk changes what free() can give
 * back - the very thing measured. */
static void status_read(long long *rss, long long *data)
{
	char buf[8192];
	ssize_t k = -1;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[k > 0 ? k : 0] = '\0';
	long long kb;
	*rss = kv_find_ll(buf, "VmRSS", &kb) == 0 ? kb * 1024 : -1;
	*data = kv_find_ll(buf, "VmData", &kb) == 0 ? kb * 1024 : -1;
}

static void snap_take(struct snap *s, const struct wl_ctx *ctx)
{
	s->taken = true;
	s->at = now_s() - ctx->t0;
	status_read(&s->rss, &s->data);
	s->brk = (uintptr_t)sbrk(0);
	s->mi = mallinfo2();
}

static json_t *bytes_or_null(long long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *snap_json(const struct snap *s, uintptr_t heap_start, bool with_malloc)
{
	json_t *o = json_pack("{s:f, s:o, s:o, s:I, s:I}", "at", s->at, "vm_rss", bytes_or_null(s->rss), "vm_data",
			      bytes_or_null(s->data), "brk", (json_int_t)s->brk, "heap_bytes",
			      (json_int_t)(s->brk - heap_start));
	if (with_malloc) /* glibc's own view: arena = brk heap, hblkhd = mmap'd chunks */
		json_object_set_new(o, "malloc",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "arena", (json_int_t)s->mi.arena,
					      "hblks", (json_int_t)s->mi.hblks, "hblkhd", (json_int_t)s->mi.hblkhd,
					      "uordblks", (json_int_t)s->mi.uordblks, "fordblks",
					      (json_int_t)s->mi.fordblks, "keepcost", (json_int_t)s->mi.keepcost));
	return o;
}

static char *chunk_alloc(int via, size_t len)
{
	void *p;
	switch (via) {
	case VIA_BRK:
		p = sbrk((intptr_t)len);
		return p == (void *)-1 ? NULL : p;
	case VIA_MMAP:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	default:
		return malloc(len);
	}
}

/* Release chunk i. The break can only come down over chunks at the top that are all
 * freed, and only while the break is still where the topmost one ends: if malloc has
 * grown its heap above our chunks, lowering the break would cut its memory away. */
static void chunk_release(int via, struct chunk *ch, size_t i, size_t *brk_top)
{
	ch[i].freed = true;
	if (via == VIA_MALLOC) {
		free(ch[i].p);
	} else if (via == VIA_MMAP) {
		(void)munmap(ch[i].p, ch[i].len);
	} else {
		while (*brk_top > 0 && ch[*brk_top - 1].freed) {
			struct chunk *t = &ch[*brk_top - 1];
			if ((char *)sbrk(0) != t->p + t->len || brk(t->p) < 0)
				break;
			(*brk_top)--;
		}
	}
}

/* What a hold still keeps, for its progress records. */
struct held {
	size_t chunks;
	uint64_t bytes;
};

static json_t *hold_progress(void *arg)
{
	const struct held *h = arg;
	return json_pack("{s:I, s:I, s:o}", "chunks", (json_int_t)h->chunks, "bytes", (json_int_t)h->bytes,
			 "rss_bytes", bytes_or_null(wl_status_bytes("VmRSS")));
}

/* The measured steps, in order; "returned" figures compare neighbours. */
enum step { S_BEFORE, S_ALLOCATED, S_FREED, S_TRIMMED, S_COUNT };
static const char *const step_names[] = { "before", "allocated", "freed", "trimmed" };

static int alloc_check(const void *vcfg, struct wl_problems *p)
{
	const struct alloc_cfg *c = vcfg;
	size_t n0 = p->n;
	if (c->chunk_max && c->chunk_max < c->chunk)
		wl_problem(p, WL_OPTS("chunk-max", "chunk"), "--chunk-max (%llu) is below --chunk (%llu)",
			   (unsigned long long)c->chunk_max, (unsigned long long)c->chunk);
	if (c->total / c->chunk >= MAX_CHUNKS) /* chunk >= 16: the table's minimum */
		wl_problem(p, WL_OPTS("chunk", "total"),
			   "--total/--chunk gives more than %u chunks; raise --chunk or lower --total", MAX_CHUNKS);
	return p->n > n0 ? -EINVAL : 0;
}

/* Runs a configuration alloc_check accepted (the shared main checks first). */
static int alloc_run(void *vcfg, struct wl_ctx *ctx)
{
	struct alloc_cfg *c = vcfg;
	bool is_malloc = c->via == VIA_MALLOC;
	if (c->mmap_threshold && mallopt(M_MMAP_THRESHOLD, (int)c->mmap_threshold) != 1) {
		fprintf(stderr, "alloc: mallopt(M_MMAP_THRESHOLD, %llu) refused\n", (unsigned long long)c->mmap_threshold);
		return WL_EXIT_USAGE;
	}

	uintptr_t heap_start = 0;
	{
		char *stat = NULL;
		unsigned long long v;
		if (read_file("/proc/self/stat", &stat, NULL) == 0 && proc_stat_field(stat, 47, &v) == 0)
			heap_start = (uintptr_t)v; /* start_brk */
		free(stat);
	}
	wl_report(ctx, "start",
		  json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:b, s:{s:i, s:I, s:I, s:b}}", "pid",
			    (int)getpid(), "via", via_names[c->via], "chunk", (json_int_t)c->chunk, "chunk_max",
			    (json_int_t)c->chunk_max, "seed", (json_int_t)c->seed, "total", (json_int_t)c->total,
			    "free", free_names[c->free_mode], "mmap_threshold", (json_int_t)c->mmap_threshold, "trim",
			    c->trim, "first_malloc", "request", 1, "brk_before", (json_int_t)first_malloc.before,
			    "growth_bytes", (json_int_t)(first_malloc.after - first_malloc.before), "heap_was_empty",
			    heap_start && first_malloc.before == heap_start));

	/* The chunk table is mmap'd and faulted in before the baseline, so that neither
	 * glibc's heap nor the RSS figures see it. Sizes never fall below --chunk, except
	 * the last, so total/chunk + 1 entries are enough. */
	size_t cap = (size_t)(c->total / c->chunk) + 1;
	struct chunk *ch = mmap(NULL, cap * sizeof(*ch), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ch == MAP_FAILED) {
		int e = errno;
		fprintf(stderr, "alloc: chunk table of %zu entries: %s\n", cap, strerror(e));
		wl_report(ctx, "final", json_pack("{s:s, s:s}", "status", "enomem", "errno", strerrorname_np(e)));
		return WL_EXIT_ENOMEM;
	}

	/* From the baseline to the end of freeing nothing else touches the heap: no
	 * reports (jansson mallocs), no read_file. The steps are reported afterwards,
	 * each with the time it was measured at. */
	struct snap snap[S_COUNT] = { 0 };
	snap_take(&snap[S_BEFORE], ctx);
	int err = 0;
	uint64_t rng = c->seed, done = 0;
	size_t n = 0;
	while (done < c->total && !wl_stop) {
		uint64_t len = alloc_chunk_size(&rng, c->chunk, c->chunk_max);
		if (len > c->total - done)
			len = c->total - done;
		char *p = chunk_alloc(c->via, (size_t)len);
		if (!p) {
			err = errno ? errno : ENOMEM;
			break;
		}
		memset(p, 0xa5, (size_t)len); /* every page written: really resident */
		ch[n++] = (struct chunk){ p, (size_t)len, false };
		done += len;
	}
	snap_take(&snap[S_ALLOCATED], ctx);

	size_t nfree = 0, brk_top = n;
	uint64_t freed_bytes = 0;
	int trim_result = -1;
	if (err) {
		/* its own reports need memory too: give back everything, newest first */
		for (size_t k = n; k-- > 0;)
			chunk_release(c->via, ch, k, &brk_top);
	} else if (!wl_stop) {
		size_t want = alloc_free_count((enum alloc_free)c->free_mode, n);
		for (; nfree < want && !wl_stop; nfree++) {
			size_t i = alloc_free_index((enum alloc_free)c->free_mode, nfree, n);
			freed_bytes += ch[i].len;
			chunk_release(c->via, ch, i, &brk_top);
		}
		snap_take(&snap[S_FREED], ctx);
		if (c->trim) {
			trim_result = malloc_trim(0);
			snap_take(&snap[S_TRIMMED], ctx);
		}
	}
	for (int s = S_BEFORE; s < S_COUNT; s++) {
		if (!snap[s].taken)
			continue;
		json_t *o = json_pack("{s:s}", "phase", step_names[s]);
		json_object_update_new(o, snap_json(&snap[s], heap_start, is_malloc));
		wl_report(ctx, "phase", o);
	}
	if (snap[S_FREED].taken && c->hold && !wl_stop) {
		wl_report(ctx, "phase", json_pack("{s:s}", "phase", "hold"));
		struct held h = { n - nfree, done - freed_bytes };
		wl_hold(ctx, c->hold, hold_progress, &h);
	}

	const char *status = err ? "enomem" : wl_stop ? "stopped" : "done";
	json_t *fin = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "status", status, "via", via_names[c->via],
				"chunks", (json_int_t)n, "bytes", (json_int_t)done, "freed_chunks", (json_int_t)nfree,
				"freed_bytes", (json_int_t)freed_bytes, "first_malloc_growth_bytes",
				(json_int_t)(first_malloc.after - first_malloc.before));
	for (int s = S_BEFORE; s < S_COUNT; s++)
		if (snap[s].taken)
			json_object_set_new(fin, step_names[s], snap_json(&snap[s], heap_start, is_malloc));
	/* RSS differences between steps; the first is what the chunks made resident */
	static const struct {
		const char *name;
		enum step from, to;
	} diffs[] = {
		{ "allocated_rss_bytes", S_ALLOCATED, S_BEFORE },
		{ "returned_bytes", S_ALLOCATED, S_FREED },
		{ "trim_returned_bytes", S_FREED, S_TRIMMED },
	};
	for (size_t i = 0; i < ARRAY_SIZE(diffs); i++) {
		const struct snap *a = &snap[diffs[i].from], *b = &snap[diffs[i].to];
		if (a->taken && b->taken && a->rss >= 0 && b->rss >= 0)
			json_object_set_new(fin, diffs[i].name, json_integer(a->rss - b->rss));
	}
	if (is_malloc) /* chunks glibc served with mmap rather than from the heap */
		json_object_set_new(fin, "mmapped_chunks",
				    json_integer((json_int_t)snap[S_ALLOCATED].mi.hblks - (json_int_t)snap[S_BEFORE].mi.hblks));
	if (trim_result >= 0)
		json_object_set_new(fin, "malloc_trim_result", json_integer(trim_result));
	if (err) {
		json_object_set_new(fin, "errno", json_string(strerrorname_np(err)));
		fprintf(stderr, "alloc: allocation %zu (after %llu bytes) via %s failed: %s\n", n + 1,
			(unsigned long long)done, via_names[c->via], strerror(err));
	}
	wl_report(ctx, "final", fin);
	(void)munmap(ch, cap * sizeof(*ch));
	return err ? WL_EXIT_ENOMEM : WL_EXIT_OK;
}

const struct workload wl_alloc = {
	.name = "alloc",
	.summary = "Allocate through malloc, brk or mmap, free in a chosen pattern, and report how much RSS went back "
		   "to the kernel.",
	.cfg_size = sizeof(struct alloc_cfg),
	.opts = alloc_opts,
	.check = alloc_check,
	.run = alloc_run,
};
