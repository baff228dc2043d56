/* report_junit.c - plans as JUnit XML for CI: <testsuites>, one <testsuite> per plan,
 * one <testcase> per report case (report_cases). Everything that comes from a scenario
 * file or a measurement is escaped, and characters XML 1.0 cannot carry at all (control
 * characters, invalid UTF-8, U+FFFE/U+FFFF) are written visibly as \xNN or \uNNNN. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "../core/util.h"

/* Length of the valid UTF-8 sequence at s and its code point, or 0 if it is not one
 * (truncated, overlong, a surrogate, beyond U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* report.h: tab, newline and CR in attributes as references, which attribute-value
 * normalisation would otherwise turn into spaces */
void report_xml_put(FILE *f, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t cp;
		size_t len = utf8_decode(p, &cp);
		if (len == 0) {
			fprintf(f, "\\x%02X", *p++);
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t':
		case '\n':
			if (attr)
				fprintf(f, "&#%u;", (unsigned)cp);
			else
				fputc((int)cp, f);
			break;
		default:
			if (cp < 0x20)
				fprintf(f, "\\x%02X", (unsigned)cp);
			else if (cp == 0xfffe || cp == 0xffff)
				fprintf(f, "\\u%04X", (unsigned)cp);
			else
				fwrite(p, 1, len, f);
		}
		p += len;
	}
}

static void attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	report_xml_put(f, value, true);
	fputc('"', f);
}

static void property(FILE *f, const char *name, const json_t *v)
{
	char buf[256];
	if (!v || json_is_null(v))
		return;
	fputs("      <property", f);
	attr(f, "name", name);
	attr(f, "value", report_value(v, buf, sizeof(buf)));
	fputs("/>\n", f);
}

/* "key: value" lines in a failure's or error's body, for the reader of the CI log */
static void detail(FILE *f, const char *key, const json_t *v)
{
	char buf[512];
	if (!v || json_is_null(v))
		return;
	fprintf(f, "%s: ", key);
	report_xml_put(f, report_value(v, buf, sizeof(buf)), false);
	fputc('\n', f);
}

static void details(FILE *f, const struct report_case *c)
{
	const json_t *a = c->assertion, *job = c->job;
	if (a) {
		detail(f, "assertion", json_object_get(a, "text"));
		detail(f, "scope", json_object_get(a, "scope"));
		detail(f, "value", json_object_get(a, "value"));
		detail(f, "file", json_object_get(a, "file"));
		detail(f, "line", json_object_get(a, "line"));
		detail(f, "variant", json_object_get(a, "variant"));
		detail(f, "kernel", json_object_get(a, "kernel"));
	}
	if (job) {
		if (!a) {
			detail(f, "status", json_object_get(job, "status"));
			detail(f, "exit_code", json_object_get(job, "exit_code"));
			detail(f, "reason", json_object_get(job, "reason"));
		}
		detail(f, "job", json_object_get(job, "id"));
		detail(f, "dir", json_object_get(job, "dir"));
	}
}

static const char *const kind_element[] = {
	[REPORT_PASS] = NULL,
	[REPORT_FAIL] = "failure",
	[REPORT_ERROR] = "error",
	[REPORT_SKIP] = "skipped",
};

static void testcase(FILE *f, const char *classname, const struct report_case *c)
{
	fputs("    <testcase", f);
	attr(f, "name", c->name);
	attr(f, "classname", classname);
	fprintf(f, " time=\"%.3f\"", c->time_s);
	const char *file = c->assertion ? report_str(c->assertion, "file", NULL) : NULL;
	json_int_t line = c->assertion ? json_integer_value(json_object_get(c->assertion, "line")) : 0;
	if (file)
		attr(f, "file", file);
	if (line > 0)
		fprintf(f, " line=\"%" JSON_INTEGER_FORMAT "\"", line);
	const char *el = kind_element[c->kind];
	if (!el) {
		fputs("/>\n", f);
		return;
	}
	fprintf(f, ">\n      <%s", el);
	attr(f, "message", c->message);
	if (c->kind == REPORT_SKIP) {
		fputs("/>\n    </testcase>\n", f);
		return;
	}
	attr(f, "type", c->assertion ? report_str(c->assertion, "verdict", "") : report_str(c->job, "status", "plan"));
	fputs(">", f);
	report_xml_put(f, c->message, false);
	fputc('\n', f);
	details(f, c);
	fprintf(f, "</%s>\n    </testcase>\n", el);
}

struct suite {
	const json_t *plan;
	struct report_case *cases;
	size_t n, kind[REPORT_SKIP + 1];
	double time_s;
};

static void testsuite(FILE *f, size_t id, const struct suite *s)
{
	const json_t *plan = s->plan;
	const char *scenario = report_str(plan, "scenario", "");
	char *classname = xasprintf("mph.%s", scenario);
	fputs("  <testsuite", f);
	attr(f, "name", scenario);
	fprintf(f, " id=\"%zu\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"", id, s->n,
		s->kind[REPORT_FAIL], s->kind[REPORT_ERROR], s->kind[REPORT_SKIP], s->time_s);
	if (json_is_string(json_object_get(plan, "started_at")))
		attr(f, "timestamp", report_str(plan, "started_at", ""));
	fputs(">\n    <properties>\n", f);
	static const char *const props[] = { "file", "sweep", "verdict", "exit_code", "reason", "mph_version",
					     "started_at", "ended_at" };
	for (size_t i = 0; i < ARRAY_SIZE(props); i++)
		property(f, props[i], json_object_get(plan, props[i]));
	fputs("    </properties>\n", f);
	for (size_t i = 0; i < s->n; i++)
		testcase(f, classname, &s->cases[i]);
	fputs("  </testsuite>\n", f);
	free(classname);
}

int report_junit(FILE *f, const json_t *const *plans, size_t n)
{
	struct suite *suites = xcalloc(n ? n : 1, sizeof(*suites));
	struct suite total = { 0 };
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		struct suite *s = &suites[i];
		s->plan = plans[i];
		if ((r = report_cases(plans[i], &s->cases, &s->n)) < 0)
			goto out;
		for (size_t k = 0; k < s->n; k++) {
			s->kind[s->cases[k].kind]++;
			s->time_s += s->cases[k].time_s;
		}
		total.n += s->n;
		for (size_t k = 0; k < ARRAY_SIZE(total.kind); k++)
			total.kind[k] += s->kind[k];
		total.time_s += s->time_s;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<testsuites name=\"mph\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		total.n, total.kind[REPORT_FAIL], total.kind[REPORT_ERROR], total.kind[REPORT_SKIP], total.time_s);
	for (size_t i = 0; i < n; i++)
		testsuite(f, i, &suites[i]);
	fputs("</testsuites>\n", f);
	r = fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
out:
	for (size_t i = 0; i < n; i++)
		report_cases_free(suites[i].cases, suites[i].n);
	free(suites);
	return r;
}

int report_junit_file(const char *path, const json_t *const *plans, size_t n)
{
	return report_plans_file(path, report_junit, plans, n);
}
