/* decide.c - what mph ab and mph search share (decide.h): the plans they run and the
 * scenario as they see it. They run plans in this process through plan_run, the
 * code of mph run itself: validation before change, the lock (--wait), the journal,
 * a signal stopping and undoing the running job, all as mph run does, and the run
 * directories are known (--run-dir) rather than parsed out of a child's output. */
#define _GNU_SOURCE
#include "decide.h"
#include "../core/exit.h"
#include "../core/util.h"
#include "../plan/plan.h"
#include "../scenario/scenario.h"
#include "../scenario/sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void decide_plan_opts(const struct decide_run *d, struct plan_opts *po, const char *dir, const char *const *extra,
		      size_t n)
{
	memset(po, 0, sizeof(*po));
	po->run.results = d->results;
	po->run.run_dir = dir;
	po->run.state_dir = d->state_dir;
	po->run.cache_dir = d->cache_dir;
	po->run.wait_ms = d->wait_ms;
	po->run.in_guest = run_in_guest();
	po->run.out = stderr;
	po->quiet = true;
	for (size_t i = 0; i < d->nsets && po->nsets < PLAN_MAX_SETS; i++)
		po->sets[po->nsets++] = d->sets[i];
	for (size_t i = 0; i < n && po->nsets < PLAN_MAX_SETS; i++)
		po->sets[po->nsets++] = extra[i];
}

char *decide_dir(const struct decide_run *d, const char *name, const char *what)
{
	if (d->run_dir) {
		int e = mkdir_p(d->run_dir);
		if (e < 0 || !dir_is_empty(d->run_dir)) {
			fprintf(stderr, "mph %s: cannot use %s: %s\n", what, d->run_dir, e < 0 ? strerror(-e) : "not empty");
			return NULL;
		}
		return xstrdup(d->run_dir);
	}
	char *stamp = utc_stamp(false), *parent = xasprintf("%s/%s", d->results, name);
	char *base = xasprintf("%s-%s", stamp, what);
	int e = 0;
	char *out = mkdir_unique(parent, base, &e);
	if (!out)
		fprintf(stderr, "mph %s: cannot make a directory under %s: %s\n", what, parent, strerror(-e));
	free(base);
	free(stamp);
	free(parent);
	return out;
}

int decide_scenario(const char *file, const char *const *sets, size_t nsets, struct scen_text *tx, size_t *nvariants)
{
	struct diags d = { 0 };
	int r = scenario_parse(file, tx, &d);
	if (r < 0) {
		if (r == -EINVAL)
			diags_print(&d);
		else
			fprintf(stderr, "mph: cannot read %s: %s\n", file, strerror(-r));
		diags_free(&d);
		return EXIT_BAD_INPUT;
	}
	diags_free(&d);
	struct setting *over = xcalloc(nsets + 1, sizeof(*over));
	size_t n = 0;
	int code = EXIT_OK;
	for (size_t i = 0; i < nsets; i++) {
		char err[256];
		if (sweep_parse_set(sets[i], &over[n], err, sizeof(err)) < 0) {
			fprintf(stderr, "mph: --set %s: %s\n", sets[i], err);
			code = EXIT_BAD_INPUT;
			continue;
		}
		n++;
	}
	if (code == EXIT_OK)
		sweep_apply_sets(&tx->set, &tx->nset, over, n);
	for (size_t i = 0; i < n; i++) {
		free(over[i].section);
		free(over[i].key);
		free(over[i].value);
	}
	free(over);
	if (code != EXIT_OK)
		return code;
	const char *mode = scen_text_value(tx, "scenario", "sweep");
	struct sweep sw = { 0 };
	struct diags sd = { .file = xstrdup(file) };
	if (sweep_expand(tx->set, tx->nset, mode && strcmp(mode, "zip") == 0, scenario_key_kind, tx, &sw, &sd) < 0) {
		diags_print(&sd);
		code = EXIT_BAD_INPUT;
	} else {
		*nvariants = sw.nv;
	}
	diags_free(&sd);
	sweep_free(&sw);
	return code;
}
