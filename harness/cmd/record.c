/* record.c - `mph record`: the recorder on its own, for a cgroup that mph did not
 * create (a production service) or for a command it starts, until Ctrl-C, the
 * command's end or --duration. Writes samples.csv, events.jsonl and record.json. */
#define _GNU_SOURCE
#include "../host/cgroup.h"
#include "../host/recorder.h"
#include "../host/result.h"
#include "cmd.h"
#include "../runner/runner.h"
#include "../host/supervise.h"
#include "../core/units.h"
#include "../core/util.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: mph record [--interval T] [--cgroup PATH] [--out DIR] [--duration T] [--pss] [--statm] [-- CMD ARGS...]\n\n"
		   "Samples /proc/vmstat, /proc/meminfo, PSI, NUMA nodes, a cgroup's memory files and the\n"
		   "command's memory every interval into samples.csv, and OOM kills and first occurrences\n"
		   "into events.jsonl, until Ctrl-C, the command's end, or the duration.\n\n"
		   "  --interval T   sampling period (default 100ms, at least 1ms)\n"
		   "  --cgroup PATH  cgroup to record: a directory, or a path inside the memory hierarchy\n"
		   "  --out DIR      output directory (default results/record/<UTC time>)\n"
		   "  --duration T   stop after T\n"
		   "  --pss          also sample the command's Pss\n"
		   "  --statm        read the command's memory from /proc/PID/statm (cheaper, fewer fields)\n");
}

static void on_fd(void *ctx, int fd)
{
	rec_ready(ctx, fd);
}

static void on_start(void *ctx, size_t i, const struct wl_proc *w)
{
	rec_set_pid(ctx, i, w->pid);
	rec_event(ctx, "command_start", json_pack("{s:i}", "pid", (int)w->pid));
}

static void on_exit_(void *ctx, size_t i, const struct wl_proc *w)
{
	char sigbuf[16];
	rec_set_pid(ctx, i, 0);
	rec_event(ctx, "command_exit", WIFEXITED(w->status) ? json_pack("{s:i}", "exit_code", WEXITSTATUS(w->status))
							     : json_pack("{s:s}", "signal", signal_name(WTERMSIG(w->status), sigbuf, sizeof(sigbuf))));
}

/* A cgroup given as a directory, or as a path inside the memory hierarchy. */
static char *cgroup_dir(const struct cg_env *env, const char *arg)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
		return xstrdup(arg);
	char *d = xasprintf("%s/%s", env->mount, arg[0] == '/' ? arg + 1 : arg);
	if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
		return d;
	free(d);
	return NULL;
}

int cmd_record(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "interval", required_argument, NULL, 'i' }, { "cgroup", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },      { "duration", required_argument, NULL, 'd' },
		{ "pss", no_argument, NULL, 'p' },            { "help", no_argument, NULL, 'h' },
		{ "statm", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t interval = 100, duration = 0;
	const char *cgarg = NULL, *out = NULL;
	bool pss = false, statm = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'i': r = parse_duration_ms(optarg, &interval); if (!r && !interval) r = -ERANGE; break;
		case 'd': r = parse_duration_ms(optarg, &duration); break;
		case 'c': cgarg = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pss = true; break;
		case 'm': statm = true; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_BAD_INPUT;
		}
		if (r < 0) {
			fprintf(stderr, "mph record: --%s %s: expected a duration such as 10ms or 5s%s\n",
				c == 'i' ? "interval" : "duration", optarg, c == 'i' ? " (at least 1ms)" : "");
			return EXIT_BAD_INPUT;
		}
	}
	char **cmd = optind < argc ? argv + optind : NULL;

	struct cg_env env = { 0 };
	char *cgdir = NULL;
	if (cgarg) {
		if (cg_env_detect(&env) < 0) {
			fprintf(stderr, "mph record: no memory cgroup controller here, so --cgroup cannot be recorded\n");
			return EXIT_UNSUPPORTED;
		}
		if (!(cgdir = cgroup_dir(&env, cgarg))) {
			fprintf(stderr, "mph record: --cgroup %s: no such cgroup (a directory, or a path under %s)\n", cgarg, env.mount);
			cg_env_free(&env);
			return EXIT_BAD_INPUT;
		}
	} else {
		(void)cg_env_detect(&env); /* for host facts only */
	}
	char *dir;
	if (out) {
		dir = xstrdup(out);
	} else {
		char *stamp = utc_stamp(false);
		dir = xasprintf("results/record/%s", stamp);
		free(stamp);
	}
	int code = EXIT_OK;
	int r = mkdir_p(dir);
	if (r < 0) {
		fprintf(stderr, "mph record: cannot create %s: %s\n", dir, strerror(-r));
		code = EXIT_RUN_FAILED;
		goto out;
	}

	sigset_t old;
	int sigfd = sup_signals_begin(&old);

	struct supervisor sup = { 0 };
	const char *names[] = { "cmd" };
	sup.t0 = now_s();
	sup.duration_ms = duration ? duration : UINT64_MAX;
	sup.timeout_ms = UINT64_MAX;
	struct rec_config rc = { .dir = dir, .interval_ms = interval, .pss = pss, .statm = statm, .cg_dir = cgdir, .cg_ver = env.ver,
				 .procs = names, .nprocs = cmd ? 1 : 0, .t0 = sup.t0 };
	struct recorder *rec = NULL;
	if ((r = rec_open(&rec, &rc)) < 0) {
		fprintf(stderr, "mph record: cannot start recording in %s: %s\n", dir, strerror(-r));
		code = EXIT_RUN_FAILED;
		goto restore_signals;
	}
	int fds[8];
	sup.hooks = (struct sup_hooks){ .ctx = rec, .fds = fds, .nfds = rec_fds(rec, fds, ARRAY_SIZE(fds)), .on_fd = on_fd,
					.on_start = on_start, .on_exit = on_exit_ };
	if (cmd) {
		sup.n = 1;
		sup.w = xcalloc(1, sizeof(*sup.w));
		sup.w[0].name = "cmd";
		sup.w[0].type = "command";
		size_t n = 0;
		while (cmd[n])
			n++;
		sup.w[0].argv = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			sup.w[0].argv[i] = xstrdup(cmd[i]);
		/* execv wants a path: look the command up in PATH as a shell would */
		if (!strchr(cmd[0], '/')) {
			char *path = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin"), *save = NULL;
			for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
				char *full = xasprintf("%s/%s", d, cmd[0]);
				if (access(full, X_OK) == 0) {
					free(sup.w[0].argv[0]);
					sup.w[0].argv[0] = full;
					break;
				}
				free(full);
			}
			free(path);
		}
		if ((r = sup_start(&sup, NULL)) < 0) {
			fprintf(stderr, "mph record: cannot run %s: %s\n", cmd[0], strerror(-r));
			code = EXIT_RUN_FAILED;
		}
	}
	if (code == EXIT_OK)
		(void)sup_wait(&sup, sigfd);
	json_t *summary = rec_finish(rec);
	json_t *res = json_pack("{s:s, s:s, s:o, s:s?, s:o}", "schema", "mph-record/1", "mph_version", MPH_VERSION, "host",
				host_json(&env), "cgroup", cgdir, "recorder", summary);
	if (cmd) {
		json_t *a = json_array();
		for (char **p = cmd; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(res, "command", a);
		json_object_set_new(res, "exit_code", sup.w[0].reaped && WIFEXITED(sup.w[0].status)
							      ? json_integer(WEXITSTATUS(sup.w[0].status)) : json_null());
	}
	json_object_set_new(res, "interrupted", json_boolean(sup.interrupted));
	char *path = xasprintf("%s/record.json", dir);
	if (json_save(path, res) < 0)
		code = EXIT_RUN_FAILED;
	else
		printf("%s\n", path);
	free(path);
	json_decref(res);
	rec_close(rec);
	sup_free(&sup);
restore_signals:
	sup_signals_end(sigfd, &old);
out:
	free(dir);
	free(cgdir);
	cg_env_free(&env);
	return code;
}
