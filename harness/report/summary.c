/* summary.c - the human summary of a run, read from its run.json. */
#include "report.h"
#include "../core/units.h"

#include <stdio.h>

void report_run_summary(const json_t *out, const char *path)
{
	report_run_summary_to(stdout, out, path);
}

void report_run_summary_to(FILE *f, const json_t *out, const char *path)
{
	const json_t *sc = json_object_get(out, "scenario"), *host = json_object_get(out, "host");
	const json_t *mach = json_object_get(out, "machine");
	const char *cgv = json_string_value(json_object_get(host, "cgroup")), *kern = json_string_value(json_object_get(host, "kernel"));
	if (!host) { /* a guest that never got to write run.json: what the host knows */
		cgv = json_string_value(json_object_get(json_object_get(mach, "requested"), "cgroup"));
		kern = json_string_value(json_object_get(json_object_get(mach, "kernel"), "release"));
	}
	fprintf(f, "%s (cgroup %s, kernel %s)\n", json_string_value(json_object_get(sc, "name")), cgv ? cgv : "?", kern ? kern : "?");
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(out, "workloads"), i, w) {
		fprintf(f, "  %-12s %-10s %-10s at %.2fs", json_string_value(json_object_get(w, "name")),
		       json_string_value(json_object_get(w, "type")), json_string_value(json_object_get(w, "outcome")),
		       json_real_value(json_object_get(w, "ended_s")));
		json_t *ec = json_object_get(w, "exit_code"), *sg = json_object_get(w, "signal");
		if (json_is_integer(ec))
			fprintf(f, "  exit %lld", (long long)json_integer_value(ec));
		if (json_is_string(sg))
			fprintf(f, "  SIG%s", json_string_value(sg));
		json_t *fin = json_object_get(w, "report_final");
		if (json_is_object(fin))
			fprintf(f, "  status %s", json_string_value(json_object_get(fin, "status")));
		/* processes of its tree killed while it lived on (stress-ng's workers) */
		size_t k, tree = 0;
		json_t *v;
		json_array_foreach(json_object_get(w, "oom_killed_pids"), k, v)
			tree += json_integer_value(v) != json_integer_value(json_object_get(w, "pid"));
		if (tree)
			fprintf(f, "  (%zu OOM-killed in its tree)", tree);
		fputc('\n', f);
	}
	json_array_foreach(json_object_get(out, "oom_kills"), i, w) {
		if (i >= 5)
			continue;
		const char *cons = json_string_value(json_object_get(w, "constraint"));
		fprintf(f, "  oom kill: pid %lld (%s) %s, anon-rss %lld kB", (long long)json_integer_value(json_object_get(w, "pid")),
		       json_string_value(json_object_get(w, "comm")), cons && *cons ? cons : "(constraint not logged)",
		       (long long)json_integer_value(json_object_get(w, "anon_rss_kb")));
		long long shm = json_integer_value(json_object_get(w, "shmem_rss_kb"));
		if (shm > 0)
			fprintf(f, ", shmem-rss %lld kB", shm);
		fputc('\n', f);
	}
	if (i > 5)
		fprintf(f, "  ... and %zu more oom kills (run.json: oom_kills)\n", i - 5);
	const json_t *cg = json_object_get(out, "cgroup");
	json_t *peak = json_object_get(cg, "peak_bytes");
	char b[32];
	fprintf(f, "  cgroup peak %s, oom_kill %lld\n", json_is_integer(peak) ? format_size((uint64_t)json_integer_value(peak), b, sizeof(b)) : "n/a",
	       (long long)json_integer_value(json_object_get(cg, "oom_kill")));
	json_array_foreach(json_object_get(out, "sysctls"), i, w)
		fprintf(f, "  %s: %s -> %s, restored to %s\n", json_string_value(json_object_get(w, "name")),
		       json_string_value(json_object_get(w, "before")), json_string_value(json_object_get(w, "applied")),
		       json_string_value(json_object_get(w, "after")));
	size_t ne = json_array_size(json_object_get(out, "errors"));
	if (ne)
		fprintf(f, "  %zu error(s), see run.json\n", ne);
	fprintf(f, "%s\n", path);
	fflush(f);
}
