/* shm.c - a shared-memory filler. Fills --size bytes of tmpfs (a file in --dir,
 * /dev/shm by default), of a memfd, or of a System V shared memory segment, writing
 * every page through a shared mapping, then holds them for --hold.
 *
 * What it shows: shared memory (shmem) pages have no file on disk to be written back
 * to, so reclaim cannot drop them as it drops page cache; they can leave RAM only by
 * being swapped out. In a memory cgroup below --size without swap the filler is
 * OOM-killed (the kernel log shows its shmem-rss); with swap it survives and its pages
 * go to swap. The cgroup sees these pages as memory.stat "shmem" (and "cache").
 *
 * Whatever it makes is already marked for removal when it is filled (the tmpfs file is
 * unlinked right after it is opened, the segment gets IPC_RMID right after shmat, a
 * memfd has no name): only the mapping holds the memory, so an OOM kill frees it and
 * nothing is left behind. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/statfs.h>
#include <unistd.h>

enum { BK_TMPFS, BK_MEMFD, BK_SYSV };
static const char *const backing_names[] = { "tmpfs", "memfd", "sysv", NULL };

struct shm_cfg {
	uint64_t size, hold;
	char *dir;
	int backing;
};

static const struct opt shm_opts[] = {
	{ "size", OPT_SIZE_PCT, offsetof(struct shm_cfg, size), NULL, 4096, 0, NULL,
	  "shared memory to fill (every page written)", true },
	{ "backing", OPT_ENUM, offsetof(struct shm_cfg, backing), "tmpfs", 0, 0, backing_names,
	  "tmpfs: a file in --dir; memfd: memfd_create; sysv: shmget/shmat", false },
	{ "dir", OPT_STRING, offsetof(struct shm_cfg, dir), "/dev/shm", 0, 0, NULL,
	  "tmpfs directory for backing=tmpfs", false },
	{ "hold", OPT_DURATION, offsetof(struct shm_cfg, hold), "forever", 0, 0, NULL,
	  "how long to keep the memory after filling it (forever: until SIGTERM)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

/* A full tmpfs answers a write fault with SIGBUS; the fill catches it. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_bus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A tmpfs or memfd file of the size, already without a name, mapped shared. */
static void *map_file(const struct shm_cfg *c, char *msg, size_t len, int *err)
{
	int fd = -1, e = 0;
	void *p = NULL;
	struct statfs fs;
	if (c->backing == BK_MEMFD) {
		fd = memfd_create("mph-shm", MFD_CLOEXEC);
		if (fd < 0) {
			e = errno;
			snprintf(msg, len, "memfd_create: %s", strerror(e));
			goto out;
		}
	} else {
		if (statfs(c->dir, &fs) < 0 || fs.f_type != TMPFS_MAGIC) {
			e = fs.f_type != TMPFS_MAGIC ? EINVAL : errno;
			snprintf(msg, len, "%s is not a tmpfs mount (%s)", c->dir, strerror(e));
			goto out;
		}
		char *path = xasprintf("%s/mph-shm-%d", c->dir, (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			e = errno;
			snprintf(msg, len, "cannot create %s: %s", path, strerror(e));
		} else {
			(void)unlink(path); /* the mapping keeps it: nothing is left after any end */
		}
		free(path);
		if (fd < 0)
			goto out;
	}
	if (ftruncate(fd, (off_t)c->size) < 0) {
		e = errno;
		snprintf(msg, len, "ftruncate to %llu bytes: %s", (unsigned long long)c->size, strerror(e));
		goto out;
	}
	p = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		e = errno;
		p = NULL;
		snprintf(msg, len, "mmap of %llu bytes: %s", (unsigned long long)c->size, strerror(e));
	}
out:
	*err = e;
	if (fd >= 0)
		close(fd);
	return p;
}

/* A System V segment, attached, and marked for removal at once: it is destroyed when
 * the last process detaches, which an exit or a kill does. */
static void *attach_sysv(const struct shm_cfg *c, char *msg, size_t len, int *err)
{
	int id = shmget(IPC_PRIVATE, c->size, IPC_CREAT | 0600);
	if (id < 0) {
		*err = errno;
		snprintf(msg, len, "shmget of %llu bytes: %s", (unsigned long long)c->size, strerror(errno));
		return NULL;
	}
	void *p = shmat(id, NULL, 0);
	*err = p == (void *)-1 ? errno : 0;
	(void)shmctl(id, IPC_RMID, NULL);
	if (*err) {
		snprintf(msg, len, "shmat: %s", strerror(*err));
		return NULL;
	}
	return p;
}

static json_t *shm_state(uint64_t bytes)
{
	return json_pack("{s:I, s:I, s:I}", "bytes", (json_int_t)bytes, "rss_shmem_bytes",
			 (json_int_t)wl_status_bytes("RssShmem"), "swap_bytes",
			 (json_int_t)read_kb_key("/proc/self/smaps_rollup", "Swap"));
}

static volatile uint64_t filled; /* survives the siglongjmp of a SIGBUS */

static json_t *hold_progress(void *arg)
{
	(void)arg;
	return shm_state(filled);
}

/* Write one byte to every page: each write fault allocates and charges a page. 0, or
 * -ENOSPC when a full tmpfs answered with SIGBUS. Not inlined: only this frame is
 * live across sigsetjmp, and nothing in it changes after it. */
static __attribute__((noinline)) int touch_pages(char *const p, const uint64_t size, struct wl_ctx *const ctx)
{
	const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (sigsetjmp(bus_jmp, 1) != 0) {
		bus_armed = 0;
		return -ENOSPC;
	}
	bus_armed = 1;
	for (filled = 0; filled < size && !wl_stop; filled += page) {
		p[filled] = 1;
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", shm_state(filled + page));
	}
	bus_armed = 0;
	if (filled > size)
		filled = size;
	return 0;
}

static int shm_run(void *vcfg, struct wl_ctx *ctx)
{
	struct shm_cfg *c = vcfg;
	char msg[512] = "";
	const char *status = "done";
	int err = 0, rc = WL_EXIT_OK;
	bool bus = false;
	double fill_s = 0;

	wl_report(ctx, "start", json_pack("{s:i, s:I, s:s}", "pid", (int)getpid(), "size", (json_int_t)c->size,
					  "backing", backing_names[c->backing]));
	char *p = c->backing == BK_SYSV ? attach_sysv(c, msg, sizeof(msg), &err) : map_file(c, msg, sizeof(msg), &err);
	if (!p) {
		bool nomem = err == ENOMEM || err == ENOSPC;
		rc = nomem ? WL_EXIT_ENOMEM : WL_EXIT_ERROR;
		status = nomem ? "enomem" : "error";
		goto out;
	}
	struct sigaction sa = { .sa_handler = on_bus };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	wl_report(ctx, "phase", json_pack("{s:s}", "phase", "fill"));
	double t0 = now_s();
	if (touch_pages(p, c->size, ctx) < 0) {
		bus = true;
		err = ENOSPC;
		rc = WL_EXIT_ENOMEM;
		status = "enomem";
		snprintf(msg, sizeof(msg), "SIGBUS writing at %llu bytes: the tmpfs is full",
			 (unsigned long long)filled);
	}
	fill_s = now_s() - t0;
	if (!bus && !wl_stop) {
		wl_report(ctx, "phase", json_pack("{s:s, s:I}", "phase", "hold", "bytes", (json_int_t)filled));
		wl_hold(ctx, c->hold, hold_progress, NULL);
	}
out:
	if (rc == WL_EXIT_OK && wl_stop)
		status = "stopped";
	json_t *fin = shm_state(filled);
	json_object_set_new(fin, "status", json_string(status));
	json_object_set_new(fin, "backing", json_string(backing_names[c->backing]));
	json_object_set_new(fin, "fill_seconds", json_real(fill_s));
	json_object_set_new(fin, "fill_mb_per_s",
			    json_real(fill_s > 0 ? (double)filled / 1048576.0 / fill_s : 0.0));
	if (err) {
		json_object_set_new(fin, "errno", json_string(strerrorname_np(err)));
		json_object_set_new(fin, "error", json_string(msg));
		if (bus)
			json_object_set_new(fin, "signal", json_string("SIGBUS"));
		fprintf(stderr, "shm: %s\n", msg);
	}
	wl_report(ctx, "final", fin);
	if (p)
		(void)(c->backing == BK_SYSV ? shmdt(p) : munmap(p, c->size));
	return rc;
}

const struct workload wl_shm = {
	.name = "shm",
	.summary = "Fill tmpfs, a memfd or System V shared memory to a given size and hold it: memory that "
		   "only swap can take out of RAM.",
	.cfg_size = sizeof(struct shm_cfg),
	.opts = shm_opts,
	.run = shm_run,
};
