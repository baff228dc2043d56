/* fillwatch.c - times a memory filler from outside: starts the command inside a
 * memory cgroup (it joins before exec, so every page it touches is charged there),
 * polls the cgroup's usage every 100 us, and prints the seconds from the fork until
 * usage rose by 99% of the given bytes. Then it kills every process of the cgroup and waits
 * until the cgroup is empty. The same yardstick for every filler, whatever the filler
 * says about itself.
 *
 *   fillwatch CGROUP_DIR BYTES COMMAND [ARG...]
 *
 * Exit 0 and the seconds on stdout; 1 (with the reason on stderr) when the command
 * ended, or 60 s passed, before usage rose by 99% of BYTES. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETTLED (64 << 20) /* a cgroup with less than this is empty enough to start */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

static long long read_ll(int fd)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* SIGKILL every process in the cgroup until it is empty (at most 5 s). 0 when empty. */
static int empty_cgroup(const char *procs)
{
	for (int tries = 0; tries < 500; tries++) {
		FILE *f = fopen(procs, "re");
		if (!f)
			return -1;
		int pid, any = 0;
		while (fscanf(f, "%d", &pid) == 1) {
			kill(pid, SIGKILL);
			any = 1;
		}
		fclose(f);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!any)
			return 0;
		nap_us(10000);
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: fillwatch CGROUP_DIR BYTES COMMAND [ARG...]\n");
		return 2;
	}
	const char *dir = argv[1];
	long long want = strtoll(argv[2], NULL, 10);
	char usage[4096], procs[4096];
	snprintf(usage, sizeof(usage), "%s/memory.current", dir); /* v2 */
	if (access(usage, R_OK) != 0)
		snprintf(usage, sizeof(usage), "%s/memory.usage_in_bytes", dir); /* v1 */
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	int ufd = open(usage, O_RDONLY | O_CLOEXEC);
	if (ufd < 0 || want <= 0) {
		fprintf(stderr, "fillwatch: %s: %s\n", usage, want <= 0 ? "bad BYTES" : strerror(errno));
		return 2;
	}
	/* A filler killed just before may still be freeing its memory (a final mmput
	 * can come after the process has left cgroup.procs): wait until that is done.
	 * What stays (cache of the fillers' binaries) is the base the fill is counted
	 * from. The fill is done at 99% of BYTES: a filler that maps exactly BYTES may
	 * never put the usage a full BYTES above a base that shrinks by a page. */
	long long base = read_ll(ufd);
	for (int i = 0; i < 1000 && base > SETTLED; i++) {
		nap_us(10000);
		base = read_ll(ufd);
	}
	if (base < 0 || base > SETTLED) {
		fprintf(stderr, "fillwatch: %s: usage %lld did not fall below %d bytes\n", usage, base, SETTLED);
		return 1;
	}
	want = base + want - want / 100;
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fillwatch: fork");
		return 1;
	}
	if (pid == 0) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			perror("fillwatch: joining the cgroup");
			_exit(127);
		}
		close(fd);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1); /* the fillers' chatter is not the bench's output */
		execvp(argv[3], argv + 3);
		perror("fillwatch: exec");
		_exit(127);
	}
	double t = -1;
	const char *why = NULL;
	for (;;) {
		long long u = read_ll(ufd);
		if (u >= want) {
			t = now() - t0;
			break;
		}
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "fillwatch: %s %s %d with the cgroup's usage at %lld of %lld bytes\n", argv[3],
				WIFEXITED(st) ? "exited" : "was killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
				u, want);
			why = "the command ended before the cgroup's usage rose by 99% of BYTES";
			break;
		}
		if (now() - t0 > 60) {
			why = "60 s passed before the cgroup's usage rose by 99% of BYTES";
			break;
		}
		nap_us(100);
	}
	if (empty_cgroup(procs) < 0)
		fprintf(stderr, "fillwatch: %s still has processes\n", dir);
	if (why) {
		fprintf(stderr, "fillwatch: %s: %s\n", argv[3], why);
		return 1;
	}
	printf("%.6f\n", t);
	return 0;
}
