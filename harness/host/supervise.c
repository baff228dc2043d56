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

struct child_err {
	int err;
	int step; /* 0 join cgroup, 1 exec, 2 create its stdout file */
};

/* In the child: only async-signal-safe work and libcgroup's attach (mph is
 * single-threaded, so the fork copy is consistent). */
static void child(struct wl_proc *w, struct cg *cg, int report_w, int err_w, const sigset_t *orig)
{
	struct child_err ce = { 0, 0 };
	/* workloads die with mph: a killed mph must not leave them running (and if
	 * mph died before the prctl, nobody will send the signal: go now) */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != w->parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	int r = cg ? cg_enter(cg) : 0; /* mph record -- CMD: no cgroup of its own */
	if (r < 0) {
		ce.err = -r;
		goto fail;
	}
	if (report_w != REPORT_FD) {
		if (dup2(report_w, REPORT_FD) < 0) {
			ce.err = errno;
			ce.step = 1;
			goto fail;
		}
		close(report_w);
	} else {
		fcntl(REPORT_FD, F_SETFD, 0);
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	if (w->out_path) { /* keep mph's stdout for mph's summary */
		/* a new file in the new run directory: never one that is there already,
		 * nor what a symlink planted there points to (mph runs as root) */
		int out = open(w->out_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (out < 0 || dup2(out, 1) < 0) {
			ce.err = errno;
			ce.step = 2;
			goto fail;
		}
		close(out);
	}
	execv(w->argv[0], w->argv);
	ce.err = errno;
	ce.step = 1;
fail:
	(void)!write(err_w, &ce, sizeof(ce));
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
	sigprocmask(SIG_SETMASK, NULL, &orig);
	/* children get an empty mask, whatever mph blocked for its signalfd */
	sigemptyset(&orig);
	if (!s->t0)
		s->t0 = now_s();
	for (size_t i = 0; i < s->n; i++) {
		struct wl_proc *w = &s->w[i];
		int rp[2], ep[2];
		w->pidfd = w->report_fd = -1;
		if (pipe2(rp, O_CLOEXEC) < 0) {
			int e = errno;
			kill_started(s);
			return -e;
		}
		if (pipe2(ep, O_CLOEXEC) < 0) {
			int e = errno;
			close(rp[0]);
			close(rp[1]);
			kill_started(s);
			return -e;
		}
		fflush(NULL);
		w->parent = getpid();
		pid_t pid = fork();
		if (pid < 0) {
			int e = errno;
			close(rp[0]), close(rp[1]), close(ep[0]), close(ep[1]);
			kill_started(s);
			return -e;
		}
		if (pid == 0)
			child(w, cg, rp[1], ep[1], &orig);
		close(rp[1]);
		close(ep[1]);
		w->pid = pid;
		w->started = now_s() - s->t0;
		w->report_fd = rp[0];
		struct child_err ce;
		ssize_t k;
		while ((k = read(ep[0], &ce, sizeof(ce))) < 0 && errno == EINTR)
			;
		close(ep[0]);
		if (k == (ssize_t)sizeof(ce)) {
			w->start_errno = ce.err;
			w->start_what = ce.step == 0 ? "joining the run cgroup"
				      : ce.step == 1 ? "executing the workload"
						     : "creating its stdout file";
			while (waitpid(pid, &w->status, 0) < 0 && errno == EINTR)
				;
			w->reaped = true;
			kill_started(s);
			return -ce.err;
		}
		fcntl(w->report_fd, F_SETFL, O_NONBLOCK);
		w->pidfd = pidfd_open_(pid);
		if (w->pidfd < 0) {
			int e = errno;
			kill_started(s);
			return -e;
		}
		if (s->hooks.on_start)
			s->hooks.on_start(s->hooks.ctx, i, w);
	}
	return 0;
}

static void take_line(struct supervisor *s, struct wl_proc *w, char *line)
{
	if (!*line)
		return;
	if (s->reports_log)
		fprintf(s->reports_log, "{\"mph_t\":%.6f,\"name\":\"%s\",\"record\":%s}\n", now_s() - s->t0, w->name, line);
	json_error_t je;
	json_t *j = json_loads(line, 0, &je);
	const char *type = j ? json_string_value(json_object_get(j, "type")) : NULL;
	if (!type) {
		w->bad_lines++;
		json_decref(j);
		return;
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

/* Read what is there; split into lines. Returns 0 at EOF, 1 otherwise. */
static int read_reports(struct supervisor *s, struct wl_proc *w)
{
	for (;;) {
		ssize_t k = read(w->report_fd, w->buf + w->blen, sizeof(w->buf) - 1 - w->blen);
		if (k < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		if (k == 0) {
			w->buf[w->blen] = '\0';
			take_line(s, w, w->buf); /* an unterminated last line */
			w->blen = 0;
			return 0;
		}
		w->blen += (size_t)k;
		w->buf[w->blen] = '\0';
		char *p = w->buf, *nl;
		while ((nl = strchr(p, '\n'))) {
			*nl = '\0';
			take_line(s, w, p);
			p = nl + 1;
		}
		size_t rest = w->blen - (size_t)(p - w->buf);
		if (rest == sizeof(w->buf) - 1) { /* a line longer than the buffer: drop it */
			w->bad_lines++;
			rest = 0;
		}
		memmove(w->buf, p, rest);
		w->blen = rest;
	}
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
		ev.data.u64 = i * 2;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->w[i].pidfd, &ev) == 0)
			running++;
		ev.data.u64 = i * 2 + 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->w[i].report_fd, &ev) == 0)
			open_fds++;
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
					s->signo = (int)si.ssi_signo;
					if (!stopping) { /* stop now, as at the end of duration */
						stop_at = now_ms();
					} else {
						kill_at = now_ms();
					}
				}
				continue;
			}
			struct wl_proc *w = &s->w[id / 2];
			if (id % 2 == 0) {
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
						s->hooks.on_exit(s->hooks.ctx, id / 2, w);
				}
			} else if (!read_reports(s, w)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, w->report_fd, NULL);
				open_fds--;
			}
		}
	}
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

int sup_signals_begin(sigset_t *old)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, old);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

void sup_signals_end(int fd, const sigset_t *old)
{
	if (fd >= 0)
		close(fd);
	sigprocmask(SIG_SETMASK, old, NULL);
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
