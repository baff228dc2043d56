/* report_tap.c - plans as TAP (version 14, or 13 for older harnesses): one test point
 * per report case of every plan, "<scenario>: <case>", a failure followed by a YAML
 * diagnostic block. We use nothing TAP 14 added beyond the escaping of '#' and '\' in
 * descriptions, so the stream is TAP 13 apart from its first line. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../core/util.h"

/* A description: '\' and '#' escaped (TAP 14), control characters (a newline would
 * end the test line) written as \xNN. */
static void tap_description(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '#')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02X", *p);
		else
			fputc(*p, f);
	}
}

/* A directive's reason runs to the end of the line: control characters become spaces */
static void tap_reason(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
}

/* "  key: value" in the YAML block; the value as JSON, which is YAML (a double-quoted
 * string with JSON's escapes, a number, null) */
static void yaml(FILE *f, const char *key, const json_t *v)
{
	if (!v)
		return;
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15));
	if (s)
		fprintf(f, "  %s: %s\n", key, s);
	free(s);
}

static void yaml_str(FILE *f, const char *key, const char *s)
{
	json_t *v = s ? json_string(s) : NULL; /* NULL also for text that is not UTF-8 */
	yaml(f, key, v);
	json_decref(v);
}

static const char *const severity[] = {
	[REPORT_PASS] = "pass",
	[REPORT_FAIL] = "fail",
	[REPORT_ERROR] = "error",
	[REPORT_SKIP] = "skip",
};

static void diagnostics(FILE *f, const struct report_case *c)
{
	const json_t *a = c->assertion, *job = c->job;
	fputs("  ---\n", f);
	yaml_str(f, "message", c->message);
	yaml_str(f, "severity", severity[c->kind]);
	if (a) {
		static const char *const keys[] = { "text", "scope", "value", "file", "line", "variant", "kernel" };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			yaml(f, keys[i], json_object_get(a, keys[i]));
	} else if (job) {
		static const char *const keys[] = { "status", "exit_code", "reason" };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			yaml(f, keys[i], json_object_get(job, keys[i]));
	}
	if (job) {
		yaml(f, "job", json_object_get(job, "id"));
		yaml(f, "dir", json_object_get(job, "dir"));
	}
	fputs("  ...\n", f);
}

int report_tap_version(FILE *f, const json_t *const *plans, size_t n, int version)
{
	if (version != 13 && version != 14)
		return -EINVAL;
	struct report_case **cases = xcalloc(n ? n : 1, sizeof(*cases));
	size_t *ncases = xcalloc(n ? n : 1, sizeof(*ncases)), total = 0;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		if ((r = report_cases(plans[i], &cases[i], &ncases[i])) < 0)
			goto out;
		total += ncases[i];
	}
	fprintf(f, "TAP version %d\n", version);
	if (total == 0)
		fputs("1..0 # SKIP no jobs\n", f);
	else
		fprintf(f, "1..%zu\n", total);
	size_t num = 0;
	for (size_t i = 0; i < n; i++) {
		const char *scenario = report_str(plans[i], "scenario", "");
		char *comment = xasprintf("# %s (%s): verdict %s", scenario, report_str(plans[i], "file", "?"),
					  report_str(plans[i], "verdict", "?"));
		tap_reason(f, comment);
		fputc('\n', f);
		free(comment);
		for (size_t k = 0; k < ncases[i]; k++) {
			const struct report_case *c = &cases[i][k];
			bool ok = c->kind == REPORT_PASS || c->kind == REPORT_SKIP;
			fprintf(f, "%sok %zu - ", ok ? "" : "not ", ++num);
			tap_description(f, scenario);
			fputs(": ", f);
			tap_description(f, c->name);
			if (c->kind == REPORT_SKIP) {
				fputs(" # SKIP ", f);
				tap_reason(f, c->message ? c->message : "");
			}
			fputc('\n', f);
			if (!ok)
				diagnostics(f, c);
		}
	}
	r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
out:
	for (size_t i = 0; i < n; i++)
		report_cases_free(cases[i], ncases[i]);
	free(cases);
	free(ncases);
	return r;
}

int report_tap(FILE *f, const json_t *const *plans, size_t n)
{
	return report_tap_version(f, plans, n, 14);
}

int report_tap_file(const char *path, const json_t *const *plans, size_t n)
{
	return report_plans_file(path, report_tap, plans, n);
}
