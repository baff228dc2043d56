/* plot.h - pictures of results with gnuplot, and the HTML report that shows them.
 * Like the other writers in report/, these read result files only (run.json,
 * samples.csv, events.jsonl, processes.csv, plan.json) and never touch the machine;
 * gnuplot is an external program fed through a pipe (spawn.h), with one template per
 * plot (a .gp file each in harness/report/plots/, assembled into mph by assets.S). mph's part is the
 * data: read by the files' own column names, turned into rates and stacks, and handed
 * to the template as datablocks and variables. Nothing here logs: functions return
 * -errno with a message in err. */
#ifndef MPH_REPORT_PLOT_H
#define MPH_REPORT_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum plot_fmt { PLOT_SVG, PLOT_PNG };

/* The panels of a run's timeline, in the order they are stacked. */
enum plot_panel { PANEL_MEMORY, PANEL_RECLAIM, PANEL_PSI, PANEL_REFAULTS, PANEL_PROCESSES, PANEL_N };
#define PLOT_ALL ((1u << PANEL_N) - 1)

struct plot_opts {
	enum plot_fmt fmt;
	unsigned panels;   /* timeline: a mask of 1 << enum plot_panel */
	const char *name;  /* prefix of the SVG's element ids (unique in a page); NULL: "mph" */
	const char *title; /* NULL: made from the run */
	unsigned width;    /* pixels; 0: 960 */
};

/* "memory", "reclaim", "psi", "refaults", "processes" */
const char *plot_panel_name(enum plot_panel p);
/* "all" or a comma-separated list of panel names into a mask; -EINVAL (unknown name). */
int plot_panels_parse(const char *s, unsigned *mask);

/* What a path given on the command line is: a run directory (or its run.json) or a
 * plan directory (or its plan.json). *dir is the directory, malloc'd. -ENOENT if it
 * is neither. */
int plot_locate(const char *arg, char **dir, bool *is_plan);

/* The gnuplot script of a run's timeline (the variables, the data, the templates of
 * the panels asked for and available). Panels whose data the run does not have (no
 * processes) are left out; -ENODATA when none is left (no samples.csv). */
int plot_timeline_script(const char *run_dir, const struct plot_opts *o, char **script, size_t *len, char *err,
			 size_t errlen);

/* A plan's metric against its first swept key (one series per combination of the
 * other keys and the kernels), or across its kernels (one series per variant): mean
 * and standard deviation over repeats, from each done job's run.json. metric is a run
 * metric or <workload>.<metric> (core/schema.h). -ENODATA when the plan has nothing to
 * show (no sweep / one kernel, or no job has the value). */
int plot_sweep_script(const char *plan_dir, const json_t *plan, const char *metric, const struct plot_opts *o,
		      char **script, size_t *len, char *err, size_t errlen);
int plot_kernels_script(const char *plan_dir, const json_t *plan, const char *metric, const struct plot_opts *o,
			char **script, size_t *len, char *err, size_t errlen);

/* Run gnuplot (the program named by $MPH_GNUPLOT, else gnuplot in PATH) on script;
 * its output (the SVG or PNG) in *out. -ENOENT when gnuplot is not installed, -EIO
 * when it failed (err has its first line of complaint). */
int plot_render(const char *script, size_t len, char **out, size_t *outlen, char *err, size_t errlen);

/* What the report shows. */
struct report_html_opts {
	const char *const *metrics; /* the comparison's and the sweep plots' metrics; NULL: a default set */
	size_t nmetrics;
	unsigned max_timelines;     /* timelines per plan (the rest are listed); 0: 12 */
};

/* One self-contained HTML page about each of paths (run or plan directories, or their
 * JSON files): style inline, plots inline as SVG, nothing fetched. Without gnuplot the
 * page says so instead of each plot. -errno (a path that is neither, an unreadable
 * plan.json), with err saying which. */
int report_html(FILE *f, const char *const *paths, size_t n, const struct report_html_opts *o, char *err,
		size_t errlen);
/* The same into path, atomically. */
int report_html_file(const char *path, const char *const *paths, size_t n, const struct report_html_opts *o,
		     char *err, size_t errlen);

/* An asset assembled into mph (assets.S): "head.gp", ..., "report.css"; NULL if none. */
const char *plot_asset(const char *name, size_t *len);

#endif
