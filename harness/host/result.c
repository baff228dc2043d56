/* result.c - see result.h. */
#define _GNU_SOURCE
#include "result.h"
#include "../core/util.h"

#include <errno.h>
#include <numa.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

int result_save(json_t *out, const char *path, const char *fallback, const char **written)
{
	*written = NULL;
	int r = json_save(path, out);
	if (r == 0) {
		*written = path;
		return 0;
	}
	/* the result must not be lost with the disk: the state directory is on another
	 * file system often enough (and root's), and the error names where it went */
	json_t *errors = json_object_get(out, "errors");
	char *dir = xstrdup(fallback), *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	int m = slash ? mkdir_p(dir) : 0;
	free(dir);
	if (json_is_array(errors))
		json_array_append_new(errors, json_sprintf("cannot write %s: %s; run.json written to %s instead", path,
							   strerror(-r), fallback));
	if (m == 0 && json_save(fallback, out) == 0) {
		*written = fallback;
	} else if (json_is_array(errors)) { /* only the summary shows it now */
		json_array_remove(errors, json_array_size(errors) - 1);
		json_array_append_new(errors, json_sprintf("cannot write %s: %s, nor %s", path, strerror(-r), fallback));
	}
	return r;
}

long long meminfo_bytes(const char *key)
{
	return read_kb_key("/proc/meminfo", key);
}

json_t *host_json(const struct cg_env *env)
{
	struct utsname u;
	json_t *h = json_object();
	if (uname(&u) == 0) {
		json_object_set_new(h, "kernel", json_string(u.release));
		json_object_set_new(h, "kernel_version", json_string(u.version));
		json_object_set_new(h, "machine", json_string(u.machine));
		json_object_set_new(h, "hostname", json_string(u.nodename));
	}
	json_object_set_new(h, "mem_total_bytes", json_integer(meminfo_bytes("MemTotal")));
	json_object_set_new(h, "swap_total_bytes", json_integer(meminfo_bytes("SwapTotal")));
	json_object_set_new(h, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(h, "numa_nodes", numa_available() < 0 ? json_integer(1) : json_integer(numa_max_node() + 1));
	json_object_set_new(h, "cgroup", json_string(cg_version_name(env->ver)));
	json_object_set_new(h, "cgroup_mount", json_string(env->mount ? env->mount : ""));
	json_object_set_new(h, "virtualized", json_boolean(cpu_has_flag("hypervisor")));
	return h;
}

bool cpu_has_flag(const char *flag)
{
	char *text = NULL;
	bool yes = false;
	if (read_file("/proc/cpuinfo", &text, NULL) < 0)
		return false;
	const char *p = strstr(text, "\nflags");
	const char *colon = p ? strchr(p, ':') : NULL, *nl = colon ? strchr(colon, '\n') : NULL;
	size_t fl = strlen(flag);
	for (const char *w = colon; w && nl && w < nl && !yes; w++)
		yes = w[-1] == ' ' && strncmp(w, flag, fl) == 0 && (w[fl] == ' ' || w[fl] == '\n');
	free(text);
	return yes;
}

json_t *numa_nodes_json(void)
{
	json_t *a = json_array();
	for (int n = 0; n < 64; n++) {
		char *p = xasprintf("/sys/devices/system/node/node%d/meminfo", n);
		char *text = NULL;
		int r = read_file(p, &text, NULL);
		free(p);
		if (r < 0)
			break;
		char *key = xasprintf("Node %d MemTotal:", n), *at = strstr(text, key);
		long long kb = -1;
		if (at)
			sscanf(at + strlen(key), " %lld", &kb);
		json_array_append_new(a, json_pack("{s:i, s:o}", "node", n, "mem_total_bytes",
						   kb >= 0 ? json_integer(kb * 1024) : json_null()));
		free(key);
		free(text);
	}
	return a;
}

json_t *machine_json(const struct cg_env *env, bool in_guest)
{
	struct utsname u;
	json_t *m = json_object();
	json_object_set_new(m, "target", json_string(in_guest ? "qemu" : "host"));
	json_object_set_new(m, "kernel", json_pack("{s:s}", "release", uname(&u) == 0 ? u.release : ""));
	json_object_set_new(m, "cgroup", json_string(cg_version_name(env->ver)));
	json_object_set_new(m, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(m, "memory_bytes", json_integer(meminfo_bytes("MemTotal")));
	json_object_set_new(m, "swap_bytes", json_integer(meminfo_bytes("SwapTotal")));
	json_object_set_new(m, "nodes", numa_nodes_json());
	return m;
}

json_t *kv_json(const char *text)
{
	if (!text)
		return json_null();
	json_t *o = json_object();
	for (const char *p = text; *p;) {
		char key[128];
		long long v;
		int n = 0;
		if (sscanf(p, "%127s %lld%n", key, &v, &n) == 2) {
			size_t kl = strlen(key);
			if (kl && key[kl - 1] == ':')
				key[kl - 1] = '\0';
			json_object_set_new(o, key, json_integer(v));
		}
		const char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	return o;
}

json_t *kv_delta_json(const json_t *before, const json_t *after)
{
	if (!json_is_object(before) || !json_is_object(after))
		return json_null();
	json_t *d = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)after, k, v) {
		json_t *b = json_object_get(before, k);
		if (b)
			json_object_set_new(d, k, json_integer(json_integer_value(v) - json_integer_value(b)));
	}
	return d;
}

json_t *oom_kill_json(const struct oom_kill *o, double t)
{
	json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:b}", "pid", o->pid, "comm", o->comm, "constraint",
			      o->constraint, "oom_memcg", o->oom_memcg, "task_memcg", o->task_memcg, "global", o->global);
	json_object_set_new(j, "t", o->ts_usec ? json_real(t) : json_null());
	json_object_set_new(j, "kernel_ts_usec", json_integer((json_int_t)o->ts_usec));
	/* false when the kernel rate-limited the line with constraint and cgroups */
	json_object_set_new(j, "header_logged", json_boolean(o->have_header));
	json_object_set_new(j, "total_vm_kb", json_integer(o->total_vm_kb));
	json_object_set_new(j, "anon_rss_kb", json_integer(o->anon_rss_kb));
	json_object_set_new(j, "file_rss_kb", json_integer(o->file_rss_kb));
	json_object_set_new(j, "shmem_rss_kb", json_integer(o->shmem_rss_kb));
	json_object_set_new(j, "pgtables_kb", json_integer(o->pgtables_kb));
	json_object_set_new(j, "oom_score_adj", json_integer(o->oom_score_adj));
	return j;
}
