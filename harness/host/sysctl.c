/* sysctl.c - see sysctl.h. Ranges follow the kernel's own bounds
 * (Documentation/admin-guide/sysctl/vm.rst) where it has them, and sane caps where
 * it does not, so a typo cannot take the host down. */
#include "sysctl.h"
#include "../core/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sysctl_def sysctl_defs[] = {
	{ "vm.swappiness", 0, 200, NULL, "anon versus file reclaim weight (0-200)", false },
	/* 4 GiB cap: the kernel accepts more, but that would put the host under pressure. */
	{ "vm.min_free_kbytes", 128, 4LL * 1024 * 1024, NULL, "sum of the zones' min watermarks, KiB", false },
	{ "vm.overcommit_memory", 0, 2, NULL, "0 heuristic, 1 always, 2 never overcommit", false },
	{ "vm.overcommit_ratio", 0, 10000, "vm.overcommit_kbytes", "CommitLimit % of RAM with overcommit_memory=2", false },
	{ "vm.overcommit_kbytes", 0, 1LL << 40, "vm.overcommit_ratio", "CommitLimit in KiB (instead of the ratio)", false },
	{ "vm.zone_reclaim_mode", 0, 7, NULL, "bits: 1 reclaim locally, 2 write dirty, 4 swap", false },
	{ "vm.watermark_scale_factor", 1, 3000, NULL, "watermark gap in 1/10000 of a zone's memory", false },
	{ "vm.watermark_boost_factor", 0, 100000, NULL, "boost after fragmentation events, 1/10000", false },
	{ "vm.vfs_cache_pressure", 0, 10000, NULL, "dentry/inode cache reclaim pressure (100 = fair)", false },
	{ "vm.dirty_ratio", 0, 100, "vm.dirty_bytes", "% of memory dirty before writers write back", false },
	{ "vm.dirty_background_ratio", 0, 100, "vm.dirty_background_bytes", "% dirty before background writeback", false },
	{ "vm.dirty_bytes", 8192, 1LL << 40, "vm.dirty_ratio", "bytes dirty before writers write back", false },
	{ "vm.dirty_background_bytes", 0, 1LL << 40, "vm.dirty_background_ratio", "bytes dirty before background writeback", false },
	{ "vm.page-cluster", 0, 31, NULL, "log2 of pages read from swap at once", false },
	{ "vm.panic_on_oom", 0, 2, NULL, "panic instead of an OOM kill: 1 global OOM, 2 also cgroup OOM (guests only)", true },
};
const unsigned sysctl_ndefs = ARRAY_SIZE(sysctl_defs);

const struct sysctl_def *sysctl_find(const char *name)
{
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		if (strcmp(sysctl_defs[i].name, name) == 0)
			return &sysctl_defs[i];
	return NULL;
}

const char *sysctl_suggest(const char *name)
{
	const char *names[ARRAY_SIZE(sysctl_defs)];
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		names[i] = sysctl_defs[i].name;
	const char *s = nearest_name(name, names, sysctl_ndefs);
	if (!s && strncmp(name, "vm.", 3) != 0) {
		/* "swappiness" for "vm.swappiness" */
		char buf[128];
		snprintf(buf, sizeof(buf), "vm.%s", name);
		s = nearest_name(buf, names, sysctl_ndefs);
	}
	return s;
}

char *sysctl_path(const char *root, const char *name)
{
	if (!*name || name[0] == '.')
		return NULL;
	for (const char *p = name; *p; p++) {
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.'))
			return NULL;
		if (p[0] == '.' && (p[1] == '.' || p[1] == '\0'))
			return NULL;
	}
	char *path = xasprintf("%s/%s", root, name);
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '.')
			*p = '/';
	return path;
}

int sysctl_read(const char *root, const char *name, char **out)
{
	char *path = sysctl_path(root, name), *buf = NULL;
	if (!path)
		return -EINVAL;
	int r = read_file(path, &buf, NULL);
	free(path);
	if (r < 0)
		return r;
	char *t = xstrdup(strtrim(buf));
	free(buf);
	*out = t;
	return 0;
}

int sysctl_write(const char *root, const char *name, const char *value)
{
	char *path = sysctl_path(root, name);
	if (!path)
		return -EINVAL;
	int r = write_file(path, value);
	free(path);
	return r;
}

int sysctl_check(const struct sysctl_def *def, const char *value, long long *out, char *err, unsigned errlen)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (end == value || *end) {
		snprintf(err, errlen, "expected a whole number for %s, got '%s'", def->name, value);
		return -EINVAL;
	}
	if (errno || v < def->min || v > def->max) {
		snprintf(err, errlen, "%s = %s is out of range (allowed %lld..%lld)", def->name, value, def->min,
			 def->max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}
