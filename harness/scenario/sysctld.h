/* sysctld.h - sysctl.d files (sysctl.d(5), as systemd-sysctl reads them) for mph ab:
 * the candidate settings of a fleet roll-out, tested before it.
 *
 *     # a comment          ; also a comment
 *     vm.swappiness = 10   whitespace around key and value ignored
 *     vm/page-cluster = 0  '/' separators: the first separator decides, as systemd's
 *                          (then '.' and '/' swap: vm/page-cluster is vm.page-cluster)
 *     -vm.watermark_boost_factor = 0   '-': if this machine lacks the key, skip it
 *
 * A '-' key is skipped (with a note) when this machine has no such file, as
 * systemd-sysctl would fail to write it and go on; if the file exists it is treated
 * like any other key, since the roll-out would set it. Unlike systemd-sysctl, which
 * logs and goes on, every other problem is an error at its line: a key mph does not
 * allow (host/sysctl.c's table; the nearest name is suggested), a value out of its
 * range, a line that is not an assignment, a glob. A
 * value is everything after '=' (systemd knows no comments after a value). A key
 * written twice keeps its last value, as systemd does. */
#ifndef MPH_SYSCTLD_H
#define MPH_SYSCTLD_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"

struct sysctld_entry {
	const struct sysctl_def *def;
	char *value;         /* trimmed, as written */
	int line;
	bool optional;       /* written with '-' */
};

struct sysctld {
	char *file;
	struct sysctld_entry *v;
	size_t n;
	char **notes;        /* "file:line: -KEY: not on this machine, skipped" */
	size_t nnotes;
};

/* Parse text (the contents of file). root is where this machine's sysctls are
 * ("/proc/sys"), for the '-' keys; guest: allow the sysctls only a guest may set.
 * 0, or -EINVAL with every problem in d (file:line: key: message). */
int sysctld_parse(const char *file, const char *text, const char *root, bool guest, struct sysctld *out,
		  struct diags *d);
/* The same from a file; -errno when it cannot be read (nothing in d). */
int sysctld_load(const char *path, const char *root, bool guest, struct sysctld *out, struct diags *d);
/* The entry for a sysctl (dotted name), or NULL. */
const struct sysctld_entry *sysctld_find(const struct sysctld *s, const char *name);
void sysctld_free(struct sysctld *s);

#endif
