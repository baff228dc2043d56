/* test_units.c - sizes, percentages, durations and the generic option parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../harness/core/opt.h"
#include "../../harness/core/units.h"
#include "../../harness/core/util.h"

static void test_sizes(void **state)
{
	(void)state;
	static const struct { const char *in; int ret; uint64_t out; } cases[] = {
		{ "0", 0, 0 },
		{ "4096", 0, 4096 },
		{ "64k", 0, 64ULL << 10 },
		{ "64K", 0, 64ULL << 10 },
		{ "64M", 0, 64ULL << 20 },
		{ "64MiB", 0, 64ULL << 20 },
		{ "64MB", 0, 64ULL << 20 },
		{ "1g", 0, 1ULL << 30 },
		{ "2T", 0, 2ULL << 40 },
		{ "100b", 0, 100 },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "16777216T", -ERANGE, 0 },               /* 2^64: one past the top */
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "18446744073709551616", -ERANGE, 0 },
		{ "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "+5", -EINVAL, 0 },
		{ " 5", -EINVAL, 0 },
		{ "5 M", -EINVAL, 0 },
		{ "5Q", -EINVAL, 0 },
		{ "5MM", -EINVAL, 0 },
		{ "1.5G", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		int r = parse_size(cases[i].in, &v);
		if (r != cases[i].ret)
			fail_msg("parse_size(\"%s\") returned %d, expected %d", cases[i].in, r, cases[i].ret);
		if (r == 0 && v != cases[i].out)
			fail_msg("parse_size(\"%s\") = %llu, expected %llu", cases[i].in, (unsigned long long)v,
				 (unsigned long long)cases[i].out);
	}
}

static void test_percentages(void **state)
{
	(void)state;
	uint64_t v;
	int pct;
	assert_int_equal(parse_size_pct("50%", 64ULL << 20, &v, &pct), 0);
	assert_int_equal(pct, 1);
	assert_int_equal(v, 32ULL << 20);
	assert_int_equal(parse_size_pct("12.5%", 1000, &v, &pct), 0);
	assert_int_equal(v, 125);
	assert_int_equal(parse_size_pct("400%", 1ULL << 30, &v, NULL), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(parse_size_pct("64M", 0, &v, &pct), 0);
	assert_int_equal(pct, 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(parse_size_pct("50%", 0, &v, NULL), -EDOM);
	assert_int_equal(parse_size_pct("%", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct(".5%", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct("5.%", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct("1.2.3%", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct("-5%", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct("5 %", 100, &v, NULL), -EINVAL);
	assert_int_equal(parse_size_pct("200000%", 100, &v, NULL), -ERANGE);
	assert_int_equal(parse_size_pct("100000%", UINT64_MAX, &v, NULL), -ERANGE);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct { const char *in; int ret; uint64_t ms; } cases[] = {
		{ "0", 0, 0 },
		{ "10", 0, 10000 },
		{ "10s", 0, 10000 },
		{ "500ms", 0, 500 },
		{ "2m", 0, 120000 },
		{ "1h", 0, 3600000 },
		{ "forever", 0, DURATION_FOREVER },
		{ "5x", -EINVAL, 0 },
		{ "5 s", -EINVAL, 0 },
		{ "s", -EINVAL, 0 },
		{ "1.5s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "5S", -EINVAL, 0 },
		{ "5120000000000000h", -ERANGE, 0 },
		{ "99999999999999999999ms", -ERANGE, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 7;
		int r = parse_duration_ms(cases[i].in, &v);
		if (r != cases[i].ret)
			fail_msg("parse_duration_ms(\"%s\") returned %d, expected %d", cases[i].in, r, cases[i].ret);
		if (r == 0 && v != cases[i].ms)
			fail_msg("parse_duration_ms(\"%s\") = %llu", cases[i].in, (unsigned long long)v);
	}
}

static void test_fractions(void **state)
{
	(void)state;
	static const struct { const char *in; int ret; double v; } cases[] = {
		{ "0", 0, 0.0 },
		{ "1", 0, 1.0 },
		{ "0.5", 0, 0.5 },
		{ "25%", 0, 0.25 },
		{ "12.5%", 0, 0.125 },
		{ "100%", 0, 1.0 },
		{ "1.01", -ERANGE, 0 },
		{ "101%", -ERANGE, 0 },
		{ "2", -ERANGE, 0 },
		{ ".5", -EINVAL, 0 },
		{ "5.", -EINVAL, 0 },
		{ "-0.5", -EINVAL, 0 },
		{ "0.5 ", -EINVAL, 0 },
		{ "1e-1", -EINVAL, 0 },
		{ "%", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double v = 7;
		int r = parse_fraction(cases[i].in, &v);
		if (r != cases[i].ret)
			fail_msg("parse_fraction(\"%s\") returned %d, expected %d", cases[i].in, r, cases[i].ret);
		if (r == 0 && v != cases[i].v)
			fail_msg("parse_fraction(\"%s\") = %g", cases[i].in, v);
		if (r < 0 && v != 7)
			fail_msg("parse_fraction(\"%s\") changed its output on failure", cases[i].in);
	}
}

static void test_format_size(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(format_size(512, b, sizeof(b)), "512 B");
	assert_string_equal(format_size(64ULL << 20, b, sizeof(b)), "64.0 MiB");
	assert_string_equal(format_size(1536ULL << 20, b, sizeof(b)), "1.5 GiB");
}

struct tcfg {
	uint64_t size, n, dur;
	bool flag;
	int mode;
	char *label;
	double part;
};
static const char *const modes[] = { "alpha", "beta", NULL };
static const struct opt topts[] = {
	{ "size", OPT_SIZE_PCT, offsetof(struct tcfg, size), "1M", 4096, 1ULL << 30, NULL, "a size", false },
	{ "count", OPT_UINT, offsetof(struct tcfg, n), "3", 1, 10, NULL, "a count", false },
	{ "wait", OPT_DURATION, offsetof(struct tcfg, dur), "1s", 0, 0, NULL, "a duration", false },
	{ "flag", OPT_BOOL, offsetof(struct tcfg, flag), "no", 0, 0, NULL, "a flag", false },
	{ "mode", OPT_ENUM, offsetof(struct tcfg, mode), "beta", 0, 0, modes, "a mode", false },
	{ "label", OPT_STRING, offsetof(struct tcfg, label), NULL, 0, 0, NULL, "a label", false },
	{ "part", OPT_FRACTION, offsetof(struct tcfg, part), "0.1", 0, 0, NULL, "a fraction", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static void test_opt_table(void **state)
{
	(void)state;
	struct tcfg c = { 0 };
	char err[256];
	assert_int_equal(opt_defaults(topts, &c), 0);
	assert_int_equal(c.size, 1ULL << 20);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.dur, 1000);
	assert_false(c.flag);
	assert_int_equal(c.mode, 1);
	assert_true(c.part == 0.1);
	assert_int_equal(opt_set(opt_find(topts, "part"), &c, "40%", 0, err, sizeof(err)), 0);
	assert_true(c.part == 0.4);
	assert_int_equal(opt_set(opt_find(topts, "part"), &c, "1.5", 0, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "expected a fraction from 0 to 1 such as 0.25, or a percentage such as 25%, got '1.5'");
	assert_true(c.part == 0.4);

	assert_int_equal(opt_set(opt_find(topts, "size"), &c, "25%", 64ULL << 20, err, sizeof(err)), 0);
	assert_int_equal(c.size, 16ULL << 20);
	assert_int_equal(opt_set(opt_find(topts, "size"), &c, "2G", 0, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "'2G' is out of range (allowed: 4.0 KiB..1.0 GiB)");
	assert_int_equal(opt_set(opt_find(topts, "size"), &c, "50%", 0, err, sizeof(err)), -EDOM);
	assert_int_equal(opt_set(opt_find(topts, "count"), &c, "11", 0, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "'11' is out of range (allowed: 1..10)");
	assert_int_equal(opt_set(opt_find(topts, "count"), &c, "-1", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(opt_set(opt_find(topts, "count"), &c, "+5", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(opt_set(opt_find(topts, "flag"), &c, "yes", 0, err, sizeof(err)), 0);
	assert_true(c.flag);
	assert_int_equal(opt_set(opt_find(topts, "flag"), &c, "maybe", 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected yes or no, got 'maybe'");
	assert_int_equal(opt_set(opt_find(topts, "mode"), &c, "gamma", 0, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "expected one of alpha, beta; got 'gamma'");
	assert_int_equal(opt_set(opt_find(topts, "mode"), &c, "alpha", 0, err, sizeof(err)), 0);
	assert_int_equal(c.mode, 0);
	assert_int_equal(opt_set(opt_find(topts, "label"), &c, "x", 0, err, sizeof(err)), 0);
	assert_int_equal(opt_set(opt_find(topts, "label"), &c, "y", 0, err, sizeof(err)), 0);
	assert_string_equal(c.label, "y");
	free(c.label);

	assert_null(opt_find(topts, "sise"));
	assert_string_equal(opt_suggest(topts, "sise"), "size");
	assert_string_equal(opt_suggest(topts, "cont"), "count");
	assert_null(opt_suggest(topts, "completely-different"));
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(edit_distance("", ""), 0);
	assert_int_equal(edit_distance("abc", ""), 3);
	assert_int_equal(edit_distance("kitten", "sitting"), 3);
	assert_int_equal(edit_distance("memory.mx", "memory.max"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_percentages),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_opt_table),
		cmocka_unit_test(test_edit_distance),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
