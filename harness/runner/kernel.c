/* kernel.c - see kernel.h. The external tools are Debian's own (apt-cache, apt-get,
 * dpkg-deb) and kmod's (depmod, modprobe); they are run with posix_spawnp, never through
 * a shell, with LC_ALL=C so their output can be parsed. libarchive decompresses. */
#define _GNU_SOURCE
#include "kernel.h"
#include "../core/units.h"
#include "../core/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The guest is qemu-system-x86_64: Debian's amd64 flavour. */
#define FLAVOUR "amd64"
/* Refuse to decompress more than this (a vmlinux is tens of MB). */
#define MAX_UNPACKED (1ULL << 30)
#define KERNEL_LOCK_WAIT_MS (20ULL * 60 * 1000) /* for another mph preparing the same kernel */

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- running tools ---- */

/* Run argv (searched in PATH) in cwd (NULL: ours), stdin from /dev/null, LC_ALL=C. Its
 * stdout is captured into *out (malloc'd, NUL-terminated) or, with out NULL, sent to our
 * stderr: mph's stdout carries only mph's own output. Its stderr is ours, or /dev/null
 * when quiet (probes whose failure is an answer). Returns -errno when it could not be
 * started, else its exit status (128+N when killed by signal N). */
static int run_cmd(const char *const argv[], const char *cwd, bool quiet, char **out)
{
	int pfd[2] = { -1, -1 }, r;
	size_t nenv = 0;
	while (environ[nenv])
		nenv++;
	char **envp = xcalloc(nenv + 2, sizeof(*envp));
	size_t j = 0;
	for (size_t i = 0; i < nenv; i++)
		if (strncmp(environ[i], "LC_ALL=", 7) && strncmp(environ[i], "LANGUAGE=", 9))
			envp[j++] = environ[i];
	envp[j++] = (char *)"LC_ALL=C";
	envp[j] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	char *buf = NULL;
	pid_t pid = -1;
	if (out && pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	(void)posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	(void)posix_spawn_file_actions_adddup2(&fa, out ? pfd[1] : 2, 1);
	if (quiet)
		(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (cwd)
		(void)posix_spawn_file_actions_addchdir_np(&fa, cwd);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
	if (r) {
		r = -r;
		pid = -1;
		goto out;
	}
	if (out) {
		close(pfd[1]);
		pfd[1] = -1;
		size_t cap = 4096, n = 0;
		buf = xcalloc(cap, 1);
		for (;;) {
			if (n + 1 >= cap) {
				cap *= 2;
				buf = xrealloc(buf, cap);
			}
			ssize_t k = read(pfd[0], buf + n, cap - n - 1);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;   /* a read error ends the capture; the exit status tells */
			n += (size_t)k;
		}
		buf[n] = '\0';
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			r = -errno;
			goto out;
		}
	r = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (out) {
		*out = buf;
		buf = NULL;
	}
out:
	free(buf);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	return r;
}

/* ---- a guest's scratch disk ---- */

int kernel_mkfs_ext4(const char *img, char *err, size_t errlen)
{
	/* inode tables and journal written here, not by the guest's ext4lazyinit thread
	 * in the middle of a measurement; one inode per MiB: the files are large */
	const char *const argv[] = { "mkfs.ext4", "-F", "-q", "-m", "0", "-T", "largefile", "-L", "mph-scratch", "-E",
				     "lazy_itable_init=0,lazy_journal_init=0,nodiscard", img, NULL };
	char *out = NULL;
	int r = run_cmd(argv, NULL, false, &out);
	if (r != 0)
		snprintf(err, errlen, "mkfs.ext4 %s %s: %s", img, r < 0 ? "could not be run" : "failed",
			 r < 0 ? strerror(-r) : out && *out ? strtrim(out) : "(no output)");
	free(out);
	return r < 0 ? r : r ? -EIO : 0;
}

/* ---- decompression ---- */

/* A libarchive reader of one raw stream, compressed in any way it knows, or not at all. */
static struct archive *raw_reader(void)
{
	struct archive *a = archive_read_new();
	if (!a)
		return NULL;
	(void)archive_read_support_filter_all(a);
	(void)archive_read_support_format_raw(a);
	return a;
}

/* Decompress a whole stream held in memory into a malloc'd buffer. expect: the size
 * the producer recorded (the result must have exactly it), or 0 for unknown. */
static int unpack_memory(const void *in, size_t inlen, size_t expect, void **out, size_t *outlen)
{
	struct archive *a = raw_reader();
	struct archive_entry *e;
	if (!a)
		return -ENOMEM;
	int r = 0;
	size_t cap = expect ? expect + 1 : 1 << 20, n = 0;
	char *buf = NULL;
	if (archive_read_open_memory(a, in, inlen) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = -EBADMSG;
		goto out;
	}
	buf = xcalloc(cap, 1);
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_UNPACKED) {
				r = -EFBIG;
				goto out;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		la_ssize_t k = archive_read_data(a, buf + n, cap - n);
		if (k < 0) {
			r = -EBADMSG;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (expect && n != expect) {
		r = -EBADMSG;
		goto out;
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
out:
	free(buf);
	archive_read_free(a);
	return r;
}

int kernel_decompress_file(const char *in, const char *out)
{
	struct archive *a = raw_reader();
	struct archive_entry *e;
	if (!a)
		return -ENOMEM;
	char *tmp = xasprintf("%s.tmp.%d", out, (int)getpid());
	int fd = -1, r = 0, infd = open(in, O_RDONLY | O_CLOEXEC);
	if (infd < 0) {
		r = -errno;
		goto out;
	}
	/* the bidders read (and may decompress) the start: a failure here is the data's */
	if (archive_read_open_fd(a, infd, 1 << 16) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
		r = -EBADMSG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	char buf[1 << 16];
	size_t total = 0;
	for (;;) {
		la_ssize_t k = archive_read_data(a, buf, sizeof(buf));
		if (k < 0) {
			r = -EBADMSG;
			goto out;
		}
		if (k == 0)
			break;
		total += (size_t)k;
		if (total > MAX_UNPACKED) {
			r = -EFBIG;
			goto out;
		}
		if ((r = write_all(fd, buf, (size_t)k)) < 0)
			goto out;
	}
	if (fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fd = -1;
	if (r == 0 && rename(tmp, out) < 0)
		r = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	archive_read_free(a);
	if (infd >= 0)
		close(infd);
	return r;
}

/* ---- bzImage ---- */

/* Offsets in the x86 setup header (Documentation/arch/x86/boot.rst). */
enum {
	HDR_SETUP_SECTS = 0x1f1,
	HDR_MAGIC = 0x202,          /* "HdrS" */
	HDR_PROTOCOL = 0x206,       /* boot protocol version, u16 */
	HDR_KERNEL_VERSION = 0x20e, /* u16: version string at this + 0x200 */
	HDR_PAYLOAD_OFFSET = 0x248, /* u32, from the protected-mode code (protocol 2.08+) */
	HDR_PAYLOAD_LENGTH = 0x24c, /* u32 */
	HDR_END = 0x250,
};

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }

static bool release_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '+' || c == '-' || c == '_' || c == '~';
}

/* A release usable as a directory name: [A-Za-z0-9.+_~-]{1,64}, not starting with '.' or '-'. */
static bool valid_release(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!release_char(s[i]))
			return false;
	return true;
}

/* Copy the first word of the NUL/space-terminated text at p (at most end - p bytes) to
 * rel; "" unless it is a plausible release. */
static void first_word(const char *p, const char *end, char *rel, size_t rellen)
{
	size_t n = 0;
	while (p + n < end && n + 1 < rellen && release_char(p[n]))
		n++;
	bool ended = p + n == end || p[n] == ' ' || p[n] == '\0';
	memcpy(rel, p, n);
	rel[n] = '\0';
	if (!ended || !valid_release(rel))
		rel[0] = '\0';
}

int bzimage_parse(const void *buf, size_t len, struct bzimage *bz)
{
	const unsigned char *b = buf;
	if (len < HDR_END || memcmp(b + HDR_MAGIC, "HdrS", 4) != 0)
		return -EINVAL;
	if (le16(b + HDR_PROTOCOL) < 0x208)   /* no payload fields before 2.08 */
		return -EINVAL;
	size_t setup_sects = b[HDR_SETUP_SECTS] ? b[HDR_SETUP_SECTS] : 4;
	size_t pm = (setup_sects + 1) * 512;
	size_t off = pm + le32(b + HDR_PAYLOAD_OFFSET), plen = le32(b + HDR_PAYLOAD_LENGTH);
	if (pm > len || off > len || plen < 8 || plen > len - off)
		return -EINVAL;
	struct bzimage t = { .payload_off = off, .payload_len = plen };
	size_t ver = le16(b + HDR_KERNEL_VERSION);
	if (ver && ver + 0x200 < pm)
		first_word((const char *)b + ver + 0x200, (const char *)b + pm, t.release, sizeof(t.release));
	*bz = t;
	return 0;
}

static const struct {
	const char *name;
	unsigned char magic[6];
	size_t len;
	bool size_in_stream;   /* gzip's trailer is the size; the others get it appended */
} payload_kinds[] = {
	{ "gzip", { 0x1f, 0x8b }, 2, true },
	{ "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, false },
	{ "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4, false },
	{ "lzma", { 0x5d, 0x00, 0x00 }, 3, false },
	{ "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4, false },   /* lz4 legacy frame */
	{ "bzip2", { 'B', 'Z', 'h' }, 3, false },
};

int bzimage_extract(const void *buf, size_t len, void **out, size_t *outlen)
{
	struct bzimage bz;
	int r = bzimage_parse(buf, len, &bz);
	if (r < 0)
		return r;
	const unsigned char *p = (const unsigned char *)buf + bz.payload_off;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(payload_kinds); i++)
		if (bz.payload_len >= payload_kinds[i].len && !memcmp(p, payload_kinds[i].magic, payload_kinds[i].len))
			break;
	if (i == ARRAY_SIZE(payload_kinds))
		return -ENOTSUP;
	/* The kernel's build appends the uncompressed size (le32) to every compressed
	 * image except gzip, whose own trailer ends with it: checking it tells a complete
	 * decompression from a truncated one. */
	size_t expect = le32(p + bz.payload_len - 4);
	size_t slen = payload_kinds[i].size_in_stream ? bz.payload_len : bz.payload_len - 4;
	void *data = NULL;
	size_t dlen = 0;
	if (expect == 0 || expect > MAX_UNPACKED)
		return -EBADMSG;
	r = unpack_memory(p, slen, expect, &data, &dlen);
	if (r < 0)
		return r;
	if (dlen < 4 || memcmp(data, "\177ELF", 4) != 0) {
		free(data);
		return -EBADMSG;
	}
	*out = data;
	*outlen = dlen;
	return 0;
}

int kernel_extract_vmlinux(const char *image, const char *out)
{
	char *buf = NULL;
	size_t len = 0;
	void *elf = NULL;
	size_t elflen = 0;
	int r = read_file(image, &buf, &len);
	if (r < 0)
		return r;
	r = bzimage_extract(buf, len, &elf, &elflen);
	free(buf);
	if (r < 0)
		return r;
	r = write_file_atomic(out, elf, elflen);
	free(elf);
	return r;
}

/* The release in an ELF vmlinux: the word after "Linux version " in linux_banner. */
static void elf_release(const char *buf, size_t len, char *rel, size_t rellen)
{
	static const char key[] = "Linux version ";
	const char *p = buf, *end = buf + len;
	rel[0] = '\0';
	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		p += sizeof(key) - 1;
		if (p < end && isdigit((unsigned char)*p)) {
			first_word(p, end, rel, rellen);
			if (rel[0])
				return;
		}
	}
}

/* ---- specs ---- */

/* "6.1.0-56-amd64", "6.12.117+deb12-amd64": three numbers, then a flavour after '-'. */
static bool looks_like_release(const char *rel)
{
	const char *s = rel;
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		if (i < 2 && *s++ != '.')
			return false;
	}
	return (*s == '-' || *s == '+') && strchr(s, '-') && valid_release(rel);
}

/* "6", "6.12": one or two numbers. */
static bool looks_like_series(const char *s)
{
	int dots = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (!isdigit((unsigned char)s[1]) || ++dots > 1)
				return false;
		} else if (!isdigit((unsigned char)*s)) {
			return false;
		}
	}
	return true;
}

static bool valid_package(const char *s)
{
	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && !strchr("+-.", *s))
			return false;
	return true;
}

char *kernel_package_release(const char *package)
{
	static const char prefix[] = "linux-image-", unsigned_sfx[] = "-unsigned";
	if (strncmp(package, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	char *rel = xstrdup(package + sizeof(prefix) - 1);
	size_t n = strlen(rel), u = sizeof(unsigned_sfx) - 1;
	if (n > u && strcmp(rel + n - u, unsigned_sfx) == 0)
		rel[n - u] = '\0';
	n = strlen(rel);
	/* -dbg packages carry debug symbols, no image */
	if (!looks_like_release(rel) || (n > 4 && strcmp(rel + n - 4, "-dbg") == 0)) {
		free(rel);
		return NULL;
	}
	return rel;
}

int kernel_spec_parse(const char *spec, struct kernel_spec *ks, char *err, size_t errlen)
{
	struct kernel_spec t = { 0 };
	if (!spec || !*spec) {
		set_err(err, errlen, "empty kernel spec");
		return -EINVAL;
	}
	if (spec[0] == '/' || spec[0] == '.') {
		t.kind = KSPEC_PATH;
		const char *colon = strrchr(spec, ':');
		if (colon && colon[1] && access(spec, F_OK) != 0) {
			t.image = strndup(spec, (size_t)(colon - spec));
			t.modroot = xstrdup(colon + 1);
		} else {
			t.image = xstrdup(spec);
		}
	} else if (strncmp(spec, "linux-image-", 12) == 0) {
		if (!valid_package(spec)) {
			set_err(err, errlen, "'%s' is not a valid Debian package name", spec);
			return -EINVAL;
		}
		t.kind = KSPEC_PACKAGE;
		t.pkgs[0] = xstrdup(spec);
		t.release = kernel_package_release(spec);
	} else if (looks_like_release(spec)) {
		t.kind = KSPEC_RELEASE;
		t.pkgs[0] = xasprintf("linux-image-%s", spec);
		t.release = xstrdup(spec);
	} else if (looks_like_series(spec)) {
		t.kind = KSPEC_SERIES;
		t.pkgs[0] = xasprintf("linux-image-%s-" FLAVOUR, spec);
		t.pkgs[1] = xstrdup("linux-image-" FLAVOUR);
		t.series_prefix = xasprintf("%s.", spec);
	} else {
		set_err(err, errlen,
		     "kernel '%s' is none of: a series such as 6.12, a release such as 6.1.0-56-amd64, "
		     "a package linux-image-..., a path starting with / or .", spec);
		return -EINVAL;
	}
	if (t.kind == KSPEC_PATH && !t.image) {
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*ks = t;
	return 0;
}

void kernel_spec_free(struct kernel_spec *ks)
{
	if (!ks)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(ks->pkgs); i++)
		free(ks->pkgs[i]);
	free(ks->series_prefix);
	free(ks->release);
	free(ks->image);
	free(ks->modroot);
	memset(ks, 0, sizeof(*ks));
}

void kernel_free(struct kernel *k)
{
	if (!k)
		return;
	free(k->spec);
	free(k->release);
	free(k->package);
	free(k->version);
	free(k->image);
	free(k->vmlinux);
	free(k->modroot);
	free(k->cache);
	memset(k, 0, sizeof(*k));
}

/* ---- apt ---- */

/* Text of one "Key: value" field at the start of a line in an apt record (after spaces
 * when indented, as apt-cache policy writes), up to the end of that line; NULL when
 * absent. Stops at the first blank line: one record only. */
static char *apt_field(const char *text, const char *key, bool indented)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p && *p != '\n';) {
		while (indented && *p == ' ')
			p++;
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			const char *v = p + kl + 1, *e;
			while (*v == ' ')
				v++;
			e = strchrnul(v, '\n');
			while (e > v && (e[-1] == ' ' || e[-1] == '\r'))
				e--;
			return strndup(v, (size_t)(e - v));
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int kernel_parse_policy(const char *text, char **candidate)
{
	char *c = apt_field(text, "Candidate", true);
	if (c && strcmp(c, "(none)") == 0) {
		free(c);
		c = NULL;
	}
	if (c && !*c) {
		free(c);
		return -EINVAL;
	}
	*candidate = c;
	return 0;
}

int kernel_parse_show(const char *text, char **image_dep, long long *size)
{
	char *dep = apt_field(text, "Depends", false), *sz = apt_field(text, "Size", false), *best = NULL;
	int r = 0;
	if (!sz) {
		r = -EINVAL;
		goto out;
	}
	char *end;
	errno = 0;
	long long v = strtoll(sz, &end, 10);
	if (errno || end == sz || *end || v < 0) {
		r = -EINVAL;
		goto out;
	}
	/* "a (>= 1), b | c, ...": the first alternative naming an image package */
	for (char *save = NULL, *d = dep ? strtok_r(dep, ",|", &save) : NULL; d && !best;
	     d = strtok_r(NULL, ",|", &save)) {
		d = strtrim(d);
		d[strcspn(d, " (:")] = '\0';
		char *rel = kernel_package_release(d);
		if (rel)
			best = xstrdup(d);
		free(rel);
	}
	*image_dep = best;
	*size = v;
out:
	free(dep);
	free(sz);
	return r;
}

/* The candidate version of pkg, NULL when apt has none (unknown package or none
 * installable). -errno when apt-cache cannot be run or fails. */
static int apt_candidate(const char *pkg, char **version)
{
	const char *argv[] = { "apt-cache", "policy", pkg, NULL };
	char *out = NULL;
	int r = run_cmd(argv, NULL, true, &out);
	if (r > 0)
		r = -EIO;
	if (r == 0)
		r = kernel_parse_policy(out, version);
	free(out);
	return r;
}

static int apt_show(const char *pkg, const char *version, char **image_dep, long long *size)
{
	char *arg = xasprintf("%s=%s", pkg, version), *out = NULL;
	const char *argv[] = { "apt-cache", "show", "--no-all-versions", arg, NULL };
	int r = run_cmd(argv, NULL, true, &out);
	if (r > 0)
		r = -EIO;
	if (r == 0)
		r = kernel_parse_show(out, image_dep, size);
	free(out);
	free(arg);
	return r;
}

static void apt_error(char *err, size_t errlen, const char *verb, const char *pkg, int r)
{
	if (r == -EIO)
		set_err(err, errlen, "apt-cache %s %s failed", verb, pkg);
	else if (r == -EINVAL)
		set_err(err, errlen, "apt-cache %s %s printed what mph cannot read", verb, pkg);
	else
		set_err(err, errlen, "cannot run apt-cache (Debian kernels need apt): %s", strerror(-r));
}

/* What apt would download for a Debian spec. */
struct apt_choice {
	char *package, *version, *release;
	long long size;
};

static void apt_choice_free(struct apt_choice *c)
{
	free(c->package);
	free(c->version);
	free(c->release);
	memset(c, 0, sizeof(*c));
}

/* Follow meta packages (linux-image-6.12-amd64 -> linux-image-6.12.117+deb12-amd64) to
 * the image package; a chain longer than this is not a kernel's. */
#define META_HOPS 3

static int apt_choose(const char *spec, const struct kernel_spec *ks, struct apt_choice *c, char *err,
		      size_t errlen)
{
	char *pkg = NULL, *ver = NULL, *dep = NULL, *skipped = NULL;
	long long size = 0;
	int r = -ENOENT;
	for (size_t i = 0; ks->pkgs[i] && r == -ENOENT; i++) {
		free(pkg);
		free(ver);
		pkg = xstrdup(ks->pkgs[i]);
		ver = NULL;
		if ((r = apt_candidate(pkg, &ver)) < 0) {
			apt_error(err, errlen, "policy", pkg, r);
			goto out;
		}
		if (!ver) {
			r = -ENOENT;
			continue;
		}
		if (i > 0 && ks->series_prefix && strncmp(ver, ks->series_prefix, strlen(ks->series_prefix)) != 0) {
			free(skipped);
			skipped = xasprintf("%s is %s", pkg, ver);
			r = -ENOENT;
			continue;
		}
		r = 0;
	}
	if (r == -ENOENT) {
		if (ks->kind == KSPEC_SERIES && skipped)
			set_err(err, errlen, "no Debian kernel %s: apt knows no %s, and %s (apt-get update may help)", spec,
			     ks->pkgs[0], skipped);
		else if (ks->kind == KSPEC_SERIES)
			set_err(err, errlen, "no Debian kernel %s: apt knows neither %s nor %s (apt-get update may help)",
			     spec, ks->pkgs[0], ks->pkgs[1]);
		else
			set_err(err, errlen, "no Debian kernel %s: apt knows no package %s (apt-get update may help)", spec,
			     ks->pkgs[0]);
		goto out;
	}
	for (int hop = 0;; hop++) {
		char *rel = kernel_package_release(pkg);
		if ((r = apt_show(pkg, ver, &dep, &size)) < 0) {
			apt_error(err, errlen, "show", pkg, r);
			free(rel);
			goto out;
		}
		if (rel) {
			c->package = pkg;
			c->version = ver;
			c->release = rel;
			c->size = size;
			pkg = ver = NULL;
			break;
		}
		if (!dep || hop == META_HOPS) {
			set_err(err, errlen, "%s %s is not a kernel image package and depends on none", pkg, ver);
			r = -ENOENT;
			goto out;
		}
		free(pkg);
		free(ver);
		pkg = dep;
		dep = NULL;
		ver = NULL;
		if ((r = apt_candidate(pkg, &ver)) < 0) {
			apt_error(err, errlen, "policy", pkg, r);
			goto out;
		}
		if (!ver) {
			set_err(err, errlen, "%s needs %s, which apt cannot find", ks->pkgs[0], pkg);
			r = -ENOENT;
			goto out;
		}
	}
out:
	free(pkg);
	free(ver);
	free(dep);
	free(skipped);
	return r;
}

/* ---- the cache ---- */

/* D such that D/lib/modules/<release> exists: root, or root/usr (merged-/usr packages). */
static char *find_modroot(const char *root, const char *release)
{
	static const char *const subs[] = { "", "/usr" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s%s/lib/modules/%s", root, subs[i], release);
		bool ok = is_dir(d);
		free(d);
		if (ok)
			return xasprintf("%s%s", root, subs[i]);
	}
	return NULL;
}

/* Fill t from the cache directory of release if it holds a finished kernel (READY).
 * -ENOENT when it does not. */
static int cache_load(const char *cache_dir, const char *release, struct kernel *t, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/kernels/%s", cache_dir, release);
	char *ready = xasprintf("%s/READY", dir), *text = NULL;
	struct kernel k = { 0 };
	int r = read_file(ready, &text, NULL);
	if (r < 0) {
		if (r != -ENOENT)
			set_err(err, errlen, "cannot read %s: %s", ready, strerror(-r));
		goto out;
	}
	k.package = apt_field(text, "package", false);
	k.version = apt_field(text, "version", false);
	k.release = apt_field(text, "release", false);
	if (!k.package || !k.version || !k.release || strcmp(k.release, release) != 0) {
		set_err(err, errlen, "%s is not what mph writes there: remove %s", ready, dir);
		r = -EINVAL;
		goto out;
	}
	char *root = xasprintf("%s/root", dir);
	k.modroot = find_modroot(root, release);
	free(root);
	k.image = xasprintf("%s/root/boot/vmlinuz-%s", dir, release);
	char *vmlinux = xasprintf("%s/vmlinux", dir);
	if (is_file(vmlinux))
		k.vmlinux = vmlinux;
	else
		free(vmlinux);
	if (!k.modroot || !is_file(k.image)) {
		set_err(err, errlen, "%s lacks its image or modules: remove %s", dir, dir);
		r = -EINVAL;
		goto out;
	}
	k.cache = dir;
	dir = NULL;
	*t = k;
	memset(&k, 0, sizeof(k));
out:
	kernel_free(&k);
	free(text);
	free(ready);
	free(dir);
	return r;
}

/* The one .deb apt-get download left in dir. */
static char *find_deb(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;
	int n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".deb") == 0 && n++ == 0)
			found = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n != 1) {
		free(found);
		return NULL;
	}
	return found;
}

/* Download, unpack and prepare c into dir (which does not exist). READY is written last. */
static int cache_fill(const char *dir, const struct apt_choice *c, char *err, size_t errlen)
{
	char *arg = xasprintf("%s=%s", c->package, c->version);
	char *root = xasprintf("%s/root", dir), *deb = NULL, *modroot = NULL, *image = NULL, *vmlinux = NULL;
	char *ready = NULL;
	int r, dfd = -1;
	if (mkdir(dir, 0755) < 0) {
		r = -errno;
		set_err(err, errlen, "cannot create %s: %s", dir, strerror(-r));
		goto out;
	}
	/* As root apt downloads as user _apt, who may not write here: stay root instead. */
	const char *dl_root[] = { "apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", arg, NULL };
	const char *dl_user[] = { "apt-get", "download", "-q", arg, NULL };
	r = run_cmd(geteuid() == 0 ? dl_root : dl_user, dir, false, NULL);
	if (r != 0 || !(deb = find_deb(dir))) {
		set_err(err, errlen, "apt-get download %s %s (apt-get update may help)",
		     r < 0 ? "could not be run" : r > 0 ? "failed" : "left no single .deb", arg);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	const char *x[] = { "dpkg-deb", "-x", deb, root, NULL };
	if ((r = run_cmd(x, NULL, false, NULL)) != 0) {
		set_err(err, errlen, "dpkg-deb -x %s %s failed", deb, root);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	(void)unlink(deb);   /* unpacked: the .deb is no longer needed */
	modroot = find_modroot(root, c->release);
	image = xasprintf("%s/boot/vmlinuz-%s", root, c->release);
	if (!modroot || !is_file(image)) {
		set_err(err, errlen, "%s holds no boot/vmlinuz-%s with lib/modules/%s", arg, c->release, c->release);
		r = -ENOENT;
		goto out;
	}
	/* Debian's postinst makes modules.dep; the package ships none. No host depmod.d. */
	const char *dm[] = { "depmod", "-C", "/dev/null", "-b", modroot, c->release, NULL };
	if ((r = run_cmd(dm, NULL, false, NULL)) != 0) {
		set_err(err, errlen, "depmod -b %s %s failed", modroot, c->release);
		r = r < 0 ? r : -EIO;
		goto out;
	}
	/* Without a vmlinux the guest boots the vmlinuz, only slower: not an error. */
	vmlinux = xasprintf("%s/vmlinux", dir);
	(void)kernel_extract_vmlinux(image, vmlinux);

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || syncfs(dfd) < 0) {   /* all of it on disk before READY says so */
		r = -errno;
		set_err(err, errlen, "cannot sync %s: %s", dir, strerror(-r));
		goto out;
	}
	ready = xasprintf("%s/READY", dir);
	char *text = xasprintf("package: %s\nversion: %s\nrelease: %s\n", c->package, c->version, c->release);
	r = write_file_atomic(ready, text, strlen(text));
	free(text);
	if (r < 0)
		set_err(err, errlen, "cannot write %s: %s", ready, strerror(-r));
out:
	if (dfd >= 0)
		close(dfd);
	free(arg);
	free(root);
	free(deb);
	free(modroot);
	free(image);
	free(vmlinux);
	free(ready);
	return r;
}

/* Take the per-release lock, then fill the cache unless another mph did meanwhile. A
 * directory without READY is what an interrupted attempt left: wiped and redone. */
static int cache_prepare(const char *cache_dir, const struct apt_choice *c, char *err, size_t errlen)
{
	char *kdir = xasprintf("%s/kernels", cache_dir);
	char *lock = xasprintf("%s/%s.lock", kdir, c->release), *dir = xasprintf("%s/%s", kdir, c->release);
	char *ready = xasprintf("%s/READY", dir);
	int fd = -1, r = mkdir_p(kdir);
	if (r < 0) {
		set_err(err, errlen, "cannot create %s: %s", kdir, strerror(-r));
		goto out;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		set_err(err, errlen, "cannot open %s: %s", lock, strerror(-r));
		goto out;
	}
	/* Waits while another mph downloads the same kernel (released when it exits), but
	 * not forever: a download stuck longer than this is not worth waiting for. */
	for (uint64_t waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 200) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = -errno;
			set_err(err, errlen, "cannot lock %s: %s", lock, strerror(-r));
			goto out;
		}
		if (waited >= KERNEL_LOCK_WAIT_MS) {
			r = -ETIMEDOUT;
			set_err(err, errlen, "another mph has been preparing kernel %s for %llu minutes (lock %s)", c->release,
			     (unsigned long long)(KERNEL_LOCK_WAIT_MS / 60000), lock);
			goto out;
		}
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (is_file(ready))
		goto out;
	if ((r = rm_rf(dir)) < 0) {
		set_err(err, errlen, "cannot remove the unfinished %s: %s", dir, strerror(-r));
		goto out;
	}
	r = cache_fill(dir, c, err, errlen);
	if (r < 0)
		(void)rm_rf(dir);   /* no half kernel left to take space */
out:
	if (fd >= 0)
		close(fd);   /* releases the lock */
	free(kdir);
	free(lock);
	free(dir);
	free(ready);
	return r;
}

/* 1 when the cache holds a finished kernel of this release, 0 when not, -errno when
 * what it holds is broken. */
static int cache_has(const char *cache_dir, const char *release, char *err, size_t errlen)
{
	struct kernel t = { 0 };
	int r = cache_load(cache_dir, release, &t, err, errlen);
	kernel_free(&t);
	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

/* ---- a user's own kernel ---- */

/* D with image at D/boot/vmlinuz-<release> and D/lib/modules/<release>, then "/". */
static char *guess_modroot(const char *image, const char *release)
{
	char *tail = xasprintf("/boot/vmlinuz-%s", release), *d = NULL;
	size_t il = strlen(image), tl = strlen(tail);
	if (il >= tl && strcmp(image + il - tl, tail) == 0) {
		char *root = strndup(image, il - tl);   /* "" for /boot/vmlinuz-<release> */
		d = root ? find_modroot(root, release) : NULL;
		if (d && !*d) {
			free(d);
			d = xstrdup("/");
		}
		free(root);
	}
	free(tail);
	if (!d) {
		char *host = xasprintf("/lib/modules/%s", release);
		if (is_dir(host))
			d = xstrdup("/");
		free(host);
	}
	return d;
}

/* FNV-1a, 64 bits: names a cached vmlinux after the image it came from. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ULL;
	return h;
}

/* The vmlinux of a user's bzImage (held in buf), cached under
 * <cache_dir>/local/<release>-<hash of path, size, mtime>; NULL when it cannot be made. */
static char *local_vmlinux(const char *image, const void *buf, size_t len, const char *release,
			   const char *cache_dir)
{
	struct stat st;
	if (stat(image, &st) < 0)
		return NULL;
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, image, strlen(image) + 1);
	long long key[3] = { (long long)st.st_size, (long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec };
	h = fnv1a(h, key, sizeof(key));
	char *dir = xasprintf("%s/local/%s-%016llx", cache_dir, release, (unsigned long long)h);
	char *path = xasprintf("%s/vmlinux", dir);
	void *elf = NULL;
	size_t elflen = 0;
	if (!is_file(path) && (mkdir_p(dir) < 0 || bzimage_extract(buf, len, &elf, &elflen) < 0 ||
			       write_file_atomic(path, elf, elflen) < 0)) {
		free(path);
		path = NULL;
	}
	free(elf);
	free(dir);
	return path;
}

int kernel_from_paths(const char *image, const char *modroot, const char *cache_dir, struct kernel *k, char *err,
		      size_t errlen)
{
	struct kernel t = { 0 };
	char *buf = NULL, *mdir = NULL, rel[65] = "";
	size_t len = 0;
	int r = read_file(image, &buf, &len);
	if (r < 0) {
		set_err(err, errlen, "cannot read kernel image %s: %s", image, strerror(-r));
		return r;
	}
	bool elf = len >= 4 && memcmp(buf, "\177ELF", 4) == 0;
	struct bzimage bz;
	if (elf) {
		elf_release(buf, len, rel, sizeof(rel));
	} else if (bzimage_parse(buf, len, &bz) == 0) {
		strcpy(rel, bz.release);
	} else {
		set_err(err, errlen, "%s is neither a bzImage (vmlinuz) nor an ELF vmlinux", image);
		r = -EINVAL;
		goto out;
	}
	if (!rel[0]) {
		set_err(err, errlen, "%s carries no kernel version string", image);
		r = -EINVAL;
		goto out;
	}
	t.release = xstrdup(rel);
	t.spec = modroot ? xasprintf("%s:%s", image, modroot) : xstrdup(image);
	if (!(t.image = realpath(image, NULL))) {
		r = -errno;
		set_err(err, errlen, "cannot resolve %s: %s", image, strerror(-r));
		goto out;
	}
	if (modroot) {
		mdir = xasprintf("%s/lib/modules/%s", modroot, rel);
		if (!is_dir(mdir) || !(t.modroot = realpath(modroot, NULL))) {
			set_err(err, errlen, "%s does not exist: the modules of %s belong there", mdir, image);
			r = -ENOENT;
			goto out;
		}
	} else {
		t.modroot = guess_modroot(t.image, rel);
	}
	if (elf)
		t.vmlinux = xstrdup(t.image);
	else if (cache_dir)
		t.vmlinux = local_vmlinux(t.image, buf, len, rel, cache_dir);
	*k = t;
	memset(&t, 0, sizeof(t));
out:
	kernel_free(&t);
	free(mdir);
	free(buf);
	return r;
}

/* ---- resolve and plan ---- */

int kernel_resolve(const char *spec, const char *cache_dir, bool may_download, struct kernel *k, char *err,
		   size_t errlen)
{
	struct kernel_spec ks;
	struct apt_choice c = { 0 };
	struct kernel t = { 0 };
	int r = kernel_spec_parse(spec, &ks, err, errlen);
	if (r < 0)
		return r;
	if (ks.kind == KSPEC_PATH) {
		r = kernel_from_paths(ks.image, ks.modroot, cache_dir, &t, err, errlen);
		goto done;
	}
	if (!cache_dir) {
		set_err(err, errlen, "no cache directory for Debian kernel %s", spec);
		r = -EINVAL;
		goto out;
	}
	/* a release (or image package) already here needs no apt at all */
	if (ks.release && (r = cache_load(cache_dir, ks.release, &t, err, errlen)) != -ENOENT)
		goto done;
	if ((r = apt_choose(spec, &ks, &c, err, errlen)) < 0)
		goto out;
	if ((r = cache_load(cache_dir, c.release, &t, err, errlen)) != -ENOENT)
		goto done;
	if (!may_download) {
		char sz[32];
		set_err(err, errlen, "kernel %s is not in %s/kernels: it needs %s %s downloaded (%s)", spec, cache_dir,
		     c.package, c.version, format_size((uint64_t)c.size, sz, sizeof(sz)));
		r = -ENOENT;
		goto out;
	}
	if ((r = cache_prepare(cache_dir, &c, err, errlen)) < 0)
		goto out;
	if ((r = cache_load(cache_dir, c.release, &t, err, errlen)) == -ENOENT)
		set_err(err, errlen, "%s/kernels/%s vanished after it was prepared", cache_dir, c.release);
done:
	if (r == 0) {
		free(t.spec);
		t.spec = xstrdup(spec);
		*k = t;
		memset(&t, 0, sizeof(t));
	}
out:
	kernel_free(&t);
	apt_choice_free(&c);
	kernel_spec_free(&ks);
	return r;
}

int kernel_plan(const char *spec, const char *cache_dir, bool *cached, char **package, char **version,
		long long *download_bytes, char *err, size_t errlen)
{
	struct kernel_spec ks;
	struct apt_choice c = { 0 };
	int r = kernel_spec_parse(spec, &ks, err, errlen), have = 0;
	if (r < 0)
		return r;
	if (ks.kind == KSPEC_PATH) {
		if (access(ks.image, R_OK) < 0) {
			r = -errno;
			set_err(err, errlen, "cannot read kernel image %s: %s", ks.image, strerror(-r));
			goto out;
		}
		have = 1;
	} else if (!cache_dir) {
		set_err(err, errlen, "no cache directory for Debian kernel %s", spec);
		r = -EINVAL;
		goto out;
	} else if (!ks.release || (have = cache_has(cache_dir, ks.release, err, errlen)) == 0) {
		if ((r = apt_choose(spec, &ks, &c, err, errlen)) < 0)
			goto out;
		have = cache_has(cache_dir, c.release, err, errlen);
	}
	if (have < 0) {
		r = have;
		goto out;
	}
	*cached = have;
	*package = have ? NULL : c.package;
	*version = have ? NULL : c.version;
	*download_bytes = have ? 0 : c.size;
	if (!have)
		c.package = c.version = NULL;
out:
	apt_choice_free(&c);
	kernel_spec_free(&ks);
	return r;
}

/* ---- modules ---- */

int kernel_parse_show_depends(const char *text, char ***paths)
{
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	int r = 0;
	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		char *line = strndup(p, (size_t)(e - p));
		p = *e ? e + 1 : e;
		if (!line) {
			r = -ENOMEM;
			break;
		}
		char *save = NULL, *verb = strtok_r(line, " \t", &save), *arg = verb ? strtok_r(NULL, " \t", &save) : NULL;
		if (!verb) {
			free(line);   /* blank line */
			continue;
		}
		if (strcmp(verb, "builtin") == 0 && arg) {
			free(line);
			continue;
		}
		if (strcmp(verb, "insmod") != 0 || !arg || arg[0] != '/') {
			free(line);
			r = -EINVAL;
			break;
		}
		bool seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(v[i], arg) == 0;
		if (!seen) {
			v = xrealloc(v, (n + 2) * sizeof(*v));
			v[n++] = xstrdup(arg);
			v[n] = NULL;
		}
		free(line);
	}
	if (r < 0) {
		kernel_files_free(v);
		return r;
	}
	*paths = v;
	return 0;
}

void kernel_files_free(char **files)
{
	if (!files)
		return;
	for (char **f = files; *f; f++)
		free(*f);
	free(files);
}

static bool valid_module(const char *m)
{
	if (!*m || *m == '-')
		return false;
	for (; *m; m++)
		if (!isalnum((unsigned char)*m) && *m != '_' && *m != '-')
			return false;
	return true;
}

/* modprobe --show-depends for mods in k's tree, ignoring the host's modprobe.d. */
static int show_depends(const struct kernel *k, const char *const *mods, size_t n, char **out)
{
	const char *head[] = { "modprobe", "-C", "/dev/null", "-d", k->modroot, "-S", k->release, "--show-depends", "-a" };
	const char **argv = xcalloc(ARRAY_SIZE(head) + n + 1, sizeof(*argv));
	memcpy(argv, head, sizeof(head));
	memcpy(argv + ARRAY_SIZE(head), mods, n * sizeof(*mods));
	int r = run_cmd(argv, NULL, true, out);
	free(argv);
	return r;
}

int kernel_modules(const struct kernel *k, const char *const *mods, const char *outdir, char ***files, char *err,
		   size_t errlen)
{
	char *out = NULL, **paths = NULL, **names = NULL;
	size_t n = 0;
	int r;
	if (!k->modroot) {
		set_err(err, errlen, "kernel %s has no modules directory (give it as IMAGE:MODROOT)", k->release);
		return -ENOENT;
	}
	for (; mods[n]; n++)
		if (!valid_module(mods[n])) {
			set_err(err, errlen, "'%s' is not a module name", mods[n]);
			return -EINVAL;
		}
	if ((r = show_depends(k, mods, n, &out)) < 0) {
		set_err(err, errlen, "cannot run modprobe (package kmod): %s", strerror(-r));
		goto out;
	}
	if (r > 0) {
		/* modprobe stops at the first name it cannot find: ask one by one which */
		for (size_t i = 0; i < n && r > 0; i++) {
			char *one = NULL;
			if (show_depends(k, mods + i, 1, &one) != 0) {
				set_err(err, errlen, "module %s is not in kernel %s (neither in %s/lib/modules/%s nor built in)",
				     mods[i], k->release, k->modroot, k->release);
				r = -ENOENT;
			}
			free(one);
		}
		if (r > 0) {
			set_err(err, errlen, "modprobe --show-depends failed for kernel %s in %s", k->release, k->modroot);
			r = -EIO;
		}
		goto out;
	}
	if ((r = kernel_parse_show_depends(out, &paths)) < 0) {
		set_err(err, errlen, "unexpected output from modprobe --show-depends");
		goto out;
	}
	if ((r = mkdir_p(outdir)) < 0) {
		set_err(err, errlen, "cannot create %s: %s", outdir, strerror(-r));
		goto out;
	}
	size_t np = 0;
	while (paths[np])
		np++;
	names = xcalloc(np + 1, sizeof(*names));
	for (size_t i = 0; i < np; i++) {
		const char *base = strrchr(paths[i], '/') + 1, *ko = strstr(base, ".ko");
		if (!ko || ko == base) {
			set_err(err, errlen, "modprobe named %s, which is not a module file", paths[i]);
			r = -EINVAL;
			goto out;
		}
		names[i] = xasprintf("%.*s.ko", (int)(ko - base), base);
		char *dst = xasprintf("%s/%s", outdir, names[i]);
		r = kernel_decompress_file(paths[i], dst);
		if (r < 0)
			set_err(err, errlen, "cannot decompress %s to %s: %s", paths[i], dst, strerror(-r));
		free(dst);
		if (r < 0)
			goto out;
	}
	*files = names;
	names = NULL;
out:
	kernel_files_free(names);
	kernel_files_free(paths);
	free(out);
	return r;
}
