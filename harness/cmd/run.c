/* run.c - `mph run`: its command line (an option table, core/cli.h), then the plan. */
#include "cmd.h"
#include "../core/cli.h"
#include "../core/util.h"
#include "../host/journal.h"
#include "../host/sysctl.h"
#include "../plan/plan.h"
#include "../../workloads/workload.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run_cli {
	struct plan_opts po;
	const char *vm[PLAN_MAX_SETS];
	size_t nvm;
	bool help;
};

#define R(f) offsetof(struct run_cli, po.run.f)
#define P(f) offsetof(struct run_cli, po.f)
static const struct cli_opt run_opts[] = {
	{ "results", "DIR", CLI_STRING, R(results), 0, 0, "where plan directories go (default: results)" },
	{ "run-dir", "DIR", CLI_STRING, R(run_dir), 0, 0,
	  "exactly this directory: the plan's, or (one job) the run's own" },
	{ "repeat", "N", CLI_UINT, R(only_repeat), 0, 1000, "run only repeat N of the scenario's repeats" },
	{ "set", "S.K=V[,V...]", CLI_LIST, P(sets), P(nsets), PLAN_MAX_SETS,
	  "set or sweep any key: sysctl.vm.swappiness=0,60  cgroup.memory.max=64M..256M/64M  leaker.size=32M" },
	{ "kernel", "K", CLI_LIST, R(kernels), R(nkernels), 16,
	  "run in a guest booting K (6.12, 6.1, a release, a package, IMAGE[:MODROOT]) or `host`; repeatable" },
	{ "vm", "KEY=VALUE", CLI_LIST, offsetof(struct run_cli, vm), offsetof(struct run_cli, nvm), PLAN_MAX_SETS,
	  "a [machine] key (the same as --set machine.KEY=VALUE)" },
	{ "jobs", "N", CLI_UINT, R(jobs), 0, 8, "guests running at once (default 1; each takes a host core per vCPU)" },
	{ "dry-run", NULL, CLI_FLAG, P(dry_run), 0, 0, "validate, print the jobs and what each would change; change nothing" },
	{ "junit", "FILE", CLI_STRING, P(junit), 0, 0, "write the verdicts as JUnit XML (a testcase per job x assertion)" },
	{ "prom", "FILE", CLI_STRING, P(prom), 0, 0,
	  "write the runs' metrics for node_exporter's textfile collector (Prometheus text format, atomically)" },
	{ "lava", "FILE", CLI_STRING, P(lava), 0, 0, "write the verdicts as LAVA test cases for lava-test-case (docs/lava.md)" },
	{ "report", NULL, CLI_FLAG, P(report), 0, 0, "write report.html (verdicts, plots, OOM kills: mph report) into the plan's directory" },
	{ "tap", NULL, CLI_FLAG, P(tap), 0, 0, "print TAP version 14 on stdout (the human summary goes to stderr)" },
	{ "json", NULL, CLI_FLAG, P(json), 0, 0, "print plan.json's summary on stdout (the human summary goes to stderr)" },
	{ "quiet", NULL, CLI_FLAG, P(quiet), 0, 0, "no per-job summaries or progress: the verdict table only" },
	{ "resume", "DIR", CLI_STRING, P(resume), 0, 0, "run the jobs of the plan in DIR that are not done (no SCENARIO)" },
	{ "cache-dir", "DIR", CLI_STRING, R(cache_dir), 0, 0, "kernels and guest images (default: $MPH_CACHE_DIR or /var/cache/mph)" },
	{ "state-dir", "DIR", CLI_STRING, R(state_dir), 0, 0, "journal (default: $MPH_STATE_DIR or /var/lib/mph)" },
	{ "wait", "T", CLI_DURATION, R(wait_ms), 0, 86400, "if another mph run is in progress, wait up to T for it (default: refuse)" },
	{ "help", NULL, CLI_FLAG, offsetof(struct run_cli, help), 0, 0, "this help" },
	{ NULL, NULL, 0, 0, 0, 0, NULL },
};
#undef R
#undef P

static void run_usage(FILE *f)
{
	fprintf(f, "usage: mph run [options] SCENARIO.ini\n"
		   "       mph run --resume DIR\n\n"
		   "Runs the scenario's plan: each variant of its sweep (keys given as lists) x each\n"
		   "kernel x each repeat. A job runs the workloads in a new memory cgroup below mph's\n"
		   "own, with the scenario's vm sysctls and swap, classifies how each workload ended,\n"
		   "undoes every change and writes its run.json; [expect] assertions are checked\n"
		   "against what the kernel did. A scenario with a [machine] section, or --kernel,\n"
		   "runs in qemu guests. Results: <results>/<scenario>/<UTC time>/plan.json.\n\n");
	cli_help(f, run_opts);
	fprintf(f, "\nSysctls a scenario may set ([sysctl]):\n");
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		fprintf(f, "  %-28s %lld..%lld  %s\n", sysctl_defs[i].name, sysctl_defs[i].min, sysctl_defs[i].max,
			sysctl_defs[i].help);
	fprintf(f, "\nWorkloads ([workload NAME] type = ...):\n");
	for (size_t i = 0; workloads[i]; i++)
		fprintf(f, "  %-12s %s\n", workloads[i]->name, workloads[i]->summary);
	fprintf(f, "\nExit codes: 0 every expectation held (or none was declared), 1 one failed or a job\n"
		   "could not be carried out, 2 bad input, 3 this machine cannot run it, 4 refused\n"
		   "(lock or pending journal), 130 interrupted.\n");
}

int cmd_run(int argc, char **argv)
{
	static struct run_cli c; /* --vm strings live as long as the plan */
	memset(&c, 0, sizeof(c));
	c.po.run.results = "results";
	c.po.run.state_dir = journal_default_dir();
	int npos = 0;
	if (cli_parse(run_opts, &c, argc, argv, "mph run", &npos) < 0) {
		fprintf(stderr, "(mph run --help for the options)\n");
		return EXIT_BAD_INPUT;
	}
	if (c.help) {
		run_usage(stdout);
		return EXIT_OK;
	}
	if ((c.po.resume ? npos != 0 : npos != 1)) {
		run_usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (c.po.tap + c.po.json > 1) {
		fprintf(stderr, "mph run: --tap and --json both want stdout; choose one\n");
		return EXIT_BAD_INPUT;
	}
	/* --vm KEY=VALUE is --set machine.KEY=VALUE */
	static char *vmsets[PLAN_MAX_SETS];
	for (size_t i = 0; i < c.nvm; i++) {
		if (c.po.nsets == PLAN_MAX_SETS) {
			fprintf(stderr, "mph run: at most %d --set and --vm options\n", PLAN_MAX_SETS);
			return EXIT_BAD_INPUT;
		}
		vmsets[i] = xasprintf("machine.%s", c.vm[i]);
		c.po.sets[c.po.nsets++] = vmsets[i];
	}
	c.po.run.in_guest = run_in_guest();
	if (!c.po.run.cache_dir)
		c.po.run.cache_dir = getenv("MPH_CACHE_DIR") && *getenv("MPH_CACHE_DIR") ? getenv("MPH_CACHE_DIR") : "/var/cache/mph";
	/* machine-readable output owns stdout: the human summary moves to stderr */
	c.po.run.out = c.po.tap || c.po.json ? stderr : stdout;
	int code = plan_run(&c.po, c.po.resume ? NULL : argv[1]);
	for (size_t i = 0; i < c.nvm; i++)
		free(vmsets[i]);
	return code;
}
