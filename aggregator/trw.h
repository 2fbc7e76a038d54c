/*
 * Threshold random walk: the scan detector's sequential test on a source's first contacts (Jung,
 * Paxson, Berger, Balakrishnan, "Fast portscan detection using sequential hypothesis testing",
 * IEEE S&P 2004). Each first contact of a source with a host (or a host's port) either succeeds
 * (the connection is set up) or fails (no answer, a reset, an ICMP error). A benign source's
 * first contacts succeed with probability theta0, a scanner's with theta1 < theta0. After each
 * outcome the likelihood ratio of "scanner" over "benign" is multiplied by
 *   theta1 / theta0                   for a success,
 *   (1 - theta1) / (1 - theta0)       for a failure,
 * and the walk ends at the upper threshold eta1 = beta / alpha (a scanner) or the lower one
 * eta0 = (1 - beta) / (1 - alpha) (benign), where alpha is the false-positive rate aimed at and
 * beta the detection rate. With the paper's theta0 = 0.8, theta1 = 0.2, alpha = 0.01 and
 * beta = 0.99, a failure multiplies by 4 and a success by 0.25: four failures in a row from the
 * start (4^4 = 256 >= 99) name a scanner; four successes (0.25^4 = 0.0039 <= 0.0101) clear one.
 *
 * The ratio is kept as its logarithm (sums, no overflow). A walk that has ended stays ended
 * until trw_reset(): the detector decides what a cleared source's later failures mean.
 *
 * No allocation; a struct trw is a few bytes, one per source being watched.
 */
#ifndef UMBRA_AGGREGATOR_TRW_H
#define UMBRA_AGGREGATOR_TRW_H

#include <stdbool.h>
#include <stdint.h>

struct trw_params {
    double theta0; /* P(first contact succeeds | benign), e.g. 0.8 */
    double theta1; /* P(first contact succeeds | scanner), e.g. 0.2; below theta0 */
    double alpha;  /* false-positive rate aimed at, e.g. 0.01 */
    double beta;   /* detection rate aimed at, e.g. 0.99; above alpha */
};

/* The steps and thresholds of a walk, in log-likelihood units, from trw_params. */
struct trw_model {
    double step_success, step_failure; /* log(theta1/theta0) < 0, log((1-theta1)/(1-theta0)) > 0 */
    double upper, lower;               /* log(eta1) > 0, log(eta0) < 0 */
};

enum trw_state {
    TRW_PENDING,
    TRW_SCANNER,
    TRW_BENIGN,
};

struct trw {
    double llr;         /* log-likelihood ratio so far */
    uint32_t successes; /* outcomes seen */
    uint32_t failures;
    enum trw_state state;
};

/* trw_model_init() - the model of @p; -EINVAL (and *@m untouched) unless 0 < theta1 < theta0 < 1
 * and 0 < alpha < beta < 1. */
int trw_model_init(struct trw_model *m, const struct trw_params *p);

/* trw_reset() - a new walk: ratio 1, nothing seen, pending. */
void trw_reset(struct trw *w);

/* trw_observe() - one first contact's outcome; returns the state after it (an ended walk does
 * not move). */
enum trw_state trw_observe(struct trw *w, const struct trw_model *m, bool success);

#endif
