/* ab.c - `mph ab --candidate FILE.conf [--baseline FILE.conf|current] SCENARIO`: the
 * scenario under the baseline's sysctls and under a sysctl.d candidate, repeat times
 * each, interleaved (A B A B ...), then the comparison with a verdict per metric:
 * better, worse, or no measurable change.
 *
 * How it interleaves: each round is one plan whose sweep is the two settings zipped
 * ([scenario] sweep = zip, each differing sysctl as the list "baseline,candidate",
 * repeat 1), so the round runs the baseline's job and then the candidate's; rounds
 * follow each other. Two plans run alternately would do the same with twice the
 * plans; the zip keeps each round's pair in one plan.json with its variants named by
 * their values, so `mph compare DIR` on the directory later groups them as ab did. */
#define _GNU_SOURCE
#include "cmd.h"
#include "decide.h"
#include "../core/exit.h"
#include "../core/util.h"
#include "../host/journal.h"
#include "../host/sysctl.h"
#include "../plan/plan.h"
#include "../scenario/scenario.h"
#include "../scenario/sysctld.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ab_cli {
	struct cmp_cli c;
	struct decide_run d;
	const char *candidate, *baseline;
	unsigned repeat;
	bool help;
};

#define A(f) offsetof(struct ab_cli, f)
static const struct cli_opt ab_opts[] = {
	{ "candidate", "FILE.conf", CLI_STRING, A(candidate), 0, 0, "the sysctl.d file to test (required)" },
	{ "baseline", "FILE.conf|current", CLI_STRING, A(baseline), 0, 0,
	  "what it is compared with: a sysctl.d file, or this machine's current values (default)" },
	{ "repeat", "N", CLI_UINT, A(repeat), 0, 1000, "runs of each (default: the scenario's repeat, at least 3)" },
	DECIDE_RUN_OPTS(struct ab_cli, d),
	CMP_CLI_COMMON(struct ab_cli, c),
	{ "help", NULL, CLI_FLAG, A(help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef A

static void ab_usage(FILE *f)
{
	fprintf(f, "usage: mph ab --candidate FILE.conf [--baseline FILE.conf|current] [options] SCENARIO.ini\n\n"
		   "Runs SCENARIO under the baseline's sysctls and under the candidate's (a sysctl.d file as\n"
		   "systemd-sysctl reads it; only the sysctls mph may set), N times each, interleaved\n"
		   "(baseline, candidate, baseline, ...), and compares them metric by metric: better,\n"
		   "worse, or no measurable change. A key one file sets and the other does not keeps the\n"
		   "scenario's value, else this machine's current one. Gates (--fail-on, --gates) make it\n"
		   "exit 1, e.g. --fail-on 'probe.p99_ms:worse' --fail-on 'oom_kills > 0'.\n\n");
	cli_help(f, ab_opts);
	fprintf(f, "\nExit codes: 0 no gate tripped, 1 a gate tripped or a run could not be carried out, 2 bad\n"
		   "input (nothing was changed), 3 this machine cannot run it, 4 refused, 130 interrupted.\n");
}

struct ab_key {
	const char *name;
	char *base, *cand;
	const char *base_from, *cand_from; /* "FILE:LINE", "scenario", "current" */
};

/* A key's value on one side: the side's file, else the scenario's [sysctl], else
 * this machine's. NULL after printing why. */
static char *side_value(const struct sysctld *file, const struct scen_text *tx, const char *name, bool machine,
			const char **from)
{
	const struct sysctld_entry *e = file ? sysctld_find(file, name) : NULL;
	if (e) {
		*from = file->file;
		return xstrdup(e->value);
	}
	const char *v = scen_text_value(tx, "sysctl", name);
	if (v) {
		*from = "scenario";
		return xstrdup(v);
	}
	char *cur = NULL;
	if (machine || sysctl_read("/proc/sys", name, &cur) < 0) {
		fprintf(stderr, "mph ab: %s: no value for the side that does not set it: %s\n", name,
			machine ? "the scenario runs in a guest, whose current values are not this machine's; give "
				  "--baseline FILE.conf"
				: "this machine has no such sysctl");
		free(cur);
		return NULL;
	}
	*from = "current";
	return cur;
}

struct ab_ctx {
	struct ab_key *keys;
	size_t nkeys;
	const char *candidate, *baseline, *dir;
	unsigned rounds;
};

/* The verdicts in plain language: one line per metric, then a count. */
static void ab_verdicts(void *vctx, FILE *human, const struct cmp_table *t, json_t *json)
{
	struct ab_ctx *ab = vctx;
	size_t n[CV_CHANGED + 1] = { 0 };
	json_t *arr = json ? json_array() : NULL;
	if (human)
		fprintf(human, "\nverdicts, candidate %s against baseline %s:\n", ab->candidate, ab->baseline);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown || t->ng < 2)
			continue;
		const struct cmp_cell *c = &r->cells[1];
		n[c->verdict]++;
		char how[160] = "";
		if (r->outcome)
			snprintf(how, sizeof(how), "%s -> %s", r->cells[0].text, c->text);
		else if (isfinite(c->change_pct))
			snprintf(how, sizeof(how), "%+.2f%%", c->change_pct);
		else if (!isnan(c->change_pct))
			snprintf(how, sizeof(how), "%s from 0", c->diff > 0 ? "up" : "down");
		if (c->test.test != ST_NONE) {
			size_t l = strlen(how);
			snprintf(how + l, sizeof(how) - l, "%s%s p=%.3g", *how ? ", " : "", stats_test_name(c->test.test),
				 c->test.p);
		} else if (c->test.why) {
			size_t l = strlen(how);
			snprintf(how + l, sizeof(how) - l, "%s%s", *how ? ", " : "", c->test.why);
		}
		if (human)
			fprintf(human, "  %-24s %-20s (%s)\n", r->name, cmp_verdict_name(c->verdict), how);
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "metric", r->name, "verdict",
							     cmp_verdict_name(c->verdict), "detail", how));
	}
	if (human)
		fprintf(human, "verdict: %zu worse, %zu better, %zu changed, %zu without measurable change, %zu not tested\n",
			n[CV_WORSE], n[CV_BETTER], n[CV_CHANGED], n[CV_SAME], n[CV_UNTESTED]);
	if (json) {
		json_t *keys = json_array();
		for (size_t i = 0; i < ab->nkeys; i++)
			json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s, s:s}", "key", ab->keys[i].name, "baseline",
							      ab->keys[i].base, "baseline_from", ab->keys[i].base_from,
							      "candidate", ab->keys[i].cand, "candidate_from",
							      ab->keys[i].cand_from));
		json_object_set_new(json, "ab", json_pack("{s:s, s:s, s:s, s:I, s:o}", "candidate", ab->candidate, "baseline",
							  ab->baseline, "dir", ab->dir, "rounds", (json_int_t)ab->rounds,
							  "keys", keys));
		json_object_set_new(json, "verdicts", arr);
	}
}

/* One round's plan: its two jobs' runs, baseline first. EXIT_OK, or why not. */
static int take_round(struct cmp_runs *rs, const char *dir, unsigned round)
{
	char *pp = xasprintf("%s/plan.json", dir);
	json_t *plan = json_load_file(pp, 0, NULL);
	free(pp);
	json_t *jobs = json_object_get(plan, "jobs");
	int code = EXIT_OK;
	if (json_array_size(jobs) != 2) {
		fprintf(stderr, "mph ab: round %u: %s has no plan of two jobs\n", round, dir);
		code = EXIT_RUN_FAILED;
	}
	for (size_t i = 0; code == EXIT_OK && i < 2; i++) {
		json_t *job = json_array_get(jobs, i);
		const char *st = json_string_value(json_object_get(job, "status"));
		char *rj = xasprintf("%s/%s/run.json", dir, json_string_value(json_object_get(job, "dir")) ?: "?");
		json_t *run = st && strcmp(st, "done") == 0 ? json_load_file(rj, 0, NULL) : NULL;
		if (!run) {
			fprintf(stderr, "mph ab: round %u: the %s's job is %s: %s\n", round, i ? "candidate" : "baseline",
				st ? st : "?", json_string_value(json_object_get(job, "reason")) ?: "no run.json");
			code = EXIT_RUN_FAILED;
		} else {
			cmp_add(rs, rj, run, i ? "candidate" : "baseline");
		}
		free(rj);
	}
	json_decref(plan);
	return code;
}

int cmd_ab(int argc, char **argv)
{
	struct ab_cli c = { 0 };
	c.d.results = "results";
	c.d.state_dir = journal_default_dir();
	int npos = 0;
	if (cli_parse(ab_opts, &c, argc, argv, "mph ab", &npos) < 0) {
		fprintf(stderr, "(mph ab --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		ab_usage(stdout);
		return EXIT_OK;
	}
	if (npos != 1 || !c.candidate) {
		ab_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	int code = cmp_cli_check(&c.c, "mph ab");
	if (code != EXIT_OK)
		return code;
	c.d.cache_dir = getenv("MPH_CACHE_DIR") && *getenv("MPH_CACHE_DIR") ? getenv("MPH_CACHE_DIR") : "/var/cache/mph";
	const char *scenario = argv[1];
	struct scen_text tx = { 0 };
	struct sysctld cand = { 0 }, base = { 0 };
	bool have_base = c.baseline && strcmp(c.baseline, "current") != 0;
	struct ab_key *keys = NULL;
	size_t nkeys = 0, nvar = 0;
	struct cmp_runs rs = { 0 };
	char *dir = NULL;
	if ((code = decide_scenario(scenario, c.d.sets, c.d.nsets, &tx, &nvar)) != EXIT_OK)
		goto out;
	if (nvar != 1) {
		fprintf(stderr, "mph ab: %s sweeps (%zu variants); ab compares two settings of one scenario: fix its "
				"lists with --set\n", scenario, nvar);
		code = EXIT_BAD_INPUT;
		goto out;
	}
	bool machine = scen_header_line(&tx, "machine") > 0;
	bool guest = machine || run_in_guest();
	/* both files checked completely before anything runs: exit 2, nothing changed */
	const char *files[2] = { c.candidate, have_base ? c.baseline : NULL };
	struct sysctld *into[2] = { &cand, &base };
	for (int i = 0; i < 2; i++) {
		if (!files[i])
			continue;
		struct diags d = { .file = xstrdup(files[i]) };
		int r = sysctld_load(files[i], "/proc/sys", guest, into[i], &d);
		if (r == -EINVAL) {
			diags_print(&d);
			fprintf(stderr, "mph ab: %s: %zu problem(s); nothing was changed\n", files[i], d.n);
			code = EXIT_BAD_INPUT;
		} else if (r < 0) {
			fprintf(stderr, "mph ab: cannot read %s: %s\n", files[i], strerror(-r));
			code = EXIT_BAD_INPUT;
		}
		for (size_t k = 0; r == 0 && k < into[i]->nnotes; k++)
			fprintf(stderr, "mph ab: %s\n", into[i]->notes[k]);
		diags_free(&d);
	}
	if (code != EXIT_OK)
		goto out;
	/* every key either side sets, each with its value on both sides */
	for (int side = 0; side < 2; side++) {
		const struct sysctld *s = side ? &base : &cand;
		for (size_t i = 0; i < s->n; i++) {
			const char *name = s->v[i].def->name;
			size_t k = 0;
			while (k < nkeys && strcmp(keys[k].name, name) != 0)
				k++;
			if (k < nkeys)
				continue;
			keys = xrealloc(keys, (nkeys + 1) * sizeof(*keys));
			struct ab_key *key = &keys[nkeys++];
			*key = (struct ab_key){ .name = name };
			key->base = side_value(have_base ? &base : NULL, &tx, name, machine, &key->base_from);
			key->cand = side_value(&cand, &tx, name, machine, &key->cand_from);
			if (!key->base || !key->cand)
				code = EXIT_BAD_INPUT;
		}
	}
	if (code != EXIT_OK)
		goto out;
	size_t differ = 0;
	for (size_t k = 0; k < nkeys; k++)
		differ += strcmp(keys[k].base, keys[k].cand) != 0;
	if (!differ) {
		fprintf(stderr, "mph ab: %s sets nothing the baseline does not already have; nothing to compare\n",
			c.candidate);
		code = EXIT_BAD_INPUT;
		goto out;
	}
	const char *rep = scen_text_value(&tx, "scenario", "repeat");
	unsigned rounds = c.repeat ? c.repeat : rep && atoi(rep) > 3 ? (unsigned)atoi(rep) : 3;
	if (rounds < 2)
		fprintf(stderr, "mph ab: --repeat 1: one run of each cannot show a significant change\n");
	/* each round: the baseline's values then the candidate's, zipped */
	char **extra = xcalloc(nkeys + 3, sizeof(char *));
	size_t nextra = 0;
	extra[nextra++] = xstrdup("scenario.repeat=1");
	extra[nextra++] = xstrdup("scenario.sweep=zip");
	for (size_t k = 0; k < nkeys; k++)
		extra[nextra++] = strcmp(keys[k].base, keys[k].cand) == 0
					  ? xasprintf("sysctl.%s=%s", keys[k].name, keys[k].base)
					  : xasprintf("sysctl.%s=%s,%s", keys[k].name, keys[k].base, keys[k].cand);
	const char *name = scen_text_value(&tx, "scenario", "name");
	char *stem = NULL;
	if (!name) {
		const char *b = strrchr(scenario, '/');
		stem = xstrdup(b ? b + 1 : scenario);
		char *dot = strrchr(stem, '.');
		if (dot)
			*dot = '\0';
		name = stem;
	}
	dir = decide_dir(&c.d, name, "ab");
	free(stem);
	if (!dir)
		code = EXIT_RUN_FAILED;
	fprintf(stderr, "mph ab: %u round(s) of baseline then candidate in %s\n", rounds, dir ? dir : "?");
	for (size_t k = 0; dir && k < nkeys; k++)
		fprintf(stderr, "  %s: %s (%s) -> %s (%s)\n", keys[k].name, keys[k].base, keys[k].base_from, keys[k].cand,
			keys[k].cand_from);
	for (unsigned r = 1; dir && code == EXIT_OK && r <= rounds; r++) {
		struct plan_opts po;
		char *rd = xasprintf("%s/round%u", dir, r);
		decide_plan_opts(&c.d, &po, rd, (const char *const *)extra, nextra);
		int pc = plan_run(&po, scenario);
		if (pc == EXIT_OK || pc == EXIT_RUN_FAILED) /* a failed [expect] of the scenario is not ab's business */
			code = take_round(&rs, rd, r);
		else
			code = pc;
		if (code == EXIT_OK)
			fprintf(stderr, "mph ab: round %u of %u done\n", r, rounds);
		free(rd);
	}
	for (size_t i = 0; i < nextra; i++)
		free(extra[i]);
	free(extra);
	if (code == EXIT_OK) {
		struct cmp_group *g = NULL;
		size_t ng = 0;
		cmp_group_runs(&rs, CMP_BY_VARIANT, NULL, &g, &ng);
		struct ab_ctx ctx = { keys, nkeys, c.candidate, have_base ? c.baseline : "current", dir, rounds };
		c.c.baseline = "baseline";
		c.c.by = "baseline/candidate";
		code = cmp_cli_report(&c.c, "mph ab", &rs, g, ng, ab_verdicts, &ctx);
		cmp_groups_free(g, ng);
		fprintf(c.c.json ? stderr : stdout, "%s\n", dir);
	}
out:
	for (size_t k = 0; k < nkeys; k++) {
		free(keys[k].base);
		free(keys[k].cand);
	}
	free(keys);
	free(dir);
	cmp_runs_free(&rs);
	sysctld_free(&cand);
	sysctld_free(&base);
	scen_text_free(&tx);
	return code;
}
