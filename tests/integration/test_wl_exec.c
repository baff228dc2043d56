/* test_wl_exec.c - integration: stress-ng run by the exec workload in a 64 MiB cgroup
 * with 256 MiB to keep. stress-ng exits 0 although the kernel OOM-killed its vm
 * worker again and again; mph must show those kills, attributed to the exec workload
 * (alone in the cgroup), and say so on the workload's summary line. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

static void test_stress_ng_exits_0_while_its_workers_are_oom_killed(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "scenarios/exec-stress-ng.ini", NULL);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%s", p.code, p.err);
	json_t *r = itest_load_result(&p), *w = itest_workload0(r), *fin = json_object_get(w, "report_final");
	/* the command claimed success */
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_int_equal(itest_num(w, "exit_code"), 0);
	assert_string_equal(itest_str(fin, "status"), "done");
	assert_int_equal(itest_num(fin, "exit_code"), 0);
	assert_string_equal(itest_str(fin, "judged_by"), "cgroup counters");
	assert_string_equal(json_string_value(json_array_get(json_object_get(fin, "argv"), 0)), "stress-ng");
	/* the kernel says otherwise: the cgroup counted OOM kills, and the kernel log's
	 * victims are stress-ng processes, none of them the workload or the command itself */
	long long cg_kills = itest_num(r, "cgroup.oom_kill");
	assert_true(cg_kills >= 1);
	json_t *victims = json_object_get(w, "oom_killed_pids"), *kills = json_object_get(r, "oom_kills");
	assert_true(json_array_size(victims) >= 1);
	size_t i, k;
	json_t *v, *o;
	json_array_foreach(victims, i, v) {
		json_int_t pid = json_integer_value(v);
		assert_int_not_equal(pid, itest_num(w, "pid"));
		assert_int_not_equal(pid, itest_num(fin, "child_pid"));
		bool found = false;
		json_array_foreach(kills, k, o)
			if (itest_num(o, "pid") == pid) {
				found = true;
				assert_int_equal(strncmp(itest_str(o, "comm"), "stress-ng", 9), 0);
			}
		assert_true(found);
	}
	/* with no OOM kill elsewhere on the machine meanwhile, each of the cgroup's kills is
	 * placed, including those whose cgroup the kernel's rate-limited log left unnamed */
	if (itest_num(r, "oom_kills_elsewhere") == 0)
		assert_int_equal((long long)json_array_size(victims), cg_kills);
	char *want = xasprintf("(%zu OOM-killed in its tree)", json_array_size(victims));
	if (!strstr(p.out, want))
		fail_msg("summary lacks \"%s\":\n%s", want, p.out);
	print_message("stress-ng exit %lld, cgroup oom_kill %lld, attributed %zu\n", itest_num(fin, "exit_code"), cg_kills,
		      json_array_size(victims));
	free(want);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_unknown_command(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/exec-missing.ini"), *w = itest_workload0(r);
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_int_equal(itest_num(w, "exit_code"), 1);
	assert_string_equal(itest_str(w, "report_final.status"), "error");
	assert_string_equal(itest_str(w, "report_final.error"),
			    "cannot execute mph-no-such-command: No such file or directory");
	assert_int_equal(itest_num(w, "children"), 0);
	json_decref(r);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stress_ng_exits_0_while_its_workers_are_oom_killed, itest_each_setup),
		cmocka_unit_test_setup(test_unknown_command, itest_each_setup),
	};
	return itest_run_group("integration-exec", tests, itest_group_setup, itest_group_teardown);
}
