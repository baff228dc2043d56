/* util.c - see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int read_fd(int fd, char **out, size_t *len, size_t max)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int r = 0;
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > max) {
			r = -EFBIG;
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	buf = NULL;
out:
	free(buf);
	return r;
}

int read_file(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_fd(fd, out, len, SIZE_MAX);
	close(fd);
	return r;
}

int write_file(const char *path, const char *s)
{
	return write_file_at(AT_FDCWD, path, s);
}

int read_file_at(int dirfd, const char *path, char **out, size_t *len, size_t max)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_fd(fd, out, len, max);
	close(fd);
	return r;
}

int write_file_at(int dirfd, const char *path, const char *s)
{
	int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* as `echo >` does */
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t k = write(fd, s, len);
	int r = k < 0 ? -errno : ((size_t)k == len ? 0 : -EIO);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int read_file_ll(const char *path, long long *out)
{
	char *buf = NULL;
	int r = read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		r = -EINVAL;
	else
		*out = v;
	free(buf);
	return r;
}

int write_file_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int r = 0;
	/* a new file: a symlink in its place is removed, never followed */
	(void)unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)k;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void)unlink(tmp);
out:
	free(tmp);
	return r;
}

int write_stream_atomic(const char *path, int (*put)(FILE *f, void *ctx), void *ctx)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	int r = put(f, ctx);
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	if (r >= 0)
		r = write_file_atomic(path, buf, len);
	free(buf);
	return r < 0 ? r : 0;
}

char *mkdir_unique(const char *parent, const char *base, int *err)
{
	int e = mkdir_p(parent);
	for (unsigned k = 1; e == 0 && k < 100; k++) {
		char *dir = k == 1 ? xasprintf("%s/%s", parent, base) : xasprintf("%s/%s.%u", parent, base, k);
		if (mkdir(dir, 0755) == 0)
			return dir;
		e = errno == EEXIST ? 0 : -errno;
		free(dir);
	}
	*err = e ? e : -EEXIST;
	return NULL;
}

void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int kv_find_ll(const char *text, const char *key, long long *out)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; ) {
		if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '\t' || p[kl] == ':')) {
			const char *v = p + kl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			char *end;
			errno = 0;
			long long x = strtoll(v, &end, 10);
			if (errno || end == v)
				return -EINVAL;
			*out = x;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

static void oom_exit(void)
{
	static const char msg[] = "mph: out of memory\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(70);
}

char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		oom_exit();
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		oom_exit();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

long long read_kb_key(const char *path, const char *key)
{
	char *buf = NULL;
	long long kb;
	if (read_file(path, &buf, NULL) < 0)
		return -1;
	int r = kv_find_ll(buf, key, &kb);
	free(buf);
	return r < 0 ? -1 : kb * 1024;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom_exit();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		oom_exit();
	return q;
}

static struct rlimit nofile_orig;
static bool nofile_raised;

unsigned long long nofile_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024; /* cannot happen on Linux; the usual soft limit */
	if (!nofile_raised && rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
			nofile_orig = rl;
			nofile_raised = true;
			rl = up;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY ? ULLONG_MAX : (unsigned long long)rl.rlim_cur;
}

void nofile_restore(void)
{
	if (nofile_raised)
		(void)setrlimit(RLIMIT_NOFILE, &nofile_orig);
}

/* Decimal of v ending at end; returns its start. */
static char *decimal_before(char *end, long long v)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--end = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--end = '-';
	return end;
}

char *put_decimal(char *out, long long v)
{
	char num[24], *s = decimal_before(num + sizeof(num), v);
	size_t n = (size_t)(num + sizeof(num) - s);
	memcpy(out, s, n);
	return out + n;
}

char *put_fixed(char *out, long long v, int digits)
{
	long long scale = 1;
	for (int i = 0; i < digits; i++)
		scale *= 10;
	if (v < 0) {
		*out++ = '-';
		v = -v;
	}
	out = put_decimal(out, v / scale);
	*out++ = '.';
	char frac[24], *s = decimal_before(frac + sizeof(frac), v % scale);
	for (int pad = digits - (int)(frac + sizeof(frac) - s); pad > 0; pad--)
		*out++ = '0';
	size_t n = (size_t)(frac + sizeof(frac) - s);
	memcpy(out, s, n);
	return out + n;
}

char *strtrim(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

const char *signal_name(int sig, char *buf, size_t len)
{
	const char *a = sigabbrev_np(sig);
	if (a)
		return a;
	snprintf(buf, len, "SIG%d", sig);
	return buf;
}

void write_err_note(struct write_err *e, int err)
{
	if (!e->count++)
		e->err = err ? err : EIO;
}

char *write_err_msg(const struct write_err *e, const char *path)
{
	if (!e->count)
		return NULL;
	if (e->count == 1)
		return xasprintf("writing %s failed: %s", path, strerror(e->err));
	return xasprintf("writing %s failed: %s (%lu failed writes)", path, strerror(e->err), e->count);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -EIO;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

char *utc_stamp(bool iso)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y%m%dT%H%M%SZ", &tm);
	return xstrdup(buf);
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned *row = xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	unsigned d = row[lb];
	free(row);
	return d;
}

const char *nearest_name(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	unsigned bd = UINT_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned d = edit_distance(s, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	size_t len = strlen(s);
	unsigned limit = len < 6 ? 2 : (unsigned)(len / 3);
	return bd <= limit ? best : NULL;
}

bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

char *path_beside_self(const char *env, const char *rel)
{
	const char *e = getenv(env);
	if (e && *e)
		return xstrdup(e);
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return xstrdup(rel);
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return xasprintf("%s/%s", self, rel);
}

static int rm_rf_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);
	return r < 0 && errno != ENOENT ? errno : 0;
}

int rm_rf(const char *path)
{
	if (!path)
		return 0;
	int r = nftw(path, rm_rf_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r < 0)
		return errno == ENOENT ? 0 : -errno;
	return r > 0 ? -r : 0;
}
