/*
 * test_registry: the model table is consistent (names, digests, ranges,
 * sizes), the cache directory follows the documented precedence, the
 * cached files have the registered digests, and the engine sees exactly
 * the registered I/O contract (names, shapes, order) in every model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "registry.h"
#include "runtime.h"
#include "testlib.h"

static void test_table(void)
{
    CHECK(mdl_count() == 10, "10 models, got %d", mdl_count());
    CHECK(mdl_package_count() == 3, "3 packages");
    for (int i = 0; i < mdl_count(); i++) {
        const mdl_model *m = mdl_at(i);
        CHECK(mdl_find(m->name) == m, "%s found by name", m->name);
        CHECK(strlen(m->sha256) == 64 &&
              strspn(m->sha256, "0123456789abcdef") == 64,
              "%s: digest is 64 lower-case hex", m->name);
        CHECK(!strncmp(m->path, "package/", 8), "%s: path in the tarball",
              m->name);
        if (m->range_end)
            CHECK(m->range_end - m->range_start == m->size,
                  "%s: range is the size", m->name);
        else
            CHECK(strstr(m->path, m->name) && strstr(m->path, ".tflite"),
                  "%s: file named after the model", m->name);
        CHECK(m->input_lo < m->input_hi, "%s: input range", m->name);
        CHECK(m->n_outputs >= 1 && m->n_outputs <= MDL_MAX_OUTPUTS,
              "%s: outputs", m->name);
        int found = 0;
        for (int p = 0; p < mdl_package_count(); p++)
            found += m->package == mdl_package_at(p);
        CHECK(found == 1, "%s: package in the package list", m->name);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(mdl_at(j)->sha256, m->sha256) != 0,
                  "%s: digest unique", m->name);
    }
    CHECK(mdl_find("nope") == NULL && mdl_at(10) == NULL && mdl_at(-1) ==
          NULL, "lookups out of the table");
    CHECK(mdl_find("pose_detection")->input_lo == -1.0f,
          "pose_detection takes [-1,1]");
}

static void test_cache_dir(void)
{
    char *saved[3];
    const char *vars[3] = { "POSESCOPE_MODELS", "XDG_CACHE_HOME", "HOME" };
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = v ? strdup(v) : NULL;
    }
    char buf[256];
    setenv("POSESCOPE_MODELS", "/a/b", 1);
    setenv("XDG_CACHE_HOME", "/x", 1);
    setenv("HOME", "/h", 1);
    CHECK(mdl_cache_dir(buf, sizeof(buf), NULL) == ENG_OK &&
          !strcmp(buf, "/a/b"), "POSESCOPE_MODELS first: %s", buf);
    setenv("POSESCOPE_MODELS", "", 1);
    CHECK(mdl_cache_dir(buf, sizeof(buf), NULL) == ENG_OK &&
          !strcmp(buf, "/x/posescope/models"), "then XDG: %s", buf);
    unsetenv("XDG_CACHE_HOME");
    CHECK(mdl_cache_dir(buf, sizeof(buf), NULL) == ENG_OK &&
          !strcmp(buf, "/h/.cache/posescope/models"), "then HOME: %s", buf);
    unsetenv("HOME");
    CHECK(mdl_cache_dir(buf, sizeof(buf), NULL) == ENG_EINVAL,
          "nothing set is EINVAL");
    setenv("HOME", "/h", 1);
    CHECK(mdl_cache_dir(buf, 8, NULL) == ENG_EINVAL, "too long is EINVAL");
    CHECK(mdl_cache_path(mdl_at(0), buf, sizeof(buf), NULL) == ENG_OK &&
          !strcmp(buf, "/h/.cache/posescope/models/pose_detection.tflite"),
          "cache path: %s", buf);
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
    }
}

static void check_tensor(const char *model, const char *what,
                         const eng_tensor *t, const mdl_tensor *want)
{
    int same = t->ndim == want->ndim && !strcmp(t->name, want->name);
    for (int d = 0; same && d < t->ndim; d++)
        same = t->dims[d] == want->dims[d];
    CHECK(same, "%s %s: engine has '%s' (%d dims), registry '%s'", model,
          what, t->name, t->ndim, want->name);
}

/* Each cached model: digest, then the engine's view of its I/O. */
static void test_cached_models(eng_runtime *rt)
{
    for (int i = 0; i < mdl_count(); i++) {
        const mdl_model *m = mdl_at(i);
        char path[1024], got[MDL_SHA256_HEX];
        test_model_path(m->name, path, sizeof(path));
        if (access(path, R_OK) != 0) {
            CHECK(0, "%s not in the model cache (posescope models fetch)",
                  m->name);
            continue;
        }
        eng_error err = { .msg = "" };
        CHECK(mdl_check_file(m, path, got, &err) == MDL_PRESENT, "%s",
              err.msg);
        eng_model *model = NULL;
        if (eng_model_load(rt, path, &model, &err) != ENG_OK) {
            CHECK(0, "%s: %s", m->name, err.msg);
            continue;
        }
        CHECK(eng_model_num_inputs(model) == 1, "%s: one input", m->name);
        check_tensor(m->name, "input", eng_model_input(model, 0), &m->input);
        CHECK(eng_model_num_outputs(model) == m->n_outputs, "%s: %d outputs",
              m->name, eng_model_num_outputs(model));
        for (int o = 0; o < m->n_outputs &&
                        o < eng_model_num_outputs(model); o++)
            check_tensor(m->name, "output", eng_model_output(model, o),
                         &m->outputs[o]);
        eng_model_destroy(model);
    }
}

int main(void)
{
    test_table();
    test_cache_dir();
    eng_runtime *rt = NULL;
    eng_runtime_desc desc = { .threads = 1 };
    eng_error err = { .msg = "" };
    CHECK(eng_runtime_create(&desc, &rt, &err) == ENG_OK, "runtime: %s",
          err.msg);
    if (rt)
        test_cached_models(rt);
    eng_runtime_destroy(rt);
    return test_finish();
}
