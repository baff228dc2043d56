/* html.c - `mph report`'s page (plot.h): one HTML file that needs nothing else. The
 * style sheet (plots/report.css) and the plots (gnuplot's SVG, its prolog dropped and
 * its ids made unique in the page) are inline; nothing is fetched and nothing runs.
 * Every text that comes from a result file is escaped. A run directory without a plan
 * is shown as a plan of one job, so both go through the same sections. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../core/schema.h"
#include "../core/units.h"
#include "../core/util.h"
#include "report.h"

static const char *const default_metrics[] = { "oom_kills", "peak_usage", "swap_out_mb", "refaults_file",
					       "psi_some_total_s", "first_oom_kill_s", "elapsed_s" };

struct page {
	FILE *f;
	const struct report_html_opts *o;
	const char *const *metrics;
	size_t nmetrics;
	unsigned nsvg;        /* plots so far: their ids' prefix */
	bool no_gnuplot;      /* said once */
	char gp_err[256];
};

/* --- escaping ------------------------------------------------------------------- */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			/* control characters have no business in a page: shown as U+FFFD */
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
	}
}

static void escf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void escf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	esc(f, s);
	free(s);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* a JSON value as text, escaped; "-" for null or absent */
static void jval(FILE *f, const json_t *v)
{
	char buf[128];
	if (!v || json_is_null(v))
		fputs("-", f);
	else if (json_is_string(v))
		esc(f, json_string_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
	else
		esc(f, report_value(v, buf, sizeof(buf)));
}

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	esc(f, s ? s : "-");
	fputs("</td>", f);
}

static void tdv(FILE *f, const json_t *v, bool num)
{
	fputs(num ? "<td class=\"num\">" : "<td>", f);
	jval(f, v);
	fputs("</td>", f);
}

static void fact(FILE *f, const char *k, const char *v)
{
	if (!v || !*v)
		return;
	fputs("<dt>", f);
	esc(f, k);
	fputs("</dt><dd>", f);
	esc(f, v);
	fputs("</dd>\n", f);
}

static const char *verdict_class(const char *v)
{
	static const char *const known[] = { "pass", "fail", "error", "skipped", "interrupted", "skip", "not-run" };
	/* a job's status in the colour of what it means */
	if (v && strcmp(v, "done") == 0)
		return "pass";
	if (v && strcmp(v, "failed") == 0)
		return "fail";
	for (size_t i = 0; v && i < ARRAY_SIZE(known); i++)
		if (strcmp(v, known[i]) == 0)
			return known[i];
	return "error";
}

static void badge(FILE *f, const char *v)
{
	fprintf(f, "<span class=\"badge %s\">", verdict_class(v));
	esc(f, v ? v : "?");
	fputs("</span>", f);
}

/* --- plots ---------------------------------------------------------------------- */

/* s with every occurrence of a replaced by b */
static char *replace_all(const char *s, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = 0;
	for (const char *p = s; (p = strstr(p, a)); p += la)
		n++;
	char *out = xcalloc(strlen(s) + n * lb + 1, 1), *o = out;
	for (const char *p = s, *q; ; p = q + la) {
		q = strstr(p, a);
		size_t k = q ? (size_t)(q - p) : strlen(p);
		memcpy(o, p, k), o += k;
		if (!q)
			break;
		memcpy(o, b, lb), o += lb;
	}
	return out;
}

/* gnuplot's SVG into the page: from <svg on (no XML prolog, no DOCTYPE), with the ids
 * gnuplot gives every file (gnuplot_canvas, gpPt0, gpDot...) made the plot's own, so
 * that several plots in one page keep their ids unique and their references right. */
static void inline_svg(struct page *pg, const char *svg, const char *name)
{
	const char *start = strstr(svg, "<svg");
	if (!start)
		return;
	char *canvas = xasprintf("%s_canvas", name), *pt = xasprintf("%s_gpPt", name), *dot = xasprintf("%s_gpDot", name);
	char *a = replace_all(start, "gnuplot_canvas", canvas);
	char *b = replace_all(a, "gpPt", pt);
	char *c = replace_all(b, "gpDot", dot);
	fputs(c, pg->f);
	fputc('\n', pg->f);
	free(a), free(b), free(c), free(canvas), free(pt), free(dot);
}

/* Render a script and put it in a figure; a plot that cannot be drawn says why. */
static void figure(struct page *pg, char *script, size_t len, const char *name, const char *caption)
{
	char *svg = NULL, err[256] = "";
	size_t n = 0;
	FILE *f = pg->f;
	fputs("<figure>\n", f);
	if (pg->no_gnuplot) {
		fputs("<p class=\"muted\">(not drawn: ", f);
		esc(f, pg->gp_err);
		fputs(")</p>\n", f);
	} else if (plot_render(script, len, &svg, &n, err, sizeof(err)) == 0) {
		inline_svg(pg, svg, name);
	} else {
		if (strstr(err, "not installed")) {
			pg->no_gnuplot = true;
			snprintf(pg->gp_err, sizeof(pg->gp_err), "%s", err);
		}
		fputs("<p class=\"muted\">(not drawn: ", f);
		esc(f, err);
		fputs(")</p>\n", f);
	}
	fputs("<figcaption>", f);
	esc(f, caption);
	fputs("</figcaption>\n</figure>\n", f);
	free(svg);
	free(script);
}

/* --- sections ------------------------------------------------------------------- */

struct subject {
	char *dir;
	json_t *plan;    /* plan.json, or one made for a lone run */
	json_t **runs;   /* per job its run.json, NULL when absent */
	size_t njobs;
	bool lone_run;
};

static void subject_free(struct subject *s)
{
	for (size_t i = 0; i < s->njobs; i++)
		json_decref(s->runs[i]);
	free(s->runs);
	json_decref(s->plan);
	free(s->dir);
}

/* a lone run as a plan of one job, with its run.json's expectations as the job's
 * assertions and a verdict from them */
static json_t *plan_of_run(const json_t *run)
{
	const json_t *scen = json_object_get(run, "scenario");
	json_t *exp = json_object_get(run, "expectations");
	const char *verdict = "pass";
	size_t i;
	const json_t *a;
	json_array_foreach (exp, i, a) {
		const char *v = jstr(a, "verdict");
		if (v && strcmp(v, "fail") == 0 && strcmp(verdict, "error") != 0)
			verdict = "fail";
		else if (!v || (strcmp(v, "pass") != 0 && strcmp(v, "fail") != 0 && strcmp(v, "skipped") != 0))
			verdict = "error";
	}
	json_t *job = json_pack("{s:i, s:s, s:{}, s:s, s:I, s:s, s:s, s:i, s:f, s:n, s:o}", "id", 1, "variant", "", "keys",
				"kernel", "host", "repeat", json_integer_value(json_object_get(scen, "repeat")), "dir", ".",
				"status", "done", "exit_code", 0, "elapsed_s",
				json_number_value(json_object_get(run, "elapsed_s")), "reason", "assertions",
				json_is_array(exp) ? json_incref(exp) : json_array());
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:[], s:[o], s:[], s:s}", "schema", REPORT_PLAN_SCHEMA,
			 "mph_version", jstr(run, "mph_version") ? jstr(run, "mph_version") : "?", "scenario",
			 jstr(scen, "name") ? jstr(scen, "name") : "?", "file", jstr(scen, "file") ? jstr(scen, "file") : "?",
			 "started_at", json_object_get(run, "started_at") ? json_object_get(run, "started_at") : json_null(),
			 "ended_at", json_object_get(run, "ended_at") ? json_object_get(run, "ended_at") : json_null(),
			 "sweep", "product", "axes", "jobs", job, "aggregates", "verdict", verdict);
}

static int subject_load(const char *arg, struct subject *s, char *err, size_t errlen)
{
	bool is_plan;
	int r = plot_locate(arg, &s->dir, &is_plan);
	if (r < 0) {
		snprintf(err, errlen, "%s: neither a run (run.json) nor a plan (plan.json)", arg);
		return r;
	}
	char *p = xasprintf("%s/%s", s->dir, is_plan ? "plan.json" : "run.json");
	if (is_plan) {
		r = report_plan_load(p, &s->plan);
	} else {
		json_t *run = json_load_file(p, 0, NULL);
		r = run ? 0 : -ENOENT;
		if (run) {
			s->plan = plan_of_run(run);
			s->runs = xcalloc(1, sizeof(*s->runs));
			s->runs[0] = run;
			s->njobs = 1;
			s->lone_run = true;
		}
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", p, r == -EINVAL ? "not an mph-plan/1 file" : strerror(-r));
		free(p);
		return r;
	}
	free(p);
	if (!s->lone_run) {
		const json_t *jobs = json_object_get(s->plan, "jobs"), *j;
		size_t i;
		s->njobs = json_array_size(jobs);
		s->runs = xcalloc(s->njobs ? s->njobs : 1, sizeof(*s->runs));
		json_array_foreach (jobs, i, j) {
			if (!jstr(j, "dir"))
				continue;
			char *rp = xasprintf("%s/%s/run.json", s->dir, jstr(j, "dir"));
			s->runs[i] = json_load_file(rp, 0, NULL);
			free(rp);
		}
	}
	return 0;
}

static const json_t *first_run(const struct subject *s)
{
	for (size_t i = 0; i < s->njobs; i++)
		if (s->runs[i])
			return s->runs[i];
	return NULL;
}

static char *job_dir(const struct subject *s, const json_t *job)
{
	return xasprintf("%s/%s", s->dir, jstr(job, "dir") ? jstr(job, "dir") : ".");
}

static void sec_summary(struct page *pg, const struct subject *s, const char *id)
{
	FILE *f = pg->f;
	const json_t *plan = s->plan, *run = first_run(s);
	const json_t *scen = json_object_get(run, "scenario");
	fprintf(f, "<section id=\"%s\">\n<h2>", id);
	esc(f, jstr(plan, "scenario"));
	fputs(" ", f);
	badge(f, jstr(plan, "verdict"));
	fputs("</h2>\n", f);
	if (jstr(scen, "description")) {
		fputs("<p>", f);
		esc(f, jstr(scen, "description"));
		fputs("</p>\n", f);
	}
	fputs("<dl class=\"facts\">\n", f);
	fact(f, s->lone_run ? "run" : "plan", s->dir);
	fact(f, "scenario file", jstr(plan, "file"));
	fact(f, "started", jstr(plan, "started_at"));
	fact(f, "ended", jstr(plan, "ended_at"));
	const json_t *axes = json_object_get(plan, "axes"), *ax;
	size_t i;
	json_array_foreach (axes, i, ax) {
		char *vals = NULL;
		size_t vl = 0;
		FILE *m = open_memstream(&vals, &vl);
		size_t k;
		const json_t *v;
		json_array_foreach (json_object_get(ax, "values"), k, v)
			fprintf(m, "%s%s", k ? ", " : "", json_string_value(v) ? json_string_value(v) : "?");
		fclose(m);
		char *key = xasprintf("swept: [%s] %s", jstr(ax, "section") ? jstr(ax, "section") : "?",
				      jstr(ax, "key") ? jstr(ax, "key") : "?");
		fact(f, key, vals);
		free(key), free(vals);
	}
	if (json_array_size(axes) > 1)
		fact(f, "sweep", jstr(plan, "sweep"));
	const json_t *counts = json_object_get(plan, "counts");
	if (counts) {
		char *c = xasprintf("%lld jobs: %lld done, %lld failed, %lld not run, %lld skipped; %lld assertions, %lld passed",
				    (long long)json_integer_value(json_object_get(counts, "jobs")),
				    (long long)json_integer_value(json_object_get(counts, "done")),
				    (long long)json_integer_value(json_object_get(counts, "failed")),
				    (long long)json_integer_value(json_object_get(counts, "not_run")),
				    (long long)json_integer_value(json_object_get(counts, "skipped")),
				    (long long)json_integer_value(json_object_get(counts, "assertions")),
				    (long long)json_integer_value(json_object_get(counts, "passed")));
		fact(f, "counts", c);
		free(c);
	}
	fact(f, "reason", jstr(plan, "reason"));
	fact(f, "mph", jstr(plan, "mph_version"));
	fputs("</dl>\n", f);
}

static void sec_machine(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *run = first_run(s);
	if (!run)
		return;
	const json_t *host = json_object_get(run, "host"), *mach = json_object_get(run, "machine");
	char b1[64], b2[64];
	fputs("<h3>Machine and kernel</h3>\n<dl class=\"facts\">\n", f);
	fact(f, "target", jstr(mach, "target"));
	const json_t *kern = json_object_get(mach, "kernel");
	char *k = xasprintf("%s%s%s", jstr(kern, "release") ? jstr(kern, "release") : jstr(host, "kernel") ? jstr(host, "kernel") : "?",
			    jstr(host, "kernel_version") ? " " : "", jstr(host, "kernel_version") ? jstr(host, "kernel_version") : "");
	fact(f, "kernel", k);
	free(k);
	fact(f, "hostname", jstr(host, "hostname"));
	fact(f, "architecture", jstr(host, "machine"));
	fact(f, "cgroup", jstr(mach, "cgroup") ? jstr(mach, "cgroup") : jstr(host, "cgroup"));
	json_int_t mem = json_integer_value(json_object_get(mach, "memory_bytes")),
		   swap = json_integer_value(json_object_get(mach, "swap_bytes"));
	char *m = xasprintf("%s memory, %s swap, %lld CPUs, %zu NUMA node(s)", format_size((uint64_t)mem, b1, sizeof(b1)),
			    format_size((uint64_t)swap, b2, sizeof(b2)),
			    (long long)json_integer_value(json_object_get(mach, "cpus")),
			    json_array_size(json_object_get(mach, "nodes")));
	fact(f, "machine", m);
	free(m);
	fputs("</dl>\n", f);
	/* other kernels of the plan */
	char **seen = NULL;
	size_t ns = 0;
	for (size_t i = 0; i < s->njobs; i++) {
		const char *rel = jstr(json_object_get(json_object_get(s->runs[i], "machine"), "kernel"), "release");
		size_t j;
		for (j = 0; rel && j < ns && strcmp(seen[j], rel) != 0; j++)
			;
		if (rel && j == ns) {
			seen = xrealloc(seen, (ns + 1) * sizeof(*seen));
			seen[ns++] = (char *)rel;
		}
	}
	if (ns > 1) {
		fputs("<p>Kernels in this plan: ", f);
		for (size_t j = 0; j < ns; j++) {
			if (j)
				fputs(", ", f);
			esc(f, seen[j]);
		}
		fputs(".</p>\n", f);
	}
	free(seen);
}

/* the scenario as written: its settings in file order, as INI */
static void sec_scenario(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *run = first_run(s);
	const json_t *set = json_object_get(json_object_get(run, "scenario"), "settings"), *e;
	if (!json_array_size(set))
		return;
	fputs("<h3>The scenario as written</h3>\n<pre>", f);
	const char *section = NULL;
	size_t i;
	bool any_set = false;
	json_array_foreach (set, i, e) {
		const char *sec = jstr(e, "section") ? jstr(e, "section") : "?";
		if (!section || strcmp(section, sec) != 0) {
			escf(f, "%s[%s]\n", section ? "\n" : "", sec);
			section = sec;
		}
		json_int_t line = json_integer_value(json_object_get(e, "line"));
		escf(f, "%s = %s", jstr(e, "key") ? jstr(e, "key") : "?", jstr(e, "value") ? jstr(e, "value") : "");
		if (line > 0)
			escf(f, "    ; line %lld", (long long)line);
		else
			fputs("    ; --set or the sweep", f), any_set = true;
		fputc('\n', f);
	}
	fputs("</pre>\n", f);
	if (any_set && !s->lone_run && json_array_size(json_object_get(s->plan, "axes")))
		fputs("<p class=\"muted\">Shown with the first job's values of the swept keys; each variant's own file is beside "
		      "plan.json.</p>\n",
		      f);
}

static const char *kind_name(enum report_kind k)
{
	return k == REPORT_PASS ? "pass" : k == REPORT_FAIL ? "fail" : k == REPORT_ERROR ? "error" : "skipped";
}

static void sec_verdicts(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	struct report_case *cases = NULL;
	size_t n = 0;
	fputs("<h3>Verdicts</h3>\n", f);
	if (report_cases(s->plan, &cases, &n) < 0) {
		fputs("<p>(plan.json has no cases)</p>\n", f);
		return;
	}
	fputs("<div class=\"scroll\"><table>\n<thead><tr><th>case</th><th>verdict</th><th>expectation</th><th>measured</th>"
	      "<th>where</th><th>message</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const json_t *a = cases[i].assertion;
		fputs("<tr>", f);
		td(f, cases[i].name);
		fputs("<td>", f);
		badge(f, kind_name(cases[i].kind));
		fputs("</td>", f);
		td(f, a ? jstr(a, "text") : NULL);
		tdv(f, a ? json_object_get(a, "value") : NULL, true);
		char *where = a && jstr(a, "file") ? xasprintf("%s:%lld", jstr(a, "file"),
							       (long long)json_integer_value(json_object_get(a, "line")))
						   : NULL;
		td(f, where);
		free(where);
		td(f, cases[i].message ? cases[i].message : "");
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
	report_cases_free(cases, n);
}

static void sec_jobs(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *jobs = json_object_get(s->plan, "jobs"), *j;
	size_t i;
	fputs("<h3>Jobs</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>job</th><th>kernel</th><th>status</th>"
	      "<th>elapsed s</th><th>workloads</th></tr></thead>\n<tbody>\n",
	      f);
	json_array_foreach (jobs, i, j) {
		char *label = report_job_label(j);
		fputs("<tr>", f);
		td(f, label);
		free(label);
		td(f, jstr(j, "kernel"));
		fputs("<td>", f);
		badge(f, jstr(j, "status"));
		fputs("</td>", f);
		tdv(f, json_object_get(j, "elapsed_s"), true);
		fputs("<td>", f);
		const json_t *wls = json_object_get(s->runs[i], "workloads"), *w;
		size_t k;
		json_array_foreach (wls, k, w) {
			escf(f, "%s%s %s", k ? "; " : "", jstr(w, "name") ? jstr(w, "name") : "?",
			     jstr(w, "outcome") ? jstr(w, "outcome") : "?");
			if (json_number_value(json_object_get(w, "ended_s")) > 0)
				escf(f, " at %.2fs", json_number_value(json_object_get(w, "ended_s")));
		}
		if (!s->runs[i])
			esc(f, jstr(j, "reason") ? jstr(j, "reason") : "(no run.json)");
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></div>\n", f);
}

/* a metric's value in run, as text in the metric's unit ("-" when absent) */
static void metric_cell(FILE *f, const json_t *run, const char *metric)
{
	struct schema_wl wls[32];
	size_t nwl = 0, i;
	const json_t *w;
	json_array_foreach (json_object_get(run, "workloads"), i, w)
		if (nwl < ARRAY_SIZE(wls) && jstr(w, "name") && jstr(w, "type"))
			wls[nwl++] = (struct schema_wl){ jstr(w, "name"), jstr(w, "type") };
	struct metric_ref ref;
	struct mval mv = { .kind = MV_ABSENT };
	char e[256], buf[64];
	fputs("<td class=\"num\">", f);
	if (run && schema_resolve(metric, wls, nwl, &ref, e, sizeof(e)) == 0 && schema_value(run, &ref, &mv) == 0 &&
	    mv.kind == MV_NUMBER) {
		if (ref.m->unit == MU_BYTES && mv.num >= 0)
			esc(f, format_size((uint64_t)mv.num, buf, sizeof(buf)));
		else
			escf(f, "%.4g", mv.num);
	} else if (mv.kind == MV_WORD) {
		esc(f, mv.word);
	} else {
		fputs("-", f);
	}
	fputs("</td>", f);
}

static void sec_compare(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *jobs = json_object_get(s->plan, "jobs"), *j;
	size_t i;
	fputs("<h3>Comparison</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>job</th>", f);
	for (size_t m = 0; m < pg->nmetrics; m++) {
		const char *unit = NULL;
		const struct metric *mt = schema_find(pg->metrics[m]);
		if (mt && mt->unit != MU_NONE && mt->unit != MU_BYTES && mt->unit != MU_COUNT)
			unit = metric_unit_name(mt->unit);
		fputs("<th>", f);
		esc(f, pg->metrics[m]);
		if (unit)
			escf(f, " [%s]", unit);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	json_array_foreach (jobs, i, j) {
		char *label = report_job_label(j);
		fputs("<tr>", f);
		td(f, label);
		free(label);
		for (size_t m = 0; m < pg->nmetrics; m++)
			metric_cell(f, s->runs[i], pg->metrics[m]);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div>\n<p class=\"muted\">Metrics as docs/results.md names them; - where a run does "
	      "not have the value.</p>\n",
	      f);
}

static void sec_settings(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *jobs = json_object_get(s->plan, "jobs"), *j;
	size_t i;
	fputs("<h3>Settings, from &rarr; to</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>job</th><th>setting</th>"
	      "<th>before</th><th>requested</th><th>applied</th><th>after (restored)</th></tr></thead>\n<tbody>\n",
	      f);
	json_array_foreach (jobs, i, j) {
		char *label = report_job_label(j);
		const json_t *run = s->runs[i], *e;
		size_t k;
		json_array_foreach (json_object_get(run, "sysctls"), k, e) {
			fputs("<tr>", f);
			td(f, label);
			td(f, jstr(e, "name"));
			tdv(f, json_object_get(e, "before"), true);
			tdv(f, json_object_get(e, "requested"), true);
			tdv(f, json_object_get(e, "applied"), true);
			tdv(f, json_object_get(e, "after"), true);
			fputs("</tr>\n", f);
		}
		json_array_foreach (json_object_get(json_object_get(run, "cgroup"), "settings"), k, e) {
			fputs("<tr>", f);
			td(f, label);
			char *nm = xasprintf("cgroup %s (%s)", jstr(e, "name") ? jstr(e, "name") : "?",
					     jstr(e, "file") ? jstr(e, "file") : "?");
			td(f, nm);
			free(nm);
			td(f, "(new cgroup)");
			tdv(f, json_object_get(e, "written"), true);
			tdv(f, json_object_get(e, "read_back"), true);
			td(f, "(removed)");
			fputs("</tr>\n", f);
		}
		const json_t *sw = json_object_get(run, "swap");
		if (json_is_object(sw)) {
			char b[64];
			fputs("<tr>", f);
			td(f, label);
			td(f, "swap file");
			td(f, "(none)");
			td(f, format_size((uint64_t)json_integer_value(json_object_get(sw, "size_bytes")), b, sizeof(b)));
			tdv(f, json_object_get(sw, "file"), false);
			td(f, "(removed)");
			fputs("</tr>\n", f);
		}
		free(label);
	}
	fputs("</tbody></table></div>\n", f);
}

static void sec_oom(struct page *pg, const struct subject *s)
{
	FILE *f = pg->f;
	const json_t *jobs = json_object_get(s->plan, "jobs"), *j;
	size_t i, total = 0, elsewhere = 0;
	for (i = 0; i < s->njobs; i++) {
		total += json_array_size(json_object_get(s->runs[i], "oom_kills"));
		elsewhere += json_is_array(json_object_get(s->runs[i], "oom_kills_elsewhere"))
				     ? json_array_size(json_object_get(s->runs[i], "oom_kills_elsewhere"))
				     : (size_t)json_integer_value(json_object_get(s->runs[i], "oom_kills_elsewhere"));
	}
	fputs("<h3>OOM kills</h3>\n", f);
	if (!total) {
		fputs("<p>No OOM kill in the runs' cgroups.", f);
	} else {
		fputs("<div class=\"scroll\"><table>\n<thead><tr><th>job</th><th>t s</th><th>pid</th><th>comm</th>"
		      "<th>constraint</th><th>anon RSS kB</th><th>found by</th><th>victim's workload: outcome, evidence</th>"
		      "</tr></thead>\n<tbody>\n",
		      f);
		json_array_foreach (jobs, i, j) {
			char *label = report_job_label(j);
			const json_t *k;
			size_t x;
			json_array_foreach (json_object_get(s->runs[i], "oom_kills"), x, k) {
				fputs("<tr>", f);
				td(f, label);
				fputs("<td class=\"num\">", f);
				escf(f, "%.3f", json_number_value(json_object_get(k, "t")));
				fputs("</td>", f);
				tdv(f, json_object_get(k, "pid"), true);
				tdv(f, json_object_get(k, "comm"), false);
				tdv(f, json_object_get(k, "constraint"), false);
				tdv(f, json_object_get(k, "anon_rss_kb"), true);
				tdv(f, json_object_get(k, "placed_by"), false);
				/* the workload whose pid (or announced child) it was */
				const json_t *w, *victim = NULL;
				size_t y;
				json_int_t pid = json_integer_value(json_object_get(k, "pid"));
				json_array_foreach (json_object_get(s->runs[i], "workloads"), y, w) {
					const json_t *p;
					size_t z;
					json_array_foreach (json_object_get(w, "oom_killed_pids"), z, p)
						if (json_integer_value(p) == pid)
							victim = w;
				}
				fputs("<td>", f);
				if (victim)
					escf(f, "%s: %s, %s", jstr(victim, "name") ? jstr(victim, "name") : "?",
					     jstr(victim, "outcome") ? jstr(victim, "outcome") : "?",
					     jstr(victim, "evidence") ? jstr(victim, "evidence") : "-");
				else
					fputs("-", f);
				fputs("</td></tr>\n", f);
			}
			free(label);
		}
		fputs("</tbody></table></div>\n<p>", f);
	}
	if (elsewhere)
		escf(f, " The kernel logged %zu OOM kill(s) elsewhere during the runs (not counted).", elsewhere);
	fputs("</p>\n", f);
}

static void sec_plots(struct page *pg, const struct subject *s, const char *id)
{
	FILE *f = pg->f;
	const json_t *plan = s->plan;
	fputs("<h3>Plots</h3>\n", f);
	struct plot_opts o = { .fmt = PLOT_SVG, .panels = PLOT_ALL };
	char err[256];
	if (!s->lone_run) {
		for (int by_kernel = 0; by_kernel < 2; by_kernel++)
			for (size_t m = 0; m < pg->nmetrics; m++) {
				char *script = NULL, *name = xasprintf("%s_p%u", id, pg->nsvg++);
				size_t len = 0;
				o.name = name;
				int r = by_kernel ? plot_kernels_script(s->dir, plan, pg->metrics[m], &o, &script, &len, err, sizeof(err))
						  : plot_sweep_script(s->dir, plan, pg->metrics[m], &o, &script, &len, err, sizeof(err));
				if (r == 0) {
					char *cap = xasprintf("%s %s: mean over repeats, error bars one standard deviation",
							      pg->metrics[m], by_kernel ? "across kernels" : "against the swept key");
					figure(pg, script, len, name, cap);
					free(cap);
				}
				free(name);
			}
	}
	const json_t *jobs = json_object_get(plan, "jobs"), *j;
	size_t i, shown = 0, max = pg->o && pg->o->max_timelines ? pg->o->max_timelines : 12;
	json_array_foreach (jobs, i, j) {
		if (!s->runs[i])
			continue;
		char *label = report_job_label(j);
		if (shown == max) {
			escf(f, "(timeline of %s not shown: at most %zu per plan; `mph plot` draws it)\n", label, max);
			fputs("<br>\n", f);
			free(label);
			continue;
		}
		char *dir = job_dir(s, j), *name = xasprintf("%s_p%u", id, pg->nsvg++), *script = NULL;
		char *title = xasprintf("%s %s", jstr(plan, "scenario") ? jstr(plan, "scenario") : "", label);
		size_t len = 0;
		o.name = name;
		o.title = title;
		if (plot_timeline_script(dir, &o, &script, &len, err, sizeof(err)) == 0) {
			char *cap = xasprintf("timeline of %s: markers for OOM kills, workload phases and timed actions", label);
			figure(pg, script, len, name, cap);
			free(cap);
			shown++;
		} else {
			fputs("<p class=\"muted\">", f);
			escf(f, "(no timeline for %s: %s)", label, err);
			fputs("</p>\n", f);
		}
		o.title = NULL;
		free(dir), free(name), free(title), free(label);
	}
}

int report_html(FILE *f, const char *const *paths, size_t n, const struct report_html_opts *o, char *err, size_t errlen)
{
	struct subject *subj = xcalloc(n ? n : 1, sizeof(*subj));
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		r = subject_load(paths[i], &subj[i], err, errlen);
	if (r < 0)
		goto out;
	struct page pg = { .f = f, .o = o };
	pg.metrics = o && o->nmetrics ? o->metrics : default_metrics;
	pg.nmetrics = o && o->nmetrics ? o->nmetrics : ARRAY_SIZE(default_metrics);
	size_t csslen = 0;
	const char *css = plot_asset("report.css", &csslen);
	char *now = utc_stamp(true);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>mph report: ",
	      f);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		esc(f, jstr(subj[i].plan, "scenario"));
	}
	fputs("</title>\n<style>\n", f);
	fwrite(css, 1, csslen, f);
	fputs("</style>\n</head>\n<body>\n<header>\n<h1>mph report</h1>\n<p class=\"muted\">", f);
	escf(f, "Written by mph %s at %s from %zu result director%s.", MPH_VERSION, now, n, n == 1 ? "y" : "ies");
	free(now);
	fputs("</p>\n</header>\n", f);
	if (n > 1) {
		fputs("<nav><ul>\n", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "<li><a href=\"#s%zu\">", i + 1);
			esc(f, jstr(subj[i].plan, "scenario"));
			fputs("</a> ", f);
			badge(f, jstr(subj[i].plan, "verdict"));
			fputs("</li>\n", f);
		}
		fputs("</ul></nav>\n", f);
	}
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "s%zu", i + 1);
		sec_summary(&pg, &subj[i], id);
		sec_machine(&pg, &subj[i]);
		sec_scenario(&pg, &subj[i]);
		sec_verdicts(&pg, &subj[i]);
		sec_jobs(&pg, &subj[i]);
		sec_compare(&pg, &subj[i]);
		sec_settings(&pg, &subj[i]);
		sec_oom(&pg, &subj[i]);
		sec_plots(&pg, &subj[i], id);
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	if (pg.no_gnuplot)
		snprintf(err, errlen, "plots not drawn: %s", pg.gp_err);
	r = ferror(f) ? -EIO : 0;
out:
	for (size_t i = 0; i < n; i++)
		subject_free(&subj[i]);
	free(subj);
	return r;
}

struct html_put {
	const char *const *paths;
	size_t n;
	const struct report_html_opts *o;
	char *err;
	size_t errlen;
};

static int put_html(FILE *f, void *ctx)
{
	const struct html_put *h = ctx;
	return report_html(f, h->paths, h->n, h->o, h->err, h->errlen);
}

int report_html_file(const char *path, const char *const *paths, size_t n, const struct report_html_opts *o,
		     char *err, size_t errlen)
{
	if (err && errlen)
		*err = '\0';
	struct html_put h = { paths, n, o, err, errlen };
	int r = write_stream_atomic(path, put_html, &h);
	if (r < 0 && err && errlen && !*err) /* the page was made, the file not written */
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-r));
	return r;
}
