/* fuzz.h - what the libFuzzer targets share: a temporary directory for the stand-in
 * files a target writes, removed at exit. */
#ifndef MPH_FUZZ_H
#define MPH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A directory of its own below $TMPDIR (or /tmp), removed at exit when libFuzzer
 * exits through exit() (run.sh gives each target a TMPDIR it removes). Malloc'd. */
char *fuzz_tmpdir(const char *tag);
/* Write size bytes to path (created or truncated); aborts on failure: a target that
 * cannot set up its stand-in files must not report parser findings. */
void fuzz_put(const char *path, const void *data, size_t size);
void fuzz_mkdir(const char *path);
/* The next part of data up to a NUL byte (or the end): *p and *left advance past it.
 * false when nothing is left. */
int fuzz_part(const uint8_t **p, size_t *left, const uint8_t **part, size_t *len);

#endif
