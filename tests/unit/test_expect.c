/* test_expect.c - [expect] lines parsed and checked against the saved runs in
 * tests/data/runs/ (edited in memory for repeats and sweeps): every form, the
 * tolerances at their bounds, absent values as errors, words, workload metrics,
 * mean/majority over repeats, trends across a sweep, and each parse error at its
 * line. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../harness/scenario/expect.h"
#include "../../harness/core/util.h"

static json_t *load_run(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/data/runs/%s.json", base ? base : "tests", name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	free(path);
	return j;
}

static const struct schema_wl wls[] = { { "leaker", "anonleak" }, { "steady", "anonleak" }, { "probe", "probe" },
					{ "reader", "exec" } };

/* Parse one line of [expect]; fail with the diagnostics if it does not parse. */
static struct expectation parse(const char *section, const char *text)
{
	struct diags d = { .file = xstrdup("t.ini") };
	struct expectation e;
	if (expect_parse_line("t.ini", 7, section, "t", text, wls, ARRAY_SIZE(wls), &e, &d) < 0) {
		char *m = d.n ? diag_format(&d, 0) : xstrdup("(no diagnostic)");
		fail_msg("'%s' did not parse: %s", text, m);
	}
	assert_int_equal(d.n, 0);
	diags_free(&d);
	return e;
}

/* The verdict of a run-scope line on run. */
static enum verdict_result check(const char *text, const json_t *run, char **msg)
{
	struct expectation e = parse("expect", text);
	struct verdict v;
	assert_int_equal(expect_eval_run(&e, run, &v), 0);
	enum verdict_result r = v.result;
	if (msg)
		*msg = xstrdup(v.message);
	verdict_free(&v);
	expectation_free(&e);
	return r;
}

#define assert_verdict(text, run, want) \
	do { \
		char *m_; \
		enum verdict_result r_ = check(text, run, &m_); \
		if (r_ != (want)) \
			fail_msg("%s: %s (%s), expected %s", text, verdict_name(r_), m_, verdict_name(want)); \
		free(m_); \
	} while (0)

static void set_num(json_t *run, const char *obj1, const char *obj2, const char *key, double v)
{
	json_t *o = json_object_get(run, obj1);
	if (obj2)
		o = json_object_get(o, obj2);
	assert_non_null(o);
	json_object_set_new(o, key, json_real(v));
}

static void set_swap_out(json_t *run, double mb)
{
	set_num(run, "recorder", "reclaim", "swap_out_mb", mb);
}

static void set_outcome(json_t *run, const char *wl, const char *outcome)
{
	size_t i;
	json_t *w;
	json_array_foreach (json_object_get(run, "workloads"), i, w)
		if (strcmp(json_string_value(json_object_get(w, "name")), wl) == 0)
			json_object_set_new(w, "outcome", json_string(outcome));
}

static void test_parse_forms(void **state)
{
	(void)state;
	struct expectation e = parse("expect", "leaker.outcome == oom-killed");
	assert_int_equal(e.scope, ESCOPE_RUN);
	assert_string_equal(e.c.ref.m->name, "outcome");
	assert_string_equal(e.c.ref.workload, "leaker");
	assert_true(e.c.want_word);
	assert_string_equal(e.c.word, "oom-killed");
	assert_null(e.selector);
	assert_int_equal(e.line, 7);
	assert_string_equal(e.file, "t.ini");
	expectation_free(&e);

	e = parse("expect", "oom_kills == 1");
	assert_int_equal(e.c.op, EOP_EQ);
	assert_null(e.c.ref.workload);
	assert_true(e.c.want == 1 && !e.c.want_word);
	expectation_free(&e);

	e = parse("expect", "  peak_usage ~ 64M ±5%  ");
	assert_int_equal(e.c.op, EOP_APPROX);
	assert_true(e.c.want == 64.0 * 1048576);
	assert_int_equal(e.c.tol, ETOL_REL);
	assert_true(e.c.tol_val == 5);
	expectation_free(&e);

	e = parse("expect", "peak_usage~64M+-4M");
	assert_int_equal(e.c.tol, ETOL_ABS);
	assert_true(e.c.tol_val == 4.0 * 1048576);
	expectation_free(&e);

	e = parse("expect", "probe.p99_ms <= 5");
	assert_int_equal(e.c.op, EOP_LE);
	assert_string_equal(e.workload, "probe");
	expectation_free(&e);

	e = parse("expect", "swap_out_mb < 2.5");
	assert_true(e.c.want == 2.5);
	expectation_free(&e);

	e = parse("expect", "mean(swap_out_mb) < 10");
	assert_int_equal(e.scope, ESCOPE_VARIANT);
	assert_int_equal(e.agg, EAGG_MEAN);
	assert_int_equal(e.c.op, EOP_LT);
	expectation_free(&e);

	e = parse("expect", "max( leaker.ended_s ) >= 0.1");
	assert_int_equal(e.agg, EAGG_MAX);
	expectation_free(&e);

	e = parse("expect", "majority(leaker.outcome == oom-killed)");
	assert_int_equal(e.scope, ESCOPE_VARIANT);
	assert_int_equal(e.agg, EAGG_MAJORITY);
	assert_string_equal(e.c.word, "oom-killed");
	expectation_free(&e);

	e = parse("expect", "swap_out_mb increases with vm.swappiness");
	assert_int_equal(e.scope, ESCOPE_TREND);
	assert_false(e.decreases);
	assert_string_equal(e.trend_key, "vm.swappiness");
	expectation_free(&e);

	e = parse("expect vm.swappiness=10 memory.max=64M", "probe.p99_ms decreases with memory.max");
	assert_true(e.decreases);
	assert_string_equal(e.selector, "vm.swappiness=10 memory.max=64M");
	expectation_free(&e);

	e = parse("expect", "interrupted == no");
	assert_string_equal(e.c.word, "false");
	expectation_free(&e);

	const char *sel = "x";
	assert_int_equal(expect_section("expect", &sel), 1);
	assert_null(sel);
	assert_int_equal(expect_section("expect a=1", &sel), 1);
	assert_string_equal(sel, "a=1");
	assert_int_equal(expect_section("expected", &sel), 0);
	assert_int_equal(expect_section("workload leaker", &sel), 0);
}

/* every parse error at its line, with its section, key and a useful message */
static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *section, *name, *text, *msg;
	} cases[] = {
		{ "expect", "a", "oom_kils == 1", "no metric 'oom_kils' (docs/results.md lists them) (did you mean oom_kills?)" },
		{ "expect", "a", "leakr.outcome == oom-killed", "no workload 'leakr' in this scenario (did you mean leaker?)" },
		{ "expect", "a", "leaker.outcome == oom-kiled", "leaker.outcome is never 'oom-kiled' (did you mean oom-killed?)" },
		{ "expect", "a", "leaker.outcome == gone",
		  "leaker.outcome is never 'gone' (it is one of exited, oom-killed, killed, timed-out, enomem, failed-to-start)" },
		{ "expect", "a", "leaker.outcome < exited", "leaker.outcome is a word: it compares only with == and !=" },
		{ "expect", "a", "oom_kills = 1", "'=' does not compare: write ==" },
		{ "expect", "a", "oom_kills", "expected an operator (==, !=, <, <=, >, >=, ~) and a value after oom_kills" },
		{ "expect", "a", "oom_kills ==", "expected a value after ==" },
		{ "expect", "a", "oom_kills == 1 2", "unexpected '2' after the value 1" },
		{ "expect", "a", "oom_kills is 1", "expected an operator (==, !=, <, <=, >, >=, ~) instead of 'is 1'" },
		{ "expect", "a", "peak_usage ~ 64M", "~ needs a tolerance: ~ 64M ±5% (relative) or ~ 64M ±N (absolute)" },
		{ "expect", "a", "peak_usage < 64M ±5%", "a tolerance (±5%) goes only with ~" },
		{ "expect", "a", "peak_usage ~ 64M ±x%", "tolerance 'x%' is not a percentage" },
		{ "expect", "a", "peak_usage ~ 64M ±", "expected a tolerance after ±: 5% or an amount" },
		{ "expect", "a", "swap_out_mb < 10M", "value '10M': swap_out_mb is a number in MiB; write it without a unit" },
		{ "expect", "a", "peak_usage < lots", "value 'lots' is not a size (4096, 64k, 64M, 1G)" },
		{ "expect", "a", "oom_kills < many", "value 'many' is not a number" },
		{ "expect", "a", "interrupted == maybe", "'maybe' is not a boolean (true, false)" },
		{ "expect", "a", "p99_ms < 5", "'p99_ms' is a workload metric: write <workload>.p99_ms" },
		{ "expect", "a", "leaker.p99_ms < 5", "workload leaker (anonleak) has no metric 'p99_ms'; it is a metric of probe workloads" },
		{ "expect", "a", "maen(swap_out_mb) < 1", "unknown function 'maen' (did you mean mean?) (known: mean, min, max, majority)" },
		{ "expect", "a", "mean(swap_out_mb < 10", "missing ')' after mean(" },
		{ "expect", "a", "mean(swap_out_mb < 10) < 2", "mean() takes one metric: mean(swap_out_mb) < 10" },
		{ "expect", "a", "mean(leaker.outcome) == exited",
		  "mean() needs a number; leaker.outcome is a word (majority(...) counts comparisons)" },
		{ "expect", "a", "majority(oom_kills == 1) > 2", "unexpected '> 2' after majority(...)" },
		{ "expect", "a", "leaker.outcome increases with vm.swappiness", "leaker.outcome is a word: only numbers increase or decrease" },
		{ "expect", "a", "swap_out_mb increases vm.swappiness",
		  "expected 'with KEY' after increases: swap_out_mb increases with vm.swappiness" },
		{ "expect", "a", "swap_out_mb decreases with", "expected one swept key after 'with', such as vm.swappiness or memory.max" },
		{ "expect", "a", "   ", "empty: expected an assertion such as oom_kills == 1" },
		{ "expect", "bad name", "oom_kills == 1", "an expectation's name is its test case: letters, digits, '_', '.', '-' only" },
		{ "expect swappiness", "a", "oom_kills == 1", "section [expect swappiness]: 'swappiness' is not KEY=VALUE" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct diags d = { .file = xstrdup("t.ini") };
		struct expectation e;
		int line = 10 + (int)i;
		assert_int_equal(expect_parse_line("t.ini", line, cases[i].section, cases[i].name, cases[i].text, wls,
						   ARRAY_SIZE(wls), &e, &d),
				 -EINVAL);
		if (d.n != 1)
			fail_msg("'%s': %zu diagnostics", cases[i].text, d.n);
		assert_int_equal(d.v[0].line, line);
		assert_string_equal(d.v[0].section, cases[i].section);
		assert_string_equal(d.v[0].key, cases[i].name);
		if (strcmp(d.v[0].msg, cases[i].msg) != 0)
			fail_msg("'%s':\n  got  %s\n  want %s", cases[i].text, d.v[0].msg, cases[i].msg);
		diags_free(&d);
	}

	/* names are unique within the scenario */
	struct expect_set s = { 0 };
	struct diags d = { .file = xstrdup("t.ini") };
	assert_int_equal(expect_add(&s, "t.ini", 3, "expect", "kill", "oom_kills == 1", wls, ARRAY_SIZE(wls), &d), 0);
	assert_int_equal(expect_add(&s, "t.ini", 9, "expect a=1", "kill", "oom_kills == 2", wls, ARRAY_SIZE(wls), &d),
			 -EINVAL);
	assert_int_equal(s.n, 1);
	assert_int_equal(d.n, 1);
	char *m = diag_format(&d, 0);
	assert_string_equal(m, "t.ini:9: [expect a=1] kill: the name is taken (line 3): each expectation needs its own");
	free(m);
	diags_free(&d);
	expect_set_free(&s);
}

static void test_run_scope(void **state)
{
	(void)state;
	json_t *oom = load_run("oom-basic-v1"), *probe = load_run("probe-pagecache-v1"), *def = load_run("default-v1");
	/* the two forms of the product spec, as written */
	assert_verdict("leaker.outcome == oom-killed", oom, VERDICT_PASS);
	assert_verdict("oom_kills == 1", oom, VERDICT_PASS);

	assert_verdict("leaker.outcome != exited", oom, VERDICT_PASS);
	assert_verdict("leaker.outcome == exited", oom, VERDICT_FAIL);
	assert_verdict("steady.outcome == exited", def, VERDICT_PASS);
	assert_verdict("leaker.outcome == oom-killed", def, VERDICT_PASS);
	assert_verdict("leaker.signal == KILL", oom, VERDICT_PASS);
	assert_verdict("steady.signal == none", def, VERDICT_PASS);
	assert_verdict("steady.signal != KILL", def, VERDICT_PASS);
	assert_verdict("oom_kills == 1", def, VERDICT_PASS);
	assert_verdict("oom_kills >= 2", def, VERDICT_FAIL);
	assert_verdict("cgroup_oom_kill >= 1", oom, VERDICT_PASS);
	assert_verdict("swap_out_mb < 10", oom, VERDICT_PASS);
	assert_verdict("interrupted == false", oom, VERDICT_PASS);
	assert_verdict("cgroup_version == v1", oom, VERDICT_PASS);
	assert_verdict("probe.p99_ms <= 5", probe, VERDICT_FAIL);
	assert_verdict("probe.p99_ms <= 7", probe, VERDICT_PASS);
	assert_verdict("probe.status == stopped", probe, VERDICT_PASS);
	assert_verdict("reader.cmd_exit_code == 0", probe, VERDICT_PASS);
	assert_verdict("steady.bytes == 24M", def, VERDICT_PASS);

	/* oom_kills is the run's own: kills elsewhere do not count */
	json_object_set_new(oom, "oom_kills_elsewhere", json_integer(3));
	assert_verdict("oom_kills == 1", oom, VERDICT_PASS);

	/* the message says what was measured against what */
	char *m;
	assert_int_equal(check("oom_kills == 1", probe, &m), VERDICT_FAIL);
	assert_string_equal(m, "measured 0, expected == 1");
	free(m);
	assert_int_equal(check("leaker.outcome == exited", oom, &m), VERDICT_FAIL);
	assert_string_equal(m, "measured oom-killed, expected == exited");
	free(m);
	assert_int_equal(check("peak_usage ~ 60M ±5%", oom, &m), VERDICT_FAIL);
	assert_string_equal(m, "measured 67108864 (64.0 MiB), expected ~ 60M ±5% (59768832..66060288)");
	free(m);
	json_decref(oom);
	json_decref(probe);
	json_decref(def);
}

/* ~ with relative and absolute tolerances: both bounds are inside */
static void test_tolerance(void **state)
{
	(void)state;
	json_t *r = load_run("oom-basic-v1");
	assert_verdict("peak_usage ~ 64M ±5%", r, VERDICT_PASS);
	assert_verdict("peak_usage ~ 64M ±0%", r, VERDICT_PASS);
	assert_verdict("peak_usage ~ 64M ±4M", r, VERDICT_PASS);
	assert_verdict("peak_usage ~ 70M ±4M", r, VERDICT_FAIL);
	static const struct {
		double measured;
		const char *text;
		enum verdict_result want;
	} cases[] = {
		{ 105, "peak_usage ~ 100 ±5%", VERDICT_PASS },   { 95, "peak_usage ~ 100 ±5%", VERDICT_PASS },
		{ 106, "peak_usage ~ 100 ±5%", VERDICT_FAIL },   { 94, "peak_usage ~ 100 +-5%", VERDICT_FAIL },
		{ 105, "peak_usage ~ 100 +-5", VERDICT_PASS },   { 95, "peak_usage ~ 100 ± 5", VERDICT_PASS },
		{ 106, "peak_usage ~ 100 ±5", VERDICT_FAIL },    { 94, "peak_usage ~ 100 ±5", VERDICT_FAIL },
		{ 1024, "peak_usage ~ 1k ±0", VERDICT_PASS },    { 1025, "peak_usage ~ 1k ±0", VERDICT_FAIL },
		/* MiB metrics: numbers in MiB, fractions allowed */
		{ 10.5, "swap_out_mb ~ 10 ±0.5", VERDICT_PASS }, { 10.51, "swap_out_mb ~ 10 ±0.5", VERDICT_FAIL },
		{ 9.5, "swap_out_mb ~ 10 ±5%", VERDICT_PASS },   { 9.49, "swap_out_mb ~ 10 ±5%", VERDICT_FAIL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		set_num(r, "recorder", NULL, "peak_usage_bytes", cases[i].measured);
		set_swap_out(r, cases[i].measured);
		char *m;
		enum verdict_result got = check(cases[i].text, r, &m);
		if (got != cases[i].want)
			fail_msg("%s at %g: %s (%s)", cases[i].text, cases[i].measured, verdict_name(got), m);
		free(m);
	}
	/* the other operators at their bounds */
	set_swap_out(r, 10);
	assert_verdict("swap_out_mb < 10", r, VERDICT_FAIL);
	assert_verdict("swap_out_mb <= 10", r, VERDICT_PASS);
	assert_verdict("swap_out_mb > 10", r, VERDICT_FAIL);
	assert_verdict("swap_out_mb >= 10", r, VERDICT_PASS);
	assert_verdict("swap_out_mb != 10", r, VERDICT_FAIL);
	json_decref(r);
}

/* a value run.json does not have is an error, never a pass */
static void test_absent(void **state)
{
	(void)state;
	json_t *v1 = load_run("oom-basic-v1"), *v2 = load_run("vm-oom-v2");
	char *m;
	assert_int_equal(check("events_oom_kill == 1", v1, &m), VERDICT_ERROR);
	assert_string_equal(m, "no value for events_oom_kill: null in run.json (cgroup.memory_events.oom_kill)");
	free(m);
	assert_verdict("events_oom_kill != 1", v1, VERDICT_ERROR);
	assert_verdict("events_oom_kill == 1", v2, VERDICT_PASS);
	assert_verdict("failcnt >= 0", v2, VERDICT_ERROR);
	assert_verdict("failcnt >= 0", v1, VERDICT_PASS);
	/* killed before its final report */
	assert_int_equal(check("leaker.status != done", v1, &m), VERDICT_ERROR);
	assert_string_equal(m, "no value for leaker.status: null in run.json (report_final.status)");
	free(m);
	assert_verdict("leaker.exit_code == 0", v1, VERDICT_ERROR);
	assert_verdict("first_direct_reclaim_s < 1", v1, VERDICT_ERROR);
	/* a workload missing from the run */
	set_outcome(v1, "leaker", "exited");
	json_object_set_new(json_array_get(json_object_get(v1, "workloads"), 0), "name", json_string("other"));
	assert_int_equal(check("leaker.outcome == exited", v1, &m), VERDICT_ERROR);
	assert_string_equal(m, "no value for leaker.outcome: no such workload in run.json (outcome)");
	free(m);
	/* no run.json at all */
	assert_int_equal(check("oom_kills == 1", NULL, &m), VERDICT_ERROR);
	assert_string_equal(m, "no run.json for this run");
	free(m);
	json_decref(v1);
	json_decref(v2);
}

static struct verdict eval_variant(const char *text, json_t **runs, size_t n)
{
	struct expectation *e = xcalloc(1, sizeof(*e));
	*e = parse("expect", text);
	struct verdict v;
	assert_int_equal(expect_eval_variant(e, (const json_t *const *)runs, n, &v), 0);
	return v; /* v.e is leaked on purpose until free_variant */
}

static void free_variant(struct verdict *v)
{
	struct expectation *e = (struct expectation *)v->e;
	verdict_free(v);
	expectation_free(e);
	free(e);
}

static void test_variant_scope(void **state)
{
	(void)state;
	json_t *r[4];
	static const double swap[] = { 1, 2, 6, 3 };
	for (size_t i = 0; i < 4; i++) {
		r[i] = load_run("oom-basic-v1");
		set_swap_out(r[i], swap[i]);
	}
	struct verdict v = eval_variant("mean(swap_out_mb) < 10", r, 3);
	assert_int_equal(v.result, VERDICT_PASS);
	assert_int_equal(v.value.kind, MV_NUMBER);
	assert_true(v.value.num == 3);
	assert_string_equal(v.message, "mean over 3 runs 3, expected < 10");
	assert_int_equal(json_array_size(json_object_get(v.detail, "values")), 3);
	free_variant(&v);
	v = eval_variant("mean(swap_out_mb) < 3", r, 3);
	assert_int_equal(v.result, VERDICT_FAIL);
	free_variant(&v);
	v = eval_variant("mean(swap_out_mb) ~ 3.1 ±0.1", r, 3);
	assert_int_equal(v.result, VERDICT_PASS);
	free_variant(&v);
	/* decimal fractions: 0.1 + 0.2 + 0.6 is not exactly 0.9 in binary, still == 0.3 * 3 */
	set_swap_out(r[0], 0.1);
	set_swap_out(r[1], 0.2);
	set_swap_out(r[2], 0.6);
	v = eval_variant("mean(swap_out_mb) == 0.3", r, 3);
	assert_int_equal(v.result, VERDICT_PASS);
	free_variant(&v);
	v = eval_variant("mean(swap_out_mb) < 0.3", r, 3);
	assert_int_equal(v.result, VERDICT_FAIL);
	free_variant(&v);
	for (size_t i = 0; i < 3; i++)
		set_swap_out(r[i], swap[i]);
	v = eval_variant("max(swap_out_mb) <= 6", r, 4);
	assert_int_equal(v.result, VERDICT_PASS);
	assert_true(v.value.num == 6);
	free_variant(&v);
	v = eval_variant("min(swap_out_mb) > 1", r, 4);
	assert_int_equal(v.result, VERDICT_FAIL);
	assert_true(v.value.num == 1);
	free_variant(&v);

	/* majority: more than half */
	set_outcome(r[1], "leaker", "exited");
	v = eval_variant("majority(leaker.outcome == oom-killed)", r, 3);
	assert_int_equal(v.result, VERDICT_PASS);
	assert_true(v.value.num == 2);
	assert_string_equal(v.message, "2 of 3 runs had leaker.outcome == oom-killed (more than half needed)");
	free_variant(&v);
	set_outcome(r[2], "leaker", "exited");
	v = eval_variant("majority(leaker.outcome == oom-killed)", r, 4); /* 2 of 4: not more than half */
	assert_int_equal(v.result, VERDICT_FAIL);
	free_variant(&v);
	v = eval_variant("majority(leaker.outcome == oom-killed)", r, 3);
	assert_int_equal(v.result, VERDICT_FAIL);
	free_variant(&v);
	v = eval_variant("majority(swap_out_mb >= 2)", r, 4);
	assert_int_equal(v.result, VERDICT_PASS);
	free_variant(&v);

	/* a run missing or a value absent: error, whatever the others say */
	json_t *with_gap[3] = { r[0], NULL, r[3] };
	v = eval_variant("mean(swap_out_mb) < 10", with_gap, 3);
	assert_int_equal(v.result, VERDICT_ERROR);
	assert_string_equal(v.message, "run 2 of 3: no run.json for this run");
	free_variant(&v);
	json_object_set_new(json_object_get(r[2], "recorder"), "reclaim", json_null());
	v = eval_variant("majority(swap_out_mb < 100)", r, 4);
	assert_int_equal(v.result, VERDICT_ERROR);
	assert_string_equal(v.message, "run 3 of 4: no value for swap_out_mb: null in run.json (recorder.reclaim.swap_out_mb)");
	free_variant(&v);
	v = eval_variant("mean(swap_out_mb) < 10", r, 0);
	assert_int_equal(v.result, VERDICT_ERROR);
	free_variant(&v);
	for (size_t i = 0; i < 4; i++)
		json_decref(r[i]);
}

/* A sweep of vm.swappiness x memory.max, two repeats each, built from one fixture. */
struct sweep {
	json_t *run[16];
	struct expect_kv kv[16][2];
	struct expect_job job[16];
	size_t n;
};

static void sweep_add(struct sweep *s, const char *swappiness, const char *memmax, unsigned repeat, double swap_mb)
{
	size_t i = s->n++;
	s->run[i] = load_run("oom-basic-v1");
	set_swap_out(s->run[i], swap_mb);
	s->kv[i][0] = (struct expect_kv){ "vm.swappiness", swappiness };
	s->kv[i][1] = (struct expect_kv){ "memory.max", memmax };
	s->job[i] = (struct expect_job){ .run = s->run[i], .vars = s->kv[i], .nvars = memmax ? 2 : 1, .repeat = repeat,
					 .match_ctx = &s->job[i] };
}

static void sweep_free(struct sweep *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->run[i]);
	s->n = 0;
}

/* the variant matcher's stand-in: every KEY=VALUE of spec equals the job's */
static int match_vars(void *ctx, const char *spec)
{
	const struct expect_job *j = ctx;
	char *copy = xstrdup(spec), *save = NULL;
	int r = 1;
	for (char *t = strtok_r(copy, " ", &save); t && r == 1; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		*eq = 0;
		bool found = false;
		for (size_t i = 0; i < j->nvars; i++)
			if (strcmp(j->vars[i].key, t) == 0) {
				found = true;
				r = strcmp(j->vars[i].value, eq + 1) == 0;
			}
		if (!found)
			r = -EINVAL;
	}
	free(copy);
	return r;
}

static struct verdict *trend(const char *section, const char *text, struct sweep *s, size_t *n,
			     struct expectation *e)
{
	*e = parse(section, text);
	struct verdict *v = NULL;
	assert_int_equal(expect_eval_trend(e, s->job, s->n, match_vars, &v, n), 0);
	return v;
}

static void test_trend(void **state)
{
	(void)state;
	struct sweep s = { 0 };
	struct expectation e;
	size_t n;
	/* out of order on purpose: ordered by the number, not by the text or the job */
	sweep_add(&s, "60", NULL, 1, 2);
	sweep_add(&s, "60", NULL, 2, 4);
	sweep_add(&s, "100", NULL, 1, 5);
	sweep_add(&s, "100", NULL, 2, 5);
	sweep_add(&s, "10", NULL, 1, 0);
	sweep_add(&s, "10", NULL, 2, 1);
	struct verdict *v = trend("expect", "swap_out_mb increases with vm.swappiness", &s, &n, &e);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].result, VERDICT_PASS);
	assert_string_equal(v[0].message, "means of swap_out_mb 0.5, 3, 5 at vm.swappiness 10, 60, 100: increase");
	json_t *series = json_object_get(v[0].detail, "series");
	assert_int_equal(json_array_size(series), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(series, 0), "value")), "10");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(series, 0), "runs")), 2);
	verdicts_free(v, n);
	expectation_free(&e);
	v = trend("expect", "swap_out_mb decreases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_FAIL);
	assert_string_equal(v[0].message,
			    "means of swap_out_mb 0.5, 3, 5 at vm.swappiness 10, 60, 100: does not decrease from vm.swappiness=10 to vm.swappiness=60");
	verdicts_free(v, n);
	expectation_free(&e);
	sweep_free(&s);

	/* equal neighbours are allowed; a flat series is not a trend */
	sweep_add(&s, "10", NULL, 1, 1);
	sweep_add(&s, "60", NULL, 1, 1);
	sweep_add(&s, "100", NULL, 1, 2);
	v = trend("expect", "swap_out_mb increases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_PASS);
	verdicts_free(v, n);
	expectation_free(&e);
	set_swap_out(s.run[2], 1);
	v = trend("expect", "swap_out_mb increases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_FAIL);
	assert_string_equal(v[0].message,
			    "means of swap_out_mb 1, 1, 1 at vm.swappiness 10, 60, 100: flat, the last is not higher than the first");
	verdicts_free(v, n);
	expectation_free(&e);
	v = trend("expect", "swap_out_mb decreases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_FAIL);
	verdicts_free(v, n);
	expectation_free(&e);
	/* decreasing, with a missing run: error, not a verdict on the rest */
	set_swap_out(s.run[0], 3);
	set_swap_out(s.run[1], 2);
	v = trend("expect", "swap_out_mb decreases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_PASS);
	verdicts_free(v, n);
	expectation_free(&e);
	s.job[1].run = NULL;
	v = trend("expect", "swap_out_mb decreases with vm.swappiness", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_ERROR);
	assert_string_equal(v[0].message, "vm.swappiness=60, repeat 1: no run.json");
	verdicts_free(v, n);
	expectation_free(&e);
	/* a key that is not swept */
	v = trend("expect", "swap_out_mb decreases with vm.dirty_ratio", &s, &n, &e);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].result, VERDICT_ERROR);
	assert_string_equal(v[0].message, "vm.dirty_ratio is not swept in these runs: a trend needs the runs of a sweep of it");
	verdicts_free(v, n);
	expectation_free(&e);
	sweep_free(&s);

	/* grouped by the other swept key: one verdict per memory.max */
	static const char *const sw[] = { "10", "60", "100" };
	for (size_t i = 0; i < 3; i++) {
		sweep_add(&s, sw[i], "64M", 1, (double)i);       /* 0, 1, 2: increases */
		sweep_add(&s, sw[i], "128M", 1, (double)(2 - i)); /* 2, 1, 0: decreases */
	}
	v = trend("expect", "swap_out_mb increases with vm.swappiness", &s, &n, &e);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].result, VERDICT_PASS);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v[0].detail, "group"), "memory.max")), "64M");
	assert_null(json_object_get(json_object_get(v[0].detail, "group"), "vm.swappiness"));
	assert_int_equal(v[1].result, VERDICT_FAIL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(v[1].detail, "group"), "memory.max")), "128M");
	json_t *j = verdict_json(&v[1]);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "fail");
	assert_string_equal(json_string_value(json_object_get(j, "scope")), "trend");
	assert_true(json_is_null(json_object_get(j, "value")));
	assert_int_equal(json_array_size(json_object_get(j, "series")), 3);
	json_decref(j);
	verdicts_free(v, n);
	expectation_free(&e);
	/* the selector keeps one group */
	v = trend("expect memory.max=128M", "swap_out_mb decreases with vm.swappiness", &s, &n, &e);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].result, VERDICT_PASS);
	verdicts_free(v, n);
	expectation_free(&e);
	/* the trend key may be a size: ordered by bytes */
	v = trend("expect vm.swappiness=10", "swap_out_mb increases with memory.max", &s, &n, &e);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].result, VERDICT_PASS); /* 0 at 64M, 2 at 128M */
	assert_string_equal(v[0].message, "means of swap_out_mb 0, 2 at memory.max 64M, 128M: increase");
	verdicts_free(v, n);
	expectation_free(&e);
	/* a selector the matcher refuses; one value only */
	v = trend("expect nokey=1", "swap_out_mb increases with memory.max", &s, &n, &e);
	assert_int_equal(v[0].result, VERDICT_ERROR);
	verdicts_free(v, n);
	expectation_free(&e);
	/* one memory.max selected: each vm.swappiness group has a single value */
	v = trend("expect memory.max=64M", "swap_out_mb increases with memory.max", &s, &n, &e);
	assert_int_equal(n, 3);
	assert_int_equal(v[2].result, VERDICT_ERROR);
	assert_int_equal(v[0].result, VERDICT_ERROR);
	assert_string_equal(v[0].message, "a trend needs at least two values of memory.max, found 1");
	verdicts_free(v, n);
	expectation_free(&e);
	sweep_free(&s);
}

/* every expectation in its scope over a sweep's jobs, and the JSON of a verdict */
static void test_eval_jobs(void **state)
{
	(void)state;
	struct sweep s = { 0 };
	for (unsigned r = 1; r <= 2; r++) {
		sweep_add(&s, "10", NULL, r, 1);
		sweep_add(&s, "60", NULL, r, 3);
	}
	struct expect_set set = { 0 };
	struct diags d = { .file = xstrdup("t.ini") };
	assert_int_equal(expect_add(&set, "t.ini", 20, "expect", "one_kill", "oom_kills == 1", wls, ARRAY_SIZE(wls), &d), 0);
	assert_int_equal(expect_add(&set, "t.ini", 21, "expect", "avg", "mean(swap_out_mb) < 2", wls, ARRAY_SIZE(wls), &d), 0);
	assert_int_equal(expect_add(&set, "t.ini", 22, "expect", "grows", "swap_out_mb increases with vm.swappiness", wls,
				    ARRAY_SIZE(wls), &d),
			 0);
	assert_int_equal(expect_add(&set, "t.ini", 24, "expect vm.swappiness=60", "killed",
				    "leaker.outcome == oom-killed", wls, ARRAY_SIZE(wls), &d),
			 0);
	assert_int_equal(d.n, 0);
	struct verdict *v;
	size_t n;
	assert_int_equal(expect_eval_jobs(&set, s.job, s.n, match_vars, &v, &n), 0);
	/* 4 runs + 2 variants + 1 trend group + 2 selected runs */
	assert_int_equal(n, 9);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(v[i].e->name, "one_kill");
	assert_string_equal(v[4].e->name, "avg");
	assert_int_equal(v[4].result, VERDICT_PASS); /* swappiness 10: mean 1 */
	assert_int_equal(v[5].result, VERDICT_FAIL); /* swappiness 60: mean 3 */
	assert_int_equal(v[6].result, VERDICT_PASS);
	assert_string_equal(v[7].e->name, "killed");

	json_t *j = verdict_json(&v[1]);
	json_error_t err;
	json_t *want = json_loads("{\"name\": \"one_kill\", \"text\": \"oom_kills == 1\", \"file\": \"t.ini\", \"line\": 20,"
				  " \"scope\": \"run\", \"value\": 1, \"verdict\": \"pass\","
				  " \"message\": \"measured 1, expected == 1\", \"repeat\": 1,"
				  " \"variant\": {\"vm.swappiness\": \"60\"}}",
				  0, &err);
	assert_non_null(want);
	if (!json_equal(j, want)) {
		char *got = json_dumps(j, JSON_SORT_KEYS);
		fail_msg("verdict JSON: %s", got);
	}
	json_decref(want);
	json_decref(j);
	j = verdict_json(&v[8]);
	assert_string_equal(json_string_value(json_object_get(j, "selector")), "vm.swappiness=60");
	assert_string_equal(json_string_value(json_object_get(j, "value")), "oom-killed");
	json_decref(j);
	j = verdict_json(&v[5]);
	assert_string_equal(json_string_value(json_object_get(j, "scope")), "variant");
	assert_int_equal(json_integer_value(json_object_get(j, "runs")), 2);
	assert_true(json_number_value(json_object_get(j, "value")) == 3);
	json_decref(j);
	verdicts_free(v, n);

	/* a missing run: its run verdict and its variant's are errors */
	s.job[0].run = NULL;
	assert_int_equal(expect_eval_jobs(&set, s.job, s.n, match_vars, &v, &n), 0);
	assert_int_equal(v[0].result, VERDICT_ERROR);
	assert_int_equal(v[4].result, VERDICT_ERROR);
	j = verdict_json(&v[0]);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "error");
	assert_true(json_is_null(json_object_get(j, "value")));
	json_decref(j);
	verdicts_free(v, n);

	/* no sweep: one variant of plain repeats; the trend cannot be checked */
	sweep_free(&s);
	for (unsigned r = 1; r <= 3; r++) {
		sweep_add(&s, "x", NULL, r, 1);
		s.job[r - 1].nvars = 0;
	}
	assert_int_equal(expect_applies(&set.v[3], NULL, NULL), -EINVAL);
	assert_int_equal(expect_applies(&set.v[0], NULL, NULL), 1);
	expect_set_free(&set);
	assert_int_equal(expect_add(&set, "t.ini", 20, "expect", "one_kill", "oom_kills == 1", wls, ARRAY_SIZE(wls), &d), 0);
	assert_int_equal(expect_add(&set, "t.ini", 21, "expect", "avg", "mean(swap_out_mb) < 2", wls, ARRAY_SIZE(wls), &d), 0);
	assert_int_equal(expect_add(&set, "t.ini", 22, "expect", "grows", "swap_out_mb increases with vm.swappiness", wls,
				    ARRAY_SIZE(wls), &d),
			 0);
	assert_int_equal(expect_eval_jobs(&set, s.job, s.n, NULL, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(v[3].result, VERDICT_PASS);
	assert_int_equal(json_integer_value(json_object_get(v[3].detail, "runs")), 3);
	assert_int_equal(v[4].result, VERDICT_ERROR);
	verdicts_free(v, n);
	expect_set_free(&set);
	diags_free(&d);
	sweep_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),  cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_run_scope),
		cmocka_unit_test(test_tolerance),    cmocka_unit_test(test_absent),       cmocka_unit_test(test_variant_scope),
		cmocka_unit_test(test_trend),        cmocka_unit_test(test_eval_jobs),
	};
	return cmocka_run_group_tests_name("expect", tests, NULL, NULL);
}
