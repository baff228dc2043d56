/* test_wl_shm.c - the shm workload: its option table, and small in-process fills of
 * each backing: RssShmem shows the pages, and nothing is left behind (no file in
 * /dev/shm, no System V segment). A tmpfs of 1 MiB mounted for the test shows what a
 * full tmpfs does to a writer through a mapping: SIGBUS, reported as ENOSPC. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <cmocka.h>

#include "wltest.h"
#include "../../harness/core/units.h"

extern const struct workload wl_shm;
#define W (&wl_shm)
#define MiB (1LL << 20)

static void test_defaults_and_ranges(void **state)
{
	(void)state;
	void *c = wlt_cfg(W, 0, NULL);
	assert_int_equal(WLT_FIELD(W, c, "size", uint64_t), 0); /* required: no default */
	assert_int_equal(WLT_FIELD(W, c, "backing", int), 0);   /* tmpfs */
	assert_string_equal(WLT_FIELD(W, c, "dir", char *), "/dev/shm");
	assert_true(WLT_FIELD(W, c, "hold", uint64_t) == DURATION_FOREVER);
	assert_true(opt_find(W->opts, "size")->required);
	wlt_free(W, c);
	assert_int_equal(wlt_set(W, "size", "1k", 0), -ERANGE);
	assert_int_equal(wlt_set(W, "size", "50%", 0), -EDOM);
	assert_int_equal(wlt_set(W, "backing", "hugetlb", 0), -EINVAL);
	assert_int_equal(wlt_set(W, "hold", "soon", 0), -EINVAL);
	static const char *const sets[] = { "size=50%", "backing=sysv", "hold=2s", NULL };
	c = wlt_cfg(W, 128 * MiB, sets);
	assert_int_equal(WLT_FIELD(W, c, "size", uint64_t), 64 * MiB);
	assert_int_equal(WLT_FIELD(W, c, "backing", int), 2);
	assert_int_equal(WLT_FIELD(W, c, "hold", uint64_t), 2000);
	wlt_free(W, c);
}

/* System V segments on the machine (lines of /proc/sysvipc/shm below its header) */
static int sysv_segments(void)
{
	char *text = NULL;
	int n = -1;
	if (read_file("/proc/sysvipc/shm", &text, NULL) < 0)
		return -1;
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	free(text);
	return n;
}

static void test_fill_each_backing(void **state)
{
	(void)state;
	static const char *const backings[] = { "backing=tmpfs", "backing=memfd", "backing=sysv" };
	for (size_t i = 0; i < 3; i++) {
		const char *sets[] = { "size=4M", "hold=0", backings[i], NULL };
		void *c = wlt_cfg(W, 0, sets);
		int segments = sysv_segments();
		int rc;
		json_t *f = wlt_run(W, c, &rc);
		assert_int_equal(rc, WL_EXIT_OK);
		assert_string_equal(json_string_value(json_object_get(f, "status")), "done");
		assert_string_equal(json_string_value(json_object_get(f, "backing")), backings[i] + 8);
		assert_int_equal(wlt_num(f, "bytes"), 4 * MiB);
		/* every page is shmem in this process (RssShmem is exact to a per-CPU batch) */
		long long rss = wlt_num(f, "rss_shmem_bytes");
		if (rss < 4 * MiB - 256 * 1024 || rss > 4 * MiB + 256 * 1024)
			fail_msg("%s: RssShmem %lld bytes after filling 4 MiB", backings[i], rss);
		assert_int_equal(wlt_num(f, "swap_bytes"), 0);
		json_decref(f);
		wlt_free(W, c);
		/* nothing is left: no tmpfs file, no segment */
		char *path = xasprintf("/dev/shm/mph-shm-%d", (int)getpid());
		assert_int_not_equal(access(path, F_OK), 0);
		free(path);
		assert_int_equal(sysv_segments(), segments);
	}
}

static void test_not_tmpfs(void **state)
{
	(void)state;
	static const char *const sets[] = { "size=1M", "hold=0", "dir=/var/tmp", NULL };
	void *c = wlt_cfg(W, 0, sets);
	int rc;
	json_t *f = wlt_run(W, c, &rc);
	assert_int_equal(rc, WL_EXIT_ERROR);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "error");
	assert_non_null(strstr(json_string_value(json_object_get(f, "error")), "not a tmpfs"));
	json_decref(f);
	wlt_free(W, c);
}

static void test_full_tmpfs_sigbus(void **state)
{
	(void)state;
	char dir[] = "/tmp/mph-unit-shm-XXXXXX";
	assert_non_null(mkdtemp(dir));
	if (mount("mph-unit", dir, "tmpfs", 0, "size=1m") < 0) {
		rmdir(dir);
		skip(); /* not root */
	}
	char *d = xasprintf("dir=%s", dir);
	const char *sets[] = { "size=4M", "hold=0", d, NULL };
	void *c = wlt_cfg(W, 0, sets);
	int rc;
	json_t *f = wlt_run(W, c, &rc);
	(void)umount2(dir, MNT_DETACH);
	rmdir(dir);
	assert_int_equal(rc, WL_EXIT_ENOMEM);
	assert_string_equal(json_string_value(json_object_get(f, "status")), "enomem");
	assert_string_equal(json_string_value(json_object_get(f, "errno")), "ENOSPC");
	assert_string_equal(json_string_value(json_object_get(f, "signal")), "SIGBUS");
	assert_int_equal(wlt_num(f, "bytes"), MiB); /* filled up to the tmpfs's size */
	json_decref(f);
	wlt_free(W, c);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_ranges),
		cmocka_unit_test(test_fill_each_backing),
		cmocka_unit_test(test_not_tmpfs),
		cmocka_unit_test(test_full_tmpfs_sigbus),
	};
	return cmocka_run_group_tests_name("wl_shm", tests, NULL, NULL);
}
