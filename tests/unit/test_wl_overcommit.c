/* test_wl_overcommit.c - the overcommit workload's option table and the option
 * combinations it refuses before reserving anything. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../workloads/workload.h"

extern const struct workload wl_overcommit;

static void *cfg_new(void)
{
	void *c = calloc(1, wl_overcommit.cfg_size);
	assert_int_equal(opt_defaults(wl_overcommit.opts, c), 0);
	return c;
}

static uint64_t num(void *cfg, const char *name)
{
	return *(uint64_t *)((char *)cfg + opt_find(wl_overcommit.opts, name)->off);
}

static int set(void *cfg, const char *name, const char *val, uint64_t base)
{
	char err[256];
	const struct opt *o = opt_find(wl_overcommit.opts, name);
	assert_non_null(o);
	return opt_set(o, cfg, val, base, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	void *c = cfg_new();
	const struct opt *r = opt_find(wl_overcommit.opts, "reserve");
	assert_true(r->required);
	assert_null(r->def);
	assert_int_equal(num(c, "chunk"), 64 << 20);
	assert_int_equal(num(c, "touch"), 0);
	assert_int_equal(num(c, "hold"), 0);
	assert_int_equal(*(int *)((char *)c + opt_find(wl_overcommit.opts, "via")->off), 0); /* mmap */
	assert_false(*(bool *)((char *)c + opt_find(wl_overcommit.opts, "noreserve")->off));
	free(c);
}

static void test_values(void **state)
{
	(void)state;
	void *c = cfg_new();
	assert_int_equal(set(c, "reserve", "64G", 0), 0);
	assert_true(num(c, "reserve") == 64ULL << 30);
	assert_int_equal(set(c, "reserve", "1k", 0), -ERANGE);   /* less than a page */
	assert_int_equal(set(c, "reserve", "256T", 0), -ERANGE); /* more than a 47-bit address space */
	assert_int_equal(set(c, "chunk", "0", 0), -ERANGE);
	assert_int_equal(set(c, "touch", "200%", 256 << 20), 0); /* past the cgroup limit */
	assert_int_equal(num(c, "touch"), 512 << 20);
	assert_int_equal(set(c, "touch", "50%", 0), -EDOM);
	assert_int_equal(set(c, "touch", "all", 0), -EINVAL);
	assert_int_equal(set(c, "via", "brk", 0), -EINVAL);
	assert_int_equal(set(c, "noreserve", "maybe", 0), -EINVAL);
	assert_int_equal(set(c, "hold", "2s", 0), 0);
	assert_int_equal(num(c, "hold"), 2000);
	free(c);
}

static void test_refused_before_reserving(void **state)
{
	(void)state;
	void *c = cfg_new();
	struct wl_ctx ctx = { .report_fd = -1, .report_interval_ms = 1000, .name = "overcommit" };
	assert_int_equal(set(c, "reserve", "1G", 0), 0);
	assert_int_equal(set(c, "via", "malloc", 0), 0);
	assert_int_equal(set(c, "noreserve", "yes", 0), 0); /* a flag of mmap only */
	assert_int_equal(wl_overcommit.run(c, &ctx), WL_EXIT_USAGE);
	assert_int_equal(set(c, "noreserve", "no", 0), 0);
	assert_int_equal(set(c, "reserve", "8T", 0), 0);
	assert_int_equal(set(c, "chunk", "4k", 0), 0); /* 2^31 requests: too many */
	assert_int_equal(wl_overcommit.run(c, &ctx), WL_EXIT_USAGE);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused_before_reserving),
	};
	return cmocka_run_group_tests_name("wl_overcommit", tests, NULL, NULL);
}
