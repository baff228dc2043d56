/* test_wl_fpm.c - integration: the fpm workload (a PHP-FPM-like pool) under the
 * real mph in real memory cgroups, and once standalone for its reload on SIGUSR2.
 * Each test compares what the workload measured (its final report in run.json)
 * with what it must show: workers that keep memory grow by about requests x
 * retain; recycled workers stay within what max-requests allows; in too small a
 * cgroup the workers are OOM-killed - the kernel and the master agree on which -
 * and the master replaces them and survives; memory shared copy-on-write shows
 * in PSS, not in RSS. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

#define MiB (1024LL * 1024)

static json_t *final_of(json_t *w)
{
	json_t *fin = json_object_get(w, "report_final");
	assert_true(json_is_object(fin));
	return fin;
}

static bool has_pid(json_t *arr, long long pid)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (json_integer_value(json_is_object(v) ? json_object_get(v, "pid") : v) == pid)
			return true;
	}
	return false;
}

/* The pool ended by itself after mph's SIGTERM, not killed. */
static void assert_master_survived(json_t *w)
{
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_int_equal(itest_num(w, "exit_code"), 0);
	assert_string_equal(itest_str(w, "report_final.status"), "stopped");
	assert_false(has_pid(json_object_get(w, "oom_killed_pids"), itest_num(w, "pid")));
	assert_int_equal(itest_num(w, "report_final.unreaped"), 0);
}

static void test_growth_without_recycling(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/fpm-growth.ini"), *w = itest_workload0(r), *fin = final_of(w);
	assert_master_survived(w);
	assert_int_equal(itest_num(fin, "requests.failed"), 0);
	assert_int_equal(itest_num(fin, "killed_total"), 0);
	assert_int_equal(itest_num(fin, "workers_spawned"), 4); /* nobody replaced */
	long long retain = itest_num(fin, "retain_bytes");
	json_t *ws = json_object_get(fin, "workers");
	assert_int_equal(json_array_size(ws), 4);
	size_t i;
	json_t *x;
	json_array_foreach(ws, i, x) {
		long long n = itest_num(x, "requests"), grew = itest_num(x, "rss") - itest_num(x, "rss_start");
		/* 200 rps over 3 s for four workers: about 150 each */
		if (n < 100)
			fail_msg("worker %lld served only %lld requests", itest_num(x, "pid"), n);
		/* it grew by what it retained: at least 80%, and not much more */
		if (grew < n * retain * 8 / 10 || grew > n * retain * 5 / 4 + 2 * MiB)
			fail_msg("worker %lld grew by %lld bytes over %lld requests of %lld retained", itest_num(x, "pid"),
				 grew, n, retain);
		assert_true(itest_num(x, "pss") <= itest_num(x, "rss"));
	}
	/* latency runs from a request's generation to its reply: never below the 5 ms of work */
	assert_true(itest_num(fin, "latency.min_ns") >= 5000000);
	assert_int_equal(itest_num(fin, "latency.count"), itest_num(fin, "requests.served"));
	/* progress records carry the same per-worker readings over time */
	assert_true(json_is_array(json_object_get(json_object_get(w, "report_last_progress"), "workers")));
	json_decref(r);
	itest_check_clean();
}

static void test_recycling_bounds_growth(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/fpm-recycle.ini"), *w = itest_workload0(r), *fin = final_of(w);
	assert_master_survived(w);
	assert_int_equal(itest_num(fin, "requests.failed"), 0);
	long long retain = itest_num(fin, "retain_bytes"), maxreq = itest_num(w, "report_start.max_requests");
	long long reqmem = itest_num(w, "report_start.request_mem");
	long long served = itest_num(fin, "requests.served"), recycled = itest_num(fin, "exits.max_requests");
	/* every worker served max-requests and was replaced: ~600 requests, ~60 replacements */
	assert_true(recycled >= served / maxreq - 8);
	long long respawned = itest_num(fin, "respawns.max_requests");
	assert_true(respawned <= recycled && respawned >= recycled - 4); /* not those recycled as the run stopped */
	/* bound: a fresh worker, max-requests retained chunks (each with its page of
	 * malloc header), one request's memory the heap keeps after free, 1 MiB slack */
	long long bound = itest_num(fin, "worker_rss_start_max") + maxreq * (retain + 4096) + reqmem + MiB;
	long long largest = itest_num(fin, "worker_rss_max");
	if (largest > bound)
		fail_msg("a worker reached %lld bytes, more than the %lld max-requests allows", largest, bound);
	/* the bound means something: without recycling a worker would have retained far more */
	assert_true(served / 4 * retain * 8 / 10 > 2 * bound);
	/* and the peak was measured: each recycled worker was sampled after its last request */
	assert_true(itest_num(fin, "recycled_rss_max") >= itest_num(fin, "worker_rss_start_min") + maxreq * retain * 8 / 10);
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(fin, "workers"), i, x)
		assert_true(itest_num(x, "requests") <= maxreq);
	json_decref(r);
	itest_check_clean();
}

static void test_oom_kills_in_pool(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/fpm-oom.ini"), *w = itest_workload0(r), *fin = final_of(w);
	assert_master_survived(w);
	json_t *victims = json_object_get(w, "oom_killed_pids"), *killed = json_object_get(fin, "killed");
	long long nkilled = itest_num(fin, "killed_total");
	/* 4 workers growing 25 MiB/s each in 64 MiB: killed again and again */
	assert_true(nkilled >= 3);
	/* the master's SIGKILLed workers are the kernel's OOM victims, and only they */
	assert_int_equal((long long)json_array_size(victims), nkilled);
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), nkilled);
	assert_null(json_object_get(fin, "killed_omitted"));
	assert_int_equal((long long)json_array_size(killed), nkilled);
	size_t i;
	json_t *x;
	json_array_foreach(killed, i, x)
		assert_true(has_pid(victims, itest_num(x, "pid")));
	/* the kernel log's records: every kill of the run is listed (matched by pid
	 * when the kernel rate-limited the header line naming the cgroup) */
	json_t *kills = json_object_get(r, "oom_kills");
	assert_int_equal(json_array_size(kills), json_array_size(victims));
	json_array_foreach(kills, i, x) {
		assert_true(has_pid(victims, itest_num(x, "pid")));
		if (json_is_true(json_object_get(x, "header_logged")))
			assert_string_equal(itest_str(x, "constraint"), "CONSTRAINT_MEMCG");
		assert_string_equal(itest_str(x, "comm"), "fpm");
	}
	/* each was replaced, and each request it had in hand counted as failed */
	long long replaced = 0, lost = 0;
	json_array_foreach(killed, i, x) {
		replaced += json_is_integer(json_object_get(x, "replaced_by"));
		lost += json_is_true(json_object_get(x, "busy"));
	}
	assert_int_equal(itest_num(fin, "respawns.died"), replaced);
	assert_true(replaced >= nkilled - 4); /* all but those killed as the run stopped */
	assert_int_equal(itest_num(fin, "requests.failed_worker_died"), lost);
	assert_int_equal(itest_num(fin, "exits.killed"), nkilled);
	/* the pool kept serving and was at full strength at the end */
	assert_true(itest_num(fin, "requests.served") >= itest_num(fin, "requests.generated") * 9 / 10);
	assert_int_equal(json_array_size(json_object_get(fin, "workers")), 4);
	json_decref(r);
	itest_check_clean();
}

static long long mean(json_t *workers, const char *key)
{
	long long sum = 0;
	size_t i;
	json_t *x;
	json_array_foreach(workers, i, x)
		sum += itest_num(x, key);
	return json_array_size(workers) ? sum / (long long)json_array_size(workers) : 0;
}

static void test_shared_pss(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/fpm-shared.ini");
	json_t *rd = json_array_get(json_object_get(r, "workloads"), 0), *wr = json_array_get(json_object_get(r, "workloads"), 1);
	assert_master_survived(rd);
	assert_master_survived(wr);
	json_t *rw = json_object_get(final_of(rd), "workers"), *ww = json_object_get(final_of(wr), "workers");
	assert_int_equal(json_array_size(rw), 4);
	assert_int_equal(json_array_size(ww), 4);
	long long shared = itest_num(final_of(rd), "shared_bytes");
	assert_int_equal(shared, 32 * MiB);
	/* readers: the shared pages are in each worker's RSS whole, in its PSS divided
	 * among the 5 processes mapping them (master and 4 workers) */
	size_t i;
	json_t *x;
	json_array_foreach(rw, i, x) {
		long long gap = itest_num(x, "rss") - itest_num(x, "pss");
		if (gap < shared * 4 / 5 * 8 / 10)
			fail_msg("reader %lld: rss %lld, pss %lld: not sharing", itest_num(x, "pid"), itest_num(x, "rss"),
				 itest_num(x, "pss"));
	}
	/* writers copied half of it: PSS up by 16 MiB x 4/5 against the readers; the
	 * copies replace the shared pages in RSS, which stays the same */
	long long dpss = mean(ww, "pss") - mean(rw, "pss"), drss = mean(ww, "rss") - mean(rw, "rss");
	if (dpss < shared / 2 * 4 / 5 * 8 / 10 || dpss > shared / 2 * 4 / 5 * 12 / 10)
		fail_msg("writers' PSS is %lld bytes above the readers', expected about %lld", dpss, shared / 2 * 4 / 5);
	assert_true(drss > -2 * MiB && drss < 2 * MiB);
	json_decref(r);
	itest_check_clean();
}

/* The workload alone (small: a few MiB, outside any cgroup), reloaded by SIGUSR2. */
/* A calibrated worker: its RSS at start is its base plus the shared file's pages, and
 * the recorder's processes table tells the master (parent) from its workers (children)
 * although all are called fpm. */
static void test_calibrated_worker(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/fpm-calibrated.ini"), *w = itest_workload0(r), *fin = final_of(w);
	assert_master_survived(w);
	long long start = itest_num(fin, "worker_rss_start_min");
	if (start < 20 * MiB || start > 26 * MiB)
		fail_msg("a fresh worker's RSS is %lld bytes, expected 12 MiB + 8 MiB + the binary's few", start);
	size_t i, parents = 0, children = 0;
	json_t *e;
	json_array_foreach(json_object_get(r, "processes"), i, e) {
		if (strcmp(itest_str(e, "comm"), "fpm") != 0)
			continue;
		if (strcmp(itest_str(e, "role"), "parent") == 0) {
			parents++;
			assert_int_equal(itest_num(e, "pid"), itest_num(w, "pid"));
		} else {
			children++;
			assert_int_equal(itest_num(e, "ppid"), itest_num(w, "pid"));
			assert_true(itest_num(e, "peak_anon_bytes") >= 12 * MiB);
		}
	}
	assert_int_equal(parents, 1);
	assert_int_equal(children, 3);
	json_decref(r);
	itest_check_clean();
}

static void test_reload_on_sigusr2(void **state)
{
	(void)state;
	char *out = xasprintf("%s/fpm-reload.jsonl", itest_tmpdir);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		execl("workloads/fpm", "fpm", "--pm=static", "--max-children=2", "--rps=100", "--request-mem=64k",
		      "--retain=64k", "--report-interval=100ms", (char *)NULL);
		_exit(127);
	}
	/* let the workers grow (75 requests each, ~5 MiB kept), then reload */
	struct timespec ts = { 1, 500 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	kill(pid, SIGUSR2);
	assert_true(itest_wait_for(out, "\"phase\":\"reload\"", 5000));
	ts = (struct timespec){ 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	kill(pid, SIGTERM);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	char *text = NULL;
	assert_int_equal(read_file(out, &text, NULL), 0);
	json_t *before = NULL, *fin = NULL;
	bool reloaded = false;
	char *save = NULL; /* itest_num uses strtok */
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(l, 0, NULL);
		const char *type = json_string_value(json_object_get(j, "type"));
		if (type && strcmp(type, "phase") == 0) {
			reloaded = true;
			assert_int_equal(itest_num(j, "workers_replaced"), 2);
		}
		if (type && strcmp(type, "progress") == 0 && !reloaded) {
			json_decref(before);
			before = json_incref(j);
		}
		if (type && strcmp(type, "final") == 0)
			fin = json_incref(j);
		json_decref(j);
	}
	free(text);
	assert_non_null(before);
	assert_non_null(fin);
	assert_string_equal(itest_str(fin, "status"), "stopped");
	assert_int_equal(itest_num(fin, "reloads"), 1);
	assert_int_equal(itest_num(fin, "exits.reload"), 2);
	assert_int_equal(itest_num(fin, "respawns.reload"), 2);
	assert_int_equal(itest_num(fin, "requests.failed"), 0);
	/* new workers, holding less than the old ones did */
	json_t *old = json_object_get(before, "workers"), *now = json_object_get(fin, "workers");
	assert_int_equal(json_array_size(old), 2);
	assert_int_equal(json_array_size(now), 2);
	long long old_min = LLONG_MAX, now_max = 0;
	size_t i;
	json_t *x;
	json_array_foreach(now, i, x) {
		assert_false(has_pid(old, itest_num(x, "pid")));
		now_max = itest_num(x, "rss") > now_max ? itest_num(x, "rss") : now_max;
	}
	json_array_foreach(old, i, x)
		old_min = itest_num(x, "rss") < old_min ? itest_num(x, "rss") : old_min;
	if (now_max + 2 * MiB > old_min)
		fail_msg("after the reload a worker holds %lld bytes; before, the smallest held %lld", now_max, old_min);
	json_decref(before);
	json_decref(fin);
	free(out);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_growth_without_recycling, itest_each_setup),
		cmocka_unit_test_setup(test_recycling_bounds_growth, itest_each_setup),
		cmocka_unit_test_setup(test_oom_kills_in_pool, itest_each_setup),
		cmocka_unit_test_setup(test_shared_pss, itest_each_setup),
		cmocka_unit_test_setup(test_reload_on_sigusr2, itest_each_setup),
		cmocka_unit_test_setup(test_calibrated_worker, itest_each_setup),
	};
	return itest_run_group("integration wl_fpm", tests, itest_group_setup, itest_group_teardown);
}
