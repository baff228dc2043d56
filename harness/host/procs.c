/* procs.c - see procs.h. One scan per sample: cgroup.procs (sorted) is walked beside
 * the live entries (sorted by pid), so new and gone processes fall out of one merge. */
#define _GNU_SOURCE
#include "procs.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const end_names[] = {
	[PE_RUNNING] = "running", [PE_EXITED] = "exited", [PE_LEFT] = "left", [PE_OOM_KILLED] = "oom-killed",
};

/* One unsigned decimal field and the blank after it; false when there is none or it
 * does not fit (statm is read for every process at every scan: no scanf). */
static bool statm_field(const char **p, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		if (__builtin_mul_overflow(v, 10ULL, &v) || __builtin_add_overflow(v, (unsigned long long)(*s - '0'), &v))
			return false;
	if (*s != ' ' && *s != '\n' && *s != '\0')
		return false;
	while (*s == ' ')
		s++;
	*p = s;
	*out = v;
	return true;
}

bool procs_parse_statm(const char *text, unsigned long long *res, unsigned long long *shared)
{
	unsigned long long size, r, sh;
	const char *p = text;
	if (!statm_field(&p, &size) || !statm_field(&p, &r) || !statm_field(&p, &sh))
		return false;
	*res = r;
	*shared = sh;
	return true;
}

/* "Key:\tvalue" at the start of a line; value as text (up to the line's end). */
static const char *status_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			p += kl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* "N kB" in bytes, -1 when the key is missing, not in kB, or out of range */
static long long status_kb(const char *text, const char *key)
{
	const char *v = status_value(text, key);
	char *e;
	if (!v)
		return -1;
	long long x = strtoll(v, &e, 10); /* LLONG_MAX when too large: out of range below */
	return e != v && strncmp(e, " kB", 3) == 0 && x >= 0 && x <= LLONG_MAX / 1024 ? x * 1024 : -1;
}

void procs_parse_status(const char *text, struct proc_ent *e)
{
	const char *name = status_value(text, "Name");
	if (name) {
		size_t n = strcspn(name, "\n");
		if (n >= sizeof(e->comm))
			n = sizeof(e->comm) - 1;
		memcpy(e->comm, name, n);
		e->comm[n] = '\0';
	}
	const char *pp = status_value(text, "PPid");
	if (pp && e->ppid <= 0)
		e->ppid = atoi(pp); /* the parent at first sight: after its death the child is reparented */
	e->anon = status_kb(text, "RssAnon");
	e->file = status_kb(text, "RssFile");
	e->shmem = status_kb(text, "RssShmem");
	e->swap = status_kb(text, "VmSwap");
	long long rss = status_kb(text, "VmRSS");
	if (rss >= 0)
		e->rss = rss;
}

/* The whole file into ps->buf. whole: the kernel generates it in one piece (statm,
 * status, cmdline, smaps_rollup: a single seq_file show), so a read that came short
 * is all of it and no second pread is needed just to see 0. Not so for a list
 * (cgroup.procs): seq_file returns what fits in its buffer, a page of pids at first,
 * less than asked for and far from the end - read on until 0. */
static ssize_t pread_all(struct proc_set *ps, int fd, bool whole)
{
	size_t len = 0;
	for (;;) {
		if (len + 1 >= ps->bufsz) {
			ps->bufsz *= 2;
			ps->buf = xrealloc(ps->buf, ps->bufsz);
		}
		size_t ask = ps->bufsz - 1 - len;
		ssize_t n = pread(fd, ps->buf + len, ask, (off_t)len);
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
		if (whole && (size_t)n < ask)
			break;
	}
	ps->buf[len] = '\0';
	return (ssize_t)len;
}

/* statm: through the fd kept open for e, or opened for this read when none is (all
 * the kept ones in use). A kept fd stays with the process it was opened for; a path
 * opened now could name a new process with a reused pid, but only if the pid was
 * freed and reused since this scan read cgroup.procs. */
static ssize_t read_statm(struct proc_set *ps, const struct proc_ent *e);

/* /proc/PID/<name> into ps->buf: open, read, close. */
static ssize_t read_proc(struct proc_set *ps, int pid, const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%d/%s", ps->proc_root, pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread_all(ps, fd, true);
	close(fd);
	return n;
}

static ssize_t read_statm(struct proc_set *ps, const struct proc_ent *e)
{
	return e->statm_fd >= 0 ? pread_all(ps, e->statm_fd, true) : read_proc(ps, e->pid, "statm");
}

int procs_open(struct proc_set *ps, const char *procs_path, const char *proc_root, bool pss, FILE *csv,
	       procs_event_fn event, void *ctx)
{
	memset(ps, 0, sizeof(*ps));
	int fd = open(procs_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd); /* opened per scan: v1's pidlist is rebuilt only on a fresh open */
	ps->procs_path = xstrdup(procs_path);
	ps->proc_root = proc_root;
	ps->pss = pss;
	ps->page = sysconf(_SC_PAGESIZE);
	ps->csv = csv;
	ps->event = event;
	ps->ctx = ctx;
	ps->bufsz = 4096;
	ps->buf = xcalloc(1, ps->bufsz);
	/* a statm fd per process kept open (a read then costs one pread): as many as
	 * the fd limit, raised to its hard limit, leaves room for, PROCS_FD_RESERVE for
	 * the rest of mph; beyond that statm is opened per read */
	unsigned long long lim = nofile_raise();
	ps->fds_max = lim > PROCS_FD_RESERVE ? (size_t)(lim - PROCS_FD_RESERVE) : 0;
	if (csv)
		fputs("t[s],pid,rss[bytes],anon[bytes],file[bytes],shmem[bytes],swap[bytes],pss[bytes]\n", csv);
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Alive entries' indices sorted by pid (for the merge) */
static int cmp_ent(const void *a, const void *b, void *ctx)
{
	const struct proc_set *ps = ctx;
	int x = ps->e[*(const size_t *)a].pid, y = ps->e[*(const size_t *)b].pid;
	return (x > y) - (x < y);
}

static bool sorted_ints(const int *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i - 1] > v[i])
			return false;
	return true;
}

static int read_pids(struct proc_set *ps)
{
	int fd = open(ps->procs_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = pread_all(ps, fd, false);
	close(fd);
	if (n < 0)
		return -EIO;
	ps->npids = 0;
	/* one pid per line; anything else on a line ends the list (a corrupt read) */
	for (const char *p = ps->buf; *p >= '0' && *p <= '9';) {
		long v = 0;
		for (; *p >= '0' && *p <= '9' && v <= INT_MAX; p++)
			v = v * 10 + (*p - '0');
		if (v > INT_MAX || (*p != '\n' && *p != '\0'))
			break;
		while (*p == '\n')
			p++;
		if (v > 0) {
			if (ps->npids == ps->pids_cap) {
				ps->pids_cap = ps->pids_cap ? ps->pids_cap * 2 : 64;
				ps->pids = xrealloc(ps->pids, ps->pids_cap * sizeof(*ps->pids));
			}
			ps->pids[ps->npids++] = (int)v;
		}
	}
	if (!sorted_ints(ps->pids, ps->npids))
		qsort(ps->pids, ps->npids, sizeof(*ps->pids), cmp_int); /* v2 lists them unsorted; v1 sorted */
	return 0;
}

static void fix_cmdline(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

/* An unreadable or empty cmdline (a process exiting, a zombie) keeps the one read before */
static void read_cmdline(struct proc_set *ps, struct proc_ent *e)
{
	ssize_t n = read_proc(ps, e->pid, "cmdline");
	if (n > 0) {
		fix_cmdline(ps->buf, (size_t)n);
		if (e->cmdline && strcmp(e->cmdline, ps->buf) == 0)
			return; /* the usual case of a read again: no title set since */
		free(e->cmdline);
		e->cmdline = xstrdup(ps->buf);
	}
}

/* status; a changed Name means the process exec'd since it was first seen (a shell's
 * fork between fork and exec): its command line is read again */
static void read_status(struct proc_set *ps, struct proc_ent *e)
{
	char comm[sizeof(e->comm)];
	memcpy(comm, e->comm, sizeof(comm));
	if (read_proc(ps, e->pid, "status") > 0) {
		procs_parse_status(ps->buf, e);
		if (e->status_ok && strcmp(comm, e->comm) != 0) {
			read_cmdline(ps, e);
			e->cmdline_gap = 1;
			e->cmdline_scan = ps->scan + 1;
		}
		e->status_ok = true;
	}
}

static void add_proc(struct proc_set *ps, int pid, double t)
{
	if (ps->n == ps->e_cap) { /* grown by half: a thousand processes are not a thousand reallocs */
		ps->e_cap = ps->e_cap ? ps->e_cap + ps->e_cap / 2 : 64;
		ps->e = xrealloc(ps->e, ps->e_cap * sizeof(*ps->e));
	}
	struct proc_ent *e = &ps->e[ps->n++];
	memset(e, 0, sizeof(*e));
	e->pid = pid;
	e->ppid = -1;
	e->first_seen = e->last_seen = t;
	e->rss = e->anon = e->file = e->shmem = e->swap = e->pss = -1;
	e->peak_rss = e->peak_anon = e->peak_swap = e->peak_pss = -1;
	e->alive = true;
	e->cmdline_gap = 1;
	e->cmdline_scan = ps->scan + 1;
	char path[128];
	snprintf(path, sizeof(path), "%s/%d/statm", ps->proc_root, pid);
	e->statm_fd = ps->fds_kept < ps->fds_max ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ps->fds_kept += e->statm_fd >= 0;
	/* statm before status, as measure() does, so that this scan's measure() finds
	 * status read for the statm it has (else a new process's status, the costliest
	 * of its files, was read twice at its first scan) */
	unsigned long long res, shared;
	e->statm_fresh = read_statm(ps, e) > 0 && procs_parse_statm(ps->buf, &res, &shared);
	if (e->statm_fresh) {
		e->st_res = res;
		e->st_shared = shared;
	}
	read_cmdline(ps, e);
	read_status(ps, e);
	if (ps->event)
		ps->event(ps->ctx, t, "process_new",
			  json_pack("{s:i, s:o, s:s, s:s?}", "pid", pid, "ppid", e->ppid > 0 ? json_integer(e->ppid) : json_null(),
				    "comm", e->comm, "cmdline", e->cmdline));
}

static void gone(struct proc_set *ps, struct proc_ent *e, double t)
{
	/* gone from cgroup.procs: exited (statm unreadable, or empty for a zombie), or
	 * moved to another cgroup (still has its memory) */
	unsigned long long res = 0, shared = 0;
	bool alive = read_statm(ps, e) > 0 && procs_parse_statm(ps->buf, &res, &shared) && res > 0;
	e->end = alive ? PE_LEFT : PE_EXITED;
	e->alive = false;
	if (e->statm_fd >= 0) {
		close(e->statm_fd);
		ps->fds_kept--;
	}
	e->statm_fd = -1;
	if (ps->event)
		ps->event(ps->ctx, t, "process_gone", json_pack("{s:i, s:s, s:s}", "pid", e->pid, "comm", e->comm, "ended",
							      end_names[e->end]));
}

static void peak(long long *p, long long v)
{
	if (v >= 0 && v > *p)
		*p = v;
}

static void measure(struct proc_set *ps, struct proc_ent *e, double t)
{
	unsigned long long res, shared;
	e->last_seen = t;
	if (e->statm_fd < 0 && ps->fds_kept < ps->fds_max) { /* one kept fd was freed since */
		char path[128];
		snprintf(path, sizeof(path), "%s/%d/statm", ps->proc_root, e->pid);
		e->statm_fd = open(path, O_RDONLY | O_CLOEXEC);
		ps->fds_kept += e->statm_fd >= 0;
	}
	if (e->statm_fresh) { /* read by add_proc in this scan */
		res = e->st_res;
		shared = e->st_shared;
		e->statm_fresh = false;
	} else if (read_statm(ps, e) <= 0 || !procs_parse_statm(ps->buf, &res, &shared)) {
		return; /* exiting: keep its last values */
	}
	if (res > (unsigned long long)(LLONG_MAX / ps->page))
		return; /* a corrupt read (more bytes than a long long holds): as an unreadable one */
	if (!e->status_ok || res != e->st_res || shared != e->st_shared) {
		read_status(ps, e);
		e->st_res = res;
		e->st_shared = shared;
	}
	/* A process that names itself without an exec (php-fpm's master "php-fpm: master
	 * process (CONF)" after its exec, its workers "php-fpm: pool www" after the fork;
	 * postgres, nginx) does so as it starts, and the scan that first read its cmdline
	 * may have come before that - on a busy machine, several scans before. So cmdline
	 * is read again 1, 2, 4, 8, ... scans after its first reading (at most every 512
	 * scans later on): a start-up title is caught however slow the start, a later
	 * retitle eventually, at a cost that falls to nothing for long-lived processes. */
	if (ps->scan >= e->cmdline_scan) {
		read_cmdline(ps, e);
		if (e->cmdline_gap < 512)
			e->cmdline_gap *= 2;
		e->cmdline_scan = ps->scan + e->cmdline_gap;
	}
	e->rss = (long long)res * ps->page;
	peak(&e->peak_rss, e->rss);
	peak(&e->peak_anon, e->anon);
	peak(&e->peak_swap, e->swap);
}

static long long pss_of(struct proc_set *ps, int pid)
{
	if (read_proc(ps, pid, "smaps_rollup") <= 0)
		return -1;
	return status_kb(ps->buf, "Pss");
}

/* Pss of the PROCS_PSS_TOP largest live processes by RSS; the others' is unknown */
static void sample_pss(struct proc_set *ps, size_t *live, size_t nlive)
{
	size_t top[PROCS_PSS_TOP], nt = 0;
	for (size_t k = 0; k < nlive; k++) {
		size_t i = live[k];
		ps->e[i].pss = -1;
		size_t at = nt;
		while (at > 0 && ps->e[top[at - 1]].rss < ps->e[i].rss)
			at--;
		if (at >= PROCS_PSS_TOP)
			continue;
		if (nt < PROCS_PSS_TOP)
			nt++;
		memmove(&top[at + 1], &top[at], (nt - 1 - at) * sizeof(*top));
		top[at] = i;
	}
	for (size_t k = 0; k < nt; k++) {
		struct proc_ent *e = &ps->e[top[k]];
		e->pss = pss_of(ps, e->pid);
		peak(&e->peak_pss, e->pss);
	}
}

static char *put_cell(char *o, long long v)
{
	*o++ = ',';
	return v >= 0 ? put_decimal(o, v) : o;
}

void procs_sample(struct proc_set *ps, double t)
{
	if (!ps->procs_path || read_pids(ps) < 0)
		return; /* a failed read is not the processes' end */
	ps->scan++;
	if (ps->live_cap < ps->n + ps->npids + 1) {
		ps->live_cap = (ps->n + ps->npids + 1) * 2;
		ps->live = xrealloc(ps->live, ps->live_cap * sizeof(*ps->live));
	}
	size_t nlive = 0, *live = ps->live;
	bool sorted = true;
	for (size_t i = 0; i < ps->n; i++)
		if (ps->e[i].alive) {
			sorted &= nlive == 0 || ps->e[live[nlive - 1]].pid < ps->e[i].pid;
			live[nlive++] = i;
		}
	if (!sorted) /* entries are added in pid order but for pid wrap-around */
		qsort_r(live, nlive, sizeof(*live), cmp_ent, ps);
	/* merge: alive entries not listed are gone, listed pids without one are new */
	size_t a = 0, b = 0, n0 = ps->n, kept = 0;
	while (a < nlive || b < ps->npids) {
		int ep = a < nlive ? ps->e[live[a]].pid : 0, lp = b < ps->npids ? ps->pids[b] : 0;
		if (a < nlive && (b >= ps->npids || ep < lp)) {
			gone(ps, &ps->e[live[a++]], t);
		} else if (a < nlive && ep == lp) {
			live[kept++] = live[a++];
			b++;
		} else {
			add_proc(ps, lp, t);
			b++;
		}
	}
	nlive = kept;
	for (size_t i = n0; i < ps->n; i++)
		live[nlive++] = i;
	for (size_t k = 0; k < nlive; k++)
		measure(ps, &ps->e[live[k]], t);
	if (ps->pss)
		sample_pss(ps, live, nlive);
	if (ps->csv && nlive) {
		/* the scan's rows into one buffer, kept from scan to scan, and one fwrite.
		 * A row is at most 153 bytes: t (a sign, 13 digits, a point, 6 digits), a
		 * comma and the pid (10 digits), six cells of a comma and up to 19 digits
		 * (a negative value is an empty cell), the newline. */
		enum { ROW_MAX = 160 };
		if (ps->rows_cap < nlive * ROW_MAX) {
			ps->rows_cap = nlive * ROW_MAX;
			ps->rows = xrealloc(ps->rows, ps->rows_cap);
		}
		long long t_us = (long long)(t * 1e6);
		char *o = ps->rows;
		for (size_t k = 0; k < nlive; k++) {
			const struct proc_ent *e = &ps->e[live[k]];
			o = put_fixed(o, t_us, 6);
			*o++ = ',';
			o = put_decimal(o, e->pid);
			o = put_cell(o, e->rss);
			o = put_cell(o, e->anon);
			o = put_cell(o, e->file);
			o = put_cell(o, e->shmem);
			o = put_cell(o, e->swap);
			o = put_cell(o, e->pss);
			*o++ = '\n';
		}
		size_t len = (size_t)(o - ps->rows);
		if (fwrite_unlocked(ps->rows, 1, len, ps->csv) != len)
			write_err_note(&ps->csv_err, errno);
	}
}

const struct proc_ent *procs_find(const struct proc_set *ps, int pid)
{
	for (size_t i = ps->n; i-- > 0;) /* the newest first: a pid can be reused */
		if (ps->e[i].pid == pid)
			return &ps->e[i];
	return NULL;
}

bool procs_seen(const struct proc_set *ps, int pid)
{
	return procs_find(ps, pid) != NULL;
}

void procs_mark_oom(struct proc_set *ps, int pid)
{
	for (size_t i = ps->n; i-- > 0;)
		if (ps->e[i].pid == pid) {
			ps->e[i].end = PE_OOM_KILLED;
			return;
		}
}

/* The entry of e's parent: the latest life of its ppid that began no later than e */
static long parent_of(const struct proc_set *ps, size_t i)
{
	const struct proc_ent *e = &ps->e[i];
	for (size_t k = ps->n; k-- > 0;)
		if (k != i && e->ppid > 0 && ps->e[k].pid == e->ppid && ps->e[k].first_seen <= e->first_seen)
			return (long)k;
	return -1;
}

static json_t *bytes_or_null(long long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

json_t *procs_json(const struct proc_set *ps)
{
	json_t *a = json_array();
	long *par = xcalloc(ps->n + 1, sizeof(*par));
	size_t *kids = xcalloc(ps->n + 1, sizeof(*kids));
	for (size_t i = 0; i < ps->n; i++)
		if ((par[i] = parent_of(ps, i)) >= 0)
			kids[par[i]]++;
	for (size_t i = 0; i < ps->n; i++) {
		const struct proc_ent *e = &ps->e[i];
		int depth = 0;
		for (long p = par[i]; p >= 0 && depth <= (int)ps->n; p = par[p])
			depth++;
		json_t *j = json_pack("{s:i, s:o, s:s, s:s?, s:s, s:i, s:I, s:f, s:f}", "pid", e->pid, "ppid",
				      e->ppid > 0 ? json_integer(e->ppid) : json_null(), "comm", e->comm, "cmdline", e->cmdline,
				      /* a pool's master and workers share a comm: parent/child and depth tell them apart */
				      "role", kids[i] ? "parent" : "child", "depth", depth, "children", (json_int_t)kids[i],
				      "first_seen_s", e->first_seen, "last_seen_s", e->last_seen);
		json_object_set_new(j, "peak_rss_bytes", bytes_or_null(e->peak_rss));
		json_object_set_new(j, "peak_anon_bytes", bytes_or_null(e->peak_anon));
		json_object_set_new(j, "peak_swap_bytes", bytes_or_null(e->peak_swap));
		json_object_set_new(j, "peak_pss_bytes", bytes_or_null(e->peak_pss));
		json_object_set_new(j, "ended", json_string(end_names[e->end]));
		json_array_append_new(a, j);
	}
	free(par);
	free(kids);
	return a;
}

static int rank_by_swap(const void *a, const void *b)
{
	const struct proc_ent *x = *(const struct proc_ent *const *)a, *y = *(const struct proc_ent *const *)b;
	return (y->peak_swap > x->peak_swap) - (y->peak_swap < x->peak_swap);
}

static int rank_by_rss(const void *a, const void *b)
{
	const struct proc_ent *x = *(const struct proc_ent *const *)a, *y = *(const struct proc_ent *const *)b;
	return (y->peak_rss > x->peak_rss) - (y->peak_rss < x->peak_rss);
}

static json_t *ranking(const struct proc_set *ps, bool swap)
{
	const struct proc_ent **v = xcalloc(ps->n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++)
		if (swap ? ps->e[i].peak_swap > 0 : ps->e[i].peak_rss >= 0) /* a process that never swapped is no swapper */
			v[n++] = &ps->e[i];
	qsort(v, n, sizeof(*v), swap ? rank_by_swap : rank_by_rss);
	json_t *a = json_array();
	for (size_t i = 0; i < n && i < PROCS_RANK_TOP; i++)
		json_array_append_new(a, json_pack("{s:i, s:s, s:I}", "pid", v[i]->pid, "comm", v[i]->comm,
						   swap ? "peak_swap_bytes" : "peak_rss_bytes",
						   (json_int_t)(swap ? v[i]->peak_swap : v[i]->peak_rss)));
	free(v);
	return a;
}

json_t *procs_ranking(const struct proc_set *ps)
{
	return json_pack("{s:o, s:o}", "by_peak_swap", ranking(ps, true), "by_peak_rss", ranking(ps, false));
}

size_t procs_top_rss(const struct proc_set *ps, const struct proc_ent **out, size_t max)
{
	size_t n = 0;
	/* insertion into a short sorted list: max is a handful */
	for (size_t i = 0; i < ps->n; i++) {
		const struct proc_ent *e = &ps->e[i];
		if (!e->alive || e->rss < 0)
			continue;
		size_t k = n < max ? n++ : max;
		while (k > 0 && out[k - 1]->rss < e->rss) {
			if (k < max)
				out[k] = out[k - 1];
			k--;
		}
		if (k < max)
			out[k] = e;
	}
	return n;
}

size_t procs_alive(const struct proc_set *ps)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++)
		n += ps->e[i].alive;
	return n;
}

void procs_close(struct proc_set *ps)
{
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->e[i].statm_fd >= 0)
			close(ps->e[i].statm_fd);
		free(ps->e[i].cmdline);
	}
	free(ps->e);
	free(ps->buf);
	free(ps->pids);
	free(ps->live);
	free(ps->rows);
	free(ps->procs_path);
	memset(ps, 0, sizeof(*ps));
}
