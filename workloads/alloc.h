/* alloc.h - the pure helpers of the alloc workload (workloads/alloc.c), exported so
 * the unit tests can check them: the seeded size generator, the order in which a
 * --free mode releases chunks, and a /proc/<pid>/stat field reader. */
#ifndef MPH_WL_ALLOC_H
#define MPH_WL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

enum alloc_free { FREE_NONE, FREE_ALL, FREE_EVERY_OTHER, FREE_LIFO };

/* splitmix64: the next value of the sequence seeded by *state. */
uint64_t alloc_rand(uint64_t *state);
/* A chunk size: lo when hi <= lo, else uniform in [lo, hi]. */
uint64_t alloc_chunk_size(uint64_t *state, uint64_t lo, uint64_t hi);
/* How many of n chunks the mode frees, and the index of the k-th one it frees
 * (k < alloc_free_count). */
size_t alloc_free_count(enum alloc_free mode, size_t n);
size_t alloc_free_index(enum alloc_free mode, size_t k, size_t n);
/* Field number `field` (1-based, as in proc(5)) of a /proc/<pid>/stat line, counted
 * after the command name (which may hold spaces and parentheses). 0 or -EINVAL. */
int proc_stat_field(const char *stat, unsigned field, unsigned long long *out);

#endif
