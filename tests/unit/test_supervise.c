/* test_supervise.c - the supervisor's bounds on what a workload sends it (report lines
 * read per wake-up, bad and overlong lines, reports.jsonl's share, the last line kept)
 * fed through a real pipe; the signals that stop a run; write-error accounting and
 * run.json's fallback. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../harness/host/result.h"
#include "../../harness/host/supervise.h"
#include "../../harness/core/util.h"

/* One workload "w" whose report pipe's read end is fed by the test. */
struct fixture {
	struct supervisor s;
	struct wl_proc w;
	int wr;
	char log[64];
};

static void fx_open(struct fixture *f, uint64_t reports_max)
{
	memset(f, 0, sizeof(*f));
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* room for more than one wake-up's budget */
	f->w.name = "w";
	f->w.report_fd = p[0];
	f->w.pidfd = -1;
	f->wr = p[1];
	f->s.w = &f->w;
	f->s.n = 1;
	f->s.t0 = now_s();
	f->s.reports_max = reports_max;
	strcpy(f->log, "/tmp/mph-test-reports-XXXXXX");
	int fd = mkstemp(f->log);
	assert_true(fd >= 0);
	f->s.reports_log = fdopen(fd, "w");
}

static void fx_write(struct fixture *f, const char *text)
{
	assert_int_equal(write_all(f->wr, text, strlen(text)), 0);
}

/* Read until EOF, as the loop would, wake-up after wake-up. */
static void fx_drain(struct fixture *f)
{
	close(f->wr);
	f->wr = -1;
	while (sup_read_reports(&f->s, &f->w))
		;
	fflush(f->s.reports_log);
}

static long fx_log_size(const struct fixture *f)
{
	struct stat st;
	assert_int_equal(stat(f->log, &st), 0);
	return (long)st.st_size;
}

static void fx_close(struct fixture *f)
{
	if (f->wr >= 0)
		close(f->wr);
	close(f->w.report_fd);
	fclose(f->s.reports_log);
	unlink(f->log);
	json_decref(f->w.start);
	json_decref(f->w.last_progress);
	json_decref(f->w.final);
	free(f->w.children);
	free(f->w.held);
}

#define REC(type) "{\"type\":\"" type "\",\"workload\":\"w\",\"t\":0.5}\n"

/* A flood is read one budget per wake-up, so the loop gets back to its deadlines. */
static void test_read_budget(void **state)
{
	(void)state;
	struct fixture f;
	fx_open(&f, 0);
	char *chunk = xcalloc(4096 + 1, 1);
	for (size_t i = 0; i < 4096; i += 2)
		memcpy(chunk + i, "y\n", 2);
	size_t total = 0;
	while (total < 4 * SUP_READ_BUDGET && write(f.wr, chunk, 4096) == 4096)
		total += 4096;
	assert_true(total > 2 * SUP_READ_BUDGET); /* the pipe took more than one budget */
	assert_int_equal(sup_read_reports(&f.s, &f.w), 1);
	int left = 0;
	assert_int_equal(ioctl(f.w.report_fd, FIONREAD, &left), 0);
	assert_int_equal((size_t)left, total - SUP_READ_BUDGET);
	free(chunk);
	fx_drain(&f);
	assert_int_equal(f.w.bad_lines, total / 2);
	assert_int_equal(fx_log_size(&f), 0); /* not one "y" copied */
	fx_close(&f);
}

/* Only records of the contract are used and copied; other lines are counted. */
static void test_bad_lines_not_copied(void **state)
{
	(void)state;
	struct fixture f;
	fx_open(&f, 0);
	fx_write(&f, "y\n[1,2]\n{\"type\":\"start\"}\n{\"workload\":\"w\",\"t\":1}\n{not json}\n" REC("start") REC("final"));
	fx_drain(&f);
	assert_int_equal(f.w.bad_lines, 5);
	assert_int_equal(f.w.nreports, 2);
	assert_non_null(f.w.start);
	assert_non_null(f.w.final);
	char *log = NULL;
	assert_int_equal(read_file(f.log, &log, NULL), 0);
	assert_non_null(strstr(log, "\"record\":{\"type\":\"start\""));
	assert_null(strstr(log, "not json"));
	assert_int_equal(strchr(strchr(log, '\n') + 1, '\n')[1], '\0'); /* two lines */
	free(log);
	fx_close(&f);
}

/* A line longer than the maximum is one bad line, up to its newline; the next counts. */
static void test_overlong_line(void **state)
{
	(void)state;
	struct fixture f;
	fx_open(&f, 0);
	size_t n = SUP_REPORT_LINE_MAX + 5000;
	char *big = xcalloc(n + 1, 1);
	memset(big, 'a', n);
	fx_write(&f, big);
	fx_write(&f, "\n" REC("final"));
	fx_drain(&f);
	assert_int_equal(f.w.bad_lines, 1);
	assert_int_equal(f.w.nreports, 1);
	assert_non_null(f.w.final);
	free(big);
	fx_close(&f);
}

/* reports.jsonl gets at most reports_max bytes of a workload; the rest is dropped and
 * counted, except the last line, so a final record survives a flood. */
static void test_reports_max_keeps_the_last_line(void **state)
{
	(void)state;
	struct fixture f;
	fx_open(&f, 4096);
	for (int i = 0; i < 1000; i++)
		fx_write(&f, REC("phase"));
	fx_write(&f, REC("final"));
	fx_drain(&f);
	assert_true(fx_log_size(&f) <= 4096);
	assert_true(f.w.report_bytes <= 4096);
	assert_true(f.w.dropped_lines > 900);
	assert_int_equal(f.w.dropped_bytes, f.w.dropped_lines * strlen(REC("phase")));
	assert_non_null(f.w.final); /* used, though there was no room to copy it */
	json_t *io = sup_io_json(&f.s, &f.w);
	assert_true(json_is_true(json_object_get(io, "report_truncated")));
	assert_int_equal(json_integer_value(json_object_get(io, "report_dropped_bytes")), (json_int_t)f.w.dropped_bytes);
	assert_true(json_is_null(json_object_get(io, "stderr_bytes"))); /* not passed through here */
	json_decref(io);
	fx_close(&f);
}

/* Within one tick at most SUP_REPORT_TICK_MAX bytes of lines are taken. */
static void test_tick_bound(void **state)
{
	(void)state;
	struct fixture f;
	fx_open(&f, 1ULL << 30);
	size_t line = strlen(REC("phase")), n = 0;
	char *chunk = xcalloc(line * 64 + 1, 1);
	for (int i = 0; i < 64; i++)
		strcat(chunk, REC("phase"));
	/* 1.5 ticks' worth, read at once (the test is far quicker than a tick) */
	while (n * line < SUP_REPORT_TICK_MAX * 3 / 2) {
		if (write(f.wr, chunk, line * 64) < 0) {
			assert_int_equal(errno, EAGAIN);
			assert_int_equal(sup_read_reports(&f.s, &f.w), 1);
			continue;
		}
		n += 64;
	}
	close(f.wr);
	f.wr = -1;
	uint64_t t0 = now_ms();
	while (sup_read_reports(&f.s, &f.w))
		;
	if (now_ms() - t0 < SUP_REPORT_TICK_MS / 2) { /* one tick (else the machine was too slow to tell) */
		assert_true(f.w.nreports * line <= SUP_REPORT_TICK_MAX + line);
		assert_true(f.w.dropped_lines > 0);
	}
	assert_int_equal(f.w.nreports + f.w.dropped_lines, n);
	free(chunk);
	fx_close(&f);
}

static int sig_read(int fd)
{
	struct signalfd_siginfo si;
	return read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

/* Every terminating signal that can be caught becomes an event; SIGPIPE does not
 * kill: the write fails with EPIPE. A signal left pending at the end (during the
 * teardown) is returned and does not end the process; the mask then stays. Last:
 * it changes the test process's mask. */
static void test_signals(void **state)
{
	(void)state;
	sigset_t old;
	int fd = sup_signals_begin(&old);
	assert_true(fd >= 0);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGPWR };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		raise(sigs[i]);
		assert_int_equal(sig_read(fd), sigs[i]);
	}
	raise(SIGRTMIN + 1);
	assert_int_equal(sig_read(fd), SIGRTMIN + 1);
	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	raise(SIGPIPE);
	assert_int_equal(write(p[1], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	assert_int_equal(sig_read(fd), 0); /* neither was an event */
	/* not interrupted yet: everything is restored */
	assert_int_equal(sup_signal_caught(), 0);
	assert_int_equal(sup_signals_end(fd, &old), 0);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	assert_false(sigismember(&now, SIGTERM));
	/* a second run: a SIGTERM after its loop stopped reading */
	fd = sup_signals_begin(&old);
	raise(SIGTERM);
	assert_int_equal(sup_signals_end(fd, &old), SIGTERM); /* alive: it was taken */
	assert_int_equal(sup_signal_caught(), SIGTERM);
	raise(SIGTERM); /* and one more, on the way out: still blocked */
	sigprocmask(SIG_SETMASK, NULL, &now);
	assert_true(sigismember(&now, SIGTERM));
}

static void test_write_err(void **state)
{
	(void)state;
	struct write_err e = { 0, 0 };
	assert_null(write_err_msg(&e, "f"));
	write_err_note(&e, ENOSPC);
	char *m = write_err_msg(&e, "/r/samples.csv");
	assert_string_equal(m, "writing /r/samples.csv failed: No space left on device");
	free(m);
	write_err_note(&e, EIO); /* the first error is the one named */
	write_err_note(&e, EIO);
	m = write_err_msg(&e, "/r/samples.csv");
	assert_string_equal(m, "writing /r/samples.csv failed: No space left on device (3 failed writes)");
	free(m);
}

/* run.json that cannot be written goes to the fallback, and its errors say so. */
static void test_result_fallback(void **state)
{
	(void)state;
	char dir[] = "/tmp/mph-test-result-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *bad = xasprintf("%s/missing/run.json", dir), *fb = xasprintf("%s/state/results/x-1.json", dir);
	json_t *out = json_pack("{s:s, s:[]}", "schema", RUN_SCHEMA, "errors");
	const char *written = NULL;
	assert_int_equal(result_save(out, bad, fb, &written), -ENOENT);
	assert_ptr_equal(written, fb);
	json_t *back = json_load_file(fb, 0, NULL);
	assert_non_null(back);
	const char *msg = json_string_value(json_array_get(json_object_get(back, "errors"), 0));
	char *want = xasprintf("cannot write %s: No such file or directory; run.json written to %s instead", bad, fb);
	assert_string_equal(msg, want);
	free(want);
	json_decref(back);
	/* the normal case: the path itself, nothing added */
	char *good = xasprintf("%s/run.json", dir);
	json_array_clear(json_object_get(out, "errors"));
	assert_int_equal(result_save(out, good, fb, &written), 0);
	assert_ptr_equal(written, good);
	assert_int_equal(json_array_size(json_object_get(out, "errors")), 0);
	json_decref(out);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(good);
	free(bad);
	free(fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_budget),
		cmocka_unit_test(test_bad_lines_not_copied),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_reports_max_keeps_the_last_line),
		cmocka_unit_test(test_tick_bound),
		cmocka_unit_test(test_write_err),
		cmocka_unit_test(test_result_fallback),
		cmocka_unit_test(test_signals), /* last: leaves termination signals blocked */
	};
	return cmocka_run_group_tests_name("supervise", tests, NULL, NULL);
}
