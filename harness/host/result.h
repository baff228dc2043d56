/* result.h - pieces of run.json: host facts, key-value kernel files as JSON (raw
 * counters before/after/delta), OOM kills. Gathering is kept apart from printing:
 * run.c assembles, these helpers only convert. */
#ifndef MPH_RESULT_H
#define MPH_RESULT_H

#include <jansson.h>
#include <stdbool.h>

#include "cgroup.h"
#include "../core/json.h"
#include "kmsg.h"

#define RUN_SCHEMA "mph-run/1"

/* Kernel release, memory, swap, CPUs, NUMA nodes, cgroup version. */
json_t *host_json(const struct cg_env *env);
/* What the run ran on: target (host or qemu), kernel release, cgroup version, CPUs,
 * memory, swap, NUMA nodes. A guest run's host adds the kernel package, machine shape
 * and qemu's outcome (vm.c). */
json_t *machine_json(const struct cg_env *env, bool in_guest);
/* [{node, mem_total_bytes}] from sysfs. */
json_t *numa_nodes_json(void);
/* A flag of the first CPU in /proc/cpuinfo ("hypervisor"). */
bool cpu_has_flag(const char *flag);
/* "key value" lines (vmstat, memory.stat) to {key: value}. NULL text gives null. */
json_t *kv_json(const char *text);
/* after - before for every key in after (keys missing before are left out). */
json_t *kv_delta_json(const json_t *before, const json_t *after);
/* t: seconds since the run started (the recorder corrects the kernel clock) */
json_t *oom_kill_json(const struct oom_kill *o, double t);
/* Save run.json to path; when that fails (ENOSPC, EACCES...), add the error to
 * out's "errors" (naming the fallback) and save to fallback instead, making its
 * directory. Returns 0, or path's -errno; *written: the file that holds out (path,
 * fallback, or NULL when neither could be written). */
int result_save(json_t *out, const char *path, const char *fallback, const char **written);
/* /proc/meminfo "Key: N kB" in bytes, -1 when absent. */
long long meminfo_bytes(const char *key);

#endif
