/* noguest.c - the VM target's entry points in the static build that runs inside
 * guests: a guest runs scenarios on itself and never starts guests of its own (no
 * nesting, and no libarchive or kernel cache in the guest image). */
#include "vm.h"
#include "../core/probe.h"
#include "kernel.h"
#include "../scenario/scenario.h"

#include <errno.h>

#include <stdio.h>

struct vm_ctx *vm_begin(const struct run_opts *o)
{
	(void)o;
	return NULL;
}

size_t vm_rm_stale(const char *cache_dir)
{
	(void)cache_dir;
	return 0;
}

void vm_end(struct vm_ctx *vc)
{
	(void)vc;
}

int vm_validate(const struct scen_text *tx, struct scenario *sc, struct diags *d)
{
	(void)tx;
	(void)sc;
	diags_add(d, 0, NULL, NULL, "this mph runs inside a guest and cannot start guests of its own");
	return -EINVAL;
}

size_t vm_at_once(const struct run_opts *o, const struct scenario *sc, size_t nguests)
{
	(void)o;
	(void)sc;
	(void)nguests;
	return 1;
}

int vm_preflight(struct vm_ctx *vc, const struct scenario *sc, size_t at_once, struct diags *d)
{
	(void)vc;
	(void)sc;
	(void)at_once;
	diags_add(d, 0, NULL, NULL, "this mph runs inside a guest and cannot start guests of its own");
	return -EINVAL;
}

struct vm_guest *vm_guest_start(struct vm_ctx *vc, const struct scenario *sc, const char *ini, const struct kernel *k,
				unsigned rep, const char *dir)
{
	(void)vc, (void)sc, (void)ini, (void)k, (void)rep, (void)dir;
	return NULL;
}

int vm_guest_pidfd(const struct vm_guest *g)
{
	(void)g;
	return -1;
}

uint64_t vm_guest_deadline(struct vm_guest *g, uint64_t now)
{
	(void)g;
	return now;
}

int vm_guest_poll(struct vm_guest *g, uint64_t now, bool interrupted)
{
	(void)g, (void)now, (void)interrupted;
	return EXIT_UNSUPPORTED;
}

void vm_doctor(const char *cache_dir)
{
	(void)cache_dir;
	probe_line("n/a", "VM target", "this mph runs inside a guest");
}

int kernel_resolve(const char *spec, const char *cache_dir, bool may_download, struct kernel *k, char *err,
		   size_t errlen)
{
	(void)cache_dir, (void)may_download, (void)k;
	snprintf(err, errlen, "%s: this mph runs inside a guest and boots no kernels", spec);
	return -EOPNOTSUPP;
}

void kernel_free(struct kernel *k)
{
	(void)k;
}
