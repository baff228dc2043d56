/* json.h - mph's one JSON file writer (run.json, plan.json, record.json). */
#ifndef MPH_JSON_H
#define MPH_JSON_H

#include <jansson.h>

/* Write j to path atomically (temporary file, fsync, rename), indented, keys in
 * insertion order. -errno. */
int json_save(const char *path, const json_t *j);

#endif
