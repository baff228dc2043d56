/* test_scenario.c - scenario_load() on the fixtures in $MPH_TEST_DATA/scenarios/.
 *
 * bad/: each file is a small realistic scenario with one mistake (a few have more, on
 * purpose). One table lists, per file, the target it is loaded for and EVERY
 * diagnostic expected, as the exact text diag_format() gives after the file's path
 * (so line, [section], key and message are all compared). One test function runs
 * each entry; the entry reaches it as the test's initial state.
 *
 * good/: valid scenarios, checked for the values mph will write: option fields,
 * cgroup files per hierarchy, sysctls, workload argv with percentages resolved.
 *
 * Everything a test loads lives in its fixture and is freed by the teardown, which
 * cmocka runs after a failed assertion too: the tests stay leak-free under ASan. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../harness/scenario/scenario.h"
#include "../../harness/scenario/sweep.h"
#include "../../harness/core/util.h"
#include "../../workloads/workload.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MiB(n) ((unsigned long long)(n) << 20)
#define NAME_RULE "(1 to 40 letters, digits, '.', '_' and '-', not starting with '.')"

static const struct scen_target V1 = { CG_V1, true, 0, false };
static const struct scen_target V1_NO_MEMSW = { CG_V1, false, 0, false };
static const struct scen_target V2 = { CG_V2, false, 0, false };
/* a two-node guest */
static const struct scen_target GUEST2 = { CG_V2, false, 2, true };

/* ---- fixture -------------------------------------------------------------- */

struct fx {
	const void *param; /* the table entry, if any */
	struct scenario sc;
	struct diags d;
	char path[1024];
	char dir[64];      /* a temporary directory (hostile-file tests) */
	char got[2048], want[2048];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->param = *state;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	scenario_free(&f->sc);
	diags_free(&f->d);
	free(f);
	return 0;
}

/* Load $MPH_TEST_DATA/scenarios/<kind>/<name>.ini into the fixture. */
static int load(struct fx *f, const char *kind, const char *name, const struct scen_target *t)
{
	const char *data = getenv("MPH_TEST_DATA");
	snprintf(f->path, sizeof(f->path), "%s/scenarios/%s/%s.ini", data && *data ? data : "tests", kind, name);
	return scenario_load(f->path, t, &f->sc, &f->d);
}

/* Diagnostic i as text, in the fixture (nothing to free, even if an assert fails). */
static const char *diag_text(struct fx *f, size_t i)
{
	char *s = diag_format(&f->d, i);
	snprintf(f->got, sizeof(f->got), "%s", s);
	free(s);
	return f->got;
}

static void load_ok(struct fx *f, const char *name, const struct scen_target *t)
{
	int r = load(f, "good", name, t);
	for (size_t i = 0; i < f->d.n; i++)
		print_message("unexpected: %s\n", diag_text(f, i));
	assert_int_equal(r, 0);
	assert_int_equal(f->d.n, 0);
}

/* ---- invalid scenarios -------------------------------------------------------- */

struct bad_case {
	const char *file;           /* bad/<file>.ini */
	const struct scen_target *target;
	const char *const *expect;  /* every diagnostic, minus the leading path; NULL-terminated */
};

/* A NULL-terminated list of strings, inline. */
#define STRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Not const: a table entry becomes a test's initial state, a plain void *. */
static struct bad_case bad_cases[] = {
	{ "unknown-section", &V1, STRS(":6: [cgroupp]: unknown section (did you mean [cgroup]?)") },
	{ "cgroup-unknown-key", &V1, STRS(":6: [cgroup] memory.mx: unknown key (did you mean memory.max?)") },
	{ "size-suffix", &V1,
	  STRS(":6: [cgroup] memory.max: expected a size such as 64M or 1G, or max; got '64Q'") },
	{ "sysctl-typo", &V1,
	  STRS(":9: [sysctl] vm.swapiness: not a sysctl mph may set (did you mean vm.swappiness?)") },
	{ "sysctl-range", &V1,
	  STRS(":6: [sysctl] vm.swappiness: vm.swappiness = 300 is out of range (allowed 0..200)") },
	{ "sysctl-not-number", &V1,
	  STRS(":6: [sysctl] vm.overcommit_memory: expected a whole number for vm.overcommit_memory, got 'never'") },
	{ "sysctl-not-allowed", &V1,
	  STRS(":7: [sysctl] vm.drop_caches: an action, not a setting: use [prepare] drop_caches = yes") },
	{ "v1-memory-high", &V1,
	  STRS(":7: [cgroup] memory.high: not available on cgroup v1 here: "
		 "cgroup v1 has no memory.high (no throttling threshold below the limit)") },
	{ "v1-oom-group", &V1,
	  STRS(":7: [cgroup] memory.oom.group: not available on cgroup v1 here: "
		 "cgroup v1 has no memory.oom.group (the OOM killer always picks single processes)") },
	{ "v2-swappiness", &V2,
	  STRS(":7: [cgroup] memory.swappiness: not available on cgroup v2 here: cgroup v2 has no per-cgroup "
		 "swappiness (the global vm.swappiness applies; set it in [sysctl])") },
	{ "v2-oom-group-value", &V2, STRS(":7: [cgroup] memory.oom.group: expected 0 or 1 (yes/no), got '2'") },
	{ "v1-swap-without-max", &V1,
	  STRS(":6: [cgroup] memory.swap.max: on cgroup v1 memory.swap.max needs memory.max "
		 "(v1 limits memory+swap together)") },
	{ "v1-swap-no-accounting", &V1_NO_MEMSW,
	  STRS(":7: [cgroup] memory.swap.max: not available here: the kernel has no swap accounting "
		 "(memory.memsw.* missing; boot with swapaccount=1)") },
	{ "workload-no-type", &V1,
	  STRS(":8: [workload leaker] type: missing: every workload needs type = <workload>") },
	{ "workload-type-typo", &V1,
	  STRS(":9: [workload leaker] type: no workload called 'anonlek' (did you mean anonleak?)") },
	{ "workload-option-typo", &V1,
	  STRS(":11: [workload leaker] sise: unknown option of workload anonleak (did you mean size?)") },
	{ "workload-pct-no-max", &V1,
	  STRS(":10: [workload leaker] size: '50%' is a percentage of the cgroup's memory.max, and none is set") },
	{ "workload-missing-size", &V1, STRS(":8: [workload leaker] size: missing: workload anonleak requires it") },
	{ "workload-bad-enum", &V1, STRS(":11: [workload leaker] via: expected one of malloc, mmap; got 'brk'") },
	{ "not-utf8", &V1, STRS(":2: not valid UTF-8 text") },
	{ "scenario-bad-name", &V1,
	  STRS(":3: [scenario] name: '../../etc' names a results directory: has a character other than letters, digits, '.', '_' and '-' " NAME_RULE) },
	/* regression (fixed): workload names went into file names, samples.csv's header
	 * and reports.jsonl unchecked: a path outside the run directory (created as
	 * root, following symlinks), a quote breaking the JSON, a comma an extra column */
	{ "workload-name-path", &V1,
	  STRS(":5: [workload ../../../escape/pwned]: the name is part of file names (../../../escape/pwned.stdout) and "
	       "of samples.csv's columns: has a character other than letters, digits, '.', '_' and '-' " NAME_RULE) },
	{ "workload-name-quote", &V1,
	  STRS(":5: [workload a\"b\\x5cc]: the name is part of file names (a\"b\\x5cc.stdout) and "
	       "of samples.csv's columns: has a character other than letters, digits, '.', '_' and '-' " NAME_RULE) },
	{ "workload-name-comma", &V1,
	  STRS(":5: [workload a,b]: the name is part of file names (a,b.stdout) and "
	       "of samples.csv's columns: has a character other than letters, digits, '.', '_' and '-' " NAME_RULE) },
	/* regression (fixed): [workload w] and [workload  w] were two workloads writing one w.stdout */
	{ "workload-name-twice", &V1,
	  STRS(":9: [workload w]: a second workload of this name (first at line 5): names must be unique",
	       ":10: [workload w] type: set twice (first at line 6)", ":11: [workload w] size: set twice (first at line 7)") },
	/* regression (fixed): inih cut the section name at 50 bytes, so the keys went to
	 * another section and the workload was reported as having no type */
	{ "workload-name-long", &V1,
	  STRS(":5: [workload aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]: the name is part of file names "
	       "(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.stdout) and of samples.csv's columns: longer than 40 characters " NAME_RULE) },
	/* regression (fixed): the parser dropped or smuggled content */
	{ "header-with-key", &V1,
	  STRS(":5: syntax error: text after the section header's ']' (put each key = value on a line of its own)") },
	{ "comment-nul", &V1, STRS(":5: a NUL byte: a scenario file is text") },
	{ "value-nul", &V1, STRS(":3: a NUL byte: a scenario file is text") },
	{ "cr-only", &V1,
	  STRS(": no [workload NAME] section: a scenario needs at least one workload",
	       ":1: a carriage return inside the line: lines end in LF or CRLF (is the file saved with CR-only line ends?)") },
	{ "cr-inside", &V1,
	  STRS(":5: [workload leaker] type: missing: every workload needs type = <workload>",
	       ":6: a carriage return inside the line: lines end in LF or CRLF (is the file saved with CR-only line ends?)") },
	/* regression (fixed): any number of workloads, each validated against every setting */
	{ "too-many-workloads", &V1, STRS(":261: [workload w64]: more than 64 workloads: a scenario may have at most 64") },
	/* common workload options: report-fd is mph's, node lists are checked here */
	{ "workload-report-fd", &V1, STRS(":11: [workload leaker] report-fd: set by mph (the report goes to mph on descriptor 3)") },
	{ "workload-no-such-node", &V1,
	  STRS(":11: [workload leaker] membind: --membind=63: not a list of this machine's nodes (0-0), such as 0, 0-1 or 0,2") },
	{ "duplicate-key", &V1, STRS(":8: [cgroup] memory.max: set twice (first at line 6)") },
	/* no section, so no "[section] key" either: the key itself is not named */
	{ "key-outside-section", &V1, STRS(":2: timeout: key outside any section (start with [scenario])") },
	{ "syntax-no-equals", &V1,
	  STRS(":6: syntax error: expected [section], key = value, or a comment (; or #)") },
	{ "bad-duration", &V1,
	  STRS(":3: [scenario] duration: expected a duration such as 500ms, 10s, 2m, 1h or forever, got '5x'") },
	{ "timeout-not-longer", &V1,
	  STRS(":4: [scenario] timeout: must be longer than duration (the timeout is the hard limit after it)") },
	{ "repeat-zero", &V1, STRS(":4: [scenario] repeat: '0' is out of range (allowed: 1..1000)") },
	{ "record-slow-unknown", &V1,
	  STRS(":7: [record] slow: 'cgroup' is not a source that can be slow (vmstat, meminfo, psi.memory, psi.io, node, cg.stat, or none)") },
	{ "prepare-bool", &V1, STRS(":6: [prepare] drop_caches: expected yes or no, got 'maybe'") },
	{ "swap-too-large", &V1, STRS(":6: [swap] size: '2T' is out of range (allowed: 0 B..1.0 TiB)") },
	/* libinih's line buffer is 200 bytes: 198 characters plus newline and NUL */
	{ "long-line", &V1, STRS(":3: line longer than 198 characters") },
	/* multi-line values are off: the indented line is a line without '=' */
	{ "continuation-line", &V1,
	  STRS(":4: syntax error: an indented line is not a continuation (multi-line values are not supported); expected key = value") },
	/* no line: the problem is the whole file */
	{ "no-workload", &V1, STRS(": no [workload NAME] section: a scenario needs at least one workload") },
	/* all of them, sorted by line although found in the order 13, 5, 9 */
	{ "three-mistakes", &V1,
	  STRS(":5: [workload leaker] rate: expected a size such as 4096, 64k, 64M, 1G, got 'fast'",
		 ":9: [scenario] timeout: must be longer than duration (the timeout is the hard limit after it)",
		 ":13: [cgroup] memory.hihg: unknown key (did you mean memory.high?)") },

	/* regression (fixed): only libinih's first syntax error is reported (scenario.c:417-420
	 * keeps just ini_parse_stream()'s return value), not every problem */
	{ "two-syntax-errors", &V1,
	  STRS(":3: syntax error: expected [section], key = value, or a comment (; or #)",
		 ":6: syntax error: expected [section], key = value, or a comment (; or #)") },
	/* regression (fixed): "[workload]" is not recognised as a workload section
	 * (section_find() wants "workload "), so it is reported as an unknown section
	 * suggesting itself, and check_workload() is called with "workload ", whose header
	 * it cannot find: a second diagnostic without a line */
	{ "workload-no-name", &V1, STRS(":8: [workload]: a workload section needs a name: [workload NAME]") },
	/* regression (fixed): check_workload() takes the LAST "type" and skips only that one, so
	 * the first "type" is also reported as an unknown option of anonleak */
	{ "workload-type-twice", &V1, STRS(":11: [workload leaker] type: set twice (first at line 9)") },
	/* regression (fixed): a section with no keys is never validated (phase 2 walks settings
	 * only), so an empty [workload steady] silently disappears and the load succeeds */
	{ "workload-empty", &V1, STRS(":12: [workload steady] type: missing: every workload needs type = <workload>") },
	/* regression (fixed): the reader records section headers only when '[' is the first
	 * non-blank byte, so after a UTF-8 BOM (which libinih skips) the header of line 1
	 * is unknown and its diagnostics lose their line number */
	{ "bom-header", &V1, STRS(":1: [workload leaker] type: missing: every workload needs type = <workload>") },
	/* [machine]: the guest of the VM target */
	{ "machine-numa-sum", &GUEST2, STRS(":8: [machine] numa: the nodes add up to 512 MiB, memory (line 7) is 1024 MiB") },
	{ "machine-swap", &GUEST2,
	  STRS(":7: [machine] swap: expected none, disk:SIZE or zram:SIZE with SIZE 16M..64G; got 'nvme:1G'") },
	{ "machine-node-range", &GUEST2, STRS(":12: [workload leaker] membind: --membind=2: the guest has nodes 0-1") },
	{ "machine-cpus", &GUEST2,
	  STRS(":6: [machine] cpus: '0' is out of range (allowed: 1..8)", ":7: [machine] cgroup: expected one of v2, v1; got 'v3'") },
	{ "machine-numa-empty", &GUEST2,
	  STRS(":7: [machine] numa: an empty node size in '256M,,256M'",
	       ":7: [machine] numa: the nodes add up to 512 MiB, memory (line 8) is 512 MiB",
	       ":8: [machine] memory: must be whole MiB (qemu's unit), got '524300K'") },
	{ "machine-disk-small", &GUEST2,
	  STRS(":7: [machine] disk: 512 MiB is too small: the workloads need 1280 MiB free on it (their files and reserve), with the file system's own at least 1424 MiB") },
	{ "machine-disk-size", &GUEST2,
	  STRS(":7: [machine] disk: expected auto, none or a size of 64M..1T in whole MiB; got 'big'") },
	{ "guest-swap-file", &GUEST2,
	  STRS(":9: [swap] size: a swap file cannot be used in a guest (its root is a RAM disk): use [machine] swap = disk:SIZE") },
	/* the workloads' own checks (struct workload's check) and the common NUMA rules, run
	 * on the config the workload would get: each problem at the line of the first of
	 * its options the section sets */
	{ "workload-check-fpm-spare", &V1, /* max-spare is the default: reported at what was written */
	  STRS(":12: [workload pool] max-children: --max-spare (3) must not exceed --max-children (2)") },
	{ "workload-check-fpm-several", &V1,
	  STRS(":10: [workload pool] min-spare: --min-spare (4) must not exceed --max-spare (3)",
	       ":11: [workload pool] reload-every: --reload-every below 100ms would replace the pool faster than it starts",
	       ":13: [workload pool] queue: --queue=0 leaves --rps=0 (keep the queue full) nothing to work from: give it at least 1") },
	{ "workload-check-alloc-chunk-max", &V1,
	  STRS(":11: [workload frag] chunk-max: --chunk-max (65536) is below --chunk (1048576)") },
	/* a refused value is reported alone, not judged again by the check with the default */
	{ "workload-check-refused-value", &V1,
	  STRS(":11: [workload frag] chunk: expected a size such as 4096, 64k, 64M, 1G, got '1X'") },
	{ "workload-check-overcommit-noreserve", &V1,
	  STRS(":12: [workload reserver] noreserve: --noreserve is a flag of mmap; it needs --via=mmap") },
	{ "workload-check-pagecache-direct", &V1,
	  STRS(":11: [workload reader] size: --direct needs --size and --block to be multiples of 4 KiB",
	       ":12: [workload reader] direct: --direct and --access=mmap exclude each other (a mapping always goes through the page cache)") },
	{ "workload-check-exec-quote", &V1,
	  STRS(":10: [workload stress] cmd: --cmd: the ' quote opened at column 29 is not closed") },
	{ "workload-check-exec-empty", &V1, STRS(":10: [workload stress] cmd: --cmd: empty command") },
	{ "workload-check-exec-backslash", &V1,
	  STRS(":10: [workload stress] cmd: --cmd: a \\ at the end escapes nothing") },
	{ "workload-check-numa-exclusive", &GUEST2,
	  STRS(":12: [workload leaker] membind: --membind, --interleave and --preferred exclude each other",
	       ":17: [workload probe] preferred: --preferred takes one node, got 0-1") },
	{ "action-unknown-do", &V1,
	  STRS(":14: [action drop] do: unknown action 'drop_cache' (did you mean drop_caches?)") },
	{ "action-signal", &V1,
	  STRS(":14: [action reload] do: no workload 'poll' in this scenario (did you mean pool?)",
	       ":18: [action bad] do: unknown signal 'SIGFOO' (a name such as SIGUSR2, USR2 or TERM, or a number 1..64)") },
	{ "action-at", &V1,
	  STRS(":14: [action late] at: 5s is not before the scenario's duration (5000 ms): the workloads are stopped by then",
	       ":18: [action later] at: 2m is not before the scenario's timeout (60000 ms): the run is over by then") },
	{ "action-keys", &V1,
	  STRS(":12: [action]: an action section needs a name: [action NAME]",
	       ":15: [action a] at: missing: every action needs at = TIME (from the first workload's start)",
	       ":15: [action a] do: missing: every action needs do = WHAT",
	       ":16: [action a] when: unknown key (known: at, do, after)",
	       ":20: [action b] do: drop_caches takes one of 1 (page cache), 2 (dentries and inodes), 3 (both; the default); got 'drop_caches 4'",
	       ":22: [action b]: a second action of this name (first at line 18): names must be unique",
	       ":23: [action b] at: set twice (first at line 19)",
	       ":24: [action b] do: set twice (first at line 20)",
	       ":26: [action pool]: a workload has this name (line 8): actions and workloads need names of their own") },
	{ "oom-score-adj", &V1,
	  STRS(":12: [workload pool] oom_score_adj: expected a whole number -1000..1000, got '1001'",
	       ":17: [workload two] oom_score_adj: expected a whole number -1000..1000, got 'high'") },
	{ "panic-on-host", &V1,
	  STRS(":9: [sysctl] vm.panic_on_oom: only in a guest ([machine] section or --kernel): on this host it would take the machine down") },
};

static void test_bad(void **state)
{
	struct fx *f = *state;
	const struct bad_case *bc = f->param;
	size_t n = 0;
	while (bc->expect[n])
		n++;

	int r = load(f, "bad", bc->file, bc->target);
	if (r != -EINVAL || f->d.n != n)
		for (size_t i = 0; i < f->d.n; i++)
			print_message("got: %s\n", diag_text(f, i));
	assert_int_equal(r, -EINVAL);
	assert_int_equal(f->d.n, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(f->want, sizeof(f->want), "%s%s", f->path, bc->expect[i]);
		assert_string_equal(diag_text(f, i), f->want);
	}
}

/* ---- valid scenarios ------------------------------------------------------------ */

static void assert_cg(const struct scen_cg *c, const char *knob, const char *file, const char *value, int line)
{
	assert_string_equal(c->knob->name, knob);
	assert_string_equal(c->file, file);
	assert_string_equal(c->value, value);
	assert_int_equal(c->line, line);
}

static void assert_wl(const struct scen_wl *w, const char *name, int line, const char *const *argv)
{
	size_t n = 0;
	assert_string_equal(w->name, name);
	assert_string_equal(w->type->name, "anonleak");
	assert_int_equal(w->line, line);
	for (; argv[n]; n++) {
		assert_true(n < w->argc);
		assert_string_equal(w->argv[n], argv[n]);
	}
	assert_int_equal(w->argc, n);
	assert_null(w->argv[n]);
}

/* full.ini per hierarchy: where memory.max and memory.swap.max go, and what is written. */
struct full_case {
	const struct scen_target *target;
	const char *max_file, *max_value;
	const char *swap_file, *swap_value;
};

static struct full_case full_v1 = { &V1, "memory.limit_in_bytes", "134217728",
				    /* v1 limits memory+swap: 128M + 64M */
				    "memory.memsw.limit_in_bytes", "201326592" };
static struct full_case full_v2 = { &V2, "memory.max", "134217728", "memory.swap.max", "67108864" };

static void test_full(void **state)
{
	struct fx *f = *state;
	const struct full_case *fc = f->param;
	load_ok(f, "full", fc->target);

	const struct scen_main *m = &f->sc.m;
	assert_string_equal(m->name, "full-example");
	assert_string_equal(m->description, "two leakers, swap allowance, tuned reclaim");
	assert_int_equal(m->duration_ms, 90 * 1000);
	assert_int_equal(m->timeout_ms, 2 * 60 * 1000);
	assert_int_equal(m->repeat, 3);
	assert_true(m->drop_caches);
	assert_false(m->compact_memory);
	assert_int_equal(m->swap_size, MiB(256));
	assert_int_equal(f->sc.memory_max, MiB(128));

	assert_int_equal(f->sc.ncg, 2);
	assert_cg(&f->sc.cg[0], "memory.max", fc->max_file, fc->max_value, 17);
	assert_int_equal(f->sc.cg[0].bytes, MiB(128));
	assert_cg(&f->sc.cg[1], "memory.swap.max", fc->swap_file, fc->swap_value, 18);
	assert_int_equal(f->sc.cg[1].bytes, MiB(64));

	static const struct {
		const char *name, *value;
		int line;
	} sysctls[] = {
		{ "vm.swappiness", "100", 21 },
		{ "vm.overcommit_memory", "1", 22 },
		{ "vm.watermark_scale_factor", "200", 23 },
	};
	assert_int_equal(f->sc.nsysctl, N_ELEM(sysctls));
	for (size_t i = 0; i < N_ELEM(sysctls); i++) {
		assert_string_equal(f->sc.sysctl[i].def->name, sysctls[i].name);
		assert_string_equal(f->sc.sysctl[i].value, sysctls[i].value);
		assert_int_equal(f->sc.sysctl[i].line, sysctls[i].line);
	}

	assert_int_equal(f->sc.nwl, 2);
	/* 50% of memory.max (128M): the workload gets bytes; other values as written */
	assert_wl(&f->sc.wl[0], "steady", 25, STRS("--size=67108864", "--hold=forever"));
	assert_wl(&f->sc.wl[1], "leaker", 30,
		  STRS("--size=536870912", "--rate=64M", "--chunk=2M", "--via=malloc"));

	assert_int_equal(f->sc.nset, 21); /* every key = value line, raw */
}

/* Options common to every workload pass through to its command line. */
/* [action NAME] and oom_score_adj: parsed, normalised, sorted by time (file order
 * for equal times); oom_score_adj is mph's, never in the workload's argv. */
static void test_actions(void **state)
{
	struct fx *f = *state;
	load_ok(f, "actions", &V1);
	assert_int_equal(f->sc.nwl, 2);
	assert_true(f->sc.wl[0].oom_adj_set);
	assert_int_equal(f->sc.wl[0].oom_adj, -1000);
	assert_int_equal(f->sc.wl[0].oom_adj_line, 12);
	assert_int_equal(f->sc.wl[1].oom_adj, 500);
	for (size_t w = 0; w < f->sc.nwl; w++)
		for (size_t i = 0; i < f->sc.wl[w].argc; i++)
			assert_null(strstr(f->sc.wl[w].argv[i], "oom"));
	assert_int_equal(f->sc.nact, 4);
	const struct scen_action *a = f->sc.act;
	assert_string_equal(a[0].name, "drop");
	assert_int_equal(a[0].kind, ACT_DROP_CACHES);
	assert_int_equal(a[0].drop_level, 1);
	assert_int_equal(a[0].at_ms, 2000);
	assert_string_equal(a[0].text, "drop_caches 1");
	assert_string_equal(a[1].name, "squeeze"); /* same time as drop: file order */
	assert_int_equal(a[1].kind, ACT_COMPACT);
	assert_string_equal(a[2].name, "reload");
	assert_int_equal(a[2].kind, ACT_SIGNAL);
	assert_int_equal(a[2].wl, 0);
	assert_int_equal(a[2].signo, SIGUSR2);
	assert_int_equal(a[2].after_ms, 2000);
	assert_string_equal(a[2].text, "signal pool SIGUSR2");
	assert_int_equal(a[2].line, 20);
	assert_int_equal(a[3].wl, 1);
	assert_int_equal(a[3].signo, SIGTERM);
	assert_string_equal(a[3].text, "signal cache SIGTERM");
	int sig = 0;
	assert_int_equal(scen_parse_signal("SIGHUP", &sig), 0);
	assert_int_equal(sig, SIGHUP);
	assert_int_equal(scen_parse_signal("usr1", &sig), 0);
	assert_int_equal(sig, SIGUSR1);
	assert_int_equal(scen_parse_signal("0", &sig), -EINVAL);
	assert_int_equal(scen_parse_signal("SIG", &sig), -EINVAL);
	assert_int_equal(scen_parse_signal("99", &sig), -EINVAL);
}

static void test_common_options(void **state)
{
	struct fx *f = *state;
	load_ok(f, "common-options", &V1);
	assert_int_equal(f->sc.nwl, 1);
	assert_int_equal(f->sc.wl[0].argc, 3);
	assert_string_equal(f->sc.wl[0].argv[0], "--size=16777216");
	assert_string_equal(f->sc.wl[0].argv[1], "--report-interval=100ms");
	assert_string_equal(f->sc.wl[0].argv[2], "--membind=0");
}

/* [machine]: memory is the nodes' sum, swap and cgroup parsed, guest-only sysctls and
 * the guest's second node accepted. */
static void test_machine(void **state)
{
	struct fx *f = *state;
	load_ok(f, "machine", &GUEST2);
	assert_true(f->sc.machine);
	assert_int_equal(f->sc.machine_line, 5);
	assert_string_equal(f->sc.m.machine_kernel, "6.1");
	assert_int_equal(f->sc.nnuma, 2);
	assert_int_equal(f->sc.numa[0], MiB(256));
	assert_int_equal(f->sc.numa[1], MiB(512));
	assert_int_equal(f->sc.m.machine_memory, MiB(768));
	assert_int_equal(f->sc.m.machine_cpus, 2);
	assert_int_equal(f->sc.swap_kind, MSWAP_ZRAM);
	assert_int_equal(f->sc.swap_dev_size, MiB(128));
	assert_int_equal(f->sc.m.machine_cgroup, 0);
	assert_int_equal(f->sc.m.machine_timeout_ms, 3 * 60 * 1000);
	assert_int_equal(f->sc.nsysctl, 2);
	assert_string_equal(f->sc.sysctl[0].def->name, "vm.panic_on_oom");
	assert_wl(&f->sc.wl[0], "leaker", 17, STRS("--size=67108864", "--membind=1"));
}

/* mph run --vm KEY=VALUE: replaces the file's [machine] key or adds one, marked as
 * from the command line; its mistakes are reported as such. */
/* Parse, apply --set overrides (sweep.h), validate: what `mph run --set` does. */
static int load_with_sets(struct fx *f, const char *name, const char *const *sets, const struct scen_target *t)
{
	const char *data = getenv("MPH_TEST_DATA");
	snprintf(f->path, sizeof(f->path), "%s/scenarios/good/%s.ini", data && *data ? data : "tests", name);
	struct scen_text tx;
	int r = scenario_parse(f->path, &tx, &f->d);
	assert_int_equal(r, 0);
	struct setting over[8];
	size_t n = 0;
	for (; sets[n]; n++) {
		char err[256];
		assert_int_equal(sweep_parse_set(sets[n], &over[n], err, sizeof(err)), 0);
	}
	sweep_apply_sets(&tx.set, &tx.nset, over, n);
	for (size_t i = 0; i < n; i++) {
		free(over[i].section);
		free(over[i].key);
		free(over[i].value);
	}
	r = scenario_validate(&tx, t, &f->sc, &f->d);
	scen_text_free(&tx);
	return r;
}

/* [machine] keys from the command line (--set machine.KEY=V, --vm KEY=V) replace the
 * file's or are added, with line SET_CMDLINE; their mistakes say so. */
static void test_machine_set(void **state)
{
	struct fx *f = *state;
	static const char *const set[] = { "machine.numa=512M,512M", "machine.swap=none", "machine.memory=1G", NULL };
	struct scen_target t = GUEST2;
	int r = load_with_sets(f, "machine", set, &t);
	for (size_t i = 0; i < f->d.n; i++)
		print_message("unexpected: %s\n", diag_text(f, i));
	assert_int_equal(r, 0);
	assert_int_equal(f->sc.nnuma, 2);
	assert_int_equal(f->sc.m.machine_memory, MiB(1024));
	assert_int_equal(f->sc.swap_kind, MSWAP_NONE);
	size_t from_cmdline = 0;
	for (size_t i = 0; i < f->sc.nset; i++)
		from_cmdline += f->sc.set[i].line == SET_CMDLINE;
	assert_int_equal(from_cmdline, 3);
	scenario_free(&f->sc);
	diags_free(&f->d);

	static const char *const bad[] = { "machine.cpus=9", NULL };
	assert_int_equal(load_with_sets(f, "machine", bad, &t), -EINVAL);
	assert_int_equal(f->d.n, 1);
	assert_non_null(strstr(diag_text(f, 0), ": --set: [machine] cpus: '9' is out of range (allowed: 1..8)"));
}

/* Parse once, validate many: a variant is its settings alone. Changing a setting's
 * value in the text (as a sweep does) changes the validated scenario, and a bad
 * value is reported at the line the key had in the file. */
static void test_parse_then_validate(void **state)
{
	struct fx *f = *state;
	const char *data = getenv("MPH_TEST_DATA");
	snprintf(f->path, sizeof(f->path), "%s/scenarios/good/full.ini", data && *data ? data : "tests");
	struct scen_text tx;
	assert_int_equal(scenario_parse(f->path, &tx, &f->d), 0);
	assert_true(tx.nset > 10);
	assert_true(scen_header_line(&tx, "cgroup") > 0);
	diags_free(&f->d);
	size_t mm = tx.nset;
	for (size_t i = 0; i < tx.nset; i++)
		if (strcmp(tx.set[i].section, "cgroup") == 0 && strcmp(tx.set[i].key, "memory.max") == 0)
			mm = i;
	assert_true(mm < tx.nset);
	static const char *const values[] = { "64M", "256M" };
	for (size_t v = 0; v < 2; v++) {
		free(tx.set[mm].value);
		tx.set[mm].value = strdup(values[v]);
		assert_int_equal(scenario_validate(&tx, &V1, &f->sc, &f->d), 0);
		assert_int_equal(f->sc.memory_max, v == 0 ? (long long)MiB(64) : (long long)MiB(256));
		/* a percentage of memory.max follows it: steady is 50% */
		bool found = false;
		for (size_t k = 0; k < f->sc.wl[0].argc; k++)
			found |= strcmp(f->sc.wl[0].argv[k], v == 0 ? "--size=33554432" : "--size=134217728") == 0;
		assert_true(found);
		scenario_free(&f->sc);
		diags_free(&f->d);
	}
	free(tx.set[mm].value);
	tx.set[mm].value = strdup("64M, 128M"); /* a list reaches validation only by mistake */
	assert_int_equal(scenario_validate(&tx, &V1, &f->sc, &f->d), -EINVAL);
	assert_true(f->d.n >= 1); /* and what depends on memory.max */
	assert_int_equal(f->d.v[0].line, tx.set[mm].line);
	assert_non_null(strstr(diag_text(f, 0), "[cgroup] memory.max: expected a size"));
	scenario_free(&f->sc);
	scen_text_free(&tx);
}

/* Which keys may be lists, and of what: from the option tables, knobs and sysctls. */
static void test_key_kinds(void **state)
{
	(void)state;
	struct scen_text tx = { 0 };
	struct setting set[] = { { "workload w", "type", "anonleak", 1 } };
	tx.set = set;
	tx.nset = 1;
	assert_int_equal(scenario_key_kind(&tx, "sysctl", "vm.swappiness"), SWEEP_INT);
	assert_int_equal(scenario_key_kind(&tx, "cgroup", "memory.max"), SWEEP_SIZE);
	assert_int_equal(scenario_key_kind(&tx, "cgroup", "memory.oom.group"), SWEEP_WORD);
	assert_int_equal(scenario_key_kind(&tx, "machine", "memory"), SWEEP_SIZE);
	assert_int_equal(scenario_key_kind(&tx, "machine", "numa"), SWEEP_NO);  /* 256M,256M is one value */
	assert_int_equal(scenario_key_kind(&tx, "machine", "kernel"), SWEEP_NO);
	assert_int_equal(scenario_key_kind(&tx, "scenario", "repeat"), SWEEP_NO);
	assert_int_equal(scenario_key_kind(&tx, "workload w", "size"), SWEEP_SIZE);
	assert_int_equal(scenario_key_kind(&tx, "workload w", "hold"), SWEEP_DURATION);
	assert_int_equal(scenario_key_kind(&tx, "workload w", "via"), SWEEP_WORD);
	assert_int_equal(scenario_key_kind(&tx, "workload w", "membind"), SWEEP_NO); /* 0,1 is one node list */
	assert_int_equal(scenario_key_kind(&tx, "workload w", "type"), SWEEP_NO);
	assert_int_equal(scenario_key_kind(&tx, "workload w", "oom_score_adj"), SWEEP_INT);
	assert_int_equal(scenario_key_kind(&tx, "action a", "at"), SWEEP_DURATION);
	assert_int_equal(scenario_key_kind(&tx, "action a", "after"), SWEEP_DURATION);
	assert_int_equal(scenario_key_kind(&tx, "action a", "do"), SWEEP_NO);
}

/* A variant written back as a file validates to the same scenario. */
static void test_write_ini_roundtrip(void **state)
{
	struct fx *f = *state;
	load_ok(f, "full", &V1);
	struct scen_text tx;
	diags_free(&f->d);
	assert_int_equal(scenario_parse(f->path, &tx, &f->d), 0);
	char out[] = "/tmp/mph-test-ini-XXXXXX";
	int fd = mkstemp(out);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(scenario_write_ini(&tx, out, true), 0);
	struct scenario again;
	struct diags d2;
	assert_int_equal(scenario_load(out, &V1, &again, &d2), 0);
	assert_int_equal(again.nset, f->sc.nset);
	assert_int_equal(again.memory_max, f->sc.memory_max);
	assert_int_equal(again.nwl, f->sc.nwl);
	for (size_t i = 0; i < again.nset; i++) {
		assert_string_equal(again.set[i].section, f->sc.set[i].section);
		assert_string_equal(again.set[i].key, f->sc.set[i].key);
		assert_string_equal(again.set[i].value, f->sc.set[i].value);
	}
	scenario_free(&again);
	diags_free(&d2);
	scen_text_free(&tx);
	unlink(out);
}

/* Without [machine] nothing of it is set, and the defaults are a 1 GiB single node. */
static void test_no_machine(void **state)
{
	struct fx *f = *state;
	load_ok(f, "common-options", &V1);
	assert_false(f->sc.machine);
	assert_int_equal(f->sc.nnuma, 0);
	assert_int_equal(f->sc.m.machine_memory, MiB(1024));
	assert_int_equal(f->sc.swap_kind, MSWAP_NONE);
	assert_null(f->sc.m.machine_kernel);
}

/* The workload's percentage is resolved against a memory.max written after it. */
static void test_workload_before_cgroup(void **state)
{
	struct fx *f = *state;
	load_ok(f, "workload-first", &V1);
	assert_int_equal(f->sc.memory_max, MiB(96));
	assert_int_equal(f->sc.nwl, 1);
	assert_wl(&f->sc.wl[0], "steady", 2, STRS("--size=25165824")); /* 25% of 96M */
}

/* sc.set is the file as written: file order (not validation order), with lines. */
static void test_raw_settings(void **state)
{
	static const struct setting want[] = {
		{ "workload steady", "type", "anonleak", 3 },
		{ "workload steady", "size", "25%", 4 },
		{ "scenario", "timeout", "60s", 7 },
		{ "cgroup", "memory.max", "96M", 10 },
	};
	struct fx *f = *state;
	load_ok(f, "workload-first", &V1);
	assert_int_equal(f->sc.nset, N_ELEM(want));
	for (size_t i = 0; i < N_ELEM(want); i++) {
		assert_string_equal(f->sc.set[i].section, want[i].section);
		assert_string_equal(f->sc.set[i].key, want[i].key);
		assert_string_equal(f->sc.set[i].value, want[i].value);
		assert_int_equal(f->sc.set[i].line, want[i].line);
	}
}

static void test_default_name(void **state)
{
	struct fx *f = *state;
	load_ok(f, "workload-first", &V1);
	assert_string_equal(f->sc.m.name, "workload-first");
	assert_string_equal(f->sc.m.description, "");
	assert_int_equal(f->sc.m.repeat, 1);
}

/* Knobs only one hierarchy has, and "max" in each hierarchy's spelling. */
struct knob_case {
	const char *file;
	const struct scen_target *target;
	struct {
		const char *knob, *file, *value;
		int line;
	} cg[5];
	size_t ncg;
};

static struct knob_case knobs_v1 = { "v1-knobs", &V1,
				     { { "memory.max", "memory.limit_in_bytes", "-1", 6 },
				       { "memory.swap.max", "memory.memsw.limit_in_bytes", "-1", 7 },
				       { "memory.swappiness", "memory.swappiness", "0", 8 } },
				     3 };
static struct knob_case knobs_v2 = { "v2-knobs", &V2,
				     { { "memory.max", "memory.max", "max", 6 },
				       { "memory.high", "memory.high", "50331648", 7 },
				       { "memory.low", "memory.low", "16777216", 8 },
				       { "memory.min", "memory.min", "8388608", 9 },
				       { "memory.oom.group", "memory.oom.group", "1", 10 } },
				     5 };

static void test_knobs(void **state)
{
	struct fx *f = *state;
	const struct knob_case *kc = f->param;
	load_ok(f, kc->file, kc->target);
	assert_int_equal(f->sc.memory_max, -1);
	assert_int_equal(f->sc.ncg, kc->ncg);
	for (size_t i = 0; i < kc->ncg; i++)
		assert_cg(&f->sc.cg[i], kc->cg[i].knob, kc->cg[i].file, kc->cg[i].value, kc->cg[i].line);
}

static void test_missing_file(void **state)
{
	struct fx *f = *state;
	assert_int_equal(load(f, "good", "no-such-scenario", &V1), -ENOENT);
	assert_int_equal(f->d.n, 0);
}

/* ---- hostile inputs: files that are not what a scenario file is ------------ */

static const char GOOD[] = "[cgroup]\nmemory.max = 64M\n\n[workload leaker]\ntype = anonleak\nsize = 16M\n";

/* A fixture with a temporary directory to write files into. */
static int tmp_setup(void **state)
{
	if (fx_setup(state) < 0)
		return -1;
	struct fx *f = *state;
	strcpy(f->dir, "/tmp/mph-test-scen-XXXXXX");
	return mkdtemp(f->dir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	struct fx *f = *state;
	int r = rm_rf(f->dir);
	fx_teardown(state);
	return r;
}

/* name (in the fixture's directory) holding len bytes of text; its path in f->path */
static void put_file(struct fx *f, const char *name, const char *text, size_t len)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static int load_path(struct fx *f, const char *path)
{
	scenario_free(&f->sc);
	diags_free(&f->d);
	snprintf(f->path, sizeof(f->path), "%s", path);
	return scenario_load(path, &V1, &f->sc, &f->d);
}

/* Exactly one diagnostic, with this text after the path. */
static void assert_one_diag(struct fx *f, const char *want)
{
	for (size_t i = 0; i < f->d.n; i++)
		print_message("got: %s\n", diag_text(f, i));
	assert_int_equal(f->d.n, 1);
	snprintf(f->want, sizeof(f->want), "%s%s", f->path, want);
	assert_string_equal(diag_text(f, 0), f->want);
}

/* regression (fixed): a scenario name taken from the file name was not checked:
 * "...ini" gave "..", ".ini" an empty name (both the results directory itself or
 * its parent), "\xff.ini" a name run.json could not hold */
static void test_name_from_file(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *file, *diag;
	} cases[] = {
		{ "...ini", ": [scenario] name: '..', taken from the file name, cannot name a results directory: starts with '.' " },
		{ ".ini", ": [scenario] name: '', taken from the file name, cannot name a results directory: empty " },
		{ "\xff.ini", ": [scenario] name: '\\xff', taken from the file name, cannot name a results directory: "
			      "has a character other than letters, digits, '.', '_' and '-' " },
	};
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char want[512];
		snprintf(want, sizeof(want), "%s%s; set one with [scenario] name = NAME", cases[i].diag, NAME_RULE);
		put_file(f, cases[i].file, GOOD, strlen(GOOD));
		char path[1024];
		snprintf(path, sizeof(path), "%s", f->path);
		assert_int_equal(load_path(f, path), -EINVAL);
		assert_one_diag(f, want);
		/* what the message suggests works */
		char *named = NULL;
		assert_true(asprintf(&named, "[scenario]\nname = ok\n%s", GOOD) > 0);
		put_file(f, cases[i].file, named, strlen(named));
		free(named);
		assert_int_equal(load_path(f, path), 0);
		assert_string_equal(f->sc.m.name, "ok");
	}
}

/* SIGALRM ends the test process: what used to spin forever fails instead of hanging */
static void deadline(unsigned s)
{
	signal(SIGALRM, SIG_DFL);
	alarm(s);
}

/* regression (fixed): a directory was read as an empty file; /dev/zero kept the
 * reader busy forever, /dev/urandom grew the buffer without bound */
static void test_not_a_file(void **state)
{
	struct fx *f = *state;
	deadline(20);
	assert_int_equal(load_path(f, f->dir), -EINVAL);
	assert_one_diag(f, ": a directory, not a scenario file (mph reads regular files and pipes)");
	assert_int_equal(load_path(f, "/dev/zero"), -EINVAL);
	assert_one_diag(f, ": a character device, not a scenario file (mph reads regular files and pipes)");
	assert_int_equal(load_path(f, "/dev/urandom"), -EINVAL);
	assert_one_diag(f, ": a character device, not a scenario file (mph reads regular files and pipes)");
	alarm(0);
}

/* regression (fixed): `mph run <(cat f.ini)` loads the scenario twice (does it want
 * a guest? then: run it) and the second read of the pipe found it empty */
static void test_pipe_read_twice(void **state)
{
	struct fx *f = *state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], GOOD, strlen(GOOD)), (ssize_t)strlen(GOOD));
	close(p[1]);
	char path[64];
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(load_path(f, path), 0);
		assert_int_equal(f->sc.nwl, 1);
		assert_string_equal(f->sc.wl[0].name, "leaker");
	}
	close(p[0]);
}

/* A pipe that never ends is read up to the bound, not forever. */
static void test_endless_pipe(void **state)
{
	struct fx *f = *state;
	deadline(20);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		static const char line[] = "; again and again\n";
		while (write(p[1], line, sizeof(line) - 1) > 0)
			;
		_exit(0);
	}
	close(p[1]);
	char path[64];
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	assert_int_equal(load_path(f, path), -EINVAL);
	close(p[0]); /* the writer gets EPIPE and ends */
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_one_diag(f, ": larger than 1024 KiB: not a scenario file");
	alarm(0);
}

static void test_size_bound(void **state)
{
	struct fx *f = *state;
	size_t n = SCEN_MAX_BYTES + 1;
	char *text = malloc(n);
	assert_non_null(text);
	memset(text, ';', n);
	memcpy(text, GOOD, strlen(GOOD));
	put_file(f, "big.ini", text, n);
	free(text);
	char path[1024];
	snprintf(path, sizeof(path), "%s", f->path);
	assert_int_equal(load_path(f, path), -EINVAL);
	assert_one_diag(f, ": larger than 1024 KiB: not a scenario file");
}

static void test_line_bound(void **state)
{
	struct fx *f = *state;
	size_t n = strlen(GOOD) + 2 * SCEN_MAX_LINES;
	char *text = malloc(n);
	assert_non_null(text);
	memcpy(text, GOOD, strlen(GOOD));
	for (size_t i = strlen(GOOD); i < n; i += 2)
		memcpy(text + i, ";\n", 2);
	put_file(f, "long.ini", text, n);
	free(text);
	char path[1024];
	snprintf(path, sizeof(path), "%s", f->path);
	assert_int_equal(load_path(f, path), -EINVAL);
	assert_one_diag(f, ":10001: more than 10000 lines: not read further");
}

/* regression (fixed): 10,000 workloads in half a megabyte took 22 s and 2.2 GB before
 * the verdict (every workload's argv was sized to every setting of the file). Now:
 * the workloads over the bound are reported once and not validated, and the file's
 * lines over the bound are not read. */
static void test_many_workloads(void **state)
{
	struct fx *f = *state;
	deadline(60);
	size_t cap = 600000, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	n += (size_t)snprintf(text, cap, "[cgroup]\nmemory.max = 64M\n");
	for (int i = 0; i < 10000; i++)
		n += (size_t)snprintf(text + n, cap - n, "[workload w%d]\ntype = anonleak\nsize = 1M\n", i);
	assert_true(n < cap);
	put_file(f, "many.ini", text, n);
	free(text);
	char path[1024];
	snprintf(path, sizeof(path), "%s", f->path);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(load_path(f, path), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (size_t i = 0; i < f->d.n; i++)
		print_message("got: %s\n", diag_text(f, i));
	assert_int_equal(f->d.n, 2);
	snprintf(f->want, sizeof(f->want), "%s:195: [workload w64]: more than 64 workloads: a scenario may have at most 64", path);
	assert_string_equal(diag_text(f, 0), f->want);
	snprintf(f->want, sizeof(f->want), "%s:10001: more than 10000 lines: not read further", path);
	assert_string_equal(diag_text(f, 1), f->want);
	assert_int_equal(f->sc.nset, 1 + 64 * 2);
	if (s > 2.0)
		fail_msg("loading took %.2f s", s);
	alarm(0);
}

/* CRLF line ends are line ends; blanks inside a header's brackets do not make
 * another section ([workload  w ] is [workload w]). */
static void test_crlf_and_blanks(void **state)
{
	struct fx *f = *state;
	static const char text[] = "[cgroup]\r\nmemory.max = 64M\r\n\r\n[ workload \t w ]\r\ntype = anonleak\r\nsize = 16M\r\n";
	put_file(f, "crlf.ini", text, sizeof(text) - 1);
	char path[1024];
	snprintf(path, sizeof(path), "%s", f->path);
	assert_int_equal(load_path(f, path), 0);
	assert_int_equal(f->sc.nwl, 1);
	assert_string_equal(f->sc.wl[0].name, "w");
	assert_string_equal(f->sc.wl[0].argv[0], "--size=16777216");
	assert_string_equal(f->sc.set[1].section, "workload w");
}

/* [machine] disk = auto: a scratch disk when a workload makes files, sized to them
 * (2 x 128 MiB and pagecache's 1 GiB reserve, a sixteenth and 64 MiB for ext4, in
 * whole 64 MiB); none without files; none when asked for. */
static void test_machine_disk(void **state)
{
	struct fx *f = *state;
	load_ok(f, "machine-disk", &GUEST2);
	assert_int_equal(f->sc.wl[0].disk_bytes, MiB(256) + MiB(1024));
	assert_int_equal(f->sc.disk_size, MiB(1472));
	scenario_free(&f->sc);
	diags_free(&f->d);
	load_ok(f, "machine", &GUEST2); /* anonleak only */
	assert_int_equal(f->sc.disk_size, 0);
	scenario_free(&f->sc);
	diags_free(&f->d);
	assert_int_equal(load_with_sets(f, "machine-disk", STRS("machine.disk=none"), &GUEST2), 0);
	assert_int_equal(f->sc.disk_size, 0);
	scenario_free(&f->sc);
	diags_free(&f->d);
	assert_int_equal(load_with_sets(f, "machine-disk", STRS("machine.disk=2G"), &GUEST2), 0);
	assert_int_equal(f->sc.disk_size, MiB(2048));
}

int main(void)
{
	struct CMUnitTest bad[N_ELEM(bad_cases)];
	for (size_t i = 0; i < N_ELEM(bad_cases); i++)
		bad[i] = (struct CMUnitTest){ bad_cases[i].file, test_bad, fx_setup, fx_teardown, &bad_cases[i] };

	const struct CMUnitTest good[] = {
		{ "full.ini on cgroup v1", test_full, fx_setup, fx_teardown, &full_v1 },
		{ "full.ini on cgroup v2", test_full, fx_setup, fx_teardown, &full_v2 },
		{ "v1-knobs.ini on cgroup v1", test_knobs, fx_setup, fx_teardown, &knobs_v1 },
		{ "v2-knobs.ini on cgroup v2", test_knobs, fx_setup, fx_teardown, &knobs_v2 },
		cmocka_unit_test_setup_teardown(test_common_options, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_actions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_machine, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_machine_disk, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_machine, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_machine_set, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parse_then_validate, fx_setup, fx_teardown),
		cmocka_unit_test(test_key_kinds),
		cmocka_unit_test_setup_teardown(test_write_ini_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_workload_before_cgroup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_raw_settings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_default_name, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, fx_setup, fx_teardown),
	};

	const struct CMUnitTest hostile[] = {
		cmocka_unit_test_setup_teardown(test_name_from_file, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_not_a_file, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_pipe_read_twice, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_endless_pipe, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_size_bound, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_line_bound, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_many_workloads, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_crlf_and_blanks, tmp_setup, tmp_teardown),
	};

	int failed = _cmocka_run_group_tests("invalid scenarios", bad, N_ELEM(bad), NULL, NULL);
	failed += cmocka_run_group_tests_name("hostile files", hostile, NULL, NULL);
	failed += cmocka_run_group_tests_name("valid scenarios", good, NULL, NULL);
	return failed ? 1 : 0;
}
