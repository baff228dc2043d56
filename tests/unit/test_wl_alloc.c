/* test_wl_alloc.c - the alloc workload's option table, its check and its pure helpers: the
 * seeded size generator, the order each --free mode releases chunks in, and the
 * /proc/<pid>/stat field reader it takes start_brk from. */
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
#include "../../workloads/alloc.h"
#include "../../workloads/workload.h"

extern const struct workload wl_alloc;

static void *field(void *cfg, const char *name)
{
	const struct opt *o = opt_find(wl_alloc.opts, name);
	assert_non_null(o);
	return (char *)cfg + o->off;
}

static int set(void *cfg, const char *name, const char *val, uint64_t base)
{
	char err[256];
	return opt_set(opt_find(wl_alloc.opts, name), cfg, val, base, err, sizeof(err));
}

static void test_defaults(void **state)
{
	(void)state;
	void *c = calloc(1, wl_alloc.cfg_size);
	assert_int_equal(opt_defaults(wl_alloc.opts, c), 0);
	assert_int_equal(*(int *)field(c, "via"), 0); /* malloc */
	assert_int_equal(*(uint64_t *)field(c, "chunk"), 64 << 10);
	assert_int_equal(*(uint64_t *)field(c, "chunk-max"), 0);
	assert_int_equal(*(uint64_t *)field(c, "seed"), 1);
	assert_int_equal(*(uint64_t *)field(c, "total"), 64 << 20);
	assert_int_equal(*(int *)field(c, "free"), FREE_ALL);
	assert_int_equal(*(uint64_t *)field(c, "mmap-threshold"), 0);
	assert_false(*(bool *)field(c, "trim"));
	assert_int_equal(*(uint64_t *)field(c, "hold"), 0);
	for (const struct opt *o = wl_alloc.opts; o->name; o++)
		assert_false(o->required); /* every option has a default */
	free(c);
}

static void test_values(void **state)
{
	(void)state;
	void *c = calloc(1, wl_alloc.cfg_size);
	assert_int_equal(opt_defaults(wl_alloc.opts, c), 0);
	assert_int_equal(set(c, "via", "brk", 0), 0);
	assert_int_equal(*(int *)field(c, "via"), 1);
	assert_int_equal(set(c, "via", "sbrk", 0), -EINVAL);
	assert_int_equal(set(c, "free", "lifo", 0), 0);
	assert_int_equal(*(int *)field(c, "free"), FREE_LIFO);
	assert_int_equal(set(c, "free", "every-other", 0), 0);
	assert_int_equal(*(int *)field(c, "free"), FREE_EVERY_OTHER);
	assert_int_equal(set(c, "free", "some", 0), -EINVAL);
	assert_int_equal(set(c, "chunk", "8", 0), -ERANGE);     /* below 16 bytes */
	assert_int_equal(set(c, "chunk", "2G", 0), -ERANGE);    /* above 1 GiB */
	assert_int_equal(set(c, "chunk", "lots", 0), -EINVAL);
	assert_int_equal(set(c, "chunk-max", "512k", 0), 0);
	assert_int_equal(set(c, "mmap-threshold", "32M", 0), 0);
	assert_int_equal(set(c, "mmap-threshold", "33M", 0), -ERANGE); /* glibc's maximum is 32 MiB */
	assert_int_equal(set(c, "total", "1k", 0), -ERANGE);
	assert_int_equal(set(c, "total", "50%", 0), -EDOM); /* standalone: no memory.max */
	assert_int_equal(set(c, "total", "50%", 256 << 20), 0);
	assert_int_equal(*(uint64_t *)field(c, "total"), 128 << 20);
	assert_int_equal(set(c, "trim", "yes", 0), 0);
	assert_true(*(bool *)field(c, "trim"));
	assert_int_equal(set(c, "hold", "forever", 0), 0);
	assert_int_equal(set(c, "seed", "-1", 0), -EINVAL);
	free(c);
}

/* The rules between options, as the shared main and mph's validation judge them. */
static void test_check(void **state)
{
	(void)state;
	void *c = wlt_cfg(&wl_alloc, 0, NULL);
	wlt_check(&wl_alloc, c, NULL);
	wlt_free(&wl_alloc, c);
	c = wlt_cfg(&wl_alloc, 0, WLT_STRS("chunk-max=32k")); /* below --chunk (64k) */
	wlt_check(&wl_alloc, c, WLT_STRS("chunk-max,chunk: --chunk-max (32768) is below --chunk (65536)"));
	wlt_free(&wl_alloc, c);
	c = wlt_cfg(&wl_alloc, 0, WLT_STRS("chunk=16")); /* 64M / 16 = 4M chunks: too many */
	wlt_check(&wl_alloc, c,
		  WLT_STRS("chunk,total: --total/--chunk gives more than 4194304 chunks; raise --chunk or lower --total"));
	wlt_free(&wl_alloc, c);
	/* both at once; chunk-max equal to chunk is a fixed size, not a problem */
	c = wlt_cfg(&wl_alloc, 0, WLT_STRS("chunk=16", "chunk-max=8"));
	wlt_check(&wl_alloc, c,
		  WLT_STRS("chunk-max,chunk: --chunk-max (8) is below --chunk (16)",
			   "chunk,total: --total/--chunk gives more than 4194304 chunks; raise --chunk or lower --total"));
	wlt_free(&wl_alloc, c);
	c = wlt_cfg(&wl_alloc, 0, WLT_STRS("chunk=1M", "chunk-max=1M"));
	wlt_check(&wl_alloc, c, NULL);
	wlt_free(&wl_alloc, c);
}

static void test_rand(void **state)
{
	(void)state;
	/* splitmix64's published first output for seed 0 */
	uint64_t s = 0;
	assert_true(alloc_rand(&s) == 0xe220a8397b1dcdafULL);
	uint64_t a = 42, b = 42;
	for (int i = 0; i < 100; i++)
		assert_true(alloc_rand(&a) == alloc_rand(&b)); /* same seed, same sequence */
	b = 43;
	assert_true(alloc_rand(&a) != alloc_rand(&b));
}

static void test_chunk_size(void **state)
{
	(void)state;
	uint64_t s = 7;
	assert_int_equal(alloc_chunk_size(&s, 4096, 0), 4096);    /* no maximum: fixed */
	assert_int_equal(alloc_chunk_size(&s, 4096, 4096), 4096);
	bool lo = false, hi = false;
	for (int i = 0; i < 10000; i++) {
		uint64_t v = alloc_chunk_size(&s, 100, 103);
		assert_true(v >= 100 && v <= 103);
		lo |= v == 100;
		hi |= v == 103;
	}
	assert_true(lo && hi); /* both ends are reachable */
}

static void test_free_order(void **state)
{
	(void)state;
	static const struct {
		enum alloc_free mode;
		size_t n;
		size_t count;
		size_t idx[6];
	} cases[] = {
		{ FREE_NONE, 4, 0, { 0 } },
		{ FREE_ALL, 4, 4, { 0, 1, 2, 3 } },
		{ FREE_LIFO, 4, 4, { 3, 2, 1, 0 } },
		{ FREE_EVERY_OTHER, 1, 0, { 0 } },
		{ FREE_EVERY_OTHER, 2, 1, { 0 } },
		{ FREE_EVERY_OTHER, 3, 1, { 1 } },
		{ FREE_EVERY_OTHER, 4, 2, { 0, 2 } },
		{ FREE_EVERY_OTHER, 5, 2, { 1, 3 } },
		{ FREE_ALL, 0, 0, { 0 } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(alloc_free_count(cases[i].mode, cases[i].n), cases[i].count);
		for (size_t k = 0; k < cases[i].count; k++)
			assert_int_equal(alloc_free_index(cases[i].mode, k, cases[i].n), cases[i].idx[k]);
	}
	/* every-other never frees the topmost chunk, and frees each other one once */
	for (size_t n = 1; n < 200; n++) {
		size_t cnt = alloc_free_count(FREE_EVERY_OTHER, n);
		for (size_t k = 0; k < cnt; k++) {
			size_t i = alloc_free_index(FREE_EVERY_OTHER, k, n);
			assert_true(i < n - 1);
			assert_int_equal((n - 1 - i) % 2, 1);
		}
	}
}

static void test_proc_stat_field(void **state)
{
	(void)state;
	/* a real line of this machine (proc(5): field 47 is start_brk) */
	static const char real[] =
		"11543 (a) R 11534 11534 9133 0 -1 4194304 78 0 0 0 0 0 0 0 20 0 1 0 139957 2535424 276 "
		"18446744073709551615 94468958191616 94468958192221 140725764181824 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
		"94468958203336 94468958203968 94469774639104 140725764184743 140725764184747 140725764184747 "
		"140725764186100 0\n";
	unsigned long long v;
	assert_int_equal(proc_stat_field(real, 47, &v), 0);
	assert_true(v == 94469774639104ULL);
	assert_int_equal(proc_stat_field(real, 4, &v), 0);
	assert_int_equal(v, 11534);
	assert_int_equal(proc_stat_field(real, 52, &v), 0); /* the last field */
	assert_int_equal(v, 0);
	assert_int_equal(proc_stat_field(real, 53, &v), -EINVAL);
	assert_int_equal(proc_stat_field(real, 3, &v), -EINVAL); /* the state letter is no number */
	assert_int_equal(proc_stat_field(real, 2, &v), -EINVAL);
	/* a command name with spaces and parentheses */
	assert_int_equal(proc_stat_field("7 (a) b (c) S 5 6\n", 4, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(proc_stat_field("no parenthesis 1 2 3", 4, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_values),
		cmocka_unit_test(test_check), cmocka_unit_test(test_rand),
		cmocka_unit_test(test_chunk_size),     cmocka_unit_test(test_free_order),
		cmocka_unit_test(test_proc_stat_field),
	};
	return cmocka_run_group_tests_name("wl_alloc", tests, NULL, NULL);
}
