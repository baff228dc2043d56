/* test_vm.c - how a guest run is judged (vm_classify), and the initramfs writer read
 * back with libarchive. The guests themselves run in tests/integration/test_vm.c. */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/runner/initramfs.h"
#include "../../harness/core/util.h"
#include "../../harness/runner/vm.h"

#define EXITED(code) ((code) << 8)     /* a waitpid status for exit(code) */

static const char booted[] = "[    0.000000] Linux version 6.12.117+deb12-amd64\nMPH-GUEST-BOOTED uptime 3.1\n";

static void expect(int status, bool timed_out, const char *serial, enum vm_result want, int want_rc, const char *why_has)
{
	int rc = -1;
	char *why = NULL;
	enum vm_result r = vm_classify(status, timed_out, serial, &rc, &why);
	if (r != want)
		print_message("got %s (%s), want %s\n", vm_result_name(r), why ? why : "", vm_result_name(want));
	assert_int_equal(r, want);
	if (want == VM_OK) {
		assert_int_equal(rc, want_rc);
		assert_null(why);
	} else {
		assert_non_null(why);
		if (!strstr(why, why_has))
			print_message("why: %s\n", why);
		assert_non_null(strstr(why, why_has));
	}
	free(why);
}

static void test_ok(void **state)
{
	(void)state;
	char *log = xasprintf("%sok\nMPH-GUEST-DONE rc=0\n[    5.1] reboot: Power down\n", booted);
	expect(EXITED(0), false, log, VM_OK, 0, NULL);
	free(log);
	/* the guest's mph failed: the run is over, its exit code carried through */
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=1\n", VM_OK, 1, NULL);
}

/* panic=-1 with -no-reboot: qemu exits 0 after a panic. The marker alone must not pass it. */
static void test_panic(void **state)
{
	(void)state;
	const char *log = "MPH-GUEST-BOOTED uptime 3.1\n[    4.2] Kernel panic - not syncing: Out of memory: compulsory "
			  "panic_on_oom is enabled\n[    4.3] Rebooting in -1 seconds..\n";
	expect(EXITED(0), false, log, VM_PANIC, 0, "panicked: Kernel panic - not syncing: Out of memory: compulsory panic_on_oom is enabled");
	/* a panic after the marker (in poweroff) is still a panic */
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=0\nKernel panic - not syncing: Attempted to kill init!\n", VM_PANIC, 0,
	       "Attempted to kill init");
	/* and so is one that the timeout cut short */
	expect(0, true, "Kernel panic - not syncing: VFS: Unable to mount root fs\n", VM_PANIC, 0, "Unable to mount root fs");
}

static void test_hang(void **state)
{
	(void)state;
	expect(0, true, booted, VM_HANG, 0, "did not finish within the timeout");
	/* no boot marker: it hung while booting, which has a bound of its own */
	expect(0, true, NULL, VM_HANG, 0, "did not boot within the boot timeout");
	expect(0, true, "[    1.0] Run /init as init process\n", VM_HANG, 0, "did not boot within the boot timeout");
	expect(0, true, "MPH-GUEST-DONE rc=0\n", VM_HANG, 0, "did not exit after the guest finished");
}

/* The marker counts only as a line of its own, the last one, with a number: a
 * workload or the kernel printing the same words must not pass a run. */
static void test_marker_strict(void **state)
{
	(void)state;
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=[   3.1] x\n", VM_NO_MARKER, 0, "without its completion marker");
	expect(EXITED(0), false, "workload says MPH-GUEST-DONE rc=0\n", VM_NO_MARKER, 0, "without its completion marker");
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=0\nMPH-GUEST-DONE rc=1\n", VM_OK, 1, NULL);
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=0 and more\n", VM_NO_MARKER, 0, "without its completion marker");
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=300\n", VM_NO_MARKER, 0, "without its completion marker");
	expect(EXITED(0), false, "MPH-GUEST-DONE rc=2\r\n", VM_OK, 2, NULL);
}

static void test_setup_failure(void **state)
{
	(void)state;
	/* isa-debug-exit with 1: qemu exits (1 << 1) | 1 */
	expect(EXITED(3), false, "MPH-GUEST-FAIL: cannot mount the host's share (9p)\n", VM_SETUP, 0,
	       "setup failed: cannot mount the host's share (9p)");
}

static void test_no_marker(void **state)
{
	(void)state;
	expect(EXITED(0), false, booted, VM_NO_MARKER, 0, "without its completion marker");
	expect(EXITED(0), false, "", VM_NO_MARKER, 0, "without its completion marker");
	/* qemu failing to start at all, or killed from outside */
	expect(EXITED(1), false, "", VM_QEMU, 0, "qemu exited with status 1");
	expect(SIGKILL, false, "", VM_QEMU, 0, "killed by signal 9");
}

/* Write an archive with every kind of entry and read it back with libarchive. */
static void test_cpio(void **state)
{
	(void)state;
	char dir[] = "/tmp/mph-test-cpio-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *src = xasprintf("%s/src", dir), *path = xasprintf("%s/x.cpio", dir);
	size_t big = 200000;
	char *data = xcalloc(1, big);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	assert_int_equal(write_file_atomic(src, data, big), 0);

	struct cpio *c;
	char err[256];
	assert_int_equal(cpio_open(&c, path, err, sizeof(err)), 0);
	assert_int_equal(cpio_dir(c, "bin", 0755), 0);
	assert_int_equal(cpio_chardev(c, "dev/console", 0600, 5, 1), 0);
	assert_int_equal(cpio_bytes(c, "init", 0755, "#!/bin/sh\n", 10), 0);
	assert_int_equal(cpio_file(c, "bin/big", 0644, src), 0);
	assert_int_equal(cpio_close(c, err, sizeof(err)), 0);

	struct archive *a = archive_read_new();
	archive_read_support_format_cpio(a);
	assert_int_equal(archive_read_open_filename(a, path, 10240), ARCHIVE_OK);
	struct archive_entry *e;
	static const struct { const char *name; mode_t type, perm; } want[] = {
		{ "bin", AE_IFDIR, 0755 }, { "dev/console", AE_IFCHR, 0600 }, { "init", AE_IFREG, 0755 }, { "bin/big", AE_IFREG, 0644 },
	};
	size_t n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_string_equal(archive_entry_pathname(e), want[n].name);
		assert_int_equal(archive_entry_filetype(e), want[n].type);
		assert_int_equal(archive_entry_perm(e), want[n].perm);
		if (want[n].type == AE_IFCHR) {
			assert_int_equal(major(archive_entry_rdev(e)), 5);
			assert_int_equal(minor(archive_entry_rdev(e)), 1);
		}
		if (n == 3) {
			char *back = xcalloc(1, big);
			assert_int_equal(archive_entry_size(e), big);
			assert_int_equal(archive_read_data(a, back, big), big);
			assert_memory_equal(back, data, big);
			free(back);
		}
		n++;
	}
	assert_int_equal(n, 4);
	archive_read_free(a);

	/* a missing source is reported at close, naming it */
	assert_int_equal(cpio_open(&c, path, err, sizeof(err)), 0);
	assert_int_equal(cpio_file(c, "bin/none", 0644, "/nonexistent/mph-file"), -ENOENT);
	assert_int_equal(cpio_bytes(c, "later", 0644, "x", 1), -ENOENT); /* sticky */
	assert_int_equal(cpio_close(c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/mph-file"));

	unlink(src);
	unlink(path);
	rmdir(dir);
	free(src);
	free(path);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_panic),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_marker_strict),
		cmocka_unit_test(test_setup_failure),
		cmocka_unit_test(test_no_marker),
		cmocka_unit_test(test_cpio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
