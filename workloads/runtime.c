/* runtime.c - what workloads share at run time: the report stream, stop signals,
 * bounded sleeping, /proc/self/status readings, and the check of the options every
 * workload takes (NUMA placement) with the problem list all checks fill. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/core/units.h"
#include "../harness/core/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
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

void wl_problem(struct wl_problems *p, const char *const *opts, const char *fmt, ...)
{
	if (p->n == WL_PROBLEMS_MAX)
		return;
	struct wl_problem *q = &p->v[p->n++];
	size_t k = 0;
	for (; opts && opts[k] && k < WL_PROBLEM_OPTS; k++)
		q->opts[k] = opts[k];
	q->opts[k] = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(q->msg, sizeof(q->msg), fmt, ap);
	va_end(ap);
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

/* A node list on this machine: how many nodes it names, or -errno and err. */
static int nodes_here(const char *opt, const char *spec, char *err, size_t errlen)
{
	if (numa_available() < 0) {
		snprintf(err, errlen, "--%s: this kernel has no NUMA support", opt);
		return -EOPNOTSUPP;
	}
	struct bitmask *m = nodes_checked(opt, spec, err, errlen);
	if (!m)
		return -EINVAL;
	int n = (int)numa_bitmask_weight(m);
	numa_bitmask_free(m);
	return n;
}

/* A node list on a machine of nnodes nodes (a guest; at most 64): syntax and range
 * only. How many distinct nodes it names, or -EINVAL and err. */
static int nodes_on(const char *opt, const char *spec, int nnodes, char *err, size_t errlen)
{
	const char *p = spec;
	uint64_t seen = 0;
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
		if (a > b || b >= nnodes || b >= 64) {
			snprintf(err, errlen, "--%s=%s: the guest has nodes 0-%d", opt, spec, nnodes - 1);
			return -EINVAL;
		}
		for (long k = a; k <= b; k++)
			seen |= 1ULL << k;
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
	return __builtin_popcountll(seen);
}

int wl_check_common(const struct wl_common *com, int nnodes, struct wl_problems *p)
{
	static const char *const names[] = { "membind", "interleave", "preferred" };
	const char *const specs[] = { com->membind, com->interleave, com->preferred };
	const char *given[ARRAY_SIZE(names) + 1] = { NULL };
	size_t ng = 0, n0 = p->n;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (specs[i])
			given[ng++] = names[i];
	if (ng > 1)
		wl_problem(p, given, "--membind, --interleave and --preferred exclude each other");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char err[256];
		if (!specs[i])
			continue;
		int n = nnodes ? nodes_on(names[i], specs[i], nnodes, err, sizeof(err))
			       : nodes_here(names[i], specs[i], err, sizeof(err));
		if (n < 0)
			wl_problem(p, WL_OPTS(names[i]), "%s", err);
		else if (specs[i] == com->preferred && n != 1)
			wl_problem(p, WL_OPTS("preferred"), "--preferred takes one node, got %s", specs[i]);
	}
	return p->n > n0 ? -EINVAL : 0;
}

int wl_check(const struct workload *w, const void *cfg, const struct wl_common *com, int nnodes,
	     struct wl_problems *p)
{
	size_t n0 = p->n;
	(void)wl_check_common(com, nnodes, p);
	if (w->check)
		(void)w->check(cfg, p);
	return p->n > n0 ? -EINVAL : 0;
}

int wl_apply_numa(const char *membind, const char *interleave, const char *preferred, char *err, size_t errlen)
{
	struct wl_common com = { .membind = (char *)membind, .interleave = (char *)interleave, .preferred = (char *)preferred };
	struct wl_problems p = { 0 };
	if (wl_check_common(&com, 0, &p) < 0) {
		snprintf(err, errlen, "%s", p.v[0].msg);
		return -EINVAL;
	}
	const char *spec = membind ? membind : interleave ? interleave : preferred;
	if (!spec)
		return 0;
	struct bitmask *m = numa_parse_nodestring(spec); /* checked: it parses */
	if (!m) {
		snprintf(err, errlen, "cannot parse the node list %s", spec);
		return -EINVAL;
	}
	if (membind) {
		numa_set_membind(m);
	} else if (interleave) {
		numa_set_interleave_mask(m);
	} else {
		for (unsigned n = 0; n < m->size; n++)
			if (numa_bitmask_isbitset(m, n)) {
				numa_set_preferred((int)n);
				break;
			}
	}
	numa_bitmask_free(m);
	return 0;
}
