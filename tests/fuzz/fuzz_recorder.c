/* fuzz_recorder.c - libFuzzer target: the recorder's kernel-file parsers through the
 * recorder itself, on a stand-in /proc, /sys and cgroup directory in a temporary
 * directory (as tests/unit/test_recorder.c uses saved files). The input's first
 * byte picks the variant (bit 0: cgroup v1, bit 1: /proc/PID/statm instead of
 * status, bit 2: also smaps_rollup); the rest is split at NUL bytes into the files'
 * contents, in the order of files[] (a file with no part is absent); parts past
 * that are the same files' contents for a second sample, so that keys can change
 * under the recorder. /proc/zoneinfo goes through rec_zoneinfo. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/host/recorder.h"
#include "../../harness/core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* where: 'p' proc root, 'c' cgroup directory (a v2 name mapped with cg_file), 's' sys root */
static const struct {
	char where;
	const char *name;
} files[] = {
	{ 'p', "vmstat" }, { 'p', "meminfo" }, { 'p', "pressure/memory" }, { 'p', "pressure/io" },
	{ 'c', "memory.stat" }, { 'c', "memory.current" }, { 'c', "memory.events" }, { 'c', "memory.pressure" },
	{ 'c', "memory.peak" }, { 'c', "memory.failcnt" }, { 'p', "1/status" }, { 'p', "1/statm" },
	{ 'p', "1/smaps_rollup" }, { 's', "devices/system/node/node0/meminfo" },
	{ 's', "devices/system/node/node0/numastat" }, { 'p', "zoneinfo" },
};
#define NFILES (sizeof(files) / sizeof(files[0]))

static char *top, *proc, *sys, *cg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	top = fuzz_tmpdir("recorder");
	proc = xasprintf("%s/proc", top);
	sys = xasprintf("%s/sys", top);
	cg = xasprintf("%s/cg", top);
	static const char *const dirs[] = { "proc", "proc/pressure", "proc/1", "sys", "sys/devices",
					    "sys/devices/system", "sys/devices/system/node",
					    "sys/devices/system/node/node0", "cg", "out" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", top, dirs[i]);
		fuzz_mkdir(d);
		free(d);
	}
	return 0;
}

/* The path of files[i] for this cgroup version, NULL when it has no such file. */
static char *file_path(size_t i, enum cg_version v)
{
	if (files[i].where == 'c') {
		const char *f = cg_file(v, files[i].name, NULL);
		return f ? xasprintf("%s/%s", cg, f) : NULL;
	}
	return xasprintf("%s/%s", files[i].where == 'p' ? proc : sys, files[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	enum cg_version v = flags & 1 ? CG_V1 : CG_V2;
	const uint8_t *p = data + 1, *part[2 * NFILES];
	size_t left = size - 1, len[2 * NFILES], nparts = 0;
	while (nparts < 2 * NFILES && fuzz_part(&p, &left, &part[nparts], &len[nparts]))
		nparts++;
	char *paths[NFILES];
	for (size_t i = 0; i < NFILES; i++) {
		paths[i] = file_path(i, v);
		if (!paths[i])
			continue;
		if (i < nparts)
			fuzz_put(paths[i], part[i], len[i]);
		else
			(void)unlink(paths[i]);
	}
	const char *procs[] = { "w" };
	struct rec_config c = { .dir = NULL, .interval_ms = 1000, .pss = flags & 4, .statm = flags & 2, .cg_dir = cg,
				.cg_ver = v, .procs = procs, .nprocs = 1, .t0 = now_s(), .proc_root = proc,
				.sys_root = sys, .no_kmsg = true };
	char *out = xasprintf("%s/out", top);
	c.dir = out;
	struct recorder *r = NULL;
	if (rec_open(&r, &c) == 0) {
		rec_set_pid(r, 0, 1);
		rec_sample(r);
		for (size_t i = NFILES; i < nparts; i++)
			if (paths[i - NFILES])
				fuzz_put(paths[i - NFILES], part[i], len[i]);
		rec_sample(r);
		json_decref(rec_finish(r));
		rec_close(r);
	}
	free(out);
	for (size_t z = 0; z < 2; z++) {
		size_t i = NFILES - 1 + z * NFILES; /* zoneinfo, of either sample */
		if (i < nparts) {
			char *text = strndup((const char *)part[i], len[i]);
			json_decref(rec_zoneinfo(text));
			free(text);
		}
	}
	for (size_t i = 0; i < NFILES; i++)
		free(paths[i]);
	return 0;
}
