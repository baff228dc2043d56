/* failpoint.c - see failpoint.h. Only the build made for tests has fail points. */
#ifdef MPH_FAILPOINTS
#define _GNU_SOURCE
#include "failpoint.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every fail point, in the order a run passes them. A marker whose step is not here
 * aborts the test build, so that this list (which the test of every kill point takes
 * from `MPH_FAILPOINT=list`) cannot miss one. */
static const struct {
	const char *step, *state;
} failpoints[] = {
	{ "journal.begun", "the journal holds its header, nothing is changed" },
	{ "sysctl.journaled", "a sysctl's old value (and its partner's) is journaled, not yet written" },
	{ "sysctl.written", "a sysctl is written" },
	{ "swap.journaled", "the swap file is journaled, not yet created" },
	{ "swap.created", "the swap file exists (mkswap'd), not yet swapped on" },
	{ "swap.on", "the swap file is active" },
	{ "cgroup.journaled", "the run cgroup is journaled, not yet created" },
	{ "cgroup.created", "the run cgroup exists, nothing written to it" },
	{ "cgroup.setting", "a cgroup setting is about to be written" },
	{ "cgroup.set", "a cgroup setting is written" },
	{ "workload.started", "a workload runs in the run cgroup" },
	{ "workload.exited", "a workload has exited and been reaped" },
	{ "undo.begin", "the run is over, nothing is undone yet" },
	{ "replay.entry", "undoing the journal: before an entry (newest first)" },
	{ "replay.done", "every entry is undone, the journal not yet deleted" },
};

static const char *want;   /* the step of MPH_FAILPOINT, NULL: none */
static unsigned want_hit;  /* die at this hit of it */
static unsigned hits;

static int find(const char *step, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(failpoints); i++)
		if (strlen(failpoints[i].step) == len && strncmp(failpoints[i].step, step, len) == 0)
			return (int)i;
	return -1;
}

/* Read MPH_FAILPOINT before main, so that a wrong step name stops mph before it has
 * changed anything, not at some point of the run. */
__attribute__((constructor)) static void failpoint_init(void)
{
	const char *e = getenv("MPH_FAILPOINT");
	if (!e || !*e)
		return;
	if (strcmp(e, "list") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(failpoints); i++)
			printf("%s\t%s\n", failpoints[i].step, failpoints[i].state);
		exit(0);
	}
	const char *colon = strchr(e, ':');
	size_t len = colon ? (size_t)(colon - e) : strlen(e);
	char *end = NULL;
	long n = colon ? strtol(colon + 1, &end, 10) : 1;
	int i = find(e, len);
	if (i < 0 || n < 1 || (colon && *end)) {
		fprintf(stderr, "mph: MPH_FAILPOINT=%s: expected STEP[:N] (N >= 1) with a STEP of MPH_FAILPOINT=list\n", e);
		exit(2);
	}
	want = failpoints[i].step;
	want_hit = (unsigned)n;
}

void failpoint(const char *step)
{
	if (find(step, strlen(step)) < 0) {
		fprintf(stderr, "mph: fail point '%s' is not in failpoint.c's list\n", step);
		abort();
	}
	if (!want || strcmp(step, want) != 0 || ++hits != want_hit)
		return;
	/* stderr is unbuffered: the test reads which step killed mph */
	fprintf(stderr, "mph: fail point %s (hit %u): SIGKILL\n", step, hits);
	(void)raise(SIGKILL);
}
#else
/* ISO C wants a declaration in every translation unit */
typedef int failpoint_none;
#endif
