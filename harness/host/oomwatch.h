/* oomwatch.h - the moment of an OOM kill, read by threads of their own: a second
 * tracefs instance (<instance>-oom, trace.h's trace_setup makes and journals it)
 * holds oom:mark_victim alone, and a few threads, each pinned to a different CPU,
 * sleep on its per-CPU trace_pipe_raw pages and parse a mark as soon as the kernel
 * writes it.
 *
 * Why threads pinned apart: the victim's task marks itself (or the task whose
 * allocation failed marks it) and then stays in the kernel for milliseconds - the
 * kill's report to the console, the reaping - where a kernel without in-kernel
 * preemption does not let anything else run on that CPU. A reader the scheduler
 * placed there (it places wake-ups near the waker) waits all of that time; with one
 * waiter on each of several CPUs, one of them is on a CPU the OOM path is not
 * holding (docs/recorder.md, "OOM detection"). The threads wake only for OOM marks,
 * so they cost nothing between kills. */
#ifndef MPH_OOMWATCH_H
#define MPH_OOMWATCH_H

#include <jansson.h>
#include <stddef.h>

#include "trace.h"

#define OOMWATCH_MAX_THREADS 4

struct oomwatch;

/* Set up the instance at dir (it exists: made and journaled by the caller) for
 * oom:mark_victim on the mono clock, and start the threads (at most
 * OOMWATCH_MAX_THREADS, on CPUs spread over those this process may run on). 0, or
 * -errno and *why (malloc'd) says what failed; nothing is left running then. */
int oomwatch_start(struct oomwatch **out, const char *dir, char **why);
/* Readable (an eventfd) when a thread has parsed a mark since the last
 * oomwatch_ack; -1 for NULL. */
int oomwatch_fd(const struct oomwatch *w);
/* oomwatch_fd was readable: make it not readable until the next mark. */
void oomwatch_ack(struct oomwatch *w);
/* The marks parsed since the last call (at most max; the rest at the next), each with
 * the kernel's time of the mark and the time its thread had parsed it. Cheap when
 * there are none: no lock, no system call. */
size_t oomwatch_take(struct oomwatch *w, struct trace_victim *v, size_t max);
/* What the watch was: threads, their CPUs, marks parsed, pages and what did not parse. */
json_t *oomwatch_summary(const struct oomwatch *w);
/* Stop and join the threads and close the instance's files (the instance stays, for
 * the caller to remove). Accepts NULL. */
void oomwatch_stop(struct oomwatch *w);

#endif
