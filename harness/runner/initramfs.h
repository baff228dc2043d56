/* initramfs.h - the guest's initramfs: a newc cpio archive (what the kernel unpacks
 * into its root file system), written with libarchive. Entries are directories, files
 * copied from the host, files given as bytes, and character devices (/dev/console must
 * exist before /init runs, or /init has no standard output). */
#ifndef MPH_INITRAMFS_H
#define MPH_INITRAMFS_H

#include <stddef.h>
#include <sys/types.h>

struct cpio;

/* Start an archive at path. -errno (err says why). */
int cpio_open(struct cpio **out, const char *path, char *err, size_t errlen);
int cpio_dir(struct cpio *c, const char *name, mode_t mode);
/* A file with these contents. */
int cpio_bytes(struct cpio *c, const char *name, mode_t mode, const void *data, size_t len);
/* A copy of the host file src. */
int cpio_file(struct cpio *c, const char *name, mode_t mode, const char *src);
int cpio_chardev(struct cpio *c, const char *name, mode_t mode, unsigned major, unsigned minor);
/* Finish and close; returns the first error of any call before, or of closing. err
 * names the entry that failed. */
int cpio_close(struct cpio *c, char *err, size_t errlen);

#endif
