/* bisect.c - see bisect.h. */
#include <errno.h>
#include <stdlib.h>

#include "bisect.h"
#include "util.h"

/* the i-th value of the grid: lo + i res, hi at the end */
static long long grid(const struct bisect_opts *o, long long i)
{
	long long v = o->lo + i * o->res;
	return v > o->hi || v < o->lo ? o->hi : v;
}

/* k of n trials at value: 1 holds, 0 not, <0 a trial's error */
static int probe(const struct bisect_opts *o, bisect_trial_fn trial, void *ctx, long long value,
		 struct bisect_result *out)
{
	out->probes = xrealloc(out->probes, (out->nprobes + 1) * sizeof(*out->probes));
	struct bisect_probe *p = &out->probes[out->nprobes++];
	*p = (struct bisect_probe){ .value = value };
	while (p->passed < o->k && p->failed <= o->n - o->k) {
		int r = trial(ctx, value, p->passed + p->failed + 1);
		if (r < 0)
			return r;
		out->trials++;
		if (r)
			p->passed++;
		else
			p->failed++;
	}
	p->holds = p->passed >= o->k;
	return p->holds;
}

int bisect_search(const struct bisect_opts *o, bisect_trial_fn trial, void *ctx, struct bisect_result *out)
{
	*out = (struct bisect_result){ 0 };
	if (o->lo > o->hi || o->res < 1 || o->k < 1 || o->k > o->n)
		return -EINVAL;
	long long top = (o->hi - o->lo + o->res - 1) / o->res; /* hi's index */
	int r = probe(o, trial, ctx, o->lo, out);
	if (r < 0)
		return r;
	if (!r) {
		out->found = BISECT_FAILS_AT_LO;
		out->fails_at = o->lo;
		return 0;
	}
	if (top == 0) {
		out->found = BISECT_HOLDS_AT_HI;
		out->answer = o->hi;
		return 0;
	}
	if ((r = probe(o, trial, ctx, o->hi, out)) < 0)
		return r;
	if (r) {
		out->found = BISECT_HOLDS_AT_HI;
		out->answer = o->hi;
		return 0;
	}
	long long pass = 0, fail = top;
	while (fail - pass > 1) {
		long long mid = pass + (fail - pass) / 2;
		if ((r = probe(o, trial, ctx, grid(o, mid), out)) < 0)
			return r;
		if (r)
			pass = mid;
		else
			fail = mid;
	}
	out->found = BISECT_FOUND;
	out->answer = grid(o, pass);
	out->fails_at = grid(o, fail);
	return 0;
}

void bisect_result_free(struct bisect_result *r)
{
	free(r->probes);
	*r = (struct bisect_result){ 0 };
}
