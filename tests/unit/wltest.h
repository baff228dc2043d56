/* wltest.h - helpers for the unit tests of one workload: a config filled from its
 * option table as the shared main would fill it, a field read back by option name,
 * and an in-process run whose final report is returned. Header-only (static), for the
 * test_wl_*.c files, which include cmocka before it. */
#ifndef MPH_WLTEST_H
#define MPH_WLTEST_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/util.h"
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

#define WLT_FIELD(w, cfg, name, type) (*(type *)((char *)(cfg) + opt_find((w)->opts, name)->off))

/* Run the workload in this process with reports going to a temporary file; its exit
 * code in *rc, its final record returned (the test fails if there is none). */
static inline json_t *wlt_run(const struct workload *w, void *cfg, int *rc)
{
	FILE *rep = tmpfile();
	assert_non_null(rep);
	struct wl_ctx ctx = { .report_fd = fileno(rep), .report_interval_ms = 1000, .t0 = now_s(), .name = w->name };
	ctx.next_progress = ctx.t0 + 1.0;
	wl_stop = 0;
	*rc = w->run(cfg, &ctx);
	rewind(rep);
	json_t *fin = NULL;
	char line[65536];
	while (fgets(line, sizeof(line), rep)) {
		json_t *j = json_loads(line, 0, NULL);
		if (j && strcmp(json_string_value(json_object_get(j, "type")), "final") == 0) {
			json_decref(fin);
			fin = j;
		} else {
			json_decref(j);
		}
	}
	fclose(rep);
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

#endif
