/* exit.h - mph's process exit codes (README, "Exit codes"). */
#ifndef MPH_EXIT_H
#define MPH_EXIT_H

enum mph_exit {
	EXIT_OK = 0,
	EXIT_RUN_FAILED = 1,    /* mph could not carry the run out (or undo it) */
	EXIT_BAD_INPUT = 2,     /* bad scenario or command line; nothing was changed */
	EXIT_UNSUPPORTED = 3,   /* this machine lacks what the scenario needs */
	EXIT_REFUSED = 4,       /* another mph holds the lock, or a journal awaits `mph restore` */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: the run was stopped and undone */
};

#endif
