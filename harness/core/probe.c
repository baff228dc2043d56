/* probe.c - the line format of `mph doctor`. */
#include "probe.h"

#include <stdarg.h>
#include <stdio.h>

void probe_line(const char *state, const char *what, const char *fmt, ...)
{
	va_list ap;
	printf("%-4s %-24s ", state, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
