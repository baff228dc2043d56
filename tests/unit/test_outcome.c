/* test_outcome.c - how a workload's end is classified, the kernel log's OOM records
 * (saved from this machine's kernel, and a global OOM in the kernel's format), and the
 * cgroup v1/v2 name mapping. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../harness/host/cgroup.h"
#include "../../harness/host/kmsg.h"
#include "../../harness/host/outcome.h"
#include "../../harness/core/util.h"

static void test_classify(void **state)
{
	(void)state;
	static const struct {
		struct observed o;
		enum outcome want;
	} cases[] = {
		/* exited by itself, any code but 3 */
		{ { .exited = true, .exit_code = 0, .kmsg_available = true }, OUT_EXITED },
		{ { .exited = true, .exit_code = 1, .kmsg_available = true }, OUT_EXITED },
		/* the ENOMEM exit code, or the report saying so */
		{ { .exited = true, .exit_code = 3, .kmsg_available = true }, OUT_ENOMEM },
		{ { .exited = true, .exit_code = 0, .reported_enomem = true }, OUT_ENOMEM },
		/* SIGKILL with the kernel log naming the pid */
		{ { .signal = SIGKILL, .kmsg_victim = true, .kmsg_available = true, .cg_oom_kills = 1 }, OUT_OOM_KILLED },
		/* global OOM: the victim is named but the memcg counter stays 0 */
		{ { .signal = SIGKILL, .kmsg_victim = true, .kmsg_available = true, .cg_oom_kills = 0 }, OUT_OOM_KILLED },
		/* SIGKILL, log readable, pid not named: someone else killed it (another
		 * process of the cgroup was the OOM victim) */
		{ { .signal = SIGKILL, .kmsg_available = true, .cg_oom_kills = 1 }, OUT_KILLED },
		/* log unreadable: the counter is the only witness */
		{ { .signal = SIGKILL, .kmsg_available = false, .cg_oom_kills = 1 }, OUT_OOM_KILLED },
		{ { .signal = SIGKILL, .kmsg_available = false, .cg_oom_kills = 0 }, OUT_KILLED },
		{ { .signal = SIGSEGV, .kmsg_available = true }, OUT_KILLED },
		/* mph's own SIGKILL at the timeout is a timeout, not a kill */
		{ { .signal = SIGKILL, .timed_out = true, .kmsg_available = true }, OUT_TIMED_OUT },
		{ { .start_failed = true }, OUT_FAILED },
		/* an OOM victim still tearing down when the timeout came: the kernel's kill */
		{ { .signal = SIGKILL, .timed_out = true, .kmsg_victim = true, .kmsg_available = true, .cg_oom_kills = 1 },
		  OUT_OOM_KILLED },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *ev = NULL;
		enum outcome got = classify(&cases[i].o, &ev);
		if (got != cases[i].want)
			fail_msg("case %zu: classified %s, expected %s", i, outcome_name(got), outcome_name(cases[i].want));
	}
	const char *ev = NULL;
	assert_int_equal(classify(&cases[4].o, &ev), OUT_OOM_KILLED);
	assert_string_equal(ev, "kernel log names the pid; cgroup oom_kill counter rose");
	assert_string_equal(outcome_name(OUT_OOM_KILLED), "oom-killed");
	assert_string_equal(outcome_name(OUT_TIMED_OUT), "timed-out");
}

static void feed_file(struct kmsg_log *k, const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/data/%s", base ? base : "tests", name), *text = NULL;
	assert_int_equal(read_file(path, &text, NULL), 0);
	free(path);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		kmsg_parse_record(k, line, strlen(line)); /* /dev/kmsg gives one record per read */
	free(text);
}

static void test_kmsg_memcg(void **state)
{
	(void)state;
	struct kmsg_log k = { .fd = -1 };
	feed_file(&k, "kmsg-memcg-oom-6.18.txt");
	assert_int_equal(k.n, 1); /* the task dump and backtrace lines are not kills */
	const struct oom_kill *o = kmsg_find(&k, 3666);
	assert_non_null(o);
	assert_true(o->have_header && o->have_killed);
	assert_false(o->global);
	assert_string_equal(o->comm, "anonleak");
	assert_string_equal(o->constraint, "CONSTRAINT_MEMCG");
	assert_string_equal(o->oom_memcg, "/process_api/ec30e74552547f2f2384905b6968c51c/mph-3665-1");
	assert_string_equal(o->task_memcg, o->oom_memcg);
	assert_int_equal(o->total_vm_kb, 68988);
	assert_int_equal(o->anon_rss_kb, 65280);
	assert_int_equal(o->file_rss_kb, 1872);
	assert_int_equal(o->shmem_rss_kb, 0);
	assert_int_equal(o->pgtables_kb, 172);
	assert_int_equal(o->oom_score_adj, 0);
	assert_int_equal(o->ts_usec, 634534776);
	assert_null(kmsg_find(&k, 3665));
	free(k.kills);
}

static void test_kmsg_global(void **state)
{
	(void)state;
	struct kmsg_log k = { .fd = -1 };
	feed_file(&k, "kmsg-global-oom.txt");
	assert_int_equal(k.n, 2); /* "Some unrelated line: Killed process 1" is not an OOM */
	/* vm.oom_kill_allocating_task's wording is a global OOM too */
	assert_non_null(kmsg_find(&k, 4343));
	assert_true(kmsg_find(&k, 4343)->global);
	const struct oom_kill *o = kmsg_find(&k, 4242);
	assert_non_null(o);
	assert_true(o->global);
	assert_string_equal(o->constraint, "CONSTRAINT_NONE");
	assert_string_equal(o->oom_memcg, "");
	assert_string_equal(o->task_memcg, "/system.slice/stress.service");
	assert_string_equal(o->comm, "stress-ng-vm");
	assert_int_equal(o->oom_score_adj, -500);
	assert_int_equal(o->anon_rss_kb, 900000);
	free(k.kills);
}

/* A kill whose "oom-kill:" header the kernel's ratelimit suppressed: the kill line's
 * own wording still tells a memcg OOM (CONSTRAINT_MEMCG); a global one's constraint
 * (none, cpuset, mempolicy) it does not tell, so it stays unknown. */
static void test_kmsg_header_ratelimited(void **state)
{
	(void)state;
	struct kmsg_log k = { .fd = -1 };
	const char *const recs[] = {
		"3,10,9105401117,-;Memory cgroup out of memory: Killed process 22576 (anonleak) total-vm:60948kB, "
		"anon-rss:56832kB, file-rss:2020kB, shmem-rss:0kB, UID:0 pgtables:160kB oom_score_adj:0",
		"3,11,9105501117,-;Out of memory: Killed process 22577 (stress) total-vm:60948kB, anon-rss:56832kB, "
		"file-rss:2020kB, shmem-rss:0kB, UID:0 pgtables:160kB oom_score_adj:0",
	};
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++)
		assert_int_equal(kmsg_parse_record(&k, recs[i], strlen(recs[i])), 1);
	const struct oom_kill *m = kmsg_find(&k, 22576), *g = kmsg_find(&k, 22577);
	assert_non_null(m);
	assert_non_null(g);
	assert_false(m->have_header);
	assert_false(m->global);
	assert_string_equal(m->constraint, "CONSTRAINT_MEMCG");
	assert_string_equal(m->oom_memcg, ""); /* only the header names the cgroup */
	assert_true(g->global);
	assert_string_equal(g->constraint, "");
	free(k.kills);
}

static void test_kmsg_garbage(void **state)
{
	(void)state;
	struct kmsg_log k = { .fd = -1 };
	static const char *const bad[] = {
		"", "no semicolon at all", "6,1,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,task=x", /* no pid */
		"3,2,2,-;Memory cgroup out of memory: Killed process abc (x)",
		"3,3,3,-;Memory cgroup out of memory: Killed process 77 (unterminated",
		"6,4,4,-;oom-kill:pid=88,task_memcg=/a/very/long" /* truncated record */,
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		kmsg_parse_record(&k, bad[i], strlen(bad[i]));
	/* nothing crashes; what is there is kept, what is not stays unset */
	assert_int_equal(k.n, 2);
	assert_non_null(kmsg_find(&k, 77));
	assert_string_equal(kmsg_find(&k, 77)->comm, "");
	assert_string_equal(kmsg_find(&k, 88)->task_memcg, "/a/very/long");
	free(k.kills);
}

static void test_cgroup_names(void **state)
{
	(void)state;
	static const struct { const char *name; const char *v1, *v2; } map[] = {
		{ "memory.max", "memory.limit_in_bytes", "memory.max" },
		{ "memory.swap.max", "memory.memsw.limit_in_bytes", "memory.swap.max" },
		{ "memory.swappiness", "memory.swappiness", NULL },
		{ "memory.high", NULL, "memory.high" },
		{ "memory.low", NULL, "memory.low" },
		{ "memory.min", NULL, "memory.min" },
		{ "memory.oom.group", NULL, "memory.oom.group" },
		{ "memory.current", "memory.usage_in_bytes", "memory.current" },
		{ "memory.peak", "memory.max_usage_in_bytes", "memory.peak" },
		{ "memory.events", "memory.oom_control", "memory.events" },
		{ "memory.stat", "memory.stat", "memory.stat" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		const char *why1 = NULL, *why2 = NULL;
		const char *f1 = cg_file(CG_V1, map[i].name, &why1), *f2 = cg_file(CG_V2, map[i].name, &why2);
		if ((f1 == NULL) != (map[i].v1 == NULL) || (f1 && strcmp(f1, map[i].v1)))
			fail_msg("%s on v1: %s", map[i].name, f1 ? f1 : "(none)");
		if ((f2 == NULL) != (map[i].v2 == NULL) || (f2 && strcmp(f2, map[i].v2)))
			fail_msg("%s on v2: %s", map[i].name, f2 ? f2 : "(none)");
		/* where there is no equivalent, there is a reason to show */
		if (!f1)
			assert_non_null(why1);
		if (!f2)
			assert_non_null(why2);
	}
	const char *why = NULL;
	assert_null(cg_file(CG_V1, "memory.high", &why));
	assert_string_equal(why, "cgroup v1 has no memory.high (no throttling threshold below the limit)");
	assert_null(cg_file(CG_V2, "memory.nonsense", &why));
	assert_string_equal(cg_knob_suggest("memory.mx"), "memory.max");
	assert_string_equal(cg_knob_suggest("memory.swapiness"), "memory.swappiness");
	/* read-only files are not offered as settings */
	assert_false(cg_knob_find("memory.current")->settable);
	assert_string_equal(cg_version_name(CG_V2), "v2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_kmsg_memcg),
		cmocka_unit_test(test_kmsg_global),
		cmocka_unit_test(test_kmsg_header_ratelimited),
		cmocka_unit_test(test_kmsg_garbage),
		cmocka_unit_test(test_cgroup_names),
	};
	return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
