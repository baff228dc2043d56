/* outcome.c - see outcome.h. */
#include "outcome.h"

#include <signal.h>
#include <stddef.h>

#include "../../workloads/workload.h"

static const char *const names[] = {
	[OUT_RUNNING] = "running", [OUT_EXITED] = "exited", [OUT_OOM_KILLED] = "oom-killed",
	[OUT_KILLED] = "killed", [OUT_TIMED_OUT] = "timed-out", [OUT_ENOMEM] = "enomem",
	[OUT_FAILED] = "failed-to-start",
};

const char *outcome_name(enum outcome o)
{
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

enum outcome classify(const struct observed *o, const char **evidence)
{
	const char *ev = NULL;
	enum outcome out;
	if (o->start_failed) {
		out = OUT_FAILED;
	} else if (o->signal == SIGKILL && o->kmsg_victim) {
		/* before timed-out: an OOM victim still tearing down at the timeout was
		 * killed by the kernel, not by mph */
		out = OUT_OOM_KILLED;
		ev = o->cg_oom_kills > 0 ? "kernel log names the pid; cgroup oom_kill counter rose"
					 : "kernel log names the pid (a global OOM kill leaves the cgroup counter alone)";
	} else if (o->timed_out) {
		out = OUT_TIMED_OUT;
		ev = "still running at the timeout";
	} else if (o->signal == SIGKILL && !o->kmsg_available && o->cg_oom_kills > 0) {
		/* Without the kernel log the counter is the only witness. */
		out = OUT_OOM_KILLED;
		ev = "cgroup oom_kill counter rose; kernel log unreadable, so the victim pid is unconfirmed";
	} else if (o->signal) {
		out = OUT_KILLED;
	} else if (o->reported_enomem || (o->exited && o->exit_code == WL_EXIT_ENOMEM)) {
		out = OUT_ENOMEM;
		ev = o->reported_enomem ? "final report status enomem" : "exit code 3";
	} else {
		out = OUT_EXITED;
	}
	if (evidence)
		*evidence = ev;
	return out;
}
