/* test_traceraw.c - the binary pages of a tracefs instance (traceraw.h, trace.c's
 * reader of per_cpu/cpuN/trace_pipe_raw): the layout and formats saved from this
 * machine's kernel (6.18) and real pages of dd's limit reclaim and anonleak's OOM
 * mark (tests/data/trace/raw-capture.sh), one page of the 6.12 guest's
 * (raw-capture-guest.ini), then those pages corrupted - cut at every
 * byte, lengths and commit words that lie, unknown types, lost-event flags - and
 * made by hand for what the real ones lack (long events, time stamps, a stall that
 * moves between CPUs). */
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

#include "../../harness/host/trace.h"
#include "../../harness/host/traceraw.h"
#include "../../harness/core/util.h"

#define PAGE 4096
#define ID_MEMCG_BEGIN 636 /* the saved formats' IDs */
#define ID_MEMCG_END 633
#define ID_MARK_VICTIM 609

static const char *kernel_dir = "raw-6.18";

static char *path_of(const char *rel)
{
	const char *base = getenv("MPH_TEST_DATA");
	return xasprintf("%s/data/trace/%s/%s", base ? base : "tests", kernel_dir, rel);
}

static char *data(const char *rel, size_t *len)
{
	char *p = path_of(rel), *text = NULL;
	assert_int_equal(read_file(p, &text, len), 0);
	free(p);
	return text;
}

/* the saved tasks: all alive, each its own process */
static bool who(int pid, int *tgid, char comm[16])
{
	*tgid = pid;
	snprintf(comm, 16, "task%d", pid);
	return true;
}

static struct trace *raw_trace(void)
{
	struct trace *t = trace_new();
	char *ev = path_of("events");
	assert_int_equal(trace_raw_formats(t, ev), 0);
	free(ev);
	trace_set_who(t, who);
	return t;
}

static bool any_pid(void *ctx, int pid)
{
	(void)ctx;
	(void)pid;
	return true;
}

static long long num(json_t *s, const char *a, const char *b)
{
	json_t *o = json_object_get(s, a);
	return json_integer_value(b ? json_object_get(o, b) : o);
}

static void test_layout(void **state)
{
	(void)state;
	size_t len;
	char *text = data("events/header_page", &len);
	struct raw_layout l;
	assert_int_equal(raw_parse_header_page(text, len, &l), 0);
	assert_int_equal(l.ts.off, 0);
	assert_int_equal(l.commit.off, 8);
	assert_int_equal(l.commit.size, 8);
	assert_int_equal(l.data.off, 16);
	assert_int_equal(l.page_size, PAGE);
	/* "overwrite" shares commit's offset: not taken for either */
	free(text);
	const char *bad[] = {
		"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n",
		"\tfield: u32 timestamp;\toffset:0;\tsize:4;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n",
		"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		"\tfield: char data;\toffset:12;\tsize:4080;\tsigned:0;\n",
		"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
		"\tfield: char data;\toffset:16;\tsize:99999999;\tsigned:0;\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(raw_parse_header_page(bad[i], strlen(bad[i]), &l), -EINVAL);
}

static void test_formats(void **state)
{
	(void)state;
	size_t len;
	char *text = data("events/vmscan/mm_vmscan_memcg_reclaim_end/format", &len);
	struct raw_event e;
	assert_int_equal(raw_parse_format(text, len, "nr_reclaimed", &e), 0);
	assert_int_equal(e.id, ID_MEMCG_END);
	assert_int_equal(e.type.off, 0);
	assert_int_equal(e.type.size, 2);
	assert_int_equal(e.pid.off, 4);
	assert_true(e.pid.is_signed);
	assert_int_equal(e.value.off, 8);
	assert_int_equal(e.value.size, 8);
	assert_int_equal(e.min_len, 16);
	assert_int_equal(raw_parse_format(text, len, "no_such_field", &e), -EINVAL);
	free(text);
	/* mark_victim: the victim's pid, an int, beside a __data_loc comm */
	text = data("events/oom/mark_victim/format", &len);
	assert_int_equal(raw_parse_format(text, len, "pid", &e), 0);
	assert_int_equal(e.id, ID_MARK_VICTIM);
	assert_int_equal(e.value.off, 8);
	assert_int_equal(e.value.size, 4);
	assert_int_equal(raw_parse_format(text, len, "comm", &e), 0); /* a 4-byte location word */
	free(text);
	const char *no_id = "name: x\nformat:\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n";
	assert_int_equal(raw_parse_format(no_id, strlen(no_id), NULL, &e), -EINVAL);
	const char *odd = "ID: 7\n\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			  "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\tfield:char v[3];\toffset:8;\tsize:3;\tsigned:0;\n";
	assert_int_equal(raw_parse_format(odd, strlen(odd), NULL, &e), 0);
	assert_int_equal(e.id, 7);
	assert_int_equal(raw_parse_format(odd, strlen(odd), "v", &e), -EINVAL); /* not an integer's size */
}

/* Every saved page, CPU by CPU, as the reader reads them. The figures are the
 * fixture's, decoded independently of mph (a few lines of Python over the same
 * bytes, tests/data/trace/raw-6.18/README). */
static struct trace *real_pages(bool cpu1_first)
{
	struct trace *t = raw_trace();
	for (int k = 0; k < 2; k++) {
		int cpu = cpu1_first ? 1 - k : k;
		char name[32];
		snprintf(name, sizeof(name), "cpu%d.pages", cpu);
		size_t len;
		char *pages = data(name, &len);
		assert_int_equal(len % PAGE, 0);
		for (size_t o = 0; o < len; o += PAGE)
			trace_feed_page(t, (size_t)cpu, pages + o, PAGE);
		free(pages);
	}
	return t;
}

static void test_real_pages(void **state)
{
	(void)state;
	for (int order = 0; order < 2; order++) {
		struct trace *t = real_pages(order == 1);
		struct trace_victim v;
		assert_true(trace_victim(t, 12116, &v));
		assert_true(v.ts > 1677.598041218 && v.ts < 1677.598041220);
		json_t *s = trace_summary(t, any_pid, NULL);
		assert_string_equal(json_string_value(json_object_get(s, "source")), "trace_pipe_raw");
		assert_int_equal(num(s, "lines", NULL), 1179);
		assert_int_equal(num(s, "pages", NULL), 8);
		assert_int_equal(num(s, "memcg", "count"), 589);
		assert_int_equal(num(s, "memcg", "nr_reclaimed"), 285869);
		assert_int_equal(num(s, "memcg", "max_us"), 103334);
		assert_int_equal(num(s, "unpaired", NULL), 0);
		assert_int_equal(num(s, "stalling_tasks", NULL), 4);
		assert_int_equal(num(s, "oom_victims_marked", NULL), 1);
		const char *zero[] = { "dropped_pages", "unknown_events", "short_events", "lost_pages", "lost_events", "malformed_lines" };
		for (size_t i = 0; i < ARRAY_SIZE(zero); i++)
			assert_int_equal(num(s, zero[i], NULL), 0);
		/* the most time: 43 stalls, one of 103 ms; dd (12111) the most stalls */
		json_t *top = json_array_get(json_object_get(s, "top_stallers"), 0), *dd = json_array_get(json_object_get(s, "top_stallers"), 1);
		assert_int_equal(num(top, "pid", NULL), 12114);
		assert_int_equal(num(top, "count", NULL), 43);
		assert_string_equal(json_string_value(json_object_get(top, "comm")), "task12114");
		assert_int_equal(num(dd, "pid", NULL), 12111);
		assert_int_equal(num(dd, "count", NULL), 495);
		json_decref(s);
		trace_close(t);
	}
}

/* The 6.12 guest's page: the same layout, other IDs (read from its own formats) */
static void test_real_page_6_12(void **state)
{
	(void)state;
	kernel_dir = "raw-6.12";
	struct trace *t = raw_trace();
	size_t len;
	char *page = data("cpu1.pages", &len);
	assert_int_equal(len, PAGE);
	trace_feed_page(t, 1, page, len);
	struct trace_victim v;
	assert_true(trace_victim(t, 167, &v));
	assert_true(v.ts > 7.479916373 && v.ts < 7.479916375);
	json_t *s = trace_summary(t, any_pid, NULL);
	assert_int_equal(num(s, "lines", NULL), 39);
	assert_int_equal(num(s, "memcg", "count"), 19);
	assert_int_equal(num(s, "memcg", "max_us"), 8094);
	assert_int_equal(num(s, "memcg", "nr_reclaimed"), 0);
	assert_int_equal(num(s, "unknown_events", NULL), 0);
	assert_int_equal(num(s, "dropped_pages", NULL), 0);
	json_decref(s);
	trace_close(t);
	free(page);
	kernel_dir = "raw-6.18";
}

/* ---- pages by hand ------------------------------------------------------- */

struct pg {
	unsigned char b[PAGE];
	size_t at; /* next event's offset in b */
};

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void pg_init(struct pg *g, uint64_t ts)
{
	memset(g, 0, sizeof(*g));
	put64(g->b, ts);
	g->at = 16;
}

static void pg_commit(struct pg *g, uint64_t flags)
{
	put64(g->b + 8, (g->at - 16) | flags);
}

/* a memcg begin (24 bytes) or end (16) of pid, delta ns after the last */
static void pg_event(struct pg *g, uint32_t delta, unsigned id, int pid, uint64_t nr, bool long_form)
{
	size_t plen = id == ID_MEMCG_BEGIN ? 24 : 16;
	unsigned char *p = g->b + g->at;
	if (long_form) {
		put32(p, delta << 5);
		put32(p + 4, (uint32_t)plen + 4);
		p += 8;
		g->at += 8 + plen;
	} else {
		put32(p, (delta << 5) | (uint32_t)(plen / 4));
		p += 4;
		g->at += 4 + plen;
	}
	uint16_t type = (uint16_t)id;
	memcpy(p, &type, 2);
	memcpy(p + 4, &pid, 4);
	if (id == ID_MEMCG_END)
		put64(p + 8, nr);
}

static void pg_word(struct pg *g, uint32_t type_len, uint32_t delta, uint32_t arg)
{
	put32(g->b + g->at, (delta << 5) | type_len);
	put32(g->b + g->at + 4, arg);
	g->at += 8;
}

static json_t *summary_of(struct pg *g, size_t n)
{
	struct trace *t = raw_trace();
	for (size_t i = 0; i < n; i++)
		trace_feed_page(t, 0, g[i].b, PAGE);
	json_t *s = trace_summary(t, any_pid, NULL);
	trace_close(t);
	return s;
}

/* long events, time extends and absolute stamps give the times they say */
static void test_times(void **state)
{
	(void)state;
	struct pg g;
	pg_init(&g, 1000000000ull); /* 1 s */
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, true);
	pg_word(&g, 30, 16, 1); /* extend: 16 + (1 << 27) ns */
	pg_event(&g, 100, ID_MEMCG_END, 5, 3, false);
	pg_word(&g, 31, 0, 16); /* absolute: 16 << 27 ns = 2.147483648 s */
	pg_event(&g, 0, ID_MEMCG_BEGIN, 6, 0, false);
	pg_word(&g, 29, 7, 12); /* a discarded event: 4 + 12 bytes skipped, time unchanged */
	g.at += 8;
	pg_event(&g, 5000, ID_MEMCG_END, 6, 4, true);
	pg_commit(&g, 0);
	json_t *s = summary_of(&g, 1);
	assert_int_equal(num(s, "memcg", "count"), 2);
	assert_int_equal(num(s, "memcg", "nr_reclaimed"), 7);
	/* (1 << 27) + 116 ns = 134218 us; 5 us */
	assert_int_equal(num(s, "memcg", "max_us"), 134218);
	assert_int_equal(num(s, "memcg", "p50_us"), 5);
	assert_int_equal(num(s, "dropped_pages", NULL), 0);
	json_decref(s);
}

/* a stall begun on CPU 1 and ended on CPU 0, CPU 0 read first: paired by time */
static void test_across_cpus(void **state)
{
	(void)state;
	struct pg a, b;
	pg_init(&a, 2000000);
	pg_event(&a, 0, ID_MEMCG_END, 9, 1, false);
	pg_commit(&a, 0);
	pg_init(&b, 1000000);
	pg_event(&b, 0, ID_MEMCG_BEGIN, 9, 0, false);
	pg_commit(&b, 0);
	struct trace *t = raw_trace();
	trace_feed_page(t, 0, a.b, PAGE);
	trace_feed_page(t, 1, b.b, PAGE);
	json_t *s = trace_summary(t, any_pid, NULL);
	assert_int_equal(num(s, "memcg", "count"), 1);
	assert_int_equal(num(s, "memcg", "max_us"), 1000);
	assert_int_equal(num(s, "unpaired", NULL), 0);
	json_decref(s);
	trace_close(t);
}

/* the kernel's missed flag, with and without the count stored after the events */
static void test_lost(void **state)
{
	(void)state;
	struct pg g[2];
	pg_init(&g[0], 1000);
	pg_event(&g[0], 0, ID_MEMCG_BEGIN, 5, 0, false);
	pg_event(&g[0], 10, ID_MEMCG_END, 5, 1, false);
	put64(g[0].b + g[0].at, 1234); /* the count, after the events */
	pg_commit(&g[0], 3ull << 30);
	pg_init(&g[1], 5000);
	pg_event(&g[1], 0, ID_MEMCG_BEGIN, 5, 0, false);
	pg_commit(&g[1], 1ull << 31);
	json_t *s = summary_of(g, 2);
	assert_int_equal(num(s, "lost_pages", NULL), 2);
	assert_int_equal(num(s, "lost_events", NULL), 1234);
	assert_int_equal(num(s, "memcg", "count"), 1);
	assert_int_equal(num(s, "dropped_pages", NULL), 0);
	json_decref(s);
}

/* pages that lie: counted, never read past the bytes there */
static void test_hostile(void **state)
{
	(void)state;
	struct pg g;
	/* commit past the page */
	pg_init(&g, 1);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, false);
	put64(g.b + 8, PAGE);
	json_t *s = summary_of(&g, 1);
	assert_int_equal(num(s, "dropped_pages", NULL), 1);
	assert_int_equal(num(s, "lines", NULL), 0);
	json_decref(s);
	/* bits above the flags */
	pg_init(&g, 1);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, false);
	pg_commit(&g, 1ull << 40);
	s = summary_of(&g, 1);
	assert_int_equal(num(s, "dropped_pages", NULL), 1);
	json_decref(s);
	/* a long event longer than the page holds: the events before it count */
	pg_init(&g, 1);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, false);
	pg_event(&g, 10, ID_MEMCG_END, 5, 2, false);
	pg_word(&g, 0, 0, 0x7fffffff);
	pg_commit(&g, 0);
	s = summary_of(&g, 1);
	assert_int_equal(num(s, "dropped_pages", NULL), 1);
	assert_int_equal(num(s, "memcg", "count"), 1);
	json_decref(s);
	/* a long event's length under its own word; a padding of 0 bytes */
	unsigned bad_len[][2] = { { 0, 2 }, { 29, 1 } };
	for (size_t i = 0; i < ARRAY_SIZE(bad_len); i++) {
		pg_init(&g, 1);
		pg_word(&g, bad_len[i][0], 1, bad_len[i][1]);
		pg_commit(&g, 0);
		s = summary_of(&g, 1);
		assert_int_equal(num(s, "dropped_pages", NULL), 1);
		json_decref(s);
	}
	/* an event cut by the commit: its header says more than commit left */
	pg_init(&g, 1);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, false);
	g.at -= 8;
	pg_commit(&g, 0);
	s = summary_of(&g, 1);
	assert_int_equal(num(s, "dropped_pages", NULL), 1);
	assert_int_equal(num(s, "lines", NULL), 0);
	json_decref(s);
	/* unknown type ids; a known one shorter than its format */
	pg_init(&g, 1);
	pg_event(&g, 0, 4242, 5, 0, false);
	put32(g.b + g.at, 1); /* 4 bytes: no room for common_pid */
	uint16_t type = ID_MEMCG_END;
	memcpy(g.b + g.at + 4, &type, 2);
	g.at += 8;
	pg_commit(&g, 0);
	s = summary_of(&g, 1);
	assert_int_equal(num(s, "unknown_events", NULL), 1);
	assert_int_equal(num(s, "short_events", NULL), 1);
	assert_int_equal(num(s, "lines", NULL), 0);
	json_decref(s);
	/* a null padding ends the page; a page shorter than its header is dropped */
	pg_init(&g, 1);
	pg_word(&g, 29, 0, 0);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 5, 0, false);
	pg_commit(&g, 0);
	struct trace *t = raw_trace();
	trace_feed_page(t, 0, g.b, PAGE);
	trace_feed_page(t, 0, g.b, 10);
	s = trace_summary(t, any_pid, NULL);
	assert_int_equal(num(s, "lines", NULL), 0);
	assert_int_equal(num(s, "dropped_pages", NULL), 1);
	json_decref(s);
	trace_close(t);
}

/* a real page cut at every byte (a short read) and with every byte flipped: never
 * more events than the whole page, never a read past it (the ASan build checks) */
static void test_cut_and_flipped(void **state)
{
	(void)state;
	size_t len;
	char *pages = data("cpu0.pages", &len);
	unsigned char *copy = malloc(PAGE);
	assert_non_null(copy);
	for (size_t n = 0; n <= PAGE; n += 1) {
		memcpy(copy, pages, n);
		struct trace *t = raw_trace();
		trace_feed_page(t, 0, copy, n);
		json_t *s = trace_summary(t, any_pid, NULL);
		assert_true(num(s, "lines", NULL) <= 170);
		json_decref(s);
		trace_close(t);
	}
	uint32_t seed = 12345;
	struct trace *t = raw_trace();
	for (size_t i = 0; i < 20000; i++) {
		memcpy(copy, pages + PAGE * (i % (len / PAGE)), PAGE);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % PAGE] ^= (unsigned char)(1u << (seed & 7));
		}
		trace_feed_page(t, i % 3, copy, PAGE);
	}
	json_t *s = trace_summary(t, any_pid, NULL);
	assert_int_equal(num(s, "pages", NULL), 20000);
	assert_true(num(s, "lines", NULL) <= 20000 * 170);
	json_decref(s);
	trace_close(t);
	free(copy);
	free(pages);
}

static bool nobody(int pid, int *tgid, char comm[16])
{
	(void)pid;
	(void)tgid;
	(void)comm;
	return false;
}

static bool is_100(void *ctx, int pid)
{
	(void)ctx;
	return pid == 100;
}

/* a worker thread gone before mph looked in /proc: its process and name from what
 * the kernel saved (record-tgid: saved_tgids, saved_cmdlines); a task neither knows
 * counts by its own id */
static void test_gone_thread(void **state)
{
	(void)state;
	char dir[] = "/tmp/mph-test-traceraw-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *tg = xasprintf("%s/saved_tgids", dir), *cm = xasprintf("%s/saved_cmdlines", dir);
	const char *tgids = "1 1\n77 7\n7 100\n", *cmdlines = "77 x\n7 svc worker\n";
	assert_int_equal(write_file_atomic(tg, tgids, strlen(tgids)), 0);
	assert_int_equal(write_file_atomic(cm, cmdlines, strlen(cmdlines)), 0);
	struct pg g;
	pg_init(&g, 1000);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 7, 0, false);
	pg_event(&g, 1000, ID_MEMCG_END, 7, 1, false);
	pg_event(&g, 0, ID_MEMCG_BEGIN, 8, 0, false);
	pg_event(&g, 1000, ID_MEMCG_END, 8, 1, false);
	pg_commit(&g, 0);
	struct trace *t = raw_trace();
	trace_set_who(t, nobody);
	assert_int_equal(trace_set_saved(t, dir), 0);
	trace_feed_page(t, 0, g.b, PAGE);
	json_t *s = trace_summary(t, is_100, NULL);
	assert_int_equal(num(s, "memcg", "count"), 1);
	json_t *top = json_array_get(json_object_get(s, "top_stallers"), 0);
	assert_int_equal(num(top, "pid", NULL), 7);
	assert_string_equal(json_string_value(json_object_get(top, "comm")), "svc worker");
	assert_int_equal(num(json_object_get(s, "elsewhere"), "memcg", "count"), 1); /* 8: nobody's */
	json_decref(s);
	trace_close(t);
	assert_int_equal(unlink(tg), 0);
	assert_int_equal(unlink(cm), 0);
	assert_int_equal(rmdir(dir), 0);
	free(tg);
	free(cm);
}

/* mkdir -p the directory of path, then write text to it */
static void put_file(const char *dir, const char *rel, const void *text, size_t len)
{
	char *p = xasprintf("%s/%s", dir, rel), *slash = strrchr(p, '/');
	*slash = 0;
	assert_int_equal(mkdir_p(p), 0);
	*slash = '/';
	assert_int_equal(write_file_atomic(p, text, len), 0);
	free(p);
}

/* A stand-in instance: the files trace_open writes, the saved events/, and either
 * the saved pages as per_cpu/cpu0/trace_pipe_raw or a header_page mph cannot read
 * and text in trace_pipe. */
static char *fake_instance(bool raw)
{
	char tmpl[] = "/tmp/mph-test-traceraw-inst-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *dir = xstrdup(tmpl);
	const char *w[] = { "trace_clock", "buffer_size_kb", "buffer_percent", "tracing_on", "options/irq-info",
			    "options/record-tgid" };
	for (size_t i = 0; i < ARRAY_SIZE(w); i++)
		put_file(dir, w[i], "", 0);
	const char *ev[] = { "header_page", "vmscan/mm_vmscan_memcg_reclaim_begin/format", "vmscan/mm_vmscan_memcg_reclaim_end/format",
			     "oom/mark_victim/format" };
	for (size_t i = 0; i < ARRAY_SIZE(ev); i++) {
		char *rel = xasprintf("events/%s", ev[i]), *en = NULL;
		size_t len;
		char *text = data(rel, &len);
		if (!raw && i == 0)
			put_file(dir, rel, "field: nothing;\n", 16);
		else
			put_file(dir, rel, text, len);
		if (i > 0) {
			en = xasprintf("events/%.*s/enable", (int)(strlen(ev[i]) - 7), ev[i]);
			put_file(dir, en, "", 0);
		}
		free(text);
		free(rel);
		free(en);
	}
	size_t len;
	char *pages = data("cpu0.pages", &len);
	put_file(dir, "per_cpu/cpu0/trace_pipe_raw", pages, len);
	free(pages);
	const char *line = "     dd-5 [000] 1.000001: mm_vmscan_memcg_reclaim_begin: order=0 gfp_flags=GFP_KERNEL\n"
			   "     dd-5 [000] 1.000301: mm_vmscan_memcg_reclaim_end: nr_reclaimed=3\n";
	put_file(dir, "trace_pipe", line, strlen(line));
	return dir;
}

/* trace_open reads the pages when it can and the text when it cannot, and says so */
static void test_open_raw_or_text(void **state)
{
	(void)state;
	for (int raw = 1; raw >= 0; raw--) {
		char *dir = fake_instance(raw);
		struct trace *t = NULL;
		char *missing = NULL;
		assert_int_equal(trace_open(&t, dir, &missing), 0);
		/* the events without saved files are named, the others kept */
		assert_non_null(missing);
		assert_non_null(strstr(missing, "vmscan/mm_vmscan_kswapd_wake"));
		trace_set_who(t, who);
		long got = trace_read(t, 1 << 20);
		assert_true(got > 0);
		json_t *s = trace_summary(t, any_pid, NULL);
		if (raw) {
			assert_string_equal(json_string_value(json_object_get(s, "source")), "trace_pipe_raw");
			assert_int_equal(got, 7 * PAGE);
			assert_int_equal(num(s, "pages", NULL), 7);
			assert_int_equal(num(s, "oom_victims_marked", NULL), 1);
		} else {
			assert_string_equal(json_string_value(json_object_get(s, "source")), "trace_pipe");
			assert_non_null(strstr(json_string_value(json_object_get(s, "text_because")), "header_page"));
			assert_int_equal(num(s, "memcg", "count"), 1);
			assert_int_equal(num(s, "memcg", "max_us"), 300);
		}
		json_decref(s);
		trace_close(t);
		free(missing);
		assert_int_equal(rm_rf(dir), 0);
		free(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),       cmocka_unit_test(test_formats), cmocka_unit_test(test_real_pages),
		cmocka_unit_test(test_real_page_6_12),
		cmocka_unit_test(test_times),        cmocka_unit_test(test_across_cpus), cmocka_unit_test(test_lost),
		cmocka_unit_test(test_hostile),      cmocka_unit_test(test_cut_and_flipped), cmocka_unit_test(test_gone_thread),
		cmocka_unit_test(test_open_raw_or_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
