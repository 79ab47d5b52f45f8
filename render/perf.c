/*
 * perf: see perf.h.
 */
#include "perf.h"

#include <math.h>

static int slot(const ren_perf_set *p, int i)
{
    return (p->head - p->count + i + REN_PERF_SAMPLES) % REN_PERF_SAMPLES;
}

void ren_perf_push(ren_perf_set *p, const float ms[REN_STAGE_COUNT],
                   bool detector)
{
    if (p->count < REN_PERF_SAMPLES)
        p->count++;
    p->detector[p->head] = detector;
    for (int s = 0; s < REN_STAGE_COUNT; s++) {
        float v = isfinite(ms[s]) && ms[s] > 0 ? ms[s] : 0.0f;
        ren_perf *st = &p->stage[s];
        st->samples[p->head] = v;
        st->last = v;
    }
    p->head = (p->head + 1) % REN_PERF_SAMPLES;
    /* 256 x 6 adds per frame: cheaper than keeping running sums exact */
    for (int s = 0; s < REN_STAGE_COUNT; s++) {
        ren_perf *st = &p->stage[s];
        double sum = 0;
        float peak = 0;
        for (int i = 0; i < p->count; i++) {
            float v = st->samples[slot(p, i)];
            sum += v;
            peak = v > peak ? v : peak;
        }
        st->avg = (float)(sum / p->count);
        st->peak = peak;
    }
}

float ren_perf_sample(const ren_perf_set *p, ren_stage stage, int i)
{
    return p->stage[stage].samples[slot(p, i)];
}

const char *ren_stage_name(ren_stage stage)
{
    static const char *const names[REN_STAGE_COUNT] = {
        "decode", "detect", "body", "hands", "render", "end-to-end",
    };
    return stage >= 0 && stage < REN_STAGE_COUNT ? names[stage] : "?";
}
