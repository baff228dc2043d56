/* test_wlruntime.c - what workloads share: the latency histogram and the check of
 * the common options (NUMA placement: libnuma alone accepts nodes that do not exist;
 * in a guest the node count is the scenario's). */
#include <errno.h>
#include <numa.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/core/units.h"
#include "../../harness/core/util.h"
#include "../../workloads/hist.h"
#include "../../workloads/workload.h"

static void test_hist_exact_small(void **state)
{
	(void)state;
	struct hist h = { 0 };
	for (uint64_t v = 0; v < 8; v++)
		hist_add(&h, v);
	assert_int_equal(h.count, 8);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, 7);
	assert_int_equal(hist_quantile(&h, 0.0), 0);
	assert_int_equal(hist_quantile(&h, 0.5), 4);
	assert_int_equal(hist_quantile(&h, 1.0), 7);
}

static void test_hist_error_bound(void **state)
{
	(void)state;
	/* 1..100000 uniformly: every quantile within 12.5% above the true value */
	static struct hist h;
	memset(&h, 0, sizeof(h));
	for (uint64_t v = 1; v <= 100000; v++)
		hist_add(&h, v);
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		double truth = qs[i] * 100000.0;
		double got = (double)hist_quantile(&h, qs[i]);
		if (got < truth * 0.999 || got > truth * 1.125)
			fail_msg("q%.3f: got %.0f, true %.0f", qs[i], got, truth);
	}
	assert_int_equal(hist_quantile(&h, 1.0), 100000); /* capped at the max seen */
	json_t *j = hist_json(&h);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 100000);
	assert_int_equal(json_integer_value(json_object_get(j, "mean_ns")), 50000);
	json_decref(j);
}

static void test_hist_outlier(void **state)
{
	(void)state;
	/* 999 fast samples and one stall: p50 stays fast, max shows the stall */
	static struct hist h;
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 999; i++)
		hist_add(&h, 1000);
	hist_add(&h, 50 * 1000 * 1000);
	assert_true(hist_quantile(&h, 0.5) <= 1125);
	assert_true(hist_quantile(&h, 0.99) <= 1125);
	assert_int_equal(hist_quantile(&h, 0.9999), 50 * 1000 * 1000);
	struct hist empty = { 0 };
	assert_int_equal(hist_quantile(&empty, 0.5), 0);
}

static void test_numa_options(void **state)
{
	(void)state;
	char err[256];
	if (numa_available() < 0)
		skip();
	assert_int_equal(wl_apply_numa(NULL, NULL, NULL, err, sizeof(err)), 0);
	assert_int_equal(wl_apply_numa("0", "0", NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--membind, --interleave and --preferred exclude each other");
	char spec[16];
	snprintf(spec, sizeof(spec), "%d", numa_max_node() + 1);
	assert_int_equal(wl_apply_numa(spec, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a list of this machine's nodes"));
	assert_int_equal(wl_apply_numa(NULL, "nonsense", NULL, err, sizeof(err)), -EINVAL);
	/* an existing node works; the policy applies to this test process only */
	assert_int_equal(wl_apply_numa(NULL, NULL, "0", err, sizeof(err)), 0);
	assert_int_equal(wl_apply_numa("0", NULL, NULL, err, sizeof(err)), 0);
}

/* Problem i of p as "opt,opt: message". */
static const char *problem_text(const struct wl_problems *p, size_t i, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t o = 0; p->v[i].opts[o] && k < len; o++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", o ? "," : "", p->v[i].opts[o]);
	if (k < len)
		snprintf(buf + k, len - k, ": %s", p->v[i].msg);
	return buf;
}

/* The common rules for a guest of two nodes: only syntax and range, no libnuma. */
static void test_common_check_guest(void **state)
{
	(void)state;
	static const struct {
		struct wl_common com;
		const char *want[4];
	} cases[] = {
		{ { .membind = "0-1" }, { NULL } },
		{ { .interleave = "0,1" }, { NULL } },
		{ { .preferred = "1" }, { NULL } },
		{ { .membind = "2" }, { "membind: --membind=2: the guest has nodes 0-1" } },
		{ { .interleave = "1-0" }, { "interleave: --interleave=1-0: the guest has nodes 0-1" } },
		{ { .membind = "0," }, { "membind: --membind=0,: not a list of nodes such as 0, 0-1 or 0,2" } },
		{ { .membind = "" }, { "membind: --membind=: not a list of nodes such as 0, 0-1 or 0,2" } },
		{ { .preferred = "0-1" }, { "preferred: --preferred takes one node, got 0-1" } },
		{ { .preferred = "1,1" }, { NULL } }, /* one node, named twice */
		{ { .membind = "0", .interleave = "1" },
		  { "membind,interleave: --membind, --interleave and --preferred exclude each other" } },
		{ { .membind = "0", .interleave = "5", .preferred = "0,1" },
		  { "membind,interleave,preferred: --membind, --interleave and --preferred exclude each other",
		    "interleave: --interleave=5: the guest has nodes 0-1", "preferred: --preferred takes one node, got 0,1" } },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wl_problems p = { 0 };
		size_t n = 0;
		char buf[512];
		while (cases[i].want[n])
			n++;
		int r = wl_check_common(&cases[i].com, 2, &p);
		for (size_t k = 0; p.n != n && k < p.n; k++)
			print_message("case %zu got: %s\n", i, problem_text(&p, k, buf, sizeof(buf)));
		assert_int_equal(p.n, n);
		assert_int_equal(r, n ? -EINVAL : 0);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(problem_text(&p, k, buf, sizeof(buf)), cases[i].want[k]);
	}
}

/* On this machine the node lists are asked of libnuma; wl_apply_numa refuses what
 * the check refuses, with the same text. */
static void test_common_check_here(void **state)
{
	(void)state;
	if (numa_available() < 0)
		skip();
	char spec[16], want[128], buf[512], err[256];
	snprintf(spec, sizeof(spec), "%d", numa_max_node() + 1);
	struct wl_common com = { .membind = spec };
	struct wl_problems p = { 0 };
	assert_int_equal(wl_check_common(&com, 0, &p), -EINVAL);
	assert_int_equal(p.n, 1);
	snprintf(want, sizeof(want), "membind: --membind=%s: not a list of this machine's nodes (0-%d), such as 0, 0-1 or 0,2",
		 spec, numa_max_node());
	assert_string_equal(problem_text(&p, 0, buf, sizeof(buf)), want);
	assert_int_equal(wl_apply_numa(spec, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, p.v[0].msg);
	struct wl_common ok = { .preferred = "0" };
	p.n = 0;
	assert_int_equal(wl_check_common(&ok, 0, &p), 0);
	assert_int_equal(p.n, 0);
	/* a workload without rules of its own: only the common ones */
	const struct workload *w = workload_find("probe");
	assert_null(w->check);
	assert_int_equal(wl_check(w, NULL, &com, 0, &p), -EINVAL);
	assert_int_equal(p.n, 1);
}

static json_t *count_progress(void *arg)
{
	(*(int *)arg)++;
	return json_pack("{s:i}", "n", *(int *)arg);
}

static void test_hold(void **state)
{
	(void)state;
	int fds[2], n = 0;
	assert_int_equal(pipe(fds), 0);
	struct wl_ctx ctx = { .report_fd = fds[1], .report_interval_ms = 10, .t0 = now_s(), .name = "t" };
	ctx.next_progress = ctx.t0 + 0.01;
	double t = now_s();
	wl_hold(&ctx, 100, count_progress, &n);
	double took = now_s() - t;
	assert_true(took >= 0.1 && took < 0.5);
	assert_true(n >= 3 && n <= 11); /* about one record per 10 ms interval */
	char buf[4096];
	ssize_t k = read(fds[0], buf, sizeof(buf) - 1);
	assert_true(k > 0);
	buf[k] = '\0';
	assert_non_null(strstr(buf, "\"type\":\"progress\""));
	wl_stop = 1; /* a stop ends even a hold forever at once */
	t = now_s();
	wl_hold(&ctx, DURATION_FOREVER, count_progress, &n);
	assert_true(now_s() - t < 0.05);
	wl_stop = 0;
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_exact_small),
		cmocka_unit_test(test_hist_error_bound),
		cmocka_unit_test(test_hist_outlier),
		cmocka_unit_test(test_numa_options),
		cmocka_unit_test(test_common_check_guest),
		cmocka_unit_test(test_common_check_here),
		cmocka_unit_test(test_hold),
	};
	return cmocka_run_group_tests_name("wlruntime", tests, NULL, NULL);
}
