/* test_prom.c - the Prometheus writer (report/prom.c) on the metric table and on
 * hand-written plans ($MPH_TEST_DATA/data/plans): every metric gets one valid name with
 * its unit, counters end in _total, label values are escaped, a family's lines stay
 * together, absent values are left out, and Debian's promtool accepts what is written
 * (when it is installed). Also mph record's file: live values from plain numbers, the
 * final one from saved record.json files ($MPH_TEST_DATA/data/records). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/core/schema.h"
#include "../../harness/core/util.h"
#include "../../harness/report/report.h"

#define PROMTOOL "/usr/bin/promtool"

static char *data(const char *rel)
{
	const char *base = getenv("MPH_TEST_DATA");
	return xasprintf("%s/data/%s", base ? base : "tests", rel);
}

static json_t *load(const char *name)
{
	char *path = xasprintf("plans/%s/plan.json", name), *full = data(path);
	json_t *plan = NULL;
	if (report_plan_load(full, &plan) < 0)
		fail_msg("%s", full);
	free(path);
	free(full);
	return plan;
}

static char *render(const char *const *names, size_t n)
{
	json_t *plans[8];
	char *dirs[8];
	for (size_t i = 0; i < n; i++) {
		plans[i] = load(names[i]);
		char *rel = xasprintf("plans/%s", names[i]);
		dirs[i] = data(rel);
		free(rel);
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_prom(f, (const json_t *const *)plans, (const char *const *)dirs, n), 0);
	assert_int_equal(fclose(f), 0);
	for (size_t i = 0; i < n; i++) {
		json_decref(plans[i]);
		free(dirs[i]);
	}
	return buf;
}

static bool valid_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	return true;
}

static bool ends(const char *s, const char *e)
{
	return strlen(s) >= strlen(e) && strcmp(s + strlen(s) - strlen(e), e) == 0;
}

/* One name per metric, valid, unique, its unit at the end. */
static void test_names(void **state)
{
	(void)state;
	size_t n;
	const struct metric *m = schema_metrics(&n);
	char **names = xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		double scale;
		bool counter;
		names[i] = report_prom_name(&m[i], &scale, &counter);
		if (!valid_name(names[i]))
			fail_msg("%s: %s is not a metric name", m[i].name, names[i]);
		for (size_t k = 0; k < i; k++)
			if (strcmp(names[k], names[i]) == 0)
				fail_msg("%s and %s are both %s", m[k].name, m[i].name, names[i]);
		assert_true(counter == ends(names[i], "_total"));
		if (m[i].type == MT_WORD)
			assert_true(ends(names[i], "_info"));
		if (m[i].type == MT_NUMBER && (m[i].unit == MU_S || m[i].unit == MU_MS || m[i].unit == MU_US))
			assert_true(ends(names[i], "_seconds"));
		if (m[i].type == MT_NUMBER && (m[i].unit == MU_BYTES || m[i].unit == MU_MIB))
			assert_true(ends(names[i], "_bytes"));
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);

	static const struct {
		const char *wl, *metric, *name;
		double scale;
	} want[] = {
		{ NULL, "peak_usage", "mph_peak_usage_bytes", 1 },
		{ NULL, "swap_out_mb", "mph_swap_out_bytes", 1048576 },
		{ NULL, "oom_kills", "mph_oom_kills_total", 1 },
		{ NULL, "pgscan_direct", "mph_pgscan_direct_pages_total", 1 },
		{ NULL, "direct_scan_pct", "mph_direct_scan_ratio", 0.01 },
		{ NULL, "psi_some_total_s", "mph_psi_some_total_seconds", 1 },
		{ NULL, "interrupted", "mph_interrupted", 1 },
		{ NULL, "cgroup_version", "mph_cgroup_version_info", 1 },
		{ "anonleak", "outcome", "mph_workload_outcome_info", 1 },
		{ "anonleak", "bytes", "mph_anonleak_bytes", 1 },
		{ "anonleak", "fill_mb_per_s", "mph_anonleak_fill_bytes_per_second", 1048576 },
		{ "probe", "p99_ms", "mph_probe_p99_seconds", 1e-3 },
		{ "anonleak", "hot_page_p99_us", "mph_anonleak_hot_page_p99_seconds", 1e-6 },
		{ "exec", "seconds", "mph_exec_seconds", 1 },
		{ "fpm", "killed_total", "mph_fpm_killed_total", 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct metric *mm = want[i].wl ? schema_find_wl(want[i].wl, want[i].metric) : schema_find(want[i].metric);
		assert_non_null(mm);
		double scale;
		char *name = report_prom_name(mm, &scale, NULL);
		assert_string_equal(name, want[i].name);
		assert_true(scale == want[i].scale);
		free(name);
	}
}

static void test_label_escaping(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	report_prom_label_value(f, "a\\b\"c\nd\xff" "e\xc3\xa9\xed\xa0\x80");
	assert_int_equal(fclose(f), 0);
	/* \ " and newline escaped; a stray byte and a surrogate (not UTF-8) as U+FFFD */
	assert_string_equal(buf, "a\\\\b\\\"c\\nd\xef\xbf\xbd" "e\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(buf);
}

/* Each family: HELP and TYPE once, then its samples, none elsewhere. */
static void check_grouping(const char *text)
{
	char *copy = xstrdup(text), *save = NULL, *cur = NULL;
	char **done = NULL;
	size_t ndone = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# TYPE ", 7) == 0) {
			char *name = l + 7, *sp = strchr(name, ' ');
			*sp = '\0';
			for (size_t i = 0; i < ndone; i++)
				if (strcmp(done[i], name) == 0)
					fail_msg("TYPE %s twice", name);
			done = xrealloc(done, (ndone + 1) * sizeof(char *));
			done[ndone++] = cur = name;
			continue;
		}
		if (l[0] == '#')
			continue;
		assert_non_null(cur);
		size_t k = strcspn(l, "{ ");
		if (strlen(cur) != k || strncmp(l, cur, k) != 0)
			fail_msg("sample of another family after TYPE %s: %s", cur, l);
	}
	free(done);
	free(copy);
}

static void promtool(const char *text)
{
	if (access(PROMTOOL, X_OK) != 0) {
		printf("SKIP: promtool check metrics: %s not installed (Debian's prometheus)\n", PROMTOOL);
		return;
	}
	char path[] = "/tmp/mph-prom-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char *cmd = xasprintf(PROMTOOL " check metrics <%s", path);
	int st = system(cmd);
	unlink(path);
	free(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* The pass plan's run.json has a workload and nothing of the recorder: the outcome
 * is there, the peak and the OOM kills are not (absent, not 0); verdicts per assertion. */
static void test_pass_plan(void **state)
{
	(void)state;
	const char *names[] = { "pass" };
	char *text = render(names, 1);
	assert_non_null(strstr(text, "# TYPE mph_workload_outcome_info gauge\n"
				     "mph_workload_outcome_info{scenario=\"oom-basic\",variant=\"\",kernel=\"host\",repeat=\"1\","
				     "workload=\"leaker\",outcome=\"oom-killed\"} 1\n"));
	assert_null(strstr(text, "mph_peak_usage_bytes"));
	assert_null(strstr(text, "mph_oom_kills_total")); /* run.json has no oom_kills: absent, not 0 */
	assert_non_null(strstr(text, "mph_expectation_passed{scenario=\"oom-basic\",variant=\"\",kernel=\"host\",repeat=\"1\","
				     "assertion=\"one_kill\"} 1\n"));
	assert_non_null(strstr(text, "mph_plan_exit_code{scenario=\"oom-basic\"} 0\n"));
	check_grouping(text);
	promtool(text);
	free(text);
}

/* A timed action's metrics: one sample per action, labelled action="NAME", not as a
 * workload; the every-workload families (outcome) have no sample for it. */
static void test_action_metrics(void **state)
{
	(void)state;
	const char *names[] = { "action" };
	char *text = render(names, 1);
	const char *labels = "{scenario=\"seed-drop-caches\",variant=\"\",kernel=\"host\",repeat=\"1\",action=\"drop\"}";
	char *kept = xasprintf("_file_kept_ratio%s 0.015625\n", labels);
	char *done = xasprintf("_done_seconds%s 10\n", labels);
	if (!strstr(text, kept) || !strstr(text, done))
		fail_msg("no action samples in:\n%s", text);
	assert_null(strstr(text, "workload=\"drop\""));
	check_grouping(text);
	promtool(text);
	free(kept);
	free(done);
	free(text);
}

/* Several plans, hostile names, aggregates, failures: grouped, escaped, accepted. */
static void test_many_plans(void **state)
{
	(void)state;
	const char *names[] = { "fail", "hostile", "sweep-kernels", "interrupted", "skipped" };
	char *text = render(names, ARRAY_SIZE(names));
	assert_non_null(strstr(text, "scenario=\"ev<il>&\\\"'#1\""));
	assert_non_null(strstr(text, "assertion=\"x\x01y # TODO\"")); /* control characters are UTF-8: kept */
	/* an aggregate has no repeat label */
	assert_non_null(strstr(text, "mph_expectation_passed{scenario=\"swap-sweep\""));
	check_grouping(text);
	promtool(text);
	free(text);
}

/* ---- mph record --prom ---------------------------------------------------- */

static char *render_record(const struct report_prom_record *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_prom_record(f, r), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static json_t *load_record(const char *name)
{
	char *rel = xasprintf("records/%s/record.json", name), *path = data(rel);
	json_t *j = json_load_file(path, 0, NULL);
	if (!j)
		fail_msg("%s", path);
	free(rel);
	free(path);
	return j;
}

#define CG "{cgroup=\"/sys.slice/a.service\"}"

/* While recording: values now and so far in base units, counters as counters, the
 * largest processes with pid and comm, and what was not measured left out. */
static void test_record_live(void **state)
{
	(void)state;
	struct report_prom_record r;
	report_prom_record_init(&r, "/sys.slice/a.service");
	r.running = true;
	r.usage_bytes = 16777216;
	r.peak_bytes = 17301504;
	r.oom_kills = 1;
	r.psi_some_avg10_pct = 7.25;
	r.psi_some_s = 1.5;
	r.processes = 2;
	r.processes_seen = 3;
	r.ntop = 2;
	r.top[0] = (typeof(r.top[0])){ 4101, "anonleak", 18935808, 18935808 };
	r.top[1] = (typeof(r.top[1])){ 4099, "sh", 1679360, 1679360 };
	char *text = render_record(&r);
	assert_non_null(strstr(text, "# TYPE mph_record_running gauge\nmph_record_running" CG " 1\n"));
	assert_non_null(strstr(text, "# TYPE mph_record_memory_usage_bytes gauge\nmph_record_memory_usage_bytes" CG " 16777216\n"));
	assert_non_null(strstr(text, "mph_record_memory_peak_bytes" CG " 17301504\n"));
	assert_non_null(strstr(text, "# TYPE mph_record_oom_kills_total counter\nmph_record_oom_kills_total" CG " 1\n"));
	assert_non_null(strstr(text, "mph_record_psi_some_avg10_ratio" CG " 0.0725\n")); /* % as a ratio */
	assert_non_null(strstr(text, "# TYPE mph_record_psi_some_seconds_total counter\nmph_record_psi_some_seconds_total" CG " 1.5\n"));
	assert_non_null(strstr(text, "mph_record_processes" CG " 2\n"));
	assert_non_null(strstr(text, "mph_record_process_rss_bytes{cgroup=\"/sys.slice/a.service\",pid=\"4101\",comm=\"anonleak\"} 18935808\n"
				     "mph_record_process_rss_bytes{cgroup=\"/sys.slice/a.service\",pid=\"4099\",comm=\"sh\"} 1679360\n"));
	/* not measured: left out, not 0 (no limit set, no swap file, v1's PSI, no exit yet) */
	assert_null(strstr(text, "mph_record_memory_limit_bytes"));
	assert_null(strstr(text, "mph_record_swap_usage_bytes"));
	assert_null(strstr(text, "mph_record_psi_full"));
	assert_null(strstr(text, "mph_record_command_exit_code"));
	check_grouping(text);
	promtool(text);
	free(text);

	/* after the end, quantities "now" are not written even when given */
	r.running = false;
	text = render_record(&r);
	assert_non_null(strstr(text, "mph_record_running" CG " 0\n"));
	assert_null(strstr(text, "mph_record_memory_usage_bytes"));
	assert_null(strstr(text, "mph_record_psi_some_avg10_ratio"));
	assert_null(strstr(text, "mph_record_processes{"));
	assert_null(strstr(text, "mph_record_process_rss_bytes"));
	assert_non_null(strstr(text, "mph_record_memory_peak_bytes" CG " 17301504\n"));
	assert_non_null(strstr(text, "mph_record_process_peak_rss_bytes{cgroup=\"/sys.slice/a.service\",pid=\"4101\",comm=\"anonleak\"} 18935808\n"));
	free(text);
}

/* The final file from a real record.json (v1, this machine): the summary's numbers;
 * v1 has neither per-cgroup PSI nor reclaim counters, so those are left out. */
static void test_record_final_v1(void **state)
{
	(void)state;
	json_t *rec = load_record("anonleak-v1");
	struct report_prom_record r;
	assert_int_equal(report_prom_record_json(rec, &r), 0);
	char *text = render_record(&r);
	char *want = xasprintf("mph_record_memory_peak_bytes{cgroup=\"%s\"} %lld\n", json_string_value(json_object_get(rec, "cgroup_path")),
			       (long long)json_integer_value(json_object_get(json_object_get(rec, "recorder"), "peak_usage_bytes")));
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "mph_record_running{cgroup=\"/process_api/"));
	assert_non_null(strstr(text, "mph_record_memory_limit_bytes{cgroup=\"/process_api/"));
	assert_non_null(strstr(text, "\"} 67108864\n"));
	assert_non_null(strstr(text, "mph_record_command_exit_code{"));
	assert_non_null(strstr(text, "comm=\"anonleak\"} 18935808\n"));
	assert_null(strstr(text, "mph_record_memory_usage_bytes"));
	assert_null(strstr(text, "mph_record_psi_"));
	assert_null(strstr(text, "mph_record_reclaim_"));
	check_grouping(text);
	promtool(text);
	free(want);
	free(text);
	json_decref(rec);
}

/* A v2 service's recording (hand-edited): its name escaped, its own reclaim and PSI,
 * a pid reused within the recording written once (its larger life), no command. */
static void test_record_final_v2(void **state)
{
	(void)state;
	json_t *rec = load_record("service-v2");
	struct report_prom_record r;
	assert_int_equal(report_prom_record_json(rec, &r), 0);
	char *text = render_record(&r);
#define SVC "cgroup=\"/system.slice/php8.2-fpm \\\"pool\\\".service\""
	assert_non_null(strstr(text, "mph_record_oom_kills_total{" SVC "} 2\n"));
	assert_non_null(strstr(text, "mph_record_reclaim_scanned_pages_total{" SVC "} 48211\n"));
	assert_non_null(strstr(text, "mph_record_reclaim_reclaimed_pages_total{" SVC "} 40117\n"));
	assert_non_null(strstr(text, "mph_record_psi_some_seconds_total{" SVC "} 4.25\n"));
	assert_non_null(strstr(text, "mph_record_psi_full_seconds_total{" SVC "} 1.125\n"));
	assert_non_null(strstr(text, "mph_record_swap_peak_bytes{" SVC "} 13107200\n"));
	assert_non_null(strstr(text, "mph_record_processes_seen_total{" SVC "} 7\n"));
	assert_non_null(strstr(text, "mph_record_process_peak_rss_bytes{" SVC ",pid=\"901\",comm=\"php-fpm8.2\"} 125829120\n"));
	assert_null(strstr(text, "pid=\"901\",comm=\"php-fpm8.2\"} 98566144"));
	assert_non_null(strstr(text, ",pid=\"905\",")); /* five distinct pids */
	assert_null(strstr(text, "pid=\"900\""));
	assert_null(strstr(text, "mph_record_command_exit_code"));
	assert_null(strstr(text, "mph_record_memory_limit_bytes"));
#undef SVC
	check_grouping(text);
	promtool(text);
	free(text);
	json_decref(rec);
	/* a plan is not a recording */
	json_t *plan = load("pass");
	r.ntop = 99;
	assert_int_equal(report_prom_record_json(plan, &r), -EINVAL);
	assert_int_equal(r.ntop, 99); /* untouched */
	json_decref(plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_pass_plan), cmocka_unit_test(test_action_metrics),
		cmocka_unit_test(test_many_plans),
		cmocka_unit_test(test_record_live),
		cmocka_unit_test(test_record_final_v1),
		cmocka_unit_test(test_record_final_v2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
