/*
 * Every model against the reference runtime, tensor by tensor.
 *
 * Real inputs (golden-real): max|ours - tflite| <= 5e-4 * max(1, max|tflite|)
 * for every output. Synthetic input (golden, golden-f64): no worse than
 * TFLite itself against float64, i.e.
 * max|ours - f64| <= 2 * max|tflite - f64| + 1e-4 * max(1, max|f64|).
 * Runs with 1 and 2 threads; prints the table the README quotes.
 *
 * The process runs EXACT numerics (engine/runtime.h), where the models
 * whose every TFLite operator ran on XNNPACK must also give TFLite's
 * outputs bit for bit, on both inputs, with posescope's own kernels in
 * place. test_parity_fast.c builds this file for FAST numerics: the same
 * bars, except one tensor known to miss the real-input bar with FMA
 * kernels, which it reports instead (see known_ill_conditioned).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "npy.h"
#include "runtime.h"
#include "testlib.h"

#ifndef PARITY_FAST
#define PARITY_FAST 0
#endif

static const eng_numerics numerics =
    PARITY_FAST ? ENG_NUMERICS_FAST : ENG_NUMERICS_EXACT;

static const char *const models[] = {
    "pose_detection",      "pose_landmark_lite",  "pose_landmark_full",
    "pose_landmark_heavy", "palm_detection_lite", "palm_detection_full",
    "hand_landmark_lite",  "hand_landmark_full",  "selfie_segmentation",
    "selfie_segmentation_landscape",
};

/* TFLite ran every operator of these on XNNPACK. It did not for the
 * others: pose_detection's convolutions ran its sparse kernels, the selfie
 * models' transposed convolution its own kernel (~1e-5 relative apart). */
static const char *const bit_exact[] = {
    "pose_landmark_lite",  "pose_landmark_full",  "pose_landmark_heavy",
    "palm_detection_lite", "palm_detection_full", "hand_landmark_lite",
    "hand_landmark_full",
};

static int must_be_bit_exact(const char *model)
{
    if (numerics != ENG_NUMERICS_EXACT)
        return 0;
    for (size_t i = 0; i < sizeof(bit_exact) / sizeof(bit_exact[0]); i++)
        if (!strcmp(model, bit_exact[i]))
            return 1;
    return 0;
}

/* With FMA kernels, pose_landmark_full's segmentation logits (up to ~1800,
 * a long chain of convolutions into them) on the real input amplify
 * float32 noise to 1.06-1.21 (by kernel mix) against a bar of 0.898 (ONNX
 * Runtime: 0.94). FAST numerics trade that away; not asserted there. */
static int known_ill_conditioned(const char *model, const char *tensor,
                                 int real)
{
    return numerics == ENG_NUMERICS_FAST && real &&
           !strcmp(model, "pose_landmark_full") &&
           !strcmp(tensor, "Identity_2");
}

static int same_bits(const float *a, const float *b, size_t n)
{
    return !memcmp(a, b, n * sizeof(float));
}

static double max_abs(const float *a, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs((double)a[i]));
    return m;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d))
            return INFINITY;
        m = fmax(m, d);
    }
    return m;
}

static float *load_ref(const char *dir, const char *model, int i,
                       const eng_tensor *t)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/%s/%d_%s.npy", POSESCOPE_TEST_DATA,
             dir, model, i, t->name);
    eng_npy a;
    eng_error err = {0};
    if (eng_npy_read(path, &a, &err)) {
        CHECK(0, "%s", err.msg);
        return NULL;
    }
    if (a.count != t->count) {
        CHECK(0, "%s: %zu values, model output has %zu", path, a.count,
              t->count);
        free(a.data);
        return NULL;
    }
    return a.data;
}

static int set_input(eng_model *m, const char *model, int real)
{
    char path[1024];
    const eng_tensor *t = eng_model_input(m, 0);
    eng_npy a;
    eng_error err = {0};
    eng_status st;
    if (real) {
        snprintf(path, sizeof(path), "%s/golden-real/%s/input.f32",
                 POSESCOPE_TEST_DATA, model);
        st = eng_npy_read_raw(path, t->ndim, t->dims, &a, &err);
    } else {
        snprintf(path, sizeof(path), "%s/golden/%s/input.npy",
                 POSESCOPE_TEST_DATA, model);
        st = eng_npy_read(path, &a, &err);
    }
    CHECK(st == ENG_OK, "%s", err.msg);
    if (st)
        return -1;
    CHECK(a.count == t->count, "%s: %zu values for %zu", path, a.count,
          t->count);
    if (a.count == t->count)
        memcpy(eng_model_input_data(m, 0), a.data, a.count * sizeof(float));
    free(a.data);
    return a.count == t->count ? 0 : -1;
}

static void check_real(eng_model *m, const char *model, int threads)
{
    if (set_input(m, model, 1))
        return;
    eng_error err = {0};
    CHECK(eng_model_run(m, &err) == ENG_OK, "%s: %s", model, err.msg);
    for (int i = 0; i < eng_model_num_outputs(m); i++) {
        const eng_tensor *t = eng_model_output(m, i);
        float *ref = load_ref("golden-real", model, i, t);
        if (!ref)
            continue;
        const float *ours = eng_model_output_data(m, i);
        double e = max_diff(ours, ref, t->count);
        double bound = 5e-4 * fmax(1.0, max_abs(ref, t->count));
        int ill = known_ill_conditioned(model, t->name, 1);
        int same = same_bits(ours, ref, t->count);
        CHECK(e <= bound || ill, "%s %s (real, %d thr): max abs err %.3g > "
              "%.3g", model, t->name, threads, e, bound);
        CHECK(same || !must_be_bit_exact(model), "%s %s (real, %d thr): "
              "not TFLite's bits (max abs err %.3g)", model, t->name,
              threads, e);
        if (threads == 1)
            printf("| %s | %s | real | %.3g | %.3g | %.3g%s | %s |\n", model,
                   t->name, max_abs(ref, t->count), e, bound,
                   ill ? e > bound ? " (missed: known, not asserted)"
                                   : " (known ill-conditioned)"
                       : "",
                   same ? "identical" : "differ");
        free(ref);
    }
}

static void check_synthetic(eng_model *m, const char *model, int threads)
{
    if (set_input(m, model, 0))
        return;
    eng_error err = {0};
    CHECK(eng_model_run(m, &err) == ENG_OK, "%s: %s", model, err.msg);
    for (int i = 0; i < eng_model_num_outputs(m); i++) {
        const eng_tensor *t = eng_model_output(m, i);
        float *tfl = load_ref("golden", model, i, t);
        float *f64 = load_ref("golden-f64", model, i, t);
        if (tfl && f64) {
            const float *ours = eng_model_output_data(m, i);
            double e = max_diff(ours, f64, t->count);
            double tfl_e = max_diff(tfl, f64, t->count);
            double bound = 2 * tfl_e + 1e-4 * fmax(1.0, max_abs(f64, t->count));
            int same = same_bits(ours, tfl, t->count);
            CHECK(e <= bound, "%s %s (synthetic, %d thr): |ours-f64| %.3g > "
                  "%.3g (tflite %.3g)", model, t->name, threads, e, bound,
                  tfl_e);
            CHECK(same || !must_be_bit_exact(model), "%s %s (synthetic, %d "
                  "thr): not TFLite's bits (ours vs TFLite %.3g)", model,
                  t->name, threads, max_diff(ours, tfl, t->count));
            if (threads == 1)
                printf("| %s | %s | synthetic vs f64 | %.3g | %.3g (TFLite "
                       "%.3g, ours vs TFLite %.3g) | %.3g | %s |\n", model,
                       t->name, max_abs(f64, t->count), e, tfl_e,
                       max_diff(ours, tfl, t->count), bound,
                       same ? "identical" : "differ");
        }
        free(tfl);
        free(f64);
    }
}

int main(void)
{
    printf("numerics: %s\n\n| model | output | input | max abs ref | max "
           "abs err | bound | bits vs TFLite |\n|---|---|---|---|---|---|---|"
           "\n", eng_numerics_name(numerics));
    for (int threads = 1; threads <= 2; threads++) {
        eng_runtime *rt = NULL;
        eng_error err = {0};
        eng_runtime_desc desc = {.threads = threads, .numerics = numerics};
        CHECK(eng_runtime_create(&desc, &rt, &err) == ENG_OK, "%s", err.msg);
        if (!rt)
            break;
        for (size_t k = 0; k < sizeof(models) / sizeof(models[0]); k++) {
            char path[1024];
            eng_model *m = NULL;
            test_model_path(models[k], path, sizeof(path));
            eng_status st = eng_model_load(rt, path, &m, &err);
            CHECK(st == ENG_OK, "%s: %s (run `posescope models fetch`)",
                  models[k], err.msg);
            if (st)
                continue;
            check_real(m, models[k], threads);
            check_synthetic(m, models[k], threads);
            eng_model_destroy(m);
        }
        eng_runtime_destroy(rt);
    }
    /* The first runtime fixed the mode for the process, even now that it
     * is gone: the other mode is refused. */
    eng_runtime *other = NULL;
    eng_runtime_desc od = {.threads = 1,
                           .numerics = numerics == ENG_NUMERICS_EXACT
                                           ? ENG_NUMERICS_FAST
                                           : ENG_NUMERICS_EXACT};
    CHECK(eng_runtime_create(&od, &other, NULL) == ENG_EINVAL && !other,
          "numerics %s accepted after %s", eng_numerics_name(od.numerics),
          eng_numerics_name(numerics));
    eng_runtime_destroy(other);
    return test_finish();
}
