/* runtime.c - what workloads share at run time: the report stream, stop signals,
 * bounded sleeping and /proc/self/status readings. */
#define _GNU_SOURCE
#include "workload.h"
#include "../harness/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t wl_stop;

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

long long wl_status_bytes(const char *key)
{
	return read_kb_key("/proc/self/status", key);
}
