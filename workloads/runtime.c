/* runtime.c - what workloads share at run time: the report stream, stop signals,
 * bounded sleeping and /proc/self/status readings. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t wl_stop;

const struct opt wl_common_opts[] = {
	{ "report-fd", OPT_UINT, offsetof(struct wl_common, report_fd), "1", 0, 1023, NULL,
	  "file descriptor for the JSON-lines report (diagnostics always go to stderr; mph sets it)", false },
	{ "report-interval", OPT_DURATION, offsetof(struct wl_common, report_interval), "1s", 10, 3600000, NULL,
	  "period of progress records", false },
	{ "membind", OPT_STRING, offsetof(struct wl_common, membind), NULL, 0, 0, NULL,
	  "allocate only from these NUMA nodes (0, 0-1, 0,2)", false },
	{ "interleave", OPT_STRING, offsetof(struct wl_common, interleave), NULL, 0, 0, NULL,
	  "interleave allocations across these NUMA nodes", false },
	{ "preferred", OPT_STRING, offsetof(struct wl_common, preferred), NULL, 0, 0, NULL,
	  "prefer this NUMA node, fall back to others", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

void wl_report(struct wl_ctx *ctx, const char *type, json_t *obj)
{
	if (!obj)
		obj = json_object();
	json_object_set_new(obj, "type", json_string(type));
	json_object_set_new(obj, "workload", json_string(ctx->name));
	json_object_set_new(obj, "t", json_real(now_s() - ctx->t0));
	char *line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!line)
		return;
	size_t len = strlen(line);
	line[len] = '\n'; /* replace the NUL: one record, one write */
	size_t off = 0;
	while (off < len + 1) {
		ssize_t k = write(ctx->report_fd, line + off, len + 1 - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* a reader that went away must not kill the workload */
		off += (size_t)k;
	}
	free(line);
}

int wl_progress_due(struct wl_ctx *ctx)
{
	double t = now_s();
	if (t < ctx->next_progress)
		return 0;
	ctx->next_progress = t + (double)ctx->report_interval_ms / 1000.0;
	return 1;
}

void wl_sleep_until(double t)
{
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (!wl_stop) {
		int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (r != EINTR)
			break;
	}
}

void wl_hold(struct wl_ctx *ctx, uint64_t ms, json_t *(*progress)(void *arg), void *arg)
{
	bool forever = ms == DURATION_FOREVER;
	double end = forever ? 0 : now_s() + (double)ms / 1000.0;
	while (!wl_stop && (forever || now_s() < end)) {
		double next = now_s() + (double)ctx->report_interval_ms / 1000.0;
		wl_sleep_until(forever || next < end ? next : end);
		if (wl_progress_due(ctx))
			wl_report(ctx, "progress", progress(arg));
	}
}

long long wl_status_bytes(const char *key)
{
	return read_kb_key("/proc/self/status", key);
}

/* Parse a node list ("0", "0-1", "0,2") and check every node exists and is allowed
 * to this process: libnuma itself accepts nodes that do not exist (numa_alloc_onnode
 * on a missing node prints a warning and still returns memory). */
static struct bitmask *nodes_checked(const char *opt, const char *spec, char *err, size_t errlen)
{
	struct bitmask *m = numa_parse_nodestring(spec);
	if (!m) {
		snprintf(err, errlen, "--%s=%s: not a list of this machine's nodes (0-%d), such as 0, 0-1 or 0,2", opt,
			 spec, numa_max_node());
		return NULL;
	}
	struct bitmask *allowed = numa_get_mems_allowed();
	for (unsigned n = 0; n < m->size; n++) {
		if (!numa_bitmask_isbitset(m, n))
			continue;
		if ((int)n > numa_max_node() || !numa_bitmask_isbitset(allowed, n)) {
			snprintf(err, errlen, "--%s=%s: node %u does not exist or is not allowed here (nodes 0-%d)", opt, spec,
				 n, numa_max_node());
			numa_bitmask_free(m);
			m = NULL;
			break;
		}
	}
	numa_bitmask_free(allowed);
	return m;
}

int wl_check_nodes(const char *opt, const char *spec, char *err, size_t errlen)
{
	if (numa_available() < 0) {
		snprintf(err, errlen, "--%s: this kernel has no NUMA support", opt);
		return -EOPNOTSUPP;
	}
	struct bitmask *m = nodes_checked(opt, spec, err, errlen);
	if (!m)
		return -EINVAL;
	numa_bitmask_free(m);
	return 0;
}

int wl_check_nodes_n(const char *opt, const char *spec, int nnodes, char *err, size_t errlen)
{
	const char *p = spec;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p))
			break;
		long a = strtol(p, &end, 10), b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				break;
			b = strtol(end + 1, &end, 10);
		}
		if (a > b || b >= nnodes) {
			snprintf(err, errlen, "--%s=%s: the guest has nodes 0-%d", opt, spec, nnodes - 1);
			return -EINVAL;
		}
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			break;
	}
	if (*p || !*spec) {
		snprintf(err, errlen, "--%s=%s: not a list of nodes such as 0, 0-1 or 0,2", opt, spec);
		return -EINVAL;
	}
	return 0;
}

int wl_apply_numa(const char *membind, const char *interleave, const char *preferred, char *err, size_t errlen)
{
	int given = !!membind + !!interleave + !!preferred;
	if (!given)
		return 0;
	if (given > 1) {
		snprintf(err, errlen, "--membind, --interleave and --preferred exclude each other");
		return -EINVAL;
	}
	if (numa_available() < 0) {
		snprintf(err, errlen, "NUMA placement asked for, but this kernel has no NUMA support");
		return -EOPNOTSUPP;
	}
	const char *opt = membind ? "membind" : interleave ? "interleave" : "preferred";
	struct bitmask *m = nodes_checked(opt, membind ? membind : interleave ? interleave : preferred, err, errlen);
	if (!m)
		return -EINVAL;
	if (membind) {
		numa_set_membind(m);
	} else if (interleave) {
		numa_set_interleave_mask(m);
	} else {
		int node = -1;
		for (unsigned n = 0; n < m->size && node < 0; n++)
			if (numa_bitmask_isbitset(m, n))
				node = (int)n;
		if (numa_bitmask_weight(m) != 1) {
			snprintf(err, errlen, "--preferred takes one node, got %s", preferred);
			numa_bitmask_free(m);
			return -EINVAL;
		}
		numa_set_preferred(node);
	}
	numa_bitmask_free(m);
	return 0;
}
