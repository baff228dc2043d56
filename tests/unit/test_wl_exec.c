/* test_wl_exec.c - the exec workload: the shell-like splitter (no shell), and runs of
 * real commands: the exit code is reported as data, an unknown command is an error,
 * a stop reaches the command's whole process group. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wltest.h"
#include "../../workloads/exec.h"

extern const struct workload wl_exec;

static void test_split(void **state)
{
	(void)state;
	static const struct { const char *in; const char *words[6]; } ok[] = {
		{ "stress-ng --vm 1 --vm-bytes 256M", { "stress-ng", "--vm", "1", "--vm-bytes", "256M" } },
		{ "  a\t b  ", { "a", "b" } },
		{ "sh -c 'echo \"x\"; exit 3'", { "sh", "-c", "echo \"x\"; exit 3" } },
		{ "echo \"a b\" c", { "echo", "a b", "c" } },
		{ "echo \"q\\\"q\" \"\\n\"", { "echo", "q\"q", "\\n" } },
		{ "echo a\\ b", { "echo", "a b" } },
		{ "echo '' x", { "echo", "", "x" } },
		{ "echo a'b'\"c\"d", { "echo", "abcd" } },
		{ "echo $HOME *.c | wc", { "echo", "$HOME", "*.c", "|", "wc" } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char **v = NULL, err[128];
		int n = exec_split(ok[i].in, &v, err, sizeof(err));
		size_t want = 0;
		while (want < 6 && ok[i].words[want])
			want++;
		if (n != (int)want)
			fail_msg("split(%s): %d words, expected %zu (%s)", ok[i].in, n, want, n < 0 ? err : "");
		for (size_t k = 0; k < want; k++)
			if (strcmp(v[k], ok[i].words[k]) != 0)
				fail_msg("split(%s): word %zu is [%s], expected [%s]", ok[i].in, k, v[k], ok[i].words[k]);
		assert_null(v[want]);
		exec_argv_free(v);
	}
	static const struct { const char *in, *msg; } bad[] = {
		{ "", "empty command" },
		{ "   ", "empty command" },
		{ "echo 'open", "the ' quote opened at column 6 is not closed" },
		{ "echo \"open", "the \" quote opened at column 6 is not closed" },
		{ "echo x\\", "a \\ at the end escapes nothing" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char **v = NULL, err[128] = "";
		assert_int_equal(exec_split(bad[i].in, &v, err, sizeof(err)), -EINVAL);
		assert_null(v);
		assert_string_equal(err, bad[i].msg);
	}
}

static void test_options(void **state)
{
	(void)state;
	const struct opt *o = opt_find(wl_exec.opts, "cmd");
	assert_non_null(o);
	assert_true(o->required);
	assert_int_equal(o->type, OPT_STRING);
	assert_true(wl_exec.untracked_children);
}

/* Run a command line through the workload (wl_stop as the caller set it); all records. */
static json_t *run_cmd(const char *cmd, int *rc)
{
	char *arg = xasprintf("cmd=%s", cmd);
	const char *const sets[] = { arg, NULL };
	void *c = wlt_cfg(&wl_exec, 0, sets);
	json_t *recs = wlt_run_records(&wl_exec, c, 1000, rc);
	wlt_free(&wl_exec, c);
	free(arg);
	return recs;
}

static void test_exit_code_is_data(void **state)
{
	(void)state;
	int code = -1;
	json_t *recs = run_cmd("sh -c 'exit 7'", &code);
	assert_int_equal(code, WL_EXIT_OK);
	json_t *child = wlt_last(recs, "child"), *fin = wlt_last(recs, "final");
	assert_non_null(child);
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "done");
	assert_int_equal(wlt_num(fin, "exit_code"), 7);
	assert_true(json_is_null(json_object_get(fin, "signal")));
	assert_int_equal(wlt_num(fin, "child_pid"), wlt_num(child, "pid"));
	assert_string_equal(json_string_value(json_object_get(fin, "judged_by")), "cgroup counters");
	assert_int_equal(json_array_size(json_object_get(fin, "argv")), 3);
	json_decref(recs);

	recs = run_cmd("sh -c 'kill -KILL $$'", &code);
	fin = wlt_last(recs, "final");
	assert_int_equal(code, WL_EXIT_OK);
	assert_true(json_is_null(json_object_get(fin, "exit_code")));
	assert_string_equal(json_string_value(json_object_get(fin, "signal")), "KILL");
	json_decref(recs);
}

static void test_errors(void **state)
{
	(void)state;
	int code = -1;
	json_t *recs = run_cmd("/nonexistent/command x", &code);
	assert_int_equal(code, WL_EXIT_ERROR);
	json_t *fin = wlt_last(recs, "final");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(fin, "error")),
			    "cannot execute /nonexistent/command: No such file or directory");
	assert_int_equal(wlt_count(recs, "child"), 0);
	json_decref(recs);

	recs = run_cmd("echo 'unclosed", &code);
	assert_int_equal(code, WL_EXIT_USAGE);
	fin = wlt_last(recs, "final");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "error");
	json_decref(recs);
}

/* The check is the splitter: what it refuses is refused before anything runs. */
static void test_check(void **state)
{
	(void)state;
	static const struct {
		const char *cmd, *want;
	} cases[] = {
		{ "stress-ng --vm 1 --vm-bytes '64M'", NULL },
		{ "sh -c \"echo 'hi'\"", NULL },
		{ "echo 'unclosed", "cmd: --cmd: the ' quote opened at column 6 is not closed" },
		{ "echo \"unclosed", "cmd: --cmd: the \" quote opened at column 6 is not closed" },
		{ "", "cmd: --cmd: empty command" },
		{ "  \t ", "cmd: --cmd: empty command" },
		{ "echo a\\", "cmd: --cmd: a \\ at the end escapes nothing" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *arg = xasprintf("cmd=%s", cases[i].cmd);
		void *c = wlt_cfg(&wl_exec, 0, WLT_STRS(arg));
		if (cases[i].want)
			wlt_check(&wl_exec, c, WLT_STRS(cases[i].want));
		else
			wlt_check(&wl_exec, c, NULL);
		wlt_free(&wl_exec, c);
		free(arg);
	}
	void *c = wlt_cfg(&wl_exec, 0, NULL); /* cmd missing: reported as such, not here */
	wlt_check(&wl_exec, c, NULL);
	wlt_free(&wl_exec, c);
}

static void test_stop_reaches_group(void **state)
{
	(void)state;
	int code = -1;
	/* sh waits for a background sleep: a stop must reach both (its process group). The
	 * sleep's argument carries this test's pid, so the check below finds only its own
	 * sleep, never one of another test running on the machine. */
	char *cmd = xasprintf("sh -c 'sleep 30.%d & wait'", (int)getpid());
	char *left = xasprintf("pgrep -f '^sleep 30\\.%d$' >/dev/null", (int)getpid());
	wl_stop = 1;
	double t0 = now_s();
	json_t *recs = run_cmd(cmd, &code);
	wl_stop = 0;
	assert_true(now_s() - t0 < 25); /* stopped, not waited for: the sleep is 30 s */
	json_t *fin = wlt_last(recs, "final");
	assert_string_equal(json_string_value(json_object_get(fin, "status")), "stopped");
	assert_string_equal(json_string_value(json_object_get(fin, "signal")), "TERM");
	json_decref(recs);
	/* nothing of the group is left */
	assert_int_not_equal(system(left), 0);
	free(left);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_exit_code_is_data),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_stop_reaches_group),
	};
	return cmocka_run_group_tests_name("wl_exec", tests, NULL, NULL);
}
