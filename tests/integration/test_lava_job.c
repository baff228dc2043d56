/* test_lava_job.c - integration: mph in a LAVA lab, without the lab. The example job
 * (tools/lava/qemu-job.yaml) and the test definition (tools/lava/mph.yaml) are checked
 * by Debian's lava-common schemas, the validator is shown to reject a broken job, and
 * the definition's steps run as LAVA's test shell would (tests/lava/run-testdef.py)
 * with a stand-in lava-test-case on PATH, against a real short plan on this machine:
 * every job x assertion arrives as a test case with the value plan.json measured. */
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

/* Debian's python3, which has lava_common: a python3 earlier on PATH may not */
#define PY "/usr/bin/python3"

static const char *lava_skip;

/* Run cmd through sh with stdout and stderr into *out; its exit status. */
static int sh(const char *cmd, char **out)
{
	char path[] = "/tmp/mph-lava-out-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	char *full = xasprintf("( %s ) >'%s' 2>&1", cmd, path);
	int st = system(full);
	free(full);
	if (out)
		(void)read_file(path, out, NULL);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int lava_setup(void **state)
{
	(void)state;
	if (access(PY, X_OK) != 0 || sh(PY " -c 'import yaml, lava_common.schemas'", NULL) != 0)
		lava_skip = "Debian's lava-common is not installed (" PY " -c 'import lava_common' fails)";
	if (lava_skip)
		printf("SKIP: lava: %s\n", lava_skip);
	return 0;
}

static const char *validate_job = PY " -c 'import sys, yaml; from lava_common.schemas import validate; "
				      "validate(yaml.safe_load(open(sys.argv[1]))); print(\"valid:\", sys.argv[1])' ";
static const char *validate_def = PY " -c 'import sys, yaml; from lava_common.schemas.test.testdef import validate; "
				      "validate(yaml.safe_load(open(sys.argv[1]))); print(\"valid:\", sys.argv[1])' ";

/* The example job and the definition are what LAVA accepts. */
static void test_schemas_accept(void **state)
{
	(void)state;
	char *out = NULL, *cmd = xasprintf("%s tools/lava/qemu-job.yaml", validate_job);
	int rc = sh(cmd, &out);
	if (rc != 0)
		fail_msg("%s: exit %d\n%s", cmd, rc, out);
	printf("%s", out);
	assert_non_null(strstr(out, "valid: tools/lava/qemu-job.yaml"));
	free(out);
	free(cmd);
	cmd = xasprintf("%s tools/lava/mph.yaml", validate_def);
	rc = sh(cmd, &out);
	if (rc != 0)
		fail_msg("%s: exit %d\n%s", cmd, rc, out);
	free(out);
	free(cmd);
}

/* The validator is not a rubber stamp: the same job without `visibility`, or with a
 * test definition name LAVA does not take, is refused. */
static void test_schemas_refuse(void **state)
{
	(void)state;
	char dir[] = "/tmp/mph-lava-XXXXXX";
	assert_non_null(mkdtemp(dir));
	static const char *const edits[] = { "/^visibility:/d", "s/name: mph-oom-basic/name: mph oom basic/" };
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		char *cmd = xasprintf("sed '%s' tools/lava/qemu-job.yaml >%s/job.yaml && %s %s/job.yaml", edits[i], dir,
				      validate_job, dir);
		char *out = NULL;
		int rc = sh(cmd, &out);
		if (rc == 0)
			fail_msg("the validator accepted a job edited with %s:\n%s", edits[i], out);
		assert_non_null(strstr(out, "Invalid"));
		free(out);
		free(cmd);
	}
	char *rm = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

/* The stand-in's log: each call's arguments one a line, an empty line after each. */
struct call {
	char *argv[8];
	size_t argc;
};

static size_t read_calls(const char *path, struct call *calls, size_t max)
{
	char *text = NULL;
	assert_int_equal(read_file(path, &text, NULL), 0);
	size_t n = 0;
	char *p = text;
	while (*p && n < max) {
		struct call *c = &calls[n];
		memset(c, 0, sizeof(*c));
		while (*p && *p != '\n') {
			char *nl = strchr(p, '\n');
			if (!nl)
				break;
			*nl = '\0';
			if (c->argc < ARRAY_SIZE(c->argv))
				c->argv[c->argc++] = xstrdup(p);
			p = nl + 1;
		}
		if (*p == '\n')
			p++;
		if (c->argc)
			n++;
	}
	free(text);
	return n;
}

static const char *opt(const struct call *c, const char *name)
{
	for (size_t i = 1; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], name) == 0)
			return c->argv[i + 1];
	return NULL;
}

static const struct call *find_call(const struct call *calls, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(calls[i].argv[0], id) == 0)
			return &calls[i];
	return NULL;
}

/* The definition's steps: clone this checkout at HEAD, build (incrementally: this
 * tree's build outputs are put beside the clone's sources first, so make relinks at
 * most), run tests/scenarios/int/ci-short.ini, report. Each assertion of plan.json
 * arrives once, with its verdict and the value it measured. */
static void test_steps_with_standin(void **state)
{
	(void)state;
	char *src = xasprintf("%s/src", itest_tmpdir), *work = xasprintf("%s/work", itest_tmpdir);
	char *log = xasprintf("%s/lava-test-case.log", itest_tmpdir), *out = NULL;
	char *cwd = getcwd(NULL, 0);
	char *seed = xasprintf("git clone -q . '%s' && tar --exclude=build/asan -cf - build mph workloads/anonleak "
			       "workloads/alloc workloads/overcommit workloads/pagecache workloads/shm workloads/fpm "
			       "workloads/probe workloads/exec | tar -C '%s' -xmf -",
			       src, src);
	if (sh(seed, &out) != 0)
		fail_msg("%s:\n%s", seed, out);
	free(out);
	char *rev = NULL;
	assert_int_equal(sh("git rev-parse HEAD", &rev), 0);
	strtrim(rev);
	char *cmd = xasprintf("PATH='%s/tests/lava/bin':\"$PATH\" LAVA_STANDIN_LOG='%s' MPH_WORK='%s' MPH_STATE_DIR='%s' "
			      PY " tests/lava/run-testdef.py tools/lava/mph.yaml MPH_REPO='%s' MPH_REVISION=%s "
			      "MPH_SRC='%s' MPH_SCENARIO=tests/scenarios/int/ci-short.ini MPH_RESULTS='%s' MPH_WAIT=10m",
			      cwd, log, work, itest_statedir, cwd, rev, src, itest_results);
	int rc = sh(cmd, &out);
	if (rc != 0)
		fail_msg("the steps exited %d:\n%s", rc, out);
	char *at = xasprintf("mph: %s at %s", cwd, rev);
	assert_non_null(strstr(out, at));
	free(at);

	struct call calls[64];
	size_t n = read_calls(log, calls, ARRAY_SIZE(calls));
	printf("lava-test-case was called %zu times:\n", n);
	for (size_t i = 0; i < n; i++) {
		printf(" ");
		for (size_t k = 0; k < calls[i].argc; k++)
			printf(" %s", calls[i].argv[k]);
		printf("\n");
	}
	const struct call *b = find_call(calls, n, "mph-build");
	assert_non_null(b);
	assert_string_equal(opt(b, "--result"), "pass");
	const struct call *pl = find_call(calls, n, "mph-plan");
	assert_non_null(pl);
	assert_string_equal(opt(pl, "--result"), "pass");
	assert_string_equal(opt(pl, "--measurement"), "1"); /* one assertion fails on purpose */

	/* plan.json, from the last line of mph's output the steps kept */
	char *runout = xasprintf("%s/run.out", work), *text = NULL;
	assert_int_equal(read_file(runout, &text, NULL), 0);
	struct proc_out po = { 0, text, NULL };
	char *plan_path = itest_last_line(&po);
	json_t *plan = json_load_file(plan_path, 0, NULL);
	assert_non_null(plan);
	size_t i, k, cases = 0;
	json_t *job, *a;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		const char *variant = itest_str(job, "variant");
		json_array_foreach(json_object_get(job, "assertions"), k, a) {
			char *id = xasprintf("ci-short.%s_r1.%s", strcmp(variant, "max=32M") == 0 ? "max_32M" : "max_96M",
					     itest_str(a, "name"));
			const struct call *c = find_call(calls, n, id);
			if (!c)
				fail_msg("no test case %s", id);
			assert_string_equal(opt(c, "--result"), itest_str(a, "verdict"));
			json_t *v = json_object_get(a, "value");
			if (json_is_integer(v)) {
				char num[32];
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
				assert_non_null(opt(c, "--measurement"));
				assert_string_equal(opt(c, "--measurement"), num);
				const char *name = itest_str(a, "name");
				assert_string_equal(opt(c, "--units"), strcmp(name, "peak") == 0 ? "bytes" : "count");
			} else {
				assert_null(opt(c, "--measurement")); /* an outcome is a word */
			}
			free(id);
			cases++;
		}
	}
	assert_int_equal(cases, 6);
	assert_int_equal(n, cases + 2);
	/* the plan's directory was packed for collection */
	char *tarball = NULL;
	char *ls = xasprintf("ls '%s'/mph-ci-short-*.tar.gz", work);
	assert_int_equal(sh(ls, &tarball), 0);
	free(ls);
	free(tarball);

	for (i = 0; i < n; i++)
		for (k = 0; k < calls[i].argc; k++)
			free(calls[i].argv[k]);
	json_decref(plan);
	free(plan_path);
	free(text);
	free(runout);
	free(out);
	free(cmd);
	free(rev);
	free(seed);
	free(cwd);
	free(log);
	free(work);
	free(src);
	itest_check_clean();
}

static int lava_each(void **state)
{
	(void)state;
	if (lava_skip)
		skip();
	return 0;
}

int main(void)
{
	const struct CMUnitTest schemas[] = {
		cmocka_unit_test_setup(test_schemas_accept, lava_each),
		cmocka_unit_test_setup(test_schemas_refuse, lava_each),
	};
	const struct CMUnitTest steps[] = {
		cmocka_unit_test_setup(test_steps_with_standin, itest_each_setup),
	};
	lava_setup(NULL);
	if (lava_skip)
		return 0;
	int r = cmocka_run_group_tests_name("lava schemas", schemas, NULL, NULL);
	return r + itest_run_group("lava steps", steps, itest_group_setup, itest_group_teardown);
}
