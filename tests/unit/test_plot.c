/* test_plot.c - plots of a real run (tests/data/plots/run-oom-swap: oom-basic with a
 * 128M swap file, its leaker swapped out to the swap's end and OOM-killed) and a real
 * sweep (tests/data/plots/sweep-swappiness). The data handed to gnuplot is checked
 * without gnuplot; the SVG gnuplot makes of it is parsed for its series (every plot
 * element is a <g id="NAME_plot_N"><title>KEY</title>), not compared by pixels. The
 * HTML page: self-contained and escaped. Without gnuplot those tests print SKIP. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/core/util.h"
#include "../../harness/report/csv.h"
#include "../../harness/report/plot.h"
#include "../../harness/report/report.h"

static char *data(const char *rel)
{
	const char *d = getenv("MPH_TEST_DATA");
	return xasprintf("%s/data/plots/%s", d && *d ? d : "tests", rel);
}

static bool have_gnuplot(void)
{
	static int have = -1;
	if (have < 0) {
		have = system("gnuplot --version >/dev/null 2>&1") == 0;
		if (!have)
			printf("SKIP: gnuplot is not installed (Debian: gnuplot-nox; make deps)\n");
	}
	return have;
}

/* the keys of an SVG: the <title> of every <g id="..._plot_N"> group, one per line */
static char *svg_keys(const char *svg, const char *name)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char *prefix = xasprintf("<g id=\"%s_plot_", name);
	for (const char *p = svg; (p = strstr(p, prefix)); p++) {
		const char *t = strstr(p, "<title>"), *e = t ? strstr(t, "</title>") : NULL;
		const char *close = strchr(p, '>');
		/* the title must belong to this group: right after its opening tag */
		if (t && e && close && t - close < 4)
			fprintf(f, "%.*s\n", (int)(e - t - 7), t + 7);
	}
	fclose(f);
	free(prefix);
	return out;
}

static bool has_key(const char *keys, const char *k)
{
	size_t n = strlen(k);
	for (const char *p = keys; (p = strstr(p, k)); p++)
		if ((p == keys || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static char *render(const char *script, size_t len)
{
	char *out = NULL, err[512] = "";
	size_t n = 0;
	int r = plot_render(script, len, &out, &n, err, sizeof(err));
	if (r < 0)
		fail_msg("gnuplot: %s", err);
	assert_non_null(strstr(out, "<svg"));
	assert_non_null(strstr(out, "</svg>"));
	return out;
}

/* the rows of a datablock of the script: the lines between "$name << EOD" and EOD */
static size_t block_rows(const char *script, const char *name)
{
	char *start = xasprintf("%s << EOD\n", name);
	const char *p = strstr(script, start);
	free(start);
	if (!p)
		return 0;
	const char *end = strstr(p, "\nEOD\n");
	size_t n = 0;
	for (; p && p < end; p = strchr(p + 1, '\n'))
		n++;
	return n - 2; /* less the "<< EOD" line and the header */
}

/* samples.csv by column name: an empty cell is NAN, a column that is not there -1 */
static void test_csv_columns(void **state)
{
	(void)state;
	char *p = data("run-oom-swap/samples.csv");
	struct csv c;
	const char *want[] = { "t[s]", "cg.usage[bytes]", "proc.*" };
	assert_int_equal(csv_load(p, want, 3, &c), 0);
	assert_int_equal(c.nrow, 14);
	assert_true(csv_col(&c, "cg.usage[bytes]") >= 0);
	assert_int_equal(csv_col(&c, "vmstat.pgscan_anon[n]"), -1); /* not asked for */
	int rss = csv_col(&c, "proc.leaker.VmRSS[bytes]");
	assert_true(rss >= 0);
	assert_true(isnan(csv_at(&c, 0, rss)));   /* before the leaker started */
	assert_true(csv_at(&c, 5, rss) > 60e6);   /* near its 64M limit */
	assert_true(isnan(csv_at(&c, 0, -1)));
	csv_free(&c);
	assert_int_equal(csv_load("/nonexistent/samples.csv", NULL, 0, &c), -ENOENT);
	free(p);
}

/* The data of the timeline: the cgroup's composition against its 64M memory.max, the
 * OOM kill as a marker, every sample (14, fewer than the decimation limit). */
static void test_timeline_data(void **state)
{
	(void)state;
	char *dir = data("run-oom-swap"), *script = NULL, err[256] = "";
	size_t len = 0;
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = PLOT_ALL, .name = "t1" };
	assert_int_equal(plot_timeline_script(dir, &o, &script, &len, err, sizeof(err)), 0);
	assert_int_equal(block_rows(script, "$tl"), 14);
	assert_int_equal(block_rows(script, "$procs"), 14);
	assert_non_null(strstr(script, "scope = \"the run cgroup\""));
	assert_non_null(strstr(script, "has_max = 1"));
	assert_non_null(strstr(script, "has_limit_reclaim = 1"));
	assert_non_null(strstr(script, "nmk = 1\n"));
	assert_non_null(strstr(script, "OOM kill: anonleak 2838"));
	assert_non_null(strstr(script, " 67108864 ")); /* memory.max in the stack's top */
	assert_non_null(strstr(script, "proc_name[1] = [\"leaker\"]"));
	free(script);
	/* a directory without samples.csv: nothing to plot */
	assert_int_equal(plot_timeline_script("/nonexistent", &o, &script, &len, err, sizeof(err)), -ENODATA);
	assert_non_null(strstr(err, "samples.csv"));
	free(dir);
}

/* gnuplot's SVG of the whole timeline has every series of every panel as a key */
static void test_timeline_svg_series(void **state)
{
	(void)state;
	if (!have_gnuplot())
		return;
	char *dir = data("run-oom-swap"), *script = NULL, err[256] = "";
	size_t len = 0;
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = PLOT_ALL, .name = "t2" };
	assert_int_equal(plot_timeline_script(dir, &o, &script, &len, err, sizeof(err)), 0);
	char *svg = render(script, len), *keys = svg_keys(svg, "t2");
	const char *want[] = { "anon", "file", "shmem", "free", "swap", "memory.max", "OOM kill", "kswapd scan",
			       "direct scan", "limit scan", "limit steal", "some", "full", "some avg10", "refault anon",
			       "refault file", "swap out", "leaker RSS", "leaker swap" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!has_key(keys, want[i]))
			fail_msg("no series '%s' in the SVG; its keys:\n%s", want[i], keys);
	/* memory.high is not set in this run: no such series */
	assert_false(has_key(keys, "memory.high"));
	free(keys), free(svg), free(script), free(dir);
}

/* --what memory: that panel only */
static void test_timeline_one_panel(void **state)
{
	(void)state;
	if (!have_gnuplot())
		return;
	char *dir = data("run-oom-swap"), *script = NULL, err[256] = "";
	size_t len = 0;
	unsigned mask = 0;
	assert_int_equal(plot_panels_parse("memory", &mask), 0);
	assert_int_equal(plot_panels_parse("memory,bogus", &mask), -EINVAL);
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = mask, .name = "t3" };
	assert_int_equal(plot_timeline_script(dir, &o, &script, &len, err, sizeof(err)), 0);
	char *svg = render(script, len), *keys = svg_keys(svg, "t3");
	assert_true(has_key(keys, "anon"));
	assert_true(has_key(keys, "OOM kill"));
	assert_false(has_key(keys, "kswapd scan"));
	assert_false(has_key(keys, "leaker RSS"));
	free(keys), free(svg), free(script), free(dir);
}

static void copy(const char *from, const char *to)
{
	char *s;
	size_t n;
	assert_int_equal(read_file(from, &s, &n), 0);
	FILE *f = fopen(to, "w");
	assert_non_null(f);
	fwrite(s, 1, n, f);
	fclose(f);
	free(s);
}

/* With processes.csv (long format, a row per process and sample) the panel shows the
 * largest processes by their comm from events.jsonl's process_new, not the workloads'
 * columns. Written here as the recorder documents it (docs/recorder.md). */
static void test_timeline_processes_csv(void **state)
{
	(void)state;
	char tmp[] = "/tmp/mph-plot-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char *from = data("run-oom-swap"), *p;
	const char *files[] = { "samples.csv", "run.json", "events.jsonl" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *a = xasprintf("%s/%s", from, files[i]), *b = xasprintf("%s/%s", tmp, files[i]);
		copy(a, b);
		free(a), free(b);
	}
	p = xasprintf("%s/events.jsonl", tmp);
	FILE *f = fopen(p, "a");
	fprintf(f, "{\"t\":0.1,\"type\":\"process_new\",\"pid\":501,\"ppid\":1,\"comm\":\"php-fpm\",\"cmdline\":\"x\"}\n"
		   "{\"t\":0.1,\"type\":\"process_new\",\"pid\":502,\"ppid\":501,\"comm\":\"worker\",\"cmdline\":\"y\"}\n");
	fclose(f);
	free(p);
	p = xasprintf("%s/processes.csv", tmp);
	f = fopen(p, "w");
	fprintf(f, "t[s],pid,rss[bytes],anon[bytes],file[bytes],shmem[bytes],swap[bytes],pss[bytes]\n");
	for (int i = 1; i <= 10; i++)
		fprintf(f, "%.1f,501,%d,,,,0,\n%.1f,502,%d,,,,%d,\n", i * 0.1, 1000000 * i, i * 0.1, 3000000 * i, 4096 * i);
	fclose(f);
	free(p);
	char *script = NULL, err[256];
	size_t len = 0;
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = 1u << PANEL_PROCESSES, .name = "t4" };
	assert_int_equal(plot_timeline_script(tmp, &o, &script, &len, err, sizeof(err)), 0);
	/* the larger first */
	assert_non_null(strstr(script, "proc_name[2] = [\"worker 502\", \"php-fpm 501\"]"));
	assert_non_null(strstr(script, "proc_scope = \"processes.csv\""));
	assert_int_equal(block_rows(script, "$procs"), 10);
	if (have_gnuplot()) {
		char *svg = render(script, len), *keys = svg_keys(svg, "t4");
		assert_true(has_key(keys, "worker 502 RSS"));
		assert_true(has_key(keys, "php-fpm 501 swap"));
		free(keys), free(svg);
	}
	free(script);
	(void)rm_rf(tmp);
	free(from);
}

/* The swappiness curve of the real sweep: 3 values x 2 repeats, mean and standard
 * deviation per value, one series; across kernels there is nothing (one kernel). */
static void test_sweep(void **state)
{
	(void)state;
	char *dir = data("sweep-swappiness"), *pj = data("sweep-swappiness/plan.json"), *script = NULL, err[256] = "";
	json_t *plan;
	assert_int_equal(report_plan_load(pj, &plan), 0);
	size_t len = 0;
	struct plot_opts o = { .fmt = PLOT_SVG, .name = "t5" };
	assert_int_equal(plot_sweep_script(dir, plan, "first_oom_kill_s", &o, &script, &len, err, sizeof(err)), 0);
	assert_int_equal(block_rows(script, "$sw"), 3);
	assert_non_null(strstr(script, "xname = \"vm.swappiness\""));
	assert_non_null(strstr(script, "xcat = 0"));
	/* every value has its two repeats */
	assert_non_null(strstr(script, "\n0 \"0\""));
	assert_non_null(strstr(script, "\n100 \"100\""));
	const char *row = strstr(script, "\n60 \"60\"");
	assert_non_null(row);
	assert_non_null(strstr(row, " 2\n"));
	if (have_gnuplot()) {
		char *svg = render(script, len), *keys = svg_keys(svg, "t5");
		assert_true(has_key(keys, "first_oom_kill_s"));
		free(keys), free(svg);
	}
	free(script);
	assert_int_equal(plot_kernels_script(dir, plan, "first_oom_kill_s", &o, &script, &len, err, sizeof(err)), -ENODATA);
	assert_int_equal(plot_sweep_script(dir, plan, "no_such_metric", &o, &script, &len, err, sizeof(err)), -ENODATA);
	json_decref(plan);
	free(dir), free(pj);
}

/* Across kernels: the hand-written plan of tests/data/plans/sweep-kernels (host, 6.1,
 * 6.12) gives one series per variant. */
static void test_kernels(void **state)
{
	(void)state;
	const char *d = getenv("MPH_TEST_DATA");
	char *dir = xasprintf("%s/data/plans/sweep-kernels", d && *d ? d : "tests");
	char *pj = xasprintf("%s/plan.json", dir), *script = NULL, err[256] = "";
	json_t *plan;
	assert_int_equal(report_plan_load(pj, &plan), 0);
	size_t len = 0;
	struct plot_opts o = { .fmt = PLOT_SVG, .name = "t6" };
	/* those run.json have workloads only: every workload has an outcome, no number */
	int r = plot_kernels_script(dir, plan, "oom_kills", &o, &script, &len, err, sizeof(err));
	if (r == 0) {
		assert_true(block_rows(script, "$kn") >= 2);
		free(script);
	} else {
		assert_int_equal(r, -ENODATA);
	}
	json_decref(plan);
	free(dir), free(pj);
}

/* A gnuplot that is not there is -ENOENT, with the package to install. */
static void test_no_gnuplot(void **state)
{
	(void)state;
	setenv("MPH_GNUPLOT", "/nonexistent/gnuplot", 1);
	char *out = NULL, err[256] = "";
	size_t n = 0;
	assert_int_equal(plot_render("plot x\n", 7, &out, &n, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "gnuplot-nox"));
	unsetenv("MPH_GNUPLOT");
	/* a script gnuplot refuses: -EIO with its complaint */
	if (have_gnuplot()) {
		assert_int_equal(plot_render("set terminal svg\nplot $nodata\n", 30, &out, &n, err, sizeof(err)), -EIO);
		assert_true(strlen(err) > 10);
	}
}

/* The page: nothing fetched, style inline, every text from the files escaped (the
 * hostile plan's names hold <, >, & and quotes). */
static void test_html(void **state)
{
	(void)state;
	const char *d = getenv("MPH_TEST_DATA");
	char *run = data("run-oom-swap"), *sweep = data("sweep-swappiness");
	char *hostile = xasprintf("%s/data/plans/hostile", d && *d ? d : "tests");
	const char *paths[] = { sweep, run, hostile };
	char *html = NULL, err[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);
	setenv("MPH_GNUPLOT", "/nonexistent/gnuplot", 1); /* fast: the page without plots */
	int r = report_html(f, paths, 3, NULL, err, sizeof(err));
	unsetenv("MPH_GNUPLOT");
	fclose(f);
	assert_int_equal(r, 0);
	assert_non_null(strstr(err, "not installed"));
	assert_non_null(strstr(html, "<meta name=\"viewport\""));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "CONSTRAINT_MEMCG"));
	assert_non_null(strstr(html, "vm.swappiness"));
	assert_non_null(strstr(html, "memory.max = 64M"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "a<b>"));
	assert_non_null(strstr(html, "a&lt;b&gt;&amp;&#39;c&quot;"));
	free(html);
	/* not a run nor a plan */
	const char *bad[] = { "/nonexistent" };
	f = open_memstream(&html, &len);
	assert_int_equal(report_html(f, bad, 1, NULL, err, sizeof(err)), -ENOENT);
	fclose(f);
	free(html);
	free(run), free(sweep), free(hostile);
}

/* With gnuplot, the plots are inline SVG whose ids are their own in the page. */
static void test_html_svg_inline(void **state)
{
	(void)state;
	if (!have_gnuplot())
		return;
	char *run = data("run-oom-swap");
	const char *paths[] = { run, run };
	char *html = NULL, err[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);
	assert_int_equal(report_html(f, paths, 2, NULL, err, sizeof(err)), 0);
	fclose(f);
	assert_null(strstr(html, "<?xml"));
	assert_null(strstr(html, "gnuplot_canvas"));
	assert_non_null(strstr(html, "<g id=\"s1_p0_plot_1a\""));
	assert_non_null(strstr(html, "<g id=\"s2_p1_plot_1a\""));
	assert_non_null(strstr(html, "id='s1_p0_gpPt0'"));
	free(html);
	free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_columns),
		cmocka_unit_test(test_timeline_data),
		cmocka_unit_test(test_timeline_svg_series),
		cmocka_unit_test(test_timeline_one_panel),
		cmocka_unit_test(test_timeline_processes_csv),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_kernels),
		cmocka_unit_test(test_no_gnuplot),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_svg_inline),
	};
	return cmocka_run_group_tests_name("plot", tests, NULL, NULL);
}
