/*
 * registry: see registry.h. The facts come from docs/mediapipe-models.md
 * (shared docs) and were checked against the files: sizes, digests and I/O
 * signatures (tests/test_registry.c re-checks the signatures through the
 * engine on every cached model).
 */
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const mdl_package packages[] = {
    { "@mediapipe/pose", "0.5.1675469404" },
    { "@mediapipe/hands", "0.4.1675469240" },
    { "@mediapipe/selfie_segmentation", "0.1.1675465747" },
};

#define POSE (&packages[0])
#define HANDS (&packages[1])
#define SELFIE (&packages[2])

#define POSE_LANDMARK_IO                                                     \
    .input = { "input_1", 4, { 1, 256, 256, 3 },                             \
               "RGB of the rotated body ROI" },                              \
    .input_lo = 0.0f, .input_hi = 1.0f, .n_outputs = 5,                      \
    .outputs = {                                                             \
        { "Identity", 2, { 1, 195 }, "39 landmarks x (x, y, z, visibility "  \
          "logit, presence logit), 256-px units" },                          \
        { "Identity_1", 2, { 1, 1 }, "pose presence (already a sigmoid)" },  \
        { "Identity_2", 4, { 1, 256, 256, 1 },                               \
          "segmentation logits in ROI space" },                              \
        { "Identity_3", 4, { 1, 64, 64, 39 }, "per-landmark heatmap logits" }, \
        { "Identity_4", 2, { 1, 117 },                                       \
          "39 world landmarks x (x, y, z), metres, hip-centred" },           \
    }

#define PALM_IO                                                              \
    .input = { "input_1", 4, { 1, 192, 192, 3 },                             \
               "RGB of the whole frame, letterboxed" },                      \
    .input_lo = 0.0f, .input_hi = 1.0f, .n_outputs = 2,                      \
    .outputs = {                                                             \
        { "Identity", 3, { 1, 2016, 18 }, "per anchor: box dx, dy, w, h "    \
          "and 7 keypoints (x, y), 192-px units" },                          \
        { "Identity_1", 3, { 1, 2016, 1 }, "per anchor: score logit" },      \
    }

#define HAND_LANDMARK_IO                                                     \
    .input = { "input_1", 4, { 1, 224, 224, 3 },                             \
               "RGB of the rotated hand ROI" },                              \
    .input_lo = 0.0f, .input_hi = 1.0f, .n_outputs = 4,                      \
    .outputs = {                                                             \
        { "Identity", 2, { 1, 63 }, "21 landmarks x (x, y, z), 224-px" },    \
        { "Identity_1", 2, { 1, 1 }, "hand presence (already a sigmoid)" },  \
        { "Identity_2", 2, { 1, 1 },                                         \
          "handedness: P(\"Left\") on a mirrored image (a sigmoid)" },       \
        { "Identity_3", 2, { 1, 63 },                                        \
          "21 world landmarks x (x, y, z), metres" },                        \
    }

static const mdl_model models[] = {
    {
        .name = "pose_detection",
        .role = "body detector (BlazePose)",
        .package = POSE,
        .path = "package/pose_solution_packed_assets.data",
        .range_start = 0, .range_end = 2962288, .size = 2962288,
        .sha256 = "a63c614bef30d35947f13be361820b1e"
                  "4e3bec9cfeebf4d11216a18373108e85",
        .input = { "input_1", 4, { 1, 224, 224, 3 },
                   "RGB of the whole frame, letterboxed" },
        .input_lo = -1.0f, .input_hi = 1.0f, .n_outputs = 2,
        .outputs = {
            { "Identity", 3, { 1, 2254, 12 }, "per anchor: box dx, dy, w, h "
              "and 4 keypoints (x, y), 224-px units" },
            { "Identity_1", 3, { 1, 2254, 1 }, "per anchor: score logit" },
        },
    },
    {
        .name = "pose_landmark_lite",
        .role = "body landmarks, lite",
        .package = POSE,
        .path = "package/pose_landmark_lite.tflite",
        .size = 2819824,
        .sha256 = "f17bfbecadb61c3be1baa8b8d851cc66"
                  "19c870a87167b32848ad20db306b9d61",
        POSE_LANDMARK_IO,
    },
    {
        .name = "pose_landmark_full",
        .role = "body landmarks, full",
        .package = POSE,
        .path = "package/pose_landmark_full.tflite",
        .size = 6440512,
        .sha256 = "e9a5c5cb17f736fafd4c2ec1da3b3d33"
                  "1d6edbe8a0d32395855aeb2cdfd64b9f",
        POSE_LANDMARK_IO,
    },
    {
        .name = "pose_landmark_heavy",
        .role = "body landmarks, heavy",
        .package = POSE,
        .path = "package/pose_landmark_heavy.tflite",
        .size = 27709200,
        .sha256 = "59e42d71bcd44cbdbabc419f0ff76686"
                  "595fd265419566bd4009ef703ea8e1fe",
        POSE_LANDMARK_IO,
    },
    {
        .name = "palm_detection_lite",
        .role = "palm detector, lite",
        .package = HANDS,
        .path = "package/hands_solution_packed_assets.data",
        .range_start = 2341291, .range_end = 4326731, .size = 1985440,
        .sha256 = "e9a4aaddf90dda56a87235303cf00e4c"
                  "2d3fb28725f68fd88772997dac905c18",
        PALM_IO,
    },
    {
        .name = "palm_detection_full",
        .role = "palm detector, full",
        .package = HANDS,
        .path = "package/hands_solution_packed_assets.data",
        .range_start = 11, .range_end = 2341291, .size = 2341280,
        .sha256 = "2f25e740121983f68ffc05f99991d524"
                  "dc0ea812134f6316a26125816941ee85",
        PALM_IO,
    },
    {
        .name = "hand_landmark_lite",
        .role = "hand landmarks, lite",
        .package = HANDS,
        .path = "package/hand_landmark_lite.tflite",
        .size = 2071408,
        .sha256 = "d7fde8ac11f8ce03f8663775bfc323f4"
                  "fc9f2a38062b4f4efa142874ef5b2a48",
        HAND_LANDMARK_IO,
    },
    {
        .name = "hand_landmark_full",
        .role = "hand landmarks, full",
        .package = HANDS,
        .path = "package/hand_landmark_full.tflite",
        .size = 5478688,
        .sha256 = "8c026882c9ec059ce0f8e75266bee5a9"
                  "a23c341a40e0000df755374d3d1b9b68",
        HAND_LANDMARK_IO,
    },
    {
        .name = "selfie_segmentation",
        .role = "person matte, square",
        .package = SELFIE,
        .path = "package/selfie_segmentation.tflite",
        .size = 249024,
        .sha256 = "8d13b7fae74af625c641226813616a21"
                  "17bd6bca19eb3b75574621fc08557f27",
        .input = { "input_1", 4, { 1, 256, 256, 3 },
                   "RGB of the whole frame, stretched" },
        .input_lo = 0.0f, .input_hi = 1.0f, .n_outputs = 1,
        .outputs = {
            { "activation_10", 4, { 1, 256, 256, 1 },
              "person probability" },
        },
    },
    {
        .name = "selfie_segmentation_landscape",
        .role = "person matte, landscape",
        .package = SELFIE,
        .path = "package/selfie_segmentation_landscape.tflite",
        .size = 249792,
        .sha256 = "4aafe6223bb8dac6fac8ca8ed5685287"
                  "0a33051ef3f6238822d282a109962894",
        .input = { "input_1", 4, { 1, 144, 256, 3 },
                   "RGB of the whole frame, stretched" },
        .input_lo = 0.0f, .input_hi = 1.0f, .n_outputs = 1,
        .outputs = {
            { "segment_back", 4, { 1, 144, 256, 1 },
              "person probability" },
        },
    },
};

#define N_MODELS ((int)(sizeof(models) / sizeof(models[0])))
#define N_PACKAGES ((int)(sizeof(packages) / sizeof(packages[0])))

int mdl_count(void)
{
    return N_MODELS;
}

const mdl_model *mdl_at(int i)
{
    return i >= 0 && i < N_MODELS ? &models[i] : NULL;
}

const mdl_model *mdl_find(const char *name)
{
    for (int i = 0; i < N_MODELS; i++) {
        if (!strcmp(models[i].name, name))
            return &models[i];
    }
    return NULL;
}

int mdl_package_count(void)
{
    return N_PACKAGES;
}

const mdl_package *mdl_package_at(int i)
{
    return i >= 0 && i < N_PACKAGES ? &packages[i] : NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

eng_status mdl_cache_dir(char *buf, size_t cap, eng_error *err)
{
    const char *dir = env("POSESCOPE_MODELS");
    const char *xdg = env("XDG_CACHE_HOME");
    const char *home = env("HOME");
    int n;
    if (dir)
        n = snprintf(buf, cap, "%s", dir);
    else if (xdg)
        n = snprintf(buf, cap, "%s/posescope/models", xdg);
    else if (home)
        n = snprintf(buf, cap, "%s/.cache/posescope/models", home);
    else
        return eng_fail(err, ENG_EINVAL, "no model cache: set "
                        "POSESCOPE_MODELS, XDG_CACHE_HOME or HOME");
    if (n < 0 || (size_t)n >= cap)
        return eng_fail(err, ENG_EINVAL, "model cache path too long");
    return ENG_OK;
}

eng_status mdl_cache_path(const mdl_model *m, char *buf, size_t cap,
                          eng_error *err)
{
    char dir[4096];
    eng_status st = mdl_cache_dir(dir, sizeof(dir), err);
    if (st != ENG_OK)
        return st;
    int n = snprintf(buf, cap, "%s/%s.tflite", dir, m->name);
    if (n < 0 || (size_t)n >= cap)
        return eng_fail(err, ENG_EINVAL, "model cache path too long");
    return ENG_OK;
}

mdl_state mdl_check_file(const mdl_model *m, const char *path,
                         char got[MDL_SHA256_HEX], eng_error *err)
{
    char hex[MDL_SHA256_HEX] = "";
    struct stat st;
    mdl_state state = MDL_PRESENT;
    eng_error ioerr;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        eng_fail(err, ENG_EIO, "%s: not in the cache (%s)", m->name, path);
        state = MDL_MISSING;
    } else if (mdl_sha256_file(path, hex, NULL, &ioerr) != ENG_OK) {
        eng_fail(err, ENG_EIO, "%s: %s", m->name, ioerr.msg);
        state = MDL_CORRUPT;
    } else if (strcmp(hex, m->sha256) != 0) {
        eng_fail(err, ENG_EFORMAT, "%s: SHA-256 mismatch: got %s, "
                 "expected %s", m->name, hex, m->sha256);
        state = MDL_CORRUPT;
    }
    if (got)
        memcpy(got, hex, MDL_SHA256_HEX);
    return state;
}

const char *mdl_state_name(mdl_state s)
{
    switch (s) {
    case MDL_PRESENT: return "present";
    case MDL_MISSING: return "missing";
    case MDL_CORRUPT: return "corrupt";
    }
    return "unknown";
}
