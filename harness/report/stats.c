/* stats.c - see stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_statistics_double.h>

#include "stats.h"
#include "../core/util.h"

void stats_describe(const double *x, size_t n, struct sample_stats *out)
{
	*out = (struct sample_stats){ .n = n, .mean = NAN, .sd = NAN, .ci95 = NAN, .min = NAN, .max = NAN, .skew = NAN };
	if (n == 0)
		return;
	out->mean = gsl_stats_mean(x, 1, n);
	gsl_stats_minmax(&out->min, &out->max, x, 1, n);
	if (n < 2)
		return;
	out->sd = gsl_stats_sd_m(x, 1, n, out->mean);
	out->ci95 = gsl_cdf_tdist_Qinv(0.025, (double)(n - 1)) * out->sd / sqrt((double)n);
	if (n >= 3 && out->sd > 0)
		out->skew = gsl_stats_skew_m_sd(x, 1, n, out->mean, out->sd);
}

static void no_test(struct stat_result *out, const char *why)
{
	*out = (struct stat_result){ .test = ST_NONE, .stat = NAN, .df = NAN, .p = NAN, .why = why };
}

void stats_welch(const double *a, size_t na, const double *b, size_t nb, struct stat_result *out)
{
	if (na < 2 || nb < 2) {
		no_test(out, "fewer than 2 runs");
		return;
	}
	double ma = gsl_stats_mean(a, 1, na), mb = gsl_stats_mean(b, 1, nb);
	double va = gsl_stats_variance_m(a, 1, na, ma) / (double)na, vb = gsl_stats_variance_m(b, 1, nb, mb) / (double)nb;
	*out = (struct stat_result){ .test = ST_WELCH, .df = NAN, .why = "Welch's t-test" };
	if (va + vb == 0) {
		/* both constant: any difference is not noise */
		out->stat = ma == mb ? 0 : copysign(INFINITY, mb - ma);
		out->p = ma == mb ? 1 : 0;
		out->why = "both samples constant";
		return;
	}
	out->stat = (mb - ma) / sqrt(va + vb);
	out->df = (va + vb) * (va + vb) / (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
	out->p = 2 * gsl_cdf_tdist_Q(fabs(out->stat), out->df);
	if (out->p > 1)
		out->p = 1;
}

struct ranked {
	double v;
	int from; /* 0 a, 1 b */
};

static int cmp_ranked(const void *x, const void *y)
{
	double a = ((const struct ranked *)x)->v, b = ((const struct ranked *)y)->v;
	return (a > b) - (a < b);
}

/* P(U <= u) under the null hypothesis for samples of m and n values without ties:
 * the number of orderings giving each U (f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u): the
 * largest value is an a, beating all n b's, or a b) over C(m+n, m). */
static double mwu_exact_cdf(size_t m, size_t n, double u)
{
	size_t umax = m * n, w = umax + 1;
	double *f = xcalloc((m + 1) * (n + 1) * w, sizeof(*f));
#define F(i, j, k) f[((i) * (n + 1) + (j)) * w + (k)]
	for (size_t i = 0; i <= m; i++)
		for (size_t j = 0; j <= n; j++) {
			if (i == 0 || j == 0) {
				F(i, j, 0) = 1;
				continue;
			}
			for (size_t k = 0; k <= i * j; k++)
				F(i, j, k) = (k >= j ? F(i - 1, j, k - j) : 0) + F(i, j - 1, k);
		}
	double sum = 0;
	for (size_t k = 0; k <= umax && (double)k <= u + 1e-9; k++)
		sum += F(m, n, k);
#undef F
	free(f);
	return sum / gsl_sf_choose((unsigned)(m + n), (unsigned)m);
}

void stats_mwu(const double *a, size_t na, const double *b, size_t nb, struct stat_result *out)
{
	if (na < 2 || nb < 2) {
		no_test(out, "fewer than 2 runs");
		return;
	}
	size_t N = na + nb;
	struct ranked *r = xcalloc(N, sizeof(*r));
	for (size_t i = 0; i < na; i++)
		r[i] = (struct ranked){ a[i], 0 };
	for (size_t i = 0; i < nb; i++)
		r[na + i] = (struct ranked){ b[i], 1 };
	qsort(r, N, sizeof(*r), cmp_ranked);
	double ra = 0, ties = 0;
	for (size_t i = 0; i < N;) {
		size_t j = i;
		while (j + 1 < N && r[j + 1].v == r[i].v)
			j++;
		double t = (double)(j - i + 1), mid = (double)(i + j) / 2 + 1;
		for (size_t k = i; k <= j; k++)
			if (r[k].from == 0)
				ra += mid;
		ties += t * t * t - t;
		i = j + 1;
	}
	free(r);
	double ua = ra - (double)na * (double)(na + 1) / 2, ub = (double)na * (double)nb - ua;
	double u = ua < ub ? ua : ub;
	*out = (struct stat_result){ .test = ST_MWU, .stat = u, .df = NAN, .why = "Mann-Whitney U" };
	if (ties == 0 && na <= STATS_MWU_EXACT_MAX && nb <= STATS_MWU_EXACT_MAX) {
		out->exact = true;
		out->p = 2 * mwu_exact_cdf(na, nb, u);
	} else {
		double mu = (double)na * (double)nb / 2;
		double var = (double)na * (double)nb / 12 * ((double)(N + 1) - ties / ((double)N * (double)(N - 1)));
		if (var <= 0) {
			out->p = 1; /* every value the same */
		} else {
			double z = (fabs(u - mu) - 0.5) / sqrt(var);
			out->p = z <= 0 ? 1 : 2 * gsl_cdf_ugaussian_Q(z);
		}
	}
	if (out->p > 1)
		out->p = 1;
}

void stats_fisher(size_t ka, size_t na, size_t kb, size_t nb, struct stat_result *out)
{
	if (na == 0 || nb == 0 || ka > na || kb > nb) {
		no_test(out, "no runs");
		return;
	}
	unsigned K = (unsigned)(ka + kb), N = (unsigned)(na + nb);
	double seen = gsl_ran_hypergeometric_pdf((unsigned)ka, K, N - K, (unsigned)na), p = 0;
	unsigned lo = K > nb ? K - (unsigned)nb : 0, hi = K < na ? K : (unsigned)na;
	for (unsigned k = lo; k <= hi; k++) {
		double q = gsl_ran_hypergeometric_pdf(k, K, N - K, (unsigned)na);
		if (q <= seen * (1 + 1e-7))
			p += q;
	}
	*out = (struct stat_result){ .test = ST_FISHER, .stat = seen, .df = NAN, .p = p > 1 ? 1 : p,
				     .exact = true, .why = "Fisher's exact test" };
}

void stats_compare(const double *a, size_t na, const double *b, size_t nb, enum stat_choice c,
		   struct stat_result *out)
{
	if (c == SC_AUTO) {
		struct sample_stats sa, sb;
		stats_describe(a, na, &sa);
		stats_describe(b, nb, &sb);
		c = fabs(sa.skew) > 1 || fabs(sb.skew) > 1 ? SC_MWU : SC_WELCH; /* NAN > 1 is false */
		if (c == SC_MWU) {
			stats_mwu(a, na, b, nb, out);
			out->why = "a sample is skewed (|skewness| > 1)";
			return;
		}
	}
	if (c == SC_MWU)
		stats_mwu(a, na, b, nb, out);
	else
		stats_welch(a, na, b, nb, out);
}

const char *stats_test_name(enum stat_test t)
{
	static const char *const n[] = { [ST_NONE] = "none", [ST_WELCH] = "Welch's t-test",
					 [ST_MWU] = "Mann-Whitney U", [ST_FISHER] = "Fisher's exact test" };
	return t <= ST_FISHER ? n[t] : "?";
}

const char *stats_test_mark(enum stat_test t)
{
	static const char *const n[] = { [ST_NONE] = "", [ST_WELCH] = "t", [ST_MWU] = "U", [ST_FISHER] = "F" };
	return t <= ST_FISHER ? n[t] : "";
}
