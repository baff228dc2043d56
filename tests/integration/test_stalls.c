/* test_stalls.c - integration: reclaim stalls and OOM victims from mph's tracefs
 * instance ([record] stalls). Beside a page-cache reader the probe's charges must be
 * memcg reclaim stalls the trace times (from the binary per-CPU pages), the probe among
 * the stallers; oom-basic's
 * victim must be the pid oom:mark_victim named; and a run killed with SIGKILL leaves
 * its instance, which `mph restore` removes (with the tracefs mph mounted, if any). */
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
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

#define SPARSE "/var/tmp/mph-itest-probe.sparse"

static void test_probe_beside_reader(void **state)
{
	(void)state;
	(void)unlink(SPARSE);
	int fd = open(SPARSE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1LL << 30), 0);
	close(fd);
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--set", "record.stall_event=0",
				      "tests/scenarios/int/probe-cache-stalls.ini", NULL);
	(void)unlink(SPARSE);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p);
	itest_proc_free(&p);
	json_t *s = json_object_get(json_object_get(r, "recorder"), "reclaim_stalls");
	if (!json_is_object(s))
		fail_msg("reclaim_stalls absent: %s", json_dumps(json_object_get(json_object_get(r, "recorder"), "absent_sources"), 0));
	long long count = itest_num(s, "memcg.count");
	assert_true(count > 0);
	assert_true(itest_num(s, "memcg.nr_reclaimed") > 0);
	assert_true(itest_num(s, "memcg.max_us") >= itest_num(s, "memcg.p99_us"));
	assert_true(itest_num(s, "memcg.p99_us") >= itest_num(s, "memcg.p50_us"));
	long long probe = -1;
	size_t i;
	json_t *w, *t;
	json_array_foreach (json_object_get(r, "workloads"), i, w)
		if (strcmp(itest_str(w, "name"), "probe") == 0)
			probe = itest_num(w, "pid");
	bool found = false;
	json_array_foreach (json_object_get(s, "top_stallers"), i, t)
		if (itest_num(t, "pid") == probe) {
			found = true;
			assert_string_equal(itest_str(t, "comm"), "probe");
			assert_true(itest_num(t, "count") > 0);
			/* the workload's own entry: the same stalls, and the share of the time the
			 * probe measured in its probes that the trace saw it in reclaim */
			size_t j;
			json_array_foreach (json_object_get(r, "workloads"), j, w)
				if (strcmp(itest_str(w, "name"), "probe") == 0) {
					json_t *ws = json_object_get(w, "reclaim_stalls");
					assert_int_equal(itest_num(ws, "memcg.count") + itest_num(ws, "direct.count"), itest_num(t, "count"));
					double share = json_number_value(json_object_get(ws, "share_of_probe_time"));
					assert_true(share > 0 && share <= 1.01);
					print_message("the probe: %lld probes, p50 %lld us, p99 %lld us of its own; %lld memcg stalls, "
						      "%.1f%% of its probe time in reclaim\n",
						      itest_num(w, "report_final.stall.count"), itest_num(w, "report_final.stall.p50_ns") / 1000,
						      itest_num(w, "report_final.stall.p99_ns") / 1000, itest_num(ws, "memcg.count"), share * 100);
				}
		}
	if (!found)
		fail_msg("the probe (pid %lld) is not among the stallers", probe);
	assert_int_equal(itest_num(s, "malformed_lines"), 0);
	/* read from the binary per-CPU pages, every page whole */
	assert_string_equal(itest_str(s, "source"), "trace_pipe_raw");
	assert_true(itest_num(s, "pages") > 0);
	assert_int_equal(itest_num(s, "dropped_pages"), 0);
	assert_int_equal(itest_num(s, "unknown_events"), 0);
	print_message("memcg stalls: %lld, p50 %lld us, p99 %lld us, max %lld us\n", count, itest_num(s, "memcg.p50_us"),
		      itest_num(s, "memcg.p99_us"), itest_num(s, "memcg.max_us"));
	/* the timeline: samples.csv's stall columns rise with the stalls and end at the
	 * summary's; each stall of at least stall_event (0 here: all) is an event */
	char *csvp = xasprintf("%s/samples.csv", dir), *csv = NULL, *save = NULL;
	assert_int_equal(read_file(csvp, &csv, NULL), 0);
	char *head = strtok_r(csv, "\n", &save);
	int cc = -1, tc = -1, k = 0;
	for (char *c = head, *e; c; c = e ? e + 1 : NULL, k++) {
		e = strchr(c, ',');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == strlen("stalls.memcg.count[n]") && strncmp(c, "stalls.memcg.count[n]", len) == 0)
			cc = k;
		if (len == strlen("stalls.memcg.time[us]") && strncmp(c, "stalls.memcg.time[us]", len) == 0)
			tc = k;
	}
	assert_true(cc > 0 && tc > 0);
	long long prev = -1, last_n = -1, last_us = -1;
	for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		k = 0;
		for (char *c = l; c; c = strchr(c, ','), c = c ? c + 1 : NULL, k++) {
			if (k == cc)
				last_n = atoll(c);
			if (k == tc)
				last_us = atoll(c);
		}
		assert_true(last_n >= prev);
		prev = last_n;
	}
	assert_int_equal(last_n, count);
	assert_int_equal(last_us, (long long)(json_number_value(json_object_get(json_object_get(s, "memcg"), "total_s")) * 1e6 + 0.5));
	free(csv);
	free(csvp);
	char *evp = xasprintf("%s/events.jsonl", dir), *ev = NULL;
	assert_int_equal(read_file(evp, &ev, NULL), 0);
	long long events = 0;
	for (char *l = strtok_r(ev, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e);
		if (strcmp(itest_str(e, "type"), "reclaim_stall") == 0) {
			events++;
			assert_true(json_number_value(json_object_get(e, "duration_s")) >= 0);
			assert_string_equal(itest_str(e, "kind"), "memcg");
		}
		json_decref(e);
	}
	/* stall_event = 0: every stall of the run's tasks, up to 1000, the rest counted */
	assert_int_equal(events, itest_num(s, "events.written"));
	assert_int_equal(events + itest_num(s, "events.dropped"), count);
	assert_int_equal(events, count < 1000 ? count : 1000);
	assert_int_equal(itest_num(s, "events.threshold_ms"), 0);
	print_message("timeline: stalls.memcg.count[n] ends at %lld; %lld stalls as events, %lld counted beyond\n", last_n,
		      events, itest_num(s, "events.dropped"));
	free(ev);
	free(evp);
	free(dir);
	json_decref(r);
	itest_check_clean();
}

static void test_oom_mark_victim(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--set", "record.stalls=yes",
				      "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	itest_proc_free(&p);
	json_t *kills = json_object_get(r, "oom_kills"), *k;
	assert_true(json_array_size(kills) >= 1);
	size_t i;
	json_array_foreach (kills, i, k) {
		json_t *mt = json_object_get(k, "mark_victim_t");
		if (!json_is_number(mt))
			fail_msg("OOM kill of pid %lld has no mark_victim_t", itest_num(k, "pid"));
		/* The kernel marks the victim before it logs "Killed process": microseconds
		 * apart. The log's time is moved onto the run's clock by a calibration
		 * (kernel_log_clock_offset_s) good to the time of one write to /dev/kmsg,
		 * so "before" is checked within 2 ms of it. */
		double kt = json_number_value(json_object_get(k, "t"));
		assert_true(json_number_value(mt) > kt - 0.1 && json_number_value(mt) < kt + 0.002);
		json_t *lat = json_object_get(k, "mark_victim_detection_latency_s");
		assert_true(json_is_number(lat) && json_number_value(lat) >= 0 && json_number_value(lat) < 5);
		print_message("pid %lld: marked at %.6f s, logged at %.6f s, mark parsed %.3f ms after it\n", itest_num(k, "pid"),
			      json_number_value(mt), kt, json_number_value(lat) * 1e3);
	}
	assert_true(itest_num(r, "recorder.reclaim_stalls.oom_victims_marked") >= 1);
	/* the OOM watch's threads, one per CPU up to four, parsed the same marks from an
	 * instance of their own: as many as the run's instance, no page dropped */
	json_t *w = json_object_get(json_object_get(json_object_get(r, "recorder"), "reclaim_stalls"), "oom_watch");
	if (!json_is_object(w) || !json_is_integer(json_object_get(w, "threads")))
		fail_msg("no OOM watch: %s", json_dumps(w, 0));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	assert_int_equal(itest_num(w, "threads"), ncpu < 4 ? ncpu : 4);
	assert_int_equal(itest_num(w, "marks"), itest_num(r, "recorder.reclaim_stalls.oom_victims_marked"));
	assert_int_equal(itest_num(w, "dropped_pages"), 0);
	assert_int_equal(itest_num(w, "read_errors"), 0);
	json_decref(r);
	itest_check_clean();
}

/* mph record --stalls: the command's stalls and its OOM mark in record.json, the
 * instance removed after */
static void test_record_stalls(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-stalls", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--stalls", "--out", out, "--memory-max", "48M", "--",
				      "workloads/anonleak", "--size=128M", "--report-fd=2", NULL);
	assert_int_equal(p.code, 0);
	char *rj = xasprintf("%s/record.json", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	json_t *s = json_object_get(json_object_get(r, "recorder"), "reclaim_stalls");
	if (!json_is_object(s))
		fail_msg("reclaim_stalls absent: %s", json_dumps(json_object_get(json_object_get(r, "recorder"), "absent_sources"), 0));
	assert_true(itest_num(s, "oom_victims_marked") >= 1);
	json_t *k = json_array_get(json_object_get(r, "oom_kills"), 0);
	assert_non_null(k);
	/* the kill in the log is the pid the trace marked: an oom_victim event of it */
	char *ev = xasprintf("%s/events.jsonl", out), *text = NULL, *want = xasprintf("\"type\":\"oom_victim\",\"pid\":%lld,",
										    itest_num(k, "pid"));
	assert_int_equal(read_file(ev, &text, NULL), 0);
	if (!strstr(text, want))
		fail_msg("no oom_victim event of pid %lld in %s", itest_num(k, "pid"), ev);
	free(text);
	free(want);
	free(ev);
	json_decref(r);
	free(rj);
	free(out);
	itest_proc_free(&p);
	itest_check_clean();
}

static bool is_tracefs(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) == 0 && (unsigned long)s.f_type == 0x74726163;
}

/* "kind\tpath\n" of the journal, or NULL */
static char *journal_path(const char *jp, const char *kind)
{
	char *text = NULL, *out = NULL;
	if (read_file(jp, &text, NULL) < 0)
		return NULL;
	char *want = xasprintf("\n%s\t", kind), *c = strstr(text, want);
	if (c) {
		c += strlen(want);
		out = strndup(c, strcspn(c, "\n"));
	}
	free(want);
	free(text);
	return out;
}

static void test_kill9_leaves_instance_restore_removes(void **state)
{
	(void)state;
	const char *argv[] = { NULL, "run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/hold-stalls.ini", NULL };
	pid_t pid = itest_spawn("stalls", argv);
	char *jp = xasprintf("%s/journal", itest_statedir);
	assert_true(itest_wait_for(jp, "trace\t", 10000));
	char *inst = journal_path(jp, "trace"), *mnt = journal_path(jp, "tracefs"), *cg = journal_path(jp, "cgroup");
	assert_non_null(inst);
	assert_non_null(cg);
	/* the workload runs once the instance is set up */
	char *procs = xasprintf("%s/cgroup.procs", cg);
	assert_true(itest_wait_for(procs, "\n", 10000));
	assert_int_equal(access(inst, F_OK), 0);
	char *oom = xasprintf("%s-oom", inst); /* the OOM watch's (trace_oom_dir), journaled too */
	assert_int_equal(access(oom, F_OK), 0);
	kill(pid, SIGKILL);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));
	/* left behind, tracing still on, until restore */
	assert_int_equal(access(inst, F_OK), 0);
	struct proc_out p = itest_mph("restore", "--wait", "10m", NULL);
	assert_int_equal(p.code, 0);
	assert_non_null(strstr(p.out, "tracefs instance"));
	itest_proc_free(&p);
	assert_int_not_equal(access(inst, F_OK), 0);
	/* and the OOM watch's instance beside it */
	assert_int_not_equal(access(oom, F_OK), 0);
	free(oom);
	if (mnt) { /* mph mounted its own: unmounted and gone */
		assert_false(is_tracefs(mnt));
		assert_int_not_equal(access(mnt, F_OK), 0);
	}
	print_message("instance %s%s%s removed by restore\n", inst, mnt ? " and mount " : "", mnt ? mnt : "");
	free(inst);
	free(mnt);
	free(cg);
	free(procs);
	free(jp);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_probe_beside_reader, itest_each_setup),
		cmocka_unit_test_setup(test_oom_mark_victim, itest_each_setup),
		cmocka_unit_test_setup(test_record_stalls, itest_each_setup),
		cmocka_unit_test_setup(test_kill9_leaves_instance_restore_removes, itest_each_setup),
	};
	return itest_run_group("integration-stalls", tests, itest_group_setup, itest_group_teardown);
}
