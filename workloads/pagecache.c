/* pagecache.c - a page-cache workload. Makes --count files of --size bytes in --dir
 * (those missing), starts with none of their pages cached, then reads them (or, with
 * --write, overwrites them) in --passes passes, in order or in a random block order,
 * through read(2)/write(2), O_DIRECT, or a shared mapping. Each pass reports its MB/s,
 * what the kernel really fetched from storage (/proc/self/io read_bytes) and its page
 * faults; the final report counts how many of the files' pages are still cached.
 *
 * What it shows: page cache is charged to the memory cgroup that first touched it and
 * can be reclaimed (clean pages are simply dropped), so a reader of files larger than
 * memory.max is not OOM-killed: its own cache is reclaimed while it reads, the
 * cgroup's failcnt rises and the next pass has to read from disk again. O_DIRECT
 * bypasses the cache; posix_fadvise(POSIX_FADV_DONTNEED) drops it behind the reader.
 *
 * Files it creates are unlinked right after they are opened (unless --keep), so a
 * killed workload leaves nothing behind; files that were there before are used as they
 * are and never removed. */
#define _GNU_SOURCE
#include "pagecache.h"
#include "hist.h"
#include "workload.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

enum { PAT_SEQ, PAT_RANDOM };
static const char *const pattern_names[] = { "seq", "random", NULL };
enum { ADV_NORMAL, ADV_SEQUENTIAL, ADV_RANDOM, ADV_DONTNEED };
static const char *const fadvise_names[] = { "normal", "sequential", "random", "dontneed", NULL };
/* the hint each --fadvise gives for the whole file before the passes (dontneed reads
 * with the default readahead and drops each block after it) */
static const int fadv_hint[] = { POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM, POSIX_FADV_NORMAL };
static const int madv_hint[] = { MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM, MADV_NORMAL };
enum { ACC_READ, ACC_MMAP };
static const char *const access_names[] = { "read", "mmap", NULL };

#define CREATE_SYNC_BYTES (8ULL << 20) /* creating: fdatasync and drop every 8 MiB */
#define DISK_RESERVE (1ULL << 30)      /* leave at least 1 GiB free where files are made */
#define DIO_ALIGN 4096ULL              /* O_DIRECT: offsets, lengths and buffer */
#define DROP_ALIGN (2ULL << 20)        /* the largest page-cache folio here (PMD size) */

struct pagecache_cfg {
	uint64_t size, count, block, passes, fsync_every, seed, hold;
	char *dir;
	int pattern, fadvise, access;
	bool direct, write, cold, keep;
};

static const struct opt pagecache_opts[] = {
	{ "size", OPT_SIZE_PCT, offsetof(struct pagecache_cfg, size), "64M", 4096, 0, NULL,
	  "size of each file (a percentage is of the cgroup's memory.max)", false },
	{ "count", OPT_UINT, offsetof(struct pagecache_cfg, count), "1", 1, 1024, NULL,
	  "number of files", false },
	{ "dir", OPT_STRING, offsetof(struct pagecache_cfg, dir), "/var/tmp/mph-pagecache", 0, 0, NULL,
	  "directory of the files, on a disk filesystem (not tmpfs); made if missing (its parent must exist)", false },
	{ "pattern", OPT_ENUM, offsetof(struct pagecache_cfg, pattern), "seq", 0, 0, pattern_names,
	  "block order: seq (file by file, in order) or random (every block of every file once per pass)", false },
	{ "block", OPT_SIZE, offsetof(struct pagecache_cfg, block), "1M", 4096, 64ULL << 20, NULL,
	  "size of each read or write", false },
	{ "passes", OPT_UINT, offsetof(struct pagecache_cfg, passes), "1", 1, 1000, NULL,
	  "how many times to go over all the files", false },
	{ "access", OPT_ENUM, offsetof(struct pagecache_cfg, access), "read", 0, 0, access_names,
	  "read: pread/pwrite; mmap: copy from/to a shared mapping (page faults)", false },
	{ "direct", OPT_BOOL, offsetof(struct pagecache_cfg, direct), "no", 0, 0, NULL,
	  "O_DIRECT: bypass the page cache (size and block multiples of 4 KiB; not with access=mmap)", false },
	{ "fadvise", OPT_ENUM, offsetof(struct pagecache_cfg, fadvise), "normal", 0, 0, fadvise_names,
	  "posix_fadvise hint for the passes; dontneed drops each block from the cache after it", false },
	{ "write", OPT_BOOL, offsetof(struct pagecache_cfg, write), "no", 0, 0, NULL,
	  "overwrite the files instead of reading them (dirty page cache)", false },
	{ "fsync-every", OPT_SIZE, offsetof(struct pagecache_cfg, fsync_every), "0", 0, 0, NULL,
	  "with write: fdatasync the files written after this many bytes and at the end of a pass; 0 = never",
	  false },
	{ "cold", OPT_BOOL, offsetof(struct pagecache_cfg, cold), "yes", 0, 0, NULL,
	  "drop the cached pages of files that already exist before the first pass (fsync + fadvise DONTNEED)",
	  false },
	{ "keep", OPT_BOOL, offsetof(struct pagecache_cfg, keep), "no", 0, 0, NULL,
	  "keep the files it creates after the run (else they are unlinked as soon as they are opened)", false },
	{ "seed", OPT_UINT, offsetof(struct pagecache_cfg, seed), "1", 0, 0, NULL,
	  "seed of the random block order", false },
	{ "hold", OPT_DURATION, offsetof(struct pagecache_cfg, hold), "0", 0, 0, NULL,
	  "after the passes, keep the files open this long (forever: until stopped), so their cached pages stay "
	  "charged to the cgroup (an unlinked file's pages go when it is closed)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* ---- the pure pieces (pagecache.h) ---- */

void blk_perm_init(struct blk_perm *p, uint64_t n, uint64_t seed)
{
	unsigned bits = 0;
	while (bits < 63 && (1ULL << bits) < n)
		bits++;
	p->n = n;
	p->mask = (1ULL << bits) - 1;
	p->shift = bits / 2 + 1;
	p->c = (seed * 2 + 1) & p->mask;
	p->c |= 1; /* odd, also when the mask is 0 */
	p->x = (seed * 0x9E3779B97F4A7C15ULL) & p->mask;
}

/* xor-shift and multiplication by an odd number are bijections on k-bit values */
static uint64_t scramble(const struct blk_perm *p, uint64_t y)
{
	y ^= y >> p->shift;
	y = (y * 0xBF58476D1CE4E5B9ULL) & p->mask;
	y ^= y >> p->shift;
	return y;
}

uint64_t blk_perm_next(struct blk_perm *p)
{
	for (;;) {
		p->x = (p->x * 6364136223846793005ULL + p->c) & p->mask;
		uint64_t v = scramble(p, p->x);
		if (v < p->n)
			return v;
	}
}

uint64_t blk_per_file(uint64_t size, uint64_t block)
{
	return (size + block - 1) / block;
}

struct blk_loc blk_locate(uint64_t g, uint64_t size, uint64_t block)
{
	uint64_t per = blk_per_file(size, block);
	struct blk_loc l = { g / per, (g % per) * block, 0 };
	l.len = size - l.off < block ? size - l.off : block;
	return l;
}

int file_resident_pages(int fd, uint64_t size, uint64_t *pages)
{
	static unsigned char vec[16384];
	uint64_t psz = (uint64_t)sysconf(_SC_PAGESIZE), win = sizeof(vec) * psz, n = 0;
	for (uint64_t off = 0; off < size; off += win) {
		size_t len = (size_t)(size - off < win ? size - off : win);
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		if (m == MAP_FAILED)
			return -errno;
		int rc = mincore(m, len, vec), e = errno;
		munmap(m, len);
		if (rc < 0)
			return -e;
		for (size_t i = 0; i < (len + psz - 1) / psz; i++)
			n += vec[i] & 1;
	}
	*pages = n;
	return 0;
}

/* ---- the workload ---- */

struct pc_file {
	char *path;
	int fd;
	bool created; /* made by this run; a file that existed is never removed */
	bool named;   /* still has its name (kept, or not yet unlinked) */
	bool dirty;   /* written since its last fdatasync */
	char *map;    /* access=mmap: the whole file, shared */
};

struct pc_run {
	const struct pagecache_cfg *c;
	struct wl_ctx *ctx;
	struct pc_file *f;
	char *buf;
	bool dir_created;
	bool ready;     /* every file open and set up: its pages can be counted */
	int err;        /* errno of what failed; 0 = nothing did */
	char msg[512];  /* what failed, for stderr and the final report */
	uint64_t created_files, created_bytes, fsyncs, since_sync;
	double create_s;
	struct hist fsync_ns;
};

/* What one pass is measured by: /proc/self/io (bytes this process made the kernel
 * fetch from, or dirty for, storage) and its page faults. -1: not available. */
struct pc_sample {
	double t;
	long long io_rd, io_wr, majflt, minflt;
};

static void sample(struct pc_sample *s)
{
	char *io = NULL;
	struct rusage ru;
	s->t = now_s();
	s->io_rd = s->io_wr = s->majflt = s->minflt = -1;
	if (read_file("/proc/self/io", &io, NULL) == 0) {
		(void)kv_find_ll(io, "read_bytes", &s->io_rd);
		(void)kv_find_ll(io, "write_bytes", &s->io_wr);
	}
	free(io);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		s->majflt = ru.ru_majflt;
		s->minflt = ru.ru_minflt;
	}
}

static json_t *diff_or_null(long long a, long long b)
{
	return a < 0 || b < 0 ? json_null() : json_integer(b - a);
}

static json_t *pass_json(const struct pc_sample *a, const struct pc_sample *b, uint64_t bytes)
{
	double s = b->t - a->t;
	return json_pack("{s:I, s:f, s:f, s:o, s:o, s:o, s:o}", "bytes", (json_int_t)bytes, "seconds", s, "mb_per_s",
			 s > 0 ? (double)bytes / 1048576.0 / s : 0.0, "io_read_bytes", diff_or_null(a->io_rd, b->io_rd),
			 "io_write_bytes", diff_or_null(a->io_wr, b->io_wr), "major_faults",
			 diff_or_null(a->majflt, b->majflt), "minor_faults", diff_or_null(a->minflt, b->minflt));
}

static int fail(struct pc_run *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pc_run *r, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = err ? err : EIO;
	return -r->err;
}

/* pread/pwrite all of len (a short transfer is continued; end of file is an error) */
static int full_io(int fd, char *buf, size_t len, uint64_t off, bool wr)
{
	size_t done = 0;
	while (done < len) {
		ssize_t k = wr ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
			       : pread(fd, buf + done, len - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ENODATA;
		done += (size_t)k;
	}
	return 0;
}

/* The directory must be on a disk filesystem: on tmpfs the "cache" would be shared
 * memory that can only be swapped (that is the shm workload). Only the last component
 * is made, so only it is removed again. */
static int prepare_dir(struct pc_run *r)
{
	const char *dir = r->c->dir;
	if (mkdir(dir, 0755) == 0)
		r->dir_created = true;
	else if (errno != EEXIST)
		return fail(r, errno, "cannot make directory %s: %s", dir, strerror(errno));
	struct statfs fs;
	if (statfs(dir, &fs) < 0)
		return fail(r, errno, "statfs %s: %s", dir, strerror(errno));
	if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)
		return fail(r, EINVAL,
			    "%s is on tmpfs/ramfs: its pages are shared memory, not page cache (use the shm workload, "
			    "or a --dir on a disk filesystem)",
			    dir);
	return 0;
}

/* Write the file with non-zero data (not fallocate: unwritten extents read back as
 * zeros without any I/O), fdatasync and drop what was written every 8 MiB, so
 * creating neither leaves the cache warm nor needs more than a few MiB of the cgroup. */
static int fill_file(struct pc_run *r, struct pc_file *f)
{
	uint64_t size = r->c->size, done = 0, synced = 0;
	while (done < size && !wl_stop) {
		size_t len = (size_t)(size - done < r->c->block ? size - done : r->c->block);
		int e = full_io(f->fd, r->buf, len, done, true);
		if (e < 0)
			return fail(r, -e, "writing %s: %s", f->path, strerror(-e));
		done += len;
		r->created_bytes += len;
		if (done - synced >= CREATE_SYNC_BYTES || done == size) {
			if (fdatasync(f->fd) < 0)
				return fail(r, errno, "fdatasync %s: %s", f->path, strerror(errno));
			(void)posix_fadvise(f->fd, (off_t)synced, (off_t)(done - synced), POSIX_FADV_DONTNEED);
			synced = done;
		}
		if (wl_progress_due(r->ctx))
			wl_report(r->ctx, "progress",
				  json_pack("{s:s, s:I}", "phase", "create", "created_bytes", (json_int_t)r->created_bytes));
	}
	return 0;
}

static int create_file(struct pc_run *r, struct pc_file *f)
{
	f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (f->fd < 0)
		return fail(r, errno, "cannot create %s: %s", f->path, strerror(errno));
	f->created = f->named = true;
	if (!r->c->keep && unlink(f->path) == 0)
		f->named = false; /* from now on only the descriptor holds it */
	int e = fill_file(r, f);
	if ((e < 0 || wl_stop) && f->named && unlink(f->path) == 0)
		f->named = false; /* never keep a half-made file */
	if (e == 0 && !wl_stop)
		r->created_files++;
	return e;
}

/* Open the files that exist (they must have --size bytes: they are not ours to
 * change), check the space for the missing ones, create those. */
static int open_files(struct pc_run *r)
{
	const struct pagecache_cfg *c = r->c;
	uint64_t missing = 0;
	for (uint64_t i = 0; i < c->count; i++) {
		struct pc_file *f = &r->f[i];
		f->path = xasprintf("%s/pagecache-%llu.data", c->dir, (unsigned long long)i);
		f->fd = open(f->path, (c->write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (f->fd < 0 && errno == ENOENT) {
			missing++;
			continue;
		}
		struct stat st;
		if (f->fd < 0 || fstat(f->fd, &st) < 0)
			return fail(r, errno, "cannot open %s: %s", f->path, strerror(errno));
		if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != c->size)
			return fail(r, EEXIST,
				    "%s exists with %lld bytes, not --size %llu: remove it or choose another --dir",
				    f->path, (long long)st.st_size, (unsigned long long)c->size);
		if (c->cold) {
			(void)fsync(f->fd);
			(void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_DONTNEED);
		}
	}
	struct statvfs vfs;
	if (missing && statvfs(c->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < missing * c->size + DISK_RESERVE)
		return fail(r, ENOSPC, "%s: %llu bytes free, %llu files of %llu bytes need them plus 1 GiB to spare",
			    c->dir, (unsigned long long)vfs.f_bavail * vfs.f_frsize, (unsigned long long)missing,
			    (unsigned long long)c->size);
	if (missing)
		wl_report(r->ctx, "phase",
			  json_pack("{s:s, s:I, s:I}", "phase", "create", "files", (json_int_t)missing, "bytes",
				    (json_int_t)(missing * c->size)));
	double t0 = now_s();
	for (uint64_t i = 0; i < c->count && !wl_stop; i++)
		if (r->f[i].fd < 0 && create_file(r, &r->f[i]) < 0)
			return -r->err;
	r->create_s = now_s() - t0;
	/* every file in a directory this run made is ours: without --keep it is empty now */
	if (r->dir_created && !c->keep && rmdir(c->dir) == 0)
		r->dir_created = false;
	return 0;
}

/* Set up each file for the passes: O_DIRECT, the readahead hint, the mapping. */
static int setup_access(struct pc_run *r)
{
	const struct pagecache_cfg *c = r->c;
	for (uint64_t i = 0; i < c->count; i++) {
		struct pc_file *f = &r->f[i];
		if (c->direct && fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) | O_DIRECT) < 0)
			return fail(r, errno, "O_DIRECT on %s: %s", f->path, strerror(errno));
		(void)posix_fadvise(f->fd, 0, 0, fadv_hint[c->fadvise]);
		if (c->access != ACC_MMAP)
			continue;
		void *m = mmap(NULL, c->size, PROT_READ | (c->write ? PROT_WRITE : 0), MAP_SHARED, f->fd, 0);
		if (m == MAP_FAILED)
			return fail(r, errno, "mmap %s: %s", f->path, strerror(errno));
		f->map = m;
		(void)madvise(m, c->size, madv_hint[c->fadvise]);
	}
	return 0;
}

static int sync_dirty(struct pc_run *r)
{
	for (uint64_t i = 0; i < r->c->count; i++) {
		struct pc_file *f = &r->f[i];
		if (!f->dirty)
			continue;
		double t0 = now_s();
		if (fdatasync(f->fd) < 0)
			return fail(r, errno, "fdatasync %s: %s", f->path, strerror(errno));
		hist_add(&r->fsync_ns, (uint64_t)((now_s() - t0) * 1e9));
		r->fsyncs++;
		f->dirty = false;
	}
	r->since_sync = 0;
	return 0;
}

/* Drop the block just used. The kernel drops only folios wholly inside the range, and
 * readahead makes large folios (up to 2 MiB, naturally aligned) that straddle block
 * boundaries, so the range starts at the 2 MiB boundary below the block: a straddling
 * folio goes with the next block, and nothing read ahead of the block is thrown away. */
static void drop_behind(struct pc_file *f, struct blk_loc l)
{
	uint64_t start = l.off & ~(DROP_ALIGN - 1);
	if (f->map)
		(void)madvise(f->map + start, l.off + l.len - start, MADV_DONTNEED);
	(void)posix_fadvise(f->fd, (off_t)start, (off_t)(l.off + l.len - start), POSIX_FADV_DONTNEED);
}

static int do_block(struct pc_run *r, struct blk_loc l)
{
	const struct pagecache_cfg *c = r->c;
	struct pc_file *f = &r->f[l.file];
	if (c->access == ACC_MMAP) {
		if (c->write)
			memcpy(f->map + l.off, r->buf, l.len);
		else
			memcpy(r->buf, f->map + l.off, l.len);
	} else {
		int e = full_io(f->fd, r->buf, l.len, l.off, c->write);
		if (e < 0)
			return fail(r, -e, "%s %s at %llu: %s", c->write ? "writing" : "reading", f->path,
				    (unsigned long long)l.off, strerror(-e));
	}
	if (c->fadvise == ADV_DONTNEED)
		drop_behind(f, l);
	if (c->write) {
		f->dirty = true;
		r->since_sync += l.len;
		if (c->fsync_every && r->since_sync >= c->fsync_every)
			return sync_dirty(r);
	}
	return 0;
}

/* One pass over every block of every file; its measurements, or NULL on failure. */
static json_t *run_pass(struct pc_run *r, unsigned pass, uint64_t *total)
{
	const struct pagecache_cfg *c = r->c;
	uint64_t nblk = c->count * blk_per_file(c->size, c->block), bytes = 0, fsyncs0 = r->fsyncs;
	struct blk_perm perm;
	struct pc_sample a, b;
	blk_perm_init(&perm, nblk, c->seed + pass); /* a new order every pass */
	if (c->write)
		memset(r->buf, 'a' + (int)(pass % 26), c->block); /* new contents: every page is dirtied */
	wl_report(r->ctx, "phase", json_pack("{s:s, s:i}", "phase", "pass", "pass", (int)pass));
	sample(&a);
	uint64_t g;
	for (g = 0; g < nblk && !wl_stop; g++) {
		struct blk_loc l = blk_locate(c->pattern == PAT_RANDOM ? blk_perm_next(&perm) : g, c->size, c->block);
		if (do_block(r, l) < 0)
			return NULL;
		bytes += l.len;
		*total += l.len;
		if (wl_progress_due(r->ctx)) {
			double s = now_s() - a.t;
			wl_report(r->ctx, "progress",
				  json_pack("{s:s, s:i, s:I, s:I, s:f}", "phase", "pass", "pass", (int)pass, "pass_bytes", (json_int_t)bytes,
					    "bytes", (json_int_t)*total, "mb_per_s",
					    s > 0 ? (double)bytes / 1048576.0 / s : 0.0));
		}
	}
	if (c->write && c->fsync_every && sync_dirty(r) < 0)
		return NULL;
	sample(&b);
	json_t *j = pass_json(&a, &b, bytes);
	json_object_set_new(j, "pass", json_integer(pass));
	if (g < nblk)
		json_object_set_new(j, "partial", json_true()); /* stopped in the middle */
	if (c->write)
		json_object_set_new(j, "fsyncs", json_integer((json_int_t)(r->fsyncs - fsyncs0)));
	return j;
}

static int pagecache_check(const void *vcfg, struct wl_problems *p)
{
	const struct pagecache_cfg *c = vcfg;
	size_t n0 = p->n;
	if (c->direct && c->access == ACC_MMAP)
		wl_problem(p, WL_OPTS("direct", "access"),
			   "--direct and --access=mmap exclude each other (a mapping always goes through the page cache)");
	if (c->direct && c->size % DIO_ALIGN)
		wl_problem(p, WL_OPTS("size", "direct"), "--direct needs --size and --block to be multiples of 4 KiB");
	if (c->direct && c->block % DIO_ALIGN)
		wl_problem(p, WL_OPTS("block", "direct"), "--direct needs --size and --block to be multiples of 4 KiB");
	if (c->fsync_every && !c->write)
		wl_problem(p, WL_OPTS("fsync-every", "write"), "--fsync-every applies only with --write=yes");
	return p->n > n0 ? -EINVAL : 0;
}

/* The passes the final report lists: the first PASSES_HEAD and the last PASSES_TAIL,
 * so that it stays one report line (the harness takes lines up to 64 KiB; a pass is
 * about 200 bytes, and --passes goes to 1000). The totals count every pass. */
enum { PASSES_HEAD = 32, PASSES_TAIL = 32 };
struct pass_log {
	json_t *list;        /* the listed passes, in order */
	unsigned done;       /* passes measured */
	double secs;
	long long rd, majf;
};

static void pass_log_add(struct pass_log *pl, json_t *pj)
{
	pl->done++;
	pl->secs += json_real_value(json_object_get(pj, "seconds"));
	pl->rd += json_integer_value(json_object_get(pj, "io_read_bytes"));
	pl->majf += json_integer_value(json_object_get(pj, "major_faults"));
	json_array_append_new(pl->list, pj);
	if (json_array_size(pl->list) > PASSES_HEAD + PASSES_TAIL)
		json_array_remove(pl->list, PASSES_HEAD); /* the oldest of the tail */
}

static json_t *final_json(struct pc_run *r, const char *status, struct pass_log *pl, uint64_t bytes)
{
	const struct pagecache_cfg *c = r->c;
	uint64_t psz = (uint64_t)sysconf(_SC_PAGESIZE), res = 0;
	size_t listed = json_array_size(pl->list), i;
	json_t *resident = json_null();
	/* counted before the files are closed (and, if they were unlinked, freed) */
	for (i = 0; r->ready && i < c->count; i++) {
		uint64_t n = 0;
		if (file_resident_pages(r->f[i].fd, c->size, &n) < 0)
			break;
		res += n;
	}
	if (r->ready && i == c->count)
		resident = json_integer((json_int_t)res);
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:i, s:I, s:f, s:I, s:I, s:o, s:I, s:o, s:b}", "status",
			      status, "mode", c->write ? "write" : "read", "files", (json_int_t)c->count, "file_bytes",
			      (json_int_t)c->size, "created_files", (json_int_t)r->created_files, "create_seconds",
			      r->create_s, "passes_done", (int)pl->done, "bytes", (json_int_t)bytes,
			      "mb_per_s", pl->secs > 0 ? (double)bytes / 1048576.0 / pl->secs : 0.0, "io_read_bytes",
			      (json_int_t)pl->rd, "major_faults", (json_int_t)pl->majf, "passes", pl->list, "file_pages",
			      (json_int_t)(c->count * ((c->size + psz - 1) / psz)), "resident_pages", resident, "kept",
			      c->keep);
	json_object_set_new(j, "passes_omitted", json_integer((json_int_t)(pl->done - listed)));
	if (json_is_integer(resident))
		json_object_set_new(j, "resident_bytes", json_integer((json_int_t)(res * psz)));
	if (c->write)
		json_object_set_new(j, "fsync", hist_json(&r->fsync_ns));
	if (r->err) {
		json_object_set_new(j, "errno", json_string(strerrorname_np(r->err)));
		json_object_set_new(j, "error", json_string(r->msg));
	}
	return j;
}

static void release(struct pc_run *r)
{
	for (uint64_t i = 0; r->f && i < r->c->count; i++) {
		struct pc_file *f = &r->f[i];
		if (f->map)
			munmap(f->map, r->c->size);
		if (f->fd >= 0)
			close(f->fd);
		free(f->path);
	}
	/* a directory this run made is removed if it is empty (an error, a stop) */
	if (r->dir_created)
		(void)rmdir(r->c->dir);
	free(r->f);
	free(r->buf);
}

static const char *const status_of[] = {
	[WL_EXIT_OK] = "done", [WL_EXIT_ERROR] = "error", [WL_EXIT_USAGE] = "error", [WL_EXIT_ENOMEM] = "enomem",
};

static json_t *hold_progress(void *arg)
{
	(void)arg;
	return json_pack("{s:s}", "phase", "hold");
}

/* Runs a configuration pagecache_check accepted (the shared main checks first). */
static int pagecache_run(void *vcfg, struct wl_ctx *ctx)
{
	struct pagecache_cfg *c = vcfg;
	struct pc_run r = { .c = c, .ctx = ctx };
	struct pass_log pl = { .list = json_array() };
	uint64_t bytes = 0;
	const char *status;
	int rc = WL_EXIT_OK;

	wl_report(ctx, "start",
		  json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:b, s:s, s:I}", "pid", (int)getpid(), "mode",
			    c->write ? "write" : "read", "dir", c->dir, "files", (json_int_t)c->count, "size",
			    (json_int_t)c->size, "block", (json_int_t)c->block, "pattern", pattern_names[c->pattern],
			    "access", access_names[c->access], "direct", c->direct, "fadvise",
			    fadvise_names[c->fadvise], "passes", (json_int_t)c->passes));
	r.f = xcalloc(c->count, sizeof(*r.f));
	for (uint64_t i = 0; i < c->count; i++)
		r.f[i].fd = -1;
	if (posix_memalign((void **)&r.buf, DIO_ALIGN, c->block) != 0) {
		r.buf = NULL;
		snprintf(r.msg, sizeof(r.msg), "cannot allocate a %llu-byte buffer", (unsigned long long)c->block);
		r.err = ENOMEM;
		rc = WL_EXIT_ENOMEM;
		goto out;
	}
	for (uint64_t i = 0; i < c->block; i++)
		r.buf[i] = (char)(0x5a ^ (i * 131)); /* not zeros: every byte of a new file is written */
	if (prepare_dir(&r) < 0 || open_files(&r) < 0 || (!wl_stop && setup_access(&r) < 0)) {
		rc = WL_EXIT_ERROR;
		goto out;
	}
	r.ready = !wl_stop;
	for (unsigned p = 1; p <= c->passes && !wl_stop; p++) {
		json_t *pj = run_pass(&r, p, &bytes);
		if (!pj) {
			rc = WL_EXIT_ERROR;
			break;
		}
		pass_log_add(&pl, pj);
	}
	if (rc == WL_EXIT_OK && c->hold && !wl_stop) {
		wl_report(ctx, "phase", json_pack("{s:s}", "phase", "hold"));
		wl_hold(ctx, c->hold, hold_progress, &r);
	}
out:
	status = rc == WL_EXIT_OK && wl_stop ? "stopped" : status_of[rc];
	if (r.err)
		fprintf(stderr, "pagecache: %s\n", r.msg);
	wl_report(ctx, "final", final_json(&r, status, &pl, bytes));
	release(&r);
	return rc;
}

static uint64_t pagecache_disk_bytes(const void *cfg)
{
	const struct pagecache_cfg *c = cfg;
	return c->size * c->count + DISK_RESERVE; /* what setup checks is free */
}

const struct workload wl_pagecache = {
	.name = "pagecache",
	.summary = "Create files on disk, then read (or overwrite) them through the page cache, O_DIRECT or a "
		   "mapping, reporting MB/s, storage reads and faults per pass and the pages left cached.",
	.cfg_size = sizeof(struct pagecache_cfg),
	.opts = pagecache_opts,
	.check = pagecache_check,
	.run = pagecache_run,
	.disk_bytes = pagecache_disk_bytes,
};
