/* hist.h - latency histogram for workloads that time what they do (allocation
 * stalls, access latency of a hot set). Log-linear buckets: 8 per power of two, so a
 * quantile is reported as its bucket's upper bound, within 12.5% of the true value,
 * in constant memory and O(1) per sample. */
#ifndef MPH_HIST_H
#define MPH_HIST_H

#include <jansson.h>
#include <stdint.h>

#define HIST_SUB 8
#define HIST_BUCKETS (64 * HIST_SUB)

struct hist {
	uint64_t count, sum, min, max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_add(struct hist *h, uint64_t v);
/* Upper bound of the bucket holding quantile q (0..1); 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
/* {"count", "min_ns", "mean_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns"} */
json_t *hist_json(const struct hist *h);

#endif
