/* test_wl_alloc.c - integration: what free() gives back to the kernel, measured by
 * the alloc workload under mph (its final report in run.json) on this machine's
 * glibc. Each scenario allocates and touches 64 MiB per workload; the figures
 * compared are RSS above the workload's own baseline before it allocated. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "itest.h"

#define MiB (1024LL * 1024)

/* Workload i of the run, which must be the one named. */
static json_t *workload(json_t *r, size_t i, const char *name)
{
	json_t *w = json_array_get(json_object_get(r, "workloads"), i);
	assert_non_null(w);
	assert_string_equal(itest_str(w, "name"), name);
	return w;
}

/* RSS of a step (allocated, freed, trimmed) above the baseline before allocating. */
static long long above_base(json_t *w, const char *step)
{
	char path[64];
	snprintf(path, sizeof(path), "report_final.%s.vm_rss", step);
	return itest_num(w, path) - itest_num(w, "report_final.before.vm_rss");
}

/* It ran to the end, and its 64 MiB really became resident (else the ratios
 * below would compare noise). */
static long long allocated_ok(json_t *w)
{
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_string_equal(itest_str(w, "report_final.status"), "done");
	assert_int_equal(itest_num(w, "report_final.bytes"), 64 * MiB);
	long long a = above_base(w, "allocated");
	assert_true(a >= 60 * MiB);
	return a;
}

static void first_malloc_ok(json_t *w)
{
	/* glibc: M_TOP_PAD (128 KiB) + the request, rounded up to pages */
	long long g = itest_num(w, "report_start.first_malloc.growth_bytes");
	if (g < 128 * 1024 || g > 140 * 1024)
		fail_msg("first malloc grew the heap by %lld bytes, not 128..140 KiB", g);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(w, "report_start"), "first_malloc"),
						 "heap_was_empty")));
	assert_int_equal(itest_num(w, "report_final.first_malloc_growth_bytes"), g);
}

static void test_heap_fragmentation(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/alloc-fragment.ini");
	static const char *const names[] = { "malloc", "brk" };
	for (size_t i = 0; i < 2; i++) {
		json_t *w = workload(r, i, names[i]);
		long long alloc = allocated_ok(w), kept = above_base(w, "freed");
		assert_int_equal(itest_num(w, "report_final.freed_bytes"), 32 * MiB); /* half of it freed */
		if (kept * 10 < alloc * 9)
			fail_msg("%s: %lld of %lld bytes still resident after freeing every other chunk; expected >= 90%%",
				 names[i], kept, alloc);
		/* the top chunk stayed, so the break did not come down */
		assert_int_equal(itest_num(w, "report_final.freed.brk"), itest_num(w, "report_final.allocated.brk"));
		first_malloc_ok(w);
	}
	/* 64 KiB is below the mmap threshold: all of them came from the heap */
	assert_int_equal(itest_num(workload(r, 0, "malloc"), "report_final.mmapped_chunks"), 0);

	/* malloc_trim(0) on the same heap: the whole pages inside the 512 free holes go
	 * back (about 15/16 of the freed half); without it almost nothing does */
	json_t *plain = workload(r, 0, "malloc"), *trim = workload(r, 2, "trim");
	long long alloc = allocated_ok(trim);
	long long plain_back = itest_num(plain, "report_final.returned_bytes");
	long long trim_back = itest_num(trim, "report_final.allocated.vm_rss") -
			      itest_num(trim, "report_final.trimmed.vm_rss");
	assert_int_equal(itest_num(trim, "report_final.malloc_trim_result"), 1);
	if (trim_back < plain_back + alloc / 4)
		fail_msg("malloc_trim gave back %lld bytes, without it %lld: expected at least a quarter of %lld more",
			 trim_back, plain_back, alloc);
	/* by madvise, not by moving the break: the heap keeps (nearly) its size */
	long long heap = itest_num(trim, "report_final.allocated.heap_bytes");
	assert_true(itest_num(trim, "report_final.trimmed.heap_bytes") * 10 >= heap * 9);
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	json_decref(r);
	itest_check_clean();
}

static void test_release(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/alloc-release.ini");
	static const char *const names[] = { "mmap", "big" };
	for (size_t i = 0; i < 2; i++) {
		json_t *w = workload(r, i, names[i]);
		long long alloc = allocated_ok(w), left = above_base(w, "freed");
		if (left * 10 > alloc)
			fail_msg("%s: %lld of %lld bytes still resident after freeing all; expected <= 10%%", names[i], left,
				 alloc);
		first_malloc_ok(w);
	}
	/* every 128 KiB malloc was an mmap of glibc's (the threshold is 128 KiB) */
	json_t *big = workload(r, 1, "big");
	assert_int_equal(itest_num(big, "report_final.mmapped_chunks"), itest_num(big, "report_final.chunks"));
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	json_decref(r);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_heap_fragmentation, itest_each_setup),
		cmocka_unit_test_setup(test_release, itest_each_setup),
	};
	return itest_run_group("wl_alloc", tests, itest_group_setup, itest_group_teardown);
}
