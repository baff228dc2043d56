/* test_reliability.c - integration: mph stays in charge when a workload or the machine
 * misbehaves. A command flooding its report pipe, stdout or stderr; a signal other than
 * SIGTERM; a SIGTERM while mph undoes the run; a results directory on a full file
 * system. Each run is bounded by the scenario's own timeout: the tests assert what
 * happened (how mph ended, what the files hold, that the machine is as it was), and
 * that mph ended within the timeout plus a margin once its run had begun. */
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

#define LOCK_WAIT_MS (11 * 60 * 1000) /* --wait 10m: someone else's run may go first */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The exit code of pid within ms (-1: still running). */
static int wait_exit(pid_t pid, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	do {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		sleep_ms(10);
	} while (now_ms() < end);
	return -1;
}

/* Until path exists or pid has ended (then false). */
static bool wait_path(const char *path, pid_t pid, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end) {
		if (access(path, F_OK) == 0)
			return true;
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			return false; /* ended (left to be reaped by wait_exit) */
		sleep_ms(10);
	}
	return false;
}

static struct proc_out bg_output(int code);

/* A run that did not end in time: kill it, undo what it left, fail (with its stderr). */
static void give_up(pid_t pid, const char *what)
{
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	struct proc_out bg = bg_output(-1);
	struct proc_out p = itest_mph("restore", "--wait", "10m", NULL);
	itest_proc_free(&p);
	fail_msg("%s; mph's stderr:\n%.2000s", what, bg.err ? bg.err : "");
}

static struct proc_out bg_output(int code)
{
	struct proc_out p = { code, NULL, NULL };
	char *o = xasprintf("%s/bg.out", itest_tmpdir), *e = xasprintf("%s/bg.err", itest_tmpdir);
	read_file(o, &p.out, NULL);
	read_file(e, &p.err, NULL);
	free(o);
	free(e);
	return p;
}

/* mph run SCENARIO (named name) with results in results; once its run directory
 * exists (the lock may be waited for first), it must end within run_ms. */
static struct proc_out run_bounded(const char *scenario, const char *name, const char *results, unsigned run_ms)
{
	const char *argv[] = { NULL, "run", "--wait", "10m", "--results", results, scenario, NULL };
	pid_t pid = itest_spawn("bg", argv);
	char *dir = xasprintf("%s/%s", results, name);
	(void)wait_path(dir, pid, LOCK_WAIT_MS);
	free(dir);
	int code = wait_exit(pid, run_ms);
	if (code < 0)
		give_up(pid, "mph run did not end within its scenario's timeout and a margin");
	return bg_output(code);
}

static long long file_size(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	long long n = stat(p, &st) == 0 ? (long long)st.st_size : -1;
	free(p);
	return n;
}

/* The largest gap between two rows of samples.csv, in seconds. */
static double largest_sample_gap(const char *dir)
{
	char *p = xasprintf("%s/samples.csv", dir), *text = NULL;
	assert_int_equal(read_file(p, &text, NULL), 0);
	double last = -1, gap = 0;
	for (char *l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		double t = strtod(l + 1, NULL);
		if (last >= 0 && t - last > gap)
			gap = t - last;
		last = t;
	}
	free(text);
	free(p);
	return gap;
}

/* `yes` into the report pipe (lines that are not records): mph stops the command at
 * the end of duration (3 s) and ends, far within the timeout (60 s); none of the
 * lines reaches reports.jsonl and the recorder kept sampling. */
static void test_report_flood_does_not_stop_supervision(void **state)
{
	(void)state;
	struct proc_out p = run_bounded("tests/scenarios/int/report-flood.ini", "report-flood", itest_results, 90000);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%.2000s", p.code, p.err);
	json_t *r = itest_load_result(&p), *w = itest_workload0(r);
	char *dir = itest_out_dir(&p);
	assert_true(json_real_value(json_object_get(r, "elapsed_s")) < 60);
	assert_true(json_is_true(json_object_get(w, "sigterm_sent")));
	assert_true(itest_num(w, "report_bad_lines") > 0);
	/* The exec workload's final record comes after the flood's last lines; on a busy
	 * machine those can still be arriving behind it, past the per-second bound, and
	 * then it is among the dropped lines, counted (never a crash of the test). */
	const char *st = itest_str(w, "report_final.status");
	if (st)
		assert_string_equal(st, "stopped");
	else
		assert_true(itest_num(w, "report_dropped_lines") > 0 || itest_num(w, "report_bad_lines") > 0);
	/* the exec workload's own few records, not one "y" */
	long long rep = file_size(dir, "reports.jsonl");
	assert_true(rep >= 0 && rep < 64 * 1024);
	double gap = largest_sample_gap(dir);
	if (gap > 2.0) /* every 100 ms; starving the recorder left seconds without one */
		fail_msg("samples.csv has a gap of %.2f s", gap);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* Valid records, as fast as `yes` writes them: reports.jsonl keeps reports_max (1M)
 * of them, the rest is dropped, counted, and run.json says so. */
static void test_report_flood_of_records_is_bounded(void **state)
{
	(void)state;
	struct proc_out p = run_bounded("tests/scenarios/int/report-flood-valid.ini", "report-flood-valid", itest_results, 90000);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%.2000s", p.code, p.err);
	json_t *r = itest_load_result(&p), *w = itest_workload0(r);
	char *dir = itest_out_dir(&p);
	assert_true(json_real_value(json_object_get(r, "elapsed_s")) < 60);
	long long rep = file_size(dir, "reports.jsonl");
	assert_true(rep > 0 && rep <= 1024 * 1024);
	assert_true(json_is_true(json_object_get(w, "report_truncated")));
	assert_true(itest_num(w, "report_dropped_bytes") > 0);
	assert_true(itest_num(w, "report_dropped_lines") > 0);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* 3 MiB on stdout and on stderr: the file keeps stdout_max (1M), mph's stderr gets
 * 64 KiB, a marker and the count; run.json counts every byte. */
static void test_output_is_capped(void **state)
{
	(void)state;
	struct proc_out p = run_bounded("tests/scenarios/int/output-flood.ini", "output-flood", itest_results, 90000);
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%.2000s", p.code, p.err);
	json_t *r = itest_load_result(&p), *w = itest_workload0(r);
	char *dir = itest_out_dir(&p);
	assert_string_equal(itest_str(w, "outcome"), "exited");
	assert_int_equal(file_size(dir, "loud.stdout"), 1024 * 1024);
	assert_int_equal(itest_num(w, "stdout_bytes"), 3 * 1024 * 1024);
	assert_true(json_is_true(json_object_get(w, "stdout_truncated")));
	assert_int_equal(itest_num(w, "stderr_bytes"), 3 * 1024 * 1024);
	assert_true(json_is_true(json_object_get(w, "stderr_truncated")));
	/* the kept part is the beginning, unchanged */
	char *path = xasprintf("%s/loud.stdout", dir), *text = NULL;
	assert_int_equal(read_file(path, &text, NULL), 0);
	assert_int_equal(strncmp(text, "stdout-line\nstdout-line\n", 24), 0);
	free(text);
	free(path);
	size_t errlen = strlen(p.err);
	if (errlen > 64 * 1024 + 4096)
		fail_msg("mph's stderr holds %zu bytes", errlen);
	assert_non_null(strstr(p.err, "stderr-line\nstderr-line\n"));
	assert_non_null(strstr(p.err, "mph: workload loud: stderr cut after 65536 bytes"));
	char *want = xasprintf("mph: workload loud: %d more bytes of stderr not shown", 3 * 1024 * 1024 - 65536);
	assert_non_null(strstr(p.err, want));
	free(want);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* Start hold.ini (a sysctl, a swap file, a cgroup, a workload holding memory for
 * 60 s) and wait until its workload runs in the cgroup. */
static pid_t start_hold(void)
{
	const char *argv[] = { NULL, "run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/hold.ini", NULL };
	pid_t pid = itest_spawn("bg", argv);
	char *jp = xasprintf("%s/journal", itest_statedir);
	if (!itest_wait_for(jp, "cgroup\t", LOCK_WAIT_MS))
		give_up(pid, "the run did not start");
	char *text = NULL;
	assert_int_equal(read_file(jp, &text, NULL), 0);
	char *c = strstr(text, "cgroup\t") + 7;
	char *tasks = xasprintf("%.*s/cgroup.procs", (int)strcspn(c, "\n"), c);
	if (!itest_wait_for(tasks, "\n", 20000))
		give_up(pid, "the workload did not start");
	free(tasks);
	free(text);
	free(jp);
	return pid;
}

/* Signals other than INT/TERM/HUP used to kill mph with everything applied. Each now
 * stops the run: undone, exit 130. SIGPIPE is ignored (a SIGTERM then stops it). */
static void test_stop_signals_undo(void **state)
{
	(void)state;
	static const int sigs[] = { SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		pid_t pid = start_hold();
		kill(pid, sigs[i]);
		if (sigs[i] == SIGPIPE)
			kill(pid, SIGTERM); /* delivered after SIGPIPE: lower numbers go first */
		int code = wait_exit(pid, 30000);
		if (code < 0)
			give_up(pid, "mph did not stop");
		struct proc_out p = bg_output(code);
		char sb[16];
		if (code != 130)
			fail_msg("SIG%s: mph exited %d:\n%.2000s", signal_name(sigs[i], sb, sizeof(sb)), code, p.err);
		json_t *r = itest_load_result(&p);
		assert_true(json_is_true(json_object_get(r, "interrupted")));
		json_decref(r);
		itest_proc_free(&p);
		itest_check_clean();
	}
}

/* SIGTERM after SIGTERM, until mph has ended: the ones that arrive while it undoes
 * the run used to kill it there (143) when it unblocked them. */
static void test_sigterm_during_teardown_exits_130(void **state)
{
	(void)state;
	pid_t pid = start_hold();
	int code = -1;
	for (unsigned t = 0; t < 60000 && code < 0; t++) {
		kill(pid, SIGTERM);
		code = wait_exit(pid, 1);
	}
	if (code < 0)
		give_up(pid, "mph did not stop");
	struct proc_out p = bg_output(code);
	if (code != 130)
		fail_msg("mph exited %d:\n%.2000s", code, p.err);
	json_t *r = itest_load_result(&p);
	assert_true(json_is_true(json_object_get(r, "interrupted")));
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* After a failed test: what a killed or crashed run left is undone, so that the
 * next test starts from a clean machine. */
static int restore_teardown(void **state)
{
	(void)state;
	char *jp = xasprintf("%s/journal", itest_statedir);
	if (access(jp, F_OK) == 0) {
		struct proc_out p = itest_mph("restore", "--wait", "10m", NULL);
		itest_proc_free(&p);
	}
	free(jp);
	return 0;
}

/* ---- a full file system: a 1 MiB tmpfs, filled, mounted for one test ---- */

static char *full_dir;

static int full_setup(void **state)
{
	if (itest_each_setup(state))
		return -1;
	full_dir = xasprintf("%s/full", itest_tmpdir);
	if (mkdir(full_dir, 0755) < 0 || mount("mph-itest", full_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m") < 0) {
		print_message("cannot mount a tmpfs at %s: %s\n", full_dir, strerror(errno));
		return -1;
	}
	char *results = xasprintf("%s/results", full_dir), *fill = xasprintf("%s/fill", full_dir);
	int r = mkdir(results, 0755), fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	static char block[4096];
	while (fd >= 0 && write(fd, block, sizeof(block)) > 0)
		;
	if (fd >= 0)
		close(fd);
	free(results);
	free(fill);
	return r < 0 || fd < 0 ? -1 : 0;
}

static int full_teardown(void **state)
{
	int r = 0;
	(void)restore_teardown(state);
	if (full_dir) {
		(void)umount2(full_dir, MNT_DETACH);
		r = rmdir(full_dir);
		free(full_dir);
		full_dir = NULL;
	}
	return r < 0 && errno != ENOENT ? -1 : 0;
}

/* Nothing of the run fits on the results' file system: mph still undoes it, prints
 * the summary, writes run.json to the state directory, and exits 1 with every write
 * error in run.json's errors. */
static void test_full_disk_keeps_the_result(void **state)
{
	(void)state;
	char *results = xasprintf("%s/results", full_dir);
	struct proc_out p = run_bounded("tests/scenarios/int/sysctl.ini", "sysctl", results, 60000);
	assert_int_equal(p.code, 1);
	assert_non_null(strstr(p.out, "sysctl (cgroup "));
	assert_non_null(strstr(p.out, "  small        anonleak   exited"));
	assert_non_null(strstr(p.out, "vm.swappiness: "));
	/* the run's summary ends with where run.json went; the plan's last line is plan.json
	 * (small enough to fit once the run's files are gone), whose job names it too */
	char *fbdir = xasprintf("%s/results/sysctl-", itest_statedir), *at = strstr(p.out, fbdir);
	if (!at)
		fail_msg("the summary names no fallback under %s:\n%s\n%s", fbdir, p.out, p.err);
	char *last = strndup(at, strcspn(at, "\n"));
	json_t *r = itest_load_result(&p), *errs = json_object_get(r, "errors");
	assert_string_equal(itest_str(itest_workload0(r), "outcome"), "exited");
	bool run_json = false, csv = false, events = false;
	size_t i;
	json_t *e;
	json_array_foreach(errs, i, e) {
		const char *m = json_string_value(e);
		run_json |= strstr(m, "/run.json: No space left on device; run.json written to ") && strstr(m, last);
		csv |= strstr(m, "/samples.csv failed: No space left on device") != NULL;
		events |= strstr(m, "/events.jsonl failed: No space left on device") != NULL;
	}
	if (!run_json || !csv || !events)
		fail_msg("errors lack a write error: %s", json_dumps(errs, 0));
	assert_non_null(strstr(p.err, "run.json written to "));
	json_decref(r);
	free(last);
	free(fbdir);
	free(results);
	itest_proc_free(&p);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_flood_does_not_stop_supervision, itest_each_setup, restore_teardown),
		cmocka_unit_test_setup_teardown(test_report_flood_of_records_is_bounded, itest_each_setup, restore_teardown),
		cmocka_unit_test_setup_teardown(test_output_is_capped, itest_each_setup, restore_teardown),
		cmocka_unit_test_setup_teardown(test_stop_signals_undo, itest_each_setup, restore_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_during_teardown_exits_130, itest_each_setup, restore_teardown),
		cmocka_unit_test_setup_teardown(test_full_disk_keeps_the_result, full_setup, full_teardown),
	};
	return itest_run_group("reliability", tests, itest_group_setup, itest_group_teardown);
}
