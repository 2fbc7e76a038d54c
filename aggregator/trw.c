/*
 * Threshold random walk (trw.h has the test and its source).
 */
#include "aggregator/trw.h"

#include <errno.h>
#include <math.h>

int trw_model_init(struct trw_model *m, const struct trw_params *p)
{
    if (!(p->theta1 > 0.0 && p->theta1 < p->theta0 && p->theta0 < 1.0) ||
        !(p->alpha > 0.0 && p->alpha < p->beta && p->beta < 1.0))
        return -EINVAL;
    m->step_success = log(p->theta1 / p->theta0);
    m->step_failure = log((1.0 - p->theta1) / (1.0 - p->theta0));
    m->upper = log(p->beta / p->alpha);
    m->lower = log((1.0 - p->beta) / (1.0 - p->alpha));
    return 0;
}

void trw_reset(struct trw *w)
{
    *w = (struct trw){.state = TRW_PENDING};
}

enum trw_state trw_observe(struct trw *w, const struct trw_model *m, bool success)
{
    if (w->state != TRW_PENDING)
        return w->state;
    if (success) {
        w->successes++;
        w->llr += m->step_success;
    } else {
        w->failures++;
        w->llr += m->step_failure;
    }
    if (w->llr >= m->upper)
        w->state = TRW_SCANNER;
    else if (w->llr <= m->lower)
        w->state = TRW_BENIGN;
    return w->state;
}
