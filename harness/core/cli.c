/* cli.c - see cli.h. */
#include "cli.h"
#include "units.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt *find(const struct cli_opt *tab, const char *name, size_t len)
{
	for (const struct cli_opt *o = tab; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static int set(const struct cli_opt *o, void *cfg, const char *val, const char *prog)
{
	char *field = (char *)cfg + o->off;
	switch (o->kind) {
	case CLI_FLAG:
		*(bool *)field = true;
		return 0;
	case CLI_STRING:
		*(const char **)field = val;
		return 0;
	case CLI_LIST: {
		size_t *n = (size_t *)((char *)cfg + o->count_off);
		if (*n >= o->max) {
			fprintf(stderr, "%s: at most %u --%s options\n", prog, o->max, o->name);
			return -EINVAL;
		}
		((const char **)field)[(*n)++] = val;
		return 0;
	}
	case CLI_UINT: {
		char *end;
		errno = 0;
		unsigned long v = strtoul(val, &end, 10);
		if (errno || *end || !isdigit((unsigned char)*val) || v < 1 || v > o->max) {
			fprintf(stderr, "%s: --%s %s: expected a whole number 1..%u\n", prog, o->name, val, o->max);
			return -EINVAL;
		}
		*(unsigned *)field = (unsigned)v;
		return 0;
	}
	case CLI_DURATION: {
		uint64_t ms;
		if (parse_duration_ms(val, &ms) < 0 || ms == DURATION_FOREVER || ms > (uint64_t)o->max * 1000) {
			fprintf(stderr, "%s: --%s %s: expected a duration such as 30s or 5m (at most %us)\n", prog, o->name, val,
				o->max);
			return -EINVAL;
		}
		*(uint64_t *)field = ms;
		return 0;
	}
	}
	return -EINVAL;
}

int cli_parse(const struct cli_opt *tab, void *cfg, int argc, char **argv, const char *prog, int *npos)
{
	int np = 0;
	bool opts = true;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (opts && strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		if (!opts || a[0] != '-' || !a[1]) {
			argv[1 + np++] = a;
			continue;
		}
		const char *name = a + (a[1] == '-' ? 2 : 1);
		if (strcmp(a, "-h") == 0)
			name = "help";
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct cli_opt *o = find(tab, name, len);
		if (!o) {
			const char *names[64];
			size_t n = 0;
			for (const struct cli_opt *t = tab; t->name && n < ARRAY_SIZE(names); t++)
				names[n++] = t->name;
			char *nm = strndup(name, len);
			const char *sug = nearest_name(nm, names, n);
			fprintf(stderr, "%s: unknown option %s%s%s%s\n", prog, a, sug ? " (did you mean --" : "", sug ? sug : "",
				sug ? "?)" : "");
			free(nm);
			return -EINVAL;
		}
		const char *val = NULL;
		if (o->kind == CLI_FLAG) {
			if (eq) {
				fprintf(stderr, "%s: --%s takes no value\n", prog, o->name);
				return -EINVAL;
			}
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "%s: --%s needs a value (%s)\n", prog, o->name, o->arg ? o->arg : "VALUE");
			return -EINVAL;
		}
		if (set(o, cfg, val, prog) < 0)
			return -EINVAL;
	}
	*npos = np;
	return 0;
}

void cli_help(FILE *f, const struct cli_opt *tab)
{
	for (const struct cli_opt *o = tab; o->name; o++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-20s %s\n", left, o->help);
	}
}
