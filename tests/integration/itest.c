/* itest.c - what the integration tests share: running the real mph binary, reading
 * run.json, and checking after every test that the machine is as it was (no cgroup
 * below ours, no swap, the sysctls mph may touch unchanged, no journal). Tests from
 * several checkouts on one machine take turns through a lock, because each checks
 * that no cgroup is left below the shared parent. */
#define _GNU_SOURCE
#include "itest.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/host/journal.h"
#include "../../harness/host/sysctl.h"
#include "../../harness/core/util.h"

const char *itest_skip_reason;
char itest_tmpdir[64];
char *itest_results, *itest_statedir;
struct cg_env itest_env;
char *sysctl_before[32];
int serial_fd = -1;

/* Run mph with args (NULL-terminated), capture stdout and stderr. */
const char *itest_mph_bin(void)
{
	return getenv("MPH_BIN") ? getenv("MPH_BIN") : "./mph";
}

/* Start mph with argv (argv[0] ignored), stdout and stderr to files <itest_tmpdir>/<tag>.out/.err */
pid_t itest_spawn(const char *tag, const char **argv)
{
	char *o = xasprintf("%s/%s.out", itest_tmpdir, tag), *e = xasprintf("%s/%s.err", itest_tmpdir, tag);
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("MPH_STATE_DIR", itest_statedir, 1);
		argv[0] = itest_mph_bin();
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	free(o);
	free(e);
	return pid;
}

/* Run mph with args (NULL-terminated), capture stdout and stderr. */
struct proc_out itest_mph(const char *arg0, ...)
{
	const char *argv[32] = { NULL };
	size_t n = 1;
	va_list ap;
	va_start(ap, arg0);
	for (const char *a = arg0; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	int st;
	waitpid(itest_spawn("fg", argv), &st, 0);
	struct proc_out p = { WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), NULL, NULL };
	char *o = xasprintf("%s/fg.out", itest_tmpdir), *e = xasprintf("%s/fg.err", itest_tmpdir);
	read_file(o, &p.out, NULL);
	read_file(e, &p.err, NULL);
	free(o);
	free(e);
	return p;
}

void itest_proc_free(struct proc_out *p)
{
	free(p->out);
	free(p->err);
}

char *itest_last_line(const struct proc_out *p)
{
	char *copy = xstrdup(p->out ? p->out : ""), *last = NULL, *save = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		last = l;
	char *r = last ? xstrdup(last) : NULL;
	free(copy);
	return r;
}

char *itest_out_dir(const struct proc_out *p)
{
	char *d = itest_last_line(p), *slash = d ? strrchr(d, '/') : NULL;
	if (slash && strcmp(slash, "/plan.json") == 0) {
		/* a plan of one job: the job's directory */
		*slash = '\0';
		char *pj = xasprintf("%s/plan.json", d);
		json_t *plan = json_load_file(pj, 0, NULL);
		const char *rel = json_string_value(json_object_get(json_array_get(json_object_get(plan, "jobs"), 0), "dir"));
		char *job = rel ? xasprintf("%s/%s", d, rel) : NULL;
		json_decref(plan);
		free(pj);
		if (job) {
			free(d);
			return job;
		}
		return d;
	}
	if (slash)
		*slash = '\0';
	return d;
}

/* run.json named on the last line of mph run's stdout */
json_t *itest_load_result(const struct proc_out *p)
{
	char *last = itest_last_line(p);
	json_t *j = last ? json_load_file(last, 0, NULL) : NULL;
	/* a plan of one job: its run.json */
	if (j && json_is_string(json_object_get(j, "schema")) &&
	    strcmp(json_string_value(json_object_get(j, "schema")), "mph-plan/1") == 0) {
		json_t *job = json_array_get(json_object_get(j, "jobs"), 0);
		char *dir = xstrdup(last), *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		const char *elsewhere = json_string_value(json_object_get(job, "run_json")); /* a full disk's fallback */
		char *rj = elsewhere ? xstrdup(elsewhere) : xasprintf("%s/%s/run.json", dir, json_string_value(json_object_get(job, "dir")));
		json_decref(j);
		j = json_load_file(rj, 0, NULL);
		free(rj);
		free(dir);
	}
	if (!j)
		fail_msg("no run.json: stdout was:\n%s\nstderr:\n%s", p->out, p->err);
	free(last);
	return j;
}

/* "a.b.c" through objects */
static json_t *get_path(json_t *o, const char *path)
{
	char *copy = xstrdup(path);
	json_t *cur = o;
	char *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && cur; k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	free(copy);
	return cur;
}

const char *itest_str(json_t *o, const char *path)
{
	return json_string_value(get_path(o, path));
}

long long itest_num(json_t *o, const char *path)
{
	json_t *cur = get_path(o, path);
	if (!json_is_integer(cur))
		fail_msg("%s is not an integer", path);
	return json_integer_value(cur);
}

/* `mph run SCENARIO` must succeed; its run.json */
json_t *itest_run_ok(const char *scenario)
{
	/* --wait: a developer's own mph run on this machine is waited for, not a failure */
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, scenario, NULL);
	if (p.code != 0)
		fail_msg("mph run %s exited %d:\n%s", scenario, p.code, p.err);
	json_t *r = itest_load_result(&p);
	itest_proc_free(&p);
	return r;
}

json_t *itest_workload0(json_t *r)
{
	return json_array_get(json_object_get(r, "workloads"), 0);
}

/* The machine's mph lock, held while looking at the machine so that no mph run (of
 * this test or of someone else on the machine) is half-way through. */
static int machine_lock(void)
{
	int lk = open("/run/lock/mph.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lk >= 0)
		(void)flock(lk, LOCK_EX);
	return lk;
}

static void snapshot_sysctls(void)
{
	for (unsigned i = 0; i < sysctl_ndefs; i++) {
		free(sysctl_before[i]);
		sysctl_before[i] = NULL;
		if (sysctl_read("/proc/sys", sysctl_defs[i].name, &sysctl_before[i]) < 0)
			sysctl_before[i] = xstrdup("");
	}
}

/* The instances mph-<pid> (and mph-<pid>-oom, the OOM watch's) of pids no longer alive in every tracefs mounted, one a
 * line, each line ending in '\n' ("" when none). */
static char *dead_instances(void)
{
	FILE *tp = popen("for m in $(awk '$3 == \"tracefs\" { print $2 }' /proc/self/mounts); do "
			 "for i in \"$m\"/instances/mph-*; do p=${i##*/mph-}; p=${p%-oom}; "
			 "[ -d \"$i\" ] && ! kill -0 \"$p\" 2>/dev/null && echo \"$i\"; done; done", "r");
	char *out = xstrdup(""), line[4096];
	while (tp && fgets(line, sizeof(line), tp)) {
		line[strcspn(line, "\n")] = 0;
		char *o = xasprintf("%s%s\n", out, line);
		free(out);
		out = o;
	}
	if (tp)
		pclose(tp);
	return out;
}

static char *instances_before; /* "\n" + dead_instances() at the group's start */

/* What is left on the machine, as text ("" when nothing). */
static char *leftovers(void)
{
	char *msg = xstrdup("");
	char *own = xasprintf("%s%s", itest_env.mount, itest_env.own);
	char *cmd = xasprintf("find '%s' -mindepth 1 -type d | grep -q .", own);
	if (system(cmd) == 0) {
		char *m = xasprintf("%sa cgroup is left below %s; ", msg, own);
		free(msg);
		msg = m;
	}
	free(cmd);
	free(own);
	char *swaps = NULL;
	if (read_file("/proc/swaps", &swaps, NULL) == 0 && strchr(swaps, '\n') && strchr(swaps, '\n')[1]) {
		char *m = xasprintf("%sswap is still active:\n%s; ", msg, swaps);
		free(msg);
		msg = m;
	}
	free(swaps);
	for (unsigned i = 0; i < sysctl_ndefs; i++) {
		char *v = NULL;
		if (sysctl_read("/proc/sys", sysctl_defs[i].name, &v) == 0 && strcmp(v, sysctl_before[i]) != 0) {
			char *m = xasprintf("%s%s is %s, it was %s before the test; ", msg, sysctl_defs[i].name, v,
					    sysctl_before[i]);
			free(msg);
			msg = m;
		}
		free(v);
	}
	/* the machine-wide record of pending changes names none of the tests' state directories */
	char **dirs = NULL;
	size_t n = 0;
	(void)journal_pending("/proc/sys", NULL, false, &dirs, &n);
	for (size_t i = 0; i < n; i++)
		if (strncmp(dirs[i], itest_tmpdir, strlen(itest_tmpdir)) == 0) {
			char *m = xasprintf("%sthe journal of %s is left; ", msg, dirs[i]);
			free(msg);
			msg = m;
		}
	journal_pending_free(dirs, n);
	/* a tracefs instance of an mph that has ended ([record] stalls), in any tracefs
	 * mounted (mph's own mount below the state directory among them), that was not
	 * there before the tests (another session's is not these tests' to judge) */
	char *now = dead_instances();
	for (char *line = now, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = 0;
		char *was = xasprintf("\n%s\n", line);
		if (!strstr(instances_before, was)) {
			char *m = xasprintf("%sthe tracefs instance %s is left; ", msg, line);
			free(msg);
			msg = m;
		}
		free(was);
	}
	free(now);
	char *jp = xasprintf("%s/journal", itest_statedir);
	if (access(jp, F_OK) == 0) {
		char *m = xasprintf("%sthe journal %s is left; ", msg, jp);
		free(msg);
		msg = m;
	}
	free(jp);
	return msg;
}

void itest_check_clean(void)
{
	int lk = machine_lock();
	char *left = leftovers();
	if (lk >= 0)
		close(lk); /* before asserting: a failed test must not keep the lock */
	if (*left)
		fail_msg("the machine is not as it was: %s", left);
	free(left);
}

int itest_group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0)
		itest_skip_reason = "not root: mph run creates cgroups and changes sysctls";
	else if (cg_env_detect(&itest_env) < 0)
		itest_skip_reason = "no memory cgroup controller mounted";
	else if (access(itest_mph_bin(), X_OK) < 0)
		itest_skip_reason = "./mph not built";
	if (itest_skip_reason) {
		printf("SKIP: integration tests: %s\n", itest_skip_reason);
		return 0;
	}
	serial_fd = open("/run/lock/mph-itest.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (serial_fd >= 0)
		(void)flock(serial_fd, LOCK_EX); /* another checkout's tests: wait for them */
	strcpy(itest_tmpdir, "/tmp/mph-int-XXXXXX");
	if (!mkdtemp(itest_tmpdir))
		return -1;
	itest_results = xasprintf("%s/results", itest_tmpdir);
	itest_statedir = xasprintf("%s/state", itest_tmpdir);
	int lk = machine_lock();
	snapshot_sysctls();
	char *dead = dead_instances();
	free(instances_before);
	instances_before = xasprintf("\n%s", dead);
	free(dead);
	if (lk >= 0)
		close(lk);
	return 0;
}

int itest_group_teardown(void **state)
{
	(void)state;
	if (itest_skip_reason)
		return 0;
	/* whatever a failed test left: undo it through mph's own journal */
	struct proc_out p = itest_mph("restore", "--wait", "10m", NULL);
	itest_proc_free(&p);
	char *cmd = xasprintf("rm -rf '%s'", itest_tmpdir);
	int r = system(cmd);
	free(cmd);
	for (unsigned i = 0; i < sysctl_ndefs; i++)
		free(sysctl_before[i]);
	free(itest_results);
	free(itest_statedir);
	cg_env_free(&itest_env);
	if (serial_fd >= 0)
		close(serial_fd);
	return r == 0 ? 0 : -1;
}

int itest_each_setup(void **state)
{
	(void)state;
	if (itest_skip_reason)
		skip();
	return 0;
}

/* Wait (bounded) until path contains needle. */
bool itest_wait_for(const char *path, const char *needle, unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 20) {
		char *buf = NULL;
		if (read_file(path, &buf, NULL) == 0 && strstr(buf, needle)) {
			free(buf);
			return true;
		}
		free(buf);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

