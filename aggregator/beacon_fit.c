/*
 * Beacon fit: phase folding of event intervals against candidate periods (beacon_fit.h).
 */
#include "aggregator/beacon_fit.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One candidate period folded over the intervals. */
struct fold {
    double period;
    size_t fit;
    double beats; /* sum of k over the fitting intervals */
    double span;  /* sum of d over them */
    double sq;    /* sum of ((d - k P) / P)^2 over them */
};

static struct fold fold_at(const double *d, size_t m, double period, double tol)
{
    struct fold f = {.period = period};
    for (size_t i = 0; i < m; i++) {
        if (d[i] <= 0.0)
            continue; /* two events at one time: no interval to fit */
        double k = round(d[i] / period);
        if (k < 1.0)
            k = 1.0;
        if (k > BEACON_FIT_K_MAX)
            continue;
        double r = (d[i] - k * period) / period;
        if (fabs(r) > tol)
            continue;
        f.fit++;
        f.beats += k;
        f.span += d[i];
        f.sq += r * r;
    }
    return f;
}

/* Folded at @period, then at the least-squares period of what fitted. */
static struct fold refine(const double *d, size_t m, double period, double tol)
{
    struct fold f = fold_at(d, m, period, tol);
    if (f.fit == 0)
        return f;
    struct fold g = fold_at(d, m, f.span / f.beats, tol);
    return g.fit >= f.fit ? g : f;
}

/* The share of beats the fitting intervals skipped. */
static double missed(const struct fold *f)
{
    return (f->beats - (double)f->fit) / f->beats;
}

static bool admissible(const struct fold *f, double max_missed)
{
    return f->fit > 0 && missed(f) <= max_missed;
}

/*
 * Whether @f beats @best: more fitting intervals; then fewer missed beats (P / 2 fits a series
 * of period P as well, but "misses" every other beat); then less dispersion (relative to a
 * shorter period the same residuals weigh more); then the longer period (an exact series, where
 * P / 2 ties on the rest).
 */
static bool better(const struct fold *f, const struct fold *best)
{
    if (best->fit == 0 || f->fit != best->fit)
        return f->fit > best->fit;
    double mf = missed(f), mb = missed(best);
    if (mf != mb)
        return mf < mb;
    if (f->sq != best->sq)
        return f->sq < best->sq;
    return f->period > best->period;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of @v (@n > 0 values, sorted in place): the mean of the middle two for even @n. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void size_figures(const uint64_t *sizes, size_t n, struct beacon_fit *out)
{
    double v[BEACON_FIT_MAX];
    for (size_t i = 0; i < n; i++)
        v[i] = (double)sizes[i];
    double med = median(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = fabs(v[i] - med);
    double mad = median(v, n);
    out->size_median = med;
    out->size_mad_rel = med > 0.0 ? mad / med : -1.0;
}

int beacon_fit(const uint64_t *ts, const uint64_t *sizes, size_t n,
               const struct beacon_fit_params *p, struct beacon_fit *out)
{
    memset(out, 0, sizeof(*out));
    out->size_mad_rel = -1.0;
    if (ts == NULL || p == NULL || n < 3 || n > BEACON_FIT_MAX)
        return -EINVAL;
    double d[BEACON_FIT_MAX];
    size_t m = n - 1;
    for (size_t i = 0; i < m; i++) {
        if (ts[i + 1] < ts[i])
            return -EINVAL;
        d[i] = (double)(ts[i + 1] - ts[i]);
    }
    out->intervals = m;
    if (sizes != NULL)
        size_figures(sizes, n, out);

    struct fold best = {0};
    for (size_t i = 0; i < m; i++) {
        for (int div = 1; div <= 3 && d[i] > 0.0; div++) {
            struct fold f = refine(d, m, d[i] / div, p->tol);
            if (admissible(&f, p->max_missed) && better(&f, &best))
                best = f;
        }
    }
    if (best.fit == 0)
        return 0; /* nothing admissible: period 0 */
    out->fitting = best.fit;
    out->period_ns = best.period;
    out->fit_share = (double)best.fit / (double)m;
    out->missed_share = missed(&best);
    out->dispersion = sqrt(best.sq / (double)best.fit);
    return 0;
}
