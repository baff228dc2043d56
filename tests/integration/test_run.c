/* test_run.c - integration: real short scenarios run by the real mph binary in real
 * memory cgroups, their run.json read back and compared with what the kernel did.
 * Needs root and a memory cgroup controller; otherwise every test is skipped with the
 * reason. After every test the machine must be as it was: no cgroup below ours, no
 * swap, the sysctls mph may touch at their values from before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/host/journal.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

static void test_oom_basic(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("scenarios/oom-basic.ini"), *w = itest_workload0(r);
	assert_string_equal(itest_str(w, "outcome"), "oom-killed");
	assert_string_equal(itest_str(w, "signal"), "KILL");
	json_t *kills = json_object_get(r, "oom_kills");
	assert_int_equal(json_array_size(kills), 1); /* exactly once per leaker */
	json_t *k = json_array_get(kills, 0);
	assert_int_equal(itest_num(k, "pid"), itest_num(w, "pid"));
	assert_string_equal(itest_str(k, "comm"), "anonleak");
	/* the kernel rate-limits the line naming constraint and cgroup (10 per 5 s) */
	if (json_is_true(json_object_get(k, "header_logged"))) {
		assert_string_equal(itest_str(k, "constraint"), "CONSTRAINT_MEMCG");
		assert_string_equal(itest_str(k, "oom_memcg"), itest_str(r, "cgroup.path"));
	} else {
		printf("note: the kernel rate-limited the oom-kill header line; matched by pid\n");
	}
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 1);
	/* killed at the limit: its anon-rss is close to 64 MiB (within 8 MiB) */
	long long rss = itest_num(k, "anon_rss_kb");
	assert_true(rss > 56 * 1024 && rss <= 64 * 1024);
	assert_string_equal(itest_str(r, "host.cgroup"), cg_version_name(itest_env.ver));
	json_decref(r);
	itest_check_clean();
}

static void test_sysctls_restored(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/sysctl.ini");
	json_t *s = json_object_get(r, "sysctls");
	assert_int_equal(json_array_size(s), 2);
	static const char *const want[][2] = { { "vm.swappiness", "10" }, { "vm.min_free_kbytes", "90000" } };
	for (size_t i = 0; i < 2; i++) {
		json_t *e = json_array_get(s, i);
		assert_string_equal(itest_str(e, "name"), want[i][0]);
		assert_string_equal(itest_str(e, "applied"), want[i][1]);
		assert_string_equal(itest_str(e, "after"), itest_str(e, "before"));
		char *now = NULL;
		assert_int_equal(sysctl_read("/proc/sys", want[i][0], &now), 0);
		assert_string_equal(now, itest_str(e, "before"));
		free(now);
	}
	json_t *w = itest_workload0(r);
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_true(json_is_true(json_object_get(w, "sigterm_sent")));
	assert_string_equal(itest_str(w, "report_final.status"), "stopped");
	json_decref(r);
	itest_check_clean();
}

static void test_timeout(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/timeout.ini");
	assert_string_equal(itest_str(itest_workload0(r), "outcome"), "timed-out");
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	json_decref(r);
	itest_check_clean();
}

static void test_enomem(void **state)
{
	(void)state;
	json_t *r = itest_run_ok("tests/scenarios/int/enomem.ini"), *w = itest_workload0(r);
	assert_string_equal(itest_str(w, "outcome"), "enomem");
	assert_int_equal(itest_num(w, "exit_code"), 3);
	assert_string_equal(itest_str(w, "report_final.errno"), "ENOMEM");
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 0);
	json_decref(r);
	itest_check_clean();
}

static void test_invalid_changes_nothing(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/invalid.ini", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "tests/scenarios/int/invalid.ini:13: [workload w] bogus: unknown option of workload anonleak"));
	assert_non_null(strstr(p.err, "nothing was changed"));
	char *dir = xasprintf("%s/invalid", itest_results);
	assert_int_not_equal(access(dir, F_OK), 0);
	free(dir);
	itest_proc_free(&p);
	itest_check_clean();
}

/* A workload's own rule (fpm: max-spare <= max-children) is found when the file is
 * validated: exit 2 before the journal exists. The journal is written ahead of every
 * change, so watching the state directory for it shows that no sysctl was written
 * (not merely that one was written and put back, which a run that went ahead, as
 * before workloads had a check, would also have left behind). */
static void test_workload_check_changes_nothing(void **state)
{
	(void)state;
	const char *scen = "tests/scenarios/int/fpm-invalid.ini";
	assert_int_equal(mkdir_p(itest_statedir), 0);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(in >= 0);
	assert_true(inotify_add_watch(in, itest_statedir, IN_CREATE | IN_MOVED_TO) >= 0);
	char *swap_before = NULL, *swap_after = NULL;
	assert_int_equal(sysctl_read("/proc/sys", "vm.swappiness", &swap_before), 0);

	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, scen, NULL);

	assert_int_equal(p.code, 2);
	char *want = xasprintf("%s:14: [workload pool] max-children: --max-spare (3) must not exceed --max-children (2)\n"
			       "mph: %s: 1 problem(s); nothing was changed\n", scen, scen);
	assert_string_equal(p.err, want);
	free(want);
	/* nothing was made in the state directory: no journal, so no change */
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t k = read(in, buf, sizeof(buf));
	if (k > 0) {
		const struct inotify_event *ev = (const struct inotify_event *)buf;
		fail_msg("%s was created in the state directory %s", ev->len ? ev->name : "?", itest_statedir);
	}
	assert_true(k < 0 && errno == EAGAIN);
	close(in);
	char *jp = xasprintf("%s/journal", itest_statedir);
	assert_int_not_equal(access(jp, F_OK), 0);
	free(jp);
	assert_int_equal(sysctl_read("/proc/sys", "vm.swappiness", &swap_after), 0);
	assert_string_equal(swap_after, swap_before);
	free(swap_before);
	free(swap_after);
	char *dir = xasprintf("%s/fpm-invalid", itest_results); /* no run directory either */
	assert_int_not_equal(access(dir, F_OK), 0);
	free(dir);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_kill9_then_restore(void **state)
{
	(void)state;
	const char *argv[] = { NULL, "run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/hold.ini", NULL };
	pid_t pid = itest_spawn("bg", argv);
	/* the journal gets its cgroup entry just before the cgroup is made; the
	 * workload's report says it holds its memory once it is running inside it */
	char *jp = xasprintf("%s/journal", itest_statedir);
	assert_true(itest_wait_for(jp, "cgroup\t", 10000));
	char *cgdir = NULL;
	{
		char *text = NULL;
		assert_int_equal(read_file(jp, &text, NULL), 0);
		char *c = strstr(text, "cgroup\t") + 7;
		cgdir = strndup(c, strcspn(c, "\n"));
		free(text);
	}
	char *tasks = xasprintf("%s/cgroup.procs", cgdir);
	assert_true(itest_wait_for(tasks, "\n", 10000));
	char *sw = NULL;
	assert_int_equal(sysctl_read("/proc/sys", "vm.swappiness", &sw), 0);
	assert_string_equal(sw, "7");
	free(sw);

	/* a second run while the first holds the lock is refused, naming its pid */
	struct proc_out p2 = itest_mph("run", "--results", itest_results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p2.code, 4);
	char *want = xasprintf("another mph run is in progress (pid %d)", (int)pid);
	assert_non_null(strstr(p2.err, want));
	free(want);
	itest_proc_free(&p2);

	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));

	/* the journal is left; a new run refuses until it is restored (it may first wait
	 * for the lock if someone else's run holds it) */
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 4);
	assert_non_null(strstr(p.err, "a previous run was interrupted and left changes in place"));
	assert_non_null(strstr(p.err, "run `mph restore` first"));
	itest_proc_free(&p);
	p = itest_mph("restore", "--wait", "10m", NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "restored; journal removed"));
	itest_proc_free(&p);
	assert_int_not_equal(access(cgdir, F_OK), 0);
	/* restore again: nothing to do */
	p = itest_mph("restore", "--wait", "10m", NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "nothing to restore"));
	itest_proc_free(&p);
	free(tasks);
	free(cgdir);
	free(jp);
	itest_check_clean();
}

/* A run that waits for another's lock (--wait) says so on stderr, and the wait is
 * not its job's time: plan.json's lock_wait_s has it, elapsed_s does not. The lock
 * is held here, in this process, until the run has said it waits, and 1 s more. */
static void test_wait_is_not_job_time(void **state)
{
	(void)state;
	char *own = xasprintf("%s/state-wait", itest_tmpdir);
	struct journal j;
	assert_int_equal(journal_lock(&j, own, "/proc/sys", 600000, NULL), 0);
	const char *argv[] = { NULL, "run", "--wait", "10m", "--json", "--results", itest_results,
			       "tests/scenarios/int/quiet.ini", NULL };
	double t0 = now_s();
	pid_t pid = itest_spawn("waiter", argv);
	char *err = xasprintf("%s/waiter.err", itest_tmpdir), *out = xasprintf("%s/waiter.out", itest_tmpdir);
	char *want = xasprintf("mph: waiting up to 600s for another mph (pid %d) to finish", (int)getpid());
	bool said = itest_wait_for(err, want, 60000);
	sleep(1);
	journal_unlock(&j);
	int st;
	waitpid(pid, &st, 0);
	double wall = now_s() - t0;
	assert_true(said);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	json_t *sum = json_load_file(out, 0, NULL);
	assert_non_null(sum);
	json_t *plan = json_load_file(json_string_value(json_object_get(sum, "plan")), 0, NULL);
	assert_non_null(plan);
	json_t *job = json_array_get(json_object_get(plan, "jobs"), 0);
	double waited = json_real_value(json_object_get(job, "lock_wait_s"));
	double elapsed = json_number_value(json_object_get(job, "elapsed_s"));
	if (!(waited >= 1.0 && elapsed > 0 && elapsed + waited <= wall + 0.5))
		fail_msg("lock_wait_s %.3f, elapsed_s %.3f, the whole run %.3f s", waited, elapsed, wall);
	json_decref(plan);
	json_decref(sum);
	free(want);
	free(out);
	free(err);
	free(own);
	itest_check_clean();
}

/* regression (fixed): "restore first" looked at the run's own state directory only.
 * A run interrupted with state directory A (simulated: its journal written through
 * the journal API and left, naming a cgroup that was never made, so nothing on the
 * machine changes) must stop a run with state directory B, be listed by doctor, and
 * be restored by `mph restore --state-dir A` (waiting for the lock with --wait). */
static void test_pending_other_state_dir(void **state)
{
	(void)state;
	char *a = xasprintf("%s/state-A", itest_tmpdir), *b = xasprintf("%s/state-B", itest_tmpdir);
	struct journal j;
	assert_int_equal(journal_lock(&j, a, "/proc/sys", 600000, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	char *cg = xasprintf("%s%s/mph-%d-1", itest_env.mount, itest_env.own, (int)getpid());
	assert_int_equal(journal_add(&j, J_CGROUP, cg, NULL), 0);
	journal_unlock(&j); /* "killed": the journal and its record stay */
	char *ra = realpath(a, NULL);

	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--state-dir", b,
				      "tests/scenarios/int/enomem.ini", NULL);
	assert_int_equal(p.code, 4);
	char *want = xasprintf("a run with state directory %s was interrupted and left changes in place", ra);
	assert_non_null(strstr(p.err, want));
	free(want);
	want = xasprintf("run `mph restore --state-dir %s` first", ra);
	assert_non_null(strstr(p.err, want));
	free(want);
	itest_proc_free(&p);

	p = itest_mph("doctor", NULL);
	want = xasprintf("run `mph restore --state-dir %s`", ra);
	assert_non_null(strstr(p.out, want));
	free(want);
	itest_proc_free(&p);

	p = itest_mph("restore", "--wait", "10m", "--state-dir", b, NULL); /* B has nothing */
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "nothing to restore"));
	itest_proc_free(&p);
	p = itest_mph("restore", "--wait", "10m", "--state-dir", a, NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "restored; journal removed"));
	itest_proc_free(&p);
	char **dirs = NULL;
	size_t n = 0;
	assert_int_equal(journal_pending("/proc/sys", NULL, false, &dirs, &n) >= 0, 1);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(dirs[i], ra);
	journal_pending_free(dirs, n);

	/* plain `mph restore` (the default state directory) restores A's too */
	assert_int_equal(journal_lock(&j, a, "/proc/sys", 600000, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_CGROUP, cg, NULL), 0);
	journal_unlock(&j);
	p = itest_mph("restore", "--wait", "10m", NULL);
	assert_int_equal(p.code, 0);
	want = xasprintf("restoring from %s/journal", ra);
	assert_non_null(strstr(p.out, want));
	free(want);
	itest_proc_free(&p);
	char *ja = xasprintf("%s/journal", a);
	assert_int_not_equal(access(ja, F_OK), 0);
	free(ja);
	free(cg);
	free(ra);
	free(a);
	free(b);
	itest_check_clean();
}

/* regression (fixed): `mph run <(cat f.ini)` read the pipe twice (does it want a
 * guest? then: run it) and the second read found it empty. */
static void test_scenario_from_pipe(void **state)
{
	(void)state;
	char *cmd = xasprintf("MPH_STATE_DIR='%s' bash -c '%s run --wait 10m --results %s <(cat tests/scenarios/int/enomem.ini)' "
			      ">%s/pipe.out 2>%s/pipe.err",
			      itest_statedir, itest_mph_bin(), itest_results, itest_tmpdir, itest_tmpdir);
	int st = system(cmd);
	free(cmd);
	char *err = NULL, *ep = xasprintf("%s/pipe.err", itest_tmpdir);
	(void)read_file(ep, &err, NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("mph run <(cat ...) exited %d:\n%s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, err ? err : "");
	free(err);
	free(ep);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_oom_basic, itest_each_setup),
		cmocka_unit_test_setup(test_sysctls_restored, itest_each_setup),
		cmocka_unit_test_setup(test_timeout, itest_each_setup),
		cmocka_unit_test_setup(test_enomem, itest_each_setup),
		cmocka_unit_test_setup(test_invalid_changes_nothing, itest_each_setup),
		cmocka_unit_test_setup(test_workload_check_changes_nothing, itest_each_setup),
		cmocka_unit_test_setup(test_kill9_then_restore, itest_each_setup),
		cmocka_unit_test_setup(test_pending_other_state_dir, itest_each_setup),
		cmocka_unit_test_setup(test_wait_is_not_job_time, itest_each_setup),
		cmocka_unit_test_setup(test_scenario_from_pipe, itest_each_setup),
	};
	return itest_run_group("integration", tests, itest_group_setup, itest_group_teardown);
}
