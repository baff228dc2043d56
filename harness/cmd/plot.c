/* plot.c - `mph plot`: a run's timeline, or a plan's sweep or kernel plot, drawn by
 * gnuplot (report/plot.h) into an SVG or PNG. */
#include "cmd.h"
#include "../core/cli.h"
#include "../core/exit.h"
#include "../core/util.h"
#include "../report/plot.h"
#include "../report/report.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plot_cli {
	const char *output, *what, *metric;
	unsigned width;
	bool help;
};

#define F(f) offsetof(struct plot_cli, f)
static const struct cli_opt plot_opts_tab[] = {
	{ "output", "FILE", CLI_STRING, F(output), 0, 0, "FILE.svg or FILE.png (-o; default: timeline.svg, sweep.svg or kernels.svg in the directory)" },
	{ "what", "W", CLI_STRING, F(what), 0, 0,
	  "a run: memory, reclaim, psi, refaults, processes or all (default; a comma-separated list is fine); a plan: sweep or kernels" },
	{ "metric", "M", CLI_STRING, F(metric), 0, 0, "a plan's metric (docs/results.md; default swap_out_mb): oom_kills, leaker.fill_seconds" },
	{ "width", "PX", CLI_UINT, F(width), 0, 4000, "width in pixels (default 960)" },
	{ "help", NULL, CLI_FLAG, F(help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef F

static void plot_usage(FILE *f)
{
	fprintf(f, "usage: mph plot RUN [-o FILE.svg|FILE.png] [--what memory|reclaim|psi|refaults|processes|all]\n"
		   "       mph plot PLAN [-o FILE] [--what sweep|kernels] [--metric M]\n\n"
		   "RUN is a run's directory or its run.json: its timeline from samples.csv, events.jsonl\n"
		   "and processes.csv (memory composition, reclaim rates, PSI, refaults, the largest\n"
		   "processes; OOM kills, phases and timed actions marked). PLAN is a plan's directory or\n"
		   "its plan.json: a metric against the swept key with error bars over repeats, or\n"
		   "across kernels; a plan that sweeps nothing on one kernel plots its first job's timeline.\n"
		   "Needs gnuplot (Debian: gnuplot-nox). docs/plots.md.\n\n");
	cli_help(f, plot_opts_tab);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* the first done job's directory of a plan */
static char *first_job_dir(const char *dir, const json_t *plan)
{
	size_t i;
	const json_t *j;
	json_array_foreach (json_object_get(plan, "jobs"), i, j) {
		const char *st = report_str(j, "status", ""), *d = report_str(j, "dir", NULL);
		if (d && strcmp(st, "done") == 0)
			return xasprintf("%s/%s", dir, d);
	}
	return NULL;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_cli c = { 0 };
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = "--output";
	int npos = 0;
	if (cli_parse(plot_opts_tab, &c, argc, argv, "mph plot", &npos) < 0) {
		fprintf(stderr, "(mph plot --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		plot_usage(stdout);
		return EXIT_OK;
	}
	if (npos != 1) {
		plot_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = PLOT_ALL, .width = c.width };
	if (c.output && has_suffix(c.output, ".png"))
		o.fmt = PLOT_PNG;
	else if (c.output && !has_suffix(c.output, ".svg")) {
		fprintf(stderr, "mph plot: %s: the output's name ends in .svg or .png\n", c.output);
		return EXIT_BAD_INPUT;
	}
	char *dir = NULL, *rundir = NULL, *script = NULL, *out = NULL, *dflt = NULL;
	bool is_plan = false;
	json_t *plan = NULL;
	int code = EXIT_RUN_FAILED, r;
	char err[512] = "";
	size_t slen = 0, olen = 0;
	if ((r = plot_locate(argv[1], &dir, &is_plan)) < 0) {
		fprintf(stderr, "mph plot: %s: neither a run (run.json, samples.csv) nor a plan (plan.json)\n", argv[1]);
		return EXIT_BAD_INPUT;
	}
	bool plan_what = c.what && (strcmp(c.what, "sweep") == 0 || strcmp(c.what, "kernels") == 0);
	if (is_plan) {
		char *pj = xasprintf("%s/plan.json", dir);
		r = report_plan_load(pj, &plan);
		if (r < 0) {
			fprintf(stderr, "mph plot: %s: %s\n", pj, r == -EINVAL ? "not an mph-plan/1 file" : strerror(-r));
			free(pj);
			goto out;
		}
		free(pj);
		bool kernels = c.what ? strcmp(c.what, "kernels") == 0
				      : json_array_size(json_object_get(plan, "axes")) == 0;
		if (c.what && !plan_what) {
			fprintf(stderr, "mph plot: %s is a plan: --what sweep or kernels (or give one of its runs)\n", argv[1]);
			code = EXIT_BAD_INPUT;
			goto out;
		}
		const char *metric = c.metric ? c.metric : "swap_out_mb";
		r = kernels ? plot_kernels_script(dir, plan, metric, &o, &script, &slen, err, sizeof(err))
			    : plot_sweep_script(dir, plan, metric, &o, &script, &slen, err, sizeof(err));
		if (r == -ENODATA && !c.what && (rundir = first_job_dir(dir, plan))) {
			fprintf(stderr, "mph plot: %s sweeps nothing on one kernel; plotting its first job's timeline\n", argv[1]);
			is_plan = false;
		} else if (r < 0) {
			fprintf(stderr, "mph plot: %s\n", err);
			goto out;
		} else {
			dflt = xasprintf("%s/%s.%s", dir, kernels ? "kernels" : "sweep", o.fmt == PLOT_PNG ? "png" : "svg");
		}
	} else if (plan_what) {
		fprintf(stderr, "mph plot: %s is a run, not a plan: --what %s needs a plan's directory\n", argv[1], c.what);
		code = EXIT_BAD_INPUT;
		goto out;
	}
	if (!is_plan) {
		const char *rd = rundir ? rundir : dir;
		if (c.what && plot_panels_parse(c.what, &o.panels) < 0) {
			fprintf(stderr, "mph plot: --what %s: memory, reclaim, psi, refaults, processes or all\n", c.what);
			code = EXIT_BAD_INPUT;
			goto out;
		}
		if ((r = plot_timeline_script(rd, &o, &script, &slen, err, sizeof(err))) < 0) {
			fprintf(stderr, "mph plot: %s\n", err);
			goto out;
		}
		dflt = xasprintf("%s/timeline.%s", rd, o.fmt == PLOT_PNG ? "png" : "svg");
	}
	if ((r = plot_render(script, slen, &out, &olen, err, sizeof(err))) < 0) {
		fprintf(stderr, "mph plot: %s\n", err);
		code = r == -ENOENT ? EXIT_UNSUPPORTED : EXIT_RUN_FAILED;
		goto out;
	}
	const char *path = c.output ? c.output : dflt;
	if ((r = write_file_atomic(path, out, olen)) < 0) {
		fprintf(stderr, "mph plot: cannot write %s: %s\n", path, strerror(-r));
		goto out;
	}
	printf("%s\n", path);
	code = EXIT_OK;
out:
	json_decref(plan);
	free(dir), free(rundir), free(script), free(out), free(dflt);
	return code;
}
