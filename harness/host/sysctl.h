/* sysctl.h - the vm sysctls a scenario may set: an explicit table with ranges, and
 * read/write under a root prefix (normally "/proc/sys"; tests point it at a
 * temporary directory). */
#ifndef MPH_SYSCTL_H
#define MPH_SYSCTL_H

#include <stdbool.h>
#include <stdint.h>

struct sysctl_def {
	const char *name;    /* "vm.swappiness" */
	long long min, max;
	/* Writing this one makes the kernel zero its partner (dirty_ratio <-> dirty_bytes,
	 * overcommit_ratio <-> overcommit_kbytes); restoring must write the one that was
	 * in force. NULL when there is none. */
	const char *partner;
	const char *help;
	bool guest_only;     /* only in a VM-target guest: on a host it would take the machine down */
};

extern const struct sysctl_def sysctl_defs[];
extern const unsigned sysctl_ndefs;

const struct sysctl_def *sysctl_find(const char *name);
const char *sysctl_suggest(const char *name);
/* Path of a sysctl under root: "vm.swappiness" -> "<root>/vm/swappiness". Refuses
 * names that are not plain dotted words (no "..", no '/'): NULL. */
char *sysctl_path(const char *root, const char *name);
/* Read the current value (trimmed text) into a malloc'd string. -errno. */
int sysctl_read(const char *root, const char *name, char **out);
int sysctl_write(const char *root, const char *name, const char *value);
/* Parse and range-check a value for def. 0 or -EINVAL/-ERANGE with message. */
int sysctl_check(const struct sysctl_def *def, const char *value, long long *out, char *err, unsigned errlen);

#endif
