/* test_report.c - the report writers on hand-written plans ($MPH_TEST_DATA/data/plans:
 * pass, fail, skipped, interrupted during and between jobs, a zip sweep over kernels
 * with aggregates, hostile names). JUnit is checked by xmllint (well-formed, and the
 * counts and names read back through XPath), TAP by prove's verdict, the table and
 * the summary by what they say. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/report/report.h"
#include "../../harness/core/util.h"

static char tmpdir[] = "/tmp/mph-report-XXXXXX";

static json_t *load(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/data/plans/%s/plan.json", base ? base : "tests", name);
	json_t *plan = NULL;
	int r = report_plan_load(path, &plan);
	if (r < 0)
		fail_msg("%s: %s", path, strerror(-r));
	free(path);
	return plan;
}

static char *plan_dir(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	return xasprintf("%s/data/plans/%s", base ? base : "tests", name);
}

enum writer { JUNIT, TAP, TAP13 };

static char *render(enum writer w, const json_t *const *plans, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	int r = w == JUNIT ? report_junit(f, plans, n) : report_tap_version(f, plans, n, w == TAP ? 14 : 13);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(r, 0);
	return buf;
}

static char *render1(enum writer w, const char *name)
{
	json_t *plan = load(name);
	const json_t *plans[] = { plan };
	char *out = render(w, plans, 1);
	json_decref(plan);
	return out;
}

static char *table(const char *name, bool with_dir)
{
	json_t *plan = load(name);
	char *dir = with_dir ? plan_dir(name) : NULL, *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	report_plan_table(f, plan, dir);
	assert_int_equal(fclose(f), 0);
	free(dir);
	json_decref(plan);
	return buf;
}

static char *save(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text)), 0);
	return path;
}

static bool have(const char *tool, const char *package)
{
	char *cmd = xasprintf("command -v %s >/dev/null 2>&1", tool);
	int st = system(cmd);
	free(cmd);
	if (st != 0)
		print_message("[  SKIP    ] %s is not installed (Debian package %s): its check is left out\n", tool,
			      package);
	return st == 0;
}

/* Run a command, its stdout and stderr in *out; its exit status */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	char *full = xasprintf("%s 2>&1", cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, k, m);
	fclose(m);
	int st = pclose(p);
	free(cmd);
	free(full);
	*out = buf;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The value of an XPath expression over file (the paths and expressions are the
 * test's own: no shell quoting needed beyond single quotes) */
static char *xpath(const char *file, const char *expr)
{
	char *out = NULL;
	int st = run(&out, "xmllint --xpath '%s' %s", expr, file);
	if (st != 0)
		fail_msg("xmllint --xpath '%s' %s: exit %d: %s", expr, file, st, out);
	size_t len = strlen(out); /* xmllint ends the value with a newline of its own */
	if (len && out[len - 1] == '\n')
		out[len - 1] = '\0';
	return out;
}

static void assert_xpath(const char *file, const char *expr, const char *want)
{
	char *got = xpath(file, expr);
	if (strcmp(got, want) != 0)
		fail_msg("%s: %s is '%s', expected '%s'", file, expr, got, want);
	free(got);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void test_case_names(void **state)
{
	(void)state;
	static const struct {
		const char *plan;
		size_t i;
		const char *name;
		enum report_kind kind;
	} cases[] = {
		{ "pass", 0, "r1: one_kill", REPORT_PASS },
		{ "fail", 0, "swappiness=0,max=64M/r1: one_kill", REPORT_PASS },
		{ "fail", 6, "swappiness=60,max=128M/r1: one_kill", REPORT_FAIL },
		{ "skipped", 0, "r1: run", REPORT_SKIP },
		{ "skipped", 1, "r1: two_nodes", REPORT_SKIP },
		{ "interrupted", 1, "r2: run", REPORT_ERROR },
		{ "interrupted", 2, "r3: run", REPORT_SKIP },
		/* interrupted between jobs: nothing failed, yet the report is not green */
		{ "interrupted-between", 2, "plan", REPORT_ERROR },
		{ "sweep-kernels", 1, "swappiness=0,high=48M/r1@6.1: no_kill", REPORT_PASS },
		{ "sweep-kernels", 4, "swappiness=100,high=32M/r1@6.1: run", REPORT_ERROR },
		{ "sweep-kernels", 5, "swappiness=100,high=32M/r1@6.1: no_kill", REPORT_ERROR },
		{ "sweep-kernels", 7, "swappiness=0,high=48M@6.12: swap_avg", REPORT_PASS },
		{ "sweep-kernels", 8, "swappiness=100,high=32M: swap_avg", REPORT_FAIL },
		{ "sweep-kernels", 10, "trend: more_swap", REPORT_PASS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *plan = load(cases[i].plan);
		struct report_case *c = NULL;
		size_t n = 0;
		assert_int_equal(report_cases(plan, &c, &n), 0);
		if (cases[i].i >= n)
			fail_msg("%s: %zu cases, no case %zu", cases[i].plan, n, cases[i].i);
		if (strcmp(c[cases[i].i].name, cases[i].name) != 0 || c[cases[i].i].kind != cases[i].kind)
			fail_msg("%s case %zu: '%s' kind %d, expected '%s' kind %d", cases[i].plan, cases[i].i,
				 c[cases[i].i].name, c[cases[i].i].kind, cases[i].name, cases[i].kind);
		report_cases_free(c, n);
		json_decref(plan);
	}
}

/* Every fixture's own counts are what report_plan_counts computes (the fixtures and
 * the documented definition agree) */
static void test_counts(void **state)
{
	(void)state;
	static const char *const plans[] = { "pass", "fail", "skipped", "interrupted", "interrupted-between",
					     "sweep-kernels", "hostile" };
	for (size_t i = 0; i < ARRAY_SIZE(plans); i++) {
		json_t *plan = load(plans[i]), *c = report_plan_counts(plan);
		if (!json_equal(c, json_object_get(plan, "counts"))) {
			char *got = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
			fail_msg("%s: counts %s", plans[i], got);
		}
		json_decref(c);
		json_decref(plan);
	}
}

static void test_value(void **state)
{
	(void)state;
	char b[64];
	json_t *v[] = { json_integer(1), json_real(3.2), json_string("oom-killed"), json_null(), json_true(),
			json_pack("[i,i]", 1, 2) };
	static const char *const want[] = { "1", "3.2", "oom-killed", "null", "true", "[1,2]" };
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		assert_string_equal(report_value(v[i], b, sizeof(b)), want[i]);
		json_decref(v[i]);
	}
	assert_string_equal(report_value(NULL, b, sizeof(b)), "null");
}

static void test_load_errors(void **state)
{
	(void)state;
	json_t *plan = (json_t *)&plan; /* untouched on failure */
	char *missing = xasprintf("%s/nothing.json", tmpdir);
	assert_int_equal(report_plan_load(missing, &plan), -ENOENT);
	char *run = save("run.json", "{\"schema\": \"mph-run/1\"}");
	assert_int_equal(report_plan_load(run, &plan), -EINVAL);
	char *bad = save("bad.json", "{\"schema\": ");
	assert_int_equal(report_plan_load(bad, &plan), -EINVAL);
	assert_ptr_equal(plan, (json_t *)&plan);

	/* a writer given something that is not a plan writes nothing */
	json_t *notplan = json_pack("{ss}", "schema", "mph-run/1");
	const json_t *plans[] = { notplan };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_junit(f, plans, 1), -EINVAL);
	assert_int_equal(report_tap(f, plans, 1), -EINVAL);
	assert_int_equal(report_tap_version(f, plans, 0, 12), -EINVAL);
	fclose(f);
	assert_int_equal(len, 0);
	assert_null(report_plan_summary(notplan));
	assert_null(report_plan_counts(notplan));
	json_decref(notplan);
	free(buf);
	free(missing);
	free(run);
	free(bad);
}

/* Well-formed for xmllint, and the counts as XPath reads them back */
static void check_junit(const char *name, const char *tests, const char *failures, const char *errors,
			const char *skipped)
{
	char *xml = render1(JUNIT, name);
	char *file = xasprintf("%s.xml", name);
	char *path = save(file, xml);
	char *out = NULL;
	if (run(&out, "xmllint --noout %s", path) != 0)
		fail_msg("%s: not well-formed:\n%s", name, out);
	free(out);
	assert_xpath(path, "string(/testsuites/testsuite/@tests)", tests);
	assert_xpath(path, "string(/testsuites/testsuite/@failures)", failures);
	assert_xpath(path, "string(/testsuites/testsuite/@errors)", errors);
	assert_xpath(path, "string(/testsuites/testsuite/@skipped)", skipped);
	/* the counts are those of the elements */
	assert_xpath(path, "count(//testcase)", tests);
	assert_xpath(path, "count(//testcase/failure)", failures);
	assert_xpath(path, "count(//testcase/error)", errors);
	assert_xpath(path, "count(//testcase/skipped)", skipped);
	free(path);
	free(file);
	free(xml);
}

static void test_junit(void **state)
{
	(void)state;
	char *xml = render1(JUNIT, "fail");
	assert_contains(xml, "<testsuite name=\"swap-sweep\"");
	assert_contains(xml, "classname=\"mph.swap-sweep\"");
	assert_contains(xml, "<failure message=\"scenarios/swap-sweep.ini:14: oom_kills == 1: measured 0, expected == 1\"");
	assert_contains(xml, "value: 0\nfile: scenarios/swap-sweep.ini\nline: 14\n");
	free(xml);
	if (!have("xmllint", "libxml2-utils"))
		return;
	check_junit("pass", "2", "0", "0", "0");
	check_junit("fail", "8", "1", "0", "0");
	check_junit("skipped", "2", "0", "0", "2");
	check_junit("interrupted", "3", "0", "1", "1");
	check_junit("interrupted-between", "3", "0", "1", "1");
	check_junit("sweep-kernels", "11", "1", "3", "0");
	check_junit("hostile", "3", "1", "0", "1");

	char *path = xasprintf("%s/fail.xml", tmpdir);
	assert_xpath(path, "string(//testcase[failure]/@name)", "swappiness=60,max=128M/r1: one_kill");
	assert_xpath(path, "string(//testcase[failure]/@line)", "14");
	/* each job's time counted once: the suite's time is the jobs' elapsed_s */
	assert_xpath(path, "sum(//testcase/@time)", "4.5");
	assert_xpath(path, "string(/testsuites/testsuite/@time)", "4.500");
	free(path);
	/* hostile names come back as they were, the characters XML cannot carry as \xNN */
	path = xasprintf("%s/hostile.xml", tmpdir);
	assert_xpath(path, "string(/testsuites/testsuite/@name)", "ev<il>&\"'#1");
	assert_xpath(path, "string(//testcase[1]/@name)", "a<b>&'c\"#1/r1@6.12 # TODO: x\\x01y # TODO");
	assert_xpath(path, "string(//testcase[1]/@file)", "sc#en<>&.ini");
	char *msg = xpath(path, "string(//failure/@message)");
	assert_contains(msg, "sc#en<>&.ini:7: status(w) == \"ok\" ]]> <!-- & -->: measured \\x01bad\\x1B[31m\\uFFFEevil<>&\"'\\x01#\xc3\xa9");
	assert_contains(msg, "\nline two\r\tend ]]>)"); /* attribute newlines survive as references */
	free(msg);
	free(path);
}

static void test_junit_plans_and_file(void **state)
{
	(void)state;
	json_t *a = load("pass"), *b = load("sweep-kernels");
	const json_t *plans[] = { a, b };
	char *xml = render(JUNIT, plans, 2);
	assert_contains(xml, "<testsuites name=\"mph\" tests=\"13\" failures=\"1\" errors=\"3\" skipped=\"0\"");
	char *path = xasprintf("%s/two.xml", tmpdir), *back = NULL;
	assert_int_equal(report_junit_file(path, plans, 2), 0);
	size_t len = 0;
	assert_int_equal(read_file(path, &back, &len), 0);
	assert_string_equal(back, xml);
	if (have("xmllint", "libxml2-utils")) {
		assert_xpath(path, "count(/testsuites/testsuite)", "2");
		assert_xpath(path, "string(/testsuites/testsuite[2]/@name)", "vm-memory-high");
	}
	free(back);
	free(path);
	free(xml);
	json_decref(a);
	json_decref(b);
}

/* No '#' in a test line that TAP would read as a directive, except our SKIP */
static void check_tap_lines(const char *tap)
{
	char *copy = xstrdup(tap), *save_ptr = NULL;
	for (char *line = strtok_r(copy, "\n", &save_ptr); line; line = strtok_r(NULL, "\n", &save_ptr)) {
		if (strncmp(line, "ok ", 3) != 0 && strncmp(line, "not ok ", 7) != 0)
			continue;
		for (const char *p = line; *p; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == '#' && strncmp(p, "# SKIP ", 7) != 0)
				fail_msg("unescaped '#' in: %s", line);
			if (*p == '#')
				break;
		}
	}
	free(copy);
}

/* prove's verdict on the TAP 13 stream (Debian 12's prove rejects "TAP version 14") */
static void check_prove(const char *name, bool want_pass)
{
	char *tap = render1(TAP13, name);
	char *file = xasprintf("%s.tap", name), *path = save(file, tap), *out = NULL;
	int st = run(&out, "prove -e cat %s", path);
	if ((st == 0) != want_pass || strstr(out, "Parse errors"))
		fail_msg("%s: prove exited %d, expected %s:\n%s", name, st, want_pass ? "0" : "non-zero", out);
	free(out);
	free(path);
	free(file);
	free(tap);
}

static void test_tap(void **state)
{
	(void)state;
	char *tap = render1(TAP, "fail");
	assert_true(strncmp(tap, "TAP version 14\n1..8\n", 20) == 0);
	assert_contains(tap, "\nok 1 - swap-sweep: swappiness=0,max=64M/r1: one_kill\n");
	assert_contains(tap, "\nnot ok 7 - swap-sweep: swappiness=60,max=128M/r1: one_kill\n  ---\n"
			     "  message: \"scenarios/swap-sweep.ini:14: oom_kills == 1: measured 0, expected == 1\"\n");
	assert_contains(tap, "\n  value: 0\n  file: \"scenarios/swap-sweep.ini\"\n  line: 14\n");
	assert_contains(tap, "\n  ...\nok 8 - ");
	/* TAP 13 differs only in its first line */
	char *tap13 = render1(TAP13, "fail");
	assert_string_equal(strchr(tap13, '\n'), strchr(tap, '\n'));
	free(tap13);
	free(tap);

	tap = render1(TAP, "skipped");
	assert_contains(tap, "\nok 1 - vm-numa: r1: run # SKIP skipped: not root: creating cgroups");
	free(tap);
	tap = render1(TAP, "hostile");
	check_tap_lines(tap);
	assert_contains(tap, "not ok 1 - ev<il>&\"'\\#1: a<b>&'c\"\\#1/r1@6.12 \\# TODO: x\\x01y \\# TODO\n");
	assert_contains(tap, "ok 2 - ev<il>&\"'\\#1: a<b>&'c\"\\#1/r1@6.12 \\# TODO: ok\\\\\\#fine\n");
	/* a reason's newline does not end the line early */
	assert_contains(tap, "# SKIP skipped: needs \"<root>\" & more # SKIP second line\n");
	free(tap);
	tap = render1(TAP, "sweep-kernels");
	check_tap_lines(tap);
	assert_contains(tap, "\n  value: 14.75\n");
	free(tap);

	if (!have("prove", "perl"))
		return;
	check_prove("pass", true);
	check_prove("skipped", true);
	check_prove("fail", false);
	check_prove("interrupted", false);
	check_prove("interrupted-between", false);
	check_prove("sweep-kernels", false);
	check_prove("hostile", false);
}

/* Lines within about 100 columns, no control character for the terminal */
static void check_table_lines(const char *t)
{
	size_t cols = 0;
	for (const unsigned char *p = (const unsigned char *)t; *p; p++) {
		if (*p == '\n') {
			cols = 0;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			fail_msg("control character 0x%02x in:\n%s", *p, t);
		if ((*p & 0xc0) != 0x80 && ++cols > 100)
			fail_msg("a line over 100 columns in:\n%s", t);
	}
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *plan;
		const char *want[4];
	} cases[] = {
		{ "pass", { "oom-basic: 1 job (scenarios/oom-basic.ini)\n", "  -        host    r1   done        2/2    leaker oom-killed\n",
			    "verdict: PASS (2 assertions, 1 job)\n" } },
		{ "fail",
		  { "  swappiness=60,max=128M  host    r1   done        1/2    leaker exited, steady exited\n",
		    /* the job whose run.json is missing still has its line */
		    "  swappiness=60,max=64M   host    r1   done        2/2\n",
		    "FAIL  swappiness=60,max=128M/r1: one_kill\n      scenarios/swap-sweep.ini:14: oom_kills == 1: measured 0, expected == 1\n",
		    "verdict: FAIL (1 of 8 assertions failed, 4 jobs)\n" } },
		{ "skipped", { "verdict: SKIPPED (not root: creating cgroups and writing sysctls needs root)\n" } },
		{ "interrupted", { "ERROR r2: run\n      interrupted: SIGINT\n", "verdict: INTERRUPTED (after 1 of 3 jobs: SIGINT; 1 assertion)\n" } },
		{ "interrupted-between", { "ERROR plan\n", "verdict: INTERRUPTED (after 1 of 2 jobs: SIGTERM; 1 assertion)\n" } },
		{ "sweep-kernels",
		  { "  swappiness=100,high=32M  6.1     r1   failed      0/1    failed (exit 1): guest panicked: Kerne...\n",
		    /* messages wrap instead of losing their end */
		    "could not be evaluated: no run\n      completed on this kernel\n",
		    "verdict: ERROR (10 assertions: 1 failed, 2 not evaluable; 1 of 6 jobs failed)\n" } },
		{ "hostile", { "FAIL  a<b>&'c\"#1/r1@6.12 # TODO: x?y # TODO\n", "verdict: FAIL (1 of 2 assertions failed, 2 jobs)\n" } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *t = table(cases[i].plan, true);
		for (size_t k = 0; k < ARRAY_SIZE(cases[i].want) && cases[i].want[k]; k++)
			assert_contains(t, cases[i].want[k]);
		check_table_lines(t);
		free(t);
	}
	/* without the plan's directory: no outcomes, the same verdict */
	char *t = table("pass", false);
	assert_contains(t, "  -        host    r1   done        2/2\nverdict: PASS (2 assertions, 1 job)\n");
	free(t);
}

static void test_summary(void **state)
{
	(void)state;
	json_t *plan = load("fail"), *s = report_plan_summary(plan);
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(s, "scenario")), "swap-sweep");
	assert_string_equal(json_string_value(json_object_get(s, "verdict")), "fail");
	assert_int_equal(json_integer_value(json_object_get(s, "exit_code")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "counts"), "failed_assertions")), 1);
	json_t *failed = json_object_get(s, "failed");
	assert_int_equal(json_array_size(failed), 1);
	json_t *f0 = json_array_get(failed, 0);
	assert_string_equal(json_string_value(json_object_get(f0, "name")), "swappiness=60,max=128M/r1: one_kill");
	assert_true(json_is_integer(json_object_get(f0, "value")));
	assert_int_equal(json_integer_value(json_object_get(f0, "value")), 0);
	assert_int_equal(json_integer_value(json_object_get(f0, "line")), 14);
	assert_int_equal(json_integer_value(json_object_get(f0, "job")), 4);
	assert_string_equal(json_string_value(json_object_get(f0, "dir")), "swappiness=60,max=128M/r1");
	assert_int_equal(json_array_size(json_object_get(s, "jobs_not_done")), 0);
	json_decref(s);
	json_decref(plan);

	plan = load("sweep-kernels");
	s = report_plan_summary(plan);
	assert_int_equal(json_array_size(json_object_get(s, "failed")), 3);
	json_t *nd = json_object_get(s, "jobs_not_done");
	assert_int_equal(json_array_size(nd), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nd, 0), "status")), "failed");
	/* an aggregate has no job */
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(s, "failed"), 1), "job")));
	json_decref(s);
	json_decref(plan);

	plan = load("skipped");
	s = report_plan_summary(plan);
	assert_string_equal(json_string_value(json_object_get(s, "verdict")), "skipped");
	assert_int_equal(json_integer_value(json_object_get(s, "exit_code")), 3);
	assert_string_equal(json_string_value(json_object_get(s, "reason")),
			    "not root: creating cgroups and writing sysctls needs root");
	json_decref(s);
	json_decref(plan);

	/* every job not done is listed, the one interrupted and the one never started */
	plan = load("interrupted");
	s = report_plan_summary(plan);
	nd = json_object_get(s, "jobs_not_done");
	assert_int_equal(json_array_size(nd), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(nd, 0), "name")), "r2");
	assert_string_equal(json_string_value(json_object_get(json_array_get(nd, 1), "status")), "not-run");
	assert_true(json_is_null(json_object_get(json_array_get(nd, 1), "exit_code")));
	assert_int_equal(json_array_size(json_object_get(s, "failed")), 0);
	json_decref(s);
	json_decref(plan);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(tmpdir) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_names),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_junit),
		cmocka_unit_test(test_junit_plans_and_file),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
