/* outcome.h - how a workload's end is classified. A pure function of what was
 * observed, so it can be tested without a kernel. */
#ifndef MPH_OUTCOME_H
#define MPH_OUTCOME_H

#include <stdbool.h>

enum outcome {
	OUT_RUNNING = 0,
	OUT_EXITED,      /* exited by itself (any code other than the ENOMEM code) */
	OUT_OOM_KILLED,  /* SIGKILL, and the kernel log names it as an OOM victim */
	OUT_KILLED,      /* another signal, or a SIGKILL nobody reported as OOM */
	OUT_TIMED_OUT,   /* still running at the hard timeout; mph killed it */
	OUT_ENOMEM,      /* an allocation failed and the workload said so */
	OUT_FAILED,      /* could not be started at all */
};

struct observed {
	bool exited;           /* WIFEXITED */
	int exit_code;
	int signal;            /* WTERMSIG when signaled, else 0 */
	bool timed_out;        /* mph hit the hard timeout and killed it */
	bool reported_enomem;  /* final report said status "enomem" */
	bool kmsg_victim;      /* /dev/kmsg named this pid as an OOM victim */
	bool kmsg_available;   /* /dev/kmsg could be read during the run */
	long long cg_oom_kills;/* the run cgroup's oom_kill counter increase, -1 unknown */
	bool start_failed;
};

enum outcome classify(const struct observed *o, const char **evidence);
const char *outcome_name(enum outcome o);

#endif
