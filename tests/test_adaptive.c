/*
 * test_adaptive: a runtime with adaptive threads runs each model on the
 * pool or on the caller's thread alone, run by run. Either way the outputs
 * must be the bits of a plain two-thread runtime: the kernels' work split
 * is planned for the pool and only executed in another order. 40 runs
 * take in at least two probes of the other mode (after 8 and 16 more).
 */
#include <string.h>

#include "model.h"
#include "testlib.h"

static eng_model *load(eng_runtime *rt, const char *path)
{
    eng_model *m = NULL;
    eng_error err = {0};
    CHECK(eng_model_load(rt, path, &m, &err) == ENG_OK, "%s", err.msg);
    return m;
}

static void fill(eng_model *m, uint64_t seed)
{
    float *in = eng_model_input_data(m, 0);
    for (size_t i = 0; i < eng_model_input(m, 0)->count; i++)
        in[i] = test_rand_uniform(&seed, 0.0f, 1.0f);
}

int main(void)
{
    char path[512];
    eng_runtime *fixed = NULL, *adaptive = NULL;
    eng_error err = {0};
    test_model_path("hand_landmark_lite", path, sizeof(path));
    CHECK(eng_runtime_create(&(eng_runtime_desc){.threads = 2}, &fixed,
                             &err) == ENG_OK, "%s", err.msg);
    CHECK(eng_runtime_create(&(eng_runtime_desc){.threads = 2,
                                                 .adaptive = 1},
                             &adaptive, &err) == ENG_OK, "%s", err.msg);
    eng_model *ref = fixed ? load(fixed, path) : NULL;
    eng_model *m = adaptive ? load(adaptive, path) : NULL;
    CHECK(adaptive && eng_runtime_adaptive(adaptive) &&
              !eng_runtime_adaptive(fixed), "adaptive flag");
    int mismatches = 0;
    for (int run = 0; ref && m && run < 40; run++) {
        fill(ref, 100 + (uint64_t)run);
        fill(m, 100 + (uint64_t)run);
        CHECK(eng_model_run(ref, &err) == ENG_OK, "%s", err.msg);
        CHECK(eng_model_run(m, &err) == ENG_OK, "%s", err.msg);
        for (int o = 0; o < eng_model_num_outputs(m); o++)
            mismatches += memcmp(eng_model_output_data(ref, o),
                                 eng_model_output_data(m, o),
                                 eng_model_output(m, o)->count *
                                     sizeof(float)) != 0;
    }
    CHECK(mismatches == 0, "%d outputs differ from the fixed pool's",
          mismatches);
    eng_model_destroy(m);
    eng_model_destroy(ref);
    eng_runtime_destroy(adaptive);
    eng_runtime_destroy(fixed);
    return test_finish();
}
