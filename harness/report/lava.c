/* lava.c - a plan's report cases as LAVA test cases: one line per case,
 *
 *     NAME RESULT MEASUREMENT UNITS
 *
 * for tools/lava/mph-plan.sh, which hands each line to LAVA's lava-test-case helper
 * (`lava-test-case NAME --result RESULT --measurement V --units U`). The helper, not
 * mph, writes LAVA's signal lines: it knows where the lab wants them (the console or
 * /dev/kmsg). NAME is `<scenario>.<case>` with every character LAVA does not take in a
 * test case name (it splits signals at whitespace) written as `_`, unique in the file;
 * RESULT pass, fail or skip (an error is a fail: a report is never greener than the
 * plan); MEASUREMENT the value the assertion measured when it is a number (a job's
 * `run` case: its elapsed seconds), UNITS the unit of the metric it reads
 * (docs/results.md); `-` where there is none. Reads plan.json only (docs/lava.md). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../core/schema.h"
#include "../core/util.h"

static const char *const results[] = {
	[REPORT_PASS] = "pass",
	[REPORT_FAIL] = "fail",
	[REPORT_ERROR] = "fail",
	[REPORT_SKIP] = "skip",
};

static bool name_char(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

char *report_lava_name(const char *scenario, const char *case_name)
{
	char *raw = xasprintf("%s.%s", scenario, case_name), *out = xcalloc(strlen(raw) + 1, 1), *o = out;
	for (const char *p = raw; *p; p++) {
		char c = *p;
		if (c == ':' && p[1] == ' ') { /* "r1: one_kill": the case's parts */
			c = '.';
			p++;
		} else if (!name_char((unsigned char)c)) {
			c = '_';
		}
		if (c == '_' && o > out && o[-1] == '_')
			continue;
		*o++ = c;
	}
	free(raw);
	return out;
}

/* The metric an assertion reads, from its text: `METRIC OP ...`, `mean(METRIC) ...`
 * (min, max), `METRIC increases with KEY`; NULL for majority(), whose value is a
 * number of repeats, and for what is not a metric. */
static const struct metric *assertion_metric(const char *text, bool *repeats)
{
	*repeats = false;
	char tok[128];
	size_t n = 0;
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	for (; (isalnum((unsigned char)*p) || *p == '_' || *p == '.') && n + 1 < sizeof(tok); p++)
		tok[n++] = *p;
	tok[n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '(') {
		if (strcmp(tok, "majority") == 0) {
			*repeats = true;
			return NULL;
		}
		if (strcmp(tok, "mean") != 0 && strcmp(tok, "min") != 0 && strcmp(tok, "max") != 0)
			return NULL;
		return assertion_metric(p + 1, repeats);
	}
	const struct metric *m = schema_find(tok);
	const char *dot = strchr(tok, '.');
	if (m || !dot)
		return m;
	/* <workload>.<metric>: the workload's type is not in plan.json, but every type that
	 * has a metric of this name gives it the same unit (test_lava checks) */
	size_t nm;
	const struct metric *all = schema_metrics(&nm);
	for (size_t i = 0; i < nm; i++)
		if (all[i].wl_type && strcmp(all[i].name, dot + 1) == 0)
			return &all[i];
	return NULL;
}

const char *report_lava_units(const char *text)
{
	bool repeats;
	const struct metric *m = assertion_metric(text ? text : "", &repeats);
	if (repeats)
		return "repeats";
	if (!m || m->type != MT_NUMBER || m->unit == MU_NONE)
		return NULL;
	return metric_unit_name(m->unit);
}

/* A word LAVA takes as it is: the units (MiB/s, %) have no whitespace; anything
 * else becomes `_`. */
static void put_word(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p <= ' ' || *p >= 0x7f ? '_' : *p, f);
}

static void put_case(FILE *f, const char *name, const struct report_case *c)
{
	char num[64] = "-";
	const char *units = NULL;
	const json_t *v = c->assertion ? json_object_get(c->assertion, "value") : NULL;
	if (c->assertion && json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		units = report_lava_units(report_str(c->assertion, "text", ""));
	} else if (c->assertion && json_is_real(v)) {
		snprintf(num, sizeof(num), "%.15g", json_real_value(v));
		units = report_lava_units(report_str(c->assertion, "text", ""));
	} else if (!c->assertion && c->job && json_is_number(json_object_get(c->job, "elapsed_s"))) {
		snprintf(num, sizeof(num), "%.3f", json_number_value(json_object_get(c->job, "elapsed_s")));
		units = "s";
	}
	fprintf(f, "%s %s %s ", name, results[c->kind], num);
	put_word(f, strcmp(num, "-") != 0 && units ? units : "-");
	fputc('\n', f);
}

int report_lava(FILE *f, const json_t *const *plans, size_t n)
{
	char **seen = NULL;
	size_t nseen = 0;
	int r = 0;
	for (size_t p = 0; p < n && r == 0; p++) {
		struct report_case *cases;
		size_t nc;
		if ((r = report_cases(plans[p], &cases, &nc)) < 0)
			break;
		for (size_t i = 0; i < nc; i++) {
			char *base = report_lava_name(report_str(plans[p], "scenario", "mph"), cases[i].name);
			char *name = xstrdup(base);
			/* LAVA ends the job on a duplicate test case name: a second one gets _2, _3 */
			for (unsigned k = 2;; k++) {
				bool dup = false;
				for (size_t s = 0; s < nseen && !dup; s++)
					dup = strcmp(seen[s], name) == 0;
				if (!dup)
					break;
				free(name);
				name = xasprintf("%s_%u", base, k);
			}
			free(base);
			put_case(f, name, &cases[i]);
			seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
			seen[nseen++] = name;
		}
		report_cases_free(cases, nc);
	}
	for (size_t s = 0; s < nseen; s++)
		free(seen[s]);
	free(seen);
	if (r == 0)
		r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
	return r;
}

int report_lava_file(const char *path, const json_t *const *plans, size_t n)
{
	return report_plans_file(path, report_lava, plans, n);
}
