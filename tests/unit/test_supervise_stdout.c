/* test_supervise.c - where a workload's stdout goes: a new <name>.stdout in the run
 * directory, never a file that is there already nor what a symlink points to (mph
 * runs as root). Workloads here are /bin/sh one-liners, in mph's own cgroup (cg NULL,
 * as `mph record -- CMD` runs them). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/host/supervise.h"
#include "../../harness/core/util.h"

struct fx {
	char dir[64];
	struct supervisor s;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mph-test-sup-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sup_free(&f->s);
	int r = rm_rf(f->dir);
	free(f);
	return r;
}

/* One workload "w" printing hello, its stdout to <dir>/w.stdout. */
static void one_workload(struct fx *f)
{
	f->s.n = 1;
	f->s.w = xcalloc(1, sizeof(*f->s.w));
	f->s.timeout_ms = 10000;
	struct wl_proc *w = &f->s.w[0];
	w->name = "w";
	w->type = "sh";
	w->argv = xcalloc(4, sizeof(char *));
	w->argv[0] = xstrdup("/bin/sh");
	w->argv[1] = xstrdup("-c");
	w->argv[2] = xstrdup("echo hello");
	w->out_path = xasprintf("%s/w.stdout", f->dir);
}

static void assert_file(const char *path, const char *want)
{
	char *text = NULL;
	assert_int_equal(read_file(path, &text, NULL), 0);
	assert_string_equal(text, want);
	free(text);
}

static void test_stdout_new_file(void **state)
{
	struct fx *f = *state;
	one_workload(f);
	assert_int_equal(sup_start(&f->s, NULL), 0);
	assert_int_equal(sup_wait(&f->s, -1), 0);
	assert_file(f->s.w[0].out_path, "hello\n");
}

/* regression (fixed): <name>.stdout was opened with O_CREAT|O_TRUNC, following a
 * symlink: as root, whatever it pointed to was emptied and overwritten */
static void test_stdout_symlink_refused(void **state)
{
	struct fx *f = *state;
	one_workload(f);
	char *victim = xasprintf("%s/victim", f->dir);
	FILE *fp = fopen(victim, "w");
	fputs("keep\n", fp);
	fclose(fp);
	assert_int_equal(symlink(victim, f->s.w[0].out_path), 0);
	int r = sup_start(&f->s, NULL);
	if (r == 0)
		(void)sup_wait(&f->s, -1);
	assert_int_equal(r, -EEXIST);
	assert_string_equal(f->s.w[0].start_what, "creating its stdout file");
	assert_file(victim, "keep\n");
	free(victim);
}

/* a file already there (another workload's, say) is not written into either */
static void test_stdout_existing_refused(void **state)
{
	struct fx *f = *state;
	one_workload(f);
	FILE *fp = fopen(f->s.w[0].out_path, "w");
	fputs("other\n", fp);
	fclose(fp);
	int r = sup_start(&f->s, NULL);
	if (r == 0)
		(void)sup_wait(&f->s, -1);
	assert_int_equal(r, -EEXIST);
	assert_file(f->s.w[0].out_path, "other\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stdout_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout_existing_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("supervise", tests, NULL, NULL);
}
