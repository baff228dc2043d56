/* test_actions.c - integration: timed actions ([action NAME]) and oom_score_adj in a
 * real run in a real memory cgroup, read back from run.json and events.jsonl:
 * drop_caches empties the run cgroup's page cache and leaves its anonymous memory,
 * a signal reaches the workload's process, a signal to a workload that has ended is
 * skipped, and oom_score_adj is what the kernel reports for the process. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
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

static json_t *by_name(json_t *arr, const char *name)
{
	size_t i;
	json_t *e;
	json_array_foreach (arr, i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return e;
	fail_msg("no %s in run.json", name);
	return NULL;
}

static double num(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(o, a), b);
	if (!json_is_number(v))
		fail_msg("%s.%s is not a number", a, b);
	return json_number_value(v);
}

static void test_actions_run(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "20m", "--results", itest_results, "tests/scenarios/int/actions.ini", NULL);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%s", p.code, p.err);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p);
	itest_proc_free(&p);
	json_t *acts = json_object_get(r, "actions"), *wls = json_object_get(r, "workloads");
	assert_int_equal(json_array_size(acts), 3);

	/* drop_caches: the reader's 32M of cache was charged before and is gone after;
	 * the leaker's anonymous memory stays (within 10%) */
	json_t *drop = by_name(acts, "drop");
	assert_string_equal(itest_str(drop, "result"), "done");
	assert_string_equal(itest_str(drop, "do"), "drop_caches 3");
	assert_true(json_number_value(json_object_get(drop, "done_s")) >= 1.0);
	double fb = num(drop, "before", "file"), fa = num(drop, "after", "file");
	double ab = num(drop, "before", "anon"), aa = num(drop, "after", "anon");
	print_message("drop: file %.0f -> %.0f, anon %.0f -> %.0f\n", fb, fa, ab, aa);
	assert_true(fb >= 30.0 * (1 << 20));
	assert_true(fa < fb / 4);
	assert_true(ab >= 15.0 * (1 << 20) && aa > ab * 0.9 && aa < ab * 1.1);
	assert_true(num(drop, "kept_pct", "file") < 25);

	/* the signal ended the leaker (it exits on TERM) before the duration did */
	json_t *stop = by_name(acts, "stop"), *leak = by_name(wls, "leak");
	assert_string_equal(itest_str(stop, "result"), "done");
	assert_string_equal(itest_str(stop, "do"), "signal leak SIGTERM");
	assert_string_equal(itest_str(leak, "outcome"), "exited");
	assert_string_equal(itest_str(leak, "report_final.status"), "stopped");
	assert_false(json_is_true(json_object_get(leak, "sigterm_sent")));
	double ended = json_number_value(json_object_get(leak, "ended_s"));
	assert_true(ended >= 2.0 && ended < 5.0);
	/* after = 300ms: its anonymous memory had gone by then */
	assert_true(num(stop, "after", "anon") < num(stop, "before", "anon") / 2);

	/* a workload that has ended is not signalled: skipped, with the reason */
	json_t *late = by_name(acts, "late");
	assert_string_equal(itest_str(late, "result"), "skipped");
	assert_non_null(strstr(itest_str(late, "message"), "leak had already ended"));

	/* oom_score_adj: asked, and what the kernel had for the process */
	assert_int_equal(itest_num(leak, "oom_score_adj.requested"), 300);
	assert_int_equal(itest_num(leak, "oom_score_adj.read_back"), 300);
	assert_true(json_is_null(json_object_get(json_object_get(by_name(wls, "reader"), "oom_score_adj"), "requested")));

	/* one event per action, in events.jsonl */
	char *ev = xasprintf("%s/events.jsonl", dir), *text = NULL;
	assert_int_equal(read_file(ev, &text, NULL), 0);
	size_t n = 0;
	for (const char *q = text; (q = strstr(q, "\"type\":\"action\"")); q++)
		n++;
	assert_int_equal(n, 3);
	assert_non_null(strstr(text, "\"do\":\"signal leak SIGTERM pid "));
	free(text);
	free(ev);
	free(dir);
	json_decref(r);
	itest_check_clean(); /* no journal left, nothing to restore */
}

/* Lowering oom_score_adj needs CAP_SYS_RESOURCE: without it (root on this host) the
 * run is refused before anything changes, exit 3. */
static void test_oom_adj_lower(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "20m", "--results", itest_results, "tests/scenarios/int/oom-adj-lower.ini", NULL);
	char *st = NULL;
	assert_int_equal(read_file("/proc/self/status", &st, NULL), 0);
	const char *c = strstr(st, "\nCapEff:");
	bool cap = c && (strtoull(c + 9, NULL, 16) >> 24 & 1);
	free(st);
	if (cap) {
		print_message("note: this process has CAP_SYS_RESOURCE: lowering works here\n");
		assert_int_equal(p.code, 0);
	} else {
		assert_int_equal(p.code, 3);
		assert_non_null(strstr(p.err, "oom-adj-lower.ini:9: [workload w] oom_score_adj: -5 is below mph's own (0): "
					      "lowering it needs CAP_SYS_RESOURCE"));
		assert_non_null(strstr(p.err, "nothing was changed"));
	}
	itest_proc_free(&p);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_actions_run, itest_each_setup),
		cmocka_unit_test_setup(test_oom_adj_lower, itest_each_setup),
	};
	return itest_run_group("actions", tests, itest_group_setup, itest_group_teardown);
}
