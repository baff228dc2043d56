/* traceraw.h - the binary side of a tracefs instance: the pages of its per-CPU ring
 * buffer as per_cpu/cpuN/trace_pipe_raw hands them out, decoded without the kernel
 * formatting any text. The page's layout comes from events/header_page and each
 * event's payload from its events/<sys>/<event>/format; nothing about either is
 * assumed beyond what those files say. A page is kernel input like any other: every
 * length is checked against the page, and what does not fit is counted, not used. */
#ifndef MPH_TRACERAW_H
#define MPH_TRACERAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* One field of a header_page or format file; size 0: not there. */
struct raw_field {
	uint32_t off, size;
	bool is_signed;
};

/* A page as events/header_page describes it: its timestamp, its commit word (the
 * bytes of events, with the missed-events flags in its high bits) and its data. */
struct raw_layout {
	struct raw_field ts, commit, data;
	size_t page_size; /* data.off + data.size: what one read of trace_pipe_raw returns */
};

/* One event type, from its format file. */
struct raw_event {
	unsigned id;         /* the format's "ID:", the payload's common_type */
	enum tev_kind kind;
	struct raw_field type, pid, value; /* common_type, common_pid, the value field (size 0: none) */
	uint32_t min_len;    /* payload bytes the three fields need */
};

/* What the pages held beside events (summed over calls). */
struct raw_stats {
	long long pages;         /* pages parsed */
	long long events;        /* events of a known type with a payload that fits */
	long long lost_events;   /* the kernel's count of events it dropped, where the page stored it */
	long long lost_pages;    /* pages whose header says events were dropped before them */
	long long dropped_pages; /* pages (or their rest) that did not parse: a bad length, commit past the page */
	long long unknown;       /* events of a type id no format named */
	long long short_events;  /* known events whose payload is shorter than their format */
};

/* events/header_page's text: 0, or -EINVAL when a field is missing or implausible
 * (a timestamp that is not 8 bytes, a commit word not 4 or 8, data not after both, a
 * page over 1 MiB). out is untouched unless 0. */
int raw_parse_header_page(const char *text, size_t len, struct raw_layout *out);

/* One event's format text: its ID, common_type and common_pid and, when value is
 * not NULL, the integer field of that name (1 to 8 bytes). 0; -EINVAL for a format
 * without them. out is untouched unless 0 (its kind is the caller's to set). */
int raw_parse_format(const char *text, size_t len, const char *value, struct raw_event *out);

/* The same read from an instance: events/header_page and events/<path>/format below
 * events_fd (an instance's events directory). 0, or -errno (-EINVAL: a layout or
 * format mph does not know) with *why (malloc'd) naming the file. */
int raw_layout_at(int events_fd, struct raw_layout *out, char **why);
int raw_event_at(int events_fd, const char *path, const char *value, struct raw_event *out, char **why);
/* Each CPU's per_cpu/cpuN/trace_pipe_raw of the instance dir_fd, non-blocking: *fds
 * (malloc'd) and *n; a CPU without one (not traceable) is left out. 0, or -errno
 * with *why (malloc'd); -ENOENT when no CPU has one. Nothing is left open on failure. */
int raw_open_cpus(int dir_fd, int **fds, size_t *n, char **why);

/* Parse one page of len bytes read from trace_pipe_raw: each event of a type in
 * ev[0..nev) is handed to fn with kind, pid, value and ts (seconds of the trace
 * clock: its nanoseconds / 1e9) set, tgid -1 (not in the page) and comm empty.
 * Returns the events handed over. */
size_t raw_parse_page(const struct raw_layout *l, const struct raw_event *ev, size_t nev, const void *page, size_t len,
		      struct raw_stats *st, void (*fn)(void *ctx, const struct tev *e), void *ctx);

#endif
