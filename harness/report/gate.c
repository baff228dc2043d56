/* gate.c - regression gates on a comparison (compare.h): what a CI job fails on.
 *
 *   METRIC OP VALUE     each group's mean against a number (OP: == != < <= > >=);
 *                       byte metrics take sizes (64M). Trips when it holds.
 *   METRIC:+N%          the mean rose by more than N% of the baseline's, and the
 *   METRIC:-N%          change is significant; -N%: fell by more than N%
 *   METRIC:worse        significantly worse, the way the metric table says is worse
 *
 * A gate that cannot be evaluated (no value, too few runs to test) is an error, which
 * fails like a tripped gate: an absent value never passes. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "report.h"
#include "../core/units.h"
#include "../core/util.h"

static const struct {
	const char *s;
	enum gate_op op;
} ops[] = { { "<=", GOP_LE }, { ">=", GOP_GE }, { "==", GOP_EQ }, { "!=", GOP_NE }, { "<", GOP_LT }, { ">", GOP_GT } };

static const char *op_text(enum gate_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].s;
	return "?";
}

static char *trimmed(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return strndup(s, len);
}

static bool metric_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

int gate_parse(const char *text, struct gate *g, char *err, size_t errlen)
{
	struct gate out = { .text = trimmed(text, strlen(text)) };
	const char *colon = strchr(out.text, ':');
	char *rhs = NULL;
	int r = -EINVAL;
	if (colon) {
		out.metric = trimmed(out.text, (size_t)(colon - out.text));
		rhs = trimmed(colon + 1, strlen(colon + 1));
		if (strcmp(rhs, "worse") == 0) {
			out.kind = GATE_WORSE;
		} else {
			char *end;
			out.kind = GATE_REL;
			out.pct = strtod(rhs, &end);
			if ((rhs[0] != '+' && rhs[0] != '-') || end == rhs + 1 || strcmp(end, "%") != 0 || out.pct == 0 ||
			    !isfinite(out.pct)) {
				snprintf(err, errlen, "'%s': after ':' write +N%% (rose by more than N%%), -N%% or worse", out.text);
				goto out;
			}
		}
	} else {
		const char *p = NULL;
		size_t k = 0;
		for (const char *s = out.text; *s && !p; s++)
			for (k = 0; k < ARRAY_SIZE(ops); k++)
				if (strncmp(s, ops[k].s, strlen(ops[k].s)) == 0) {
					p = s;
					break;
				}
		if (!p) {
			snprintf(err, errlen, "'%s': expected METRIC OP VALUE (OP: == != < <= > >=), METRIC:+N%%, "
					      "METRIC:-N%% or METRIC:worse", out.text);
			goto out;
		}
		out.kind = GATE_ABS;
		out.op = ops[k].op;
		out.metric = trimmed(out.text, (size_t)(p - out.text));
		rhs = trimmed(p + strlen(ops[k].s), strlen(p + strlen(ops[k].s)));
		char *end;
		uint64_t bytes;
		out.value = strtod(rhs, &end);
		if (!*rhs || *end || !isfinite(out.value)) {
			if (parse_size(rhs, &bytes) == 0) {
				out.value = (double)bytes;
				out.value_is_size = true;
			} else {
				snprintf(err, errlen, "'%s': '%s' is not a number or a size", out.text, rhs);
				goto out;
			}
		}
	}
	if (!metric_name_ok(out.metric)) {
		snprintf(err, errlen, "'%s': '%s' is not a metric name", out.text, out.metric);
		goto out;
	}
	r = 0;
out:
	free(rhs);
	if (r < 0) {
		free(out.text);
		free(out.metric);
		return r;
	}
	*g = out;
	return 0;
}

int gates_load(const char *path, struct gate **v, size_t *n, char *err, size_t errlen)
{
	char *text = NULL;
	int r = read_file(path, &text, NULL);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	size_t off = 0;
	int line = 0, bad = 0;
	err[0] = '\0';
	for (char *l = text, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		char *t = trimmed(l, strlen(l));
		if (*t) {
			struct gate g;
			char e[512];
			if (gate_parse(t, &g, e, sizeof(e)) < 0) {
				bad++;
				if (off < errlen)
					off += (size_t)snprintf(err + off, errlen - off, "%s%s:%d: %s", off ? "\n" : "", path, line, e);
			} else {
				g.file = xstrdup(path);
				g.line = line;
				*v = xrealloc(*v, (*n + 1) * sizeof(**v));
				(*v)[(*n)++] = g;
			}
		}
		free(t);
	}
	free(text);
	return bad ? -EINVAL : 0;
}

void gates_free(struct gate *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].text);
		free(v[i].metric);
		free(v[i].file);
	}
	free(v);
}

const char *gate_result_name(enum gate_result r)
{
	static const char *const n[] = { [GR_PASS] = "pass", [GR_TRIP] = "tripped", [GR_ERROR] = "error",
					 [GR_SKIP] = "skipped" };
	return r <= GR_SKIP ? n[r] : "?";
}

/* equal within 1e-9 (relative), as [expect] compares */
static bool holds(double a, enum gate_op op, double b)
{
	bool eq = a == b || fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
	switch (op) {
	case GOP_EQ: return eq;
	case GOP_NE: return !eq;
	case GOP_LT: return a < b && !eq;
	case GOP_LE: return a < b || eq;
	case GOP_GT: return a > b && !eq;
	case GOP_GE: return a > b || eq;
	}
	return false;
}

static const char *val(const struct cmp_row *r, double v, char *buf, size_t len)
{
	if (r->ref.m->unit == MU_BYTES && isfinite(v) && fabs(v) >= 1 << 20)
		snprintf(buf, len, "%.1fM", v / (1 << 20));
	else
		snprintf(buf, len, "%.6g", v);
	return buf;
}

static char *describe(const struct cmp_table *t, const struct cmp_row *r, size_t gi)
{
	const struct cmp_cell *c = &r->cells[gi];
	char a[32];
	if (r->outcome)
		return xasprintf("%s %s", t->g[gi].name, c->text);
	return xasprintf("%s %s (mean of %zu run%s)", t->g[gi].name, val(r, c->st.mean, a, sizeof(a)), c->n,
			 c->n == 1 ? "" : "s");
}

static char *change(const struct cmp_cell *c)
{
	char pct[32];
	if (isfinite(c->change_pct))
		snprintf(pct, sizeof(pct), "%+.2f%%", c->change_pct);
	else
		snprintf(pct, sizeof(pct), "%s", isnan(c->change_pct) ? "no % change" : c->change_pct > 0 ? "+inf%" : "-inf%");
	return xasprintf("%s, %s p=%.3g", pct, stats_test_name(c->test.test), c->test.p);
}

static void one(const struct cmp_table *t, const struct cmp_row *r, const struct gate *g, size_t gi,
		struct gate_verdict *out)
{
	const struct cmp_cell *c = &r->cells[gi], *b = &r->cells[t->base];
	*out = (struct gate_verdict){ .g = g, .group = gi };
	char *here = describe(t, r, gi), *base = describe(t, r, t->base);
	if (g->kind == GATE_ABS) {
		char v[32];
		if (!c->n) {
			out->r = GR_ERROR;
			out->message = xasprintf("%s: no run of %s has a value", g->text, t->g[gi].name);
		} else {
			out->r = holds(c->st.mean, g->op, g->value) ? GR_TRIP : GR_PASS;
			out->message = xasprintf("%s: %s; %s %s %s%s%s", g->text, here, out->r == GR_TRIP ? "is" : "is not",
						 op_text(g->op), val(r, g->value, v, sizeof(v)),
						 gi == t->base ? "" : "; baseline ", gi == t->base ? "" : base);
		}
	} else if (gi == t->base) {
		out->r = GR_SKIP;
		out->message = xasprintf("%s: %s is the baseline", g->text, t->g[gi].name);
	} else if (c->test.test == ST_NONE) {
		out->r = GR_ERROR;
		out->message = xasprintf("%s: %s against baseline %s: no significance test (%s)", g->text, here, base,
					 c->n && b->n ? "fewer than 2 runs with a value on a side" : "no value");
	} else {
		bool trip = g->kind == GATE_WORSE ? c->verdict == CV_WORSE
			    : g->pct > 0	  ? c->significant && c->change_pct > g->pct
						  : c->significant && c->change_pct < g->pct;
		char *ch = change(c);
		out->r = trip ? GR_TRIP : GR_PASS;
		out->message = xasprintf("%s: %s against baseline %s: %s, %s", g->text, here, base, ch,
					 trip ? (g->kind == GATE_WORSE ? "worse" : "beyond the limit")
					 : c->significant ? cmp_verdict_name(c->verdict)
							  : "not significant");
		free(ch);
	}
	free(here);
	free(base);
}

int gates_eval(struct cmp_table *t, const struct gate *g, size_t ng, struct gate_verdict **out, size_t *nout,
	       char *err, size_t errlen)
{
	/* every row first: adding one moves the table's rows */
	for (size_t i = 0; i < ng; i++) {
		const struct cmp_row *r = cmp_row_for(t, g[i].metric, err, errlen);
		const char *where = g[i].file ? g[i].file : "--fail-on";
		if (!r) {
			char e[512];
			snprintf(e, sizeof(e), "%s", err);
			if (g[i].file)
				snprintf(err, errlen, "%s:%d: %s", where, g[i].line, e);
			else
				snprintf(err, errlen, "--fail-on '%s': %s", g[i].text, e);
			return -EINVAL;
		}
		const char *why = NULL;
		if (r->outcome && g[i].kind != GATE_WORSE)
			why = "an outcome takes only :worse (fewer runs exited); gate on oom_kills for kills";
		else if (g[i].kind == GATE_ABS && g[i].value_is_size && r->ref.m->unit != MU_BYTES)
			why = "a size for a metric that is not in bytes";
		else if (g[i].kind == GATE_WORSE && !r->outcome && r->ref.m->better == MB_NONE)
			why = "this metric has no better direction (docs/results.md): gate on +N% or -N%";
		if (why) {
			if (g[i].file)
				snprintf(err, errlen, "%s:%d: '%s': %s", where, g[i].line, g[i].text, why);
			else
				snprintf(err, errlen, "--fail-on '%s': %s", g[i].text, why);
			return -EINVAL;
		}
	}
	struct gate_verdict *v = xcalloc(ng * t->ng + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < ng; i++) {
		const struct cmp_row *r = cmp_row_for(t, g[i].metric, err, errlen);
		for (size_t gi = 0; gi < t->ng; gi++)
			one(t, r, &g[i], gi, &v[n++]);
	}
	*out = v;
	*nout = n;
	return 0;
}

void gate_verdicts_free(struct gate_verdict *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].message);
	free(v);
}

int gates_junit(FILE *f, const struct cmp_table *t, const struct gate_verdict *v, size_t n)
{
	size_t fails = 0, errors = 0, skipped = 0;
	for (size_t i = 0; i < n; i++) {
		fails += v[i].r == GR_TRIP;
		errors += v[i].r == GR_ERROR;
		skipped += v[i].r == GR_SKIP;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"mph\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", n, fails,
		errors, skipped);
	fprintf(f, "  <testsuite name=\"mph compare\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n", n,
		fails, errors, skipped);
	fprintf(f, "    <properties>\n      <property name=\"by\" value=\"");
	report_xml_put(f, t->by, true);
	fprintf(f, "\"/>\n      <property name=\"baseline\" value=\"");
	report_xml_put(f, t->g[t->base].name, true);
	fprintf(f, "\"/>\n    </properties>\n");
	for (size_t i = 0; i < n; i++) {
		char *name = xasprintf("%s: %s", t->g[v[i].group].name, v[i].g->text);
		fprintf(f, "    <testcase classname=\"mph.compare\" name=\"");
		report_xml_put(f, name, true);
		fputc('"', f);
		if (v[i].g->file) {
			fprintf(f, " file=\"");
			report_xml_put(f, v[i].g->file, true);
			fprintf(f, "\" line=\"%d\"", v[i].g->line);
		}
		free(name);
		if (v[i].r == GR_PASS) {
			fprintf(f, "/>\n");
			continue;
		}
		const char *el = v[i].r == GR_TRIP ? "failure" : v[i].r == GR_ERROR ? "error" : "skipped";
		fprintf(f, ">\n      <%s", el);
		if (v[i].r != GR_SKIP)
			fprintf(f, " type=\"%s\"", gate_result_name(v[i].r));
		fprintf(f, " message=\"");
		report_xml_put(f, v[i].message, true);
		fprintf(f, "\"/>\n    </testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	return ferror(f) ? -EIO : 0;
}

struct gates_put {
	const struct cmp_table *t;
	const struct gate_verdict *v;
	size_t n;
};

static int put_gates(FILE *f, void *ctx)
{
	const struct gates_put *g = ctx;
	return gates_junit(f, g->t, g->v, g->n);
}

int gates_junit_file(const char *path, const struct cmp_table *t, const struct gate_verdict *v, size_t n)
{
	struct gates_put g = { t, v, n };
	return write_stream_atomic(path, put_gates, &g);
}

json_t *gates_json(const struct cmp_table *t, const struct gate_verdict *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "gate", v[i].g->text, "group", t->g[v[i].group].name, "result",
				      gate_result_name(v[i].r), "message", v[i].message);
		if (v[i].g->file) {
			json_object_set_new(o, "file", json_string(v[i].g->file));
			json_object_set_new(o, "line", json_integer(v[i].g->line));
		}
		json_array_append_new(a, o);
	}
	return a;
}
