/* main.c - the shared main of every workload binary. The binary's name picks the
 * workload (workloads/anonleak runs wl_anonleak); the workload's option table gives
 * the command line and --help, its check the rules between options (refused with exit
 * code 2 before anything runs). Common options: --report-fd, --report-interval and
 * the NUMA placement. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_stop(int sig)
{
	(void)sig;
	wl_stop = 1;
}

static void usage(FILE *f, const struct workload *w)
{
	fprintf(f, "usage: %s [--option=value ...]\n%s\n\nOptions:\n", w->name, w->summary);
	opt_help(f, w->opts);
	opt_help(f, wl_common_opts);
	fprintf(f, "  --help\n      this text\n\nSizes take k/M/G/T (1024-based); durations ms/s/m/h.\n"
		   "Exit codes: 0 done, 1 error, 2 bad usage, 3 an allocation failed (ENOMEM).\n");
}

int main(int argc, char **argv)
{
	const char *name = basename(argv[0]);
	const struct workload *w = workload_find(name);
	if (!w) {
		fprintf(stderr, "%s: no workload of that name (the binary's name selects the workload)\n", name);
		return WL_EXIT_USAGE;
	}
	void *cfg = xcalloc(1, w->cfg_size);
	struct wl_common com = { 0 };
	if (opt_defaults(w->opts, cfg) < 0 || opt_defaults(wl_common_opts, &com) < 0) {
		fprintf(stderr, "%s: internal error: a default does not parse\n", name);
		return WL_EXIT_ERROR;
	}
	const struct opt *seen[64] = { 0 };
	size_t nseen = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout, w);
			return WL_EXIT_OK;
		}
		if (strncmp(a, "--", 2) != 0) {
			fprintf(stderr, "%s: unexpected argument '%s' (options look like --name=value)\n", name, a);
			return WL_EXIT_USAGE;
		}
		char *key = xstrdup(a + 2), *val = strchr(key, '=');
		if (val)
			*val++ = '\0';
		const struct opt *o = opt_find(w->opts, key);
		void *target = cfg;
		if (!o) {
			o = opt_find(wl_common_opts, key);
			target = &com;
		}
		if (!val && o && o->type == OPT_BOOL) {
			val = "yes"; /* a bare --flag */
		} else if (!val && i + 1 < argc) {
			val = argv[++i];
		} else if (!val) {
			fprintf(stderr, "%s: --%s needs a value\n", name, key);
			return WL_EXIT_USAGE;
		}
		if (!o) {
			const char *s = opt_suggest(w->opts, key);
			fprintf(stderr, "%s: unknown option --%s%s%s%s\n", name, key, s ? " (did you mean --" : "",
				s ? s : "", s ? "?)" : "");
			return WL_EXIT_USAGE;
		}
		char oerr[256];
		/* Standalone, a percentage has no base: mph resolves them before exec. */
		if (opt_set(o, target, val, 0, oerr, sizeof(oerr)) < 0) {
			fprintf(stderr, "%s: --%s: %s\n", name, key, oerr);
			return WL_EXIT_USAGE;
		}
		if (nseen < ARRAY_SIZE(seen))
			seen[nseen++] = o;
		free(key);
	}
	for (const struct opt *o = w->opts; o->name; o++) {
		if (!o->required)
			continue;
		int found = 0;
		for (size_t k = 0; k < nseen; k++)
			found |= seen[k] == o;
		if (!found) {
			fprintf(stderr, "%s: --%s is required (see --help)\n", name, o->name);
			return WL_EXIT_USAGE;
		}
	}

	/* the rules between options, as mph checked them when it validated the scenario */
	struct wl_problems probs = { 0 };
	if (wl_check(w, cfg, &com, 0, &probs) < 0) {
		for (size_t i = 0; i < probs.n; i++)
			fprintf(stderr, "%s: %s\n", name, probs.v[i].msg);
		return WL_EXIT_USAGE;
	}
	char err[256];
	if (wl_apply_numa(com.membind, com.interleave, com.preferred, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		return WL_EXIT_USAGE;
	}

	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct wl_ctx ctx = {
		.report_fd = (int)com.report_fd,
		.report_interval_ms = com.report_interval,
		.t0 = now_s(),
		.name = w->name,
	};
	ctx.next_progress = ctx.t0 + (double)com.report_interval / 1000.0;
	int rc = w->run(cfg, &ctx);
	free(cfg);
	return rc;
}
