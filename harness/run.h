/* run.h - the mph subcommands. Each returns a process exit code (see README). */
#ifndef MPH_RUN_H
#define MPH_RUN_H

enum mph_exit {
	EXIT_OK = 0,
	EXIT_RUN_FAILED = 1,    /* mph could not carry the run out (or undo it) */
	EXIT_BAD_INPUT = 2,     /* bad scenario or command line; nothing was changed */
	EXIT_UNSUPPORTED = 3,   /* this machine lacks what the scenario needs */
	EXIT_REFUSED = 4,       /* another mph holds the lock, or a journal awaits `mph restore` */
	EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM: the run was stopped and undone */
};

int cmd_run(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_record(int argc, char **argv);

#endif
