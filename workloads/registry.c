/* registry.c - the list of workloads. Add one line here per workload file. */
#include "workload.h"

#include <string.h>

extern const struct workload wl_anonleak;
extern const struct workload wl_alloc;
extern const struct workload wl_overcommit;
extern const struct workload wl_pagecache;
extern const struct workload wl_shm;
extern const struct workload wl_fpm;
extern const struct workload wl_probe;
extern const struct workload wl_exec;

const struct workload *const workloads[] = {
	&wl_anonleak,
	&wl_alloc,
	&wl_overcommit,
	&wl_pagecache,
	&wl_shm,
	&wl_fpm,
	&wl_probe,
	&wl_exec,
	NULL,
};

const struct workload *workload_find(const char *name)
{
	for (size_t i = 0; workloads[i]; i++)
		if (strcmp(workloads[i]->name, name) == 0)
			return workloads[i];
	return NULL;
}

size_t workload_names(const char **names, size_t max)
{
	size_t n = 0;
	for (; workloads[n] && n < max; n++)
		names[n] = workloads[n]->name;
	return n;
}
