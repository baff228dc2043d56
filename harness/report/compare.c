/* compare.c - see compare.h: gathering runs, grouping them, the table and its four
 * printers (text, markdown, CSV, JSON). Gates are in gate.c. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare.h"
#include "report.h"
#include "../core/units.h"
#include "../core/util.h"

/* ---- gathering runs ---------------------------------------------------------------- */

void cmp_add(struct cmp_runs *rs, const char *path, json_t *run, const char *variant)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n++] = (struct cmp_run){ .path = xstrdup(path), .run = run, .variant = variant ? xstrdup(variant) : NULL };
}

static void note(struct cmp_runs *rs, char *s)
{
	rs->notes = xrealloc(rs->notes, (rs->nnotes + 1) * sizeof(*rs->notes));
	rs->notes[rs->nnotes++] = s;
}

void cmp_runs_free(struct cmp_runs *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].path);
		json_decref(rs->v[i].run);
		free(rs->v[i].variant);
	}
	free(rs->v);
	for (size_t i = 0; i < rs->nnotes; i++)
		free(rs->notes[i]);
	free(rs->notes);
	*rs = (struct cmp_runs){ 0 };
}

static bool seen(const struct cmp_runs *rs, const char *path)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].path, path) == 0)
			return true;
	return false;
}

static const char *schema_of(const json_t *j)
{
	return json_string_value(json_object_get(j, "schema"));
}

static bool is_run(const json_t *j)
{
	const char *s = schema_of(j);
	return s && strncmp(s, "mph-run/", 8) == 0;
}

static int load_json(const char *path, json_t **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j) {
		struct stat st;
		if (stat(path, &st) < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -errno;
		}
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return -EINVAL;
	}
	*out = j;
	return 0;
}

/* The jobs of the plan in dir (plan already parsed): their run.json, named by the
 * plan's variant. */
static int load_plan(struct cmp_runs *rs, const char *dir, const json_t *plan, char *err, size_t errlen)
{
	size_t i;
	json_t *job;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		const char *jd = json_string_value(json_object_get(job, "dir"));
		const char *st = json_string_value(json_object_get(job, "status"));
		if (!jd)
			continue;
		char *rp = strcmp(jd, ".") == 0 ? xasprintf("%s/run.json", dir) : xasprintf("%s/%s/run.json", dir, jd);
		char *real = realpath(rp, NULL);
		json_t *run = NULL;
		if (!real || (st && strcmp(st, "done") != 0)) {
			note(rs, xasprintf("%s: job %s is %s%s: left out", dir, jd, st ? st : "?", real ? "" : " and has no run.json"));
		} else if (!seen(rs, real)) {
			int r = load_json(real, &run, err, errlen);
			if (r < 0) {
				free(rp);
				free(real);
				return r;
			}
			if (!is_run(run)) {
				snprintf(err, errlen, "%s: not an mph run.json", real);
				json_decref(run);
				free(rp);
				free(real);
				return -EINVAL;
			}
			cmp_add(rs, real, run, json_string_value(json_object_get(job, "variant")));
		}
		free(rp);
		free(real);
	}
	return 0;
}

/* A run.json found on its own: its variant from a plan.json up to three directories
 * above it that lists its directory. */
static char *variant_above(const char *real)
{
	char *d = xstrdup(real), *out = NULL;
	*strrchr(d, '/') = '\0';
	for (int up = 0; up < 4 && !out; up++) {
		char *slash = strrchr(d, '/');
		char *pp = xasprintf("%s/plan.json", d);
		json_t *plan = json_load_file(pp, 0, NULL);
		free(pp);
		if (plan) {
			const char *rel = real + strlen(d) + 1; /* "<variant>/r1/run.json" */
			size_t i;
			json_t *job;
			json_array_foreach(json_object_get(plan, "jobs"), i, job) {
				const char *jd = json_string_value(json_object_get(job, "dir"));
				size_t l = jd ? strlen(jd) : 0;
				if (jd && strncmp(rel, jd, l) == 0 && strcmp(rel + l, "/run.json") == 0) {
					out = xstrdup(json_string_value(json_object_get(job, "variant")) ?: "");
					break;
				}
			}
			json_decref(plan);
			break;
		}
		if (!slash || slash == d)
			break;
		*slash = '\0';
	}
	free(d);
	return out;
}

static int load_run_file(struct cmp_runs *rs, const char *path, char *err, size_t errlen)
{
	char *real = realpath(path, NULL);
	if (!real) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	int r = 0;
	if (!seen(rs, real)) {
		json_t *j = NULL;
		r = load_json(real, &j, err, errlen);
		if (r == 0 && is_run(j)) {
			char *v = variant_above(real);
			cmp_add(rs, real, j, v);
			free(v);
		} else if (r == 0 && schema_of(j) && strncmp(schema_of(j), "mph-plan/", 9) == 0) {
			*strrchr(real, '/') = '\0';
			r = load_plan(rs, real, j, err, errlen);
			json_decref(j);
		} else if (r == 0) {
			snprintf(err, errlen, "%s: neither an mph run.json nor a plan.json", path);
			json_decref(j);
			r = -EINVAL;
		}
	}
	free(real);
	return r;
}

static int load_dir(struct cmp_runs *rs, const char *dir, int depth, char *err, size_t errlen)
{
	if (depth > 16)
		return 0;
	char *pp = xasprintf("%s/plan.json", dir), *rp = xasprintf("%s/run.json", dir);
	struct stat st;
	int r;
	if (stat(pp, &st) == 0)
		r = load_run_file(rs, pp, err, errlen);
	else if (stat(rp, &st) == 0)
		r = load_run_file(rs, rp, err, errlen);
	else
		r = 1;
	free(pp);
	free(rp);
	if (r <= 0)
		return r;
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	r = 0;
	for (int i = 0; i < n; i++) {
		struct dirent *e = ents[i];
		if (r == 0 && e->d_name[0] != '.') {
			char *sub = xasprintf("%s/%s", dir, e->d_name);
			/* directories only, symlinks not followed (no loops) */
			if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
				r = load_dir(rs, sub, depth + 1, err, errlen);
			free(sub);
		}
		free(e);
	}
	free(ents);
	return r;
}

int cmp_load(struct cmp_runs *rs, const char *arg, char *err, size_t errlen)
{
	struct stat st;
	if (stat(arg, &st) < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(errno));
		return -errno;
	}
	size_t before = rs->n;
	int r = S_ISDIR(st.st_mode) ? load_dir(rs, arg, 0, err, errlen) : load_run_file(rs, arg, err, errlen);
	if (r == 0 && rs->n == before && !S_ISDIR(st.st_mode))
		return 0; /* a run given twice */
	if (r == 0 && rs->n == before) {
		snprintf(err, errlen, "%s: no run.json below it", arg);
		return -ENOENT;
	}
	return r;
}

/* ---- groups -------------------------------------------------------------------- */

void cmp_parse_by(const char *s, enum cmp_by *by, const char **key)
{
	*key = NULL;
	if (strcmp(s, "variant") == 0)
		*by = CMP_BY_VARIANT;
	else if (strcmp(s, "kernel") == 0)
		*by = CMP_BY_KERNEL;
	else if (strcmp(s, "host") == 0)
		*by = CMP_BY_HOST;
	else {
		*by = CMP_BY_KEY;
		*key = s;
	}
}

/* Does the scenario setting (section, key) go by name? "sysctl.vm.swappiness",
 * "vm.swappiness", "swappiness"; "leaker.size" for [workload leaker] size. */
static bool setting_named(const char *section, const char *key, const char *name)
{
	const char *sec = strncmp(section, "workload ", 9) == 0 ? section + 9 : section;
	size_t sl = strlen(sec);
	if (strncmp(name, sec, sl) == 0 && name[sl] == '.' && strcmp(name + sl + 1, key) == 0)
		return true;
	if (sec != section) /* a workload's key needs its workload */
		return false;
	if (strcmp(name, key) == 0)
		return true;
	const char *dot = strrchr(key, '.');
	return dot && strcmp(dot + 1, name) == 0;
}

char *cmp_group_key(const struct cmp_run *r, enum cmp_by by, const char *key)
{
	const json_t *run = r->run;
	const char *v = NULL;
	switch (by) {
	case CMP_BY_VARIANT:
		v = r->variant && *r->variant ? r->variant : NULL;
		break;
	case CMP_BY_KERNEL:
		v = json_string_value(json_object_get(json_object_get(json_object_get(run, "machine"), "kernel"), "release"));
		if (!v)
			v = json_string_value(json_object_get(json_object_get(run, "host"), "kernel"));
		break;
	case CMP_BY_HOST:
		v = json_string_value(json_object_get(json_object_get(run, "host"), "hostname"));
		break;
	case CMP_BY_KEY: {
		size_t i;
		json_t *s;
		json_array_foreach(json_object_get(json_object_get(run, "scenario"), "settings"), i, s) {
			const char *sec = json_string_value(json_object_get(s, "section"));
			const char *k = json_string_value(json_object_get(s, "key"));
			if (sec && k && setting_named(sec, k, key)) {
				v = json_string_value(json_object_get(s, "value"));
				break;
			}
		}
		break;
	}
	}
	return xstrdup(v && *v ? v : "-");
}

void cmp_group_runs(const struct cmp_runs *rs, enum cmp_by by, const char *key, struct cmp_group **g, size_t *ng)
{
	struct cmp_group *v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		char *k = cmp_group_key(&rs->v[i], by, key);
		size_t gi = 0;
		while (gi < n && strcmp(v[gi].name, k) != 0)
			gi++;
		if (gi == n) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = (struct cmp_group){ .name = k };
		} else {
			free(k);
		}
		v[gi].idx = xrealloc(v[gi].idx, (v[gi].n + 1) * sizeof(size_t));
		v[gi].idx[v[gi].n++] = i;
	}
	*g = v;
	*ng = n;
}

void cmp_groups_free(struct cmp_group *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++) {
		free(g[i].name);
		free(g[i].idx);
	}
	free(g);
}

/* ---- the table ----------------------------------------------------------------- */

/* The names in each run's array key (workloads, actions), each once, with its type:
 * its own "type", or type when every entry has that one. */
static void collect_names(struct cmp_table *t, const char *key, const char *type)
{
	for (size_t i = 0; i < t->rs->n; i++) {
		size_t k;
		json_t *w;
		json_array_foreach(json_object_get(t->rs->v[i].run, key), k, w) {
			const char *name = json_string_value(json_object_get(w, "name"));
			const char *ty = type ? type : json_string_value(json_object_get(w, "type"));
			if (!name || !ty)
				continue;
			size_t j = 0;
			while (j < t->nwl && strcmp(t->wls[j].name, name) != 0)
				j++;
			if (j < t->nwl)
				continue;
			t->wls = xrealloc(t->wls, (t->nwl + 1) * sizeof(*t->wls));
			t->wls[t->nwl++] = (struct schema_wl){ .name = xstrdup(name), .type = xstrdup(ty) };
		}
	}
}

/* The workloads of the runs, then their timed actions (SCHEMA_ACTION: their metrics
 * are written `<action>.<metric>` like a workload's). */
static void collect_workloads(struct cmp_table *t)
{
	collect_names(t, "workloads", NULL);
	collect_names(t, "actions", SCHEMA_ACTION);
}

static void cell_compare(const struct cmp_table *t, struct cmp_row *r, size_t gi)
{
	struct cmp_cell *c = &r->cells[gi], *b = &r->cells[t->base];
	c->change_pct = c->diff = NAN;
	c->test = (struct stat_result){ .test = ST_NONE, .p = NAN, .stat = NAN, .df = NAN };
	if (gi == t->base) {
		c->verdict = CV_BASE;
		return;
	}
	c->verdict = CV_UNTESTED;
	if (!c->n || !b->n)
		return;
	c->diff = c->st.mean - b->st.mean;
	if (!r->outcome)
		c->change_pct = b->st.mean != 0 ? c->diff / fabs(b->st.mean) * 100
				: c->diff == 0	 ? 0
						 : copysign(INFINITY, c->diff);
	if (r->outcome) {
		size_t ka = 0, kb = 0;
		for (size_t i = 0; i < b->n; i++)
			ka += b->x[i] != 0;
		for (size_t i = 0; i < c->n; i++)
			kb += c->x[i] != 0;
		stats_fisher(ka, b->n, kb, c->n, &c->test);
	} else {
		stats_compare(b->x, b->n, c->x, c->n, t->test, &c->test);
	}
	if (c->test.test == ST_NONE)
		return;
	c->significant = c->test.p < t->alpha;
	enum metric_better better = r->outcome ? MB_HIGHER : r->ref.m->better;
	if (!c->significant || c->diff == 0)
		c->verdict = CV_SAME;
	else if (better == MB_NONE)
		c->verdict = CV_CHANGED;
	else
		c->verdict = (c->diff < 0) == (better == MB_LOWER) ? CV_BETTER : CV_WORSE;
}

static int cmp_count(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(*x, *y);
}

/* An outcome row's cell: the counts as text ("oom-killed 3/3"); x is 1 for a run
 * whose workload exited, which is what Fisher's test compares. */
static void outcome_cell(struct cmp_cell *c, const struct cmp_table *t, const struct cmp_row *r, size_t gi)
{
	const struct cmp_group *g = &t->g[gi];
	c->counts = json_object();
	const char **words = xcalloc(g->n + 1, sizeof(*words));
	size_t nw = 0;
	for (size_t i = 0; i < g->n; i++) {
		struct mval v;
		if (schema_value(t->rs->v[g->idx[i]].run, &r->ref, &v) < 0 || v.kind != MV_WORD)
			continue;
		c->x[c->n++] = strcmp(v.word, "exited") == 0;
		json_t *k = json_object_get(c->counts, v.word);
		if (!k)
			words[nw++] = v.word;
		json_object_set_new(c->counts, v.word, json_integer((k ? json_integer_value(k) : 0) + 1));
	}
	qsort(words, nw, sizeof(*words), cmp_count);
	size_t len = 2;
	for (size_t i = 0; i < nw; i++)
		len += strlen(words[i]) + 48;
	c->text = xcalloc(len, 1);
	for (size_t i = 0, off = 0; i < nw; i++)
		off += (size_t)snprintf(c->text + off, len - off, "%s%s %lld/%zu", i ? ", " : "", words[i],
					(long long)json_integer_value(json_object_get(c->counts, words[i])), g->n);
	if (!nw)
		strcpy(c->text, "-");
	free(words);
}

static void fill_row(const struct cmp_table *t, struct cmp_row *r)
{
	r->cells = xcalloc(t->ng, sizeof(*r->cells));
	for (size_t gi = 0; gi < t->ng; gi++) {
		const struct cmp_group *g = &t->g[gi];
		struct cmp_cell *c = &r->cells[gi];
		c->runs = g->n;
		c->x = xcalloc(g->n + 1, sizeof(double));
		if (r->outcome) {
			outcome_cell(c, t, r, gi);
		} else {
			for (size_t i = 0; i < g->n; i++) {
				struct mval v;
				if (schema_value(t->rs->v[g->idx[i]].run, &r->ref, &v) == 0 && v.kind == MV_NUMBER &&
				    isfinite(v.num))
					c->x[c->n++] = v.num;
			}
		}
		stats_describe(c->x, c->n, &c->st);
	}
	for (size_t gi = 0; gi < t->ng; gi++)
		cell_compare(t, r, gi);
}

static struct cmp_row *add_row(struct cmp_table *t, const char *name, struct metric_ref ref, bool shown)
{
	t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof(*t->rows));
	struct cmp_row *r = &t->rows[t->nrows++];
	*r = (struct cmp_row){ .name = xstrdup(name), .ref = ref, .shown = shown };
	r->outcome = ref.m->wl_type && strcmp(ref.m->name, "outcome") == 0;
	fill_row(t, r);
	return r;
}

/* The default rows: each workload's outcome, then the numeric metrics that have a
 * better direction (every numeric one with all), run metrics first, each workload's
 * after; rows without a value in any run are left out, and (without all) those that
 * are 0 in every run. */
static void default_rows(struct cmp_table *t, bool all)
{
	size_t nm;
	const struct metric *ms = schema_metrics(&nm);
	for (size_t w = 0; w < t->nwl; w++) {
		const struct metric *m = schema_find_wl(t->wls[w].type, "outcome");
		char *name = xasprintf("%s.outcome", t->wls[w].name);
		if (m)
			add_row(t, name, (struct metric_ref){ .m = m, .workload = t->wls[w].name }, true);
		free(name);
	}
	for (size_t w = 0; w <= t->nwl; w++) {
		for (size_t i = 0; i < nm; i++) {
			const struct metric *m = &ms[i];
			if (m->type != MT_NUMBER || (!all && m->better == MB_NONE))
				continue;
			struct metric_ref ref = { .m = m };
			char *name;
			if (w == 0) {
				if (m->wl_type)
					continue;
				name = xstrdup(m->name);
			} else {
				const struct schema_wl *wl = &t->wls[w - 1];
				bool act = strcmp(wl->type, SCHEMA_ACTION) == 0;
				if (!m->wl_type || (strcmp(m->wl_type, act ? SCHEMA_ACTION : "*") != 0 &&
						    strcmp(m->wl_type, wl->type) != 0))
					continue;
				ref.workload = wl->name;
				name = xasprintf("%s.%s", wl->name, m->name);
			}
			struct cmp_row *r = add_row(t, name, ref, true);
			free(name);
			bool any = false, nonzero = false;
			for (size_t gi = 0; gi < t->ng; gi++)
				for (size_t k = 0; k < r->cells[gi].n; k++) {
					any = true;
					nonzero |= r->cells[gi].x[k] != 0;
				}
			if (!any || (!all && !nonzero)) {
				r->shown = false;
				t->hidden_zero += any;
			}
		}
	}
}

int cmp_build(struct cmp_table *t, const struct cmp_runs *rs, struct cmp_group *g, size_t ng,
	      const struct cmp_opts *o, char *err, size_t errlen)
{
	*t = (struct cmp_table){ .rs = rs, .g = g, .ng = ng, .alpha = o->alpha > 0 ? o->alpha : 0.05, .test = o->test,
				 .by = xstrdup(o->by ? o->by : "variant") };
	if (o->baseline) {
		size_t i = 0;
		while (i < ng && strcmp(g[i].name, o->baseline) != 0)
			i++;
		if (i == ng) {
			const char **names = xcalloc(ng + 1, sizeof(*names));
			for (size_t k = 0; k < ng; k++)
				names[k] = g[k].name;
			const char *near = nearest_name(o->baseline, names, ng);
			size_t off = (size_t)snprintf(err, errlen, "--baseline %s: no such group (by %s:", o->baseline, t->by);
			for (size_t k = 0; k < ng && off < errlen; k++)
				off += (size_t)snprintf(err + off, errlen - off, " %s", g[k].name);
			if (off < errlen)
				snprintf(err + off, errlen - off, ")%s%s%s", near ? "; did you mean " : "", near ? near : "",
					 near ? "?" : "");
			free(names);
			return -EINVAL;
		}
		/* the baseline's column first, the others in their order */
		struct cmp_group b = g[i];
		memmove(&g[1], &g[0], i * sizeof(*g));
		g[0] = b;
	}
	collect_workloads(t);
	if (!o->metrics) {
		default_rows(t, o->all);
		return 0;
	}
	for (size_t i = 0; i < o->nmetrics; i++)
		if (!cmp_row_for(t, o->metrics[i], err, errlen))
			return -EINVAL;
	for (size_t i = 0; i < t->nrows; i++)
		t->rows[i].shown = true;
	return 0;
}

struct cmp_row *cmp_row_for(struct cmp_table *t, const char *metric, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].name, metric) == 0)
			return &t->rows[i];
	struct metric_ref ref;
	char e[256];
	if (schema_resolve(metric, t->wls, t->nwl, &ref, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s: %s", metric, e);
		return NULL;
	}
	if (ref.m->type != MT_NUMBER && !(ref.m->wl_type && strcmp(ref.m->name, "outcome") == 0)) {
		snprintf(err, errlen, "%s: a %s, not a number: compare counts words only for outcomes", metric,
			 metric_type_name(ref.m->type));
		return NULL;
	}
	return add_row(t, metric, ref, false);
}

void cmp_table_free(struct cmp_table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t gi = 0; gi < t->ng; gi++) {
			free(t->rows[i].cells[gi].x);
			free(t->rows[i].cells[gi].text);
			json_decref(t->rows[i].cells[gi].counts);
		}
		free(t->rows[i].cells);
		free(t->rows[i].name);
	}
	free(t->rows);
	for (size_t i = 0; i < t->nwl; i++) {
		free((char *)t->wls[i].name);
		free((char *)t->wls[i].type);
	}
	free(t->wls);
	free(t->by);
	*t = (struct cmp_table){ 0 };
}

/* ---- printing ------------------------------------------------------------------ */

const char *cmp_verdict_name(enum cmp_verdict v)
{
	static const char *const n[] = { [CV_BASE] = "baseline", [CV_UNTESTED] = "not tested",
					 [CV_SAME] = "no measurable change", [CV_BETTER] = "better",
					 [CV_WORSE] = "worse", [CV_CHANGED] = "changed" };
	return v <= CV_CHANGED ? n[v] : "?";
}

/* A number in its metric's unit, short: bytes as 63.8M, integers as integers. */
static const char *num(enum metric_unit u, double v, char *buf, size_t len)
{
	if (!isfinite(v))
		snprintf(buf, len, "%s", isnan(v) ? "-" : v > 0 ? "inf" : "-inf");
	else if (u == MU_BYTES && fabs(v) >= 1 << 20)
		snprintf(buf, len, "%.1fM", v / (1 << 20));
	else if (u == MU_BYTES && fabs(v) >= 1 << 10)
		snprintf(buf, len, "%.1fk", v / (1 << 10));
	else if (v == rint(v) && fabs(v) < 1e9)
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 100)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.3g", v);
	return buf;
}

const char *cmp_cell_text(const struct cmp_table *t, const struct cmp_row *r, size_t gi, char *buf, size_t len)
{
	const struct cmp_cell *c = &r->cells[gi];
	char m[48], s[48], ch[48] = "", n[48] = "";
	enum metric_unit u = r->ref.m->unit;
	if (c->n < c->runs && !r->outcome)
		snprintf(n, sizeof(n), " [%zu/%zu]", c->n, c->runs);
	if (c->verdict != CV_BASE && !r->outcome && isfinite(c->change_pct))
		snprintf(ch, sizeof(ch), " (%+.2f%%)", c->change_pct);
	else if (c->verdict != CV_BASE && !r->outcome && !isnan(c->change_pct))
		snprintf(ch, sizeof(ch), " (%sinf%%)", c->change_pct > 0 ? "+" : "-");
	const char *mark = c->significant ? stats_test_mark(c->test.test) : "";
	char mk[16] = "";
	if (*mark)
		snprintf(mk, sizeof(mk), " *%s", mark);
	(void)t;
	if (r->outcome)
		snprintf(buf, len, "%s%s", c->text, mk);
	else if (!c->n)
		snprintf(buf, len, "-");
	else if (c->n < 2)
		snprintf(buf, len, "%s%s%s%s", num(u, c->st.mean, m, sizeof(m)), n, ch, mk);
	else
		snprintf(buf, len, "%s ±%s%s%s%s", num(u, c->st.mean, m, sizeof(m)), num(u, c->st.sd, s, sizeof(s)), n, ch,
			 mk);
	return buf;
}

static const char *unit_of(const struct cmp_row *r)
{
	return r->outcome ? "runs" : r->ref.m->unit == MU_BYTES ? "MiB" : metric_unit_name(r->ref.m->unit);
}

static void group_head(const struct cmp_table *t, size_t gi, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s (n=%zu)", t->g[gi].name, gi == t->base ? " [base]" : "", t->g[gi].n);
}

static void legend(FILE *f, const struct cmp_table *t)
{
	fprintf(f, "\nmean ±standard deviation over the runs [runs with a value/runs], (change of the mean against %s);\n"
		   "*t *U *F: the change is significant (p < %g) by Welch's t-test, Mann-Whitney U, Fisher's exact\n"
		   "test (outcomes: runs that exited). MiB rows are in bytes, shown as M (MiB) and k (KiB).\n",
		t->g[t->base].name, t->alpha);
	if (t->hidden_zero)
		fprintf(f, "%zu metric(s) are 0 in every run and not shown (--all shows them).\n", t->hidden_zero);
}

void cmp_print_text(FILE *f, const struct cmp_table *t)
{
	char buf[256];
	size_t wname = 6, wunit = 4, *w = xcalloc(t->ng, sizeof(*w));
	for (size_t gi = 0; gi < t->ng; gi++) {
		group_head(t, gi, buf, sizeof(buf));
		w[gi] = strlen(buf);
	}
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown)
			continue;
		wname = strlen(r->name) > wname ? strlen(r->name) : wname;
		wunit = strlen(unit_of(r)) > wunit ? strlen(unit_of(r)) : wunit;
		for (size_t gi = 0; gi < t->ng; gi++) {
			size_t l = strlen(cmp_cell_text(t, r, gi, buf, sizeof(buf)));
			w[gi] = l > w[gi] ? l : w[gi];
		}
	}
	fprintf(f, "%-*s  %-*s", (int)wname, "metric", (int)wunit, "unit");
	for (size_t gi = 0; gi < t->ng; gi++) {
		group_head(t, gi, buf, sizeof(buf));
		fprintf(f, "  %-*s", gi + 1 < t->ng ? (int)w[gi] : 0, buf);
	}
	fputc('\n', f);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown)
			continue;
		fprintf(f, "%-*s  %-*s", (int)wname, r->name, (int)wunit, unit_of(r));
		for (size_t gi = 0; gi < t->ng; gi++)
			fprintf(f, "  %-*s", gi + 1 < t->ng ? (int)w[gi] : 0, cmp_cell_text(t, r, gi, buf, sizeof(buf)));
		fputc('\n', f);
	}
	legend(f, t);
	free(w);
}

/* markdown cells: | and newlines would break the table */
static void md_put(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s == '\n' ? ' ' : *s, f);
}

void cmp_print_markdown(FILE *f, const struct cmp_table *t)
{
	char buf[256];
	fputs("| metric | unit |", f);
	for (size_t gi = 0; gi < t->ng; gi++) {
		group_head(t, gi, buf, sizeof(buf));
		fputc(' ', f);
		md_put(f, buf);
		fputs(" |", f);
	}
	fputs("\n| --- | --- |", f);
	for (size_t gi = 0; gi < t->ng; gi++)
		fputs(" --- |", f);
	fputc('\n', f);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown)
			continue;
		fputs("| ", f);
		md_put(f, r->name);
		fprintf(f, " | %s |", unit_of(r));
		for (size_t gi = 0; gi < t->ng; gi++) {
			fputc(' ', f);
			md_put(f, cmp_cell_text(t, r, gi, buf, sizeof(buf)));
			fputs(" |", f);
		}
		fputc('\n', f);
	}
	legend(f, t);
}

/* CSV (RFC 4180): a field with a comma, quote or newline is quoted, quotes doubled */
static void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, ",%.10g", v);
	else if (isinf(v))
		fprintf(f, ",%s", v > 0 ? "inf" : "-inf");
	else
		fputc(',', f);
}

void cmp_print_csv(FILE *f, const struct cmp_table *t)
{
	fputs("metric,unit,better,group,baseline,runs,n,mean,sd,ci95,min,max,change_pct,test,p,significant,verdict,outcomes\n",
	      f);
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown)
			continue;
		for (size_t gi = 0; gi < t->ng; gi++) {
			const struct cmp_cell *c = &r->cells[gi];
			csv_put(f, r->name);
			fprintf(f, ",%s,%s,", r->outcome ? "runs" : metric_unit_name(r->ref.m->unit),
				metric_better_name(r->outcome ? MB_HIGHER : r->ref.m->better));
			csv_put(f, t->g[gi].name);
			fprintf(f, ",%s,%zu,%zu", gi == t->base ? "yes" : "no", c->runs, c->n);
			csv_num(f, c->st.mean);
			csv_num(f, c->st.sd);
			csv_num(f, c->st.ci95);
			csv_num(f, c->st.min);
			csv_num(f, c->st.max);
			csv_num(f, c->change_pct);
			fprintf(f, ",%s", c->test.test == ST_NONE ? "" : stats_test_name(c->test.test));
			csv_num(f, c->test.p);
			fprintf(f, ",%s,", c->significant ? "yes" : "no");
			csv_put(f, cmp_verdict_name(c->verdict));
			fputc(',', f);
			csv_put(f, c->text ? c->text : "");
			fputc('\n', f);
		}
	}
}

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *cmp_json(const struct cmp_table *t)
{
	json_t *groups = json_array(), *metrics = json_array();
	for (size_t gi = 0; gi < t->ng; gi++) {
		json_t *runs = json_array();
		for (size_t k = 0; k < t->g[gi].n; k++)
			json_array_append_new(runs, json_string(t->rs->v[t->g[gi].idx[k]].path));
		json_array_append_new(groups, json_pack("{s:s, s:b, s:o}", "name", t->g[gi].name, "baseline", gi == t->base,
							"runs", runs));
	}
	for (size_t i = 0; i < t->nrows; i++) {
		const struct cmp_row *r = &t->rows[i];
		if (!r->shown)
			continue;
		json_t *cells = json_array();
		for (size_t gi = 0; gi < t->ng; gi++) {
			const struct cmp_cell *c = &r->cells[gi];
			json_t *vals = json_array();
			for (size_t k = 0; k < c->n && !r->outcome; k++)
				json_array_append_new(vals, json_real(c->x[k]));
			json_t *cell = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:s}",
						 "group", t->g[gi].name, "runs", (json_int_t)c->runs, "n", (json_int_t)c->n,
						 "mean", jnum(c->st.mean), "sd", jnum(c->st.sd), "ci95", jnum(c->st.ci95),
						 "min", jnum(c->st.min), "max", jnum(c->st.max), "values", vals,
						 "change_pct", jnum(c->change_pct), "diff", jnum(c->diff), "p",
						 jnum(c->test.p), "significant", c->significant, "verdict",
						 cmp_verdict_name(c->verdict));
			json_object_set_new(cell, "test",
					    c->test.test == ST_NONE ? json_null() : json_string(stats_test_name(c->test.test)));
			json_object_set_new(cell, "test_why", c->test.why ? json_string(c->test.why) : json_null());
			if (r->outcome) {
				json_object_set(cell, "counts", c->counts);
				json_object_set_new(cell, "text", json_string(c->text));
			}
			json_array_append_new(cells, cell);
		}
		json_array_append_new(metrics, json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", r->name, "kind",
							 r->outcome ? "outcome" : "number", "unit",
							 r->outcome ? "runs" : metric_unit_name(r->ref.m->unit), "better",
							 metric_better_name(r->outcome ? MB_HIGHER : r->ref.m->better),
							 "cells", cells));
	}
	return json_pack("{s:s, s:s, s:s, s:f, s:o, s:o}", "schema", COMPARE_SCHEMA, "by", t->by, "baseline",
			 t->g[t->base].name, "alpha", t->alpha, "groups", groups, "metrics", metrics);
}
