/* test_kernel.c - the VM target's kernels without the network: which packages a spec
 * tries, apt-cache and modprobe output saved from this machine ($MPH_TEST_DATA/data/
 * kernel/), and vmlinux extraction from synthetic bzImages whose payloads libarchive's
 * writer compresses here. Downloading real kernels is checked by hand. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/runner/kernel.h"
#include "../../harness/core/util.h"

#define REL "6.99.1-test-amd64"

static char *data_text(const char *name)
{
	const char *base = getenv("MPH_TEST_DATA");
	char *path = xasprintf("%s/data/kernel/%s", base ? base : "tests", name), *text = NULL;
	if (read_file(path, &text, NULL) < 0)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

/* ---- specs and apt ---- */

static void test_spec_classes(void **state)
{
	(void)state;
	static const struct {
		const char *spec;
		int ret;
		enum kernel_spec_kind kind;
		const char *pkg0, *pkg1, *prefix, *release;
	} cases[] = {
		{ "6.12", 0, KSPEC_SERIES, "linux-image-6.12-amd64", "linux-image-amd64", "6.12.", NULL },
		{ "6.1", 0, KSPEC_SERIES, "linux-image-6.1-amd64", "linux-image-amd64", "6.1.", NULL },
		{ "6", 0, KSPEC_SERIES, "linux-image-6-amd64", "linux-image-amd64", "6.", NULL },
		{ "6.12.117+deb12-amd64", 0, KSPEC_RELEASE, "linux-image-6.12.117+deb12-amd64", NULL, NULL,
		  "6.12.117+deb12-amd64" },
		{ "6.1.0-56-amd64", 0, KSPEC_RELEASE, "linux-image-6.1.0-56-amd64", NULL, NULL, "6.1.0-56-amd64" },
		{ "6.1.0-56-cloud-amd64", 0, KSPEC_RELEASE, "linux-image-6.1.0-56-cloud-amd64", NULL, NULL,
		  "6.1.0-56-cloud-amd64" },
		{ "linux-image-6.1.0-56-amd64", 0, KSPEC_PACKAGE, "linux-image-6.1.0-56-amd64", NULL, NULL,
		  "6.1.0-56-amd64" },
		{ "linux-image-6.1.0-56-amd64-unsigned", 0, KSPEC_PACKAGE, "linux-image-6.1.0-56-amd64-unsigned", NULL,
		  NULL, "6.1.0-56-amd64" },
		{ "linux-image-amd64", 0, KSPEC_PACKAGE, "linux-image-amd64", NULL, NULL, NULL },   /* meta */
		{ "linux-image-6.12-amd64", 0, KSPEC_PACKAGE, "linux-image-6.12-amd64", NULL, NULL, NULL },
		{ "", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "6.12.117", -EINVAL, 0, NULL, NULL, NULL, NULL },     /* neither series nor release */
		{ "6.", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "6..1", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "6.1.2.3", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "latest", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "6.1.0-56-amd64/../x", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "linux-image-6.1;rm", -EINVAL, 0, NULL, NULL, NULL, NULL },
		{ "linux-image-AMD64", -EINVAL, 0, NULL, NULL, NULL, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct kernel_spec ks;
		char err[256] = "";
		int r = kernel_spec_parse(cases[i].spec, &ks, err, sizeof(err));
		if (r != cases[i].ret)
			fail_msg("kernel_spec_parse(\"%s\") returned %d, expected %d", cases[i].spec, r, cases[i].ret);
		if (r < 0) {
			assert_true(err[0]);   /* says why */
			continue;
		}
		assert_int_equal(ks.kind, cases[i].kind);
		assert_string_equal(ks.pkgs[0], cases[i].pkg0);
		if (cases[i].pkg1)
			assert_string_equal(ks.pkgs[1], cases[i].pkg1);
		else
			assert_null(ks.pkgs[1]);
		assert_null(ks.pkgs[2]);
		if (cases[i].prefix)
			assert_string_equal(ks.series_prefix, cases[i].prefix);
		else
			assert_null(ks.series_prefix);
		if (cases[i].release)
			assert_string_equal(ks.release, cases[i].release);
		else
			assert_null(ks.release);
		kernel_spec_free(&ks);
	}
}

static void test_spec_paths(void **state)
{
	(void)state;
	struct kernel_spec ks;
	char err[256];
	assert_int_equal(kernel_spec_parse("/no/such/vmlinuz", &ks, err, sizeof(err)), 0);
	assert_int_equal(ks.kind, KSPEC_PATH);
	assert_string_equal(ks.image, "/no/such/vmlinuz");
	assert_null(ks.modroot);
	assert_null(ks.pkgs[0]);
	kernel_spec_free(&ks);
	assert_int_equal(kernel_spec_parse("./bzImage:/srv/root", &ks, err, sizeof(err)), 0);
	assert_string_equal(ks.image, "./bzImage");
	assert_string_equal(ks.modroot, "/srv/root");
	kernel_spec_free(&ks);
	/* an existing file whose name has a colon is taken whole */
	char dir[] = "/tmp/mph-kernel-spec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *odd = xasprintf("%s/a:b", dir);
	assert_int_equal(write_file_atomic(odd, "x", 1), 0);
	assert_int_equal(kernel_spec_parse(odd, &ks, err, sizeof(err)), 0);
	assert_string_equal(ks.image, odd);
	assert_null(ks.modroot);
	kernel_spec_free(&ks);
	assert_int_equal(unlink(odd), 0);
	assert_int_equal(rmdir(dir), 0);
	free(odd);
}

static void test_package_release(void **state)
{
	(void)state;
	static const struct { const char *pkg, *rel; } cases[] = {
		{ "linux-image-6.12.117+deb12-amd64", "6.12.117+deb12-amd64" },
		{ "linux-image-6.1.0-56-amd64", "6.1.0-56-amd64" },
		{ "linux-image-6.1.0-56-amd64-unsigned", "6.1.0-56-amd64" },
		{ "linux-image-6.1.0-56-amd64-dbg", NULL },
		{ "linux-image-amd64", NULL },
		{ "linux-image-6.12-amd64", NULL },
		{ "linux-headers-6.1.0-56-amd64", NULL },
		{ "kmod", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *rel = kernel_package_release(cases[i].pkg);
		if (cases[i].rel)
			assert_string_equal(rel, cases[i].rel);
		else if (rel)
			fail_msg("%s gave release %s", cases[i].pkg, rel);
		free(rel);
	}
}

static void test_apt_output(void **state)
{
	(void)state;
	char *text = data_text("policy-linux-image-amd64.txt"), *s = NULL, *dep = NULL;
	long long size = -1;
	assert_int_equal(kernel_parse_policy(text, &s), 0);
	assert_string_equal(s, "6.1.192-2");
	free(s);
	free(text);
	assert_int_equal(kernel_parse_policy("", &s), 0);   /* a package apt does not know */
	assert_null(s);
	assert_int_equal(kernel_parse_policy("x:\n  Installed: (none)\n  Candidate: (none)\n", &s), 0);
	assert_null(s);

	/* the meta package depends on the image package */
	text = data_text("show-linux-image-6.12-amd64.txt");
	assert_int_equal(kernel_parse_show(text, &dep, &size), 0);
	assert_string_equal(dep, "linux-image-6.12.117+deb12-amd64");
	assert_int_equal(size, 1476);
	free(dep);
	free(text);
	/* the image package depends on no image (kmod, initramfs-tools | linux-initramfs-tool) */
	text = data_text("show-linux-image-6.12.117+deb12-amd64.txt");
	assert_int_equal(kernel_parse_show(text, &dep, &size), 0);
	assert_null(dep);
	assert_int_equal(size, 107179464);
	free(text);
	assert_int_equal(kernel_parse_show("Package: x\nDepends: y\n", &dep, &size), -EINVAL);
	assert_int_equal(kernel_parse_show("Package: x\nSize: 12k\n", &dep, &size), -EINVAL);
	/* only the first record counts */
	assert_int_equal(kernel_parse_show("Size: 5\n\nSize: 7\nDepends: linux-image-6.1.0-1-amd64\n", &dep, &size), 0);
	assert_int_equal(size, 5);
	assert_null(dep);
}

/* ---- bzImage and vmlinux ---- */

/* A small fake vmlinux: the ELF magic, a banner, then compressible filler. */
static unsigned char *fake_elf(size_t *len)
{
	static const char banner[] = "Linux version " REL " (builder@example) #1 SMP";
	size_t n = 64 * 1024;
	unsigned char *b = xcalloc(n, 1);
	memcpy(b, "\177ELF\2\1\1", 7);
	memcpy(b + 4096, banner, sizeof(banner));
	for (size_t i = 8192; i < n; i++)
		b[i] = (unsigned char)(i * 7 / 13);
	*len = n;
	return b;
}

/* data compressed as one raw stream by libarchive's writer with the given filter. */
static unsigned char *compress_with(int filter, const void *data, size_t len, size_t *outlen)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = len + 65536, used = 0;
	unsigned char *buf = xcalloc(cap, 1);
	assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);   /* no zero padding */
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "vmlinux");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (la_int64_t)len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	*outlen = used;
	return buf;
}

static void put16(unsigned char *p, uint32_t v) { p[0] = v & 0xff; p[1] = (v >> 8) & 0xff; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

/* A bzImage as the x86 boot protocol lays it out: one setup sector after the boot
 * sector, so the protected-mode code starts at 1024; the payload 256 bytes into it,
 * followed by `append` (the build's le32 size) when size_le32 is not 0, then 64 bytes. */
static unsigned char *fake_bzimage(const void *payload, size_t plen, uint32_t size_le32, const char *version,
				   size_t *len)
{
	size_t pm = 1024, off = 256, full = plen + (size_le32 ? 4 : 0);
	*len = pm + off + full + 64;
	unsigned char *b = xcalloc(*len, 1);
	b[0x1f1] = 1;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	if (version) {
		put16(b + 0x20e, 0x100);
		strcpy((char *)b + 0x300, version);
	}
	put32(b + 0x248, (uint32_t)off);
	put32(b + 0x24c, (uint32_t)full);
	memcpy(b + pm + off, payload, plen);
	if (size_le32)
		put32(b + pm + off + plen, size_le32);
	return b;
}

/* A bzImage whose payload is data compressed with filter, sized as the kernel's build does. */
static unsigned char *bzimage_of(int filter, const void *data, size_t dlen, size_t *len)
{
	size_t clen;
	unsigned char *c = compress_with(filter, data, dlen, &clen);
	/* gzip's own trailer ends with the size; the kernel appends it to the others */
	unsigned char *b = fake_bzimage(c, clen, filter == ARCHIVE_FILTER_GZIP ? 0 : (uint32_t)dlen,
					REL " (builder@example) #1 SMP PREEMPT_DYNAMIC", len);
	free(c);
	return b;
}

static void test_bzimage_header(void **state)
{
	(void)state;
	size_t elen, len;
	unsigned char *elf = fake_elf(&elen), *b = bzimage_of(ARCHIVE_FILTER_GZIP, elf, elen, &len);
	struct bzimage bz;
	assert_int_equal(bzimage_parse(b, len, &bz), 0);
	assert_string_equal(bz.release, REL);
	assert_int_equal(bz.payload_off, 1024 + 256);
	assert_int_equal(bz.payload_off + bz.payload_len + 64, len);

	memset(&bz, 0x55, sizeof(bz));
	struct bzimage keep = bz;
	/* a payload reaching past the end of the file */
	assert_int_equal(bzimage_parse(b, len - 65, &bz), -EINVAL);
	/* too short for a setup header */
	assert_int_equal(bzimage_parse(b, 0x240, &bz), -EINVAL);
	/* boot protocol before 2.08 has no payload fields */
	put16(b + 0x206, 0x0207);
	assert_int_equal(bzimage_parse(b, len, &bz), -EINVAL);
	put16(b + 0x206, 0x020f);
	/* no "HdrS": not a bzImage (an ELF file, say) */
	b[0x202] = 'X';
	assert_int_equal(bzimage_parse(b, len, &bz), -EINVAL);
	assert_int_equal(bzimage_parse(elf, elen, &bz), -EINVAL);
	assert_memory_equal(&bz, &keep, sizeof(bz));   /* untouched on failure */
	free(b);

	/* setup_sects 0 means 4: the payload starts at (4+1)*512; no version string gives
	 * an empty release */
	len = 4096;
	b = xcalloc(len, 1);
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);
	put32(b + 0x24c, 1537);   /* one byte too many */
	assert_int_equal(bzimage_parse(b, len, &bz), -EINVAL);
	put32(b + 0x24c, 1536);
	assert_int_equal(bzimage_parse(b, len, &bz), 0);
	assert_int_equal(bz.payload_off, 2560);
	assert_int_equal(bz.payload_len, 1536);
	assert_string_equal(bz.release, "");
	free(b);
	free(elf);
}

static void test_extract_each_compression(void **state)
{
	(void)state;
	static const struct { const char *name; int filter; } kinds[] = {
		{ "gzip", ARCHIVE_FILTER_GZIP },   { "xz", ARCHIVE_FILTER_XZ },     { "zstd", ARCHIVE_FILTER_ZSTD },
		{ "bzip2", ARCHIVE_FILTER_BZIP2 }, { "lzma", ARCHIVE_FILTER_LZMA },
	};
	size_t elen;
	unsigned char *elf = fake_elf(&elen);
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t len, olen = 0;
		void *out = NULL;
		unsigned char *b = bzimage_of(kinds[i].filter, elf, elen, &len);
		int r = bzimage_extract(b, len, &out, &olen);
		if (r != 0)
			fail_msg("%s payload: bzimage_extract returned %d", kinds[i].name, r);
		assert_int_equal(olen, elen);
		assert_memory_equal(out, elf, elen);
		free(out);
		free(b);
	}
	free(elf);
}

static void test_extract_rejects(void **state)
{
	(void)state;
	size_t elen, len, olen = 7, clen;
	unsigned char *elf = fake_elf(&elen), *b;
	void *out = (void *)&olen;

	/* a payload that decompresses to something other than an ELF file */
	unsigned char *text = xcalloc(elen, 1);
	memset(text, 'k', elen);
	b = bzimage_of(ARCHIVE_FILTER_XZ, text, elen, &len);
	assert_int_equal(bzimage_extract(b, len, &out, &olen), -EBADMSG);
	free(b);
	free(text);

	/* a size that disagrees with the decompressed stream (a truncated image) */
	unsigned char *c = compress_with(ARCHIVE_FILTER_XZ, elf, elen, &clen);
	b = fake_bzimage(c, clen, (uint32_t)elen + 1, REL, &len);
	assert_int_equal(bzimage_extract(b, len, &out, &olen), -EBADMSG);
	free(b);
	/* a corrupted stream */
	c[clen / 2] ^= 0xff;
	b = fake_bzimage(c, clen, (uint32_t)elen, REL, &len);
	assert_int_equal(bzimage_extract(b, len, &out, &olen), -EBADMSG);
	free(b);
	free(c);

	/* an unknown compression (lzo's magic) */
	b = fake_bzimage("\x89LZO\0\r\n\x1a\n", 9, (uint32_t)elen, REL, &len);
	assert_int_equal(bzimage_extract(b, len, &out, &olen), -ENOTSUP);
	free(b);

	/* not a bzImage at all */
	assert_int_equal(bzimage_extract(elf, elen, &out, &olen), -EINVAL);
	assert_ptr_equal(out, &olen);   /* untouched on failure */
	assert_int_equal(olen, 7);
	free(elf);
}

/* ---- files: a user's kernel, module decompression ---- */

struct fx {
	char dir[64];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/mph-kernel-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);
	int r = system(cmd);
	free(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	assert_int_equal(write_file_atomic(path, data, len), 0);
}

static void assert_file_is(const char *path, const void *data, size_t len)
{
	char *got = NULL;
	size_t glen = 0;
	assert_int_equal(read_file(path, &got, &glen), 0);
	assert_int_equal(glen, len);
	assert_memory_equal(got, data, len);
	free(got);
}

static void test_extract_to_file(void **state)
{
	struct fx *f = *state;
	size_t elen, len;
	unsigned char *elf = fake_elf(&elen), *b = bzimage_of(ARCHIVE_FILTER_ZSTD, elf, elen, &len);
	char *img = xasprintf("%s/vmlinuz", f->dir), *out = xasprintf("%s/vmlinux", f->dir);
	write_bytes(img, b, len);
	assert_int_equal(kernel_extract_vmlinux(img, out), 0);
	assert_file_is(out, elf, elen);
	assert_int_equal(kernel_extract_vmlinux(out, img), -EINVAL);   /* an ELF file is no bzImage */
	char *none = xasprintf("%s/none", f->dir);
	assert_int_equal(kernel_extract_vmlinux(none, out), -ENOENT);
	free(none);
	free(img);
	free(out);
	free(b);
	free(elf);
}

/* A user's tree D/boot/vmlinuz-<rel> with D/lib/modules/<rel>: release from the header,
 * modroot found, vmlinux extracted into the cache once. */
static void test_user_kernel(void **state)
{
	struct fx *f = *state;
	size_t elen, len;
	unsigned char *elf = fake_elf(&elen), *b = bzimage_of(ARCHIVE_FILTER_XZ, elf, elen, &len);
	char *boot = xasprintf("%s/boot", f->dir), *mods = xasprintf("%s/lib/modules/" REL, f->dir);
	char *img = xasprintf("%s/vmlinuz-" REL, boot), *cache = xasprintf("%s/cache", f->dir), err[512] = "";
	assert_int_equal(mkdir_p(boot), 0);
	assert_int_equal(mkdir_p(mods), 0);
	write_bytes(img, b, len);

	struct kernel k = { 0 };
	assert_int_equal(kernel_resolve(img, cache, false, &k, err, sizeof(err)), 0);
	assert_string_equal(k.spec, img);
	assert_string_equal(k.release, REL);
	assert_string_equal(k.image, img);
	assert_string_equal(k.modroot, f->dir);
	assert_null(k.package);
	assert_null(k.version);
	assert_null(k.cache);
	assert_non_null(k.vmlinux);
	assert_true(strncmp(k.vmlinux, cache, strlen(cache)) == 0);
	assert_file_is(k.vmlinux, elf, elen);
	char *first = xstrdup(k.vmlinux);
	kernel_free(&k);
	kernel_free(&k);   /* a zeroed struct is fine */
	assert_int_equal(kernel_resolve(img, cache, false, &k, err, sizeof(err)), 0);
	assert_string_equal(k.vmlinux, first);   /* the same cached file */
	kernel_free(&k);
	free(first);

	/* IMAGE:MODROOT; a MODROOT without this release's modules is refused */
	char *spec = xasprintf("%s:%s", img, f->dir);
	assert_int_equal(kernel_resolve(spec, NULL, false, &k, err, sizeof(err)), 0);
	assert_string_equal(k.spec, spec);
	assert_string_equal(k.modroot, f->dir);
	assert_null(k.vmlinux);   /* no cache directory to put it in */
	kernel_free(&k);
	free(spec);
	spec = xasprintf("%s:%s", img, boot);
	assert_int_equal(kernel_resolve(spec, cache, false, &k, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "lib/modules/" REL));
	assert_null(k.spec);   /* untouched */
	free(spec);

	/* an ELF vmlinux is its own vmlinux; its release comes from the banner */
	char *elfpath = xasprintf("%s/vmlinux", f->dir);
	write_bytes(elfpath, elf, elen);
	spec = xasprintf("%s:%s", elfpath, f->dir);
	assert_int_equal(kernel_resolve(spec, cache, false, &k, err, sizeof(err)), 0);
	assert_string_equal(k.release, REL);
	assert_string_equal(k.vmlinux, elfpath);
	assert_string_equal(k.image, elfpath);
	kernel_free(&k);
	free(spec);

	/* neither bzImage nor ELF */
	char *junk = xasprintf("%s/junk", f->dir);
	write_bytes(junk, "not a kernel at all", 19);
	assert_int_equal(kernel_resolve(junk, cache, false, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "neither a bzImage"));

	/* plan: a readable path is "cached", nothing to download */
	bool cached = false;
	char *pkg = (char *)"x", *ver = (char *)"y";
	long long bytes = -1;
	assert_int_equal(kernel_plan(img, cache, &cached, &pkg, &ver, &bytes, err, sizeof(err)), 0);
	assert_true(cached);
	assert_null(pkg);
	assert_null(ver);
	assert_int_equal(bytes, 0);
	char *missing = xasprintf("%s/missing", f->dir);
	assert_int_equal(kernel_plan(missing, cache, &cached, &pkg, &ver, &bytes, err, sizeof(err)), -ENOENT);

	/* a path spec without modules has none to give */
	assert_int_equal(kernel_resolve(elfpath, NULL, false, &k, err, sizeof(err)), 0);
	assert_null(k.modroot);
	char **files = NULL;
	const char *const want[] = { "zram", NULL };
	assert_int_equal(kernel_modules(&k, want, f->dir, &files, err, sizeof(err)), -ENOENT);
	assert_null(files);
	kernel_free(&k);

	free(missing);
	free(junk);
	free(elfpath);
	free(boot);
	free(mods);
	free(img);
	free(cache);
	free(b);
	free(elf);
}

static void test_decompress_module(void **state)
{
	struct fx *f = *state;
	size_t elen, clen;
	unsigned char *ko = fake_elf(&elen), *c = compress_with(ARCHIVE_FILTER_XZ, ko, elen, &clen);
	char *xz = xasprintf("%s/m.ko.xz", f->dir), *plain = xasprintf("%s/p.ko", f->dir);
	char *out = xasprintf("%s/out.ko", f->dir);
	write_bytes(xz, c, clen);
	assert_int_equal(kernel_decompress_file(xz, out), 0);
	assert_file_is(out, ko, elen);
	write_bytes(plain, ko, elen);   /* 6.1's modules are not compressed */
	assert_int_equal(unlink(out), 0);
	assert_int_equal(kernel_decompress_file(plain, out), 0);
	assert_file_is(out, ko, elen);
	c[clen / 2] ^= 0xff;
	write_bytes(xz, c, clen);
	assert_int_equal(kernel_decompress_file(xz, out), -EBADMSG);
	assert_file_is(out, ko, elen);   /* the earlier file stays whole */
	char *none = xasprintf("%s/none.ko.xz", f->dir);
	assert_int_equal(kernel_decompress_file(none, out), -ENOENT);
	free(none);
	free(xz);
	free(plain);
	free(out);
	free(c);
	free(ko);
}

/* ---- modprobe --show-depends ---- */

static size_t count(char **v)
{
	size_t n = 0;
	while (v[n])
		n++;
	return n;
}

static const char *base(const char *p)
{
	return strrchr(p, '/') + 1;
}

static void test_show_depends(void **state)
{
	(void)state;
	char **p = NULL;
	/* 6.12: compressed modules; 9pnet and netfs repeat; virtio_pci is built in */
	char *text = data_text("show-depends-6.12.117+deb12-amd64.txt");
	static const char *const want612[] = { "virtio_blk.ko.xz", "lz4_compress.ko.xz", "lz4hc_compress.ko.xz",
					       "zram.ko.xz", "netfs.ko.xz", "9pnet.ko.xz", "9p.ko.xz",
					       "9pnet_virtio.ko.xz" };
	assert_int_equal(kernel_parse_show_depends(text, &p), 0);
	assert_int_equal(count(p), ARRAY_SIZE(want612));
	for (size_t i = 0; i < ARRAY_SIZE(want612); i++)
		assert_string_equal(base(p[i]), want612[i]);
	assert_string_equal(p[0], "/var/cache/mph/kernels/6.12.117+deb12-amd64/root/lib/modules/"
				  "6.12.117+deb12-amd64/kernel/drivers/block/virtio_blk.ko.xz");
	kernel_files_free(p);
	free(text);

	/* 6.1: plain .ko, the virtio core as modules */
	text = data_text("show-depends-6.1.0-56-amd64.txt");
	static const char *const want61[] = { "virtio_ring.ko", "virtio.ko", "virtio_blk.ko", "zsmalloc.ko",
					      "zram.ko", "netfs.ko", "fscache.ko", "9pnet.ko", "9p.ko",
					      "9pnet_virtio.ko", "virtio_pci_modern_dev.ko",
					      "virtio_pci_legacy_dev.ko", "virtio_pci.ko" };
	assert_int_equal(kernel_parse_show_depends(text, &p), 0);
	assert_int_equal(count(p), ARRAY_SIZE(want61));
	for (size_t i = 0; i < ARRAY_SIZE(want61); i++)
		assert_string_equal(base(p[i]), want61[i]);
	kernel_files_free(p);
	free(text);

	/* options after the path are dropped; all built in gives an empty list */
	assert_int_equal(kernel_parse_show_depends("insmod /m/a.ko opt=1 x=2\n\nbuiltin b\n", &p), 0);
	assert_int_equal(count(p), 1);
	assert_string_equal(p[0], "/m/a.ko");
	kernel_files_free(p);
	assert_int_equal(kernel_parse_show_depends("builtin virtio_pci\n", &p), 0);
	assert_int_equal(count(p), 0);
	kernel_files_free(p);

	/* anything else is refused whole: an install command, a relative path, a bare verb */
	char *keep[] = { NULL };
	p = keep;
	assert_int_equal(kernel_parse_show_depends("insmod /m/a.ko\ninstall /bin/true\n", &p), -EINVAL);
	assert_int_equal(kernel_parse_show_depends("insmod m/a.ko\n", &p), -EINVAL);
	assert_int_equal(kernel_parse_show_depends("insmod\n", &p), -EINVAL);
	assert_int_equal(kernel_parse_show_depends("builtin\n", &p), -EINVAL);
	assert_ptr_equal(p, keep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_classes),
		cmocka_unit_test(test_spec_paths),
		cmocka_unit_test(test_package_release),
		cmocka_unit_test(test_apt_output),
		cmocka_unit_test(test_bzimage_header),
		cmocka_unit_test(test_extract_each_compression),
		cmocka_unit_test(test_extract_rejects),
		cmocka_unit_test_setup_teardown(test_extract_to_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decompress_module, setup, teardown),
		cmocka_unit_test(test_show_depends),
	};
	return cmocka_run_group_tests_name("kernel", tests, NULL, NULL);
}
