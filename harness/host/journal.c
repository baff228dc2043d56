/* journal.c - see journal.h. Format: a header line "mph-journal 1 pid N", then one
 * entry per line, fields separated by a TAB:
 *   sysctl<TAB>vm.swappiness<TAB>60      (name, value before mph changed it)
 *   swap<TAB>/var/lib/mph/swap-123.img   (a swap file mph made and swapon'ed)
 *   cgroup<TAB>/sys/fs/cgroup/memory/... (a cgroup directory mph created)
 * A torn last line (crash mid-write) is ignored: its change was never made, because
 * every change happens only after its entry is on disk. */
#define _GNU_SOURCE
#include "journal.h"
#include "cgroup.h"
#include "swap.h"
#include "sysctl.h"
#include "../core/util.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define MACHINE_LOCK_DIR "/run/lock"

static const char *const kind_names[] = { [J_SYSCTL] = "sysctl", [J_SWAP] = "swap", [J_CGROUP] = "cgroup" };

const char *journal_default_dir(void)
{
	const char *d = getenv("MPH_STATE_DIR");
	return d && *d ? d : "/var/lib/mph";
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
	if (machine)
		(void)mkdir_p(MACHINE_LOCK_DIR);
	char *lp = machine ? xstrdup(MACHINE_LOCK_DIR "/mph.lock") : xasprintf("%s/lock", dir);
	j->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lp);
	if (j->lock_fd < 0) {
		r = -errno;
		goto fail;
	}
	/* bounded wait: poll every 50 ms until the deadline (flock has no timeout) */
	uint64_t deadline = now_ms() + wait_ms;
	while (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK && now_ms() < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (flock(j->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		if (r == -EWOULDBLOCK) {
			char buf[32] = { 0 };
			if (pread(j->lock_fd, buf, sizeof(buf) - 1, 0) > 0 && holder)
				*holder = atoi(buf);
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
	memset(j, 0, sizeof(*j));
	j->fd = j->lock_fd = -1;
}

int journal_exists(const struct journal *j)
{
	return access(j->path, F_OK) == 0;
}

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
	j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	if (j->fd < 0)
		return -errno;
	char *boot = NULL;
	if (read_file("/proc/sys/kernel/random/boot_id", &boot, NULL) == 0)
		strtrim(boot);
	char *hdr = xasprintf("mph-journal 1 pid %d boot %s\n", (int)getpid(), boot ? boot : "unknown");
	free(boot);
	int r = append_line(j->fd, hdr);
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
	char *line = b ? xasprintf("%s\t%s\t%s\n", kind_names[kind], a, b) : xasprintf("%s\t%s\n", kind_names[kind], a);
	int r = append_line(j->fd, line);
	free(line);
	return r;
}

void journal_entries_free(struct journal_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].a);
		free(e[i].b);
	}
	free(e);
}

int journal_parse(const char *text, struct journal_entry **out, size_t *n, int *badline)
{
	struct journal_entry *v = NULL;
	size_t cnt = 0;
	int line = 0;
	const char *p = text;
	if (strncmp(p, "mph-journal 1", 13) != 0) {
		*badline = 1;
		return -EINVAL;
	}
	while (*p) {
		const char *nl = strchr(p, '\n');
		line++;
		if (!nl)
			break; /* torn last line: its change was never made */
		if (line == 1) {
			p = nl + 1;
			continue;
		}
		char *l = strndup(p, (size_t)(nl - p));
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
		if (kind < 0 || !f2 || !*f2 || ((kind == J_SYSCTL) != (f3 != NULL))) {
			free(l);
			journal_entries_free(v, cnt);
			*badline = line;
			return -EINVAL;
		}
		v = xrealloc(v, (cnt + 1) * sizeof(*v));
		v[cnt].kind = (enum journal_kind)kind;
		v[cnt].a = xstrdup(f2);
		v[cnt].b = f3 ? xstrdup(f3) : NULL;
		cnt++;
		free(l);
		p = nl + 1;
	}
	*out = v;
	*n = cnt;
	return 0;
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

int journal_replay(struct journal *j, FILE *log)
{
	char *text = NULL;
	int r = read_file(j->path, &text, NULL);
	if (r < 0)
		return r;
	/* A crash between creating the journal and writing its first line leaves it
	 * empty or torn: nothing had been changed yet. */
	if (!strchr(text, '\n')) {
		free(text);
		if (log)
			fprintf(log, "  the journal has no complete first line: it was cut off before any change\n");
		return unlink(j->path) < 0 ? -errno : 0;
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
	int bad = 0;
	r = journal_parse(text, &e, &n, &bad);
	free(text);
	if (r < 0) {
		if (log)
			fprintf(log, "%s:%d: not a journal line mph wrote; nothing restored\n", j->path, bad);
		return r;
	}
	int first = 0;
	for (size_t k = n; k-- > 0;) {
		MPH_FAILPOINT("replay.entry");
		int x = 0;
		switch (e[k].kind) {
		case J_CGROUP:
			x = cg_remove_dir(e[k].a, 5000);
			if (x == -ENOENT)
				x = 0;
			if (log)
				fprintf(log, "  cgroup %s removed%s%s\n", e[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_SWAP:
			x = swap_remove(e[k].a);
			if (log)
				fprintf(log, "  swap %s off and deleted%s%s\n", e[k].a, x ? ": " : "", x ? strerror(-x) : "");
			break;
		case J_SYSCTL:
			if (rebooted) {
				if (log)
					fprintf(log, "  sysctl %s: left as the reboot set it\n", e[k].a);
				break;
			}
			x = undo_sysctl(j, e, n, k, log);
			break;
		}
		if (x < 0 && first == 0)
			first = x;
	}
	journal_entries_free(e, n);
	MPH_FAILPOINT("replay.done");
	if (first == 0) {
		if (j->fd >= 0) {
			close(j->fd);
			j->fd = -1;
		}
		if (unlink(j->path) < 0)
			first = -errno;
		else
			(void)fsync_dir(j->dir);
	}
	return first;
}
