/* traceraw.c - see traceraw.h.
 *
 * What header_page and the ring buffer's event header say (Linux 6.x, this host's
 * events/header_page and header_event):
 *     page:  u64 timestamp | local_t commit | char data[]
 *     event: u32 { type_len:5, time_delta:27 }, then
 *            type_len 1..28: a payload of type_len * 4 bytes
 *            type_len 0:     u32 length (of itself and the payload), the payload
 *            type_len 29:    padding: u32 length follows (of itself and what it
 *                            covers); with time_delta 0 the rest of the page is unused
 *            type_len 30:    time extend: u32 follows, delta += it << 27
 *            type_len 31:    absolute time stamp: time_delta | u32 << 27
 * A data event's time is the page's timestamp plus every delta before it and its own.
 * commit's low bits are the bytes of events in data; bit 31 says events were lost
 * before this page, bit 30 that their count (an unsigned long) follows the events. */
#define _GNU_SOURCE
#include "traceraw.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/util.h"

#define TYPE_PADDING 29
#define TYPE_TIME_EXTEND 30
#define TYPE_TIME_STAMP 31
#define TYPE_DATA_MAX 28
#define COMMIT_MISSED (1ull << 31)
#define COMMIT_MISSED_STORED (1ull << 30)
#define COMMIT_LEN_MASK ((1ull << 30) - 1)
#define MAX_PAGE (1u << 20)
#define MAX_PAYLOAD (1u << 16)
#define MAX_CPUS 1024
#define MAX_FORMAT (1u << 16) /* a format file is a few hundred bytes */

/* ---- header_page and format files ---------------------------------------- */

/* "<key>N;" in [p, end): N (at most 7 digits) */
static bool key_num(const char *p, const char *end, const char *key, uint32_t *v)
{
	size_t kl = strlen(key);
	const char *k = memmem(p, (size_t)(end - p), key, kl);
	if (!k)
		return false;
	const char *q = k + kl;
	uint32_t x = 0;
	int n = 0;
	while (q < end && isdigit((unsigned char)*q) && n < 8) {
		x = x * 10 + (uint32_t)(*q++ - '0');
		n++;
	}
	if (!n || n == 8 || q == end || *q != ';')
		return false;
	*v = x;
	return true;
}

/* The line "field:<type> <name>;\toffset:N;\tsize:N;\tsigned:N;" naming name, in
 * text; the name is the declaration's last word, without an array's "[...]". */
static bool find_field(const char *text, size_t len, const char *name, struct raw_field *f)
{
	const char *end = text + len, *line = text;
	size_t nl = strlen(name);
	while (line < end) {
		const char *le = memchr(line, '\n', (size_t)(end - line));
		if (!le)
			le = end;
		const char *fd = memmem(line, (size_t)(le - line), "field:", 6);
		const char *semi = fd ? memchr(fd, ';', (size_t)(le - fd)) : NULL;
		if (semi) {
			const char *ne = semi;
			/* "char comm[16]": the name before the brackets */
			const char *br = memchr(fd, '[', (size_t)(semi - fd));
			const char *ws = semi;
			while (ws > fd + 6 && ws[-1] != ' ' && ws[-1] != '\t')
				ws--;
			if (br && br > ws)
				ne = br;
			uint32_t off, size, sg = 0;
			if ((size_t)(ne - ws) == nl && memcmp(ws, name, nl) == 0 && key_num(semi, le, "offset:", &off) &&
			    key_num(semi, le, "size:", &size)) {
				(void)key_num(semi, le, "signed:", &sg);
				*f = (struct raw_field){ off, size, sg != 0 };
				return true;
			}
		}
		line = le + 1;
	}
	return false;
}

int raw_parse_header_page(const char *text, size_t len, struct raw_layout *out)
{
	struct raw_layout l;
	if (!find_field(text, len, "timestamp", &l.ts) || !find_field(text, len, "commit", &l.commit) ||
	    !find_field(text, len, "data", &l.data))
		return -EINVAL;
	if (l.ts.size != 8 || (l.commit.size != 4 && l.commit.size != 8) || l.data.size == 0 ||
	    l.data.off < l.ts.off + l.ts.size || l.data.off < l.commit.off + l.commit.size ||
	    (uint64_t)l.data.off + l.data.size > MAX_PAGE)
		return -EINVAL;
	l.page_size = (size_t)l.data.off + l.data.size;
	*out = l;
	return 0;
}

static bool int_field(const struct raw_field *f)
{
	return (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8) && f->off < MAX_PAYLOAD;
}

int raw_parse_format(const char *text, size_t len, const char *value, struct raw_event *out)
{
	struct raw_event e = { 0 };
	const char *end = text + len, *id = NULL;
	/* "ID: N" at the start of a line */
	for (const char *p = text; p < end; p++)
		if ((p == text || p[-1] == '\n') && (size_t)(end - p) > 3 && memcmp(p, "ID:", 3) == 0) {
			id = p + 3;
			break;
		}
	if (!id)
		return -EINVAL;
	while (id < end && *id == ' ')
		id++;
	uint32_t n = 0;
	int digits = 0;
	while (id < end && isdigit((unsigned char)*id) && digits < 7) {
		n = n * 10 + (uint32_t)(*id++ - '0');
		digits++;
	}
	if (!digits || (id < end && *id != '\n'))
		return -EINVAL;
	e.id = n;
	if (!find_field(text, len, "common_type", &e.type) || !find_field(text, len, "common_pid", &e.pid) ||
	    !int_field(&e.type) || e.type.size > 4 || !int_field(&e.pid) || e.pid.size != 4)
		return -EINVAL;
	if (value && (!find_field(text, len, value, &e.value) || !int_field(&e.value)))
		return -EINVAL;
	const struct raw_field *fs[] = { &e.type, &e.pid, &e.value };
	for (size_t i = 0; i < 3; i++)
		if (fs[i]->size && fs[i]->off + fs[i]->size > e.min_len)
			e.min_len = fs[i]->off + fs[i]->size;
	*out = e;
	return 0;
}

/* ---- pages --------------------------------------------------------------- */

static uint64_t get_u(const unsigned char *p, uint32_t size)
{
	switch (size) {
	case 1: return p[0];
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}

static long long get_field(const unsigned char *payload, const struct raw_field *f)
{
	uint64_t v = get_u(payload + f->off, f->size);
	if (f->is_signed && f->size < 8 && (v >> (f->size * 8 - 1)) & 1)
		v |= ~0ull << (f->size * 8);
	return (long long)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)get_u(p, 4);
}

/* one data event's payload: to fn if its type is known and it fits */
static bool deliver(const struct raw_event *ev, size_t nev, const unsigned char *pl, size_t plen, uint64_t ts,
		    struct raw_stats *st, void (*fn)(void *ctx, const struct tev *e), void *ctx)
{
	/* every format names common_type at the same place (raw_open checks) */
	if (!nev || plen < ev[0].type.off + ev[0].type.size) {
		st->short_events++;
		return false;
	}
	uint64_t type = get_u(pl + ev[0].type.off, ev[0].type.size);
	size_t k;
	for (k = 0; k < nev && ev[k].id != type; k++)
		;
	if (k == nev) {
		st->unknown++;
		return false;
	}
	if (plen < ev[k].min_len) {
		st->short_events++;
		return false;
	}
	struct tev e = { .kind = ev[k].kind, .tgid = -1 };
	long long pid = get_field(pl, &ev[k].pid);
	e.pid = (int)pid;
	e.value = ev[k].value.size ? get_field(pl, &ev[k].value) : 0;
	e.ts = (double)ts / 1e9;
	st->events++;
	fn(ctx, &e);
	return true;
}

size_t raw_parse_page(const struct raw_layout *l, const struct raw_event *ev, size_t nev, const void *page, size_t len,
		      struct raw_stats *st, void (*fn)(void *ctx, const struct tev *e), void *ctx)
{
	const unsigned char *pg = page;
	size_t n = 0;
	if (len < l->data.off) {
		st->dropped_pages++;
		return 0;
	}
	st->pages++;
	uint64_t ts = get_u(pg + l->ts.off, 8), commit = get_u(pg + l->commit.off, l->commit.size);
	uint64_t used = commit & COMMIT_LEN_MASK;
	size_t avail = len - l->data.off < l->data.size ? len - l->data.off : l->data.size;
	if (commit & COMMIT_MISSED) {
		st->lost_pages++;
		/* the count after the events, when the kernel had room for it */
		if ((commit & COMMIT_MISSED_STORED) && used + l->commit.size <= avail) {
			long long m = (long long)get_u(pg + l->data.off + used, l->commit.size);
			if (m > 0)
				st->lost_events += m;
		}
	}
	/* bits above the flags are never set; commit past the data is no page of events */
	if ((commit >> 32) || used > avail) {
		st->dropped_pages++;
		return 0;
	}
	const unsigned char *p = pg + l->data.off, *end = p + used;
	while (end - p >= 4) {
		uint32_t h = get_u32(p), type_len = h & 31, delta = h >> 5;
		size_t left = (size_t)(end - p);
		if (type_len == TYPE_PADDING && delta == 0)
			break; /* the rest of the page is unused */
		if (type_len == 0 || type_len >= TYPE_PADDING) {
			if (left < 8) {
				st->dropped_pages++;
				break;
			}
		}
		uint32_t a = type_len == 0 || type_len >= TYPE_PADDING ? get_u32(p + 4) : 0;
		if (type_len == TYPE_PADDING) {
			/* a discarded event: its length counts its own word; the time is unchanged */
			if (a < 4 || a > left - 4) {
				st->dropped_pages++;
				break;
			}
			size_t skip = 4 + (size_t)(a + 3) / 4 * 4;
			p += skip > left ? left : skip;
			continue;
		}
		if (type_len == TYPE_TIME_EXTEND) {
			ts += (uint64_t)delta | (uint64_t)a << 27;
			p += 8;
			continue;
		}
		if (type_len == TYPE_TIME_STAMP) {
			/* the clock's full value, but for its top 5 bits (which the page keeps) */
			uint64_t abs = (uint64_t)delta | (uint64_t)a << 27, top = ts & (0x1full << 59);
			abs |= top;
			if (top && abs < ts)
				abs += 1ull << 59;
			ts = abs;
			p += 8;
			continue;
		}
		size_t plen, hdr;
		if (type_len == 0) {
			/* a long event: the length word counts itself */
			if (a < 4 || a - 4 > left - 8) {
				st->dropped_pages++;
				break;
			}
			plen = a - 4;
			hdr = 8;
		} else {
			plen = (size_t)type_len * 4;
			hdr = 4;
			if (plen > left - 4) {
				st->dropped_pages++;
				break;
			}
		}
		ts += delta;
		if (deliver(ev, nev, p + hdr, plen, ts, st, fn, ctx))
			n++;
		size_t step = hdr + (plen + 3) / 4 * 4;
		p += step > left ? left : step;
	}
	return n;
}

/* ---- an instance's files --------------------------------------------------- */

int raw_layout_at(int events_fd, struct raw_layout *out, char **why)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_file_at(events_fd, "header_page", &text, &len, MAX_FORMAT);
	if (r == 0 && raw_parse_header_page(text, len, out) < 0)
		r = -EINVAL;
	free(text);
	if (r < 0)
		*why = xasprintf("events/header_page: %s", r == -EINVAL ? "not a page layout mph knows" : strerror(-r));
	return r;
}

int raw_event_at(int events_fd, const char *path, const char *value, struct raw_event *out, char **why)
{
	char *p = xasprintf("%s/format", path), *text = NULL;
	size_t len = 0;
	int r = read_file_at(events_fd, p, &text, &len, MAX_FORMAT);
	if (r == 0 && raw_parse_format(text, len, value, out) < 0)
		r = -EINVAL;
	if (r < 0)
		*why = xasprintf("events/%s: %s", p, r == -EINVAL ? "not a format mph knows" : strerror(-r));
	free(text);
	free(p);
	return r;
}

int raw_open_cpus(int dir_fd, int **fds, size_t *n, char **why)
{
	long nconf = sysconf(_SC_NPROCESSORS_CONF);
	if (nconf < 1 || nconf > MAX_CPUS)
		nconf = MAX_CPUS;
	int *fd = xcalloc((size_t)nconf, sizeof(int));
	size_t k = 0;
	int r = 0;
	for (long c = 0; c < nconf && !r; c++) {
		char p[64];
		snprintf(p, sizeof(p), "per_cpu/cpu%ld/trace_pipe_raw", c);
		int f = openat(dir_fd, p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (f >= 0)
			fd[k++] = f;
		else if (errno != ENOENT) { /* a CPU that cannot be traced has none */
			r = -errno;
			*why = xasprintf("%s: %s", p, strerror(errno));
		}
	}
	if (!r && !k) {
		r = -ENOENT;
		*why = xstrdup("per_cpu/cpuN/trace_pipe_raw: none");
	}
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			close(fd[i]);
		free(fd);
		return r;
	}
	*fds = fd;
	*n = k;
	return 0;
}
