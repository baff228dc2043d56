/* test_sweep.c - sweep_expand(), sweep_match(), sweep_parse_set() and
 * sweep_apply_sets() on settings written inline, as the scenario parser would
 * collect them (section, key, raw value, line).
 *
 * Keys are classified by a small table standing in for the scenario's option tables:
 * sysctls are integers, cgroup limits and workload sizes are sizes, [machine] numa and
 * a workload's cmd and membind hold commas of their own and are never lists.
 *
 * Errors: one table lists a single bad setting per entry with the exact diagnostic
 * (diag_format() after the file name: line, [section], key and message). Everything
 * a test makes lives in its fixture and is freed by the teardown, which cmocka runs
 * after a failed assertion too: the tests stay leak-free under ASan. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../harness/scenario/sweep.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define S(sec, k, v, l) { (char *)(sec), (char *)(k), (char *)(v), (l) }

/* ---- key kinds --------------------------------------------------------------- */

static const struct {
	const char *section, *key; /* section "workload" stands for every [workload NAME] */
	enum sweep_kind kind;
} kinds[] = {
	{ "cgroup", "memory.max", SWEEP_SIZE },
	{ "cgroup", "memory.high", SWEEP_SIZE },
	{ "cgroup", "memory.swappiness", SWEEP_INT },
	{ "machine", "memory", SWEEP_SIZE },
	{ "machine", "cpus", SWEEP_INT },
	{ "machine", "numa", SWEEP_NO },
	{ "machine", "timeout", SWEEP_DURATION },
	{ "machine", "cgroup", SWEEP_WORD },
	{ "workload", "size", SWEEP_SIZE },
	{ "workload", "rate", SWEEP_SIZE },
	{ "workload", "hold", SWEEP_DURATION },
	{ "workload", "via", SWEEP_WORD },
	{ "workload", "pss", SWEEP_WORD },
	{ "workload", "cmd", SWEEP_NO },
	{ "workload", "membind", SWEEP_NO },
};

static int kind_calls;

static enum sweep_kind kind_of(void *ctx, const char *section, const char *key)
{
	(void)ctx;
	kind_calls++;
	if (strcmp(section, "sysctl") == 0)
		return SWEEP_INT;
	for (size_t i = 0; i < N_ELEM(kinds); i++) {
		bool wl = strcmp(kinds[i].section, "workload") == 0 && strncmp(section, "workload ", 9) == 0;
		if ((wl || strcmp(kinds[i].section, section) == 0) && strcmp(kinds[i].key, key) == 0)
			return kinds[i].kind;
	}
	return SWEEP_NO;
}

/* ---- fixture ------------------------------------------------------------------ */

struct fx {
	const void *param;
	struct sweep sw;
	struct diags d;
	struct setting *set; /* for --set tests */
	size_t nset;
	struct setting over;
	char got[1024];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->param = *state;
	f->d.file = strdup("t.ini");
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	sweep_free(&f->sw);
	diags_free(&f->d);
	sweep_settings_free(f->set, f->nset);
	free(f->over.section);
	free(f->over.key);
	free(f->over.value);
	free(f);
	return 0;
}

/* diags_free() also frees the file name: put it back for the next expansion. */
static void diags_reset(struct fx *f)
{
	diags_free(&f->d);
	f->d.file = strdup("t.ini");
}

static const char *diag_text(struct fx *f, size_t i)
{
	char *s = diag_format(&f->d, i);
	snprintf(f->got, sizeof(f->got), "%s", s);
	free(s);
	return f->got;
}

static void expand_ok(struct fx *f, const struct setting *set, size_t n, bool zip)
{
	int r = sweep_expand(set, n, zip, kind_of, NULL, &f->sw, &f->d);
	for (size_t i = 0; i < f->d.n; i++)
		print_message("unexpected: %s\n", diag_text(f, i));
	assert_int_equal(r, 0);
	assert_int_equal(f->d.n, 0);
}

static void expand_fails(struct fx *f, const struct setting *set, size_t n, bool zip)
{
	assert_int_equal(sweep_expand(set, n, zip, kind_of, NULL, &f->sw, &f->d), -EINVAL);
	/* out untouched */
	assert_null(f->sw.v);
	assert_null(f->sw.axes);
}

/* The values of the only axis, joined with '|'. */
static const char *axis_values(struct fx *f, size_t a)
{
	size_t len = 0;
	f->got[0] = '\0';
	for (size_t i = 0; i < f->sw.axes[a].nvalues; i++)
		len += (size_t)snprintf(f->got + len, sizeof(f->got) - len, "%s%s", i ? "|" : "", f->sw.axes[a].values[i]);
	return f->got;
}

static const struct setting *find(const struct variant *v, const char *section, const char *key)
{
	for (size_t i = 0; i < v->nset; i++)
		if (strcmp(v->set[i].section, section) == 0 && strcmp(v->set[i].key, key) == 0)
			return &v->set[i];
	return NULL;
}

/* ---- combinations -------------------------------------------------------------- */

static const struct setting product_set[] = {
	S("scenario", "name", "tune", 2),
	S("sysctl", "vm.swappiness", "0, 60", 5),
	S("cgroup", "memory.max", "64M,128M,256M", 8),
	S("workload leaker", "type", "anonleak", 11),
	S("workload leaker", "size", "512M", 12),
};

static void test_product(void **state)
{
	struct fx *f = *state;
	expand_ok(f, product_set, N_ELEM(product_set), false);
	assert_int_equal(f->sw.naxes, 2);
	assert_int_equal(f->sw.nv, 6);
	static const char *const names[] = {
		"swappiness=0,max=64M",	 "swappiness=0,max=128M",  "swappiness=0,max=256M",
		"swappiness=60,max=64M", "swappiness=60,max=128M", "swappiness=60,max=256M",
	};
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(f->sw.v[i].name, names[i]);

	/* the variant's keys and its own copy of every setting, lines kept */
	const struct variant *v = &f->sw.v[4];
	assert_int_equal(v->nkeys, 2);
	assert_string_equal(v->keys[0].section, "sysctl");
	assert_string_equal(v->keys[0].key, "vm.swappiness");
	assert_string_equal(v->keys[0].value, "60");
	assert_int_equal(v->keys[0].line, 5);
	assert_string_equal(v->keys[1].value, "128M");
	assert_int_equal(v->nset, N_ELEM(product_set));
	for (size_t i = 0; i < v->nset; i++) {
		assert_string_equal(v->set[i].section, product_set[i].section);
		assert_string_equal(v->set[i].key, product_set[i].key);
		assert_int_equal(v->set[i].line, product_set[i].line);
		assert_ptr_not_equal(v->set[i].value, product_set[i].value);
	}
	assert_string_equal(find(v, "sysctl", "vm.swappiness")->value, "60");
	assert_string_equal(find(v, "cgroup", "memory.max")->value, "128M");
	assert_string_equal(find(v, "workload leaker", "size")->value, "512M");
	assert_string_equal(find(v, "scenario", "name")->value, "tune");
}

static void test_zip(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "0,60,100", 3),
		S("cgroup", "memory.max", "64M..192M/64M", 6),
	};
	expand_ok(f, set, N_ELEM(set), true);
	assert_true(f->sw.zip);
	assert_int_equal(f->sw.nv, 3);
	assert_string_equal(f->sw.v[0].name, "swappiness=0,max=64M");
	assert_string_equal(f->sw.v[1].name, "swappiness=60,max=128M");
	assert_string_equal(f->sw.v[2].name, "swappiness=100,max=192M");
	assert_string_equal(find(&f->sw.v[2], "cgroup", "memory.max")->value, "192M");
}

static void test_zip_lengths(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "0,60,100", 3),
		S("cgroup", "memory.max", "64M,128M", 6),
		S("workload leaker", "size", "1G,2G,3G", 9),
	};
	expand_fails(f, set, N_ELEM(set), true);
	assert_int_equal(f->d.n, 1);
	assert_string_equal(diag_text(f, 0), "t.ini:6: [cgroup] memory.max: sweep = zip needs lists of equal length: "
					     "this one has 2 values, sysctl.vm.swappiness (line 3) has 3");
	/* the same lists as a product: 18 variants */
	diags_reset(f);
	expand_ok(f, set, N_ELEM(set), false);
	assert_int_equal(f->sw.nv, 18);
	assert_string_equal(f->sw.v[17].name, "swappiness=100,max=128M,leaker.size=3G");
}

static void test_no_list(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "10", 3),
		S("cgroup", "memory.max", "64M", 4),
	};
	expand_ok(f, set, N_ELEM(set), false);
	assert_int_equal(f->sw.naxes, 0);
	assert_int_equal(f->sw.nv, 1);
	assert_string_equal(f->sw.v[0].name, "");
	assert_int_equal(f->sw.v[0].nkeys, 0);
	assert_int_equal(f->sw.v[0].nset, 2);
	assert_string_equal(f->sw.v[0].set[1].value, "64M");
	assert_int_equal(sweep_match(&f->sw.v[0], ""), 1);
	assert_int_equal(sweep_match(&f->sw.v[0], "swappiness=10"), -EINVAL);
	/* and with nothing at all */
	sweep_free(&f->sw);
	expand_ok(f, NULL, 0, true);
	assert_int_equal(f->sw.nv, 1);
	assert_int_equal(f->sw.v[0].nset, 0);
}

/* Values with commas of their own, and sections that never hold lists. */
static void test_commas_not_split(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("scenario", "description", "0, 10, 60: three swappiness values", 2),
		S("machine", "numa", "256M,256M", 5),
		S("workload sh", "type", "exec", 8),
		S("workload sh", "cmd", "sh -c 'echo a, b; seq 1..3'", 9),
		S("workload sh", "membind", "0,1", 10),
		S("swap", "size", "0,64M", 12),
		S("expect swappiness=0", "oom_kills", "1,2", 14),
	};
	kind_calls = 0;
	expand_ok(f, set, N_ELEM(set), false);
	assert_int_equal(f->sw.naxes, 0);
	assert_int_equal(f->sw.nv, 1);
	assert_string_equal(f->sw.v[0].set[3].value, "sh -c 'echo a, b; seq 1..3'");
	assert_string_equal(f->sw.v[0].set[4].value, "0,1");
	/* asked only about the sections that may hold lists */
	assert_int_equal(kind_calls, 4);
	/* without a classifier nothing is a list */
	sweep_free(&f->sw);
	static const struct setting lists[] = { S("sysctl", "vm.swappiness", "0,60", 3) };
	assert_int_equal(sweep_expand(lists, 1, false, NULL, NULL, &f->sw, &f->d), 0);
	assert_int_equal(f->sw.nv, 1);
	assert_string_equal(f->sw.v[0].set[0].value, "0,60");
}

/* ---- ranges ---------------------------------------------------------------------- */

struct range_case {
	const char *section, *key, *value;
	const char *want; /* the values, '|'-separated */
};

static struct range_case range_cases[] = {
	{ "cgroup", "memory.max", "64M..256M/64M", "64M|128M|192M|256M" },
	/* HI is not reached by a step: the last value is below it */
	{ "cgroup", "memory.max", "64M..250M/64M", "64M|128M|192M" },
	{ "cgroup", "memory.max", "512M..2G/512M", "512M|1G|1536M|2G" },
	{ "cgroup", "memory.max", "4k..10k/3k", "4k|7k|10k" },
	{ "cgroup", "memory.max", "1000..3000/1000", "1000|2000|3000" },
	{ "cgroup", "memory.max", "0..2T/1T", "0|1T|2T" },
	{ "cgroup", "memory.max", "64MiB..128MB/32m", "64M|96M|128M" },
	{ "cgroup", "memory.max", "64M..64M/1M", "64M" },
	{ "sysctl", "vm.swappiness", "0..100/25", "0|25|50|75|100" },
	{ "sysctl", "vm.swappiness", "-10..10/10", "-10|0|10" },
	{ "machine", "timeout", "1s..3s/1s", "1s|2s|3s" },
	{ "machine", "timeout", "500ms..2s/500ms", "500ms|1s|1500ms|2s" },
	{ "machine", "timeout", "1m..2m/30s", "60s|90s|120s" },
	/* lists mix values and ranges; blanks around items and bounds are trimmed */
	{ "sysctl", "vm.swappiness", "0, 10..30/10", "0|10|20|30" },
	{ "sysctl", "vm.swappiness", "  5 ,10 .. 20 / 5, 100 ", "5|10|15|20|100" },
	/* values outside ranges are kept as written: the scenario parser reads them */
	{ "cgroup", "memory.max", "max, 64M", "max|64M" },
	{ "workload leaker", "size", "25%, 12.5%, 64M", "25%|12.5%|64M" },
	{ "workload leaker", "hold", "forever, 1s", "forever|1s" },
	{ "machine", "cgroup", "v1, v2", "v1|v2" },
};

static void test_range(void **state)
{
	struct fx *f = *state;
	const struct range_case *c = f->param;
	const struct setting set[] = { S(c->section, c->key, c->value, 4) };
	expand_ok(f, set, 1, false);
	assert_int_equal(f->sw.naxes, 1);
	assert_string_equal(axis_values(f, 0), c->want);
	assert_int_equal(f->sw.nv, f->sw.axes[0].nvalues);
}

/* ---- names ---------------------------------------------------------------------- */

static void test_names(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "10,60", 3),
		S("cgroup", "memory.swappiness", "0", 6), /* not a list */
		S("workload leaker", "size", "50%,25%", 9),
	};
	expand_ok(f, set, N_ELEM(set), false);
	assert_string_equal(f->sw.v[0].name, "swappiness=10,leaker.size=50_");
	assert_string_equal(f->sw.axes[1].name, "leaker.size");
	/* the value itself is kept */
	assert_string_equal(f->sw.v[0].keys[1].value, "50%");
}

static void test_short_name_clash(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "10,60", 3),
		S("cgroup", "memory.swappiness", "0,100", 6),
		S("cgroup", "memory.max", "64M,128M", 7),
	};
	expand_ok(f, set, N_ELEM(set), true);
	assert_string_equal(f->sw.v[1].name, "sysctl.vm.swappiness=60,cgroup.memory.swappiness=100,max=128M");
}

static void test_long_name(void **state)
{
	struct fx *f = *state;
	char a[200], b[200];
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	a[0] = 'x'; /* the two differ in the part that survives... */
	char list1[512];
	snprintf(list1, sizeof(list1), "%s,%s", a, b);
	const struct setting set[] = {
		S("workload leaker", "via", list1, 3),
		S("workload leaker", "pss", "yes,no", 4),
	};
	expand_ok(f, set, N_ELEM(set), false);
	assert_int_equal(f->sw.nv, 4);
	for (size_t i = 0; i < f->sw.nv; i++) {
		const char *n = f->sw.v[i].name;
		assert_int_equal(strlen(n), SWEEP_NAME_MAX);
		assert_int_equal(n[SWEEP_NAME_MAX - 17], '-');
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(n, f->sw.v[j].name);
	}
	/* ...and in the part cut off (the pss value): still unique */
	assert_memory_equal(f->sw.v[0].name, f->sw.v[1].name, SWEEP_NAME_MAX - 17);
}

/* ---- errors ---------------------------------------------------------------------- */

struct err_case {
	const char *section, *key, *value;
	const char *want;
};

#define BIG "0..2000/1"

static struct err_case err_cases[] = {
	{ "sysctl", "vm.swappiness", "0,,60", "t.ini:7: [sysctl] vm.swappiness: '0,,60': item 2 of the list is empty" },
	{ "sysctl", "vm.swappiness", "0,60,", "t.ini:7: [sysctl] vm.swappiness: '0,60,': item 3 of the list is empty" },
	{ "sysctl", "vm.swappiness", "0..100/0", "t.ini:7: [sysctl] vm.swappiness: '0..100/0': the step must be greater than 0" },
	{ "sysctl", "vm.swappiness", "0..100/-5", "t.ini:7: [sysctl] vm.swappiness: '0..100/-5': the step must be greater than 0" },
	{ "cgroup", "memory.max", "64M..256M/-64M", "t.ini:7: [cgroup] memory.max: '64M..256M/-64M': the step must be greater than 0" },
	{ "machine", "timeout", "1s..3s/0ms", "t.ini:7: [machine] timeout: '1s..3s/0ms': the step must be greater than 0" },
	{ "cgroup", "memory.max", "256M..64M/64M", "t.ini:7: [cgroup] memory.max: '256M..64M/64M': LO 256M is above HI 64M" },
	{ "sysctl", "vm.swappiness", "10..-10/5", "t.ini:7: [sysctl] vm.swappiness: '10..-10/5': LO 10 is above HI -10" },
	{ "machine", "cgroup", "v1..v2/1", "t.ini:7: [machine] cgroup: 'v1..v2/1': a range needs a numeric key; list the values instead" },
	{ "sysctl", "vm.swappiness", "0..100", "t.ini:7: [sysctl] vm.swappiness: '0..100': a range needs a step: LO..HI/STEP, such as 0..100/25" },
	{ "cgroup", "memory.max", "64M..", "t.ini:7: [cgroup] memory.max: '64M..': a range needs a step: LO..HI/STEP, such as 64M..256M/64M" },
	{ "cgroup", "memory.max", "..256M/64M", "t.ini:7: [cgroup] memory.max: '..256M/64M': expected LO..HI/STEP, such as 64M..256M/64M" },
	{ "workload leaker", "size", "10%..50%/10%",
	  "t.ini:7: [workload leaker] size: '10%..50%/10%': percentages cannot form a range; list them instead (25%, 50%)" },
	{ "workload leaker", "size", "64M..50%/1M",
	  "t.ini:7: [workload leaker] size: '64M..50%/1M': mixed units cannot be compared: a percentage and a size in bytes" },
	{ "workload leaker", "hold", "1s..forever/1s",
	  "t.ini:7: [workload leaker] hold: '1s..forever/1s': forever cannot be compared with a duration in a range" },
	{ "cgroup", "memory.max", "64Q..128M/64M", "t.ini:7: [cgroup] memory.max: '64Q..128M/64M': LO '64Q' is not a size such as 64M" },
	{ "sysctl", "vm.swappiness", "0..1e3/10", "t.ini:7: [sysctl] vm.swappiness: '0..1e3/10': HI '1e3' is not an integer" },
	{ "machine", "timeout", "1s..3s/x", "t.ini:7: [machine] timeout: '1s..3s/x': STEP 'x' is not a duration such as 500ms or 2s" },
	{ "sysctl", "vm.swappiness", BIG, "t.ini:7: [sysctl] vm.swappiness: more than 1000 values in one key" },
	{ "sysctl", "vm.swappiness", "1, 0..999/1", "t.ini:7: [sysctl] vm.swappiness: more than 1000 values in one key" },
	/* the same value twice would make two variants with the same settings */
	{ "cgroup", "memory.max", "64M, 128M, 65536k",
	  "t.ini:7: [cgroup] memory.max: '65536k' is in the list twice (values 1 and 3)" },
	{ "sysctl", "vm.swappiness", "0, 0..20/10", "t.ini:7: [sysctl] vm.swappiness: '0' is in the list twice (values 1 and 2)" },
};

static void test_error(void **state)
{
	struct fx *f = *state;
	const struct err_case *c = f->param;
	const struct setting set[] = {
		S("scenario", "name", "x", 2),
		S(c->section, c->key, c->value, 7),
	};
	expand_fails(f, set, N_ELEM(set), false);
	assert_int_equal(f->d.n, 1);
	assert_string_equal(diag_text(f, 0), c->want);
}

/* Exactly at the limits is fine. */
static void test_limits(void **state)
{
	struct fx *f = *state;
	static const struct setting thousand[] = { S("sysctl", "vm.swappiness", "1..1000/1", 3) };
	expand_ok(f, thousand, 1, false);
	assert_int_equal(f->sw.nv, 1000);
	assert_string_equal(f->sw.v[999].name, "swappiness=1000");
	sweep_free(&f->sw);

	static const struct setting ten_thousand[] = {
		S("sysctl", "vm.swappiness", "1..100/1", 3),
		S("cgroup", "memory.max", "1M..100M/1M", 4),
	};
	expand_ok(f, ten_thousand, 2, false);
	assert_int_equal(f->sw.nv, SWEEP_MAX_VARIANTS);
	assert_string_equal(f->sw.v[SWEEP_MAX_VARIANTS - 1].name, "swappiness=100,max=100M");
	sweep_free(&f->sw);

	static const struct setting too_many[] = {
		S("sysctl", "vm.swappiness", "1..100/1", 3),
		S("cgroup", "memory.max", "1M..100M/1M", 4),
		S("machine", "cpus", "1,2", 5),
	};
	expand_fails(f, too_many, N_ELEM(too_many), false);
	assert_int_equal(f->d.n, 1);
	assert_string_equal(diag_text(f, 0), "t.ini:5: [machine] cpus: the lists make more than 10000 variants "
					     "(100 x 100 x 2); sweep fewer values or use sweep = zip");
	/* side by side they are not too many, but of different lengths */
	diags_reset(f);
	expand_fails(f, too_many, N_ELEM(too_many), true);
	assert_int_equal(f->d.n, 1);
	assert_string_equal(diag_text(f, 0), "t.ini:5: [machine] cpus: sweep = zip needs lists of equal length: "
					     "this one has 2 values, sysctl.vm.swappiness (line 3) has 100");
}

/* Every problem is reported, not just the first. */
static void test_every_error(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "0,,60", 3),
		S("cgroup", "memory.max", "256M..64M/64M, 1M..2M/0", 5),
		S("workload a", "size", "64M,128M", 8), /* fine */
	};
	expand_fails(f, set, N_ELEM(set), false);
	assert_int_equal(f->d.n, 3);
	assert_string_equal(diag_text(f, 0), "t.ini:3: [sysctl] vm.swappiness: '0,,60': item 2 of the list is empty");
	assert_string_equal(diag_text(f, 1), "t.ini:5: [cgroup] memory.max: '256M..64M/64M': LO 256M is above HI 64M");
	assert_string_equal(diag_text(f, 2), "t.ini:5: [cgroup] memory.max: '1M..2M/0': the step must be greater than 0");
}

/* zip: a list may repeat a value when the pairs differ, not when a pair repeats. */
static void test_zip_repeats(void **state)
{
	struct fx *f = *state;
	static const struct setting ok[] = {
		S("sysctl", "vm.swappiness", "60,60", 3),
		S("cgroup", "memory.max", "64M,128M", 4),
	};
	expand_ok(f, ok, 2, true);
	assert_int_equal(f->sw.nv, 2);
	sweep_free(&f->sw);
	static const struct setting bad[] = {
		S("sysctl", "vm.swappiness", "60,10,60", 3),
		S("cgroup", "memory.max", "64M,64M,65536k", 4),
	};
	expand_fails(f, bad, 2, true);
	assert_int_equal(f->d.n, 1);
	assert_string_equal(diag_text(f, 0),
			    "t.ini:3: [sysctl] vm.swappiness: variants 1 and 3 set the same values (swappiness=60,max=65536k)");
}

/* ---- sweep_match ------------------------------------------------------------------ */

static void test_match(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("sysctl", "vm.swappiness", "10,60", 3),
		S("cgroup", "memory.max", "64M,128M", 4),
		S("workload leaker", "hold", "2s", 8),
		S("workload leaker", "size", "32M", 9),
		S("workload other", "pss", "yes,no", 12),
	};
	expand_ok(f, set, N_ELEM(set), true);
	const struct variant *v = &f->sw.v[0]; /* swappiness=10,max=64M,other.pss=yes */
	assert_int_equal(sweep_match(v, "vm.swappiness=10 memory.max=64M"), 1);
	assert_int_equal(sweep_match(v, "swappiness=10 max=64M"), 1);
	assert_int_equal(sweep_match(v, "sysctl.vm.swappiness=10\tcgroup.memory.max=65536k"), 1);
	assert_int_equal(sweep_match(v, "max=0.0625G"), 0); /* no fractions in sizes: compared as text */
	assert_int_equal(sweep_match(v, "max=64MiB other.pss=on"), 1);
	assert_int_equal(sweep_match(v, "pss=yes"), 1);
	assert_int_equal(sweep_match(v, "swappiness=60"), 0);
	assert_int_equal(sweep_match(&f->sw.v[1], "swappiness=60 max=128M pss=no"), 1);
	assert_int_equal(sweep_match(&f->sw.v[1], "swappiness=60 max=64M"), 0);
	assert_int_equal(sweep_match(v, ""), 1);
	/* not swept, or not KEY=VALUE: the caller reports it at the line */
	assert_int_equal(sweep_match(v, "leaker.size=32M"), -EINVAL);
	assert_int_equal(sweep_match(v, "swappiness=60 nosuch=1"), -EINVAL);
	assert_int_equal(sweep_match(v, "swappiness"), -EINVAL);
	assert_int_equal(sweep_match(v, "=10"), -EINVAL);
}

static void test_match_kinds(void **state)
{
	struct fx *f = *state;
	static const struct setting set[] = {
		S("machine", "timeout", "2s,3s", 3),
		S("sysctl", "vm.swappiness", "-1,1", 4),
		S("workload a", "size", "50%,25%", 6),
		S("workload b", "size", "1G,2G", 9),
	};
	expand_ok(f, set, N_ELEM(set), true);
	const struct variant *v = &f->sw.v[0];
	assert_int_equal(sweep_match(v, "timeout=2000ms swappiness=-1 a.size=50.0% b.size=1024M"), 1);
	assert_int_equal(sweep_match(v, "machine.timeout=2"), 1); /* a bare number is seconds */
	/* "size" names two keys: ambiguous, so not one swept key */
	assert_int_equal(sweep_match(v, "size=1G"), -EINVAL);
}

/* ---- --set ------------------------------------------------------------------------- */

struct set_case {
	const char *arg;
	const char *section, *key, *value; /* section NULL: an error, value holds its text */
};

static struct set_case set_cases[] = {
	{ "sysctl.vm.swappiness=0,60", "sysctl", "vm.swappiness", "0,60" },
	{ "cgroup.memory.max=64M", "cgroup", "memory.max", "64M" },
	{ "leaker.size=32M", "workload leaker", "size", "32M" },
	{ "machine.memory=2G", "machine", "memory", "2G" },
	{ "scenario.sweep=zip", "scenario", "sweep", "zip" },
	{ "action.drop.at=1s,3s", "action drop", "at", "1s,3s" },
	{ "action.v1.2.after=2s", "action v1.2", "after", "2s" }, /* action names may hold dots */
	{ "sh.cmd=sh -c 'a=1, b'", "workload sh", "cmd", "sh -c 'a=1, b'" },
	{ " sysctl . vm.swappiness = 10 ", "sysctl", "vm.swappiness", "10" },
	{ "sysctl", NULL, NULL, "'sysctl': expected SECTION.KEY=VALUE, such as sysctl.vm.swappiness=10" },
	{ "swappiness=10", NULL, NULL,
	  "'swappiness=10': no section: expected SECTION.KEY=VALUE, such as cgroup.memory.max=64M or, for a "
	  "workload, leaker.size=32M" },
	{ ".size=1", NULL, NULL, "'.size=1': the section before the first '.' is empty" },
	{ "sysctl.=1", NULL, NULL, "'sysctl.=1': the key between 'sysctl.' and '=' is empty" },
	{ "sysctl.vm.swappiness=", NULL, NULL, "'sysctl.vm.swappiness=': the value after '=' is empty" },
};

static void test_parse_set(void **state)
{
	struct fx *f = *state;
	const struct set_case *c = f->param;
	char err[256] = "";
	int r = sweep_parse_set(c->arg, &f->over, err, sizeof(err));
	if (!c->section) {
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err, c->value);
		assert_null(f->over.section);
		return;
	}
	assert_int_equal(r, 0);
	assert_string_equal(f->over.section, c->section);
	assert_string_equal(f->over.key, c->key);
	assert_string_equal(f->over.value, c->value);
	assert_int_equal(f->over.line, SET_CMDLINE);
}

static void push(struct fx *f, const char *section, const char *key, const char *value, int line)
{
	f->set = realloc(f->set, (f->nset + 1) * sizeof(*f->set));
	assert_non_null(f->set);
	f->set[f->nset++] = (struct setting){ strdup(section), strdup(key), strdup(value), line };
}

static void test_apply_sets(void **state)
{
	struct fx *f = *state;
	push(f, "sysctl", "vm.swappiness", "10", 3);
	push(f, "cgroup", "memory.max", "64M", 4);
	push(f, "workload leaker", "size", "256M", 7);
	char err[128];
	struct setting over[3] = { 0 };
	assert_int_equal(sweep_parse_set("sysctl.vm.swappiness=0,60", &over[0], err, sizeof(err)), 0);
	assert_int_equal(sweep_parse_set("leaker.hold=1s", &over[1], err, sizeof(err)), 0);
	assert_int_equal(sweep_parse_set("cgroup.memory.MAX=1G", &over[2], err, sizeof(err)), 0);
	sweep_apply_sets(&f->set, &f->nset, over, 3);
	for (size_t i = 0; i < 3; i++) {
		free(over[i].section);
		free(over[i].key);
		free(over[i].value);
	}
	assert_int_equal(f->nset, 5);
	/* replaced in place, the line now the command line's */
	assert_string_equal(f->set[0].value, "0,60");
	assert_int_equal(f->set[0].line, SET_CMDLINE);
	assert_string_equal(f->set[1].value, "64M");
	assert_int_equal(f->set[1].line, 4);
	/* appended: keys are compared exactly, as the parser does (MAX is another key) */
	assert_string_equal(f->set[3].section, "workload leaker");
	assert_string_equal(f->set[3].key, "hold");
	assert_string_equal(f->set[3].value, "1s");
	assert_string_equal(f->set[4].key, "memory.MAX");

	/* an override's list is then swept like the file's */
	expand_ok(f, f->set, f->nset, false);
	assert_int_equal(f->sw.nv, 2);
	assert_string_equal(f->sw.v[1].name, "swappiness=60");
	assert_int_equal(f->sw.v[1].keys[0].line, SET_CMDLINE);
}

static void test_free_zeroed(void **state)
{
	(void)state;
	struct sweep s = { 0 };
	sweep_free(&s);
	sweep_free(NULL);
	sweep_free(&s);
	assert_null(s.v);
	sweep_settings_free(NULL, 0);
}

int main(void)
{
	struct CMUnitTest ranges[N_ELEM(range_cases)], errs[N_ELEM(err_cases)], sets[N_ELEM(set_cases)];
	for (size_t i = 0; i < N_ELEM(range_cases); i++)
		ranges[i] = (struct CMUnitTest){ range_cases[i].value, test_range, fx_setup, fx_teardown, &range_cases[i] };
	for (size_t i = 0; i < N_ELEM(err_cases); i++)
		errs[i] = (struct CMUnitTest){ err_cases[i].value, test_error, fx_setup, fx_teardown, &err_cases[i] };
	for (size_t i = 0; i < N_ELEM(set_cases); i++)
		sets[i] = (struct CMUnitTest){ set_cases[i].arg, test_parse_set, fx_setup, fx_teardown, &set_cases[i] };

	const struct CMUnitTest plan[] = {
		cmocka_unit_test_setup_teardown(test_product, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zip_lengths, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_zip_repeats, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_list, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commas_not_split, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_names, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_short_name_clash, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_long_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_limits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_every_error, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_match, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_match_kinds, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_apply_sets, fx_setup, fx_teardown),
		cmocka_unit_test(test_free_zeroed),
	};

	int failed = cmocka_run_group_tests_name("sweep plans", plan, NULL, NULL);
	failed += _cmocka_run_group_tests("ranges", ranges, N_ELEM(ranges), NULL, NULL);
	failed += _cmocka_run_group_tests("errors", errs, N_ELEM(errs), NULL, NULL);
	failed += _cmocka_run_group_tests("--set", sets, N_ELEM(sets), NULL, NULL);
	return failed ? 1 : 0;
}
