/* compare.c - `mph compare RUN_OR_DIR...`: runs grouped and compared metric by metric
 * (report/compare.h), regression gates and their exit code. Also the report that
 * `mph ab` ends in (decide.h). */
#include "cmd.h"
#include "decide.h"
#include "../core/exit.h"
#include "../core/util.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmp_cli_check(const struct cmp_cli *c, const char *prog)
{
	if (c->json + c->csv + c->markdown > 1) {
		fprintf(stderr, "%s: --json, --csv and --markdown all want stdout; choose one\n", prog);
		return EXIT_BAD_INPUT;
	}
	if (c->alpha) {
		char *end;
		double a = strtod(c->alpha, &end);
		if (end == c->alpha || *end || !(a > 0 && a < 1)) {
			fprintf(stderr, "%s: --alpha %s: expected a probability between 0 and 1 (0.05)\n", prog, c->alpha);
			return EXIT_BAD_INPUT;
		}
	}
	if (c->test && strcmp(c->test, "auto") != 0 && strcmp(c->test, "welch") != 0 && strcmp(c->test, "mwu") != 0) {
		fprintf(stderr, "%s: --test %s: expected auto, welch or mwu\n", prog, c->test);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

static int load_gates(const struct cmp_cli *c, const char *prog, struct gate **g, size_t *n)
{
	char err[4096];
	for (size_t i = 0; i < c->nfail_on; i++) {
		struct gate one;
		if (gate_parse(c->fail_on[i], &one, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: --fail-on %s\n", prog, err);
			return EXIT_BAD_INPUT;
		}
		*g = xrealloc(*g, (*n + 1) * sizeof(**g));
		(*g)[(*n)++] = one;
	}
	if (c->gates && gates_load(c->gates, g, n, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

int cmp_cli_report(const struct cmp_cli *c, const char *prog, struct cmp_runs *rs, struct cmp_group *g, size_t ng,
		   cmp_extra_fn extra, void *ctx)
{
	struct cmp_opts o = {
		.baseline = c->baseline,
		.alpha = c->alpha ? strtod(c->alpha, NULL) : 0.05,
		.test = !c->test || strcmp(c->test, "auto") == 0 ? SC_AUTO : strcmp(c->test, "welch") == 0 ? SC_WELCH : SC_MWU,
		.metrics = c->nmetrics ? c->metrics : NULL,
		.nmetrics = c->nmetrics,
		.all = c->all,
		.by = c->by ? c->by : "variant",
	};
	struct cmp_table t;
	struct gate *gates = NULL;
	struct gate_verdict *gv = NULL;
	size_t ngates = 0, ngv = 0;
	char err[1024];
	int code = load_gates(c, prog, &gates, &ngates);
	if (code != EXIT_OK) {
		gates_free(gates, ngates);
		return code;
	}
	if (cmp_build(&t, rs, g, ng, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		cmp_table_free(&t);
		gates_free(gates, ngates);
		return EXIT_BAD_INPUT;
	}
	if (gates_eval(&t, gates, ngates, &gv, &ngv, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		cmp_table_free(&t);
		gates_free(gates, ngates);
		return EXIT_BAD_INPUT;
	}
	bool text = !c->json && !c->csv && !c->markdown;
	FILE *human = text ? stdout : stderr;
	if (c->json) {
		json_t *j = cmp_json(&t);
		json_object_set_new(j, "gates", gates_json(&t, gv, ngv));
		if (extra)
			extra(ctx, NULL, &t, j);
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	} else if (c->csv) {
		cmp_print_csv(stdout, &t);
	} else if (c->markdown) {
		cmp_print_markdown(stdout, &t);
	} else {
		fprintf(stdout, "%zu run(s) in %zu group(s) by %s\n\n", rs->n, ng, o.by);
		cmp_print_text(stdout, &t);
	}
	if (extra && !c->json)
		extra(ctx, human, &t, NULL);
	size_t tripped = 0, errors = 0;
	for (size_t i = 0; i < ngv; i++) {
		tripped += gv[i].r == GR_TRIP;
		errors += gv[i].r == GR_ERROR;
	}
	if (ngv) {
		FILE *f = c->json ? stderr : human;
		fprintf(f, "\ngates: %zu check(s) of %zu gate(s): %zu tripped, %zu not evaluable\n", ngv, ngates, tripped,
			errors);
		for (size_t i = 0; i < ngv; i++)
			if (gv[i].r == GR_TRIP || gv[i].r == GR_ERROR)
				fprintf(f, "  %s %s\n", gv[i].r == GR_TRIP ? "TRIPPED" : "ERROR  ", gv[i].message);
	}
	if (c->junit && gates_junit_file(c->junit, &t, gv, ngv) < 0) {
		fprintf(stderr, "%s: cannot write %s\n", prog, c->junit);
		code = EXIT_RUN_FAILED;
	}
	fflush(stdout);
	if (tripped || errors)
		code = EXIT_RUN_FAILED;
	gate_verdicts_free(gv, ngv);
	gates_free(gates, ngates);
	cmp_table_free(&t);
	return code;
}

struct compare_cli {
	struct cmp_cli c;
	bool help;
};

#define C(f) offsetof(struct compare_cli, c.f)
static const struct cli_opt compare_opts[] = {
	{ "by", "variant|kernel|host|KEY", CLI_STRING, C(by), 0, 0,
	  "group the runs by (default variant; KEY: a scenario key such as vm.swappiness or leaker.size)" },
	{ "baseline", "GROUP", CLI_STRING, C(baseline), 0, 0, "the group the others are compared with (default: the first)" },
	CMP_CLI_COMMON(struct compare_cli, c),
	{ "help", NULL, CLI_FLAG, offsetof(struct compare_cli, help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef C

static void compare_usage(FILE *f)
{
	fprintf(f, "usage: mph compare [options] RUN_OR_DIR...\n\n"
		   "Compares runs metric by metric: a run.json, a plan directory (its jobs), or any\n"
		   "directory (every run.json below it, from one machine or several). One row per metric,\n"
		   "one column per group: the mean over its runs, the standard deviation, the change\n"
		   "against the baseline and a mark when the change is significant (*t Welch's t-test,\n"
		   "*U Mann-Whitney U, *F Fisher's exact test). Reads result files only.\n\n");
	cli_help(f, compare_opts);
	fprintf(f, "\nExit codes: 0 no gate tripped, 1 a gate tripped or could not be evaluated, 2 bad input.\n");
}

int cmd_compare(int argc, char **argv)
{
	struct compare_cli c = { 0 };
	int npos = 0;
	if (cli_parse(compare_opts, &c, argc, argv, "mph compare", &npos) < 0) {
		fprintf(stderr, "(mph compare --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		compare_usage(stdout);
		return EXIT_OK;
	}
	if (npos < 1) {
		compare_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	int code = cmp_cli_check(&c.c, "mph compare");
	if (code != EXIT_OK)
		return code;
	struct cmp_runs rs = { 0 };
	char err[1024];
	for (int i = 1; i <= npos; i++)
		if (cmp_load(&rs, argv[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "mph compare: %s\n", err);
			cmp_runs_free(&rs);
			return EXIT_BAD_INPUT;
		}
	for (size_t i = 0; i < rs.nnotes; i++)
		fprintf(stderr, "mph compare: %s\n", rs.notes[i]);
	enum cmp_by by;
	const char *key;
	cmp_parse_by(c.c.by ? c.c.by : "variant", &by, &key);
	struct cmp_group *g = NULL;
	size_t ng = 0;
	cmp_group_runs(&rs, by, key, &g, &ng);
	if (by == CMP_BY_KEY && ng == 1 && strcmp(g[0].name, "-") == 0)
		fprintf(stderr, "mph compare: --by %s: no run sets that key\n", key);
	code = cmp_cli_report(&c.c, "mph compare", &rs, g, ng, NULL, NULL);
	cmp_groups_free(g, ng);
	cmp_runs_free(&rs);
	return code;
}
