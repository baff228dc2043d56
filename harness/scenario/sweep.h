/* sweep.h - list values in a scenario expanded into a plan of variants.
 *
 * A value in [sysctl], [cgroup], [machine] or [workload NAME] may be a list of values
 * and ranges: `vm.swappiness = 0, 10..30/10`, `memory.max = 64M..256M/64M`. Each
 * such key is an axis; the variants are all combinations of the axes (the first
 * swept key in file order varying slowest) or, with `[scenario] sweep = zip`, the
 * axes taken side by side. Which keys may be lists, and how their values are read,
 * is the caller's to say (a callback): keys whose values contain commas of their own
 * (`numa = 256M,256M`, `cmd = sh -c '...'`, `membind = 0,1`) are never split.
 *
 * A pure module: no file or machine access, never prints; errors go to a struct
 * diags at the line of the key, and functions return 0 or -errno. */
#ifndef MPH_SWEEP_H
#define MPH_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

/* What a key's value is, as far as lists go. */
enum sweep_kind {
	SWEEP_NO,       /* text that may hold commas: never a list */
	SWEEP_SIZE,     /* bytes (64M) or N%: lists; ranges of sizes in bytes only */
	SWEEP_INT,      /* signed integer (sysctls): lists and ranges */
	SWEEP_DURATION, /* 500ms, 2s, 1m: lists and ranges ("forever" only in lists) */
	SWEEP_WORD,     /* enum or bool words: lists, no ranges */
};

/* Classifies [section] key. Called only for keys of the sections that may hold lists
 * ([sysctl], [cgroup], [machine], [workload NAME]); section as in the file. */
typedef enum sweep_kind (*sweep_kind_fn)(void *ctx, const char *section, const char *key);

/* The scenario's own classification (scenario.c): from the option tables, the cgroup
 * knobs and the sysctls; ctx is the scen_text (a workload's keys depend on its type). */
enum sweep_kind scenario_key_kind(void *ctx, const char *section, const char *key);

#define SWEEP_MAX_VALUES 1000    /* values of one key */
#define SWEEP_MAX_VARIANTS 10000 /* variants of a scenario */
#define SWEEP_NAME_MAX 200       /* longer variant names end in -<hash> at this length */

/* A swept key: one list in the file. values are the list's items in order, ranges
 * written out in canonical text the scenario parser accepts (192M, 1G, 1500ms, 2s). */
struct sweep_axis {
	char *section, *key;
	char *name;               /* in variant names: swappiness, max, leaker.size, or
				   * the full sysctl.vm.swappiness when two short names clash */
	enum sweep_kind kind;
	char **values;
	size_t nvalues;
	int line;
	size_t index;             /* of the setting in the array given to sweep_expand */
};

/* One swept key's value in a variant. The strings belong to the axis (valid until
 * sweep_free). */
struct sweep_key {
	const char *section, *key, *name, *value;
	enum sweep_kind kind;
	int line;
};

struct variant {
	char *name;               /* "swappiness=10,max=64M"; "" when nothing is swept */
	struct sweep_key *keys;   /* one per axis, in file order */
	size_t nkeys;
	struct setting *set;      /* the scenario's settings, each list replaced by this
				   * variant's value; own copies, lines kept */
	size_t nset;
};

struct sweep {
	struct sweep_axis *axes;
	size_t naxes;
	struct variant *v;
	size_t nv;
	bool zip;
};

/* Expand set[0..nset) into variants: all combinations, or the lists side by side when
 * zip. kind NULL: no key is a list. A scenario without lists gives one variant named
 * "" with no keys. Returns 0, or -EINVAL with every problem in d (out untouched). */
int sweep_expand(const struct setting *set, size_t nset, bool zip, sweep_kind_fn kind, void *ctx,
		 struct sweep *out, struct diags *d);
/* Accepts NULL and a zeroed struct; leaves it zeroed. */
void sweep_free(struct sweep *s);

/* For [expect KEY=VALUE ...]: spec is the text after "expect ", KEY=VALUE pairs
 * separated by blanks. KEY is a swept key as in the file (vm.swappiness), with its
 * section (sysctl.vm.swappiness; leaker.size for a workload) or its short name
 * (swappiness). Values are compared as the key's kind reads them (64M == 65536k,
 * 2s == 2000ms, yes == on). Returns 1 when every pair holds (also for an empty spec),
 * 0 when one does not, -EINVAL when a pair is not KEY=VALUE or KEY is not one swept
 * key of the variant (unknown, or a short name two keys share). */
int sweep_match(const struct variant *v, const char *spec);

/* `mph run --set SECTION.KEY=VALUE`: SECTION is scenario, cgroup, sysctl, swap,
 * prepare, record, machine or expect, anything else a workload's name (section
 * "workload NAME"). Key and value are trimmed; the value may be a list. On success
 * *out holds malloc'd strings and line SET_CMDLINE; on -EINVAL err says what is wrong
 * and *out is untouched. */
int sweep_parse_set(const char *arg, struct setting *out, char *err, size_t errlen);
/* Each override replaces the value (and line) of every setting with its section and
 * key (compared exactly, as the scenario parser does), or is appended when the file
 * does not have the key. The array is reallocated as needed; strings are copied. */
void sweep_apply_sets(struct setting **set, size_t *n, const struct setting *over, size_t nover);
/* Frees the strings of set[0..n) and the array. */
void sweep_settings_free(struct setting *set, size_t n);

#endif
