/* populate.c - the floor anonleak's fill is compared with: one mmap(MAP_POPULATE) of
 * the given size, so the kernel faults every page in a single call with no user-space
 * touch loop. Prints its own time to stderr, then holds the memory until killed (the
 * bench measures from outside, by the cgroup's usage). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long long n = argc == 2 ? strtoull(argv[1], &end, 10) : 0;
	if (!n || *end) {
		fprintf(stderr, "usage: populate BYTES\n");
		return 2;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	void *p = mmap(NULL, (size_t)n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (p == MAP_FAILED) {
		perror("populate: mmap");
		return 1;
	}
	double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	fprintf(stderr, "populate: %llu bytes in %.3f s (%.0f MiB/s)\n", n, s, (double)n / 1048576.0 / s);
	for (;;)
		pause();
}
