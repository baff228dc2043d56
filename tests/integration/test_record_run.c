/* test_record_run.c - integration: the recorder during real runs and `mph record`. The
 * samples must add up to what the kernel counted over the run, the OOM event must
 * name the victim and its cgroup, and the timeline must have the sampling rate asked for. */
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
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"


struct table {
	char **head;
	size_t ncol, nrow;
	char ***rows;
	char *text;
};

static void table_load(const char *path, struct table *t)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(read_file(path, &t->text, NULL), 0);
	char *save = NULL;
	for (char *l = strtok_r(t->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char **cells = NULL;
		size_t n = 0;
		for (char *p = l;;) {
			char *c = strchr(p, ',');
			cells = xrealloc(cells, (n + 1) * sizeof(*cells));
			cells[n++] = p;
			if (!c)
				break;
			*c = '\0';
			p = c + 1;
		}
		if (!t->head) {
			t->head = cells;
			t->ncol = n;
			continue;
		}
		assert_int_equal(n, t->ncol);
		t->rows = xrealloc(t->rows, (t->nrow + 1) * sizeof(*t->rows));
		t->rows[t->nrow++] = cells;
	}
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrow; i++)
		free(t->rows[i]);
	free(t->rows);
	free(t->head);
	free(t->text);
}

static long col(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->ncol; i++)
		if (strcmp(t->head[i], name) == 0)
			return (long)i;
	fail_msg("samples.csv has no column %s", name);
	return -1;
}

/* Sum of the per-sample deltas of a column (empty cells are skipped: absent). */
static long long sum_deltas(const struct table *t, long c)
{
	long long sum = 0, prev = 0;
	bool have = false;
	for (size_t i = 0; i < t->nrow; i++) {
		if (!*t->rows[i][c])
			continue;
		long long v = atoll(t->rows[i][c]);
		if (have)
			sum += v - prev;
		prev = v;
		have = true;
	}
	return sum;
}

static void test_samples_add_up(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/record.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p), *csv = xasprintf("%s/samples.csv", dir);
	struct table t;
	table_load(csv, &t);
	/* the timeline: about one sample per 10 ms over ~1.5 s. Timers on a busy
	 * machine coalesce (how many is the machine's speed, not asserted), never add */
	double elapsed = json_real_value(json_object_get(r, "elapsed_s"));
	print_message("%zu samples in %.2f s at 10 ms\n", t.nrow, elapsed);
	assert_true(t.nrow >= 3);
	assert_true(t.nrow <= (size_t)(elapsed / 0.010 * 1.1) + 3);
	assert_int_equal(itest_num(r, "recorder.samples"), (long long)t.nrow);
	/* global counters: the samples' deltas add up to the first-to-last-sample change,
	 * inside run.json's vmstat delta (read before the first sample and after the
	 * last): never more, and less only by what the machine did in those two gaps -
	 * on a busy machine (qemu guests fault quickly) more than 1%, so 10% */
	static const char *const counters[] = { "pgfault", "pgalloc_normal", "pgfree" };
	json_t *delta = json_object_get(json_object_get(r, "vmstat"), "delta");
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		char *name = xasprintf("vmstat.%s[n]", counters[i]);
		long long s = sum_deltas(&t, col(&t, name));
		long long d = json_integer_value(json_object_get(delta, counters[i]));
		if (d <= 0 || s > d || s < d - d / 10)
			fail_msg("%s: samples add up to %lld, /proc/vmstat moved by %lld", counters[i], s, d);
		free(name);
	}
	/* the run cgroup's own counter: only the workload moves it, so it is exact */
	long long cgf = sum_deltas(&t, col(&t, "cg.stat.pgfault[n]"));
	assert_int_equal(cgf, itest_num(r, "cgroup.memory_stat_delta.pgfault"));
	assert_true(cgf >= 48 * 256); /* at least one fault per page of 48 MiB */
	/* the workload's own memory, sampled while it held 48 MiB (Pss asked for) */
	long rss = col(&t, "proc.filler.RssAnon[bytes]"), pss = col(&t, "proc.filler.Pss[bytes]");
	long long max_rss = 0, max_pss = 0;
	for (size_t i = 0; i < t.nrow; i++) {
		if (*t.rows[i][rss] && atoll(t.rows[i][rss]) > max_rss)
			max_rss = atoll(t.rows[i][rss]);
		if (*t.rows[i][pss] && atoll(t.rows[i][pss]) > max_pss)
			max_pss = atoll(t.rows[i][pss]);
	}
	assert_true(max_rss >= 48LL << 20 && max_rss <= 52LL << 20);
	assert_true(max_pss >= 48LL << 20);
	/* the peak usage covers the 48 MiB */
	assert_true(itest_num(r, "recorder.peak_usage_bytes") >= 48LL << 20);
	table_free(&t);
	free(csv);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_oom_event(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "scenarios/oom-basic.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	char *dir = itest_out_dir(&p), *ev = xasprintf("%s/events.jsonl", dir), *text = NULL;
	assert_int_equal(read_file(ev, &text, NULL), 0);
	json_t *kill = NULL;
	size_t nkill = 0;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e); /* every line is JSON */
		/* kills in other cgroups (other tests' on a shared machine) are flagged elsewhere */
		if (strcmp(itest_str(e, "type"), "oom_kill") == 0 && !json_is_true(json_object_get(e, "elsewhere"))) {
			nkill++;
			json_decref(kill);
			kill = e;
		} else {
			json_decref(e);
		}
	}
	assert_int_equal(nkill, 1);
	assert_int_equal(itest_num(kill, "pid"), itest_num(itest_workload0(r), "pid"));
	/* the kernel rate-limits the line naming constraint and cgroup (10 per 5 s) */
	if (*itest_str(kill, "constraint")) {
		assert_string_equal(itest_str(kill, "oom_memcg"), itest_str(r, "cgroup.path"));
		assert_string_equal(itest_str(kill, "constraint"), "CONSTRAINT_MEMCG");
	}
	/* seen as it happened, not at the end of the run */
	double lat = json_real_value(json_object_get(kill, "detection_latency_s"));
	assert_true(lat >= 0 && lat < 0.5);
	assert_true(json_real_value(json_object_get(json_object_get(r, "recorder"), "first_oom_kill_s")) > 0);
	json_decref(kill);
	free(text);
	free(ev);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

static void test_record_command(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-cmd", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--interval", "10ms", "--out", out, "--memory-max", "64M", "--", "workloads/anonleak",
				      "--size=16M", "--hold=300ms", "--report-fd=2", NULL);
	assert_int_equal(p.code, 0);
	char *rj = xasprintf("%s/record.json", out), *csv = xasprintf("%s/samples.csv", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	assert_int_equal(itest_num(r, "exit_code"), 0);
	struct table t;
	table_load(csv, &t);
	long c = col(&t, "proc.cmd.RssAnon[bytes]");
	long long max = 0;
	for (size_t i = 0; i < t.nrow; i++)
		if (*t.rows[i][c] && atoll(t.rows[i][c]) > max)
			max = atoll(t.rows[i][c]);
	assert_true(max >= 16LL << 20);
	assert_true(t.nrow >= 15); /* >= 300 ms at 10 ms, halved for a busy machine */
	/* in a cgroup of its own, made for it with the limit, and removed after */
	assert_true(json_is_true(json_object_get(r, "cgroup_created")));
	assert_int_equal(itest_num(r, "memory_max_bytes"), 64LL << 20);
	assert_int_equal(itest_num(r, "oom_kill"), 0);
	assert_int_equal(json_array_size(json_object_get(r, "processes")), 1);
	table_free(&t);
	json_decref(r);
	free(rj);
	free(csv);
	free(out);
	itest_proc_free(&p);
	itest_check_clean();
	/* a limit is required on the host */
	p = itest_mph("record", "--duration", "1s", "--", "true", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "needs --memory-max"));
	itest_proc_free(&p);
}

/* record.json has the recorded cgroup's kills and its oom_kill counter's rise */
static void test_record_kill(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-kill", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--out", out, "--memory-max", "48M", "--", "workloads/anonleak",
				      "--size=128M", "--report-fd=2", NULL);
	assert_int_equal(p.code, 0);
	char *rj = xasprintf("%s/record.json", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	assert_int_equal(itest_num(r, "oom_kill"), 1);
	json_t *kills = json_object_get(r, "oom_kills");
	assert_int_equal(json_array_size(kills), 1);
	json_t *pr = json_array_get(json_object_get(r, "processes"), 0);
	assert_int_equal(itest_num(json_array_get(kills, 0), "pid"), itest_num(pr, "pid"));
	assert_string_equal(itest_str(pr, "ended"), "oom-killed");
	assert_true(json_is_number(json_object_get(json_object_get(r, "recorder"), "first_oom_kill_s")));
	json_decref(r);
	free(rj);
	free(out);
	itest_proc_free(&p);
	itest_check_clean();
}

static struct cg *target;

static int target_teardown(void **state)
{
	(void)state;
	int r = target ? cg_destroy(target, 5000) : 0;
	target = NULL;
	return r;
}

/* `mph record --cgroup G -- CMD` runs CMD inside G */
static void test_record_command_in_cgroup(void **state)
{
	(void)state;
	char *name = xasprintf("target-%d", (int)getpid()), *out = xasprintf("%s/rec-in", itest_tmpdir);
	assert_int_equal(cg_create(&itest_env, name, &target), 0);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--interval", "10ms", "--cgroup", target->dir, "--out", out, "--", "sh", "-c",
				      "cat /proc/self/cgroup; sleep 0.3", NULL);
	assert_int_equal(p.code, 0);
	char *want = xasprintf(":memory:%s\n", target->rel);
	if (itest_env.ver == CG_V2) {
		free(want);
		want = xasprintf("0::%s\n", target->rel);
	}
	if (!strstr(p.out, want) && !(itest_env.ver == CG_V2 && strstr(p.out, target->rel)))
		fail_msg("the command was not in %s: %s", target->rel, p.out);
	char *rj = xasprintf("%s/record.json", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "cgroup_created")));
	assert_string_equal(itest_str(r, "cgroup"), target->dir);
	size_t i, sh = 0;
	json_t *e;
	json_array_foreach(json_object_get(r, "processes"), i, e)
		sh += strcmp(itest_str(e, "comm"), "sh") == 0 || strcmp(itest_str(e, "comm"), "sleep") == 0;
	assert_true(sh >= 1); /* seen in G's cgroup.procs */
	json_decref(r);
	free(rj);
	free(want);
	free(out);
	free(name);
	itest_proc_free(&p);
	assert_int_equal(target_teardown(NULL), 0);
	itest_check_clean();
}

/* A cgroup of more processes than one read of cgroup.procs returns (the kernel hands
 * the list out a page of pids at a time): record.json lists every one of them. */
static void test_record_many_processes(void **state)
{
	(void)state;
	enum { N = 1200 };
	char *name = xasprintf("many-%d", (int)getpid()), *out = xasprintf("%s/rec-many", itest_tmpdir);
	assert_int_equal(cg_create(&itest_env, name, &target), 0);
	assert_int_equal(cg_write(target, "memory.max", "268435456"), 0);
	pid_t pids[N];
	int n = 0;
	for (; n < N; n++) {
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			if (cg_enter(target) < 0)
				_exit(1);
			pause();
			_exit(0);
		}
		pids[n] = pid;
	}
	/* every child has joined (or the deadline passed: the count below fails) */
	char *procs = cg_path(target, "cgroup.procs");
	size_t in = 0;
	for (double t0 = now_s(); in < N && now_s() - t0 < 60;) {
		char *text = NULL;
		in = 0;
		if (read_file(procs, &text, NULL) == 0)
			for (char *c = text; *c; c++)
				in += *c == '\n';
		free(text);
		usleep(20000);
	}
	struct proc_out p = itest_mph("record", "--wait", "10m", "--interval", "100ms", "--duration", "300ms", "--cgroup", target->dir, "--out",
				      out, NULL);
	for (int i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	assert_int_equal(n, N);
	assert_int_equal(in, N);
	assert_int_equal(p.code, 0);
	char *rj = xasprintf("%s/record.json", out);
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	json_t *table = json_object_get(r, "processes");
	assert_int_equal(json_array_size(table), N);
	size_t i, found = 0;
	json_t *e;
	json_array_foreach(table, i, e) {
		for (int k = 0; k < N; k++)
			if (itest_num(e, "pid") == pids[k]) {
				found++;
				break;
			}
	}
	assert_int_equal(found, N);
	json_decref(r);
	free(rj);
	free(procs);
	free(out);
	free(name);
	itest_proc_free(&p);
	assert_int_equal(target_teardown(NULL), 0);
	itest_check_clean();
}

static void test_record_cgroup_until_duration(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-cg", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--interval", "20ms", "--duration", "400ms", "--cgroup", itest_env.own,
				      "--out", out, NULL);
	assert_int_equal(p.code, 0);
	char *csv = xasprintf("%s/samples.csv", out);
	struct table t;
	table_load(csv, &t);
	long u = col(&t, "cg.usage[bytes]");
	assert_true(*t.rows[0][u] && atoll(t.rows[0][u]) > 0); /* this test's own cgroup uses memory */
	assert_true(t.nrow >= 10 && t.nrow <= 25);
	table_free(&t);
	free(csv);
	free(out);
	itest_proc_free(&p);
	p = itest_mph("record", "--cgroup", "/no/such/cgroup", "--duration", "1s", NULL);
	assert_int_equal(p.code, 2);
	assert_non_null(strstr(p.err, "--cgroup /no/such/cgroup: no such cgroup"));
	itest_proc_free(&p);
}

/* --slow vmstat --slow-interval 50ms at a 10 ms interval: vmstat's cells are filled at
 * the first and the last sample and otherwise at most every 50 ms (less half a tick
 * of jitter), empty between; meminfo (not slow) at every sample; record.json says so. */
static void test_record_slow_sources(void **state)
{
	(void)state;
	char *out = xasprintf("%s/rec-slow", itest_tmpdir);
	struct proc_out p = itest_mph("record", "--wait", "10m", "--interval", "10ms", "--slow", "vmstat", "--slow-interval", "50ms",
				      "--duration", "600ms", "--cgroup", itest_env.own, "--out", out, NULL);
	assert_int_equal(p.code, 0);
	char *csv = xasprintf("%s/samples.csv", out), *rj = xasprintf("%s/record.json", out);
	struct table t;
	table_load(csv, &t);
	long tc = col(&t, "t[s]"), vm = col(&t, "vmstat.pgfault[n]"), mi = col(&t, "meminfo.MemFree[bytes]");
	assert_true(t.nrow >= 3);
	assert_true(*t.rows[0][vm] && *t.rows[t.nrow - 1][vm]);
	double last = atof(t.rows[0][tc]);
	size_t filled = 0, empty = 0;
	for (size_t i = 0; i < t.nrow; i++) {
		assert_true(*t.rows[i][mi]);
		if (i == 0 || i == t.nrow - 1)
			continue;
		if (!*t.rows[i][vm]) {
			empty++;
			continue;
		}
		double now = atof(t.rows[i][tc]);
		if (now - last < 0.045)
			fail_msg("vmstat read %.3f s after its last read (row %zu)", now - last, i);
		last = now;
		filled++;
	}
	assert_true(empty > filled); /* 10 ms ticks, 50 ms reads */
	json_t *r = json_load_file(rj, 0, NULL);
	assert_non_null(r);
	json_t *rec = json_object_get(r, "recorder");
	assert_int_equal(json_array_size(json_object_get(rec, "slow_sources")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(rec, "slow_sources"), 0)), "vmstat");
	assert_int_equal(itest_num(rec, "slow_interval_ms"), 50);
	json_decref(r);
	table_free(&t);
	free(rj);
	free(csv);
	free(out);
	itest_proc_free(&p);
}

/* events.jsonl's events of a type (new references, at most max). */
static size_t events_of(const char *dir, const char *type, json_t **out, size_t max)
{
	char *ev = xasprintf("%s/events.jsonl", dir), *text = NULL, *save = NULL;
	assert_int_equal(read_file(ev, &text, NULL), 0);
	size_t n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e);
		if (strcmp(itest_str(e, "type"), type) == 0 && n < max)
			out[n++] = e;
		else
			json_decref(e);
	}
	free(text);
	free(ev);
	return n;
}

/* A shell forks three anonleak children of 16, 32 and 48 MiB: the processes table has
 * each, with its peak, and ranks the 48 MiB one first by RSS. */
static void test_every_process(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/procs-three.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	static const long long mib[] = { 16, 32, 48 };
	long long pid48 = -1, sh = -1;
	size_t i, found = 0;
	json_t *e;
	json_array_foreach(json_object_get(r, "processes"), i, e) {
		const char *cmd = json_string_value(json_object_get(e, "cmdline"));
		if (strcmp(itest_str(e, "comm"), "sh") == 0) {
			sh = itest_num(e, "pid");
			assert_string_equal(itest_str(e, "role"), "parent"); /* its children are in the cgroup too */
			assert_int_equal(itest_num(e, "children"), 3);
		}
		for (size_t k = 0; k < 3; k++) {
			char *arg = xasprintf("--size=%lldM ", mib[k]);
			if (cmd && strstr(cmd, arg) && strcmp(itest_str(e, "comm"), "anonleak") == 0) {
				long long want = mib[k] << 20, anon = itest_num(e, "peak_anon_bytes");
				if (llabs(anon - want) > want / 10)
					fail_msg("the %lld MiB child's peak anon is %lld bytes", mib[k], anon);
				assert_true(itest_num(e, "peak_rss_bytes") >= want);
				assert_string_equal(itest_str(e, "role"), "child");
				assert_int_equal(itest_num(e, "ppid"), sh);
				assert_int_equal(itest_num(e, "depth"), 2); /* exec, sh, anonleak */
				assert_string_equal(itest_str(e, "ended"), "exited");
				if (k == 2)
					pid48 = itest_num(e, "pid");
				found++;
			}
			free(arg);
		}
	}
	assert_int_equal(found, 3);
	json_t *top = json_array_get(json_object_get(json_object_get(r, "process_ranking"), "by_peak_rss"), 0);
	assert_int_equal(itest_num(top, "pid"), pid48);
	assert_non_null(strstr(p.out, "top RSS: pid "));
	/* processes.csv: the 48 MiB child's series */
	char *dir = itest_out_dir(&p), *csv = xasprintf("%s/processes.csv", dir);
	struct table t;
	table_load(csv, &t);
	long cp = col(&t, "pid"), ca = col(&t, "anon[bytes]");
	size_t rows = 0;
	for (size_t k = 0; k < t.nrow; k++)
		if (atoll(t.rows[k][cp]) == pid48 && atoll(t.rows[k][ca]) >= 45LL << 20)
			rows++;
	assert_true(rows >= 10); /* held for 1.5 s, sampled every 20 ms */
	json_t *ev[8];
	size_t nn = events_of(dir, "process_new", ev, 8);
	assert_true(nn >= 5); /* exec, sh and the three */
	for (size_t k = 0; k < nn; k++)
		json_decref(ev[k]);
	table_free(&t);
	free(csv);
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* Reclaim at the cgroup's limit (cgroup v1 here): the per-reclaimer counters of
 * /proc/vmstat stay at 0, the summary's memcg reclaim is all reclaim minus theirs,
 * and equals what the raw counters in run.json say within 2%. */
static void test_memcg_reclaim(void **state)
{
	(void)state;
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "scenarios/pagecache-reclaim.ini", NULL);
	assert_int_equal(p.code, 0);
	json_t *r = itest_load_result(&p);
	json_t *d = json_object_get(json_object_get(r, "vmstat"), "delta");
	static const char *const who[] = { "kswapd", "direct", "khugepaged", "proactive" };
	static const char *const kinds[] = { "pgscan", "pgsteal" }, *const fields[] = { "scanned_pages", "reclaimed_pages" };
	for (size_t k = 0; k < 2; k++) {
		char *an = xasprintf("%s_anon", kinds[k]), *fi = xasprintf("%s_file", kinds[k]);
		long long raw = json_integer_value(json_object_get(d, an)) + json_integer_value(json_object_get(d, fi));
		for (size_t i = 0; i < 4; i++) {
			char *n = xasprintf("%s_%s", kinds[k], who[i]);
			raw -= json_integer_value(json_object_get(d, n));
			free(n);
		}
		char *path = xasprintf("recorder.reclaim.memcg.%s", fields[k]);
		long long memcg = itest_num(r, path);
		if (memcg <= 0 || llabs(memcg - raw) > raw / 50)
			fail_msg("memcg %s: summary %lld, raw vmstat deltas %lld", kinds[k], memcg, raw);
		free(path);
		free(an);
		free(fi);
	}
	/* two 128 MiB files read twice through a 64 MiB cgroup: most of it reclaimed */
	assert_true(itest_num(r, "recorder.reclaim.memcg.scanned_pages") >= (256LL << 20) / 4096);
	assert_non_null(strstr(p.out, "reclaim (machine): memcg "));
	json_decref(r);
	itest_proc_free(&p);
	itest_check_clean();
}

/* The sibling cgroup of test_kill_elsewhere, removed whatever the test did. */
static struct cg *sibling;

static int sibling_teardown(void **state)
{
	(void)state;
	int r = sibling ? cg_destroy(sibling, 5000) : 0;
	sibling = NULL;
	return r;
}

/* A kill-free run while a sibling cgroup (below this test's own, 32 MiB) has an OOM
 * kill: the run's first_oom_kill_s stays null, its oom_kills empty, and the kill's
 * event is flagged elsewhere. */
static void test_kill_elsewhere(void **state)
{
	(void)state;
	const char *argv[] = { NULL, "run", "--wait", "10m", "--results", itest_results, "tests/scenarios/int/quiet.ini", NULL };
	pid_t mph = itest_spawn("quiet", argv);
	char *rundir = xasprintf("%s%s/mph-%d-1", itest_env.mount, itest_env.own, (int)mph);
	bool started = false;
	for (int i = 0; i < 500 && !started; i++) { /* bounded: 10 s */
		started = access(rundir, F_OK) == 0;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	free(rundir);
	if (!started) {
		kill(mph, SIGTERM);
		waitpid(mph, NULL, 0);
		fail_msg("the run's cgroup never appeared");
	}
	char *name = xasprintf("sibling-%d", (int)getpid());
	assert_int_equal(cg_create(&itest_env, name, &sibling), 0);
	free(name);
	assert_int_equal(cg_write(sibling, "memory.max", "32M"), 0);
	pid_t leak = fork();
	if (leak == 0) {
		if (cg_enter(sibling) < 0)
			_exit(126);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1); /* its reports */
		execl("workloads/anonleak", "anonleak", "--size=128M", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(leak, &st, 0);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL); /* OOM-killed in the sibling */
	waitpid(mph, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *o = xasprintf("%s/quiet.out", itest_tmpdir);
	struct proc_out p = { 0, NULL, NULL };
	assert_int_equal(read_file(o, &p.out, NULL), 0);
	free(o);
	json_t *r = itest_load_result(&p);
	assert_true(json_is_null(json_object_get(json_object_get(r, "recorder"), "first_oom_kill_s")));
	assert_int_equal(json_array_size(json_object_get(r, "oom_kills")), 0);
	assert_int_equal(itest_num(r, "cgroup.oom_kill"), 0);
	assert_string_equal(itest_str(itest_workload0(r), "outcome"), "exited");
	char *dir = itest_out_dir(&p);
	json_t *ev[16];
	size_t n = events_of(dir, "oom_kill", ev, 16), seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (!json_is_true(json_object_get(ev[i], "elsewhere")))
			fail_msg("an oom_kill event not flagged elsewhere: pid %lld", itest_num(ev[i], "pid"));
		seen += itest_num(ev[i], "pid") == (long long)leak;
		json_decref(ev[i]);
	}
	if (json_is_true(json_object_get(json_object_get(r, "kernel_log"), "readable"))) {
		assert_int_equal(seen, 1); /* the sibling's kill was read, as someone else's */
		assert_true(itest_num(r, "oom_kills_elsewhere") >= 1);
	}
	free(dir);
	json_decref(r);
	itest_proc_free(&p);
	assert_int_equal(sibling_teardown(NULL), 0);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_samples_add_up, itest_each_setup),
		cmocka_unit_test_setup(test_oom_event, itest_each_setup),
		cmocka_unit_test_setup(test_every_process, itest_each_setup),
		cmocka_unit_test_setup(test_memcg_reclaim, itest_each_setup),
		cmocka_unit_test_setup_teardown(test_kill_elsewhere, itest_each_setup, sibling_teardown),
		cmocka_unit_test_setup(test_record_command, itest_each_setup),
		cmocka_unit_test_setup(test_record_kill, itest_each_setup),
		cmocka_unit_test_setup_teardown(test_record_command_in_cgroup, itest_each_setup, target_teardown),
		cmocka_unit_test_setup_teardown(test_record_many_processes, itest_each_setup, target_teardown),
		cmocka_unit_test_setup(test_record_cgroup_until_duration, itest_each_setup),
		cmocka_unit_test_setup(test_record_slow_sources, itest_each_setup),
	};
	return itest_run_group("recorder-integration", tests, itest_group_setup, itest_group_teardown);
}
