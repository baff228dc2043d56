/* prom.c - a plan's runs as Prometheus metrics, in the text exposition format
 * (version 0.0.4) that node_exporter's textfile collector reads. Every metric comes
 * from the metric table (core/schema.h) and every value through schema_value(), so a
 * number here is the number an [expect] assertion sees, in Prometheus's base units:
 * MiB become bytes, ms and us seconds, percentages ratios. Reads plan.json and the
 * jobs' run.json only (docs/prometheus.md).
 *
 * Names: run metrics `mph_<name>`, metrics every workload has `mph_workload_<name>`,
 * those of one workload type `mph_<type>_<name>`, each with its unit as the suffix
 * (`_bytes`, `_seconds`, `_ratio`; counts are counters ending in `_total`). Words
 * (outcome, signal, ...) are `..._info` gauges of value 1 with the word as a label,
 * booleans gauges of 0 or 1. A value run.json does not have is left out, never 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../core/schema.h"
#include "../core/util.h"

/* How each unit of the table is exposed: the suffix the name gets (after dropping the
 * unit the table's name already ends in), the factor to the base unit, the type. */
static const struct {
	const char *drop[2];  /* name endings that say the unit already */
	const char *suffix;
	double scale;
	bool counter;
} units[MU_N] = {
	[MU_NONE] = { { NULL }, "", 1, false },
	[MU_BYTES] = { { "_bytes" }, "_bytes", 1, false },
	[MU_MIB] = { { "_mb" }, "_bytes", 1048576.0, false },
	[MU_MIB_S] = { { "_mb_per_s" }, "_bytes_per_second", 1048576.0, false },
	[MU_PER_S] = { { "_per_s" }, "_per_second", 1, false },
	[MU_PAGES] = { { "_pages" }, "_pages_total", 1, true },
	[MU_S] = { { "_seconds", "_s" }, "_seconds", 1, false },
	[MU_MS] = { { "_ms" }, "_seconds", 1e-3, false },
	[MU_US] = { { "_us" }, "_seconds", 1e-6, false },
	[MU_COUNT] = { { "_total" }, "_total", 1, true },
	[MU_PCT] = { { "_pct" }, "_ratio", 0.01, false },
};

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);
	return n >= k && strcmp(s + n - k, end) == 0;
}

/* Only [a-zA-Z0-9_] in what goes into a name (the table's names are already so). */
static void name_part(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ? s[i] : '_';
	out[len] = '\0';
}

char *report_prom_name(const struct metric *m, double *scale, bool *counter)
{
	const char *prefix = !m->wl_type ? "" : strcmp(m->wl_type, "*") == 0 ? "workload_" : m->wl_type;
	size_t len = strlen(m->name);
	const char *suffix;
	double k = 1;
	bool c = false;
	if (m->type == MT_WORD) {
		suffix = "_info";
	} else if (m->type == MT_BOOL) {
		suffix = "";
	} else {
		enum metric_unit u = m->unit < MU_N ? m->unit : MU_NONE;
		suffix = units[u].suffix;
		for (size_t i = 0; i < ARRAY_SIZE(units[u].drop) && units[u].drop[i]; i++)
			if (ends_with(m->name, units[u].drop[i])) {
				len -= strlen(units[u].drop[i]);
				break;
			}
		if (*suffix && strcmp(m->name, suffix + 1) == 0) /* anonleak's "bytes", exec's "seconds" */
			suffix = "";
		k = units[u].scale;
		c = units[u].counter;
	}
	char *pre = xstrdup(prefix), *base = xcalloc(len + 1, 1);
	name_part(pre, prefix, strlen(prefix));
	name_part(base, m->name, len);
	char *out = xasprintf("mph_%s%s%s%s", pre, *pre && pre[strlen(pre) - 1] != '_' ? "_" : "", base, suffix);
	free(pre);
	free(base);
	if (scale)
		*scale = k;
	if (counter)
		*counter = c;
	return out;
}

/* The length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (n == 0 || (n == 3 && s[0] >= 0xf0))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf0 && s[1] < 0x90) ||
	    (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Text as the exposition format wants it: `\` and newline escaped (and `"` in label
 * values); bytes that are not UTF-8, which the format cannot carry, as U+FFFD. */
static void put_escaped(FILE *f, const char *s, bool label)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '"' && label)
			fputs("\\\"", f);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
}

void report_prom_label_value(FILE *f, const char *s)
{
	put_escaped(f, s, true);
}

/* One label set, `{a="x",b="y"}`; pairs with a NULL value are left out. */
struct label {
	const char *name, *value;
};

static void put_sample(FILE *f, const char *name, const struct label *l, size_t n, double v)
{
	fputs(name, f);
	fputc('{', f);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!l[i].value)
			continue;
		fprintf(f, "%s%s=\"", first ? "" : ",", l[i].name);
		put_escaped(f, l[i].value, true);
		fputc('"', f);
		first = false;
	}
	fputc('}', f);
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.15g\n", v);
}

/* HELP and TYPE once per family, before its first sample. */
struct family {
	const char *name;
	bool started;
};

static void family_begin(FILE *f, struct family *fam, const char *help, bool counter)
{
	if (fam->started)
		return;
	fam->started = true;
	fprintf(f, "# HELP %s ", fam->name);
	put_escaped(f, help, false);
	fprintf(f, "\n# TYPE %s %s\n", fam->name, counter ? "counter" : "gauge");
}

/* A job that was carried out, with its run.json and its labels. */
struct job_run {
	const json_t *plan, *job;
	json_t *run;
	char *kernel, *repeat;
};

/* The kernel a job ran: the release run.json records (so `host` becomes what the host
 * runs), else the job's kernel as plan.json names it. */
static char *kernel_of(const json_t *job, const json_t *run)
{
	const char *rel = json_string_value(json_object_get(json_object_get(json_object_get(run, "machine"), "kernel"), "release"));
	if (!rel) /* older run.json: host.kernel, the release */
		rel = json_string_value(json_object_get(json_object_get(run, "host"), "kernel"));
	return xstrdup(rel ? rel : report_str(job, "kernel", ""));
}

static void load_runs(const json_t *const *plans, const char *const *dirs, size_t n, struct job_run **out, size_t *nout)
{
	struct job_run *v = NULL;
	size_t nv = 0;
	for (size_t p = 0; p < n; p++) {
		size_t i;
		const json_t *job;
		json_array_foreach(json_object_get(plans[p], "jobs"), i, job) {
			v = xrealloc(v, (nv + 1) * sizeof(*v));
			struct job_run *r = &v[nv++];
			*r = (struct job_run){ .plan = plans[p], .job = job };
			if (dirs && dirs[p] && strcmp(report_str(job, "status", ""), "done") == 0) {
				char *path = xasprintf("%s/%s/run.json", dirs[p], report_str(job, "dir", "."));
				r->run = json_load_file(path, 0, NULL);
				free(path);
			}
			r->kernel = kernel_of(job, r->run);
			r->repeat = xasprintf("%lld", (long long)json_integer_value(json_object_get(job, "repeat")));
		}
	}
	*out = v;
	*nout = nv;
}

/* The labels of a job's samples: scenario, variant, kernel, repeat, then extra. */
#define JOB_LABELS(r)                                                                                 \
	{ "scenario", report_str((r)->plan, "scenario", "") }, { "variant", report_str((r)->job, "variant", "") }, \
		{ "kernel", (r)->kernel }, { "repeat", (r)->repeat }

static void put_value(FILE *f, struct family *fam, const struct metric *m, const struct mval *v, double scale,
		      bool counter, struct label *l, size_t nl)
{
	if (v->kind == MV_ABSENT)
		return;
	if (m->type == MT_WORD) {
		if (v->kind != MV_WORD)
			return;
		l[nl++] = (struct label){ m->name, v->word };
		family_begin(f, fam, m->meaning, false);
		put_sample(f, fam->name, l, nl, 1);
		return;
	}
	if (v->kind != MV_NUMBER)
		return;
	family_begin(f, fam, m->meaning, counter);
	put_sample(f, fam->name, l, nl, m->type == MT_BOOL ? (v->num != 0) : v->num * scale);
}

static void put_metric(FILE *f, const struct metric *m, const struct job_run *runs, size_t nruns)
{
	double scale;
	bool counter;
	char *name = report_prom_name(m, &scale, &counter);
	struct family fam = { name, false };
	for (size_t i = 0; i < nruns; i++) {
		const struct job_run *r = &runs[i];
		if (!r->run)
			continue;
		if (!m->wl_type) {
			struct label l[6] = { JOB_LABELS(r) };
			struct metric_ref ref = { m, NULL };
			struct mval v;
			if (schema_value(r->run, &ref, &v) == 0)
				put_value(f, &fam, m, &v, scale, counter, l, 4);
			continue;
		}
		/* a timed action's metric: one sample per action, labelled action="NAME" */
		bool act = strcmp(m->wl_type, SCHEMA_ACTION) == 0;
		size_t k;
		const json_t *w;
		json_array_foreach(json_object_get(r->run, act ? "actions" : "workloads"), k, w) {
			const char *wn = json_string_value(json_object_get(w, "name"));
			const char *wt = json_string_value(json_object_get(w, "type"));
			if (!wn || (!act && strcmp(m->wl_type, "*") != 0 && (!wt || strcmp(wt, m->wl_type) != 0)))
				continue;
			struct label l[7] = { JOB_LABELS(r), { act ? "action" : "workload", wn } };
			struct metric_ref ref = { m, wn };
			struct mval v;
			if (schema_value(r->run, &ref, &v) == 0)
				put_value(f, &fam, m, &v, scale, counter, l, 5);
		}
	}
	free(name);
}

/* The kernel label of an aggregate: the release of a job that ran on its kernel. */
static const char *aggregate_kernel(const json_t *a, const json_t *plan, const struct job_run *runs, size_t nruns)
{
	const char *k = report_str(a, "kernel", NULL);
	for (size_t i = 0; k && i < nruns; i++)
		if (runs[i].plan == plan && strcmp(report_str(runs[i].job, "kernel", ""), k) == 0)
			return runs[i].kernel;
	return k;
}

static void put_verdicts(FILE *f, const json_t *const *plans, size_t n, const struct job_run *runs, size_t nruns)
{
	struct family fam = { "mph_expectation_passed", false };
	const char *help = "1 when the [expect] assertion held, 0 when it failed or could not be evaluated "
			   "(run scope: per job; variant and trend scope: without repeat)";
	for (size_t i = 0; i < nruns; i++) {
		size_t k;
		const json_t *a;
		json_array_foreach(json_object_get(runs[i].job, "assertions"), k, a) {
			const char *v = report_str(a, "verdict", "");
			if (strcmp(v, "skipped") == 0)
				continue;
			struct label l[5] = { JOB_LABELS(&runs[i]), { "assertion", report_str(a, "name", "") } };
			family_begin(f, &fam, help, false);
			put_sample(f, fam.name, l, 5, strcmp(v, "pass") == 0);
		}
	}
	for (size_t p = 0; p < n; p++) {
		size_t k;
		const json_t *a;
		json_array_foreach(json_object_get(plans[p], "aggregates"), k, a) {
			const char *v = report_str(a, "verdict", "");
			if (strcmp(v, "skipped") == 0)
				continue;
			struct label l[4] = { { "scenario", report_str(plans[p], "scenario", "") },
					      { "variant", report_str(a, "variant", NULL) },
					      { "kernel", aggregate_kernel(a, plans[p], runs, nruns) },
					      { "assertion", report_str(a, "name", "") } };
			family_begin(f, &fam, help, false);
			put_sample(f, fam.name, l, 4, strcmp(v, "pass") == 0);
		}
	}
	struct family code = { "mph_plan_exit_code", false };
	for (size_t p = 0; p < n; p++) {
		const json_t *c = json_object_get(plans[p], "exit_code");
		if (!json_is_integer(c))
			continue;
		struct label l[1] = { { "scenario", report_str(plans[p], "scenario", "") } };
		family_begin(f, &code, "what mph run exited with: 0 every expectation held, 1 one failed or a job "
				       "could not be carried out, 3 skipped, 130 interrupted",
			     false);
		put_sample(f, code.name, l, 1, (double)json_integer_value(c));
	}
}

int report_prom(FILE *f, const json_t *const *plans, const char *const *dirs, size_t n)
{
	for (size_t p = 0; p < n; p++)
		if (!json_is_object(plans[p]) || strcmp(report_str(plans[p], "schema", ""), REPORT_PLAN_SCHEMA) != 0)
			return -EINVAL;
	struct job_run *runs;
	size_t nruns;
	load_runs(plans, dirs, n, &runs, &nruns);
	size_t nm;
	const struct metric *ms = schema_metrics(&nm);
	for (size_t i = 0; i < nm; i++)
		put_metric(f, &ms[i], runs, nruns);
	put_verdicts(f, plans, n, runs, nruns);
	for (size_t i = 0; i < nruns; i++) {
		json_decref(runs[i].run);
		free(runs[i].kernel);
		free(runs[i].repeat);
	}
	free(runs);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

/* What one of the writers below writes, for prom_file. */
struct prom_what {
	const json_t *const *plans;
	const char *const *dirs;
	size_t n;
	const struct report_prom_record *rec; /* a recording instead of plans */
};

static int put_prom(FILE *f, void *ctx)
{
	const struct prom_what *w = ctx;
	return w->rec ? report_prom_record(f, w->rec) : report_prom(f, w->plans, w->dirs, w->n);
}

/* The file written atomically: a temporary file beside it (so that the rename is
 * atomic; node_exporter reads only *.prom, and the temporary name ends in
 * .tmp.<pid>), fsync, rename. */
static int prom_file(const char *path, const struct prom_what *w)
{
	return write_stream_atomic(path, put_prom, (void *)w);
}

int report_prom_file(const char *path, const json_t *const *plans, const char *const *dirs, size_t n)
{
	return prom_file(path, &(struct prom_what){ .plans = plans, .dirs = dirs, .n = n });
}

/* ---- mph record ------------------------------------------------------------ */

/* The families of a recording, in the order written. A live-only family is a quantity
 * "now": left out of the final file (report.h). */
#define RR(field) offsetof(struct report_prom_record, field)
static const struct {
	const char *name;
	size_t off;     /* a double of struct report_prom_record */
	double scale;   /* to the base unit */
	bool counter, live_only;
	const char *help;
} record_families[] = {
	{ "mph_record_memory_usage_bytes", RR(usage_bytes), 1, false, true,
	  "the recorded cgroup's memory usage at the last sample (v2 memory.current, v1 memory.usage_in_bytes)" },
	{ "mph_record_memory_peak_bytes", RR(peak_bytes), 1, false, false,
	  "the cgroup's highest usage since the recording started: sampled, or its high-water mark in a cgroup mph made" },
	{ "mph_record_memory_limit_bytes", RR(limit_bytes), 1, false, false,
	  "the memory.max mph set on the cgroup it made for the command (--memory-max)" },
	{ "mph_record_swap_usage_bytes", RR(swap_bytes), 1, false, true,
	  "the cgroup's swap at the last sample (v2 memory.swap.current, v1 memsw.usage_in_bytes - usage_in_bytes)" },
	{ "mph_record_swap_peak_bytes", RR(swap_peak_bytes), 1, false, false,
	  "the cgroup's highest swap since the recording started" },
	{ "mph_record_oom_kills_total", RR(oom_kills), 1, true, false,
	  "OOM kills in the cgroup since the recording started (the rise of its oom_kill counter)" },
	{ "mph_record_reclaim_scanned_pages_total", RR(scanned_pages), 1, true, false,
	  "pages the cgroup's reclaim scanned since the recording started (v2 memory.stat pgscan)" },
	{ "mph_record_reclaim_reclaimed_pages_total", RR(reclaimed_pages), 1, true, false,
	  "pages the cgroup's reclaim reclaimed since the recording started (v2 memory.stat pgsteal)" },
	{ "mph_record_psi_some_avg10_ratio", RR(psi_some_avg10_pct), 0.01, false, true,
	  "share of the last 10 s in which some task of the cgroup waited for memory (v2 memory.pressure some avg10)" },
	{ "mph_record_psi_full_avg10_ratio", RR(psi_full_avg10_pct), 0.01, false, true,
	  "share of the last 10 s in which all non-idle tasks of the cgroup waited for memory (memory.pressure full avg10)" },
	{ "mph_record_psi_some_seconds_total", RR(psi_some_s), 1, true, false,
	  "time in which some task of the cgroup waited for memory since the recording started (memory.pressure some total)" },
	{ "mph_record_psi_full_seconds_total", RR(psi_full_s), 1, true, false,
	  "time in which all non-idle tasks of the cgroup waited for memory since the recording started (memory.pressure full total)" },
	{ "mph_record_processes", RR(processes), 1, false, true, "processes in the cgroup at the last sample" },
	{ "mph_record_processes_seen_total", RR(processes_seen), 1, true, false,
	  "processes seen in the cgroup since the recording started (its cgroup.procs at every sample)" },
	{ "mph_record_command_exit_code", RR(exit_code), 1, false, false, "what the command mph record ran exited with" },
};

void report_prom_record_init(struct report_prom_record *r, const char *cgroup)
{
	memset(r, 0, sizeof(*r));
	r->cgroup = cgroup;
	for (size_t i = 0; i < ARRAY_SIZE(record_families); i++)
		*(double *)((char *)r + record_families[i].off) = NAN;
}

static double jnum(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

int report_prom_record_json(const json_t *rec, struct report_prom_record *r)
{
	if (!json_is_object(rec) || strcmp(report_str(rec, "schema", ""), "mph-record/1") != 0)
		return -EINVAL;
	report_prom_record_init(r, report_str(rec, "cgroup_path", report_str(rec, "cgroup", NULL)));
	const json_t *s = json_object_get(rec, "recorder");
	r->peak_bytes = jnum(json_object_get(s, "peak_usage_bytes"));
	r->swap_peak_bytes = jnum(json_object_get(json_object_get(s, "cgroup_swap"), "peak_bytes"));
	r->limit_bytes = jnum(json_object_get(rec, "memory_max_bytes"));
	r->oom_kills = jnum(json_object_get(rec, "oom_kill"));
	const json_t *all = json_object_get(json_object_get(s, "cgroup_reclaim"), "all");
	r->scanned_pages = jnum(json_object_get(all, "scanned_pages"));
	r->reclaimed_pages = jnum(json_object_get(all, "reclaimed_pages"));
	const json_t *psi = json_object_get(s, "cgroup_psi_memory");
	r->psi_some_s = jnum(json_object_get(json_object_get(psi, "some"), "stall_total_s"));
	r->psi_full_s = jnum(json_object_get(json_object_get(psi, "full"), "stall_total_s"));
	const json_t *procs = json_object_get(rec, "processes");
	if (json_is_array(procs))
		r->processes_seen = (double)json_array_size(procs);
	r->exit_code = jnum(json_object_get(rec, "exit_code"));
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(json_object_get(rec, "process_ranking"), "by_peak_rss"), i, p) {
		if (r->ntop == REPORT_PROM_TOP)
			break;
		if (!json_is_integer(json_object_get(p, "pid")))
			continue;
		int pid = (int)json_integer_value(json_object_get(p, "pid"));
		bool dup = false; /* a pid reused within the recording: its larger life only */
		for (size_t k = 0; k < r->ntop && !dup; k++)
			dup = r->top[k].pid == pid;
		if (dup)
			continue;
		r->top[r->ntop].pid = pid;
		snprintf(r->top[r->ntop].comm, sizeof(r->top[r->ntop].comm), "%s", report_str(p, "comm", ""));
		r->top[r->ntop].rss_bytes = NAN;
		r->top[r->ntop].peak_rss_bytes = jnum(json_object_get(p, "peak_rss_bytes"));
		r->ntop++;
	}
	return 0;
}

/* The top processes' RSS now or their peak, one series per pid:
 * a pid that comes twice (reused within a recording) is written once. */
static void put_top(FILE *f, const struct report_prom_record *r, const char *name, const char *help, bool peak)
{
	struct family fam = { name, false };
	for (size_t i = 0; i < r->ntop; i++) {
		double v = peak ? r->top[i].peak_rss_bytes : r->top[i].rss_bytes;
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = r->top[k].pid == r->top[i].pid;
		if (isnan(v) || dup)
			continue;
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", r->top[i].pid);
		struct label l[3] = { { "cgroup", r->cgroup }, { "pid", pid }, { "comm", r->top[i].comm } };
		family_begin(f, &fam, help, false);
		put_sample(f, fam.name, l, 3, v);
	}
}

int report_prom_record(FILE *f, const struct report_prom_record *r)
{
	struct label l[1] = { { "cgroup", r->cgroup } };
	struct family run = { "mph_record_running", false };
	family_begin(f, &run, "1 while mph record records the cgroup (values of its last sample), 0 after it ended "
			      "(the recording's summary)", false);
	put_sample(f, run.name, l, 1, r->running);
	for (size_t i = 0; i < ARRAY_SIZE(record_families); i++) {
		double v = *(const double *)((const char *)r + record_families[i].off);
		if (isnan(v) || (record_families[i].live_only && !r->running))
			continue;
		struct family fam = { record_families[i].name, false };
		family_begin(f, &fam, record_families[i].help, record_families[i].counter);
		put_sample(f, fam.name, l, 1, v * record_families[i].scale);
	}
	if (r->running)
		put_top(f, r, "mph_record_process_rss_bytes", "RSS at the last sample of the cgroup's largest processes then",
			false);
	put_top(f, r, "mph_record_process_peak_rss_bytes",
		"peak RSS of the cgroup's largest processes (while recording: the largest by RSS now; after: by peak RSS)",
		true);
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

int report_prom_record_file(const char *path, const struct report_prom_record *r)
{
	return prom_file(path, &(struct prom_what){ .rec = r });
}
