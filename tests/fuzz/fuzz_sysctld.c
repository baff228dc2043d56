/* fuzz_sysctld.c - libFuzzer target: `mph ab --candidate FILE.conf`'s sysctl.d parser
 * (harness/scenario/sysctld.c) on any text, once for a host and once for a guest, with
 * a stand-in /proc/sys for the '-' keys. Whatever the file says: no crash, and a
 * refusal always carries a diagnostic (file:line). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/scenario/sysctld.h"
#include "../../harness/core/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *t = fuzz_tmpdir("sysctld");
	root = xasprintf("%s/sys", t);
	fuzz_mkdir(root);
	char *vm = xasprintf("%s/vm", root);
	fuzz_mkdir(vm);
	char *f = xasprintf("%s/swappiness", vm);
	fuzz_put(f, "60\n", 3);
	free(f);
	free(vm);
	free(t);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	for (int guest = 0; guest < 2; guest++) {
		struct sysctld s;
		struct diags d = { 0 };
		int r = sysctld_parse("fuzz.conf", text, root, guest, &s, &d);
		if (r == -EINVAL && d.n == 0) {
			fprintf(stderr, "sysctld: refused without a diagnostic\n");
			abort();
		}
		for (size_t i = 0; i < d.n; i++)
			free(diag_format(&d, i));
		if (r == 0)
			sysctld_free(&s);
		diags_free(&d);
	}
	free(text);
	return 0;
}
