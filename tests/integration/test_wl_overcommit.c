/* test_wl_overcommit.c - integration: reserving versus using memory under each
 * vm.overcommit_memory policy, measured by the overcommit workload under mph. The
 * policy is a machine-wide sysctl; mph sets it for the run and restores it, and
 * itest_check_clean() verifies that after each test. */
#define _GNU_SOURCE
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "itest.h"

#define MiB (1024LL * 1024)
#define GiB (1024 * MiB)

static json_t *workload(json_t *r, size_t i, const char *name)
{
	json_t *w = json_array_get(json_object_get(r, "workloads"), i);
	assert_non_null(w);
	assert_string_equal(itest_str(w, "name"), name);
	return w;
}

/* The sysctls the scenario set were put back: run.json's own record of it. */
static void sysctls_restored(json_t *r, size_t n)
{
	json_t *s = json_object_get(r, "sysctls");
	assert_int_equal(json_array_size(s), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(itest_str(json_array_get(s, i), "after"), itest_str(json_array_get(s, i), "before"));
}

static void test_reserve_is_not_use(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/overcommit-reserve.ini"), *w = workload(r, 0, "idle");
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_string_equal(itest_str(w, "report_final.status"), "done");
	assert_int_equal(itest_num(w, "report_final.reserved_bytes"), 8 * GiB);
	assert_true(itest_num(w, "report_final.end.vm_size") >= 8 * GiB);
	long long rss = itest_num(w, "report_final.end.vm_rss");
	if (rss >= 64 * MiB)
		fail_msg("VmRSS %lld with 8 GiB reserved and untouched; expected < 64 MiB", rss);
	/* the kernel counted the reservation as committed (no MAP_NORESERVE); other
	 * processes come and go meanwhile, hence the 256 MiB allowance */
	long long committed = itest_num(w, "report_final.end.committed_as") -
			      itest_num(w, "report_final.before.committed_as");
	assert_true(committed >= 8 * GiB - 256 * MiB);
	assert_true(itest_num(r, "cgroup.peak_bytes") < 64 * MiB);
	json_decref(r);
	itest_check_clean();
}

/* overcommit_memory=2: a request is refused once Committed_AS would reach
 * CommitLimit less min(total_vm/32, user_reserve_kbytes) (mm/util.c
 * __vm_enough_memory; root has CAP_SYS_ADMIN, so admin_reserve_kbytes does not
 * apply). So the headroom left, CommitLimit - Committed_AS before, minus what was
 * reserved is user_reserve_kbytes plus less than one request. The allowance on
 * both sides: 0.4% of MemTotal, the most the per-CPU batches of the
 * vm_committed_as counter can hold back under this policy (mm_compute_batch:
 * ncpus x MemTotal/ncpus/256), which also covers what other processes commit or
 * release in the milliseconds of the run. */
static void test_never(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("scenarios/overcommit-never.ini"), *w = workload(r, 0, "reserver");
	assert_string_equal(itest_str(w, "outcome"), "enomem");
	assert_int_equal(itest_num(w, "exit_code"), 3);
	assert_string_equal(itest_str(w, "report_final.status"), "enomem");
	assert_string_equal(itest_str(w, "report_final.reserve_errno"), "ENOMEM");
	assert_int_equal(itest_num(w, "report_start.sysctl.overcommit_memory"), 2);
	long long reserved = itest_num(w, "report_final.reserved_bytes");
	long long want = itest_num(w, "report_start.reserve"), chunk = itest_num(w, "report_start.chunk");
	assert_true(reserved < want);
	long long headroom = itest_num(w, "report_final.before.commit_limit") -
			     itest_num(w, "report_final.before.committed_as");
	long long user_reserve = itest_num(w, "report_start.sysctl.user_reserve_kbytes") * 1024;
	long long slack = itest_num(w, "report_start.machine.mem_total") / 250;
	long long gap = headroom - reserved;
	if (gap < user_reserve - slack || gap > user_reserve + chunk + slack)
		fail_msg("reserved %lld of a headroom of %lld: gap %lld outside [%lld, %lld]", reserved, headroom, gap,
			 user_reserve - slack, user_reserve + chunk + slack);
	/* it sat in the address space when it was measured, untouched */
	assert_true(itest_num(w, "report_final.reserved.vm_size") >= reserved);
	assert_true(itest_num(w, "report_final.reserved.vm_rss") < 64 * MiB);
	/* refused, not killed: no OOM kill anywhere */
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills_elsewhere")), 0);
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 0);
	sysctls_restored(r, 2);
	json_decref(r);
	itest_check_clean();
}

/* overcommit_memory=1: 64G is granted on a 24 GiB machine; touching 512M in a 256M
 * cgroup is killed by the memcg OOM killer. The workload dies before its final
 * report, so the kernel's record of the kill is the evidence: total-vm holds the
 * whole reservation. */
static void test_always(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("scenarios/overcommit-always.ini"), *w = workload(r, 0, "toucher");
	assert_string_equal(itest_str(w, "outcome"), "oom-killed");
	assert_int_equal(itest_num(w, "report_start.sysctl.overcommit_memory"), 1);
	json_t *kills = json_object_get(r, "oom_kills");
	assert_int_equal(json_array_size(kills), 1);
	json_t *k = json_array_get(kills, 0);
	assert_int_equal(itest_num(k, "pid"), itest_num(w, "pid"));
	assert_string_equal(itest_str(k, "constraint"), "CONSTRAINT_MEMCG");
	assert_true(itest_num(k, "total_vm_kb") >= itest_num(w, "report_start.reserve") / 1024);
	long long anon = itest_num(k, "anon_rss_kb") * 1024;
	assert_true(anon > 192 * MiB && anon <= 256 * MiB); /* killed at the 256M limit */
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 1);
	sysctls_restored(r, 1);
	json_decref(r);
	itest_check_clean();
}

/* overcommit_memory=0: one request larger than RAM + swap fails at once; one of
 * (MemFree + SwapFree)/2 succeeds. The scenario's sizes are fixed; the test checks
 * from the workloads' own meminfo readings that they fit this machine. */
static void test_heuristic(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("scenarios/overcommit-heuristic.ini");
	json_t *big = workload(r, 0, "excessive"), *half = workload(r, 1, "half");
	long long ram_swap = itest_num(big, "report_start.machine.mem_total") +
			     itest_num(big, "report_start.machine.swap_total");
	long long free_half = (itest_num(half, "report_start.machine.mem_free") +
			       itest_num(half, "report_start.machine.swap_free")) / 2;
	long long big_req = itest_num(big, "report_start.reserve"), half_req = itest_num(half, "report_start.reserve");
	if (big_req < 2 * ram_swap || half_req > free_half) {
		json_decref(r);
		itest_check_clean();
		skip(); /* the fixed sizes do not fit this machine */
	}
	assert_string_equal(itest_str(big, "outcome"), "enomem");
	assert_string_equal(itest_str(big, "report_final.reserve_errno"), "ENOMEM");
	assert_int_equal(itest_num(big, "report_final.reserved_bytes"), 0);
	assert_int_equal(itest_num(big, "report_final.failed_request_bytes"), big_req);
	assert_string_equal(itest_str(half, "outcome"), "exited");
	assert_string_equal(itest_str(half, "report_final.status"), "done");
	assert_int_equal(itest_num(half, "report_final.reserve_requests"), 1);
	assert_int_equal(itest_num(half, "report_final.reserved_bytes"), half_req);
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	sysctls_restored(r, 1);
	json_decref(r);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reserve_is_not_use, itest_each_setup),
		cmocka_unit_test_setup(test_never, itest_each_setup),
		cmocka_unit_test_setup(test_always, itest_each_setup),
		cmocka_unit_test_setup(test_heuristic, itest_each_setup),
	};
	return itest_run_group("wl_overcommit", tests, itest_group_setup, itest_group_teardown);
}
