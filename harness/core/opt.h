/* opt.h - options as data. One table entry per option (name, type, offset of the
 * field it fills, default, range, help); one parser fills and range-checks a config
 * struct, one printer prints help. Used for workload options (the same table drives
 * `workloads/X --opt` and `[workload N] opt = ...`) and for scenario sections. */
#ifndef MPH_OPT_H
#define MPH_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_SIZE,      /* uint64_t bytes: 64M */
	OPT_SIZE_PCT,  /* uint64_t bytes: 64M or 50% of the cgroup's memory.max */
	OPT_DURATION,  /* uint64_t milliseconds: 500ms, 10s, forever */
	OPT_UINT,      /* uint64_t */
	OPT_BOOL,      /* bool: yes/no/true/false/1/0/on/off */
	OPT_ENUM,      /* int: index into choices[] */
	OPT_STRING,    /* const char *, malloc'd */
	OPT_FRACTION,  /* double 0..1: 0.25 or 25% (min/max unused) */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;                  /* offsetof(config struct, field) */
	const char *def;             /* default as text, NULL = required (or none) */
	uint64_t min, max;           /* range for SIZE, SIZE_PCT, DURATION, UINT; max 0 = none */
	const char *const *choices;  /* OPT_ENUM: NULL-terminated */
	const char *help;
	bool required;
};

/* Set one option from text. base is what a percentage is taken of (0: none).
 * On error returns -EINVAL/-ERANGE/-EDOM and writes a message (what was expected)
 * into err. */
int opt_set(const struct opt *o, void *cfg, const char *val, uint64_t base, char *err, size_t errlen);
/* Apply every default of the table. Defaults are trusted; a bad one is a bug (-EINVAL). */
int opt_defaults(const struct opt *tab, void *cfg);
const struct opt *opt_find(const struct opt *tab, const char *name);
/* Nearest option name for a typo, or NULL. */
const char *opt_suggest(const struct opt *tab, const char *name);
void opt_help(FILE *f, const struct opt *tab);
const char *opt_type_name(enum opt_type t);

#endif
