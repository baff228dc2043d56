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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/cgroup.h"
#include "../../harness/sysctl.h"
#include "../../harness/util.h"

static const char *skip_reason;
static char tmpdir[64];
static char *results, *statedir;
static char *sysctl_before[32];
static struct cg_env env;

struct proc_out {
	int code;
	char *out, *err;
};

/* Run mph with args (NULL-terminated), capture stdout and stderr. */
static const char *mph_bin(void)
{
	return getenv("MPH_BIN") ? getenv("MPH_BIN") : "./mph";
}

/* Start mph with argv (argv[0] ignored), stdout and stderr to files <tmpdir>/<tag>.out/.err */
static pid_t spawn(const char *tag, const char **argv)
{
	char *o = xasprintf("%s/%s.out", tmpdir, tag), *e = xasprintf("%s/%s.err", tmpdir, tag);
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("MPH_STATE_DIR", statedir, 1);
		argv[0] = mph_bin();
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	free(o);
	free(e);
	return pid;
}

/* Run mph with args (NULL-terminated), capture stdout and stderr. */
static struct proc_out mph(const char *arg0, ...)
{
	const char *argv[16] = { NULL };
	size_t n = 1;
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 15; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	int st;
	waitpid(spawn("fg", argv), &st, 0);
	struct proc_out p = { WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), NULL, NULL };
	char *o = xasprintf("%s/fg.out", tmpdir), *e = xasprintf("%s/fg.err", tmpdir);
	read_file(o, &p.out, NULL);
	read_file(e, &p.err, NULL);
	free(o);
	free(e);
	return p;
}

static void proc_free(struct proc_out *p)
{
	free(p->out);
	free(p->err);
}

/* run.json named on the last line of mph run's stdout */
static json_t *load_result(const struct proc_out *p)
{
	char *copy = xstrdup(p->out), *last = NULL;
	for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
		last = l;
	json_error_t je;
	json_t *j = last ? json_load_file(last, 0, &je) : NULL;
	if (!j)
		fail_msg("no run.json: stdout was:\n%s\nstderr:\n%s", p->out, p->err);
	free(copy);
	return j;
}

static const char *str(json_t *o, const char *path)
{
	/* "a.b.c" through objects */
	char *copy = xstrdup(path);
	json_t *cur = o;
	for (char *k = strtok(copy, "."); k && cur; k = strtok(NULL, "."))
		cur = json_object_get(cur, k);
	free(copy);
	return json_string_value(cur);
}

static long long num(json_t *o, const char *path)
{
	char *copy = xstrdup(path);
	json_t *cur = o;
	for (char *k = strtok(copy, "."); k && cur; k = strtok(NULL, "."))
		cur = json_object_get(cur, k);
	free(copy);
	if (!json_is_integer(cur))
		fail_msg("%s is not an integer", path);
	return json_integer_value(cur);
}

/* `mph run SCENARIO` must succeed; its run.json */
static json_t *run_ok(const char *scenario)
{
	struct proc_out p = mph("run", "--results", results, scenario, NULL);
	if (p.code != 0)
		fail_msg("mph run %s exited %d:\n%s", scenario, p.code, p.err);
	json_t *r = load_result(&p);
	proc_free(&p);
	return r;
}

static json_t *workload0(json_t *r)
{
	return json_array_get(json_object_get(r, "workloads"), 0);
}

static void check_machine_clean(void)
{
	/* no child cgroup left below our own */
	char *own = xasprintf("%s%s", env.mount, env.own);
	char *cmd = xasprintf("find '%s' -mindepth 1 -type d | grep -q .", own);
	int found = system(cmd) == 0;
	free(cmd);
	free(own);
	assert_false(found);
	char *swaps = NULL;
	assert_int_equal(read_file("/proc/swaps", &swaps, NULL), 0);
	int lines = 0;
	for (char *p = swaps; *p; p++)
		lines += *p == '\n';
	free(swaps);
	assert_int_equal(lines, 1); /* only the header */
	for (unsigned i = 0; i < sysctl_ndefs; i++) {
		char *v = NULL;
		if (sysctl_read("/proc/sys", sysctl_defs[i].name, &v) < 0)
			continue;
		if (strcmp(v, sysctl_before[i]) != 0)
			fail_msg("%s is %s, it was %s before the test", sysctl_defs[i].name, v, sysctl_before[i]);
		free(v);
	}
	char *jp = xasprintf("%s/journal", statedir);
	assert_int_not_equal(access(jp, F_OK), 0);
	free(jp);
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip_reason = "not root: mph run creates cgroups and changes sysctls";
	else if (cg_env_detect(&env) < 0)
		skip_reason = "no memory cgroup controller mounted";
	else if (access(mph_bin(), X_OK) < 0)
		skip_reason = "./mph not built";
	if (skip_reason) {
		printf("SKIP: integration tests: %s\n", skip_reason);
		return 0;
	}
	strcpy(tmpdir, "/tmp/mph-int-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	results = xasprintf("%s/results", tmpdir);
	statedir = xasprintf("%s/state", tmpdir);
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		if (sysctl_read("/proc/sys", sysctl_defs[i].name, &sysctl_before[i]) < 0)
			sysctl_before[i] = xstrdup("");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (skip_reason)
		return 0;
	/* whatever a failed test left: undo it through mph's own journal */
	struct proc_out p = mph("restore", NULL);
	proc_free(&p);
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int r = system(cmd);
	free(cmd);
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		free(sysctl_before[i]);
	free(results);
	free(statedir);
	cg_env_free(&env);
	return r == 0 ? 0 : -1;
}

static int each_setup(void **state)
{
	(void)state;
	if (skip_reason)
		skip();
	return 0;
}

static void test_oom_basic(void **state)
{
	(void)state;
	json_t *r = run_ok("scenarios/oom-basic.ini"), *w = workload0(r);
	assert_string_equal(str(w, "outcome"), "oom-killed");
	assert_string_equal(str(w, "signal"), "KILL");
	json_t *kills = json_object_get(r, "oom_kills");
	assert_int_equal(json_array_size(kills), 1); /* exactly once per leaker */
	json_t *k = json_array_get(kills, 0);
	assert_int_equal(num(k, "pid"), num(w, "pid"));
	assert_string_equal(str(k, "constraint"), "CONSTRAINT_MEMCG");
	assert_string_equal(str(k, "comm"), "anonleak");
	assert_string_equal(str(k, "oom_memcg"), str(r, "cgroup.path"));
	assert_int_equal(num(r, "cgroup.oom_kill"), 1);
	/* killed at the limit: its anon-rss is close to 64 MiB (within 8 MiB) */
	long long rss = num(k, "anon_rss_kb");
	assert_true(rss > 56 * 1024 && rss <= 64 * 1024);
	assert_string_equal(str(r, "host.cgroup"), cg_version_name(env.ver));
	json_decref(r);
	check_machine_clean();
}

static void test_sysctls_restored(void **state)
{
	(void)state;
	json_t *r = run_ok("tests/scenarios/int/sysctl.ini");
	json_t *s = json_object_get(r, "sysctls");
	assert_int_equal(json_array_size(s), 2);
	static const char *const want[][2] = { { "vm.swappiness", "10" }, { "vm.min_free_kbytes", "90000" } };
	for (size_t i = 0; i < 2; i++) {
		json_t *e = json_array_get(s, i);
		assert_string_equal(str(e, "name"), want[i][0]);
		assert_string_equal(str(e, "applied"), want[i][1]);
		assert_string_equal(str(e, "after"), str(e, "before"));
		char *now = NULL;
		assert_int_equal(sysctl_read("/proc/sys", want[i][0], &now), 0);
		assert_string_equal(now, str(e, "before"));
		free(now);
	}
	json_t *w = workload0(r);
	assert_string_equal(str(w, "outcome"), "exited");
	assert_true(json_is_true(json_object_get(w, "sigterm_sent")));
	assert_string_equal(str(w, "report_final.status"), "stopped");
	json_decref(r);
	check_machine_clean();
}

static void test_timeout(void **state)
{
	(void)state;
	json_t *r = run_ok("tests/scenarios/int/timeout.ini");
	assert_string_equal(str(workload0(r), "outcome"), "timed-out");
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	json_decref(r);
	check_machine_clean();
}

static void test_enomem(void **state)
{
	(void)state;
	json_t *r = run_ok("tests/scenarios/int/enomem.ini"), *w = workload0(r);
	assert_string_equal(str(w, "outcome"), "enomem");
	assert_int_equal(num(w, "exit_code"), 3);
	assert_string_equal(str(w, "report_final.errno"), "ENOMEM");
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	assert_int_equal(num(r, "cgroup.oom_kill"), 0);
	json_decref(r);
	check_machine_clean();
}

static void test_invalid_changes_nothing(void **state)
{
	(void)state;
	struct proc_out p = mph("run", "--results", results, "tests/scenarios/int/invalid.ini", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "tests/scenarios/int/invalid.ini:13: [workload w] bogus: unknown option of workload anonleak"));
	assert_non_null(strstr(p.err, "nothing was changed"));
	char *dir = xasprintf("%s/invalid", results);
	assert_int_not_equal(access(dir, F_OK), 0);
	free(dir);
	proc_free(&p);
	check_machine_clean();
}

/* Wait (bounded) until path contains needle. */
static bool wait_for(const char *path, const char *needle, unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 20) {
		char *buf = NULL;
		if (read_file(path, &buf, NULL) == 0 && strstr(buf, needle)) {
			free(buf);
			return true;
		}
		free(buf);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_kill9_then_restore(void **state)
{
	(void)state;
	const char *argv[] = { NULL, "run", "--results", results, "tests/scenarios/int/hold.ini", NULL };
	pid_t pid = spawn("bg", argv);
	/* the journal gets its cgroup entry just before the cgroup is made; the
	 * workload's report says it holds its memory once it is running inside it */
	char *jp = xasprintf("%s/journal", statedir);
	assert_true(wait_for(jp, "cgroup\t", 10000));
	char *cgdir = NULL;
	{
		char *text = NULL;
		assert_int_equal(read_file(jp, &text, NULL), 0);
		char *c = strstr(text, "cgroup\t") + 7;
		cgdir = strndup(c, strcspn(c, "\n"));
		free(text);
	}
	char *tasks = xasprintf("%s/cgroup.procs", cgdir);
	assert_true(wait_for(tasks, "\n", 10000));
	char *sw = NULL;
	assert_int_equal(sysctl_read("/proc/sys", "vm.swappiness", &sw), 0);
	assert_string_equal(sw, "7");
	free(sw);

	/* a second run while the first holds the lock is refused, naming its pid */
	struct proc_out p2 = mph("run", "--results", results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p2.code, 4);
	char *want = xasprintf("another mph run is in progress (pid %d)", (int)pid);
	assert_non_null(strstr(p2.err, want));
	free(want);
	proc_free(&p2);

	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));

	/* the journal is left; a new run refuses until it is restored */
	struct proc_out p = mph("run", "--results", results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 4);
	assert_non_null(strstr(p.err, "a previous run was interrupted and left changes in place"));
	assert_non_null(strstr(p.err, "run `mph restore` first"));
	proc_free(&p);
	p = mph("restore", NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "restored; journal removed"));
	proc_free(&p);
	assert_int_not_equal(access(cgdir, F_OK), 0);
	/* restore again: nothing to do */
	p = mph("restore", NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "nothing to restore"));
	proc_free(&p);
	free(tasks);
	free(cgdir);
	free(jp);
	check_machine_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_oom_basic, each_setup),
		cmocka_unit_test_setup(test_sysctls_restored, each_setup),
		cmocka_unit_test_setup(test_timeout, each_setup),
		cmocka_unit_test_setup(test_enomem, each_setup),
		cmocka_unit_test_setup(test_invalid_changes_nothing, each_setup),
		cmocka_unit_test_setup(test_kill9_then_restore, each_setup),
	};
	return cmocka_run_group_tests_name("integration", tests, group_setup, group_teardown);
}
