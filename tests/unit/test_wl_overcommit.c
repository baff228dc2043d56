/* test_wl_overcommit.c - the overcommit workload's option table and the option
 * combinations its check refuses (before anything is reserved). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wltest.h"

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

static void test_check(void **state)
{
	(void)state;
	void *c = wlt_cfg(&wl_overcommit, 0, WLT_STRS("reserve=1G"));
	wlt_check(&wl_overcommit, c, NULL);
	wlt_free(&wl_overcommit, c);
	c = wlt_cfg(&wl_overcommit, 0, WLT_STRS("reserve=1G", "via=malloc", "noreserve=yes")); /* a flag of mmap only */
	wlt_check(&wl_overcommit, c, WLT_STRS("noreserve,via: --noreserve is a flag of mmap; it needs --via=mmap"));
	wlt_free(&wl_overcommit, c);
	c = wlt_cfg(&wl_overcommit, 0, WLT_STRS("reserve=8T", "chunk=4k")); /* 2^31 requests: too many */
	wlt_check(&wl_overcommit, c,
		  WLT_STRS("chunk,reserve: --reserve/--chunk gives more than 1048576 requests; raise --chunk"));
	wlt_free(&wl_overcommit, c);
	c = wlt_cfg(&wl_overcommit, 0, WLT_STRS("reserve=4G", "chunk=4k")); /* exactly 2^20: allowed */
	wlt_check(&wl_overcommit, c, NULL);
	wlt_free(&wl_overcommit, c);
	/* --reserve is required: without it (the shared main refuses first) the check does not divide by 0 */
	c = wlt_cfg(&wl_overcommit, 0, NULL);
	wlt_check(&wl_overcommit, c, NULL);
	wlt_free(&wl_overcommit, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests_name("wl_overcommit", tests, NULL, NULL);
}
