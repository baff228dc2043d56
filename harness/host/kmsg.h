/* kmsg.h - OOM kills as the kernel reports them in /dev/kmsg. The kernel prints two
 * lines per kill:
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,
 *     oom_memcg=/a/b,task_memcg=/a/b,task=anonleak,pid=123,uid=0
 *   Memory cgroup out of memory: Killed process 123 (anonleak) total-vm:..kB,
 *     anon-rss:..kB, file-rss:..kB, shmem-rss:..kB, UID:0 pgtables:..kB oom_score_adj:0
 * ("Out of memory: Killed process" for a global OOM). Both are merged by pid. */
#ifndef MPH_KMSG_H
#define MPH_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oom_kill {
	int pid;
	char comm[64];
	char constraint[48];   /* CONSTRAINT_MEMCG, CONSTRAINT_NONE, ... */
	char oom_memcg[256];   /* the cgroup whose limit was hit (memcg OOM) */
	char task_memcg[256];  /* the victim's cgroup */
	bool global;           /* "Out of memory:" rather than "Memory cgroup out of memory:" */
	long long total_vm_kb, anon_rss_kb, file_rss_kb, shmem_rss_kb, pgtables_kb;
	int oom_score_adj;
	uint64_t ts_usec;      /* kernel timestamp (CLOCK_MONOTONIC) of the kill message */
	bool have_header, have_killed;
};

struct kmsg_log {
	int fd;                /* /dev/kmsg, -1 when unavailable */
	int open_errno;
	struct oom_kill *kills;
	size_t n;
	const char *marker;    /* a message to look for (clock calibration), or NULL */
	uint64_t marker_ts;    /* its kernel timestamp once seen, else 0 */
};

/* Open /dev/kmsg positioned at its end, so only new records are read. */
int kmsg_open(struct kmsg_log *k);
/* Read every record available now (non-blocking) and collect OOM kills. */
void kmsg_drain(struct kmsg_log *k);
void kmsg_close(struct kmsg_log *k);
/* Parse one record's text ("pri,seq,ts,flags;message"), merging into k->kills.
 * Returns 1 if it was an OOM line, 0 otherwise. Exposed for tests. */
int kmsg_parse_record(struct kmsg_log *k, const char *rec, size_t len);
/* The kill with that pid, or NULL. */
const struct oom_kill *kmsg_find(const struct kmsg_log *k, int pid);

#endif
