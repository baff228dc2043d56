/* plot.c - the data of mph's plots (plot.h): a run's timeline from samples.csv,
 * processes.csv and events.jsonl, a plan's sweep and kernel plots from its jobs'
 * run.json. What is computed here - per-second rates of counters, the stack of the
 * memory composition, the largest processes, the means over repeats - goes to gnuplot
 * as datablocks and variables; how it is drawn is in the templates
 * (harness/report/plots/). Columns are found by the names in the files' headers, so a
 * kernel or cgroup version without a counter gives a missing series, not a failure. */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../core/schema.h"
#include "../core/units.h"
#include "../core/util.h"
#include "csv.h"
#include "spawn.h"

/* Samples handed to gnuplot per series: a run at 1 ms has 60000 a minute, more than a
 * plot of 960 pixels can show and enough to make an SVG of megabytes. Every k-th
 * sample is kept (the last always); rates are taken between the kept samples, i.e.
 * averaged over the longer interval, so nothing is lost from the totals. */
#define PLOT_MAX_POINTS 1500
#define PLOT_MAX_PROCS 5
#define PLOT_MAX_MARKERS 40
#define PLOT_PANEL_H 250
#define GNUPLOT_TIMEOUT_S 60

extern const char mph_gp_head[], mph_gp_memory[], mph_gp_reclaim[], mph_gp_psi[], mph_gp_refaults[],
	mph_gp_processes[], mph_gp_tail[], mph_gp_sweep[], mph_gp_kernels[], mph_report_css[];
extern const int mph_gp_head_len, mph_gp_memory_len, mph_gp_reclaim_len, mph_gp_psi_len, mph_gp_refaults_len,
	mph_gp_processes_len, mph_gp_tail_len, mph_gp_sweep_len, mph_gp_kernels_len, mph_report_css_len;

static const struct asset {
	const char *name;
	const char *text;
	const int *len;
} assets[] = {
	{ "head.gp", mph_gp_head, &mph_gp_head_len },
	{ "memory.gp", mph_gp_memory, &mph_gp_memory_len },
	{ "reclaim.gp", mph_gp_reclaim, &mph_gp_reclaim_len },
	{ "psi.gp", mph_gp_psi, &mph_gp_psi_len },
	{ "refaults.gp", mph_gp_refaults, &mph_gp_refaults_len },
	{ "processes.gp", mph_gp_processes, &mph_gp_processes_len },
	{ "tail.gp", mph_gp_tail, &mph_gp_tail_len },
	{ "sweep.gp", mph_gp_sweep, &mph_gp_sweep_len },
	{ "kernels.gp", mph_gp_kernels, &mph_gp_kernels_len },
	{ "report.css", mph_report_css, &mph_report_css_len },
};

const char *plot_asset(const char *name, size_t *len)
{
	for (size_t i = 0; i < ARRAY_SIZE(assets); i++)
		if (strcmp(assets[i].name, name) == 0) {
			if (len)
				*len = (size_t)*assets[i].len;
			return assets[i].text;
		}
	return NULL;
}

/* the panels: their names and templates, in stacking order */
static const struct panel {
	const char *name;
	const char *tmpl;
} panels[PANEL_N] = {
	[PANEL_MEMORY] = { "memory", "memory.gp" },
	[PANEL_RECLAIM] = { "reclaim", "reclaim.gp" },
	[PANEL_PSI] = { "psi", "psi.gp" },
	[PANEL_REFAULTS] = { "refaults", "refaults.gp" },
	[PANEL_PROCESSES] = { "processes", "processes.gp" },
};

const char *plot_panel_name(enum plot_panel p)
{
	return p < PANEL_N ? panels[p].name : NULL;
}

int plot_panels_parse(const char *s, unsigned *mask)
{
	unsigned m = 0;
	char *dup = xstrdup(s), *save = dup, *tok;
	int r = 0;
	while ((tok = strsep(&save, ","))) {
		if (strcmp(tok, "all") == 0) {
			m |= PLOT_ALL;
			continue;
		}
		unsigned i;
		for (i = 0; i < PANEL_N && strcmp(tok, panels[i].name) != 0; i++)
			;
		if (i == PANEL_N) {
			r = -EINVAL;
			break;
		}
		m |= 1u << i;
	}
	free(dup);
	if (r == 0 && m)
		*mask = m;
	return r < 0 ? r : m ? 0 : -EINVAL;
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0 && (a == b || s[a - b - 1] == '/');
}

int plot_locate(const char *arg, char **dir, bool *is_plan)
{
	char *d = NULL;
	bool plan = false;
	if (ends_with(arg, "run.json") || ends_with(arg, "plan.json")) {
		if (!is_file(arg))
			return -ENOENT;
		plan = ends_with(arg, "plan.json");
		const char *slash = strrchr(arg, '/');
		d = slash ? xasprintf("%.*s", (int)(slash - arg), arg) : xstrdup(".");
		if (!*d) {
			free(d);
			d = xstrdup("/");
		}
	} else {
		char *pj = xasprintf("%s/plan.json", arg), *rj = xasprintf("%s/run.json", arg),
		     *sc = xasprintf("%s/samples.csv", arg);
		plan = is_file(pj);
		bool run = is_file(rj) || is_file(sc);
		free(pj), free(rj), free(sc);
		if (!plan && !run)
			return -ENOENT;
		d = xstrdup(arg);
	}
	*dir = d;
	*is_plan = plan;
	return 0;
}

/* --- writing gnuplot -------------------------------------------------------------- */

/* s as a gnuplot double-quoted string: backslash and quote escaped, control characters
 * (which no title needs) dropped */
static void gp_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fputc('\\', f), fputc(c, f);
		else if (c >= 0x20 && c != 0x7f)
			fputc(c, f);
	}
	fputc('"', f);
}

static void gp_var(FILE *f, const char *name, const char *s)
{
	fprintf(f, "%s = ", name);
	gp_str(f, s);
	fputc('\n', f);
}

static void gp_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, " %.9g", v);
	else
		fputs(" NaN", f);
}

static void gp_strings(FILE *f, const char *name, char *const *v, size_t n)
{
	fprintf(f, "array %s[%zu]", name, n ? n : 1);
	if (n) {
		fputs(" = [", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputs(", ", f);
			gp_str(f, v[i]);
		}
		fputc(']', f);
	}
	fputc('\n', f);
}

static void gp_template(FILE *f, const char *name)
{
	size_t len = 0;
	const char *t = plot_asset(name, &len);
	if (!t)
		return;
	fwrite(t, 1, len, f);
	if (len && t[len - 1] != '\n')
		fputc('\n', f);
}

static void gp_head(FILE *f, const struct plot_opts *o, unsigned height, const char *title)
{
	gp_var(f, "fmt", o->fmt == PLOT_PNG ? "png" : "svg");
	gp_var(f, "name", o->name ? o->name : "mph");
	fprintf(f, "width = %u\nheight = %u\n", o->width ? o->width : 960, height);
	gp_var(f, "title", title);
}

/* --- a run's timeline ------------------------------------------------------------- */

struct marker {
	double t;
	int kind; /* 1 OOM kill, 2 workload phase, 3 timed action */
	char *label;
};

struct timeline {
	struct csv s;            /* samples.csv: only the columns below */
	json_t *run;             /* run.json, NULL if absent */
	struct marker mk[PLOT_MAX_MARKERS];
	size_t nmk;
	size_t nproc;            /* the largest processes */
	char *proc_name[PLOT_MAX_PROCS];
	const char *proc_scope;
	size_t nslot;            /* rows of the process table */
	double *proc_v;          /* nslot x (1 + 2 * nproc): t, rss, swap, ... */
};

static const char *const sample_cols[] = {
	"t[s]", "cg.usage[bytes]", "cg.stat.*", "cg.swap[bytes]", "cg.memsw.usage[bytes]", "meminfo.*",
	"vmstat.pgscan_*", "vmstat.pgsteal_*", "vmstat.workingset_refault_*", "vmstat.pswpin[n]", "vmstat.pswpout[n]",
	"psi.memory.*", "proc.*",
};

/* a cgroup setting's value as read back (numeric; "max" is none): -1 when unset */
static double cg_setting(const json_t *run, const char *name)
{
	const json_t *set = json_object_get(json_object_get(run, "cgroup"), "settings"), *s;
	size_t i;
	json_array_foreach (set, i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));
		const char *v = json_string_value(json_object_get(s, "read_back"));
		if (!v)
			v = json_string_value(json_object_get(s, "written"));
		if (n && v && strcmp(n, name) == 0) {
			char *end;
			double d = strtod(v, &end);
			/* v1 reports "no limit" as a page-rounded LONG_MAX */
			return end != v && !*end && d < 0x1p60 ? d : -1;
		}
	}
	return -1;
}

static void add_marker(struct timeline *tl, double t, int kind, char *label)
{
	if (!isfinite(t) || tl->nmk == PLOT_MAX_MARKERS) {
		free(label);
		return;
	}
	tl->mk[tl->nmk++] = (struct marker){ t, kind, label };
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* "pid -> comm" from events.jsonl's process_new, for processes.csv's pids */
struct pidname {
	long pid;
	char *comm;
};

/* The markers (OOM kills first, so a flood of phases cannot push them out), and the
 * names of processes. A line that is not JSON is skipped: the file may end in a line
 * cut short by a killed mph. */
static void read_events(struct timeline *tl, const char *dir, struct pidname **names, size_t *nnames)
{
	char *path = xasprintf("%s/events.jsonl", dir);
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	json_t *later[PLOT_MAX_MARKERS];
	size_t nlater = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *e = json_loads(line, 0, NULL);
		const char *type = jstr(e, "type");
		double t = json_number_value(json_object_get(e, "t"));
		if (!type) {
			json_decref(e);
			continue;
		}
		if (strcmp(type, "oom_kill") == 0 && !json_is_true(json_object_get(e, "elsewhere"))) {
			add_marker(tl, t, 1,
				   xasprintf("OOM kill: %s %lld", jstr(e, "comm") ? jstr(e, "comm") : "?",
					     (long long)json_integer_value(json_object_get(e, "pid"))));
		} else if (strcmp(type, "process_new") == 0 && jstr(e, "comm")) {
			*names = xrealloc(*names, (*nnames + 1) * sizeof(**names));
			(*names)[(*nnames)++] = (struct pidname){ (long)json_integer_value(json_object_get(e, "pid")),
								  xstrdup(jstr(e, "comm")) };
		} else if ((strcmp(type, "workload_phase") == 0 || strncmp(type, "action", 6) == 0 ||
			    strstr(type, "_action")) && nlater < ARRAY_SIZE(later)) {
			later[nlater++] = json_incref(e);
		}
		json_decref(e);
	}
	for (size_t i = 0; i < nlater; i++) {
		json_t *e = later[i];
		double t = json_number_value(json_object_get(e, "t"));
		if (strcmp(jstr(e, "type"), "workload_phase") == 0) {
			const json_t *rec = json_object_get(e, "record");
			const char *ph = jstr(rec, "phase"), *wl = jstr(rec, "workload");
			add_marker(tl, t, 2, xasprintf("%s%s%s%s", ph ? ph : "phase", wl ? " (" : "", wl ? wl : "", wl ? ")" : ""));
		} else {
			/* a timed action: its name under whichever key the writer chose */
			const char *what = jstr(e, "name") ? jstr(e, "name") : jstr(e, "action") ? jstr(e, "action") : jstr(e, "what");
			add_marker(tl, t, 3, xasprintf("%s%s%s", jstr(e, "type"), what ? ": " : "", what ? what : ""));
		}
		json_decref(e);
	}
	free(line);
	fclose(f);
}

static const char *pid_name(const struct pidname *names, size_t n, long pid)
{
	for (size_t i = n; i-- > 0;)
		if (names[i].pid == pid)
			return names[i].comm;
	return NULL;
}

/* the rows kept: every stride-th and the last */
static size_t stride_of(size_t n)
{
	return n > PLOT_MAX_POINTS ? (n + PLOT_MAX_POINTS - 1) / PLOT_MAX_POINTS : 1;
}

/* processes.csv (long format: a row per process and sample) into the largest
 * processes' series; else the workloads' own columns of samples.csv. */
static void read_processes(struct timeline *tl, const char *dir, const struct pidname *names, size_t nnames)
{
	char *path = xasprintf("%s/processes.csv", dir);
	struct csv p = { 0 };
	int r = csv_load(path, NULL, 0, &p);
	free(path);
	int ct = csv_col(&p, "t[s]"), cp = csv_col(&p, "pid"), cr = csv_col(&p, "rss[bytes]"), cs = csv_col(&p, "swap[bytes]");
	if (r == 0 && ct >= 0 && cp >= 0 && cr >= 0 && p.nrow) {
		/* the largest by peak RSS */
		long top[PLOT_MAX_PROCS];
		double peak[PLOT_MAX_PROCS];
		size_t n = 0;
		long *pids = NULL;
		double *peaks = NULL;
		size_t np = 0;
		for (size_t i = 0; i < p.nrow; i++) {
			double pid = csv_at(&p, i, cp), rss = csv_at(&p, i, cr);
			if (!isfinite(pid))
				continue;
			size_t k;
			for (k = 0; k < np && pids[k] != (long)pid; k++)
				;
			if (k == np) {
				pids = xrealloc(pids, (np + 1) * sizeof(*pids));
				peaks = xrealloc(peaks, (np + 1) * sizeof(*peaks));
				pids[np] = (long)pid, peaks[np++] = 0;
			}
			if (isfinite(rss) && rss > peaks[k])
				peaks[k] = rss;
		}
		for (size_t k = 0; k < np; k++) {
			size_t j = n < PLOT_MAX_PROCS ? n++ : PLOT_MAX_PROCS;
			if (j == PLOT_MAX_PROCS) {
				if (peaks[k] <= peak[PLOT_MAX_PROCS - 1])
					continue;
				j = PLOT_MAX_PROCS - 1;
			}
			for (; j > 0 && peak[j - 1] < peaks[k]; j--)
				top[j] = top[j - 1], peak[j] = peak[j - 1];
			top[j] = pids[k], peak[j] = peaks[k];
		}
		free(pids);
		free(peaks);
		/* one slot per sample time (the rows of one sample share its t) */
		size_t nslot = 0;
		for (size_t i = 0; i < p.nrow; i++)
			if (i == 0 || csv_at(&p, i, ct) != csv_at(&p, i - 1, ct))
				nslot++;
		size_t w = 1 + 2 * n, stride = stride_of(nslot), kept = 0, slot = 0;
		double *v = xcalloc((nslot / stride + 2) * w, sizeof(double));
		double *row = NULL;
		for (size_t i = 0; i < p.nrow; i++) {
			if (i == 0 || csv_at(&p, i, ct) != csv_at(&p, i - 1, ct)) {
				bool keep = slot % stride == 0 || slot == nslot - 1;
				slot++;
				row = NULL;
				if (!keep)
					continue;
				row = v + kept++ * w;
				row[0] = csv_at(&p, i, ct);
				for (size_t k = 1; k < w; k++)
					row[k] = NAN;
			}
			if (!row)
				continue;
			for (size_t k = 0; k < n; k++)
				if ((long)csv_at(&p, i, cp) == top[k]) {
					row[1 + 2 * k] = csv_at(&p, i, cr);
					row[2 + 2 * k] = csv_at(&p, i, cs);
				}
		}
		for (size_t k = 0; k < n; k++) {
			const char *comm = pid_name(names, nnames, top[k]);
			tl->proc_name[k] = comm ? xasprintf("%s %ld", comm, top[k]) : xasprintf("pid %ld", top[k]);
		}
		tl->nproc = n, tl->nslot = kept, tl->proc_v = v;
		tl->proc_scope = "processes.csv";
		csv_free(&p);
		return;
	}
	csv_free(&p);
	/* the workloads' columns: proc.NAME.VmRSS[bytes] (and VmSwap) */
	const struct csv *s = &tl->s;
	int cols[PLOT_MAX_PROCS][2];
	double peak[PLOT_MAX_PROCS];
	size_t n = 0;
	for (size_t c = 0; c < s->ncol; c++) {
		const char *nm = s->name[c];
		size_t l = strlen(nm);
		if (strncmp(nm, "proc.", 5) != 0 || l < 18 || strcmp(nm + l - 13, ".VmRSS[bytes]") != 0)
			continue;
		double pk = 0;
		for (size_t i = 0; i < s->nrow; i++)
			if (isfinite(csv_at(s, i, (int)c)) && csv_at(s, i, (int)c) > pk)
				pk = csv_at(s, i, (int)c);
		size_t j = n < PLOT_MAX_PROCS ? n++ : PLOT_MAX_PROCS - 1;
		if (j == PLOT_MAX_PROCS - 1 && n == PLOT_MAX_PROCS && pk <= peak[j])
			continue;
		if (tl->proc_name[j])
			free(tl->proc_name[j]);
		for (; j > 0 && peak[j - 1] < pk; j--) {
			cols[j][0] = cols[j - 1][0], cols[j][1] = cols[j - 1][1], peak[j] = peak[j - 1];
			tl->proc_name[j] = tl->proc_name[j - 1];
		}
		char *base = xasprintf("%.*s", (int)(l - 13), nm);
		char *sw = xasprintf("%s.VmSwap[bytes]", base);
		cols[j][0] = (int)c, cols[j][1] = csv_col(s, sw), peak[j] = pk;
		tl->proc_name[j] = xstrdup(base + 5);
		free(base), free(sw);
	}
	if (!n)
		return;
	size_t w = 1 + 2 * n, stride = stride_of(s->nrow), kept = 0;
	int ct2 = csv_col(s, "t[s]");
	double *v = xcalloc((s->nrow / stride + 2) * w, sizeof(double));
	for (size_t i = 0; i < s->nrow; i++) {
		if (i % stride && i != s->nrow - 1)
			continue;
		double *row = v + kept++ * w;
		row[0] = csv_at(s, i, ct2);
		for (size_t k = 0; k < n; k++)
			row[1 + 2 * k] = csv_at(s, i, cols[k][0]), row[2 + 2 * k] = csv_at(s, i, cols[k][1]);
	}
	tl->nproc = n, tl->nslot = kept, tl->proc_v = v;
	tl->proc_scope = "the workloads, samples.csv";
}

static void timeline_free(struct timeline *tl)
{
	csv_free(&tl->s);
	json_decref(tl->run);
	for (size_t i = 0; i < tl->nmk; i++)
		free(tl->mk[i].label);
	for (size_t i = 0; i < PLOT_MAX_PROCS; i++)
		free(tl->proc_name[i]);
	free(tl->proc_v);
}

/* a sample's value of the first of the columns that the run has */
static int first_col(const struct csv *s, const char *const *names)
{
	for (; *names; names++) {
		int c = csv_col(s, *names);
		if (c >= 0)
			return c;
	}
	return -1;
}

#define COLS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The last row in [lo, row] that has col, or -1 (a slow source's cells are empty
 * between its reads) */
static long measured_at(const struct csv *s, int col, size_t row, size_t lo)
{
	for (long i = (long)row; i >= (long)lo; i--)
		if (isfinite(csv_at(s, (size_t)i, col)))
			return i;
	return -1;
}

/* The counter's rate between its last reads at or before rows a and b: NAN when it
 * was not read after a (searched back from a only then: linear over a whole plot) */
static double rate(const struct csv *s, int col, size_t a, size_t b, int ct)
{
	long rb = col < 0 || b <= a ? -1 : measured_at(s, col, b, a + 1), ra = rb < 0 ? -1 : measured_at(s, col, a, 0);
	if (ra < 0)
		return NAN;
	double dt = csv_at(s, (size_t)rb, ct) - csv_at(s, (size_t)ra, ct);
	double d = csv_at(s, (size_t)rb, col) - csv_at(s, (size_t)ra, col);
	return dt > 0 && isfinite(d) ? d / dt : NAN;
}

/* Σ of columns at a row: NAN if a required one is missing or empty; optional ones
 * (opt) count as 0 when the kernel lacks them */
static double col_sum(const struct csv *s, size_t row, const int *cols, size_t n, const int *opt, size_t nopt)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		double v = csv_at(s, row, cols[i]);
		if (!isfinite(v))
			return NAN;
		sum += v;
	}
	for (size_t i = 0; i < nopt; i++) {
		double v = csv_at(s, row, opt[i]);
		if (isfinite(v))
			sum -= v;
	}
	return sum;
}

int plot_timeline_script(const char *run_dir, const struct plot_opts *o, char **script, size_t *len, char *err,
			 size_t errlen)
{
	struct timeline tl = { 0 };
	struct pidname *names = NULL;
	size_t nnames = 0;
	char *path = xasprintf("%s/samples.csv", run_dir);
	int r = csv_load(path, sample_cols, ARRAY_SIZE(sample_cols), &tl.s);
	if (r < 0) {
		set_err(err, errlen, "%s: %s", path, r == -ENOENT ? "no such file (the run recorded nothing)" : strerror(-r));
		free(path);
		return r == -ENOENT ? -ENODATA : r;
	}
	free(path);
	const struct csv *s = &tl.s;
	int ct = csv_col(s, "t[s]");
	if (ct < 0 || s->nrow == 0) {
		set_err(err, errlen, "%s/samples.csv: no samples", run_dir);
		timeline_free(&tl);
		return -ENODATA;
	}
	path = xasprintf("%s/run.json", run_dir);
	tl.run = json_load_file(path, 0, NULL);
	free(path);
	read_events(&tl, run_dir, &names, &nnames);
	read_processes(&tl, run_dir, names, nnames);

	/* memory composition: the run cgroup's when it has a limit, else the machine's */
	double max = tl.run ? cg_setting(tl.run, "memory.max") : -1, high = tl.run ? cg_setting(tl.run, "memory.high") : -1;
	int c_usage = csv_col(s, "cg.usage[bytes]");
	if (max < 0 && c_usage >= 0) {
		double lim = csv_at(s, 0, csv_col(s, "cg.stat.hierarchical_memory_limit[n]"));
		max = isfinite(lim) && lim < 0x1p60 ? lim : -1;
	}
	bool cg = c_usage >= 0 && max > 0;
	int c_anon, c_file, c_shmem, c_swap, c_swap_total = -1, c_free = -1, c_buffers = -1, c_memsw = -1, c_total = -1;
	if (cg) {
		c_anon = first_col(s, COLS("cg.stat.anon[n]", "cg.stat.rss[n]"));
		c_file = first_col(s, COLS("cg.stat.file[n]", "cg.stat.cache[n]"));
		c_shmem = csv_col(s, "cg.stat.shmem[n]");
		c_swap = first_col(s, COLS("cg.swap[bytes]", "cg.stat.swap[n]"));
		if (c_swap < 0)
			c_memsw = csv_col(s, "cg.memsw.usage[bytes]");
	} else {
		c_anon = csv_col(s, "meminfo.AnonPages[bytes]");
		c_file = csv_col(s, "meminfo.Cached[bytes]");
		c_buffers = csv_col(s, "meminfo.Buffers[bytes]");
		c_shmem = csv_col(s, "meminfo.Shmem[bytes]");
		c_free = csv_col(s, "meminfo.MemFree[bytes]");
		c_swap_total = csv_col(s, "meminfo.SwapTotal[bytes]");
		c_swap = csv_col(s, "meminfo.SwapFree[bytes]");
		c_total = csv_col(s, "meminfo.MemTotal[bytes]");
		high = -1;
	}
	int c_ks = csv_col(s, "vmstat.pgscan_kswapd[n]"), c_ds = csv_col(s, "vmstat.pgscan_direct[n]");
	int c_kst = csv_col(s, "vmstat.pgsteal_kswapd[n]"), c_dst = csv_col(s, "vmstat.pgsteal_direct[n]");
	int scan_all[2] = { csv_col(s, "vmstat.pgscan_anon[n]"), csv_col(s, "vmstat.pgscan_file[n]") };
	int steal_all[2] = { csv_col(s, "vmstat.pgsteal_anon[n]"), csv_col(s, "vmstat.pgsteal_file[n]") };
	int scan_by[4] = { c_ks, c_ds, csv_col(s, "vmstat.pgscan_khugepaged[n]"), csv_col(s, "vmstat.pgscan_proactive[n]") };
	int steal_by[4] = { c_kst, c_dst, csv_col(s, "vmstat.pgsteal_khugepaged[n]"),
			    csv_col(s, "vmstat.pgsteal_proactive[n]") };
	bool limit_reclaim = scan_all[0] >= 0 && scan_all[1] >= 0 && c_ks >= 0 && c_ds >= 0;
	int c_psome = csv_col(s, "psi.memory.some.total[us]"), c_pfull = csv_col(s, "psi.memory.full.total[us]");
	int c_psome10 = csv_col(s, "psi.memory.some.avg10[%]"), c_pfull10 = csv_col(s, "psi.memory.full.avg10[%]");
	int c_ra = csv_col(s, "cg.stat.workingset_refault_anon[n]"), c_rf = csv_col(s, "cg.stat.workingset_refault_file[n]");
	bool cg_refaults = cg && (c_ra >= 0 || c_rf >= 0);
	if (!cg_refaults)
		c_ra = csv_col(s, "vmstat.workingset_refault_anon[n]"), c_rf = csv_col(s, "vmstat.workingset_refault_file[n]");
	int c_pin = csv_col(s, "vmstat.pswpin[n]"), c_pout = csv_col(s, "vmstat.pswpout[n]");

	unsigned want = o->panels ? o->panels : PLOT_ALL;
	if (!tl.nproc)
		want &= ~(1u << PANEL_PROCESSES);
	unsigned np = 0;
	for (unsigned i = 0; i < PANEL_N; i++)
		np += !!(want & (1u << i));
	if (!np) {
		set_err(err, errlen, "%s: nothing to plot (no processes recorded)", run_dir);
		timeline_free(&tl);
		for (size_t i = 0; i < nnames; i++)
			free(names[i].comm);
		free(names);
		return -ENODATA;
	}

	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	const json_t *scen = json_object_get(tl.run, "scenario");
	char *title = o->title ? xstrdup(o->title)
			       : xasprintf("%s, repeat %lld, %s, kernel %s", jstr(scen, "name") ? jstr(scen, "name") : run_dir,
					   (long long)json_integer_value(json_object_get(scen, "repeat")),
					   jstr(json_object_get(tl.run, "host"), "cgroup") ? jstr(json_object_get(tl.run, "host"), "cgroup") : "cgroup ?",
					   jstr(json_object_get(json_object_get(tl.run, "machine"), "kernel"), "release")
						   ? jstr(json_object_get(json_object_get(tl.run, "machine"), "kernel"), "release")
						   : "?");
	gp_head(f, o, np * PLOT_PANEL_H + (np > 1 ? 40 : 0), title);
	free(title);
	fprintf(f, "npanels = %u\ntmax = %.9g\n", np, csv_at(s, s->nrow - 1, ct));
	fprintf(f, "nmk = %zu\narray mk_t[%zu]", tl.nmk, tl.nmk ? tl.nmk : 1);
	if (tl.nmk) {
		fputs(" = [", f);
		for (size_t i = 0; i < tl.nmk; i++)
			fprintf(f, "%s%.9g", i ? ", " : "", tl.mk[i].t);
		fputs("]\n", f);
		fprintf(f, "array mk_kind[%zu] = [", tl.nmk);
		for (size_t i = 0; i < tl.nmk; i++)
			fprintf(f, "%s%d", i ? ", " : "", tl.mk[i].kind);
		fputs("]\n", f);
		char *labels[PLOT_MAX_MARKERS];
		for (size_t i = 0; i < tl.nmk; i++)
			labels[i] = tl.mk[i].label;
		gp_strings(f, "mk_label", labels, tl.nmk);
	} else {
		fputs("\narray mk_kind[1]\narray mk_label[1]\n", f);
	}
	gp_var(f, "scope", cg ? "the run cgroup" : "the machine (meminfo)");
	gp_var(f, "limit_name", cg ? "memory.max" : "MemTotal");
	fprintf(f, "has_max = %d\nhas_high = %d\nhas_limit_reclaim = %d\n", cg || c_total >= 0, high > 0, limit_reclaim);
	gp_var(f, "psi_scope", "machine-wide");
	gp_var(f, "refault_scope", cg_refaults ? "the run cgroup" : "machine-wide");
	gp_var(f, "proc_scope", tl.proc_scope ? tl.proc_scope : "");
	fprintf(f, "nproc = %zu\n", tl.nproc);
	gp_strings(f, "proc_name", tl.proc_name, tl.nproc);

	fputs("$tl << EOD\nt anon_top file_top shmem_top free_top swap max high kswapd_scan kswapd_steal direct_scan "
	      "direct_steal limit_scan limit_steal psi_some psi_full psi_some10 psi_full10 refault_anon refault_file "
	      "swapin swapout\n",
	      f);
	size_t stride = stride_of(s->nrow), prev = 0;
	for (size_t i = 0; i < s->nrow; i++) {
		if (i % stride && i != s->nrow - 1)
			continue;
		double anon = csv_at(s, i, c_anon), file = csv_at(s, i, c_file), shmem = c_shmem >= 0 ? csv_at(s, i, c_shmem) : 0;
		if (c_buffers >= 0)
			file += csv_at(s, i, c_buffers);
		/* page cache without shmem: v1 cache, v2 file and meminfo Cached include it */
		double fonly = file - shmem;
		if (fonly < 0)
			fonly = 0;
		double swap = csv_at(s, i, c_swap);
		if (!cg)
			swap = csv_at(s, i, c_swap_total) - swap;
		else if (c_memsw >= 0)
			swap = csv_at(s, i, c_memsw) - csv_at(s, i, c_usage);
		double lim = cg ? max : csv_at(s, i, c_total);
		double top1 = anon, top2 = anon + fonly, top3 = top2 + shmem;
		double top4 = cg ? (lim > top3 ? lim : top3) : top3 + csv_at(s, i, c_free);
		fprintf(f, "%.9g", csv_at(s, i, ct));
		gp_num(f, top1), gp_num(f, top2), gp_num(f, top3), gp_num(f, top4), gp_num(f, swap);
		gp_num(f, lim), gp_num(f, high > 0 ? high : NAN);
		bool first = i == 0;
		double ks = first ? NAN : rate(s, c_ks, prev, i, ct), kst = first ? NAN : rate(s, c_kst, prev, i, ct);
		double ds = first ? NAN : rate(s, c_ds, prev, i, ct), dst = first ? NAN : rate(s, c_dst, prev, i, ct);
		double ls = NAN, lst = NAN;
		if (!first && limit_reclaim) {
			double dt = csv_at(s, i, ct) - csv_at(s, prev, ct);
			double a = col_sum(s, i, scan_all, 2, scan_by, 4) - col_sum(s, prev, scan_all, 2, scan_by, 4);
			double b = col_sum(s, i, steal_all, 2, steal_by, 4) - col_sum(s, prev, steal_all, 2, steal_by, 4);
			ls = dt > 0 ? (a > 0 ? a : 0) / dt : NAN;
			lst = dt > 0 && isfinite(b) ? (b > 0 ? b : 0) / dt : NAN;
		}
		gp_num(f, ks), gp_num(f, kst), gp_num(f, ds), gp_num(f, dst), gp_num(f, ls), gp_num(f, lst);
		/* µs stalled per second of wall time, as a percentage */
		gp_num(f, first ? NAN : rate(s, c_psome, prev, i, ct) / 1e4);
		gp_num(f, first ? NAN : rate(s, c_pfull, prev, i, ct) / 1e4);
		gp_num(f, csv_at(s, i, c_psome10)), gp_num(f, csv_at(s, i, c_pfull10));
		gp_num(f, first ? NAN : rate(s, c_ra, prev, i, ct)), gp_num(f, first ? NAN : rate(s, c_rf, prev, i, ct));
		gp_num(f, first ? NAN : rate(s, c_pin, prev, i, ct)), gp_num(f, first ? NAN : rate(s, c_pout, prev, i, ct));
		fputc('\n', f);
		prev = i;
	}
	fputs("EOD\n", f);
	if (tl.nproc) {
		fputs("$procs << EOD\nt", f);
		for (size_t k = 0; k < tl.nproc; k++)
			fprintf(f, " rss%zu swap%zu", k + 1, k + 1);
		fputc('\n', f);
		size_t w = 1 + 2 * tl.nproc;
		for (size_t i = 0; i < tl.nslot; i++) {
			fprintf(f, "%.9g", tl.proc_v[i * w]);
			for (size_t k = 1; k < w; k++)
				gp_num(f, tl.proc_v[i * w + k]);
			fputc('\n', f);
		}
		fputs("EOD\n", f);
	}
	gp_template(f, "head.gp");
	for (unsigned i = 0; i < PANEL_N; i++)
		if (want & (1u << i))
			gp_template(f, panels[i].tmpl);
	gp_template(f, "tail.gp");
	fclose(f);
	*script = buf;
	*len = blen;
	timeline_free(&tl);
	for (size_t i = 0; i < nnames; i++)
		free(names[i].comm);
	free(names);
	return 0;
}

/* --- a plan's sweep and kernels ---------------------------------------------------- */

/* One point: a series (the other keys, the kernel) at one x, over repeats. */
struct cell {
	double sum, sum2;
	size_t n;
};

static int metric_of(const json_t *run, const char *metric, double *v)
{
	struct schema_wl wls[32];
	size_t nwl = 0, i;
	const json_t *w;
	json_array_foreach (json_object_get(run, "workloads"), i, w) {
		if (nwl < ARRAY_SIZE(wls) && jstr(w, "name") && jstr(w, "type"))
			wls[nwl++] = (struct schema_wl){ jstr(w, "name"), jstr(w, "type") };
	}
	struct metric_ref ref;
	char e[256];
	struct mval mv;
	if (schema_resolve(metric, wls, nwl, &ref, e, sizeof(e)) < 0 || schema_value(run, &ref, &mv) < 0 ||
	    mv.kind != MV_NUMBER)
		return -ENOENT;
	*v = mv.num;
	return 0;
}

/* the unit of a metric for an axis title */
static const char *metric_unit(const char *metric)
{
	const struct metric *m = schema_find(metric);
	if (!m) {
		const char *dot = strrchr(metric, '.');
		size_t n;
		const struct metric *all = schema_metrics(&n);
		for (size_t i = 0; dot && i < n; i++)
			if (all[i].wl_type && strcmp(all[i].name, dot + 1) == 0) {
				m = &all[i];
				break;
			}
	}
	return m && m->unit != MU_NONE ? metric_unit_name(m->unit) : NULL;
}

static bool plain_number(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end != s && !*end;
}

/* Points by x value (xs) and series: each a cell over repeats. Small (variants x
 * kernels), so lists searched in order. */
struct gcell {
	size_t xi, si;
	struct cell c;
};

struct grid {
	char **xs, **series;
	size_t nx, ns;
	struct gcell *c;
	size_t nc;
};

static size_t grid_index(char ***v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0)
			return i;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = xstrdup(s);
	return (*n)++;
}

static void grid_add(struct grid *g, const char *x, const char *series, double v)
{
	size_t xi = grid_index(&g->xs, &g->nx, x), si = grid_index(&g->series, &g->ns, series), i;
	for (i = 0; i < g->nc && (g->c[i].xi != xi || g->c[i].si != si); i++)
		;
	if (i == g->nc) {
		g->c = xrealloc(g->c, (g->nc + 1) * sizeof(*g->c));
		g->c[g->nc++] = (struct gcell){ xi, si, { 0, 0, 0 } };
	}
	struct cell *k = &g->c[i].c;
	k->sum += v, k->sum2 += v * v, k->n++;
}

static const struct cell *grid_cell(const struct grid *g, size_t xi, size_t si)
{
	for (size_t i = 0; i < g->nc; i++)
		if (g->c[i].xi == xi && g->c[i].si == si)
			return &g->c[i].c;
	return NULL;
}

static void grid_free(struct grid *g)
{
	for (size_t i = 0; i < g->nx; i++)
		free(g->xs[i]);
	for (size_t i = 0; i < g->ns; i++)
		free(g->series[i]);
	free(g->xs), free(g->series), free(g->c);
}

/* per x: x, its label as written, then per series mean, standard deviation (sample,
 * n - 1; 0 with one repeat) and n */
static void grid_write(FILE *f, const struct grid *g, const char *block, const double *x)
{
	fprintf(f, "%s << EOD\nx label", block);
	for (size_t j = 0; j < g->ns; j++)
		fprintf(f, " m%zu s%zu n%zu", j + 1, j + 1, j + 1);
	fputc('\n', f);
	for (size_t i = 0; i < g->nx; i++) {
		fprintf(f, "%.9g \"", x[i]);
		for (const char *p = g->xs[i]; *p; p++)
			if (*p != '"' && (unsigned char)*p >= 0x20)
				fputc(*p, f);
		fputc('"', f);
		for (size_t j = 0; j < g->ns; j++) {
			const struct cell *c = grid_cell(g, i, j);
			size_t n = c ? c->n : 0;
			double mean = n ? c->sum / (double)n : NAN;
			double var = n > 1 ? (c->sum2 - c->sum * c->sum / (double)n) / (double)(n - 1) : 0;
			gp_num(f, mean), gp_num(f, n ? sqrt(var > 0 ? var : 0) : NAN);
			fprintf(f, " %zu", n);
		}
		fputc('\n', f);
	}
	fputs("EOD\n", f);
}

static json_t *job_run(const char *plan_dir, const json_t *job)
{
	const char *dir = jstr(job, "dir"), *st = jstr(job, "status");
	if (!dir || !st || strcmp(st, "done") != 0)
		return NULL;
	char *p = xasprintf("%s/%s/run.json", plan_dir, dir);
	json_t *run = json_load_file(p, 0, NULL);
	free(p);
	return run;
}

static size_t plan_kernels(const json_t *plan)
{
	char **k = NULL;
	size_t n = 0, i;
	const json_t *j;
	json_array_foreach (json_object_get(plan, "jobs"), i, j)
		grid_index(&k, &n, jstr(j, "kernel") ? jstr(j, "kernel") : "host");
	for (i = 0; i < n; i++)
		free(k[i]);
	free(k);
	return n;
}

/* swept: x = the first axis' value, series = the other keys' values and the kernel;
 * kernels: x = the kernel, series = the variant */
static int plan_grid(const char *plan_dir, const json_t *plan, const char *metric, bool by_kernel, struct grid *g)
{
	const json_t *axes = json_object_get(plan, "axes");
	const char *key = jstr(json_array_get(axes, 0), "key");
	bool several_k = plan_kernels(plan) > 1;
	/* x in the axis' order, every value even without a measurement */
	if (!by_kernel) {
		size_t i;
		const json_t *v;
		json_array_foreach (json_object_get(json_array_get(axes, 0), "values"), i, v)
			if (json_is_string(v))
				grid_index(&g->xs, &g->nx, json_string_value(v));
	}
	size_t i, got = 0;
	const json_t *job;
	json_array_foreach (json_object_get(plan, "jobs"), i, job) {
		const char *kernel = jstr(job, "kernel") ? jstr(job, "kernel") : "host";
		const json_t *keys = json_object_get(job, "keys");
		const char *x = by_kernel ? kernel : jstr(keys, key);
		if (!x)
			continue;
		char *series;
		if (by_kernel) {
			const char *var = jstr(job, "variant");
			series = xstrdup(var && *var ? var : "all");
		} else {
			char *buf = NULL;
			size_t blen = 0;
			FILE *f = open_memstream(&buf, &blen);
			const char *k;
			json_t *v;
			json_object_foreach ((json_t *)keys, k, v) {
				if (strcmp(k, key) == 0 || !json_is_string(v))
					continue;
				const char *shortk = strrchr(k, '.') ? strrchr(k, '.') + 1 : k;
				fprintf(f, "%s%s=%s", blen ? "," : "", shortk, json_string_value(v));
				fflush(f);
			}
			if (several_k)
				fprintf(f, "%s%s", blen ? " " : "", kernel);
			fclose(f);
			series = blen ? buf : (free(buf), xstrdup(metric));
		}
		json_t *run = job_run(plan_dir, job);
		double v;
		if (run && metric_of(run, metric, &v) == 0) {
			grid_add(g, x, series, v);
			got++;
		}
		json_decref(run);
		free(series);
	}
	return got ? 0 : -ENODATA;
}

static int plan_plot(const char *plan_dir, const json_t *plan, const char *metric, const struct plot_opts *o, bool by_kernel,
		     char **script, size_t *len, char *err, size_t errlen)
{
	const json_t *axes = json_object_get(plan, "axes");
	if (!by_kernel && json_array_size(axes) == 0) {
		set_err(err, errlen, "%s: the plan sweeps nothing", plan_dir);
		return -ENODATA;
	}
	if (by_kernel && plan_kernels(plan) < 2) {
		set_err(err, errlen, "%s: the plan ran on one kernel", plan_dir);
		return -ENODATA;
	}
	struct grid g = { 0 };
	if (plan_grid(plan_dir, plan, metric, by_kernel, &g) < 0) {
		set_err(err, errlen, "%s: no done job has a value of %s", plan_dir, metric);
		grid_free(&g);
		return -ENODATA;
	}
	const char *key = jstr(json_array_get(axes, 0), "key");
	/* x: numbers as they are, sizes in MiB, anything else by position */
	double *x = xcalloc(g.nx, sizeof(double));
	bool num = !by_kernel, size = !by_kernel;
	for (size_t i = 0; i < g.nx; i++) {
		uint64_t b;
		num = num && plain_number(g.xs[i], &x[i]);
		size = size && parse_size(g.xs[i], &b) == 0;
	}
	for (size_t i = 0; i < g.nx; i++) {
		uint64_t b = 0;
		if (!num && size)
			(void)parse_size(g.xs[i], &b), x[i] = (double)b / 1048576.0;
		else if (!num)
			x[i] = (double)i;
	}
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	const char *unit = metric_unit(metric);
	char *yname = unit ? xasprintf("%s [%s]", metric, unit) : xstrdup(metric);
	char *title = o->title ? xstrdup(o->title)
			       : by_kernel ? xasprintf("%s: %s across kernels", jstr(plan, "scenario") ? jstr(plan, "scenario") : "", metric)
					   : xasprintf("%s: %s against %s", jstr(plan, "scenario") ? jstr(plan, "scenario") : "", metric,
						       key ? key : "?");
	gp_head(f, o, 420, title);
	gp_var(f, "yname", yname);
	char *xname = !num && size ? xasprintf("%s (MiB)", key) : xstrdup(key ? key : "");
	gp_var(f, "xname", xname);
	fprintf(f, "xcat = %d\nnseries = %zu\n", !num && !size, g.ns);
	gp_strings(f, "series_name", g.series, g.ns);
	grid_write(f, &g, by_kernel ? "$kn" : "$sw", x);
	gp_template(f, by_kernel ? "kernels.gp" : "sweep.gp");
	fclose(f);
	free(yname), free(title), free(xname), free(x);
	grid_free(&g);
	*script = buf;
	*len = blen;
	return 0;
}

int plot_sweep_script(const char *plan_dir, const json_t *plan, const char *metric, const struct plot_opts *o,
		      char **script, size_t *len, char *err, size_t errlen)
{
	return plan_plot(plan_dir, plan, metric, o, false, script, len, err, errlen);
}

int plot_kernels_script(const char *plan_dir, const json_t *plan, const char *metric, const struct plot_opts *o,
			char **script, size_t *len, char *err, size_t errlen)
{
	return plan_plot(plan_dir, plan, metric, o, true, script, len, err, errlen);
}

/* --- gnuplot --------------------------------------------------------------------- */

int plot_render(const char *script, size_t len, char **out, size_t *outlen, char *err, size_t errlen)
{
	const char *gp = getenv("MPH_GNUPLOT") && *getenv("MPH_GNUPLOT") ? getenv("MPH_GNUPLOT") : "gnuplot";
	const char *argv[] = { gp, NULL };
	struct spawn_result res;
	int r = spawn_pipe(argv, script, len, GNUPLOT_TIMEOUT_S, &res);
	if (r < 0) {
		set_err(err, errlen, r == -ENOENT ? "%s: not installed (Debian: gnuplot-nox)" : "%s: %s", gp, strerror(-r));
		return r;
	}
	if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0 || res.out_len == 0) {
		/* gnuplot's complaint: the line with the caret and the message after it */
		const char *m = strstr(res.err, "line ");
		set_err(err, errlen, "%s failed: %.300s", gp, m ? m : *res.err ? res.err : "no output");
		spawn_result_free(&res);
		return -EIO;
	}
	*out = res.out;
	*outlen = res.out_len;
	free(res.err);
	return 0;
}
