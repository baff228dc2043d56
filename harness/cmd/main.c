/* main.c - mph's command dispatcher: one table entry per subcommand. */
#include "cmd.h"
#include "../core/util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", cmd_run, "run a scenario: workloads in a limited memory cgroup, sysctls applied and undone" },
	{ "record", cmd_record, "record reclaim, swap, PSI and OOM of a cgroup or a command, without a scenario" },
	{ "restore", cmd_restore, "undo what an interrupted run left in place (from its journal)" },
	{ "compare", cmd_compare, "compare runs metric by metric: means, changes, significance, regression gates" },
	{ "ab", cmd_ab, "run a scenario under the current sysctls and a sysctl.d candidate, interleaved, and judge" },
	{ "search", cmd_search, "find the largest value of a key for which a condition holds (bisection)" },
	{ "plot", cmd_plot, "draw a run's timeline or a plan's sweep with gnuplot (SVG, PNG)" },
	{ "report", cmd_report, "one self-contained HTML page about runs and plans: verdicts, plots, OOM kills" },
	{ "doctor", cmd_doctor, "what this machine supports, and what is unavailable and why" },
};

static void usage(FILE *f)
{
	fprintf(f, "mph %s - memory-pressure harness\n\nusage: mph COMMAND [options]\n\n", MPH_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`mph COMMAND --help` for each.\n");
}

int main(int argc, char **argv)
{
	/* An ignored SIGCHLD is inherited across exec and makes the kernel reap our
	 * children itself: mph must be the one to reap its workloads. */
	signal(SIGCHLD, SIG_DFL);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("mph %s\n", MPH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	const char *names[ARRAY_SIZE(commands)];
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		names[i] = commands[i].name;
	const char *s = nearest_name(argv[1], names, ARRAY_SIZE(commands));
	fprintf(stderr, "mph: unknown command '%s'%s%s%s\n", argv[1], s ? " (did you mean " : "", s ? s : "", s ? "?)" : "");
	usage(stderr);
	return 2;
}
