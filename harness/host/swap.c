/* swap.c - see swap.h. mkswap comes from util-linux (present on every Debian). */
#define _GNU_SOURCE
#include "swap.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int run_mkswap(const char *path)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 1);
		execlp("mkswap", "mkswap", "-q", path, (char *)NULL);
		execl("/sbin/mkswap", "mkswap", "-q", path, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int swap_add(const char *path, uint64_t size, char *err, unsigned errlen)
{
	MPH_FAILPOINT("swap.journaled"); /* the caller journals the file before this */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600), r;
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create swap file %s: %s", path, strerror(-r));
		return r;
	}
	/* fallocate, not a sparse file: swapon refuses files with holes */
	r = fallocate(fd, 0, 0, (off_t)size) < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "cannot allocate %llu bytes for %s: %s", (unsigned long long)size, path,
			 strerror(-r));
		goto fail;
	}
	if ((r = run_mkswap(path)) < 0) {
		snprintf(err, errlen, "mkswap %s failed", path);
		goto fail;
	}
	MPH_FAILPOINT("swap.created");
	if (swapon(path, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "swapon %s: %s", path, strerror(-r));
		goto fail;
	}
	MPH_FAILPOINT("swap.on");
	return 0;
fail:
	(void)unlink(path);
	return r;
}

/* swapoff reads every page still in the area back into memory, charging each to its
 * memory cgroup. While a run's swap file is on, any cgroup of the machine at its limit
 * may swap into it, not only the run's; right after scenarios/seed-swap-with-cache.ini
 * (2 runs of 4 here) swapoff failed with ENOMEM, and succeeded when `mph restore` tried
 * again a few seconds later: so ENOMEM is retried, a bounded number of times. */
#define SWAPOFF_TRIES 20
#define SWAPOFF_PAUSE_NS 250000000L

int swap_remove(const char *path)
{
	int r = 0;
	for (int t = 0; t < SWAPOFF_TRIES; t++) {
		r = swapoff(path) < 0 ? -errno : 0;
		if (r != -ENOMEM)
			break;
		(void)nanosleep(&(struct timespec){ .tv_nsec = SWAPOFF_PAUSE_NS }, NULL);
	}
	if (r == -EINVAL || r == -ENOENT)
		r = 0; /* EINVAL: not an active swap area */
	if (unlink(path) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}
