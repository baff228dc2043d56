/* units.c - see units.h. Strict: no leading sign, no spaces inside, no junk after. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Leading decimal digits into *v with overflow check; returns chars consumed or -errno. */
static int parse_digits(const char *s, uint64_t *v)
{
	int n = 0;
	uint64_t x = 0;
	while (isdigit((unsigned char)s[n])) {
		unsigned d = (unsigned)(s[n] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	*v = x;
	return n;
}

static int mul_check(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return -ERANGE;
	*out = a * b;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v, mult = 1;
	int n = parse_digits(s, &v);
	if (n < 0)
		return n;
	const char *p = s + n;
	switch (tolower((unsigned char)*p)) {
	case 'k': mult = 1ULL << 10; p++; break;
	case 'm': mult = 1ULL << 20; p++; break;
	case 'g': mult = 1ULL << 30; p++; break;
	case 't': mult = 1ULL << 40; p++; break;
	default: break;
	}
	if (mult > 1 && (strcasecmp(p, "ib") == 0 || strcasecmp(p, "b") == 0))
		p += strlen(p);
	else if (mult == 1 && strcasecmp(p, "b") == 0)
		p++;
	if (*p)
		return -EINVAL;
	return mul_check(v, mult, out);
}

/* A plain decimal of len chars: digits, at most one '.' with digits on both sides. */
static int parse_decimal(const char *s, size_t len, double *out)
{
	char buf[32];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	int dots = 0;
	for (char *c = buf; *c; c++) {
		if (*c == '.')
			dots++;
		else if (!isdigit((unsigned char)*c))
			return -EINVAL;
	}
	if (dots > 1 || buf[0] == '.' || buf[len - 1] == '.')
		return -EINVAL;
	return sscanf(buf, "%lf", out) == 1 ? 0 : -EINVAL;
}

int parse_size_pct(const char *s, uint64_t base, uint64_t *out, int *was_pct)
{
	size_t len = strlen(s);
	if (len == 0 || s[len - 1] != '%') {
		if (was_pct)
			*was_pct = 0;
		return parse_size(s, out);
	}
	if (was_pct)
		*was_pct = 1;
	double pct;
	int r = parse_decimal(s, len - 1, &pct);
	if (r < 0)
		return r;
	if (pct > 100000.0)
		return -ERANGE;
	if (base == 0)
		return -EDOM;
	double b = (double)base * pct / 100.0;
	if (b >= 18446744073709551615.0)
		return -ERANGE;
	*out = (uint64_t)llround(b);
	return 0;
}

int parse_fraction(const char *s, double *out)
{
	size_t len = strlen(s);
	bool pct = len > 0 && s[len - 1] == '%';
	double v;
	int r = parse_decimal(s, pct ? len - 1 : len, &v);
	if (r < 0)
		return r;
	if (pct)
		v /= 100.0;
	if (v > 1.0)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *out)
{
	if (strcmp(s, "forever") == 0) {
		*out = DURATION_FOREVER;
		return 0;
	}
	uint64_t v, mult;
	int n = parse_digits(s, &v);
	if (n < 0)
		return n;
	const char *p = s + n;
	if (*p == '\0' || strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "m") == 0)
		mult = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		mult = 3600 * 1000;
	else
		return -EINVAL;
	int r = mul_check(v, mult, out);
	if (r == 0 && *out == DURATION_FOREVER)
		return -ERANGE;
	return r;
}

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
			*out = strcasecmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return -EINVAL;
}

const char *format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned i = 0;
	while (v >= 1024.0 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}
