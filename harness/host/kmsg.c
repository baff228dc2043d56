/* kmsg.c - see kmsg.h. Parsing is strict about keys but never trusts the kernel's
 * text to be complete: a field that is missing simply stays unset. */
#define _GNU_SOURCE
#include "kmsg.h"
#include "../core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kmsg_open(struct kmsg_log *k)
{
	memset(k, 0, sizeof(*k));
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0) {
		k->open_errno = errno;
		return -errno;
	}
	if (lseek(k->fd, 0, SEEK_END) < 0) {
		k->open_errno = errno;
		close(k->fd);
		k->fd = -1;
		return -k->open_errno;
	}
	return 0;
}

void kmsg_close(struct kmsg_log *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->kills);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

void kmsg_drain(struct kmsg_log *k)
{
	char buf[8192];
	if (k->fd < 0)
		return;
	for (;;) {
		ssize_t n = read(k->fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			if (errno == EINTR || errno == EPIPE)
				continue; /* EPIPE: records were overwritten; go on with the next */
			break;            /* EAGAIN: nothing more now */
		}
		if (n == 0)
			break;
		buf[n] = '\0';
		(void)kmsg_parse_record(k, buf, (size_t)n);
	}
}

static struct oom_kill *slot(struct kmsg_log *k, int pid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->kills[i].pid == pid)
			return &k->kills[i];
	k->kills = xrealloc(k->kills, (k->n + 1) * sizeof(*k->kills));
	struct oom_kill *o = &k->kills[k->n++];
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	return o;
}

/* Copy the value of "key=" (up to ',' or end) from a comma-separated list. */
static bool field(const char *s, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);
	for (const char *p = s; p && *p; ) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			const char *v = p + kl + 1;
			size_t n = strcspn(v, ",\n");
			if (n >= len)
				n = len - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static long long kb_after(const char *s, const char *key)
{
	const char *p = strstr(s, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

int kmsg_parse_record(struct kmsg_log *k, const char *rec, size_t len)
{
	char *r = strndup(rec, len);
	char *msg = strchr(r, ';');
	int ret = 0;
	unsigned long long ts = 0;
	if (!msg)
		goto out;
	*msg++ = '\0';
	(void)sscanf(r, "%*u,%*u,%llu", &ts);
	char *nl = strchr(msg, '\n');
	if (nl)
		*nl = '\0';
	if (k->marker && !k->marker_ts && strstr(msg, k->marker)) {
		k->marker_ts = ts ? ts : 1;
		goto out;
	}

	if (strncmp(msg, "oom-kill:", 9) == 0) {
		char pidbuf[32];
		const char *f = msg + 9;
		if (!field(f, "pid", pidbuf, sizeof(pidbuf)))
			goto out;
		struct oom_kill *o = slot(k, atoi(pidbuf));
		field(f, "constraint", o->constraint, sizeof(o->constraint));
		field(f, "oom_memcg", o->oom_memcg, sizeof(o->oom_memcg));
		field(f, "task_memcg", o->task_memcg, sizeof(o->task_memcg));
		field(f, "task", o->comm, sizeof(o->comm));
		o->have_header = true;
		if (!o->ts_usec)
			o->ts_usec = ts;
		ret = 1;
	} else {
		const char *kp = strstr(msg, "Killed process ");
		bool memcg = strncmp(msg, "Memory cgroup out of memory:", 28) == 0;
		/* "Out of memory:" and "Out of memory (oom_kill_allocating_task):" */
		bool global = strncmp(msg, "Out of memory", 13) == 0 && (msg[13] == ':' || msg[13] == ' ');
		if (!kp || !(memcg || global))
			goto out;
		int pid = atoi(kp + 15);
		if (pid <= 0)
			goto out;
		struct oom_kill *o = slot(k, pid);
		const char *lp = strchr(kp, '('), *rp = lp ? strchr(lp, ')') : NULL;
		if (lp && rp && !o->comm[0]) {
			size_t n = (size_t)(rp - lp - 1);
			if (n >= sizeof(o->comm))
				n = sizeof(o->comm) - 1;
			memcpy(o->comm, lp + 1, n);
			o->comm[n] = '\0';
		}
		o->global = global;
		/* the kernel says "Memory cgroup out of memory" exactly when constrained_alloc
		 * found CONSTRAINT_MEMCG; the "oom-kill:" header that names it is ratelimited
		 * (ten in five seconds) and is missing after a burst of kills, this line never */
		if (memcg && !o->constraint[0])
			snprintf(o->constraint, sizeof(o->constraint), "CONSTRAINT_MEMCG");
		o->total_vm_kb = kb_after(kp, "total-vm:");
		o->anon_rss_kb = kb_after(kp, "anon-rss:");
		o->file_rss_kb = kb_after(kp, "file-rss:");
		o->shmem_rss_kb = kb_after(kp, "shmem-rss:");
		o->pgtables_kb = kb_after(kp, "pgtables:");
		long long adj = kb_after(kp, "oom_score_adj:");
		o->oom_score_adj = adj == -1 && !strstr(kp, "oom_score_adj:-1") ? 0 : (int)adj;
		o->have_killed = true;
		o->ts_usec = ts;
		ret = 1;
	}
out:
	free(r);
	return ret;
}

const struct oom_kill *kmsg_find(const struct kmsg_log *k, int pid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->kills[i].pid == pid)
			return &k->kills[i];
	return NULL;
}
