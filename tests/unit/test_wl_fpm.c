/* test_wl_fpm.c - the fpm workload's options (defaults, ranges, bad values), the
 * rules between them, its process-manager decisions for static, dynamic and
 * ondemand, the rate limit on replacing died workers, and how a request's memory
 * is split between small mallocs and large mmaps. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "wltest.h"
#include "../../workloads/fpm.h"
#include "../../workloads/workload.h"
#include "../../harness/core/units.h"

static struct fpm_cfg defaults(void)
{
	const struct workload *w = workload_find("fpm");
	struct fpm_cfg c;
	memset(&c, 0, sizeof(c));
	assert_non_null(w);
	assert_int_equal(w->cfg_size, sizeof(c));
	assert_int_equal(opt_defaults(w->opts, &c), 0);
	return c;
}

static int set(struct fpm_cfg *c, const char *name, const char *val, char *err, size_t errlen)
{
	const struct opt *o = opt_find(workload_find("fpm")->opts, name);
	assert_non_null(o);
	return opt_set(o, c, val, 64ULL << 20, err, errlen);
}

static void test_defaults(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults();
	/* php-fpm's www.conf defaults */
	assert_int_equal(c.pm, FPM_DYNAMIC);
	assert_int_equal(c.max_children, 5);
	assert_int_equal(c.start_servers, 2);
	assert_int_equal(c.min_spare, 1);
	assert_int_equal(c.max_spare, 3);
	assert_int_equal(c.idle_timeout, 10000);
	assert_int_equal(c.max_requests, 0);
	assert_int_equal(c.rps, 100);
	assert_int_equal(c.queue, 64);
	assert_int_equal(c.requests, 0);
	assert_int_equal(c.request_mem, 2 << 20); /* one mmap of 408 KiB, the rest small */
	assert_int_equal(c.request_time, 5);
	assert_int_equal(c.retain, 0);
	assert_int_equal(c.shared, 0);
	assert_int_equal(c.shared_write, 0);
	assert_int_equal(c.reload_every, 0);
	struct wl_problems p = { 0 };
	assert_int_equal(fpm_check_cfg(&c, &p), 0);
	assert_int_equal(p.n, 0);
}

static void test_option_values(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults();
	char err[256];
	assert_int_equal(set(&c, "pm", "ondemand", err, sizeof(err)), 0);
	assert_int_equal(c.pm, FPM_ONDEMAND);
	assert_int_equal(set(&c, "pm", "lazy", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected one of static, dynamic, ondemand; got 'lazy'");
	assert_int_equal(set(&c, "max-children", "0", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "max-children", "257", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "max-children", "256", err, sizeof(err)), 0);
	assert_int_equal(set(&c, "shared-write", "101", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "shared-write", "50%", err, sizeof(err)), -EINVAL);
	assert_int_equal(set(&c, "shared", "25%", err, sizeof(err)), 0); /* of memory.max (64M here) */
	assert_int_equal(c.shared, 16 << 20);
	assert_int_equal(set(&c, "retain", "128k", err, sizeof(err)), 0);
	assert_int_equal(c.retain, 128 << 10);
	assert_int_equal(set(&c, "retain", "2G", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "request-time", "61s", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "request-time", "0", err, sizeof(err)), 0);
	assert_int_equal(set(&c, "idle-timeout", "0", err, sizeof(err)), -ERANGE);
	assert_int_equal(set(&c, "rps", "-5", err, sizeof(err)), -EINVAL);
	assert_int_equal(set(&c, "reload-every", "forever", err, sizeof(err)), 0);
	assert_int_equal(c.reload_every, DURATION_FOREVER);
	assert_null(opt_find(workload_find("fpm")->opts, "max_requests"));
	assert_string_equal(opt_suggest(workload_find("fpm")->opts, "max_requests"), "max-requests");
}

/* The check (fpm_check_cfg, through the workload) on c finds exactly want. */
#define expect(c, want) wlt_check(workload_find("fpm"), (c), (want))
#define STRS WLT_STRS

static void test_rules_between_options(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults();
	c.max_children = 2; /* max_spare 3 > 2 */
	expect(&c, STRS("max-spare,max-children,pm: --max-spare (3) must not exceed --max-children (2)"));
	c.pm = FPM_STATIC; /* the spare counts are dynamic's only */
	expect(&c, NULL);
	c = defaults();
	c.min_spare = 3;
	c.max_spare = 2;
	/* start-servers cannot lie between them then: not reported on top */
	expect(&c, STRS("min-spare,max-spare,pm: --min-spare (3) must not exceed --max-spare (2)"));
	c = defaults();
	c.start_servers = 4;
	expect(&c, STRS("start-servers,min-spare,max-spare,pm: --start-servers (4) must be between --min-spare (1) and --max-spare (3)"));
	c = defaults();
	c.queue = 0;
	expect(&c, NULL);
	c.rps = 0;
	expect(&c, STRS("queue,rps: --queue=0 leaves --rps=0 (keep the queue full) nothing to work from: give it at least 1"));
	c.rps = 10;
	c.pm = FPM_ONDEMAND;
	expect(&c, STRS("queue,pm: --queue=0 leaves --pm=ondemand (a worker per waiting request) nothing to work from: give it at least 1"));
	c = defaults();
	c.reload_every = 50;
	expect(&c, STRS("reload-every: --reload-every below 100ms would replace the pool faster than it starts"));
	c.reload_every = 100;
	expect(&c, NULL);
	c.reload_every = DURATION_FOREVER;
	expect(&c, NULL);
	/* every problem at once, in the order of the rules */
	c = defaults();
	c.max_children = 2;
	c.start_servers = 0;
	c.reload_every = 10;
	c.queue = 0;
	c.rps = 0;
	expect(&c, STRS("max-spare,max-children,pm: --max-spare (3) must not exceed --max-children (2)",
			"start-servers,min-spare,max-spare,pm: --start-servers (0) must be between --min-spare (1) and --max-spare (3)",
			"reload-every: --reload-every below 100ms would replace the pool faster than it starts",
			"queue,rps: --queue=0 leaves --rps=0 (keep the queue full) nothing to work from: give it at least 1"));
	struct wl_problems p = { 0 }; /* the same, called directly */
	assert_int_equal(fpm_check_cfg(&c, &p), -EINVAL);
	assert_int_equal(p.n, 4);
}

static void test_pm_static(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults();
	c.pm = FPM_STATIC;
	c.max_children = 4;
	assert_int_equal(fpm_pm_initial(&c), 4);
	struct fpm_counts n = { .active = 4, .idle = 4 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 0);
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), 0); /* idle workers are kept */
	n.active = 1; /* three recycled or died: all replaced at once */
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 3);
	n.active = 5; /* never negative, never stops */
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 0);
}

static void test_pm_dynamic(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults(); /* 5 children, start 2, spare 1..3 */
	assert_int_equal(fpm_pm_initial(&c), 2);
	/* all busy: at the tick, start min_spare more */
	struct fpm_counts n = { .active = 2, .idle = 0, .queued = 10 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 0); /* php-fpm waits for its tick */
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), 1);
	c.min_spare = 3;
	c.start_servers = 3;
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), 3);
	n.active = 4; /* but not above max_children */
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), 1);
	/* too many idle: one stopped per tick */
	c = defaults();
	n = (struct fpm_counts){ .active = 5, .idle = 5 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), -1);
	n.idle = 3;
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), 0);
	/* replacements owed are started at once, within max_children */
	n = (struct fpm_counts){ .active = 3, .idle = 1, .pending = 4 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 2);
}

static void test_pm_ondemand(void **state)
{
	(void)state;
	struct fpm_cfg c = defaults();
	c.pm = FPM_ONDEMAND;
	c.max_children = 3;
	assert_int_equal(fpm_pm_initial(&c), 0);
	struct fpm_counts n = { .queued = 2 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 2); /* a worker per waiting request */
	n = (struct fpm_counts){ .active = 2, .idle = 2, .queued = 2 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 0); /* two starting already */
	n = (struct fpm_counts){ .active = 2, .idle = 0, .queued = 5 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 1); /* max_children */
	n = (struct fpm_counts){ .active = 3, .idle = 3, .idle_expired = 2 };
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_TICK), -2);
	assert_int_equal(fpm_pm_delta(&c, &n, FPM_NOW), 0);
}

static void test_rate_limit(void **state)
{
	(void)state;
	struct fpm_rate r;
	fpm_rate_init(&r, 4, 100.0);
	/* a burst of 4, then one every 1/4 s */
	for (int i = 0; i < 4; i++)
		assert_true(fpm_rate_take(&r, 100.0));
	assert_false(fpm_rate_take(&r, 100.0));
	assert_true(fpm_rate_next(&r, 100.0) > 100.24 && fpm_rate_next(&r, 100.0) < 100.26);
	assert_false(fpm_rate_take(&r, 100.2));
	assert_true(fpm_rate_take(&r, 100.25));
	assert_false(fpm_rate_take(&r, 100.25));
	/* over a long run: at most per_s a second (plus the one burst) */
	int n = 0;
	for (double t = 101.0; t < 111.0; t += 0.001)
		n += fpm_rate_take(&r, t);
	assert_true(n >= 40 && n <= 44);
	/* tokens do not pile up beyond one burst */
	assert_int_equal(fpm_rate_next(&r, 1000.0), 1000.0);
	n = 0;
	for (int i = 0; i < 10; i++)
		n += fpm_rate_take(&r, 1000.0);
	assert_int_equal(n, 4);
}

static void test_request_plan(void **state)
{
	(void)state;
	struct fpm_plan p;
	fpm_plan_request(10 << 20, &p); /* a fifth (2 MiB) as two mmaps of 1 MiB */
	assert_int_equal(p.large_count, 2);
	assert_int_equal(p.large_each, 1 << 20);
	assert_int_equal(p.small_bytes, 8 << 20);
	fpm_plan_request(2 << 20, &p); /* a fifth is 409.6 KiB: one mmap, whole pages */
	assert_int_equal(p.large_count, 1);
	assert_int_equal(p.large_each, (2 << 20) / 5 / 4096 * 4096);
	assert_int_equal(p.small_bytes + p.large_each, 2 << 20);
	fpm_plan_request(1 << 20, &p); /* a fifth below 256 KiB: all small */
	assert_int_equal(p.large_count, 0);
	assert_int_equal(p.small_bytes, 1 << 20);
	fpm_plan_request(0, &p);
	assert_int_equal(p.large_count + p.small_bytes, 0);
	uint64_t rng = 42, sum = 0;
	size_t lo = SIZE_MAX, hi = 0;
	for (int i = 0; i < 10000; i++) {
		size_t s = fpm_small_size(&rng);
		lo = s < lo ? s : lo;
		hi = s > hi ? s : hi;
		sum += s;
	}
	assert_true(lo >= FPM_SMALL_MIN && lo < FPM_SMALL_MIN + 256);
	assert_true(hi <= FPM_SMALL_MAX && hi > FPM_SMALL_MAX - 256);
	assert_true(sum / 10000 > 9500 && sum / 10000 < 11000); /* uniform: mean 10 KiB */
	rng = 0; /* a zero state must not stick */
	assert_true(fpm_small_size(&rng) >= FPM_SMALL_MIN && rng != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_option_values),
		cmocka_unit_test(test_rules_between_options),
		cmocka_unit_test(test_pm_static),
		cmocka_unit_test(test_pm_dynamic),
		cmocka_unit_test(test_pm_ondemand),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_request_plan),
	};
	return cmocka_run_group_tests_name("wl_fpm", tests, NULL, NULL);
}
