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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/host/journal.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

struct fx {
	char root[64];    /* fake /proc/sys */
	char state[80];   /* state dir */
	char cg[80];      /* stands in for the cgroup mph runs in */
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
	snprintf(f->cg, sizeof(f->cg), "%s/cg", f->root);
	mkdir(f->cg, 0755);
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
	j.cgroot = xstrdup(f->cg);
	char *cg = xasprintf("%s/mph-%d-1", f->cg, (int)getpid()); /* never made: a crash before mkdir */
	assert_int_equal(journal_add(&j, J_CGROUP, cg, NULL), 0);
	free(cg);
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

/* regression (found by tests/fuzz/fuzz_journal.c): the header was read with sscanf
 * from text that is len bytes and need not end in a NUL: past the end of the buffer */
static void test_parse_unterminated(void **state)
{
	(void)state;
	static const char hdr[] = "mph-journal 1 pid 12\nsysctl\tvm.swappiness\t60\n";
	for (size_t len = 1; len < sizeof(hdr) - 1; len++) {
		char *buf = malloc(len); /* exactly len bytes: ASan catches a read past them */
		assert_non_null(buf);
		memcpy(buf, hdr, len);
		struct journal_entry *e = NULL;
		size_t n = 0;
		int pid = 0, bad = 0;
		int r = journal_parse(buf, len, &e, &n, &pid, &bad);
		if (len < 21) /* no whole header line */
			assert_int_equal(r, -EINVAL);
		else
			assert_int_equal(pid, 12);
		journal_entries_free(e, n);
		free(buf);
	}
}

static void test_parse(void **state)
{
	(void)state;
	struct journal_entry *e = NULL;
	size_t n = 0;
	int bad = 0, pid = 0;
#define PARSE(text) journal_parse(text, sizeof(text) - 1, &e, &n, &pid, &bad)
	/* a torn last line (no newline) is a change that was never made */
	assert_int_equal(PARSE("mph-journal 1 pid 5\nsysctl\tvm.swappiness\t60\nswap\t/x.img\ncgroup\t/sys/fs/cgro"), 0);
	assert_int_equal(pid, 5);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].kind, J_SYSCTL);
	assert_string_equal(e[0].a, "vm.swappiness");
	assert_string_equal(e[0].b, "60");
	assert_int_equal(e[0].line, 2);
	assert_null(e[0].bad);
	assert_int_equal(e[1].kind, J_SWAP);
	assert_null(e[1].b);
	journal_entries_free(e, n);
	assert_int_equal(PARSE("not a journal\n"), -EINVAL);
	assert_int_equal(bad, 1);
	assert_int_equal(PARSE("mph-journal 1 pid x\n"), -EINVAL);
	/* lines that do not parse are entries with the reason, at their line */
	assert_int_equal(PARSE("mph-journal 1 pid 5\nsysctl\tvm.swappiness\nswap\t/x\nbogus\t/y\n"), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].bad, "a sysctl entry has a name and a value");
	assert_null(e[1].bad);
	assert_string_equal(e[2].bad, "not a kind of entry mph writes (sysctl, swap, cgroup, trace, tracefs, action)");
	assert_int_equal(e[2].line, 4);
	journal_entries_free(e, n);
	/* regression (fixed): text after a NUL byte was not seen at all */
	assert_int_equal(PARSE("mph-journal 1 pid 5\nswap\t/x\n\0\0cgroup\t/y\n\0\0"), 0);
	assert_int_equal(n, 3);
	assert_null(e[0].bad);
	assert_string_equal(e[1].bad, "NUL bytes: not a line mph wrote");
	assert_int_equal(e[2].line, 4); /* a torn last line with NUL bytes is corrupt, not torn */
	assert_string_equal(e[2].bad, "NUL bytes: not a line mph wrote");
	journal_entries_free(e, n);
#undef PARSE
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
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.watermark_scale_factor", "10"), 0);
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

/* ---- hostile journals: replay checks every entry -------------------------------- */

/* The journal file with exactly len bytes of text (a "hostile" one, written by hand). */
static void write_journal(const struct journal *j, const char *text, size_t len)
{
	FILE *fp = fopen(j->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static char *replay_log(struct journal *j, int want)
{
	char *log = NULL;
	size_t loglen = 0;
	FILE *lf = open_memstream(&log, &loglen);
	assert_int_equal(journal_replay(j, lf), want);
	fclose(lf);
	return log;
}

static void touch(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void assert_text(const char *path, const char *want)
{
	char *t = NULL;
	assert_int_equal(read_file(path, &t, NULL), 0);
	assert_string_equal(t, want);
	free(t);
}

/* regression (fixed): "swap<TAB>/any/file" deleted that file. Only mph's own swap
 * files, <state dir>/swap-<journal's pid>-<N>.img, are switched off and deleted. */
static void test_hostile_swap(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	char *victim = xasprintf("%s/victim", f->root), *other = xasprintf("%s/swap-99-1.img", f->state);
	char *elsewhere = xasprintf("%s/swap-42-1.img", f->root), *ours = xasprintf("%s/swap-42-1.img", f->state);
	touch(victim, "keep\n");
	touch(other, "keep\n");     /* another run's name (pid 99) */
	touch(elsewhere, "keep\n"); /* the right name outside the state directory */
	touch(ours, "");            /* mph's: not an active swap area, so swapoff has nothing to do */
	char *text = xasprintf("mph-journal 1 pid 42 boot unknown\nswap\t%s\nswap\t%s\nswap\t%s\nswap\t%s\n", victim, other,
			       elsewhere, ours);
	write_journal(&j, text, strlen(text));
	char *log = replay_log(&j, -EBADMSG);
	assert_text(victim, "keep\n");
	assert_text(other, "keep\n");
	assert_text(elsewhere, "keep\n");
	assert_int_not_equal(access(ours, F_OK), 0); /* the valid entry is still undone */
	assert_true(journal_exists(&j));              /* and the journal kept */
	char *want = xasprintf("%s:2: refused, not an entry mph writes: %s is not a swap file mph makes", j.path, victim);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, ":3: refused"));
	assert_non_null(strstr(log, ":4: refused"));
	free(want);
	free(log);
	/* a symlink with mph's name is not a swap file mph made */
	unlink(j.path);
	assert_int_equal(symlink(victim, ours), 0);
	free(text);
	text = xasprintf("mph-journal 1 pid 42 boot unknown\nswap\t%s\n", ours);
	write_journal(&j, text, strlen(text));
	log = replay_log(&j, -EBADMSG);
	assert_text(victim, "keep\n");
	assert_non_null(strstr(log, "is not a regular file"));
	free(log);
	unlink(j.path);
	free(text);
	free(victim);
	free(other);
	free(elsewhere);
	free(ours);
	journal_unlock(&j);
}

/* regression (fixed): "cgroup<TAB>/any/dir" SIGKILLed the pids listed in its
 * cgroup.procs. Only <the cgroup mph runs in>/mph-<journal's pid>-<N> is touched. */
static void test_hostile_cgroup(void **state)
{
	struct fx *f = *state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	j.cgroot = xstrdup(f->cg);
	char *dirs[3] = { xasprintf("%s/victim", f->root), xasprintf("%s/mph-42-1", f->root), xasprintf("%s/mph-7-1", f->cg) };
	char *text = xasprintf("mph-journal 1 pid 42 boot unknown\n");
	for (size_t i = 0; i < 3; i++) {
		mkdir(dirs[i], 0755);
		char *procs = xasprintf("%s/cgroup.procs", dirs[i]), *pids = xasprintf("%d\n", (int)child);
		touch(procs, pids);
		free(procs);
		free(pids);
		char *t = xasprintf("%scgroup\t%s\n", text, dirs[i]);
		free(text);
		text = t;
	}
	write_journal(&j, text, strlen(text));
	char *log = replay_log(&j, -EBADMSG);
	int st;
	assert_int_equal(waitpid(child, &st, WNOHANG), 0); /* still alive */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(access(dirs[i], F_OK), 0);
		char *want = xasprintf(":%zu: refused, not an entry mph writes: %s is not a cgroup mph creates", i + 2, dirs[i]);
		assert_non_null(strstr(log, want));
		free(want);
		free(dirs[i]);
	}
	assert_true(journal_exists(&j));
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	unlink(j.path);
	free(log);
	free(text);
	journal_unlock(&j);
}

/* regression (fixed): a sysctl off the allowed list was written, and so was a value
 * out of range. With a refused line in the journal no sysctl is written at all (the
 * refused line may have held the original value): their recorded values are shown. */
static void test_hostile_sysctl(void **state)
{
	struct fx *f = *state;
	char *kd = xasprintf("%s/kernel", f->root), *cp = xasprintf("%s/kernel/core_pattern", f->root);
	mkdir(kd, 0755);
	touch(cp, "core\n");
	put(f->root, "vm.swappiness", "10");
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	static const char text[] = "mph-journal 1 pid 42 boot unknown\n"
				   "sysctl\tvm.swappiness\t60\n"
				   "sysctl\tkernel.core_pattern\t|/tmp/evil\n"
				   "sysctl\tvm.min_free_kbytes\t99999999999\n";
	write_journal(&j, text, sizeof(text) - 1);
	char *log = replay_log(&j, -EBADMSG);
	assert_text(cp, "core\n");
	assert_sysctl(f->root, "vm.min_free_kbytes", "67584");
	assert_sysctl(f->root, "vm.swappiness", "10");
	assert_non_null(strstr(log, ":3: refused, not an entry mph writes: kernel.core_pattern is not a sysctl mph sets"));
	assert_non_null(strstr(log, ":4: refused, not an entry mph writes: vm.min_free_kbytes = 99999999999 is out of range"));
	assert_non_null(strstr(log, "sysctl vm.swappiness: not restored (the journal is corrupt); line 2 recorded 60"));
	assert_true(journal_exists(&j));
	unlink(j.path);
	free(log);
	free(kd);
	free(cp);
	journal_unlock(&j);
}

/* regression (fixed): NUL bytes after line 3 hid the rest of the journal: restore
 * reported success and deleted the journal, leaving the cgroup of line 4 in place. */
static void test_nul_bytes(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	j.cgroot = xstrdup(f->cg);
	char *sw = xasprintf("%s/swap-42-1.img", f->state), *cg = xasprintf("%s/mph-42-1", f->cg);
	touch(sw, "");
	char *head = xasprintf("mph-journal 1 pid 42 boot unknown\nsysctl\tvm.swappiness\t60\nswap\t%s\n", sw);
	char *tail = xasprintf("cgroup\t%s\n", cg);
	size_t hl = strlen(head), tl = strlen(tail);
	char *text = xcalloc(1, hl + 4 + tl);
	memcpy(text, head, hl);
	memcpy(text + hl + 4, tail, tl); /* four NUL bytes at the start of line 4 */
	write_journal(&j, text, hl + 4 + tl);
	put(f->root, "vm.swappiness", "10");
	char *log = replay_log(&j, -EBADMSG);
	assert_non_null(strstr(log, ":4: refused, not an entry mph writes: NUL bytes: not a line mph wrote"));
	assert_true(journal_exists(&j));
	assert_int_not_equal(access(sw, F_OK), 0);     /* mph's own swap file: undone */
	assert_sysctl(f->root, "vm.swappiness", "10"); /* not written, shown */
	assert_non_null(strstr(log, "sysctl vm.swappiness: not restored (the journal is corrupt); line 2 recorded 60"));
	free(log);
	/* a journal cut to zeros after a power loss is kept too: only a beginning of
	 * mph's header means "nothing was changed yet" */
	write_journal(&j, "\0\0\0\0", 4);
	log = replay_log(&j, -EBADMSG);
	assert_true(journal_exists(&j));
	free(log);
	unlink(j.path);
	free(text);
	free(head);
	free(tail);
	free(sw);
	free(cg);
	journal_unlock(&j);
}

/* what replay refuses, journal_add refuses: no journal is written that cannot be replayed */
/* A timed action's line: written before it is done, read back, and replayed by
 * restore as a report only (nothing to undo), between entries that are undone. */
static void test_action_entry(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "60"), 0);
	put(f->root, "vm.swappiness", "10");
	assert_int_equal(journal_add(&j, J_ACTION, "drop", "drop_caches 3"), 0);
	assert_int_equal(journal_add(&j, J_ACTION, "reload.1", "signal pool SIGUSR2 pid 1234"), 0);
	assert_int_equal(journal_add(&j, J_ACTION, "squeeze", "compact"), 0);
	/* only what mph writes: its name rule, one of its actions, printable text */
	assert_int_equal(journal_add(&j, J_ACTION, "../x", "compact"), -EINVAL);
	assert_int_equal(journal_add(&j, J_ACTION, ".hidden", "compact"), -EINVAL);
	assert_int_equal(journal_add(&j, J_ACTION, "drop", "rm -rf /"), -EINVAL);
	assert_int_equal(journal_add(&j, J_ACTION, "drop", "compact\x01"), -EINVAL);
	assert_int_equal(journal_add(&j, J_ACTION, "drop", "drop_caches\t3"), -EINVAL);
	assert_int_equal(journal_add(&j, J_ACTION, "drop", NULL), -EINVAL);

	/* a killed run: the journal is what `mph restore` finds */
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(read_file(j.path, &text, &len), 0);
	struct journal_entry *e = NULL;
	size_t n = 0;
	int pid = 0, bad = 0;
	assert_int_equal(journal_parse(text, len, &e, &n, &pid, &bad), 0);
	assert_int_equal(n, 4);
	assert_int_equal(e[1].kind, J_ACTION);
	assert_string_equal(e[1].a, "drop");
	assert_string_equal(e[1].b, "drop_caches 3");
	assert_string_equal(e[2].b, "signal pool SIGUSR2 pid 1234");
	assert_null(e[3].bad);
	journal_entries_free(e, n);
	free(text);
	/* an action line with one field is not one mph writes */
	static const char one[] = "mph-journal 1 pid 7\naction\tdrop\n";
	assert_int_equal(journal_parse(one, sizeof(one) - 1, &e, &n, &pid, &bad), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].bad, "an action entry has a name and what it did");
	journal_entries_free(e, n);

	char *log = NULL;
	size_t loglen = 0;
	FILE *lf = open_memstream(&log, &loglen);
	assert_int_equal(journal_replay(&j, lf), 0);
	fclose(lf);
	assert_non_null(strstr(log, "action drop (drop_caches 3) was done during the run: nothing to undo"));
	assert_non_null(strstr(log, "action reload.1 (signal pool SIGUSR2 pid 1234) was done"));
	free(log);
	assert_sysctl(f->root, "vm.swappiness", "60"); /* the entries around it are still undone */
	assert_false(journal_exists(&j));
	journal_unlock(&j);
}

static void test_add_checks_entries(void **state)
{
	struct fx *f = *state;
	struct journal j;
	assert_int_equal(journal_lock(&j, f->state, f->root, 0, NULL), 0);
	j.cgroot = xstrdup(f->cg);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "kernel.core_pattern", "x"), -EINVAL);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "201"), -EINVAL);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.dirty_bytes", "0"), 0); /* the partner is in force */
	assert_int_equal(journal_add(&j, J_SWAP, "/etc/passwd", NULL), -EINVAL);
	char *p = xasprintf("%s/swap-%d-1.img", f->state, (int)getpid());
	assert_int_equal(journal_add(&j, J_SWAP, p, NULL), 0);
	free(p);
	p = xasprintf("%s/mph-%d-1", f->root, (int)getpid());
	assert_int_equal(journal_add(&j, J_CGROUP, p, NULL), -EINVAL);
	free(p);
	p = xasprintf("%s/mph-%d-1", f->cg, (int)getpid());
	assert_int_equal(journal_add(&j, J_CGROUP, p, NULL), 0);
	free(p);
	/* regression (fixed): mph record's own cgroup was refused, so `mph record --
	 * CMD` failed before it started ("cannot write the journal: Invalid argument") */
	p = xasprintf("%s/mph-rec-%d", f->cg, (int)getpid());
	assert_int_equal(journal_add(&j, J_CGROUP, p, NULL), 0);
	free(p);
	p = xasprintf("%s/mph-rec-%d", f->cg, (int)getpid() + 1);
	assert_int_equal(journal_add(&j, J_CGROUP, p, NULL), -EINVAL);
	free(p);
	p = xasprintf("%s/mph-rec-%d-1", f->cg, (int)getpid());
	assert_int_equal(journal_add(&j, J_CGROUP, p, NULL), -EINVAL);
	free(p);
	/* tracefs instances: mph-<pid> in the instances directory of the usual mounts or
	 * of mph's own; nothing else (the replay rmdirs it) */
	int pid = (int)getpid();
	char *bad[] = { xasprintf("/sys/kernel/tracing/instances/mph-%d", pid + 1),
			xasprintf("/sys/kernel/tracing/instances/x/mph-%d", pid),
			xasprintf("/sys/kernel/tracing/../../../tmp/instances/mph-%d", pid),
			xasprintf("/tmp/instances/mph-%d", pid),
			xasprintf("/sys/kernel/tracing/mph-%d", pid),
			xasprintf("%s/tracefs-%d/instances/mph-%d", f->root, pid, pid),
			xasprintf("%s/tracefs-%d/instances/mph-%d", f->state, pid + 1, pid),
			/* the OOM watch's instance is mph-<pid>-oom, exactly */
			xasprintf("/sys/kernel/tracing/instances/mph-%d-oom", pid + 1),
			xasprintf("/sys/kernel/tracing/instances/mph-%d-oomx", pid),
			xasprintf("/sys/kernel/tracing/instances/mph-%d-1", pid) };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(journal_add(&j, J_TRACE, bad[i], NULL), -EINVAL);
		free(bad[i]);
	}
	char *good[] = { xasprintf("/sys/kernel/tracing/instances/mph-%d", pid),
			 xasprintf("%s/tracefs-%d/instances/mph-%d", f->state, pid, pid),
			 xasprintf("/sys/kernel/tracing/instances/mph-%d-oom", pid),
			 xasprintf("%s/tracefs-%d/instances/mph-%d-oom", f->state, pid, pid) };
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(journal_add(&j, J_TRACE, good[i], NULL), 0);
		free(good[i]);
	}
	/* a tracefs mount of mph's own: <state dir>/tracefs-<pid> only */
	assert_int_equal(journal_add(&j, J_TRACEFS, "/sys/kernel/tracing", NULL), -EINVAL);
	p = xasprintf("%s/tracefs-%d", f->root, pid);
	assert_int_equal(journal_add(&j, J_TRACEFS, p, NULL), -EINVAL);
	free(p);
	p = xasprintf("%s/tracefs-%d", f->state, pid + 1);
	assert_int_equal(journal_add(&j, J_TRACEFS, p, NULL), -EINVAL);
	free(p);
	p = xasprintf("%s/tracefs-%d", f->state, pid);
	assert_int_equal(journal_add(&j, J_TRACEFS, p, NULL), 0);
	/* not mounted, no directory: replay has nothing to undo and succeeds */
	free(p);
	assert_int_equal(journal_replay(&j, NULL), 0);
	journal_unlock(&j);
}

/* ---- the machine-wide record of pending changes ------------------------------------ */

/* regression (fixed): the "restore first" guard looked at one state directory only:
 * a run with state directory B took A's interrupted changes as the machine's. */
static void test_pending_record(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/A", f->root), *b = xasprintf("%s/B", f->root);
	struct journal j;
	assert_int_equal(journal_lock(&j, a, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	assert_int_equal(journal_add(&j, J_SYSCTL, "vm.swappiness", "60"), 0);
	put(f->root, "vm.swappiness", "1");
	journal_unlock(&j); /* killed */

	char **dirs = NULL;
	size_t n = 0;
	char *ra = realpath(a, NULL);
	assert_int_equal(journal_pending(f->root, b, true, &dirs, &n), 1);
	assert_string_equal(dirs[0], ra);
	journal_pending_free(dirs, n);
	/* seen from A itself, there is nothing else (its own journal is journal_exists()'s) */
	assert_int_equal(journal_pending(f->root, a, true, &dirs, &n), 0);
	/* both state directories take one lock: the stand-in machine's */
	struct journal jb, ja;
	int holder = 0;
	assert_int_equal(journal_lock(&jb, b, f->root, 0, NULL), 0);
	assert_int_equal(journal_lock(&ja, a, f->root, 0, &holder), -EBUSY);
	journal_unlock(&ja);
	journal_unlock(&jb);

	assert_int_equal(journal_lock(&j, a, f->root, 0, NULL), 0);
	assert_int_equal(journal_replay(&j, NULL), 0);
	journal_unlock(&j);
	assert_sysctl(f->root, "vm.swappiness", "60");
	assert_int_equal(journal_pending(f->root, b, true, &dirs, &n), 0);
	char *pd = journal_pending_dir(f->root);
	assert_true(dir_is_empty(pd));
	free(pd);
	free(ra);
	free(a);
	free(b);
}

/* A record whose journal is gone (a crash between removing the two) is stale:
 * pruned under the lock, never a reason to refuse. */
static void test_pending_stale(void **state)
{
	struct fx *f = *state;
	char *a = xasprintf("%s/A", f->root);
	struct journal j;
	assert_int_equal(journal_lock(&j, a, f->root, 0, NULL), 0);
	assert_int_equal(journal_begin(&j), 0);
	unlink(j.path);
	journal_unlock(&j);
	char **dirs = NULL;
	size_t n = 0;
	char *pd = journal_pending_dir(f->root);
	assert_false(dir_is_empty(pd));
	assert_int_equal(journal_pending(f->root, NULL, false, &dirs, &n), 0);
	assert_false(dir_is_empty(pd)); /* not pruned without the lock */
	assert_int_equal(journal_pending(f->root, NULL, true, &dirs, &n), 0);
	assert_true(dir_is_empty(pd));
	/* a record that is not one mph wrote names nothing */
	char *junk = xasprintf("%s/junk", pd);
	touch(junk, "relative/path\n");
	assert_int_equal(journal_pending(f->root, NULL, false, &dirs, &n), 0);
	free(junk);
	free(pd);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_and_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_and_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_run, setup, teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_unterminated),
		cmocka_unit_test_setup_teardown(test_add_rejects_separators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_keeps_journal_on_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebooted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pair_both_zero, setup, teardown),
		cmocka_unit_test(test_sysctl_paths),
		cmocka_unit_test_setup_teardown(test_hostile_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cgroup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_sysctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_checks_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_stale, setup, teardown),
	};
	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
