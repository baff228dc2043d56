/* test_bisect.c - mph search's bisection on synthetic predicates: exact boundaries,
 * the ends of the range, and a noisy boundary that k of n repeats see through. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../harness/core/bisect.h"

struct pred {
	long long boundary;   /* holds at values <= boundary */
	long long noise;      /* within +-noise of it, a coin toss */
	unsigned long long rng;
	unsigned calls;
	int fail_after;       /* a trial error after this many calls; 0 never */
};

/* xorshift64: deterministic noise */
static unsigned long long next(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int trial(void *ctx, long long v, unsigned attempt)
{
	struct pred *p = ctx;
	(void)attempt;
	p->calls++;
	if (p->fail_after && (int)p->calls > p->fail_after)
		return -EIO;
	if (v <= p->boundary - p->noise)
		return 1;
	if (v > p->boundary + p->noise)
		return 0;
	return next(&p->rng) & 1;
}

static void test_exact(void **state)
{
	(void)state;
	/* sizes in MiB steps: the boundary at 58.5M, resolution 1M, range 16M..96M */
	const long long M = 1 << 20;
	struct pred p = { .boundary = 58 * M + M / 2 };
	struct bisect_opts o = { .lo = 16 * M, .hi = 96 * M, .res = M, .n = 1, .k = 1 };
	struct bisect_result r;
	assert_int_equal(bisect_search(&o, trial, &p, &r), 0);
	assert_int_equal(r.found, BISECT_FOUND);
	assert_int_equal(r.answer, 58 * M);
	assert_int_equal(r.fails_at, 59 * M);
	/* both ends, then at most ceil(log2(80)) = 7 midpoints (6 on this path) */
	assert_int_equal(r.nprobes, 8);
	assert_int_equal(r.trials, 8);
	assert_int_equal(r.probes[0].value, 16 * M);
	assert_int_equal(r.probes[1].value, 96 * M);
	for (size_t i = 0; i < r.nprobes; i++)
		assert_int_equal((r.probes[i].value - o.lo) % M, 0);
	bisect_result_free(&r);
}

static void test_ends(void **state)
{
	(void)state;
	struct bisect_opts o = { .lo = 1, .hi = 100, .res = 1, .n = 3, .k = 2 };
	struct bisect_result r;
	struct pred all = { .boundary = 1000 }, none = { .boundary = 0 };
	assert_int_equal(bisect_search(&o, trial, &all, &r), 0);
	assert_int_equal(r.found, BISECT_HOLDS_AT_HI);
	assert_int_equal(r.answer, 100);
	/* 2 of 3: two passes settle it at each end */
	assert_int_equal(r.trials, 4);
	bisect_result_free(&r);
	assert_int_equal(bisect_search(&o, trial, &none, &r), 0);
	assert_int_equal(r.found, BISECT_FAILS_AT_LO);
	assert_int_equal(r.nprobes, 1);
	bisect_result_free(&r);
	/* hi off the grid: lo 0, res 30, hi 100 probes 0, 100, then 60, 90 */
	struct pred b = { .boundary = 95 };
	struct bisect_opts g = { .lo = 0, .hi = 100, .res = 30, .n = 1, .k = 1 };
	assert_int_equal(bisect_search(&g, trial, &b, &r), 0);
	assert_int_equal(r.answer, 90);
	assert_int_equal(r.fails_at, 100);
	bisect_result_free(&r);
	struct bisect_opts bad = { .lo = 5, .hi = 1, .res = 1, .n = 1, .k = 1 };
	assert_int_equal(bisect_search(&bad, trial, &b, &r), -EINVAL);
	bad = (struct bisect_opts){ .lo = 1, .hi = 5, .res = 1, .n = 2, .k = 3 };
	assert_int_equal(bisect_search(&bad, trial, &b, &r), -EINVAL);
}

static void test_noisy(void **state)
{
	(void)state;
	/* a boundary at 500 with +-20 of coin tosses: with 1 of 1 the answer can land
	 * anywhere in the noise; k of n keeps it there too, but never outside it: a value
	 * 20 below always passes and 20 above always fails. Over many seeds the answer
	 * stays within the noise band, and every trial's verdict is certain early. */
	for (unsigned long long seed = 1; seed <= 200; seed++) {
		struct pred p = { .boundary = 500, .noise = 20, .rng = seed * 0x9E3779B97F4A7C15ULL };
		struct bisect_opts o = { .lo = 0, .hi = 1000, .res = 1, .n = 5, .k = 3 };
		struct bisect_result r;
		assert_int_equal(bisect_search(&o, trial, &p, &r), 0);
		assert_int_equal(r.found, BISECT_FOUND);
		assert_true(r.answer >= 500 - 20 - 1 && r.answer <= 500 + 20);
		assert_int_equal(r.fails_at, r.answer + 1);
		for (size_t i = 0; i < r.nprobes; i++) {
			const struct bisect_probe *q = &r.probes[i];
			assert_true(q->passed + q->failed <= 5);
			assert_true(q->holds ? q->passed == 3 : q->failed == 3);
			/* far from the boundary the rule costs k trials, not n */
			if (q->value < 480 || q->value > 520)
				assert_int_equal(q->passed + q->failed, 3);
		}
		bisect_result_free(&r);
	}
}

static void test_trial_error(void **state)
{
	(void)state;
	struct pred p = { .boundary = 50, .fail_after = 3 };
	struct bisect_opts o = { .lo = 0, .hi = 100, .res = 1, .n = 1, .k = 1 };
	struct bisect_result r;
	assert_int_equal(bisect_search(&o, trial, &p, &r), -EIO);
	assert_int_equal(r.trials, 3);
	bisect_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_noisy),
		cmocka_unit_test(test_trial_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
