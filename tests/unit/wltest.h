/* wltest.h - helpers for the unit tests of one workload: a config filled from its
 * option table as the shared main would fill it, the problems its check finds, a
 * field read back by option name, an in-process run whose records (or final report)
 * are returned, and checks of the latency histograms workloads report. Header-only
 * (static), for the test_wl_*.c files, which include cmocka before it. */
#ifndef MPH_WLTEST_H
#define MPH_WLTEST_H

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/core/util.h"
#include "../../workloads/workload.h"

/* A config with the table's defaults, then each "name=value" in the NULL-terminated
 * list (a percentage is of base); fails the test if one does not take. */
static inline void *wlt_cfg(const struct workload *w, uint64_t base, const char *const *sets)
{
	void *cfg = xcalloc(1, w->cfg_size);
	assert_int_equal(opt_defaults(w->opts, cfg), 0);
	for (size_t i = 0; sets && sets[i]; i++) {
		char *k = xstrdup(sets[i]), *v = strchr(k, '=');
		char err[256] = "";
		assert_non_null(v);
		*v++ = '\0';
		const struct opt *o = opt_find(w->opts, k);
		if (!o)
			fail_msg("%s has no option %s", w->name, k);
		if (opt_set(o, cfg, v, base, err, sizeof(err)) < 0)
			fail_msg("--%s=%s: %s", k, v, err);
		free(k);
	}
	return cfg;
}

static inline void wlt_free(const struct workload *w, void *cfg)
{
	for (const struct opt *o = w->opts; o->name; o++)
		if (o->type == OPT_STRING)
			free(*(char **)((char *)cfg + o->off));
	free(cfg);
}

/* opt_set's result for one value (the config is thrown away) */
static inline int wlt_set(const struct workload *w, const char *name, const char *val, uint64_t base)
{
	void *cfg = wlt_cfg(w, 0, NULL);
	char err[256];
	int r = opt_set(opt_find(w->opts, name), cfg, val, base, err, sizeof(err));
	wlt_free(w, cfg);
	return r;
}

/* The workload's check (w->check alone, without the common options) on cfg must
 * find exactly the problems in want, in order, each as "opt,opt: message" (the
 * options it concerns, then its text); want NULL or empty: none. */
static inline void wlt_check(const struct workload *w, const void *cfg, const char *const *want)
{
	struct wl_problems p = { 0 };
	size_t n = 0;
	while (want && want[n])
		n++;
	int r = w->check ? w->check(cfg, &p) : 0;
	char got[WL_PROBLEMS_MAX][512];
	for (size_t i = 0; i < p.n; i++) {
		size_t k = 0;
		got[i][0] = '\0';
		for (size_t o = 0; p.v[i].opts[o]; o++)
			k += (size_t)snprintf(got[i] + k, sizeof(got[i]) - k, "%s%s", o ? "," : "", p.v[i].opts[o]);
		snprintf(got[i] + k, sizeof(got[i]) - k, ": %s", p.v[i].msg);
		if (p.n != n)
			print_message("got: %s\n", got[i]);
	}
	assert_int_equal(p.n, n);
	assert_int_equal(r, n ? -EINVAL : 0);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
}

/* A NULL-terminated list of strings, inline. */
#define WLT_STRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

#define WLT_FIELD(w, cfg, name, type) (*(type *)((char *)(cfg) + opt_find((w)->opts, name)->off))

/* Run the workload in this process with reports going to a temporary file, progress
 * records every interval_ms; its exit code in *rc, every record it wrote returned in
 * order. wl_stop is left as the caller set it (a test may stop a run before it starts). */
static inline json_t *wlt_run_records(const struct workload *w, void *cfg, uint64_t interval_ms, int *rc)
{
	FILE *rep = tmpfile();
	assert_non_null(rep);
	struct wl_ctx ctx = { .report_fd = fileno(rep), .report_interval_ms = interval_ms, .t0 = now_s(), .name = w->name };
	ctx.next_progress = ctx.t0 + (double)interval_ms / 1000.0;
	*rc = w->run(cfg, &ctx);
	rewind(rep);
	json_t *recs = json_array();
	char line[65536];
	while (fgets(line, sizeof(line), rep)) {
		json_t *j = json_loads(line, 0, NULL);
		if (j)
			json_array_append_new(recs, j);
	}
	fclose(rep);
	return recs;
}

/* The last record of that type (a borrowed reference), or NULL. */
static inline json_t *wlt_last(json_t *recs, const char *type)
{
	json_t *found = NULL, *r;
	size_t i;
	json_array_foreach (recs, i, r)
		if (strcmp(json_string_value(json_object_get(r, "type")), type) == 0)
			found = r;
	return found;
}

static inline size_t wlt_count(json_t *recs, const char *type)
{
	size_t n = 0, i;
	json_t *r;
	json_array_foreach (recs, i, r)
		n += strcmp(json_string_value(json_object_get(r, "type")), type) == 0;
	return n;
}

/* Run the workload in this process (wl_stop cleared first); its exit code in *rc, its
 * final record returned (the test fails if there is none). */
static inline json_t *wlt_run(const struct workload *w, void *cfg, int *rc)
{
	wl_stop = 0;
	json_t *recs = wlt_run_records(w, cfg, 1000, rc);
	json_t *fin = json_incref(wlt_last(recs, "final"));
	json_decref(recs);
	if (!fin)
		fail_msg("%s wrote no final record", w->name);
	return fin;
}

static inline long long wlt_num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

/* A histogram as hist_json() writes it is consistent: count as expected, quantiles
 * ordered min <= p50 <= p90 <= p99 <= p999 <= max. A message, or NULL. */
static inline const char *wlt_hist_bad(json_t *h, long long count)
{
	static const char *const keys[] = { "min_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns", "max_ns" };
	if (!json_is_object(h))
		return "no histogram";
	if (json_integer_value(json_object_get(h, "count")) != count)
		return "count differs";
	for (size_t i = 1; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_integer_value(json_object_get(h, keys[i - 1])) > json_integer_value(json_object_get(h, keys[i])))
			return "quantiles not ordered";
	if (count && json_integer_value(json_object_get(h, "min_ns")) <= 0)
		return "a zero latency";
	return NULL;
}

/* anonleak's "hot" object: passes over exactly `bytes`, their number within lo..hi,
 * both histograms (ns per pass, ns per page) holding one sample per pass, ordered.
 * A message, or NULL. */
static inline const char *wlt_hot_bad(json_t *hot, long long bytes, long long lo, long long hi)
{
	static char msg[128];
	if (!json_is_object(hot))
		return "no hot object";
	long long passes = json_integer_value(json_object_get(hot, "passes")), b = json_integer_value(json_object_get(hot, "bytes"));
	if (b != bytes)
		snprintf(msg, sizeof(msg), "passes over %lld bytes, expected %lld", b, bytes);
	else if (passes < lo || passes > hi)
		snprintf(msg, sizeof(msg), "%lld passes, expected %lld..%lld", passes, lo, hi);
	else
		return wlt_hist_bad(json_object_get(hot, "pass"), passes) ?: wlt_hist_bad(json_object_get(hot, "page"), passes);
	return msg;
}

#endif
