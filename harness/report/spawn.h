/* spawn.h - run an external program (gnuplot) with a script on its stdin and its
 * output collected: report/'s only process spawning. */
#ifndef MPH_REPORT_SPAWN_H
#define MPH_REPORT_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_result {
	char *out;      /* stdout, NUL-terminated (binary output: use out_len) */
	size_t out_len;
	char *err;      /* stderr, NUL-terminated */
	int status;     /* as from waitpid */
};

/* Run argv (argv[0] looked up in PATH) with in[0..inlen) as its stdin, for at most
 * timeout_s seconds. 0 with res filled (whatever the program's exit status); -ENOENT
 * when the program is not found, -ETIMEDOUT (it was killed), other -errno. res is
 * untouched on failure. */
int spawn_pipe(const char *const argv[], const char *in, size_t inlen, unsigned timeout_s, struct spawn_result *res);
void spawn_result_free(struct spawn_result *res);

#endif
