/* test_plan.c - integration: a scenario as a plan of jobs. A real 2x2 sweep with
 * repeats on this machine, its plan.json and each job's run.json; a failing
 * expectation's exit code and JUnit; --dry-run changing nothing. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

static json_t *load_plan(const struct proc_out *p, char **dir)
{
	char *last = itest_last_line(p);
	json_t *plan = last ? json_load_file(last, 0, NULL) : NULL;
	if (!plan)
		fail_msg("no plan.json on the last line: stdout:\n%s\nstderr:\n%s", p->out, p->err);
	*dir = last;
	*strrchr(*dir, '/') = '\0';
	return plan;
}

static json_t *job_run(const char *dir, json_t *job)
{
	char *rj = xasprintf("%s/%s/run.json", dir, json_string_value(json_object_get(job, "dir")));
	json_t *r = json_load_file(rj, 0, NULL);
	if (!r)
		fail_msg("%s missing", rj);
	free(rj);
	return r;
}

/* 2 x 2 variants x 2 repeats: 8 jobs, each with its own directory, run.json and the
 * verdicts of the expectations that select it; the kernel did what they say. */
static void test_sweep_with_repeats(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--quiet",
				      "tests/scenarios/int/sweep.ini", NULL);
	if (p.code != 0)
		fail_msg("exit %d: stdout:\n%s\nstderr:\n%s", p.code, p.out, p.err);
	char *dir;
	json_t *plan = load_plan(&p, &dir);
	assert_string_equal(itest_str(plan, "schema"), "mph-plan/1");
	assert_string_equal(itest_str(plan, "verdict"), "pass");
	assert_int_equal(itest_num(plan, "exit_code"), 0);
	assert_int_equal(json_array_size(json_object_get(plan, "axes")), 2);
	json_t *jobs = json_object_get(plan, "jobs");
	assert_int_equal(json_array_size(jobs), 8);
	size_t i;
	json_t *job;
	json_array_foreach(jobs, i, job) {
		assert_string_equal(itest_str(job, "status"), "done");
		const char *max = json_string_value(json_object_get(json_object_get(job, "keys"), "memory.max"));
		const char *swp = json_string_value(json_object_get(json_object_get(job, "keys"), "vm.swappiness"));
		assert_non_null(max);
		assert_non_null(swp);
		char *want = xasprintf("max=%s,swappiness=%s", max, swp);
		assert_string_equal(itest_str(job, "variant"), want);
		free(want);
		json_t *r = job_run(dir, job);
		json_t *w = itest_workload0(r);
		bool small = strcmp(max, "32M") == 0;
		/* what the kernel did, and what the job's verdicts say it did */
		assert_string_equal(itest_str(w, "outcome"), small ? "oom-killed" : "exited");
		json_t *sys = json_array_get(json_object_get(r, "sysctls"), 0);
		assert_string_equal(itest_str(sys, "applied"), swp);
		json_t *ex = json_object_get(r, "expectations");
		assert_int_equal(json_array_size(ex), small ? 3 : 3); /* no_stranger + two of its selector */
		size_t k;
		json_t *a;
		json_array_foreach(ex, k, a)
			assert_string_equal(itest_str(a, "verdict"), "pass");
		assert_int_equal(json_array_size(json_object_get(job, "assertions")), 3);
		json_decref(r);
	}
	/* majority() is checked per variant: the two 96M variants */
	json_t *agg = json_object_get(plan, "aggregates");
	assert_int_equal(json_array_size(agg), 2);
	json_array_foreach(agg, i, job)
		assert_string_equal(itest_str(job, "verdict"), "pass");
	json_decref(plan);
	free(dir);
	itest_proc_free(&p);
	itest_check_clean();
}

/* A failing expectation: exit 1, and JUnit names the assertion, what was measured
 * and where the assertion is written. */
static void test_failing_expectation(void **state)
{
	(void)state;
	char *junit = xasprintf("%s/junit.xml", itest_tmpdir);
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--junit", junit,
				      "tests/scenarios/int/expect-fail.ini", NULL);
	assert_int_equal(p.code, 1);
	assert_non_null(strstr(p.out, "verdict: FAIL"));
	char *xml = NULL;
	assert_int_equal(read_file(junit, &xml, NULL), 0);
	assert_non_null(strstr(xml, "r1: survives"));
	assert_non_null(strstr(xml, "measured oom-killed, expected == exited"));
	assert_non_null(strstr(xml, "expect-fail.ini:18"));
	assert_non_null(strstr(xml, "measured 1, expected == 0"));
	assert_non_null(strstr(xml, "failures=\"2\""));
	if (system("command -v xmllint >/dev/null") == 0) {
		char *cmd = xasprintf("xmllint --noout %s", junit);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	} else {
		printf("note: xmllint not installed (libxml2-utils): XML well-formedness not checked\n");
	}
	free(xml);
	free(junit);
	itest_proc_free(&p);
	itest_check_clean();
}

/* TAP on stdout, the human summary on stderr. */
static void test_tap(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--tap",
				      "tests/scenarios/int/expect-fail.ini", NULL);
	assert_int_equal(p.code, 1);
	assert_true(strncmp(p.out, "TAP version 14\n", 15) == 0);
	assert_non_null(strstr(p.out, "not ok 1"));
	assert_null(strstr(p.out, "verdict:"));
	assert_non_null(strstr(p.err, "verdict: FAIL"));
	itest_proc_free(&p);
	itest_check_clean();
}

/* --dry-run: the jobs and what they would change are printed; nothing changes (the
 * per-test check compares sysctls, swap and cgroups with before) and no results. */
static void test_dry_run(void **state)
{
	(void)state;
	char *res = xasprintf("%s/dry", itest_tmpdir);
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", res, "--dry-run", "--set",
				      "sysctl.vm.swappiness=1,7", "tests/scenarios/int/sweep.ini", NULL);
	if (p.code != 0)
		fail_msg("exit %d: %s", p.code, p.err);
	assert_non_null(strstr(p.out, "8 job(s), nothing changed"));
	assert_non_null(strstr(p.out, "variant max=32M,swappiness=1:"));
	assert_non_null(strstr(p.out, "-> 7, restored after each run"));
	assert_non_null(strstr(p.out, "= 33554432 in a new cgroup"));
	struct stat st;
	assert_int_equal(stat(res, &st), -1); /* not even a results directory */
	free(res);
	itest_proc_free(&p);
	itest_check_clean();
}

/* Ctrl-C in the middle of a plan: the running job is undone, the rest marked not
 * run, exit 130; --resume runs what is left and keeps what was done. */
static void test_interrupt_then_resume(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/resume-plan", itest_tmpdir);
	const char *argv[] = { NULL, "run", "--wait", "10m", "--run-dir", dir, "tests/scenarios/int/resume.ini", NULL };
	pid_t pid = itest_spawn("resume", argv);
	char *pj = xasprintf("%s/plan.json", dir);
	assert_true(itest_wait_for(pj, "\"status\": \"done\"", 60000));
	kill(pid, SIGINT);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 130);
	json_t *plan = json_load_file(pj, 0, NULL);
	assert_non_null(plan);
	assert_string_equal(itest_str(plan, "verdict"), "interrupted");
	size_t done = 0, i;
	json_t *job;
	json_array_foreach(json_object_get(plan, "jobs"), i, job)
		done += strcmp(itest_str(job, "status"), "done") == 0;
	assert_true(done >= 1 && done < 3);
	char *first = xasprintf("%s/%s/run.json", dir, itest_str(json_array_get(json_object_get(plan, "jobs"), 0), "dir"));
	json_t *r1 = json_load_file(first, 0, NULL);
	assert_non_null(r1);
	char *started = xstrdup(itest_str(r1, "started_at"));
	json_decref(r1);
	json_decref(plan);
	itest_check_clean(); /* the interrupted job was undone */

	struct proc_out p = itest_mph("run", "--wait", "10m", "--resume", dir, NULL);
	if (p.code != 0)
		fail_msg("resume exited %d: %s", p.code, p.err);
	assert_non_null(strstr(p.err, "already done"));
	plan = json_load_file(pj, 0, NULL);
	assert_string_equal(itest_str(plan, "verdict"), "pass");
	json_array_foreach(json_object_get(plan, "jobs"), i, job)
		assert_string_equal(itest_str(job, "status"), "done");
	r1 = json_load_file(first, 0, NULL);
	assert_string_equal(itest_str(r1, "started_at"), started); /* kept, not run again */
	json_decref(r1);
	json_decref(plan);
	free(started);
	free(first);
	free(pj);
	free(dir);
	itest_proc_free(&p);
	itest_check_clean();
}

/* Lists in the wrong place are bad input, found before anything runs. */
static void test_bad_sweep(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--set",
				      "cgroup.memory.max=64M..32M/8M", "tests/scenarios/int/sweep.ini", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "memory.max"));
	itest_proc_free(&p);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sweep_with_repeats, itest_each_setup),
		cmocka_unit_test_setup(test_failing_expectation, itest_each_setup),
		cmocka_unit_test_setup(test_tap, itest_each_setup),
		cmocka_unit_test_setup(test_dry_run, itest_each_setup),
		cmocka_unit_test_setup(test_bad_sweep, itest_each_setup),
		cmocka_unit_test_setup(test_interrupt_then_resume, itest_each_setup),
	};
	return itest_run_group("plan", tests, itest_group_setup, itest_group_teardown);
}
