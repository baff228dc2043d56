/* report.c - `mph report`: one self-contained HTML page about runs and plans. */
#include "cmd.h"
#include "../core/cli.h"
#include "../core/exit.h"
#include "../core/util.h"
#include "../report/plot.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define REPORT_MAX_METRICS 16

struct report_cli {
	const char *output;
	const char *metrics[REPORT_MAX_METRICS];
	size_t nmetrics;
	unsigned timelines;
	bool help;
};

#define F(f) offsetof(struct report_cli, f)
static const struct cli_opt report_opts_tab[] = {
	{ "output", "FILE", CLI_STRING, F(output), 0, 0, "the page to write (-o; required)" },
	{ "metric", "M", CLI_LIST, F(metrics), F(nmetrics), REPORT_MAX_METRICS,
	  "a metric for the comparison table and the sweep plots (repeatable; default: a set of the usual ones)" },
	{ "timelines", "N", CLI_UINT, F(timelines), 0, 1000, "timelines per plan at most (default 12; the other jobs are listed)" },
	{ "help", NULL, CLI_FLAG, F(help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef F

static void report_usage(FILE *f)
{
	fprintf(f, "usage: mph report RUN_OR_PLAN... -o report.html\n\n"
		   "Writes one HTML file that needs nothing else (style and plots inline, nothing\n"
		   "fetched): per plan or run the scenario as written, the machine and kernel, the\n"
		   "settings from -> to, each expectation with its measured value, a comparison of the\n"
		   "jobs, the timelines and sweep plots (gnuplot), and the OOM kills with their\n"
		   "evidence. Readable on a phone and printable. docs/plots.md.\n\n");
	cli_help(f, report_opts_tab);
}

int cmd_report(int argc, char **argv)
{
	static struct report_cli c;
	memset(&c, 0, sizeof(c));
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = "--output";
	int npos = 0;
	if (cli_parse(report_opts_tab, &c, argc, argv, "mph report", &npos) < 0) {
		fprintf(stderr, "(mph report --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		report_usage(stdout);
		return EXIT_OK;
	}
	if (npos < 1 || !c.output) {
		report_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	struct report_html_opts o = { .metrics = c.nmetrics ? c.metrics : NULL, .nmetrics = c.nmetrics,
				      .max_timelines = c.timelines };
	char err[512] = "";
	int r = report_html_file(c.output, (const char *const *)argv + 1, (size_t)npos, &o, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "mph report: %s\n", *err ? err : strerror(-r));
		return r == -ENOENT ? EXIT_BAD_INPUT : EXIT_RUN_FAILED;
	}
	if (*err)
		fprintf(stderr, "mph report: %s\n", err);
	printf("%s\n", c.output);
	return EXIT_OK;
}
