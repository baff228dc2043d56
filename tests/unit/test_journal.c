/* test_journal.c - the journal and restore logic, against a temporary directory that
 * stands in for /proc/sys (the root prefix), so no real sysctl is touched. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/host/journal.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

struct fx {
	char root[64];    /* fake /proc/sys */
	char state[80];   /* state dir */
};

static void put(const char *root, const char *name, const char *v)
{
	assert_int_equal(sysctl_write(root, name, v), 0);
}

static char *get(const char *root, const char *name)
{
	char *v = NULL;
	assert_int_equal(sysctl_read(root, name, &v), 0);
	return v;
}

static void assert_sysctl(const char *root, const char *name, const char *want)
{
	char *v = get(root, name);
	if (strcmp(v, want) != 0)
		fail_msg("%s is '%s', expected '%s'", name, v, want);
	free(v);
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/mph-test-sysroot-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	char *vm = xasprintf("%s/vm", f->root);
	mkdir(vm, 0755);
	static const char *const init[][2] = {
		{ "swappiness", "60\n" }, { "min_free_kbytes", "67584\n" }, { "dirty_ratio", "20\n" },
		{ "dirty_bytes", "0\n" }, { "overcommit_ratio", "50\n" }, { "overcommit_kbytes", "0\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
		char *p = xasprintf("%s/%s", vm, init[i][0]);
		FILE *fp = fopen(p, "w");
		fputs(init[i][1], fp);
		fclose(fp);
		free(p);
	}
	free(vm);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->root);
	int r = system(cmd);
	free(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static void test_apply_and_replay(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_false(journal_exists(&j));
	assert_int_equal(journal_begin(&j), 0);
	assert_true(journal_exists(&j));
	/* write-ahead: record, then change */
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "60"), 0);
	put(f->root, "vm.swappiness", "10");
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.min_free_kbytes", "67584"), 0);
	put(f->root, "vm.min_free_kbytes", "90000");
	/* a second change of the same sysctl: only the oldest value counts */
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "10"), 0);
	put(f->root, "vm.swappiness", "0");
	assert_int_equal(journal_add(&j, J_CGROUP, "/nonexistent/mph-test-cgroup", NULL), 0);
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_sysctl(f->root, "vm.swappiness", "60");
	assert_sysctl(f->root, "vm.min_free_kbytes", "67584");
	assert_false(journal_exists(&j));
	journal_unlock(&j);
}

static void test_pairs(void **state)
{
	/* dirty_bytes set: the kernel zeroes dirty_ratio. Restore must write
	 * dirty_ratio back (which zeroes dirty_bytes in the kernel) and must NOT write
	 * dirty_bytes=0, which the kernel rejects. The fake files keep what is written,
	 * so dirty_bytes staying 1000000 proves it was not written. */
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.dirty_bytes", "0"), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.dirty_ratio", "20"), 0);
	put(f->root, "vm.dirty_bytes", "1000000");
	put(f->root, "vm.dirty_ratio", "0");
	char *log = NULL;
	size_t loglen = 0;
	FILE *lf = open_memstream(&log, &loglen);
	assert_int_equal(journal_replay(&j, lf), 0);
	fclose(lf);
	assert_sysctl(f->root, "vm.dirty_ratio", "20");
	assert_sysctl(f->root, "vm.dirty_bytes", "1000000");
	assert_non_null(strstr(log, "vm.dirty_bytes: restored through vm.dirty_ratio = 20"));
	free(log);
	journal_unlock(&j);
}

static void test_lock_and_pending(void **state)
{
	struct fx *f = *state;
	struct journal a, b;
	int holder = 0;
	assert_int_equal(journal_lock(&a, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_lock(&b, f->state, f->root, 0, &holder), -EBUSY);
	assert_int_equal(holder, getpid());
	journal_unlock(&b);
	assert_int_equal(journal_begin(&a), 0);
	journal_unlock(&a); /* "crash": the journal stays */
	assert_int_equal(journal_lock(&a, f->state, f->root, 0, NULL), 0);
	assert_true(journal_exists(&a));
	assert_int_equal(journal_begin(&a), -EEXIST);
	assert_int_equal(journal_replay(&a, NULL), 0);
	assert_false(journal_exists(&a));
	journal_unlock(&a);
}

/* A child takes the lock, journals and changes a sysctl, and dies by SIGKILL without
 * undoing anything - as `kill -9 mph` would. The lock must be free again, the
 * journal present, and replay must restore the value. */
static void test_killed_run(void **state)
{
	struct fx *f = *state;
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct journal j;
		if (journal_lock(&j, f->state, f->root, 0, NULL) < 0 || journal_begin(&j) < 0 ||
		    journal_add(&j, J_SYSCTL, "vm.swappiness", "60") < 0 || sysctl_write(f->root, "vm.swappiness", "1") < 0)
			_exit(1);
		(void)!write(pfd[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	struct journal j;
	int holder = 0;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, &holder), -EBUSY);
	assert_int_equal(holder, pid);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	assert_sysctl(f->root, "vm.swappiness", "1");
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_true(journal_exists(&j));
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_sysctl(f->root, "vm.swappiness", "60");
	journal_unlock(&j);
}

static void test_parse(void **state)
{
	(void)state;
	struct journal_entry *e = NULL;
	size_t n = 0;
	int bad = 0;
	/* a torn last line (no newline) is a change that was never made */
	assert_int_equal(journal_parse("mph-journal 1 pid 5\nsysctl\tvm.swappiness\t60\nswap\t/x.img\ncgroup\t/sys/fs/cgro", &e, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].kind, J_SYSCTL);
	assert_string_equal(e[0].a, "vm.swappiness");
	assert_string_equal(e[0].b, "60");
	assert_int_equal(e[1].kind, J_SWAP);
	assert_null(e[1].b);
	journal_entries_free(e, n);
	assert_int_equal(journal_parse("not a journal\n", &e, &n, &bad), -EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(journal_parse("mph-journal 1 pid 5\nsysctl\tvm.swappiness\n", &e, &n, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	assert_int_equal(journal_parse("mph-journal 1 pid 5\nswap\t/x\nbogus\t/y\n", &e, &n, &bad), -EINVAL);
	assert_int_equal(bad, 3);
}

static void test_add_rejects_separators(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_add(&j, J_SWAP, "/x", NULL), -EBADF); /* not begun */
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SWAP, "/x\ty", NULL), -EINVAL);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "6\n0"), -EINVAL);
	assert_int_equal(journal_replay(&j, NULL), 0);
	journal_unlock(&j);
}

static void test_replay_keeps_journal_on_failure(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	/* a sysctl whose file is gone cannot be restored: the journal must stay */
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.no_such_knob", "1"), 0);
	assert_int_equal(journal_replay(&j, NULL), -ENOENT);
	assert_true(journal_exists(&j));
	journal_unlock(&j);
	char *p = xasprintf("%s/journal", f->state);
	unlink(p);
	free(p);
}

/* A crash between creating the journal and writing its first line: nothing was
 * changed, so restore must clear it rather than refuse forever. */
static void test_torn_header(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	FILE *fp = fopen(j.path, "w");
	fputs("mph-jour", fp);
	fclose(fp);
	assert_true(journal_exists(&j));
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_false(journal_exists(&j));
	journal_unlock(&j);
}

/* After a reboot the sysctls are the boot's: restore leaves them alone. */
static void test_rebooted(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	FILE *fp = fopen(j.path, "w");
	fputs("mph-journal 1 pid 1 boot 00000000-0000-0000-0000-000000000000\nsysctl\tvm.swappiness\t33\n", fp);
	fclose(fp);
	put(f->root, "vm.swappiness", "60");
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_sysctl(f->root, "vm.swappiness", "60");
	assert_false(journal_exists(&j));
	/* the same boot: restored */
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "33"), 0);
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_sysctl(f->root, "vm.swappiness", "33");
	journal_unlock(&j);
}

/* dirty_ratio and dirty_bytes both 0 before: dirty_bytes=0 would be refused by the
 * kernel; writing dirty_ratio=0 restores both. */
static void test_pair_both_zero(void **state)
{
	struct fx *f = *state;
	struct journal j;
	put(f->root, "vm.dirty_ratio", "0");
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.dirty_bytes", "0"), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.dirty_ratio", "0"), 0);
	put(f->root, "vm.dirty_bytes", "1000000");
	assert_int_equal(journal_replay(&j, NULL), 0);
	assert_sysctl(f->root, "vm.dirty_ratio", "0");
	assert_sysctl(f->root, "vm.dirty_bytes", "1000000"); /* not written: the kernel would refuse 0 */
	journal_unlock(&j);
}

static void test_sysctl_paths(void **state)
{
	(void)state;
	char *p = sysctl_path("/proc/sys", "vm.swappiness");
	assert_string_equal(p, "/proc/sys/vm/swappiness");
	free(p);
	p = sysctl_path("/proc/sys", "vm.page-cluster");
	assert_string_equal(p, "/proc/sys/vm/page-cluster");
	free(p);
	assert_null(sysctl_path("/proc/sys", "vm..swappiness"));
	assert_null(sysctl_path("/proc/sys", "../etc/passwd"));
	assert_null(sysctl_path("/proc/sys", "vm/swappiness"));
	assert_null(sysctl_path("/proc/sys", ".vm"));
	assert_null(sysctl_path("/proc/sys", "vm."));
	assert_null(sysctl_path("/proc/sys", ""));
	char err[128];
	long long v;
	assert_int_equal(sysctl_check(sysctl_find("vm.swappiness"), "200", &v, err, sizeof(err)), 0);
	assert_int_equal(sysctl_check(sysctl_find("vm.swappiness"), "201", &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "vm.swappiness = 201 is out of range (allowed 0..200)");
	assert_int_equal(sysctl_check(sysctl_find("vm.overcommit_memory"), "1x", &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(sysctl_suggest("swappiness"), "vm.swappiness");
	assert_string_equal(sysctl_suggest("vm.min_free_kbyte"), "vm.min_free_kbytes");
	assert_null(sysctl_find("vm.drop_caches")); /* an action, not a setting */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_and_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_run, setup, teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_add_rejects_separators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_keeps_journal_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebooted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pair_both_zero, setup, teardown),
		cmocka_unit_test(test_sysctl_paths),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
