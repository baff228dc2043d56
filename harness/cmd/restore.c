/* restore.c - `mph restore`: undo what an interrupted run left in place. */
#include "cmd.h"
#include "../core/exit.h"
#include "../host/journal.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_restore(int argc, char **argv)
{
	const char *dir = journal_default_dir();
	static const struct option lo[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 's') {
			dir = optarg;
		} else {
			FILE *f = c == 'h' ? stdout : stderr;
			fprintf(f, "usage: mph restore [--state-dir DIR]\n\n"
				   "Undoes what an interrupted `mph run` left in place, from its journal: restores\n"
				   "sysctls, switches off and deletes swap files, kills and removes cgroups.\n");
			return c == 'h' ? EXIT_OK : EXIT_BAD_INPUT;
		}
	}
	struct journal j;
	int holder = 0;
	int r = journal_lock(&j, dir, "/proc/sys", 0, &holder);
	if (r == -EBUSY) {
		fprintf(stderr, "mph: an mph run is in progress (pid %d); it will undo its own changes\n", holder);
		return EXIT_REFUSED;
	}
	if (r < 0) {
		fprintf(stderr, "mph: cannot take the lock in %s: %s\n", dir, strerror(-r));
		return EXIT_RUN_FAILED;
	}
	if (!journal_exists(&j)) {
		printf("nothing to restore (no journal in %s)\n", dir);
		journal_unlock(&j);
		return EXIT_OK;
	}
	printf("restoring from %s:\n", j.path);
	r = journal_replay(&j, stdout);
	if (r < 0)
		fprintf(stderr, "mph: restore incomplete: %s; the journal is kept, fix the cause and run `mph restore` again\n",
			strerror(-r));
	else
		printf("restored; journal removed\n");
	journal_unlock(&j);
	return r < 0 ? EXIT_RUN_FAILED : EXIT_OK;
}
