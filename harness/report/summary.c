/* summary.c - the human summary of a run, read from its run.json. */
#include "report.h"
#include "../core/units.h"

#include <stdio.h>

static const json_t *at(const json_t *o, const char *a, const char *b)
{
	const json_t *x = json_object_get(o, a);
	return b ? json_object_get(x, b) : x;
}

/* "12.5 MiB", or "n/a" for null: unknown is never printed as 0 */
static const char *size_or_na(const json_t *v, char *b, size_t n)
{
	return json_is_integer(v) ? format_size((uint64_t)json_integer_value(v), b, n) : "n/a";
}

static const char *mb_or_na(const json_t *v, char *b, size_t n)
{
	if (!json_is_number(v))
		return "n/a";
	snprintf(b, n, "%.1f MiB", json_number_value(v));
	return b;
}

static const char *pct_or_na(const json_t *v, char *b, size_t n)
{
	if (!json_is_number(v))
		return "n/a";
	snprintf(b, n, "%.1f%%", json_number_value(v));
	return b;
}

/* One line of reclaim: at cgroup limits (all reclaim minus the reclaimers' own
 * counters), kswapd and direct, and the efficiency per LRU type. */
static void reclaim_line(FILE *f, const json_t *rec)
{
	const json_t *mc = at(rec, "memcg", NULL), *per = at(rec, "reclaimers", NULL);
	if (!json_is_object(mc) && !json_is_object(per))
		return;
	char b1[32], b2[32], b3[32];
	fprintf(f, "  reclaim (machine): ");
	if (json_is_object(mc))
		fprintf(f, "memcg %lld scanned, %lld reclaimed pages (%s)", (long long)json_integer_value(at(mc, "scanned_pages", NULL)),
		       (long long)json_integer_value(at(mc, "reclaimed_pages", NULL)), pct_or_na(at(mc, "efficiency_pct", NULL), b1, sizeof(b1)));
	else
		fprintf(f, "memcg n/a");
	static const char *const who[] = { "kswapd", "direct" };
	for (size_t i = 0; i < 2; i++) {
		const json_t *r = at(per, who[i], NULL);
		if (json_is_object(r))
			fprintf(f, ", %s %lld", who[i], (long long)json_integer_value(at(r, "scanned_pages", NULL)));
		else
			fprintf(f, ", %s n/a", who[i]);
	}
	fprintf(f, "; efficiency anon %s, file %s\n", pct_or_na(at(at(rec, "by_type", "anon"), "efficiency_pct", NULL), b2, sizeof(b2)),
	       pct_or_na(at(at(rec, "by_type", "file"), "efficiency_pct", NULL), b3, sizeof(b3)));
}

/* The top of a ranking: "pid 12 (php-fpm) 48.0 MiB", or "none" */
static void top_of(FILE *f, const json_t *rank, const char *list, const char *key)
{
	const json_t *t = json_array_get(json_object_get(rank, list), 0);
	char b[32];
	if (!t)
		fprintf(f, "none");
	else
		fprintf(f, "pid %lld (%s) %s", (long long)json_integer_value(json_object_get(t, "pid")),
		       json_string_value(json_object_get(t, "comm")), size_or_na(json_object_get(t, key), b, sizeof(b)));
}

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
	fprintf(f, "  cgroup peak %s, oom_kill %lld", json_is_integer(peak) ? format_size((uint64_t)json_integer_value(peak), b, sizeof(b)) : "n/a",
	       (long long)json_integer_value(json_object_get(cg, "oom_kill")));
	const json_t *sw = json_object_get(cg, "swap");
	if (json_is_object(sw)) {
		char b1[32], b2[32];
		fprintf(f, ", swap peak %s, out %s, in %s", size_or_na(json_object_get(sw, "peak_bytes"), b, sizeof(b)),
		       mb_or_na(json_object_get(sw, "out_mb"), b1, sizeof(b1)), mb_or_na(json_object_get(sw, "in_mb"), b2, sizeof(b2)));
	}
	fputc('\n', f);
	reclaim_line(f, at(out, "recorder", "reclaim"));
	const json_t *rank = json_object_get(out, "process_ranking");
	if (json_is_object(rank)) {
		fprintf(f, "  top RSS: ");
		top_of(f, rank, "by_peak_rss", "peak_rss_bytes");
		fprintf(f, "; top swap: ");
		top_of(f, rank, "by_peak_swap", "peak_swap_bytes");
		fprintf(f, " (%zu processes)\n", json_array_size(json_object_get(out, "processes")));
	}
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
