/* test_prom_export.c - integration: a plan's numbers in Prometheus. `mph run --prom`
 * on a real short plan; Debian's promtool accepts the file; Debian's node_exporter,
 * on 127.0.0.1 at a free port with only its textfile collector, serves mph's metrics
 * from it, and a scrape over loopback finds the values run.json holds. The same for
 * `mph record --prom` while it records a command and after it ended. node_exporter
 * is stopped by its pid when the test ends, passed or failed. Without those programs
 * the parts that need them print SKIP with the reason. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "itest.h"
#include "../../harness/core/util.h"

#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter"
#define PROMTOOL "/usr/bin/promtool"

static pid_t exporter = -1, recorder = -1;

/* A port on 127.0.0.1 that nothing listens on now (the kernel's pick). */
static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return ntohs(a.sin_port);
}

/* GET path from 127.0.0.1:port, the body in *body; 0, or -errno (nothing listens yet). */
static int http_get(int port, const char *path, char **body)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = -errno;
		close(s);
		return e;
	}
	char *req = xasprintf("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	ssize_t w = write(s, req, strlen(req));
	free(req);
	char *buf = NULL;
	size_t len = 0;
	for (int rounds = 0; w > 0 && rounds < 10000; rounds++) {
		struct pollfd pf = { s, POLLIN, 0 };
		if (poll(&pf, 1, 5000) <= 0)
			break;
		buf = xrealloc(buf, len + 65536 + 1);
		ssize_t k = read(s, buf + len, 65536);
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(s);
	if (!buf)
		return -EIO;
	buf[len] = '\0';
	char *start = strstr(buf, "\r\n\r\n");
	*body = xstrdup(start ? start + 4 : buf);
	free(buf);
	return 0;
}

static void stop_exporter(void)
{
	if (exporter > 0) {
		(void)kill(exporter, SIGTERM);
		(void)waitpid(exporter, NULL, 0);
		exporter = -1;
	}
}

static int teardown(void **state)
{
	(void)state;
	stop_exporter();
	/* a test that failed half-way: mph record removes its cgroup on SIGTERM */
	if (recorder > 0) {
		(void)kill(recorder, SIGTERM);
		(void)waitpid(recorder, NULL, 0);
		recorder = -1;
	}
	return 0;
}

/* The line of body for metric whose labels include every one of want ("a=\"x\""). */
static const char *sample(const char *body, const char *metric, const char *const *want, size_t n, char *line,
			  size_t len)
{
	size_t ml = strlen(metric);
	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, metric, ml) != 0 || p[ml] != '{')
			continue;
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l >= len)
			continue;
		memcpy(line, p, l);
		line[l] = '\0';
		bool all = true;
		for (size_t i = 0; i < n && all; i++)
			all = strstr(line, want[i]) != NULL;
		if (all)
			return line;
	}
	return NULL;
}

static double value_of(const char *line)
{
	return strtod(strrchr(line, ' ') + 1, NULL);
}

/* promtool accepts the file: exit 0 and no output, not even a lint warning. SKIP
 * without promtool. */
static void promtool_check(const char *file)
{
	if (access(PROMTOOL, X_OK) != 0) {
		printf("SKIP: promtool check metrics: %s not installed (Debian's prometheus)\n", PROMTOOL);
		return;
	}
	char *cmd = xasprintf(PROMTOOL " check metrics <'%s' 2>&1", file), buf[512];
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	int st = pclose(f);
	printf("promtool check metrics %s: exit %d, output: \"%s\"\n", strrchr(file, '/') + 1, WEXITSTATUS(st), buf);
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(buf, "");
	free(cmd);
}

/* node_exporter on 127.0.0.1 at a free port with only its textfile collector reading
 * dir, answering: its port, and its first /metrics in *body. Stopped by teardown. */
static int start_exporter(const char *dir, char **body)
{
	int port = -1;
	*body = NULL;
	/* a port taken between free_port() and the exporter's bind: try another */
	for (int attempt = 0; attempt < 3 && !*body; attempt++) {
		port = free_port();
		assert_true(port > 0);
		char *listen = xasprintf("--web.listen-address=127.0.0.1:%d", port);
		char *tdir = xasprintf("--collector.textfile.directory=%s", dir);
		char *log = xasprintf("%s/node_exporter.log", itest_tmpdir);
		exporter = fork();
		if (exporter == 0) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
			execl(NODE_EXPORTER, NODE_EXPORTER, listen, tdir, "--collector.disable-defaults", "--collector.textfile",
			      (char *)NULL);
			_exit(127);
		}
		assert_true(exporter > 0);
		/* bounded: up to 5 s for it to listen */
		for (int t = 0; t < 250 && !*body; t++) {
			if (http_get(port, "/metrics", body) == 0)
				break;
			if (waitpid(exporter, NULL, WNOHANG) == exporter) {
				exporter = -1;
				break;
			}
			usleep(20000);
		}
		if (!*body)
			stop_exporter();
		free(listen);
		free(tdir);
		free(log);
	}
	if (!*body)
		fail_msg("node_exporter did not answer on 127.0.0.1 (see %s/node_exporter.log)", itest_tmpdir);
	return port;
}

/* What ls -A prints for dir. */
static char *listing(const char *dir)
{
	char *ls = xasprintf("ls -A '%s'", dir), buf[512];
	FILE *f = popen(ls, "r");
	assert_non_null(f);
	size_t got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	pclose(f);
	free(ls);
	return xstrdup(buf);
}

static void test_prom_scrape(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/textfile", itest_tmpdir), *file = xasprintf("%s/mph.prom", dir);
	assert_int_equal(mkdir_p(dir), 0);
	/* one assertion fails on purpose: exit 1 */
	struct proc_out p = itest_mph("run", "--wait", "10m", "--results", itest_results, "--quiet", "--prom", file,
				      "tests/scenarios/int/ci-short.ini", NULL);
	if (p.code != 1)
		fail_msg("exit %d:\n%s\n%s", p.code, p.out, p.err);
	char *text = NULL;
	assert_int_equal(read_file(file, &text, NULL), 0);
	assert_non_null(strstr(text, "# TYPE mph_peak_usage_bytes gauge\n"));
	assert_non_null(strstr(text, "# TYPE mph_oom_kills_total counter\n"));
	/* written by rename: no temporary file is left beside it */
	char *ls = listing(dir);
	assert_string_equal(ls, "mph.prom\n");
	free(ls);

	promtool_check(file);

	if (access(NODE_EXPORTER, X_OK) != 0) {
		printf("SKIP: node_exporter scrape: %s not installed (Debian's prometheus-node-exporter)\n", NODE_EXPORTER);
		goto out;
	}
	char *body = NULL;
	int port = start_exporter(dir, &body);
	printf("scraped http://127.0.0.1:%d/metrics, mph's lines:\n", port);
	for (const char *l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "mph_", 4) == 0 && (strncmp(l, "mph_peak_usage", 14) == 0 || strncmp(l, "mph_oom_kills_total", 19) == 0 ||
						   strncmp(l, "mph_expectation_passed", 22) == 0))
			printf("  %.*s\n", (int)(strchr(l, '\n') ? strchr(l, '\n') - l : (long)strlen(l)), l);

	char line[1024];
	assert_non_null(strstr(body, "node_textfile_scrape_error 0"));
	/* the values of run.json, through node_exporter */
	char *plan_path = itest_last_line(&p);
	json_t *plan = json_load_file(plan_path, 0, NULL);
	assert_non_null(plan);
	*strrchr(plan_path, '/') = '\0';
	size_t i;
	json_t *job;
	json_array_foreach(json_object_get(plan, "jobs"), i, job) {
		char *rj = xasprintf("%s/%s/run.json", plan_path, itest_str(job, "dir"));
		json_t *run = json_load_file(rj, 0, NULL);
		assert_non_null(run);
		char *v = xasprintf("variant=\"%s\"", itest_str(job, "variant"));
		char *k = xasprintf("kernel=\"%s\"", itest_str(run, "machine.kernel.release"));
		const char *want[] = { v, k, "scenario=\"ci-short\"", "repeat=\"1\"" };
		if (!sample(body, "mph_peak_usage_bytes", want, 4, line, sizeof(line)))
			fail_msg("no mph_peak_usage_bytes for %s, %s", v, k);
		assert_true(value_of(line) == (double)itest_num(run, "recorder.peak_usage_bytes"));
		assert_non_null(sample(body, "mph_oom_kills_total", want, 4, line, sizeof(line)));
		assert_true(value_of(line) == (double)json_array_size(json_object_get(run, "oom_kills")));
		const char *fits[] = { v, k, "assertion=\"fits\"" };
		assert_non_null(sample(body, "mph_expectation_passed", fits, 3, line, sizeof(line)));
		assert_true(value_of(line) == (strcmp(itest_str(job, "variant"), "max=96M") == 0 ? 1.0 : 0.0));
		const char *leaker[] = { v, "workload=\"leaker\"", "outcome=\"" };
		assert_non_null(sample(body, "mph_workload_outcome_info", leaker, 3, line, sizeof(line)));
		free(v);
		free(k);
		free(rj);
		json_decref(run);
	}
	json_decref(plan);
	free(plan_path);
	free(body);
	stop_exporter();
out:
	free(text);
	free(file);
	free(dir);
	itest_proc_free(&p);
	itest_check_clean();
}

/* The value of metric in text (any labels), or -1 when it has no such line. */
static double metric_in(const char *text, const char *metric)
{
	char line[1024];
	return text && sample(text, metric, NULL, 0, line, sizeof(line)) ? value_of(line) : -1;
}

#define MIB (1024.0 * 1024.0)

/* mph record --prom on a command that fills 16 MiB and holds it for 3 s: FILE exists
 * while it runs, parses, and its usage grows to about 16 MiB; node_exporter serves it
 * live; after the end FILE holds the summary of record.json, without the values "now". */
static void test_record_prom(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/textfile-rec", itest_tmpdir), *file = xasprintf("%s/rec.prom", dir);
	char *out = xasprintf("%s/rec", itest_tmpdir);
	assert_int_equal(mkdir_p(dir), 0);
	bool scrape = access(NODE_EXPORTER, X_OK) == 0;
	char *body = NULL;
	int port = scrape ? start_exporter(dir, &body) : -1; /* before mph: it scrapes the live file */
	free(body);
	body = NULL;
	const char *argv[] = { NULL, "record", "--wait", "10m", "--out", out, "--memory-max", "64M", "--interval", "100ms",
			       "--prom", file, "--prom-interval", "500ms", "--", "sh", "-c",
			       "workloads/anonleak --size=16M --hold=3s", NULL };
	pid_t mph = recorder = itest_spawn("rec", argv);
	assert_true(mph > 0);

	/* bounded: up to 3 s (the command holds its 16 MiB for 3 s) */
	double seen[64];
	size_t nseen = 0;
	char *text = NULL;
	for (int t = 0; t < 60; t++, usleep(50000)) {
		free(text);
		text = NULL;
		if (read_file(file, &text, NULL) < 0)
			continue;
		double u = metric_in(text, "mph_record_memory_usage_bytes");
		if (u >= 0 && (nseen == 0 || u != seen[nseen - 1]) && nseen < ARRAY_SIZE(seen))
			seen[nseen++] = u;
		if (u >= 16 * MIB)
			break;
	}
	printf("mph_record_memory_usage_bytes while recording:");
	for (size_t i = 0; i < nseen; i++)
		printf(" %.0f", seen[i]);
	printf("\n");
	if (!text)
		fail_msg("%s was not written while recording", file);
	/* growing, to about 16 MiB: the command's anonymous memory and a little more */
	for (size_t i = 1; i < nseen; i++)
		assert_true(seen[i] > seen[i - 1]);
	assert_true(nseen > 0 && seen[nseen - 1] >= 16 * MIB && seen[nseen - 1] <= 20 * MIB);
	assert_true(metric_in(text, "mph_record_running") == 1);
	assert_true(metric_in(text, "mph_record_memory_limit_bytes") == 64 * MIB);
	assert_true(metric_in(text, "mph_record_oom_kills_total") == 0);
	char line[1024];
	const char *leaker[] = { "comm=\"anonleak\"" };
	assert_non_null(sample(text, "mph_record_process_rss_bytes", leaker, 1, line, sizeof(line)));
	assert_true(value_of(line) >= 16 * MIB);
	char *live = xasprintf("%s/live.prom", itest_tmpdir);
	FILE *lf = fopen(live, "we");
	assert_non_null(lf);
	fputs(text, lf);
	assert_int_equal(fclose(lf), 0);
	promtool_check(live);

	if (scrape) {
		assert_int_equal(http_get(port, "/metrics", &body), 0);
		printf("scraped http://127.0.0.1:%d/metrics while recording, mph's lines:\n", port);
		for (const char *l = body; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (strncmp(l, "mph_record_", 11) == 0)
				printf("  %.*s\n", (int)(strchr(l, '\n') ? strchr(l, '\n') - l : (long)strlen(l)), l);
		assert_non_null(strstr(body, "node_textfile_scrape_error 0"));
		assert_true(metric_in(body, "mph_record_running") == 1);
		assert_true(metric_in(body, "mph_record_memory_usage_bytes") >= 16 * MIB);
		stop_exporter();
	} else {
		printf("SKIP: node_exporter scrape: %s not installed (Debian's prometheus-node-exporter)\n", NODE_EXPORTER);
	}

	int st;
	assert_int_equal(waitpid(mph, &st, 0), mph);
	recorder = -1;
	char *err = xasprintf("%s/rec.err", itest_tmpdir), *errs = NULL;
	(void)read_file(err, &errs, NULL);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("mph record: status %d:\n%s", st, errs ? errs : "");
	char *rj = xasprintf("%s/record.json", out);
	json_t *rec = json_load_file(rj, 0, NULL);
	assert_non_null(rec);
	free(text);
	text = NULL;
	assert_int_equal(read_file(file, &text, NULL), 0);
	/* the summary: record.json's numbers; nothing "now" */
	assert_true(metric_in(text, "mph_record_running") == 0);
	assert_true(metric_in(text, "mph_record_memory_peak_bytes") == (double)itest_num(rec, "recorder.peak_usage_bytes"));
	assert_true(metric_in(text, "mph_record_command_exit_code") == 0);
	assert_true(metric_in(text, "mph_record_processes_seen_total") == (double)json_array_size(json_object_get(rec, "processes")));
	assert_true(metric_in(text, "mph_record_memory_usage_bytes") == -1);
	assert_true(metric_in(text, "mph_record_process_rss_bytes") == -1);
	char *want = xasprintf("cgroup=\"%s\"", itest_str(rec, "cgroup_path"));
	assert_non_null(strstr(text, want));
	promtool_check(file);
	char *ls = listing(dir);
	assert_string_equal(ls, "rec.prom\n"); /* every refresh by rename: no temporary file left */
	printf("%s after the recording:\n%s", file, text);

	free(ls);
	free(want);
	json_decref(rec);
	free(rj);
	free(errs);
	free(err);
	free(live);
	free(body);
	free(text);
	free(out);
	free(file);
	free(dir);
	itest_check_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prom_scrape, itest_each_setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_prom, itest_each_setup, teardown),
	};
	return itest_run_group("prometheus", tests, itest_group_setup, itest_group_teardown);
}
