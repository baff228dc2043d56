/* journal.h - write-ahead record of every change mph makes to the machine, so that a
 * killed run can be undone by `mph restore`. Each entry is appended and fsynced
 * BEFORE the change it describes; a clean run replays it and deletes it. The journal
 * lives in the state directory (default /var/lib/mph, MPH_STATE_DIR overrides). A lock
 * (/run/lock/mph.lock for the real /proc/sys, whatever the state directory) keeps two
 * mph runs from overlapping, and a machine-wide record of pending changes
 * (/run/mph/pending/, one file per state directory with a live journal) lets a run
 * see an interrupted run's changes whatever state directory either uses. A stand-in
 * sysroot (tests) has both of its own, in <sysroot>/.mph/.
 *
 * Replay trusts nothing in the journal: every entry must be one mph could have
 * written (journal_check_entry()); anything else is reported and the journal kept. */
#ifndef MPH_JOURNAL_H
#define MPH_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct journal {
	char *dir;       /* state directory */
	char *path;      /* <dir>/journal */
	char *sysroot;   /* where sysctls live, "/proc/sys" normally */
	/* the cgroup below which this mph creates its own (mount + own cgroup); NULL:
	 * detected when needed. Tests set it (malloc'd; journal_unlock frees it). */
	char *cgroot;
	int fd;          /* journal, -1 when not open */
	int lock_fd;
};

/* J_TRACE: a tracefs instance <tracefs>/instances/mph-<pid>; J_TRACEFS: a tracefs
 * mount of mph's own, <state dir>/tracefs-<pid> (only when none was mounted);
 * J_ACTION: a timed action of the scenario, a = its name, b = what it does
 * ("drop_caches 3", "compact", "signal pool SIGUSR2 pid 1234"): a record that it
 * was done, with nothing to undo (drop_caches, compaction and a signal cannot be
 * taken back), so that a reader of a killed run's journal knows of it. */
enum journal_kind { J_SYSCTL, J_SWAP, J_CGROUP, J_TRACE, J_TRACEFS, J_ACTION };

struct journal_entry {
	enum journal_kind kind;
	char *a;   /* sysctl name | swap file | cgroup directory | action name */
	char *b;   /* sysctl's previous value | action's what | NULL */
	int line;  /* in the journal file */
	/* why the line is not an entry mph wrote (NUL bytes, unknown kind, missing
	 * fields), NULL when it parses; its kind, a and b are then meaningless */
	const char *bad;
};

/* Journals larger than this are not mph's (a run writes a few lines per repeat). */
#define JOURNAL_MAX_BYTES (4 << 20)

const char *journal_default_dir(void);
/* The machine-wide directory of pending changes for sysroot (malloc'd):
 * /run/mph/pending for /proc/sys, <sysroot>/.mph/pending for a stand-in. */
char *journal_pending_dir(const char *sysroot);
/* The state directories (absolute, malloc'd, *n of them) other than except (NULL:
 * none excepted) whose journal awaits `mph restore`, from the record of pending
 * changes. prune (only with the lock held): remove records whose journal is gone
 * (a crash between removing the journal and its record). Returns *n or -errno. */
int journal_pending(const char *sysroot, const char *except, bool prune, char ***dirs, size_t *n);
void journal_pending_free(char **dirs, size_t n);
/* Take the lock, waiting up to wait_ms for another mph to finish; -EBUSY with
 * *holder = the other mph's pid when it is still taken. */
int journal_lock(struct journal *j, const char *dir, const char *sysroot, unsigned wait_ms, int *holder);
void journal_unlock(struct journal *j);
/* 1 when a journal from an interrupted run exists, 0 when not. */
int journal_exists(const struct journal *j);
/* Start a new journal (fails with -EEXIST if one exists), recorded first in the
 * machine-wide record of pending changes. */
int journal_begin(struct journal *j);
/* Append one entry and fsync it; call before making the change. -EINVAL for an
 * entry replay would refuse (journal_check_entry), so none is ever unrestorable. */
int journal_add(struct journal *j, enum journal_kind kind, const char *a, const char *b);
/* Parse a journal file's len bytes of text into entries, one per complete line
 * after the header; a line that does not parse is an entry with bad set. A torn
 * last line (no newline, no NUL byte) is left out: its change was never made.
 * 0, or -EINVAL when the header is not mph's (*badline = 1). *pid: the header's. */
int journal_parse(const char *text, size_t len, struct journal_entry **out, size_t *n, int *pid, int *badline);
void journal_entries_free(struct journal_entry *e, size_t n);
/* Is e one that mph, as pid with j's state directory, could have written? 0, or
 * -EINVAL with why not in why: a sysctl from the allowed table with a value in its
 * range (or 0 for one with a pair partner: its value when the partner is in force);
 * a swap file <state dir>/swap-<pid>-<N>.img, a regular file if there; a cgroup
 * <cgroot>/mph-<pid>-<N>; a tracefs instance mph-<pid> in the instances directory of
 * /sys/kernel/tracing, /sys/kernel/debug/tracing or <state dir>/tracefs-<pid>, a
 * tracefs mount <state dir>/tracefs-<pid>. */
int journal_check_entry(struct journal *j, int pid, const struct journal_entry *e, char *why, size_t len);
/* Undo every entry, newest first (sysctls only when the machine has not rebooted
 * since: the journal header carries the boot id); report each action to log (may be
 * NULL). On full success deletes the journal and its record of pending changes;
 * otherwise keeps both and returns the first error. -EBADMSG: a line (or the file)
 * is not what mph writes; it is reported and not acted on, the valid swap and cgroup
 * entries are still undone (mph's own by their names; undoing twice is harmless),
 * sysctls are reported with their recorded values but not written (a refused line
 * may have held the original value). */
int journal_replay(struct journal *j, FILE *log);

#endif
