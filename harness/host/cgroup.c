/* cgroup.c - see cgroup.h.
 *
 * libcgroup (2.0.2 on Debian 12) does the v1 lifecycle: create, attach, delete. Its
 * defects shape the code: cgroup_strerror() is broken (we never call it and report
 * the numeric code), cgroup_init() caches /proc/mounts (called once, lazily),
 * cgroup_get_current_controller_path() cannot parse cgroup v2's "0::/path" line and
 * the library has no v1<->v2 name mapping. So on cgroup v2 mph uses mkdir/rmdir and
 * cgroup.procs directly, and reads /proc/self/cgroup itself on both. The crash-
 * recovery path (cg_remove_dir) uses only rmdir so that it depends on nothing cached. */
#define _GNU_SOURCE
#include "cgroup.h"
#include "../core/util.h"

#include <dirent.h>
#include <errno.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const struct cg_knob cg_knobs[] = {
	{ "memory.max", "memory.max", "memory.limit_in_bytes", true, CGV_BYTES_OR_MAX, 0, 0, NULL, NULL },
	{ "memory.high", "memory.high", NULL, true, CGV_BYTES_OR_MAX, 0, 0,
	  "cgroup v1 has no memory.high (no throttling threshold below the limit)", NULL },
	{ "memory.low", "memory.low", NULL, true, CGV_BYTES_OR_MAX, 0, 0,
	  "cgroup v1 has no memory.low (soft_limit_in_bytes works differently)", NULL },
	{ "memory.min", "memory.min", NULL, true, CGV_BYTES_OR_MAX, 0, 0,
	  "cgroup v1 has no memory.min (no hard protection from reclaim)", NULL },
	/* On v1 the file limits memory+swap: mph writes memory.max + the swap allowance. */
	{ "memory.swap.max", "memory.swap.max", "memory.memsw.limit_in_bytes", true, CGV_BYTES_OR_MAX, 0, 0,
	  NULL, NULL },
	{ "memory.swappiness", NULL, "memory.swappiness", true, CGV_INT, 0, 200, NULL,
	  "cgroup v2 has no per-cgroup swappiness (the global vm.swappiness applies; set it in [sysctl])" },
	{ "memory.oom.group", "memory.oom.group", NULL, true, CGV_BOOL, 0, 1,
	  "cgroup v1 has no memory.oom.group (the OOM killer always picks single processes)", NULL },
	{ "memory.current", "memory.current", "memory.usage_in_bytes", false, 0, 0, 0, NULL, NULL },
	{ "memory.peak", "memory.peak", "memory.max_usage_in_bytes", false, 0, 0, 0, NULL, NULL },
	{ "memory.swap.current", "memory.swap.current", NULL, false, 0, 0, 0,
	  "cgroup v1 counts memory and swap together (memory.memsw.current)", NULL },
	/* v1 only: memory+swap in use; minus memory.current it is the swap in use */
	{ "memory.memsw.current", NULL, "memory.memsw.usage_in_bytes", false, 0, 0, 0, NULL,
	  "cgroup v2 counts swap apart (memory.swap.current)" },
	/* Both carry an "oom_kill N" line, which is what mph reads from them. */
	{ "memory.events", "memory.events", "memory.oom_control", false, 0, 0, 0, NULL, NULL },
	{ "memory.stat", "memory.stat", "memory.stat", false, 0, 0, 0, NULL, NULL },
	{ "memory.failcnt", NULL, "memory.failcnt", false, 0, 0, 0, NULL, "cgroup v2 has no failcnt" },
	{ "memory.pressure", "memory.pressure", NULL, false, 0, 0, 0, "cgroup v1 has no per-cgroup PSI", NULL },
	{ "cgroup.procs", "cgroup.procs", "cgroup.procs", false, 0, 0, 0, NULL, NULL },
	/* Swap: v2 counts it apart from memory, v1 only together with it (memsw). */
	{ "memory.swap.current", "memory.swap.current", NULL, false, 0, 0, 0,
	  "cgroup v1 counts swap only with memory (memory.memsw.usage_in_bytes)", NULL },
	{ "memory.swap.peak", "memory.swap.peak", NULL, false, 0, 0, 0,
	  "cgroup v1 has no swap high-water mark of its own", NULL },
	{ "memory.memsw.usage", NULL, "memory.memsw.usage_in_bytes", false, 0, 0, 0, NULL,
	  "cgroup v2 counts swap apart (memory.swap.current)" },
	{ NULL, NULL, NULL, false, 0, 0, 0, NULL, NULL },
};

const struct cg_knob *cg_knob_find(const char *name)
{
	for (const struct cg_knob *k = cg_knobs; k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

const char *cg_knob_suggest(const char *name)
{
	const char *names[32];
	size_t n = 0;
	for (const struct cg_knob *k = cg_knobs; k->name && n < ARRAY_SIZE(names); k++)
		if (k->settable)
			names[n++] = k->name;
	return nearest_name(name, names, n);
}

const char *cg_file(enum cg_version ver, const char *name, const char **why)
{
	const struct cg_knob *k = cg_knob_find(name);
	if (!k) {
		if (why)
			*why = "not a file mph knows";
		return NULL;
	}
	const char *f = ver == CG_V1 ? k->v1 : k->v2;
	if (!f && why)
		*why = ver == CG_V1 ? k->why_not_v1 : k->why_not_v2;
	return f;
}

const char *cg_version_name(enum cg_version v)
{
	return v == CG_V1 ? "v1" : v == CG_V2 ? "v2" : "none";
}

/* True when word is one of the items of list separated by any of seps. */
static bool has_word(const char *list, const char *seps, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p; ) {
		size_t n = strcspn(p, seps);
		if (n == wl && strncmp(p, word, wl) == 0)
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* The memory hierarchy's mount point from /proc/self/mountinfo: a cgroup (v1) mount
 * whose super options include "memory", else a cgroup2 mount whose root lists memory
 * in cgroup.controllers. */
static int find_mount(struct cg_env *env)
{
	char *mi = NULL;
	int r = read_file("/proc/self/mountinfo", &mi, NULL);
	if (r < 0)
		return r;
	char *v2mount = NULL;
	r = -ENOENT;
	for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		char root[512], mnt[512], fstype[64], sopts[512];
		if (!sep || sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, sopts) != 2)
			continue;
		if (strcmp(fstype, "cgroup") == 0 && has_word(sopts, ",", "memory")) {
			env->ver = CG_V1;
			env->mount = xstrdup(mnt);
			env->mount_root = xstrdup(strcmp(root, "/") == 0 ? "" : root);
			r = 0;
			break;
		}
		if (strcmp(fstype, "cgroup2") == 0 && !v2mount) {
			char *ctl = xasprintf("%s/cgroup.controllers", mnt), *buf = NULL;
			if (read_file(ctl, &buf, NULL) == 0 && has_word(buf, " \n", "memory")) {
				v2mount = xstrdup(mnt);
				env->mount_root = xstrdup(strcmp(root, "/") == 0 ? "" : root);
			}
			free(buf);
			free(ctl);
		}
	}
	if (r < 0 && v2mount) {
		env->ver = CG_V2;
		env->mount = v2mount;
		v2mount = NULL;
		r = 0;
	}
	free(v2mount);
	free(mi);
	return r;
}

int cg_path_of(int pid, enum cg_version ver, char **out)
{
	char p[48], *buf = NULL;
	if (pid > 0)
		snprintf(p, sizeof(p), "/proc/%d/cgroup", pid);
	else
		snprintf(p, sizeof(p), "/proc/self/cgroup");
	int r = read_file(p, &buf, NULL);
	if (r < 0)
		return r;
	r = -ENOENT;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		if (ver == CG_V2 ? *ctrls == '\0' : has_word(ctrls, ",", "memory")) {
			*out = xstrdup(path);
			r = 0;
			break;
		}
	}
	free(buf);
	return r;
}

/* Our cgroup from /proc/self/cgroup: "N:memory:/path" on v1, "0::/path" on v2. */
static int find_own(struct cg_env *env)
{
	char *path = NULL;
	int r = cg_path_of(0, env->ver, &path);
	if (r < 0)
		return r;
	env->own = xstrdup(strcmp(path, "/") == 0 ? "" : path);
	free(path);
	return 0;
}

int cg_env_detect(struct cg_env *env)
{
	memset(env, 0, sizeof(*env));
	int r = find_mount(env);
	if (r == 0)
		r = find_own(env);
	/* A mount of a sub-tree (a container without a cgroup namespace mounts
	 * /docker/<id> as its root) shows /proc/self/cgroup's path below that root:
	 * strip it, and insist the directory is really there before anything is made. */
	size_t rl = r == 0 && env->mount_root ? strlen(env->mount_root) : 0;
	if (r == 0 && rl && strncmp(env->own, env->mount_root, rl) == 0 && (env->own[rl] == '/' || !env->own[rl]))
		memmove(env->own, env->own + rl, strlen(env->own + rl) + 1);
	if (r == 0) {
		char *d = xasprintf("%s%s", env->mount, env->own);
		if (access(d, F_OK) < 0)
			r = -ENOENT;
		free(d);
	}
	if (r < 0) {
		cg_env_free(env);
		return r;
	}
	if (env->ver == CG_V1) {
		char *p = xasprintf("%s%s/memory.memsw.limit_in_bytes", env->mount, env->own);
		env->memsw = access(p, F_OK) == 0;
		free(p);
	}
	return 0;
}

void cg_env_free(struct cg_env *env)
{
	free(env->mount_root);
	free(env->mount);
	free(env->own);
	memset(env, 0, sizeof(*env));
}

bool cg_v2_delegates_memory(const struct cg_env *env)
{
	char *ctl = xasprintf("%s%s/cgroup.subtree_control", env->mount, env->own), *cur = NULL;
	bool ok = read_file(ctl, &cur, NULL) == 0 && has_word(cur, " \n", "memory");
	free(cur);
	free(ctl);
	return ok;
}

static int lc_ready(void)
{
	static int state = 1; /* 1: not tried, 0: ok, <0: failed */
	if (state == 1)
		state = cgroup_init() == 0 ? 0 : -EIO;
	return state;
}

static void cg_free(struct cg *cg)
{
	if (!cg)
		return;
	if (cg->lc)
		cgroup_free(&cg->lc);
	free(cg->rel);
	free(cg->dir);
	free(cg);
}

int cg_create(const struct cg_env *env, const char *name, struct cg **out)
{
	MPH_FAILPOINT("cgroup.journaled"); /* the caller journals the directory before this */
	struct cg *cg = xcalloc(1, sizeof(*cg));
	int r = 0;
	cg->ver = env->ver;
	cg->rel = xasprintf("%s/%s", env->own, name);
	cg->dir = xasprintf("%s%s", env->mount, cg->rel);
	if (env->ver == CG_V1) {
		struct cgroup_controller *mem;
		if ((r = lc_ready()) < 0)
			goto fail;
		cg->lc = cgroup_new_cgroup(cg->rel);
		mem = cg->lc ? cgroup_add_controller(cg->lc, "memory") : NULL;
		if (!mem) {
			r = -ENOMEM;
			goto fail;
		}
		if (access(cg->dir, F_OK) == 0) {
			r = -EEXIST;
			goto fail;
		}
		int e = cgroup_create_cgroup(cg->lc, 0);
		if (e) {
			/* ECGOTHER carries errno; anything else is a libcgroup code */
			r = e == ECGOTHER ? -cgroup_get_last_errno() : -EIO;
			goto fail;
		}
	} else {
		/* v2: our cgroup must already delegate the memory controller to its
		 * children. mph does not enable it itself: with mph's own process in that
		 * cgroup the kernel refuses (no internal processes), and it would be a
		 * change outside the journal. */
		if (!cg_v2_delegates_memory(env)) {
			r = -EPERM;
			goto fail;
		}
		if (mkdir(cg->dir, 0755) < 0) {
			r = -errno;
			goto fail;
		}
	}
	MPH_FAILPOINT("cgroup.created");
	*out = cg;
	return 0;
fail:
	cg_free(cg);
	return r;
}

int cg_open_dir(const struct cg_env *env, const char *dir, struct cg **out)
{
	size_t ml = strlen(env->mount);
	struct stat st;
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (strncmp(dir, env->mount, ml) != 0 || (dir[ml] != '/' && dir[ml] != '\0'))
		return -EINVAL;
	struct cg *cg = xcalloc(1, sizeof(*cg));
	cg->ver = env->ver;
	cg->dir = xstrdup(dir);
	cg->rel = xstrdup(dir[ml] ? dir + ml : "/");
	size_t rl = strlen(cg->rel);
	while (rl > 1 && cg->rel[rl - 1] == '/')
		cg->rel[--rl] = '\0';
	if (env->ver == CG_V1 && lc_ready() == 0) {
		/* libcgroup's handle for attaching (cg_enter); the cgroup exists already */
		cg->lc = cgroup_new_cgroup(cg->rel);
		if (cg->lc && !cgroup_add_controller(cg->lc, "memory"))
			cgroup_free(&cg->lc);
	}
	*out = cg;
	return 0;
}

void cg_close(struct cg *cg)
{
	cg_free(cg);
}

char *cg_path(const struct cg *cg, const char *name)
{
	const char *f = cg_file(cg->ver, name, NULL);
	if (!f) {
		/* a file not in the table (cgroup.kill, memory.numa_stat): same name on both */
		if (cg_knob_find(name))
			return NULL;
		f = name;
	}
	return xasprintf("%s/%s", cg->dir, f);
}

int cg_enter(struct cg *cg)
{
	if (cg->ver == CG_V1 && cg->lc) {
		if (lc_ready() < 0)
			return -EIO;
		int e = cgroup_attach_task(cg->lc);
		return e == 0 ? 0 : e == ECGOTHER ? -cgroup_get_last_errno() : -EIO;
	}
	char *p = cg_path(cg, "cgroup.procs"), num[32];
	snprintf(num, sizeof(num), "%d", (int)getpid());
	int r = write_file(p, num);
	free(p);
	return r;
}

int cg_write(const struct cg *cg, const char *name, const char *value)
{
	char *p = cg_path(cg, name);
	if (!p)
		return -EOPNOTSUPP;
	int r = write_file(p, value);
	free(p);
	return r;
}

int cg_read(const struct cg *cg, const char *name, char **out)
{
	char *p = cg_path(cg, name);
	if (!p)
		return -EOPNOTSUPP;
	int r = read_file(p, out, NULL);
	free(p);
	return r;
}

int cg_read_ll(const struct cg *cg, const char *name, long long *out)
{
	char *p = cg_path(cg, name);
	if (!p)
		return -EOPNOTSUPP;
	int r;
	char *buf = NULL;
	if ((r = read_file(p, &buf, NULL)) == 0) {
		if (strncmp(buf, "max", 3) == 0) {
			*out = INT64_MAX;
		} else {
			char *end;
			errno = 0;
			long long v = strtoll(buf, &end, 10);
			if (errno || end == buf)
				r = -EINVAL;
			else
				*out = v;
		}
	}
	free(buf);
	free(p);
	return r;
}

int cg_read_key_ll(const struct cg *cg, const char *name, const char *key, long long *out)
{
	char *buf = NULL;
	int r = cg_read(cg, name, &buf);
	if (r == 0)
		r = kv_find_ll(buf, key, out);
	free(buf);
	return r;
}

static int procs_count(const char *dir, bool kill_them)
{
	char *p = xasprintf("%s/cgroup.procs", dir), *buf = NULL;
	int r = read_file(p, &buf, NULL), n = 0;
	free(p);
	if (r < 0)
		return r;
	for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n")) {
		int pid = atoi(s);
		if (pid <= 0)
			continue;
		n++;
		if (kill_them)
			(void)kill(pid, SIGKILL);
	}
	free(buf);
	return n;
}

int cg_kill_all_dir(const char *dir, unsigned timeout_ms)
{
	/* v2 (5.14+) kills the whole subtree atomically through cgroup.kill */
	char *kf = xasprintf("%s/cgroup.kill", dir);
	bool have_kill = write_file(kf, "1") == 0;
	free(kf);
	uint64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		int n = procs_count(dir, !have_kill);
		if (n <= 0)
			return n;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

/* Depth-first: children first, each emptied of processes then removed. */
int cg_remove_dir(const char *dir, unsigned timeout_ms)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	int r = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s/%s", dir, e->d_name);
		int k = cg_remove_dir(sub, timeout_ms);
		if (k < 0 && k != -ENOENT && r == 0)
			r = k;
		free(sub);
	}
	closedir(d);
	int k = cg_kill_all_dir(dir, timeout_ms);
	if (k < 0 && k != -ENOENT && r == 0)
		r = k;
	/* rmdir can briefly fail with EBUSY while the last task is being released */
	uint64_t deadline = now_ms() + timeout_ms;
	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			break;
		if (errno != EBUSY || now_ms() >= deadline)
			return r ? r : -errno;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return r;
}

int cg_destroy(struct cg *cg, unsigned timeout_ms)
{
	if (!cg)
		return 0;
	int r = cg_kill_all_dir(cg->dir, timeout_ms);
	if (r == -ENOENT)
		r = 0;
	if (r == 0 && cg->ver == CG_V1 && cg->lc) {
		int e = cgroup_delete_cgroup_ext(cg->lc, CGFLAG_DELETE_EMPTY_ONLY | CGFLAG_DELETE_RECURSIVE);
		if (e && access(cg->dir, F_OK) == 0)
			r = cg_remove_dir(cg->dir, timeout_ms); /* fall back to plain rmdir */
	} else {
		int k = cg_remove_dir(cg->dir, timeout_ms);
		if (r == 0 && k != -ENOENT)
			r = k;
	}
	cg_free(cg);
	return r;
}
