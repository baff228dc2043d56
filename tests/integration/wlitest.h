/* wlitest.h - what the integration tests of workloads read from run.json besides
 * itest's paths: a workload by its name, and the memory.max the run really had.
 * Header-only (static), for test_wl_*.c, which include cmocka and itest.h first. */
#ifndef MPH_WLITEST_H
#define MPH_WLITEST_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static inline json_t *wlit_workload(json_t *r, const char *name)
{
	size_t i;
	json_t *w;
	json_array_foreach (json_object_get(r, "workloads"), i, w)
		if (strcmp(itest_str(w, "name"), name) == 0)
			return w;
	fail_msg("no workload %s in run.json", name);
	return NULL;
}

/* memory.max as the kernel read it back (the scenario's first [cgroup] setting) */
static inline long long wlit_limit(json_t *r)
{
	json_t *s = json_array_get(json_object_get(json_object_get(r, "cgroup"), "settings"), 0);
	assert_string_equal(itest_str(s, "name"), "memory.max");
	return strtoll(itest_str(s, "read_back"), NULL, 10);
}

#endif
