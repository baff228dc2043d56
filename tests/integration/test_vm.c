/* test_vm.c - the VM target for real: scenarios in qemu guests booting Debian's 6.1 and
 * 6.12 kernels (cgroup v2), side by side with the host (cgroup v1). Each check compares
 * what the guest kernel did, as run.json measured it, with what the kernel is known to
 * do. A guest that panics or hangs must be reported as such.
 *
 * Skips (with the reason) without qemu, busybox-static or the static guest build, and
 * when the kernels cannot be fetched (no apt sources or network). */
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

#include "itest.h"
#include "../../harness/runner/kernel.h"
#include "../../harness/core/util.h"

static const char *const kernels[] = { "6.1", "6.12" };
static char *releases[2];
static char *cache_dir;

static int vm_setup(void **state)
{
	static char why[600];
	if (geteuid() != 0)
		itest_skip_reason = "not root";
	else if (system("command -v qemu-system-x86_64 >/dev/null") != 0)
		itest_skip_reason = "qemu-system-x86_64 not installed (make deps)";
	else if (access("/bin/busybox", X_OK) < 0)
		itest_skip_reason = "busybox-static not installed (make deps)";
	else if (access("build/guest/mph", X_OK) < 0)
		itest_skip_reason = "static guest build build/guest/mph missing (make)";
	const char *e = getenv("MPH_CACHE_DIR");
	cache_dir = xstrdup(e && *e ? e : "/var/cache/mph");
	for (size_t i = 0; i < 2 && !itest_skip_reason; i++) {
		struct kernel k = { 0 };
		char err[512];
		/* fetched once into mph's cache (about 100 MB each); later runs find them there */
		if (kernel_resolve(kernels[i], cache_dir, true, &k, err, sizeof(err)) < 0) {
			snprintf(why, sizeof(why), "cannot fetch kernel %s: %s", kernels[i], err);
			itest_skip_reason = why;
		} else {
			releases[i] = xstrdup(k.release);
		}
		kernel_free(&k);
	}
	if (itest_skip_reason) {
		printf("SKIP: VM target tests: %s\n", itest_skip_reason);
		return 0;
	}
	return itest_group_setup(state); /* the lock, a results directory, the machine's state */
}

static int vm_teardown(void **state)
{
	for (size_t i = 0; i < 2; i++)
		free(releases[i]);
	free(cache_dir);
	return itest_skip_reason ? 0 : itest_group_teardown(state);
}

static int each_teardown(void **state)
{
	(void)state;
	itest_check_clean();
	return 0;
}

/* Run SCENARIO on the two guest kernels (and the host when with_host); the run.json of
 * each, in --kernel order, in out[]. Returns mph's exit code. */
static int run_matrix(const char *scenario, bool with_host, json_t **out, size_t *n)
{
	struct proc_out p = with_host
		? itest_mph("run", "--wait", "10m", "--results", itest_results, "--cache-dir", cache_dir, "--jobs", "2", "--kernel", "6.1",
			    "--kernel", "6.12", "--kernel", "host", scenario, NULL)
		: itest_mph("run", "--results", itest_results, "--cache-dir", cache_dir, "--jobs", "2", "--kernel", "6.1", "--kernel",
			    "6.12", scenario, NULL);
	int code = p.code;
	/* the last line names plan.json; its jobs name their directories */
	char *last = itest_last_line(&p);
	json_t *m = last ? json_load_file(last, 0, NULL) : NULL;
	if (!m)
		fail_msg("no plan.json (exit %d): stdout:\n%s\nstderr:\n%s", code, p.out, p.err);
	char *group = xstrdup(last);
	*strrchr(group, '/') = '\0';
	size_t i;
	json_t *r;
	*n = 0;
	json_array_foreach(json_object_get(m, "jobs"), i, r) {
		char *path = xasprintf("%s/%s/run.json", group, json_string_value(json_object_get(r, "dir")));
		out[(*n)++] = json_load_file(path, 0, NULL);
		if (!out[*n - 1])
			fail_msg("%s missing; stderr:\n%s", path, p.err);
		free(path);
	}
	json_decref(m);
	free(group);
	free(last);
	if (code != 0)
		fail_msg("mph run --kernel ... %s exited %d:\n%s", scenario, code, p.err);
	itest_proc_free(&p);
	return code;
}

static void free_runs(json_t **runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(runs[i]);
}

/* The guest is the one asked for: kernel release, cgroup v2, qemu ended well. */
static void assert_guest(json_t *r, size_t i)
{
	assert_string_equal(itest_str(r, "machine.target"), "qemu");
	assert_string_equal(itest_str(r, "machine.kernel.release"), releases[i]);
	assert_string_equal(itest_str(r, "host.kernel"), releases[i]); /* what the guest's own mph saw */
	assert_string_equal(itest_str(r, "machine.cgroup"), "v2");
	assert_string_equal(itest_str(r, "machine.qemu.result"), "ok");
	assert_int_equal(json_array_size(json_object_get(r, "errors")), 0);
}

/* oom-basic on 6.1, 6.12 and the host: the same classification everywhere, v2 in the
 * guests, this host's cgroup version on the host. */
static void test_oom_matrix(void **state)
{
	(void)state;
	json_t *runs[3];
	size_t n;
	run_matrix("scenarios/oom-basic.ini", true, runs, &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		json_t *r = runs[i], *w = itest_workload0(r);
		if (i < 2) {
			assert_guest(r, i);
			assert_int_equal(itest_num(r, "cgroup.memory_events.oom_kill"), 1);
		} else {
			assert_string_equal(itest_str(r, "machine.target"), "host");
			assert_string_equal(itest_str(r, "machine.cgroup"), cg_version_name(itest_env.ver));
		}
		assert_string_equal(itest_str(w, "outcome"), "oom-killed");
		assert_int_equal(itest_num(r, "cgroup.oom_kill"), 1);
		json_t *kill = json_array_get(json_object_get(r, "oom_kills"), 0);
		assert_non_null(kill);
		assert_int_equal(itest_num(kill, "pid"), itest_num(w, "pid")); /* the victim is the leaker */
		assert_string_equal(itest_str(kill, "constraint"), "CONSTRAINT_MEMCG");
	}
	free_runs(runs, n);
}

/* memory.high throttles and reclaims (to zram) instead of killing. */
static void test_memory_high(void **state)
{
	(void)state;
	json_t *runs[2];
	size_t n;
	run_matrix("scenarios/vm-memory-high.ini", false, runs, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *r = runs[i];
		assert_guest(r, i);
		assert_string_equal(itest_str(itest_workload0(r), "outcome"), "exited");
		assert_int_equal(itest_num(r, "cgroup.memory_events.oom_kill"), 0);
		assert_int_equal(itest_num(r, "cgroup.memory_events.max"), 0);
		assert_true(itest_num(r, "cgroup.memory_events.high") > 0);
		/* 96 MiB asked for, held near memory.high (32 MiB) */
		long long peak = itest_num(r, "cgroup.peak_bytes");
		assert_true(peak > (24LL << 20));
		assert_true(peak < (64LL << 20));
		assert_true(itest_num(r, "machine.swap_bytes") > 0);
	}
	free_runs(runs, n);
}

/* Two NUMA nodes: both listed, both used by an interleaved allocation. */
static void test_numa(void **state)
{
	(void)state;
	json_t *runs[2];
	size_t n;
	run_matrix("scenarios/vm-numa.ini", false, runs, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *r = runs[i];
		assert_guest(r, i);
		assert_int_equal(json_array_size(json_object_get(json_object_get(r, "machine"), "nodes")), 2);
		json_t *nodes = json_object_get(json_object_get(r, "recorder"), "nodes");
		assert_int_equal(json_array_size(nodes), 2);
		for (size_t k = 0; k < 2; k++) {
			json_t *nd = json_array_get(nodes, k);
			long long grew = itest_num(nd, "used_peak_bytes") - itest_num(nd, "used_start_bytes");
			/* 128 MiB interleaved: about 64 MiB on each */
			if (grew < (40LL << 20))
				fail_msg("%s node %zu grew by %lld MiB only", releases[i], k, grew >> 20);
		}
	}
	free_runs(runs, n);
}

/* Global pressure in the guest: the min watermarks are vm.min_free_kbytes spread over
 * the zones (in pages), allocations stall in direct reclaim, the global OOM killer
 * ends it. */
static void test_min_free(void **state)
{
	(void)state;
	json_t *runs[2];
	size_t n;
	run_matrix("scenarios/vm-min-free.ini", false, runs, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *r = runs[i];
		assert_guest(r, i);
		json_t *sys = json_array_get(json_object_get(r, "sysctls"), 0);
		assert_string_equal(itest_str(sys, "name"), "vm.min_free_kbytes");
		assert_string_equal(itest_str(sys, "applied"), "32768");
		long long pages = 32768 / (sysconf(_SC_PAGESIZE) / 1024), sum = 0, zones = 0;
		size_t k;
		json_t *z;
		json_array_foreach(json_object_get(json_object_get(r, "zoneinfo"), "start"), k, z) {
			if (itest_num(z, "managed_pages") > 0) {
				sum += itest_num(z, "min_pages");
				zones++;
			}
		}
		/* current kernels: low = min + max(min/4, managed x watermark_scale_factor
		 * / 10000), high = low + the same gap (the guest keeps the default factor 10) */
		json_array_foreach(json_object_get(json_object_get(r, "zoneinfo"), "start"), k, z) {
			long long managed = itest_num(z, "managed_pages"), min = itest_num(z, "min_pages");
			if (!managed)
				continue;
			long long gap = min / 4 > managed * 10 / 10000 ? min / 4 : managed * 10 / 10000;
			assert_int_equal(itest_num(z, "low_pages"), min + gap);
			assert_int_equal(itest_num(z, "high_pages"), min + 2 * gap);
		}
		/* each zone's share is rounded down */
		if (sum > pages || sum < pages - zones)
			fail_msg("%s: min watermarks add up to %lld pages, min_free_kbytes gives %lld", releases[i], sum, pages);
		assert_string_equal(itest_str(itest_workload0(r), "outcome"), "oom-killed");
		json_t *kill = json_array_get(json_object_get(r, "oom_kills"), 0);
		assert_string_equal(itest_str(kill, "constraint"), "CONSTRAINT_NONE");
		/* allocations entered direct reclaim (nothing to scan: no swap, and the
		 * initramfs's files are not reclaimable page cache) */
		assert_true(itest_num(r, "recorder.reclaim.allocation_stalls") > 0);
	}
	free_runs(runs, n);
}

/* A guest that panics (panic_on_oom = 2 and a memcg OOM) or hangs (past its timeout)
 * fails the run, named as such, with the serial log kept. */
static void expect_failure(const char *scenario, const char *result, const char *why)
{
	struct proc_out p = itest_mph("run", "--results", itest_results, "--cache-dir", cache_dir, scenario, NULL);
	assert_int_equal(p.code, 1);
	json_t *r = itest_load_result(&p);
	assert_string_equal(itest_str(r, "machine.qemu.result"), result);
	const char *err = json_string_value(json_array_get(json_object_get(r, "errors"), 0));
	if (!err || !strstr(err, why))
		fail_msg("errors[0] is '%s', expected it to say '%s'", err ? err : "(none)", why);
	assert_non_null(strstr(p.err, why));
	/* serial.log beside run.json */
	char *dir = itest_out_dir(&p);
	char *serial = xasprintf("%s/serial.log", dir), *text = NULL;
	assert_int_equal(read_file(serial, &text, NULL), 0);
	assert_non_null(strstr(text, "MPH-GUEST-BOOTED"));
	assert_null(strstr(text, "MPH-GUEST-DONE"));
	free(text);
	free(serial);
	/* it had booted: not booted again */
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(r, "machine"), "qemu"), "boot_panic")));
	serial = xasprintf("%s/boot-1.serial.log", dir);
	assert_int_not_equal(access(serial, F_OK), 0);
	free(serial);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
}

static void test_panic(void **state)
{
	(void)state;
	expect_failure("tests/scenarios/vm/panic.ini", "panic", "the guest kernel panicked: Kernel panic - not syncing");
}

/* A kernel that panics while booting, before /init's marker, is booted once more: the
 * first "boot" here is a stand-in qemu (first in PATH) that writes a panic to the
 * serial log and exits, the second the real qemu, whose guest runs the scenario. A
 * panic after the marker (test_panic) is not retried. */
static void test_boot_panic_retried(void **state)
{
	(void)state;
	char *bin = xasprintf("%s/fake-qemu", itest_tmpdir), *qemu = xasprintf("%s/qemu-system-x86_64", bin);
	char *flag = xasprintf("%s/booted-once", itest_tmpdir);
	assert_int_equal(mkdir_p(bin), 0);
	char *script = xasprintf("#!/bin/sh\n"
				 "# the first boot panics; later ones are the real qemu's\n"
				 "[ -e '%s' ] && exec /usr/bin/qemu-system-x86_64 \"$@\"\n"
				 ": > '%s'\n"
				 "for a in \"$@\"; do case \"$a\" in file:*) s=${a#file:};; esac; done\n"
				 "printf '[    0.74] traps: PANIC: double fault\\n[    0.74] Kernel panic - not syncing: "
				 "Fatal exception in interrupt\\n' > \"$s\"\n",
				 flag, flag);
	assert_int_equal(write_file_atomic(qemu, script, strlen(script)), 0);
	assert_int_equal(chmod(qemu, 0755), 0);
	char *old = xstrdup(getenv("PATH")), *path = xasprintf("%s:%s", bin, old);
	setenv("PATH", path, 1);
	struct proc_out p = itest_mph("run", "--results", itest_results, "--cache-dir", cache_dir, "--kernel", releases[1],
				      "scenarios/oom-basic.ini", NULL);
	setenv("PATH", old, 1);
	assert_int_equal(access(flag, F_OK), 0); /* the stand-in did run */
	if (p.code != 0)
		fail_msg("mph run exited %d:\n%s", p.code, p.err);
	assert_non_null(strstr(p.err, "the kernel panicked while booting (Kernel panic - not syncing: Fatal exception in "
				      "interrupt); booting it once more"));
	json_t *r = itest_load_result(&p);
	assert_string_equal(itest_str(r, "machine.qemu.result"), "ok");
	assert_string_equal(itest_str(r, "machine.qemu.boot_panic"),
			    "Kernel panic - not syncing: Fatal exception in interrupt");
	char *dir = itest_out_dir(&p), *b1 = xasprintf("%s/boot-1.serial.log", dir), *sl = xasprintf("%s/serial.log", dir);
	char *text = NULL;
	assert_int_equal(read_file(b1, &text, NULL), 0);
	assert_non_null(strstr(text, "double fault"));
	free(text);
	text = NULL;
	assert_int_equal(read_file(sl, &text, NULL), 0);
	assert_non_null(strstr(text, "MPH-GUEST-DONE rc=0"));
	free(text);
	json_decref(r);
	itest_proc_free(&p);
	free(b1);
	free(sl);
	free(dir);
	free(path);
	free(old);
	free(script);
	free(flag);
	free(qemu);
	free(bin);
}

static void test_hang(void **state)
{
	(void)state;
	expect_failure("tests/scenarios/vm/hang.ini", "hang", "did not finish within the timeout");
}

/* A sweep in guests: each variant its own guest, run directories named after the
 * variants (commas included, which qemu's options must be given escaped), the
 * expectations checked on what each guest's kernel did. */
static void test_guest_sweep(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--results", itest_results, "--cache-dir", cache_dir, "--jobs", "2", "--kernel",
				      releases[1], "--set", "cgroup.memory.max=48M,64M", "--set", "leaker.rate=256M,512M",
				      "--set", "scenario.sweep=zip", "--set", "expect.killed=leaker.outcome == oom-killed",
				      "--set", "expect.near=peak_usage ~ 56M +-9M", "scenarios/vm-oom-v2.ini", NULL);
	if (p.code != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", p.code, p.out, p.err);
	char *last = itest_last_line(&p);
	json_t *plan = json_load_file(last, 0, NULL);
	assert_non_null(plan);
	assert_string_equal(itest_str(plan, "verdict"), "pass");
	json_t *jobs = json_object_get(plan, "jobs");
	assert_int_equal(json_array_size(jobs), 2);
	assert_string_equal(itest_str(json_array_get(jobs, 0), "variant"), "max=48M,leaker.rate=256M");
	assert_string_equal(itest_str(json_array_get(jobs, 1), "variant"), "max=64M,leaker.rate=512M");
	*strrchr(last, '/') = '\0';
	for (size_t i = 0; i < 2; i++) {
		json_t *job = json_array_get(jobs, i);
		char *rj = xasprintf("%s/%s/run.json", last, itest_str(job, "dir"));
		json_t *r = json_load_file(rj, 0, NULL);
		if (!r)
			fail_msg("%s missing", rj);
		assert_string_equal(itest_str(r, "machine.qemu.result"), "ok");
		assert_string_equal(itest_str(r, "machine.cgroup"), "v2");
		assert_int_equal(json_array_size(json_object_get(r, "expectations")), 2);
		assert_int_equal(itest_num(r, "cgroup.memory_events.oom_kill"), 1);
		json_decref(r);
		free(rj);
	}
	json_decref(plan);
	free(last);
	itest_proc_free(&p);
}

/* Page cache in a guest: the reader's file is on the scratch disk (a virtio disk with
 * ext4, made because the scenario has a pagecache workload), its pages are charged to
 * the run cgroup as file pages (memory.stat), and drop_caches frees them. */
static void test_pagecache_drop(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "20m", "--results", itest_results, "--cache-dir", cache_dir, "--kernel",
				      releases[1], "tests/scenarios/vm/pagecache-drop.ini", NULL);
	if (p.code != 0)
		fail_msg("exit %d\nstdout:\n%s\nstderr:\n%s", p.code, p.out, p.err);
	json_t *r = itest_load_result(&p);
	assert_guest(r, 1);
	/* the reader's 32 MiB and the file system's 1 GiB reserve, at least */
	assert_true(itest_num(r, "machine.requested.disk_bytes") >= (1LL << 30) + (32LL << 20));
	assert_string_equal(itest_str(itest_workload0(r), "outcome"), "exited"); /* stopped at the duration */
	json_t *drop = json_array_get(json_object_get(r, "actions"), 0);
	assert_non_null(drop);
	assert_string_equal(itest_str(drop, "result"), "done");
	long long before = itest_num(drop, "before.file"), after = itest_num(drop, "after.file");
	print_message("%s: cgroup file pages %lld KiB before drop_caches, %lld KiB after\n", releases[1], before >> 10,
		      after >> 10);
	/* the whole file is cached and charged to the reader's cgroup ... */
	if (before < (30LL << 20))
		fail_msg("only %lld KiB of file pages in the cgroup before drop_caches (32 MiB read)", before >> 10);
	/* ... and clean page cache goes with drop_caches */
	if (after * 10 > before)
		fail_msg("drop_caches left %lld of %lld KiB of file pages", after >> 10, before >> 10);
	json_decref(r);
	itest_proc_free(&p);
}

/* A kernel that does not exist is bad input, found before anything runs. */
static void test_unknown_kernel(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--results", itest_results, "--cache-dir", cache_dir, "--kernel", "2.4",
				      "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "--kernel 2.4"));
	itest_proc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oom_matrix, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_memory_high, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_numa, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_min_free, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_panic, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_boot_panic_retried, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_hang, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kernel, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_guest_sweep, itest_each_setup, each_teardown),
		cmocka_unit_test_setup_teardown(test_pagecache_drop, itest_each_setup, each_teardown),
	};
	return itest_run_group("vm", tests, vm_setup, vm_teardown);
}
