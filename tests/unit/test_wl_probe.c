/* test_wl_probe.c - the probe workload: its option table, and short runs whose
 * reports must be self-consistent (every probe in the histogram, quantiles ordered,
 * every probe faulting fresh pages, about one probe per period). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wltest.h"
#include "../../harness/core/units.h"

extern const struct workload wl_probe;
#define W (&wl_probe)

static void test_options(void **state)
{
	(void)state;
	void *c = wlt_cfg(W, 0, NULL);
	assert_int_equal(WLT_FIELD(W, c, "period", uint64_t), 10);
	assert_int_equal(WLT_FIELD(W, c, "bytes", uint64_t), 1 << 20);
	assert_int_equal(WLT_FIELD(W, c, "keep", uint64_t), 0);
	assert_int_equal(WLT_FIELD(W, c, "slow", uint64_t), 1);
	assert_true(WLT_FIELD(W, c, "duration", uint64_t) == DURATION_FOREVER);
	wlt_free(W, c);
	static const struct { const char *opt, *val; int ret; } cases[] = {
		{ "period", "0", -ERANGE },      { "period", "1ms", 0 },    { "period", "2m", -ERANGE },
		{ "bytes", "4095", -ERANGE },    { "bytes", "4k", 0 },      { "bytes", "2G", -ERANGE },
		{ "bytes", "1M2", -EINVAL },     { "keep", "0", 0 },        { "keep", "64k", 0 },
		{ "slow", "0", -ERANGE },        { "slow", "fast", -EINVAL }, { "duration", "0", -ERANGE },
		{ "duration", "forever", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = wlt_set(W, cases[i].opt, cases[i].val, 0);
		if (r != cases[i].ret)
			fail_msg("--%s=%s: %d, expected %d", cases[i].opt, cases[i].val, r, cases[i].ret);
	}
	assert_null(opt_find(W->opts, "size"));
}

static json_t *run(const char *const *sets, int *rc)
{
	void *c = wlt_cfg(W, 0, sets);
	wl_stop = 0;
	json_t *recs = wlt_run_records(W, c, 200, rc);
	wlt_free(W, c);
	return recs;
}

static void test_fresh_run(void **state)
{
	(void)state;
	int rc = -1;
	static const char *const sets[] = { "duration=500ms", "period=10ms", "bytes=256k", NULL };
	json_t *recs = run(sets, &rc);
	assert_int_equal(rc, WL_EXIT_OK);
	json_t *st = wlt_last(recs, "start"), *fin = wlt_last(recs, "final");
	assert_non_null(st);
	assert_non_null(fin);
	assert_string_equal(json_string_value(json_object_get(st, "mode")), "fresh");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "done");
	long long probes = wlt_num(fin, "probes");
	/* 500 ms / 10 ms: 50 slots; a loaded machine may skip a few, never add */
	if (probes + wlt_num(fin, "skipped") < 48 || probes > 51)
		fail_msg("%lld probes, %lld skipped in 500 ms at 10 ms", probes, wlt_num(fin, "skipped"));
	const char *bad = wlt_hist_bad(json_object_get(fin, "stall"), probes);
	if (bad)
		fail_msg("final stall histogram: %s", bad);
	/* each probe maps fresh memory: at least one minor fault per page (64 pages) */
	assert_true(wlt_num(fin, "minflt") >= probes * 64);
	assert_true(wlt_num(fin, "slow") <= probes);
	/* progress records carry per-interval histograms that add up to the whole */
	long long sum = 0;
	size_t i;
	json_t *r;
	json_array_foreach (recs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "type")), "progress") != 0)
			continue;
		json_t *h = json_object_get(r, "stall");
		if ((bad = wlt_hist_bad(h, wlt_num(r, "probes"))))
			fail_msg("progress stall histogram: %s", bad);
		sum += wlt_num(h, "count");
	}
	assert_true(wlt_count(recs, "progress") >= 2);
	assert_true(sum <= probes && sum >= probes - 25); /* the last partial interval is in final only */
	json_decref(recs);
}

static void test_keep_run(void **state)
{
	(void)state;
	int rc = -1;
	static const char *const sets[] = { "duration=200ms", "keep=128k", NULL };
	json_t *recs = run(sets, &rc);
	assert_int_equal(rc, WL_EXIT_OK);
	json_t *fin = wlt_last(recs, "final");
	assert_string_equal(json_string_value(json_object_get(wlt_last(recs, "start"), "mode")), "keep");
	long long probes = wlt_num(fin, "probes");
	assert_true(probes >= 15 && probes <= 21);
	assert_null(wlt_hist_bad(json_object_get(fin, "stall"), probes));
	/* the kept set was touched before the first probe: re-touching it does not fault */
	assert_true(wlt_num(fin, "minflt") < probes * 32);
	json_decref(recs);
}

static void test_stop(void **state)
{
	(void)state;
	int rc = -1;
	void *c = wlt_cfg(W, 0, NULL);
	wl_stop = 1; /* as if SIGTERM came at once: no probe, status stopped */
	json_t *recs = wlt_run_records(W, c, 1000, &rc);
	wl_stop = 0;
	wlt_free(W, c);
	assert_int_equal(rc, WL_EXIT_OK);
	json_t *fin = wlt_last(recs, "final");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "stopped");
	assert_int_equal(wlt_num(fin, "probes"), 0);
	assert_null(wlt_hist_bad(json_object_get(fin, "stall"), 0));
	json_decref(recs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_fresh_run),
		cmocka_unit_test(test_keep_run),
		cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests_name("wl_probe", tests, NULL, NULL);
}
