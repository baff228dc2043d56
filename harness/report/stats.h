/* stats.h - the statistics of a comparison (mph compare, mph ab): a sample's mean,
 * spread and confidence interval, and whether two samples differ: Welch's t-test,
 * the Mann-Whitney U test (exact distribution for small samples without ties, the
 * normal approximation otherwise) and Fisher's exact test for counts of outcomes.
 * Distributions come from GSL (gsl_cdf_tdist_*, gsl_cdf_ugaussian_*,
 * gsl_ran_hypergeometric_pdf); only the U statistic's exact null distribution is
 * counted here, because GSL has none. Pure functions: no I/O, nothing logged. */
#ifndef MPH_STATS_H
#define MPH_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct sample_stats {
	size_t n;
	double mean;
	double sd;     /* sample standard deviation (n - 1); NAN when n < 2 */
	double ci95;   /* half-width of the 95% confidence interval of the mean (Student's t); NAN when n < 2 */
	double min, max;
	double skew;   /* sample skewness (GSL's g1); NAN when n < 3 or the values are all equal */
};

/* x[0..n) described; n 0 gives n 0 and NANs. */
void stats_describe(const double *x, size_t n, struct sample_stats *out);

enum stat_test {
	ST_NONE,     /* no test: a sample has fewer than 2 values */
	ST_WELCH,    /* Welch's unequal-variances t-test */
	ST_MWU,      /* Mann-Whitney U (two-sided) */
	ST_FISHER,   /* Fisher's exact test on a 2x2 table of counts */
};

/* How compare picks a test (docs/decisions.md, "Which test"). */
enum stat_choice { SC_AUTO, SC_WELCH, SC_MWU };

struct stat_result {
	enum stat_test test;
	double stat;     /* t, U (the smaller of U_a, U_b), or the table's probability */
	double df;       /* Welch: Welch-Satterthwaite degrees of freedom; else NAN */
	double p;        /* two-sided p-value; NAN for ST_NONE */
	bool exact;      /* MWU: the exact null distribution was used */
	const char *why; /* why this test (static text): "skewed sample", "fewer than 2 runs", ... */
};

/* Welch's t-test of b against a. Two samples that are both constant give p 0 when
 * their values differ (no noise can explain the difference) and 1 when they do not.
 * A sample with fewer than 2 values gives ST_NONE. */
void stats_welch(const double *a, size_t na, const double *b, size_t nb, struct stat_result *out);
/* Mann-Whitney U, two-sided, midranks for ties: exact when there are no ties and
 * both samples have at most STATS_MWU_EXACT_MAX values, else the normal
 * approximation with the tie correction and a continuity correction of 1/2. */
#define STATS_MWU_EXACT_MAX 20
void stats_mwu(const double *a, size_t na, const double *b, size_t nb, struct stat_result *out);
/* Fisher's exact test, two-sided: ka of na runs against kb of nb runs (the runs
 * with some outcome). p sums the tables at most as likely as the observed one. */
void stats_fisher(size_t ka, size_t na, size_t kb, size_t nb, struct stat_result *out);
/* The test choice applied: SC_AUTO takes Welch unless a sample of 3 or more values is
 * skewed (|skewness| > 1), where it takes Mann-Whitney. */
void stats_compare(const double *a, size_t na, const double *b, size_t nb, enum stat_choice c,
		   struct stat_result *out);

const char *stats_test_name(enum stat_test t);  /* "Welch's t-test", ... */
const char *stats_test_mark(enum stat_test t);  /* "t", "U", "F", "" */

#endif
