/* test_wl_pagecache.c - integration: the pagecache workload under mph in a real
 * memory cgroup. Page cache is charged to the reader's cgroup and reclaimed there:
 * a reader (or writer) of more than memory.max is not OOM-killed, the cache it keeps
 * stays below the limit, and what was evicted is read from storage again. O_DIRECT
 * leaves no pages cached and fadvise DONTNEED almost none, where buffered reads keep
 * the whole file. The files live under /var/tmp (a disk filesystem) and are unlinked
 * by the workload as soon as it has opened them: nothing stays, which each test checks. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "wlitest.h"
#include "../../harness/core/util.h"

#define MiB (1LL << 20)

static void assert_gone(const char *dir)
{
	if (access(dir, F_OK) == 0)
		fail_msg("%s was left behind", dir);
}

/* exited by itself with status done, no OOM kill in the run */
static void assert_survived(json_t *r, json_t *w)
{
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_int_equal(itest_num(w, "exit_code"), 0);
	assert_string_equal(itest_str(w, "report_final.status"), "done");
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 0);
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
}

/* run a scenario whose one workload has more file than memory.max; it must survive */
static json_t *run_over_limit(const char *scenario, json_t **fin, long long *limit, long long *size)
{
	json_t *r = itest_run_ok(scenario), *w = itest_workload0(r);
	*fin = json_object_get(w, "report_final");
	*limit = wlit_limit(r);
	*size = itest_num(*fin, "file_bytes");
	assert_survived(r, w);
	assert_true(*size > 2 * *limit); /* the experiment: far more file than memory */
	return r;
}

static void test_reader_over_limit(void **state)
{
	(void)state;
	long long limit, size;
	json_t *fin, *r = run_over_limit("tests/scenarios/int/pagecache-over-limit.ini", &fin, &limit, &size);
	assert_int_equal(itest_num(fin, "passes_done"), 2);
	/* usage ran into the limit, and what stayed cached is less than the limit */
	assert_true(itest_num(r, "cgroup.failcnt") > 0);
	assert_true(itest_num(r, "cgroup.peak_bytes") >= limit - MiB);
	assert_true(itest_num(fin, "resident_bytes") < limit);
	/* at most a limit's worth could stay cached: the rest of pass 2 came from storage,
	 * and the kernel saw those pages come back after their eviction (refaults) */
	json_t *p2 = json_array_get(json_object_get(fin, "passes"), 1);
	assert_true(itest_num(p2, "io_read_bytes") >= size - limit);
	assert_true(itest_num(r, "cgroup.memory_stat_delta.workingset_refault_file") > 0);
	json_decref(r);
	assert_gone("/var/tmp/mph-itest-pagecache");
	itest_check_clean();
}

static void test_direct_dontneed_buffered(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/pagecache-modes.ini");
	static const char *const names[] = { "buffered", "direct", "dontneed" };
	long long resident[3], pages[3];
	for (size_t i = 0; i < 3; i++) {
		json_t *w = wlit_workload(r, names[i]), *fin = json_object_get(w, "report_final");
		assert_survived(r, w);
		/* each started cold: all of its file came from storage */
		assert_true(itest_num(fin, "io_read_bytes") >= itest_num(fin, "file_bytes"));
		resident[i] = itest_num(fin, "resident_pages");
		pages[i] = itest_num(fin, "file_pages");
		char *dir = xasprintf("/var/tmp/mph-itest-pagecache-%s", names[i]);
		assert_gone(dir);
		free(dir);
	}
	/* the cgroup had room: buffered reads keep (nearly) the whole file cached */
	assert_true(resident[0] >= pages[0] * 9 / 10);
	/* O_DIRECT leaves (almost) nothing cached, DONTNEED behind the reader very little */
	assert_true(resident[1] <= pages[1] / 100);
	assert_true(resident[2] <= pages[2] / 20);
	json_decref(r);
	itest_check_clean();
}

static void test_writer_over_limit(void **state)
{
	(void)state;
	long long limit, size;
	json_t *fin, *r = run_over_limit("tests/scenarios/int/pagecache-write.ini", &fin, &limit, &size);
	assert_string_equal(itest_str(fin, "mode"), "write");
	/* every byte was dirtied in the cache, and the cache stayed below the limit */
	json_t *p1 = json_array_get(json_object_get(fin, "passes"), 0);
	assert_true(itest_num(p1, "io_write_bytes") >= size);
	assert_true(itest_num(p1, "fsyncs") > 0);
	assert_true(itest_num(r, "cgroup.failcnt") > 0);
	assert_true(itest_num(fin, "resident_bytes") < limit);
	json_decref(r);
	assert_gone("/var/tmp/mph-itest-pagecache");
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reader_over_limit, itest_each_setup),
		cmocka_unit_test_setup(test_direct_dontneed_buffered, itest_each_setup),
		cmocka_unit_test_setup(test_writer_over_limit, itest_each_setup),
	};
	return itest_run_group("integration: pagecache", tests, itest_group_setup, itest_group_teardown);
}
