/* test_sysctld.c - sysctl.d files as mph ab reads them: comments, whitespace, '-'
 * and '/' as systemd-sysctl reads them, and every problem at its line. The '-' keys
 * are checked against a stand-in /proc/sys. */
#define _GNU_SOURCE
#include <errno.h>
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

#include "../../harness/core/util.h"
#include "../../harness/scenario/sysctld.h"

static char root[] = "/tmp/mph-sysctld-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	char *vm = xasprintf("%s/vm", root), *f = xasprintf("%s/vm/swappiness", root);
	int r = mkdir(vm, 0755);
	FILE *fp = fopen(f, "w");
	if (fp)
		fputs("60\n", fp), fclose(fp);
	free(vm);
	free(f);
	return r < 0 || !fp ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	return rm_rf(root);
}

static void test_accepted(void **state)
{
	(void)state;
	const char *text = "# tuning for the web tier\n"
			   "; an old-style comment\n"
			   "\n"
			   "   vm.swappiness   =   10   \n"
			   "vm/page-cluster=0\n"
			   "-vm.watermark_boost_factor = 0\n"
			   "-net.core.somaxconn = 4096\n"
			   "\tvm.vfs_cache_pressure = 200\n"
			   "vm.swappiness = 20\n";
	struct sysctld s;
	struct diags d = { .file = xstrdup("web.conf") };
	assert_int_equal(sysctld_parse("web.conf", text, root, false, &s, &d), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s.n, 3);
	/* the last assignment wins, at its line */
	const struct sysctld_entry *e = sysctld_find(&s, "vm.swappiness");
	assert_non_null(e);
	assert_string_equal(e->value, "20");
	assert_int_equal(e->line, 9);
	e = sysctld_find(&s, "vm.page-cluster");
	assert_non_null(e);
	assert_string_equal(e->value, "0");
	assert_int_equal(e->line, 5);
	assert_non_null(sysctld_find(&s, "vm.vfs_cache_pressure"));
	/* '-' keys this machine lacks are skipped with a note */
	assert_null(sysctld_find(&s, "vm.watermark_boost_factor"));
	assert_int_equal(s.nnotes, 2);
	assert_string_equal(s.notes[0], "web.conf:6: -vm.watermark_boost_factor: not on this machine, skipped");
	assert_string_equal(s.notes[1], "web.conf:7: -net.core.somaxconn: not on this machine, skipped");
	sysctld_free(&s);
	diags_free(&d);
}

static void test_problems_at_their_lines(void **state)
{
	(void)state;
	const char *text = "vm.swappiness = 10\n"           /* 1 fine */
			   "vm.swapiness = 10\n"            /* 2 typo */
			   "kernel.panic = 1\n"             /* 3 not allowed */
			   "vm.swappiness = 500\n"          /* 4 out of range */
			   "vm.dirty_ratio\n"               /* 5 no '=' */
			   "vm.dirty_ratio = \n"            /* 6 no value */
			   "net.ipv4.conf.*.rp_filter = 1\n" /* 7 a glob */
			   "vm.swappiness = 10 # low\n"     /* 8 no comments after a value */
			   "-vm.swappiness = 300\n"         /* 9 '-' on a key this machine has */
			   "vm.panic_on_oom = 1\n";         /* 10 guests only */
	struct sysctld s = { 0 };
	struct diags d = { .file = xstrdup("bad.conf") };
	assert_int_equal(sysctld_parse("bad.conf", text, root, false, &s, &d), -EINVAL);
	int want[] = { 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	assert_int_equal(d.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < d.n; i++)
		assert_int_equal(d.v[i].line, want[i]);
	char *m = diag_format(&d, 0);
	assert_string_equal(m, "bad.conf:2: vm.swapiness: not a sysctl mph may set (mph run --help lists them); did "
			       "you mean vm.swappiness?");
	free(m);
	m = diag_format(&d, 2);
	assert_non_null(strstr(m, "bad.conf:4: vm.swappiness: vm.swappiness = 500 is out of range (allowed 0..200)"));
	free(m);
	assert_null(s.v);
	diags_free(&d);
	/* in a guest panic_on_oom is allowed */
	struct diags g = { .file = xstrdup("g.conf") };
	assert_int_equal(sysctld_parse("g.conf", "vm.panic_on_oom = 1\n", root, true, &s, &g), 0);
	assert_int_equal(s.n, 1);
	sysctld_free(&s);
	diags_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_problems_at_their_lines),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
