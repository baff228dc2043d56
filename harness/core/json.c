/* json.c - see json.h. */
#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int json_save(const char *path, const json_t *j)
{
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int r = text ? write_file_atomic(path, text, strlen(text)) : -ENOMEM;
	free(text);
	return r;
}
