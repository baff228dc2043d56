/* hist.c - see hist.h. */
#include "hist.h"

#include <string.h>

static unsigned bucket_of(uint64_t v)
{
	if (v < HIST_SUB)
		return (unsigned)v; /* exact for tiny values */
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned sub = (unsigned)(v >> (msb - 3)) & (HIST_SUB - 1);
	return (msb - 2) * HIST_SUB + sub;
}

static uint64_t bucket_top(unsigned b)
{
	if (b < HIST_SUB)
		return b;
	unsigned msb = b / HIST_SUB + 2, sub = b % HIST_SUB;
	uint64_t base = (1ULL << msb) + ((uint64_t)sub << (msb - 3));
	return base + (1ULL << (msb - 3)) - 1;
}

void hist_add(struct hist *h, uint64_t v)
{
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->bucket[bucket_of(v)]++;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	if (!h->count)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->count);
	if (rank >= h->count)
		rank = h->count - 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen > rank) {
			uint64_t top = bucket_top(b);
			return top > h->max ? h->max : top;
		}
	}
	return h->max;
}

json_t *hist_json(const struct hist *h)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "count", (json_int_t)h->count, "min_ns",
			 (json_int_t)h->min, "mean_ns", (json_int_t)(h->count ? h->sum / h->count : 0), "p50_ns",
			 (json_int_t)hist_quantile(h, 0.50), "p90_ns", (json_int_t)hist_quantile(h, 0.90), "p99_ns",
			 (json_int_t)hist_quantile(h, 0.99), "p999_ns", (json_int_t)hist_quantile(h, 0.999), "max_ns",
			 (json_int_t)h->max);
}
