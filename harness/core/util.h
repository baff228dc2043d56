/* util.h - small helpers shared by mph and its workloads: file I/O that returns
 * -errno, string helpers, monotonic time. Nothing here logs. */
#ifndef MPH_UTIL_H
#define MPH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* kill points for tests, nothing in the normal build; here so that any file may mark one */
#include "failpoint.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MPH_VERSION "0.1.0"

/* Read a whole (small) file into a NUL-terminated malloc'd buffer. -errno on failure. */
int read_file(const char *path, char **out, size_t *len);
/* The same from an open fd (left open), to its end or -EFBIG once past max bytes
 * (tracefs and procfs files say size 0, so their size cannot bound the read). */
int read_fd(int fd, char **out, size_t *len, size_t max);
/* Write a string to an existing file (sysfs/procfs style: one write). -errno. */
int write_file(const char *path, const char *s);
/* The same for path relative to the directory dirfd (openat; AT_FDCWD: as write_file). */
int write_file_at(int dirfd, const char *path, const char *s);
/* read_fd of path relative to dirfd: the whole file, -EFBIG past max bytes. -errno. */
int read_file_at(int dirfd, const char *path, char **out, size_t *len, size_t max);
/* Read a file holding one integer (trailing newline allowed). -errno, -EINVAL if not a number. */
int read_file_ll(const char *path, long long *out);
/* Write a file atomically: temp file in the same directory, fsync, rename. -errno. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Write what put(f, ctx) prints to path, atomically (write_file_atomic): nothing is
 * written when put fails (returns < 0) or the stream cannot be built. -errno. */
int write_stream_atomic(const char *path, int (*put)(FILE *f, void *ctx), void *ctx);
/* $env if set and not empty, else <directory of this executable>/rel (malloc'd):
 * where mph finds the programs built beside it. */
char *path_beside_self(const char *env, const char *rel);
/* Remove a directory tree, not following symlinks nor crossing mounts; a missing path
 * is not an error. -errno. */
int rm_rf(const char *path);
/* true when path is a directory holding nothing. */
bool dir_is_empty(const char *path);
/* A new directory parent/base, or parent/base.2, .3 ... when another process took the
 * name first (parent made if missing): malloc'd, or NULL with *err = -errno. */
char *mkdir_unique(const char *parent, const char *base, int *err);
/* snprintf into err (when err and errlen), for the "-errno, and err says why" style. */
void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* mkdir -p with mode 0755. -errno. */
int mkdir_p(const char *path);

/* Find "key value" at the start of a line in a key-value text (memory.stat, vmstat,
 * oom_control, meminfo without the unit). Returns 0 and sets *out, or -ENOENT. */
int kv_find_ll(const char *text, const char *key, long long *out);
/* "Key:   N kB" from a file such as /proc/meminfo or /proc/self/status, in bytes;
 * -1 when the file or the key is missing. */
long long read_kb_key(const char *path, const char *key);

/* v in decimal at out (no NUL; at most 20 bytes); returns the end. For writers of
 * many numbers (the recorder's CSV rows), where printf's cost shows. */
char *put_decimal(char *out, long long v);
/* v / 10^digits with that many decimals at out ("12.345" for 12345, 3; digits 1..18;
 * no NUL); returns the end. */
char *put_fixed(char *out, long long v, int digits);

/* RLIMIT_NOFILE: raise this process's soft limit to the hard one (once; the first
 * caller's original soft limit is kept) and return the soft limit now in force. For
 * code that keeps a file open per process it watches. nofile_restore() puts the
 * original soft limit back: call it in a child before exec (async-signal-safe), so
 * that programs mph starts see the limit they would have had (select() users expect
 * fds below 1024). */
unsigned long long nofile_raise(void);
void nofile_restore(void);

char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *strtrim(char *s);

/* Current UTC time: "20261122T030512Z" (directory names) or ISO 8601 (iso). */
char *utc_stamp(bool iso);
/* "KILL", "TERM"; "SIG34" for signals without an abbreviation (real-time ones). */
const char *signal_name(int sig, char *buf, size_t len);
uint64_t now_ms(void);   /* CLOCK_MONOTONIC in milliseconds */
uint64_t now_ns(void);   /* CLOCK_MONOTONIC in nanoseconds (latency samples) */
double now_s(void);      /* CLOCK_MONOTONIC in seconds */

/* A file's failed writes, reported once: the first error and how many failed in all. */
struct write_err {
	int err;             /* errno of the first failed write; 0: none failed */
	unsigned long count; /* failed writes, the first included */
};
void write_err_note(struct write_err *e, int err);
/* "writing PATH failed: ERROR (N failed writes)", malloc'd; NULL when none failed. */
char *write_err_msg(const struct write_err *e, const char *path);
/* write() until all of len is written (EINTR retried). 0 or -errno. */
int write_all(int fd, const void *buf, size_t len);

/* Edit distance (Levenshtein), used for "did you mean" suggestions. */
unsigned edit_distance(const char *a, const char *b);
/* The nearest of names[0..n) to s when close enough to be a likely typo, else NULL. */
const char *nearest_name(const char *s, const char *const *names, size_t n);

#endif
