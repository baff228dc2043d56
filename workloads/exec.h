/* exec.h - the exec workload's command-line splitter, exposed for its unit test. */
#ifndef MPH_WL_EXEC_H
#define MPH_WL_EXEC_H

#include <stddef.h>

/* Split a command line into words the way a POSIX shell splits them, without a
 * shell: blanks separate words; '...' keeps everything literally; "..." keeps
 * everything but lets \ escape " \ $ and `; outside quotes \ makes the next character
 * literal. Nothing is expanded ($VAR, globs, ~) and | ; < > & are ordinary characters.
 * On success *argv is a NULL-terminated malloc'd vector (free with exec_argv_free) and
 * the word count is returned; on a syntax error -EINVAL and a message in err. */
int exec_split(const char *line, char ***argv, char *err, size_t errlen);
void exec_argv_free(char **argv);

#endif
