/* units.h - sizes (k/M/G/T, 1024-based, or a percentage) and durations (ms/s/m/h)
 * as written in scenario files and on workload command lines. */
#ifndef MPH_UNITS_H
#define MPH_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DURATION_FOREVER UINT64_MAX

/* "4096", "64k", "64M", "1G", "2T" (case-insensitive suffix, optional trailing "B" or
 * "iB": "64MiB"). Returns 0, -EINVAL on syntax, -ERANGE on overflow. */
int parse_size(const char *s, uint64_t *out);
/* Like parse_size, and also "N%" / "N.N%": a percentage of base. A percentage with
 * base 0 gives -EDOM (no base to take it of). *was_pct tells which form was used. */
int parse_size_pct(const char *s, uint64_t base, uint64_t *out, int *was_pct);
/* "0.25" or "25%": a fraction from 0 to 1. 0, -EINVAL on syntax, -ERANGE above 1. */
int parse_fraction(const char *s, double *out);
/* "500ms", "10s", "2m", "1h", a bare number means seconds; "forever" gives
 * DURATION_FOREVER. Result in milliseconds. 0, -EINVAL, -ERANGE. */
int parse_duration_ms(const char *s, uint64_t *out);
/* yes/no, true/false, on/off, 1/0 (case-insensitive). 0 or -EINVAL. */
int parse_bool(const char *s, bool *out);
/* Human-readable size "64.0 MiB" into buf. */
const char *format_size(uint64_t bytes, char *buf, size_t len);

#endif
