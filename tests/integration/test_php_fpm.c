/* test_php_fpm.c - integration: a real php-fpm8.2 pool under the exec workload
 * (scenarios/exec-php-fpm.ini, tools/php-fpm-pool.sh): four static workers that keep
 * 8 MiB a request in a 256 MiB cgroup. Asserted from run.json, as the kernel did it:
 * the processes table tells the master from its workers although all are called
 * php-fpm8.2, the OOM killer's victims are workers and are named in oom_kills, in the
 * workload's tree and in the table, the master is never among them and lives until
 * mph stops the pool, and the largest process is a worker. With swap, the workers
 * are the ones that swapped most. Skips without php-fpm8.2 or cgi-fcgi. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "itest.h"
#include "wlitest.h"

#define SCENARIO "scenarios/exec-php-fpm.ini"
#define WORKERS 4 /* pm static, pm.max_children in the scenario's cmd */

/* The pool's processes in run.json's table */
struct pool {
	json_t *exec, *cmd, *master;
	json_t *workers[256];
	size_t nworkers, killed;
};

static json_t *entry(json_t *table, json_int_t pid)
{
	size_t i;
	json_t *p;
	json_array_foreach (table, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	return NULL;
}

static bool is_in(json_t *pids, json_int_t pid, const char *key)
{
	size_t i;
	json_t *v;
	json_array_foreach (pids, i, v)
		if ((key ? itest_num(v, key) : json_integer_value(v)) == pid)
			return true;
	return false;
}

/* The tree as the exec workload makes it: mph's exec process (depth 0), the command
 * (the script's shell, 1), php-fpm's master (2), its workers (3). The master is the
 * one php-fpm8.2 that is a parent; every other php-fpm8.2 is its child. */
static void find_pool(json_t *r, struct pool *p)
{
	json_t *w = wlit_workload(r, "pool"), *table = json_object_get(r, "processes");
	memset(p, 0, sizeof(*p));
	p->exec = entry(table, itest_num(w, "pid"));
	p->cmd = entry(table, itest_num(w, "report_final.child_pid"));
	assert_non_null(p->exec);
	assert_non_null(p->cmd);
	assert_int_equal(itest_num(p->exec, "depth"), 0);
	assert_int_equal(itest_num(p->cmd, "ppid"), itest_num(p->exec, "pid"));
	size_t i;
	json_t *e;
	json_array_foreach (table, i, e) {
		if (strcmp(itest_str(e, "comm"), "php-fpm8.2") != 0 || strcmp(itest_str(e, "role"), "parent") != 0)
			continue;
		if (p->master)
			fail_msg("two php-fpm8.2 parents: %lld and %lld", itest_num(p->master, "pid"),
				 itest_num(e, "pid"));
		p->master = e;
	}
	if (!p->master)
		fail_msg("no php-fpm8.2 master in the processes table");
	long long mpid = itest_num(p->master, "pid"), mdepth = itest_num(p->master, "depth");
	assert_int_equal(itest_num(p->master, "ppid"), itest_num(p->cmd, "pid"));
	assert_int_equal(mdepth, 2);
	assert_int_equal(strncmp(itest_str(p->master, "cmdline"), "php-fpm: master process", 23), 0);
	json_array_foreach (table, i, e) {
		if (strcmp(itest_str(e, "comm"), "php-fpm8.2") != 0 || e == p->master)
			continue;
		/* a worker: the master's child, one level below it, under its own title */
		assert_string_equal(itest_str(e, "role"), "child");
		assert_int_equal(itest_num(e, "ppid"), mpid);
		assert_int_equal(itest_num(e, "depth"), mdepth + 1);
		assert_string_equal(itest_str(e, "cmdline"), "php-fpm: pool mph");
		assert_true(p->nworkers < sizeof(p->workers) / sizeof(p->workers[0]));
		p->workers[p->nworkers++] = e;
		if (strcmp(itest_str(e, "ended"), "oom-killed") == 0)
			p->killed++;
	}
}

static bool is_worker(const struct pool *p, json_int_t pid)
{
	for (size_t i = 0; i < p->nworkers; i++)
		if (itest_num(p->workers[i], "pid") == pid)
			return true;
	return false;
}

/* mph run SCENARIO with up to two --set options (NULL: fewer); exit 0 (expectations
 * held). --wait: a run of another checkout on this machine is waited for, not failed. */
static json_t *run_pool(const char *set1, const char *set2)
{
	/* the argument list ends at the first NULL */
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, SCENARIO, set1 ? "--set" : NULL,
				      set1, set2 ? "--set" : NULL, set2, NULL);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%s\n%s", p.code, p.out, p.err);
	json_t *r = itest_load_result(&p);
	/* the summary names the largest process, a php-fpm8.2 */
	if (!strstr(p.out, "top RSS: pid ") || !strstr(p.out, "(php-fpm8.2)"))
		fail_msg("summary lacks the top RSS process:\n%s", p.out);
	itest_proc_free(&p);
	return r;
}

static void test_workers_oom_killed_master_lives(void **state)
{
	(void)state;
	json_t *r = run_pool(NULL, NULL), *w = wlit_workload(r, "pool");
	struct pool p;
	find_pool(r, &p);
	/* the kernel killed workers; each is named in the run's oom_kills, the workload's
	 * tree and the processes table; the master is not among them */
	json_t *kills = json_object_get(r, "oom_kills"), *tree = json_object_get(w, "oom_killed_pids");
	long long mpid = itest_num(p.master, "pid");
	assert_true(json_array_size(kills) >= 1);
	size_t i;
	json_t *k;
	json_array_foreach (kills, i, k) {
		json_int_t pid = itest_num(k, "pid");
		if (!is_worker(&p, pid))
			fail_msg("OOM victim %lld is not a worker of master %lld", (long long)pid, mpid);
		assert_string_equal(itest_str(entry(json_object_get(r, "processes"), pid), "ended"), "oom-killed");
		assert_string_equal(itest_str(k, "comm"), "php-fpm8.2");
		assert_true(is_in(tree, pid, NULL));
	}
	assert_int_equal(p.killed, json_array_size(kills));
	assert_false(is_in(kills, mpid, "pid"));
	assert_int_equal(json_array_size(tree), json_array_size(kills));
	/* with no OOM kill elsewhere meanwhile, every kill the cgroup counted is placed */
	if (itest_num(r, "oom_kills_elsewhere") == 0)
		assert_int_equal(itest_num(r, "cgroup.oom_kill"), (long long)json_array_size(kills));
	/* pm static: the master replaced every victim, and stopped its 4 workers at the end */
	assert_int_equal(p.nworkers - p.killed, WORKERS);
	/* the master lived until mph stopped the pool at `duration`: the script's exit code
	 * says php-fpm ran until the stop, the exec workload passed the stop on */
	assert_string_equal(itest_str(p.master, "ended"), "exited");
	assert_int_equal(itest_num(w, "report_final.exit_code"), 0);
	assert_string_equal(itest_str(w, "report_final.status"), "stopped");
	assert_string_equal(itest_str(w, "outcome"), "exited");
	/* the largest process is a worker (a grown one), not the master */
	json_t *top = json_array_get(json_object_get(json_object_get(r, "process_ranking"), "by_peak_rss"), 0);
	assert_true(is_worker(&p, itest_num(top, "pid")));
	assert_true(itest_num(top, "peak_rss_bytes") > 2 * itest_num(p.master, "peak_rss_bytes"));
	print_message("master %lld (peak RSS %lld), %zu workers, %zu OOM-killed, largest %lld (%lld bytes)\n", mpid,
		      itest_num(p.master, "peak_rss_bytes"), p.nworkers, p.killed, itest_num(top, "pid"),
		      itest_num(top, "peak_rss_bytes"));
	json_decref(r);
	itest_check_clean();
}

/* With a swap file and memory.swap.max, the workers' kept memory goes to swap before
 * the OOM killer comes: the processes that swapped most are workers. */
static void test_workers_swap(void **state)
{
	(void)state;
	json_t *r = run_pool("swap.size=256M", "cgroup.memory.swap.max=256M");
	struct pool p;
	find_pool(r, &p);
	assert_true(itest_num(r, "cgroup.swap.peak_bytes") > 0);
	json_t *by_swap = json_object_get(json_object_get(r, "process_ranking"), "by_peak_swap");
	assert_true(json_array_size(by_swap) >= 1);
	json_t *top = json_array_get(by_swap, 0);
	assert_true(is_worker(&p, itest_num(top, "pid")));
	assert_true(itest_num(top, "peak_swap_bytes") > itest_num(p.master, "peak_swap_bytes"));
	print_message("top swapper %lld (%lld bytes), cgroup swap peak %lld\n", itest_num(top, "pid"),
		      itest_num(top, "peak_swap_bytes"), itest_num(r, "cgroup.swap.peak_bytes"));
	json_decref(r);
	itest_check_clean();
}

static int php_setup(void **state)
{
	if (system("command -v php-fpm8.2 >/dev/null && command -v cgi-fcgi >/dev/null") != 0) {
		itest_skip_reason = "php-fpm8.2 or cgi-fcgi not installed (make deps: php8.2-fpm, libfcgi-bin)";
		printf("SKIP: php-fpm tests: %s\n", itest_skip_reason);
		return 0;
	}
	return itest_group_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_workers_oom_killed_master_lives, itest_each_setup),
		cmocka_unit_test_setup(test_workers_swap, itest_each_setup),
	};
	return itest_run_group("integration-php-fpm", tests, php_setup, itest_group_teardown);
}
