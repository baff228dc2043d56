/* noguest.c - the VM target's entry points in the static build that runs inside
 * guests: a guest runs scenarios on itself and never starts guests of its own (no
 * nesting, and no libarchive or kernel cache in the guest image). */
#include "vm.h"
#include "../core/probe.h"

#include <stdio.h>

int vm_main(const struct run_opts *o, const char *scenario)
{
	(void)o;
	fprintf(stderr, "mph: %s: this mph runs inside a guest and cannot start guests of its own\n", scenario);
	return EXIT_UNSUPPORTED;
}

void vm_doctor(const char *cache_dir)
{
	(void)cache_dir;
	probe_line("n/a", "VM target", "this mph runs inside a guest");
}
