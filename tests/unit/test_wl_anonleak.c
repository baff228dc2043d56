/* test_wl_anonleak.c - anonleak's options (the hot set among them), a short run with
 * a hot set (one timed pass per period, histograms consistent), and --populate. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wltest.h"

extern const struct workload wl_anonleak;
#define W (&wl_anonleak)

static void test_options(void **state)
{
	(void)state;
	void *c = wlt_cfg(W, 0, NULL);
	assert_true(WLT_FIELD(W, c, "hot", double) == 0.0);
	assert_int_equal(WLT_FIELD(W, c, "period", uint64_t), 100);
	assert_false(WLT_FIELD(W, c, "populate", bool));
	wlt_free(W, c);
	static const struct { const char *opt, *val; int ret; } cases[] = {
		{ "hot", "0.5", 0 },         { "hot", "50%", 0 },        { "hot", "1", 0 },
		{ "hot", "1.5", -ERANGE },   { "hot", "half", -EINVAL }, { "period", "0", -ERANGE },
		{ "period", "50ms", 0 },     { "size", "0", -ERANGE },   { "chunk", "2T", -ERANGE },
		{ "via", "brk", -EINVAL },   { "hold", "forever", 0 },   { "populate", "yes", 0 },
		{ "populate", "2", -EINVAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = wlt_set(W, cases[i].opt, cases[i].val, 0);
		if (r != cases[i].ret)
			fail_msg("--%s=%s: %d, expected %d", cases[i].opt, cases[i].val, r, cases[i].ret);
	}
	static const char *const sets[] = { "hot=25%", NULL };
	c = wlt_cfg(W, 0, sets);
	assert_true(WLT_FIELD(W, c, "hot", double) == 0.25);
	wlt_free(W, c);
	assert_true(opt_find(W->opts, "size")->required);
}

static void test_hot_run(void **state)
{
	(void)state;
	int rc = -1;
	static const char *const sets[] = { "size=8M", "hot=0.5", "period=50ms", "hold=500ms", NULL };
	void *c = wlt_cfg(W, 0, sets);
	wl_stop = 0;
	json_t *recs = wlt_run_records(W, c, 200, &rc);
	wlt_free(W, c);
	assert_int_equal(rc, WL_EXIT_OK);
	json_t *fin = wlt_last(recs, "final"), *hot = json_object_get(fin, "hot");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "done");
	/* half of 8 MiB; fill (a few ms) + 500 ms hold at 50 ms: about 10 passes */
	const char *bad = wlt_hot_bad(hot, 4 << 20, 8, 12);
	if (bad)
		fail_msg("final hot set: %s", bad);
	/* a pass over 1024 pages takes 1024 times a page (within the floors of integer division) */
	long long pass = wlt_num(json_object_get(hot, "pass"), "mean_ns"),
		  page = wlt_num(json_object_get(hot, "page"), "mean_ns");
	assert_true(page * 1024 <= pass && pass < (page + 2) * 1024);
	json_t *prog = wlt_last(recs, "progress");
	assert_null(wlt_hot_bad(json_object_get(prog, "hot"), 4 << 20, 1, 5)); /* 200 ms intervals */
	json_decref(recs);

	/* no --hot: no hot object */
	static const char *const plain[] = { "size=1M", "hold=0", NULL };
	c = wlt_cfg(W, 0, plain);
	fin = wlt_run(W, c, &rc);
	wlt_free(W, c);
	assert_null(json_object_get(fin, "hot"));
	json_decref(fin);
}

static void test_populate(void **state)
{
	(void)state;
	/* with --populate the pages are as real as with a write each: resident */
	static const char *const vias[] = { "via=mmap", "via=malloc" };
	for (size_t i = 0; i < ARRAY_SIZE(vias); i++) {
		int rc = -1;
		const char *const sets[] = { "size=8M", "chunk=100k", "hold=0", "populate=yes", vias[i], NULL };
		void *c = wlt_cfg(W, 0, sets);
		wl_stop = 0;
		json_t *recs = wlt_run_records(W, c, 1000, &rc);
		wlt_free(W, c);
		assert_int_equal(rc, WL_EXIT_OK);
		assert_true(json_is_true(json_object_get(wlt_last(recs, "start"), "populate")));
		json_t *fin = wlt_last(recs, "final");
		assert_int_equal(wlt_num(fin, "bytes"), 8 << 20);
		if (wlt_num(fin, "rss_bytes") < 8 << 20)
			fail_msg("%s: rss %lld after populating 8 MiB", vias[i], wlt_num(fin, "rss_bytes"));
		json_decref(recs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_hot_run),
		cmocka_unit_test(test_populate),
	};
	return cmocka_run_group_tests_name("wl_anonleak", tests, NULL, NULL);
}
