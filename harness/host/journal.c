/* journal.c - see journal.h. Format: a header line "mph-journal 1 pid N boot ID", then
 * one entry per line, fields separated by a TAB:
 *   sysctl<TAB>vm.swappiness<TAB>60          (name, value before mph changed it)
 *   swap<TAB>/var/lib/mph/swap-N-R.img       (a swap file mph made and swapon'ed)
 *   cgroup<TAB>/sys/fs/cgroup/memory/.../mph-N-R (a cgroup directory mph created)
 *   trace<TAB>/sys/kernel/tracing/instances/mph-N (a tracefs instance mph created; mph-N-oom the OOM watch's)
 *   tracefs<TAB>/var/lib/mph/tracefs-N       (a tracefs mount of mph's own)
 * A torn last line (crash mid-write) is ignored: its change was never made, because
 * every change happens only after its entry is on disk. Anything else that is not
 * what mph writes (NUL bytes, unknown kinds, a sysctl off the table, a file or cgroup
 * not named as mph names its own) is corrupt: reported, not acted on, and the
 * journal is kept.
 *
 * The record of pending changes is one file per state directory, named by a hash
 * of its absolute path and holding that path; written before the journal's first
 * line and removed after the journal. */
#define _GNU_SOURCE
#include "journal.h"
#include "cgroup.h"
#include "swap.h"
#include "sysctl.h"
#include "trace.h"
#include "../core/util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MACHINE_LOCK_DIR "/run/lock"
#define MACHINE_RUN_DIR "/run/mph"

static const char *const kind_names[] = { [J_SYSCTL] = "sysctl", [J_SWAP] = "swap", [J_CGROUP] = "cgroup", [J_TRACE] = "trace",
					      [J_TRACEFS] = "tracefs", [J_ACTION] = "action" };

const char *journal_default_dir(void)
{
	const char *d = getenv("MPH_STATE_DIR");
	return d && *d ? d : "/var/lib/mph";
}

/* the pid the lock's holder wrote into the lock file; 0 when unreadable */
static int lock_holder(int fd)
{
	char buf[32] = { 0 };
	return pread(fd, buf, sizeof(buf) - 1, 0) > 0 ? atoi(buf) : 0;
}

int journal_lock(struct journal *j, const char *dir, const char *sysroot, unsigned wait_ms, int *holder)
{
	memset(j, 0, sizeof(*j));
	j->fd = j->lock_fd = -1;
	int r = mkdir_p(dir);
	if (r < 0)
		return r;
	j->dir = xstrdup(dir);
	j->path = xasprintf("%s/journal", dir);
	j->sysroot = xstrdup(sysroot);
	/* The lock guards the machine whose sysctls are changed, not the state directory:
	 * two runs with different state directories would journal each other's changes
	 * as "before" values and restore them wrongly. A stand-in sysroot (tests) has
	 * its own lock. */
	bool machine = strcmp(sysroot, "/proc/sys") == 0;
	char *sub = machine ? xstrdup(MACHINE_LOCK_DIR) : xasprintf("%s/.mph", sysroot);
	(void)mkdir_p(sub);
	free(sub);
	char *lp = machine ? xstrdup(MACHINE_LOCK_DIR "/mph.lock") : xasprintf("%s/.mph/lock", sysroot);
	j->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lp);
	if (j->lock_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* bounded wait: poll every 50 ms until the deadline (flock has no timeout); said
	 * once on stderr, so that a run that seems to hang says what it waits for */
	uint64_t deadline = now_ms() + wait_ms;
	bool said = false;
	while (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK && now_ms() < deadline) {
		if (!said) {
			fprintf(stderr, "mph: waiting up to %us for another mph (pid %d) to finish\n", (wait_ms + 999) / 1000,
				lock_holder(j->lock_fd));
			said = true;
		}
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK) {
			if (holder)
				*holder = lock_holder(j->lock_fd);
			r = -EBUSY;
		}
		goto fail;
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(j->lock_fd, 0) < 0 || pwrite(j->lock_fd, buf, (size_t)n, 0) != n) {
		r = -errno;
		goto fail;
	}
	return 0;
fail:
	if (j->lock_fd >= 0)
		close(j->lock_fd); /* not ours: must not truncate the holder's pid */
	j->lock_fd = -1;
	journal_unlock(j);
	return r;
}

void journal_unlock(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->lock_fd >= 0) {
		(void)!ftruncate(j->lock_fd, 0);
		close(j->lock_fd); /* releases the flock */
	}
	free(j->dir);
	free(j->path);
	free(j->sysroot);
	free(j->cgroot);
	memset(j, 0, sizeof(*j));
	j->fd = j->lock_fd = -1;
}

int journal_exists(const struct journal *j)
{
	return access(j->path, F_OK) == 0;
}

/* ---- the machine-wide record of pending changes ------------------------------ */

char *journal_pending_dir(const char *sysroot)
{
	return strcmp(sysroot, "/proc/sys") == 0 ? xstrdup(MACHINE_RUN_DIR "/pending")
						  : xasprintf("%s/.mph/pending", sysroot);
}

/* The record's file for state directory dir (which exists), malloc'd; NULL when dir
 * has no absolute path. *abs: that path (malloc'd). */
static char *pending_file(const char *sysroot, const char *dir, char **abs)
{
	char *real = realpath(dir, NULL);
	if (!real)
		return NULL;
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)real; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	char *pd = journal_pending_dir(sysroot);
	char *f = xasprintf("%s/%016llx", pd, (unsigned long long)h);
	free(pd);
	*abs = real;
	return f;
}

/* The state directory a record's file names, or NULL when it is not one mph wrote. */
static char *pending_read(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char buf[PATH_MAX + 2];
	ssize_t k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k < 2 || buf[0] != '/' || buf[k - 1] != '\n' || memchr(buf, '\0', (size_t)k))
		return NULL;
	buf[k - 1] = '\0';
	return strchr(buf, '\n') ? NULL : xstrdup(buf);
}

int journal_pending(const char *sysroot, const char *except, bool prune, char ***dirs, size_t *n)
{
	*dirs = NULL;
	*n = 0;
	char *pd = journal_pending_dir(sysroot), *ex = except ? realpath(except, NULL) : NULL;
	DIR *d = opendir(pd);
	free(pd);
	if (!d) {
		free(ex);
		return errno == ENOENT ? 0 : -errno;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sd = pending_read(dirfd(d), de->d_name);
		char *jp = sd ? xasprintf("%s/journal", sd) : NULL;
		bool live = jp && access(jp, F_OK) == 0;
		free(jp);
		if (sd && !live && prune)
			(void)unlinkat(dirfd(d), de->d_name, 0); /* its journal is gone */
		if (live && !(ex && strcmp(sd, ex) == 0)) {
			*dirs = xrealloc(*dirs, (*n + 1) * sizeof(**dirs));
			(*dirs)[(*n)++] = sd;
			sd = NULL;
		}
		free(sd);
	}
	closedir(d);
	free(ex);
	return (int)*n;
}

void journal_pending_free(char **dirs, size_t n)
{
	for (size_t i = 0; dirs && i < n; i++)
		free(dirs[i]);
	free(dirs);
}

/* Record j's state directory as having a journal; before the journal exists. */
static int pending_add(const struct journal *j)
{
	char *abs = NULL, *f = pending_file(j->sysroot, j->dir, &abs);
	if (!f)
		return -errno;
	char *pd = journal_pending_dir(j->sysroot);
	int r = mkdir_p(pd);
	free(pd);
	char *text = xasprintf("%s\n", abs);
	if (r == 0)
		r = write_file_atomic(f, text, strlen(text));
	free(text);
	free(abs);
	free(f);
	return r;
}

static void pending_remove(const struct journal *j)
{
	char *abs = NULL, *f = pending_file(j->sysroot, j->dir, &abs);
	if (f)
		(void)unlink(f);
	free(f);
	free(abs);
}

/* ---- writing ----------------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int append_line(int fd, const char *line)
{
	size_t len = strlen(line);
	ssize_t k = write(fd, line, len);
	if (k < 0)
		return -errno;
	if ((size_t)k != len)
		return -EIO;
	return fsync(fd) < 0 ? -errno : 0;
}

int journal_begin(struct journal *j)
{
	if (journal_exists(j))
		return -EEXIST;
	/* the record first: whatever state directory the next run uses, it sees this one */
	int r = pending_add(j);
	if (r < 0)
		return r;
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (j->fd < 0) {
		r = -errno;
		if (r != -EEXIST)
			pending_remove(j);
		return r;
	}
	char *boot = NULL;
	if (read_file("/proc/sys/kernel/random/boot_id", &boot, NULL) == 0)
		strtrim(boot);
	char *hdr = xasprintf("mph-journal 1 pid %d boot %s\n", (int)getpid(), boot ? boot : "unknown");
	free(boot);
	r = append_line(j->fd, hdr);
	free(hdr);
	if (r == 0)
		r = fsync_dir(j->dir);
	return r;
}

int journal_add(struct journal *j, enum journal_kind kind, const char *a, const char *b)
{
	if (j->fd < 0)
		return -EBADF;
	if (strpbrk(a, "\t\n") || (b && strpbrk(b, "\t\n")))
		return -EINVAL;
	char why[512];
	struct journal_entry e = { kind, (char *)a, (char *)b, 0, NULL };
	int r = journal_check_entry(j, (int)getpid(), &e, why, sizeof(why));
	if (r < 0)
		return r;
	char *line = b ? xasprintf("%s\t%s\t%s\n", kind_names[kind], a, b) : xasprintf("%s\t%s\n", kind_names[kind], a);
	r = append_line(j->fd, line);
	free(line);
	return r;
}

/* ---- reading ----------------------------------------------------------------- */

void journal_entries_free(struct journal_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].a);
		free(e[i].b);
	}
	free(e);
}

int journal_parse(const char *text, size_t len, struct journal_entry **out, size_t *n, int *pid, int *badline)
{
	struct journal_entry *v = NULL;
	size_t cnt = 0;
	const char *end = text + len, *nl = memchr(text, '\n', len);
	*pid = 0;
	/* the header, as a string of its own: text is len bytes, not NUL-terminated */
	char *hdr = nl && !memchr(text, '\0', (size_t)(nl - text)) ? strndup(text, (size_t)(nl - text)) : NULL;
	bool ok = hdr && sscanf(hdr, "mph-journal 1 pid %d", pid) == 1 && *pid > 0;
	free(hdr);
	if (!ok) {
		*badline = 1;
		return -EINVAL;
	}
	int line = 1;
	for (const char *p = nl + 1; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		bool nul = memchr(p, '\0', ll) != NULL;
		if (!nl && !nul)
			break; /* torn last line: its change was never made */
		struct journal_entry e = { J_SYSCTL, NULL, NULL, line, NULL };
		char *l = strndup(p, ll);
		char *f1 = l, *f2 = strchr(l, '\t'), *f3 = NULL;
		if (f2) {
			*f2++ = '\0';
			f3 = strchr(f2, '\t');
			if (f3)
				*f3++ = '\0';
		}
		int kind = -1;
		for (int k = 0; k < (int)ARRAY_SIZE(kind_names); k++)
			if (strcmp(f1, kind_names[k]) == 0)
				kind = k;
		if (nul)
			e.bad = "NUL bytes: not a line mph wrote";
		else if (kind < 0)
			e.bad = "not a kind of entry mph writes (sysctl, swap, cgroup, trace, tracefs, action)";
		else if (!f2 || !*f2 || (kind == J_SYSCTL || kind == J_ACTION) != (f3 != NULL) || (f3 && (!*f3 || strchr(f3, '\t'))))
			e.bad = kind == J_SYSCTL   ? "a sysctl entry has a name and a value"
				: kind == J_ACTION ? "an action entry has a name and what it did"
						   : "an entry of this kind has one path";
		if (!e.bad) {
			e.kind = (enum journal_kind)kind;
			e.a = xstrdup(f2);
			e.b = f3 ? xstrdup(f3) : NULL;
		}
		free(l);
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = e;
		if (!nl)
			break;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* "<prefix><pid>-<N><suffix>": mph's name for a swap file or cgroup of run pid. */
static bool mph_name(const char *name, const char *prefix, int pid, const char *suffix)
{
	size_t sl = strlen(suffix), n = strlen(name);
	char want[32];
	int wl = snprintf(want, sizeof(want), "%s%d-", prefix, pid);
	if (n <= (size_t)wl + sl || strncmp(name, want, (size_t)wl) != 0 || strcmp(name + n - sl, suffix) != 0)
		return false;
	for (size_t i = (size_t)wl; i < n - sl; i++)
		if (!isdigit((unsigned char)name[i]))
			return false;
	return name[wl] != '0';
}

/* path's directory, resolved, equals dir resolved? (dir must exist) */
static bool in_dir(const char *path, const char *dir)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return false;
	char *parent = strndup(path, (size_t)(slash - path));
	char *rp = realpath(parent, NULL), *rd = realpath(dir, NULL);
	bool same = rp && rd && strcmp(rp, rd) == 0;
	free(parent);
	free(rp);
	free(rd);
	return same;
}

/* Where mph's own cgroups go: below the cgroup this mph runs in (as local.c names them). */
static const char *cgroot(struct journal *j)
{
	if (!j->cgroot) {
		struct cg_env env;
		if (cg_env_detect(&env) == 0) {
			j->cgroot = xasprintf("%s%s", env.mount, env.own);
			cg_env_free(&env);
		}
	}
	return j->cgroot;
}

int journal_check_entry(struct journal *j, int pid, const struct journal_entry *e, char *why, size_t len)
{
	const char *base = strrchr(e->a, '/');
	base = base ? base + 1 : e->a;
	switch (e->kind) {
	case J_SYSCTL: {
		const struct sysctl_def *d = sysctl_find(e->a);
		long long v;
		char err[256];
		if (!d) {
			snprintf(why, len, "%s is not a sysctl mph sets", e->a);
			return -EINVAL;
		}
		if (!(d->partner && strcmp(e->b, "0") == 0) && sysctl_check(d, e->b, &v, err, sizeof(err)) < 0) {
			snprintf(why, len, "%s", err);
			return -EINVAL;
		}
		return 0;
	}
	case J_SWAP: {
		struct stat st;
		if (!mph_name(base, "swap-", pid, ".img") || !in_dir(e->a, j->dir)) {
			snprintf(why, len, "%s is not a swap file mph makes (%s/swap-%d-<N>.img)", e->a, j->dir, pid);
			return -EINVAL;
		}
		if (lstat(e->a, &st) == 0 && !S_ISREG(st.st_mode)) {
			snprintf(why, len, "%s is not a regular file", e->a);
			return -EINVAL;
		}
		return 0;
	}
	case J_CGROUP: {
		const char *root = cgroot(j);
		if (!root) {
			snprintf(why, len, "%s: cannot tell which cgroup mph runs in (no memory controller?)", e->a);
			return -EINVAL;
		}
		/* a run's cgroups, mph-<pid>-<repeat>; mph record's own, mph-rec-<pid> */
		char rec[32];
		snprintf(rec, sizeof(rec), "mph-rec-%d", pid);
		if (!(mph_name(base, "mph-", pid, "") || strcmp(base, rec) == 0) || !in_dir(e->a, root)) {
			snprintf(why, len,
				 "%s is not a cgroup mph creates (%s/mph-%d-<N> or mph-rec-%d: below the cgroup mph runs in; "
				 "run `mph restore` from the cgroup the run was started in)",
				 e->a, root, pid, pid);
			return -EINVAL;
		}
		return 0;
	}
	case J_TRACE: {
		/* <tracefs>/instances/mph-<pid>, tracefs being the usual mount or mph's own */
		char want[32], oom[40], own[32];
		snprintf(want, sizeof(want), "mph-%d", pid);
		snprintf(oom, sizeof(oom), "mph-%d-oom", pid); /* the OOM watch's (trace_oom_dir) */
		snprintf(own, sizeof(own), "tracefs-%d", pid);
		char *p = xstrdup(e->a), *inst = strrchr(p, '/');
		bool ok = (strcmp(base, want) == 0 || strcmp(base, oom) == 0) && inst && inst - p >= 10 && strncmp(inst - 10, "/instances", 10) == 0;
		if (ok) {
			inst[-10] = 0; /* p is the tracefs mount */
			const char *mb = strrchr(p, '/');
			ok = strcmp(p, "/sys/kernel/tracing") == 0 || strcmp(p, "/sys/kernel/debug/tracing") == 0 ||
			     (mb && strcmp(mb + 1, own) == 0 && in_dir(p, j->dir));
		}
		free(p);
		if (!ok) {
			snprintf(why, len, "%s is not a tracefs instance mph creates (<tracefs>/instances/mph-%d or mph-%d-oom)", e->a, pid, pid);
			return -EINVAL;
		}
		return 0;
	}
	case J_ACTION: {
		/* a name of the scenario's rule and one of the things an action does, in
		 * printable ASCII: replay only reports it */
		bool ok = *e->a && strlen(e->a) <= 40 && e->a[0] != '.' && e->b && strlen(e->b) <= 200;
		for (const char *p = e->a; ok && *p; p++)
			ok = isalnum((unsigned char)*p) || strchr("._-", *p);
		for (const char *p = e->b; ok && *p; p++)
			ok = *p >= 0x20 && *p < 0x7f;
		ok = ok && (strncmp(e->b, "drop_caches ", 12) == 0 || strcmp(e->b, "compact") == 0 ||
			    strncmp(e->b, "signal ", 7) == 0);
		if (!ok) {
			snprintf(why, len, "action %s: not an action mph records (a name, then drop_caches N, compact or signal ...)", e->a);
			return -EINVAL;
		}
		return 0;
	}
	case J_TRACEFS: {
		char own[32];
		snprintf(own, sizeof(own), "tracefs-%d", pid);
		if (strcmp(base, own) != 0 || !in_dir(e->a, j->dir)) {
			snprintf(why, len, "%s is not a tracefs mount mph makes (%s/tracefs-%d)", e->a, j->dir, pid);
			return -EINVAL;
		}
		return 0;
	}
	}
	snprintf(why, len, "unknown entry");
	return -EINVAL;
}

/* The value recorded for name in entries before index i, or NULL. */
static const char *saved_value(const struct journal_entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (e[i].kind == J_SYSCTL && strcmp(e[i].a, name) == 0)
			return e[i].b;
	return NULL;
}

static int undo_sysctl(const struct journal *j, const struct journal_entry *e, size_t n, size_t i, FILE *log)
{
	const struct journal_entry *x = &e[i];
	/* Only the first (oldest) entry for a name holds the original value. */
	for (size_t k = 0; k < i; k++)
		if (e[k].kind == J_SYSCTL && strcmp(e[k].a, x->a) == 0)
			return 0;
	/* A pair like dirty_ratio/dirty_bytes: the kernel keeps only one in force and
	 * zeroes the other when one is written. Writing the one that was 0 would fail
	 * (dirty_bytes rejects 0) or undo its partner, so write only the one in force. */
	const struct sysctl_def *d = sysctl_find(x->a);
	if (d && d->partner && strcmp(x->b, "0") == 0) {
		const char *pv = saved_value(e, n, d->partner);
		/* the partner's write zeroes this one; a 0 this one refuses (dirty_bytes'
		 * minimum) is restored by the partner even when that one was 0 too */
		if (pv && (strcmp(pv, "0") != 0 || d->min > 0)) {
			if (log)
				fprintf(log, "  %s: restored through %s = %s\n", x->a, d->partner, pv);
			return 0;
		}
	}
	int r = sysctl_write(j->sysroot, x->a, x->b);
	if (log)
		fprintf(log, "  sysctl %s = %s%s%s\n", x->a, x->b, r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
	return r;
}

/* The journal file's text, bounded: a regular file (not followed if a symlink) of
 * at most JOURNAL_MAX_BYTES. -EFBIG when larger. */
static int read_journal(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : st.st_size > JOURNAL_MAX_BYTES ? -EFBIG : 0;
	char *buf = r == 0 ? xcalloc(1, (size_t)st.st_size + 1) : NULL;
	size_t n = 0;
	while (r == 0 && n < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + n, (size_t)st.st_size - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : 0;
			break;
		}
		n += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The journal and its record are gone: the machine is as it was. */
static int remove_journal(struct journal *j)
{
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
	if (unlink(j->path) < 0)
		return -errno;
	(void)fsync_dir(j->dir);
	pending_remove(j);
	return 0;
}

int journal_replay(struct journal *j, FILE *log)
{
	char *text = NULL;
	size_t len = 0;
	int r = read_journal(j->path, &text, &len);
	if (r < 0) {
		if (log && r != -ENOENT)
			fprintf(log, "  %s: %s: not a journal mph wrote; nothing restored\n", j->path,
				r == -EFBIG ? "larger than mph's journals get" : strerror(-r));
		return r == -ENOENT ? r : -EBADMSG;
	}
	/* A crash between creating the journal and writing its first line leaves it
	 * empty or torn: nothing had been changed yet. Only a beginning of mph's header
	 * counts as that. */
	static const char hdr[] = "mph-journal 1 pid ";
	if (!memchr(text, '\n', len) && !memchr(text, '\0', len) && len < 128 &&
	    strncmp(text, hdr, len < sizeof(hdr) - 1 ? len : sizeof(hdr) - 1) == 0) {
		free(text);
		if (log)
			fprintf(log, "  the journal has no complete first line: it was cut off before any change\n");
		return remove_journal(j);
	}
	/* After a reboot the kernel's sysctls are the boot's, not the run's: writing the
	 * old values would undo whatever the boot set. Swap files stay on disk. */
	char *bootnow = NULL, jboot[64] = "";
	(void)sscanf(text, "mph-journal 1 pid %*d boot %63s", jboot);
	if (read_file("/proc/sys/kernel/random/boot_id", &bootnow, NULL) == 0)
		strtrim(bootnow);
	bool rebooted = *jboot && bootnow && strcmp(jboot, "unknown") != 0 && strcmp(jboot, bootnow) != 0;
	free(bootnow);
	struct journal_entry *e = NULL;
	size_t n = 0;
	int bad = 0, pid = 0;
	r = journal_parse(text, len, &e, &n, &pid, &bad);
	free(text);
	if (r < 0) {
		if (log)
			fprintf(log, "  %s:%d: not the header of a journal mph wrote; nothing restored\n", j->path, bad);
		return -EBADMSG;
	}
	/* Every entry is checked first; only those mph could have written are acted on
	 * (ok[] holds them, in journal order, for undo_sysctl's oldest-value rule). */
	struct journal_entry *ok = xcalloc(n + 1, sizeof(*ok));
	size_t nok = 0;
	int first = 0;
	char why[512];
	for (size_t k = 0; k < n; k++) {
		if (!e[k].bad && journal_check_entry(j, pid, &e[k], why, sizeof(why)) == 0) {
			ok[nok++] = e[k];
			continue;
		}
		if (log)
			fprintf(log, "  %s:%d: refused, not an entry mph writes: %s\n", j->path, e[k].line, e[k].bad ? e[k].bad : why);
		first = -EBADMSG;
	}
	bool corrupt = first < 0;
	for (size_t k = nok; k-- > 0;) {
		MPH_FAILPOINT("replay.entry");
		int x = 0;
		switch (ok[k].kind) {
		case J_CGROUP:
			x = cg_remove_dir(ok[k].a, 5000);
			if (x == -ENOENT)
				x = 0;
			if (log)
				fprintf(log, "  cgroup %s removed%s%s\n", ok[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_SWAP:
			x = swap_remove(ok[k].a);
			if (log)
				fprintf(log, "  swap %s off and deleted%s%s\n", ok[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_TRACE:
			x = trace_instance_remove(ok[k].a);
			if (log)
				fprintf(log, "  tracefs instance %s removed%s%s\n", ok[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_TRACEFS:
			x = trace_unmount(ok[k].a);
			if (log)
				fprintf(log, "  tracefs %s unmounted%s%s\n", ok[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_ACTION:
			if (log)
				fprintf(log, "  action %s (%s) was done during the run: nothing to undo\n", ok[k].a, ok[k].b);
			break;
		case J_SYSCTL:
			if (rebooted) {
				if (log)
					fprintf(log, "  sysctl %s: left as the reboot set it\n", ok[k].a);
				break;
			}
			/* a refused line may have been the oldest value of this sysctl: which
			 * value is the original cannot be told, so none is written */
			if (corrupt) {
				if (log)
					fprintf(log, "  sysctl %s: not restored (the journal is corrupt); line %d recorded %s\n",
						ok[k].a, ok[k].line, ok[k].b);
				break;
			}
			x = undo_sysctl(j, ok, nok, k, log);
			break;
		}
		if (x < 0 && first == 0)
			first = x;
	}
	free(ok);
	journal_entries_free(e, n);
	MPH_FAILPOINT("replay.done");
	if (first == 0)
		first = remove_journal(j);
	return first;
}
