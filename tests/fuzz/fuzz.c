/* fuzz.c - see fuzz.h. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp_root;

static void remove_tmp(void)
{
	if (tmp_root)
		(void)rm_rf(tmp_root);
}

char *fuzz_tmpdir(const char *tag)
{
	const char *t = getenv("TMPDIR");
	char *d = xasprintf("%s/mph-fuzz-%s-XXXXXX", t && *t ? t : "/tmp", tag);
	if (!mkdtemp(d)) {
		fprintf(stderr, "fuzz: mkdtemp %s: %s\n", d, strerror(errno));
		abort();
	}
	if (!tmp_root) {
		tmp_root = d;
		atexit(remove_tmp);
	}
	return xstrdup(d);
}

void fuzz_put(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0) {
		fprintf(stderr, "fuzz: writing %s: %s\n", path, strerror(errno));
		abort();
	}
}

void fuzz_mkdir(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fuzz: mkdir %s: %s\n", path, strerror(errno));
		abort();
	}
}

int fuzz_part(const uint8_t **p, size_t *left, const uint8_t **part, size_t *len)
{
	if (!*p)
		return 0;
	const uint8_t *nul = memchr(*p, 0, *left);
	*part = *p;
	*len = nul ? (size_t)(nul - *p) : *left;
	if (nul) {
		*left -= *len + 1;
		*p = nul + 1;
	} else {
		*p = NULL;
		*left = 0;
	}
	return 1;
}
