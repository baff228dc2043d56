/* compare_parse.c - the floor of mph compare's cost: find every run.json below a
 * directory and parse it with jansson, nothing else (bench/compare-bench.sh). */
#define _GNU_SOURCE
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static size_t parsed, failed;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	const char *base = strrchr(path, '/');
	if (type == FTW_F && base && strcmp(base + 1, "run.json") == 0) {
		json_t *j = json_load_file(path, 0, NULL);
		if (j)
			parsed++;
		else
			failed++;
		json_decref(j);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: compare_parse DIR\n");
		return 2;
	}
	if (nftw(argv[1], visit, 32, FTW_PHYS) < 0) {
		perror(argv[1]);
		return 1;
	}
	printf("%zu parsed, %zu failed\n", parsed, failed);
	return failed ? 1 : 0;
}
