/* spawn.c - the one place report/ starts a program: gnuplot, fed a script on its stdin,
 * its stdout and stderr collected. posix_spawnp, no shell; one poll loop over the three
 * pipes so that a script larger than a pipe's buffer cannot deadlock against output
 * gnuplot writes before it has read everything; a deadline bounds the whole. */
#define _GNU_SOURCE
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/util.h"

extern char **environ;

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_read(struct buf *b, int fd)
{
	if (b->cap - b->len < 65536) {
		b->cap = b->cap ? b->cap * 2 : 131072;
		b->p = xrealloc(b->p, b->cap + 1);
	}
	ssize_t n = read(fd, b->p + b->len, b->cap - b->len);
	if (n > 0)
		b->len += (size_t)n;
	b->p[b->len] = '\0';
	return n < 0 ? (errno == EINTR || errno == EAGAIN ? 1 : -errno) : (int)(n > 0);
}

int spawn_pipe(const char *const argv[], const char *in, size_t inlen, unsigned timeout_s, struct spawn_result *res)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	struct buf out = { 0 }, err = { 0 };
	posix_spawn_file_actions_t fa;
	bool fa_init = false;
	pid_t pid = -1;
	int r = 0;
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	fa_init = true;
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	r = -posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	if (r < 0) {
		pid = -1;
		goto out;
	}
	close(pin[0]), close(pout[1]), close(perr[1]);
	pin[0] = pout[1] = perr[1] = -1;
	(void)fcntl(pin[1], F_SETFL, O_NONBLOCK);
	size_t off = 0;
	if (inlen == 0)
		close(pin[1]), pin[1] = -1;
	uint64_t deadline = now_ms() + (uint64_t)timeout_s * 1000;
	while (pout[0] >= 0 || perr[0] >= 0) {
		struct pollfd pf[3] = { { pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 }, { pin[1], POLLOUT, 0 } };
		uint64_t now = now_ms();
		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		int n = poll(pf, 3, (int)(deadline - now));
		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &perr[0] : &pout[0];
			if (*fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				int k = buf_read(i ? &err : &out, *fd);
				if (k <= 0)
					close(*fd), *fd = -1;
			}
		}
		if (pin[1] >= 0 && (pf[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(pin[1], in + off, inlen - off);
			if (w > 0)
				off += (size_t)w;
			/* a program that stops reading (it failed) ends our writing, not the run */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == inlen)
				close(pin[1]), pin[1] = -1;
		}
	}
	if (r == -ETIMEDOUT)
		(void)kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r == 0) {
		res->out = out.p ? out.p : xstrdup("");
		res->out_len = out.len;
		res->err = err.p ? err.p : xstrdup("");
		res->status = st;
		out.p = err.p = NULL;
	}
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	free(out.p);
	free(err.p);
	return r;
}

void spawn_result_free(struct spawn_result *res)
{
	if (!res)
		return;
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}
