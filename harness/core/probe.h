/* probe.h - one line of `mph doctor`: each module that knows what the machine can do
 * exports a probe printing such lines; cmd/doctor.c calls them in order. */
#ifndef MPH_PROBE_H
#define MPH_PROBE_H

/* state: ok, no, --, n/a; what: the feature; then the details. */
void probe_line(const char *state, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
