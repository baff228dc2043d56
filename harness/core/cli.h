/* cli.h - a subcommand's own options as data, like the scenario's (opt.h): one table
 * entry per option (name, argument, type, where it goes, help); one parser that also
 * suggests the nearest name for a typo, one help printer, so --help and the docs
 * come from the same table. */
#ifndef MPH_CLI_H
#define MPH_CLI_H

#include <stddef.h>
#include <stdio.h>

enum cli_kind {
	CLI_FLAG,     /* bool, no argument */
	CLI_STRING,   /* const char * (points into argv) */
	CLI_LIST,     /* const char *[max] with a size_t count at count_off: repeatable */
	CLI_UINT,     /* unsigned 1..max */
	CLI_DURATION, /* uint64_t milliseconds (30s, 5m), at most max seconds */
};

struct cli_opt {
	const char *name;    /* without the leading -- */
	const char *arg;     /* its argument in help (DIR, N), NULL for a flag */
	enum cli_kind kind;
	size_t off;          /* offsetof the field in the config struct */
	size_t count_off;    /* CLI_LIST: offsetof its count */
	unsigned max;        /* CLI_LIST: capacity; CLI_UINT: largest value; CLI_DURATION: seconds */
	const char *help;
};

/* Parse argv[1..argc) into cfg: --name VALUE or --name=VALUE, in any order with the
 * positional arguments, which are moved (in order) to argv[1..*npos]. "--" ends the
 * options. Returns 0, or -EINVAL after printing what is wrong to stderr as
 * "prog: ...". */
int cli_parse(const struct cli_opt *tab, void *cfg, int argc, char **argv, const char *prog, int *npos);
/* One line per option: --name ARG  help. */
void cli_help(FILE *f, const struct cli_opt *tab);

#endif
