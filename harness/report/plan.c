/* report_plan.c - a plan's results as report cases (the list every writer prints), its
 * counts, the terminal's verdict table and the summary of `mph run --json`. Reads
 * plan.json and run.json only. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../core/util.h"

#define TABLE_COLS 100

const char *report_str(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

static bool is_plan(const json_t *plan)
{
	return json_is_object(plan) && strcmp(report_str(plan, "schema", ""), REPORT_PLAN_SCHEMA) == 0;
}

/* Job statuses and assertion verdicts as tables: the report kind each stands for and
 * the words the messages use. Anything not listed is an error: a writer newer than
 * this reader, or a damaged file, must not look like a pass. */
enum job_status { JOB_DONE, JOB_FAILED, JOB_NOT_RUN, JOB_SKIPPED, JOB_INTERRUPTED, JOB_UNKNOWN };
static const struct {
	const char *name;
	enum report_kind kind;
} job_statuses[] = {
	[JOB_DONE] = { "done", REPORT_PASS },
	[JOB_FAILED] = { "failed", REPORT_ERROR },
	[JOB_NOT_RUN] = { "not-run", REPORT_SKIP },
	[JOB_SKIPPED] = { "skipped", REPORT_SKIP },
	[JOB_INTERRUPTED] = { "interrupted", REPORT_ERROR },
};

static enum job_status job_status(const json_t *job)
{
	const char *s = report_str(job, "status", "");
	for (size_t i = 0; i < ARRAY_SIZE(job_statuses); i++)
		if (strcmp(s, job_statuses[i].name) == 0)
			return (enum job_status)i;
	return JOB_UNKNOWN;
}

static const struct {
	const char *name;
	enum report_kind kind;
} verdicts[] = {
	{ "pass", REPORT_PASS },
	{ "fail", REPORT_FAIL },
	{ "error", REPORT_ERROR },
	{ "skipped", REPORT_SKIP },
};

static enum report_kind verdict_kind(const json_t *a)
{
	const char *s = report_str(a, "verdict", "");
	for (size_t i = 0; i < ARRAY_SIZE(verdicts); i++)
		if (strcmp(s, verdicts[i].name) == 0)
			return verdicts[i].kind;
	return REPORT_ERROR;
}

const char *report_value(const json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%g", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (!v || json_is_null(v))
		snprintf(buf, len, "null");
	else { /* a list or an object: as compact JSON */
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, len, "%s", s ? s : "?");
		free(s);
	}
	return buf;
}

/* "@<kernel>" unless it ran on the host */
static const char *kernel_suffix(const json_t *o)
{
	const char *k = report_str(o, "kernel", "");
	return *k && strcmp(k, "host") != 0 ? k : NULL;
}

char *report_job_label(const json_t *job)
{
	const char *variant = report_str(job, "variant", ""), *k = kernel_suffix(job);
	return xasprintf("%s%sr%" JSON_INTEGER_FORMAT "%s%s", variant, *variant ? "/" : "",
			 json_integer_value(json_object_get(job, "repeat")), k ? "@" : "", k ? k : "");
}

/* "<variant>[@<kernel>]" for a variant's aggregate, "trend[@<kernel>]" across variants;
 * NULL for an aggregate over the only variant of a scenario without a sweep on the host */
static char *aggregate_label(const json_t *a)
{
	const char *variant = report_str(a, "variant", ""), *k = kernel_suffix(a);
	if (strcmp(report_str(a, "scope", ""), "trend") == 0)
		variant = "trend";
	if (!*variant && !k)
		return NULL;
	return xasprintf("%s%s%s", variant, k ? "@" : "", k ? k : "");
}

/* "scenarios/x.ini:14", "line 14", "scenarios/x.ini" or "" */
static char *where(const json_t *a)
{
	const char *file = report_str(a, "file", NULL);
	json_int_t line = json_integer_value(json_object_get(a, "line"));
	if (file && line > 0)
		return xasprintf("%s:%" JSON_INTEGER_FORMAT, file, line);
	if (line > 0)
		return xasprintf("line %" JSON_INTEGER_FORMAT, line);
	return xstrdup(file ? file : "");
}

/* Starts with file:line, so that a terminal that cuts the line keeps where it is */
static char *assertion_message(const json_t *a, enum report_kind kind)
{
	char vb[128];
	char *w = where(a);
	const char *text = report_str(a, "text", report_str(a, "name", "")), *msg = report_str(a, "message", NULL);
	const char *sep = *w ? ": " : "";
	char *m;
	switch (kind) {
	case REPORT_FAIL: {
		/* the measured value is always said, once */
		char *measured = xasprintf("measured %s", report_value(json_object_get(a, "value"), vb, sizeof(vb)));
		if (msg && strstr(msg, measured))
			m = xasprintf("%s%s%s: %s", w, sep, text, msg);
		else
			m = xasprintf("%s%s%s: %s%s%s%s", w, sep, text, measured, msg ? " (" : "", msg ? msg : "",
				      msg ? ")" : "");
		free(measured);
		break;
	}
	case REPORT_ERROR:
		if (strcmp(report_str(a, "verdict", ""), "error") == 0)
			m = xasprintf("%s%s%s: could not be evaluated%s%s", w, sep, text, msg ? ": " : "", msg ? msg : "");
		else
			m = xasprintf("%s%s%s: unknown verdict '%s'", w, sep, text, report_str(a, "verdict", ""));
		break;
	case REPORT_SKIP:
		m = xasprintf("%s%s%s: not evaluated%s%s", w, sep, text, msg ? ": " : "", msg ? msg : "");
		break;
	default:
		m = NULL;
	}
	free(w);
	return m;
}

static char *job_message(const json_t *job, enum job_status st)
{
	const char *reason = report_str(job, "reason", NULL);
	const json_t *ec = json_object_get(job, "exit_code");
	switch (st) {
	case JOB_FAILED:
		if (json_is_integer(ec))
			return xasprintf("failed (exit %" JSON_INTEGER_FORMAT ")%s%s", json_integer_value(ec),
					 reason ? ": " : "", reason ? reason : "");
		return xasprintf("failed%s%s", reason ? ": " : "", reason ? reason : "");
	case JOB_NOT_RUN:
	case JOB_SKIPPED:
	case JOB_INTERRUPTED:
		return xasprintf("%s%s%s", job_statuses[st].name, reason ? ": " : "", reason ? reason : "");
	case JOB_UNKNOWN:
		return xasprintf("unknown status '%s'", report_str(job, "status", ""));
	default:
		return NULL;
	}
}

struct case_list {
	struct report_case *v;
	size_t n, cap;
};

static struct report_case *add_case(struct case_list *l, char *name, enum report_kind kind, char *message)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	struct report_case *c = &l->v[l->n++];
	*c = (struct report_case){ .name = name, .kind = kind, .message = message };
	return c;
}

int report_cases(const json_t *plan, struct report_case **cases, size_t *n)
{
	if (!is_plan(plan))
		return -EINVAL;
	struct case_list l = { 0 };
	size_t i, k;
	const json_t *job, *a;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		char *label = report_job_label(job);
		enum job_status st = job_status(job);
		const json_t *as = json_object_get(job, "assertions");
		double elapsed = json_number_value(json_object_get(job, "elapsed_s"));
		struct report_case *c = NULL;
		if (st != JOB_DONE || json_array_size(as) == 0) {
			c = add_case(&l, xasprintf("%s: run", label),
				     st == JOB_UNKNOWN ? REPORT_ERROR : job_statuses[st].kind, job_message(job, st));
			c->job = job;
			c->time_s = elapsed;
		}
		json_array_foreach(as, k, a) {
			enum report_kind kind = verdict_kind(a);
			struct report_case *ac = add_case(&l, xasprintf("%s: %s", label, report_str(a, "name", "?")), kind,
							  assertion_message(a, kind));
			ac->job = job;
			ac->assertion = a;
			if (!c) { /* the job's time goes on its first case, so that they add up */
				ac->time_s = elapsed;
				c = ac;
			}
		}
		free(label);
	}
	json_array_foreach(json_object_get(plan, "aggregates"), i, a) {
		enum report_kind kind = verdict_kind(a);
		char *label = aggregate_label(a);
		const char *name = report_str(a, "name", "?");
		struct report_case *c = add_case(&l, label ? xasprintf("%s: %s", label, name) : xstrdup(name), kind,
						 assertion_message(a, kind));
		c->assertion = a;
		free(label);
	}

	/* The report is never greener than the plan's verdict: a plan interrupted between
	 * jobs (the rest not-run) or in error for a reason no job carries gets a case of
	 * its own, and so does a plan skipped before it had jobs. */
	const char *verdict = report_str(plan, "verdict", ""), *reason = report_str(plan, "reason", NULL);
	bool red = false;
	for (i = 0; i < l.n; i++)
		red |= l.v[i].kind == REPORT_FAIL || l.v[i].kind == REPORT_ERROR;
	if (!red && (!strcmp(verdict, "fail") || !strcmp(verdict, "error") || !strcmp(verdict, "interrupted")))
		add_case(&l, xstrdup("plan"), REPORT_ERROR,
			 xasprintf("plan %s%s%s", verdict, reason ? ": " : "", reason ? reason : ""));
	else if (l.n == 0 && !strcmp(verdict, "skipped"))
		add_case(&l, xstrdup("plan"), REPORT_SKIP, xstrdup(reason ? reason : "skipped"));
	*cases = l.v;
	*n = l.n;
	return 0;
}

void report_cases_free(struct report_case *cases, size_t n)
{
	for (size_t i = 0; cases && i < n; i++) {
		free(cases[i].name);
		free(cases[i].message);
	}
	free(cases);
}

int report_plan_load(const char *path, json_t **plan)
{
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, &buf, &len);
	if (r < 0)
		return r;
	json_t *p = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (!is_plan(p)) {
		json_decref(p);
		return -EINVAL;
	}
	*plan = p;
	return 0;
}

struct counts {
	size_t jobs, status[ARRAY_SIZE(job_statuses) + 1];
	size_t assertions, kind[REPORT_SKIP + 1];
};

static void count(const json_t *plan, struct counts *c)
{
	*c = (struct counts){ 0 };
	size_t i, k;
	const json_t *job, *a;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		c->jobs++;
		c->status[job_status(job)]++;
		json_array_foreach(json_object_get(job, "assertions"), k, a) {
			c->assertions++;
			c->kind[verdict_kind(a)]++;
		}
	}
	json_array_foreach(json_object_get(plan, "aggregates"), i, a) {
		c->assertions++;
		c->kind[verdict_kind(a)]++;
	}
}

json_t *report_plan_counts(const json_t *plan)
{
	if (!is_plan(plan))
		return NULL;
	struct counts c;
	count(plan, &c);
	/* a status this reader does not know is counted with the failed jobs */
	return json_pack("{sI sI sI sI sI sI sI sI sI sI sI}", "jobs", (json_int_t)c.jobs, "done",
			 (json_int_t)c.status[JOB_DONE], "failed", (json_int_t)(c.status[JOB_FAILED] + c.status[JOB_UNKNOWN]),
			 "not_run", (json_int_t)c.status[JOB_NOT_RUN], "skipped", (json_int_t)c.status[JOB_SKIPPED],
			 "interrupted", (json_int_t)c.status[JOB_INTERRUPTED], "assertions", (json_int_t)c.assertions,
			 "passed", (json_int_t)c.kind[REPORT_PASS], "failed_assertions", (json_int_t)c.kind[REPORT_FAIL],
			 "error_assertions", (json_int_t)c.kind[REPORT_ERROR], "skipped_assertions",
			 (json_int_t)c.kind[REPORT_SKIP]);
}

json_t *report_plan_summary(const json_t *plan)
{
	struct report_case *cases = NULL;
	size_t n = 0;
	if (report_cases(plan, &cases, &n) < 0)
		return NULL;
	json_t *failed = json_array(), *not_done = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct report_case *c = &cases[i];
		const json_t *a = c->assertion;
		if (!a || (c->kind != REPORT_FAIL && c->kind != REPORT_ERROR))
			continue;
		json_t *v = json_object_get(a, "value");
		json_array_append_new(failed,
				      json_pack("{ss ss ss ss? sO? ss? ss? sO? sO? ss}", "name", c->name, "verdict",
						report_str(a, "verdict", ""), "text", report_str(a, "text", ""), "scope",
						report_str(a, "scope", NULL), "line", json_object_get(a, "line"), "file",
						report_str(a, "file", NULL), "dir", c->job ? report_str(c->job, "dir", NULL) : NULL,
						"value", v, "job", c->job ? json_object_get(c->job, "id") : NULL,
						"message", c->message));
	}
	report_cases_free(cases, n);
	size_t i;
	const json_t *job;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		if (job_status(job) == JOB_DONE)
			continue;
		char *label = report_job_label(job);
		json_array_append_new(not_done, json_pack("{sO? ss ss sO? ss?}", "id", json_object_get(job, "id"), "name",
							  label, "status", report_str(job, "status", ""), "exit_code",
							  json_object_get(job, "exit_code"), "reason",
							  report_str(job, "reason", NULL)));
		free(label);
	}
	return json_pack("{ss ss ss ss ss sO? ss? so so so}", "schema", "mph-plan-summary/1", "scenario",
			 report_str(plan, "scenario", ""), "file", report_str(plan, "file", ""), "verdict",
			 report_str(plan, "verdict", ""), "mph_version", report_str(plan, "mph_version", ""), "exit_code",
			 json_object_get(plan, "exit_code"), "reason",
			 report_str(plan, "reason", NULL), "counts", report_plan_counts(plan), "failed", failed,
			 "jobs_not_done", not_done);
}

/* The verdict table. Names come from scenario files and measured words: control
 * characters are shown as '?' so that none reaches the terminal. A line longer than
 * TABLE_COLS columns is cut with "..." (the job lines: the detail at the end is in
 * the files), or wrapped at spaces onto lines indented by indent (the messages and the
 * verdict, which must be read whole). Columns are UTF-8 characters. */
static void put_text(FILE *f, int wrap_indent, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put_text(FILE *f, int wrap_indent, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	size_t len = strlen(s);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	while (len && s[len - 1] == ' ')
		s[--len] = '\0';

	const char *p = s;
	int width = TABLE_COLS;
	for (;;) {
		/* the end of the first width columns of p, and the last space before it */
		const char *end = p, *space = NULL;
		for (int cols = 0; *end && cols < width; cols++) {
			if (*end == ' ' && end > p)
				space = end;
			end++;
			while (((unsigned char)*end & 0xc0) == 0x80)
				end++;
		}
		if (!*end) {
			fprintf(f, "%s\n", p);
			break;
		}
		if (wrap_indent < 0) {
			for (int back = 0; back < 3 && end > p; back++)
				do
					end--;
				while (end > p && ((unsigned char)*end & 0xc0) == 0x80);
			fprintf(f, "%.*s...\n", (int)(end - p), p);
			break;
		}
		const char *brk = space ? space : end;
		fprintf(f, "%.*s\n%*s", (int)(brk - p), p, wrap_indent, "");
		for (p = brk; *p == ' '; p++)
			;
		width = TABLE_COLS - wrap_indent;
	}
	free(s);
}

#define CUT (-1)

/* "text" cut to width columns with "..." (ASCII widths: a multi-byte name is cut
 * early, never split) */
static char *fit(const char *text, int width)
{
	if ((int)strlen(text) <= width)
		return xstrdup(text);
	int keep = width > 3 ? width - 3 : 0;
	while (keep > 0 && ((unsigned char)text[keep] & 0xc0) == 0x80)
		keep--;
	return xasprintf("%.*s...", keep, text);
}

/* "leaker oom-killed, steady exited" from the job's run.json; NULL if it has none */
static char *outcomes(const char *plan_dir, const json_t *job)
{
	const char *dir = report_str(job, "dir", NULL);
	if (!plan_dir || !dir)
		return NULL;
	char *path = xasprintf("%s/%s/run.json", plan_dir, dir);
	json_t *run = json_load_file(path, 0, NULL);
	free(path);
	if (!run)
		return NULL;
	char *out = NULL;
	size_t i;
	const json_t *w;
	json_array_foreach(json_object_get(run, "workloads"), i, w) {
		char *next = xasprintf("%s%s%s %s", out ? out : "", out ? ", " : "", report_str(w, "name", "?"),
				       report_str(w, "outcome", "?"));
		free(out);
		out = next;
	}
	json_decref(run);
	return out;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* What the verdict line says in brackets: "1 of 8 assertions failed, 4 jobs",
 * "8 assertions, 4 jobs", "10 assertions: 1 failed, 2 not evaluable; 1 of 6 jobs
 * failed", "after 1 of 3 jobs: SIGINT; 1 assertion", or a skipped plan's reason. */
static char *verdict_detail(const json_t *plan, const struct counts *c)
{
	const char *verdict = report_str(plan, "verdict", "");
	const char *reason = report_str(plan, "reason", NULL);
	size_t i;
	const json_t *job;
	if (strcmp(verdict, "skipped") == 0) {
		json_array_foreach(json_object_get(plan, "jobs"), i, job) /* the machine's reason, from a job */
			if (!reason && job_status(job) == JOB_SKIPPED)
				reason = report_str(job, "reason", NULL);
		return xstrdup(reason ? reason : "this machine cannot run it");
	}

	size_t failed = c->kind[REPORT_FAIL], errors = c->kind[REPORT_ERROR];
	const char *as = plural(c->assertions, "assertion", "assertions");
	char *a;
	if (!c->assertions)
		a = xstrdup("no assertions");
	else if (!failed && !errors)
		a = xasprintf("%zu %s", c->assertions, as);
	else if (!errors)
		a = xasprintf("%zu of %zu %s failed", failed, c->assertions, as);
	else if (!failed)
		a = xasprintf("%zu of %zu %s not evaluable", errors, c->assertions, as);
	else
		a = xasprintf("%zu %s: %zu failed, %zu not evaluable", c->assertions, as, failed, errors);

	size_t jobs_failed = c->status[JOB_FAILED] + c->status[JOB_UNKNOWN];
	const char *js = plural(c->jobs, "job", "jobs");
	char *d;
	if (strcmp(verdict, "interrupted") == 0)
		d = xasprintf("after %zu of %zu %s%s%s; %s", c->status[JOB_DONE], c->jobs, js, reason ? ": " : "",
			      reason ? reason : "", a);
	else if (jobs_failed)
		d = xasprintf("%s; %zu of %zu %s failed%s%s", a, jobs_failed, c->jobs, js, reason ? ": " : "",
			      reason ? reason : "");
	else
		d = xasprintf("%s, %zu %s%s%s", a, c->jobs, js, reason ? "; " : "", reason ? reason : "");
	free(a);
	return d;
}

void report_plan_table(FILE *f, const json_t *plan, const char *plan_dir)
{
	if (!is_plan(plan)) {
		put_text(f, 9, "verdict: ERROR (not an %s plan)", REPORT_PLAN_SCHEMA);
		return;
	}
	struct counts c;
	count(plan, &c);
	const json_t *jobs = json_object_get(plan, "jobs"), *job;
	const char *sweep = report_str(plan, "sweep", NULL);
	put_text(f, 4, "%s: %zu %s (%s%s%s)", report_str(plan, "scenario", "?"), c.jobs, plural(c.jobs, "job", "jobs"),
		 report_str(plan, "file", "?"), sweep && json_array_size(json_object_get(plan, "axes")) ? ", sweep " : "",
		 sweep && json_array_size(json_object_get(plan, "axes")) ? sweep : "");

	/* column widths from the data, bounded so that the workloads keep some room */
	int wv = (int)strlen("variant"), wk = (int)strlen("kernel");
	size_t i, k;
	json_array_foreach(jobs, i, job) {
		int lv = (int)strlen(report_str(job, "variant", "")), lk = (int)strlen(report_str(job, "kernel", "host"));
		wv = lv > wv ? lv : wv;
		wk = lk > wk ? lk : wk;
	}
	wv = wv > 32 ? 32 : wv;
	wk = wk > 20 ? 20 : wk;
	if (c.jobs)
		put_text(f, CUT, "  %-*s  %-*s  %-4s %-11s %-6s %s", wv, "variant", wk, "kernel", "rep", "status", "held",
			 "workloads");
	json_array_foreach(jobs, i, job) {
		const char *variant = report_str(job, "variant", "");
		char *v = fit(*variant ? variant : "-", wv), *kern = fit(report_str(job, "kernel", "host"), wk);
		char rep[24], held[48] = "-";
		snprintf(rep, sizeof(rep), "r%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(job, "repeat")));
		const json_t *as = json_object_get(job, "assertions"), *a;
		size_t ok = 0;
		json_array_foreach(as, k, a)
			ok += verdict_kind(a) == REPORT_PASS;
		if (json_array_size(as))
			snprintf(held, sizeof(held), "%zu/%zu", ok, json_array_size(as));
		enum job_status st = job_status(job);
		char *detail = st == JOB_DONE ? outcomes(plan_dir, job) : job_message(job, st);
		put_text(f, CUT, "  %-*s  %-*s  %-4s %-11s %-6s %s", wv, v, wk, kern, rep, report_str(job, "status", "?"), held,
			 detail ? detail : "");
		free(detail);
		free(v);
		free(kern);
	}

	/* what did not hold, and what could not be evaluated or carried out */
	struct report_case *cases = NULL;
	size_t n = 0;
	if (report_cases(plan, &cases, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (cases[i].kind != REPORT_FAIL && cases[i].kind != REPORT_ERROR)
				continue;
			put_text(f, 6, "%s %s", cases[i].kind == REPORT_FAIL ? "FAIL " : "ERROR", cases[i].name);
			put_text(f, 6, "      %s", cases[i].message ? cases[i].message : "");
		}
		report_cases_free(cases, n);
	}

	char *detail = verdict_detail(plan, &c), *verdict = xstrdup(report_str(plan, "verdict", "unknown"));
	for (char *p = verdict; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	put_text(f, 9, "verdict: %s (%s)", verdict, detail);
	free(verdict);
	free(detail);
}

struct plans_put {
	int (*put)(FILE *f, const json_t *const *plans, size_t n);
	const json_t *const *plans;
	size_t n;
};

static int put_plans(FILE *f, void *ctx)
{
	const struct plans_put *p = ctx;
	return p->put(f, p->plans, p->n);
}

int report_plans_file(const char *path, int (*put)(FILE *f, const json_t *const *plans, size_t n),
		      const json_t *const *plans, size_t n)
{
	struct plans_put p = { put, plans, n };
	return write_stream_atomic(path, put_plans, &p);
}
