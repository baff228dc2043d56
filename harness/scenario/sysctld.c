/* sysctld.c - see sysctld.h. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctld.h"
#include "../core/util.h"

/* "vm/page-cluster" -> "vm.page-cluster": when the first separator is '/', '/' and
 * '.' trade places (systemd's sysctl_normalize), so a dotted name stays a dotted name. */
static void normalize(char *key)
{
	char *sep = strpbrk(key, "./");
	if (!sep || *sep == '.')
		return;
	for (char *p = key; *p; p++)
		*p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
}

static void put(struct sysctld *s, const struct sysctl_def *def, const char *value, int line, bool optional)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].def == def) { /* the last assignment wins */
			free(s->v[i].value);
			s->v[i] = (struct sysctld_entry){ def, xstrdup(value), line, optional };
			return;
		}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = (struct sysctld_entry){ def, xstrdup(value), line, optional };
}

/* does this machine have the sysctl called key? */
static bool present(const char *root, const char *key)
{
	char *path = sysctl_path(root, key);
	bool there = path && access(path, F_OK) == 0;
	free(path);
	return there;
}

static void skip_note(struct sysctld *s, int line, const char *key)
{
	s->notes = xrealloc(s->notes, (s->nnotes + 1) * sizeof(*s->notes));
	s->notes[s->nnotes++] = xasprintf("%s:%d: -%s: not on this machine, skipped", s->file, line, key);
}

int sysctld_parse(const char *file, const char *text, const char *root, bool guest, struct sysctld *out,
		  struct diags *d)
{
	struct sysctld s = { .file = xstrdup(file) };
	char *buf = xstrdup(text);
	size_t before = d->n;
	int line = 0;
	for (char *l = buf, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		char *t = strtrim(l);
		if (!*t || *t == '#' || *t == ';')
			continue;
		char *eq = strchr(t, '=');
		if (!eq) {
			diags_add(d, line, NULL, NULL, "'%s' is not an assignment (KEY = VALUE)", t);
			continue;
		}
		*eq = '\0';
		char *key = strtrim(t), *value = strtrim(eq + 1);
		bool optional = *key == '-';
		if (optional)
			key = strtrim(key + 1);
		normalize(key);
		if (!*key) {
			diags_add(d, line, NULL, NULL, "no key before '='");
			continue;
		}
		if (strpbrk(key, "*?[")) {
			diags_add(d, line, NULL, key, "globs are not allowed: mph sets only the sysctls it knows");
			continue;
		}
		if (optional && !present(root, key)) {
			skip_note(&s, line, key);
			continue;
		}
		const struct sysctl_def *def = sysctl_find(key);
		if (!def) {
			const char *near = sysctl_suggest(key);
			diags_add(d, line, NULL, key, "not a sysctl mph may set (mph run --help lists them)%s%s%s",
				  near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
			continue;
		}
		if (def->guest_only && !guest) {
			diags_add(d, line, NULL, key, "only in a guest ([machine]): on this machine it would take it down");
			continue;
		}
		if (!*value) {
			diags_add(d, line, NULL, key, "no value");
			continue;
		}
		long long v;
		char err[256];
		if (sysctl_check(def, value, &v, err, sizeof(err)) < 0) {
			diags_add(d, line, NULL, key, "%s", err);
			continue;
		}
		put(&s, def, value, line, optional);
	}
	free(buf);
	if (d->n > before) {
		sysctld_free(&s);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

int sysctld_load(const char *path, const char *root, bool guest, struct sysctld *out, struct diags *d)
{
	char *text = NULL;
	int r = read_file(path, &text, NULL);
	if (r < 0)
		return r;
	r = sysctld_parse(path, text, root, guest, out, d);
	free(text);
	return r;
}

const struct sysctld_entry *sysctld_find(const struct sysctld *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].def->name, name) == 0)
			return &s->v[i];
	return NULL;
}

void sysctld_free(struct sysctld *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].value);
	free(s->v);
	for (size_t i = 0; i < s->nnotes; i++)
		free(s->notes[i]);
	free(s->notes);
	free(s->file);
	*s = (struct sysctld){ 0 };
}
