/* exec.c - runs an external command (stress-ng, a service's own load generator, a
 * shell loop) inside the run's memory cgroup: it forks, the child execs the command
 * and so inherits the cgroup, and every page the command's whole process tree
 * touches is charged there. The workload announces the command with a "child" record,
 * waits for it and reports how it ended.
 *
 * The command's exit code does not say what the kernel did to its tree: stress-ng
 * respawns OOM-killed workers and still exits 0. So this workload's verdict is left
 * to the cgroup's counters and the kernel log: mph counts every OOM kill in the run
 * cgroup as this workload's when it is the scenario's only workload (struct
 * workload's untracked_children), and the final report says "judged_by". */
#define _GNU_SOURCE
#include "workload.h"
#include "exec.h"
#include "../harness/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct exec_cfg {
	char *cmd;
};

static const struct opt exec_opts[] = {
	{ "cmd", OPT_STRING, offsetof(struct exec_cfg, cmd), NULL, 0, 0, NULL,
	  "command to run, split into words like a shell would ('...', \"...\" and \\ quote) but without one: "
	  "nothing is expanded and | ; < > are plain characters (for those: cmd = sh -c \"...\")",
	  true },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

void exec_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

int exec_split(const char *line, char ***argv, char *err, size_t errlen)
{
	size_t n = 0, len = 0;
	char **v = xcalloc(1, sizeof(char *));
	char *word = xcalloc(strlen(line) + 1, 1);
	bool in_word = false; /* '' starts an (empty) word too */
	char quote = 0;
	size_t qcol = 0;
	for (const char *p = line;; p++) {
		char ch = *p;
		if (quote == '\'') {
			if (!ch)
				break;
			if (ch == '\'')
				quote = 0;
			else
				word[len++] = ch;
			continue;
		}
		if (quote == '"') {
			if (!ch)
				break;
			if (ch == '"')
				quote = 0;
			else if (ch == '\\' && p[1] && strchr("\"\\$`", p[1]))
				word[len++] = *++p;
			else
				word[len++] = ch;
			continue;
		}
		if (ch == '\'' || ch == '"') {
			quote = ch;
			qcol = (size_t)(p - line) + 1;
			in_word = true;
		} else if (ch == '\\') {
			if (!p[1]) {
				snprintf(err, errlen, "a \\ at the end escapes nothing");
				exec_argv_free(v);
				free(word);
				return -EINVAL;
			}
			word[len++] = *++p;
			in_word = true;
		} else if (ch == ' ' || ch == '\t' || ch == '\n' || !ch) {
			if (in_word) {
				word[len] = '\0';
				v = xrealloc(v, (n + 2) * sizeof(char *));
				v[n++] = xstrdup(word);
				v[n] = NULL;
				len = 0;
				in_word = false;
			}
			if (!ch)
				break;
		} else {
			word[len++] = ch;
			in_word = true;
		}
	}
	free(word);
	if (quote)
		snprintf(err, errlen, "the %c quote opened at column %zu is not closed", quote, qcol);
	else if (!n)
		snprintf(err, errlen, "empty command");
	if (quote || !n) {
		exec_argv_free(v);
		return -EINVAL;
	}
	*argv = v;
	return (int)n;
}

/* In the child: own process group (so a stop reaches the command's whole tree), die
 * with the workload, stdout to stderr (the report stream and mph's summary stay
 * clean), signals back to their defaults, then exec. An exec failure goes back through the
 * CLOEXEC pipe err_w. */
static void child(char **argv, int report_fd, int err_w, pid_t parent, const sigset_t *orig)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL); /* a stop that comes before the exec ends the child */
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, orig, NULL);
	if (report_fd > 2)
		close(report_fd);
	dup2(2, 1);
	execvp(argv[0], argv);
	int e = errno;
	(void)!write(err_w, &e, sizeof(e));
	_exit(127);
}

static json_t *argv_json(char **argv)
{
	json_t *a = json_array();
	for (char **p = argv; *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

/* Wait for the command, with progress records; a stop (SIGTERM/SIGINT to this
 * workload) is passed on to the command's process group. SIGTERM/SIGINT are blocked
 * except inside ppoll, so a stop is never missed between the check and the wait. */
static int wait_child(struct wl_ctx *ctx, pid_t pid, const sigset_t *orig, bool *stopped, double t0)
{
	int pfd = pidfd_open(pid, 0);
	if (pfd < 0)
		return -errno;
	int status = 0;
	for (;;) {
		if (wl_stop && !*stopped) {
			*stopped = true;
			kill(-pid, SIGTERM);
		}
		double wait = ctx->next_progress - now_s();
		struct timespec ts = { 0, 0 };
		if (wait > 0) {
			ts.tv_sec = (time_t)wait;
			ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		}
		struct pollfd pf = { .fd = pfd, .events = POLLIN };
		int r = ppoll(&pf, 1, &ts, orig);
		if (r < 0 && errno != EINTR) {
			int e = errno;
			close(pfd);
			return -e;
		}
		if (r > 0 && waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", json_pack("{s:i, s:f}", "pid", (int)pid, "running_s", now_s() - t0));
	}
	close(pfd);
	return status;
}

/* The command line must split into words: the splitter itself is the check. */
static int exec_check(const void *vcfg, struct wl_problems *p)
{
	const struct exec_cfg *c = vcfg;
	char err[256] = "", **argv = NULL;
	if (!c->cmd) /* required: reported as missing */
		return 0;
	if (exec_split(c->cmd, &argv, err, sizeof(err)) < 0) {
		wl_problem(p, WL_OPTS("cmd"), "--cmd: %s", err);
		return -EINVAL;
	}
	exec_argv_free(argv);
	return 0;
}

static int exec_run(void *vcfg, struct wl_ctx *ctx)
{
	const struct exec_cfg *c = vcfg;
	char err[256] = "";
	char **argv = NULL;
	int code = WL_EXIT_OK;

	wl_report(ctx, "start", json_pack("{s:i, s:s}", "pid", (int)getpid(), "cmd", c->cmd));
	/* exec_check refused a cmd that does not split; only a caller that skipped it gets here */
	if (exec_split(c->cmd, &argv, err, sizeof(err)) < 0) {
		fprintf(stderr, "exec: --cmd: %s\n", err);
		wl_report(ctx, "final", json_pack("{s:s, s:s}", "status", "error", "error", err));
		return WL_EXIT_USAGE;
	}
	sigset_t stops, orig;
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &orig);

	int ep[2];
	pid_t pid = -1;
	double t0 = now_s();
	if (pipe2(ep, O_CLOEXEC) == 0) {
		pid_t self = getpid();
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			child(argv, ctx->report_fd, ep[1], self, &orig);
		close(ep[1]);
	}
	if (pid < 0) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
	} else {
		setpgid(pid, pid); /* also here: a stop may come before the child ran */
		int e = 0;
		ssize_t k;
		while ((k = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
			;
		if (k == (ssize_t)sizeof(e)) {
			snprintf(err, sizeof(err), "cannot execute %s: %s", argv[0], strerror(e));
			(void)waitpid(pid, NULL, 0);
		}
		close(ep[0]);
	}
	json_t *fin;
	if (*err) {
		fprintf(stderr, "exec: %s\n", err);
		fin = json_pack("{s:s, s:s, s:o}", "status", "error", "error", err, "argv", argv_json(argv));
		code = WL_EXIT_ERROR;
	} else {
		wl_report(ctx, "child", json_pack("{s:i}", "pid", (int)pid));
		bool stopped = false;
		int st = wait_child(ctx, pid, &orig, &stopped, t0);
		if (st < 0) {
			fprintf(stderr, "exec: waiting for %d: %s\n", (int)pid, strerror(-st));
			kill(-pid, SIGKILL);
			(void)waitpid(pid, &st, 0);
		}
		fin = json_pack("{s:s, s:o, s:i, s:o, s:o, s:f, s:s}", "status", stopped ? "stopped" : "done", "argv",
				argv_json(argv), "child_pid", (int)pid, "exit_code",
				WIFEXITED(st) ? json_integer(WEXITSTATUS(st)) : json_null(), "signal",
				WIFSIGNALED(st) ? json_string(sigabbrev_np(WTERMSIG(st))) : json_null(), "seconds",
				now_s() - t0, "judged_by", "cgroup counters");
	}
	wl_report(ctx, "final", fin);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	exec_argv_free(argv);
	return code;
}

const struct workload wl_exec = {
	.name = "exec",
	.summary = "Run an external command (e.g. stress-ng) in the run's cgroup; judged by the cgroup's counters, not its exit code.",
	.cfg_size = sizeof(struct exec_cfg),
	.opts = exec_opts,
	.check = exec_check,
	.run = exec_run,
	.untracked_children = true,
};
