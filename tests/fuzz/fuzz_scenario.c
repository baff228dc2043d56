/* fuzz_scenario.c - libFuzzer target: any bytes as a scenario file through
 * scenario_load (libinih, then the complete validation), for cgroup v1 on this
 * machine and for a cgroup v2 guest with [machine] keys from the command line; a
 * scenario that validates is also turned into run.json's "scenario". The input is
 * written to a memfd and loaded by its /proc/self/fd path, as a file would be. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/scenario/expect.h"
#include "../../harness/scenario/scenario.h"
#include "../../harness/scenario/sweep.h"
#include "../../harness/core/util.h"
#include "../../workloads/workload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("scenario.ini", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("fuzz: memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

/* What `mph run` does with a file before anything runs: parse, --set, expand the
 * sweep, validate variants (the first few), parse [expect] against the workloads. */
static void validate(const struct scen_text *tx, const struct scen_target *t)
{
	struct scenario sc;
	struct diags d = { 0 };
	int r = scenario_validate(tx, t, &sc, &d);
	if (r == 0) {
		json_t *j = scenario_json(&sc, 1);
		char *s = json_dumps(j, 0);
		if (!s) {
			fprintf(stderr, "scenario: a valid scenario's JSON cannot be written\n");
			abort();
		}
		free(s);
		json_decref(j);
		/* [expect] lines against this scenario's workloads */
		struct schema_wl wls[64];
		size_t nw = 0;
		for (size_t i = 0; i < sc.nwl && nw < 64; i++)
			wls[nw++] = (struct schema_wl){ sc.wl[i].name, sc.wl[i].type->name };
		struct expect_set ex = { 0 };
		struct diags ed = { .file = strdup("fuzz.ini") };
		for (size_t i = 0; i < tx->nset; i++) {
			const char *sel = NULL;
			if (expect_section(tx->set[i].section, &sel))
				(void)expect_add(&ex, "fuzz.ini", tx->set[i].line, tx->set[i].section, tx->set[i].key,
						 tx->set[i].value, wls, nw, &ed);
		}
		for (size_t i = 0; i < ed.n; i++)
			free(diag_format(&ed, i));
		expect_set_free(&ex);
		diags_free(&ed);
	} else if (r == -EINVAL && d.n == 0) {
		fprintf(stderr, "scenario: -EINVAL without a diagnostic\n");
		abort();
	}
	for (size_t i = 0; i < d.n; i++)
		free(diag_format(&d, i));
	scenario_free(&sc); /* also after a failed validation: it may hold a copy */
	diags_free(&d);
}

static void load(const struct scen_target *t, bool guest)
{
	struct scen_text tx;
	struct diags d;
	int r = scenario_parse(path, &tx, &d);
	for (size_t i = 0; i < d.n; i++)
		free(diag_format(&d, i));
	diags_free(&d);
	if (r < 0 && r != -EINVAL) {
		scen_text_free(&tx);
		return;
	}
	if (guest) { /* --set machine.memory=1G --set machine.numa=512M,512M */
		static const char *const sets[] = { "machine.memory=1G", "machine.numa=512M,512M" };
		struct setting over[2];
		char err[256];
		for (size_t i = 0; i < 2; i++)
			if (sweep_parse_set(sets[i], &over[i], err, sizeof(err)) < 0)
				abort();
		sweep_apply_sets(&tx.set, &tx.nset, over, 2);
		for (size_t i = 0; i < 2; i++) {
			free(over[i].section);
			free(over[i].key);
			free(over[i].value);
		}
	}
	struct sweep sw = { 0 };
	struct diags sd = { .file = strdup("fuzz.ini") };
	if (sweep_expand(tx.set, tx.nset, false, scenario_key_kind, &tx, &sw, &sd) == 0) {
		for (size_t v = 0; v < sw.nv && v < 4; v++) {
			struct scen_text copy = tx;
			copy.set = sw.v[v].set;
			copy.nset = sw.v[v].nset;
			validate(&copy, t);
			(void)sweep_match(&sw.v[v], "memory.max=64M");
		}
	}
	for (size_t i = 0; i < sd.n; i++)
		free(diag_format(&sd, i));
	diags_free(&sd);
	sweep_free(&sw);
	scen_text_free(&tx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		perror("fuzz: writing the memfd");
		abort();
	}
	struct scen_target host = { .cgv = CG_V1, .memsw = false };
	load(&host, false);
	struct scen_target guest = { .cgv = CG_V2, .nodes = 2, .guest = true };
	load(&guest, true);
	return 0;
}
