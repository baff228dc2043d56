/* cgroup.h - every cgroup file access in mph goes through these verbs, which hide the
 * differences between the v1 memory controller and cgroup v2. Callers use cgroup v2
 * names ("memory.max", "memory.current", "memory.events"); the table in cgroup.c maps
 * them to v1 files where v1 has an equivalent and says why not where it has none. */
#ifndef MPH_CGROUP_H
#define MPH_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

enum cg_version { CG_NONE = 0, CG_V1 = 1, CG_V2 = 2 };

struct cg_env {
	enum cg_version ver;
	char *mount;  /* the memory hierarchy's mount point, "/sys/fs/cgroup/memory" */
	char *own;    /* this process's cgroup relative to it, "/process_api/<hash>" */
	char *mount_root; /* the mounted sub-tree ("" for the whole hierarchy) */
	bool memsw;   /* v1: memory.memsw.* present (swap accounting on) */
};

struct cgroup;   /* libcgroup's */
struct cg {
	enum cg_version ver;
	char *rel;    /* relative to the mount: "/process_api/<hash>/mph-123" */
	char *dir;    /* absolute directory */
	struct cgroup *lc;
};

/* How a settable knob takes its value. */
enum cg_value { CGV_BYTES_OR_MAX, CGV_INT, CGV_BOOL };

struct cg_knob {
	const char *name;      /* v2-style name used in scenarios and by callers */
	const char *v2;        /* file on v2, NULL when v2 has none */
	const char *v1;        /* file on v1, NULL when v1 has none */
	bool settable;         /* a scenario may set it in [cgroup] */
	enum cg_value kind;
	long long min, max;    /* for CGV_INT */
	const char *why_not_v1;
	const char *why_not_v2;
};

extern const struct cg_knob cg_knobs[];
const struct cg_knob *cg_knob_find(const char *name);
const char *cg_knob_suggest(const char *name);
/* File for name on version ver, or NULL with *why set. */
const char *cg_file(enum cg_version ver, const char *name, const char **why);
const char *cg_version_name(enum cg_version v);

/* Find the memory hierarchy and this process's place in it. -ENOENT: no memory controller. */
int cg_env_detect(struct cg_env *env);
void cg_env_free(struct cg_env *env);
/* pid's cgroup of the memory controller as /proc/<pid>/cgroup shows it (v1: the line
 * naming memory; v2: "0::"), malloc'd ("/" for the root); pid 0: this process.
 * -ENOENT when no line is the controller's, or -errno (a process gone). */
int cg_path_of(int pid, enum cg_version ver, char **out);

/* cgroup v2: our cgroup lists memory in cgroup.subtree_control (children get it). */
bool cg_v2_delegates_memory(const struct cg_env *env);
/* Create a child of our own cgroup; *out owns it. -errno (or -EIO for libcgroup errors). */
int cg_create(const struct cg_env *env, const char *name, struct cg **out);
/* A cgroup mph did not create (`mph record --cgroup`): dir is its absolute directory
 * under env's mount. Release it with cg_close (never cg_destroy). -ENOENT, -EINVAL
 * when dir is not below the mount. */
int cg_open_dir(const struct cg_env *env, const char *dir, struct cg **out);
/* Free what cg_open_dir returned; the cgroup stays. Accepts NULL. */
void cg_close(struct cg *cg);
/* Move the calling process (single-threaded, e.g. a child before exec) into cg. */
int cg_enter(struct cg *cg);
int cg_write(const struct cg *cg, const char *name, const char *value);
int cg_read(const struct cg *cg, const char *name, char **out);
int cg_read_ll(const struct cg *cg, const char *name, long long *out);
/* "key value" inside a multi-line file (memory.stat, memory.events). */
int cg_read_key_ll(const struct cg *cg, const char *name, const char *key, long long *out);
/* Absolute path of the file for name (to open once and pread); NULL if none. */
char *cg_path(const struct cg *cg, const char *name);
/* SIGKILL every process in the cgroup directory dir and wait (bounded by timeout_ms)
 * until it is empty. 0, -ETIMEDOUT or -errno. */
int cg_kill_all_dir(const char *dir, unsigned timeout_ms);
/* Kill what is left, remove the cgroup (and any children), free cg. Accepts NULL. */
int cg_destroy(struct cg *cg, unsigned timeout_ms);
/* Same, by directory, without libcgroup: the crash-recovery path. -ENOENT if gone. */
int cg_remove_dir(const char *dir, unsigned timeout_ms);

#endif
