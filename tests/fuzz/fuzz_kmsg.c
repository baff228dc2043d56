/* fuzz_kmsg.c - libFuzzer target: /dev/kmsg records ("pri,seq,ts,flags;message",
 * separated by NUL bytes in the input) through kmsg_parse_record into one log, as
 * kmsg_drain feeds them. The kernel's text is input like any other: whatever it
 * says, every kill must come out with terminated strings and a pid kmsg_find finds. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "../../harness/host/kmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_str(const char *s, size_t size, const char *what)
{
	if (!memchr(s, '\0', size)) {
		fprintf(stderr, "kmsg: %s is not terminated\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmsg_log k;
	memset(&k, 0, sizeof(k));
	k.fd = -1;
	/* the recorder's clock calibration looks for its own line */
	k.marker = "mph[1]: recorder clock mark";
	const uint8_t *p = data, *rec;
	size_t left = size, len;
	while (fuzz_part(&p, &left, &rec, &len))
		(void)kmsg_parse_record(&k, (const char *)rec, len);
	for (size_t i = 0; i < k.n; i++) {
		const struct oom_kill *o = &k.kills[i];
		check_str(o->comm, sizeof(o->comm), "comm");
		check_str(o->constraint, sizeof(o->constraint), "constraint");
		check_str(o->oom_memcg, sizeof(o->oom_memcg), "oom_memcg");
		check_str(o->task_memcg, sizeof(o->task_memcg), "task_memcg");
		if (kmsg_find(&k, o->pid) != o) {
			fprintf(stderr, "kmsg: pid %d is in the log twice\n", o->pid);
			abort();
		}
	}
	kmsg_close(&k);
	return 0;
}
