/* recorder.c - see recorder.h.
 *
 * Sources are a table: each is one kernel file, opened once, read with pread into a
 * buffer and parsed into (key, value) pairs by its format. Keys of files whose key set
 * is the kernel's (vmstat, meminfo, memory.stat, ...) are learned at the first read
 * and become columns; files with a fixed set of interesting keys (PSI, /proc/PID/status)
 * have their columns declared up front, so a file that is absent still has its
 * (empty) columns. One sample fills one array of values with a presence flag each;
 * the CSV writer only reads that array. Later reads expect the keys in the order
 * learned (the kernel prints them in a fixed order) and fall back to a search. */
#define _GNU_SOURCE
#include "recorder.h"
#include "oomwatch.h"
#include "procs.h"
#include "trace.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <numa.h>

#define CSV_BUF (1 << 16)  /* samples.csv's stdio buffer: a write() per ~40 rows of 1.5 KB */
#define PCSV_BUF (1 << 18) /* processes.csv's: a scan of a thousand processes */
#define OOM_ACTIVE_S 0.020 /* after an OOM notification: the log read actively this long */
#define OOM_SPIN_S 0.002   /* of it, without sleeping */

enum fmt {
	F_KV,        /* "key value" lines: vmstat, memory.stat, numastat, memory.events */
	F_MEMINFO,   /* "Key:   value kB": meminfo, /proc/PID/status, smaps_rollup */
	F_NODEMEM,   /* "Node N Key:   value kB": per-node meminfo */
	F_PSI,       /* "some avg10=0.12 avg60=... total=N" */
	F_SINGLE,    /* one number: memory.current, usage_in_bytes */
	F_STATM,     /* /proc/PID/statm: size resident shared ... in pages */
};

struct src {
	char *path;
	int fd;
	enum fmt fmt;
	char *prefix;     /* column name prefix: "vmstat", "wl.leaker" */
	const char *unit; /* unit of its columns */
	bool learned;     /* keys learned at first read (else fixed) */
	size_t col0, ncols;
	char **keys;
	size_t *klen;
	uint64_t *khash;
	int proc;         /* index of the process it belongs to, or -1 */
	bool slow;        /* in the slow set: read at most every cfg.slow_ms */
	double last_read;
	/* the last read's text and its lines (start, length, column + 1 or 0), for
	 * key-value files: an unchanged line is not parsed again */
	char *prev;
	size_t prev_cap, nlines, lines_cap;
	size_t *line_off, *line_len, *line_col;
	size_t *line_cur; /* the column expected next after each line (kv_line's cur) */
	/* which of its columns the last read gave a value: the same again while every
	 * line reads as before or keeps its column (a changed value) */
	unsigned char *pat;
	bool pat_ok;
};

static const struct { const char *name; unsigned bit; } slow_names[] = {
	{ "vmstat", REC_SLOW_VMSTAT }, { "meminfo", REC_SLOW_MEMINFO }, { "psi.memory", REC_SLOW_PSI_MEMORY },
	{ "psi.io", REC_SLOW_PSI_IO }, { "node", REC_SLOW_NODE },       { "cg.stat", REC_SLOW_CG_STAT },
};

int rec_parse_slow(const char *text, unsigned *set, char *err, size_t errlen)
{
	unsigned v = REC_SLOW_GIVEN;
	char *copy = xstrdup(text), *save = NULL;
	int rc = 0;
	if (strcmp(strtrim(copy), "none") == 0)
		goto out;
	if (!*strtrim(copy) || strstr(text, ",,") || *strtrim(copy) == ',' || copy[strlen(copy) - 1] == ',') {
		set_err(err, errlen, "an empty name in '%s'", text);
		rc = -EINVAL;
		goto out;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *name = strtrim(tok);
		size_t i = 0;
		while (i < ARRAY_SIZE(slow_names) && strcmp(slow_names[i].name, name) != 0)
			i++;
		if (i == ARRAY_SIZE(slow_names)) {
			set_err(err, errlen, "'%s' is not a source that can be slow (vmstat, meminfo, psi.memory, psi.io, node, cg.stat, or none)", name);
			rc = -EINVAL;
			goto out;
		}
		v |= slow_names[i].bit;
	}
out:
	free(copy);
	if (rc == 0)
		*set = v;
	return rc;
}

json_t *rec_slow_json(unsigned set)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(slow_names); i++)
		if (set & slow_names[i].bit)
			json_array_append_new(a, json_string(slow_names[i].name));
	return a;
}
/* lines of a key-value file compared with the last read's at once */
#define KV_BLOCK 8
/* bytes of the trace (its pages or its text) read per wake-up */
#define TRACE_READ_MAX (256 << 10)

struct recorder {
	struct rec_config cfg;
	struct src *src;
	size_t nsrc;
	char **colname;        /* "vmstat.pgscan_kswapd[n]" */
	bool *centi;           /* value stored x100 (PSI averages) */
	size_t ncol;
	long long *val, *first, *last;
	long long page;
	char *csvbuf, *pcsvbuf; /* samples.csv's and processes.csv's stdio buffers */
	char *row;             /* the CSV row's body (all but the time): 22 bytes per column at most */
	size_t row_len;        /* its length, '\n' included; 0: none written yet */
	uint32_t *cell_at;     /* where each column's cell begins in it */
	unsigned char *row_had; /* the column's cell in it is not empty */
	char (*txt)[24];       /* each column's last formatted value: most do not change */
	long long *txt_val;
	unsigned char *txt_len;
	unsigned char *present, *first_present;
	unsigned char *last_present; /* last[c] holds a value read at some sample */
	double slow_due_s;     /* a slow source is read again this long after its last read */
	size_t nsamples;
	FILE *csv, *events;
	struct write_err csv_err, events_err; /* reported in run.json's errors */
	char *buf;
	size_t bufsz;
	int tfd, kfd, oomfd, inofd, wfd;
	long long cg_ooms;     /* v2 memory.events oom_kill seen so far */
	struct kmsg_log km;
	size_t kills_reported;
	double kmsg_offset;    /* kernel log seconds minus CLOCK_MONOTONIC seconds */
	bool kmsg_calibrated;
	bool finishing;
	/* first occurrences */
	long c_pgscan_direct, c_pswpout, c_psi_full, c_psi_some_avg10, c_psi_full_avg10, c_cg_usage;
	double t_direct, t_swapout, t_psi_full, t_oom;
	long long peak_usage, peak_some10, peak_full10;
	/* the cgroup's memory.pressure (v2): avg10 columns some, full and their peaks */
	long c_cgpsi_avg10[2];
	long long peak_cg10[2];
	double t_last;         /* t of the last sample */
	/* per NUMA node: MemFree's low-water mark, for the summary's used_peak */
	int nnodes;
	long *c_node_free, *c_node_total;
	long long *node_min_free;
	json_t *absent;
	/* every process of the cgroup (procs.c) */
	struct proc_set ps;
	bool have_ps;
	double ps_last;    /* when the processes were last scanned (t_now), -1: never */
	FILE *pcsv;
	/* where each OOM kill of the log belongs (enum kplace), and why */
	unsigned char *kplace;
	const char **kby;
	size_t kcap;
	/* the cgroup's swap: v2 memory.swap.current, v1 memsw.usage - usage */
	long c_swap_cur, c_memsw;
	long long swap_peak;
	/* reclaim stalls and OOM victims from tracepoints (trace.h), NULL: none */
	struct trace *trace;
	char *trace_why;       /* why not, for absent_sources */
	size_t victims_reported; /* oom:mark_victim events written to the timeline */
	struct oomwatch *oomw;   /* the marks parsed by threads of their own; NULL: none */
	long c_stall[3][2];      /* columns stalls.<kind>.time[us] and .count[n]; -1 none */
	long long stall_us[3], stall_n[3]; /* the run's tasks' stalls so far (kswapd: the machine's) */
	long long stall_events, stall_events_dropped;
	struct pid_cg { int pid; bool in; } cgc[256]; /* in_run_cgroup's latest answers */
	size_t cgc_next;
	int cg_lookups;          /* of them in this sample */
	int *cg_in;              /* the tasks they found in the run cgroup */
	size_t n_cg_in, cap_cg_in;
	char *oomw_why;          /* why not */
	double *kdet;          /* when each kill of the log was read (t_now), per kcap */
};

enum kplace { K_PENDING, K_IN, K_ELSEWHERE, K_DEFERRED };

static const char *const status_keys[] = { "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSwap" };
static const char *const rollup_keys[] = { "Pss" };
/* statm's resident and shared (file + shmem) pages: RssAnon is their difference */
static const char *const statm_keys[] = { "VmRSS", "RssAnon", "RssFileShmem" };
static const char *const psi_keys[] = { "some.avg10", "some.avg60", "some.avg300", "some.total",
					"full.avg10", "full.avg60", "full.avg300", "full.total" };

/* ---- reading and parsing ------------------------------------------------- */

static ssize_t src_read(struct recorder *r, struct src *s)
{
	if (s->fd < 0)
		return -1;
	ssize_t n = pread(s->fd, r->buf, r->bufsz - 1, 0);
	if (n < 0)
		return -1;
	r->buf[n] = '\0';
	return n;
}

/* FNV-1a, folded into the key scan: matching a key is then one 64-bit compare. */
#define FNV_OFF 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t key_hash(const char *k, size_t n)
{
	uint64_t h = FNV_OFF;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * FNV_PRIME;
	return h;
}

/* The value after a line's key (p just past it): separators, a plain decimal (maybe
 * negative: a few gauges), " kB" in the meminfo formats (then in bytes). false when
 * there is no number or it does not fit in a long long (in bytes): a corrupt read.
 * *end: just past what was used. */
static bool parse_value(enum fmt f, const char *p, long long *v, const char **end)
{
	while (*p == ' ' || *p == ':' || *p == '\t')
		p++;
	bool neg = *p == '-', big = false;
	const char *e = p + neg;
	unsigned long long u = 0;
	while (*e >= '0' && *e <= '9') {
		big |= __builtin_mul_overflow(u, 10ULL, &u) || __builtin_add_overflow(u, (unsigned long long)(*e - '0'), &u);
		e++;
	}
	*end = e;
	if (e == p + neg || big || u > (unsigned long long)LLONG_MAX + neg)
		return false;
	long long x = neg ? (long long)(0ULL - u) : (long long)u;
	if (f == F_MEMINFO && e[0] == ' ' && e[1] == 'k' && e[2] == 'B' && __builtin_mul_overflow(x, 1024LL, &x))
		return false;
	*v = x;
	return true;
}

/* "Node 0 MemFree:" -> "MemFree:" */
static const char *skip_node(const char *p)
{
	for (int sp = 0; sp < 2 && *p && *p != '\n'; p++)
		sp += *p == ' ';
	return p;
}

static const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');
	return nl && nl[1] ? nl + 1 : NULL;
}

/* One line's key (and its hash) and value, in one pass; returns the start of the next
 * line or NULL at the end. *klen 0 means the line had nothing to use. */
static const char *parse_line(enum fmt f, const char *p, const char **key, size_t *klen, uint64_t *hash, long long *v)
{
	*klen = 0;
	if (f == F_NODEMEM) {
		p = skip_node(p);
		f = F_MEMINFO;
	}
	const char *k = p;
	uint64_t h = FNV_OFF;
	while (*p && *p != ' ' && *p != ':' && *p != '\t' && *p != '\n') {
		h = (h ^ (unsigned char)*p) * FNV_PRIME;
		p++;
	}
	size_t kl = (size_t)(p - k);
	const char *e = p;
	if ((f != F_MEMINFO || *p == ':') && parse_value(f, p, v, &e)) {
		*key = k;
		*klen = kl;
		*hash = h;
	}
	return next_line(e);
}

/* "12.34" as hundredths (scale 100) or "123" as is (scale 1) in *v; advances *pp.
 * false when there is no number or it does not fit in a long long. */
static bool decimal(const char **pp, long long scale, long long *v)
{
	const char *p = *pp, *start = p;
	long long x = 0;
	bool big = false;
	while (*p >= '0' && *p <= '9')
		big |= __builtin_mul_overflow(x, 10LL, &x) || __builtin_add_overflow(x, (long long)(*p++ - '0'), &x);
	bool digits = p != start;
	big |= __builtin_mul_overflow(x, scale, &x);
	if (*p == '.') {
		p++;
		for (long long s = scale / 10; s && *p >= '0' && *p <= '9'; s /= 10)
			big |= __builtin_add_overflow(x, (*p++ - '0') * s, &x);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*pp = p;
	*v = x;
	return digits && !big;
}

/* PSI "some avg10=0.12 avg60=0.00 avg300=0.00 total=123": 4 values per line. */
static void parse_psi(struct recorder *r, struct src *s, const char *text)
{
	for (const char *p = text; p && *p;) {
		int base = strncmp(p, "some ", 5) == 0 ? 0 : strncmp(p, "full ", 5) == 0 ? 4 : -1;
		if (base >= 0) {
			p += 5;
			for (int i = 0; i < 4; i++) {
				const char *eq = strchr(p, '=');
				if (!eq)
					break;
				p = eq + 1;
				long long v;
				if (!decimal(&p, i < 3 ? 100 : 1, &v))
					continue; /* not a number: no value */
				r->val[s->col0 + (size_t)base + (size_t)i] = v;
				r->present[s->col0 + (size_t)base + (size_t)i] = 1;
			}
		}
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : NULL;
	}
}

static long find_key(const struct src *s, uint64_t h)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (s->khash[i] == h)
			return (long)i;
	return -1;
}

/* One line of a key-value source (p: its start) into its column. *cur: the column
 * expected next (the kernel prints keys in a fixed order), advanced. Returns the
 * column + 1 that got a value, 0 for none. */
static size_t kv_line(struct recorder *r, struct src *s, const char *p, size_t *cur)
{
	enum fmt vf = s->fmt == F_NODEMEM ? F_MEMINFO : s->fmt;
	long long v;
	/* the line starts with the key expected next: only its value is parsed */
	if (*cur < s->ncols) {
		const char *q = s->fmt == F_NODEMEM ? skip_node(p) : p, *e;
		size_t el = s->klen[*cur];
		if (strncmp(q, s->keys[*cur], el) == 0 &&
		    (vf == F_MEMINFO ? q[el] == ':' : q[el] == ' ' || q[el] == '\t')) {
			size_t i = (*cur)++;
			if (!parse_value(vf, q + el, &v, &e))
				return 0;
			r->val[s->col0 + i] = v;
			r->present[s->col0 + i] = 1;
			return i + 1;
		}
	}
	const char *k;
	size_t kl;
	uint64_t h;
	(void)parse_line(s->fmt, p, &k, &kl, &h, &v);
	if (!kl)
		return 0;
	long i = find_key(s, h);
	if (i < 0)
		return 0; /* a key that appeared later, or not one we keep */
	r->val[s->col0 + (size_t)i] = v;
	r->present[s->col0 + (size_t)i] = 1;
	*cur = (size_t)i + 1;
	return (size_t)i + 1;
}

/* Fill this source's columns from text (n bytes). */
static void src_parse(struct recorder *r, struct src *s, const char *text, size_t n)
{
	if (s->fmt == F_PSI) {
		parse_psi(r, s, text);
		return;
	}
	if (s->fmt == F_STATM) {
		unsigned long long size, res, shared;
		if (sscanf(text, "%llu %llu %llu", &size, &res, &shared) == 3) {
			/* in bytes; resident includes shared, so shared above it is a corrupt read */
			unsigned long long pages[3] = { res, res - shared, shared };
			for (size_t i = 0; i < 3; i++) {
				long long b;
				if ((i == 1 && shared > res) || pages[i] > (unsigned long long)LLONG_MAX ||
				    __builtin_mul_overflow((long long)pages[i], r->page, &b))
					continue;
				r->val[s->col0 + i] = b;
				r->present[s->col0 + i] = 1;
			}
		}
		return;
	}
	if (s->fmt == F_SINGLE) {
		char *e;
		errno = 0;
		long long x = strtoll(text, &e, 10);
		if (e != text && errno != ERANGE) {
			r->val[s->col0] = x;
			r->present[s->col0] = 1;
		}
		return;
	}
	/* Line by line, beside the previous read's text: a line that reads as it did
	 * then has the value parsed then (most of a sample's time is parsing, and at a
	 * short interval most counters have not moved). */
	size_t cur = 0, line = 0;
	/* the columns the last read gave values, while the lines keep their columns */
	bool same = s->pat_ok;
	if (same)
		memcpy(r->present + s->col0, s->pat, s->ncols);
	for (const char *p = text; *p; line++) {
		/* Lines in place (no earlier line changed its length): KV_BLOCK of them
		 * compared at once, in place in the line table */
		if (line + KV_BLOCK <= s->nlines && (size_t)(p - text) == s->line_off[line]) {
			size_t last = line + KV_BLOCK - 1, bl = s->line_off[last] + s->line_len[last] - s->line_off[line];
			if ((size_t)(p - text) + bl <= n && memcmp(p, s->prev + s->line_off[line], bl) == 0) {
				for (size_t k = line; !same && k <= last; k++)
					if (s->line_col[k])
						r->present[s->col0 + s->line_col[k] - 1] = 1;
				cur = s->line_cur[last];
				p += bl;
				line = last;
				continue;
			}
		}
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p), col;
		if (line < s->nlines && s->line_len[line] == len && memcmp(p, s->prev + s->line_off[line], len) == 0) {
			col = s->line_col[line];
			if (col) {
				if (!same)
					r->present[s->col0 + col - 1] = 1;
				cur = col;
			}
		} else {
			col = kv_line(r, s, p, &cur);
			/* a line that gave no value or another column's: the pattern is off */
			if (line >= s->nlines || col != s->line_col[line])
				same = false;
		}
		if (line == s->lines_cap) {
			s->lines_cap = s->lines_cap ? s->lines_cap * 2 : 64;
			s->line_off = xrealloc(s->line_off, s->lines_cap * sizeof(*s->line_off));
			s->line_len = xrealloc(s->line_len, s->lines_cap * sizeof(*s->line_len));
			s->line_col = xrealloc(s->line_col, s->lines_cap * sizeof(*s->line_col));
			s->line_cur = xrealloc(s->line_cur, s->lines_cap * sizeof(*s->line_cur));
		}
		s->line_off[line] = (size_t)(p - text);
		s->line_len[line] = len;
		s->line_col[line] = col;
		s->line_cur[line] = cur;
		p += len;
	}
	if (line != s->nlines) /* lines gone at the end */
		same = false;
	s->nlines = line;
	if (!same && s->ncols) { /* the columns of this read's lines, kept for the next */
		memset(r->present + s->col0, 0, s->ncols);
		for (size_t k = 0; k < line; k++)
			if (s->line_col[k])
				r->present[s->col0 + s->line_col[k] - 1] = 1;
		if (!s->pat)
			s->pat = xcalloc(1, s->ncols);
		memcpy(s->pat, r->present + s->col0, s->ncols);
		s->pat_ok = true;
	}
	if (n + 1 > s->prev_cap) {
		s->prev_cap = n + 1;
		s->prev = xrealloc(s->prev, s->prev_cap);
	}
	memcpy(s->prev, text, n + 1);
}

/* ---- building the source table ----------------------------------------- */

static void add_col(struct recorder *r, const char *prefix, const char *key, size_t kl, const char *unit, bool centi)
{
	r->colname = xrealloc(r->colname, (r->ncol + 1) * sizeof(*r->colname));
	r->centi = xrealloc(r->centi, (r->ncol + 1) * sizeof(*r->centi));
	r->colname[r->ncol] = kl ? xasprintf("%s.%.*s[%s]", prefix, (int)kl, key, unit) : xasprintf("%s[%s]", prefix, unit);
	r->centi[r->ncol] = centi;
	r->ncol++;
}

static void src_key(struct src *s, const char *k, size_t kl)
{
	s->keys = xrealloc(s->keys, (s->ncols + 1) * sizeof(*s->keys));
	s->klen = xrealloc(s->klen, (s->ncols + 1) * sizeof(*s->klen));
	s->khash = xrealloc(s->khash, (s->ncols + 1) * sizeof(*s->khash));
	s->keys[s->ncols] = strndup(k, kl);
	s->klen[s->ncols] = kl;
	s->khash[s->ncols] = key_hash(k, kl);
	s->ncols++;
}

static struct src *add_src(struct recorder *r, const char *path, enum fmt f, const char *prefix, const char *unit,
			   int proc)
{
	r->src = xrealloc(r->src, (r->nsrc + 1) * sizeof(*r->src));
	struct src *s = &r->src[r->nsrc++];
	memset(s, 0, sizeof(*s));
	s->path = path ? xstrdup(path) : NULL;
	s->fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	s->fmt = f;
	s->prefix = xstrdup(prefix);
	s->unit = unit;
	s->proc = proc;
	s->col0 = r->ncol;
	return s;
}

/* A source whose keys are the kernel's: learn them now. Absent: no columns. */
static void add_learned(struct recorder *r, const char *path, enum fmt f, const char *prefix, const char *unit)
{
	struct src *s = add_src(r, path, f, prefix, unit, -1);
	s->learned = true;
	if (src_read(r, s) < 0) {
		json_array_append_new(r->absent, json_string(path));
		return;
	}
	for (const char *p = r->buf; p && *p;) {
		const char *k;
		size_t kl;
		uint64_t h;
		long long v;
		p = parse_line(f, p, &k, &kl, &h, &v);
		if (kl && find_key(s, h) < 0) {
			src_key(s, k, kl);
			add_col(r, prefix, k, kl, unit, false);
		}
	}
}

static void add_fixed(struct recorder *r, const char *path, enum fmt f, const char *prefix, const char *unit,
		      const char *const *keys, size_t n, int proc)
{
	struct src *s = add_src(r, path, f, prefix, unit, proc);
	if (path && s->fd < 0)
		json_array_append_new(r->absent, json_string(path));
	for (size_t i = 0; i < n; i++) {
		src_key(s, keys[i], strlen(keys[i]));
		bool centi = f == F_PSI && strstr(keys[i], "avg");
		add_col(r, prefix, keys[i], strlen(keys[i]), centi ? "%" : f == F_PSI ? "us" : unit, centi);
	}
	if (n == 0)
		add_col(r, prefix, "", 0, unit, false);
}

static long col_index(const struct recorder *r, const char *name)
{
	for (size_t i = 0; i < r->ncol; i++)
		if (strcmp(r->colname[i], name) == 0)
			return (long)i;
	return -1;
}

/* The source added last is in the slow set when bit is in it */
static void slow_if(struct recorder *r, unsigned bit)
{
	r->src[r->nsrc - 1].slow = (r->cfg.slow & bit) != 0;
}

/* The stall columns ([record] stalls): filled from the trace at each sample, not from
 * a file; absent (empty) when the trace is not read. */
static void stall_columns(struct recorder *r)
{
	static const char *const kinds[] = { "stalls.direct", "stalls.memcg", "stalls.kswapd" };
	for (int k = 0; k < 3; k++) {
		r->c_stall[k][0] = r->c_stall[k][1] = -1;
		if (!r->cfg.trace_dir)
			continue;
		r->c_stall[k][0] = (long)r->ncol;
		add_col(r, kinds[k], "time", 4, "us", false);
		r->c_stall[k][1] = (long)r->ncol;
		add_col(r, kinds[k], "count", 5, "n", false);
	}
}

static void build_sources(struct recorder *r)
{
	const struct rec_config *c = &r->cfg;
	char *p;
	p = xasprintf("%s/vmstat", c->proc_root);
	add_learned(r, p, F_KV, "vmstat", "n");
	slow_if(r, REC_SLOW_VMSTAT);
	free(p);
	p = xasprintf("%s/meminfo", c->proc_root);
	add_learned(r, p, F_MEMINFO, "meminfo", "bytes");
	slow_if(r, REC_SLOW_MEMINFO);
	free(p);
	static const char *const psi[] = { "memory", "io" };
	for (size_t i = 0; i < ARRAY_SIZE(psi); i++) {
		char *pre = xasprintf("psi.%s", psi[i]);
		p = xasprintf("%s/pressure/%s", c->proc_root, psi[i]);
		add_fixed(r, p, F_PSI, pre, "", psi_keys, ARRAY_SIZE(psi_keys), -1);
		slow_if(r, strcmp(psi[i], "io") == 0 ? REC_SLOW_PSI_IO : REC_SLOW_PSI_MEMORY);
		free(p);
		free(pre);
	}
	if (c->cg_dir) {
		static const struct { const char *name, *prefix, *unit; enum fmt f; } cgf[] = {
			{ "memory.stat", "cg.stat", "n", F_KV },
			{ "memory.current", "cg.usage", "bytes", F_SINGLE },
			{ "memory.peak", "cg.peak", "bytes", F_SINGLE },
			{ "memory.events", "cg.events", "n", F_KV },
			{ "memory.failcnt", "cg.failcnt", "n", F_SINGLE },
			{ "memory.pressure", "cg.psi", "", F_PSI },
			{ "memory.swap.current", "cg.swap", "bytes", F_SINGLE },
			{ "memory.swap.peak", "cg.swap_peak", "bytes", F_SINGLE },
			{ "memory.memsw.usage", "cg.memsw.usage", "bytes", F_SINGLE },
		};
		for (size_t i = 0; i < ARRAY_SIZE(cgf); i++) {
			const char *f = cg_file(c->cg_ver, cgf[i].name, NULL);
			if (!f)
				continue; /* no such file on this hierarchy: no columns */
			/* v1's "events" are memory.oom_control (oom_kill_disable, under_oom, oom_kill) */
			const char *pre = c->cg_ver == CG_V1 && strcmp(cgf[i].name, "memory.events") == 0 ? "cg.oom_control"
													    : cgf[i].prefix;
			p = xasprintf("%s/%s", c->cg_dir, f);
			if (cgf[i].f == F_KV)
				add_learned(r, p, F_KV, pre, cgf[i].unit);
			else
				add_fixed(r, p, cgf[i].f, pre, cgf[i].unit, cgf[i].f == F_PSI ? psi_keys : NULL,
					  cgf[i].f == F_PSI ? ARRAY_SIZE(psi_keys) : 0, -1);
			if (strcmp(cgf[i].name, "memory.stat") == 0)
				slow_if(r, REC_SLOW_CG_STAT);
			free(p);
		}
	}
	for (size_t i = 0; i < c->nprocs; i++) {
		char *pre = xasprintf("proc.%s", c->procs[i]);
		if (c->statm)
			add_fixed(r, NULL, F_STATM, pre, "bytes", statm_keys, ARRAY_SIZE(statm_keys), (int)i);
		else
			add_fixed(r, NULL, F_MEMINFO, pre, "bytes", status_keys, ARRAY_SIZE(status_keys), (int)i);
		if (c->pss)
			add_fixed(r, NULL, F_MEMINFO, pre, "bytes", rollup_keys, ARRAY_SIZE(rollup_keys), (int)i);
		free(pre);
	}
	if (numa_available() >= 0) {
		for (int n = 0; n <= numa_max_node(); n++) {
			char *pre = xasprintf("node%d.meminfo", n);
			p = xasprintf("%s/devices/system/node/node%d/meminfo", c->sys_root, n);
			add_learned(r, p, F_NODEMEM, pre, "bytes");
			slow_if(r, REC_SLOW_NODE);
			free(p);
			free(pre);
			pre = xasprintf("node%d.numastat", n);
			p = xasprintf("%s/devices/system/node/node%d/numastat", c->sys_root, n);
			add_learned(r, p, F_KV, pre, "n");
			slow_if(r, REC_SLOW_NODE);
			free(p);
			free(pre);
		}
	}
}

/* ---- CSV ----------------------------------------------------------------- */

/* A column's text for its value now (kept in txt: most values do not change). */
static void cell_text(struct recorder *r, size_t i)
{
	if (r->txt_len[i] && r->txt_val[i] == r->val[i])
		return;
	char *e = r->centi[i] ? put_fixed(r->txt[i], r->val[i], 2) : put_decimal(r->txt[i], r->val[i]);
	r->txt_len[i] = (unsigned char)(e - r->txt[i]);
	r->txt_val[i] = r->val[i];
}

/* One CSV row: the time, then the body ",c0,c1,...\n" kept from the row before. At
 * 1 kHz most cells read as they did a millisecond earlier, so the body is patched,
 * not rebuilt: a changed cell of the same length is overwritten in place, and only
 * from the first cell whose length or presence changed (a slow source's empty cells
 * between its reads) is the rest written again. Two writes into the stdio buffer. */
static void write_row(struct recorder *r, double t)
{
	char ts[32], *te = put_fixed(ts, (long long)(t * 1e6), 6);
	char *body = r->row;
	size_t i = 0;
	if (r->row_len) {
		for (; i < r->ncol; i++) {
			/* eight cells at a time while all are as they were (present or not as
			 * before, the same values): two compares of memory, no branch per cell */
			if ((i & 7) == 0 && i + 8 <= r->ncol && memcmp(r->present + i, r->row_had + i, 8) == 0 &&
			    memcmp(r->val + i, r->txt_val + i, 8 * sizeof(*r->val)) == 0) {
				i += 7;
				continue;
			}
			bool now = r->present[i], was = r->row_had[i];
			if (!now && !was)
				continue;
			if (!now || !was)
				break;
			unsigned char len = r->txt_len[i];
			if (len && r->txt_val[i] == r->val[i])
				continue; /* the usual cell: as it was */
			cell_text(r, i);
			if (r->txt_len[i] != len)
				break;
			memcpy(body + r->cell_at[i], r->txt[i], len);
		}
	}
	if (i < r->ncol) {
		char *o = body + (r->row_len ? r->cell_at[i] - 1 : 0); /* at the comma before cell i */
		for (; i < r->ncol; i++) {
			*o++ = ',';
			r->cell_at[i] = (uint32_t)(o - body);
			r->row_had[i] = r->present[i];
			if (!r->present[i])
				continue;
			cell_text(r, i);
			memcpy(o, r->txt[i], r->txt_len[i]);
			o += r->txt_len[i];
		}
		*o++ = '\n';
		r->row_len = (size_t)(o - body);
	}
	size_t tl = (size_t)(te - ts);
	if (fwrite_unlocked(ts, 1, tl, r->csv) != tl || fwrite_unlocked(body, 1, r->row_len, r->csv) != r->row_len)
		write_err_note(&r->csv_err, errno);
}

/* ---- events ---------------------------------------------------------------- */

static double t_now(const struct recorder *r)
{
	return now_s() - r->cfg.t0;
}

static void event_at(struct recorder *r, double t, const char *type, json_t *fields)
{
	json_t *e = json_pack("{s:f, s:s}", "t", t, "type", type);
	if (fields)
		json_object_update(e, fields);
	json_decref(fields);
	char *line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(e);
	if (line && r->events) {
		fputs(line, r->events);
		fputc('\n', r->events);
		if (fflush(r->events) != 0) /* events are rare and must survive a crash */
			write_err_note(&r->events_err, errno);
	}
	free(line);
}

void rec_event(struct recorder *r, const char *type, json_t *fields)
{
	event_at(r, t_now(r), type, fields);
}

double rec_kernel_t(const struct recorder *r, uint64_t ts_usec)
{
	return (double)ts_usec / 1e6 - r->kmsg_offset - r->cfg.t0;
}

static bool under(const char *path, const char *rel)
{
	size_t n = strlen(rel);
	return strncmp(path, rel, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Where a kill belongs, as far as can be told when it is read. The kernel names the
 * victim's cgroup only in a kill's "oom-kill:" line, which it rate-limits together with
 * the memory dump (a burst of 10 per 5 s); a kill past the burst logs only "Killed
 * process N". Such a kill is the recording's when its pid was seen in the cgroup or is
 * a workload's; an unnamed memcg kill of a pid never seen waits for the end, where the
 * cgroup's oom_kill counter decides (rec_finish). */
static enum kplace place_now(const struct recorder *r, const struct oom_kill *o, const char **by)
{
	*by = NULL;
	if (!r->cfg.cg_rel) {
		*by = "machine";
		return K_IN;
	}
	if (o->have_header) {
		const char *memcg = o->task_memcg[0] ? o->task_memcg : o->oom_memcg;
		*by = "kernel log";
		return under(memcg, r->cfg.cg_rel) ? K_IN : K_ELSEWHERE;
	}
	if (r->have_ps && procs_seen(&r->ps, o->pid)) {
		*by = "cgroup.procs";
		return K_IN;
	}
	if (r->cfg.owns && r->cfg.owns(r->cfg.owns_ctx, o->pid)) {
		*by = "workload pid";
		return K_IN;
	}
	return o->global ? K_ELSEWHERE : K_DEFERRED;
}

static void kill_event(struct recorder *r, size_t i, double now)
{
	const struct oom_kill *o = &r->km.kills[i];
	double t = rec_kernel_t(r, o->ts_usec);
	bool in = r->kplace[i] == K_IN;
	json_t *f = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:i, s:f, s:f, s:b, s:s?}", "pid", o->pid, "comm", o->comm,
			      "constraint", o->constraint, "oom_memcg", o->oom_memcg, "task_memcg", o->task_memcg,
			      "anon_rss_kb", (json_int_t)o->anon_rss_kb, "oom_score_adj", o->oom_score_adj,
			      "detected_t", now, "detection_latency_s", r->kmsg_calibrated ? now - t : -1.0,
			      "elsewhere", !in, "placed_by", in ? r->kby[i] : NULL);
	event_at(r, t, "oom_kill", f);
	if (in && (r->t_oom < 0 || t < r->t_oom))
		r->t_oom = t;
}

static void report_kills(struct recorder *r)
{
	double now = t_now(r);
	if (r->kcap < r->km.n) {
		r->kplace = xrealloc(r->kplace, r->km.n * sizeof(*r->kplace));
		r->kby = xrealloc(r->kby, r->km.n * sizeof(*r->kby));
		r->kdet = xrealloc(r->kdet, r->km.n * sizeof(*r->kdet));
		for (size_t k = r->kcap; k < r->km.n; k++)
			r->kdet[k] = -1;
		memset(r->kplace + r->kcap, 0, (r->km.n - r->kcap) * sizeof(*r->kplace));
		memset(r->kby + r->kcap, 0, (r->km.n - r->kcap) * sizeof(*r->kby));
		r->kcap = r->km.n;
	}
	for (; r->kills_reported < r->km.n; r->kills_reported++) {
		size_t i = r->kills_reported;
		const struct oom_kill *o = &r->km.kills[i];
		if (!o->have_killed)
			break; /* the second line is not there yet */
		r->kdet[i] = now;
		r->kplace[i] = (unsigned char)place_now(r, o, &r->kby[i]);
		if (r->kplace[i] != K_DEFERRED)
			kill_event(r, i, now);
	}
}

/* The unnamed memcg kills of pids never seen in the cgroup are the cgroup's when their
 * number is exactly the rise of its oom_kill counter beyond the kills placed in it (then
 * none of them can be another cgroup's); else they are counted elsewhere. */
static void place_deferred(struct recorder *r, long long cg_ooms)
{
	long long placed = 0, deferred = 0;
	for (size_t i = 0; i < r->kills_reported; i++) {
		placed += r->kplace[i] == K_IN && !r->km.kills[i].global;
		deferred += r->kplace[i] == K_DEFERRED;
	}
	bool ours = deferred && cg_ooms - placed == deferred;
	double now = t_now(r);
	for (size_t i = 0; i < r->kills_reported; i++) {
		if (r->kplace[i] != K_DEFERRED)
			continue;
		r->kplace[i] = ours ? K_IN : K_ELSEWHERE;
		r->kby[i] = ours ? "oom_kill counter" : NULL;
		kill_event(r, i, now);
	}
}

size_t rec_kills_in_run(const struct recorder *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->kills_reported; i++)
		n += r->kplace[i] == K_IN;
	return n;
}

bool rec_kill_in_run(const struct recorder *r, size_t i, const char **placed_by)
{
	bool in = i < r->kills_reported && r->kplace[i] == K_IN;
	if (placed_by)
		*placed_by = in ? r->kby[i] : NULL;
	return in;
}

/* Write a line to the kernel log and read back its timestamp: the offset between
 * the printk clock and CLOCK_MONOTONIC, so kernel-stamped events land on the same
 * timeline as samples. Needs /dev/kmsg writable (root); otherwise assume 0. */
static void calibrate_kmsg(struct recorder *r)
{
	if (r->km.fd < 0 || r->wfd < 0)
		return;
	char marker[64], line[96];
	snprintf(marker, sizeof(marker), "mph[%d]: recorder clock mark %ld", (int)getpid(), (long)random());
	int n = snprintf(line, sizeof(line), "%s\n", marker);
	r->km.marker = marker;
	double before = now_s();
	if (write(r->wfd, line, (size_t)n) != n) {
		r->km.marker = NULL;
		return;
	}
	double after = now_s();
	for (int tries = 0; tries < 100 && !r->km.marker_ts; tries++) {
		kmsg_drain(&r->km);
		if (!r->km.marker_ts) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
	if (r->km.marker_ts) {
		r->kmsg_offset = (double)r->km.marker_ts / 1e6 - (before + after) / 2;
		r->kmsg_calibrated = true;
	}
	r->km.marker = NULL;
}

#define PROCS_EVERY_S 0.1 /* processes scanned at most at 10 Hz */

/* ---- open / sample / finish ---------------------------------------------- */

/* a - b, or null when it does not fit (values from a corrupt read) */
static json_t *diff_json(long long a, long long b)
{
	long long d;
	return __builtin_sub_overflow(a, b, &d) ? json_null() : json_integer(d);
}

static json_t *xjson_sprintf(const char *fmt, const char *arg)
{
	char *m = xasprintf(fmt, arg);
	json_t *j = json_string(m);
	free(m);
	return j;
}

static void proc_event(void *ctx, double t, const char *type, json_t *fields)
{
	event_at(ctx, t, type, fields);
}

/* The trace names a task the process scan knows without a /proc/<pid>/status read of
 * its own: at an OOM kill of that process the read would wait for the kill's report
 * (oom_first). The scan's name is the one read last, after an exec too. */
static bool known_task(void *ctx, int pid, int *tgid, char comm[16])
{
	struct recorder *r = ctx;
	const struct proc_ent *e = r->have_ps ? procs_find(&r->ps, pid) : NULL;
	if (!e || !e->alive || !e->comm[0])
		return false;
	*tgid = pid;
	size_t l = strnlen(e->comm, 15); /* the kernel's names are 15 bytes at most */
	memcpy(comm, e->comm, l);
	comm[l] = 0;
	return true;
}

/* The cgroup's swap in this sample: v2 memory.swap.current, v1 memsw.usage - usage;
 * -1 when not measured. */
static long long swap_now(const struct recorder *r)
{
	long long sw = -1;
	if (r->c_swap_cur >= 0 && r->present[r->c_swap_cur])
		sw = r->val[r->c_swap_cur];
	else if (r->c_memsw >= 0 && r->c_cg_usage >= 0 && r->present[r->c_memsw] && r->present[r->c_cg_usage])
		sw = r->val[r->c_memsw] - r->val[r->c_cg_usage]; /* v1: memory+swap minus memory */
	if (sw < -1)
		sw = 0; /* read apart, the two can differ by a charge batch: no swap */
	return sw;
}

static void track_firsts(struct recorder *r, double t)
{
	static const struct { size_t off; size_t toff; const char *type; } firsts[] = {
		{ offsetof(struct recorder, c_pgscan_direct), offsetof(struct recorder, t_direct), "first_direct_reclaim" },
		{ offsetof(struct recorder, c_pswpout), offsetof(struct recorder, t_swapout), "first_swap_out" },
		{ offsetof(struct recorder, c_psi_full), offsetof(struct recorder, t_psi_full), "first_psi_full_stall" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(firsts); i++) {
		long c = *(long *)((char *)r + firsts[i].off);
		double *tt = (double *)((char *)r + firsts[i].toff);
		if (c < 0 || *tt >= 0 || !r->present[c] || !r->first_present[c] || r->val[c] <= r->first[c])
			continue;
		*tt = t;
		event_at(r, t, firsts[i].type, json_pack("{s:s, s:o}", "counter", r->colname[c], "increase",
							 diff_json(r->val[c], r->first[c])));
	}
	if (r->c_cg_usage >= 0 && r->present[r->c_cg_usage] && r->val[r->c_cg_usage] > r->peak_usage)
		r->peak_usage = r->val[r->c_cg_usage];
	long long sw = swap_now(r);
	if (sw > r->swap_peak)
		r->swap_peak = sw;
	for (int n = 0; n < r->nnodes; n++) {
		long c = r->c_node_free[n];
		if (c >= 0 && r->present[c] && (r->node_min_free[n] < 0 || r->val[c] < r->node_min_free[n]))
			r->node_min_free[n] = r->val[c];
	}
	if (r->c_psi_some_avg10 >= 0 && r->present[r->c_psi_some_avg10] && r->val[r->c_psi_some_avg10] > r->peak_some10)
		r->peak_some10 = r->val[r->c_psi_some_avg10];
	if (r->c_psi_full_avg10 >= 0 && r->present[r->c_psi_full_avg10] && r->val[r->c_psi_full_avg10] > r->peak_full10)
		r->peak_full10 = r->val[r->c_psi_full_avg10];
	for (size_t k = 0; k < 2; k++) {
		long c = r->c_cgpsi_avg10[k];
		if (c >= 0 && r->present[c] && r->val[c] > r->peak_cg10[k])
			r->peak_cg10[k] = r->val[c];
	}
}

static void report_victims(struct recorder *r);

void rec_sample(struct recorder *r)
{
	r->cg_lookups = 0;
	if (r->trace && !r->finishing) {
		(void)trace_tick(r->trace, TRACE_READ_MAX);
		report_victims(r);
	}
	memset(r->present, 0, r->ncol);
	double now = now_s();
	for (size_t i = 0; i < r->nsrc; i++) {
		struct src *s = &r->src[i];
		if (s->fd < 0 || (s->learned && !s->ncols))
			continue;
		/* slow sources: not measured at this instant (empty cells) between reads,
		 * except for the first and the final sample. Due half an interval early: a
		 * tick's jitter is no reason to wait for the next one. */
		if (s->slow && r->nsamples && !r->finishing && now - s->last_read < r->slow_due_s)
			continue;
		s->last_read = now;
		ssize_t n = src_read(r, s);
		if (n < 0) {
			/* a process that exited: its file is dead, forget it */
			if (s->proc >= 0) {
				close(s->fd);
				s->fd = -1;
			}
			continue;
		}
		src_parse(r, s, r->buf, (size_t)n);
	}
	for (int k = 0; r->trace && k < 3; k++)
		for (int w = 0; w < 2; w++)
			if (r->c_stall[k][w] >= 0) {
				r->val[r->c_stall[k][w]] = w ? r->stall_n[k] : r->stall_us[k];
				r->present[r->c_stall[k][w]] = 1;
			}
	double t = t_now(r);
	if (r->nsamples == 0) {
		memcpy(r->first, r->val, r->ncol * sizeof(*r->val));
		memcpy(r->first_present, r->present, r->ncol);
	}
	memcpy(r->last, r->val, r->ncol * sizeof(*r->val));
	size_t i = 0;
	for (; i + 8 <= r->ncol; i += 8) { /* a word at a time: a byte loop the compiler leaves alone */
		uint64_t a, b;
		memcpy(&a, r->last_present + i, 8);
		memcpy(&b, r->present + i, 8);
		a |= b;
		memcpy(r->last_present + i, &a, 8);
	}
	for (; i < r->ncol; i++)
		r->last_present[i] |= r->present[i];
	r->nsamples++;
	r->t_last = t;
	write_row(r, t);
	track_firsts(r, t);
	/* Every process of the cgroup at most every PROCS_EVERY_S (10 Hz), whatever the
	 * sampling interval: at 1 kHz a scan of a thousand processes per tick would cost
	 * the recorder its budget, and a process's memory is a slower signal than the
	 * cgroup's counters. The first and the last sample always scan. */
	double every = PROCS_EVERY_S - (double)r->cfg.interval_ms / 2000.0; /* a tick's jitter is no reason to skip it */
	if (r->have_ps && (r->ps_last < 0 || t - r->ps_last >= every || r->finishing)) {
		procs_sample(&r->ps, t);
		r->ps_last = t;
	}
}

void rec_scan_processes(struct recorder *r)
{
	if (!r->have_ps)
		return;
	double t = t_now(r);
	procs_sample(&r->ps, t);
	r->ps_last = t;
}

size_t rec_paths(const struct recorder *r, const char **paths, uint64_t *every_ms, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsrc && n < max; i++)
		if (r->src[i].fd >= 0 && (!r->src[i].learned || r->src[i].ncols)) {
			paths[n] = r->src[i].path;
			every_ms[n++] = r->src[i].slow && r->slow_due_s > 0 ? r->cfg.slow_ms : 0;
		}
	return n;
}

void rec_set_pid(struct recorder *r, size_t proc, pid_t pid)
{
	if (proc >= r->cfg.nprocs)
		return;
	for (size_t i = 0; i < r->nsrc; i++) {
		struct src *s = &r->src[i];
		if (s->proc != (int)proc)
			continue;
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		free(s->path);
		s->path = NULL;
		if (pid <= 0)
			continue;
		bool rollup = s->ncols == 1 && strcmp(s->keys[0], "Pss") == 0;
		s->path = xasprintf("%s/%d/%s", r->cfg.proc_root, (int)pid,
				    rollup ? "smaps_rollup" : s->fmt == F_STATM ? "statm" : "status");
		s->fd = open(s->path, O_RDONLY | O_CLOEXEC);
	}
}

static void open_events(struct recorder *r)
{
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->tfd >= 0) {
		struct itimerspec its = { 0 };
		its.it_interval.tv_sec = (time_t)(r->cfg.interval_ms / 1000);
		its.it_interval.tv_nsec = (long)(r->cfg.interval_ms % 1000) * 1000000L;
		its.it_value = its.it_interval;
		timerfd_settime(r->tfd, 0, &its, NULL);
	}
	r->oomfd = r->inofd = -1;
	if (!r->cfg.cg_dir)
		return;
	if (r->cfg.cg_ver == CG_V1) {
		/* v1: an eventfd registered through cgroup.event_control fires on memcg OOM */
		char *oc = xasprintf("%s/memory.oom_control", r->cfg.cg_dir);
		char *ec = xasprintf("%s/cgroup.event_control", r->cfg.cg_dir);
		int ocfd = open(oc, O_RDONLY | O_CLOEXEC);
		r->oomfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		char line[64];
		snprintf(line, sizeof(line), "%d %d", r->oomfd, ocfd);
		if (ocfd < 0 || r->oomfd < 0 || write_file(ec, line) < 0) {
			if (r->oomfd >= 0)
				close(r->oomfd);
			r->oomfd = -1;
		}
		if (ocfd >= 0)
			close(ocfd); /* the registration holds its own reference */
		free(oc);
		free(ec);
	} else {
		/* v2: memory.events is modified (inotify) when a counter rises */
		char *ev = xasprintf("%s/memory.events", r->cfg.cg_dir), *text = NULL;
		/* OOM kills from before the recording are not events of it */
		if (read_file(ev, &text, NULL) == 0)
			(void)kv_find_ll(text, "oom_kill", &r->cg_ooms);
		free(text);
		r->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (r->inofd >= 0 && inotify_add_watch(r->inofd, ev, IN_MODIFY) < 0) {
			close(r->inofd);
			r->inofd = -1;
		}
		free(ev);
	}
}

/* A file of the recorder's, for writing: a symlink in its place is not followed (mph
 * runs as root). Not O_EXCL: `mph record --out DIR` and the bench write into a
 * directory again; `mph run`'s run directory is new anyway. */
static FILE *fopen_nofollow(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

static bool pid_in_run(void *ctx, int pid);

#define MAX_STALL_EVENTS 1000 /* reclaim_stall events per run; the rest counted */
#define MAX_CG_IN 65536       /* tasks found in the run cgroup by in_run_cgroup */

/* A task the scans have not seen yet (a child of a workload's child, seen at the next
 * scan, 100 ms on): in the run if its cgroup is the run's or below, from
 * /proc/<pid>/cgroup once per pid (a ring of the latest answers; one look-up per
 * task, whichever cgroup it stalls in). */
static bool in_run_cgroup(struct recorder *r, int pid)
{
	if (!r->cfg.cg_rel || pid <= 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(r->cgc); i++)
		if (r->cgc[i].pid == pid)
			return r->cgc[i].in;
	if (r->cg_lookups >= 64) /* per sample: many tasks stalling elsewhere are no reason to read /proc all the time */
		return false;
	r->cg_lookups++;
	char *path = NULL;
	bool in = cg_path_of(pid, r->cfg.cg_ver, &path) == 0 && under(path, r->cfg.cg_rel);
	free(path);
	r->cgc[r->cgc_next] = (struct pid_cg){ pid, in };
	r->cgc_next = (r->cgc_next + 1) % ARRAY_SIZE(r->cgc);
	if (in && r->n_cg_in < MAX_CG_IN) { /* the run's for good: pid_in_run knows it (the summary too) */
		if (r->n_cg_in == r->cap_cg_in) {
			r->cap_cg_in = r->cap_cg_in ? 2 * r->cap_cg_in : 64;
			r->cg_in = xrealloc(r->cg_in, r->cap_cg_in * sizeof(*r->cg_in));
		}
		r->cg_in[r->n_cg_in++] = pid;
	}
	return in;
}

/* A paired stall: the run's tasks' (a thread's when its process is the run's) go into
 * the stall columns, and one at least stall_event_ms long onto the timeline, at the
 * kernel's time of its begin. kswapd's periods are the machine's: a column only. */
static void on_stall(void *ctx, enum trace_stall_kind kind, int pid, int tgid, double begin, double secs,
		     long long reclaimed)
{
	struct recorder *r = ctx;
	static const char *const names[] = { "direct", "memcg", "kswapd" };
	bool ours = kind == TRACE_STALL_KSWAPD || pid_in_run(r, pid) || (tgid > 0 && tgid != pid && pid_in_run(r, tgid)) ||
		    in_run_cgroup(r, tgid > 0 ? tgid : pid);
	if (!ours || (unsigned)kind > TRACE_STALL_KSWAPD)
		return;
	r->stall_us[kind] += (long long)(secs * 1e6 + 0.5);
	r->stall_n[kind]++;
	if (kind == TRACE_STALL_KSWAPD || secs * 1000.0 < (double)r->cfg.stall_event_ms)
		return;
	if (r->stall_events >= MAX_STALL_EVENTS) {
		r->stall_events_dropped++;
		return;
	}
	r->stall_events++;
	event_at(r, begin - r->cfg.t0, "reclaim_stall",
		 json_pack("{s:s, s:i, s:o, s:f, s:I}", "kind", names[kind], "pid", pid,
			   "tgid", tgid > 0 ? json_integer(tgid) : json_null(), "duration_s", secs, "nr_reclaimed",
			   (json_int_t)reclaimed));
}

/* The OOM watch beside the instance (oomwatch.h); without it the marks come through
 * the instance alone, and reclaim_stalls.oom_watch says why. */
static void start_oom_watch(struct recorder *r, const char *dir)
{
	char *od = trace_oom_dir(dir);
	if (access(od, F_OK) < 0)
		r->oomw_why = xasprintf("%s: %s", od, strerror(errno));
	else if (oomwatch_start(&r->oomw, od, &r->oomw_why) < 0)
		r->oomw = NULL;
	free(od);
}

/* The watch's marks into the trace's, the earlier parse of a mark kept. */
static void take_oom_watch(struct recorder *r)
{
	struct trace_victim v[64];
	size_t n;
	while (r->oomw && (n = oomwatch_take(r->oomw, v, ARRAY_SIZE(v))) > 0)
		for (size_t i = 0; i < n; i++)
			trace_note_victim(r->trace, &v[i]);
}

int rec_open(struct recorder **out, const struct rec_config *cfg)
{
	struct recorder *r = xcalloc(1, sizeof(*r));
	r->ps_last = -1;
	r->cfg = *cfg;
	r->tfd = r->oomfd = r->inofd = r->wfd = r->km.fd = -1; /* never close fd 0 on failure */
	if (!r->cfg.proc_root)
		r->cfg.proc_root = "/proc";
	if (!r->cfg.sys_root)
		r->cfg.sys_root = "/sys";
	if (r->cfg.interval_ms < 1)
		r->cfg.interval_ms = 1;
	if (!(r->cfg.slow & REC_SLOW_GIVEN))
		r->cfg.slow = REC_SLOW_DEFAULT | REC_SLOW_GIVEN;
	if (!r->cfg.slow_ms)
		r->cfg.slow_ms = REC_SLOW_MS_DEFAULT;
	/* at or below the interval: every sample */
	r->slow_due_s = (double)r->cfg.slow_ms / 1000.0 - (double)r->cfg.interval_ms / 2000.0;
	if (r->cfg.slow_ms <= r->cfg.interval_ms)
		r->slow_due_s = 0;
	r->bufsz = 64 * 1024;
	r->page = sysconf(_SC_PAGESIZE);
	r->buf = xcalloc(1, r->bufsz);
	r->absent = json_array();
	r->t_direct = r->t_swapout = r->t_psi_full = r->t_oom = -1;
	r->peak_usage = r->peak_some10 = r->peak_full10 = -1;
	build_sources(r);
	stall_columns(r);
	r->val = xcalloc(r->ncol + 1, sizeof(*r->val));
	r->first = xcalloc(r->ncol + 1, sizeof(*r->first));
	r->last = xcalloc(r->ncol + 1, sizeof(*r->last));
	r->present = xcalloc(r->ncol + 1, 1);
	r->first_present = xcalloc(r->ncol + 1, 1);
	r->last_present = xcalloc(r->ncol + 1, 1);
	r->row = xcalloc(r->ncol + 2, 24);
	r->cell_at = xcalloc(r->ncol + 1, sizeof(*r->cell_at));
	r->row_had = xcalloc(r->ncol + 1, 1);
	r->txt = xcalloc(r->ncol + 1, sizeof(*r->txt));
	r->txt_val = xcalloc(r->ncol + 1, sizeof(*r->txt_val));
	r->txt_len = xcalloc(r->ncol + 1, 1);
	r->c_pgscan_direct = col_index(r, "vmstat.pgscan_direct[n]");
	r->c_pswpout = col_index(r, "vmstat.pswpout[n]");
	r->c_psi_full = col_index(r, "psi.memory.full.total[us]");
	r->c_psi_some_avg10 = col_index(r, "psi.memory.some.avg10[%]");
	r->c_psi_full_avg10 = col_index(r, "psi.memory.full.avg10[%]");
	r->c_cgpsi_avg10[0] = col_index(r, "cg.psi.some.avg10[%]");
	r->c_cgpsi_avg10[1] = col_index(r, "cg.psi.full.avg10[%]");
	r->peak_cg10[0] = r->peak_cg10[1] = -1;
	r->c_cg_usage = col_index(r, "cg.usage[bytes]");
	r->c_swap_cur = col_index(r, "cg.swap[bytes]");
	r->c_memsw = col_index(r, "cg.memsw.usage[bytes]");
	r->swap_peak = -1;
	r->nnodes = numa_available() >= 0 ? numa_max_node() + 1 : 0;
	r->c_node_free = xcalloc((size_t)r->nnodes + 1, sizeof(long));
	r->c_node_total = xcalloc((size_t)r->nnodes + 1, sizeof(long));
	r->node_min_free = xcalloc((size_t)r->nnodes + 1, sizeof(long long));
	for (int n = 0; n < r->nnodes; n++) {
		char *f = xasprintf("node%d.meminfo.MemFree[bytes]", n), *t = xasprintf("node%d.meminfo.MemTotal[bytes]", n);
		r->c_node_free[n] = col_index(r, f);
		r->c_node_total[n] = col_index(r, t);
		r->node_min_free[n] = -1;
		free(f);
		free(t);
	}

	char *p = xasprintf("%s/samples.csv", cfg->dir);
	r->csv = fopen_nofollow(p);
	free(p);
	p = xasprintf("%s/events.jsonl", cfg->dir);
	r->events = fopen_nofollow(p);
	free(p);
	if (!r->csv || !r->events) {
		int e = errno;
		rec_close(r);
		return -e;
	}
	/* glibc takes a buffer's size only with the buffer: given NULL it keeps its
	 * default (st_blksize, 4 KiB), a write() every three rows at 1 kHz */
	r->csvbuf = xcalloc(1, CSV_BUF);
	setvbuf(r->csv, r->csvbuf, _IOFBF, CSV_BUF);
	if (cfg->cg_dir) {
		char *procs = xasprintf("%s/cgroup.procs", cfg->cg_dir);
		p = xasprintf("%s/processes.csv", cfg->dir);
		r->pcsv = fopen(p, "we");
		free(p);
		if (r->pcsv) {
			r->pcsvbuf = xcalloc(1, PCSV_BUF);
			setvbuf(r->pcsv, r->pcsvbuf, _IOFBF, PCSV_BUF);
		}
		r->have_ps = r->pcsv && procs_open(&r->ps, procs, r->cfg.proc_root, cfg->pss, r->pcsv, proc_event, r) == 0;
		if (!r->have_ps)
			json_array_append_new(r->absent, json_string(procs));
		free(procs);
	}
	fputs("t[s]", r->csv);
	for (size_t i = 0; i < r->ncol; i++)
		fprintf(r->csv, ",%s", r->colname[i]);
	fputc('\n', r->csv);

	r->km.fd = r->wfd = -1;
	if (!cfg->no_kmsg && kmsg_open(&r->km) < 0)
		r->km.fd = -1;
	if (!cfg->no_kmsg)
		r->wfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	calibrate_kmsg(r);
	open_events(r);
	if (cfg->trace_dir) {
		char *missing = NULL;
		int e = trace_open(&r->trace, cfg->trace_dir, &missing);
		if (e < 0)
			r->trace_why = xasprintf("%s: %s", cfg->trace_dir, strerror(-e));
		else if (missing) /* the others still count; these are named */
			json_array_append_new(r->absent, xjson_sprintf("tracefs events %s (reclaim_stalls): not in this kernel", missing));
		free(missing);
		if (e == 0) {
			trace_set_known(r->trace, known_task, r);
			trace_set_on_stall(r->trace, on_stall, r);
			start_oom_watch(r, cfg->trace_dir);
		}
	} else if (cfg->trace_absent) {
		r->trace_why = xstrdup(cfg->trace_absent);
	}
	/* not asked for ([record] stalls = no): reclaim_stalls is null, and no source is
	 * absent */
	if (r->trace_why)
		json_array_append_new(r->absent, xjson_sprintf("tracefs (reclaim_stalls): %s", r->trace_why));
	rec_sample(r);
	*out = r;
	return 0;
}

/* An OOM notification that is waiting beside the tick is handled first. While the
 * kernel reports a kill it holds the victim's task lock, and a /proc/<victim> read of
 * the sample (statm, status) spins on that lock, without letting anything else run on
 * its CPU, until the report is printed: milliseconds on a serial console. The
 * notification's handling reads only the kernel log and the trace. */
static void oom_first(struct recorder *r)
{
	struct pollfd p[] = { { .fd = oomwatch_fd(r->oomw), .events = POLLIN },
			      { .fd = r->oomfd, .events = POLLIN },
			      { .fd = r->inofd, .events = POLLIN } };
	if (p[0].fd < 0 && p[1].fd < 0 && p[2].fd < 0)
		return;
	if (poll(p, ARRAY_SIZE(p), 0) <= 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		if (p[i].fd >= 0 && (p[i].revents & POLLIN))
			rec_ready(r, p[i].fd);
}

size_t rec_fds(const struct recorder *r, int *fds, size_t max)
{
	int all[] = { r->tfd, r->km.fd, r->oomfd, r->inofd, trace_fd(r->trace), oomwatch_fd(r->oomw) };
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(all) && n < max; i++)
		if (all[i] >= 0)
			fds[n++] = all[i];
	return n;
}

void rec_ready(struct recorder *r, int fd)
{
	uint64_t n;
	if (fd < 0)
		return;
	if (fd == r->tfd) {
		oom_first(r);
		if (read(fd, &n, sizeof(n)) == sizeof(n))
			rec_sample(r);
		return;
	}
	/* bounded: at the busiest a few MB/s; the rest at the next turn of the loop */
	if (fd == trace_fd(r->trace)) {
		(void)trace_on_wake(r->trace, TRACE_READ_MAX);
		report_victims(r);
		return;
	}
	bool notified = false;
	if (fd == oomwatch_fd(r->oomw)) {
		/* a mark parsed by the watch's threads: on the timeline now, and its kill's
		 * log lines follow within microseconds */
		oomwatch_ack(r->oomw);
		report_victims(r);
		notified = true;
	} else if (fd == r->oomfd) {
		if (read(fd, &n, sizeof(n)) == sizeof(n)) {
			rec_event(r, "memcg_oom", json_pack("{s:I}", "notifications", (json_int_t)n));
			notified = true;
		}
	} else if (fd == r->inofd) {
		char ibuf[4096];
		while (read(fd, ibuf, sizeof(ibuf)) > 0)
			;
		char *ev = xasprintf("%s/memory.events", r->cfg.cg_dir), *text = NULL;
		long long k;
		/* memory.events also changes for high and max (every few ms at the limit):
		 * only a risen oom_kill is an OOM */
		if (read_file(ev, &text, NULL) == 0 && kv_find_ll(text, "oom_kill", &k) == 0 && k > r->cg_ooms) {
			rec_event(r, "memcg_oom", json_pack("{s:I}", "oom_kill", (json_int_t)k));
			r->cg_ooms = k;
			notified = true;
		}
		free(text);
		free(ev);
	}
	/* The kernel log, also after an OOM notification. The kill lines follow the
	 * notification within microseconds, but the kernel defers waking log readers to
	 * its next tick (irq_work): after a notification read actively, for at most
	 * 20 ms, rather than wait for that wake-up. For the first 2 ms without sleeping
	 * (yielding to any thread that is ready): an idle CPU of a virtual machine can
	 * take milliseconds to be woken for the OOM watch's thread (bench/README.md),
	 * one that is running does not. A memcg notification comes before the kill. */
	size_t had = r->kills_reported;
	double start = now_s();
	for (;;) {
		kmsg_drain(&r->km);
		report_kills(r);
		/* the mark precedes the kill's log lines; between samples the trace may not
		 * wake the loop (trace_on_wake) */
		if (r->trace && (trace_read(r->trace, TRACE_READ_MAX) > 0 || notified))
			report_victims(r);
		if (!notified || r->kills_reported > had || r->km.fd < 0)
			break;
		double t = now_s() - start;
		if (t >= OOM_ACTIVE_S)
			break;
		if (t < OOM_SPIN_S) {
			sched_yield();
		} else {
			struct timespec ts = { 0, 50 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
}

static bool pid_in_run(void *ctx, int pid);

/* The OOM victims the trace has marked since the last call, on the timeline at the
 * kernel's time of the mark: the kill as the event source sees it, before the kernel
 * log has it, with the event source's own detection latency. */
static void report_victims(struct recorder *r)
{
	take_oom_watch(r); /* a mark the watch parsed first keeps its time */
	size_t n;
	const struct trace_victim *v = trace_victims(r->trace, &n);
	for (; r->victims_reported < n; r->victims_reported++) {
		const struct trace_victim *m = &v[r->victims_reported];
		event_at(r, m->ts - r->cfg.t0, "oom_victim",
			 json_pack("{s:i, s:f, s:f, s:b}", "pid", m->pid, "detected_t", m->seen - r->cfg.t0, "detection_latency_s",
				   m->seen - m->ts, "elsewhere", !pid_in_run(r, m->pid)));
	}
}

void rec_kmsg_feed(struct recorder *r, const char *rec, size_t len)
{
	(void)kmsg_parse_record(&r->km, rec, len);
	report_kills(r);
}

const struct kmsg_log *rec_kmsg(const struct recorder *r)
{
	return &r->km;
}

static json_t *snapshot(const struct recorder *r, const long long *v, const unsigned char *present, const char *prefix)
{
	json_t *o = json_object();
	size_t pl = strlen(prefix);
	for (size_t i = 0; i < r->ncol; i++) {
		if (!present[i] || strncmp(r->colname[i], prefix, pl) != 0)
			continue;
		char *name = xstrdup(r->colname[i] + pl), *br = strchr(name, '[');
		if (br)
			*br = '\0';
		json_object_set_new(o, name, json_integer(v[i]));
		free(name);
	}
	return o;
}

static json_t *num_or_null(double v, bool ok)
{
	return ok ? json_real(v) : json_null();
}

/* Δ of a column between the first and the last sample, in MiB of pages; null when
 * either sample lacks it */
static json_t *delta_mb(const struct recorder *r, const char *col)
{
	long c = col_index(r, col);
	if (c < 0 || !r->first_present[c] || !r->present[c])
		return json_null();
	return json_real((double)(r->last[c] - r->first[c]) * (double)r->page / 1048576.0);
}

/* The cgroup's swap: out and in from its memory.stat (v2 kernels that count pswpout
 * per cgroup; v1 has no such counters), the peak from the kernel's high-water mark
 * (v2 memory.swap.peak, in a cgroup made for the recording) or the highest sample
 * (v2 memory.swap.current, v1 memsw.usage - usage). Unknown is null, never 0. */
static json_t *cgroup_swap(const struct recorder *r)
{
	long long peak = r->swap_peak;
	const char *how = peak >= 0 ? (r->c_swap_cur >= 0 ? "sampled memory.swap.current" : "sampled memsw.usage - usage") : NULL;
	long cp = col_index(r, "cg.swap_peak[bytes]");
	if (r->cfg.cg_fresh && cp >= 0 && r->present[cp] && r->last[cp] >= peak) {
		peak = r->last[cp];
		how = "memory.swap.peak";
	}
	return json_pack("{s:o, s:o, s:o, s:s?}", "out_mb", delta_mb(r, "cg.stat.pswpout[n]"), "in_mb",
			 delta_mb(r, "cg.stat.pswpin[n]"), "peak_bytes", peak >= 0 ? json_integer(peak) : json_null(),
			 "peak_from", how);
}

/* The rise of column c from the first sample to its latest read (a slow source's
 * between its reads, the last sample's after rec_finish); -1 when either lacks it. */
static long long rise(const struct recorder *r, long c)
{
	long long d;
	if (c < 0 || !r->first_present[c] || !r->last_present[c] || __builtin_sub_overflow(r->last[c], r->first[c], &d))
		return -1;
	return d;
}

static long long last_of(const struct recorder *r, const char *col)
{
	long c = col_index(r, col);
	return c >= 0 && r->last_present[c] ? r->last[c] : -1;
}

/* A peak: the highest sampled, or the cgroup's own high-water mark col if higher.
 * Samples can miss a short spike; the kernel's mark cannot, but covers the recording
 * only in a cgroup made for it (an existing cgroup's covers its whole life). */
static long long high_water(const struct recorder *r, long long sampled, const char *col)
{
	long long mark = r->cfg.cg_fresh ? last_of(r, col) : -1;
	return mark > sampled ? mark : sampled;
}

/* {some, full}: stall_total_s (Δ total) and peak_avg10_pct of a PSI file's columns. */
static json_t *psi_summary(const struct recorder *r, const char *prefix, const long long peak10[2])
{
	json_t *psi = json_object();
	static const char *const kinds[] = { "some", "full" };
	for (size_t k = 0; k < 2; k++) {
		char *tot = xasprintf("%s.%s.total[us]", prefix, kinds[k]);
		long long d = rise(r, col_index(r, tot));
		free(tot);
		json_object_set_new(psi, kinds[k], json_pack("{s:o, s:o}", "stall_total_s", num_or_null((double)d / 1e6, d >= 0),
							   "peak_avg10_pct", num_or_null((double)peak10[k] / 100.0, peak10[k] >= 0)));
	}
	return psi;
}

void rec_live(const struct recorder *r, struct rec_live *o)
{
	memset(o, 0, sizeof(*o));
	o->t = r->nsamples ? r->t_last : -1;
	o->usage = r->c_cg_usage >= 0 && r->present[r->c_cg_usage] ? r->last[r->c_cg_usage] : -1;
	o->peak = high_water(r, r->peak_usage, "cg.peak[bytes]");
	o->swap = swap_now(r);
	o->swap_peak = high_water(r, r->swap_peak, "cg.swap_peak[bytes]");
	o->oom_kills = rise(r, col_index(r, r->cfg.cg_ver == CG_V1 ? "cg.oom_control.oom_kill[n]" : "cg.events.oom_kill[n]"));
	o->pgscan = rise(r, col_index(r, "cg.stat.pgscan[n]"));
	o->pgsteal = rise(r, col_index(r, "cg.stat.pgsteal[n]"));
	o->psi_some_avg10 = last_of(r, "cg.psi.some.avg10[%]");
	o->psi_full_avg10 = last_of(r, "cg.psi.full.avg10[%]");
	o->psi_some_us = rise(r, col_index(r, "cg.psi.some.total[us]"));
	o->psi_full_us = rise(r, col_index(r, "cg.psi.full.total[us]"));
	o->nprocs = o->nseen = -1;
	if (!r->have_ps)
		return;
	const struct proc_ent *top[REC_LIVE_TOP];
	o->ntop = procs_top_rss(&r->ps, top, REC_LIVE_TOP);
	for (size_t i = 0; i < o->ntop; i++) {
		o->top[i].pid = top[i]->pid;
		snprintf(o->top[i].comm, sizeof(o->top[i].comm), "%s", top[i]->comm);
		o->top[i].rss = top[i]->rss;
		o->top[i].peak_rss = top[i]->peak_rss;
	}
	o->nprocs = (long long)procs_alive(&r->ps);
	o->nseen = (long long)r->ps.n;
}

/* in the recorded cgroup: seen in cgroup.procs, or a workload's or announced child's */
static bool pid_in_run(void *ctx, int pid)
{
	const struct recorder *r = ctx;
	if (!r->cfg.cg_dir)
		return true;
	if ((r->have_ps && procs_seen(&r->ps, pid)) || (r->cfg.owns && r->cfg.owns(r->cfg.owns_ctx, pid)))
		return true;
	for (size_t i = 0; i < r->n_cg_in; i++)
		if (r->cg_in[i] == pid)
			return true;
	return false;
}

json_t *rec_task_stalls(const struct recorder *r, int pid)
{
	if (!r->trace)
		return json_null();
	struct trace_task tt;
	trace_task_stalls(r->trace, pid, &tt);
	json_t *o = json_object();
	static const char *const kinds[] = { "direct", "memcg" };
	for (int k = 0; k < 2; k++)
		json_object_set_new(o, kinds[k],
				    json_pack("{s:I, s:f, s:o}", "count", (json_int_t)tt.count[k], "total_s",
					      (double)tt.total_us[k] / 1e6, "max_us",
					      tt.count[k] ? json_integer(tt.max_us[k]) : json_null()));
	return o;
}

bool rec_mark_victim(const struct recorder *r, int pid, double *t, double *latency)
{
	struct trace_victim v;
	if (!r->trace || !trace_victim(r->trace, pid, &v))
		return false;
	*t = v.ts - r->cfg.t0;
	*latency = v.seen - v.ts;
	return true;
}

json_t *rec_finish(struct recorder *r)
{
	r->finishing = true;
	/* what is left in the trace buffer, bounded (64 MiB) */
	for (int i = 0; r->trace && i < 256 && trace_read(r->trace, TRACE_READ_MAX) > 0; i++)
		;
	if (r->trace) /* every stall read, paired now: in the final row's stall columns */
		trace_flush(r->trace);
	report_victims(r);
	rec_sample(r);
	kmsg_drain(&r->km);
	report_kills(r);
	long co = col_index(r, r->cfg.cg_ver == CG_V1 ? "cg.oom_control.oom_kill[n]" : "cg.events.oom_kill[n]");
	long long cg_ooms = co >= 0 && r->first_present[co] && r->present[co] ? r->last[co] - r->first[co] : -1;
	place_deferred(r, cg_ooms);
	for (size_t i = 0; r->have_ps && i < r->kills_reported; i++)
		if (r->kplace[i] == K_IN)
			procs_mark_oom(&r->ps, r->km.kills[i].pid);
	if (fflush(r->csv) != 0)
		write_err_note(&r->csv_err, errno);
	if (r->pcsv && fflush(r->pcsv) != 0 && r->have_ps)
		write_err_note(&r->ps.csv_err, errno);
	double elapsed = t_now(r);
	json_t *vb = snapshot(r, r->first, r->first_present, "vmstat."),
	       *va = snapshot(r, r->last, r->present, "vmstat.");
	json_t *s = json_object();
	json_object_set_new(s, "interval_ms", json_integer((json_int_t)r->cfg.interval_ms));
	/* the cadence of the slow sources' columns (empty between their reads) */
	json_object_set_new(s, "slow_sources", rec_slow_json(r->slow_due_s > 0 ? r->cfg.slow : 0));
	json_object_set_new(s, "slow_interval_ms", json_integer((json_int_t)r->cfg.slow_ms));
	json_object_set_new(s, "samples", json_integer((json_int_t)r->nsamples));
	json_object_set_new(s, "columns", json_integer((json_int_t)r->ncol + 1));
	json_object_set_new(s, "absent_sources", json_incref(r->absent));
	json_object_set_new(s, "kernel_log_clock_offset_s", r->kmsg_calibrated ? json_real(r->kmsg_offset) : json_null());
	json_object_set_new(s, "reclaim", rec_reclaim_summary(vb, va, elapsed, sysconf(_SC_PAGESIZE)));
	json_decref(vb);
	json_decref(va);
	/* /proc/vmstat's pgscan and pgsteal leave out reclaim a cgroup does at its own
	 * limit (the kernel counts those only in the cgroup's memory.stat, and v1's has
	 * none): the same summary from the run cgroup's memory.stat, where it exists */
	if (r->cfg.cg_dir) {
		json_t *cb = snapshot(r, r->first, r->first_present, "cg.stat."),
		       *ca = snapshot(r, r->last, r->present, "cg.stat.");
		json_object_set_new(s, "cgroup_reclaim", rec_reclaim_summary(cb, ca, elapsed, sysconf(_SC_PAGESIZE)));
		json_decref(cb);
		json_decref(ca);
	} else {
		json_object_set_new(s, "cgroup_reclaim", json_null());
	}
	long long machine10[2] = { r->peak_some10, r->peak_full10 };
	json_object_set_new(s, "psi_memory", psi_summary(r, "psi.memory", machine10));
	json_object_set_new(s, "cgroup_psi_memory", r->cfg.cg_dir ? psi_summary(r, "cg.psi", r->peak_cg10) : json_null());
	r->peak_usage = high_water(r, r->peak_usage, "cg.peak[bytes]");
	json_object_set_new(s, "peak_usage_bytes", r->peak_usage >= 0 ? json_integer(r->peak_usage) : json_null());
	json_object_set_new(s, "cgroup_swap", r->cfg.cg_dir ? cgroup_swap(r) : json_null());
	json_t *nodes = json_array();
	for (int n = 0; n < r->nnodes; n++) {
		long cf = r->c_node_free[n], ct = r->c_node_total[n];
		if (cf < 0 || ct < 0 || !r->first_present[cf] || !r->present[cf] || !r->present[ct])
			continue;
		long long total = r->last[ct];
		json_array_append_new(nodes, json_pack("{s:i, s:I, s:o, s:o, s:o}", "node", n, "mem_total_bytes",
						       (json_int_t)total, "used_start_bytes", diff_json(total, r->first[cf]),
						       "used_peak_bytes", r->node_min_free[n] >= 0 ? diff_json(total, r->node_min_free[n]) : json_null(),
						       "used_end_bytes", diff_json(total, r->last[cf])));
	}
	json_object_set_new(s, "nodes", nodes);
	json_object_set_new(s, "first_direct_reclaim_s", num_or_null(r->t_direct, r->t_direct >= 0));
	json_object_set_new(s, "first_swap_out_s", num_or_null(r->t_swapout, r->t_swapout >= 0));
	json_object_set_new(s, "first_psi_full_stall_s", num_or_null(r->t_psi_full, r->t_psi_full >= 0));
	json_object_set_new(s, "first_oom_kill_s", num_or_null(r->t_oom, r->t_oom >= 0));
	json_t *rs = r->trace ? trace_summary(r->trace, pid_in_run, r) : json_null();
	if (r->trace) {
		json_object_set_new(rs, "oom_watch", r->oomw ? oomwatch_summary(r->oomw)
							       : json_pack("{s:s}", "absent", r->oomw_why ? r->oomw_why : "not started"));
		json_object_set_new(rs, "events",
				    json_pack("{s:I, s:I, s:I}", "threshold_ms",
					      (json_int_t)r->cfg.stall_event_ms,
					      "written", (json_int_t)r->stall_events, "dropped", (json_int_t)r->stall_events_dropped));
	}
	json_object_set_new(s, "reclaim_stalls", rs);
	return s;
}

void rec_write_errors(const struct recorder *r, json_t *msgs)
{
	const struct write_err *e[] = { &r->csv_err, &r->events_err, &r->ps.csv_err };
	static const char *const names[] = { "samples.csv", "events.jsonl", "processes.csv" };
	for (size_t i = 0; i < ARRAY_SIZE(e) - !r->have_ps; i++) {
		char *path = xasprintf("%s/%s", r->cfg.dir, names[i]), *m = write_err_msg(e[i], path);
		if (m)
			json_array_append_new(msgs, json_string(m));
		free(m);
		free(path);
	}
}

json_t *rec_processes(const struct recorder *r)
{
	return r->have_ps ? procs_json(&r->ps) : json_null();
}

json_t *rec_process_ranking(const struct recorder *r)
{
	return r->have_ps ? procs_ranking(&r->ps) : json_null();
}

void rec_close(struct recorder *r)
{
	if (!r)
		return;
	if (r->csv)
		fclose(r->csv);
	if (r->events)
		fclose(r->events);
	for (size_t i = 0; i < r->nsrc; i++) {
		struct src *s = &r->src[i];
		if (s->fd >= 0)
			close(s->fd);
		for (size_t k = 0; k < s->ncols; k++)
			free(s->keys[k]);
		free(s->keys);
		free(s->klen);
		free(s->khash);
		free(s->path);
		free(s->prefix);
		free(s->prev);
		free(s->line_off);
		free(s->line_len);
		free(s->line_col);
		free(s->line_cur);
		free(s->pat);
	}
	free(r->src);
	for (size_t i = 0; i < r->ncol; i++)
		free(r->colname[i]);
	free(r->colname);
	free(r->centi);
	free(r->val);
	free(r->first);
	free(r->last);
	free(r->present);
	free(r->first_present);
	free(r->last_present);
	free(r->row);
	free(r->cell_at);
	free(r->row_had);
	free(r->txt);
	free(r->txt_val);
	free(r->txt_len);
	free(r->buf);
	int fds[] = { r->tfd, r->oomfd, r->inofd, r->wfd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	kmsg_close(&r->km);
	oomwatch_stop(r->oomw);
	free(r->oomw_why);
	free(r->cg_in);
	trace_close(r->trace);
	free(r->trace_why);
	free(r->kdet);
	json_decref(r->absent);
	if (r->have_ps)
		procs_close(&r->ps);
	if (r->pcsv)
		fclose(r->pcsv);
	free(r->csvbuf); /* after fclose: the streams wrote from them */
	free(r->pcsvbuf);
	free(r->kplace);
	free(r->kby);
	free(r->c_node_free);
	free(r->c_node_total);
	free(r->node_min_free);
	free(r);
}

/* ---- summaries --------------------------------------------------------------- */

static bool delta(const json_t *b, const json_t *a, const char *key, long long *out)
{
	json_t *x = json_object_get(b, key), *y = json_object_get(a, key);
	long long d;
	if (!json_is_integer(x) || !json_is_integer(y) || __builtin_sub_overflow(json_integer_value(y), json_integer_value(x), &d))
		return false; /* absent, or from a corrupt read */
	*out = d;
	return true;
}

static json_t *scan_json(long long sc, long long rc, double elapsed)
{
	return json_pack("{s:I, s:I, s:o, s:o}", "scanned_pages", (json_int_t)sc, "reclaimed_pages", (json_int_t)rc,
			 "efficiency_pct", sc > 0 ? json_real((double)rc * 100.0 / (double)sc) : json_null(),
			 "velocity_pages_per_s", elapsed > 0 ? json_real((double)sc / elapsed) : json_null());
}

/* Δ of the sum of two counters; false when either is missing */
static bool delta2(const json_t *b, const json_t *a, const char *k1, const char *k2, long long *out)
{
	long long x, y;
	if (!delta(b, a, k1, &x) || !delta(b, a, k2, &y))
		return false;
	*out = x + y;
	return true;
}

json_t *rec_reclaim_summary(const json_t *before, const json_t *after, double elapsed, long page_size)
{
	/* Summed per reclaimer by exact counter name: summing every counter that starts
	 * with "pgscan" would count pages twice (pgscan_anon/pgscan_file split the same
	 * scans by type), which is how sar's %vmeff came to show ~200%. */
	static const char *const who[] = { "kswapd", "direct", "khugepaged", "proactive" };
	json_t *s = json_object(), *per = json_object();
	long long kswapd_scan = -1, direct_scan = -1, sum_scan = 0, sum_steal = 0;
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		char *sk = xasprintf("pgscan_%s", who[i]), *rk = xasprintf("pgsteal_%s", who[i]);
		long long sc, rc;
		bool ok = delta(before, after, sk, &sc) && delta(before, after, rk, &rc);
		if (ok) {
			json_object_set_new(per, who[i], scan_json(sc, rc, elapsed));
			sum_scan += sc;
			sum_steal += rc;
			if (i == 0)
				kswapd_scan = sc;
			if (i == 1)
				direct_scan = sc;
		} else {
			json_object_set_new(per, who[i], json_null()); /* counters not on this kernel */
		}
		free(sk);
		free(rk);
	}
	json_object_set_new(s, "reclaimers", per);
	/* All reclaim, by LRU type: /proc/vmstat's pgscan_anon/file and pgsteal_anon/file
	 * count every scan, also those a cgroup does for itself (at memory.max, above
	 * memory.high, memory.reclaim), which the per-reclaimer counters of /proc/vmstat
	 * leave out. A cgroup's memory.stat has no split by type but counts its own reclaim
	 * in its per-reclaimer counters (as direct) and sums them as pgscan, pgsteal. */
	json_t *types = json_object();
	static const char *const lru[] = { "anon", "file" };
	for (size_t i = 0; i < ARRAY_SIZE(lru); i++) {
		char *sk = xasprintf("pgscan_%s", lru[i]), *rk = xasprintf("pgsteal_%s", lru[i]);
		long long sc, rc;
		bool ok = delta(before, after, sk, &sc) && delta(before, after, rk, &rc);
		json_object_set_new(types, lru[i], ok ? scan_json(sc, rc, elapsed) : json_null());
		free(sk);
		free(rk);
	}
	json_object_set_new(s, "by_type", types);
	long long all_scan, all_steal;
	bool by_type = delta2(before, after, "pgscan_anon", "pgscan_file", &all_scan) &&
		       delta2(before, after, "pgsteal_anon", "pgsteal_file", &all_steal);
	bool summed = !by_type && delta(before, after, "pgscan", &all_scan) && delta(before, after, "pgsteal", &all_steal);
	json_object_set_new(s, "all", by_type || summed ? scan_json(all_scan, all_steal, elapsed) : json_null());
	/* reclaim at cgroup limits: what the per-reclaimer counters do not account for */
	long long memcg_scan, memcg_steal;
	bool memcg_ok = by_type && !__builtin_sub_overflow(all_scan, sum_scan, &memcg_scan) &&
			!__builtin_sub_overflow(all_steal, sum_steal, &memcg_steal);
	json_object_set_new(s, "memcg", memcg_ok ? scan_json(memcg_scan, memcg_steal, elapsed) : json_null());
	long long tot;
	bool tot_ok = !__builtin_add_overflow(kswapd_scan, direct_scan, &tot);
	json_object_set_new(s, "direct_scan_pct", kswapd_scan >= 0 && direct_scan >= 0 && tot_ok && tot > 0
							  ? json_real((double)direct_scan * 100.0 / (double)tot)
							  : json_null());
	long long stalls = 0;
	bool any = false, big = false;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)after, k, v) {
		long long d;
		if (strncmp(k, "allocstall_", 11) == 0 && delta(before, after, k, &d)) {
			big |= __builtin_add_overflow(stalls, d, &stalls);
			any = true;
		}
	}
	json_object_set_new(s, "allocation_stalls", any && !big ? json_integer(stalls) : json_null());
	static const struct { const char *key, *name; bool mb; } plain[] = {
		{ "pswpin", "swap_in_mb", true },
		{ "pswpout", "swap_out_mb", true },
		{ "workingset_refault_anon", "refaults_anon_pages", false },
		{ "workingset_refault_file", "refaults_file_pages", false },
		{ "pgmajfault", "major_faults", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
		long long d;
		bool ok = delta(before, after, plain[i].key, &d);
		json_object_set_new(s, plain[i].name, !ok ? json_null()
						      : plain[i].mb ? json_real((double)d * (double)page_size / 1048576.0)
								    : json_integer(d));
	}
	return s;
}

json_t *rec_zoneinfo(const char *text)
{
	json_t *zones = json_array(), *z = NULL;
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		int node;
		char zone[32];
		char key[32];
		long long v;
		if (sscanf(p, "Node %d, zone %31s", &node, zone) == 2) {
			z = json_pack("{s:i, s:s}", "node", node, "zone", zone);
			json_array_append_new(zones, z);
		} else if (z && sscanf(p, " pages free %lld", &v) == 1) {
			json_object_set_new(z, "free_pages", json_integer(v));
		} else if (z && sscanf(p, " %31s %lld", key, &v) == 2 &&
			   (!strcmp(key, "min") || !strcmp(key, "low") || !strcmp(key, "high") || !strcmp(key, "managed"))) {
			char *name = xasprintf("%s_pages", key);
			if (!json_object_get(z, name)) /* the first of each: the zone's own, not a per-cpu line */
				json_object_set_new(z, name, json_integer(v));
			free(name);
		}
		p = nl ? nl + 1 : NULL;
	}
	return zones;
}
