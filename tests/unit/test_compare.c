/* test_compare.c - mph compare's parts without running anything: the statistics
 * against values worked out by hand (and GSL's own tails), grouping runs, the table's
 * verdicts, and regression gates parsed and evaluated on synthetic run.json files. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>

#include "../../harness/core/util.h"
#include "../../harness/report/compare.h"
#include "../../harness/report/stats.h"

#define close_to(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* ---- statistics ---- */

static void test_describe(void **state)
{
	(void)state;
	/* the textbook sample: mean 5, sum of squares 32, sd = sqrt(32/7) */
	double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct sample_stats s;
	stats_describe(x, 8, &s);
	close_to(s.mean, 5, 1e-12);
	close_to(s.sd, sqrt(32.0 / 7), 1e-12);
	close_to(s.min, 2, 0);
	close_to(s.max, 9, 0);
	/* 1..5: sd sqrt(2.5), t(0.975, 4) = 2.776445: half-width 1.963 */
	double y[] = { 1, 2, 3, 4, 5 };
	stats_describe(y, 5, &s);
	close_to(s.ci95, 2.776445 * sqrt(2.5) / sqrt(5), 1e-5);
	close_to(s.skew, 0, 1e-12);
	stats_describe(y, 1, &s);
	assert_true(isnan(s.sd));
	assert_true(isnan(s.ci95));
}

static void test_welch(void **state)
{
	(void)state;
	/* means 3 and 5, variances 2.5: t = 2 / sqrt(0.5 + 0.5) = 2, df = 1 / (2 * 0.25 / 4) = 8,
	 * two-sided p = 0.0805 (tables: t 2.0 at 8 df) */
	double a[] = { 1, 2, 3, 4, 5 }, b[] = { 3, 4, 5, 6, 7 };
	struct stat_result r;
	stats_welch(a, 5, b, 5, &r);
	assert_int_equal(r.test, ST_WELCH);
	close_to(r.stat, 2, 1e-12);
	close_to(r.df, 8, 1e-12);
	close_to(r.p, 0.08052, 1e-4);
	close_to(r.p, 2 * gsl_cdf_tdist_Q(2, 8), 1e-15);
	/* unequal variances: a's 1, b's 16; va 1/3, vb 16/3: t = 6 / sqrt(17/3),
	 * df = (17/3)^2 / ((1/9)/2 + (256/9)/2) */
	double c[] = { 1, 2, 3 }, d[] = { 4, 8, 12 };
	stats_welch(c, 3, d, 3, &r);
	close_to(r.stat, 6 / sqrt(17.0 / 3), 1e-12);
	double df = (17.0 / 3) * (17.0 / 3) / ((1.0 / 9) / 2 + (256.0 / 9) / 2);
	close_to(r.df, df, 1e-12);
	close_to(r.p, 2 * gsl_cdf_tdist_Q(r.stat, df), 1e-15);
	/* constant samples: a difference no noise explains, or none */
	double z0[] = { 0, 0, 0 }, z1[] = { 1, 1, 1 };
	stats_welch(z0, 3, z1, 3, &r);
	close_to(r.p, 0, 0);
	stats_welch(z1, 3, z1, 3, &r);
	close_to(r.p, 1, 0);
	stats_welch(z1, 1, z1, 3, &r);
	assert_int_equal(r.test, ST_NONE);
}

static void test_mwu_exact(void **state)
{
	(void)state;
	struct stat_result r;
	/* complete separation of 3 and 3: U 0, P(U <= 0) = 1/C(6,3) = 1/20, p 0.1: the
	 * smallest two-sided p there is at this size */
	double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };
	stats_mwu(a, 3, b, 3, &r);
	assert_true(r.exact);
	close_to(r.stat, 0, 0);
	close_to(r.p, 0.1, 1e-12);
	/* 4 and 4: 2/70 */
	double c[] = { 1, 2, 3, 4 }, d[] = { 5, 6, 7, 8 };
	stats_mwu(c, 4, d, 4, &r);
	close_to(r.p, 2.0 / 70, 1e-12);
	/* interleaved 1 3 5 | 2 4 6: U_a = 3 (3>2, 5>2, 5>4), U = 3; the counts of U for
	 * 3 and 3 are 1 1 2 3 3 3 3 2 1 1, P(U <= 3) = 7/20, p 0.7 */
	double e[] = { 1, 3, 5 }, f[] = { 2, 4, 6 };
	stats_mwu(e, 3, f, 3, &r);
	close_to(r.stat, 3, 0);
	close_to(r.p, 0.7, 1e-12);
}

static void test_mwu_normal(void **state)
{
	(void)state;
	/* ties: the normal approximation with the tie correction, checked against GSL's
	 * tail at the z worked out here. a = 1 1 2 2 3, b = 2 3 3 4 4: pooled ranks
	 * 1 1 | 2 2 2 | 3 3 3 | 4 4 -> midranks 1.5, 4, 7, 9.5; R_a = 1.5+1.5+4+4+7 = 18,
	 * U_a = 18 - 15 = 3, mu 12.5, ties (2^3-2) + 2(3^3-3) + (2^3-2) = 60,
	 * var = 25/12 (11 - 60/90) */
	double a[] = { 1, 1, 2, 2, 3 }, b[] = { 2, 3, 3, 4, 4 };
	struct stat_result r;
	stats_mwu(a, 5, b, 5, &r);
	assert_false(r.exact);
	close_to(r.stat, 3, 1e-12);
	double var = 25.0 / 12 * (11 - 60.0 / 90), z = (12.5 - 3 - 0.5) / sqrt(var);
	close_to(r.p, 2 * gsl_cdf_ugaussian_Q(z), 1e-15);
	close_to(r.p, 0.0524, 1e-3);
	/* all equal: no evidence */
	double c[] = { 2, 2, 2 };
	stats_mwu(c, 3, c, 3, &r);
	close_to(r.p, 1, 0);
}

static void test_fisher_and_choice(void **state)
{
	(void)state;
	struct stat_result r;
	/* 3 of 3 against 0 of 3: the two extreme tables, each 1/20 */
	stats_fisher(3, 3, 0, 3, &r);
	close_to(r.p, 0.1, 1e-12);
	stats_fisher(2, 3, 2, 3, &r);
	close_to(r.p, 1, 1e-12);
	/* 5 of 5 against 0 of 5: 2/252 */
	stats_fisher(5, 5, 0, 5, &r);
	close_to(r.p, 2.0 / 252, 1e-12);
	/* auto: Welch for symmetric samples, Mann-Whitney when one is skewed */
	double sym[] = { 1, 2, 3, 4, 5 }, skew[] = { 1, 1, 1, 1, 20 };
	stats_compare(sym, 5, sym, 5, SC_AUTO, &r);
	assert_int_equal(r.test, ST_WELCH);
	stats_compare(sym, 5, skew, 5, SC_AUTO, &r);
	assert_int_equal(r.test, ST_MWU);
	stats_compare(sym, 5, skew, 5, SC_WELCH, &r);
	assert_int_equal(r.test, ST_WELCH);
}

/* ---- runs, groups, the table ---- */

/* A synthetic run.json: what the metric table reads, nothing else. */
static json_t *fake_run(const char *host, const char *kernel, const char *swappiness, int kills, double peak_mb,
			const char *outcome)
{
	json_t *k = json_array();
	for (int i = 0; i < kills; i++)
		json_array_append_new(k, json_pack("{s:i, s:b}", "pid", 100 + i, "global", 0));
	return json_pack("{s:s, s:{s:s, s:s}, s:{s:{s:s}}, s:{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}, s:o,"
			 " s:{s:f}, s:[{s:s, s:s, s:s, s:[]}], s:[]}",
			 "schema", "mph-run/1", "host", "hostname", host, "kernel", kernel, "machine", "kernel", "release",
			 kernel, "scenario", "name", "t", "settings", "section", "sysctl", "key", "vm.swappiness", "value",
			 swappiness, "section", "workload leaker", "key", "size", "value", "64M", "oom_kills", k,
			 "recorder", "peak_usage_bytes", peak_mb * 1048576, "workloads", "name", "leaker", "type",
			 "anonleak", "outcome", outcome, "oom_killed_pids", "errors");
}

static void test_group(void **state)
{
	(void)state;
	struct cmp_runs rs = { 0 };
	cmp_add(&rs, "/a/1", fake_run("hostA", "6.1", "10", 0, 10, "exited"), "swappiness=10");
	cmp_add(&rs, "/a/2", fake_run("hostB", "6.12", "60", 0, 10, "exited"), "swappiness=60");
	cmp_add(&rs, "/a/3", fake_run("hostA", "6.12", "10", 0, 10, "exited"), "swappiness=10");
	cmp_add(&rs, "/a/4", fake_run("hostB", "6.1", "60", 0, 10, "exited"), NULL);
	struct {
		const char *by;
		size_t ng;
		const char *first, *second;
		size_t nfirst;
	} cases[] = {
		{ "variant", 3, "swappiness=10", "swappiness=60", 2 },
		{ "host", 2, "hostA", "hostB", 2 },
		{ "kernel", 2, "6.1", "6.12", 2 },
		{ "vm.swappiness", 2, "10", "60", 2 },
		{ "sysctl.vm.swappiness", 2, "10", "60", 2 },
		{ "swappiness", 2, "10", "60", 2 },
		{ "leaker.size", 1, "64M", NULL, 4 },
		{ "size", 1, "-", NULL, 4 }, /* a workload's key needs its workload's name */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum cmp_by by;
		const char *key;
		struct cmp_group *g;
		size_t ng;
		cmp_parse_by(cases[i].by, &by, &key);
		cmp_group_runs(&rs, by, key, &g, &ng);
		assert_int_equal(ng, cases[i].ng);
		assert_string_equal(g[0].name, cases[i].first);
		assert_int_equal(g[0].n, cases[i].nfirst);
		if (cases[i].second)
			assert_string_equal(g[1].name, cases[i].second);
		cmp_groups_free(g, ng);
	}
	/* the run without a plan has no variant */
	char *k = cmp_group_key(&rs.v[3], CMP_BY_VARIANT, NULL);
	assert_string_equal(k, "-");
	free(k);
	cmp_runs_free(&rs);
}

/* base: 3 runs without kills, 100M; cand: kills and peak as given */
static void two_groups(struct cmp_runs *rs, int kills, const double *peaks, size_t n, const char *outcome)
{
	double base[] = { 100, 101, 99 };
	for (size_t i = 0; i < 3; i++)
		cmp_add(rs, "/b", fake_run("h", "k", "60", 0, base[i], "exited"), "base");
	for (size_t i = 0; i < n; i++)
		cmp_add(rs, "/c", fake_run("h", "k", "10", kills, peaks[i], outcome), "cand");
}

static struct cmp_row *row(struct cmp_table *t, const char *name)
{
	char err[256];
	struct cmp_row *r = cmp_row_for(t, name, err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	return r;
}

static void test_table(void **state)
{
	(void)state;
	struct cmp_runs rs = { 0 };
	double peaks[] = { 130, 131, 129 };
	two_groups(&rs, 1, peaks, 3, "oom-killed");
	struct cmp_group *g;
	size_t ng;
	cmp_group_runs(&rs, CMP_BY_VARIANT, NULL, &g, &ng);
	struct cmp_table t;
	char err[256];
	struct cmp_opts o = { .baseline = "cand" };
	/* the baseline's column comes first */
	assert_int_equal(cmp_build(&t, &rs, g, ng, &o, err, sizeof(err)), 0);
	assert_string_equal(t.g[0].name, "cand");
	cmp_table_free(&t);
	o.baseline = "bse";
	assert_int_equal(cmp_build(&t, &rs, g, ng, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "did you mean base?"));
	cmp_table_free(&t);
	o.baseline = "base";
	assert_int_equal(cmp_build(&t, &rs, g, ng, &o, err, sizeof(err)), 0);
	struct cmp_row *r = row(&t, "peak_usage");
	assert_true(r->shown); /* a default row: it has a better side */
	const struct cmp_cell *c = &r->cells[1];
	close_to(c->st.mean, 130 * 1048576.0, 1);
	close_to(c->change_pct, 30, 1e-9);
	assert_int_equal(c->test.test, ST_WELCH);
	assert_true(c->significant);
	assert_int_equal(c->verdict, CV_WORSE); /* lower is better */
	char buf[128];
	assert_string_equal(cmp_cell_text(&t, r, 1, buf, sizeof(buf)), "130.0M ±1.0M (+30.00%) *t");
	r = row(&t, "leaker.outcome");
	assert_string_equal(r->cells[1].text, "oom-killed 3/3");
	assert_int_equal(r->cells[1].test.test, ST_FISHER);
	assert_false(r->cells[1].significant); /* 3 against 3 cannot reach 0.05 */
	assert_int_equal(r->cells[1].verdict, CV_SAME);
	assert_null(cmp_row_for(&t, "leaker.status", err, sizeof(err)));
	assert_non_null(strstr(err, "not a number"));
	assert_null(cmp_row_for(&t, "oom_kils", err, sizeof(err)));
	assert_non_null(strstr(err, "did you mean oom_kills?"));
	json_t *j = cmp_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), COMPARE_SCHEMA);
	json_decref(j);
	cmp_table_free(&t);
	cmp_groups_free(g, ng);
	cmp_runs_free(&rs);
}

/* A timed action's metrics are rows like a workload's (`drop.file_kept_pct`), and with
 * all shown by default; a metric of every workload ("*") is not an action's. */
static void test_action_rows(void **state)
{
	(void)state;
	struct cmp_runs rs = { 0 };
	double kept[] = { 40, 42, 10, 12 };
	for (size_t i = 0; i < 4; i++) {
		json_t *run = fake_run("h", "k", i < 2 ? "60" : "10", 0, 100, "exited");
		json_object_set_new(run, "actions",
				    json_pack("[{s:s, s:s, s:{s:f}}]", "name", "drop", "result", "done", "kept_pct", "file", kept[i]));
		cmp_add(&rs, "/a", run, i < 2 ? "base" : "cand");
	}
	struct cmp_group *g;
	size_t ng;
	cmp_group_runs(&rs, CMP_BY_VARIANT, NULL, &g, &ng);
	struct cmp_table t;
	char err[256];
	struct cmp_opts o = { .baseline = "base", .all = true };
	assert_int_equal(cmp_build(&t, &rs, g, ng, &o, err, sizeof(err)), 0);
	struct cmp_row *r = row(&t, "drop.file_kept_pct");
	assert_true(r->shown);
	close_to(r->cells[0].st.mean, 41, 1e-9);
	close_to(r->cells[1].st.mean, 11, 1e-9);
	assert_null(cmp_row_for(&t, "drop.outcome", err, sizeof(err)));
	for (size_t i = 0; i < t.nrows; i++)
		assert_false(strcmp(t.rows[i].name, "drop.outcome") == 0 || strcmp(t.rows[i].name, "drop.started_s") == 0);
	cmp_table_free(&t);
	cmp_groups_free(g, ng);
	cmp_runs_free(&rs);
}

/* ---- gates ---- */

static void test_gate_parse(void **state)
{
	(void)state;
	struct gate g;
	char err[256];
	assert_int_equal(gate_parse(" oom_kills > 0 ", &g, err, sizeof(err)), 0);
	assert_int_equal(g.kind, GATE_ABS);
	assert_int_equal(g.op, GOP_GT);
	assert_string_equal(g.metric, "oom_kills");
	close_to(g.value, 0, 0);
	free(g.text), free(g.metric);
	assert_int_equal(gate_parse("peak_usage<=64M", &g, err, sizeof(err)), 0);
	assert_int_equal(g.op, GOP_LE);
	assert_true(g.value_is_size);
	close_to(g.value, 64 << 20, 0);
	free(g.text), free(g.metric);
	assert_int_equal(gate_parse("pgscan_direct:+20%", &g, err, sizeof(err)), 0);
	assert_int_equal(g.kind, GATE_REL);
	close_to(g.pct, 20, 0);
	free(g.text), free(g.metric);
	assert_int_equal(gate_parse("fpm.rps_served:-10%", &g, err, sizeof(err)), 0);
	close_to(g.pct, -10, 0);
	free(g.text), free(g.metric);
	assert_int_equal(gate_parse("probe.p99_ms : worse", &g, err, sizeof(err)), 0);
	assert_int_equal(g.kind, GATE_WORSE);
	assert_string_equal(g.metric, "probe.p99_ms");
	free(g.text), free(g.metric);
	const char *bad[] = { "oom_kills", "oom_kills > many", "x:20%", "x:+20", "x:+0%", "> 1", "a b > 1", "x:better" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(gate_parse(bad[i], &g, err, sizeof(err)), -EINVAL);
}

static void test_gates_file(void **state)
{
	(void)state;
	char path[] = "/tmp/mph-gates-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "# gates of the nightly run\n\noom_kills > 0\n  peak_usage:+20%   # a limit\nswap_out_mb >>\n"
			   "x:+\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct gate *v = NULL;
	size_t n = 0;
	char err[1024];
	assert_int_equal(gates_load(path, &v, &n, err, sizeof(err)), -EINVAL);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].line, 3);
	assert_int_equal(v[1].line, 4);
	assert_string_equal(v[1].text, "peak_usage:+20%");
	char *l5 = xasprintf("%s:5: ", path), *l6 = xasprintf("%s:6: ", path);
	assert_non_null(strstr(err, l5));
	assert_non_null(strstr(err, l6));
	free(l5);
	free(l6);
	gates_free(v, n);
	unlink(path);
}

static size_t eval(struct cmp_runs *rs, const char *const *gates, size_t n, enum gate_result *res, char **msg)
{
	struct cmp_group *g;
	size_t ng, nv = 0;
	cmp_group_runs(rs, CMP_BY_VARIANT, NULL, &g, &ng);
	struct cmp_table t;
	char err[512];
	struct cmp_opts o = { .baseline = "base" };
	assert_int_equal(cmp_build(&t, rs, g, ng, &o, err, sizeof(err)), 0);
	struct gate *gv = xcalloc(n, sizeof(*gv));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(gate_parse(gates[i], &gv[i], err, sizeof(err)), 0);
	struct gate_verdict *v;
	assert_int_equal(gates_eval(&t, gv, n, &v, &nv, err, sizeof(err)), 0);
	for (size_t i = 0; i < nv; i++) {
		res[i] = v[i].r;
		msg[i] = xstrdup(v[i].message);
	}
	gate_verdicts_free(v, nv);
	gates_free(gv, n);
	cmp_table_free(&t);
	cmp_groups_free(g, ng);
	return nv;
}

static void test_gates_eval(void **state)
{
	(void)state;
	struct cmp_runs rs = { 0 };
	double up30[] = { 130, 131, 129 };
	two_groups(&rs, 1, up30, 3, "oom-killed");
	const char *gates[] = { "oom_kills > 0", "peak_usage:+20%", "peak_usage:+40%", "peak_usage:worse",
				"peak_usage:-10%", "peak_usage > 200M" };
	enum gate_result r[12];
	char *m[12];
	size_t n = eval(&rs, gates, ARRAY_SIZE(gates), r, m);
	assert_int_equal(n, 12); /* gate x group, the baseline first */
	enum gate_result want[] = { GR_PASS, GR_TRIP, GR_SKIP, GR_TRIP, GR_SKIP, GR_PASS,
				    GR_SKIP, GR_TRIP, GR_SKIP, GR_PASS, GR_PASS, GR_PASS };
	for (size_t i = 0; i < n; i++)
		if (r[i] != want[i])
			fail_msg("check %zu: %s, expected %s: %s", i, gate_result_name(r[i]), gate_result_name(want[i]), m[i]);
	/* the message names both values */
	assert_non_null(strstr(m[1], "cand 1 (mean of 3 runs)"));
	assert_non_null(strstr(m[1], "baseline base 0 (mean of 3 runs)"));
	assert_non_null(strstr(m[3], "+30.00%, Welch's t-test"));
	for (size_t i = 0; i < n; i++)
		free(m[i]);
	cmp_runs_free(&rs);

	/* +30% but noisy: not significant, so not tripped; one run: no test, an error */
	struct cmp_runs noisy = { 0 };
	double wide[] = { 40, 250, 100 };
	two_groups(&noisy, 0, wide, 3, "exited");
	const char *g2[] = { "peak_usage:+20%" };
	n = eval(&noisy, g2, 1, r, m);
	assert_int_equal(r[1], GR_PASS);
	assert_non_null(strstr(m[1], "not significant"));
	free(m[0]), free(m[1]);
	cmp_runs_free(&noisy);
	struct cmp_runs one = { 0 };
	double single[] = { 130 };
	two_groups(&one, 0, single, 1, "exited");
	n = eval(&one, g2, 1, r, m);
	assert_int_equal(r[1], GR_ERROR);
	free(m[0]), free(m[1]);
	cmp_runs_free(&one);
}

static void test_gates_refused(void **state)
{
	(void)state;
	struct cmp_runs rs = { 0 };
	double p[] = { 100, 100, 100 };
	two_groups(&rs, 0, p, 3, "exited");
	struct cmp_group *g;
	size_t ng, nv;
	cmp_group_runs(&rs, CMP_BY_VARIANT, NULL, &g, &ng);
	struct cmp_table t;
	char err[512];
	struct cmp_opts o = { 0 };
	assert_int_equal(cmp_build(&t, &rs, g, ng, &o, err, sizeof(err)), 0);
	const char *bad[] = { "oom_kils > 0", "leaker.outcome:+10%", "oom_kills < 1M", "elapsed_s:worse" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct gate gt;
		struct gate_verdict *v = NULL;
		assert_int_equal(gate_parse(bad[i], &gt, err, sizeof(err)), 0);
		assert_int_equal(gates_eval(&t, &gt, 1, &v, &nv, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--fail-on"));
		free(gt.text), free(gt.metric);
	}
	cmp_table_free(&t);
	cmp_groups_free(g, ng);
	cmp_runs_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_describe),     cmocka_unit_test(test_welch),	     cmocka_unit_test(test_mwu_exact),
		cmocka_unit_test(test_mwu_normal),   cmocka_unit_test(test_fisher_and_choice), cmocka_unit_test(test_group),
		cmocka_unit_test(test_table),	     cmocka_unit_test(test_action_rows),  cmocka_unit_test(test_gate_parse),	     cmocka_unit_test(test_gates_file),
		cmocka_unit_test(test_gates_eval),   cmocka_unit_test(test_gates_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
