/* supervise.c - see supervise.h. One thread, one epoll loop: pidfds tell when a
 * workload ends, report pipes carry its records, a signalfd carries Ctrl-C, and the
 * loop's timeout is the next deadline (duration: SIGTERM; timeout: SIGKILL). */
#define _GNU_SOURCE
#include "supervise.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_FD 3
#define KILL_GRACE_MS 5000 /* after SIGTERM at the end of duration, before SIGKILL */
#define HOOK_ID (1ULL << 32) /* epoll ids of hook fds: HOOK_ID + fd */
#define REAP_LIMIT_MS 10000  /* after SIGKILL, how long to wait for processes to go */

/* epoll ids of a workload's descriptors: i * ID_KINDS + kind */
enum { ID_EXIT, ID_REPORT, ID_STDOUT, ID_STDERR, ID_KINDS };

static int caught; /* the terminating signal last read from a signalfd */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Signal a workload through its pidfd: after it is reaped its pid may belong to
 * someone else, its pidfd never does. */
static void wl_signal(const struct wl_proc *w, int sig)
{
	if (w->reaped)
		return;
	if (w->pidfd < 0 || syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0) < 0)
		(void)kill(w->pid, sig); /* no pidfd yet (start-up); not reaped, so still ours */
}

int sup_signal(struct supervisor *s, size_t i, int sig)
{
	if (i >= s->n || s->w[i].pid <= 0)
		return -EINVAL;
	const struct wl_proc *w = &s->w[i];
	if (w->reaped)
		return -ESRCH;
	if (w->pidfd >= 0 && syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0) == 0)
		return 0;
	/* ESRCH here: it has exited but is not reaped yet (a zombie) */
	return kill(w->pid, sig) < 0 ? -errno : 0;
}

struct child_err {
	int err;
	int step; /* 0 join cgroup, 1 exec, 2 create its stdout file, 3 write oom_score_adj */
};

/* The pipes of one workload: reports (fd 3), stdout and stderr (when mph takes them),
 * and the CLOEXEC pipe a failed join or exec comes back through. [0] mph's end. */
struct wl_pipes {
	int rep[2], out[2], err[2], fail[2];
};

static void pipes_close(struct wl_pipes *p)
{
	int *fds[] = { p->rep, p->out, p->err, p->fail };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		for (int k = 0; k < 2; k++)
			if (fds[i][k] >= 0) {
				close(fds[i][k]);
				fds[i][k] = -1;
			}
}

/* In the child: put src on fd target (src -1: leave target as it is). The sources
 * are first moved above the targets, so that one source cannot be overwritten by
 * another's dup2. */
static int child_fd(int src, int target)
{
	if (src < 0)
		return 0;
	return dup2(src, target) < 0 ? -1 : 0;
}

static int child_high(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

/* In the child: only async-signal-safe work and libcgroup's attach (mph is
 * single-threaded, so the fork copy is consistent). */
static void child(struct wl_proc *w, struct cg *cg, const struct wl_pipes *p, const sigset_t *orig)
{
	struct child_err ce = { 0, 0 };
	/* workloads die with mph: a killed mph must not leave them running (and if
	 * mph died before the prctl, nobody will send the signal: go now) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != w->parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL); /* ignored by mph while it supervises */
	signal(SIGXFSZ, SIG_DFL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	nofile_restore(); /* the recorder may have raised it for its own files */
	int r = cg ? cg_enter(cg) : 0; /* mph record -- CMD: no cgroup of its own */
	if (r < 0) {
		ce.err = -r;
		goto fail;
	}
	if (w->oom_adj_text[0]) { /* before exec: the workload runs with it from its first page */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		size_t len = strlen(w->oom_adj_text);
		if (fd < 0 || write(fd, w->oom_adj_text, len) != (ssize_t)len) {
			ce.err = errno;
			ce.step = 3;
			goto fail;
		}
		close(fd);
	}
	int rep = child_high(p->rep[1]), out = child_high(p->out[1]), err = child_high(p->err[1]);
	if (rep < 0 || (p->out[1] >= 0 && out < 0) || (p->err[1] >= 0 && err < 0) ||
	    child_fd(rep, REPORT_FD) < 0 || child_fd(out, 1) < 0 || child_fd(err, 2) < 0) {
		ce.err = errno;
		ce.step = 1;
		goto fail;
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	execv(w->argv[0], w->argv);
	ce.err = errno;
	ce.step = 1;
fail:
	(void)!write(p->fail[1], &ce, sizeof(ce));
	_exit(127);
}

static void kill_started(struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		if (w->pid > 0 && !w->reaped) {
			kill(w->pid, SIGKILL);
			while (waitpid(w->pid, &w->status, 0) < 0 && errno == EINTR)
				;
			w->reaped = true;
			w->ended = now_s() - s->t0;
		}
	}
}

int sup_start(struct supervisor *s, struct cg *cg)
{
	sigset_t orig;
	/* children get an empty mask, whatever mph blocked for its signalfd */
	sigemptyset(&orig);
	if (!s->t0)
		s->t0 = now_s();
	for (size_t i = 0; i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		w->pidfd = w->report_fd = w->out_fd = w->err_fd = w->out_file = -1;
	}
	s->fds_set = true;
	for (size_t i = 0; i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		struct wl_pipes p = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
		int e = 0;
		if (pipe2(p.rep, O_CLOEXEC) < 0 || pipe2(p.fail, O_CLOEXEC) < 0 ||
		    (w->out_path && pipe2(p.out, O_CLOEXEC) < 0) || (s->stderr_max && pipe2(p.err, O_CLOEXEC) < 0))
			e = errno;
		if (!e && w->out_path) {
			/* mph writes the file (up to stdout_max), so that the cap holds: a new
			 * file in the new run directory, never one that is there already, nor
			 * what a symlink planted there points to (mph runs as root) */
			w->out_file = open(w->out_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (w->out_file < 0) {
				e = errno;
				w->start_errno = e;
				w->start_what = "creating its stdout file";
			}
		}
		fflush(NULL);
		w->parent = getpid();
		pid_t pid = e ? -1 : fork();
		if (pid < 0) {
			e = e ? e : errno;
			pipes_close(&p);
			kill_started(s);
			return -e;
		}
		if (pid == 0)
			child(w, cg, &p, &orig);
		w->pid = pid;
		w->started = now_s() - s->t0;
		w->report_fd = p.rep[0];
		w->out_fd = p.out[0];
		w->err_fd = p.err[0];
		int fail = p.fail[0];
		p.rep[0] = p.out[0] = p.err[0] = p.fail[0] = -1;
		pipes_close(&p); /* the child's ends */
		struct child_err ce;
		ssize_t k;
		while ((k = read(fail, &ce, sizeof(ce))) < 0 && errno == EINTR)
			;
		close(fail);
		if (k == (ssize_t)sizeof(ce)) {
			w->start_errno = ce.err;
			w->start_what = ce.step == 0 ? "joining the run cgroup"
				      : ce.step == 1 ? "executing the workload"
				      : ce.step == 3 ? "writing its oom_score_adj"
						     : "creating its stdout file";
			while (waitpid(pid, &w->status, 0) < 0 && errno == EINTR)
				;
			w->reaped = true;
			kill_started(s);
			return -ce.err;
		}
		int fds[] = { w->report_fd, w->out_fd, w->err_fd };
		for (size_t f = 0; f < ARRAY_SIZE(fds); f++)
			if (fds[f] >= 0)
				fcntl(fds[f], F_SETFL, O_NONBLOCK);
		w->pidfd = pidfd_open_(pid);
		if (w->pidfd < 0) {
			e = errno;
			kill_started(s);
			return -e;
		}
		if (s->hooks.on_start)
			s->hooks.on_start(s->hooks.ctx, i, w);
	}
	return 0;
}

static uint64_t reports_max(const struct supervisor *s)
{
	return s->reports_max ? s->reports_max : SUP_REPORTS_MAX;
}

/* A record of the contract: an object with a string type, a string workload and a
 * number t. Anything else is a bad line: counted, neither used nor copied. */
static const char *record_type(json_t *j)
{
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "workload")) ||
	    !json_is_number(json_object_get(j, "t")))
		return NULL;
	return json_string_value(json_object_get(j, "type"));
}

static void count_dropped(struct wl_proc *w, size_t len)
{
	w->dropped_bytes += len + 1;
	w->dropped_lines++;
}

/* Parse one line; copy it to reports.jsonl while the workload's share has room;
 * use it (start, progress, final, children, hooks) unless it was dropped. force: the
 * last line before the pipe closed, used even when reports.jsonl has no room. */
static void take_line(struct supervisor *s, struct wl_proc *w, char *line, size_t len, bool force)
{
	if (!len)
		return;
	uint64_t max = reports_max(s);
	if (w->report_bytes >= max && !force) {
		count_dropped(w, len);
		return;
	}
	/* a record is an object: what cannot be one is not parsed (a flood of "y") */
	size_t b = 0, e = len;
	while (b < e && (line[b] == ' ' || line[b] == '\t'))
		b++;
	while (e > b && (line[e - 1] == ' ' || line[e - 1] == '\t' || line[e - 1] == '\r'))
		e--;
	json_error_t je;
	json_t *j = e - b >= 2 && line[b] == '{' && line[e - 1] == '}' ? json_loadb(line, len, 0, &je) : NULL;
	const char *type = record_type(j);
	if (!type) {
		w->bad_lines++;
		json_decref(j);
		return;
	}
	/* the wrapper adds at most 48 bytes besides the name and the record */
	uint64_t need = len + strlen(w->name) + 48;
	if (w->report_bytes + need > max) {
		w->report_bytes = max; /* the share is used up: what follows is dropped */
		count_dropped(w, len);
		if (!force) {
			json_decref(j);
			return;
		}
	} else if (s->reports_log) {
		int k = fprintf(s->reports_log, "{\"mph_t\":%.6f,\"name\":\"%s\",\"record\":%.*s}\n", now_s() - s->t0,
				w->name, (int)len, line);
		if (k < 0)
			write_err_note(&s->reports_err, errno);
		else
			w->report_bytes += (uint64_t)k;
	}
	json_t **slot = strcmp(type, "start") == 0 ? &w->start
			: strcmp(type, "final") == 0 ? &w->final
			: strcmp(type, "progress") == 0 ? &w->last_progress : NULL;
	w->nreports++;
	json_t *cp = json_object_get(j, "pid");
	if (strcmp(type, "child") == 0 && json_is_integer(cp)) {
		w->children = xrealloc(w->children, (w->nchildren + 1) * sizeof(*w->children));
		w->children[w->nchildren++] = (int)json_integer_value(cp);
	}
	if (s->hooks.on_record)
		s->hooks.on_record(s->hooks.ctx, (size_t)(w - s->w), type, j);
	if (slot) {
		json_decref(*slot);
		*slot = j;
	} else {
		json_decref(j);
	}
}

/* One complete line: taken within the tick's budget, else dropped (and held, in
 * case it is the last). */
static void report_line(struct supervisor *s, struct wl_proc *w, char *line, size_t len, uint64_t now)
{
	if (!len)
		return;
	if (now - w->tick_start >= SUP_REPORT_TICK_MS) {
		w->tick_start = now;
		w->tick_bytes = 0;
	}
	if (w->tick_bytes + len + 1 > SUP_REPORT_TICK_MAX || w->report_bytes >= reports_max(s)) {
		count_dropped(w, len);
		if (len > w->held_cap) {
			w->held_cap = len;
			w->held = xrealloc(w->held, len);
		}
		memcpy(w->held, line, len);
		w->held_len = len;
		return;
	}
	w->tick_bytes += len + 1;
	w->held_len = 0;
	take_line(s, w, line, len, false);
}

/* At the end of the report stream: an unterminated last line, and a last line that
 * a bound dropped (a final record survives a flood before it). */
static void reports_closed(struct supervisor *s, struct wl_proc *w)
{
	if (w->blen && !w->skipping)
		report_line(s, w, w->buf, w->blen, now_ms());
	w->blen = 0;
	if (w->held_len) {
		w->dropped_bytes -= w->held_len + 1;
		w->dropped_lines--;
		take_line(s, w, w->held, w->held_len, true);
		w->held_len = 0;
	}
}

/* Read at most SUP_READ_BUDGET bytes of reports (then the loop gets back to its
 * deadlines, signals and the recorder; epoll is level-triggered, so the rest comes
 * at the next wake-up) and split them into lines. Returns 0 at EOF, 1 otherwise. */
int sup_read_reports(struct supervisor *s, struct wl_proc *w)
{
	uint64_t now = now_ms();
	size_t budget = SUP_READ_BUDGET;
	while (budget) {
		size_t room = SUP_REPORT_LINE_MAX - w->blen;
		ssize_t k = read(w->report_fd, w->buf + w->blen, room < budget ? room : budget);
		if (k < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		if (k == 0) {
			reports_closed(s, w);
			return 0;
		}
		budget -= (size_t)k;
		char *p = w->buf, *end = w->buf + w->blen + k, *nl;
		while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
			if (w->skipping) /* the end of an overlong line */
				w->skipping = false;
			else
				report_line(s, w, p, (size_t)(nl - p), now);
			p = nl + 1;
		}
		size_t rest = (size_t)(end - p);
		if (rest == SUP_REPORT_LINE_MAX || (w->skipping && rest)) {
			/* longer than a line may be: a bad line, skipped up to its newline */
			if (!w->skipping)
				w->bad_lines++;
			w->skipping = true;
			rest = 0;
		}
		memmove(w->buf, p, rest);
		w->blen = rest;
	}
	return 1;
}

/* A workload's stdout (to out_path) or stderr (to mph's): one read per wake-up; the
 * first max bytes are kept, the rest counted. The marker and the count of what was
 * cut are part of the stderr stream passed through, so they go there too. Returns
 * 0 at EOF, 1 otherwise. */
static void output_closed(const struct supervisor *s, struct wl_proc *w)
{
	(void)s;
	if (w->err_fd >= 0 && w->stderr_bytes > w->stderr_kept)
		fprintf(stderr, "mph: workload %s: %llu more bytes of stderr not shown (run.json: stderr_bytes)\n",
			w->name, (unsigned long long)(w->stderr_bytes - w->stderr_kept));
}

static int read_output(struct supervisor *s, struct wl_proc *w, bool is_err)
{
	char buf[SUP_READ_BUDGET];
	ssize_t k = read(is_err ? w->err_fd : w->out_fd, buf, sizeof(buf));
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : 0;
	if (k == 0) {
		if (is_err)
			output_closed(s, w);
		return 0;
	}
	uint64_t max = is_err ? s->stderr_max : s->stdout_max ? s->stdout_max : SUP_STDOUT_MAX;
	uint64_t *kept = is_err ? &w->stderr_kept : &w->stdout_kept;
	uint64_t room = *kept < max ? max - *kept : 0;
	size_t keep = (uint64_t)k < room ? (size_t)k : (size_t)room;
	if (keep) {
		if (is_err) {
			fflush(stderr);
			(void)write_all(2, buf, keep);
		} else if (w->out_file >= 0) {
			int r = write_all(w->out_file, buf, keep);
			if (r < 0)
				write_err_note(&w->out_err, -r);
		}
	}
	if (is_err && keep < (size_t)k && w->stderr_bytes == w->stderr_kept) /* the first cut */
		fprintf(stderr, "\nmph: workload %s: stderr cut after %llu bytes; the rest is counted, not shown\n",
			w->name, (unsigned long long)max);
	*kept += keep;
	if (is_err)
		w->stderr_bytes += (uint64_t)k;
	else
		w->stdout_bytes += (uint64_t)k;
	return 1;
}

static void signal_all(struct supervisor *s, int sig)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->w[i].pid > 0)
			wl_signal(&s->w[i], sig);
}

int sup_wait(struct supervisor *s, int sigfd)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	size_t open_fds = 0, running = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct epoll_event ev = { .events = EPOLLIN };
		ev.data.u64 = i * ID_KINDS + ID_EXIT;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->w[i].pidfd, &ev) == 0)
			running++;
		int fds[] = { [ID_REPORT] = s->w[i].report_fd, [ID_STDOUT] = s->w[i].out_fd, [ID_STDERR] = s->w[i].err_fd };
		for (unsigned kind = ID_REPORT; kind < ID_KINDS; kind++) {
			ev.data.u64 = i * ID_KINDS + kind;
			if (fds[kind] >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[kind], &ev) == 0)
				open_fds++;
		}
	}
	if (sigfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };
		(void)epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev);
	}
	for (size_t i = 0; i < s->hooks.nfds; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = HOOK_ID + (uint64_t)s->hooks.fds[i] };
		(void)epoll_ctl(ep, EPOLL_CTL_ADD, s->hooks.fds[i], &ev);
	}
	uint64_t start = (uint64_t)(s->t0 * 1000.0);
	uint64_t stop_at = s->duration_ms && s->duration_ms != UINT64_MAX ? start + s->duration_ms : UINT64_MAX;
	uint64_t kill_at = s->timeout_ms != UINT64_MAX ? start + s->timeout_ms : UINT64_MAX;
	uint64_t give_up_at = UINT64_MAX; /* reports still open after every process ended */
	bool stopping = false, killing = false;

	/* with no workloads (mph record without a command) run until stopped */
	while (running || open_fds || (s->n == 0 && !stopping)) {
		uint64_t now = now_ms();
		if (!stopping && now >= stop_at) {
			stopping = true;
			signal_all(s, SIGTERM);
			for (size_t i = 0; i < s->n; i++)
				s->w[i].term_sent = !s->w[i].reaped;
			if (kill_at > now + KILL_GRACE_MS && stop_at != UINT64_MAX)
				kill_at = now + KILL_GRACE_MS;
		}
		if (!killing && now >= kill_at) {
			killing = true;
			for (size_t i = 0; i < s->n; i++)
				if (!s->w[i].reaped) {
					s->w[i].timed_out = true;
					wl_signal(&s->w[i], SIGKILL);
				}
			/* Nothing is left to send. Wait for the processes to go, but not
			 * forever (one stuck in D state): then the cgroup teardown and the
			 * journal deal with what is left. */
			kill_at = UINT64_MAX;
			give_up_at = now + REAP_LIMIT_MS;
		}
		if (s->n && !running && (give_up_at == UINT64_MAX || killing))
			give_up_at = give_up_at < now + 1000 ? give_up_at : now + 1000; /* a grandchild may hold the pipe open */
		if (now >= give_up_at)
			break;
		uint64_t next = stopping ? kill_at : stop_at < kill_at ? stop_at : kill_at;
		if (give_up_at < next)
			next = give_up_at;
		/* at most an hour per wait: deadlines can lie beyond an int of milliseconds */
		int wait_ms = next == UINT64_MAX ? -1 : next > now ? (int)(next - now < 3600000 ? next - now : 3600000) : 0;
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, wait_ms);
		if (n < 0 && errno != EINTR) {
			int e = errno;
			close(ep);
			return -e;
		}
		for (int k = 0; k < n; k++) {
			uint64_t id = evs[k].data.u64;
			if (id >= HOOK_ID && id != UINT64_MAX) {
				s->hooks.on_fd(s->hooks.ctx, (int)(id - HOOK_ID));
				continue;
			}
			if (id == UINT64_MAX) {
				struct signalfd_siginfo si;
				if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					s->interrupted = true;
					s->signo = caught = (int)si.ssi_signo;
					if (!stopping) { /* stop now, as at the end of duration */
						stop_at = now_ms();
					} else {
						kill_at = now_ms();
					}
				}
				continue;
			}
			struct wl_proc *w = &s->w[id / ID_KINDS];
			unsigned kind = (unsigned)(id % ID_KINDS);
			if (kind == ID_EXIT) {
				siginfo_t si = { 0 };
				int wr = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
				if (wr < 0 || si.si_pid) {
					/* wr < 0: it was reaped elsewhere (SIGCHLD ignored by whoever
					 * started mph): its end is unknown, but it has ended */
					w->status = wr < 0 ? W_EXITCODE(255, 0)
					          : si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
					w->reaped = true;
					w->ended = now_s() - s->t0;
					epoll_ctl(ep, EPOLL_CTL_DEL, w->pidfd, NULL);
					running--;
					if (s->hooks.on_exit)
						s->hooks.on_exit(s->hooks.ctx, id / ID_KINDS, w);
				}
				continue;
			}
			int *fd = kind == ID_REPORT ? &w->report_fd : kind == ID_STDOUT ? &w->out_fd : &w->err_fd;
			int more = kind == ID_REPORT ? sup_read_reports(s, w) : read_output(s, w, kind == ID_STDERR);
			if (!more) {
				epoll_ctl(ep, EPOLL_CTL_DEL, *fd, NULL);
				if (kind != ID_REPORT) { /* nothing more to learn from it */
					close(*fd);
					*fd = -1;
				}
				open_fds--;
			}
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		if (w->err_fd >= 0) /* still open: a grandchild holds it */
			output_closed(s, w);
	}
	if (s->reports_log && fflush(s->reports_log) != 0)
		write_err_note(&s->reports_err, errno);
	close(ep);
	return 0;
}

void sup_free(struct supervisor *s)
{
	for (size_t i = 0; s->w && i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		if (w->pidfd >= 0)
			close(w->pidfd);
		if (w->report_fd >= 0)
			close(w->report_fd);
		if (s->fds_set) {
			int fds[] = { w->out_fd, w->err_fd, w->out_file };
			for (size_t f = 0; f < ARRAY_SIZE(fds); f++)
				if (fds[f] >= 0)
					close(fds[f]);
		}
		free(w->held);
		json_decref(w->start);
		json_decref(w->last_progress);
		json_decref(w->final);
		for (char **a = w->argv; a && *a; a++)
			free(*a);
		free(w->argv);
		free(w->children);
		free(w->out_path);
	}
	free(s->w);
	s->w = NULL;
	s->n = 0;
}

/* Terminating by default, catchable, and not the report of a fault in mph itself
 * (SEGV, BUS, FPE, ILL, TRAP, SYS, ABRT stay fatal: nothing sane can follow them). */
static const int stop_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGTERM,
				    SIGSTKFLT, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGXCPU };
/* Ignored while supervising: they report a failed write, which mph then sees as one. */
static const int io_signals[] = { SIGPIPE, SIGXFSZ };
static struct sigaction io_old[ARRAY_SIZE(io_signals)];

static void stop_set(sigset_t *mask)
{
	sigemptyset(mask);
	for (size_t i = 0; i < ARRAY_SIZE(stop_signals); i++)
		sigaddset(mask, stop_signals[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(mask, sig);
}

int sup_signals_begin(sigset_t *old)
{
	sigset_t mask;
	stop_set(&mask);
	sigprocmask(SIG_BLOCK, &mask, old);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	for (size_t i = 0; i < ARRAY_SIZE(io_signals); i++)
		sigaction(io_signals[i], &ign, &io_old[i]);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int sup_signals_end(int fd, const sigset_t *old)
{
	int late = 0;
	if (fd >= 0) {
		/* what arrived after the loop stopped reading (during teardown) */
		struct signalfd_siginfo si;
		while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			late = caught = (int)si.ssi_signo;
		close(fd);
	}
	if (caught)
		return late; /* stay deaf: mph is on its way out with 130 */
	sigprocmask(SIG_SETMASK, old, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(io_signals); i++)
		sigaction(io_signals[i], &io_old[i], NULL);
	return 0;
}

int sup_signal_caught(void)
{
	return caught;
}

json_t *sup_io_json(const struct supervisor *s, const struct wl_proc *w)
{
	bool err = s->stderr_max > 0; /* stderr passed through mph */
	return json_pack("{s:I, s:I, s:b, s:I, s:b, s:o, s:o}", "report_dropped_bytes", (json_int_t)w->dropped_bytes,
			 "report_dropped_lines", (json_int_t)w->dropped_lines, "report_truncated", w->dropped_lines > 0,
			 "stdout_bytes", (json_int_t)w->stdout_bytes, "stdout_truncated", w->stdout_bytes > w->stdout_kept,
			 "stderr_bytes", err ? json_integer((json_int_t)w->stderr_bytes) : json_null(),
			 "stderr_truncated", json_boolean(w->stderr_bytes > w->stderr_kept));
}

void sup_write_errors(const struct supervisor *s, const char *reports_path, json_t *msgs)
{
	char *m = write_err_msg(&s->reports_err, reports_path ? reports_path : "reports.jsonl");
	if (m)
		json_array_append_new(msgs, json_string(m));
	free(m);
	for (size_t i = 0; i < s->n; i++) {
		const struct wl_proc *w = &s->w[i];
		if (!w->out_path || !(m = write_err_msg(&w->out_err, w->out_path)))
			continue;
		json_array_append_new(msgs, json_string(m));
		free(m);
	}
}

bool wl_owns(const struct wl_proc *w, int pid)
{
	if (pid == w->pid)
		return true;
	for (size_t c = 0; c < w->nchildren; c++)
		if (w->children[c] == pid)
			return true;
	return false;
}

bool sup_owns(const struct supervisor *s, int pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (wl_owns(&s->w[i], pid))
			return true;
	return false;
}
