/* failpoint.h - kill points for the tests of crash recovery. In a build made for
 * tests (compiled with -DMPH_FAILPOINTS: `make failpoint`, build/failpoint/mph),
 * MPH_FAILPOINT=STEP[:N] makes mph SIGKILL itself the Nth time (default: the first)
 * it passes MPH_FAILPOINT("STEP"), as an OOM kill or a kill -9 would: no handler,
 * no cleanup, only the journal is left to undo the changes. MPH_FAILPOINT=list prints
 * the steps and exits. In the normal build a fail point expands to nothing. The steps
 * are listed, with what is true at each, in failpoint.c. */
#ifndef MPH_FAILPOINT_H
#define MPH_FAILPOINT_H

#ifdef MPH_FAILPOINTS
void failpoint(const char *step);
#define MPH_FAILPOINT(step) failpoint(step)
#else
#define MPH_FAILPOINT(step) ((void)0)
#endif

#endif
