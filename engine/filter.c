#include "filter.h"

#include <math.h>
#include <string.h>

void eng_landmark_filter_init(eng_landmark_filter *f, int n_points,
                              const eng_one_euro_params *params)
{
    memset(f, 0, sizeof(*f));
    f->params = *params;
    f->n_points = n_points < ENG_FILTER_MAX_POINTS ? n_points
                                                   : ENG_FILTER_MAX_POINTS;
}

void eng_landmark_filter_reset(eng_landmark_filter *f)
{
    memset(f->axis, 0, sizeof(f->axis));
    f->has_time = false;
}

static double alpha(double cutoff, double rate)
{
    double tau = 1.0 / (2.0 * M_PI * cutoff);
    return 1.0 / (1.0 + tau * rate);
}

static float one_euro(eng_one_euro_axis *a, const eng_one_euro_params *p,
                      double x, double rate, double value_scale)
{
    if (!a->started) {
        a->started = true;
        a->x_prev_raw = a->x_prev = x;
        a->dx_prev = 0.0;
        return (float)x;
    }
    double dx = (x - a->x_prev_raw) * value_scale * rate;
    double ad = alpha(p->derivate_cutoff, rate);
    double edx = ad * dx + (1.0 - ad) * a->dx_prev;
    double cutoff = p->min_cutoff + p->beta * fabs(edx);
    double ax = alpha(cutoff, rate);
    double y = ax * x + (1.0 - ax) * a->x_prev;
    a->x_prev_raw = x;
    a->x_prev = y;
    a->dx_prev = edx;
    return (float)y;
}

void eng_landmark_filter_apply(eng_landmark_filter *f, float *pts, double t,
                               float value_scale)
{
    if (!(value_scale > 0.0f))
        return;
    if (f->has_time && !(t > f->last_time))
        return;
    /* The rate only matters once a previous sample exists. */
    double rate = f->has_time ? 1.0 / (t - f->last_time) : 30.0;
    f->last_time = t;
    f->has_time = true;
    for (int i = 0; i < f->n_points; i++)
        for (int k = 0; k < 3; k++)
            pts[3 * i + k] = one_euro(&f->axis[i][k], &f->params,
                                      pts[3 * i + k], rate, value_scale);
}

void eng_low_pass(float *prev, const float *v_new, int n, float a,
                  bool *started)
{
    for (int i = 0; i < n; i++)
        prev[i] = *started ? a * v_new[i] + (1.0f - a) * prev[i] : v_new[i];
    *started = true;
}
