/* bisect.h - the largest value in [lo, hi] for which a condition holds, by bisection,
 * the condition judged k of n times at each value probed (mph search). A pure
 * function of a trial callback, so it is tested on a synthetic predicate without
 * running anything.
 *
 * The condition is assumed to hold up to a boundary and not beyond it (monotone);
 * noise near the boundary is what the k-of-n rule is for. Values probed lie on the
 * grid lo, lo + res, lo + 2 res, ... (and hi itself). lo is probed first (if it fails
 * there is no answer), then hi (if it holds, hi is the answer), then midpoints until
 * the passing and the failing value are one grid step apart. At each value the
 * trials stop as soon as the verdict is certain: k passes, or n - k + 1 failures. */
#ifndef MPH_BISECT_H
#define MPH_BISECT_H

#include <stdbool.h>
#include <stddef.h>

/* One trial at value (attempt 1..n): 1 the condition held, 0 it did not, <0 stop the
 * search with that error. */
typedef int (*bisect_trial_fn)(void *ctx, long long value, unsigned attempt);

struct bisect_opts {
	long long lo, hi, res;  /* lo <= hi, res >= 1 */
	unsigned n, k;          /* n trials per value, k of them must pass: 1 <= k <= n */
};

struct bisect_probe {
	long long value;
	unsigned passed, failed; /* trials run: passed + failed <= n */
	bool holds;
};

enum bisect_found {
	BISECT_FOUND,       /* answer holds, fails_at does not, one step apart */
	BISECT_HOLDS_AT_HI, /* the condition holds over the whole range: answer is hi */
	BISECT_FAILS_AT_LO, /* it does not hold even at lo: no answer */
};

struct bisect_result {
	enum bisect_found found;
	long long answer;    /* the largest value found to hold (BISECT_FAILS_AT_LO: none) */
	long long fails_at;  /* the smallest value found not to (BISECT_HOLDS_AT_HI: none) */
	struct bisect_probe *probes; /* in the order probed, malloc'd */
	size_t nprobes;
	unsigned trials;
};

/* 0 with out filled; -EINVAL for bad options; a trial's error (out->probes holds
 * what was probed until then, to be freed). */
int bisect_search(const struct bisect_opts *o, bisect_trial_fn trial, void *ctx, struct bisect_result *out);
void bisect_result_free(struct bisect_result *r);

#endif
