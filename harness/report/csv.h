/* csv.h - the recorder's CSV files (samples.csv, processes.csv) as columns of numbers,
 * read by their header's names: a column that a run does not have is absent (-1), a
 * cell that is empty is NAN (not measured, docs/recorder.md), never 0. */
#ifndef MPH_REPORT_CSV_H
#define MPH_REPORT_CSV_H

#include <stddef.h>

struct csv {
	size_t ncol, nrow;
	char **name; /* ncol column names as in the header */
	double *v;   /* nrow x ncol, row-major */
};

/* Load the columns named in want (a name ending in '*' matches by prefix; want NULL:
 * every column), streaming the file, so a long run at 1 ms costs only the columns
 * asked for. -errno from opening, -EINVAL for a file without a header. out is
 * untouched on failure. */
int csv_load(const char *path, const char *const *want, size_t nwant, struct csv *out);
/* The index of the column called name, -1 when absent. */
int csv_col(const struct csv *c, const char *name);
/* The cell, NAN when col < 0 or the cell was empty or not a number. */
double csv_at(const struct csv *c, size_t row, int col);
void csv_free(struct csv *c);

#endif
