/* csv.c - samples.csv and processes.csv read by column name (csv.h). The recorder
 * writes plain numbers and empty cells, never quotes; a field that is not a number
 * is read as NAN rather than failing the file. */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

static bool wanted(const char *name, const char *const *want, size_t nwant)
{
	if (!want)
		return true;
	for (size_t i = 0; i < nwant; i++) {
		size_t n = strlen(want[i]);
		if (n && want[i][n - 1] == '*' ? strncmp(name, want[i], n - 1) == 0 : strcmp(name, want[i]) == 0)
			return true;
	}
	return false;
}

static double cell(const char *s)
{
	if (!*s)
		return NAN;
	char *end;
	errno = 0;
	double d = strtod(s, &end);
	return end == s || *end || errno == ERANGE ? NAN : d;
}

int csv_load(const char *path, const char *const *want, size_t nwant, struct csv *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;
	struct csv c = { 0 };
	int *map = NULL; /* file column -> our column, or -1 */
	size_t nfile = 0, rowcap = 0;
	if ((n = getline(&line, &cap, f)) <= 1) {
		r = -EINVAL;
		goto out;
	}
	line[strcspn(line, "\r\n")] = '\0';
	for (char *s = line, *tok; (tok = strsep(&s, ",")); nfile++) {
		map = xrealloc(map, (nfile + 1) * sizeof(*map));
		map[nfile] = -1;
		if (wanted(tok, want, nwant)) {
			c.name = xrealloc(c.name, (c.ncol + 1) * sizeof(*c.name));
			c.name[c.ncol] = xstrdup(tok);
			map[nfile] = (int)c.ncol++;
		}
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		if (c.nrow == rowcap) {
			rowcap = rowcap ? rowcap * 2 : 256;
			c.v = xrealloc(c.v, rowcap * (c.ncol ? c.ncol : 1) * sizeof(double));
		}
		double *row = c.v + c.nrow * c.ncol;
		for (size_t i = 0; i < c.ncol; i++)
			row[i] = NAN;
		size_t i = 0;
		for (char *s = line, *tok; (tok = strsep(&s, ",")) && i < nfile; i++)
			if (map[i] >= 0)
				row[map[i]] = cell(tok);
		c.nrow++;
	}
	*out = c;
	c = (struct csv){ 0 };
out:
	csv_free(&c);
	free(map);
	free(line);
	fclose(f);
	return r;
}

int csv_col(const struct csv *c, const char *name)
{
	for (size_t i = 0; i < c->ncol; i++)
		if (strcmp(c->name[i], name) == 0)
			return (int)i;
	return -1;
}

double csv_at(const struct csv *c, size_t row, int col)
{
	if (col < 0 || (size_t)col >= c->ncol || row >= c->nrow)
		return NAN;
	return c->v[row * c->ncol + (size_t)col];
}

void csv_free(struct csv *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncol; i++)
		free(c->name[i]);
	free(c->name);
	free(c->v);
	*c = (struct csv){ 0 };
}
