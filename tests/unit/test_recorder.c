/* test_recorder.c - the recorder's parsers and CSV on saved kernel files (this
 * machine's v1 files, v2 files in the kernel documentation's format), a /proc without
 * PSI, keys that change under it, and the reclaim summary's formulas. */
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

#include "../../harness/host/procs.h"
#include "../../harness/host/recorder.h"
#include "../../harness/core/util.h"

struct csv {
	char **head, **row;  /* header and the LAST row */
	size_t n;
	size_t rows;
};

static char *data(const char *rel)
{
	const char *base = getenv("MPH_TEST_DATA");
	return xasprintf("%s/data/rec/%s", base ? base : "tests", rel);
}

static size_t split(char *line, char ***out)
{
	size_t n = 0;
	char **v = NULL;
	for (char *p = line;; ) {
		char *c = strchr(p, ',');
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = p;
		if (!c)
			break;
		*c = '\0';
		p = c + 1;
	}
	*out = v;
	return n;
}

static void csv_load(const char *dir, struct csv *c, char **text)
{
	char *p = xasprintf("%s/samples.csv", dir);
	assert_int_equal(read_file(p, text, NULL), 0);
	free(p);
	char *save = NULL, *first = strtok_r(*text, "\n", &save), *last = NULL;
	c->rows = 0;
	for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		last = l;
		c->rows++;
	}
	assert_non_null(first);
	assert_non_null(last);
	c->n = split(first, &c->head);
	assert_int_equal(split(last, &c->row), c->n); /* every row has every column */
}

static const char *cell(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->head[i], name) == 0)
			return c->row[i];
	fail_msg("no column %s", name);
	return NULL;
}

static bool has_col(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->head[i], name) == 0)
			return true;
	return false;
}

struct fx {
	char dir[64];
	struct recorder *r;
	json_t *summary;
	struct csv csv;
	char *text;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mph-rec-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rec_close(f->r);
	json_decref(f->summary);
	free(f->csv.head);
	free(f->csv.row);
	free(f->text);
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int r = system(cmd);
	free(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

#define RUN_CG "/process_api/ec30e74552547f2f2384905b6968c51c/mph-3665-1"

/* Open on saved files, feed kernel log records (kmsg: a saved log, may be NULL),
 * take the final sample, load the CSV. */
static void record_with(struct fx *f, const char *proc, const char *cg, enum cg_version v, bool pss, const char *rel,
			const char *kmsg)
{
	static const char *const procs[] = { "w" };
	char *pr = data(proc), *sr = data("sys"), *cd = cg ? data(cg) : NULL;
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .cg_dir = cd, .cg_ver = v, .cg_rel = rel, .cg_fresh = true,
				.pss = pss, .procs = procs, .nprocs = 1, .t0 = kmsg ? 0 : now_s(), .proc_root = pr, .sys_root = sr,
				.no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	/* t0 = 0 with a saved log: its kernel timestamps are from long before now */
	if (kmsg) {
		char *text = NULL, *save = NULL;
		char *base = getenv("MPH_TEST_DATA") ? xasprintf("%s/data/%s", getenv("MPH_TEST_DATA"), kmsg) : xasprintf("tests/data/%s", kmsg);
		if (strchr(kmsg, ';'))
			text = xstrdup(kmsg); /* records given inline */
		else
			assert_int_equal(read_file(base, &text, NULL), 0);
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			rec_kmsg_feed(f->r, l, strlen(l));
		free(text);
		free(base);
	}
	f->summary = rec_finish(f->r);
	csv_load(f->dir, &f->csv, &f->text);
	free(pr);
	free(sr);
	free(cd);
}

static void record_once(struct fx *f, const char *proc, const char *cg, enum cg_version v)
{
	record_with(f, proc, cg, v, false, NULL, NULL);
}

/* The events of a type in events.jsonl (new references in out, at most max). */
static size_t events_of(struct fx *f, const char *type, json_t **out, size_t max)
{
	char *p = xasprintf("%s/events.jsonl", f->dir), *text = NULL, *save = NULL;
	assert_int_equal(read_file(p, &text, NULL), 0);
	size_t n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(l, 0, NULL);
		assert_non_null(e);
		if (strcmp(json_string_value(json_object_get(e, "type")), type) == 0 && n < max)
			out[n++] = e;
		else
			json_decref(e);
	}
	free(text);
	free(p);
	return n;
}

static void test_v1_machine_files(void **state)
{
	struct fx *f = *state;
	record_once(f, "proc", "cg-v1", CG_V1);
	const struct csv *c = &f->csv;
	assert_string_equal(c->head[0], "t[s]");
	assert_int_equal(c->rows, 2); /* the sample at open and the final one */
	assert_string_equal(cell(c, "vmstat.pgfault[n]"), "8398986");
	assert_string_equal(cell(c, "vmstat.pgscan_kswapd[n]"), "0");
	assert_string_equal(cell(c, "meminfo.MemTotal[bytes]"), "25276063744"); /* 24683656 kB */
	assert_string_equal(cell(c, "psi.memory.some.avg10[%]"), "0.16");
	assert_string_equal(cell(c, "psi.memory.full.total[us]"), "182692");
	assert_string_equal(cell(c, "cg.stat.cache[n]"), "85856256");
	assert_string_equal(cell(c, "cg.usage[bytes]"), "138502144");
	assert_string_equal(cell(c, "cg.oom_control.oom_kill[n]"), "0");
	assert_true(has_col(c, "cg.failcnt[n]"));
	assert_true(has_col(c, "node0.meminfo.MemFree[bytes]"));
	assert_true(has_col(c, "node0.numastat.numa_hit[n]"));
	/* v1 has no per-cgroup PSI and no memory.events: no such columns */
	assert_false(has_col(c, "cg.psi.some.avg10[%]"));
	assert_false(has_col(c, "cg.events.oom_kill[n]"));
	/* a process with no pid yet: its columns exist and are empty, not 0 */
	assert_string_equal(cell(c, "proc.w.VmRSS[bytes]"), "");
	assert_string_equal(cell(c, "proc.w.VmSwap[bytes]"), "");
	assert_int_equal(json_integer_value(json_object_get(f->summary, "samples")), 2);
	assert_int_equal(json_array_size(json_object_get(f->summary, "absent_sources")), 0);
	/* v1's memory.stat has no pgscan/pgsteal: no per-reclaimer figures, but refaults */
	json_t *cr = json_object_get(f->summary, "cgroup_reclaim");
	assert_true(json_is_null(json_object_get(json_object_get(cr, "reclaimers"), "direct")));
	assert_true(json_is_integer(json_object_get(cr, "refaults_file_pages")));
	assert_true(json_is_null(json_object_get(cr, "memcg"))); /* no pgscan_anon/file in a memory.stat */
	/* v1 swap: memsw.usage - usage sampled (0 here); no per-cgroup swap-in/out counters */
	json_t *sw = json_object_get(f->summary, "cgroup_swap");
	assert_int_equal(json_integer_value(json_object_get(sw, "peak_bytes")), 0);
	assert_true(json_is_null(json_object_get(sw, "out_mb")));
	/* the cgroup's one process (cgroup.procs), from its status, statm and cmdline */
	json_t *ps = rec_processes(f->r);
	assert_int_equal(json_array_size(ps), 1);
	json_t *p = json_array_get(ps, 0);
	assert_int_equal(json_integer_value(json_object_get(p, "pid")), 4242);
	assert_int_equal(json_integer_value(json_object_get(p, "ppid")), 5136);
	assert_string_equal(json_string_value(json_object_get(p, "comm")), "sleep");
	assert_string_equal(json_string_value(json_object_get(p, "cmdline")), "sleep 5");
	assert_string_equal(json_string_value(json_object_get(p, "role")), "child");
	assert_int_equal(json_integer_value(json_object_get(p, "depth")), 0);
	assert_int_equal(json_integer_value(json_object_get(p, "peak_rss_bytes")), 420 * 4096); /* statm's resident pages */
	assert_int_equal(json_integer_value(json_object_get(p, "peak_anon_bytes")), 108 * 1024);
	assert_int_equal(json_integer_value(json_object_get(p, "peak_swap_bytes")), 0);
	assert_true(json_is_null(json_object_get(p, "peak_pss_bytes"))); /* not asked for */
	assert_string_equal(json_string_value(json_object_get(p, "ended")), "running");
	json_decref(ps);
	json_t *rk = rec_process_ranking(f->r);
	assert_int_equal(json_array_size(json_object_get(rk, "by_peak_swap")), 0); /* it never swapped */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(rk, "by_peak_rss"), 0), "pid")), 4242);
	json_decref(rk);
	json_t *ev[4];
	size_t n = events_of(f, "process_new", ev, 4);
	assert_int_equal(n, 1);
	assert_string_equal(json_string_value(json_object_get(ev[0], "comm")), "sleep");
	json_decref(ev[0]);
	/* processes.csv: one row per process and sample */
	char *pc = xasprintf("%s/processes.csv", f->dir), *text = NULL;
	assert_int_equal(read_file(pc, &text, NULL), 0);
	assert_non_null(strstr(text, "t[s],pid,rss[bytes],anon[bytes],file[bytes],shmem[bytes],swap[bytes],pss[bytes]\n"));
	assert_non_null(strstr(text, ",4242,1720320,110592,1609728,0,0,\n"));
	free(text);
	free(pc);
}

static void test_pss_of_the_largest(void **state)
{
	struct fx *f = *state;
	record_with(f, "proc", "cg-v1", CG_V1, true, NULL, NULL);
	json_t *ps = rec_processes(f->r);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ps, 0), "peak_pss_bytes")), 216 * 1024);
	json_decref(ps);
}

/* Only the run cgroup's OOM kills are the run's: a kill the log places in another
 * cgroup is an event flagged elsewhere, and no first_oom_kill_s. */
static void test_kill_in_run(void **state)
{
	struct fx *f = *state;
	record_with(f, "proc", "cg-v1", CG_V1, false, RUN_CG, "kmsg-memcg-oom-6.18.txt");
	json_t *ev[4];
	assert_int_equal(events_of(f, "oom_kill", ev, 4), 1);
	assert_false(json_is_true(json_object_get(ev[0], "elsewhere")));
	assert_string_equal(json_string_value(json_object_get(ev[0], "placed_by")), "kernel log");
	json_decref(ev[0]);
	const char *by = NULL;
	assert_true(rec_kill_in_run(f->r, 0, &by));
	assert_string_equal(by, "kernel log");
	assert_true(json_is_number(json_object_get(f->summary, "first_oom_kill_s")));
}

static void test_kill_elsewhere(void **state)
{
	struct fx *f = *state;
	record_with(f, "proc", "cg-v1", CG_V1, false, "/process_api/ec30e74552547f2f2384905b6968c51c/mph-3665-10",
		    "kmsg-memcg-oom-6.18.txt");
	json_t *ev[4];
	assert_int_equal(events_of(f, "oom_kill", ev, 4), 1);
	assert_true(json_is_true(json_object_get(ev[0], "elsewhere")));
	json_decref(ev[0]);
	assert_false(rec_kill_in_run(f->r, 0, NULL));
	assert_true(json_is_null(json_object_get(f->summary, "first_oom_kill_s")));
}

/* Kills whose cgroup the kernel did not log (rate-limited): a pid seen in the cgroup
 * is the run's; one never seen, with the cgroup's oom_kill counter unmoved, is not. */
static void test_unnamed_kills(void **state)
{
	struct fx *f = *state;
	record_with(f, "proc", "cg-v1", CG_V1, false, RUN_CG,
		    "3,500,700000000,-;Memory cgroup out of memory: Killed process 4242 (sleep) total-vm:2920kB, anon-rss:108kB, "
		    "file-rss:1572kB, shmem-rss:0kB, UID:0 pgtables:44kB oom_score_adj:0\n"
		    "3,501,700000100,-;Memory cgroup out of memory: Killed process 777 (other) total-vm:2920kB, anon-rss:108kB, "
		    "file-rss:1572kB, shmem-rss:0kB, UID:0 pgtables:44kB oom_score_adj:0");
	const char *by = NULL;
	assert_true(rec_kill_in_run(f->r, 0, &by));
	assert_string_equal(by, "cgroup.procs");
	assert_false(rec_kill_in_run(f->r, 1, NULL));
	json_t *ev[4];
	assert_int_equal(events_of(f, "oom_kill", ev, 4), 2); /* the undecided one written at the end */
	assert_false(json_is_true(json_object_get(ev[0], "elsewhere")));
	assert_true(json_is_true(json_object_get(ev[1], "elsewhere")));
	json_decref(ev[0]);
	json_decref(ev[1]);
	json_t *ps = rec_processes(f->r);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ps, 0), "ended")), "oom-killed");
	json_decref(ps);
}

static void test_v2_doc_files(void **state)
{
	struct fx *f = *state;
	record_once(f, "proc", "cg-v2", CG_V2);
	const struct csv *c = &f->csv;
	assert_string_equal(cell(c, "cg.usage[bytes]"), "73728000");
	assert_string_equal(cell(c, "cg.peak[bytes]"), "134217728");
	assert_string_equal(cell(c, "cg.events.oom_kill[n]"), "1");
	assert_string_equal(cell(c, "cg.events.max[n]"), "340");
	assert_string_equal(cell(c, "cg.psi.some.avg10[%]"), "0.50");
	assert_string_equal(cell(c, "cg.psi.full.total[us]"), "65432");
	assert_string_equal(cell(c, "cg.stat.workingset_refault_anon[n]"), "17");
	assert_string_equal(cell(c, "cg.stat.pgscan_proactive[n]"), "0");
	assert_string_equal(cell(c, "cg.stat.zswpwb[n]"), "0"); /* a newer kernel's counter */
	/* limit reclaim is counted in memory.stat only: the cgroup's own summary has it */
	json_t *cr = json_object_get(json_object_get(f->summary, "cgroup_reclaim"), "reclaimers");
	assert_true(json_is_object(json_object_get(cr, "direct")));
	assert_true(json_is_null(json_object_get(json_object_get(f->summary, "cgroup_reclaim"), "swap_in_mb")));
	assert_false(has_col(c, "cg.failcnt[n]"));                /* v1 only */
	/* the cgroup's high-water mark counts as peak even when no sample saw it */
	assert_int_equal(json_integer_value(json_object_get(f->summary, "peak_usage_bytes")), 134217728);
	/* swap: the kernel's high-water mark beats the samples (1 MiB now) */
	assert_string_equal(cell(c, "cg.swap[bytes]"), "1048576");
	json_t *sw = json_object_get(f->summary, "cgroup_swap");
	assert_int_equal(json_integer_value(json_object_get(sw, "peak_bytes")), 4194304);
	assert_string_equal(json_string_value(json_object_get(sw, "peak_from")), "memory.swap.peak");
	/* a memory.stat counts limit reclaim as direct and sums it in pgscan/pgsteal */
	json_t *all = json_object_get(json_object_get(f->summary, "cgroup_reclaim"), "all");
	assert_int_equal(json_integer_value(json_object_get(all, "scanned_pages")), 0); /* one snapshot: no change */
}

/* A copy of cg-v2 in the test's directory, whose files the test rewrites in place
 * (the recorder re-reads each with pread). */
static char *cg_copy(struct fx *f)
{
	char *src = data("cg-v2"), *dst = xasprintf("%s/cg", f->dir), *cmd = xasprintf("cp -r '%s' '%s'", src, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(src);
	return dst;
}

static void rewrite(const char *dir, const char *file, const char *text)
{
	char *p = xasprintf("%s/%s", dir, file);
	assert_int_equal(write_file(p, text), 0);
	free(p);
}

/* The live view between samples: values now, peaks and rises so far; the same rises
 * as the summary's at the end (cgroup_psi_memory is the cgroup's own PSI). */
static void test_live(void **state)
{
	struct fx *f = *state;
	char *cg = cg_copy(f), *pr = data("proc"), *sr = data("sys");
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .cg_dir = cg, .cg_ver = CG_V2, .cg_rel = RUN_CG,
				.cg_fresh = true, .t0 = now_s(), .proc_root = pr, .sys_root = sr, .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	struct rec_live v;
	rec_live(f->r, &v);
	assert_true(v.t >= 0);
	assert_int_equal(v.usage, 73728000);
	assert_int_equal(v.peak, 134217728); /* the cgroup's high-water mark: made for the recording */
	assert_int_equal(v.swap, 1048576);
	assert_int_equal(v.swap_peak, 4194304);
	assert_int_equal(v.oom_kills, 0);    /* one sample: nothing has risen yet */
	assert_int_equal(v.pgscan, 0);
	assert_int_equal(v.psi_some_avg10, 50);
	assert_int_equal(v.psi_full_avg10, 25);
	assert_int_equal(v.psi_some_us, 0);
	assert_int_equal(v.nprocs, 1);
	assert_int_equal(v.nseen, 1);
	assert_int_equal(v.ntop, 1);
	assert_int_equal(v.top[0].pid, 4242);
	assert_string_equal(v.top[0].comm, "sleep");
	assert_true(v.top[0].rss > 0);

	rewrite(cg, "memory.current", "80000000\n");
	rewrite(cg, "memory.events", "low 0\nhigh 12\nmax 400\noom 3\noom_kill 3\noom_group_kill 0\n");
	rewrite(cg, "memory.pressure", "some avg10=7.25 avg60=1.00 avg300=0.20 total=1623456\n"
				       "full avg10=2.00 avg60=0.50 avg300=0.10 total=565432\n");
	rec_sample(f->r);
	rec_live(f->r, &v);
	assert_int_equal(v.usage, 80000000);
	assert_int_equal(v.peak, 134217728);
	assert_int_equal(v.oom_kills, 2);
	assert_int_equal(v.psi_some_avg10, 725);
	assert_int_equal(v.psi_some_us, 1500000);
	assert_int_equal(v.psi_full_us, 500000);

	f->summary = rec_finish(f->r);
	json_t *psi = json_object_get(f->summary, "cgroup_psi_memory");
	assert_true(json_real_value(json_object_get(json_object_get(psi, "some"), "stall_total_s")) == 1.5);
	assert_true(json_real_value(json_object_get(json_object_get(psi, "some"), "peak_avg10_pct")) == 7.25);
	assert_true(json_real_value(json_object_get(json_object_get(psi, "full"), "stall_total_s")) == 0.5);
	/* the machine's PSI stays in psi_memory */
	assert_true(json_is_object(json_object_get(f->summary, "psi_memory")));
	free(cg);
	free(pr);
	free(sr);
}

static void test_missing_psi(void **state)
{
	struct fx *f = *state;
	record_once(f, "proc-nopsi", NULL, CG_NONE);
	const struct csv *c = &f->csv;
	/* the columns are there, empty: absent, never 0 */
	assert_string_equal(cell(c, "psi.memory.some.avg10[%]"), "");
	assert_string_equal(cell(c, "psi.memory.full.total[us]"), "");
	assert_string_equal(cell(c, "psi.io.some.total[us]"), "");
	assert_string_equal(cell(c, "vmstat.pgfault[n]"), "8398986");
	json_t *absent = json_object_get(f->summary, "absent_sources");
	assert_int_equal(json_array_size(absent), 2);
	assert_non_null(strstr(json_string_value(json_array_get(absent, 0)), "pressure/memory"));
	json_t *psi = json_object_get(json_object_get(f->summary, "psi_memory"), "some");
	assert_true(json_is_null(json_object_get(psi, "stall_total_s")));
	assert_true(json_is_null(json_object_get(psi, "peak_avg10_pct")));
}

/* A recorder whose /proc (*root: the recorder keeps the pointer) holds only a copy of
 * the saved vmstat (its text in *text); returns that copy's path, which a test rewrites
 * in place between samples. */
static char *open_on_saved_vmstat(struct fx *f, char **text, char **root_out)
{
	char *root = *root_out = xasprintf("%s/proc", f->dir), *src = data("proc/vmstat");
	assert_int_equal(mkdir_p(root), 0);
	assert_int_equal(read_file(src, text, NULL), 0);
	char *vm = xasprintf("%s/vmstat", root);
	assert_int_equal(write_file_atomic(vm, *text, strlen(*text)), 0);
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .t0 = now_s(), .proc_root = root,
				.sys_root = "/nonexistent", .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	free(src);
	return vm;
}

/* Keys learned at open; a kernel file that later shows a new key first, and a changed
 * value: the value lands in its own column, the new key is not a column. */
static void test_keys_change(void **state)
{
	struct fx *f = *state;
	char *text = NULL, *root = NULL, *vm = open_on_saved_vmstat(f, &text, &root);
	/* rewrite in place (the recorder keeps its fd open): new first line, new pgfault */
	char *p = strstr(text, "\npgfault ");
	assert_non_null(p);
	*p = '\0';
	char *rest = strchr(p + 1, '\n');
	char *changed = xasprintf("pgbrandnew 77\n%s\npgfault 9999999%s", text, rest);
	FILE *fp = fopen(vm, "r+");
	assert_non_null(fp);
	fputs(changed, fp);
	fclose(fp);
	f->summary = rec_finish(f->r);
	csv_load(f->dir, &f->csv, &f->text);
	assert_string_equal(cell(&f->csv, "vmstat.pgfault[n]"), "9999999");
	assert_false(has_col(&f->csv, "vmstat.pgbrandnew[n]"));
	free(changed);
	free(vm);
	free(text);
	free(root);
}

/* The recorder parses only the lines that changed since its last read of a file: a
 * value that grew a digit (every later line moves), one changed in place and the
 * last line's, between samples whose other lines stay as they were. Every column
 * must hold the file's value at each sample. */
static void test_changed_lines(void **state)
{
	struct fx *f = *state;
	char *text = NULL, *root = NULL, *vm = open_on_saved_vmstat(f, &text, &root);
	rec_sample(f->r); /* nothing changed */
	/* nr_free_pages 1066966 -> 10669660 (first line, one digit longer), pgfault
	 * 8398986 -> 8398987 (in place), nr_unstable 0 -> 5 (last line) */
	assert_int_equal(strncmp(text, "nr_free_pages 1066966\n", 22), 0);
	char *pf = strstr(text, "\npgfault 8398986\n"), *last = strstr(text, "\nnr_unstable 0\n");
	assert_non_null(pf);
	assert_non_null(last);
	pf[15] = '7';
	last[13] = '5';
	char *changed = xasprintf("nr_free_pages 10669660\n%s", text + 22);
	FILE *fp = fopen(vm, "w");
	assert_non_null(fp);
	fputs(changed, fp);
	fclose(fp);
	f->summary = rec_finish(f->r);
	csv_load(f->dir, &f->csv, &f->text);
	assert_int_equal(f->csv.rows, 3);
	assert_string_equal(cell(&f->csv, "vmstat.nr_free_pages[n]"), "10669660");
	assert_string_equal(cell(&f->csv, "vmstat.pgfault[n]"), "8398987");
	assert_string_equal(cell(&f->csv, "vmstat.nr_unstable[n]"), "5");
	assert_string_equal(cell(&f->csv, "vmstat.pgmajfault[n]"), "2393");    /* moved, unchanged */
	assert_string_equal(cell(&f->csv, "vmstat.nr_free_pages_blocks[n]"), "1046528");
	assert_string_equal(cell(&f->csv, "vmstat.direct_map_level3_collapses[n]"), "0");
	free(changed);
	free(vm);
	free(text);
	free(root);
}

/* samples.csv's body is patched from the row before (write_row): each row must still
 * read as its own sample, whatever changed - a value of the same length (written in
 * place), a longer or shorter one (the rest rewritten), a source read in one row and
 * not the next (meminfo, slow here: read at the first and the final sample only). */
static void test_rows_patched(void **state)
{
	struct fx *f = *state;
	char *root = xasprintf("%s/proc", f->dir), *vsrc = data("proc/vmstat"), *msrc = data("proc/meminfo");
	char *vtext = NULL, *mtext = NULL;
	assert_int_equal(mkdir_p(root), 0);
	assert_int_equal(read_file(vsrc, &vtext, NULL), 0);
	assert_int_equal(read_file(msrc, &mtext, NULL), 0);
	char *vm = xasprintf("%s/vmstat", root), *mi = xasprintf("%s/meminfo", root);
	assert_int_equal(write_file_atomic(vm, vtext, strlen(vtext)), 0);
	assert_int_equal(write_file_atomic(mi, mtext, strlen(mtext)), 0);
	/* vmstat's keys and values, in order */
	enum { MAXK = 512, ROWS = 40 };
	char *key[MAXK];
	static char val[ROWS][MAXK][24];
	size_t nk = 0;
	char *save = NULL;
	for (char *l = strtok_r(vtext, "\n", &save); l && nk < MAXK; l = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(l, ' ');
		assert_non_null(sp);
		*sp = 0;
		key[nk] = l;
		snprintf(val[0][nk], sizeof(val[0][nk]), "%s", sp + 1);
		nk++;
	}
	struct rec_config c = { .dir = f->dir, .interval_ms = 1, .slow = REC_SLOW_GIVEN | REC_SLOW_MEMINFO, .slow_ms = 3600000,
				.t0 = now_s(), .proc_root = root, .sys_root = "/nonexistent", .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0); /* row 0 */
	unsigned long long x = 88172645463325252ull; /* xorshift: the same rows every run */
	for (int r = 1; r < ROWS; r++) {
		char *text = xstrdup("");
		for (size_t k = 0; k < nk; k++) {
			memcpy(val[r][k], val[r - 1][k], sizeof(val[r][k]));
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			if (x % 4 == 0) { /* a new value of 1 to 12 digits */
				int digits = 1 + (int)((x >> 8) % 12);
				unsigned long long v = (x >> 16) % 1000000000000ull, lo = 1;
				for (int d = 1; d < digits; d++)
					lo *= 10;
				v = digits == 1 ? v % 10 : lo + v % (lo * 9);
				snprintf(val[r][k], sizeof(val[r][k]), "%llu", v);
			}
			char *t = xasprintf("%s%s %s\n", text, key[k], val[r][k]);
			free(text);
			text = t;
		}
		FILE *fp = fopen(vm, "w"); /* the same file: the recorder keeps it open */
		assert_non_null(fp);
		fputs(text, fp);
		fclose(fp);
		free(text);
		if (r < ROWS - 1)
			rec_sample(f->r);
	}
	f->summary = rec_finish(f->r); /* the final sample: row ROWS - 1 */
	char *p = xasprintf("%s/samples.csv", f->dir), *csv = NULL;
	assert_int_equal(read_file(p, &csv, NULL), 0);
	char *lsave = NULL, **head = NULL, **cells = NULL;
	size_t nh = split(strtok_r(csv, "\n", &lsave), &head);
	size_t col[MAXK], mcol = nh;
	for (size_t k = 0; k < nk; k++) {
		char *want = xasprintf("vmstat.%s[n]", key[k]);
		col[k] = nh;
		for (size_t i = 0; i < nh; i++)
			if (strcmp(head[i], want) == 0)
				col[k] = i;
		assert_true(col[k] < nh);
		free(want);
	}
	for (size_t i = 0; i < nh && mcol == nh; i++)
		if (strcmp(head[i], "meminfo.MemFree[bytes]") == 0)
			mcol = i;
	assert_true(mcol < nh);
	int r = 0;
	for (char *l = strtok_r(NULL, "\n", &lsave); l; l = strtok_r(NULL, "\n", &lsave), r++) {
		assert_true(r < ROWS);
		free(cells);
		assert_int_equal(split(l, &cells), nh);
		for (size_t k = 0; k < nk; k++)
			if (strcmp(cells[col[k]], val[r][k]) != 0)
				fail_msg("row %d, %s: %s, not %s", r, key[k], cells[col[k]], val[r][k]);
		bool read = r == 0 || r == ROWS - 1;
		if (read != (cells[mcol][0] != 0))
			fail_msg("row %d: meminfo.MemFree is \"%s\"", r, cells[mcol]);
	}
	assert_int_equal(r, ROWS);
	free(cells);
	free(head);
	free(csv);
	free(p);
	free(vm);
	free(mi);
	free(vtext);
	free(mtext);
	free(vsrc);
	free(msrc);
	free(root);
}

/* A key-value source's columns are marked as the last read's while every line keeps
 * its column: a value that no longer parses, or a line gone, must still leave its
 * cell empty in that row, and a value back must fill it again. */
static void test_lines_gone_or_bad(void **state)
{
	struct fx *f = *state;
	char *text = NULL, *root = NULL, *vm = open_on_saved_vmstat(f, &text, &root); /* row 0 */
	rec_sample(f->r);                                                              /* row 1: as read */
	char *pf = strstr(text, "\npgfault 8398986\n"), *last = strstr(text, "\nnr_unstable 0\n");
	assert_non_null(pf);
	assert_non_null(last);
	char *bad = xstrdup(text);
	memcpy(bad + (pf - text) + 9, "x398986", 7); /* not a number */
	bad[(last - text) + 1] = 0;                    /* the last line gone */
	FILE *fp = fopen(vm, "w");
	assert_non_null(fp);
	fputs(bad, fp);
	fclose(fp);
	rec_sample(f->r); /* row 2 */
	fp = fopen(vm, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	rec_sample(f->r); /* row 3: as first read */
	f->summary = rec_finish(f->r); /* row 4 */
	char *p = xasprintf("%s/samples.csv", f->dir), *csv = NULL, *save = NULL, **head = NULL, **cells = NULL;
	assert_int_equal(read_file(p, &csv, NULL), 0);
	size_t nh = split(strtok_r(csv, "\n", &save), &head), cf = nh, cu = nh, cm = nh;
	for (size_t i = 0; i < nh; i++) {
		if (strcmp(head[i], "vmstat.pgfault[n]") == 0)
			cf = i;
		if (strcmp(head[i], "vmstat.nr_unstable[n]") == 0)
			cu = i;
		if (strcmp(head[i], "vmstat.pgmajfault[n]") == 0)
			cm = i;
	}
	assert_true(cf < nh && cu < nh && cm < nh);
	static const char *const want_f[] = { "8398986", "8398986", "", "8398986", "8398986" };
	static const char *const want_u[] = { "0", "0", "", "0", "0" };
	int r = 0;
	for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save), r++) {
		assert_true(r < 5);
		free(cells);
		assert_int_equal(split(l, &cells), nh);
		if (strcmp(cells[cf], want_f[r]) != 0 || strcmp(cells[cu], want_u[r]) != 0)
			fail_msg("row %d: pgfault \"%s\", nr_unstable \"%s\"", r, cells[cf], cells[cu]);
		assert_string_equal(cells[cm], "2393"); /* a line beside them, unchanged throughout */
	}
	assert_int_equal(r, 5);
	free(cells);
	free(head);
	free(csv);
	free(p);
	free(bad);
	free(vm);
	free(text);
	free(root);
}

static void test_reclaim_summary(void **state)
{
	(void)state;
	json_t *b = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "pgscan_kswapd", 100,
			      "pgsteal_kswapd", 0, "pgscan_direct", 0, "pgsteal_direct", 0, "pgscan_anon", 0,
			      "pgscan_file", 0, "allocstall_normal", 0, "allocstall_movable", 1, "pswpin", 0, "pswpout", 0,
			      "pgscan_khugepaged", 0, "pgsteal_khugepaged", 0);
	json_t *a = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "pgscan_kswapd", 1100,
			      "pgsteal_kswapd", 900, "pgscan_direct", 250, "pgsteal_direct", 200, "pgscan_anon", 600,
			      "pgscan_file", 750, "allocstall_normal", 3, "allocstall_movable", 2, "pswpin", 0, "pswpout", 256,
			      "pgscan_khugepaged", 0, "pgsteal_khugepaged", 0);
	json_t *s = rec_reclaim_summary(b, a, 2.0, 4096);
	json_t *k = json_object_get(json_object_get(s, "reclaimers"), "kswapd");
	json_t *d = json_object_get(json_object_get(s, "reclaimers"), "direct");
	assert_int_equal(json_integer_value(json_object_get(k, "scanned_pages")), 1000);
	assert_int_equal(json_integer_value(json_object_get(k, "reclaimed_pages")), 900);
	assert_float_equal(json_real_value(json_object_get(k, "efficiency_pct")), 90.0, 1e-9);
	assert_float_equal(json_real_value(json_object_get(k, "velocity_pages_per_s")), 500.0, 1e-9);
	assert_float_equal(json_real_value(json_object_get(d, "efficiency_pct")), 80.0, 1e-9);
	/* pgscan_anon/pgscan_file split the same scans by type: not added again */
	assert_float_equal(json_real_value(json_object_get(s, "direct_scan_pct")), 250.0 * 100 / 1250, 1e-9);
	/* nothing scanned: no efficiency to speak of */
	json_t *kh = json_object_get(json_object_get(s, "reclaimers"), "khugepaged");
	assert_true(json_is_null(json_object_get(kh, "efficiency_pct")));
	/* counters this "kernel" lacks: null, not 0 */
	assert_true(json_is_null(json_object_get(json_object_get(s, "reclaimers"), "proactive")));
	assert_true(json_is_null(json_object_get(s, "refaults_anon_pages")));
	assert_int_equal(json_integer_value(json_object_get(s, "allocation_stalls")), 4);
	assert_float_equal(json_real_value(json_object_get(s, "swap_out_mb")), 1.0, 1e-9);
	json_decref(s);
	json_decref(a);
	json_decref(b);
}

static json_t *vmstat_file(const char *rel)
{
	char *p = data(rel), *text = NULL;
	assert_int_equal(read_file(p, &text, NULL), 0);
	json_t *o = json_object();
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char key[128];
		long long v;
		if (sscanf(l, "%127s %lld", key, &v) == 2)
			json_object_set_new(o, key, json_integer(v));
	}
	free(text);
	free(p);
	return o;
}

static long long reclaim_num(json_t *s, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(s, a), b);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* Reclaim at a cgroup's limit, from a real run of pagecache-reclaim on cgroup v1: the
 * per-reclaimer counters stay 0, all of it shows as memcg = (pgscan_anon + pgscan_file)
 * - the reclaimers' sum. */
static void test_memcg_reclaim_saved(void **state)
{
	(void)state;
	json_t *b = vmstat_file("vmstat-pagecache-reclaim/before"), *a = vmstat_file("vmstat-pagecache-reclaim/after");
	json_t *s = rec_reclaim_summary(b, a, 1.805, 4096);
	assert_int_equal(reclaim_num(json_object_get(s, "reclaimers"), "direct", "scanned_pages"), 0);
	assert_int_equal(reclaim_num(json_object_get(s, "reclaimers"), "kswapd", "scanned_pages"), 0);
	assert_int_equal(reclaim_num(s, "memcg", "scanned_pages"), 115200);
	assert_int_equal(reclaim_num(s, "memcg", "reclaimed_pages"), 115200);
	assert_int_equal(reclaim_num(s, "all", "scanned_pages"), 115200);
	assert_float_equal(json_real_value(json_object_get(json_object_get(s, "memcg"), "efficiency_pct")), 100.0, 1e-9);
	/* clean page cache only: file reclaim at 100%, nothing anonymous scanned */
	json_t *t = json_object_get(s, "by_type");
	assert_float_equal(json_real_value(json_object_get(json_object_get(t, "file"), "efficiency_pct")), 100.0, 1e-9);
	assert_true(json_is_null(json_object_get(json_object_get(t, "anon"), "efficiency_pct")));
	assert_int_equal(reclaim_num(t, "anon", "scanned_pages"), 0);
	json_decref(s);
	json_decref(a);
	json_decref(b);
}

/* Mixed reclaim: kswapd, direct and limit reclaim at once; efficiency per type. */
static void test_memcg_reclaim_mixed(void **state)
{
	(void)state;
	json_t *b = json_object(), *a = json_object();
	static const struct { const char *k; long long d; } deltas[] = {
		{ "pgscan_kswapd", 1000 }, { "pgsteal_kswapd", 900 }, { "pgscan_direct", 250 }, { "pgsteal_direct", 200 },
		{ "pgscan_khugepaged", 0 }, { "pgsteal_khugepaged", 0 }, { "pgscan_proactive", 0 }, { "pgsteal_proactive", 0 },
		/* all reclaim: 1250 by the reclaimers + 750 at cgroup limits */
		{ "pgscan_anon", 800 }, { "pgsteal_anon", 400 }, { "pgscan_file", 1200 }, { "pgsteal_file", 1100 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(deltas); i++) {
		json_object_set_new(b, deltas[i].k, json_integer(5000));
		json_object_set_new(a, deltas[i].k, json_integer(5000 + deltas[i].d));
	}
	json_t *s = rec_reclaim_summary(b, a, 2.0, 4096);
	assert_int_equal(reclaim_num(s, "all", "scanned_pages"), 2000);
	assert_int_equal(reclaim_num(s, "memcg", "scanned_pages"), 750);
	assert_int_equal(reclaim_num(s, "memcg", "reclaimed_pages"), 1500 - 1100);
	assert_float_equal(json_real_value(json_object_get(json_object_get(s, "memcg"), "velocity_pages_per_s")), 375.0, 1e-9);
	json_t *t = json_object_get(s, "by_type");
	assert_float_equal(json_real_value(json_object_get(json_object_get(t, "anon"), "efficiency_pct")), 50.0, 1e-9);
	assert_float_equal(json_real_value(json_object_get(json_object_get(t, "file"), "efficiency_pct")), 1100.0 * 100 / 1200, 1e-9);
	json_decref(s);
	/* a kernel without pgscan_anon/file: no total, so no memcg figure (null, not 0) */
	json_object_del(a, "pgscan_file");
	s = rec_reclaim_summary(b, a, 2.0, 4096);
	assert_true(json_is_null(json_object_get(s, "memcg")));
	assert_true(json_is_null(json_object_get(s, "all")));
	assert_true(json_is_null(json_object_get(json_object_get(s, "by_type"), "file")));
	json_decref(s);
	json_decref(a);
	json_decref(b);
}

static void test_zoneinfo(void **state)
{
	(void)state;
	char *p = data("proc/zoneinfo"), *text = NULL;
	assert_int_equal(read_file(p, &text, NULL), 0);
	json_t *z = rec_zoneinfo(text);
	json_t *normal = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(z, i, e)
		if (strcmp(json_string_value(json_object_get(e, "zone")), "Normal") == 0)
			normal = e;
	assert_non_null(normal);
	assert_int_equal(json_integer_value(json_object_get(normal, "min_pages")), 5679);
	assert_int_equal(json_integer_value(json_object_get(normal, "low_pages")), 7098);
	assert_int_equal(json_integer_value(json_object_get(normal, "high_pages")), 8517);
	assert_true(json_integer_value(json_object_get(normal, "managed_pages")) > 0);
	json_decref(z);
	free(text);
	free(p);
}

/* Files written into <fixture>/proc: {relative path, text} pairs, NULL-terminated. */
static char *stand_in_proc(struct fx *f, const char *const (*files)[2])
{
	char *root = xasprintf("%s/proc", f->dir);
	for (size_t i = 0; files[i][0]; i++) {
		char *p = xasprintf("%s/%s", root, files[i][0]), *slash = strrchr(p, '/');
		*slash = '\0';
		assert_int_equal(mkdir_p(p), 0);
		*slash = '/';
		assert_int_equal(write_file_atomic(p, files[i][1], strlen(files[i][1])), 0);
		free(p);
	}
	return root;
}

/* A process's statm as its only sample source (pid 1 of the stand-in /proc). */
static void record_statm(struct fx *f, const char *statm)
{
	static const char *const procs[] = { "w" };
	const char *const files[][2] = { { "1/statm", statm }, { NULL, NULL } };
	char *root = stand_in_proc(f, files);
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .statm = true, .procs = procs, .nprocs = 1,
				.t0 = now_s(), .proc_root = root, .sys_root = "/nonexistent", .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	rec_set_pid(f->r, 0, 1);
	f->summary = rec_finish(f->r);
	csv_load(f->dir, &f->csv, &f->text);
	free(root);
}

/* Found by tests/fuzz/fuzz_recorder: numbers too large for a long long (in bytes,
 * for kB) overflowed (undefined behaviour; garbage in the CSV). Such a read is
 * corrupt: no value, as for an absent file. The smallest long long still is one. */
static void test_numbers_out_of_range(void **state)
{
	struct fx *f = *state;
	const char *const files[][2] = {
		{ "vmstat", "pgfault 99999999999999999999\nnr_gauge -9223372036854775808\nnr_low -9223372036854775809\npswpin 5\n" },
		{ "meminfo", "MemTotal:       9223372036854775807 kB\nMemFree:             100 kB\n" },
		{ "pressure/memory", "some avg10=99999999999999999999.00 avg60=1.50 avg300= total=123\n"
				     "full avg10=0.00 avg60=0.00 avg300=0.00 total=99999999999999999999\n" },
		{ NULL, NULL },
	};
	char *root = stand_in_proc(f, files);
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .t0 = now_s(), .proc_root = root,
				.sys_root = "/nonexistent", .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	f->summary = rec_finish(f->r);
	csv_load(f->dir, &f->csv, &f->text);
	const struct csv *cv = &f->csv;
	assert_false(has_col(cv, "vmstat.pgfault[n]"));
	assert_string_equal(cell(cv, "vmstat.nr_gauge[n]"), "-9223372036854775808");
	assert_false(has_col(cv, "vmstat.nr_low[n]"));
	assert_string_equal(cell(cv, "vmstat.pswpin[n]"), "5");
	assert_false(has_col(cv, "meminfo.MemTotal[bytes]"));
	assert_string_equal(cell(cv, "meminfo.MemFree[bytes]"), "102400");
	assert_string_equal(cell(cv, "psi.memory.some.avg10[%]"), "");
	assert_string_equal(cell(cv, "psi.memory.some.avg60[%]"), "1.50");
	assert_string_equal(cell(cv, "psi.memory.some.avg300[%]"), ""); /* no digits */
	assert_string_equal(cell(cv, "psi.memory.some.total[us]"), "123");
	assert_string_equal(cell(cv, "psi.memory.full.avg10[%]"), "0.00");
	assert_string_equal(cell(cv, "psi.memory.full.total[us]"), "");
	free(root);
}

/* Found by tests/fuzz/fuzz_recorder: statm's pages times the page size overflowed;
 * shared above resident gave a negative RssAnon. */
static void test_statm_out_of_range(void **state)
{
	struct fx *f = *state;
	record_statm(f, "1 99999999999999999 5 0 0 0 0\n");
	long page = sysconf(_SC_PAGESIZE);
	char *five = xasprintf("%ld", 5 * page);
	assert_string_equal(cell(&f->csv, "proc.w.VmRSS[bytes]"), "");
	assert_string_equal(cell(&f->csv, "proc.w.RssAnon[bytes]"), "");
	assert_string_equal(cell(&f->csv, "proc.w.RssFileShmem[bytes]"), five);
	free(five);
}

static void test_statm_shared_above_resident(void **state)
{
	struct fx *f = *state;
	record_statm(f, "10 3 5 0 0 0 0\n");
	long page = sysconf(_SC_PAGESIZE);
	char *three = xasprintf("%ld", 3 * page);
	assert_string_equal(cell(&f->csv, "proc.w.VmRSS[bytes]"), three);
	assert_string_equal(cell(&f->csv, "proc.w.RssAnon[bytes]"), "");
	free(three);
}

/* Found by tests/fuzz/fuzz_recorder: differences and sums of counters overflowed
 * for values from corrupt reads. They have no value (null), the rest is reported. */
static void test_deltas_out_of_range(void **state)
{
	struct fx *f = *state;
	const char *const files[][2] = { { "vmstat", "pgscan_direct -9000000000000000000\n" }, { NULL, NULL } };
	char *root = stand_in_proc(f, files);
	struct rec_config c = { .dir = f->dir, .interval_ms = 1000, .t0 = now_s(), .proc_root = root,
				.sys_root = "/nonexistent", .no_kmsg = true };
	assert_int_equal(rec_open(&f->r, &c), 0);
	char *vm = xasprintf("%s/vmstat", root);
	FILE *fp = fopen(vm, "r+"); /* in place: the recorder keeps its fd */
	assert_non_null(fp);
	fputs("pgscan_direct  9000000000000000000\n", fp);
	fclose(fp);
	f->summary = rec_finish(f->r);
	char *ev = xasprintf("%s/events.jsonl", f->dir), *text = NULL;
	assert_int_equal(read_file(ev, &text, NULL), 0);
	assert_non_null(strstr(text, "\"type\":\"first_direct_reclaim\""));
	assert_non_null(strstr(text, "\"increase\":null"));
	free(text);
	free(ev);
	free(vm);
	free(root);

	json_t *b = json_pack("{s:I, s:i, s:i, s:i, s:i, s:i}", "pgscan_kswapd", (json_int_t)-9000000000000000000LL,
			      "pgsteal_kswapd", 0, "pgscan_direct", 0, "pgsteal_direct", 0, "allocstall_normal", 0,
			      "allocstall_movable", 0);
	json_t *a = json_pack("{s:I, s:i, s:i, s:i, s:I, s:I}", "pgscan_kswapd", (json_int_t)9000000000000000000LL,
			      "pgsteal_kswapd", 0, "pgscan_direct", 10, "pgsteal_direct", 5, "allocstall_normal",
			      (json_int_t)9000000000000000000LL, "allocstall_movable", (json_int_t)9000000000000000000LL);
	json_t *s = rec_reclaim_summary(b, a, 1.0, 4096);
	json_t *per = json_object_get(s, "reclaimers");
	assert_true(json_is_null(json_object_get(per, "kswapd")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(per, "direct"), "scanned_pages")), 10);
	assert_true(json_is_null(json_object_get(s, "direct_scan_pct")));
	assert_true(json_is_null(json_object_get(s, "allocation_stalls")));
	json_decref(s);
	json_decref(a);
	json_decref(b);
}

/* The entry of pid in a processes table (fails the test when there is none). */
static json_t *proc_entry(json_t *table, int pid)
{
	size_t i;
	json_t *p;
	json_array_foreach(table, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	fail_msg("no process %d in the table", pid);
	return NULL;
}

/* Rewrite a file of the stand-in /proc in place (the recorder keeps statm open). */
static void rewrite_proc(const char *root, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* A pool as php-fpm8.2 starts it: the script's shell forks, the child execs php-fpm8.2,
 * which then retitles itself "php-fpm: master process (...)"; a worker is first seen
 * with its master's title (it retitles itself right after the fork, without an exec, so
 * its Name stays). The table must show the titles they run under. A process whose
 * cmdline is empty at a later scan (exiting) keeps the one read before. */
static void test_retitled_pool(void **state)
{
	struct fx *f = *state;
	const char *const files[][2] = {
		{ "cg/cgroup.procs", "100\n101\n102\n" },
		{ "100/status", "Name:\tsh\nPPid:\t1\nVmRSS:\t1000 kB\nRssAnon:\t100 kB\n" },
		{ "100/statm", "250 250 200 0 0 50 0\n" },
		{ "100/cmdline", "sh tools/php-fpm-pool.sh" },
		{ "101/status", "Name:\tphp-fpm8.2\nPPid:\t100\nVmRSS:\t12000 kB\nRssAnon:\t6000 kB\n" },
		{ "101/statm", "3000 3000 1500 0 0 1500 0\n" },
		{ "101/cmdline", "php-fpm8.2 -F -y /tmp/p/php-fpm.conf" },
		{ "102/status", "Name:\tcgi-fcgi\nPPid:\t1\nVmRSS:\t1000 kB\n" },
		{ "102/statm", "250 250 200 0 0 50 0\n" },
		{ "102/cmdline", "cgi-fcgi -bind -connect /tmp/p/php-fpm.sock" },
		{ NULL, NULL },
	};
	char *root = stand_in_proc(f, files), *cgp = xasprintf("%s/cg/cgroup.procs", root);
	struct proc_set ps;
	assert_int_equal(procs_open(&ps, cgp, root, false, NULL, NULL, NULL), 0);
	procs_sample(&ps, 1.0);
	/* 100 execs php-fpm8.2 (its statm changes, so its status is read again) */
	rewrite_proc(root, "100/status", "Name:\tphp-fpm8.2\nPPid:\t1\nVmRSS:\t20000 kB\nRssAnon:\t4000 kB\n");
	rewrite_proc(root, "100/statm", "5000 5000 4000 0 0 1000 0\n");
	rewrite_proc(root, "100/cmdline", "php-fpm8.2 -F -y /tmp/p/php-fpm.conf");
	rewrite_proc(root, "101/cmdline", "php-fpm: pool www");
	rewrite_proc(root, "102/cmdline", "");
	procs_sample(&ps, 2.0);
	rewrite_proc(root, "100/cmdline", "php-fpm: master process (/tmp/p/php-fpm.conf)");
	procs_sample(&ps, 3.0);
	json_t *t = procs_json(&ps);
	json_t *master = proc_entry(t, 100), *worker = proc_entry(t, 101), *client = proc_entry(t, 102);
	assert_string_equal(json_string_value(json_object_get(master, "comm")), "php-fpm8.2");
	assert_string_equal(json_string_value(json_object_get(master, "cmdline")),
			    "php-fpm: master process (/tmp/p/php-fpm.conf)");
	assert_string_equal(json_string_value(json_object_get(master, "role")), "parent");
	assert_string_equal(json_string_value(json_object_get(worker, "cmdline")), "php-fpm: pool www");
	assert_string_equal(json_string_value(json_object_get(worker, "comm")), "php-fpm8.2");
	assert_string_equal(json_string_value(json_object_get(worker, "role")), "child");
	assert_int_equal(json_integer_value(json_object_get(worker, "depth")), 1);
	assert_string_equal(json_string_value(json_object_get(client, "cmdline")), "cgi-fcgi -bind -connect /tmp/p/php-fpm.sock");
	json_decref(t);
	procs_close(&ps);
	free(cgp);
	free(root);
}

/* More processes than statm fds may be kept open: the others' statm is opened per
 * read, and every process is measured at every scan all the same. */
static void test_statm_fds_run_out(void **state)
{
	struct fx *f = *state;
	const char *const files[][2] = {
		{ "cg/cgroup.procs", "200\n201\n202\n" },
		{ "200/status", "Name:\ta\nPPid:\t1\nVmRSS:\t400 kB\n" },
		{ "200/statm", "100 100 10 0 0 90 0\n" },
		{ "201/status", "Name:\tb\nPPid:\t1\nVmRSS:\t400 kB\n" },
		{ "201/statm", "100 100 10 0 0 90 0\n" },
		{ "202/status", "Name:\tc\nPPid:\t1\nVmRSS:\t400 kB\n" },
		{ "202/statm", "100 100 10 0 0 90 0\n" },
		{ NULL, NULL },
	};
	char *root = stand_in_proc(f, files), *cgp = xasprintf("%s/cg/cgroup.procs", root);
	struct proc_set ps;
	assert_int_equal(procs_open(&ps, cgp, root, false, NULL, NULL, NULL), 0);
	ps.fds_max = 1;
	procs_sample(&ps, 1.0);
	assert_int_equal(ps.fds_kept, 1);
	for (int pid = 200; pid <= 202; pid++) {
		char rel[32], text[64];
		snprintf(rel, sizeof(rel), "%d/statm", pid);
		snprintf(text, sizeof(text), "900 %d 10 0 0 90 0\n", 200 + (pid - 200) * 100);
		rewrite_proc(root, rel, text);
	}
	procs_sample(&ps, 2.0);
	long page = sysconf(_SC_PAGESIZE);
	json_t *t = procs_json(&ps);
	for (int pid = 200; pid <= 202; pid++)
		assert_int_equal(json_integer_value(json_object_get(proc_entry(t, pid), "peak_rss_bytes")),
				 (200 + (pid - 200) * 100) * page);
	json_decref(t);
	procs_close(&ps);
	free(cgp);
	free(root);
}

/* processes.csv over scans, for more processes than the table first has room for:
 * at the first scan each row has statm's RSS and status's split (statm read once, as
 * the scan's measure finds it read at first sight); at the next, a process whose statm
 * moved has both read again, one whose statm did not keeps its values (its status is
 * not read again, even though it changed). */
static void test_rows_over_scans(void **state)
{
	struct fx *f = *state;
	enum { N = 100, PID0 = 300 };
	const char *files[2 * N + 2][2];
	char *texts[3 * N];
	size_t nf = 0;
	char *list = xcalloc(N, 8);
	for (int i = 0; i < N; i++) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d\n", PID0 + i);
		strcat(list, pid);
		texts[3 * i] = xasprintf("%d/statm", PID0 + i);
		texts[3 * i + 1] = xasprintf("%d 100 10 0 0 90 0\n", 1000 + i);
		texts[3 * i + 2] = xasprintf("%d/status", PID0 + i);
		files[nf][0] = texts[3 * i];
		files[nf++][1] = texts[3 * i + 1];
		files[nf][0] = texts[3 * i + 2];
		files[nf++][1] = "Name:\tw\nPPid:\t1\nVmRSS:\t400 kB\nRssAnon:\t300 kB\nRssFile:\t60 kB\nRssShmem:\t40 kB\nVmSwap:\t0 kB\n";
	}
	files[nf][0] = "cg/cgroup.procs";
	files[nf++][1] = list;
	files[nf][0] = NULL;
	files[nf][1] = NULL;
	char *root = stand_in_proc(f, files), *cgp = xasprintf("%s/cg/cgroup.procs", root);
	char *out = NULL;
	size_t outlen = 0;
	FILE *csv = open_memstream(&out, &outlen);
	assert_non_null(csv);
	struct proc_set ps;
	assert_int_equal(procs_open(&ps, cgp, root, false, csv, NULL, NULL), 0);
	procs_sample(&ps, 1.0);
	rewrite_proc(root, "300/statm", "1000 250 10 0 0 90 0\n");
	rewrite_proc(root, "300/status", "Name:\tw\nPPid:\t1\nVmRSS:\t1000 kB\nRssAnon:\t900 kB\nRssFile:\t60 kB\nRssShmem:\t40 kB\nVmSwap:\t8 kB\n");
	rewrite_proc(root, "301/status", "Name:\tw\nPPid:\t1\nVmRSS:\t1000 kB\nRssAnon:\t900 kB\nRssFile:\t60 kB\nRssShmem:\t40 kB\nVmSwap:\t8 kB\n");
	procs_sample(&ps, 2.0);
	assert_int_equal(fflush(csv), 0);
	long page = sysconf(_SC_PAGESIZE);
	size_t rows = 0;
	for (const char *c = out; *c; c++)
		rows += *c == '\n';
	assert_int_equal(rows, 1 + 2 * N);
	assert_int_equal(procs_alive(&ps), N);
	char *want = NULL;
	const char *ent = ",307200,61440,40960,0,\n"; /* anon, file, shmem, swap, no Pss */
	for (int i = 0; i < N; i++) {
		want = xasprintf("\n1.000000,%d,%lld%s", PID0 + i, 100LL * page, ent);
		assert_non_null(strstr(out, want));
		free(want);
	}
	want = xasprintf("\n2.000000,300,%lld,921600,61440,40960,8192,\n", 250LL * page);
	assert_non_null(strstr(out, want));
	free(want);
	want = xasprintf("\n2.000000,301,%lld%s", 100LL * page, ent);
	assert_non_null(strstr(out, want));
	free(want);
	procs_close(&ps);
	fclose(csv);
	free(out);
	for (int i = 0; i < 3 * N; i++)
		free(texts[i]);
	free(list);
	free(cgp);
	free(root);
}

/* processes.csv's failed writes are counted with their errno, for run.json's errors
 * (rec_write_errors), not dropped: rows written to /dev/full, unbuffered. */
static void test_rows_write_error(void **state)
{
	struct fx *f = *state;
	const char *files[][2] = {
		{ "cg/cgroup.procs", "300\n" },
		{ "300/statm", "1000 100 10 0 0 90 0\n" },
		{ "300/status", "Name:\tw\nPPid:\t1\nVmRSS:\t400 kB\nRssAnon:\t300 kB\nRssFile:\t60 kB\nRssShmem:\t40 kB\nVmSwap:\t0 kB\n" },
		{ NULL, NULL },
	};
	char *root = stand_in_proc(f, files), *cgp = xasprintf("%s/cg/cgroup.procs", root);
	FILE *csv = fopen("/dev/full", "we");
	if (!csv)
		skip();
	setvbuf(csv, NULL, _IONBF, 0);
	struct proc_set ps;
	assert_int_equal(procs_open(&ps, cgp, root, false, csv, NULL, NULL), 0);
	procs_sample(&ps, 1.0);
	procs_sample(&ps, 2.0);
	assert_int_equal(ps.csv_err.err, ENOSPC);
	assert_true(ps.csv_err.count >= 2); /* the header, if any, and a row per scan */
	char *m = write_err_msg(&ps.csv_err, "/r/processes.csv");
	assert_non_null(strstr(m, "writing /r/processes.csv failed: No space left on device"));
	free(m);
	procs_close(&ps);
	fclose(csv);
	free(cgp);
	free(root);
}

/* A corrupt statm (more resident pages than bytes in a long long) and status (a value
 * too large in kB) give no value, not an overflow (UBSan build: make unit-asan). */
static void test_procs_out_of_range(void **state)
{
	struct fx *f = *state;
	const char *const files[][2] = {
		{ "cg/cgroup.procs", "500\n" },
		{ "500/statm", "1 99999999999999999 5 0 0 0 0\n" },
		{ "500/status", "Name:\tw\nPPid:\t1\nRssAnon:\t8 kB\nRssFile:\t9007199254740993 kB\nVmSwap:\t99999999999999999999 kB\n" },
		{ NULL, NULL },
	};
	char *root = stand_in_proc(f, files), *cgp = xasprintf("%s/cg/cgroup.procs", root);
	char *out = NULL;
	size_t outlen = 0;
	FILE *csv = open_memstream(&out, &outlen);
	assert_non_null(csv);
	struct proc_set ps;
	assert_int_equal(procs_open(&ps, cgp, root, false, csv, NULL, NULL), 0);
	procs_sample(&ps, 1.0);
	assert_int_equal(fflush(csv), 0);
	assert_non_null(strstr(out, "\n1.000000,500,,8192,,,,\n"));
	procs_close(&ps);
	fclose(csv);
	free(out);
	free(cgp);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_machine_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_doc_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_psi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pss_of_the_largest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_in_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_elsewhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_kills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_patched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_gone_or_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statm_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statm_shared_above_resident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deltas_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retitled_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statm_fds_run_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_write_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_over_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_procs_out_of_range, setup, teardown),
		cmocka_unit_test(test_reclaim_summary),
		cmocka_unit_test(test_memcg_reclaim_saved),
		cmocka_unit_test(test_memcg_reclaim_mixed),
		cmocka_unit_test(test_zoneinfo),
		cmocka_unit_test_setup_teardown(test_live, setup, teardown),
	};
	return cmocka_run_group_tests_name("recorder", tests, NULL, NULL);
}
