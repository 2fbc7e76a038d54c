/*
 * trw: with the parameters of Jung et al. (theta0 0.8, theta1 0.2, alpha 0.01, beta 0.99) a
 * failure multiplies the likelihood ratio by 4 and a success by 1/4; the thresholds are 99 and
 * 1/99 (0.0101...). The sequences below are worked out by hand with those factors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "aggregator/trw.h"

static const struct trw_params paper = {.theta0 = 0.8, .theta1 = 0.2, .alpha = 0.01, .beta = 0.99};

/* Feeds @seq ('s' success, 'f' failure) and returns the state after the last. */
static enum trw_state walk(struct trw *w, const struct trw_model *m, const char *seq)
{
    enum trw_state st = w->state;
    for (const char *c = seq; *c != '\0'; c++)
        st = trw_observe(w, m, *c == 's');
    return st;
}

static void test_trw_model_of_the_paper(void **state)
{
    (void)state;
    struct trw_model m;
    assert_int_equal(trw_model_init(&m, &paper), 0);
    assert_true(fabs(exp(m.step_failure) - 4.0) < 1e-12);
    assert_true(fabs(exp(m.step_success) - 0.25) < 1e-12);
    assert_true(fabs(exp(m.upper) - 99.0) < 1e-9);
    assert_true(fabs(exp(m.lower) - 1.0 / 99.0) < 1e-12);
}

static void test_trw_walks_by_hand(void **state)
{
    (void)state;
    struct trw_model m;
    assert_int_equal(trw_model_init(&m, &paper), 0);
    struct trw w;
    /* 4, 16, 64: pending; 256 >= 99: a scanner at the fourth failure. */
    trw_reset(&w);
    assert_int_equal(walk(&w, &m, "fff"), TRW_PENDING);
    assert_int_equal(walk(&w, &m, "f"), TRW_SCANNER);
    assert_int_equal(w.failures, 4);
    /* Ended: later outcomes change nothing. */
    assert_int_equal(walk(&w, &m, "ssssss"), TRW_SCANNER);
    assert_int_equal(w.successes, 0);
    /* 1/4, 1/16, 1/64: pending; 1/256 <= 1/99: benign at the fourth success. */
    trw_reset(&w);
    assert_int_equal(walk(&w, &m, "sss"), TRW_PENDING);
    assert_int_equal(walk(&w, &m, "s"), TRW_BENIGN);
    /* Mixed: f s f s ... stays at 1 or 4; then f f f: 4 * 4 * 4 * 4 = 256 only after three more
     * failures from 4 (16, 64, 256). */
    trw_reset(&w);
    assert_int_equal(walk(&w, &m, "fsfsfsf"), TRW_PENDING); /* 4 */
    assert_int_equal(walk(&w, &m, "ff"), TRW_PENDING);      /* 16, 64 */
    assert_int_equal(walk(&w, &m, "f"), TRW_SCANNER);       /* 256 */
    assert_int_equal(w.failures, 7);
    assert_int_equal(w.successes, 3);
    /* A source whose first contacts mostly succeed: s s f s s: 1/4, 1/16, 1/4, 1/16, 1/64,
     * then s: 1/256, benign. */
    trw_reset(&w);
    assert_int_equal(walk(&w, &m, "ssfss"), TRW_PENDING);
    assert_int_equal(walk(&w, &m, "s"), TRW_BENIGN);
}

static void test_trw_refuses_impossible_parameters(void **state)
{
    (void)state;
    struct trw_model m = {.upper = 123.0};
    const struct trw_params bad[] = {
            {.theta0 = 0.2, .theta1 = 0.8, .alpha = 0.01, .beta = 0.99}, /* theta1 >= theta0 */
            {.theta0 = 1.0, .theta1 = 0.2, .alpha = 0.01, .beta = 0.99}, /* theta0 of 1 */
            {.theta0 = 0.8, .theta1 = 0.0, .alpha = 0.01, .beta = 0.99}, /* theta1 of 0 */
            {.theta0 = 0.8, .theta1 = 0.2, .alpha = 0.5, .beta = 0.4},   /* alpha >= beta */
            {.theta0 = 0.8, .theta1 = 0.2, .alpha = 0.0, .beta = 0.99},  /* alpha of 0 */
            {.theta0 = 0.8, .theta1 = 0.2, .alpha = 0.01, .beta = 1.0},  /* beta of 1 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(trw_model_init(&m, &bad[i]), -EINVAL);
    assert_true(m.upper == 123.0); /* untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_trw_model_of_the_paper),
            cmocka_unit_test(test_trw_walks_by_hand),
            cmocka_unit_test(test_trw_refuses_impossible_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
