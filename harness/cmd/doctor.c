/* doctor.c - `mph doctor`: what this machine supports, and which scenario features
 * are unavailable here and why. Reads only; the one probe that writes (lowering
 * oom_score_adj) touches mph's own process and is put back. */
#define _GNU_SOURCE
#include "cmd.h"
#include "../core/probe.h"
#include "../host/cgroup.h"
#include "../host/journal.h"
#include "../host/result.h"
#include "../runner/runner.h"
#include "../host/sysctl.h"
#include "../core/util.h"
#include "../runner/vm.h"

#include <errno.h>
#include <numa.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define line probe_line

/* Lowering oom_score_adj needs CAP_SYS_RESOURCE; try by one step and put it back. */
static int can_lower_oom_score_adj(int *cur)
{
	long long v;
	if (read_file_ll("/proc/self/oom_score_adj", &v) < 0)
		return -1;
	*cur = (int)v;
	if (v <= -1000)
		return 1;
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v - 1);
	if (write_file("/proc/self/oom_score_adj", buf) < 0)
		return 0;
	snprintf(buf, sizeof(buf), "%lld", v);
	(void)write_file("/proc/self/oom_score_adj", buf); /* raising needs no privilege */
	return 1;
}

int cmd_doctor(int argc, char **argv)
{
	const char *cache_dir = getenv("MPH_CACHE_DIR") && *getenv("MPH_CACHE_DIR") ? getenv("MPH_CACHE_DIR") : "/var/cache/mph";
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: mph doctor [--cache-dir DIR]\n\nPrints what this machine supports for mph and what is unavailable, with reasons,\n"
		       "and whether scenarios can run in a qemu guest here (what that would download).\n");
		return EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "--cache-dir") == 0) {
		cache_dir = argv[2];
	} else if (argc > 1) {
		fprintf(stderr, "usage: mph doctor [--cache-dir DIR]\n");
		return EXIT_BAD_INPUT;
	}
	struct utsname u;
	uname(&u);
	int problems = 0;
	line("ok", "kernel", "%s %s", u.release, u.machine);
	bool root = geteuid() == 0;
	line(root ? "ok" : "no", "root", root ? "running as root" : "mph run needs root (cgroups, sysctls, swap)");
	problems += !root;

	struct cg_env env;
	int r = cg_env_detect(&env);
	if (r < 0) {
		line("no", "memory cgroup", "no memory controller mounted (%s): mph run cannot work here", strerror(-r));
		problems++;
	} else {
		line("ok", "memory cgroup", "cgroup %s at %s, mph's own cgroup %s", cg_version_name(env.ver), env.mount,
		     *env.own ? env.own : "/");
		char *own = xasprintf("%s%s", env.mount, env.own);
		bool w = access(own, W_OK) == 0;
		line(w ? "ok" : "no", "child cgroups", "%s %s", w ? "can be created below" : "cannot be created below", own);
		problems += !w;
		if (env.ver == CG_V2) {
			bool del = cg_v2_delegates_memory(&env);
			line(del ? "ok" : "no", "memory delegation", del ? "memory is in %s/cgroup.subtree_control"
									: "memory is not in %s/cgroup.subtree_control: run mph from a cgroup "
									  "that delegates it (e.g. a delegated systemd scope)", own);
			problems += !del;
		}
		free(own);
		if (env.ver == CG_V1)
			line(env.memsw ? "ok" : "no", "swap accounting", env.memsw ? "memory.memsw.* present: memory.swap.max maps to memsw"
									  : "memory.memsw.* missing: memory.swap.max unavailable");
	}
	for (const struct cg_knob *k = cg_knobs; r == 0 && k->name; k++) {
		if (!k->settable)
			continue;
		const char *why = NULL;
		const char *f = cg_file(env.ver, k->name, &why);
		if (f)
			line("ok", k->name, "-> %s", f);
		else
			line("n/a", k->name, "%s", why);
	}

	char *swaps = NULL;
	int nswap = 0;
	if (read_file("/proc/swaps", &swaps, NULL) == 0)
		for (char *p = strchr(swaps, '\n'); p && p[1]; p = strchr(p + 1, '\n'))
			nswap++;
	free(swaps);
	if (nswap)
		line("ok", "swap", "%d swap area(s) active", nswap);
	else
		line("--", "swap", "none active; [swap] size makes a swap file for a run");
	bool mkswap = access("/sbin/mkswap", X_OK) == 0 || access("/usr/sbin/mkswap", X_OK) == 0;
	line(mkswap ? "ok" : "no", "mkswap", mkswap ? "present" : "missing: [swap] unavailable (install util-linux)");

	bool psi = access("/proc/pressure/memory", R_OK) == 0;
	line(psi ? "ok" : "no", "PSI", psi ? "/proc/pressure/memory readable" : "no /proc/pressure (kernel without CONFIG_PSI or psi=0)");
	bool kmsg = access("/dev/kmsg", R_OK) == 0;
	line(kmsg ? "ok" : "no", "kernel log", kmsg ? "/dev/kmsg readable: OOM victims confirmed by pid"
						 : "/dev/kmsg unreadable: OOM kills known only from cgroup counters");
	int nodes = numa_available() < 0 ? 1 : numa_max_node() + 1;
	line("ok", "NUMA nodes", "%d%s", nodes, nodes < 2 ? " (vm.zone_reclaim_mode has no effect with one node)" : "");
	long long mt = meminfo_bytes("MemTotal"), ma = meminfo_bytes("MemAvailable");
	line("ok", "memory", "MemTotal %lld MiB, MemAvailable %lld MiB (memory.max may be at most half of it)", mt >> 20,
	     ma >> 20);

	int cur = 0, low = can_lower_oom_score_adj(&cur);
	line(low == 1 ? "ok" : "no", "oom_score_adj", low == 1 ? "can be lowered (oom_score_adj %d)"
							    : "cannot be lowered (no CAP_SYS_RESOURCE; now %d): mph stays outside "
							      "the cgroups it limits instead of shielding itself",
	     cur);

	unsigned missing = 0;
	for (unsigned i = 0; i < sysctl_ndefs; i++) {
		char *v = NULL;
		if (sysctl_read("/proc/sys", sysctl_defs[i].name, &v) < 0) {
			line("no", sysctl_defs[i].name, "not on this kernel");
			missing++;
		}
		free(v);
	}
	if (!missing)
		line("ok", "vm sysctls", "all %u that scenarios may set are present", sysctl_ndefs);
	const char *sd = journal_default_dir();
	char *jp = xasprintf("%s/journal", sd);
	bool pending = access(jp, F_OK) == 0;
	if (pending)
		line("no", "journal", "%s exists: an interrupted run left changes; run `mph restore`", jp);
	free(jp);
	/* interrupted runs with other state directories, from the machine-wide record */
	char **other = NULL;
	size_t nother = 0;
	int pr = journal_pending("/proc/sys", sd, false, &other, &nother);
	if (pr < 0)
		line("no", "journal", "cannot read the record of pending changes (%s)", strerror(-pr));
	for (size_t i = 0; i < nother; i++)
		line("no", "journal", "%s/journal exists: an interrupted run left changes; run `mph restore --state-dir %s`",
		     other[i], other[i]);
	if (!pending && !nother)
		line("ok", "journal", "no interrupted run (%s, and none recorded in %s)", sd, "/run/mph/pending");
	journal_pending_free(other, nother);
	if (run_in_guest()) {
		line("ok", "global pressure", "this is an mph guest: scenarios may leave out memory.max");
	} else {
		line("--", "global pressure", "not on this host: min_free_kbytes, watermarks and zone_reclaim_mode run in a guest:");
		vm_doctor(cache_dir);
	}
	if (r == 0)
		cg_env_free(&env);
	return problems ? EXIT_UNSUPPORTED : EXIT_OK;
}
