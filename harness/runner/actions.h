/* actions.h - a scenario's timed actions ([action NAME]: drop_caches, compact, a
 * signal to a workload) carried out during a run, at their time, from the
 * supervisor's loop: one timerfd armed for the next thing due and a pipe a child
 * reports on, watched with the recorder's descriptors, so nothing waits or spins. Each action is journaled before
 * it is done (nothing to undo; a reader of a killed run's journal knows of it), is an
 * event in events.jsonl, and is recorded in run.json's `actions` with the run
 * cgroup's memory.stat just before it and `after` later. */
#ifndef MPH_RUNNER_ACTIONS_H
#define MPH_RUNNER_ACTIONS_H

#include <jansson.h>
#include <stdbool.h>

#include "../host/cgroup.h"
#include "../host/journal.h"
#include "../host/recorder.h"
#include "../host/supervise.h"
#include "../scenario/scenario.h"

struct actions;

/* The actions of sc for one run (NULL when sc has none; then every call below is a
 * no-op). The timerfd is created here: -errno when it cannot be. */
int actions_open(struct actions **out, const struct scenario *sc, struct supervisor *sup, const struct cg *cg,
		 struct journal *j, const char *sysroot, struct recorder *rec);
/* The descriptors to watch (a timer, a child's result): how many went into fds. */
size_t actions_fds(const struct actions *a, int *fds, size_t max);
/* fd is one of them. */
bool actions_owns_fd(const struct actions *a, int fd);
/* The first workload started at t_first (CLOCK_MONOTONIC seconds): arm the timer. */
void actions_start(struct actions *a, double t_first);
/* fd is readable: do what is due, take due snapshots, arm for the next. drop_caches
 * and compact run in a child (sync() may block for seconds), a signal at once. */
void actions_ready(struct actions *a, int fd);
/* The run is over: what never came is `skipped`; run.json's `actions` (new reference,
 * [] when none). */
json_t *actions_finish(struct actions *a);
void actions_close(struct actions *a);

#endif
