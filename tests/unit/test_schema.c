/* test_schema.c - the metric table read on real run.json files saved from this machine
 * (tests/data/runs/: cgroup v1 host runs and a cgroup v2 guest run), and the docs'
 * copy of the table kept equal to it.
 *
 * MPH_UPDATE_DOCS=1 rewrites docs/results.md's table (between the markers) instead of
 * comparing it. */
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

#include "../../harness/core/schema.h"
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

static const struct schema_wl oom_basic_wls[] = { { "leaker", "anonleak" } };
static const struct schema_wl probe_wls[] = { { "probe", "probe" }, { "reader", "exec" } };
static const struct schema_wl default_wls[] = { { "steady", "anonleak" }, { "leaker", "anonleak" } };

/* The value of name in run, resolved against wls. */
static struct mval value(const json_t *run, const char *name, const struct schema_wl *wls, size_t nwl)
{
	struct metric_ref ref;
	char err[256];
	if (schema_resolve(name, wls, nwl, &ref, err, sizeof(err)) < 0)
		fail_msg("%s: %s", name, err);
	struct mval v;
	assert_int_equal(schema_value(run, &ref, &v), 0);
	return v;
}

#define assert_num(run, name, wls, want) \
	do { \
		struct mval v_ = value(run, name, wls, ARRAY_SIZE(wls)); \
		double w_ = (want); \
		if (v_.kind != MV_NUMBER || fabs(v_.num - w_) > 1e-9 * fabs(w_)) \
			fail_msg("%s: kind %d value %.17g, expected %.17g", name, v_.kind, v_.num, w_); \
	} while (0)
#define assert_word(run, name, wls, want) \
	do { \
		struct mval v_ = value(run, name, wls, ARRAY_SIZE(wls)); \
		if (v_.kind != MV_WORD || strcmp(v_.word, want)) \
			fail_msg("%s: kind %d word %s, expected %s", name, v_.kind, v_.word ? v_.word : "-", want); \
	} while (0)
#define assert_absent(run, name, wls) \
	do { \
		struct mval v_ = value(run, name, wls, ARRAY_SIZE(wls)); \
		if (v_.kind != MV_ABSENT || !v_.why) \
			fail_msg("%s: kind %d value %g, expected absent", name, v_.kind, v_.num); \
	} while (0)

static void test_table(void **state)
{
	(void)state;
	size_t n;
	const struct metric *m = schema_metrics(&n);
	assert_true(n > 50);
	for (size_t i = 0; i < n; i++) {
		if (!m[i].meaning || !*m[i].meaning || !m[i].path || !*m[i].path)
			fail_msg("%s: needs a meaning and a path", m[i].name);
		for (const char *p = m[i].name; *p; p++)
			if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9') && *p != '_')
				fail_msg("%s: metric names are [a-z0-9_] (a '.' separates the workload)", m[i].name);
		if (m[i].type != MT_NUMBER && m[i].unit != MU_NONE)
			fail_msg("%s: only numbers have units", m[i].name);
		if (m[i].words && m[i].type != MT_WORD)
			fail_msg("%s: only words have a list of words", m[i].name);
		for (size_t j = 0; j < i; j++) {
			bool run_clash = !m[i].wl_type && !m[j].wl_type;
			bool wl_clash = m[i].wl_type && m[j].wl_type &&
					(strcmp(m[i].wl_type, m[j].wl_type) == 0 || strcmp(m[j].wl_type, "*") == 0 ||
					 strcmp(m[i].wl_type, "*") == 0);
			if ((run_clash || wl_clash) && strcmp(m[i].name, m[j].name) == 0)
				fail_msg("%s (%s) is in the table twice", m[i].name, m[i].wl_type ? m[i].wl_type : "run");
		}
	}
	assert_non_null(schema_find("oom_kills"));
	assert_null(schema_find("outcome")); /* a workload metric */
	assert_non_null(schema_find_wl("anything", "outcome"));
	assert_non_null(schema_find_wl("probe", "p99_ms"));
	assert_null(schema_find_wl("anonleak", "p99_ms"));
	assert_string_equal(metric_unit_name(schema_find("peak_usage")->unit), "bytes");
	assert_string_equal(metric_unit_name(schema_find("swap_out_mb")->unit), "MiB");
}

/* oom-basic on cgroup v1: one memcg OOM kill of the leaker */
static void test_oom_basic_v1(void **state)
{
	(void)state;
	json_t *r = load_run("oom-basic-v1");
	assert_num(r, "oom_kills", oom_basic_wls, 1);
	assert_num(r, "global_oom_kills", oom_basic_wls, 0);
	assert_num(r, "cgroup_oom_kill", oom_basic_wls, 1);
	assert_num(r, "oom_kills_elsewhere", oom_basic_wls, 0);
	assert_num(r, "peak_usage", oom_basic_wls, 67108864);
	assert_num(r, "cgroup_peak", oom_basic_wls, 67108864);
	assert_num(r, "failcnt", oom_basic_wls, 82);
	assert_num(r, "swap_out_mb", oom_basic_wls, 0);
	assert_num(r, "pgscan_direct", oom_basic_wls, 0);
	assert_num(r, "refaults_file", oom_basic_wls, 1);
	assert_num(r, "errors", oom_basic_wls, 0);
	assert_num(r, "elapsed_s", oom_basic_wls, 0.16253722900000867);
	assert_num(r, "first_oom_kill_s", oom_basic_wls, 0.14314332049997347);
	assert_num(r, "psi_full_total_s", oom_basic_wls, 0.000546);
	assert_word(r, "interrupted", oom_basic_wls, "false");
	assert_word(r, "kernel_log_readable", oom_basic_wls, "true");
	assert_word(r, "cgroup_version", oom_basic_wls, "v1");
	/* v1 has no memory.events, and its memory.stat no per-reclaimer counters: absent, not 0 */
	assert_absent(r, "events_oom_kill", oom_basic_wls);
	assert_absent(r, "cgroup_pgscan_direct", oom_basic_wls);
	assert_absent(r, "cgroup_swap_out_mb", oom_basic_wls);
	/* things that did not happen have no time */
	assert_absent(r, "first_direct_reclaim_s", oom_basic_wls);
	assert_absent(r, "direct_scan_pct", oom_basic_wls);

	assert_word(r, "leaker.outcome", oom_basic_wls, "oom-killed");
	assert_word(r, "leaker.signal", oom_basic_wls, "KILL");
	assert_num(r, "leaker.oom_kills", oom_basic_wls, 1);
	assert_num(r, "leaker.ended_s", oom_basic_wls, 0.16238657600001716);
	assert_word(r, "leaker.sigterm_sent", oom_basic_wls, "false");
	/* killed: no exit code, and no final report to read */
	assert_absent(r, "leaker.exit_code", oom_basic_wls);
	assert_absent(r, "leaker.status", oom_basic_wls);
	assert_absent(r, "leaker.bytes", oom_basic_wls);
	json_decref(r);
}

/* oom_kills counts this run's kills, never those elsewhere */
static void test_oom_kills_elsewhere(void **state)
{
	(void)state;
	json_t *r = load_run("oom-basic-v1");
	json_object_set_new(r, "oom_kills_elsewhere", json_integer(5));
	assert_num(r, "oom_kills", oom_basic_wls, 1);
	assert_num(r, "oom_kills_elsewhere", oom_basic_wls, 5);
	/* a global kill is still one of the run's kills */
	json_object_set_new(json_array_get(json_object_get(r, "oom_kills"), 0), "global", json_true());
	assert_num(r, "global_oom_kills", oom_basic_wls, 1);
	json_array_clear(json_object_get(r, "oom_kills"));
	assert_num(r, "oom_kills", oom_basic_wls, 0);
	json_object_set_new(r, "oom_kills", json_null());
	assert_absent(r, "oom_kills", oom_basic_wls);
	json_decref(r);
}

/* the probe's stall histogram, an exec workload, signal null as "none" */
static void test_probe_pagecache(void **state)
{
	(void)state;
	json_t *r = load_run("probe-pagecache-v1");
	assert_num(r, "oom_kills", probe_wls, 0);
	assert_num(r, "failcnt", probe_wls, 21942);
	assert_num(r, "probe.p99_ms", probe_wls, 6.815743);
	assert_num(r, "probe.p50_ms", probe_wls, 1.048575);
	assert_num(r, "probe.max_ms", probe_wls, 8.158649);
	assert_num(r, "probe.probes", probe_wls, 297);
	assert_num(r, "probe.slow", probe_wls, 162);
	assert_word(r, "probe.status", probe_wls, "stopped");
	assert_word(r, "probe.outcome", probe_wls, "exited");
	assert_num(r, "probe.exit_code", probe_wls, 0);
	assert_word(r, "probe.signal", probe_wls, "none");
	assert_word(r, "reader.outcome", probe_wls, "exited");
	assert_num(r, "reader.cmd_exit_code", probe_wls, 0);
	assert_word(r, "reader.cmd_signal", probe_wls, "none");
	assert_num(r, "reader.children", probe_wls, 1);
	/* an empty histogram has no quantiles */
	json_t *stall = json_object_get(json_object_get(json_array_get(json_object_get(r, "workloads"), 0), "report_final"),
					"stall");
	json_object_set_new(stall, "count", json_integer(0));
	assert_absent(r, "probe.p99_ms", probe_wls);
	json_decref(r);
}

static void test_default_v1(void **state)
{
	(void)state;
	json_t *r = load_run("default-v1");
	assert_word(r, "steady.outcome", default_wls, "exited");
	assert_word(r, "leaker.outcome", default_wls, "oom-killed");
	assert_num(r, "steady.bytes", default_wls, 25165824);
	assert_num(r, "steady.oom_kills", default_wls, 0);
	assert_num(r, "leaker.oom_kills", default_wls, 1);
	assert_num(r, "oom_kills", default_wls, 1);
	assert_num(r, "peak_usage", default_wls, 100663296);
	json_decref(r);
}

/* a cgroup v2 guest: memory.events and the cgroup's reclaim counters are there */
static void test_v2(void **state)
{
	(void)state;
	json_t *r = load_run("vm-oom-v2");
	assert_word(r, "cgroup_version", oom_basic_wls, "v2");
	assert_num(r, "events_oom_kill", oom_basic_wls, 1);
	assert_num(r, "events_max", oom_basic_wls, 35);
	assert_num(r, "cgroup_oom_kill", oom_basic_wls, 1);
	assert_num(r, "cgroup_pgscan_direct", oom_basic_wls, 0);
	assert_absent(r, "failcnt", oom_basic_wls);
	assert_absent(r, "cgroup_swap_out_mb", oom_basic_wls);
	assert_word(r, "leaker.outcome", oom_basic_wls, "oom-killed");

	/* one NUMA node and a trimmed vmstat: no numa counters; a delta that has one */
	assert_absent(r, "numa_miss", oom_basic_wls);
	json_object_set_new(json_object_get(json_object_get(r, "vmstat"), "delta"), "numa_miss", json_integer(30720));
	assert_num(r, "numa_miss", oom_basic_wls, 30720);
	json_decref(r);
}

/* zoneinfo.start of a 512 MiB guest at its default min_free_kbytes: DMA 22/27/32 of
 * 3840 pages, DMA32 648/810/972 of 115024, an empty Movable zone showing min 32
 * (left out: it has no pages). */
static void test_watermarks(void **state)
{
	(void)state;
	json_t *r = load_run("vm-oom-v2");
	assert_num(r, "watermark_min_pages", oom_basic_wls, 670);
	assert_num(r, "watermark_low_over_min", oom_basic_wls, 837.0 / 670);
	assert_num(r, "watermark_high_over_min", oom_basic_wls, 1004.0 / 670);
	assert_num(r, "watermark_gap_per_10k", oom_basic_wls, 167.0 * 10000 / 118864);
	assert_num(r, "watermark_gap_ratio", oom_basic_wls, 1);

	/* watermark_scale_factor 200 sets the gap (as a seed-watermarks run measured) */
	json_t *dma32 = json_array_get(json_object_get(json_object_get(r, "zoneinfo"), "start"), 1);
	json_object_set_new(dma32, "min_pages", json_integer(247));
	json_object_set_new(dma32, "low_pages", json_integer(2547));
	json_object_set_new(dma32, "high_pages", json_integer(4847));
	assert_num(r, "watermark_low_over_min", oom_basic_wls, (27.0 + 2547) / (22 + 247));
	assert_num(r, "watermark_gap_ratio", oom_basic_wls, (5.0 + 2300) / (5 + 2300));

	/* a zone with pages but no watermark, no zone with pages, no zoneinfo: absent */
	json_object_del(dma32, "low_pages");
	assert_absent(r, "watermark_low_over_min", oom_basic_wls);
	json_object_set_new(json_object_get(r, "zoneinfo"), "start", json_array());
	assert_absent(r, "watermark_min_pages", oom_basic_wls);
	json_object_set_new(r, "zoneinfo", json_null());
	assert_absent(r, "watermark_gap_ratio", oom_basic_wls);
	json_decref(r);
}

static void expect_resolve_error(const char *name, const struct schema_wl *wls, size_t nwl, const char *want)
{
	struct metric_ref ref;
	char err[256] = "";
	assert_int_equal(schema_resolve(name, wls, nwl, &ref, err, sizeof(err)), -ENOENT);
	if (strcmp(err, want) != 0)
		fail_msg("%s:\n  got  %s\n  want %s", name, err, want);
}

static void test_resolve(void **state)
{
	(void)state;
	expect_resolve_error("oom_kils", probe_wls, 2, "no metric 'oom_kils' (docs/results.md lists them) (did you mean oom_kills?)");
	expect_resolve_error("p99_ms", probe_wls, 2, "'p99_ms' is a workload metric: write <workload>.p99_ms");
	expect_resolve_error("prob.p99_ms", probe_wls, 2, "no workload 'prob' in this scenario (did you mean probe?)");
	expect_resolve_error("probe.p99ms", probe_wls, 2, "workload probe (probe) has no metric 'p99ms' (did you mean p99_ms?)");
	expect_resolve_error("reader.probes", probe_wls, 2,
			     "workload reader (exec) has no metric 'probes'; it is a metric of probe workloads");
	expect_resolve_error("leaker.outcom", oom_basic_wls, 1,
			     "workload leaker (anonleak) has no metric 'outcom' (did you mean outcome?)");

	/* workload names may hold dots: the longest name that fits wins */
	static const struct schema_wl dotted[] = { { "a", "probe" }, { "a.b", "anonleak" } };
	struct metric_ref ref;
	char err[256];
	assert_int_equal(schema_resolve("a.b.outcome", dotted, 2, &ref, err, sizeof(err)), 0);
	assert_string_equal(ref.workload, "a.b");
	assert_int_equal(schema_resolve("a.p99_ms", dotted, 2, &ref, err, sizeof(err)), 0);
	assert_string_equal(ref.workload, "a");

	/* a workload the run does not have is absent, not an error of the reader */
	json_t *r = load_run("oom-basic-v1");
	static const struct schema_wl ghost[] = { { "ghost", "anonleak" } };
	assert_absent(r, "ghost.outcome", ghost);
	assert_int_equal(schema_value(r, &(struct metric_ref){ .m = schema_find_wl("x", "outcome") }, &(struct mval){ 0 }),
			 -EINVAL);
	json_decref(r);
}

/* [action NAME]s resolve like workloads of type SCHEMA_ACTION and are read from
 * `actions`; the metrics of every workload (outcome) are not theirs. */
static void test_actions(void **state)
{
	(void)state;
	static const struct schema_wl wls[] = { { "pool", "fpm" }, { "drop", SCHEMA_ACTION } };
	expect_resolve_error("drop.outcome", wls, 2, "action drop has no metric 'outcome'");
	expect_resolve_error("drop.file_kept_pc", wls, 2, "action drop has no metric 'file_kept_pc' (did you mean file_kept_pct?)");
	json_t *r = json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s, s:f, s:{s:I, s:I}, s:{s:I, s:n}, s:{s:f, s:n}}]}", "workloads",
			      "name", "pool", "outcome", "exited", "actions", "name", "drop", "result", "done", "done_s", 2.5,
			      "before", "file", (json_int_t)(32 << 20), "anon", (json_int_t)(16 << 20), "after", "file",
			      (json_int_t)0, "anon", "kept_pct", "file", 0.0, "anon");
	assert_non_null(r);
	assert_word(r, "drop.result", wls, "done");
	assert_num(r, "drop.done_s", wls, 2.5);
	assert_num(r, "drop.before_file", wls, 32 << 20);
	assert_num(r, "drop.after_file", wls, 0);
	assert_num(r, "drop.file_kept_pct", wls, 0);
	assert_absent(r, "drop.after_anon", wls);     /* null: not read */
	assert_absent(r, "drop.anon_kept_pct", wls);
	assert_word(r, "pool.outcome", wls, "exited"); /* workloads still from `workloads` */
	static const struct schema_wl ghost[] = { { "ghost", SCHEMA_ACTION } };
	assert_absent(r, "ghost.result", ghost);
	json_decref(r);
}

#define BEGIN "<!-- metrics:begin -->\n"
#define END "<!-- metrics:end -->"

/* docs/results.md holds the table as schema_doc_markdown() prints it */
static void test_docs(void **state)
{
	(void)state;
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/../docs/results.md", base ? base : "tests"), *doc = NULL;
	assert_int_equal(read_file(path, &doc, NULL), 0);
	char *gen = NULL;
	size_t glen = 0;
	FILE *f = open_memstream(&gen, &glen);
	schema_doc_markdown(f);
	fclose(f);

	char *b = strstr(doc, BEGIN), *e = b ? strstr(b, END) : NULL;
	if (!b || !e)
		fail_msg("%s: no '%s' ... '%s' markers around the metrics table", path, "<!-- metrics:begin -->", END);
	b += strlen(BEGIN);
	if (getenv("MPH_UPDATE_DOCS")) {
		char *out = xasprintf("%.*s%s%s", (int)(b - doc), doc, gen, e);
		assert_int_equal(write_file_atomic(path, out, strlen(out)), 0);
		free(out);
	} else if ((size_t)(e - b) != glen || memcmp(b, gen, glen) != 0) {
		/* the first line that differs */
		size_t line = 1, i = 0;
		while (i < glen && b + i < e && b[i] == gen[i])
			line += gen[i++] == '\n';
		size_t ls = i;
		while (ls > 0 && gen[ls - 1] != '\n')
			ls--;
		fail_msg("%s: the metrics table differs from harness/schema.c's table in its line %zu:\n"
			 "  docs:   %.*s\n  schema: %.*s\n"
			 "regenerate it: MPH_UPDATE_DOCS=1 MPH_TEST_DATA=tests build/tests/test_schema",
			 path, line, (int)strcspn(b + ls, "\n"), b + ls, (int)strcspn(gen + ls, "\n"), gen + ls);
	}
	free(gen);
	free(doc);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_oom_basic_v1),
		cmocka_unit_test(test_oom_kills_elsewhere),
		cmocka_unit_test(test_probe_pagecache),
		cmocka_unit_test(test_default_v1),
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_watermarks),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_docs),
	};
	return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
