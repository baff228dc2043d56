/* initramfs.c - see initramfs.h. Errors are sticky: the first failing call is the one
 * reported at cpio_close, so callers add entries without checking each one. */
#define _GNU_SOURCE
#include "initramfs.h"
#include "../core/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

struct cpio {
	struct archive *a;
	int err;        /* first error, -errno */
	char *what;     /* and what it was about */
};

static int fail(struct cpio *c, int err, const char *what)
{
	if (!c->err) {
		c->err = err;
		c->what = xasprintf("%s: %s", what, c->a && archive_error_string(c->a) ? archive_error_string(c->a) : strerror(-err));
	}
	return c->err;
}

int cpio_open(struct cpio **out, const char *path, char *err, size_t errlen)
{
	struct cpio *c = xcalloc(1, sizeof(*c));
	c->a = archive_write_new();
	if (!c->a || archive_write_set_format_cpio_newc(c->a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(c->a) != ARCHIVE_OK || archive_write_open_filename(c->a, path) != ARCHIVE_OK) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 c->a && archive_error_string(c->a) ? archive_error_string(c->a) : strerror(ENOMEM));
		if (c->a)
			archive_write_free(c->a);
		free(c);
		return -EIO;
	}
	*out = c;
	return 0;
}

static struct archive_entry *entry(const char *name, mode_t type, mode_t mode, size_t size)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, mode & 07777);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, time(NULL), 0);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	return e;
}

static int put(struct cpio *c, struct archive_entry *e, const void *data, size_t len, const char *name)
{
	int r = 0;
	if (archive_write_header(c->a, e) != ARCHIVE_OK)
		r = fail(c, -EIO, name);
	else if (len && archive_write_data(c->a, data, len) != (la_ssize_t)len)
		r = fail(c, -EIO, name);
	archive_entry_free(e);
	return r;
}

int cpio_dir(struct cpio *c, const char *name, mode_t mode)
{
	if (c->err)
		return c->err;
	return put(c, entry(name, AE_IFDIR, mode, 0), NULL, 0, name);
}

int cpio_bytes(struct cpio *c, const char *name, mode_t mode, const void *data, size_t len)
{
	if (c->err)
		return c->err;
	return put(c, entry(name, AE_IFREG, mode, len), data, len, name);
}

int cpio_file(struct cpio *c, const char *name, mode_t mode, const char *src)
{
	if (c->err)
		return c->err;
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		return fail(c, e, src);
	}
	struct archive_entry *e = entry(name, AE_IFREG, mode, (size_t)st.st_size);
	if (archive_write_header(c->a, e) != ARCHIVE_OK) {
		archive_entry_free(e);
		close(fd);
		return fail(c, -EIO, name);
	}
	archive_entry_free(e);
	char buf[65536];
	ssize_t n;
	off_t left = st.st_size;
	while (left > 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
		if (archive_write_data(c->a, buf, (size_t)n) != n) {
			close(fd);
			return fail(c, -EIO, name);
		}
		left -= n;
	}
	close(fd);
	return left ? fail(c, -EIO, src) : 0;
}

int cpio_chardev(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor)
{
	if (c->err)
		return c->err;
	struct archive_entry *e = entry(name, AE_IFCHR, mode, 0);
	archive_entry_set_rdev(e, makedev(major, minor));
	return put(c, e, NULL, 0, name);
}

int cpio_close(struct cpio *c, char *err, size_t errlen)
{
	if (archive_write_close(c->a) != ARCHIVE_OK)
		(void)fail(c, -EIO, "closing the archive");
	archive_write_free(c->a);
	int r = c->err;
	if (r)
		snprintf(err, errlen, "initramfs: %s", c->what);
	free(c->what);
	free(c);
	return r;
}
