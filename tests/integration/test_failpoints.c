/* test_failpoints.c - integration: mph killed (SIGKILL, as an OOM kill or a kill -9
 * would) at every fail point of a run, then `mph restore` with the same state
 * directory; afterwards the machine must be as it was: sysctls at their values from
 * before, no swap active or left on disk, no cgroup below ours, no journal. The kills
 * come from the build made for tests (build/failpoint/mph, MPH_FAILPOINT=STEP[:N],
 * harness/core/failpoint.h), whose list of steps this test takes, so that a new
 * fail point is tested without being added here. Needs root and a memory cgroup
 * controller; otherwise every test is skipped with the reason. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

#define FP_BIN "build/failpoint/mph"
#define SCENARIO "tests/scenarios/int/failpoint.ini"
/* the scenario's journal: sysctl, swap, cgroup */
#define ENTRIES 3

struct fp_case {
	char *run_step;      /* MPH_FAILPOINT of mph run */
	char *restore_step;  /* of a first mph restore, killed too; NULL: none */
};

static char *workload_dir;

/* The next itest_mph() runs the failpoint build, to die at step (NULL: ./mph). */
static void failpoint_at(const char *step)
{
	if (step) {
		setenv("MPH_BIN", FP_BIN, 1);
		setenv("MPH_FAILPOINT", step, 1);
		setenv("MPH_WORKLOAD_DIR", workload_dir, 1);
	} else {
		unsetenv("MPH_BIN");
		unsetenv("MPH_FAILPOINT");
		unsetenv("MPH_WORKLOAD_DIR");
	}
}

/* What the killed run left, from its journal: each entry's state now (malloc'd). */
static char *left_behind(void)
{
	char *jp = xasprintf("%s/journal", itest_statedir), *text = NULL, *out = xstrdup("");
	char *swaps = NULL;
	(void)read_file("/proc/swaps", &swaps, NULL);
	if (read_file(jp, &text, NULL) == 0) {
		char *save = NULL;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char *f[3] = { l, NULL, NULL };
			for (int i = 1; i < 3 && f[i - 1]; i++)
				if ((f[i] = strchr(f[i - 1], '\t')))
					*f[i]++ = '\0';
			char *now = NULL, *m = NULL;
			if (strcmp(f[0], "sysctl") == 0 && f[2]) {
				(void)sysctl_read("/proc/sys", f[1], &now);
				m = xasprintf("%s%s %s (was %s); ", out, f[1], now ? now : "?", f[2]);
			} else if (strcmp(f[0], "swap") == 0 && f[1]) {
				m = xasprintf("%sswap file %s; ", out, swaps && strstr(swaps, f[1]) ? "active"
								   : access(f[1], F_OK) == 0 ? "on disk" : "absent");
			} else if (strcmp(f[0], "cgroup") == 0 && f[1]) {
				m = xasprintf("%scgroup %s; ", out, access(f[1], F_OK) == 0 ? "present" : "absent");
			}
			free(now);
			if (m) {
				free(out);
				out = m;
			}
		}
	} else {
		free(out);
		out = xstrdup("no journal");
	}
	if (!*out) {
		free(out);
		out = xstrdup("nothing journaled but the header");
	}
	free(text);
	free(swaps);
	free(jp);
	return out;
}

/* No swap-*.img of a run in the state directory (active swap is checked by
 * itest_check_clean). */
static void assert_no_swap_file(void)
{
	DIR *d = opendir(itest_statedir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "swap-", 5) == 0)
			fail_msg("swap file %s/%s is left on disk", itest_statedir, e->d_name);
	closedir(d);
}

static void assert_killed_at(const struct proc_out *p, const char *step)
{
	const char *colon = strchr(step, ':');
	char *want = xasprintf("mph: fail point %.*s (hit %s)", colon ? (int)(colon - step) : (int)strlen(step), step,
			       colon ? colon + 1 : "1");
	if (p->code != 128 + SIGKILL || !p->err || !strstr(p->err, want))
		fail_msg("expected mph to be killed at %s (exit %d):\n%s", step, p->code, p->err ? p->err : "");
	free(want);
	char *jp = xasprintf("%s/journal", itest_statedir);
	if (access(jp, F_OK) != 0)
		fail_msg("killed at %s, mph left no journal", step);
	free(jp);
}

static void test_kill_then_restore(void **state)
{
	const struct fp_case *c = *state;
	failpoint_at(c->run_step);
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, SCENARIO, NULL);
	failpoint_at(NULL);
	assert_killed_at(&p, c->run_step);
	itest_proc_free(&p);
	char *left = left_behind();
	printf("  killed at %s: %s\n", c->run_step, left);
	/* the kills that leave a change in force, seen before restore undoes it */
	if (strcmp(c->run_step, "sysctl.written") == 0)
		assert_non_null(strstr(left, "vm.swappiness 7 "));
	if (strcmp(c->run_step, "swap.on") == 0)
		assert_non_null(strstr(left, "swap file active"));
	if (strcmp(c->run_step, "cgroup.created") == 0)
		assert_non_null(strstr(left, "cgroup present"));
	free(left);
	if (c->restore_step) {
		failpoint_at(c->restore_step);
		p = itest_mph("restore", "--wait", "10m", NULL);
		failpoint_at(NULL);
		assert_killed_at(&p, c->restore_step);
		itest_proc_free(&p);
		left = left_behind();
		printf("  restore killed at %s: %s\n", c->restore_step, left);
		free(left);
	}
	p = itest_mph("restore", "--wait", "10m", NULL);
	if (p.code != 0 || !strstr(p.out, "restored; journal removed"))
		fail_msg("mph restore exited %d:\n%s%s", p.code, p.out, p.err);
	itest_proc_free(&p);
	assert_no_swap_file();
	itest_check_clean();
}

/* Each test has a state directory of its own: a journal one leaves cannot be
 * found by the next. */
static int each_setup(void **state)
{
	static unsigned seq;
	int r = itest_each_setup(state);
	free(itest_statedir);
	itest_statedir = xasprintf("%s/state-%u", itest_tmpdir, ++seq);
	return r;
}

/* A test that failed half-way must not leave its journal for the next one. */
static int each_teardown(void **state)
{
	(void)state;
	char *jp = xasprintf("%s/journal", itest_statedir);
	if (access(jp, F_OK) == 0) {
		failpoint_at(NULL);
		struct proc_out p = itest_mph("restore", "--wait", "10m", NULL);
		itest_proc_free(&p);
	}
	free(jp);
	return 0;
}

static int group_setup(void)
{
	if (access(FP_BIN, X_OK) < 0) {
		itest_skip_reason = FP_BIN " not built (make failpoint)";
		printf("SKIP: fail point tests: %s\n", itest_skip_reason);
		return 0;
	}
	return itest_group_setup(NULL);
}

/* The steps of the failpoint build: "step<TAB>what is true there" lines. */
static size_t list_steps(char ***out)
{
	FILE *f = popen("MPH_FAILPOINT=list " FP_BIN, "re");
	char line[256];
	char **v = NULL;
	size_t n = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\t\n")] = '\0';
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrdup(line);
	}
	if (f)
		pclose(f);
	*out = v;
	return n;
}

int main(void)
{
	char cwd[4096];
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	workload_dir = xasprintf("%s/workloads", cwd);
	char **steps = NULL;
	size_t nsteps = access(FP_BIN, X_OK) == 0 ? list_steps(&steps) : 0;
	/* every step once; the replay's steps also between later entries, and a restore
	 * that is itself killed half-way and run again */
	struct fp_case *cases = xcalloc(nsteps + ENTRIES + 1, sizeof(*cases));
	size_t n = 0;
	for (size_t i = 0; i < nsteps; i++) {
		cases[n++].run_step = xstrdup(steps[i]);
		if (strcmp(steps[i], "replay.entry") == 0)
			for (int k = 2; k <= ENTRIES; k++)
				cases[n++].run_step = xasprintf("replay.entry:%d", k);
	}
	if (nsteps) {
		cases[n].run_step = xstrdup("workload.started");
		cases[n++].restore_step = xstrdup("replay.entry:2");
	}
	struct CMUnitTest *tests = xcalloc(n + 1, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		char *name = cases[i].restore_step ? xasprintf("%s then restore killed at %s", cases[i].run_step,
								 cases[i].restore_step)
						   : xstrdup(cases[i].run_step);
		tests[i] = (struct CMUnitTest){ name, test_kill_then_restore, each_setup, each_teardown, &cases[i] };
	}
	int r;
	if (group_setup() != 0)
		r = 1;
	else if (itest_skip_reason)
		r = itest_group_teardown(NULL) != 0 ? 1 : 0;
	else if (n == 0)
		r = (printf("FAIL: %s lists no fail points\n", FP_BIN), 1);
	else
		r = _cmocka_run_group_tests("failpoints", tests, n, NULL, itest_group_teardown);
	for (size_t i = 0; i < n; i++) {
		free((char *)tests[i].name);
		free(cases[i].run_step);
		free(cases[i].restore_step);
	}
	for (size_t i = 0; i < nsteps; i++)
		free(steps[i]);
	free(steps);
	free(tests);
	free(cases);
	free(workload_dir);
	return r;
}
