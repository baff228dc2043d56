/* test_report_browser.c - integration: `mph report` of a real plan and run
 * (tests/data/plots) opened in a real browser. Headless Chromium takes screenshots at
 * a desktop's and at a phone's width; each PNG is decoded here (zlib) and must not be
 * blank: more than one colour in most horizontal bands of the page. The browser's
 * console (--enable-logging=stderr) must stay silent - the page has no script, so any
 * console line is an error - and a control page that does log proves the check sees
 * it. Nothing in the page may point outside it. Chromium, started here, is waited for
 * with a deadline and killed by its own process group if it hangs; its profile
 * directory is removed. Without chromium or gnuplot the test prints SKIP. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "../../harness/core/util.h"

static char tmp[64];
static const char *chromium;

/* --- a PNG decoder of the two kinds Chromium writes (8-bit RGB, RGBA) ------------- */

struct image {
	unsigned w, h, bpp;
	unsigned char *px; /* h rows of w * bpp bytes */
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int png_decode(const char *path, struct image *img)
{
	char *s;
	size_t n;
	if (read_file(path, &s, &n) < 0 || n < 33 || memcmp(s, "\x89PNG\r\n\x1a\n", 8) != 0)
		return -EINVAL;
	const unsigned char *p = (const unsigned char *)s + 8, *end = (const unsigned char *)s + n;
	unsigned char *idat = NULL;
	size_t ilen = 0;
	int depth = 0, ctype = 0;
	while (p + 12 <= end) {
		uint32_t len = be32(p);
		const unsigned char *type = p + 4, *d = p + 8;
		if (d + len + 4 > end)
			break;
		if (memcmp(type, "IHDR", 4) == 0) {
			img->w = be32(d), img->h = be32(d + 4), depth = d[8], ctype = d[9];
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = xrealloc(idat, ilen + len);
			memcpy(idat + ilen, d, len);
			ilen += len;
		}
		p = d + len + 4;
	}
	free(s);
	if (depth != 8 || (ctype != 2 && ctype != 6) || !img->w || !img->h) {
		free(idat);
		return -ENOTSUP;
	}
	img->bpp = ctype == 6 ? 4 : 3;
	size_t stride = (size_t)img->w * img->bpp;
	uLongf rawlen = (uLongf)((stride + 1) * img->h);
	unsigned char *raw = xcalloc(rawlen, 1);
	if (uncompress(raw, &rawlen, idat, ilen) != Z_OK || rawlen != (stride + 1) * img->h) {
		free(idat), free(raw);
		return -EINVAL;
	}
	free(idat);
	img->px = xcalloc(stride * img->h, 1);
	for (unsigned y = 0; y < img->h; y++) {
		const unsigned char *f = raw + y * (stride + 1);
		unsigned char *row = img->px + y * stride, *up = y ? row - stride : NULL;
		for (size_t x = 0; x < stride; x++) {
			int a = x >= img->bpp ? row[x - img->bpp] : 0, b = up ? up[x] : 0,
			    c = up && x >= img->bpp ? up[x - img->bpp] : 0, v = f[1 + x];
			switch (f[0]) {
			case 1: v += a; break;
			case 2: v += b; break;
			case 3: v += (a + b) / 2; break;
			case 4: v += paeth(a, b, c); break;
			}
			row[x] = (unsigned char)v;
		}
	}
	free(raw);
	return 0;
}

/* of bands horizontal bands, how many hold more than one colour */
static unsigned bands_with_content(const struct image *img, unsigned bands)
{
	unsigned ok = 0;
	size_t stride = (size_t)img->w * img->bpp;
	for (unsigned b = 0; b < bands; b++) {
		unsigned y0 = img->h * b / bands, y1 = img->h * (b + 1) / bands;
		const unsigned char *first = img->px + (size_t)y0 * stride;
		bool differs = false;
		for (unsigned y = y0; y < y1 && !differs; y++)
			for (unsigned x = 0; x < img->w && !differs; x++)
				differs = memcmp(img->px + y * stride + x * img->bpp, first, 3) != 0;
		ok += differs;
	}
	return ok;
}

/* --- chromium ------------------------------------------------------------------- */

static const char *find_chromium(void)
{
	static const char *const names[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (access(names[i], X_OK) == 0)
			return names[i];
	return NULL;
}

/* Screenshot url at width x height into png; chromium's stderr into log. Returns its
 * exit status, or -1 when it had to be killed. */
static int screenshot(const char *url, const char *png, const char *log, unsigned width, unsigned height)
{
	char *ud = xasprintf("%s/profile", tmp), *shot = xasprintf("--screenshot=%s", png),
	     *udarg = xasprintf("--user-data-dir=%s", ud), *size = xasprintf("--window-size=%u,%u", width, height);
	fflush(stdout);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0); /* its own group: its helpers go with it if it must be killed */
		FILE *e = freopen(log, "w", stderr);
		(void)e;
		FILE *o = freopen("/dev/null", "w", stdout);
		(void)o;
		execl(chromium, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		      "--disable-background-networking", "--disable-component-update", "--disable-sync",
		      "--enable-logging=stderr", "--v=0", "--hide-scrollbars", udarg, size, shot, url, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	int st = 0, r = -1;
	for (unsigned waited = 0; waited < 60000; waited += 50) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid) {
			r = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	if (r < 0) {
		(void)kill(-pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
	}
	(void)rm_rf(ud);
	free(ud), free(shot), free(udarg), free(size);
	return r;
}

static char *console_lines(const char *log)
{
	char *s = NULL, *out = NULL;
	size_t n, len = 0;
	FILE *f = open_memstream(&out, &len);
	if (read_file(log, &s, &n) == 0)
		for (char *save = NULL, *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strstr(line, ":CONSOLE"))
				fprintf(f, "%s\n", line);
	fclose(f);
	free(s);
	return out;
}

static void check_shot(const char *png, unsigned min_colours_bands_pct)
{
	struct image img = { 0 };
	int r = png_decode(png, &img);
	if (r < 0)
		fail_msg("%s: not a PNG this test can read (%d)", png, r);
	unsigned bands = 20, ok = bands_with_content(&img, bands);
	printf("# %s: %ux%u, %u of %u bands with more than one colour\n", png, img.w, img.h, ok, bands);
	if (ok * 100 < bands * min_colours_bands_pct)
		fail_msg("%s looks blank: only %u of %u bands have more than one colour", png, ok, bands);
	free(img.px);
}

/* the report at a desktop's and a phone's width: drawn, and nothing on the console */
static void test_report_in_chromium(void **state)
{
	(void)state;
	char *html = xasprintf("%s/report.html", tmp), *cmd;
	const char *d = getenv("MPH_TEST_DATA") && *getenv("MPH_TEST_DATA") ? getenv("MPH_TEST_DATA") : "tests";
	cmd = xasprintf("./mph report %s/data/plots/sweep-swappiness %s/data/plots/run-oom-swap -o %s >/dev/null", d, d, html);
	fflush(stdout);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	/* self-contained: the only URLs are the SVG namespace names, which nothing fetches */
	char *page;
	size_t n;
	assert_int_equal(read_file(html, &page, &n), 0);
	for (const char *p = page; (p = strstr(p, "http")); p++)
		if (strncmp(p, "http://www.w3.org/2000/svg", 26) != 0 && strncmp(p, "http://www.w3.org/1999/xlink", 28) != 0 &&
		    (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0))
			fail_msg("the page points outside itself: %.60s", p);
	assert_non_null(strstr(page, "<svg"));
	free(page);
	char *url = xasprintf("file://%s", html);
	const struct { const char *name; unsigned w, h; } views[] = { { "desktop", 1100, 2400 }, { "phone", 390, 2400 } };
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		char *png = xasprintf("%s/report-%s.png", tmp, views[i].name), *log = xasprintf("%s/%s.log", tmp, views[i].name);
		int r = screenshot(url, png, log, views[i].w, views[i].h);
		if (r != 0)
			fail_msg("chromium exited %d (log: %s)", r, log);
		check_shot(png, 80);
		char *console = console_lines(log);
		if (*console)
			fail_msg("the browser's console is not empty:\n%s", console);
		free(console);
		/* kept for a person to look at: MPH_KEEP_SCREENSHOT=DIR */
		const char *keep = getenv("MPH_KEEP_SCREENSHOT");
		if (keep && *keep) {
			char *dst = xasprintf("%s/report-%s.png", keep, views[i].name), *c2 = xasprintf("cp %s %s", png, dst);
			fflush(stdout);
			if (system(c2) == 0)
				printf("# screenshot: %s\n", dst);
			free(dst), free(c2);
		}
		free(png), free(log);
	}
	free(url), free(html);
}

/* The console check sees what a page logs: a control page with console.error. */
static void test_console_check_sees_errors(void **state)
{
	(void)state;
	char *page = xasprintf("%s/control.html", tmp), *url = xasprintf("file://%s", page);
	char *png = xasprintf("%s/control.png", tmp), *log = xasprintf("%s/control.log", tmp);
	FILE *f = fopen(page, "w");
	assert_non_null(f);
	fputs("<!DOCTYPE html><html><body><p>control</p><script>console.error('mph-control-error')</script></body></html>\n", f);
	fclose(f);
	assert_int_equal(screenshot(url, png, log, 400, 300), 0);
	char *console = console_lines(log);
	if (!strstr(console, "mph-control-error"))
		fail_msg("chromium's log did not show the control page's console.error; the check would miss errors");
	free(console), free(page), free(url), free(png), free(log);
}

int main(void)
{
	chromium = find_chromium();
	if (!chromium) {
		printf("SKIP: chromium is not installed (Debian: chromium; make deps)\n");
		return 0;
	}
	if (system("gnuplot --version >/dev/null 2>&1") != 0) {
		printf("SKIP: gnuplot is not installed (Debian: gnuplot-nox; make deps)\n");
		return 0;
	}
	if (access("./mph", X_OK) != 0) {
		printf("SKIP: ./mph is not built (make all)\n");
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "/tmp/mph-browser-XXXXXX");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_in_chromium),
		cmocka_unit_test(test_console_check_sees_errors),
	};
	int r = cmocka_run_group_tests_name("report in a browser", tests, NULL, NULL);
	(void)rm_rf(tmp);
	return r;
}
