/* search.c - `mph search SCENARIO --param KEY --range LO:HI --until EXPR`: the largest
 * value of a numeric key for which a per-run condition holds, by bisection
 * (core/bisect.h) with k of n repeats at each value probed. Each trial is a plan of
 * one job run in this process (decide.h) with --set KEY=VALUE; EXPR is an [expect]
 * assertion (scenario/expect.h), evaluated on the job's run.json. In a guest it is
 * the same: it only runs plans. */
#define _GNU_SOURCE
#include "cmd.h"
#include "decide.h"
#include "../core/bisect.h"
#include "../core/exit.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/journal.h"
#include "../plan/plan.h"
#include "../scenario/expect.h"
#include "../scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct search_cli {
	struct decide_run d;
	const char *param, *range, *until, *resolution;
	unsigned repeats, need;
	bool json, help;
};

#define S(f) offsetof(struct search_cli, f)
static const struct cli_opt search_opts[] = {
	{ "param", "KEY", CLI_STRING, S(param), 0, 0, "the key to search, as --set names it: leaker.size, cgroup.memory.max, web.max-children" },
	{ "range", "LO:HI", CLI_STRING, S(range), 0, 0, "where to search: 16M:96M, 1:64" },
	{ "until", "EXPR", CLI_STRING, S(until), 0, 0, "the condition, as in [expect]: 'oom_kills == 0', 'probe.p99_ms < 5'" },
	{ "resolution", "R", CLI_STRING, S(resolution), 0, 0, "stop when the answer is this close (default 1M for sizes, 1)" },
	{ "repeats", "N", CLI_UINT, S(repeats), 0, 100, "runs at each value probed (default 1)" },
	{ "need", "K", CLI_UINT, S(need), 0, 100, "of those, how many the condition must hold in (default all)" },
	DECIDE_RUN_OPTS(struct search_cli, d),
	{ "json", NULL, CLI_FLAG, S(json), 0, 0, "the answer and every probe as JSON (mph-search/1) on stdout" },
	{ "help", NULL, CLI_FLAG, S(help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef S

static void search_usage(FILE *f)
{
	fprintf(f, "usage: mph search SCENARIO.ini --param KEY --range LO:HI --until EXPR [options]\n\n"
		   "Finds the largest value of KEY in LO..HI for which EXPR holds, by bisection: LO and HI\n"
		   "first, then midpoints, to the resolution. A value holds when EXPR holds in K of N runs\n"
		   "(--need K --repeats N); the runs at a value stop once that is decided. The condition is\n"
		   "assumed to hold below a boundary and not above it. Each run is a plan of one job, as\n"
		   "mph run --set KEY=VALUE would run it.\n\n");
	cli_help(f, search_opts);
	fprintf(f, "\nExit codes: 0 an answer (or EXPR holds over the whole range), 1 EXPR fails already at LO\n"
		   "or a run could not be carried out, 2 bad input, 3 this machine cannot run it, 4 refused,\n"
		   "130 interrupted.\n");
}

/* "64M" or "1234": a size when it has a unit (or the other end has), else an integer. */
static bool has_unit(const char *s)
{
	for (; *s; s++)
		if (isalpha((unsigned char)*s))
			return true;
	return false;
}

static int parse_value(const char *s, bool size, long long *out)
{
	if (size) {
		uint64_t b;
		if (parse_size(s, &b) < 0 || b > (uint64_t)LLONG_MAX)
			return -EINVAL;
		*out = (long long)b;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* As the scenario would write it: 40M, 1536k, 4096 */
static char *fmt_value(long long v, bool size)
{
	if (size && v && v % (1LL << 30) == 0)
		return xasprintf("%lldG", v >> 30);
	if (size && v && v % (1LL << 20) == 0)
		return xasprintf("%lldM", v >> 20);
	if (size && v && v % 1024 == 0)
		return xasprintf("%lldk", v >> 10);
	return xasprintf("%lld", v);
}

struct trial_rec {
	long long value;
	unsigned attempt;
	char *dir;
	enum verdict_result verdict;
	char *message;
};

struct search_ctx {
	struct search_cli *c;
	const char *scenario;
	char *dir;
	bool size;
	struct expectation e;
	struct trial_rec *t;
	size_t nt;
	int code;           /* why the search stopped, when a trial returned an error */
};

static int trial(void *vctx, long long value, unsigned attempt)
{
	struct search_ctx *s = vctx;
	char *v = fmt_value(value, s->size);
	char *set = xasprintf("%s=%s", s->c->param, v);
	char *rd = xasprintf("%s/%s=%s/r%u", s->dir, s->c->param, v, attempt);
	const char *extra[2] = { "scenario.repeat=1", set };
	struct plan_opts po;
	decide_plan_opts(&s->c->d, &po, rd, extra, 2);
	fprintf(stderr, "mph search: %s = %s, run %u ...\n", s->c->param, v, attempt);
	int pc = plan_run(&po, s->scenario);
	int r = -1;
	json_t *run = NULL;
	if (pc != EXIT_OK && pc != EXIT_RUN_FAILED) {
		s->code = pc;
	} else {
		char *rj = xasprintf("%s/run.json", rd);
		run = json_load_file(rj, 0, NULL);
		if (!run || json_array_size(json_object_get(run, "errors"))) {
			fprintf(stderr, "mph search: %s: %s\n", rd,
				run ? json_string_value(json_array_get(json_object_get(run, "errors"), 0))
				    : "no run.json (the scenario sweeps, or the run could not be carried out)");
			s->code = EXIT_RUN_FAILED;
		} else {
			struct verdict vd;
			expect_eval_run(&s->e, run, &vd);
			s->t = xrealloc(s->t, (s->nt + 1) * sizeof(*s->t));
			s->t[s->nt++] = (struct trial_rec){ value, attempt, xstrdup(rd), vd.result, xstrdup(vd.message) };
			/* an absent value is not a pass: the condition was not shown to hold */
			r = vd.result == VERDICT_PASS;
			fprintf(stderr, "mph search: %s = %s, run %u: %s (%s)\n", s->c->param, v, attempt,
				r ? "holds" : "does not hold", vd.message);
			verdict_free(&vd);
		}
		free(rj);
	}
	json_decref(run);
	free(v);
	free(set);
	free(rd);
	return r;
}

static void print_runs(FILE *f, const struct search_ctx *s, long long value)
{
	for (size_t i = 0; i < s->nt; i++)
		if (s->t[i].value == value)
			fprintf(f, "    r%u %-9s %s  %s/run.json\n", s->t[i].attempt,
				s->t[i].verdict == VERDICT_PASS ? "holds" : "fails", s->t[i].message, s->t[i].dir);
}

static json_t *runs_json(const struct search_ctx *s, long long value)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->nt; i++)
		if (s->t[i].value == value)
			json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s}", "attempt", (json_int_t)s->t[i].attempt,
							   "dir", s->t[i].dir, "verdict", verdict_name(s->t[i].verdict),
							   "message", s->t[i].message));
	return a;
}

static void report(const struct search_ctx *s, const struct bisect_opts *o, const struct bisect_result *r)
{
	const struct search_cli *c = s->c;
	char *lo = fmt_value(o->lo, s->size), *hi = fmt_value(o->hi, s->size), *res = fmt_value(o->res, s->size);
	char *ans = fmt_value(r->answer, s->size), *fail = fmt_value(r->fails_at, s->size);
	if (c->json) {
		json_t *probes = json_array();
		for (size_t i = 0; i < r->nprobes; i++) {
			char *v = fmt_value(r->probes[i].value, s->size);
			json_array_append_new(probes, json_pack("{s:I, s:s, s:I, s:I, s:b, s:o}", "value",
								(json_int_t)r->probes[i].value, "text", v, "passed",
								(json_int_t)r->probes[i].passed, "failed",
								(json_int_t)r->probes[i].failed, "holds", r->probes[i].holds,
								"runs", runs_json(s, r->probes[i].value)));
			free(v);
		}
		static const char *const found[] = { "found", "holds-at-hi", "fails-at-lo" };
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:I, s:I, s:s, s:s, s:I, s:o}", "schema",
				      "mph-search/1", "scenario", s->scenario, "param", c->param, "lo", (json_int_t)o->lo, "hi",
				      (json_int_t)o->hi, "resolution", (json_int_t)o->res, "until", c->until, "repeats",
				      (json_int_t)o->n, "need", (json_int_t)o->k, "found", found[r->found], "dir", s->dir,
				      "trials", (json_int_t)r->trials, "probes", probes);
		json_object_set_new(j, "answer", r->found == BISECT_FAILS_AT_LO ? json_null() : json_integer(r->answer));
		json_object_set_new(j, "answer_text", r->found == BISECT_FAILS_AT_LO ? json_null() : json_string(ans));
		json_object_set_new(j, "fails_at", r->found == BISECT_HOLDS_AT_HI ? json_null() : json_integer(r->fails_at));
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else {
		printf("search: the largest %s in %s..%s for which '%s' holds (%u of %u runs), to %s\n", c->param, lo, hi,
		       c->until, o->k, o->n, res);
		printf("  %-12s %-6s %s\n", "value", "runs", "verdict");
		for (size_t i = 0; i < r->nprobes; i++) {
			char *v = fmt_value(r->probes[i].value, s->size);
			printf("  %-12s %u/%-4u %s\n", v, r->probes[i].passed, r->probes[i].passed + r->probes[i].failed,
			       r->probes[i].holds ? "holds" : "fails");
			free(v);
		}
		if (r->found == BISECT_FAILS_AT_LO) {
			printf("answer: none: it does not hold even at %s = %s\n", c->param, lo);
			print_runs(stdout, s, o->lo);
		} else {
			if (r->found == BISECT_HOLDS_AT_HI)
				printf("answer: %s = %s: it holds over the whole range (raise HI to find the boundary)\n", c->param,
				       ans);
			else
				printf("answer: %s = %s (%s = %s does not hold)\n", c->param, ans, c->param, fail);
			printf("supporting runs:\n  %s = %s:\n", c->param, ans);
			print_runs(stdout, s, r->answer);
			if (r->found == BISECT_FOUND) {
				printf("  %s = %s:\n", c->param, fail);
				print_runs(stdout, s, r->fails_at);
			}
		}
		printf("%u run(s) in %s\n", r->trials, s->dir);
	}
	free(lo);
	free(hi);
	free(res);
	free(ans);
	free(fail);
}

int cmd_search(int argc, char **argv)
{
	struct search_cli c = { 0 };
	c.d.results = "results";
	c.d.state_dir = journal_default_dir();
	int npos = 0;
	if (cli_parse(search_opts, &c, argc, argv, "mph search", &npos) < 0) {
		fprintf(stderr, "(mph search --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		search_usage(stdout);
		return EXIT_OK;
	}
	if (npos != 1 || !c.param || !c.range || !c.until) {
		search_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	c.d.cache_dir = getenv("MPH_CACHE_DIR") && *getenv("MPH_CACHE_DIR") ? getenv("MPH_CACHE_DIR") : "/var/cache/mph";
	struct search_ctx s = { .c = &c, .scenario = argv[1] };
	struct bisect_opts o = { .n = c.repeats ? c.repeats : 1 };
	o.k = c.need ? c.need : o.n;
	struct scen_text tx = { 0 };
	struct bisect_result r = { 0 };
	int code = EXIT_BAD_INPUT;
	const char *colon = strchr(c.range, ':');
	char *lo = colon ? strndup(c.range, (size_t)(colon - c.range)) : NULL;
	s.size = lo && (has_unit(lo) || has_unit(colon + 1) || (c.resolution && has_unit(c.resolution)));
	if (!lo || parse_value(lo, s.size, &o.lo) < 0 || parse_value(colon + 1, s.size, &o.hi) < 0 || o.lo > o.hi) {
		fprintf(stderr, "mph search: --range %s: expected LO:HI, LO <= HI, both sizes (16M:96M) or integers\n",
			c.range);
		goto out;
	}
	o.res = s.size ? 1 << 20 : 1;
	if (c.resolution && (parse_value(c.resolution, s.size, &o.res) < 0 || o.res < 1)) {
		fprintf(stderr, "mph search: --resolution %s: expected a %s above 0\n", c.resolution,
			s.size ? "size" : "whole number");
		goto out;
	}
	if (o.k > o.n) {
		fprintf(stderr, "mph search: --need %u is more than --repeats %u\n", o.k, o.n);
		goto out;
	}
	/* the scenario with KEY at LO: one variant, and its workloads for EXPR's names */
	char *first = fmt_value(o.lo, s.size), *set = xasprintf("%s=%s", c.param, first);
	const char *sets[CMP_MAX_LIST + 1];
	size_t nsets = 0, nvar = 0;
	for (size_t i = 0; i < c.d.nsets; i++)
		sets[nsets++] = c.d.sets[i];
	sets[nsets++] = set;
	code = decide_scenario(s.scenario, sets, nsets, &tx, &nvar);
	free(first);
	free(set);
	if (code != EXIT_OK)
		goto out;
	code = EXIT_BAD_INPUT;
	if (nvar != 1) {
		fprintf(stderr, "mph search: %s sweeps (%zu variants): a search varies one key of one scenario; fix its "
				"lists with --set\n", s.scenario, nvar);
		goto out;
	}
	struct schema_wl wls[64];
	size_t nwl = 0;
	for (size_t i = 0; i < tx.nset && nwl < 64; i++)
		if (strncmp(tx.set[i].section, "workload ", 9) == 0 && strcmp(tx.set[i].key, "type") == 0)
			wls[nwl++] = (struct schema_wl){ tx.set[i].section + 9, tx.set[i].value };
	struct diags d = { .file = xstrdup("--until") };
	if (expect_parse_line("--until", 0, "expect", "until", c.until, wls, nwl, &s.e, &d) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "mph search: --until '%s': %s\n", c.until, d.v[i].msg);
		diags_free(&d);
		goto out;
	}
	diags_free(&d);
	if (s.e.scope != ESCOPE_RUN) {
		fprintf(stderr, "mph search: --until '%s': a condition on one run (METRIC OP VALUE); --repeats and --need "
				"say how many runs must meet it\n", c.until);
		expectation_free(&s.e);
		goto out;
	}
	const char *name = scen_text_value(&tx, "scenario", "name");
	char *stem = NULL;
	if (!name) {
		const char *b = strrchr(s.scenario, '/');
		stem = xstrdup(b ? b + 1 : s.scenario);
		char *dot = strrchr(stem, '.');
		if (dot)
			*dot = '\0';
		name = stem;
	}
	s.dir = decide_dir(&c.d, name, "search");
	free(stem);
	if (!s.dir) {
		code = EXIT_RUN_FAILED;
		expectation_free(&s.e);
		goto out;
	}
	int br = bisect_search(&o, trial, &s, &r);
	if (br < 0) {
		code = s.code ? s.code : EXIT_RUN_FAILED;
		fprintf(stderr, "mph search: stopped after %u run(s); they are in %s\n", r.trials, s.dir);
	} else {
		report(&s, &o, &r);
		code = r.found == BISECT_FAILS_AT_LO ? EXIT_RUN_FAILED : EXIT_OK;
	}
	expectation_free(&s.e);
out:
	for (size_t i = 0; i < s.nt; i++) {
		free(s.t[i].dir);
		free(s.t[i].message);
	}
	free(s.t);
	free(s.dir);
	free(lo);
	bisect_result_free(&r);
	scen_text_free(&tx);
	return code;
}
