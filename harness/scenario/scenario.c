/* scenario.c - see scenario.h.
 *
 * Debian's libinih is built without line numbers for the handler, so the file is fed
 * through ini_parse_stream() with a reader that counts lines: when the handler runs,
 * the reader's count is the line of the key. Parsing happens in two phases: first
 * every key is collected raw (section, key, value, line); then each section is
 * validated, so order inside the file does not matter (a workload's "50%" can be
 * resolved against a memory.max written further down). Multi-line values (indented
 * continuation lines) are switched off: in a scenario an indented line is far more
 * likely a mistake than a continuation. */
#define _GNU_SOURCE
#include "scenario.h"
#include "../core/opt.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../../workloads/workload.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void diags_add(struct diags *d, int line, const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = (struct diag){ line, section ? xstrdup(section) : NULL, key ? xstrdup(key) : NULL, msg };
}

char *diag_format(const struct diags *d, size_t i)
{
	const struct diag *g = &d->v[i];
	char *where = g->section ? (g->key ? xasprintf("[%s] %s: ", g->section, g->key) : xasprintf("[%s]: ", g->section))
		      : g->key	 ? xasprintf("%s: ", g->key)
				 : xstrdup("");
	char *s = g->line > 0	 ? xasprintf("%s:%d: %s%s", d->file, g->line, where, g->msg)
		  : g->line == SET_CMDLINE ? xasprintf("%s: --vm: %s%s", d->file, where, g->msg)
					   : xasprintf("%s: %s%s", d->file, where, g->msg);
	free(where);
	return s;
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].section);
		free(d->v[i].key);
		free(d->v[i].msg);
	}
	free(d->v);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

void diags_print(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(d, i);
		fprintf(stderr, "%s\n", s);
		free(s);
	}
}

static int diag_cmp(const void *a, const void *b)
{
	return ((const struct diag *)a)->line - ((const struct diag *)b)->line;
}

/* ---- phase 1: collect ---------------------------------------------------- */

struct header {
	char *name;
	int line;
};

struct collect {
	FILE *f;
	int line;
	struct scenario *sc;
	struct diags *d;
	struct header *hdr;
	size_t nhdr;
};

/* What inih will make of a line, decided here because inih reports only the first
 * syntax error and gives it no explanation. Mirrors inih's rules: blank lines and
 * lines starting with ';' or '#' are comments; '[' starts a section header that needs
 * a ']'; any other line needs '=' or ':' before an inline comment (';' after a space).
 * Section headers are recorded with their line, so that sections without keys are
 * still validated. */
static void classify_line(struct collect *c, const char *str)
{
	const char *t = str;
	if (c->line == 1 && strncmp(t, "\xEF\xBB\xBF", 3) == 0)
		t += 3; /* UTF-8 byte-order mark, which inih skips too */
	bool indented = *t == ' ' || *t == '\t';
	while (*t == ' ' || *t == '\t')
		t++;
	if (!*t || strchr(";#\r\n", *t))
		return;
	if (*t == '[') {
		const char *e = strchr(t, ']');
		if (!e) {
			diags_add(c->d, c->line, NULL, NULL, "syntax error: a section header needs a closing ']'");
			return;
		}
		c->hdr = xrealloc(c->hdr, (c->nhdr + 1) * sizeof(*c->hdr));
		c->hdr[c->nhdr++] = (struct header){ strndup(t + 1, (size_t)(e - t - 1)), c->line };
		return;
	}
	for (const char *p = t; *p && *p != '\n'; p++) {
		if (*p == '=' || *p == ':')
			return;
		if (*p == ';' && (p[-1] == ' ' || p[-1] == '\t'))
			break;
	}
	diags_add(c->d, c->line, NULL, NULL, "%s",
		  indented ? "syntax error: an indented line is not a continuation (multi-line values are not supported); "
			     "expected key = value"
			   : "syntax error: expected [section], key = value, or a comment (; or #)");
}

static char *reader(char *str, int num, void *stream)
{
	struct collect *c = stream;
	if (!fgets(str, num, c->f))
		return NULL;
	c->line++;
	size_t len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(c->f)) {
		int ch;
		while ((ch = fgetc(c->f)) != EOF && ch != '\n')
			;
		diags_add(c->d, c->line, NULL, NULL, "line longer than %d characters", num - 2);
		str[0] = ';'; /* let inih skip it as a comment */
		str[1] = '\0';
		return str;
	}
	classify_line(c, str);
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct collect *c = user;
	struct scenario *sc = c->sc;
	sc->set = xrealloc(sc->set, (sc->nset + 1) * sizeof(*sc->set));
	sc->set[sc->nset++] = (struct setting){ xstrdup(section), xstrdup(name), xstrdup(value ? value : ""), c->line };
	return 1;
}

static int header_line(const struct collect *c, const char *section)
{
	for (size_t i = 0; i < c->nhdr; i++)
		if (strcmp(c->hdr[i].name, section) == 0)
			return c->hdr[i].line;
	return 0;
}

/* ---- phase 2: validate ----------------------------------------------------- */

static const struct opt scenario_opts[] = {
	{ "name", OPT_STRING, offsetof(struct scen_main, name), NULL, 0, 0, NULL, "scenario name (default: file name)", false },
	{ "description", OPT_STRING, offsetof(struct scen_main, description), "", 0, 0, NULL, "what it shows", false },
	{ "duration", OPT_DURATION, offsetof(struct scen_main, duration_ms), "0", 0, 30ULL * 24 * 3600 * 1000, NULL,
	  "how long workloads run before mph stops them (SIGTERM); 0 = until they end", false },
	{ "timeout", OPT_DURATION, offsetof(struct scen_main, timeout_ms), "10m", 100, 30ULL * 24 * 3600 * 1000, NULL,
	  "hard limit: workloads still running are killed and classified timed-out", false },
	{ "repeat", OPT_UINT, offsetof(struct scen_main, repeat), "1", 1, 1000, NULL, "how many runs", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const struct opt prepare_opts[] = {
	{ "drop_caches", OPT_BOOL, offsetof(struct scen_main, drop_caches), "no", 0, 0, NULL,
	  "write 3 to vm.drop_caches before each run (clean page cache, dentries, inodes)", false },
	{ "compact_memory", OPT_BOOL, offsetof(struct scen_main, compact_memory), "no", 0, 0, NULL,
	  "write 1 to vm.compact_memory before each run", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const struct opt swap_opts[] = {
	{ "size", OPT_SIZE, offsetof(struct scen_main, swap_size), "0", 0, 1ULL << 40, NULL,
	  "size of a swap file made for the run and removed after (0: none)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const char *const proc_sources[] = { "status", "statm", NULL };

static const struct opt record_opts[] = {
	{ "interval", OPT_DURATION, offsetof(struct scen_main, record_interval_ms), "100ms", 1, 3600000, NULL,
	  "sampling period of the recorder (samples.csv)", false },
	{ "pss", OPT_BOOL, offsetof(struct scen_main, record_pss), "no", 0, 0, NULL,
	  "also sample each workload process's Pss (smaps_rollup; costs more per sample)", false },
	{ "proc", OPT_ENUM, offsetof(struct scen_main, record_proc), "status", 0, 0, proc_sources,
	  "per-process source: status (VmRSS, RssAnon, RssFile, RssShmem, VmSwap) or statm (cheaper: VmRSS, RssAnon, RssFileShmem)", false },
	{ "stdout_max", OPT_SIZE, offsetof(struct scen_main, record_stdout_max), "64M", 4096, 1ULL << 40, NULL,
	  "bytes kept of each <workload>.stdout; the rest is counted (run.json: stdout_bytes, stdout_truncated)", false },
	{ "reports_max", OPT_SIZE, offsetof(struct scen_main, record_reports_max), "64M", 4096, 1ULL << 40, NULL,
	  "bytes of reports.jsonl per workload; later records are dropped and counted (run.json: report_dropped_bytes)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const char *const cgroup_versions[] = { "v2", "v1", NULL };

static const struct opt machine_opts[] = {
	{ "kernel", OPT_STRING, offsetof(struct scen_main, machine_kernel), NULL, 0, 0, NULL,
	  "Debian kernel to boot: 6.12, 6.1, a release (6.12.117+deb12-amd64), a package, or IMAGE[:MODROOT]", false },
	{ "memory", OPT_SIZE, offsetof(struct scen_main, machine_memory), "1G", 128ULL << 20, 64ULL << 30, NULL,
	  "the guest's RAM (with numa: their sum, which may be left out)", false },
	{ "cpus", OPT_UINT, offsetof(struct scen_main, machine_cpus), "1", 1, 8, NULL,
	  "virtual CPUs (TCG: one host thread each)", false },
	{ "numa", OPT_STRING, offsetof(struct scen_main, machine_numa), NULL, 0, 0, NULL,
	  "NUMA node sizes, e.g. 512M,512M (default: one node)", false },
	{ "swap", OPT_STRING, offsetof(struct scen_main, machine_swap), "none", 0, 0, NULL,
	  "none, disk:SIZE (a virtio disk) or zram:SIZE", false },
	{ "cgroup", OPT_ENUM, offsetof(struct scen_main, machine_cgroup), "v2", 0, 0, cgroup_versions,
	  "cgroup version in the guest", false },
	{ "timeout", OPT_DURATION, offsetof(struct scen_main, machine_timeout_ms), "0", 0, 24ULL * 3600 * 1000, NULL,
	  "bound on each guest run from the moment it booted; 0: 1 min plus the scenario's timeout", false },
	{ "boot_timeout", OPT_DURATION, offsetof(struct scen_main, machine_boot_timeout_ms), "5m", 1000, 24ULL * 3600 * 1000, NULL,
	  "bound on booting the guest (up to /init's boot marker)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

enum section_kind { SEC_OPTS, SEC_CGROUP, SEC_SYSCTL, SEC_WORKLOAD };

static const struct section_def {
	const char *name;
	enum section_kind kind;
	const struct opt *opts;
} sections[] = {
	{ "scenario", SEC_OPTS, scenario_opts },
	{ "prepare", SEC_OPTS, prepare_opts },
	{ "swap", SEC_OPTS, swap_opts },
	{ "record", SEC_OPTS, record_opts },
	{ "machine", SEC_OPTS, machine_opts },
	{ "cgroup", SEC_CGROUP, NULL },
	{ "sysctl", SEC_SYSCTL, NULL },
	{ "workload", SEC_WORKLOAD, NULL }, /* "[workload NAME]" */
};

static const struct section_def *section_find(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		bool wl = sections[i].kind == SEC_WORKLOAD && strncmp(s, "workload", 8) == 0 && (!s[8] || s[8] == ' ');
		if (wl || strcmp(s, sections[i].name) == 0)
			return &sections[i];
	}
	return NULL;
}

/* Earlier setting with the same section and key, for duplicate detection. */
static const struct setting *earlier(const struct scenario *sc, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(sc->set[k].section, sc->set[i].section) == 0 && strcmp(sc->set[k].key, sc->set[i].key) == 0)
			return &sc->set[k];
	return NULL;
}

static void check_opts_section(struct scenario *sc, struct diags *d, const struct setting *s, const struct opt *tab)
{
	const struct opt *o = opt_find(tab, s->key);
	char err[256];
	if (!o) {
		const char *sug = opt_suggest(tab, s->key);
		diags_add(d, s->line, s->section, s->key, "unknown key%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : "");
		return;
	}
	if (opt_set(o, &sc->m, s->value, 0, err, sizeof(err)) < 0)
		diags_add(d, s->line, s->section, s->key, "%s", err);
}

static void check_cgroup(struct scenario *sc, struct diags *d, const struct setting *s, const struct scen_target *t)
{
	const struct cg_knob *k = cg_knob_find(s->key);
	if (!k || !k->settable) {
		const char *sug = cg_knob_suggest(s->key);
		diags_add(d, s->line, s->section, s->key, "unknown key%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : " (settable: memory.max, memory.high, memory.low, memory.min, "
					      "memory.swap.max, memory.swappiness, memory.oom.group)");
		return;
	}
	const char *why = NULL;
	const char *file = cg_file(t->cgv, k->name, &why);
	if (!file) {
		diags_add(d, s->line, s->section, s->key, "not available on cgroup %s here: %s", cg_version_name(t->cgv), why);
		return;
	}
	if (t->cgv == CG_V1 && strcmp(k->name, "memory.swap.max") == 0 && !t->memsw) {
		diags_add(d, s->line, s->section, s->key,
			  "not available here: the kernel has no swap accounting (memory.memsw.* missing; boot with swapaccount=1)");
		return;
	}
	struct scen_cg *c = &sc->cg[sc->ncg];
	if (sc->ncg >= ARRAY_SIZE(sc->cg))
		return;
	c->knob = k;
	c->file = file;
	c->line = s->line;
	c->bytes = -1;
	switch (k->kind) {
	case CGV_BYTES_OR_MAX: {
		uint64_t v;
		if (strcmp(s->value, "max") == 0) {
			c->value = xstrdup(t->cgv == CG_V1 ? "-1" : "max");
			break;
		}
		int r = parse_size(s->value, &v);
		if (r < 0 || v > (uint64_t)INT64_MAX / 2) {
			diags_add(d, s->line, s->section, s->key, "expected a size such as 64M or 1G, or max; got '%s'", s->value);
			return;
		}
		c->bytes = (long long)v;
		c->value = xasprintf("%llu", (unsigned long long)v);
		break;
	}
	case CGV_INT:
	case CGV_BOOL: {
		long long v = 0;
		bool ok;
		if (k->kind == CGV_BOOL) {
			bool b = false;
			ok = parse_bool(s->value, &b) == 0;
			v = b;
		} else {
			char *end;
			v = strtoll(s->value, &end, 10);
			ok = isdigit((unsigned char)s->value[0]) && !*end && v >= k->min && v <= k->max;
		}
		if (!ok) {
			diags_add(d, s->line, s->section, s->key, "expected %s, got '%s'",
				  k->kind == CGV_BOOL ? "0 or 1 (yes/no)" : "a whole number 0..200", s->value);
			return;
		}
		c->value = xasprintf("%lld", v);
		break;
	}
	}
	if (strcmp(k->name, "memory.max") == 0)
		sc->memory_max = c->bytes;
	sc->ncg++;
}

static void check_sysctl(struct scenario *sc, struct diags *d, const struct setting *s, const struct scen_target *t)
{
	const struct sysctl_def *def = sysctl_find(s->key);
	char err[256];
	long long v;
	static const char *const actions[][2] = {
		{ "vm.drop_caches", "drop_caches" },
		{ "vm.compact_memory", "compact_memory" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(s->key, actions[i][0]) == 0) {
			diags_add(d, s->line, s->section, s->key, "an action, not a setting: use [prepare] %s = yes", actions[i][1]);
			return;
		}
	}
	if (!def) {
		const char *sug = sysctl_suggest(s->key);
		diags_add(d, s->line, s->section, s->key, "not a sysctl mph may set%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : "; see `mph run --help` for the list");
		return;
	}
	if (def->guest_only && !t->guest) {
		diags_add(d, s->line, s->section, s->key,
			  "only in a guest ([machine] section or --kernel): on this host it would take the machine down");
		return;
	}
	if (sysctl_check(def, s->value, &v, err, sizeof(err)) < 0) {
		diags_add(d, s->line, s->section, s->key, "%s", err);
		return;
	}
	sc->sysctl = xrealloc(sc->sysctl, (sc->nsysctl + 1) * sizeof(*sc->sysctl));
	sc->sysctl[sc->nsysctl++] = (struct scen_sysctl){ def, xasprintf("%lld", v), s->line };
}

static void check_workload(struct scenario *sc, struct diags *d, const struct collect *c, const char *section,
			   const struct scen_target *t)
{
	const char *name = section + 8;
	int hline = header_line(c, section);
	while (*name == ' ')
		name++;
	if (!*name) {
		diags_add(d, hline, section, NULL, "a workload section needs a name: [workload NAME]");
		return;
	}
	const struct setting *type = NULL;
	for (size_t i = 0; i < sc->nset && !type; i++) /* a second one is reported as set twice */
		if (strcmp(sc->set[i].section, section) == 0 && strcmp(sc->set[i].key, "type") == 0)
			type = &sc->set[i];
	if (!type) {
		diags_add(d, hline, section, "type", "missing: every workload needs type = <workload>");
		return;
	}
	const struct workload *w = workload_find(type->value);
	if (!w) {
		const char *names[32];
		size_t n = workload_names(names, ARRAY_SIZE(names));
		const char *sug = nearest_name(type->value, names, n);
		diags_add(d, type->line, section, "type", "no workload called '%s'%s%s%s", type->value,
			  sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
		return;
	}
	struct scen_wl wl = { xstrdup(name), w, hline, NULL, 0 };
	void *cfg = xcalloc(1, w->cfg_size);
	struct wl_common common = { 0 };
	(void)opt_defaults(w->opts, cfg);
	wl.argv = xcalloc(sc->nset + 1, sizeof(char *));
	uint64_t base = sc->memory_max > 0 ? (uint64_t)sc->memory_max : 0;
	bool bad = false;
	for (size_t i = 0; i < sc->nset; i++) {
		const struct setting *s = &sc->set[i];
		if (strcmp(s->section, section) != 0 || strcmp(s->key, "type") == 0)
			continue;
		const struct opt *o = opt_find(w->opts, s->key);
		char err[256];
		void *target = cfg;
		if (!o && strcmp(s->key, "report-fd") == 0) {
			diags_add(d, s->line, section, s->key, "set by mph (the report goes to mph on descriptor 3)");
			bad = true;
			continue;
		}
		if (!o && (o = opt_find(wl_common_opts, s->key)))
			target = &common;
		if (!o) {
			const char *sug = opt_suggest(w->opts, s->key);
			diags_add(d, s->line, section, s->key, "unknown option of workload %s%s%s%s", w->name,
				  sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
			bad = true;
			continue;
		}
		if (opt_set(o, target, s->value, base, err, sizeof(err)) < 0 ||
		    (target == &common && o->type == OPT_STRING &&
		     (t->nodes ? wl_check_nodes_n(o->name, s->value, t->nodes, err, sizeof(err))
			       : wl_check_nodes(o->name, s->value, err, sizeof(err))) < 0)) {
			diags_add(d, s->line, section, s->key, "%s", err);
			bad = true;
			continue;
		}
		/* percentages are resolved here: the workload gets bytes */
		if (o->type == OPT_SIZE_PCT)
			wl.argv[wl.argc++] = xasprintf("--%s=%llu", o->name,
						       (unsigned long long)*(uint64_t *)((char *)cfg + o->off));
		else
			wl.argv[wl.argc++] = xasprintf("--%s=%s", o->name, s->value);
	}
	for (const struct opt *o = w->opts; o->name; o++) {
		if (!o->required)
			continue;
		bool found = false;
		for (size_t i = 0; i < sc->nset; i++)
			found |= strcmp(sc->set[i].section, section) == 0 && strcmp(sc->set[i].key, o->name) == 0;
		if (!found) {
			diags_add(d, hline, section, o->name, "missing: workload %s requires it", w->name);
			bad = true;
		}
	}
	/* string options own memory */
	for (const struct opt *o = w->opts; o->name; o++)
		if (o->type == OPT_STRING)
			free(*(char **)((char *)cfg + o->off));
	free(common.membind);
	free(common.interleave);
	free(common.preferred);
	free(cfg);
	if (bad) {
		for (size_t i = 0; i < wl.argc; i++)
			free(wl.argv[i]);
		free(wl.argv);
		free(wl.name);
		return;
	}
	sc->wl = xrealloc(sc->wl, (sc->nwl + 1) * sizeof(*sc->wl));
	sc->wl[sc->nwl++] = wl;
}

static const struct setting *find_setting(const struct scenario *sc, const char *section, const char *key)
{
	for (size_t i = 0; i < sc->nset; i++)
		if (strcmp(sc->set[i].section, section) == 0 && (!*key || strcmp(sc->set[i].key, key) == 0))
			return &sc->set[i];
	return NULL;
}

/* --vm key=value: replaces the file's [machine] key, or adds it (line 0). */
static void apply_machine_set(struct scenario *sc, struct diags *d, const char *const *set)
{
	for (size_t k = 0; set && set[k]; k++) {
		const char *eq = strchr(set[k], '=');
		if (!eq || eq == set[k]) {
			diags_add(d, SET_CMDLINE, NULL, NULL, "'%s': expected KEY=VALUE, such as memory=2G", set[k]);
			continue;
		}
		char *key = strndup(set[k], (size_t)(eq - set[k]));
		struct setting *s = (struct setting *)find_setting(sc, "machine", key);
		if (s) {
			free(s->value);
			s->value = xstrdup(eq + 1);
			s->line = SET_CMDLINE;
			free(key);
			continue;
		}
		sc->set = xrealloc(sc->set, (sc->nset + 1) * sizeof(*sc->set));
		sc->set[sc->nset++] = (struct setting){ xstrdup("machine"), key, xstrdup(eq + 1), SET_CMDLINE };
	}
}

/* [machine] numa and swap are lists and tagged sizes: parsed here, after opt_set. */
static void check_machine(struct scenario *sc, struct diags *d, const struct collect *c)
{
	struct scen_main *m = &sc->m;
	sc->machine_line = header_line(c, "machine");
	sc->machine = sc->machine_line > 0 || find_setting(sc, "machine", "") != NULL;
	if (!sc->machine)
		return;
	const struct setting *mem = find_setting(sc, "machine", "memory");
	if (mem && m->machine_memory % (1ULL << 20))
		diags_add(d, mem->line, "machine", "memory", "must be whole MiB (qemu's unit), got '%s'", mem->value);
	const struct setting *s = find_setting(sc, "machine", "numa");
	if (m->machine_numa) {
		uint64_t sum = 0;
		const char *nl = m->machine_numa;
		if (!*nl || *nl == ',' || nl[strlen(nl) - 1] == ',' || strstr(nl, ",,"))
			diags_add(d, s->line, "machine", "numa", "an empty node size in '%s'", nl);
		char *copy = xstrdup(m->machine_numa), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			uint64_t v;
			if (sc->nnuma == MACHINE_MAX_NODES) {
				diags_add(d, s->line, "machine", "numa", "at most %d nodes", MACHINE_MAX_NODES);
				break;
			}
			if (parse_size(strtrim(tok), &v) < 0 || v < (64ULL << 20) || v % (1ULL << 20)) {
				diags_add(d, s->line, "machine", "numa",
					  "expected node sizes of at least 64M in whole MiB, separated by commas, such as 512M,512M; got '%s'", tok);
				sc->nnuma = 0;
				break;
			}
			sc->numa[sc->nnuma++] = v;
			sum += v;
		}
		free(copy);
		if (sc->nnuma && mem && sum != m->machine_memory)
			diags_add(d, s->line, "machine", "numa", "the nodes add up to %llu MiB, memory (line %d) is %llu MiB",
				  (unsigned long long)(sum >> 20), mem->line, (unsigned long long)(m->machine_memory >> 20));
		else if (sc->nnuma && (sum < (128ULL << 20) || sum > (64ULL << 30)))
			diags_add(d, s->line, "machine", "numa", "the nodes add up to %llu MiB: a guest has 128 MiB to 64 GiB",
				  (unsigned long long)(sum >> 20));
		else if (sc->nnuma)
			m->machine_memory = sum;
	}
	s = find_setting(sc, "machine", "swap");
	const char *sw = m->machine_swap, *colon = strchr(sw, ':');
	sc->swap_kind = MSWAP_NONE;
	if (strcmp(sw, "none") != 0) {
		uint64_t v = 0;
		bool disk = colon && colon - sw == 4 && strncmp(sw, "disk", 4) == 0;
		bool zram = colon && colon - sw == 4 && strncmp(sw, "zram", 4) == 0;
		if ((!disk && !zram) || parse_size(colon + 1, &v) < 0 || v < (16ULL << 20) || v > (64ULL << 30)) {
			diags_add(d, s ? s->line : sc->machine_line, "machine", "swap",
				  "expected none, disk:SIZE or zram:SIZE with SIZE 16M..64G; got '%s'", sw);
		} else {
			sc->swap_kind = disk ? MSWAP_DISK : MSWAP_ZRAM;
			sc->swap_dev_size = v;
		}
	}
}

static void check_cross(struct scenario *sc, struct diags *d, const struct collect *c, const struct scen_target *t)
{
	/* memory.swap.max on v1 means memsw = memory.max + swap allowance */
	for (size_t i = 0; i < sc->ncg; i++) {
		struct scen_cg *g = &sc->cg[i];
		if (strcmp(g->knob->name, "memory.swap.max") != 0 || t->cgv != CG_V1 || g->bytes < 0)
			continue;
		if (sc->memory_max < 0) {
			diags_add(d, g->line, "cgroup", g->knob->name,
				  "on cgroup v1 memory.swap.max needs memory.max (v1 limits memory+swap together)");
			continue;
		}
		free(g->value);
		g->value = xasprintf("%lld", sc->memory_max + g->bytes);
	}
	if (t->guest && sc->m.swap_size) {
		const struct setting *s = find_setting(sc, "swap", "size");
		diags_add(d, s ? s->line : header_line(c, "swap"), "swap", "size",
			  "a swap file cannot be used in a guest (its root is a RAM disk): use [machine] swap = disk:SIZE");
	}
	if (sc->m.duration_ms && sc->m.duration_ms != DURATION_FOREVER && sc->m.timeout_ms <= sc->m.duration_ms) {
		const struct setting *s = NULL;
		for (size_t i = 0; i < sc->nset; i++)
			if (strcmp(sc->set[i].section, "scenario") == 0 && strcmp(sc->set[i].key, "timeout") == 0)
				s = &sc->set[i];
		diags_add(d, s ? s->line : header_line(c, "scenario"), "scenario", "timeout",
			  "must be longer than duration (the timeout is the hard limit after it)");
	}
	bool any_wl = false;
	for (size_t h = 0; h < c->nhdr; h++)
		any_wl |= strncmp(c->hdr[h].name, "workload", 8) == 0;
	if (!any_wl)
		diags_add(d, 0, NULL, NULL, "no [workload NAME] section: a scenario needs at least one workload");
}

int scenario_load(const char *path, const struct scen_target *t, struct scenario *sc, struct diags *d)
{
	memset(sc, 0, sizeof(*sc));
	memset(d, 0, sizeof(*d));
	sc->file = xstrdup(path);
	sc->memory_max = -1;
	d->file = xstrdup(path);
	struct collect c = { .sc = sc, .d = d };
	c.f = fopen(path, "re");
	if (!c.f)
		return -errno;
	ini_allow_multiline = false;
	int syn = ini_parse_stream(reader, &c, handler, &c);
	fclose(c.f);
	bool seen = false; /* classify_line() should have caught inih's first error */
	for (size_t i = 0; i < d->n; i++)
		seen |= d->v[i].line == syn;
	if (syn > 0 && !seen)
		diags_add(d, syn, NULL, NULL, "syntax error");

	if (opt_defaults(scenario_opts, &sc->m) < 0 || opt_defaults(prepare_opts, &sc->m) < 0 ||
	    opt_defaults(swap_opts, &sc->m) < 0 || opt_defaults(record_opts, &sc->m) < 0 ||
	    opt_defaults(machine_opts, &sc->m) < 0)
		return -EINVAL;

	apply_machine_set(sc, d, t->machine_set);
	/* every section header once: unknown ones are reported at their header */
	for (size_t h = 0; h < c.nhdr; h++) {
		const char *name = c.hdr[h].name;
		if (header_line(&c, name) != c.hdr[h].line || section_find(name))
			continue;
		static const char *const names[] = { "scenario", "prepare", "swap", "record", "machine", "cgroup", "sysctl", "workload" };
		const char *sug = nearest_name(name, names, ARRAY_SIZE(names));
		diags_add(d, c.hdr[h].line, name, NULL, "unknown section%s%s%s", sug ? " (did you mean [" : "",
			  sug ? sug : "", sug ? "]?)" : " (known: scenario, prepare, swap, record, machine, cgroup, sysctl, workload NAME)");
	}
	/* then the keys of the fixed sections, so that [cgroup] memory.max is known
	 * to workload sections */
	for (size_t i = 0; i < sc->nset; i++) {
		const struct setting *s = &sc->set[i];
		const struct setting *dup = earlier(sc, i);
		/* run.json carries every setting: it must be text JSON can hold */
		json_t *probe = json_pack("{s:s, s:s, s:s}", "s", s->section, "k", s->key, "v", s->value);
		if (!probe) {
			diags_add(d, s->line, NULL, NULL, "not valid UTF-8 text");
			continue;
		}
		json_decref(probe);
		if (dup) {
			diags_add(d, s->line, s->section, s->key, "set twice (first at line %d)", dup->line);
			continue;
		}
		if (!*s->section) {
			diags_add(d, s->line, NULL, s->key, "key outside any section (start with [scenario])");
			continue;
		}
		const struct section_def *sd = section_find(s->section);
		if (!sd)
			continue; /* reported at its header */
		switch (sd->kind) {
		case SEC_OPTS:
			check_opts_section(sc, d, s, sd->opts);
			break;
		case SEC_CGROUP:
			check_cgroup(sc, d, s, t);
			break;
		case SEC_SYSCTL:
			check_sysctl(sc, d, s, t);
			break;
		case SEC_WORKLOAD:
			break;
		}
	}
	/* then each workload section once, keys or not */
	for (size_t h = 0; h < c.nhdr; h++) {
		const char *name = c.hdr[h].name;
		const struct section_def *sd = section_find(name);
		if (sd && sd->kind == SEC_WORKLOAD && header_line(&c, name) == c.hdr[h].line)
			check_workload(sc, d, &c, name, t);
	}
	if (sc->m.name) {
		const char *nm = sc->m.name;
		bool ok = *nm && *nm != '.' && strlen(nm) <= 100;
		for (const char *p = nm; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || strchr("._-", *p);
		if (!ok) {
			int line = 0;
			for (size_t i = 0; i < sc->nset; i++)
				if (strcmp(sc->set[i].section, "scenario") == 0 && strcmp(sc->set[i].key, "name") == 0)
					line = sc->set[i].line;
			diags_add(d, line, "scenario", "name",
				  "'%s' names a results directory: letters, digits, '.', '_' and '-' only, not starting with '.'", nm);
		}
	}
	if (!sc->m.name) {
		const char *b = strrchr(path, '/');
		char *n = xstrdup(b ? b + 1 : path), *dot = strrchr(n, '.');
		if (dot && strcmp(dot, ".ini") == 0)
			*dot = '\0';
		sc->m.name = n;
	}
	check_machine(sc, d, &c);
	check_cross(sc, d, &c, t);
	for (size_t i = 0; i < c.nhdr; i++)
		free(c.hdr[i].name);
	free(c.hdr);
	if (d->n) {
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
		return -EINVAL;
	}
	return 0;
}

void scenario_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->ncg; i++)
		free(sc->cg[i].value);
	for (size_t i = 0; i < sc->nsysctl; i++)
		free(sc->sysctl[i].value);
	free(sc->sysctl);
	for (size_t i = 0; i < sc->nwl; i++) {
		for (size_t k = 0; k < sc->wl[i].argc; k++)
			free(sc->wl[i].argv[k]);
		free(sc->wl[i].argv);
		free(sc->wl[i].name);
	}
	free(sc->wl);
	for (size_t i = 0; i < sc->nset; i++) {
		free(sc->set[i].section);
		free(sc->set[i].key);
		free(sc->set[i].value);
	}
	free(sc->set);
	free(sc->m.name);
	free(sc->m.description);
	free(sc->m.machine_kernel);
	free(sc->m.machine_numa);
	free(sc->m.machine_swap);
	free(sc->file);
	memset(sc, 0, sizeof(*sc));
}

/* The scenario as run.json carries it: file, name, this repeat, every setting. */
json_t *scenario_json(const struct scenario *sc, unsigned rep)
{
	json_t *set = json_array();
	for (size_t i = 0; i < sc->nset; i++)
		json_array_append_new(set, json_pack("{s:s, s:s, s:s, s:i}", "section", sc->set[i].section, "key",
						     sc->set[i].key, "value", sc->set[i].value, "line", sc->set[i].line));
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:I}", "file", sc->file, "name", sc->m.name, "description",
			      sc->m.description ? sc->m.description : "", "repeat", rep, "repeats", (json_int_t)sc->m.repeat);
	json_object_set_new(j, "duration_ms", sc->m.duration_ms == DURATION_FOREVER ? json_null() : json_integer((json_int_t)sc->m.duration_ms));
	json_object_set_new(j, "timeout_ms", sc->m.timeout_ms == DURATION_FOREVER ? json_null() : json_integer((json_int_t)sc->m.timeout_ms));
	json_object_set_new(j, "settings", set);
	return j;
}
