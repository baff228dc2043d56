/* scenario.c - see scenario.h.
 *
 * The file is read once, whole, into memory (read_bounded(): a regular file or a
 * pipe, at most SCEN_MAX_BYTES), and fed to libinih line by line through a reader
 * over that buffer: Debian's libinih is built without line numbers for the handler,
 * so when the handler runs, the reader's count is the line of the key. The reader
 * refuses what inih would drop or misread silently (NUL bytes, bare CRs, overlong
 * lines, text after a header's ']') and bounds lines and workloads. Parsing happens
 * in two phases: first every key is collected raw (section, key, value, line); then
 * each section is validated, so order inside the file does not matter (a workload's
 * "50%" can be resolved against a memory.max written further down). Multi-line
 * values (indented continuation lines) are switched off: in a scenario an indented
 * line is far more likely a mistake than a continuation. */
#define _GNU_SOURCE
#include "scenario.h"
#include "sweep.h"
#include "../core/opt.h"
#include "../core/units.h"
#include "../core/util.h"
#include "../host/recorder.h"
#include "../../workloads/workload.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <signal.h>
#include <strings.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

void diags_add(struct diags *d, int line, const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
	d->v[d->n++] = (struct diag){ line, section ? xstrdup(section) : NULL, key ? xstrdup(key) : NULL, msg };
}

char *diag_format(const struct diags *d, size_t i)
{
	const struct diag *g = &d->v[i];
	char *where = g->section ? (g->key ? xasprintf("[%s] %s: ", g->section, g->key) : xasprintf("[%s]: ", g->section))
		      : g->key	 ? xasprintf("%s: ", g->key)
				 : xstrdup("");
	char *s = g->line > 0	 ? xasprintf("%s:%d: %s%s", d->file, g->line, where, g->msg)
		  : g->line == SET_CMDLINE ? xasprintf("%s: --set: %s%s", d->file, where, g->msg)
					   : xasprintf("%s: %s%s", d->file, where, g->msg);
	free(where);
	return s;
}

void diags_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].section);
		free(d->v[i].key);
		free(d->v[i].msg);
	}
	free(d->v);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

void diags_print(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char *s = diag_format(d, i);
		fprintf(stderr, "%s\n", s);
		free(s);
	}
}

static int diag_cmp(const void *a, const void *b)
{
	return ((const struct diag *)a)->line - ((const struct diag *)b)->line;
}

/* A key of every workload that mph itself applies (in the child, before exec),
 * rather than passing it to the workload. */
#define OOM_ADJ_KEY "oom_score_adj"
#define SCEN_MAX_ACTIONS 64

/* ---- phase 1: collect ---------------------------------------------------- */

struct collect {
	const char *buf;  /* the whole file, read once (read_bounded) */
	size_t len, pos;
	int line;
	struct scen_text *tx;
	struct diags *d;
	size_t nwl;       /* [workload ...] headers seen */
	bool drop;        /* in a workload section beyond SCEN_MAX_WORKLOADS: keys are not kept */
};

/* A section header's name as mph uses it: blanks around it trimmed, and one space
 * between "workload" (or "action") and the name, so that [workload  w] and
 * [ workload w ] are the same section as [workload w] (and duplicates are caught
 * as such, see check_names()). malloc'd. */
static char *header_name(const char *t, size_t len)
{
	while (len && (*t == ' ' || *t == '\t'))
		t++, len--;
	while (len && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	static const char *const named[] = { "workload", "action" };
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		size_t k = strlen(named[i]);
		if (len > k && strncmp(t, named[i], k) == 0 && (t[k] == ' ' || t[k] == '\t')) {
			size_t p = k;
			while (p < len && (t[p] == ' ' || t[p] == '\t'))
				p++;
			return xasprintf("%s %.*s", named[i], (int)(len - p), t + p);
		}
	}
	return strndup(t, len);
}

/* What inih will make of a line, decided here because inih reports only the first
 * syntax error and gives it no explanation. Mirrors inih's rules: blank lines and
 * lines starting with ';' or '#' are comments; '[' starts a section header that needs
 * a ']'; any other line needs '=' or ':' before an inline comment (';' after a space).
 * Stricter than inih where it would drop text silently: after a header's ']' only a
 * comment may follow (inih ignores "[sysctl] vm.swappiness = 61"'s key).
 * Section headers are recorded with their line, so that sections without keys are
 * still validated, and so that handler() files each key under the header's whole
 * name (inih cuts section names at 50 bytes). */
static void classify_line(struct collect *c, const char *str)
{
	const char *t = str;
	if (c->line == 1 && strncmp(t, "\xEF\xBB\xBF", 3) == 0)
		t += 3; /* UTF-8 byte-order mark, which inih skips too */
	bool indented = *t == ' ' || *t == '\t';
	while (*t == ' ' || *t == '\t')
		t++;
	if (!*t || strchr(";#\r\n", *t))
		return;
	if (*t == '[') {
		const char *e = strchr(t, ']');
		if (!e) {
			diags_add(c->d, c->line, NULL, NULL, "syntax error: a section header needs a closing ']'");
			return;
		}
		const char *after = e + 1;
		while (*after == ' ' || *after == '\t')
			after++;
		if (*after && !strchr(";#\r\n", *after))
			diags_add(c->d, c->line, NULL, NULL,
				  "syntax error: text after the section header's ']' (put each key = value on a line of its own)");
		char *name = header_name(t + 1, (size_t)(e - t - 1));
		bool wl = strncmp(name, "workload", 8) == 0 && (!name[8] || name[8] == ' ');
		c->drop = wl && ++c->nwl > SCEN_MAX_WORKLOADS;
		if (c->drop) {
			if (c->nwl == SCEN_MAX_WORKLOADS + 1)
				diags_add(c->d, c->line, name, NULL, "more than %d workloads: a scenario may have at most %d",
					  SCEN_MAX_WORKLOADS, SCEN_MAX_WORKLOADS);
			free(name);
			return;
		}
		struct scen_text *tx = c->tx;
		tx->hdr = xrealloc(tx->hdr, (tx->nhdr + 1) * sizeof(*tx->hdr));
		tx->hdr[tx->nhdr++] = (struct scen_header){ name, c->line };
		return;
	}
	for (const char *p = t; *p && *p != '\n'; p++) {
		if (*p == '=' || *p == ':')
			return;
		if (*p == ';' && (p[-1] == ' ' || p[-1] == '\t'))
			break;
	}
	diags_add(c->d, c->line, NULL, NULL, "%s",
		  indented ? "syntax error: an indented line is not a continuation (multi-line values are not supported); "
			     "expected key = value"
			   : "syntax error: expected [section], key = value, or a comment (; or #)");
}

/* inih's reader over the file in memory: one line per call, so the count is the
 * line of the key when the handler runs. A line inih must not see (a NUL byte, a
 * bare CR, too long) is reported here and handed over as a comment, keeping the
 * count exact. */
static char *reader(char *str, int num, void *stream)
{
	struct collect *c = stream;
	if (c->pos >= c->len)
		return NULL;
	if (c->line == SCEN_MAX_LINES) {
		diags_add(c->d, c->line + 1, NULL, NULL, "more than %d lines: not read further", SCEN_MAX_LINES);
		c->pos = c->len;
		return NULL;
	}
	const char *p = c->buf + c->pos, *nl = memchr(p, '\n', c->len - c->pos);
	size_t len = nl ? (size_t)(nl - p) + 1 : c->len - c->pos; /* with its '\n' */
	size_t text = nl ? len - 1 : len;
	const char *cr = memchr(p, '\r', text);
	c->pos += len;
	c->line++;
	const char *why = NULL;
	if (memchr(p, '\0', len))
		why = "a NUL byte: a scenario file is text";
	else if (cr && cr != p + text - 1)
		why = "a carriage return inside the line: lines end in LF or CRLF (is the file saved with CR-only line ends?)";
	else if (cr && !nl)
		why = "a carriage return at the end of the file: lines end in LF or CRLF";
	else if (text > (size_t)num - 2)
		diags_add(c->d, c->line, NULL, NULL, "line longer than %d characters", num - 2);
	if (why)
		diags_add(c->d, c->line, NULL, NULL, "%s", why);
	if (why || text > (size_t)num - 2) {
		str[0] = ';'; /* let inih skip it as a comment */
		str[1] = '\0';
		return str;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	classify_line(c, str);
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct collect *c = user;
	struct scen_text *tx = c->tx;
	(void)section; /* inih's copy is cut at 50 bytes: the header recorded by classify_line() is whole */
	if (c->drop)
		return 1;
	const char *sec = tx->nhdr ? tx->hdr[tx->nhdr - 1].name : "";
	tx->set = xrealloc(tx->set, (tx->nset + 1) * sizeof(*tx->set));
	tx->set[tx->nset++] = (struct setting){ xstrdup(sec), xstrdup(name), xstrdup(value ? value : ""), c->line };
	return 1;
}

/* A pipe can be read only once, but `mph run` loads its scenario more than once (to
 * see whether it wants a guest, then to run it): the text of the last pipe read is
 * kept for the process's lifetime and given again for the same pipe. */
static struct {
	dev_t dev;
	ino_t ino;
	char *text;
	size_t len;
} pipe_seen;

/* The scenario file, read once, whole, into memory: a regular file or a pipe
 * (`mph run <(gen)`), at most SCEN_MAX_BYTES. Anything else (a directory, /dev/zero,
 * a socket) is refused before it is read. 0; -EINVAL with a diagnostic; -errno when
 * it cannot be read. */
static int read_bounded(const char *path, struct diags *d, char **out, size_t *outlen)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISFIFO(st.st_mode) && pipe_seen.text && pipe_seen.dev == st.st_dev && pipe_seen.ino == st.st_ino) {
		*out = xcalloc(1, pipe_seen.len + 1);
		memcpy(*out, pipe_seen.text, pipe_seen.len);
		*outlen = pipe_seen.len;
		return 0;
	}
	int fd = -1, r = 0;
	char *buf = NULL;
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		/* checked before opening (opening a device can have effects) and after (the
		 * path may have been replaced in between) */
		if (pass == 1 && fstat(fd, &st) < 0) {
			r = -errno;
			goto out;
		}
		if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
			diags_add(d, 0, NULL, NULL, "%s, not a scenario file (mph reads regular files and pipes)",
				  S_ISDIR(st.st_mode)   ? "a directory"
				  : S_ISCHR(st.st_mode) ? "a character device"
				  : S_ISBLK(st.st_mode) ? "a block device"
				  : S_ISSOCK(st.st_mode) ? "a socket"
							: "not a regular file");
			r = -EINVAL;
			goto out;
		}
		if (pass == 0 && (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return -errno;
	}
	buf = xcalloc(1, SCEN_MAX_BYTES + 2);
	while (n <= SCEN_MAX_BYTES) {
		ssize_t k = read(fd, buf + n, SCEN_MAX_BYTES + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > SCEN_MAX_BYTES) {
		diags_add(d, 0, NULL, NULL, "larger than %d KiB: not a scenario file", SCEN_MAX_BYTES >> 10);
		r = -EINVAL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	if (S_ISFIFO(st.st_mode)) {
		free(pipe_seen.text);
		pipe_seen.dev = st.st_dev;
		pipe_seen.ino = st.st_ino;
		pipe_seen.text = xcalloc(1, n + 1);
		memcpy(pipe_seen.text, buf, n);
		pipe_seen.len = n;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int scen_header_line(const struct scen_text *tx, const char *section)
{
	for (size_t i = 0; i < tx->nhdr; i++)
		if (strcmp(tx->hdr[i].name, section) == 0)
			return tx->hdr[i].line;
	return 0;
}
#define header_line scen_header_line

int scenario_parse(const char *path, struct scen_text *tx, struct diags *d)
{
	memset(tx, 0, sizeof(*tx));
	memset(d, 0, sizeof(*d));
	tx->file = xstrdup(path);
	d->file = xstrdup(path);
	struct collect c = { .tx = tx, .d = d };
	char *text = NULL;
	int rr = read_bounded(path, d, &text, &c.len);
	if (rr < 0) {
		tx->unread = true;
		return rr;
	}
	c.buf = text;
	ini_allow_multiline = false;
	int syn = ini_parse_stream(reader, &c, handler, &c);
	free(text);
	bool seen = false; /* classify_line() should have caught inih's first error */
	for (size_t i = 0; i < d->n; i++)
		seen |= d->v[i].line == syn;
	if (syn > 0 && !seen)
		diags_add(d, syn, NULL, NULL, "syntax error");
	return d->n ? -EINVAL : 0;
}

const char *scen_text_value(const struct scen_text *tx, const char *section, const char *key)
{
	for (size_t i = 0; i < tx->nset; i++)
		if (strcmp(tx->set[i].section, section) == 0 && strcmp(tx->set[i].key, key) == 0)
			return tx->set[i].value;
	return NULL;
}

void scen_text_free(struct scen_text *tx)
{
	for (size_t i = 0; i < tx->nset; i++) {
		free(tx->set[i].section);
		free(tx->set[i].key);
		free(tx->set[i].value);
	}
	free(tx->set);
	for (size_t i = 0; i < tx->nhdr; i++)
		free(tx->hdr[i].name);
	free(tx->hdr);
	free(tx->file);
	memset(tx, 0, sizeof(*tx));
}

void scen_text_copy(struct scen_text *dst, const struct scen_text *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->file = xstrdup(src->file);
	dst->set = xcalloc(src->nset + 1, sizeof(*dst->set));
	for (size_t i = 0; i < src->nset; i++)
		dst->set[i] = (struct setting){ xstrdup(src->set[i].section), xstrdup(src->set[i].key),
						xstrdup(src->set[i].value), src->set[i].line };
	dst->nset = src->nset;
	dst->hdr = xcalloc(src->nhdr + 1, sizeof(*dst->hdr));
	for (size_t i = 0; i < src->nhdr; i++)
		dst->hdr[i] = (struct scen_header){ xstrdup(src->hdr[i].name), src->hdr[i].line };
	dst->nhdr = src->nhdr;
}

/* ---- phase 2: validate ----------------------------------------------------- */

static const char *const sweep_modes[] = { "product", "zip", NULL };

static const struct opt scenario_opts[] = {
	{ "name", OPT_STRING, offsetof(struct scen_main, name), NULL, 0, 0, NULL, "scenario name (default: file name)", false },
	{ "description", OPT_STRING, offsetof(struct scen_main, description), "", 0, 0, NULL, "what it shows", false },
	{ "duration", OPT_DURATION, offsetof(struct scen_main, duration_ms), "0", 0, 30ULL * 24 * 3600 * 1000, NULL,
	  "how long workloads run before mph stops them (SIGTERM); 0 = until they end", false },
	{ "timeout", OPT_DURATION, offsetof(struct scen_main, timeout_ms), "10m", 100, 30ULL * 24 * 3600 * 1000, NULL,
	  "hard limit: workloads still running are killed and classified timed-out", false },
	{ "repeat", OPT_UINT, offsetof(struct scen_main, repeat), "1", 1, 1000, NULL, "how many runs", false },
	{ "sweep", OPT_ENUM, offsetof(struct scen_main, sweep), "product", 0, 0, sweep_modes,
	  "lists of values: every combination (product), or side by side (zip)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const struct opt prepare_opts[] = {
	{ "drop_caches", OPT_BOOL, offsetof(struct scen_main, drop_caches), "no", 0, 0, NULL,
	  "write 3 to vm.drop_caches before each run (clean page cache, dentries, inodes)", false },
	{ "compact_memory", OPT_BOOL, offsetof(struct scen_main, compact_memory), "no", 0, 0, NULL,
	  "write 1 to vm.compact_memory before each run", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const struct opt swap_opts[] = {
	{ "size", OPT_SIZE, offsetof(struct scen_main, swap_size), "0", 0, 1ULL << 40, NULL,
	  "size of a swap file made for the run and removed after (0: none)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const char *const proc_sources[] = { "status", "statm", NULL };

static const struct opt record_opts[] = {
	{ "interval", OPT_DURATION, offsetof(struct scen_main, record_interval_ms), "100ms", 1, 3600000, NULL,
	  "sampling period of the recorder (samples.csv)", false },
	{ "pss", OPT_BOOL, offsetof(struct scen_main, record_pss), "no", 0, 0, NULL,
	  "also sample each workload process's Pss (smaps_rollup; costs more per sample)", false },
	{ "stalls", OPT_BOOL, offsetof(struct scen_main, record_stalls), "no", 0, 0, NULL,
	  "reclaim stalls (direct, memcg, kswapd) and OOM victims from kernel tracepoints, in a tracefs instance of mph's own (run.json: recorder.reclaim_stalls)", false },
	{ "stall_event", OPT_DURATION, offsetof(struct scen_main, record_stall_event_ms), "10ms", 0, 3600000, NULL,
	  "with stalls: a run's task's reclaim stall at least this long is also a reclaim_stall event in events.jsonl (0: every stall; at most 1000 a run, the rest counted)", false },
	{ "proc", OPT_ENUM, offsetof(struct scen_main, record_proc), "status", 0, 0, proc_sources,
	  "per-process source: status (VmRSS, RssAnon, RssFile, RssShmem, VmSwap) or statm (cheaper: VmRSS, RssAnon, RssFileShmem)", false },
	{ "slow", OPT_STRING, offsetof(struct scen_main, record_slow), "node, psi.io", 0, 0, NULL,
	  "sources read at most every slow_interval (their samples.csv cells empty between reads): any of vmstat, meminfo, psi.memory, psi.io, node, cg.stat, or none", false },
	{ "slow_interval", OPT_DURATION, offsetof(struct scen_main, record_slow_ms), "10ms", 1, 3600000, NULL,
	  "how often the slow sources are read (at most; and at the first and the last sample)", false },
	{ "stdout_max", OPT_SIZE, offsetof(struct scen_main, record_stdout_max), "64M", 4096, 1ULL << 40, NULL,
	  "bytes kept of each <workload>.stdout; the rest is counted (run.json: stdout_bytes, stdout_truncated)", false },
	{ "reports_max", OPT_SIZE, offsetof(struct scen_main, record_reports_max), "64M", 4096, 1ULL << 40, NULL,
	  "bytes of reports.jsonl per workload; later records are dropped and counted (run.json: report_dropped_bytes)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

static const char *const cgroup_versions[] = { "v2", "v1", NULL };

static const struct opt machine_opts[] = {
	{ "kernel", OPT_STRING, offsetof(struct scen_main, machine_kernel), NULL, 0, 0, NULL,
	  "Debian kernel to boot: 6.12, 6.1, a release (6.12.117+deb12-amd64), a package, or IMAGE[:MODROOT]", false },
	{ "memory", OPT_SIZE, offsetof(struct scen_main, machine_memory), "1G", 128ULL << 20, 64ULL << 30, NULL,
	  "the guest's RAM (with numa: their sum, which may be left out)", false },
	{ "cpus", OPT_UINT, offsetof(struct scen_main, machine_cpus), "1", 1, 8, NULL,
	  "virtual CPUs (TCG: one host thread each)", false },
	{ "numa", OPT_STRING, offsetof(struct scen_main, machine_numa), NULL, 0, 0, NULL,
	  "NUMA node sizes, e.g. 512M,512M (default: one node)", false },
	{ "swap", OPT_STRING, offsetof(struct scen_main, machine_swap), "none", 0, 0, NULL,
	  "none, disk:SIZE (a virtio disk) or zram:SIZE", false },
	{ "disk", OPT_STRING, offsetof(struct scen_main, machine_disk), "auto", 0, 0, NULL,
	  "scratch disk (ext4 at /var/tmp, where pagecache's files go): auto (sized to the workloads' files when a workload makes files or an action drops caches), none, or SIZE", false },
	{ "cgroup", OPT_ENUM, offsetof(struct scen_main, machine_cgroup), "v2", 0, 0, cgroup_versions,
	  "cgroup version in the guest", false },
	{ "timeout", OPT_DURATION, offsetof(struct scen_main, machine_timeout_ms), "0", 0, 24ULL * 3600 * 1000, NULL,
	  "bound on each guest run from the moment it booted; 0: 1 min plus the scenario's timeout", false },
	{ "boot_timeout", OPT_DURATION, offsetof(struct scen_main, machine_boot_timeout_ms), "5m", 1000, 24ULL * 3600 * 1000, NULL,
	  "bound on booting the guest (up to /init's boot marker)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

enum section_kind { SEC_OPTS, SEC_CGROUP, SEC_SYSCTL, SEC_WORKLOAD, SEC_EXPECT, SEC_ACTION };

static const struct section_def {
	const char *name;
	enum section_kind kind;
	const struct opt *opts;
} sections[] = {
	{ "scenario", SEC_OPTS, scenario_opts },
	{ "prepare", SEC_OPTS, prepare_opts },
	{ "swap", SEC_OPTS, swap_opts },
	{ "record", SEC_OPTS, record_opts },
	{ "machine", SEC_OPTS, machine_opts },
	{ "cgroup", SEC_CGROUP, NULL },
	{ "sysctl", SEC_SYSCTL, NULL },
	{ "workload", SEC_WORKLOAD, NULL }, /* "[workload NAME]" */
	{ "expect", SEC_EXPECT, NULL },     /* "[expect]", "[expect KEY=VALUE ...]": checked by the plan */
	{ "action", SEC_ACTION, NULL },     /* "[action NAME]": a timed action */
};

static const struct section_def *section_find(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(sections); i++) {
		size_t n = strlen(sections[i].name);
		bool named = (sections[i].kind == SEC_WORKLOAD || sections[i].kind == SEC_EXPECT ||
			      sections[i].kind == SEC_ACTION) &&
			     strncmp(s, sections[i].name, n) == 0 && s[n] == ' ';
		if (named || strcmp(s, sections[i].name) == 0)
			return &sections[i];
	}
	return NULL;
}

/* Earlier setting with the same section and key, for duplicate detection. */
static const struct setting *earlier(const struct scenario *sc, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(sc->set[k].section, sc->set[i].section) == 0 && strcmp(sc->set[k].key, sc->set[i].key) == 0)
			return &sc->set[k];
	return NULL;
}

static void check_opts_section(struct scenario *sc, struct diags *d, const struct setting *s, const struct opt *tab)
{
	const struct opt *o = opt_find(tab, s->key);
	char err[256];
	if (!o) {
		const char *sug = opt_suggest(tab, s->key);
		diags_add(d, s->line, s->section, s->key, "unknown key%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : "");
		return;
	}
	if (opt_set(o, &sc->m, s->value, 0, err, sizeof(err)) < 0)
		diags_add(d, s->line, s->section, s->key, "%s", err);
}

static void check_cgroup(struct scenario *sc, struct diags *d, const struct setting *s, const struct scen_target *t)
{
	const struct cg_knob *k = cg_knob_find(s->key);
	if (!k || !k->settable) {
		const char *sug = cg_knob_suggest(s->key);
		diags_add(d, s->line, s->section, s->key, "unknown key%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : " (settable: memory.max, memory.high, memory.low, memory.min, "
					      "memory.swap.max, memory.swappiness, memory.oom.group)");
		return;
	}
	const char *why = NULL;
	const char *file = cg_file(t->cgv, k->name, &why);
	if (!file) {
		diags_add(d, s->line, s->section, s->key, "not available on cgroup %s here: %s", cg_version_name(t->cgv), why);
		return;
	}
	if (t->cgv == CG_V1 && strcmp(k->name, "memory.swap.max") == 0 && !t->memsw) {
		diags_add(d, s->line, s->section, s->key,
			  "not available here: the kernel has no swap accounting (memory.memsw.* missing; boot with swapaccount=1)");
		return;
	}
	struct scen_cg *c = &sc->cg[sc->ncg];
	if (sc->ncg >= ARRAY_SIZE(sc->cg))
		return;
	c->knob = k;
	c->file = file;
	c->line = s->line;
	c->bytes = -1;
	switch (k->kind) {
	case CGV_BYTES_OR_MAX: {
		uint64_t v;
		if (strcmp(s->value, "max") == 0) {
			c->value = xstrdup(t->cgv == CG_V1 ? "-1" : "max");
			break;
		}
		int r = parse_size(s->value, &v);
		if (r < 0 || v > (uint64_t)INT64_MAX / 2) {
			diags_add(d, s->line, s->section, s->key, "expected a size such as 64M or 1G, or max; got '%s'", s->value);
			return;
		}
		c->bytes = (long long)v;
		c->value = xasprintf("%llu", (unsigned long long)v);
		break;
	}
	case CGV_INT:
	case CGV_BOOL: {
		long long v = 0;
		bool ok;
		if (k->kind == CGV_BOOL) {
			bool b = false;
			ok = parse_bool(s->value, &b) == 0;
			v = b;
		} else {
			char *end;
			v = strtoll(s->value, &end, 10);
			ok = isdigit((unsigned char)s->value[0]) && !*end && v >= k->min && v <= k->max;
		}
		if (!ok) {
			diags_add(d, s->line, s->section, s->key, "expected %s, got '%s'",
				  k->kind == CGV_BOOL ? "0 or 1 (yes/no)" : "a whole number 0..200", s->value);
			return;
		}
		c->value = xasprintf("%lld", v);
		break;
	}
	}
	if (strcmp(k->name, "memory.max") == 0)
		sc->memory_max = c->bytes;
	sc->ncg++;
}

static void check_sysctl(struct scenario *sc, struct diags *d, const struct setting *s, const struct scen_target *t)
{
	const struct sysctl_def *def = sysctl_find(s->key);
	char err[256];
	long long v;
	static const char *const actions[][2] = {
		{ "vm.drop_caches", "drop_caches" },
		{ "vm.compact_memory", "compact_memory" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		if (strcmp(s->key, actions[i][0]) == 0) {
			diags_add(d, s->line, s->section, s->key, "an action, not a setting: use [prepare] %s = yes", actions[i][1]);
			return;
		}
	}
	if (!def) {
		const char *sug = sysctl_suggest(s->key);
		diags_add(d, s->line, s->section, s->key, "not a sysctl mph may set%s%s%s", sug ? " (did you mean " : "",
			  sug ? sug : "", sug ? "?)" : "; see `mph run --help` for the list");
		return;
	}
	if (def->guest_only && !t->guest) {
		diags_add(d, s->line, s->section, s->key,
			  "only in a guest ([machine] section or --kernel): on this host it would take the machine down");
		return;
	}
	if (sysctl_check(def, s->value, &v, err, sizeof(err)) < 0) {
		diags_add(d, s->line, s->section, s->key, "%s", err);
		return;
	}
	sc->sysctl = xrealloc(sc->sysctl, (sc->nsysctl + 1) * sizeof(*sc->sysctl));
	sc->sysctl[sc->nsysctl++] = (struct scen_sysctl){ def, xasprintf("%lld", v), s->line };
}

/* A problem a workload check found, at the line of the first of its options the
 * section sets (at the header when all of them are defaults); false, and not
 * reported, when it concerns a value that was refused. */
static bool report_problem(const struct scenario *sc, struct diags *d, const char *section, int hline,
			   const struct wl_problem *pb, const bool *refused)
{
	const struct setting *at = NULL;
	for (size_t k = 0; pb->opts[k]; k++) {
		for (size_t i = 0; i < sc->nset; i++) {
			const struct setting *s = &sc->set[i];
			if (strcmp(s->section, section) != 0 || strcmp(s->key, pb->opts[k]) != 0)
				continue;
			if (refused[i])
				return false;
			if (!at)
				at = s;
		}
	}
	diags_add(d, at ? at->line : hline, section, at ? at->key : pb->opts[0], "%s", pb->msg);
	return true;
}

static void check_workload(struct scenario *sc, struct diags *d, const struct scen_text *c, const char *section,
			   const struct scen_target *t)
{
	const char *name = section + 8;
	int hline = header_line(c, section);
	while (*name == ' ')
		name++;
	if (!*name) {
		diags_add(d, hline, section, NULL, "a workload section needs a name: [workload NAME]");
		return;
	}
	const struct setting *type = NULL;
	for (size_t i = 0; i < sc->nset && !type; i++) /* a second one is reported as set twice */
		if (strcmp(sc->set[i].section, section) == 0 && strcmp(sc->set[i].key, "type") == 0)
			type = &sc->set[i];
	if (!type) {
		diags_add(d, hline, section, "type", "missing: every workload needs type = <workload>");
		return;
	}
	const struct workload *w = workload_find(type->value);
	if (!w) {
		const char *names[32];
		size_t n = workload_names(names, ARRAY_SIZE(names));
		const char *sug = nearest_name(type->value, names, n);
		diags_add(d, type->line, section, "type", "no workload called '%s'%s%s%s", type->value,
			  sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
		return;
	}
	struct scen_wl wl = { .name = xstrdup(name), .type = w, .line = hline };
	void *cfg = xcalloc(1, w->cfg_size);
	struct wl_common common = { 0 };
	(void)opt_defaults(w->opts, cfg);
	size_t own = 0; /* argv sized to this workload's settings, not the file's */
	for (size_t i = 0; i < sc->nset; i++)
		own += strcmp(sc->set[i].section, section) == 0;
	wl.argv = xcalloc(own + 1, sizeof(char *));
	uint64_t base = sc->memory_max > 0 ? (uint64_t)sc->memory_max : 0;
	bool bad = false, missing = false, *refused = xcalloc(sc->nset, sizeof(bool));
	for (size_t i = 0; i < sc->nset; i++) {
		const struct setting *s = &sc->set[i];
		if (strcmp(s->section, section) != 0 || strcmp(s->key, "type") == 0)
			continue;
		const struct opt *o = opt_find(w->opts, s->key);
		char err[256];
		void *target = cfg;
		if (!o && strcmp(s->key, OOM_ADJ_KEY) == 0) {
			long long v;
			char *end;
			errno = 0;
			v = strtoll(s->value, &end, 10);
			if (!*s->value || *end || errno || v < -1000 || v > 1000) {
				diags_add(d, s->line, section, s->key, "expected a whole number -1000..1000, got '%s'", s->value);
				bad = true;
				continue;
			}
			wl.oom_adj_set = true;
			wl.oom_adj = (int)v;
			wl.oom_adj_line = s->line;
			continue;
		}
		if (!o && strcmp(s->key, "report-fd") == 0) {
			diags_add(d, s->line, section, s->key, "set by mph (the report goes to mph on descriptor 3)");
			bad = true;
			continue;
		}
		if (!o && (o = opt_find(wl_common_opts, s->key)))
			target = &common;
		if (!o) {
			const char *sug = opt_suggest(w->opts, s->key);
			diags_add(d, s->line, section, s->key, "unknown option of workload %s%s%s%s", w->name,
				  sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
			bad = true;
			continue;
		}
		if (opt_set(o, target, s->value, base, err, sizeof(err)) < 0) {
			diags_add(d, s->line, section, s->key, "%s", err);
			bad = refused[i] = true;
			continue;
		}
		/* percentages are resolved here: the workload gets bytes */
		if (o->type == OPT_SIZE_PCT)
			wl.argv[wl.argc++] = xasprintf("--%s=%llu", o->name,
						       (unsigned long long)*(uint64_t *)((char *)cfg + o->off));
		else
			wl.argv[wl.argc++] = xasprintf("--%s=%s", o->name, s->value);
	}
	for (const struct opt *o = w->opts; o->name; o++) {
		if (!o->required)
			continue;
		bool found = false;
		for (size_t i = 0; i < sc->nset; i++)
			found |= strcmp(sc->set[i].section, section) == 0 && strcmp(sc->set[i].key, o->name) == 0;
		if (!found) {
			diags_add(d, hline, section, o->name, "missing: workload %s requires it", w->name);
			bad = missing = true;
		}
	}
	/* the rules between options, the workload's own and the common ones, judged on
	 * the config the workload will get: once nothing required is missing, and not
	 * where they concern a value refused above (its field holds the default) */
	struct wl_problems probs = { 0 };
	if (!missing)
		(void)wl_check(w, cfg, &common, t->nodes, &probs);
	for (size_t k = 0; k < probs.n; k++)
		bad |= report_problem(sc, d, section, hline, &probs.v[k], refused);
	if (!bad && w->disk_bytes)
		wl.disk_bytes = w->disk_bytes(cfg);
	free(refused);
	/* string options own memory */
	for (const struct opt *o = w->opts; o->name; o++)
		if (o->type == OPT_STRING)
			free(*(char **)((char *)cfg + o->off));
	free(common.membind);
	free(common.interleave);
	free(common.preferred);
	free(cfg);
	if (bad) {
		for (size_t i = 0; i < wl.argc; i++)
			free(wl.argv[i]);
		free(wl.argv);
		free(wl.name);
		return;
	}
	sc->wl = xrealloc(sc->wl, (sc->nwl + 1) * sizeof(*sc->wl));
	sc->wl[sc->nwl++] = wl;
}

static const struct setting *find_setting(const struct scenario *sc, const char *section, const char *key)
{
	for (size_t i = 0; i < sc->nset; i++)
		if (strcmp(sc->set[i].section, section) == 0 && (!*key || strcmp(sc->set[i].key, key) == 0))
			return &sc->set[i];
	return NULL;
}

/* [record] slow is a list of sources: parsed here, after opt_set. */
static void check_record(struct scenario *sc, struct diags *d)
{
	char err[256];
	if (rec_parse_slow(sc->m.record_slow, &sc->m.record_slow_set, err, sizeof(err)) < 0) {
		const struct setting *s = find_setting(sc, "record", "slow");
		diags_add(d, s ? s->line : 0, "record", "slow", "%s", err);
	}
}

/* [machine] numa and swap are lists and tagged sizes: parsed here, after opt_set. */
static void check_machine(struct scenario *sc, struct diags *d, const struct scen_text *c)
{
	struct scen_main *m = &sc->m;
	sc->machine_line = header_line(c, "machine");
	sc->machine = sc->machine_line > 0 || find_setting(sc, "machine", "") != NULL;
	if (!sc->machine)
		return;
	const struct setting *mem = find_setting(sc, "machine", "memory");
	if (mem && m->machine_memory % (1ULL << 20))
		diags_add(d, mem->line, "machine", "memory", "must be whole MiB (qemu's unit), got '%s'", mem->value);
	const struct setting *s = find_setting(sc, "machine", "numa");
	if (m->machine_numa) {
		uint64_t sum = 0;
		const char *nl = m->machine_numa;
		if (!*nl || *nl == ',' || nl[strlen(nl) - 1] == ',' || strstr(nl, ",,"))
			diags_add(d, s->line, "machine", "numa", "an empty node size in '%s'", nl);
		char *copy = xstrdup(m->machine_numa), *save = NULL;
		for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			uint64_t v;
			if (sc->nnuma == MACHINE_MAX_NODES) {
				diags_add(d, s->line, "machine", "numa", "at most %d nodes", MACHINE_MAX_NODES);
				break;
			}
			if (parse_size(strtrim(tok), &v) < 0 || v < (64ULL << 20) || v % (1ULL << 20)) {
				diags_add(d, s->line, "machine", "numa",
					  "expected node sizes of at least 64M in whole MiB, separated by commas, such as 512M,512M; got '%s'", tok);
				sc->nnuma = 0;
				break;
			}
			sc->numa[sc->nnuma++] = v;
			sum += v;
		}
		free(copy);
		if (sc->nnuma && mem && sum != m->machine_memory)
			diags_add(d, s->line, "machine", "numa", "the nodes add up to %llu MiB, memory (line %d) is %llu MiB",
				  (unsigned long long)(sum >> 20), mem->line, (unsigned long long)(m->machine_memory >> 20));
		else if (sc->nnuma && (sum < (128ULL << 20) || sum > (64ULL << 30)))
			diags_add(d, s->line, "machine", "numa", "the nodes add up to %llu MiB: a guest has 128 MiB to 64 GiB",
				  (unsigned long long)(sum >> 20));
		else if (sc->nnuma)
			m->machine_memory = sum;
	}
	s = find_setting(sc, "machine", "swap");
	const char *sw = m->machine_swap, *colon = strchr(sw, ':');
	sc->swap_kind = MSWAP_NONE;
	if (strcmp(sw, "none") != 0) {
		uint64_t v = 0;
		bool disk = colon && colon - sw == 4 && strncmp(sw, "disk", 4) == 0;
		bool zram = colon && colon - sw == 4 && strncmp(sw, "zram", 4) == 0;
		if ((!disk && !zram) || parse_size(colon + 1, &v) < 0 || v < (16ULL << 20) || v > (64ULL << 30)) {
			diags_add(d, s ? s->line : sc->machine_line, "machine", "swap",
				  "expected none, disk:SIZE or zram:SIZE with SIZE 16M..64G; got '%s'", sw);
		} else {
			sc->swap_kind = disk ? MSWAP_DISK : MSWAP_ZRAM;
			sc->swap_dev_size = v;
		}
	}
}

/* [machine] disk: a guest's scratch disk (docs/vm.md). Page cache needs a disk file
 * system, and a guest has none of its own (its root is RAM, its share 9p): the
 * workloads' files go to an ext4 on a sparse virtio disk mounted at /var/tmp. auto
 * makes one when a workload makes files or an action drops caches, sized to what they
 * need free (pagecache: its files and 1 GiB) plus the file system's own (sparse: the
 * host pays only for what the guest writes). */
#define DISK_MIN (64ULL << 20)
#define DISK_MAX (1ULL << 40)
static uint64_t disk_need(uint64_t files)
{
	return files + files / 16 + DISK_MIN; /* inode tables, journal, reserve */
}

static void check_disk(struct scenario *sc, struct diags *d, const struct scen_text *c, const struct scen_target *t)
{
	const struct setting *s = find_setting(sc, "machine", "disk");
	int line = s ? s->line : sc->machine_line ? sc->machine_line : header_line(c, "scenario");
	const char *v = sc->m.machine_disk;
	uint64_t size = 0, files = 0;
	bool wanted = false;
	sc->disk_size = 0;
	if (strcmp(v, "auto") != 0 && strcmp(v, "none") != 0 &&
	    (parse_size(v, &size) < 0 || size < DISK_MIN || size > DISK_MAX || size % (1ULL << 20))) {
		diags_add(d, line, "machine", "disk", "expected auto, none or a size of 64M..1T in whole MiB; got '%s'", v);
		return;
	}
	if (!t->guest || strcmp(v, "none") == 0)
		return;
	for (size_t i = 0; i < sc->nwl; i++) {
		files += sc->wl[i].disk_bytes;
		wanted |= sc->wl[i].disk_bytes > 0;
	}
	for (size_t i = 0; i < sc->nact; i++)
		wanted |= sc->act[i].kind == ACT_DROP_CACHES;
	uint64_t need = disk_need(files);
	if (size && size < need) {
		diags_add(d, line, "machine", "disk",
			  "%llu MiB is too small: the workloads need %llu MiB free on it (their files and reserve), with the file system's own at least %llu MiB",
			  (unsigned long long)(size >> 20), (unsigned long long)((files + (1ULL << 20) - 1) >> 20),
			  (unsigned long long)((need + (1ULL << 20) - 1) >> 20));
		return;
	}
	if (size)
		sc->disk_size = size;
	else if (wanted) /* auto: whole 64 MiB, at least 256 MiB */
		sc->disk_size = need < (256ULL << 20) ? 256ULL << 20 : (need + DISK_MIN - 1) / DISK_MIN * DISK_MIN;
	if (sc->disk_size > DISK_MAX)
		diags_add(d, line, "machine", "disk", "the workloads' files need %llu MiB: more than a scratch disk of 1T",
			  (unsigned long long)(need >> 20));
}

static void check_cross(struct scenario *sc, struct diags *d, const struct scen_text *c, const struct scen_target *t)
{
	/* memory.swap.max on v1 means memsw = memory.max + swap allowance */
	for (size_t i = 0; i < sc->ncg; i++) {
		struct scen_cg *g = &sc->cg[i];
		if (strcmp(g->knob->name, "memory.swap.max") != 0 || t->cgv != CG_V1 || g->bytes < 0)
			continue;
		if (sc->memory_max < 0) {
			diags_add(d, g->line, "cgroup", g->knob->name,
				  "on cgroup v1 memory.swap.max needs memory.max (v1 limits memory+swap together)");
			continue;
		}
		free(g->value);
		g->value = xasprintf("%lld", sc->memory_max + g->bytes);
	}
	if (t->guest && sc->m.swap_size) {
		const struct setting *s = find_setting(sc, "swap", "size");
		diags_add(d, s ? s->line : header_line(c, "swap"), "swap", "size",
			  "a swap file cannot be used in a guest (its root is a RAM disk): use [machine] swap = disk:SIZE");
	}
	if (sc->m.duration_ms && sc->m.duration_ms != DURATION_FOREVER && sc->m.timeout_ms <= sc->m.duration_ms) {
		const struct setting *s = NULL;
		for (size_t i = 0; i < sc->nset; i++)
			if (strcmp(sc->set[i].section, "scenario") == 0 && strcmp(sc->set[i].key, "timeout") == 0)
				s = &sc->set[i];
		diags_add(d, s ? s->line : header_line(c, "scenario"), "scenario", "timeout",
			  "must be longer than duration (the timeout is the hard limit after it)");
	}
	bool any_wl = false;
	for (size_t h = 0; h < c->nhdr; h++)
		any_wl |= strncmp(c->hdr[h].name, "workload", 8) == 0;
	if (!any_wl)
		diags_add(d, 0, NULL, NULL, "no [workload NAME] section: a scenario needs at least one workload");
}

/* ---- names ------------------------------------------------------------------- */

/* The one rule for scenario and workload names. A scenario's name is a directory
 * below the results directory; a workload's is part of file names in the run
 * directory (<name>.stdout), a column of samples.csv and a JSON string in
 * reports.jsonl. So: 1 to SCEN_NAME_MAX letters, digits, '_', '-' and '.', not
 * starting with '.' (no "..", no hidden files), nothing to quote or escape anywhere.
 * NULL when name keeps it, else what is wrong. */
const char *scenario_name_problem(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "empty";
	if (n > SCEN_NAME_MAX)
		return "longer than " SCEN_NAME_MAX_STR " characters";
	for (const char *p = name; *p; p++)
		if (!isascii((unsigned char)*p) || !(isalnum((unsigned char)*p) || strchr("._-", *p)))
			return "has a character other than letters, digits, '.', '_' and '-'";
	return name[0] == '.' ? "starts with '.'" : NULL;
}

#define NAME_RULE "1 to " SCEN_NAME_MAX_STR " letters, digits, '.', '_' and '-', not starting with '.'"

/* name as it can be printed: bytes outside printable ASCII as \xNN (malloc'd) */
static char *printable(const char *name)
{
	size_t n = strlen(name);
	char *out = xcalloc(1, 4 * n + 1), *o = out;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		o += *p >= 0x20 && *p < 0x7f && *p != '\\' ? sprintf(o, "%c", *p) : sprintf(o, "\\x%02x", *p);
	return out;
}

/* The scenario's name (given, or taken from the file name) and every workload's
 * (unique, too). Sets sc->m.name when the file does not. */
static void check_names(struct scenario *sc, struct diags *d, const struct scen_text *c, const char *path)
{
	const struct setting *given = find_setting(sc, "scenario", "name");
	if (!sc->m.name) {
		const char *b = strrchr(path, '/');
		char *n = xstrdup(b ? b + 1 : path), *dot = strrchr(n, '.');
		if (dot && strcmp(dot, ".ini") == 0)
			*dot = '\0';
		sc->m.name = n;
	}
	const char *why = scenario_name_problem(sc->m.name);
	if (why) {
		char *pn = printable(sc->m.name);
		if (given)
			diags_add(d, given->line, "scenario", "name", "'%s' names a results directory: %s (%s)", pn, why, NAME_RULE);
		else
			diags_add(d, 0, "scenario", "name",
				  "'%s', taken from the file name, cannot name a results directory: %s (%s); "
				  "set one with [scenario] name = NAME",
				  pn, why, NAME_RULE);
		free(pn);
	}
	for (size_t h = 0; h < c->nhdr; h++) {
		const char *sec = c->hdr[h].name;
		bool act = strncmp(sec, "action ", 7) == 0 && sec[7];
		if (!act && (strncmp(sec, "workload ", 9) != 0 || !sec[9]))
			continue; /* [workload] alone: check_workload() asks for a name */
		const char *nm = sec + (act ? 7 : 9);
		/* workloads and actions share one name space: [expect] names both as NAME.metric */
		size_t first = 0;
		while (first < h && strcmp(c->hdr[first].name, sec) != 0)
			first++;
		size_t other = 0;
		for (; other < c->nhdr; other++) {
			const char *o = c->hdr[other].name;
			if (act && strncmp(o, "workload ", 9) == 0 && strcmp(o + 9, nm) == 0)
				break;
		}
		char *pn = printable(nm);
		if (first < h) /* a third one names the first too */
			diags_add(d, c->hdr[h].line, NULL, NULL,
				  "[%s %s]: a second %s of this name (first at line %d): names must be unique", act ? "action" : "workload",
				  pn, act ? "action" : "workload", c->hdr[first].line);
		else if (other < c->nhdr)
			diags_add(d, c->hdr[h].line, NULL, NULL,
				  "[action %s]: a workload has this name (line %d): actions and workloads need names of their own", pn,
				  c->hdr[other].line);
		else if ((why = scenario_name_problem(nm)))
			diags_add(d, c->hdr[h].line, NULL, NULL,
				  act ? "[action %s]: the name is part of metric names (%s.result) and run.json: %s (%s)"
				      : "[workload %s]: the name is part of file names (%s.stdout) and of samples.csv's columns: %s (%s)",
				  pn, pn, why, NAME_RULE);
		free(pn);
	}
}

/* ---- [action NAME] ----------------------------------------------------------- */

struct act_cfg {
	uint64_t at_ms, after_ms;
	char *what;
};

static const struct opt action_opts[] = {
	{ "at", OPT_DURATION, offsetof(struct act_cfg, at_ms), NULL, 0, 30ULL * 24 * 3600 * 1000, NULL,
	  "when, from the first workload's start", true },
	{ "do", OPT_STRING, offsetof(struct act_cfg, what), NULL, 0, 0, NULL,
	  "drop_caches [1|2|3], compact, or signal WORKLOAD SIGNAL", true },
	{ "after", OPT_DURATION, offsetof(struct act_cfg, after_ms), "0", 0, 3600000, NULL,
	  "when the 'after' snapshot of the cgroup's memory.stat is taken, from the action's end (0: at once)", false },
	{ NULL, 0, 0, NULL, 0, 0, NULL, NULL, false },
};

int scen_parse_signal(const char *s, int *signo)
{
	if (isdigit((unsigned char)*s)) {
		char *end;
		errno = 0;
		long v = strtol(s, &end, 10);
		if (*end || errno || v < 1 || v > SIGRTMAX)
			return -EINVAL;
		*signo = (int)v;
		return 0;
	}
	const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *a = sigabbrev_np(sig);
		if (a && strcasecmp(a, n) == 0) {
			*signo = sig;
			return 0;
		}
	}
	return -EINVAL;
}

static int action_cmp(const void *a, const void *b)
{
	const struct scen_action *x = a, *y = b;
	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms ? 1 : x->line - y->line;
}

/* The workload a signal action names: its index in sc->wl, or -1 (the diagnostic
 * added; a workload whose own section has problems is reported there, not here). */
static long action_workload(const struct scenario *sc, struct diags *d, const struct scen_text *c, const char *section,
			    int line, const char *wn)
{
	for (size_t i = 0; i < sc->nwl; i++)
		if (strcmp(sc->wl[i].name, wn) == 0)
			return (long)i;
	const char *names[SCEN_MAX_WORKLOADS];
	size_t n = 0;
	for (size_t h = 0; h < c->nhdr && n < ARRAY_SIZE(names); h++)
		if (strncmp(c->hdr[h].name, "workload ", 9) == 0) {
			if (strcmp(c->hdr[h].name + 9, wn) == 0)
				return -1; /* exists, and has problems of its own */
			names[n++] = c->hdr[h].name + 9;
		}
	const char *sug = nearest_name(wn, names, n);
	diags_add(d, line, section, "do", "no workload '%s' in this scenario%s%s%s", wn, sug ? " (did you mean " : "",
		  sug ? sug : "", sug ? "?)" : "");
	return -1;
}

/* What `do` says, into a: drop_caches [1|2|3], compact, signal WORKLOAD SIGNAL. */
static bool parse_do(const struct scenario *sc, struct diags *d, const struct scen_text *c, const char *section,
		     int line, const char *what, struct scen_action *a)
{
	static const char *const verbs[] = { "drop_caches", "compact", "signal" };
	char *copy = xstrdup(what), *save = NULL, *w[4] = { NULL };
	size_t n = 0;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		if (n++ < ARRAY_SIZE(w))
			w[n - 1] = tok;
	bool ok = false;
	if (!n) {
		diags_add(d, line, section, "do", "empty: expected drop_caches [1|2|3], compact, or signal WORKLOAD SIGNAL");
	} else if (strcmp(w[0], "drop_caches") == 0) {
		a->kind = ACT_DROP_CACHES;
		a->drop_level = 3;
		if (n > 2 || (n == 2 && (strlen(w[1]) != 1 || w[1][0] < '1' || w[1][0] > '3')))
			diags_add(d, line, section, "do", "drop_caches takes one of 1 (page cache), 2 (dentries and inodes), 3 (both; the default); got '%s'", what);
		else
			ok = true;
		if (ok && n == 2)
			a->drop_level = w[1][0] - '0';
		if (ok)
			a->text = xasprintf("drop_caches %d", a->drop_level);
	} else if (strcmp(w[0], "compact") == 0) {
		a->kind = ACT_COMPACT;
		if (n > 1)
			diags_add(d, line, section, "do", "compact takes no argument; got '%s'", what);
		else
			ok = true;
		if (ok)
			a->text = xstrdup("compact");
	} else if (strcmp(w[0], "signal") == 0) {
		a->kind = ACT_SIGNAL;
		if (n != 3) {
			diags_add(d, line, section, "do", "expected signal WORKLOAD SIGNAL (signal pool SIGUSR2); got '%s'", what);
		} else {
			long i = action_workload(sc, d, c, section, line, w[1]);
			bool sig_ok = scen_parse_signal(w[2], &a->signo) == 0;
			if (!sig_ok)
				diags_add(d, line, section, "do", "unknown signal '%s' (a name such as SIGUSR2, USR2 or TERM, or a number 1..%d)",
					  w[2], SIGRTMAX);
			if (i >= 0 && sig_ok) {
				char buf[16];
				a->wl = (size_t)i;
				a->text = xasprintf("signal %s SIG%s", w[1], signal_name(a->signo, buf, sizeof(buf)));
				ok = true;
			}
		}
	} else {
		const char *sug = nearest_name(w[0], verbs, ARRAY_SIZE(verbs));
		diags_add(d, line, section, "do", "unknown action '%s' (%s%s%s)", w[0], sug ? "did you mean " : "known: ",
			  sug ? sug : "drop_caches [1|2|3], compact, signal WORKLOAD SIGNAL", sug ? "?" : "");
	}
	free(copy);
	return ok;
}

static void check_action(struct scenario *sc, struct diags *d, const struct scen_text *c, const char *section)
{
	int hline = header_line(c, section);
	const char *name = strcmp(section, "action") == 0 ? "" : section + 7;
	if (!*name) {
		diags_add(d, hline, section, NULL, "an action section needs a name: [action NAME]");
		return;
	}
	struct act_cfg cfg = { 0 };
	(void)opt_defaults(action_opts, &cfg);
	bool bad = false;
	const struct setting *at = NULL, *what = NULL;
	for (size_t i = 0; i < sc->nset; i++) {
		const struct setting *s = &sc->set[i];
		if (strcmp(s->section, section) != 0 || earlier(sc, i)) /* a second one is reported as set twice */
			continue;
		const struct opt *o = opt_find(action_opts, s->key);
		char err[256];
		if (!o) {
			const char *sug = opt_suggest(action_opts, s->key);
			diags_add(d, s->line, section, s->key, "unknown key%s%s%s", sug ? " (did you mean " : "",
				  sug ? sug : " (known: at, do, after", sug ? "?)" : ")");
			bad = true;
		} else if (opt_set(o, &cfg, s->value, 0, err, sizeof(err)) < 0) {
			diags_add(d, s->line, section, s->key, "%s", err);
			bad = true;
		} else if (o->type == OPT_DURATION && *(uint64_t *)((char *)&cfg + o->off) == DURATION_FOREVER) {
			diags_add(d, s->line, section, s->key, "a time, not forever");
			bad = true;
		} else {
			if (strcmp(s->key, "at") == 0)
				at = s;
			if (strcmp(s->key, "do") == 0)
				what = s;
		}
	}
	for (const struct opt *o = action_opts; o->name; o++)
		if (o->required && !scen_text_value(c, section, o->name)) {
			diags_add(d, hline, section, o->name, "missing: every action needs %s", strcmp(o->name, "at") == 0 ? "at = TIME (from the first workload's start)" : "do = WHAT");
			bad = true;
		}
	struct scen_action a = { .line = hline, .at_ms = cfg.at_ms, .after_ms = cfg.after_ms };
	if (at) {
		a.at_line = at->line;
		const struct scen_main *m = &sc->m;
		bool dur = m->duration_ms && m->duration_ms != DURATION_FOREVER;
		if (m->timeout_ms != DURATION_FOREVER && cfg.at_ms >= m->timeout_ms) {
			diags_add(d, at->line, section, "at", "%s is not before the scenario's timeout (%llu ms): the run is over by then",
				  at->value, (unsigned long long)m->timeout_ms);
			bad = true;
		} else if (dur && cfg.at_ms >= m->duration_ms) {
			diags_add(d, at->line, section, "at", "%s is not before the scenario's duration (%llu ms): the workloads are stopped by then",
				  at->value, (unsigned long long)m->duration_ms);
			bad = true;
		}
	}
	if (what) {
		a.do_line = what->line;
		bad |= !parse_do(sc, d, c, section, what->line, cfg.what, &a);
	}
	free(cfg.what);
	if (bad || scenario_name_problem(name)) { /* a bad name is check_names()'s */
		free(a.text);
		return;
	}
	a.name = xstrdup(name);
	sc->act = xrealloc(sc->act, (sc->nact + 1) * sizeof(*sc->act));
	sc->act[sc->nact++] = a;
}

int scenario_validate(const struct scen_text *tx, const struct scen_target *t, struct scenario *sc, struct diags *d)
{
	memset(sc, 0, sizeof(*sc));
	if (!d->file)
		d->file = xstrdup(tx->file);
	sc->file = xstrdup(tx->file);
	sc->memory_max = -1;
	sc->set = xcalloc(tx->nset + 1, sizeof(*sc->set));
	for (size_t i = 0; i < tx->nset; i++)
		sc->set[i] = (struct setting){ xstrdup(tx->set[i].section), xstrdup(tx->set[i].key), xstrdup(tx->set[i].value),
					       tx->set[i].line };
	sc->nset = tx->nset;
	const struct scen_text *c = tx;
	size_t nd0 = d->n;

	if (opt_defaults(scenario_opts, &sc->m) < 0 || opt_defaults(prepare_opts, &sc->m) < 0 ||
	    opt_defaults(swap_opts, &sc->m) < 0 || opt_defaults(record_opts, &sc->m) < 0 ||
	    opt_defaults(machine_opts, &sc->m) < 0)
		return -EINVAL;

	/* every section header once: unknown ones are reported at their header */
	for (size_t h = 0; h < c->nhdr; h++) {
		const char *name = c->hdr[h].name;
		if (header_line(c, name) != c->hdr[h].line || section_find(name))
			continue;
		static const char *const names[] = { "scenario", "prepare", "swap", "record", "machine", "cgroup", "sysctl", "workload", "expect", "action" };
		const char *sug = nearest_name(name, names, ARRAY_SIZE(names));
		diags_add(d, c->hdr[h].line, name, NULL, "unknown section%s%s%s", sug ? " (did you mean [" : "",
			  sug ? sug : "", sug ? "]?)" : " (known: scenario, prepare, swap, record, machine, cgroup, sysctl, workload NAME, action NAME, expect)");
	}
	/* then the keys of the fixed sections, so that [cgroup] memory.max is known
	 * to workload sections */
	for (size_t i = 0; i < sc->nset; i++) {
		const struct setting *s = &sc->set[i];
		const struct setting *dup = earlier(sc, i);
		/* run.json carries every setting: it must be text JSON can hold */
		json_t *probe = json_pack("{s:s, s:s, s:s}", "s", s->section, "k", s->key, "v", s->value);
		if (!probe) {
			diags_add(d, s->line, NULL, NULL, "not valid UTF-8 text");
			continue;
		}
		json_decref(probe);
		if (dup) {
			diags_add(d, s->line, s->section, s->key, "set twice (first at line %d)", dup->line);
			continue;
		}
		if (!*s->section) {
			diags_add(d, s->line, NULL, s->key, "key outside any section (start with [scenario])");
			continue;
		}
		const struct section_def *sd = section_find(s->section);
		if (!sd)
			continue; /* reported at its header */
		switch (sd->kind) {
		case SEC_OPTS:
			check_opts_section(sc, d, s, sd->opts);
			break;
		case SEC_CGROUP:
			check_cgroup(sc, d, s, t);
			break;
		case SEC_SYSCTL:
			check_sysctl(sc, d, s, t);
			break;
		case SEC_WORKLOAD:
		case SEC_EXPECT:
		case SEC_ACTION:
			break;
		}
	}
	/* then each workload section once, keys or not */
	for (size_t h = 0; h < c->nhdr; h++) {
		const char *name = c->hdr[h].name;
		const struct section_def *sd = section_find(name);
		if (sd && sd->kind == SEC_WORKLOAD && header_line(c, name) == c->hdr[h].line)
			check_workload(sc, d, c, name, t);
	}
	check_names(sc, d, c, tx->file);
	check_machine(sc, d, c);
	check_record(sc, d);
	check_cross(sc, d, c, t);
	for (size_t h = 0; h < c->nhdr; h++) {
		const char *name = c->hdr[h].name;
		const struct section_def *sd = section_find(name);
		if ((sd && sd->kind == SEC_ACTION && header_line(c, name) == c->hdr[h].line) || strcmp(name, "action") == 0)
			check_action(sc, d, c, name);
	}
	if (sc->nact > SCEN_MAX_ACTIONS)
		diags_add(d, sc->act[SCEN_MAX_ACTIONS].line, NULL, NULL, "more than %d actions: a scenario may have at most %d",
			  SCEN_MAX_ACTIONS, SCEN_MAX_ACTIONS);
	if (sc->nact > 1) /* sc->act is NULL without actions, which qsort may not be given */
		qsort(sc->act, sc->nact, sizeof(*sc->act), action_cmp);
	check_disk(sc, d, c, t);
	if (d->n > nd0) {
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
		return -EINVAL;
	}
	return 0;
}

int scenario_load(const char *path, const struct scen_target *t, struct scenario *sc, struct diags *d)
{
	struct scen_text tx;
	int r = scenario_parse(path, &tx, d);
	if (r < 0 && (r != -EINVAL || tx.unread)) { /* not read: nothing to validate */
		memset(sc, 0, sizeof(*sc));
		scen_text_free(&tx);
		return r;
	}
	/* syntax errors and invalid keys are reported together: every problem at once */
	int v = scenario_validate(&tx, t, sc, d);
	scen_text_free(&tx);
	if (r < 0 || v < 0) {
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
		return -EINVAL;
	}
	return 0;
}

void scenario_free(struct scenario *sc)
{
	for (size_t i = 0; i < sc->ncg; i++)
		free(sc->cg[i].value);
	for (size_t i = 0; i < sc->nsysctl; i++)
		free(sc->sysctl[i].value);
	free(sc->sysctl);
	for (size_t i = 0; i < sc->nwl; i++) {
		for (size_t k = 0; k < sc->wl[i].argc; k++)
			free(sc->wl[i].argv[k]);
		free(sc->wl[i].argv);
		free(sc->wl[i].name);
	}
	free(sc->wl);
	for (size_t i = 0; i < sc->nact; i++) {
		free(sc->act[i].name);
		free(sc->act[i].text);
	}
	free(sc->act);
	for (size_t i = 0; i < sc->nset; i++) {
		free(sc->set[i].section);
		free(sc->set[i].key);
		free(sc->set[i].value);
	}
	free(sc->set);
	free(sc->m.name);
	free(sc->m.description);
	free(sc->m.machine_kernel);
	free(sc->m.machine_numa);
	free(sc->m.machine_swap);
	free(sc->m.machine_disk);
	free(sc->m.record_slow);
	free(sc->file);
	memset(sc, 0, sizeof(*sc));
}

/* The scenario as run.json carries it: file, name, this repeat, every setting. */
json_t *scenario_json(const struct scenario *sc, unsigned rep)
{
	json_t *set = json_array();
	for (size_t i = 0; i < sc->nset; i++)
		json_array_append_new(set, json_pack("{s:s, s:s, s:s, s:i}", "section", sc->set[i].section, "key",
						     sc->set[i].key, "value", sc->set[i].value, "line", sc->set[i].line));
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:I}", "file", sc->file, "name", sc->m.name, "description",
			      sc->m.description ? sc->m.description : "", "repeat", rep, "repeats", (json_int_t)sc->m.repeat);
	json_object_set_new(j, "duration_ms", sc->m.duration_ms == DURATION_FOREVER ? json_null() : json_integer((json_int_t)sc->m.duration_ms));
	json_object_set_new(j, "timeout_ms", sc->m.timeout_ms == DURATION_FOREVER ? json_null() : json_integer((json_int_t)sc->m.timeout_ms));
	json_object_set_new(j, "settings", set);
	return j;
}

/* ---- for sweeps and guests --------------------------------------------------- */

static enum sweep_kind kind_of_opt(const struct opt *o)
{
	if (!o)
		return SWEEP_NO;
	switch (o->type) {
	case OPT_SIZE:
	case OPT_SIZE_PCT:
		return SWEEP_SIZE;
	case OPT_DURATION:
		return SWEEP_DURATION;
	case OPT_UINT:
		return SWEEP_INT;
	case OPT_BOOL:
	case OPT_ENUM:
	case OPT_FRACTION:
		return SWEEP_WORD;
	case OPT_STRING:
		return SWEEP_NO;
	}
	return SWEEP_NO;
}

enum sweep_kind scenario_key_kind(void *ctx, const char *section, const char *key)
{
	const struct scen_text *tx = ctx;
	const struct section_def *sd = section_find(section);
	if (!sd)
		return SWEEP_NO;
	switch (sd->kind) {
	case SEC_SYSCTL:
		return SWEEP_INT;
	case SEC_CGROUP: {
		const struct cg_knob *k = cg_knob_find(key);
		return !k ? SWEEP_NO : k->kind == CGV_BYTES_OR_MAX ? SWEEP_SIZE : k->kind == CGV_INT ? SWEEP_INT : SWEEP_WORD;
	}
	case SEC_OPTS:
		/* of the fixed sections only [machine] describes the system under test */
		return strcmp(section, "machine") == 0 ? kind_of_opt(opt_find(sd->opts, key)) : SWEEP_NO;
	case SEC_WORKLOAD: {
		const struct workload *w = NULL;
		for (size_t i = 0; tx && i < tx->nset && !w; i++)
			if (strcmp(tx->set[i].section, section) == 0 && strcmp(tx->set[i].key, "type") == 0)
				w = workload_find(tx->set[i].value);
		if (!w || strcmp(key, "type") == 0)
			return SWEEP_NO;
		if (strcmp(key, OOM_ADJ_KEY) == 0)
			return SWEEP_INT;
		const struct opt *o = opt_find(w->opts, key);
		return kind_of_opt(o ? o : opt_find(wl_common_opts, key));
	}
	case SEC_EXPECT:
		return SWEEP_NO;
	case SEC_ACTION:
		return strcmp(key, "at") == 0 || strcmp(key, "after") == 0 ? SWEEP_DURATION : SWEEP_NO;
	}
	return SWEEP_NO;
}

static bool printed(char **names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return true;
	return false;
}

int scenario_write_ini(const struct scen_text *tx, const char *path, bool with_expect)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	fprintf(f, "; %s as mph ran it (one variant: every list replaced by one value)\n", tx->file);
	/* sections in the order their headers (or, for keys given on the command line,
	 * their first key) appear; each once, with all its keys */
	char **done = xcalloc(tx->nhdr + tx->nset + 1, sizeof(char *));
	size_t nd = 0;
	for (size_t h = 0; h < tx->nhdr + tx->nset; h++) {
		const char *sec = h < tx->nhdr ? tx->hdr[h].name : tx->set[h - tx->nhdr].section;
		if (!*sec || printed(done, nd, sec))
			continue;
		done[nd++] = (char *)sec;
		const struct section_def *sd = section_find(sec);
		if (!with_expect && sd && sd->kind == SEC_EXPECT)
			continue;
		fprintf(f, "\n[%s]\n", sec);
		for (size_t i = 0; i < tx->nset; i++)
			if (strcmp(tx->set[i].section, sec) == 0)
				fprintf(f, "%s = %s\n", tx->set[i].key, tx->set[i].value);
	}
	free(done);
	if (fclose(f) != 0) {
		free(buf);
		return -EIO;
	}
	int r = write_file_atomic(path, buf, len);
	free(buf);
	return r;
}
