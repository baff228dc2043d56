/* fuzz_traceraw.c - libFuzzer target: the binary pages of a tracefs instance
 * (traceraw.h) through trace.c's accounting, as the reader of trace_pipe_raw feeds
 * them, decoded with this host's saved layout and formats
 * (tests/data/trace/raw-6.18/events; run.sh runs from the repository's top). The
 * input's first byte picks the part: bit 7 clear, the rest is pages of 4096 bytes
 * (the last one short), the page's CPU from bits 0-1 of the byte plus the page's
 * index; bit 7 set, the rest is a header_page's text and, after a NUL byte, a
 * format's. Whatever the bytes say, nothing is read past them and what comes out
 * holds together. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/host/trace.h"
#include "../../harness/host/traceraw.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 4096

static const char *const events_dir = "tests/data/trace/raw-6.18/events";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct trace *t = trace_new();
	if (trace_raw_formats(t, events_dir) < 0) {
		fprintf(stderr, "traceraw: cannot load %s (run from the repository's top)\n", events_dir);
		abort();
	}
	trace_close(t);
	return 0;
}

static bool gone(int pid, int *tgid, char comm[16])
{
	(void)pid;
	(void)tgid;
	(void)comm;
	return false;
}

static bool all(void *ctx, int pid)
{
	(void)ctx;
	return pid % 2 == 0;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "traceraw: %s\n", what);
		abort();
	}
}

static void texts(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *part[2] = { NULL, NULL };
	size_t left = size, len[2] = { 0, 0 }, n = 0;
	while (n < 2 && fuzz_part(&p, &left, &part[n], &len[n]))
		n++;
	struct raw_layout l;
	if (n > 0 && raw_parse_header_page((const char *)part[0], len[0], &l) == 0)
		check(l.page_size == (size_t)l.data.off + l.data.size && l.page_size <= (1u << 20) &&
			      l.data.off >= l.commit.off + l.commit.size,
		      "a layout that does not hold together");
	struct raw_event e;
	if (n > 1 && raw_parse_format((const char *)part[1], len[1], "pid", &e) == 0)
		check(e.min_len >= e.pid.off + e.pid.size && e.min_len >= e.value.off + e.value.size && e.pid.size == 4,
		      "a format whose fields pass its min_len");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 0x80) {
		texts(data + 1, size - 1);
		return 0;
	}
	struct trace *t = trace_new();
	if (trace_raw_formats(t, events_dir) < 0)
		abort();
	trace_set_who(t, gone);
	size_t npages = 0;
	for (size_t o = 1; o < size; o += PAGE, npages++) {
		size_t n = size - o < PAGE ? size - o : PAGE;
		trace_feed_page(t, (data[0] & 3) + npages % 2, data + o, n);
	}
	size_t nv;
	(void)trace_victims(t, &nv);
	json_t *s = trace_summary(t, all, NULL);
	long long lines = json_integer_value(json_object_get(s, "lines"));
	check(lines >= 0 && (size_t)lines <= size / 4, "more events than 4-byte words");
	check(nv <= (size_t)lines, "more victims than events");
	check(json_integer_value(json_object_get(s, "pages")) + json_integer_value(json_object_get(s, "dropped_pages")) >=
		      (long long)npages,
	      "a page neither parsed nor dropped");
	json_decref(s);
	trace_close(t);
	return 0;
}
