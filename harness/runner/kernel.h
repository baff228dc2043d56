/* kernel.h - the guest kernels of the VM target: find a stock Debian kernel in the
 * machine's apt sources, download it (never install it), cache it unpacked, extract an
 * ELF vmlinux from its bzImage (faster to boot under TCG), and pick out the module files
 * a guest needs. A user's own kernel (an image file and a modules tree) is accepted too.
 * Nothing here logs: errors are -errno plus one line of explanation in err. External
 * tools (apt-cache, apt-get, dpkg-deb, depmod, modprobe) write their own diagnostics to
 * stderr. */
#ifndef MPH_KERNEL_H
#define MPH_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kernel {
	char *spec;      /* as the user wrote it: "6.12", "6.1", "6.12.117+deb12-amd64", "linux-image-6.1.0-56-amd64", or "/path/to/vmlinuz" */
	char *release;   /* the kernel's uname -r, e.g. "6.12.117+deb12-amd64" (the lib/modules/<release> dir name) */
	char *package;   /* Debian binary package, e.g. "linux-image-6.12.117+deb12-amd64"; NULL for a path spec */
	char *version;   /* its Debian version, e.g. "6.12.117-1~deb12u1"; NULL for a path spec */
	char *image;     /* the bootable image as shipped (vmlinuz) */
	char *vmlinux;   /* ELF vmlinux extracted from it (cached next to it), or NULL when extraction failed (then boot `image`) */
	char *modroot;   /* directory D such that D/lib/modules/<release>/ holds the modules and modules.dep; NULL for a path spec without modules */
	char *cache;     /* this kernel's cache directory (NULL for a path spec) */
};

/* Resolve spec to a kernel ready to boot. cache_dir: e.g. /var/cache/mph (created if
 * needed). When the kernel is not cached and may_download is false, returns -ENOENT and
 * says in err what would be downloaded. Errors: -errno, with a one-line human
 * explanation in err; *k is untouched on failure.
 *
 * Debian specs (x86-64 "amd64" flavour only: the guest is qemu-system-x86_64):
 *   "6.12"                        the series: package linux-image-6.12-amd64 if apt knows
 *                                 it, else linux-image-amd64 when its candidate version
 *                                 starts with "6.12."; a meta package is followed to the
 *                                 image package it depends on. Needs apt's lists.
 *   "6.12.117+deb12-amd64"        a release (uname -r): package linux-image-<release>.
 *   "linux-image-..."             a package name, used as is (meta packages followed).
 * A release or a real image package already in the cache resolves without apt (offline).
 * Cache layout: <cache_dir>/kernels/<release>/{root/ (dpkg-deb -x of the package,
 * depmod run), vmlinux, READY}; READY is written last, a directory without it is wiped
 * and redone; <cache_dir>/kernels/<release>.lock serialises mph processes.
 *
 * Path specs (start with '/' or '.'): "IMAGE" or "IMAGE:MODROOT", split at the last ':'
 * (unless the whole string names an existing file). IMAGE is a bzImage (vmlinuz) or an
 * ELF vmlinux; MODROOT as the modroot field. Without MODROOT, a D with IMAGE at
 * D/boot/vmlinuz-<release> and D/lib/modules/<release> is used, then "/" if
 * /lib/modules/<release> exists, else modroot is NULL. See kernel_from_paths. */
int kernel_resolve(const char *spec, const char *cache_dir, bool may_download, struct kernel *k, char *err,
		   size_t errlen);

/* A user's own kernel: image (bzImage or ELF vmlinux; the release is read from it) and
 * modroot (may be NULL: guessed as for a path spec). The vmlinux extracted from a
 * bzImage goes to <cache_dir>/local/<release>-<hash of path, size, mtime>/vmlinux when
 * cache_dir is not NULL (else k->vmlinux is NULL); an ELF image is its own vmlinux.
 * k->spec is image, or "image:modroot". */
int kernel_from_paths(const char *image, const char *modroot, const char *cache_dir, struct kernel *k, char *err,
		      size_t errlen);

/* Resolve module names (e.g. {"virtio_blk","zram","9p","9pnet_virtio", NULL}) with their
 * dependencies, in load order, skipping built-in ones (modprobe --show-depends, with no
 * modprobe.d configuration: module options are not carried). Each module file is
 * decompressed (.ko.xz / .ko.zst / .ko.gz / .ko) into outdir (created if needed) as
 * <name>.ko; *files gets a malloc'd NULL-terminated array of the basenames in load
 * order (free with kernel_files_free). -ENOENT with err naming a module that does not
 * exist in this kernel. */
int kernel_modules(const struct kernel *k, const char *const *mods, const char *outdir, char ***files, char *err,
		   size_t errlen);
void kernel_files_free(char **files);   /* accepts NULL */

/* An ext4 on the raw image img (a guest's scratch disk), made by mkfs.ext4 on the host
 * without root. 0, or -errno with err saying why. */
int kernel_mkfs_ext4(const char *img, char *err, size_t errlen);

/* What kernel_resolve would do, without doing it (for `mph doctor`): sets *cached, and
 * *package, *version and *download_bytes (from apt-cache) when it would have to download
 * (else NULL, NULL, 0). A path spec counts as cached when its image is readable. */
int kernel_plan(const char *spec, const char *cache_dir, bool *cached, char **package, char **version,
		long long *download_bytes, char *err, size_t errlen);

void kernel_free(struct kernel *k);   /* accepts a zeroed struct; leaves it zeroed */

/* ---- pieces exposed for the unit tests ---- */

enum kernel_spec_kind {
	KSPEC_PATH,      /* an image file (and modules) given by path */
	KSPEC_SERIES,    /* "6.12": a meta package, or linux-image-amd64 if its version fits */
	KSPEC_RELEASE,   /* "6.12.117+deb12-amd64": linux-image-<release> */
	KSPEC_PACKAGE,   /* "linux-image-...": as written */
};

struct kernel_spec {
	enum kernel_spec_kind kind;
	char *pkgs[3];        /* packages to try in order, NULL-terminated (Debian kinds) */
	char *series_prefix;  /* KSPEC_SERIES: pkgs[1] is accepted only if its candidate
	                       * version starts with this ("6.1.") */
	char *release;        /* known before asking apt (KSPEC_RELEASE, and KSPEC_PACKAGE
	                       * naming an image package), else NULL */
	char *image, *modroot; /* KSPEC_PATH; modroot NULL when not given */
};

/* Classify spec: which packages would be tried. -EINVAL for something that is none of
 * the forms above (err says why). */
int kernel_spec_parse(const char *spec, struct kernel_spec *ks, char *err, size_t errlen);
void kernel_spec_free(struct kernel_spec *ks);
/* The release an image package installs ("linux-image-6.1.0-56-amd64" ->
 * "6.1.0-56-amd64", "-unsigned" dropped), or NULL for a meta package or anything else. */
char *kernel_package_release(const char *package);

/* apt-cache policy output: *candidate is the candidate version, NULL for "(none)" or an
 * empty output (a package apt does not know). -EINVAL on a malformed Candidate line. */
int kernel_parse_policy(const char *text, char **candidate);
/* apt-cache show output (first record): its Size, and the first package in Depends that
 * is a kernel image package (*image_dep NULL when none). -EINVAL without a valid Size. */
int kernel_parse_show(const char *text, char **image_dep, long long *size);

/* What the x86 boot setup header of a bzImage says (Documentation/arch/x86/boot.rst). */
struct bzimage {
	size_t payload_off;   /* file offset of the compressed kernel */
	size_t payload_len;
	char release[65];     /* first word of the kernel version string */
};
/* Parse a bzImage held in memory. -EINVAL if it is not one (no "HdrS", fields that
 * point outside the file); release is "" when the image has no version string. */
int bzimage_parse(const void *buf, size_t len, struct bzimage *bz);
/* The ELF vmlinux inside a bzImage held in memory: the payload's compression is told by
 * its magic (gzip, xz, zstd, lzma, lz4, bzip2) and decompressed with libarchive; the
 * result must start with the ELF magic and have the size the kernel's build appended.
 * *out is malloc'd. -EINVAL not a bzImage, -ENOTSUP unknown compression, -EBADMSG the
 * payload does not decompress to an ELF file of the recorded size. */
int bzimage_extract(const void *buf, size_t len, void **out, size_t *outlen);
/* Read image, extract its vmlinux and write it to out atomically. -errno as above. */
int kernel_extract_vmlinux(const char *image, const char *out);
/* Decompress a file (any compression libarchive knows, or none) to out, atomically. */
int kernel_decompress_file(const char *in, const char *out);

/* Parse `modprobe --show-depends` output: "insmod PATH [options]" lines give the files in
 * load order (repeats dropped), "builtin NAME" lines are skipped. *paths gets a malloc'd
 * NULL-terminated array. -EINVAL on any other line (the whole output is refused). */
int kernel_parse_show_depends(const char *text, char ***paths);

#endif
