/* fuzz_journal.c - libFuzzer target: any bytes as a journal through journal_parse,
 * then through journal_replay against a stand-in root in a temporary directory (a
 * sysroot with the sysctls, a state directory, cgroup directories, swap files), as
 * tests/unit/test_journal.c does. "$ROOT" in the input stands for that root, so
 * that entries can name its files.
 *
 * Replay acts on the absolute paths a journal names (cgroup entries: kill the pids
 * in cgroup.procs, rmdir; swap entries: swapoff, unlink), so a journal is replayed
 * only when every such path lies below the stand-in root, and, should one slip
 * through, kill, swapoff and swapon never reach the kernel and rmdir and unlink
 * outside the root abort while the target runs mph's code (libFuzzer's own unlink of
 * a reduced input passes): the program is linked with -Wl,--wrap for each (see
 * the Makefile). Sysctls are written only below the
 * sysroot (sysctl_path refuses names that would leave it). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/host/journal.h"
#include "../../harness/core/util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static char *root, *sysroot, *state, *jpath;
static size_t root_len;
static FILE *devnull;
static bool in_mph; /* mph's code is running: the wrappers check */

/* below the root: "<root>/..." without a ".." component (or the root itself, which
 * the cleanup at exit removes) */
static bool inside(const char *path, bool or_root)
{
	if (strncmp(path, root, root_len) != 0 || (path[root_len] != '/' && !(or_root && !path[root_len])))
		return false;
	for (const char *p = path + root_len; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || p[3] == '\0')
			return false;
	return true;
}

static void refuse(const char *what, const char *path)
{
	fprintf(stderr, "journal: replay would %s %s, outside the stand-in root %s\n", what, path, root);
	abort();
}

int __real_rmdir(const char *path);
int __real_unlink(const char *path);
int __real_swapoff(const char *path);
int __real_swapon(const char *path, int flags);
int __real_kill(pid_t pid, int sig);
int __wrap_rmdir(const char *path);
int __wrap_unlink(const char *path);
int __wrap_swapoff(const char *path);
int __wrap_swapon(const char *path, int flags);
int __wrap_kill(pid_t pid, int sig);
int __real_umount2(const char *path, int flags);
int __wrap_umount2(const char *path, int flags);

int __wrap_rmdir(const char *path)
{
	/* a journal may name a tracefs instance in the usual mounts (replay acts on it
	 * only when that is a mounted tracefs): never touched, as if not there */
	if (in_mph && (strncmp(path, "/sys/kernel/tracing/instances/mph-", 34) == 0 ||
		       strncmp(path, "/sys/kernel/debug/tracing/instances/mph-", 40) == 0)) {
		errno = ENOENT;
		return -1;
	}
	if (in_mph && !inside(path, true))
		refuse("rmdir", path);
	return __real_rmdir(path);
}

int __wrap_unlink(const char *path)
{
	if (in_mph && !inside(path, true))
		refuse("unlink", path);
	return __real_unlink(path);
}

/* a file in the stand-in root is never an active swap area */
int __wrap_swapoff(const char *path)
{
	if (!in_mph)
		return __real_swapoff(path);
	if (!inside(path, true))
		refuse("swapoff", path);
	errno = EINVAL;
	return -1;
}

int __wrap_swapon(const char *path, int flags)
{
	if (in_mph)
		refuse("swapon", path);
	return __real_swapon(path, flags);
}

/* nothing in the stand-in root is a tracefs mount */
int __wrap_umount2(const char *path, int flags)
{
	if (in_mph)
		refuse("umount2", path);
	return __real_umount2(path, flags);
}

/* the stand-in cgroups' cgroup.procs are empty: nothing to kill */
int __wrap_kill(pid_t pid, int sig)
{
	if (!in_mph)
		return __real_kill(pid, sig);
	fprintf(stderr, "journal: replay would send signal %d to pid %d\n", sig, (int)pid);
	abort();
}

static const char *const sysctls[][2] = {
	{ "vm/swappiness", "60\n" }, { "vm/min_free_kbytes", "67584\n" }, { "vm/dirty_ratio", "20\n" },
	{ "vm/dirty_bytes", "0\n" }, { "vm/dirty_background_ratio", "10\n" }, { "vm/dirty_background_bytes", "0\n" },
	{ "vm/overcommit_ratio", "50\n" }, { "vm/overcommit_kbytes", "0\n" },
};
static const char *const cgdirs[] = { "cg", "cg/mph-1-1", "cg/mph-1-1/child", "cg/mph-1-2" };
static const char *const swapfiles[] = { "state/swap-1-1.img", "state/swap-1-2.img" };

/* The stand-in machine as a run leaves it, again for each input (replay removes it). */
static void stand_in(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysctls); i++) {
		char *p = xasprintf("%s/%s", sysroot, sysctls[i][0]);
		fuzz_put(p, sysctls[i][1], strlen(sysctls[i][1]));
		free(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cgdirs); i++) {
		char *p = xasprintf("%s/%s", root, cgdirs[i]);
		fuzz_mkdir(p);
		free(p);
		p = xasprintf("%s/%s/cgroup.procs", root, cgdirs[i]);
		fuzz_put(p, "", 0);
		free(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(swapfiles); i++) {
		char *p = xasprintf("%s/%s", root, swapfiles[i]);
		fuzz_put(p, "swap", 4);
		free(p);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	root = fuzz_tmpdir("journal");
	root_len = strlen(root);
	sysroot = xasprintf("%s/sys", root);
	state = xasprintf("%s/state", root);
	jpath = xasprintf("%s/journal", state);
	fuzz_mkdir(sysroot);
	char *vm = xasprintf("%s/vm", sysroot);
	fuzz_mkdir(vm);
	free(vm);
	fuzz_mkdir(state);
	devnull = fopen("/dev/null", "we");
	return 0;
}

/* The input with every "$ROOT" replaced by the root (malloc'd, NUL-terminated). */
static char *expand(const uint8_t *data, size_t size)
{
	size_t cap = size + 1, n = 0;
	char *out = xcalloc(1, cap);
	for (size_t i = 0; i < size; i++) {
		if (size - i >= 5 && memcmp(data + i, "$ROOT", 5) == 0) {
			cap += root_len;
			out = xrealloc(out, cap);
			memcpy(out + n, root, root_len);
			n += root_len;
			i += 4;
		} else {
			out[n++] = (char)data[i];
		}
	}
	out[n] = '\0';
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the raw bytes, NULs and all: the parser gets the length, not a C string */
	struct journal_entry *e = NULL;
	size_t n = 0;
	int bad = 0, pid = 0;
	if (journal_parse((const char *)data, size, &e, &n, &pid, &bad) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!e[i].bad && (!e[i].a || !*e[i].a || (e[i].kind == J_SYSCTL || e[i].kind == J_ACTION) != (e[i].b != NULL))) {
				fprintf(stderr, "journal: entry %zu parsed inconsistently\n", i);
				abort();
			}
		journal_entries_free(e, n);
	} else if (bad < 1) {
		fprintf(stderr, "journal: rejected without a line number\n");
		abort();
	}
	char *text = expand(data, size);
	size_t len = strlen(text); /* the journal is text: replay reads up to a NUL */
	bool safe = true;
	e = NULL;
	n = 0;
	if (journal_parse(text, len, &e, &n, &pid, &bad) == 0) {
		for (size_t i = 0; i < n && safe; i++)
			safe = e[i].bad || e[i].kind == J_SYSCTL || inside(e[i].a, false);
		journal_entries_free(e, n);
	}
	if (safe) {
		stand_in();
		fuzz_put(jpath, text, len);
		struct journal j;
		in_mph = true;
		if (journal_lock(&j, state, sysroot, 0, NULL) == 0) {
			(void)journal_replay(&j, size % 2 ? devnull : NULL);
			journal_unlock(&j);
		}
		in_mph = false;
	}
	free(text);
	return 0;
}
