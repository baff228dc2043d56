/* restore.c - `mph restore`: undo what an interrupted run left in place. Without
 * --state-dir: the default state directory's journal and every other one the
 * machine-wide record of pending changes names; with it: that one only. */
#include "cmd.h"
#include "../core/exit.h"
#include "../core/units.h"
#include "../host/journal.h"
#include "../runner/vm.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: mph restore [--state-dir DIR] [--wait T]\n\n"
		   "Undoes what an interrupted `mph run` left in place, from its journal: restores\n"
		   "sysctls, switches off and deletes swap files, kills and removes cgroups;\n"
		   "and removes the disk images of guests whose mph was killed ($MPH_CACHE_DIR\n"
		   "or /var/cache/mph, guests/).\n"
		   "Without --state-dir: the journal in $MPH_STATE_DIR or /var/lib/mph, and that of\n"
		   "every other state directory an interrupted run used (`mph doctor` lists them).\n"
		   "A journal with entries mph did not write is reported line by line and kept.\n\n"
		   "  --state-dir DIR   restore only the run that used this state directory\n"
		   "  --wait T          if an mph run is in progress, wait up to T for it (default: refuse)\n");
}

/* Restore one state directory; the lock is taken for it. An exit code. */
static int restore_dir(const char *dir, uint64_t wait_ms, bool quiet_if_none)
{
	struct journal j;
	int holder = 0;
	int r = journal_lock(&j, dir, "/proc/sys", (unsigned)wait_ms, &holder);
	if (r == -EBUSY) {
		fprintf(stderr, "mph: an mph run is in progress (pid %d); it will undo its own changes\n", holder);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		fprintf(stderr, "mph: cannot take the lock in %s: %s\n", dir, strerror(-r));
		return EXIT_RUN_FAILED;
	}
	if (!journal_exists(&j)) {
		if (!quiet_if_none)
			printf("nothing to restore (no journal in %s)\n", dir);
		journal_unlock(&j);
		return EXIT_OK;
	}
	printf("restoring from %s:\n", j.path);
	r = journal_replay(&j, stdout);
	fflush(stdout);
	if (r == -EBADMSG)
		fprintf(stderr, "mph: %s has lines mph did not write (above): not restored; the journal is kept.\n"
				"     Undo by hand what is still in place, then remove the journal\n", j.path);
	else if (r < 0)
		fprintf(stderr, "mph: restore incomplete: %s; the journal is kept, fix the cause and run `mph restore` again\n",
			strerror(-r));
	else
		printf("restored; journal removed\n");
	journal_unlock(&j);
	return r < 0 ? EXIT_RUN_FAILED : EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
	const char *dir = NULL;
	uint64_t wait_ms = 0;
	static const struct option lo[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's') {
			dir = optarg;
		} else if (c == 'w') {
			if (parse_duration_ms(optarg, &wait_ms) < 0 || wait_ms > UINT32_MAX) {
				fprintf(stderr, "mph restore: --wait %s: expected a duration such as 30s or 5m\n", optarg);
				return EXIT_BAD_INPUT;
			}
		} else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_OK : EXIT_BAD_INPUT;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_BAD_INPUT;
	}
	if (dir)
		return restore_dir(dir, wait_ms, false);
	/* the default directory first (waiting for the lock there), then the others the
	 * record names: listed after a run in progress has ended */
	dir = journal_default_dir();
	int code = restore_dir(dir, wait_ms, false);
	if (code == EXIT_REFUSED)
		return code;
	char **other = NULL;
	size_t n = 0;
	int r = journal_pending("/proc/sys", dir, false, &other, &n);
	if (r < 0)
		fprintf(stderr, "mph: cannot read the record of pending changes: %s\n", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		int k = restore_dir(other[i], wait_ms, true);
		if (k != EXIT_OK && code == EXIT_OK)
			code = k;
	}
	journal_pending_free(other, n);
	/* a killed guest run's journal is on the host only for what the host changed; its
	 * disk images (swap, scratch) are in its own locked directory of the cache */
	size_t g = vm_rm_stale(NULL);
	if (g)
		printf("removed %zu guest director%s (disk images) left by a killed mph\n", g, g == 1 ? "y" : "ies");
	return r < 0 && code == EXIT_OK ? EXIT_RUN_FAILED : code;
}
