/* trace.c - see trace.h. The instance is read as binary pages (traceraw.c decodes
 * them; here they are merged over CPUs and accounted); its text is the fallback.
 *
 * trace_pipe's text lines look like
 *     "          <comm>-<pid> (<tgid>) [<cpu>] <flags> <secs>.<usecs>: <event>: <fields>"
 * where comm may hold any character (spaces, '-', ':'), the flags column is there
 * with the irq-info option (the kernel's default; mph turns it off) and "(<tgid>)"
 * with record-tgid ("(-------)" when the kernel has not seen the thread's process).
 * A line is therefore parsed from its event name outward: the first ": <known event>: "
 * preceded by a timestamp, then backwards over the flags, "[cpu]" and the tgid to the
 * pid, whose '-' ends comm. */
#define _GNU_SOURCE
#include "trace.h"
#include "traceraw.h"
#include "journal.h"
#include "../core/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef TRACEFS_MAGIC
#define TRACEFS_MAGIC 0x74726163
#endif

/* The events, as the trace names them, where their enable and format files are, and
 * the field of their payload the value comes from (the binary pages: traceraw.h). */
static const struct {
	const char *name, *path;
	enum tev_kind kind;
	const char *raw_value;
} events[] = {
	{ "mm_vmscan_direct_reclaim_begin", "vmscan/mm_vmscan_direct_reclaim_begin", TEV_DIRECT_BEGIN, NULL },
	{ "mm_vmscan_direct_reclaim_end", "vmscan/mm_vmscan_direct_reclaim_end", TEV_DIRECT_END, "nr_reclaimed" },
	{ "mm_vmscan_memcg_reclaim_begin", "vmscan/mm_vmscan_memcg_reclaim_begin", TEV_MEMCG_BEGIN, NULL },
	{ "mm_vmscan_memcg_reclaim_end", "vmscan/mm_vmscan_memcg_reclaim_end", TEV_MEMCG_END, "nr_reclaimed" },
	{ "mm_vmscan_kswapd_wake", "vmscan/mm_vmscan_kswapd_wake", TEV_KSWAPD_WAKE, "nid" },
	{ "mm_vmscan_kswapd_sleep", "vmscan/mm_vmscan_kswapd_sleep", TEV_KSWAPD_SLEEP, "nid" },
	{ "mark_victim", "oom/mark_victim", TEV_MARK_VICTIM, "pid" },
};
#define NEVENTS ARRAY_SIZE(events)

/* the field each event's value comes from ("" none) */
static const char *const value_field[] = {
	[TEV_DIRECT_BEGIN] = "", [TEV_DIRECT_END] = "nr_reclaimed=", [TEV_MEMCG_BEGIN] = "",
	[TEV_MEMCG_END] = "nr_reclaimed=", [TEV_KSWAPD_WAKE] = "nid=", [TEV_KSWAPD_SLEEP] = "nid=",
	[TEV_MARK_VICTIM] = "pid=", [TEV_LOST] = "",
};

/* ---- parsing ------------------------------------------------------------- */

static bool digits(const char *p, const char *end)
{
	if (p >= end)
		return false;
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* A decimal at p (at most 18 digits), *end after it. */
static bool number(const char *p, const char *lim, long long *v, const char **end)
{
	const char *q = p;
	long long x = 0;
	while (q < lim && isdigit((unsigned char)*q) && q - p < 18)
		x = x * 10 + (*q++ - '0');
	if (q == p || (q < lim && isdigit((unsigned char)*q)))
		return false;
	*v = x;
	*end = q;
	return true;
}

/* "<secs>.<usecs>" in [p, end) */
static bool timestamp(const char *p, const char *end, double *ts)
{
	const char *dot = memchr(p, '.', (size_t)(end - p));
	if (!dot || !digits(p, dot) || !digits(dot + 1, end) || dot - p > 12 || end - dot - 1 > 9)
		return false;
	long long s = 0, f = 0, scale = 1;
	for (const char *q = p; q < dot; q++)
		s = s * 10 + (*q - '0');
	for (const char *q = dot + 1; q < end; q++, scale *= 10)
		f = f * 10 + (*q - '0');
	*ts = (double)s + (double)f / (double)scale;
	return true;
}

static int parse_lost(const char *p, const char *end, struct tev *ev)
{
	/* "CPU:3 [LOST 128 EVENTS]" */
	const char *l = memmem(p, (size_t)(end - p), "[LOST ", 6), *q;
	long long n;
	if (!l || !number(l + 6, end, &n, &q) || (size_t)(end - q) < 8 || memcmp(q, " EVENTS]", 8) != 0)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	ev->kind = TEV_LOST;
	ev->value = n;
	return 0;
}

/* The head "<comm>-<pid> [cpu] [flags] " before the timestamp at ts_start. */
static int parse_head(const char *line, const char *ts_start, struct tev *ev)
{
	const char *p = ts_start;
	while (p > line && p[-1] == ' ')
		p--;
	/* the flags column (irq-info), when the token before is not "[cpu]" */
	if (p > line && p[-1] != ']') {
		while (p > line && p[-1] != ' ')
			p--;
		while (p > line && p[-1] == ' ')
			p--;
	}
	if (p == line || p[-1] != ']')
		return -EINVAL;
	const char *close = --p;
	while (p > line && isdigit((unsigned char)p[-1]))
		p--;
	if (p == close || p == line || p[-1] != '[')
		return -EINVAL;
	p--;
	while (p > line && p[-1] == ' ')
		p--;
	/* record-tgid: "(  1234)", or "(-------)" when unknown (after a pid, never a ')') */
	long long tgid = 0;
	if (p > line && p[-1] == ')') {
		const char *te = --p;
		while (p > line && (isdigit((unsigned char)p[-1]) || p[-1] == ' ' || p[-1] == '-'))
			p--;
		if (p == line || p[-1] != '(' || te - p > 12)
			return -EINVAL;
		for (const char *q = p; q < te; q++)
			if (isdigit((unsigned char)*q))
				tgid = tgid * 10 + (*q - '0');
		p--;
		while (p > line && p[-1] == ' ')
			p--;
	}
	const char *pe = p;
	while (p > line && isdigit((unsigned char)p[-1]))
		p--;
	if (p == pe || p == line || p[-1] != '-' || pe - p > 9)
		return -EINVAL;
	long long pid = 0;
	for (const char *q = p; q < pe; q++)
		pid = pid * 10 + (*q - '0');
	const char *ce = p - 1, *cs = line;
	while (cs < ce && *cs == ' ')
		cs++;
	size_t cl = (size_t)(ce - cs);
	if (cl >= sizeof(ev->comm))
		cl = sizeof(ev->comm) - 1;
	memcpy(ev->comm, cs, cl);
	ev->comm[cl] = 0;
	ev->pid = (int)pid;
	ev->tgid = (int)tgid;
	return 0;
}

int trace_parse_line(const char *line, size_t len, struct tev *ev)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	const char *end = line + len;
	if (len == 0)
		return -ENOENT;
	if (memchr(line, '\0', len))
		return -EINVAL;
	if (len >= 4 && memcmp(line, "CPU:", 4) == 0)
		return parse_lost(line, end, ev);
	/* the first ": <event>: " whose preceding token is a timestamp */
	for (const char *m = line; (m = memmem(m, (size_t)(end - m), ": ", 2)); m += 2) {
		const char *ts = m;
		while (ts > line && ts[-1] != ' ')
			ts--;
		double t;
		if (!timestamp(ts, m, &t))
			continue;
		const char *name = m + 2, *colon = memchr(name, ':', (size_t)(end - name));
		if (!colon)
			return -EINVAL; /* cut off in the event's name */
		size_t nl = (size_t)(colon - name);
		size_t k;
		for (k = 0; k < ARRAY_SIZE(events); k++)
			if (strlen(events[k].name) == nl && memcmp(events[k].name, name, nl) == 0)
				break;
		if (k == ARRAY_SIZE(events))
			return -ENOENT;
		struct tev e = { .kind = events[k].kind, .ts = t };
		if (parse_head(line, ts, &e) < 0)
			return -EINVAL;
		const char *f = value_field[e.kind];
		if (*f) {
			/* the field at the start of the fields or after a space */
			const char *fields = colon + 1, *v = NULL;
			for (const char *q = fields; (q = memmem(q, (size_t)(end - q), f, strlen(f))); q++)
				if (q[-1] == ' ') {
					v = q + strlen(f);
					break;
				}
			const char *after;
			if (!v || !number(v, end, &e.value, &after) || (after < end && *after != ' '))
				return -EINVAL;
		} else if (colon + 1 == end) {
			return -EINVAL; /* begin without its fields: cut off */
		}
		*ev = e;
		return 0;
	}
	return -ENOENT;
}

/* ---- tracefs ------------------------------------------------------------- */

static bool is_tracefs(const char *dir)
{
	struct statfs s;
	return statfs(dir, &s) == 0 && (unsigned long)s.f_type == TRACEFS_MAGIC;
}

int trace_find_mount(char **out)
{
	if (is_tracefs("/sys/kernel/tracing")) {
		*out = xstrdup("/sys/kernel/tracing");
		return 0;
	}
	FILE *f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	struct mntent *m;
	int r = -ENOENT;
	while ((m = getmntent(f)))
		if (strcmp(m->mnt_type, "tracefs") == 0 && is_tracefs(m->mnt_dir)) {
			*out = xstrdup(m->mnt_dir);
			r = 0;
			break;
		}
	endmntent(f);
	return r;
}

int trace_mount(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mount("nodev", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0) {
		int e = -errno;
		(void)rmdir(dir);
		return e;
	}
	return 0;
}

int trace_unmount(const char *dir)
{
	if (is_tracefs(dir) && umount2(dir, MNT_DETACH) < 0)
		return -errno;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int trace_instance_remove(const char *dir)
{
	char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
	if (slash)
		*slash = 0;
	/* only in a mounted tracefs: elsewhere the name is nobody's instance */
	bool mounted = slash && is_tracefs(parent);
	free(parent);
	if (!mounted)
		return 0;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The instance in the mounted tracefs or, when none is, in a tracefs mount of mph's
 * own below the journal's directory; each journaled before it exists (the replay
 * unmounts only a mount it journaled). */
char *trace_oom_dir(const char *dir)
{
	return xasprintf("%s-oom", dir);
}

/* An instance directory, journaled before it is made; one that is there already is
 * not ours (never claimed by the journal). */
static int make_instance(struct journal *j, const char *inst)
{
	if (access(inst, F_OK) == 0)
		return -EEXIST;
	int r = journal_add(j, J_TRACE, inst, NULL);
	if (r == 0 && mkdir(inst, 0700) < 0)
		r = -errno;
	return r;
}

void trace_setup(struct journal *j, char **dir, char **absent)
{
	*dir = *absent = NULL;
	char *mnt = NULL, *inst = NULL;
	int r = trace_find_mount(&mnt);
	if (r == -ENOENT) {
		mnt = xasprintf("%s/tracefs-%d", j->dir, (int)getpid());
		if (access(mnt, F_OK) == 0) /* not ours: never claimed by the journal */
			r = -EEXIST;
		else if ((r = journal_add(j, J_TRACEFS, mnt, NULL)) == 0)
			r = trace_mount(mnt);
	}
	if (r < 0) {
		*absent = xasprintf("cannot mount tracefs%s%s: %s", mnt ? " at " : "", mnt ? mnt : "", strerror(-r));
		goto out;
	}
	inst = xasprintf("%s/instances/mph-%d", mnt, (int)getpid());
	if ((r = make_instance(j, inst)) < 0) {
		*absent = xasprintf("cannot create the tracefs instance %s: %s", inst, strerror(-r));
		goto out;
	}
	/* the OOM watch's (oomwatch.h); without it the marks still come in this one */
	char *oom = trace_oom_dir(inst);
	(void)make_instance(j, oom);
	free(oom);
	*dir = inst;
	inst = NULL;
out:
	free(inst);
	free(mnt);
}

/* ---- accounting ---------------------------------------------------------- */

enum { K_DIRECT = TRACE_STALL_DIRECT, K_MEMCG = TRACE_STALL_MEMCG, K_KSWAPD = TRACE_STALL_KSWAPD, NKIND };
static const char *const kind_names[NKIND] = { "direct", "memcg", "kswapd" };

/* one finished stall (or kswapd wake period) */
struct stall {
	int pid;             /* kswapd: the node */
	int tgid;            /* 0: unknown */
	unsigned char kind;
	uint32_t us;
	uint32_t reclaimed;
};

struct open_stall {
	int pid, tgid;
	unsigned char kind;
	double ts;
};

struct comm_ent {
	int pid;
	int tgid;            /* 0: unknown */
	char comm[16];
};

/* The binary pages come one CPU at a time, each CPU's in order of time, but a task
 * can begin a stall on one CPU and end it on another: the events are merged by time
 * before they are paired, as trace_pipe's text is by the kernel. A CPU's events are
 * held until every CPU has been read past their time (done: the CPU's last read
 * found nothing more, at that time less a margin for a write in progress). */
struct pending {
	struct tev *ev;
	size_t head, n, cap;
	double done;    /* every event of this CPU up to this time has been read */
	double last;    /* the time of the last event read from it */
};
#define MAX_PENDING (1u << 16)
#define WRITE_MARGIN_S 1e-3

/* Bounds: a run's stalls are thousands, not millions; beyond these they are counted
 * as dropped rather than grow without end. */
#define MAX_STALLS (1u << 21)
#define MAX_OPEN 4096
#define MAX_COMMS 65536
#define LINE_MAX_BYTES 4096
#define MAX_CPUS 1024

struct trace {
	int dir_fd;          /* the instance, -1 in tests */
	int fd;              /* trace_pipe (the text fallback), -1 when reading the binary pages */
	int ep;              /* an epoll set holding fd or cpufd[] while armed: the event loop's descriptor */
	bool armed;
	/* the binary pages (traceraw.h): per_cpu/cpuN/trace_pipe_raw, one a CPU */
	bool raw;
	struct raw_layout lay;
	struct raw_event rev[NEVENTS];
	size_t nrev;
	int *cpufd;
	size_t ncpu;
	unsigned char *page;
	struct raw_stats rs;
	struct pending *pend; /* per CPU: its events not yet accounted, in their order */
	size_t npend;         /* CPUs in pend[] */
	size_t cur_cpu;       /* the CPU whose page is being parsed */
	char *raw_why;       /* why the text fallback, NULL: not used */
	trace_who_fn who;    /* a pid's process and name (the pages have neither) */
	bool (*known)(void *ctx, int pid, int *tgid, char comm[16]); /* asked before who */
	trace_stall_fn on_stall; /* each paired stall */
	void *on_stall_ctx;
	void *known_ctx;
	int top_fd;          /* the tracefs mount: saved_tgids and saved_cmdlines, -1 none */
	int saved_reads;     /* of them, in this read (bounded) */
	char line[LINE_MAX_BYTES];
	size_t linelen;
	bool overlong;       /* the line being read is longer than a trace line gets */
	struct stall *st;
	size_t nst, capst;
	struct open_stall op[MAX_OPEN];
	size_t nop;
	struct comm_ent *comms;
	size_t ncomm, capcomm;
	struct trace_victim *vic;
	size_t nvic, capvic;
	long long lost, malformed, unpaired_ends, dropped, lines;
};

/* /proc/<pid>/status's Name and Tgid (a thread's id works as a pid there); false
 * when the task is gone */
static bool proc_who(int pid, int *tgid, char comm[16])
{
	char p[48], *text = NULL;
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	bool ok = false;
	if (pid > 0 && read_file(p, &text, NULL) == 0) {
		const char *n = strncmp(text, "Name:\t", 6) == 0 ? text + 6 : NULL, *g = strstr(text, "\nTgid:\t");
		if (n && g) {
			size_t l = strcspn(n, "\n");
			if (l > 15)
				l = 15;
			memcpy(comm, n, l);
			comm[l] = 0;
			*tgid = atoi(g + 7);
			ok = *tgid > 0;
		}
	}
	free(text);
	return ok;
}

struct trace *trace_new(void)
{
	struct trace *t = xcalloc(1, sizeof(*t));
	t->dir_fd = t->fd = t->ep = t->top_fd = -1;
	t->who = proc_who;
	return t;
}

void trace_set_who(struct trace *t, trace_who_fn who)
{
	t->who = who ? who : proc_who;
}

void trace_set_on_stall(struct trace *t, trace_stall_fn fn, void *ctx)
{
	t->on_stall = fn;
	t->on_stall_ctx = ctx;
}

void trace_set_known(struct trace *t, bool (*known)(void *ctx, int pid, int *tgid, char comm[16]), void *ctx)
{
	t->known = known;
	t->known_ctx = ctx;
}

int trace_set_saved(struct trace *t, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (t->top_fd >= 0)
		close(t->top_fd);
	t->top_fd = fd;
	t->saved_reads = 0;
	return 0;
}

static struct comm_ent *find_comm(struct trace *t, int pid)
{
	for (size_t i = t->ncomm; i-- > 0;)
		if (t->comms[i].pid == pid)
			return &t->comms[i];
	return NULL;
}

static struct comm_ent *add_comm(struct trace *t, int pid, int tgid, const char *comm)
{
	if (t->ncomm == MAX_COMMS)
		return NULL;
	if (t->ncomm == t->capcomm) {
		t->capcomm = t->capcomm ? 2 * t->capcomm : 64;
		t->comms = xrealloc(t->comms, t->capcomm * sizeof(*t->comms));
	}
	struct comm_ent *c = &t->comms[t->ncomm++];
	c->pid = pid;
	c->tgid = tgid;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	return c;
}

static void note_comm(struct trace *t, int pid, const char *comm)
{
	struct comm_ent *c = find_comm(t, pid);
	if (!c)
		(void)add_comm(t, pid, 0, comm);
	else if (strcmp(comm, "<...>") != 0)
		snprintf(c->comm, sizeof(c->comm), "%s", comm);
}

/* "<pid> <rest>" of the tracefs file name (saved_tgids, saved_cmdlines: one line
 * per task the kernel recorded), rest copied to out (size n); false when absent */
static bool saved_line(int top_fd, const char *name, int pid, char *out, size_t n)
{
	int fd = openat(top_fd, name, O_RDONLY | O_CLOEXEC);
	char *text = NULL, key[24];
	size_t len = 0;
	bool ok = false;
	if (fd >= 0 && read_fd(fd, &text, &len, 8u << 20) == 0) {
		int kl = snprintf(key, sizeof(key), "%d ", pid);
		for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (strncmp(l, key, (size_t)kl) == 0) {
				size_t m = strcspn(l + kl, "\n");
				if (m >= n)
					m = n - 1;
				memcpy(out, l + kl, m);
				out[m] = 0;
				ok = true;
				break;
			}
	}
	free(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* What the kernel recorded of a task that is gone (the instance's record-tgid
 * option): at most a few look-ups per read, each a read of two files. */
#define SAVED_READS_MAX 4
static bool saved_who(struct trace *t, int pid, int *tgid, char comm[16])
{
	char g[24];
	if (t->top_fd < 0 || t->saved_reads >= SAVED_READS_MAX)
		return false;
	t->saved_reads++;
	if (!saved_line(t->top_fd, "saved_tgids", pid, g, sizeof(g)) || (*tgid = atoi(g)) <= 0)
		return false;
	if (!saved_line(t->top_fd, "saved_cmdlines", pid, comm, 16))
		snprintf(comm, 16, "<...>");
	return true;
}

/* A task of the binary pages: its process and name from the first sight of it on
 * (the pages carry neither): /proc, or what the kernel saved of it when it is gone
 * by then; "<...>" and 0 when neither knows it. */
static int raw_tgid(struct trace *t, int pid)
{
	struct comm_ent *c = find_comm(t, pid);
	if (c)
		return c->tgid;
	int tgid = 0;
	char comm[16] = "<...>";
	if (!(t->known && t->known(t->known_ctx, pid, &tgid, comm)) && !t->who(pid, &tgid, comm) &&
	    !saved_who(t, pid, &tgid, comm)) {
		tgid = 0;
		snprintf(comm, sizeof(comm), "<...>");
	}
	(void)add_comm(t, pid, tgid, comm);
	return tgid;
}

static const char *comm_of(const struct trace *t, int pid)
{
	for (size_t i = t->ncomm; i-- > 0;)
		if (t->comms[i].pid == pid)
			return t->comms[i].comm;
	return "<...>";
}

static void begin(struct trace *t, int kind, int pid, int tgid, double ts)
{
	for (size_t i = 0; i < t->nop; i++)
		if (t->op[i].pid == pid && t->op[i].kind == kind) {
			t->op[i].ts = ts; /* a begin without its end: the later one counts */
			t->unpaired_ends++;
			return;
		}
	if (t->nop == MAX_OPEN) {
		t->dropped++;
		return;
	}
	t->op[t->nop++] = (struct open_stall){ pid, tgid, (unsigned char)kind, ts };
}

static void end(struct trace *t, int kind, int pid, double ts, long long reclaimed)
{
	size_t i;
	for (i = 0; i < t->nop; i++)
		if (t->op[i].pid == pid && t->op[i].kind == kind)
			break;
	if (i == t->nop) {
		t->unpaired_ends++; /* began before the instance was enabled, or lost */
		return;
	}
	double d = ts - t->op[i].ts, began = t->op[i].ts;
	int tgid = t->op[i].tgid;
	t->op[i] = t->op[--t->nop];
	if (d < 0) {
		t->malformed++;
		return;
	}
	if (t->on_stall)
		t->on_stall(t->on_stall_ctx, (enum trace_stall_kind)kind, pid, tgid, began, d, reclaimed < 0 ? 0 : reclaimed);
	if (t->nst == MAX_STALLS) {
		t->dropped++;
		return;
	}
	if (t->nst == t->capst) {
		t->capst = t->capst ? 2 * t->capst : 1024;
		t->st = xrealloc(t->st, t->capst * sizeof(*t->st));
	}
	double us = d * 1e6 + 0.5;
	t->st[t->nst++] = (struct stall){ pid, tgid, (unsigned char)kind, us > 4e9 ? 4000000000u : (uint32_t)us,
					  reclaimed < 0 ? 0 : reclaimed > 4000000000LL ? 4000000000u : (uint32_t)reclaimed };
}

/* One event, from a line or a page. */
static void account(struct trace *t, struct tev e)
{
	switch (e.kind) {
	case TEV_DIRECT_BEGIN: begin(t, K_DIRECT, e.pid, e.tgid, e.ts); break;
	case TEV_DIRECT_END: end(t, K_DIRECT, e.pid, e.ts, e.value); break;
	case TEV_MEMCG_BEGIN: begin(t, K_MEMCG, e.pid, e.tgid, e.ts); break;
	case TEV_MEMCG_END: end(t, K_MEMCG, e.pid, e.ts, e.value); break;
	/* kswapd's periods are per node: its nid stands in for the pid */
	case TEV_KSWAPD_WAKE: begin(t, K_KSWAPD, (int)e.value, 0, e.ts); break;
	case TEV_KSWAPD_SLEEP: end(t, K_KSWAPD, (int)e.value, e.ts, 0); break;
	case TEV_MARK_VICTIM:
		/* the detection latency's end: this mark parsed (one clock read per OOM kill) */
		trace_note_victim(t, &(struct trace_victim){ (int)e.value, e.ts, now_s() });
		break;
	case TEV_LOST: t->lost += e.value; break;
	}
}

void trace_feed(struct trace *t, const char *line, size_t len)
{
	struct tev e;
	int r = trace_parse_line(line, len, &e);
	t->lines++;
	if (r == -EINVAL)
		t->malformed++;
	if (r < 0)
		return;
	if (e.kind != TEV_LOST && e.kind != TEV_KSWAPD_WAKE && e.kind != TEV_KSWAPD_SLEEP)
		note_comm(t, e.pid, e.comm);
	account(t, e);
}

static struct pending *pend_of(struct trace *t, size_t cpu)
{
	if (cpu >= t->npend) {
		size_t n = cpu + 1;
		t->pend = xrealloc(t->pend, n * sizeof(*t->pend));
		memset(t->pend + t->npend, 0, (n - t->npend) * sizeof(*t->pend));
		for (size_t i = t->npend; i < n; i++)
			t->pend[i].done = t->pend[i].last = -1e300;
		t->npend = n;
	}
	return &t->pend[cpu];
}

/* Account the held events up to time upto (all of them: INFINITY), oldest first
 * over all CPUs. */
static void flush_pending(struct trace *t, double upto)
{
	for (;;) {
		struct pending *best = NULL;
		for (size_t c = 0; c < t->npend; c++) {
			struct pending *q = &t->pend[c];
			if (q->head < q->n && q->ev[q->head].ts <= upto && (!best || q->ev[q->head].ts < best->ev[best->head].ts))
				best = q;
		}
		if (!best)
			break;
		account(t, best->ev[best->head++]);
	}
	for (size_t c = 0; c < t->npend; c++) {
		struct pending *q = &t->pend[c];
		if (q->head == q->n)
			q->head = q->n = 0;
	}
}

static void raw_event_cb(void *ctx, const struct tev *ev)
{
	struct trace *t = ctx;
	struct tev e = *ev;
	struct pending *q = pend_of(t, t->cur_cpu);
	t->lines++;
	if (e.ts > q->last)
		q->last = e.ts;
	/* the victim's mark is timed as it is parsed, with no look-up before it, and
	 * needs no order: at once */
	if (e.kind == TEV_MARK_VICTIM) {
		account(t, e);
		return;
	}
	if (e.kind != TEV_KSWAPD_WAKE && e.kind != TEV_KSWAPD_SLEEP)
		e.tgid = raw_tgid(t, e.pid);
	if (q->n == MAX_PENDING) /* bounded: what is held is accounted as it is */
		flush_pending(t, INFINITY);
	if (q->head > 0 && q->n == q->cap) { /* the accounted part's room, again */
		memmove(q->ev, q->ev + q->head, (q->n - q->head) * sizeof(*q->ev));
		q->n -= q->head;
		q->head = 0;
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 256;
		q->ev = xrealloc(q->ev, q->cap * sizeof(*q->ev));
	}
	q->ev[q->n++] = e;
}

/* events/header_page and the enabled events' format files below events (a
 * directory descriptor): the binary pages' layout. 0, or -errno with *why (malloc'd). */
static int raw_formats_at(struct trace *t, int events_fd, const bool *enabled, char **why)
{
	int r = raw_layout_at(events_fd, &t->lay, why);
	if (r < 0)
		return r;
	t->nrev = 0;
	for (size_t i = 0; i < NEVENTS; i++) {
		if (enabled && !enabled[i])
			continue;
		struct raw_event e;
		char *ewhy = NULL;
		r = raw_event_at(events_fd, events[i].path, events[i].raw_value, &e, &ewhy);
		/* one common_type for all: the type is read before the event is known */
		if (r == 0 && t->nrev && (e.type.off != t->rev[0].type.off || e.type.size != t->rev[0].type.size)) {
			r = -EINVAL;
			ewhy = xasprintf("events/%s/format: a common_type unlike the others'", events[i].path);
		}
		if (r == -ENOENT && !enabled) { /* a saved set without it */
			free(ewhy);
			continue;
		}
		if (r < 0) {
			*why = ewhy;
			return r;
		}
		e.kind = events[i].kind;
		t->rev[t->nrev++] = e;
	}
	if (!t->nrev) {
		*why = xstrdup("no event formats");
		return -ENOENT;
	}
	return 0;
}

int trace_raw_formats(struct trace *t, const char *events_dir)
{
	int fd = open(events_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char *why = NULL;
	int r = raw_formats_at(t, fd, NULL, &why);
	free(why);
	close(fd);
	if (r == 0) {
		t->raw = true;
		free(t->page);
		t->page = xcalloc(1, t->lay.page_size);
	}
	return r;
}

void trace_feed_page(struct trace *t, size_t cpu, const void *page, size_t len)
{
	if (!t->raw || cpu >= MAX_CPUS)
		return;
	t->cur_cpu = cpu;
	(void)raw_parse_page(&t->lay, t->rev, t->nrev, page, len, &t->rs, raw_event_cb, t);
}

void trace_flush(struct trace *t)
{
	flush_pending(t, INFINITY);
}

/* The same mark in the OOM watch's instance has a timestamp of its own, taken as the
 * kernel wrote it there: within microseconds of this one's. */
#define SAME_MARK_S 1e-3

void trace_note_victim(struct trace *t, const struct trace_victim *v)
{
	for (size_t i = t->nvic; i-- > 0;)
		if (t->vic[i].pid == v->pid && fabs(t->vic[i].ts - v->ts) < SAME_MARK_S) {
			if (v->seen < t->vic[i].seen) {
				t->vic[i].seen = v->seen;
				t->vic[i].ts = v->ts;
			}
			return;
		}
	if (t->nvic == t->capvic) {
		t->capvic = t->capvic ? 2 * t->capvic : 8;
		t->vic = xrealloc(t->vic, t->capvic * sizeof(*t->vic));
	}
	t->vic[t->nvic++] = *v;
}

bool trace_victim(const struct trace *t, int pid, struct trace_victim *v)
{
	for (size_t i = t->nvic; i-- > 0;)
		if (t->vic[i].pid == pid) {
			*v = t->vic[i];
			return true;
		}
	return false;
}

const struct trace_victim *trace_victims(const struct trace *t, size_t *n)
{
	*n = t ? t->nvic : 0;
	return t ? t->vic : NULL;
}

/* ---- the instance -------------------------------------------------------- */

/* trace_pipe wakes its reader on any data, one wake-up per few events at the busiest
 * (measured: the wake-ups were half of the event source's CPU). So the loop is woken
 * for the first event after a quiet spell (an OOM mark is seen at once), then not
 * again until the next sample reads what came since and re-arms. */
static void arm(struct trace *t)
{
	if (t->armed || t->ep < 0)
		return;
	for (size_t i = 0; i < (t->raw ? t->ncpu : 1); i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		if (epoll_ctl(t->ep, EPOLL_CTL_ADD, t->raw ? t->cpufd[i] : t->fd, &ev) == 0)
			t->armed = true;
	}
}

long trace_on_wake(struct trace *t, size_t max)
{
	long n = trace_read(t, max);
	if (t->armed) {
		for (size_t i = 0; i < (t->raw ? t->ncpu : 1); i++)
			(void)epoll_ctl(t->ep, EPOLL_CTL_DEL, t->raw ? t->cpufd[i] : t->fd, NULL);
		t->armed = false;
	}
	return n;
}

long trace_tick(struct trace *t, size_t max)
{
	long n = trace_read(t, max);
	arm(t);
	return n;
}

static void raw_close(struct trace *t)
{
	for (size_t i = 0; i < t->ncpu; i++)
		close(t->cpufd[i]);
	free(t->cpufd);
	t->cpufd = NULL;
	t->ncpu = 0;
	t->raw = false;
}

/* The binary pages: each CPU's trace_pipe_raw, woken on any data (buffer_percent
 * 0; the default, 50, wakes a reader when half the buffer is full). 0, or -errno
 * with t->raw_why saying why the text is read instead. */
static int raw_open(struct trace *t, const bool *on)
{
	int ev = openat(t->dir_fd, "events", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
	if (ev < 0) {
		r = -errno;
		t->raw_why = xasprintf("events: %s", strerror(errno));
		return r;
	}
	r = raw_formats_at(t, ev, on, &t->raw_why);
	close(ev);
	if (r < 0)
		return r;
	if ((r = write_file_at(t->dir_fd, "buffer_percent", "0")) < 0) {
		t->raw_why = xasprintf("buffer_percent: %s", strerror(-r));
		return r;
	}
	if ((r = raw_open_cpus(t->dir_fd, &t->cpufd, &t->ncpu, &t->raw_why)) < 0)
		return r;
	t->page = xcalloc(1, t->lay.page_size);
	t->raw = true;
	/* <tracefs>/instances/<name>: the mount two levels up */
	t->top_fd = openat(t->dir_fd, "../..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

int trace_open(struct trace **out, const char *dir, char **missing)
{
	*missing = NULL;
	struct trace *t = trace_new();
	int r = 0;
	t->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dir_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* CLOCK_MONOTONIC, the run's clock: no offset to measure. 4 MiB per CPU holds
	 * seconds of the busiest reclaim between two reads. */
	if ((r = write_file_at(t->dir_fd, "trace_clock", "mono")) < 0)
		goto fail;
	(void)write_file_at(t->dir_fd, "buffer_size_kb", "4096");
	char *miss = NULL;
	size_t enabled = 0;
	bool on[NEVENTS] = { false };
	for (size_t i = 0; i < ARRAY_SIZE(events); i++) {
		char *p = xasprintf("events/%s/enable", events[i].path);
		int e = write_file_at(t->dir_fd, p, "1");
		free(p);
		if (e == 0) {
			enabled++;
			on[i] = true;
			continue;
		}
		char *m = xasprintf("%s%s%s", miss ? miss : "", miss ? "," : "", events[i].path);
		free(miss);
		miss = m;
	}
	*missing = miss;
	if (!enabled) {
		r = -ENOENT;
		goto fail;
	}
	if ((t->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	/* each task's process (tgid) recorded by the kernel, so that a workload's
	 * threads count as the run's: in each text line; for the pages, in the tracefs's
	 * saved_tgids, read for a task gone before mph saw it in /proc */
	(void)write_file_at(t->dir_fd, "options/record-tgid", "1");
	if (raw_open(t, on) < 0) {
		/* the text: no flags column, so the kernel formats less per line (the parser
		 * takes either) */
		(void)write_file_at(t->dir_fd, "options/irq-info", "0");
		t->fd = openat(t->dir_fd, "trace_pipe", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (t->fd < 0) {
			r = -errno;
			goto fail;
		}
	}
	(void)write_file_at(t->dir_fd, "tracing_on", "1");
	arm(t);
	*out = t;
	return 0;
fail:
	trace_close(t);
	return r;
}

int trace_fd(const struct trace *t)
{
	return t ? t->ep : -1;
}

/* Each CPU's pages until it has none (EAGAIN) or its share of max bytes is read
 * (a share each, so that one busy CPU does not starve the others' reading). */
static long raw_read(struct trace *t, size_t max)
{
	size_t got = 0, share = max / t->ncpu;
	long r = 0;
	if (share < t->lay.page_size)
		share = t->lay.page_size;
	t->saved_reads = 0;
	for (size_t c = 0; c < t->ncpu && !r; c++) {
		double start = now_s();
		size_t mine = 0;
		t->cur_cpu = c;
		struct pending *q = pend_of(t, c);
		for (;;) {
			if (mine >= share) { /* read up to its last event, not drained */
				if (q->last > q->done)
					q->done = q->last;
				break;
			}
			ssize_t n = read(t->cpufd[c], t->page, t->lay.page_size);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN) {
				r = -errno;
				break;
			}
			if (n <= 0) { /* all of it up to start is read */
				q->done = start - WRITE_MARGIN_S;
				break;
			}
			mine += (size_t)n;
			(void)raw_parse_page(&t->lay, t->rev, t->nrev, t->page, (size_t)n, &t->rs, raw_event_cb, t);
			q = pend_of(t, c); /* the parse may have grown pend[] */
		}
		got += mine;
	}
	double upto = INFINITY;
	for (size_t c = 0; c < t->ncpu; c++) {
		double d = pend_of(t, c)->done;
		if (d < upto)
			upto = d;
	}
	flush_pending(t, upto);
	return r ? r : (long)got;
}

long trace_read(struct trace *t, size_t max)
{
	if (t->raw)
		return raw_read(t, max);
	char buf[65536];
	size_t got = 0;
	while (t->fd >= 0 && got < max) {
		size_t want = max - got < sizeof(buf) ? max - got : sizeof(buf);
		ssize_t n = read(t->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? (long)got : -errno;
		if (n == 0)
			break;
		got += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if (t->overlong)
					t->malformed++;
				else
					trace_feed(t, t->line, t->linelen);
				t->linelen = 0;
				t->overlong = false;
			} else if (t->linelen < sizeof(t->line)) {
				t->line[t->linelen++] = buf[i];
			} else {
				t->overlong = true;
			}
		}
	}
	return (long)got;
}

void trace_close(struct trace *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	raw_close(t);
	if (t->top_fd >= 0)
		close(t->top_fd);
	for (size_t c = 0; c < t->npend; c++)
		free(t->pend[c].ev);
	free(t->pend);
	free(t->page);
	free(t->raw_why);
	if (t->ep >= 0)
		close(t->ep);
	if (t->dir_fd >= 0) {
		(void)write_file_at(t->dir_fd, "tracing_on", "0");
		close(t->dir_fd);
	}
	free(t->st);
	free(t->comms);
	free(t->vic);
	free(t);
}

/* ---- the summary --------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* nearest rank */
static json_t *pct(const uint32_t *v, size_t n, double p)
{
	if (!n)
		return json_null();
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return json_integer(v[k ? k - 1 : 0]);
}

static json_t *kind_json(const uint32_t *us, size_t n, unsigned long long total_us, unsigned long long reclaimed, bool with_reclaimed)
{
	json_t *j = json_pack("{s:I, s:f, s:o, s:o, s:o}", "count", (json_int_t)n, "total_s", (double)total_us / 1e6,
			      "p50_us", pct(us, n, 50), "p99_us", pct(us, n, 99), "max_us", n ? json_integer(us[n - 1]) : json_null());
	json_object_set_new(j, "nr_reclaimed", with_reclaimed ? json_integer((json_int_t)reclaimed) : json_null());
	return j;
}

struct staller {
	int pid;
	long long count;
	unsigned long long total_us;
	uint32_t max_us;
};

static int cmp_staller(const void *a, const void *b)
{
	const struct staller *x = a, *y = b;
	if (x->total_us != y->total_us)
		return x->total_us < y->total_us ? 1 : -1;
	return x->pid - y->pid;
}

#define TOP_STALLERS 10

void trace_task_stalls(const struct trace *t, int pid, struct trace_task *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; t && pid > 0 && i < t->nst; i++) {
		const struct stall *st = &t->st[i];
		if (st->kind == K_KSWAPD || (st->pid != pid && st->tgid != pid))
			continue;
		int k = st->kind == K_DIRECT ? 0 : 1;
		out->count[k]++;
		out->total_us[k] += st->us;
		if (st->us > out->max_us[k])
			out->max_us[k] = st->us;
	}
}

json_t *trace_summary(struct trace *t, bool (*in_run)(void *ctx, int pid), void *ctx)
{
	trace_flush(t);
	json_t *s = json_object(), *away = json_object();
	bool *ours = xcalloc(t->nst + 1, sizeof(bool));
	/* a thread is the run's when it is or its process is (a service's worker threads) */
	for (size_t i = 0; i < t->nst; i++)
		ours[i] = t->st[i].kind != K_KSWAPD && in_run &&
			  (in_run(ctx, t->st[i].pid) || (t->st[i].tgid > 0 && t->st[i].tgid != t->st[i].pid && in_run(ctx, t->st[i].tgid)));
	uint32_t *us = xcalloc(t->nst + 1, sizeof(*us));
	for (int k = 0; k < NKIND; k++) {
		/* kswapd's periods are the machine's: all of them count */
		for (int side = 0; side < (k == K_KSWAPD ? 1 : 2); side++) {
			size_t n = 0;
			unsigned long long tot = 0, rec = 0;
			for (size_t i = 0; i < t->nst; i++)
				if (t->st[i].kind == k && (k == K_KSWAPD || ours[i] == (side == 0))) {
					us[n++] = t->st[i].us;
					tot += t->st[i].us;
					rec += t->st[i].reclaimed;
				}
			qsort(us, n, sizeof(*us), cmp_u32);
			json_object_set_new(side ? away : s, kind_names[k], kind_json(us, n, tot, rec, k != K_KSWAPD));
		}
	}
	free(us);
	/* per task: direct and memcg stalls together */
	struct staller *sv = xcalloc(t->nst + 1, sizeof(*sv));
	size_t nsv = 0, naway = 0;
	for (int side = 0; side < 2; side++) {
		nsv = 0;
		for (size_t i = 0; i < t->nst; i++) {
			if (t->st[i].kind == K_KSWAPD || ours[i] != (side == 0))
				continue;
			size_t j;
			for (j = 0; j < nsv && sv[j].pid != t->st[i].pid; j++)
				;
			if (j == nsv)
				sv[nsv++] = (struct staller){ .pid = t->st[i].pid };
			sv[j].count++;
			sv[j].total_us += t->st[i].us;
			if (t->st[i].us > sv[j].max_us)
				sv[j].max_us = t->st[i].us;
		}
		if (side == 1) {
			naway = nsv;
			break;
		}
		qsort(sv, nsv, sizeof(*sv), cmp_staller);
		json_t *top = json_array();
		for (size_t j = 0; j < nsv && j < TOP_STALLERS; j++)
			json_array_append_new(top, json_pack("{s:i, s:s, s:I, s:f, s:I}", "pid", sv[j].pid, "comm",
							     comm_of(t, sv[j].pid), "count", (json_int_t)sv[j].count, "total_s",
							     (double)sv[j].total_us / 1e6, "max_us", (json_int_t)sv[j].max_us));
		json_object_set_new(s, "top_stallers", top);
		json_object_set_new(s, "stalling_tasks", json_integer((json_int_t)nsv));
	}
	free(sv);
	free(ours);
	json_object_set_new(away, "stalling_tasks", json_integer((json_int_t)naway));
	json_object_set_new(s, "elsewhere", away);
	long long open_now[NKIND] = { 0 };
	for (size_t i = 0; i < t->nop; i++)
		open_now[t->op[i].kind]++;
	json_object_set_new(s, "unfinished", json_pack("{s:I, s:I, s:I}", "direct", (json_int_t)open_now[K_DIRECT], "memcg",
						       (json_int_t)open_now[K_MEMCG], "kswapd", (json_int_t)open_now[K_KSWAPD]));
	json_object_set_new(s, "unpaired", json_integer(t->unpaired_ends));
	json_object_set_new(s, "source", json_string(t->raw ? "trace_pipe_raw" : "trace_pipe"));
	json_object_set_new(s, "text_because", t->raw_why && !t->raw ? json_string(t->raw_why) : json_null());
	json_object_set_new(s, "lost_events", json_integer(t->lost + t->rs.lost_events));
	json_object_set_new(s, "malformed_lines", json_integer(t->malformed));
	json_object_set_new(s, "dropped", json_integer(t->dropped));
	json_object_set_new(s, "lines", json_integer(t->lines));
	/* the binary pages' own accounting (zeros when the text was read) */
	json_object_set_new(s, "pages", json_integer(t->rs.pages));
	json_object_set_new(s, "lost_pages", json_integer(t->rs.lost_pages));
	json_object_set_new(s, "dropped_pages", json_integer(t->rs.dropped_pages));
	json_object_set_new(s, "unknown_events", json_integer(t->rs.unknown));
	json_object_set_new(s, "short_events", json_integer(t->rs.short_events));
	json_object_set_new(s, "oom_victims_marked", json_integer((json_int_t)t->nvic));
	return s;
}
