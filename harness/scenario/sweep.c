/* sweep.c - see sweep.h.
 *
 * Three steps: each list value becomes an axis (its items, ranges written out);
 * the axes are checked together (zip lengths, the number of variants, values listed
 * twice, which would give two variants the same directory); then every variant is
 * built with its own copy of the settings. Numbers in ranges are kept as uint64_t:
 * bytes, milliseconds, or for signed integers the value with its sign bit flipped, so
 * that one unsigned comparison and one subtraction serve all three kinds. */
#define _GNU_SOURCE
#include "sweep.h"
#include "../core/units.h"
#include "../core/util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INT_BIAS (1ULL << 63)

struct strv {
	char **v;
	size_t n;
};

static void strv_push(struct strv *s, const char *str)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = xstrdup(str);
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* "workload NAME" or "action NAME" -> NAME (the parser allows several blanks),
 * else NULL. Workloads and actions share one name space. */
static const char *workload_name(const char *section)
{
	size_t k = strncmp(section, "workload", 8) == 0 ? 8 : strncmp(section, "action", 6) == 0 ? 6 : 0;
	if (!k || section[k] != ' ')
		return NULL;
	section += k;
	while (*section == ' ')
		section++;
	return *section ? section : NULL;
}

static bool sweepable_section(const char *section)
{
	return strcmp(section, "sysctl") == 0 || strcmp(section, "cgroup") == 0 || strcmp(section, "machine") == 0 ||
	       workload_name(section) != NULL;
}

/* ---- numbers --------------------------------------------------------------- */

static const char *kind_expects(enum sweep_kind k)
{
	switch (k) {
	case SWEEP_SIZE: return "a size such as 64M";
	case SWEEP_INT: return "an integer";
	case SWEEP_DURATION: return "a duration such as 500ms or 2s";
	default: return "a number";
	}
}

static const char *kind_example(enum sweep_kind k)
{
	switch (k) {
	case SWEEP_SIZE: return "64M..256M/64M";
	case SWEEP_DURATION: return "1s..3s/1s";
	default: return "0..100/25";
	}
}

/* [-]digits, nothing else. */
static int parse_int(const char *s, long long *out)
{
	const char *p = s + (*s == '-');
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (const char *c = p; *c; c++)
		if (*c < '0' || *c > '9')
			return -EINVAL;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A range bound as uint64_t in the kind's order (see the top of the file). */
static int num_parse(enum sweep_kind k, const char *s, uint64_t *out)
{
	long long i;
	int r;
	switch (k) {
	case SWEEP_SIZE:
		return parse_size(s, out);
	case SWEEP_DURATION:
		r = parse_duration_ms(s, out);
		return r == 0 && *out == DURATION_FOREVER ? -EDOM : r;
	case SWEEP_INT:
		if ((r = parse_int(s, &i)) < 0)
			return r;
		*out = (uint64_t)i ^ INT_BIAS;
		return 0;
	default:
		return -EINVAL;
	}
}

/* A range step: a positive amount (not biased). -EDOM when zero or negative. */
static int step_parse(enum sweep_kind k, const char *s, uint64_t *out)
{
	long long i;
	int r;
	if (*s == '-')
		return -EDOM;
	if (k == SWEEP_INT) {
		if ((r = parse_int(s, &i)) < 0)
			return r;
		*out = (uint64_t)i;
	} else if ((r = num_parse(k, s, out)) < 0) {
		return r;
	}
	return *out == 0 ? -EDOM : 0;
}

/* Canonical text the scenario parser reads back: 192M, 1G, 4096; 2s, 1500ms; -5. */
static void num_format(enum sweep_kind k, uint64_t v, char *buf, size_t len)
{
	static const struct {
		char suffix;
		unsigned shift;
	} sz[] = { { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'k', 10 } };
	if (k == SWEEP_INT) {
		snprintf(buf, len, "%lld", (long long)(v ^ INT_BIAS));
		return;
	}
	if (k == SWEEP_DURATION) {
		if (v % 1000 == 0)
			snprintf(buf, len, "%" PRIu64 "s", v / 1000);
		else
			snprintf(buf, len, "%" PRIu64 "ms", v);
		return;
	}
	for (size_t i = 0; v && i < ARRAY_SIZE(sz); i++) {
		if (v % (1ULL << sz[i].shift) == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v >> sz[i].shift, sz[i].suffix);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
}

static bool is_pct(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '%';
}

/* a and b mean the same for a key of kind k; text that does not parse is compared as
 * written. */
static bool value_equal(enum sweep_kind k, const char *a, const char *b)
{
	uint64_t x, y;
	long long i, j;
	bool p, q;
	switch (k) {
	case SWEEP_SIZE:
		if (parse_size(a, &x) == 0 && parse_size(b, &y) == 0)
			return x == y;
		/* percentages: of a base large enough that 12.5% and 12.50% agree */
		if (is_pct(a) && is_pct(b) && parse_size_pct(a, 1000000000000ULL, &x, NULL) == 0 &&
		    parse_size_pct(b, 1000000000000ULL, &y, NULL) == 0)
			return x == y;
		break;
	case SWEEP_INT:
		if (parse_int(a, &i) == 0 && parse_int(b, &j) == 0)
			return i == j;
		break;
	case SWEEP_DURATION:
		if (parse_duration_ms(a, &x) == 0 && parse_duration_ms(b, &y) == 0)
			return x == y;
		break;
	case SWEEP_WORD:
		if (parse_bool(a, &p) == 0 && parse_bool(b, &q) == 0)
			return p == q;
		break;
	case SWEEP_NO:
		break;
	}
	return strcmp(a, b) == 0;
}

/* ---- one key: its list --------------------------------------------------------- */

/* LO, HI and STEP of a range as numbers of kind k; on -EINVAL why says what is wrong. */
static int range_bounds(enum sweep_kind k, const char *lo, const char *hi, const char *step, uint64_t *a,
			uint64_t *b, uint64_t *st, char *why, size_t len)
{
	int npct = is_pct(lo) + is_pct(hi) + is_pct(step), r;
	bool forever = strcmp(lo, "forever") == 0 || strcmp(hi, "forever") == 0 || strcmp(step, "forever") == 0;
	if (!*lo || !*hi || !*step)
		snprintf(why, len, "expected LO..HI/STEP, such as %s", kind_example(k));
	else if (k == SWEEP_SIZE && npct == 3)
		snprintf(why, len, "percentages cannot form a range; list them instead (25%%, 50%%)");
	else if (k == SWEEP_SIZE && npct)
		snprintf(why, len, "mixed units cannot be compared: a percentage and a size in bytes");
	else if (k == SWEEP_DURATION && forever)
		snprintf(why, len, "forever cannot be compared with a duration in a range");
	else if (num_parse(k, lo, a) < 0)
		snprintf(why, len, "LO '%s' is not %s", lo, kind_expects(k));
	else if (num_parse(k, hi, b) < 0)
		snprintf(why, len, "HI '%s' is not %s", hi, kind_expects(k));
	else if ((r = step_parse(k, step, st)) == -EDOM)
		snprintf(why, len, "the step must be greater than 0");
	else if (r < 0)
		snprintf(why, len, "STEP '%s' is not %s", step, kind_expects(k));
	else if (*a > *b)
		snprintf(why, len, "LO %s is above HI %s", lo, hi);
	else
		return 0;
	return -EINVAL;
}

/* Appends the values of the range item ("LO..HI/STEP") to out. -EINVAL with a
 * diagnostic; -E2BIG, without one, when out would pass SWEEP_MAX_VALUES. */
static int expand_range(const struct setting *s, enum sweep_kind k, const char *item, struct strv *out,
			struct diags *d)
{
	char *copy = xstrdup(item), *dots = strstr(copy, ".."), *slash = strchr(dots + 2, '/');
	char why[160];
	uint64_t a = 0, b = 0, st = 1;
	int r = -EINVAL;
	if (k == SWEEP_WORD) {
		snprintf(why, sizeof(why), "a range needs a numeric key; list the values instead");
	} else if (!slash) {
		snprintf(why, sizeof(why), "a range needs a step: LO..HI/STEP, such as %s", kind_example(k));
	} else {
		*dots = *slash = '\0';
		r = range_bounds(k, strtrim(copy), strtrim(dots + 2), strtrim(slash + 1), &a, &b, &st, why, sizeof(why));
	}
	free(copy);
	if (r < 0) {
		diags_add(d, s->line, s->section, s->key, "'%s': %s", item, why);
		return r;
	}
	if ((b - a) / st >= SWEEP_MAX_VALUES - out->n) /* (b - a) / st + 1 values */
		return -E2BIG;
	for (uint64_t v = a;; v += st) {
		char buf[32];
		num_format(k, v, buf, sizeof(buf));
		strv_push(out, buf);
		if (b - v < st)
			return 0;
	}
}

/* The items of s's value. 0, or -EINVAL with every problem in d. */
static int expand_list(const struct setting *s, enum sweep_kind k, struct strv *out, struct diags *d)
{
	char *copy = xstrdup(s->value), *p = copy;
	int r = 0;
	for (size_t n = 1;; n++) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *item = strtrim(p);
		int e = 0;
		if (!*item) {
			diags_add(d, s->line, s->section, s->key, "'%s': item %zu of the list is empty", s->value, n);
			e = -EINVAL;
		} else if (strstr(item, "..")) {
			e = expand_range(s, k, item, out, d);
		} else if (out->n >= SWEEP_MAX_VALUES) {
			e = -E2BIG;
		} else {
			strv_push(out, item);
		}
		if (e == -E2BIG) {
			diags_add(d, s->line, s->section, s->key, "more than %d values in one key", SWEEP_MAX_VALUES);
			r = -EINVAL;
			break;
		}
		if (e < 0)
			r = -EINVAL;
		if (!comma)
			break;
		p = comma + 1;
	}
	free(copy);
	return r;
}

/* ---- names ----------------------------------------------------------------- */

/* Full name, as --set spells it: sysctl.vm.swappiness, leaker.size. */
static char *full_name(const char *section, const char *key)
{
	const char *wl = workload_name(section);
	return wl ? xasprintf("%s.%s", wl, key) : xasprintf("%s.%s", section, key);
}

static char *short_name(const char *section, const char *key)
{
	const char *wl = workload_name(section), *dot = strrchr(key, '.');
	return wl ? xasprintf("%s.%s", wl, key) : xstrdup(dot ? dot + 1 : key);
}

/* Short names, except where two axes share one: those are written in full. */
static void name_axes(struct sweep_axis *ax, size_t n)
{
	char **shorts = xcalloc(n, sizeof(*shorts));
	for (size_t i = 0; i < n; i++)
		shorts[i] = short_name(ax[i].section, ax[i].key);
	for (size_t i = 0; i < n; i++) {
		bool clash = false;
		for (size_t j = 0; j < n && !clash; j++)
			clash = j != i && strcmp(shorts[j], shorts[i]) == 0;
		ax[i].name = clash ? full_name(ax[i].section, ax[i].key) : xstrdup(shorts[i]);
	}
	for (size_t i = 0; i < n; i++)
		free(shorts[i]);
	free(shorts);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* name=value,... as a safe directory name of at most SWEEP_NAME_MAX characters. */
static char *variant_name(const struct sweep_key *k, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += strlen(k[i].name) + strlen(k[i].value) + 2;
	char *s = xcalloc(len + 1, 1), *p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s=%s", i ? "," : "", k[i].name, k[i].value);
	uint64_t h = fnv1a(s);
	for (p = s; *p; p++)
		if (!strchr("._=,+-", *p) && !(*p >= 'A' && *p <= 'Z') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= '0' && *p <= '9'))
			*p = '_';
	if (strlen(s) > SWEEP_NAME_MAX)
		snprintf(s + SWEEP_NAME_MAX - 17, 18, "-%016" PRIx64, h);
	return s;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- the plan -------------------------------------------------------------- */

static void line_text(int line, char *buf, size_t len)
{
	if (line == SET_CMDLINE)
		snprintf(buf, len, "from --set");
	else
		snprintf(buf, len, "line %d", line);
}

/* zip: equal lengths; product: at most SWEEP_MAX_VARIANTS. Returns the number of
 * variants, 0 after a diagnostic. */
static size_t count_variants(const struct sweep *sw, struct diags *d)
{
	const struct sweep_axis *ax = sw->axes;
	if (sw->naxes == 0)
		return 1;
	if (sw->zip) {
		size_t longest = 0;
		for (size_t i = 1; i < sw->naxes; i++)
			if (ax[i].nvalues > ax[longest].nvalues)
				longest = i;
		bool bad = false;
		for (size_t i = 0; i < sw->naxes; i++) {
			if (ax[i].nvalues == ax[longest].nvalues)
				continue;
			char *other = full_name(ax[longest].section, ax[longest].key), where[32];
			line_text(ax[longest].line, where, sizeof(where));
			diags_add(d, ax[i].line, ax[i].section, ax[i].key,
				  "sweep = zip needs lists of equal length: this one has %zu values, %s (%s) has %zu",
				  ax[i].nvalues, other, where, ax[longest].nvalues);
			free(other);
			bad = true;
		}
		return bad ? 0 : ax[longest].nvalues;
	}
	uint64_t total = 1;
	size_t over = sw->naxes;
	for (size_t i = 0; i < sw->naxes; i++) {
		total *= ax[i].nvalues; /* each <= 1000: no overflow before the limit is passed */
		if (total > SWEEP_MAX_VARIANTS) {
			over = i;
			break;
		}
	}
	if (over == sw->naxes)
		return (size_t)total;
	char counts[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < sw->naxes && len < sizeof(counts); i++)
		len += (size_t)snprintf(counts + len, sizeof(counts) - len, "%s%zu", i ? " x " : "", ax[i].nvalues);
	diags_add(d, ax[over].line, ax[over].section, ax[over].key,
		  "the lists make more than %d variants (%s); sweep fewer values or use sweep = zip", SWEEP_MAX_VARIANTS,
		  counts);
	return 0;
}

/* Two variants that set the same values would share a run directory: in a product
 * that is a value listed twice in one key. */
static bool check_repeats(const struct sweep *sw, struct diags *d)
{
	bool ok = true;
	for (size_t a = 0; a < sw->naxes && !sw->zip; a++) {
		const struct sweep_axis *x = &sw->axes[a];
		for (size_t i = 0; i < x->nvalues; i++) {
			size_t j = 0;
			while (j < i && !value_equal(x->kind, x->values[i], x->values[j]))
				j++;
			if (j < i) {
				diags_add(d, x->line, x->section, x->key, "'%s' is in the list twice (values %zu and %zu)",
					  x->values[i], j + 1, i + 1);
				ok = false;
				break;
			}
		}
	}
	return ok;
}

static bool same_keys(const struct variant *a, const struct variant *b)
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (!value_equal(a->keys[i].kind, a->keys[i].value, b->keys[i].value))
			return false;
	return true;
}

/* After building: zip pairs that repeat, and names that sanitising made equal. */
static bool check_unique(const struct sweep *sw, struct diags *d)
{
	const struct sweep_axis *ax0 = sw->axes;
	for (size_t i = 0; i < sw->nv && sw->zip; i++) {
		for (size_t j = 0; j < i; j++) {
			if (same_keys(&sw->v[i], &sw->v[j])) {
				diags_add(d, ax0->line, ax0->section, ax0->key,
					  "variants %zu and %zu set the same values (%s)", j + 1, i + 1, sw->v[i].name);
				return false;
			}
		}
	}
	char **names = xcalloc(sw->nv, sizeof(*names));
	for (size_t i = 0; i < sw->nv; i++)
		names[i] = sw->v[i].name;
	qsort(names, sw->nv, sizeof(*names), strp_cmp);
	bool ok = true;
	for (size_t i = 1; i < sw->nv && ok; i++) {
		if (strcmp(names[i - 1], names[i]) == 0) {
			diags_add(d, ax0->line, ax0->section, ax0->key,
				  "two variants get the same name '%s' (values that differ only in characters "
				  "replaced by '_')", names[i]);
			ok = false;
		}
	}
	free(names);
	return ok;
}

static void build_variant(struct sweep *sw, size_t vi, const struct setting *set, size_t nset)
{
	struct variant *v = &sw->v[vi];
	size_t stride = 1;
	v->nkeys = sw->naxes;
	v->keys = xcalloc(sw->naxes, sizeof(*v->keys));
	/* the last axis varies fastest */
	for (size_t j = sw->naxes; j-- > 0;) {
		const struct sweep_axis *x = &sw->axes[j];
		size_t idx = sw->zip ? vi : (vi / stride) % x->nvalues;
		stride *= x->nvalues;
		v->keys[j] = (struct sweep_key){ x->section, x->key, x->name, x->values[idx], x->kind, x->line };
	}
	v->name = variant_name(v->keys, v->nkeys);
	v->nset = nset;
	v->set = xcalloc(nset, sizeof(*v->set));
	for (size_t i = 0; i < nset; i++) {
		const char *value = set[i].value;
		for (size_t j = 0; j < sw->naxes; j++)
			if (sw->axes[j].index == i)
				value = v->keys[j].value;
		v->set[i] = (struct setting){ xstrdup(set[i].section), xstrdup(set[i].key), xstrdup(value), set[i].line };
	}
}

int sweep_expand(const struct setting *set, size_t nset, bool zip, sweep_kind_fn kind, void *ctx, struct sweep *out,
		 struct diags *d)
{
	struct sweep sw = { .zip = zip };
	bool bad = false;
	for (size_t i = 0; i < nset; i++) {
		const struct setting *s = &set[i];
		if (!kind || !sweepable_section(s->section))
			continue;
		enum sweep_kind k = kind(ctx, s->section, s->key);
		if (k == SWEEP_NO || (!strchr(s->value, ',') && !strstr(s->value, "..")))
			continue;
		struct strv vals = { 0 };
		if (expand_list(s, k, &vals, d) < 0) {
			strv_free(&vals);
			bad = true;
			continue;
		}
		sw.axes = xrealloc(sw.axes, (sw.naxes + 1) * sizeof(*sw.axes));
		sw.axes[sw.naxes++] = (struct sweep_axis){ xstrdup(s->section), xstrdup(s->key), NULL, k, vals.v,
							   vals.n, s->line, i };
	}
	if (bad)
		goto fail;
	name_axes(sw.axes, sw.naxes);
	size_t nv = count_variants(&sw, d);
	if (nv == 0 || !check_repeats(&sw, d))
		goto fail;
	sw.v = xcalloc(nv, sizeof(*sw.v));
	for (sw.nv = 0; sw.nv < nv; sw.nv++)
		build_variant(&sw, sw.nv, set, nset);
	if (!check_unique(&sw, d))
		goto fail;
	*out = sw;
	return 0;
fail:
	sweep_free(&sw);
	return -EINVAL;
}

void sweep_free(struct sweep *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nv; i++) {
		free(s->v[i].name);
		free(s->v[i].keys);
		sweep_settings_free(s->v[i].set, s->v[i].nset);
	}
	free(s->v);
	for (size_t i = 0; i < s->naxes; i++) {
		struct strv vals = { s->axes[i].values, s->axes[i].nvalues };
		strv_free(&vals);
		free(s->axes[i].section);
		free(s->axes[i].key);
		free(s->axes[i].name);
	}
	free(s->axes);
	memset(s, 0, sizeof(*s));
}

/* ---- [expect KEY=VALUE ...] -------------------------------------------------- */

/* The one key of v that KEY names, or NULL (none, or a short name two share). */
static const struct sweep_key *find_key(const struct variant *v, const char *key)
{
	const struct sweep_key *found = NULL;
	for (size_t i = 0; i < v->nkeys; i++) {
		const struct sweep_key *k = &v->keys[i];
		char *full = full_name(k->section, k->key), *shrt = short_name(k->section, k->key);
		bool hit = strcmp(key, full) == 0 || strcmp(key, k->key) == 0 || strcmp(key, shrt) == 0;
		free(full);
		free(shrt);
		if (hit && found)
			return NULL;
		if (hit)
			found = k;
	}
	return found;
}

int sweep_match(const struct variant *v, const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL;
	int r = 1;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			r = -EINVAL;
			break;
		}
		*eq = '\0';
		const struct sweep_key *k = find_key(v, tok);
		if (!k) {
			r = -EINVAL;
			break;
		}
		if (!value_equal(k->kind, k->value, eq + 1))
			r = 0; /* keep going: a later unknown key is still an error */
	}
	free(copy);
	return r;
}

/* ---- --set ----------------------------------------------------------------- */

static const char *const set_sections[] = { "scenario", "cgroup", "sysctl", "swap", "prepare", "record", "machine",
					    "expect" };

int sweep_parse_set(const char *arg, struct setting *out, char *err, size_t errlen)
{
	const char *eq = strchr(arg, '=');
	const char *dot = eq ? memchr(arg, '.', (size_t)(eq - arg)) : NULL;
	if (!eq) {
		snprintf(err, errlen, "'%s': expected SECTION.KEY=VALUE, such as sysctl.vm.swappiness=10", arg);
		return -EINVAL;
	}
	if (!dot) {
		snprintf(err, errlen,
			 "'%s': no section: expected SECTION.KEY=VALUE, such as cgroup.memory.max=64M or, for a "
			 "workload, leaker.size=32M", arg);
		return -EINVAL;
	}
	char *sec = xasprintf("%.*s", (int)(dot - arg), arg), *key = xasprintf("%.*s", (int)(eq - dot - 1), dot + 1);
	char *val = xstrdup(eq + 1);
	char *s = strtrim(sec), *k = strtrim(key), *v = strtrim(val);
	int r = -EINVAL;
	if (!*s)
		snprintf(err, errlen, "'%s': the section before the first '.' is empty", arg);
	else if (!*k)
		snprintf(err, errlen, "'%s': the key between '%s.' and '=' is empty", arg, s);
	else if (!*v)
		snprintf(err, errlen, "'%s': the value after '=' is empty", arg);
	else
		r = 0;
	if (r == 0) {
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(set_sections) && !known; i++)
			known = strcmp(s, set_sections[i]) == 0;
		/* action.NAME.KEY: [action NAME] KEY (an action's name cannot be a workload's) */
		const char *adot = strcmp(s, "action") == 0 ? strrchr(k, '.') : NULL;
		if (adot && adot > k && adot[1])
			*out = (struct setting){ xasprintf("action %.*s", (int)(adot - k), k), xstrdup(adot + 1), xstrdup(v),
						 SET_CMDLINE };
		else
			*out = (struct setting){ known ? xstrdup(s) : xasprintf("workload %s", s), xstrdup(k), xstrdup(v),
						 SET_CMDLINE };
	}
	free(sec);
	free(key);
	free(val);
	return r;
}

void sweep_apply_sets(struct setting **set, size_t *n, const struct setting *over, size_t nover)
{
	for (size_t o = 0; o < nover; o++) {
		bool found = false;
		for (size_t i = 0; i < *n; i++) {
			struct setting *s = &(*set)[i];
			if (strcmp(s->section, over[o].section) != 0 || strcmp(s->key, over[o].key) != 0)
				continue;
			free(s->value);
			s->value = xstrdup(over[o].value);
			s->line = over[o].line;
			found = true;
		}
		if (found)
			continue;
		*set = xrealloc(*set, (*n + 1) * sizeof(**set));
		(*set)[(*n)++] = (struct setting){ xstrdup(over[o].section), xstrdup(over[o].key), xstrdup(over[o].value),
						   over[o].line };
	}
}

void sweep_settings_free(struct setting *set, size_t n)
{
	for (size_t i = 0; set && i < n; i++) {
		free(set[i].section);
		free(set[i].key);
		free(set[i].value);
	}
	free(set);
}
