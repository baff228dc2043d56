/* test_lava.c - the LAVA case writer (report/lava.c) on hand-written plans: names LAVA
 * takes (no whitespace, only [-_a-zA-Z0-9.], unique), results it knows, measurements
 * that are numbers with the unit of the metric the assertion reads. */
#define _GNU_SOURCE
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../harness/core/schema.h"
#include "../../harness/core/util.h"
#include "../../harness/report/report.h"

static json_t *load(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/data/plans/%s/plan.json", base ? base : "tests", name);
	json_t *plan = NULL;
	if (report_plan_load(path, &plan) < 0)
		fail_msg("%s", path);
	free(path);
	return plan;
}

static void test_names(void **state)
{
	(void)state;
	static const struct {
		const char *scenario, *name, *want;
	} cases[] = {
		{ "ci-short", "max=32M/r1: kills", "ci-short.max_32M_r1.kills" },
		{ "sweep", "swappiness=0,max=64M/r2@6.12: one_kill", "sweep.swappiness_0_max_64M_r2_6.12.one_kill" },
		{ "oom-basic", "plan", "oom-basic.plan" },
		{ "ev<il>&\"'#1", "a b: x\x01y # TODO", "ev_il_1.a_b.x_y_TODO" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *n = report_lava_name(cases[i].scenario, cases[i].name);
		assert_string_equal(n, cases[i].want);
		free(n);
	}
}

static void test_units(void **state)
{
	(void)state;
	static const struct {
		const char *text, *units;
	} cases[] = {
		{ "peak_usage < 100M", "bytes" },
		{ "oom_kills == 1", "count" },
		{ "mean(swap_out_mb) < 10", "MiB" },
		{ " max( psi_some_avg10_peak ) < 5", "%" },
		{ "majority(leaker.outcome == exited)", "repeats" },
		{ "probe.p99_ms <= 5", "ms" },
		{ "leaker.bytes ~ 64M ±5%", "bytes" },
		{ "leaker.outcome == exited", NULL },
		{ "w.exit_code == 0", NULL },
		{ "nonsense(oom_kills) > 1", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *u = report_lava_units(cases[i].text);
		if (!cases[i].units && u)
			fail_msg("%s: %s, want none", cases[i].text, u);
		if (cases[i].units && (!u || strcmp(u, cases[i].units) != 0))
			fail_msg("%s: %s, want %s", cases[i].text, u ? u : "none", cases[i].units);
	}
	/* the writer finds a workload metric's unit by its name alone (plan.json does not
	 * say the workload's type): every type that has a name gives it one unit */
	size_t n;
	const struct metric *m = schema_metrics(&n);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (m[i].wl_type && m[k].wl_type && strcmp(m[i].name, m[k].name) == 0 &&
			    (m[i].unit != m[k].unit || m[i].type != m[k].type))
				fail_msg("%s.%s and %s.%s differ in unit or type", m[k].wl_type, m[k].name, m[i].wl_type, m[i].name);
}

static char *render(const char *const *names, size_t n)
{
	json_t *plans[8];
	for (size_t i = 0; i < n; i++)
		plans[i] = load(names[i]);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_lava(f, (const json_t *const *)plans, n), 0);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < n; i++)
		json_decref(plans[i]);
	return buf;
}

/* Every line: four words; a name LAVA takes, once; pass, fail or skip; a number or -. */
static void test_lines(void **state)
{
	(void)state;
	const char *names[] = { "pass", "fail", "hostile", "sweep-kernels", "interrupted", "interrupted-between", "skipped" };
	char *text = render(names, ARRAY_SIZE(names));
	char *save = NULL, **seen = NULL;
	size_t nseen = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char name[256], result[16], value[64], units[32], extra[8];
		if (sscanf(l, "%255s %15s %63s %31s %7s", name, result, value, units, extra) != 4)
			fail_msg("not four words: %s", l);
		for (const char *p = name; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
				fail_msg("'%c' in %s", *p, name);
		for (size_t i = 0; i < nseen; i++)
			if (strcmp(seen[i], name) == 0)
				fail_msg("%s twice", name);
		seen = xrealloc(seen, (nseen + 1) * sizeof(char *));
		seen[nseen++] = xstrdup(name);
		assert_true(!strcmp(result, "pass") || !strcmp(result, "fail") || !strcmp(result, "skip"));
		if (strcmp(value, "-") != 0) {
			char *end;
			(void)strtod(value, &end);
			assert_true(*end == '\0');
		} else {
			assert_string_equal(units, "-");
		}
	}
	free(text);
	const char *one[] = { "pass" };
	text = render(one, 1);
	/* a count with its unit; an outcome has no measurement */
	assert_string_equal(text, "oom-basic.r1.one_kill pass 1 count\noom-basic.r1.leaker_killed pass - -\n");
	free(text);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
