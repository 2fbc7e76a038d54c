/*
 * Beacon fit: how regular a series of connection start times is, and at what period, for the
 * beaconing detector. Implants call home every P seconds, with jitter (a random share of P added
 * or taken away) and missed beats (a sleep, a dropped connection, a sensor that lost a flow):
 * the intervals between starts are then near P, 2P, 3P. A plain coefficient of variation of the
 * intervals calls that irregular; a periodogram of a few dozen events is too coarse. So the
 * series is folded against candidate periods instead:
 *
 *   Candidates: every interval d divided by 1, 2 and 3 (the period is an interval, or a missed
 *   beat's half or third of one).
 *   For a candidate P, each interval d is k = round(d / P) beats (k >= 1); it fits when
 *   |d - k P| <= tol * P and k <= BEACON_FIT_K_MAX. The candidate is refined to the least-squares
 *   period of its fitting intervals, sum(d) / sum(k), and fitted again.
 *   A candidate is admissible only if its fitting intervals miss at most max_missed of their
 *   beats (sum(k - 1) / sum(k)): without that bound, a tiny P would fit anything.
 *   The best candidate fits the most intervals; among equals, the one that misses the fewest
 *   beats (P / 2 fits a series of period P as well, with every other beat "missed"), then the
 *   least dispersed, then the longest.
 *
 * The figures are the detector's to judge (its thresholds are in the config): the period, the
 * share of intervals that fit, the missed-beat share, the dispersion of the fitting intervals
 * around their k P (as a share of P), and, when sizes are given, how regular they are (median
 * absolute deviation over the median).
 *
 * No state, no allocation: the caller passes at most BEACON_FIT_MAX events.
 */
#ifndef UMBRA_AGGREGATOR_BEACON_FIT_H
#define UMBRA_AGGREGATOR_BEACON_FIT_H

#include <stddef.h>
#include <stdint.h>

#define BEACON_FIT_MAX   256 /* events per fit */
#define BEACON_FIT_K_MAX 4   /* beats one interval may span */

struct beacon_fit_params {
    double tol;        /* an interval fits within tol * P of a multiple of P, e.g. 0.1 */
    double max_missed; /* largest share of missed beats allowed, e.g. 0.5 */
};

struct beacon_fit {
    size_t intervals;    /* intervals in the series: events - 1 */
    size_t fitting;      /* of them, those within tol of a multiple of the period */
    double period_ns;    /* 0 when no candidate is admissible */
    double fit_share;    /* fitting / intervals */
    double missed_share; /* beats the fitting intervals skipped, over all their beats */
    double dispersion;   /* RMS of (d - k P) / P over the fitting intervals */
    double size_mad_rel; /* MAD / median of the sizes; -1 without sizes or with median 0 */
    double size_median;  /* bytes; 0 without sizes */
};

/*
 * beacon_fit() - fit @n event times @ts (ns, ascending; equal times are one event each) and,
 * when @sizes is not NULL, their sizes. Fewer than 3 events, more than BEACON_FIT_MAX, or times
 * out of order give -EINVAL and a zeroed @out; otherwise 0 (with period 0 when nothing fits).
 */
int beacon_fit(const uint64_t *ts, const uint64_t *sizes, size_t n,
               const struct beacon_fit_params *p, struct beacon_fit *out);

#endif
