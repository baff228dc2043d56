/* expect.c - [expect] assertions (expect.h): a small parser over the metric table and
 * the three evaluations, per run, per variant and across a sweep. Nothing here
 * prints: problems in the file go into diags, results into verdicts. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "../core/units.h"
#include "../core/util.h"

static const struct {
	const char *s;
	enum expect_op op;
} ops[] = {
	/* longest first: "<=" before "<" */
	{ "==", EOP_EQ }, { "!=", EOP_NE }, { "<=", EOP_LE }, { ">=", EOP_GE },
	{ "<", EOP_LT },  { ">", EOP_GT },  { "~", EOP_APPROX },
};

static const struct {
	const char *name;
	enum expect_agg agg;
} aggs[] = {
	{ "mean", EAGG_MEAN },
	{ "min", EAGG_MIN },
	{ "max", EAGG_MAX },
	{ "majority", EAGG_MAJORITY },
};

static const char *op_text(enum expect_op op)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].op == op)
			return ops[i].s;
	return "?";
}

static const char *agg_name(enum expect_agg a)
{
	for (size_t i = 0; i < ARRAY_SIZE(aggs); i++)
		if (aggs[i].agg == a)
			return aggs[i].name;
	return "";
}

const char *expect_scope_name(enum expect_scope s)
{
	static const char *const n[] = { [ESCOPE_RUN] = "run", [ESCOPE_VARIANT] = "variant", [ESCOPE_TREND] = "trend" };
	return s <= ESCOPE_TREND ? n[s] : "?";
}

const char *verdict_name(enum verdict_result r)
{
	static const char *const n[] = { [VERDICT_PASS] = "pass", [VERDICT_FAIL] = "fail", [VERDICT_ERROR] = "error" };
	return r <= VERDICT_ERROR ? n[r] : "?";
}

/* ---- parsing ---- */

struct pctx {
	const char *section, *name;
	int line;
	struct diags *d;
	const struct schema_wl *wls;
	size_t nwl;
	int bad;
};

static void perr(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct pctx *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	diags_add(p->d, p->line, p->section, p->name, "%s", m);
	free(m);
	p->bad = 1;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

int expect_section(const char *section, const char **selector)
{
	if (strncmp(section, "expect", 6) != 0 || (section[6] && section[6] != ' '))
		return 0;
	const char *s = section + 6;
	while (*s == ' ')
		s++;
	*selector = *s ? s : NULL;
	return 1;
}

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_num(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* A number in the metric's unit: sizes for byte metrics, plain numbers otherwise. */
static int parse_amount(struct pctx *p, const struct metric *m, const char *s, const char *what, double *out)
{
	if (m->unit == MU_BYTES) {
		uint64_t b;
		if (parse_size(s, &b) < 0) {
			perr(p, "%s '%s' is not a size (4096, 64k, 64M, 1G)", what, s);
			return -EINVAL;
		}
		*out = (double)b;
		return 0;
	}
	if (parse_num(s, out) < 0) {
		if (isdigit((unsigned char)*s) || *s == '-' || *s == '.')
			perr(p, "%s '%s': %s is a number in %s; write it without a unit", what, s, m->name,
			     metric_unit_name(m->unit));
		else
			perr(p, "%s '%s' is not a number", what, s);
		return -EINVAL;
	}
	return 0;
}

static const struct metric *parse_metric(struct pctx *p, const char *s, struct expectation *e)
{
	char err[512];
	struct metric_ref ref;
	if (schema_resolve(s, p->wls, p->nwl, &ref, err, sizeof(err)) < 0) {
		perr(p, "%s", err);
		return NULL;
	}
	free(e->workload);
	e->workload = ref.workload ? xstrdup(ref.workload) : NULL;
	e->c.ref = (struct metric_ref){ .m = ref.m, .workload = e->workload };
	return ref.m;
}

/* The metric token at s: up to a blank or an operator. */
static char *metric_token(char *s, char **rest)
{
	char *t = s;
	while (*t && !strchr(" \t=!<>~", *t))
		t++;
	*rest = t;
	return s;
}

/* Where a tolerance starts ("±" or "+-"), and its length, or NULL. */
static char *find_tol(char *s, size_t *len)
{
	char *pm = strstr(s, "\xc2\xb1"), *pa = strstr(s, "+-");
	*len = 2; /* "±" is two bytes in UTF-8 */
	return pm && (!pa || pm < pa) ? pm : pa;
}

static bool is_word(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!name_char(*s))
			return false;
	return true;
}

/* METRIC OP VALUE [±TOL] in s (modified) */
static int parse_cond(struct pctx *p, char *s, struct expectation *e)
{
	struct expect_cond *c = &e->c;
	char *rest;
	s = skip_ws(s);
	metric_token(s, &rest);
	if (rest == s) {
		perr(p, "expected METRIC OP VALUE, such as oom_kills == 1");
		return -EINVAL;
	}
	char s_buf[256];
	snprintf(s_buf, sizeof(s_buf), "%.*s", (int)(rest - s), s);
	const struct metric *m = parse_metric(p, s_buf, e);
	if (!m)
		return -EINVAL;
	s = s_buf; /* the metric as written, for messages */
	rest = skip_ws(rest);
	size_t i;
	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (strncmp(rest, ops[i].s, strlen(ops[i].s)) == 0)
			break;
	if (i == ARRAY_SIZE(ops)) {
		if (*rest == '=')
			perr(p, "'=' does not compare: write ==");
		else if (!*rest)
			perr(p, "expected an operator (==, !=, <, <=, >, >=, ~) and a value after %s", s);
		else
			perr(p, "expected an operator (==, !=, <, <=, >, >=, ~) instead of '%s'", rest);
		return -EINVAL;
	}
	c->op = ops[i].op;
	char *val = skip_ws(rest + strlen(ops[i].s));
	size_t tlen;
	char *tol = find_tol(val, &tlen);
	if (tol) {
		*tol = 0;
		tol = strtrim(tol + tlen);
	}
	val = strtrim(val);
	if (!*val) {
		perr(p, "expected a value after %s", ops[i].s);
		return -EINVAL;
	}
	if (strpbrk(val, " \t")) {
		perr(p, "unexpected '%s' after the value %.*s", strpbrk(val, " \t") + 1, (int)strcspn(val, " \t"), val);
		return -EINVAL;
	}
	if (c->op == EOP_APPROX && !tol) {
		perr(p, "~ needs a tolerance: ~ %s ±5%% (relative) or ~ %s ±N (absolute)", val, val);
		return -EINVAL;
	}
	if (tol && c->op != EOP_APPROX) {
		perr(p, "a tolerance (±%s) goes only with ~", tol);
		return -EINVAL;
	}
	c->want_text = xstrdup(val);
	if (m->type != MT_NUMBER) {
		if (c->op != EOP_EQ && c->op != EOP_NE) {
			perr(p, "%s is a %s: it compares only with == and !=", s, metric_type_name(m->type));
			return -EINVAL;
		}
		c->want_word = true;
		if (m->type == MT_BOOL) {
			bool b;
			if (parse_bool(val, &b) < 0) {
				perr(p, "'%s' is not a boolean (true, false)", val);
				return -EINVAL;
			}
			c->word = xstrdup(b ? "true" : "false");
			return 0;
		}
		if (!is_word(val)) {
			perr(p, "'%s' is not a word (letters, digits, '_', '.', '-')", val);
			return -EINVAL;
		}
		if (m->words) {
			size_t n = 0;
			while (m->words[n] && strcmp(m->words[n], val) != 0)
				n++;
			if (!m->words[n]) {
				const char *near = nearest_name(val, m->words, n);
				char known[256] = "";
				for (size_t k = 0; m->words[k]; k++)
					snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", k ? ", " : "",
						 m->words[k]);
				if (near)
					perr(p, "%s is never '%s' (did you mean %s?)", s, val, near);
				else
					perr(p, "%s is never '%s' (it is one of %s)", s, val, known);
				return -EINVAL;
			}
		}
		c->word = xstrdup(val);
		return 0;
	}
	if (parse_amount(p, m, val, "value", &c->want) < 0)
		return -EINVAL;
	if (!tol)
		return 0;
	size_t tl = strlen(tol);
	if (!tl) {
		perr(p, "expected a tolerance after ±: 5%% or an amount");
		return -EINVAL;
	}
	c->tol_text = xstrdup(tol);
	if (tol[tl - 1] == '%') {
		tol[tl - 1] = 0;
		if (parse_num(tol, &c->tol_val) < 0 || c->tol_val < 0) {
			perr(p, "tolerance '%s%%' is not a percentage", tol);
			return -EINVAL;
		}
		c->tol = ETOL_REL;
		return 0;
	}
	if (parse_amount(p, m, tol, "tolerance", &c->tol_val) < 0)
		return -EINVAL;
	if (c->tol_val < 0) {
		perr(p, "tolerance '%s' is negative", tol);
		return -EINVAL;
	}
	c->tol = ETOL_ABS;
	return 0;
}

/* METRIC increases|decreases with KEY; 1 if s is one, 0 if not, -EINVAL */
static int parse_trend(struct pctx *p, char *s, struct expectation *e)
{
	char *rest, *m = skip_ws(s);
	metric_token(m, &rest);
	char *w = skip_ws(rest);
	bool inc = strncmp(w, "increases", 9) == 0 && (!w[9] || isspace((unsigned char)w[9]));
	bool dec = strncmp(w, "decreases", 9) == 0 && (!w[9] || isspace((unsigned char)w[9]));
	if (!inc && !dec)
		return 0;
	*rest = 0;
	const struct metric *mt = parse_metric(p, m, e);
	if (!mt)
		return -EINVAL;
	if (mt->type != MT_NUMBER) {
		perr(p, "%s is a %s: only numbers increase or decrease", m, metric_type_name(mt->type));
		return -EINVAL;
	}
	char *k = skip_ws(w + 9);
	if (strncmp(k, "with", 4) != 0 || (k[4] && !isspace((unsigned char)k[4]))) {
		perr(p, "expected 'with KEY' after %s: %s %s with vm.swappiness", inc ? "increases" : "decreases", m,
		     inc ? "increases" : "decreases");
		return -EINVAL;
	}
	k = strtrim(k + 4);
	if (!*k || strpbrk(k, " \t")) {
		perr(p, "expected one swept key after 'with', such as vm.swappiness or memory.max");
		return -EINVAL;
	}
	e->scope = ESCOPE_TREND;
	e->decreases = dec;
	e->trend_key = xstrdup(k);
	return 1;
}

/* AGG(...) ...; 1 if s is one, 0 if not, -EINVAL */
static int parse_agg(struct pctx *p, char *s, struct expectation *e)
{
	char *t = s;
	while (isalnum((unsigned char)*t) || *t == '_')
		t++;
	char *open = skip_ws(t);
	if (t == s || *open != '(')
		return 0;
	char fn[32];
	snprintf(fn, sizeof(fn), "%.*s", (int)(t - s), s);
	size_t i;
	const char *names[ARRAY_SIZE(aggs)];
	for (i = 0; i < ARRAY_SIZE(aggs); i++) {
		names[i] = aggs[i].name;
		if (strcmp(fn, aggs[i].name) == 0)
			break;
	}
	if (i == ARRAY_SIZE(aggs)) {
		const char *near = nearest_name(fn, names, ARRAY_SIZE(aggs));
		perr(p, "unknown function '%s'%s%s%s (known: mean, min, max, majority)", fn, near ? " (did you mean " : "",
		     near ? near : "", near ? "?)" : "");
		return -EINVAL;
	}
	char *close = strchr(open, ')');
	if (!close) {
		perr(p, "missing ')' after %s(", fn);
		return -EINVAL;
	}
	*close = 0;
	char *inner = strtrim(open + 1), *after = skip_ws(close + 1);
	e->scope = ESCOPE_VARIANT;
	e->agg = aggs[i].agg;
	if (e->agg == EAGG_MAJORITY) {
		if (*after) {
			perr(p, "unexpected '%s' after majority(...)", after);
			return -EINVAL;
		}
		return parse_cond(p, inner, e) < 0 ? -EINVAL : 1;
	}
	char *rest;
	metric_token(inner, &rest);
	if (*skip_ws(rest) || !*inner) {
		perr(p, "%s() takes one metric: %s(swap_out_mb) < 10", fn, fn);
		return -EINVAL;
	}
	char *cond = xasprintf("%s %s", inner, after);
	int r = parse_cond(p, cond, e);
	free(cond);
	if (r < 0)
		return -EINVAL;
	if (e->c.ref.m->type != MT_NUMBER) {
		perr(p, "%s() needs a number; %s is a %s (majority(...) counts comparisons)", fn, inner,
		     metric_type_name(e->c.ref.m->type));
		return -EINVAL;
	}
	return 1;
}

int expect_parse_line(const char *file, int line, const char *section, const char *name, const char *text,
		      const struct schema_wl *wls, size_t nwl, struct expectation *out, struct diags *d)
{
	struct pctx p = { .section = section, .name = name, .line = line, .d = d, .wls = wls, .nwl = nwl };
	struct expectation e = { .line = line };
	const char *sel = NULL;

	if (!expect_section(section, &sel)) {
		perr(&p, "not an [expect] section");
		return -EINVAL;
	}
	if (!*name || !is_word(name)) {
		perr(&p, "an expectation's name is its test case: letters, digits, '_', '.', '-' only");
		return -EINVAL;
	}
	if (sel) {
		/* KEY=VALUE words; what they select is the variant matcher's business */
		char *copy = xstrdup(sel), *save = NULL;
		for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
			char *eq = strchr(tok, '=');
			if (!eq || eq == tok || !eq[1]) {
				perr(&p, "section [%s]: '%s' is not KEY=VALUE", section, tok);
				break;
			}
		}
		free(copy);
		if (p.bad)
			return -EINVAL;
	}
	char *s = xstrdup(text), *t = strtrim(s);
	int r = 0;
	if (!*t) {
		perr(&p, "empty: expected an assertion such as oom_kills == 1");
		r = -EINVAL;
	} else {
		r = parse_agg(&p, t, &e);
		if (r == 0)
			r = parse_trend(&p, t, &e);
		if (r == 0)
			r = parse_cond(&p, t, &e);
	}
	free(s);
	if (r < 0 || p.bad) {
		expectation_free(&e);
		return -EINVAL;
	}
	e.name = xstrdup(name);
	e.text = xstrdup(text);
	e.file = file ? xstrdup(file) : NULL;
	e.selector = sel ? xstrdup(sel) : NULL;
	*out = e;
	return 0;
}

int expect_add(struct expect_set *s, const char *file, int line, const char *section, const char *name,
	       const char *text, const struct schema_wl *wls, size_t nwl, struct diags *d)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0) {
			diags_add(d, line, section, name, "the name is taken (line %d): each expectation needs its own",
				  s->v[i].line);
			return -EINVAL;
		}
	struct expectation e;
	if (expect_parse_line(file, line, section, name, text, wls, nwl, &e, d) < 0)
		return -EINVAL;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = e;
	return 0;
}

void expectation_free(struct expectation *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->text);
	free(e->file);
	free(e->selector);
	free(e->c.word);
	free(e->c.want_text);
	free(e->c.tol_text);
	free(e->trend_key);
	free(e->workload);
	*e = (struct expectation){ 0 };
}

void expect_set_free(struct expect_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		expectation_free(&s->v[i]);
	free(s->v);
	*s = (struct expect_set){ 0 };
}

int expect_applies(const struct expectation *e, expect_match_fn match, void *ctx)
{
	if (!e->selector)
		return 1;
	if (!match)
		return -EINVAL;
	return match(ctx, e->selector);
}

/* ---- evaluation ---- */

static void fmt_num(char *buf, size_t len, double v, enum metric_unit u)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.6g", v);
	if (u == MU_BYTES && fabs(v) >= 1024) {
		char sz[32];
		snprintf(buf + strlen(buf), len - strlen(buf), " (%s)", format_size((uint64_t)fabs(v), sz, sizeof(sz)));
	}
}

static void metric_label(const struct expectation *e, char *buf, size_t len)
{
	if (e->workload)
		snprintf(buf, len, "%s.%s", e->workload, e->c.ref.m->name);
	else
		snprintf(buf, len, "%s", e->c.ref.m->name);
}

/* "~ 64M ±5% (63753421.. 70464307)", "== oom-killed" */
static void want_text(const struct expect_cond *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s %s", op_text(c->op), c->want_text);
	if (c->op != EOP_APPROX || n < 0 || (size_t)n >= len)
		return;
	double tol = c->tol == ETOL_REL ? fabs(c->want) * c->tol_val / 100 : c->tol_val;
	char lo[48], hi[48];
	fmt_num(lo, sizeof(lo), c->want - tol, MU_NONE);
	fmt_num(hi, sizeof(hi), c->want + tol, MU_NONE);
	snprintf(buf + n, len - (size_t)n, " ±%s (%s..%s)", c->tol_text, lo, hi);
}

/* Numbers this close are equal: decimal fractions are not exact in binary, and a mean
 * of 0.1, 0.2 and 0.6 should be == 0.3. Far below any measurement's resolution. */
#define EXPECT_REL_EPS 1e-9

static bool close_to(double x, double w)
{
	return fabs(x - w) <= EXPECT_REL_EPS * fmax(fabs(x), fabs(w));
}

static bool cond_holds(const struct expect_cond *c, const struct mval *v)
{
	if (c->want_word) {
		bool eq = v->kind == MV_WORD && strcmp(v->word, c->word) == 0;
		return c->op == EOP_NE ? !eq : eq;
	}
	double x = v->num, w = c->want;
	switch (c->op) {
	case EOP_EQ: return close_to(x, w);
	case EOP_NE: return !close_to(x, w);
	case EOP_LT: return x < w && !close_to(x, w);
	case EOP_LE: return x <= w || close_to(x, w);
	case EOP_GT: return x > w && !close_to(x, w);
	case EOP_GE: return x >= w || close_to(x, w);
	case EOP_APPROX: {
		double tol = c->tol == ETOL_REL ? fabs(w) * c->tol_val / 100 : c->tol_val;
		double dev = fabs(x - w);
		return dev <= tol || close_to(dev, tol) || close_to(x, w);
	}
	}
	return false;
}

static void verdict_init(struct verdict *v, const struct expectation *e)
{
	*v = (struct verdict){ .e = e, .result = VERDICT_ERROR, .value = { .kind = MV_ABSENT } };
}

static void set_value(struct verdict *v, const struct mval *m)
{
	v->value = *m;
	if (m->kind == MV_WORD) {
		v->word = xstrdup(m->word);
		v->value.word = v->word;
	}
}

static void set_msg(struct verdict *v, enum verdict_result r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_msg(struct verdict *v, enum verdict_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(v->message);
	v->message = xvasprintf(fmt, ap);
	va_end(ap);
	v->result = r;
}

static void detail_set(struct verdict *v, const char *key, json_t *val)
{
	if (!v->detail)
		v->detail = json_object();
	json_object_set_new(v->detail, key, val);
}

/* One run's value of e's metric: 0 with *m, or an error verdict (-1). */
static int run_value(struct verdict *v, const json_t *run, struct mval *m, const char *which)
{
	char label[192];
	metric_label(v->e, label, sizeof(label));
	if (!run) {
		set_msg(v, VERDICT_ERROR, "%sno run.json for this run", which);
		return -1;
	}
	int r = schema_value(run, &v->e->c.ref, m);
	if (r < 0) {
		set_msg(v, VERDICT_ERROR, "%s%s: cannot be read (%s)", which, label, strerror(-r));
		return -1;
	}
	if (m->kind == MV_ABSENT) {
		set_msg(v, VERDICT_ERROR, "%sno value for %s: %s (%s)", which, label, m->why, v->e->c.ref.m->path);
		return -1;
	}
	return 0;
}

int expect_eval_run(const struct expectation *e, const json_t *run, struct verdict *out)
{
	if (e->scope != ESCOPE_RUN)
		return -EINVAL;
	verdict_init(out, e);
	struct mval m;
	if (run_value(out, run, &m, "") < 0)
		return 0;
	set_value(out, &m);
	char got[96], want[192];
	if (m.kind == MV_WORD)
		snprintf(got, sizeof(got), "%s", m.word);
	else
		fmt_num(got, sizeof(got), m.num, e->c.ref.m->unit);
	want_text(&e->c, want, sizeof(want));
	set_msg(out, cond_holds(&e->c, &m) ? VERDICT_PASS : VERDICT_FAIL, "measured %s, expected %s", got, want);
	return 0;
}

int expect_eval_variant(const struct expectation *e, const json_t *const *runs, size_t n, struct verdict *out)
{
	if (e->scope != ESCOPE_VARIANT)
		return -EINVAL;
	verdict_init(out, e);
	if (n == 0) {
		set_msg(out, VERDICT_ERROR, "no runs of this variant");
		return 0;
	}
	char which[96], want[192], got[96];
	want_text(&e->c, want, sizeof(want));
	json_t *values = json_array();
	size_t passed = 0;
	double acc = 0;
	for (size_t i = 0; i < n; i++) {
		struct mval m;
		snprintf(which, sizeof(which), "run %zu of %zu: ", i + 1, n);
		if (run_value(out, runs[i], &m, which) < 0) {
			json_decref(values);
			return 0;
		}
		json_array_append_new(values, m.kind == MV_WORD ? json_string(m.word) : json_real(m.num));
		if (e->agg == EAGG_MAJORITY)
			passed += cond_holds(&e->c, &m);
		else if (e->agg == EAGG_MEAN)
			acc += m.num;
		else if (i == 0 || (e->agg == EAGG_MIN ? m.num < acc : m.num > acc))
			acc = m.num;
	}
	detail_set(out, "values", values);
	if (e->agg == EAGG_MAJORITY) {
		struct mval pm = { .kind = MV_NUMBER, .num = (double)passed };
		set_value(out, &pm);
		char label[192];
		metric_label(e, label, sizeof(label));
		set_msg(out, 2 * passed > n ? VERDICT_PASS : VERDICT_FAIL,
			"%zu of %zu runs had %s %s (more than half needed)", passed, n, label, want);
		return 0;
	}
	struct mval am = { .kind = MV_NUMBER, .num = e->agg == EAGG_MEAN ? acc / (double)n : acc };
	set_value(out, &am);
	fmt_num(got, sizeof(got), am.num, e->c.ref.m->unit);
	set_msg(out, cond_holds(&e->c, &am) ? VERDICT_PASS : VERDICT_FAIL, "%s over %zu runs %s, expected %s",
		agg_name(e->agg), n, got, want);
	return 0;
}

/* ---- variants and trends ---- */

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct expect_kv *)a)->key, ((const struct expect_kv *)b)->key);
}

/* The job's variant as a canonical text (keys sorted), without key skip. */
static char *variant_id(const struct expect_job *j, const char *skip)
{
	struct expect_kv *kv = xcalloc(j->nvars + 1, sizeof(*kv));
	size_t n = 0;
	for (size_t i = 0; i < j->nvars; i++)
		if (!skip || strcmp(j->vars[i].key, skip) != 0)
			kv[n++] = j->vars[i];
	qsort(kv, n, sizeof(*kv), kv_cmp);
	char *s = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s=%s\x1f", s, kv[i].key, kv[i].value);
		free(s);
		s = t;
	}
	free(kv);
	return s;
}

static json_t *vars_json(const struct expect_job *j, const char *skip)
{
	json_t *o = json_object();
	for (size_t i = 0; i < j->nvars; i++)
		if (!skip || strcmp(j->vars[i].key, skip) != 0)
			json_object_set_new(o, j->vars[i].key, json_string(j->vars[i].value));
	return o;
}

static const char *job_var(const struct expect_job *j, const char *key)
{
	for (size_t i = 0; i < j->nvars; i++)
		if (strcmp(j->vars[i].key, key) == 0)
			return j->vars[i].value;
	return NULL;
}

struct vvec {
	struct verdict *v;
	size_t n;
};

static struct verdict *vpush(struct vvec *vv)
{
	vv->v = xrealloc(vv->v, (vv->n + 1) * sizeof(*vv->v));
	return &vv->v[vv->n++];
}

/* The numeric value of a swept key's value: a size (64M) or a number (0.5). */
static int key_number(const char *s, double *out)
{
	uint64_t b;
	if (parse_size(s, &b) == 0) {
		*out = (double)b;
		return 0;
	}
	return parse_num(s, out);
}

struct point {
	const char *value;   /* of the trend key, as swept */
	double x, sum;
	size_t runs;
	const char *err;     /* first problem: a missing run or an absent value */
	unsigned err_repeat;
};

static int point_cmp(const void *a, const void *b)
{
	double x = ((const struct point *)a)->x, y = ((const struct point *)b)->x;
	return x < y ? -1 : x > y;
}

/* One group's verdict: pts are its variants. */
static void trend_group(struct verdict *v, const struct expectation *e, struct point *pts, size_t np)
{
	const char *k = e->trend_key;
	char label[192];
	metric_label(e, label, sizeof(label));
	for (size_t i = 0; i < np; i++) {
		if (key_number(pts[i].value, &pts[i].x) < 0) {
			set_msg(v, VERDICT_ERROR, "%s=%s is not a number: a trend needs numeric values", k, pts[i].value);
			return;
		}
		if (pts[i].err) {
			set_msg(v, VERDICT_ERROR, "%s=%s, repeat %u: %s", k, pts[i].value, pts[i].err_repeat, pts[i].err);
			return;
		}
	}
	if (np < 2) {
		set_msg(v, VERDICT_ERROR, "a trend needs at least two values of %s, found %zu", k, np);
		return;
	}
	qsort(pts, np, sizeof(*pts), point_cmp);
	json_t *series = json_array();
	char *means = xstrdup(""), *xs = xstrdup("");
	for (size_t i = 0; i < np; i++) {
		char b[64];
		double m = pts[i].sum / (double)pts[i].runs;
		json_array_append_new(series, json_pack("{s:s, s:f, s:f, s:I}", "value", pts[i].value, "x", pts[i].x, "mean",
							m, "runs", (json_int_t)pts[i].runs));
		fmt_num(b, sizeof(b), m, MU_NONE);
		char *t = xasprintf("%s%s%s", means, i ? ", " : "", b);
		free(means);
		means = t;
		t = xasprintf("%s%s%s", xs, i ? ", " : "", pts[i].value);
		free(xs);
		xs = t;
	}
	detail_set(v, "series", series);
	const char *dir = e->decreases ? "decrease" : "increase";
	size_t bad = 0;
	for (size_t i = 1; i < np && !bad; i++) {
		double a = pts[i - 1].sum / (double)pts[i - 1].runs, b = pts[i].sum / (double)pts[i].runs;
		if ((e->decreases ? b > a : b < a) && !close_to(a, b))
			bad = i;
	}
	double first = pts[0].sum / (double)pts[0].runs, last = pts[np - 1].sum / (double)pts[np - 1].runs;
	if (bad)
		set_msg(v, VERDICT_FAIL, "means of %s %s at %s %s: does not %s from %s=%s to %s=%s", label, means, k, xs, dir,
			k, pts[bad - 1].value, k, pts[bad].value);
	else if ((e->decreases ? !(last < first) : !(last > first)) || close_to(last, first))
		set_msg(v, VERDICT_FAIL, "means of %s %s at %s %s: flat, the last is not %s than the first", label, means,
			k, xs, e->decreases ? "lower" : "higher");
	else
		set_msg(v, VERDICT_PASS, "means of %s %s at %s %s: %s", label, means, k, xs, e->decreases ? "decrease" : "increase");
	free(means);
	free(xs);
}

int expect_eval_trend(const struct expectation *e, const struct expect_job *jobs, size_t n, expect_match_fn match,
		      struct verdict **out, size_t *nout)
{
	if (e->scope != ESCOPE_TREND)
		return -EINVAL;
	struct vvec vv = { 0 };
	char **gid = xcalloc(n + 1, sizeof(*gid));      /* per selected job: its group */
	const struct expect_job **sel = xcalloc(n + 1, sizeof(*sel));
	size_t ns = 0;
	struct verdict *v;

	for (size_t i = 0; i < n; i++) {
		int a = expect_applies(e, match, jobs[i].match_ctx);
		if (a < 0) {
			v = vpush(&vv);
			verdict_init(v, e);
			set_msg(v, VERDICT_ERROR, "the selector '%s' cannot be matched (%s)", e->selector, strerror(-a));
			goto done;
		}
		if (!a)
			continue;
		if (!job_var(&jobs[i], e->trend_key)) {
			v = vpush(&vv);
			verdict_init(v, e);
			set_msg(v, VERDICT_ERROR, "%s is not swept in these runs: a trend needs the runs of a sweep of it",
				e->trend_key);
			goto done;
		}
		gid[ns] = variant_id(&jobs[i], e->trend_key);
		sel[ns++] = &jobs[i];
	}
	if (!ns) {
		v = vpush(&vv);
		verdict_init(v, e);
		set_msg(v, VERDICT_ERROR, "no runs to check the trend on");
		goto done;
	}
	struct point *pts = xcalloc(ns, sizeof(*pts));
	bool *seen = xcalloc(ns, sizeof(*seen));
	for (size_t g = 0; g < ns; g++) {
		if (seen[g])
			continue;
		/* the group of sel[g]: its points, one per value of the key */
		size_t np = 0;
		v = vpush(&vv);
		verdict_init(v, e);
		for (size_t i = g; i < ns; i++) {
			if (seen[i] || strcmp(gid[i], gid[g]) != 0)
				continue;
			seen[i] = true;
			const char *val = job_var(sel[i], e->trend_key);
			size_t p;
			for (p = 0; p < np && strcmp(pts[p].value, val) != 0; p++)
				;
			if (p == np)
				pts[np++] = (struct point){ .value = val };
			struct mval m;
			if (!sel[i]->run) {
				if (!pts[p].err) {
					pts[p].err = "no run.json";
					pts[p].err_repeat = sel[i]->repeat;
				}
				continue;
			}
			int r = schema_value(sel[i]->run, &e->c.ref, &m);
			if (r < 0 || m.kind != MV_NUMBER) {
				if (!pts[p].err) {
					pts[p].err = r < 0 ? "cannot be read" : m.why;
					pts[p].err_repeat = sel[i]->repeat;
				}
				continue;
			}
			pts[p].sum += m.num;
			pts[p].runs++;
		}
		detail_set(v, "group", vars_json(sel[g], e->trend_key));
		trend_group(v, e, pts, np);
	}
	free(pts);
	free(seen);
done:
	for (size_t i = 0; i < ns; i++)
		free(gid[i]);
	free(gid);
	free(sel);
	*out = vv.v;
	*nout = vv.n;
	return 0;
}

int expect_eval_jobs(const struct expect_set *s, const struct expect_job *jobs, size_t n, expect_match_fn match,
		     struct verdict **out, size_t *nout)
{
	struct vvec vv = { 0 };
	char **vid = xcalloc(n + 1, sizeof(*vid));
	const json_t **runs = xcalloc(n + 1, sizeof(*runs));
	for (size_t i = 0; i < n; i++)
		vid[i] = variant_id(&jobs[i], NULL);

	for (size_t k = 0; k < s->n; k++) {
		const struct expectation *e = &s->v[k];
		if (e->scope == ESCOPE_TREND) {
			struct verdict *tv;
			size_t tn;
			(void)expect_eval_trend(e, jobs, n, match, &tv, &tn);
			for (size_t i = 0; i < tn; i++)
				*vpush(&vv) = tv[i];
			free(tv);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			size_t first = 0;
			while (strcmp(vid[first], vid[i]) != 0)
				first++;
			if (e->scope == ESCOPE_VARIANT && first != i)
				continue; /* a variant is checked once, at its first job */
			int a = expect_applies(e, match, jobs[i].match_ctx);
			if (a == 0)
				continue;
			struct verdict *v = vpush(&vv);
			verdict_init(v, e);
			if (a < 0)
				set_msg(v, VERDICT_ERROR, "the selector '%s' cannot be matched (%s)", e->selector,
					strerror(-a));
			else if (e->scope == ESCOPE_RUN) {
				(void)expect_eval_run(e, jobs[i].run, v);
				detail_set(v, "repeat", json_integer(jobs[i].repeat));
			} else {
				size_t nr = 0;
				for (size_t j = i; j < n; j++)
					if (strcmp(vid[j], vid[i]) == 0)
						runs[nr++] = jobs[j].run;
				(void)expect_eval_variant(e, runs, nr, v);
				detail_set(v, "runs", json_integer((json_int_t)nr));
			}
			detail_set(v, "variant", vars_json(&jobs[i], NULL));
		}
	}
	for (size_t i = 0; i < n; i++)
		free(vid[i]);
	free(vid);
	free(runs);
	*out = vv.v;
	*nout = vv.n;
	return 0;
}

json_t *verdict_json(const struct verdict *v)
{
	const struct expectation *e = v->e;
	json_t *val;
	if (v->value.kind == MV_WORD)
		val = json_string(v->value.word);
	else if (v->value.kind != MV_NUMBER)
		val = json_null();
	else if (v->value.num == floor(v->value.num) && fabs(v->value.num) < 9e15)
		val = json_integer((json_int_t)v->value.num); /* counts and bytes stay integers */
	else
		val = json_real(v->value.num);
	json_t *o = json_pack("{s:s, s:s, s:s?, s:i, s:s, s:o, s:s, s:s}", "name", e->name, "text", e->text, "file",
			      e->file, "line", e->line, "scope", expect_scope_name(e->scope), "value", val, "verdict",
			      verdict_name(v->result), "message", v->message ? v->message : "");
	if (o && e->selector)
		json_object_set_new(o, "selector", json_string(e->selector));
	if (o && v->detail)
		json_object_update(o, v->detail);
	return o;
}

void verdict_free(struct verdict *v)
{
	if (!v)
		return;
	free(v->message);
	free(v->word);
	json_decref(v->detail);
	*v = (struct verdict){ 0 };
}

void verdicts_free(struct verdict *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		verdict_free(&v[i]);
	free(v);
}
