/* journal.h - write-ahead record of every change mph makes to the machine, so that a
 * killed run can be undone by `mph restore`. Each entry is appended and fsynced
 * BEFORE the change it describes; a clean run replays it and deletes it. The journal
 * lives in the state directory (default /var/lib/mph, MPH_STATE_DIR overrides). A lock
 * (/run/lock/mph.lock for the real /proc/sys, whatever the state directory) keeps two
 * mph runs from overlapping. */
#ifndef MPH_JOURNAL_H
#define MPH_JOURNAL_H

#include <stdio.h>

struct journal {
	char *dir;       /* state directory */
	char *path;      /* <dir>/journal */
	char *sysroot;   /* where sysctls live, "/proc/sys" normally */
	int fd;          /* journal, -1 when not open */
	int lock_fd;
};

enum journal_kind { J_SYSCTL, J_SWAP, J_CGROUP };

struct journal_entry {
	enum journal_kind kind;
	char *a;   /* sysctl name | swap file | cgroup directory */
	char *b;   /* sysctl's previous value | NULL */
};

const char *journal_default_dir(void);
/* Take the lock, waiting up to wait_ms for another mph to finish; -EBUSY with
 * *holder = the other mph's pid when it is still taken. */
int journal_lock(struct journal *j, const char *dir, const char *sysroot, unsigned wait_ms, int *holder);
void journal_unlock(struct journal *j);
/* 1 when a journal from an interrupted run exists, 0 when not. */
int journal_exists(const struct journal *j);
/* Start a new journal (fails with -EEXIST if one exists). */
int journal_begin(struct journal *j);
/* Append one entry and fsync it; call before making the change. */
int journal_add(struct journal *j, enum journal_kind kind, const char *a, const char *b);
/* Parse a journal file's text into entries (exposed for tests). -EINVAL: line number in *badline. */
int journal_parse(const char *text, struct journal_entry **out, size_t *n, int *badline);
void journal_entries_free(struct journal_entry *e, size_t n);
/* Undo every entry, newest first (sysctls only when the machine has not rebooted
 * since: the journal header carries the boot id); report each action to log (may be NULL). On full
 * success deletes the journal; otherwise keeps it and returns the first error. */
int journal_replay(struct journal *j, FILE *log);

#endif
