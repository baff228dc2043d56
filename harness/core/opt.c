/* opt.c - the generic option parser; see opt.h. */
#include "opt.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {
	[OPT_SIZE] = "size", [OPT_SIZE_PCT] = "size|%", [OPT_DURATION] = "duration",
	[OPT_UINT] = "integer", [OPT_BOOL] = "yes|no", [OPT_ENUM] = "choice", [OPT_STRING] = "text",
	[OPT_FRACTION] = "0..1",
};

const char *opt_type_name(enum opt_type t)
{
	return t < ARRAY_SIZE(type_names) ? type_names[t] : "?";
}

static void range_text(const struct opt *o, char *buf, size_t len)
{
	char a[32], b[32];
	if (o->type == OPT_UINT || o->type == OPT_DURATION) {
		const char *u = o->type == OPT_DURATION ? " ms" : "";
		if (o->max)
			snprintf(buf, len, "%llu%s..%llu%s", (unsigned long long)o->min, u,
				 (unsigned long long)o->max, u);
		else
			snprintf(buf, len, ">= %llu%s", (unsigned long long)o->min, u);
	} else if (o->max) {
		snprintf(buf, len, "%s..%s", format_size(o->min, a, sizeof(a)), format_size(o->max, b, sizeof(b)));
	} else {
		snprintf(buf, len, ">= %s", format_size(o->min, a, sizeof(a)));
	}
}

int opt_set(const struct opt *o, void *cfg, const char *val, uint64_t base, char *err, size_t errlen)
{
	char *field = (char *)cfg + o->off;
	uint64_t v = 0;
	int r = 0;
	char range[96];

	switch (o->type) {
	case OPT_SIZE:
		r = parse_size(val, &v);
		if (r == -EINVAL)
			snprintf(err, errlen, "expected a size such as 4096, 64k, 64M, 1G, got '%s'", val);
		break;
	case OPT_SIZE_PCT:
		r = parse_size_pct(val, base, &v, NULL);
		if (r == -EINVAL)
			snprintf(err, errlen, "expected a size such as 64M or a percentage such as 50%%, got '%s'", val);
		else if (r == -EDOM)
			snprintf(err, errlen, "'%s' is a percentage of the cgroup's memory.max, and none is set", val);
		break;
	case OPT_DURATION:
		r = parse_duration_ms(val, &v);
		if (r == -EINVAL)
			snprintf(err, errlen, "expected a duration such as 500ms, 10s, 2m, 1h or forever, got '%s'", val);
		break;
	case OPT_UINT: {
		char *end;
		errno = 0;
		unsigned long long x = strtoull(val, &end, 10);
		if (!isdigit((unsigned char)*val) || *end) {
			r = -EINVAL;
			snprintf(err, errlen, "expected a whole number, got '%s'", val);
		} else if (errno) {
			r = -ERANGE;
		}
		v = x;
		break;
	}
	case OPT_BOOL: {
		bool b;
		r = parse_bool(val, &b);
		if (r < 0)
			snprintf(err, errlen, "expected yes or no, got '%s'", val);
		else
			*(bool *)field = b;
		return r;
	}
	case OPT_ENUM:
		for (int i = 0; o->choices[i]; i++) {
			if (strcmp(val, o->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		{
			size_t n = 0;
			int k = snprintf(err, errlen, "expected one of");
			for (int i = 0; o->choices[i] && k > 0 && (size_t)k < errlen; i++, n++)
				k += snprintf(err + k, errlen - (size_t)k, "%s%s", i ? ", " : " ", o->choices[i]);
			if (k > 0 && (size_t)k < errlen)
				snprintf(err + k, errlen - (size_t)k, "; got '%s'", val);
		}
		return -EINVAL;
	case OPT_STRING:
		free(*(char **)field);
		*(char **)field = xstrdup(val);
		return 0;
	case OPT_FRACTION: {
		double f;
		r = parse_fraction(val, &f);
		if (r < 0)
			snprintf(err, errlen, "expected a fraction from 0 to 1 such as 0.25, or a percentage such as 25%%, got '%s'", val);
		else
			*(double *)field = f;
		return r;
	}
	}
	if (r == -ERANGE) {
		snprintf(err, errlen, "'%s' is too large", val);
		return r;
	}
	if (r < 0)
		return r;
	if (v < o->min || (o->max && v > o->max)) {
		range_text(o, range, sizeof(range));
		snprintf(err, errlen, "'%s' is out of range (allowed: %s)", val, range);
		return -ERANGE;
	}
	*(uint64_t *)field = v;
	return 0;
}

int opt_defaults(const struct opt *tab, void *cfg)
{
	char err[256];
	for (const struct opt *o = tab; o->name; o++) {
		if (!o->def)
			continue;
		if (opt_set(o, cfg, o->def, 0, err, sizeof(err)) < 0)
			return -EINVAL;
	}
	return 0;
}

const struct opt *opt_find(const struct opt *tab, const char *name)
{
	for (const struct opt *o = tab; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

const char *opt_suggest(const struct opt *tab, const char *name)
{
	const char *names[128];
	size_t n = 0;
	for (const struct opt *o = tab; o->name && n < ARRAY_SIZE(names); o++)
		names[n++] = o->name;
	return nearest_name(name, names, n);
}

void opt_help(FILE *f, const struct opt *tab)
{
	for (const struct opt *o = tab; o->name; o++) {
		char arg[160];
		if (o->type == OPT_ENUM) {
			size_t k = 0;
			arg[0] = '\0';
			for (int i = 0; o->choices[i] && k < sizeof(arg); i++)
				k += (size_t)snprintf(arg + k, sizeof(arg) - k, "%s%s", i ? "|" : "", o->choices[i]);
		} else {
			snprintf(arg, sizeof(arg), "%s", opt_type_name(o->type));
		}
		fprintf(f, "  --%s=%s\n      %s", o->name, arg, o->help);
		if (o->required)
			fprintf(f, " (required)");
		else if (o->def)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
}
