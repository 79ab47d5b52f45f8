/*
 * test_filter: the One-Euro filter against a hand-computed sequence (first
 * sample passes through, alpha = 1 / (1 + tau * rate), the speed-driven
 * cutoff), its reset and time rules, and the visibility low-pass.
 */
#include <math.h>

#include "filter.h"
#include "testlib.h"

static int near(double a, double b)
{
    return fabs(a - b) <= 1e-5;
}

/* One point; x carries the sequence, y and z stay 0. */
static float step(eng_landmark_filter *f, float x, double t, float scale)
{
    float p[3] = {x, 0.0f, 0.0f};
    eng_landmark_filter_apply(f, p, t, scale);
    return p[0];
}

static void test_low_pass_only(void)
{
    /* beta 0: a fixed cutoff of 1 Hz at 10 Hz gives
     * alpha = 1 / (1 + 10 / (2 pi)) = 0.3858695. */
    eng_one_euro_params prm = {1.0f, 0.0f, 1.0f};
    eng_landmark_filter f;
    eng_landmark_filter_init(&f, 1, &prm);
    float y0 = step(&f, 5.0f, 0.0, 1.0f);
    CHECK(y0 == 5.0f, "first sample %g, want it unchanged", y0);
    eng_landmark_filter_reset(&f);
    CHECK(step(&f, 0.0f, 1.0, 1.0f) == 0.0f, "after reset: pass through");
    double y1 = step(&f, 1.0f, 1.1, 1.0f);
    double y2 = step(&f, 1.0f, 1.2, 1.0f);
    CHECK(near(y1, 0.3858695) && near(y2, 0.6228438),
          "LPF %.7f %.7f, want 0.3858695 0.6228438", y1, y2);
}

static void test_speed_cutoff(void)
{
    /* beta 1, value_scale 1, 10 Hz, x = 0, 1, 1:
     * dx = 10, edx = 0.3858695 * 10, cutoff = 1 + edx, y1 = 0.7532575;
     * then dx = 0, edx = (1 - 0.3858695) * 3.858695, y2 = 0.9208467. */
    eng_one_euro_params prm = {1.0f, 1.0f, 1.0f};
    eng_landmark_filter f;
    eng_landmark_filter_init(&f, 1, &prm);
    step(&f, 0.0f, 0.0, 1.0f);
    double y1 = step(&f, 1.0f, 0.1, 1.0f);
    double y2 = step(&f, 1.0f, 0.2, 1.0f);
    CHECK(near(y1, 0.7532575) && near(y2, 0.9208467),
          "One-Euro %.7f %.7f, want 0.7532575 0.9208467", y1, y2);
}

static void test_time_and_scale_rules(void)
{
    eng_one_euro_params prm = {1.0f, 0.0f, 1.0f};
    eng_landmark_filter f;
    eng_landmark_filter_init(&f, 1, &prm);
    step(&f, 0.0f, 0.0, 1.0f);
    /* A repeated timestamp passes through and leaves the state alone. */
    CHECK(step(&f, 7.0f, 0.0, 1.0f) == 7.0f, "same t: pass through");
    /* A degenerate object scale passes through, state untouched too. */
    CHECK(step(&f, 9.0f, 0.05, 0.0f) == 9.0f, "scale 0: pass through");
    double y1 = step(&f, 1.0f, 0.1, 1.0f);
    CHECK(near(y1, 0.3858695), "state kept: %.7f", y1);
    /* y and z are filtered independently of x. */
    float p[3] = {1.0f, 2.0f, -4.0f};
    eng_landmark_filter_reset(&f);
    eng_landmark_filter_apply(&f, p, 1.0, 1.0f);
    float q[3] = {1.0f, 3.0f, -3.0f};
    eng_landmark_filter_apply(&f, q, 1.1, 1.0f);
    CHECK(q[0] == 1.0f && near(q[1], 2.3858695) && near(q[2], -3.6141305),
          "per axis: %g %g %g", q[0], q[1], q[2]);
}

static void test_visibility_low_pass(void)
{
    float prev[2] = {0};
    float a[2] = {1.0f, 0.5f}, b[2] = {0.0f, 0.5f};
    bool started = false;
    eng_low_pass(prev, a, 2, 0.1f, &started);
    CHECK(started && prev[0] == 1.0f && prev[1] == 0.5f, "first copies");
    eng_low_pass(prev, b, 2, 0.1f, &started);
    CHECK(near(prev[0], 0.9) && near(prev[1], 0.5), "low-pass %g %g",
          prev[0], prev[1]);
}

int main(void)
{
    test_low_pass_only();
    test_speed_cutoff();
    test_time_and_scale_rules();
    test_visibility_low_pass();
    return test_finish();
}
