/* fuzz_scenario.c - libFuzzer target: any bytes as a scenario file through
 * scenario_load (libinih, then the complete validation), for cgroup v1 on this
 * machine and for a cgroup v2 guest with [machine] keys from the command line; a
 * scenario that validates is also turned into run.json's "scenario". The input is
 * written to a memfd and loaded by its /proc/self/fd path, as a file would be. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/scenario/scenario.h"
#include "../../harness/core/util.h"

#include <errno.h>
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

static void load(const struct scen_target *t)
{
	struct scenario sc;
	struct diags d;
	int r = scenario_load(path, t, &sc, &d);
	if (r == 0) {
		json_t *j = scenario_json(&sc, 1);
		char *s = json_dumps(j, 0);
		if (!s) {
			fprintf(stderr, "scenario: a valid scenario's JSON cannot be written\n");
			abort();
		}
		free(s);
		json_decref(j);
	} else if (r == -EINVAL && d.n == 0) {
		fprintf(stderr, "scenario: -EINVAL without a diagnostic\n");
		abort();
	}
	for (size_t i = 0; i < d.n; i++)
		free(diag_format(&d, i));
	scenario_free(&sc);
	diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		perror("fuzz: writing the memfd");
		abort();
	}
	struct scen_target host = { .cgv = CG_V1, .memsw = false };
	load(&host);
	static const char *const set[] = { "memory=1G", "numa=512M,512M", NULL };
	struct scen_target guest = { .cgv = CG_V2, .nodes = 2, .guest = true, .machine_set = set };
	load(&guest);
	return 0;
}
