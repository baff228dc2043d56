/* test_wl_pagecache.c - the pagecache workload: its option table, the random block
 * order (a permutation in constant memory), where a block lies, the resident-page
 * count against the kernel, and small in-process runs for what it creates, keeps and
 * removes. The runs use 1 MiB files in a directory under /var/tmp (a disk
 * filesystem: posix_fadvise cannot drop tmpfs pages), removed by the teardown. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <cmocka.h>

#include "wltest.h"
#include "../../workloads/pagecache.h"

extern const struct workload wl_pagecache;
#define W (&wl_pagecache)
#define MiB (1ULL << 20)

static char tdir[64];

static int dir_setup(void **state)
{
	(void)state;
	strcpy(tdir, "/var/tmp/mph-unit-XXXXXX");
	if (!mkdtemp(tdir))
		return -1;
	struct statfs fs;
	if (statfs(tdir, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
		skip(); /* page cache behaviour needs a disk filesystem */
	return 0;
}

static int dir_teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tdir);
	int r = system(cmd);
	free(cmd);
	return r == 0 ? 0 : -1;
}

static void test_defaults(void **state)
{
	(void)state;
	void *c = wlt_cfg(W, 0, NULL);
	assert_int_equal(WLT_FIELD(W, c, "size", uint64_t), 64 * MiB);
	assert_int_equal(WLT_FIELD(W, c, "count", uint64_t), 1);
	assert_int_equal(WLT_FIELD(W, c, "block", uint64_t), MiB);
	assert_int_equal(WLT_FIELD(W, c, "passes", uint64_t), 1);
	assert_int_equal(WLT_FIELD(W, c, "fsync-every", uint64_t), 0);
	assert_int_equal(WLT_FIELD(W, c, "seed", uint64_t), 1);
	assert_string_equal(WLT_FIELD(W, c, "dir", char *), "/var/tmp/mph-pagecache");
	assert_int_equal(WLT_FIELD(W, c, "pattern", int), 0);  /* seq */
	assert_int_equal(WLT_FIELD(W, c, "access", int), 0);   /* read */
	assert_int_equal(WLT_FIELD(W, c, "fadvise", int), 0);  /* normal */
	assert_false(WLT_FIELD(W, c, "direct", bool));
	assert_false(WLT_FIELD(W, c, "write", bool));
	assert_true(WLT_FIELD(W, c, "cold", bool));
	assert_false(WLT_FIELD(W, c, "keep", bool));
	wlt_free(W, c);
}

static void test_ranges(void **state)
{
	(void)state;
	assert_int_equal(wlt_set(W, "count", "0", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "count", "1024", 0), 0);
	assert_int_equal(wlt_set(W, "count", "1025", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "block", "2k", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "block", "64M", 0), 0);
	assert_int_equal(wlt_set(W, "block", "65M", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "passes", "0", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "passes", "1001", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "size", "2048", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "size", "50%", 0), -EDOM);
	assert_int_equal(wlt_set(W, "pattern", "sideways", 0), -EINVAL);
	assert_int_equal(wlt_set(W, "fadvise", "willneed", 0), -EINVAL);
	assert_int_equal(wlt_set(W, "access", "aio", 0), -EINVAL);
	assert_int_equal(wlt_set(W, "direct", "maybe", 0), -EINVAL);
	static const char *const sets[] = { "size=300%", "pattern=random", "fadvise=dontneed", "access=mmap",
					    "fsync-every=16M", "keep=yes", NULL };
	void *c = wlt_cfg(W, 64 * MiB, sets);
	assert_int_equal(WLT_FIELD(W, c, "size", uint64_t), 192 * MiB);
	assert_int_equal(WLT_FIELD(W, c, "pattern", int), 1);
	assert_int_equal(WLT_FIELD(W, c, "fadvise", int), 3);
	assert_int_equal(WLT_FIELD(W, c, "access", int), 1);
	assert_int_equal(WLT_FIELD(W, c, "fsync-every", uint64_t), 16 * MiB);
	assert_true(WLT_FIELD(W, c, "keep", bool));
	wlt_free(W, c);
}

static void test_perm_is_permutation(void **state)
{
	(void)state;
	static const uint64_t ns[] = { 1, 2, 3, 5, 64, 1000, 4097 };
	static const uint64_t seeds[] = { 0, 1, 7, 12345 };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
			uint64_t n = ns[i];
			unsigned char *seen = xcalloc(n, 1);
			uint64_t *first = xcalloc(n, sizeof(*first));
			struct blk_perm p;
			blk_perm_init(&p, n, seeds[s]);
			for (uint64_t k = 0; k < n; k++) {
				uint64_t v = blk_perm_next(&p);
				assert_true(v < n);
				if (seen[v])
					fail_msg("n=%llu seed=%llu: %llu came twice", (unsigned long long)n,
						 (unsigned long long)seeds[s], (unsigned long long)v);
				seen[v] = 1;
				first[k] = v;
			}
			for (uint64_t k = 0; k < n; k++) /* the next n give the same order again */
				assert_int_equal(blk_perm_next(&p), first[k]);
			free(seen);
			free(first);
		}
	}
}

static void test_perm_is_shuffled(void **state)
{
	(void)state;
	/* 1000 blocks: few stay in place, and two seeds give two different orders */
	struct blk_perm a, b;
	blk_perm_init(&a, 1000, 1);
	blk_perm_init(&b, 1000, 2);
	unsigned fixed = 0, same = 0, ascending = 0;
	uint64_t prev = 0;
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t va = blk_perm_next(&a), vb = blk_perm_next(&b);
		fixed += va == k;
		same += va == vb;
		ascending += k && va == prev + 1;
		prev = va;
	}
	assert_true(fixed < 20);
	assert_true(same < 20);
	assert_true(ascending < 20);
}

static void test_locate(void **state)
{
	(void)state;
	assert_int_equal(blk_per_file(10000, 4096), 3);
	assert_int_equal(blk_per_file(8192, 4096), 2);
	static const struct {
		uint64_t g, file, off, len;
	} want[] = { { 0, 0, 0, 4096 }, { 2, 0, 8192, 1808 }, { 3, 1, 0, 4096 }, { 5, 1, 8192, 1808 } };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct blk_loc l = blk_locate(want[i].g, 10000, 4096);
		assert_int_equal(l.file, want[i].file);
		assert_int_equal(l.off, want[i].off);
		assert_int_equal(l.len, want[i].len);
	}
}

static void test_resident_pages(void **state)
{
	(void)state;
	char *path = xasprintf("%s/f", tdir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	char *buf = xcalloc(1, MiB);
	memset(buf, 'x', MiB);
	assert_int_equal(pwrite(fd, buf, MiB, 0), (ssize_t)MiB);
	uint64_t pages = 99;
	assert_int_equal(file_resident_pages(fd, MiB, &pages), 0);
	assert_int_equal(pages, MiB / 4096); /* just written: all cached (dirty) */
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	assert_int_equal(file_resident_pages(fd, MiB, &pages), 0);
	assert_int_equal(pages, 0);
	assert_int_equal(pread(fd, buf, MiB / 2, 0), (ssize_t)(MiB / 2));
	assert_int_equal(file_resident_pages(fd, MiB, &pages), 0);
	assert_true(pages >= MiB / 2 / 4096); /* what was read, and maybe what was read ahead */
	close(fd);
	unlink(path);
	free(buf);
	free(path);
}

/* run with dir=<tdir>/<sub> and the settings; the final record, the exit code in *rc */
static json_t *run_in(const char *sub, int *rc, const char *const *sets)
{
	const char *all[16] = { NULL };
	char *dir = xasprintf("dir=%s/%s", tdir, sub);
	size_t n = 0;
	all[n++] = dir;
	for (size_t i = 0; sets[i] && n < 15; i++)
		all[n++] = sets[i];
	void *c = wlt_cfg(W, 0, all);
	json_t *fin = wlt_run(W, c, rc);
	wlt_free(W, c);
	free(dir);
	return fin;
}

static bool exists(const char *sub)
{
	char *p = xasprintf("%s/%s", tdir, sub);
	bool e = access(p, F_OK) == 0;
	free(p);
	return e;
}

static void test_run_removes_what_it_made(void **state)
{
	(void)state;
	static const char *const sets[] = { "size=1M", "count=2", "passes=2", NULL };
	int rc;
	json_t *f = run_in("pc", &rc, sets);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "done");
	assert_int_equal(wlt_num(f, "created_files"), 2);
	assert_int_equal(wlt_num(f, "passes_done"), 2);
	assert_int_equal(wlt_num(f, "bytes"), 4 * MiB);
	/* files smaller than memory stay cached after reading; the first pass read them
	 * from storage (creating dropped them), the second from the cache */
	assert_int_equal(wlt_num(f, "resident_pages"), wlt_num(f, "file_pages"));
	json_t *p = json_object_get(f, "passes");
	assert_int_equal(wlt_num(json_array_get(p, 0), "io_read_bytes"), 2 * MiB);
	assert_int_equal(wlt_num(json_array_get(p, 1), "io_read_bytes"), 0);
	assert_false(exists("pc")); /* the directory it made is gone with the files */
	json_decref(f);
}

/* Many passes: the final report lists the first 32 and the last 32, counts the rest,
 * and its totals still cover every pass - so it stays within the harness's 64 KiB
 * report line (with every pass listed, 1000 passes made it about 200 KiB). */
static void test_run_many_passes(void **state)
{
	(void)state;
	static const char *const sets[] = { "size=64k", "block=64k", "passes=300", NULL };
	int rc;
	json_t *f = run_in("pc", &rc, sets);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_int_equal(wlt_num(f, "passes_done"), 300);
	assert_int_equal(wlt_num(f, "passes_omitted"), 300 - 64);
	assert_int_equal(wlt_num(f, "bytes"), 300 * 64 * 1024);
	json_t *p = json_object_get(f, "passes");
	assert_int_equal(json_array_size(p), 64);
	assert_int_equal(wlt_num(json_array_get(p, 0), "pass"), 1);
	assert_int_equal(wlt_num(json_array_get(p, 31), "pass"), 32);
	assert_int_equal(wlt_num(json_array_get(p, 32), "pass"), 300 - 31);
	assert_int_equal(wlt_num(json_array_get(p, 63), "pass"), 300);
	/* the first pass read the file from storage (creating it dropped it); the total
	 * is that pass's, counted although later passes are listed instead of it */
	assert_int_equal(wlt_num(f, "io_read_bytes"), wlt_num(json_array_get(p, 0), "io_read_bytes"));
	char *line = json_dumps(f, JSON_COMPACT);
	assert_non_null(line);
	assert_true(strlen(line) < 64 * 1024);
	free(line);
	json_decref(f);
}

static void test_run_keep_and_existing(void **state)
{
	(void)state;
	static const char *const keep[] = { "size=1M", "keep=yes", NULL };
	static const char *const again[] = { "size=1M", NULL };
	static const char *const other[] = { "size=2M", NULL };
	int rc;
	json_t *f = run_in("pc", &rc, keep);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_int_equal(wlt_num(f, "created_files"), 1);
	json_decref(f);
	assert_true(exists("pc/pagecache-0.data"));
	/* a second run uses the file it finds, cold (its pages dropped first), and leaves it */
	f = run_in("pc", &rc, again);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_int_equal(wlt_num(f, "created_files"), 0);
	assert_int_equal(wlt_num(json_array_get(json_object_get(f, "passes"), 0), "io_read_bytes"), MiB);
	json_decref(f);
	assert_true(exists("pc/pagecache-0.data"));
	/* one of another size is not its to change */
	f = run_in("pc", &rc, other);
	assert_int_equal(rc, WL_EXIT_ERROR);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(f, "errno")), "EEXIST");
	assert_true(json_is_null(json_object_get(f, "resident_pages")));
	json_decref(f);
	struct stat st;
	char *path = xasprintf("%s/pc/pagecache-0.data", tdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, MiB);
	free(path);
}

static void test_run_direct_and_dontneed(void **state)
{
	(void)state;
	static const char *const direct[] = { "size=1M", "direct=yes", "block=64k", NULL };
	static const char *const dontneed[] = { "size=1M", "fadvise=dontneed", "block=64k", NULL };
	int rc;
	json_t *f = run_in("d", &rc, direct);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_int_equal(wlt_num(f, "io_read_bytes"), MiB);
	assert_int_equal(wlt_num(f, "resident_pages"), 0);
	json_decref(f);
	f = run_in("n", &rc, dontneed);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_int_equal(wlt_num(f, "io_read_bytes"), MiB);
	assert_int_equal(wlt_num(f, "resident_pages"), 0);
	json_decref(f);
}

static void test_run_write(void **state)
{
	(void)state;
	static const char *const sets[] = { "size=1M", "block=64k", "write=yes", "fsync-every=256k", "passes=2", NULL };
	int rc;
	json_t *f = run_in("w", &rc, sets);
	assert_int_equal(rc, WL_EXIT_OK);
	assert_string_equal(json_string_value(json_object_get(f, "mode")), "write");
	json_t *p0 = json_array_get(json_object_get(f, "passes"), 0);
	assert_int_equal(wlt_num(p0, "fsyncs"), 4);
	assert_int_equal(wlt_num(p0, "io_write_bytes"), MiB);
	assert_int_equal(wlt_num(p0, "io_read_bytes"), 0); /* whole pages: nothing to read first */
	assert_int_equal(wlt_num(json_object_get(f, "fsync"), "count"), 8);
	json_decref(f);
}

/* The rules between options: every problem at once, each naming its options. */
static void test_check(void **state)
{
	(void)state;
	static const struct {
		const char *sets[5];
		const char *want[4];
	} cases[] = {
		{ { NULL }, { NULL } },
		{ { "direct=yes", NULL }, { NULL } }, /* 64M in 1M blocks: aligned */
		{ { "direct=yes", "access=mmap", NULL },
		  { "direct,access: --direct and --access=mmap exclude each other (a mapping always goes through the page cache)" } },
		{ { "direct=yes", "size=10000", NULL }, { "size,direct: --direct needs --size and --block to be multiples of 4 KiB" } },
		{ { "direct=yes", "block=6000", NULL }, { "block,direct: --direct needs --size and --block to be multiples of 4 KiB" } },
		{ { "size=10000", "block=6000", NULL }, { NULL } }, /* fine without O_DIRECT */
		{ { "fsync-every=1M", NULL }, { "fsync-every,write: --fsync-every applies only with --write=yes" } },
		{ { "fsync-every=1M", "write=yes", NULL }, { NULL } },
		{ { "direct=yes", "access=mmap", "size=10000", "fsync-every=1M" },
		  { "direct,access: --direct and --access=mmap exclude each other (a mapping always goes through the page cache)",
		    "size,direct: --direct needs --size and --block to be multiples of 4 KiB",
		    "fsync-every,write: --fsync-every applies only with --write=yes" } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *c = wlt_cfg(W, 0, cases[i].sets);
		wlt_check(W, c, cases[i].want);
		wlt_free(W, c);
	}
}

static void test_run_refuses(void **state)
{
	(void)state;
	/* tmpfs is refused, and the directory it made there removed */
	char *dir = xasprintf("dir=/dev/shm/mph-unit-%d", (int)getpid());
	const char *sets[] = { dir, "size=1M", NULL };
	void *c = wlt_cfg(W, 0, sets);
	int rc;
	json_t *f = wlt_run(W, c, &rc);
	assert_int_equal(rc, WL_EXIT_ERROR);
	assert_non_null(strstr(json_string_value(json_object_get(f, "error")), "tmpfs"));
	assert_int_not_equal(access(dir + 4, F_OK), 0);
	json_decref(f);
	wlt_free(W, c);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_perm_is_permutation),
		cmocka_unit_test(test_perm_is_shuffled),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_check),
		cmocka_unit_test_setup_teardown(test_resident_pages, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_removes_what_it_made, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_many_passes, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_keep_and_existing, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_direct_and_dontneed, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_write, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_run_refuses, dir_setup, dir_teardown),
	};
	return cmocka_run_group_tests_name("wl_pagecache", tests, NULL, NULL);
}
