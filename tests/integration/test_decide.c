/* test_decide.c - integration: decisions from real runs on this machine. A two-variant
 * sweep compared with a gate that must trip (the 32M variant OOM-kills) and one that
 * must not; mph ab on a sysctl.d candidate, and a bad candidate refused before
 * anything runs; mph search for the largest anonleak that fits 64M without an OOM
 * kill, an answer the limit fixes. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

static void must(const struct proc_out *p, int code)
{
	if (p->code != code)
		fail_msg("exit %d, expected %d: stdout:\n%s\nstderr:\n%s", p->code, code, p->out, p->err);
}

/* sweep.ini: memory.max 32M (an OOM kill) and 96M (fits) x swappiness 10, 60, 2 repeats */
static void test_compare_gates(void **state)
{
	(void)state;
	struct proc_out run = itest_mph("run", "--wait", "10m", "--results", itest_results, "--quiet",
					"tests/scenarios/int/sweep.ini", NULL);
	must(&run, 0);
	char *dir = itest_last_line(&run); /* the plan's directory */
	assert_non_null(dir);
	*strrchr(dir, '/') = '\0';
	char *junit = xasprintf("%s/gates.xml", itest_tmpdir);
	/* the 32M group's kills trip the gate, each value named */
	struct proc_out p = itest_mph("compare", dir, "--by", "memory.max", "--baseline", "96M", "--fail-on",
				      "oom_kills > 0", "--fail-on", "errors > 0", "--junit", junit, NULL);
	must(&p, 1);
	assert_non_null(strstr(p.out, "96M [base] (n=4)"));
	assert_non_null(strstr(p.out, "oom-killed 4/4 *F"));
	assert_non_null(strstr(p.out, "TRIPPED oom_kills > 0: 32M 1 (mean of 4 runs); is > 0; baseline 96M 0"));
	assert_null(strstr(p.out, "TRIPPED errors"));
	char *xml = NULL;
	assert_int_equal(read_file(junit, &xml, NULL), 0);
	assert_non_null(strstr(xml, "tests=\"4\" failures=\"1\""));
	assert_non_null(strstr(xml, "name=\"32M: oom_kills &gt; 0\""));
	if (system("command -v xmllint >/dev/null") == 0) {
		char *cmd = xasprintf("xmllint --noout %s", junit);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	free(xml);
	itest_proc_free(&p);
	/* a gate that must not trip: swappiness changes nothing without swap */
	p = itest_mph("compare", dir, "--by", "swappiness", "--fail-on", "peak_usage:+20%", "--json", NULL);
	must(&p, 0);
	json_t *j = json_loads(p.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "schema")), "mph-compare/1");
	assert_int_equal(json_array_size(json_object_get(j, "groups")), 2);
	json_t *g = json_array_get(json_object_get(j, "gates"), 1);
	assert_string_equal(json_string_value(json_object_get(g, "result")), "pass");
	json_decref(j);
	itest_proc_free(&p);
	free(junit);
	free(dir);
	itest_proc_free(&run);
	itest_check_clean();
}

static void test_ab(void **state)
{
	(void)state;
	char *res = xasprintf("%s/ab", itest_results);
	struct proc_out p = itest_mph("ab", "--wait", "10m", "--results", res, "--repeat", "2", "--candidate",
				      "tests/scenarios/int/candidate.conf", "--fail-on", "leaker.fill_mb_per_s:worse",
				      "tests/scenarios/int/fit.ini", NULL);
	must(&p, 0);
	assert_non_null(strstr(p.out, "baseline [base] (n=2)  candidate (n=2)"));
	assert_non_null(strstr(p.out, "verdicts, candidate tests/scenarios/int/candidate.conf against baseline current"));
	assert_non_null(strstr(p.out, "leaker.outcome           no measurable change (exited 2/2 -> exited 2/2"));
	assert_non_null(strstr(p.err, "vm.swappiness:"));
	assert_non_null(strstr(p.err, "candidate.conf:5: -vm.no_such_knob: not on this machine, skipped"));
	/* the rounds: each a plan of baseline then candidate, which compare reads back */
	char *dir = itest_last_line(&p);
	char *r2 = xasprintf("%s/round2/plan.json", dir);
	json_t *plan = json_load_file(r2, 0, NULL);
	assert_non_null(plan);
	json_t *jobs = json_object_get(plan, "jobs");
	assert_int_equal(json_array_size(jobs), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(jobs, 1), "keys"),
							       "vm.swappiness")), "10");
	json_decref(plan);
	free(r2);
	itest_proc_free(&p);
	p = itest_mph("compare", dir, NULL);
	must(&p, 0);
	assert_non_null(strstr(p.out, "4 run(s) in 2 group(s)"));
	itest_proc_free(&p);
	free(dir);
	itest_check_clean();

	/* a disallowed key at its line: exit 2, nothing run, not even a directory */
	char *bad = xasprintf("%s/bad.conf", itest_tmpdir);
	FILE *f = fopen(bad, "w");
	assert_non_null(f);
	fputs("# bad\nvm.swappiness = 10\nkernel.panic = 1\nvm.page-cluster = 99\n", f);
	fclose(f);
	char *res2 = xasprintf("%s/ab-bad", itest_results);
	p = itest_mph("ab", "--wait", "10m", "--results", res2, "--candidate", bad, "tests/scenarios/int/fit.ini", NULL);
	must(&p, 2);
	char *l3 = xasprintf("%s:3: kernel.panic: not a sysctl mph may set", bad);
	char *l4 = xasprintf("%s:4: vm.page-cluster: vm.page-cluster = 99 is out of range (allowed 0..31)", bad);
	assert_non_null(strstr(p.err, l3));
	assert_non_null(strstr(p.err, l4));
	struct stat st;
	assert_int_equal(stat(res2, &st), -1);
	free(l3);
	free(l4);
	free(res2);
	free(bad);
	free(res);
	itest_proc_free(&p);
	itest_check_clean();
}

/* The largest anonleak that fits 64M without an OOM kill. Without swap the leak must
 * fit under the limit beside the process's other memory (page tables: 128 KiB per
 * 64 MiB mapped, its stack and libc's pages, measured here at well under 1 MiB), so
 * at a 1M resolution the answer is below 64M and, with that overhead, at least 60M. */
static void test_search_fits(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("search", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/fit.ini",
				      "--param", "leaker.size", "--range", "16M:96M", "--until", "oom_kills == 0",
				      "--resolution", "1M", "--json", NULL);
	must(&p, 0);
	json_t *j = json_loads(p.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "found")), "found");
	long long ans = json_integer_value(json_object_get(j, "answer"));
	long long fails = json_integer_value(json_object_get(j, "fails_at"));
	const long long M = 1 << 20;
	if (ans < 60 * M || ans >= 64 * M)
		fail_msg("answer %lld bytes (%.2f MiB) is not in 60M..63M", ans, (double)ans / M);
	assert_int_equal(fails, ans + M);
	/* the runs behind the answer: at the answer the leaker exited, one step up it did not */
	json_t *probe;
	size_t i;
	bool saw_answer = false;
	json_array_foreach(json_object_get(j, "probes"), i, probe) {
		if (json_integer_value(json_object_get(probe, "value")) != ans)
			continue;
		saw_answer = true;
		json_t *r1 = json_array_get(json_object_get(probe, "runs"), 0);
		char *rj = xasprintf("%s/run.json", json_string_value(json_object_get(r1, "dir")));
		json_t *run = json_load_file(rj, 0, NULL);
		assert_non_null(run);
		assert_string_equal(itest_str(itest_workload0(run), "outcome"), "exited");
		json_decref(run);
		free(rj);
	}
	assert_true(saw_answer);
	json_decref(j);
	itest_proc_free(&p);
	/* a condition on several runs is refused: --repeats and --need say that */
	p = itest_mph("search", "tests/scenarios/int/fit.ini", "--param", "leaker.size", "--range", "16M:96M", "--until",
		      "mean(oom_kills) == 0", NULL);
	must(&p, 2);
	itest_proc_free(&p);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_compare_gates, itest_each_setup),
		cmocka_unit_test_setup(test_ab, itest_each_setup),
		cmocka_unit_test_setup(test_search_fits, itest_each_setup),
	};
	return itest_run_group("decide", tests, itest_group_setup, itest_group_teardown);
}
