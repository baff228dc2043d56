/* run.c - `mph run`: its command line, then the plan. */
#include "cmd.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/journal.h"
#include "../host/sysctl.h"
#include "../plan/plan.h"
#include "../../workloads/workload.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void run_usage(FILE *f)
{
	fprintf(f, "usage: mph run [options] [--kernel K]... SCENARIO.ini\n\n"
		   "Runs the scenario's workloads in a new memory cgroup below mph's own, with the\n"
		   "scenario's vm sysctls and swap, classifies how each workload ended, undoes every\n"
		   "change, and writes <results>/<scenario>/<UTC time>/run.json.\n"
		   "A scenario with a [machine] section, or --kernel, runs in a qemu guest instead;\n"
		   "several --kernel options run it on each (`host`: this machine), side by side in\n"
		   "<results>/<scenario>/<UTC time>/<kernel>/.\n\n"
		   "  --results DIR     where run directories go (default: results)\n"
		   "  --run-dir DIR     exactly this run directory (with several repeats: DIR-rN)\n"
		   "  --repeat N        run only repeat N of the scenario's repeats\n"
		   "  --kernel K        run in a guest booting K (6.12, 6.1, a release, a package,\n"
		   "                    IMAGE[:MODROOT]) or `host`; repeatable\n"
		   "  --vm KEY=VALUE    a [machine] key for this run (memory=2G, numa=1G,1G, swap=zram:512M ...)\n"
		   "  --jobs N          guests running at once (default 1; each takes a host core per vCPU)\n"
		   "  --cache-dir DIR   kernels and guest images (default: $MPH_CACHE_DIR or /var/cache/mph)\n"
		   "  --state-dir DIR   journal (default: $MPH_STATE_DIR or /var/lib/mph)\n"
		   "  --wait T          if another mph run is in progress, wait up to T for it (default: refuse)\n\n"
		   "Sysctls a scenario may set ([sysctl]):\n");
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		fprintf(f, "  %-28s %lld..%lld  %s\n", sysctl_defs[i].name, sysctl_defs[i].min, sysctl_defs[i].max,
			sysctl_defs[i].help);
	fprintf(f, "\nWorkloads ([workload NAME] type = ...):\n");
	for (size_t i = 0; workloads[i]; i++)
		fprintf(f, "  %-12s %s\n", workloads[i]->name, workloads[i]->summary);
	fprintf(f, "\nExit codes: 0 run done (outcomes are in run.json), 1 run failed, 2 bad input,\n"
		   "3 unsupported here, 4 refused (lock or pending journal), 130 interrupted.\n");
}

/* A whole number 1..max given to an option; says what was expected when it is not. */
static int uint_arg(const char *opt, const char *s, unsigned max, const char *what, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || !isdigit((unsigned char)*s) || v < 1 || v > max) {
		fprintf(stderr, "mph run: %s %s: expected %s 1..%u\n", opt, s, what, max);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { .results = "results", .state_dir = journal_default_dir() };
	static const struct option lo[] = {
		{ "results", required_argument, NULL, 'r' },
		{ "run-dir", required_argument, NULL, 'd' },
		{ "repeat", required_argument, NULL, 'n' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "vm", required_argument, NULL, 'v' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r': o.results = optarg; break;
		case 'd': o.run_dir = optarg; break;
		case 'c': o.cache_dir = optarg; break;
		case 's': o.state_dir = optarg; break;
		case 'n':
			if (uint_arg("--repeat", optarg, 1000, "a repeat number", &o.only_repeat) < 0)
				return EXIT_BAD_INPUT;
			break;
		case 'j':
			if (uint_arg("--jobs", optarg, 8, "guests at once", &o.jobs) < 0)
				return EXIT_BAD_INPUT;
			break;
		case 'v':
			if (o.nvm == ARRAY_SIZE(o.vm_set) - 1) {
				fprintf(stderr, "mph run: at most %zu --vm options\n", ARRAY_SIZE(o.vm_set) - 1);
				return EXIT_BAD_INPUT;
			}
			o.vm_set[o.nvm++] = optarg;
			break;
		case 'k':
			if (o.nkernels == ARRAY_SIZE(o.kernels)) {
				fprintf(stderr, "mph run: at most %zu --kernel options\n", ARRAY_SIZE(o.kernels));
				return EXIT_BAD_INPUT;
			}
			o.kernels[o.nkernels++] = optarg;
			break;
		case 'w':
			if (parse_duration_ms(optarg, &o.wait_ms) < 0 || o.wait_ms > UINT32_MAX) {
				fprintf(stderr, "mph run: --wait %s: expected a duration such as 30s or 5m\n", optarg);
				return EXIT_BAD_INPUT;
			}
			break;
		case 'h': run_usage(stdout); return EXIT_OK;
		default: run_usage(stderr); return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc - 1) {
		run_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	o.in_guest = run_in_guest();
	if (!o.cache_dir)
		o.cache_dir = getenv("MPH_CACHE_DIR") && *getenv("MPH_CACHE_DIR") ? getenv("MPH_CACHE_DIR") : "/var/cache/mph";
	return plan_run(&o, argv[optind]);
}
