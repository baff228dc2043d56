/* actions.c - see actions.h. */
#define _GNU_SOURCE
#include "actions.h"
#include "../core/util.h"
#include "../host/result.h"
#include "../host/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* AS_RUNNING: a child does what could block (sync() before drop_caches waits for
 * every dirty page of the machine: seconds on a busy one), so the loop keeps its
 * deadlines and samples meanwhile; it reports through the pipe */
enum act_state { AS_WAITING, AS_RUNNING, AS_AFTER, AS_OVER };

struct act_run {
	const struct scen_action *a;
	enum act_state state;
	double due;             /* CLOCK_MONOTONIC seconds: the action, then its after snapshot */
	double done_s;          /* seconds since the run's t0 */
	const char *result;     /* done, skipped, failed; NULL while waiting */
	char *message;
	json_t *before, *after;
};

struct actions {
	const struct scenario *sc;
	struct supervisor *sup;
	const struct cg *cg;
	struct journal *j;
	const char *sysroot;
	struct recorder *rec;
	int tfd;
	int done_rd, done_wr;   /* a child's result: one int, 0 or errno */
	pid_t child;            /* the child doing the running action, 0: none */
	size_t running;         /* its index */
	bool started;
	struct act_run *v;
	size_t n;
};

/* The figures of memory.stat an action is judged by, under one name on both cgroup
 * versions (v1's cache and rss are v2's file and anon), and the usage. */
static const struct {
	const char *name, *v2, *v1;
} stat_keys[] = {
	{ "file", "file", "cache" },
	{ "anon", "anon", "rss" },
	{ "inactive_anon", "inactive_anon", "inactive_anon" },
	{ "shmem", "shmem", "shmem" },
};

/* {file, anon, inactive_anon, shmem, usage} in bytes now, null where unreadable. */
static json_t *snapshot(const struct cg *cg)
{
	char *text = NULL;
	json_t *kv = cg_read(cg, "memory.stat", &text) == 0 ? kv_json(text) : json_object();
	free(text);
	json_t *out = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		json_t *v = json_object_get(kv, cg->ver == CG_V2 ? stat_keys[i].v2 : stat_keys[i].v1);
		json_object_set_new(out, stat_keys[i].name, json_is_integer(v) ? json_incref(v) : json_null());
	}
	json_decref(kv);
	long long usage;
	json_object_set_new(out, "usage", cg_read_ll(cg, "memory.current", &usage) == 0 ? json_integer(usage) : json_null());
	return out;
}

int actions_open(struct actions **out, const struct scenario *sc, struct supervisor *sup, const struct cg *cg,
		 struct journal *j, const char *sysroot, struct recorder *rec)
{
	*out = NULL;
	if (!sc->nact)
		return 0;
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK), p[2];
	if (tfd < 0)
		return -errno;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;
		close(tfd);
		return -e;
	}
	struct actions *a = xcalloc(1, sizeof(*a));
	*a = (struct actions){ .sc = sc, .sup = sup, .cg = cg, .j = j, .sysroot = sysroot, .rec = rec, .tfd = tfd,
			       .done_rd = p[0], .done_wr = p[1] };
	a->v = xcalloc(sc->nact, sizeof(*a->v));
	a->n = sc->nact;
	for (size_t i = 0; i < a->n; i++)
		a->v[i] = (struct act_run){ .a = &sc->act[i], .done_s = NAN };
	*out = a;
	return 0;
}

size_t actions_fds(const struct actions *a, int *fds, size_t max)
{
	size_t n = 0;
	if (a && n < max)
		fds[n++] = a->tfd;
	if (a && n < max)
		fds[n++] = a->done_rd;
	return n;
}

bool actions_owns_fd(const struct actions *a, int fd)
{
	return a && fd >= 0 && (fd == a->tfd || fd == a->done_rd);
}

/* Arm the timer for the earliest thing due (disarmed when nothing is). */
static void arm(struct actions *a)
{
	double next = INFINITY;
	for (size_t i = 0; i < a->n; i++)
		if ((a->v[i].state == AS_WAITING || a->v[i].state == AS_AFTER) && a->v[i].due < next)
			next = a->v[i].due;
	struct itimerspec its = { 0 };
	if (isfinite(next)) {
		/* an absolute time in the past fires at once; 0 would disarm */
		its.it_value.tv_sec = (time_t)next;
		its.it_value.tv_nsec = (long)((next - (double)its.it_value.tv_sec) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	(void)timerfd_settime(a->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void actions_start(struct actions *a, double t_first)
{
	if (!a || a->started)
		return;
	a->started = true;
	for (size_t i = 0; i < a->n; i++)
		a->v[i].due = t_first + (double)a->v[i].a->at_ms / 1000.0;
	arm(a);
}

static void set_result(struct act_run *r, const char *result, char *message)
{
	r->result = result;
	free(r->message);
	r->message = message;
}

/* events.jsonl's line for an action that is over */
static void event(const struct actions *a, const struct act_run *r, const char *what)
{
	rec_event(a->rec, "action", json_pack("{s:s, s:s, s:s, s:s?}", "name", r->a->name, "do", what, "result", r->result,
					       "message", r->message));
}

/* The action is over (e: 0, or -errno): record it, schedule the after snapshot. */
static void finished(struct actions *a, struct act_run *r, int e, const char *what)
{
	const struct scen_action *x = r->a;
	if (e == -ESRCH && x->kind == ACT_SIGNAL)
		set_result(r, "skipped", xasprintf("workload %s had already ended", a->sup->w[x->wl].name));
	else if (e < 0)
		set_result(r, "failed", xasprintf("%s: %s", what, strerror(-e)));
	else
		set_result(r, "done", NULL);
	r->done_s = now_s() - a->sup->t0;
	if (strcmp(r->result, "done") == 0 && x->after_ms) {
		r->state = AS_AFTER;
		r->due = now_s() + (double)x->after_ms / 1000.0;
	} else {
		r->after = strcmp(r->result, "done") == 0 ? snapshot(a->cg) : json_null();
		r->state = AS_OVER;
	}
	event(a, r, what);
}

/* What the journal says of r: "signal pool SIGUSR2 pid 1234" (malloc'd). */
static char *what_of(const struct actions *a, const struct act_run *r)
{
	const struct scen_action *x = r->a;
	return x->kind == ACT_SIGNAL && x->wl < a->sup->n ? xasprintf("%s pid %d", x->text, (int)a->sup->w[x->wl].pid)
							  : xstrdup(x->text);
}

/* In the child: sync, then the sysctl; the result through the pipe. Only
 * async-signal-safe calls. */
static void child_run(const struct actions *a, const char *path, const char *value)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sync(); /* dirty pages are not dropped: write them first */
	int e = 0, fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		e = errno ? errno : EIO;
	(void)!write(a->done_wr, &e, sizeof(e));
	_exit(0);
}

/* Start one action: journal it, snapshot, act (a sysctl in a child, a signal here). */
static void perform(struct actions *a, size_t i)
{
	struct act_run *r = &a->v[i];
	const struct scen_action *x = r->a;
	char *what = what_of(a, r);
	r->before = snapshot(a->cg);
	int e = journal_add(a->j, J_ACTION, x->name, what);
	if (e < 0) {
		set_result(r, "failed", xasprintf("cannot write the journal %s: %s (not done)", a->j->path, strerror(-e)));
		r->after = json_null();
		r->state = AS_OVER;
		event(a, r, what);
	} else if (x->kind == ACT_SIGNAL) {
		finished(a, r, sup_signal(a->sup, x->wl, x->signo), what);
	} else {
		char lvl[4];
		snprintf(lvl, sizeof(lvl), "%d", x->drop_level);
		char *path = xasprintf("%s/vm/%s", a->sysroot, x->kind == ACT_DROP_CACHES ? "drop_caches" : "compact_memory");
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0)
			child_run(a, path, x->kind == ACT_DROP_CACHES ? lvl : "1");
		free(path);
		if (pid < 0) {
			finished(a, r, -errno, what);
		} else {
			a->child = pid;
			a->running = i;
			r->state = AS_RUNNING;
		}
	}
	free(what);
}

/* The child reported: the running action is done. */
static void child_done(struct actions *a)
{
	int e = 0;
	if (read(a->done_rd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		return; /* spurious */
	/* it exits right after writing; reap it so no zombie is left */
	while (waitpid(a->child, NULL, 0) < 0 && errno == EINTR)
		;
	a->child = 0;
	struct act_run *r = &a->v[a->running];
	char *what = what_of(a, r);
	finished(a, r, -e, what);
	free(what);
}

void actions_ready(struct actions *a, int fd)
{
	if (!a)
		return;
	if (fd == a->done_rd) {
		child_done(a);
	} else {
		uint64_t ticks;
		(void)!read(a->tfd, &ticks, sizeof(ticks));
	}
	double now = now_s();
	/* in time order: two actions due together run in file order, one at a time */
	for (size_t i = 0; i < a->n; i++) {
		struct act_run *r = &a->v[i];
		if (r->state == AS_WAITING && r->due <= now) {
			if (a->child)
				break; /* after the running one: the timer is re-armed when it reports */
			perform(a, i);
		} else if (r->state == AS_AFTER && r->due <= now) {
			r->after = snapshot(a->cg);
			r->state = AS_OVER;
		}
	}
	arm(a);
}

/* after * 100 / before per figure, null where before is 0 or either is absent */
static json_t *kept_pct(const json_t *before, const json_t *after)
{
	json_t *out = json_object();
	const char *k;
	json_t *b;
	json_object_foreach ((json_t *)before, k, b) {
		json_t *f = json_object_get(after, k);
		bool ok = json_is_integer(b) && json_is_integer(f) && json_integer_value(b) > 0;
		json_object_set_new(out, k, ok ? json_real(100.0 * (double)json_integer_value(f) / (double)json_integer_value(b))
					       : json_null());
	}
	return out;
}

json_t *actions_finish(struct actions *a)
{
	json_t *arr = json_array();
	if (!a)
		return arr;
	double end = now_s() - a->sup->t0;
	for (size_t i = 0; i < a->n; i++) {
		struct act_run *r = &a->v[i];
		const struct scen_action *x = r->a;
		if (r->state == AS_WAITING)
			set_result(r, "skipped", xasprintf("the run ended (at %.2f s) before its time", end));
		if (r->state == AS_RUNNING)
			set_result(r, "failed", xasprintf("still running when the run ended (at %.2f s)", end));
		if (r->state == AS_AFTER && !r->message)
			r->message = xasprintf("the run ended (at %.2f s) before the after snapshot was due", end);
		json_t *j = json_pack("{s:s, s:s, s:s, s:f, s:f, s:o, s:s, s:s?}", "name", x->name, "do", x->text, "kind",
				      x->kind == ACT_DROP_CACHES ? "drop_caches" : x->kind == ACT_COMPACT ? "compact" : "signal",
				      "at_s", (double)x->at_ms / 1000.0, "after_delay_s", (double)x->after_ms / 1000.0,
				      "done_s", isfinite(r->done_s) ? json_real(r->done_s) : json_null(), "result", r->result,
				      "message", r->message);
		json_object_set_new(j, "line", json_integer(x->line));
		json_object_set(j, "before", r->before ? r->before : json_null());
		json_object_set(j, "after", r->after ? r->after : json_null());
		json_object_set_new(j, "kept_pct", r->before && json_is_object(r->after) ? kept_pct(r->before, r->after) : json_null());
		json_array_append_new(arr, j);
	}
	return arr;
}

void actions_close(struct actions *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].message);
		json_decref(a->v[i].before);
		json_decref(a->v[i].after);
	}
	free(a->v);
	if (a->child > 0) { /* still in sync(): it has nothing to undo */
		kill(a->child, SIGKILL);
		while (waitpid(a->child, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(a->tfd);
	close(a->done_rd);
	close(a->done_wr);
	free(a);
}
