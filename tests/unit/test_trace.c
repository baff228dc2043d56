/* test_trace.c - the tracefs lines of reclaim stalls and OOM victims: saved from this
 * machine's kernel (6.18: oom-basic's leaker, probe-pagecache's probe and readers),
 * cut off at every byte, malformed, and odd task names; their pairing into stalls and
 * the summary for run.json. */
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

#include "../../harness/host/trace.h"
#include "../../harness/core/util.h"

static char *data(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *p = xasprintf("%s/data/trace/%s", base ? base : "tests", name), *text = NULL;
	assert_int_equal(read_file(p, &text, NULL), 0);
	free(p);
	return text;
}

/* every line of text fed to t; returns how many parsed */
static size_t feed_all(struct trace *t, const char *text)
{
	size_t ok = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct tev e;
		if (trace_parse_line(p, len, &e) == 0)
			ok++;
		trace_feed(t, p, len);
		p += len + (nl != NULL);
	}
	return ok;
}

/* read_fd (core/util.c), which reads the instance's format files: to the end, or
 * -EFBIG past its bound, the fd left open. */
static void test_read_fd_bound(void **state)
{
	(void)state;
	for (size_t max = 9; max <= 10; max++) {
		int p[2];
		assert_int_equal(pipe(p), 0);
		assert_int_equal(write(p[1], "0123456789", 10), 10);
		close(p[1]);
		char *text = NULL;
		size_t len = 0;
		int r = read_fd(p[0], &text, &len, max);
		if (max < 10) {
			assert_int_equal(r, -EFBIG);
			assert_null(text);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(len, 10);
			assert_string_equal(text, "0123456789");
		}
		assert_int_equal(close(p[0]), 0); /* still open */
		free(text);
	}
}

static void test_real_lines(void **state)
{
	(void)state;
	struct tev e;
	const char *l = "        anonleak-10003   [000] ...1.  5959.133990: mark_victim: pid=10003 comm=anonleak "
			"total-vm=69132kB anon-rss=65280kB file-rss:1872kB shmem-rss:0kB uid=0 pgtables=180kB oom_score_adj=0\n";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_MARK_VICTIM);
	assert_int_equal(e.pid, 10003);
	assert_int_equal(e.value, 10003);
	assert_string_equal(e.comm, "anonleak");
	assert_true(e.ts > 5959.133989 && e.ts < 5959.133991);
	l = "             cat-10053   [000] .N...  5965.174337: mm_vmscan_memcg_reclaim_end: nr_reclaimed=986";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_MEMCG_END);
	assert_int_equal(e.pid, 10053);
	assert_int_equal(e.value, 986);
	assert_string_equal(e.comm, "cat");
	l = "           probe-10132   [001] .....  5971.912684: mm_vmscan_memcg_reclaim_begin: order=0 gfp_flags=GFP_HIGHUSER_MOVABLE";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_MEMCG_BEGIN);
	assert_int_equal(e.pid, 10132);
}

/* comm may hold spaces, '-', ':' and digits; without irq-info there is no flags column */
static void test_odd_heads(void **state)
{
	(void)state;
	struct tev e;
	const char *l = "  my -odd: 7 name-42   [003] d..1.  12.000001: mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_KERNEL";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_DIRECT_BEGIN);
	assert_int_equal(e.pid, 42);
	assert_string_equal(e.comm, "my -odd: 7 name");
	l = "cat-5 [000] 1.5: mm_vmscan_direct_reclaim_end: nr_reclaimed=3";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.pid, 5);
	assert_int_equal(e.value, 3);
	assert_true(e.ts == 1.5);
	l = "           <...>-77      [001] .....   100.000000: mm_vmscan_kswapd_wake: nid=1 order=3";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_KSWAPD_WAKE);
	assert_int_equal(e.value, 1);
	assert_string_equal(e.comm, "<...>");
	l = "CPU:3 [LOST 128 EVENTS]";
	assert_int_equal(trace_parse_line(l, strlen(l), &e), 0);
	assert_int_equal(e.kind, TEV_LOST);
	assert_int_equal(e.value, 128);
}

static void test_malformed(void **state)
{
	(void)state;
	struct tev e = { .pid = -7 };
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{ "", -ENOENT },
		{ "\n", -ENOENT },
		{ "# tracer: nop", -ENOENT },
		{ "  sh-1 [000] ..... 1.0: sched_switch: prev_comm=sh", -ENOENT },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=", -EINVAL },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=x", -EINVAL },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=12kB", -EINVAL },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=99999999999999999999", -EINVAL },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_begin:", -EINVAL },
		{ "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_beg", -EINVAL },
		{ "  sh-x [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=1", -EINVAL },
		{ "  sh-1 000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=1", -EINVAL },
		{ "[000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=1", -EINVAL },
		{ "  sh-1 [000] ..... 1.: mm_vmscan_direct_reclaim_end: nr_reclaimed=1", -ENOENT },
		{ "  sh-1 [000] ..... 1.0: mark_victim: comm=x", -EINVAL },
		{ "CPU:3 [LOST x EVENTS]", -EINVAL },
		{ "CPU:3 [LOST 12", -EINVAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r = trace_parse_line(cases[i].line, strlen(cases[i].line), &e);
		if (r != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].line, r, cases[i].want);
		assert_int_equal(e.pid, -7); /* untouched */
	}
	const char nul[] = "  sh-1 [000] ..... 1.0: mm_vmscan_direct_reclaim_end: nr_reclaimed=1\0 2";
	assert_int_equal(trace_parse_line(nul, sizeof(nul) - 1, &e), -EINVAL);
}

/* A real line cut off at every byte: never a crash; before its fields never an event
 * (trace_read hands over only complete lines; this is what an overlong one leaves) */
static void test_truncated(void **state)
{
	(void)state;
	char *text = data("oom-basic-6.18.txt");
	size_t n = 0;
	for (const char *p = text; *p && n < 20; n++) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *fields = memmem(p, len, ": ", 2);
		fields = fields ? memmem(fields + 2, len - (size_t)(fields + 2 - p), ": ", 2) : NULL;
		assert_non_null(fields);
		for (size_t cut = 0; cut < len; cut++) {
			char *c = strndup(p, cut);
			struct tev e;
			int r = trace_parse_line(c, cut, &e);
			if (c + cut <= c + (fields - p) + 1)
				assert_int_not_equal(r, 0);
			assert_true(r == 0 || r == -EINVAL || r == -ENOENT);
			free(c);
		}
		p += len + (nl != NULL);
	}
	free(text);
}

static bool only_pid(void *ctx, int pid)
{
	return pid == *(int *)ctx;
}

static void test_oom_basic(void **state)
{
	(void)state;
	char *text = data("oom-basic-6.18.txt");
	struct trace *t = trace_new();
	size_t ok = feed_all(t, text);
	assert_int_equal(ok, 87); /* every saved line is one of the events */
	struct trace_victim v;
	assert_true(trace_victim(t, 10003, &v));
	assert_true(v.ts > 5959.133989 && v.ts < 5959.133991);
	assert_true(v.seen > 0); /* when it was parsed, on the same clock */
	assert_false(trace_victim(t, 10004, &v));
	size_t n;
	assert_non_null(trace_victims(t, &n));
	assert_int_equal(n, 1);
	int pid = 10003;
	json_t *s = trace_summary(t, only_pid, &pid);
	json_t *m = json_object_get(s, "memcg");
	assert_true(json_integer_value(json_object_get(m, "count")) > 10);
	assert_true(json_integer_value(json_object_get(m, "max_us")) >= json_integer_value(json_object_get(m, "p99_us")));
	assert_true(json_integer_value(json_object_get(m, "p99_us")) >= json_integer_value(json_object_get(m, "p50_us")));
	json_t *top = json_array_get(json_object_get(s, "top_stallers"), 0);
	assert_int_equal(json_integer_value(json_object_get(top, "pid")), 10003);
	assert_string_equal(json_string_value(json_object_get(top, "comm")), "anonleak");
	assert_int_equal(json_integer_value(json_object_get(s, "malformed_lines")), 0);
	assert_int_equal(json_integer_value(json_object_get(s, "oom_victims_marked")), 1);
	/* direct reclaim was not seen: 0 stalls, percentiles absent (not 0) */
	json_t *d = json_object_get(s, "direct");
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 0);
	assert_true(json_is_null(json_object_get(d, "p50_us")));
	json_decref(s);
	trace_close(t);
	free(text);
}

/* the probe's stalls are the run's; the readers' count elsewhere when not in it */
static void test_pagecache_elsewhere(void **state)
{
	(void)state;
	char *text = data("probe-pagecache-6.18.txt");
	struct trace *t = trace_new();
	assert_int_equal(feed_all(t, text), 60);
	int pid = 10132;
	json_t *s = trace_summary(t, only_pid, &pid);
	json_t *top = json_object_get(s, "top_stallers");
	assert_int_equal(json_array_size(top), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(top, 0), "comm")), "probe");
	json_t *m = json_object_get(s, "memcg"), *away = json_object_get(json_object_get(s, "elsewhere"), "memcg");
	assert_int_equal(json_integer_value(json_object_get(m, "count")), 15);
	assert_true(json_integer_value(json_object_get(away, "count")) > 0);
	assert_true(json_integer_value(json_object_get(m, "nr_reclaimed")) > 0);
	json_decref(s);
	trace_close(t);
	free(text);
}

/* As mph reads now (irq-info off: no flags column), saved from a tracefs instance here
 * while other mph runs shared the machine: a page-cache reader's (dd) limit reclaim
 * and three OOM marks. The marking task is not always the victim (pid 942 marked
 * 2184): the victim is the field. */
static void test_irq_info_off(void **state)
{
	(void)state;
	char *text = data("irq-info-off-6.18.txt");
	struct trace *t = trace_new();
	assert_int_equal(feed_all(t, text), 1772); /* every line */
	struct trace_victim v;
	assert_true(trace_victim(t, 2184, &v));
	assert_true(v.ts > 12429.189078 && v.ts < 12429.189080);
	size_t n;
	(void)trace_victims(t, &n);
	assert_int_equal(n, 3);
	int pid = 2183;
	json_t *s = trace_summary(t, only_pid, &pid);
	assert_int_equal(json_integer_value(json_object_get(s, "malformed_lines")), 0);
	json_t *top = json_array_get(json_object_get(s, "top_stallers"), 0);
	assert_int_equal(json_integer_value(json_object_get(top, "pid")), 2183);
	assert_string_equal(json_string_value(json_object_get(top, "comm")), "dd");
	json_t *m = json_object_get(s, "memcg");
	assert_true(json_integer_value(json_object_get(m, "count")) > 100);
	assert_true(json_integer_value(json_object_get(m, "p99_us")) >= json_integer_value(json_object_get(m, "p50_us")));
	json_decref(s);
	trace_close(t);
	free(text);
}

/* record-tgid's column, "(%7d)" or "(-------)" before [cpu]: a worker thread's stalls
 * are the run's when its process is; a thread of unknown process is judged by itself */
static void test_threads(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"  svc worker-101 (    100) [001]   10.000100: mm_vmscan_memcg_reclaim_begin: order=0 gfp_flags=GFP_KERNEL",
		"  svc worker-101 (    100) [001]   10.000300: mm_vmscan_memcg_reclaim_end: nr_reclaimed=32",
		"           other-7 (-------) [000]   10.000400: mm_vmscan_memcg_reclaim_begin: order=0 gfp_flags=GFP_KERNEL",
		"           other-7 (-------) [000]   10.000500: mm_vmscan_memcg_reclaim_end: nr_reclaimed=32",
	};
	struct tev e;
	assert_int_equal(trace_parse_line(lines[0], strlen(lines[0]), &e), 0);
	assert_int_equal(e.pid, 101);
	assert_int_equal(e.tgid, 100);
	assert_string_equal(e.comm, "svc worker");
	assert_int_equal(trace_parse_line(lines[2], strlen(lines[2]), &e), 0);
	assert_int_equal(e.pid, 7);
	assert_int_equal(e.tgid, 0);
	const char *bad = "a-1 (12x4) [000] 1.0: mm_vmscan_memcg_reclaim_end: nr_reclaimed=1";
	assert_int_equal(trace_parse_line(bad, strlen(bad), &e), -EINVAL);
	struct trace *t = trace_new();
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		trace_feed(t, lines[i], strlen(lines[i]));
	int pid = 100; /* the process, as cgroup.procs lists it */
	json_t *s = trace_summary(t, only_pid, &pid);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "memcg"), "count")), 1);
	json_t *top = json_array_get(json_object_get(s, "top_stallers"), 0);
	assert_int_equal(json_integer_value(json_object_get(top, "pid")), 101);
	json_t *away = json_object_get(json_object_get(s, "elsewhere"), "memcg");
	assert_int_equal(json_integer_value(json_object_get(away, "count")), 1);
	json_decref(s);
	trace_close(t);
	/* a real record of the column (dd's limit reclaim, 6.18, irq-info off) */
	char *text = data("record-tgid-6.18.txt");
	t = trace_new();
	assert_int_equal(feed_all(t, text), 102);
	const char *nl = strchr(text, '\n');
	assert_int_equal(trace_parse_line(text, (size_t)(nl - text), &e), 0);
	assert_int_equal(e.pid, 22444);
	assert_int_equal(e.tgid, 22444);
	pid = 22444;
	s = trace_summary(t, only_pid, &pid);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "memcg"), "count")), 51);
	assert_int_equal(json_integer_value(json_object_get(s, "malformed_lines")), 0);
	json_decref(s);
	trace_close(t);
	free(text);
}

/* pairing: per task and kind; kswapd per node; an end without its begin is unpaired */
/* what trace_set_on_stall's callback was handed, in order */
struct seen_stalls {
	size_t n;
	struct { int kind, pid; long long us, reclaimed; double begin; } s[8];
};

static void note_stall(void *ctx, enum trace_stall_kind kind, int pid, int tgid, double begin, double secs,
		       long long reclaimed)
{
	(void)tgid;
	struct seen_stalls *v = ctx;
	if (v->n < ARRAY_SIZE(v->s))
		v->s[v->n++] = (typeof(v->s[0])){ (int)kind, pid, (long long)(secs * 1e6 + 0.5), reclaimed, begin };
}

static void test_pairing(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"a-1 [000] ..... 10.000000: mm_vmscan_direct_reclaim_end: nr_reclaimed=5", /* began before */
		"a-1 [000] ..... 10.000100: mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_KERNEL",
		"b-2 [001] ..... 10.000200: mm_vmscan_direct_reclaim_begin: order=0 gfp_flags=GFP_KERNEL",
		"a-1 [000] ..... 10.000400: mm_vmscan_direct_reclaim_end: nr_reclaimed=7",
		"kswapd0-80 [001] ..... 10.001000: mm_vmscan_kswapd_wake: nid=0 order=0",
		"b-2 [001] ..... 10.001200: mm_vmscan_direct_reclaim_end: nr_reclaimed=9",
		"kswapd0-80 [001] ..... 10.003500: mm_vmscan_kswapd_sleep: nid=0",
		"a-1 [000] ..... 10.004000: mm_vmscan_memcg_reclaim_begin: order=0 gfp_flags=GFP_KERNEL",
	};
	struct trace *t = trace_new();
	struct seen_stalls seen = { 0 };
	trace_set_on_stall(t, note_stall, &seen);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		trace_feed(t, lines[i], strlen(lines[i]));
	/* each stall handed over as it is paired: its kind, task, begin, length, pages */
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.s[0].kind, TRACE_STALL_DIRECT);
	assert_int_equal(seen.s[0].pid, 1);
	assert_int_equal(seen.s[0].us, 300);
	assert_int_equal(seen.s[0].reclaimed, 7);
	assert_true(seen.s[0].begin > 10.00009 && seen.s[0].begin < 10.00011);
	assert_int_equal(seen.s[1].kind, TRACE_STALL_DIRECT);
	assert_int_equal(seen.s[1].pid, 2);
	assert_int_equal(seen.s[1].us, 1000);
	assert_int_equal(seen.s[1].reclaimed, 9);
	assert_int_equal(seen.s[2].kind, TRACE_STALL_KSWAPD);
	assert_int_equal(seen.s[2].pid, 0); /* the node */
	assert_int_equal(seen.s[2].us, 2500);
	int pid = 1;
	json_t *s = trace_summary(t, only_pid, &pid);
	assert_int_equal(seen.n, 3); /* the summary hands over nothing again */
	json_t *d = json_object_get(s, "direct");
	assert_int_equal(json_integer_value(json_object_get(d, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "max_us")), 300);
	assert_int_equal(json_integer_value(json_object_get(d, "nr_reclaimed")), 7);
	json_t *away = json_object_get(json_object_get(s, "elsewhere"), "direct");
	assert_int_equal(json_integer_value(json_object_get(away, "max_us")), 1000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "elsewhere"), "stalling_tasks")), 1);
	json_t *k = json_object_get(s, "kswapd");
	assert_int_equal(json_integer_value(json_object_get(k, "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(k, "max_us")), 2500);
	assert_true(json_is_null(json_object_get(k, "nr_reclaimed")));
	assert_int_equal(json_integer_value(json_object_get(s, "unpaired")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "unfinished"), "memcg")), 1);
	json_decref(s);
	trace_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_lines),  cmocka_unit_test(test_odd_heads),
		cmocka_unit_test(test_malformed),   cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_oom_basic),   cmocka_unit_test(test_pagecache_elsewhere),
		cmocka_unit_test(test_pairing),     cmocka_unit_test(test_irq_info_off),
		cmocka_unit_test(test_threads),     cmocka_unit_test(test_read_fd_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
