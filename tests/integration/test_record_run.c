/* test_record_run.c - integration: the recorder during real runs and `mph record`. The
 * samples must add up to what the kernel counted over the run, the OOM event must
 * name the victim and its cgroup, and the timeline must have the sampling rate asked for. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"


struct table {
	char **head;
	size_t ncol, nrow;
	char ***rows;
	char *text;
};

static void table_load(const char *path, struct table *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(read_file(path, &t->text, NULL), 0);
	char *save = NULL;
	for (char *l = strtok_r(t->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char **cells = NULL;
		size_t n = 0;
		for (char *p = l;;) {
			char *c = strchr(p, ',');
			cells = xrealloc(cells, (n + 1) * sizeof(*cells));
			cells[n++] = p;
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (!t->head) {
			t->head = cells;
			t->ncol = n;
			continue;
		}
		assert_int_equal(n, t->ncol);
		t->rows = xrealloc(t->rows, (t->nrow + 1) * sizeof(*t->rows));
		t->rows[t->nrow++] = cells;
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrow; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->head);
	free(t->text);
}

static long col(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->ncol; i++)
		if (strcmp(t->head[i], name) == 0)
			return (long)i;
	fail_msg("samples.csv has no column %s", name);
	return -1;
}

/* Sum of the per-sample deltas of a column (empty cells are skipped: absent). */
static long long sum_deltas(const struct table *t, long c)
{
	long long sum = 0, prev = 0;
	bool have = false;
	for (size_t i = 0; i < t->nrow; i++) {
		if (!*t->rows[i][c])
			continue;
		long long v = atoll(t->rows[i][c]);
		if (have)
			sum += v - prev;
		prev = v;
		have = true;
	}
	return sum;
}

static void test_samples_add_up(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/record.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p), *csv = xasprintf("%s/samples.csv", dir);
	struct table t;
	table_load(csv, &t);
	/* the timeline: about one sample per 10 ms over ~1.5 s (timers on a busy
	 * machine may coalesce, never add) */
	double elapsed = json_real_value(json_object_get(r, "elapsed_s"));
	assert_true(t.nrow >= (size_t)(elapsed / 0.010 * 0.5));
	assert_true(t.nrow <= (size_t)(elapsed / 0.010 * 1.1) + 3);
	assert_int_equal(itest_num(r, "recorder.samples"), (long long)t.nrow);
	/* global counters: the samples' deltas add up to run.json's vmstat delta */
	static const char *const counters[] = { "pgfault", "pgalloc_normal", "pgfree" };
	json_t *delta = json_object_get(json_object_get(r, "vmstat"), "delta");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		char *name = xasprintf("vmstat.%s[n]", counters[i]);
		long long s = sum_deltas(&t, col(&t, name));
		long long d = json_integer_value(json_object_get(delta, counters[i]));
		if (d <= 0 || llabs(s - d) > d / 100)
			fail_msg("%s: samples add up to %lld, /proc/vmstat moved by %lld", counters[i], s, d);
		free(name);
	}
	/* the run cgroup's own counter: only the workload moves it, so it is exact */
	long long cgf = sum_deltas(&t, col(&t, "cg.stat.pgfault[n]"));
	assert_int_equal(cgf, itest_num(r, "cgroup.memory_stat_delta.pgfault"));
	assert_true(cgf >= 48 * 256); /* at least one fault per page of 48 MiB */
	/* the workload's own memory, sampled while it held 48 MiB (Pss asked for) */
	long rss = col(&t, "proc.filler.RssAnon[bytes]"), pss = col(&t, "proc.filler.Pss[bytes]");
	long long max_rss = 0, max_pss = 0;
	for (size_t i = 0; i < t.nrow; i++) {
		if (*t.rows[i][rss] && atoll(t.rows[i][rss]) > max_rss)
			max_rss = atoll(t.rows[i][rss]);
		if (*t.rows[i][pss] && atoll(t.rows[i][pss]) > max_pss)
			max_pss = atoll(t.rows[i][pss]);
	}
	assert_true(max_rss >= 48LL << 20 && max_rss <= 52LL << 20);
	assert_true(max_pss >= 48LL << 20);
	/* the peak usage covers the 48 MiB */
	assert_true(itest_num(r, "recorder.peak_usage_bytes") >= 48LL << 20);
	table_free(&t);
	free(csv);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_oom_event(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p), *ev = xasprintf("%s/events.jsonl", dir), *text = NULL;
	assert_int_equal(read_file(ev, &text, NULL), 0);
	json_t *kill = NULL;
	size_t nkill = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e); /* every line is JSON */
		if (strcmp(itest_str(e, "type"), "oom_kill") == 0) {
			nkill++;
			json_decref(kill);
			kill = e;
		} else {
			json_decref(e);
		}
	}
	assert_int_equal(nkill, 1);
	assert_int_equal(itest_num(kill, "pid"), itest_num(itest_workload0(r), "pid"));
	/* the kernel rate-limits the line naming constraint and cgroup (10 per 5 s) */
	if (*itest_str(kill, "constraint")) {
		assert_string_equal(itest_str(kill, "oom_memcg"), itest_str(r, "cgroup.path"));
		assert_string_equal(itest_str(kill, "constraint"), "CONSTRAINT_MEMCG");
	}
	/* seen as it happened, not at the end of the run */
	double lat = json_real_value(json_object_get(kill, "detection_latency_s"));
	assert_true(lat >= 0 && lat < 0.5);
	assert_true(json_real_value(json_object_get(json_object_get(r, "recorder"), "first_oom_kill_s")) > 0);
	json_decref(kill);
	free(text);
	free(ev);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_record_command(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-cmd", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--interval", "10ms", "--out", out, "--", "workloads/anonleak",
				      "--size=16M", "--hold=300ms", "--report-fd=2", NULL);
	assert_int_equal(p.code, 0);
	char *rj = xasprintf("%s/record.json", out), *csv = xasprintf("%s/samples.csv", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	assert_int_equal(itest_num(r, "exit_code"), 0);
	struct table t;
	table_load(csv, &t);
	long c = col(&t, "proc.cmd.RssAnon[bytes]");
	long long max = 0;
	for (size_t i = 0; i < t.nrow; i++)
		if (*t.rows[i][c] && atoll(t.rows[i][c]) > max)
			max = atoll(t.rows[i][c]);
	assert_true(max >= 16LL << 20);
	assert_true(t.nrow >= 15); /* >= 300 ms at 10 ms, halved for a busy machine */
	table_free(&t);
	json_decref(r);
	free(rj);
	free(csv);
	free(out);
	itest_proc_free(&p);
}

static void test_record_cgroup_until_duration(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-cg", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--interval", "20ms", "--duration", "400ms", "--cgroup", itest_env.own,
				      "--out", out, NULL);
	assert_int_equal(p.code, 0);
	char *csv = xasprintf("%s/samples.csv", out);
	struct table t;
	table_load(csv, &t);
	long u = col(&t, "cg.usage[bytes]");
	assert_true(*t.rows[0][u] && atoll(t.rows[0][u]) > 0); /* this test's own cgroup uses memory */
	assert_true(t.nrow >= 10 && t.nrow <= 25);
	table_free(&t);
	free(csv);
	free(out);
	itest_proc_free(&p);
	p = itest_mph("record", "--cgroup", "/no/such/cgroup", "--duration", "1s", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "--cgroup /no/such/cgroup: no such cgroup"));
	itest_proc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_samples_add_up, itest_each_setup),
		cmocka_unit_test_setup(test_oom_event, itest_each_setup),
		cmocka_unit_test_setup(test_record_command, itest_each_setup),
		cmocka_unit_test_setup(test_record_cgroup_until_duration, itest_each_setup),
	};
	return itest_run_group("recorder-integration", tests, itest_group_setup, itest_group_teardown);
}
