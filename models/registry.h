/*
 * registry: the ten MediaPipe models posescope runs, as data: where each
 * comes from (an npm package at a pinned version, a file in its tarball or a
 * byte range of a packed-assets file), its size and SHA-256, what it does
 * and its tensor contract; and where the local model cache is.
 *
 * It does not fetch anything (app/models_cmd.c does, with npm) and does not
 * load models (the engine does). Every string and table here is static and
 * borrowed for the life of the program.
 */
#ifndef MDL_REGISTRY_H
#define MDL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "sha256.h"
#include "status.h"

#define MDL_MAX_DIMS 4
#define MDL_MAX_OUTPUTS 5

typedef struct mdl_package {
    const char *name;    /* npm name, "@mediapipe/pose" */
    const char *version; /* pinned, "0.5.1675469404" */
} mdl_package;

typedef struct mdl_tensor {
    const char *name; /* as in the .tflite file, "input_1" */
    int ndim;
    int dims[MDL_MAX_DIMS];
    const char *meaning;
} mdl_tensor;

typedef struct mdl_model {
    const char *name; /* file name without ".tflite" */
    const char *role; /* a few words: what it is for */
    const mdl_package *package;
    /* Where the bytes are inside the unpacked tarball: the whole file at
     * `path`, or, when range_end > 0, bytes [range_start, range_end) of it
     * (the detectors are bundled in *_solution_packed_assets.data). */
    const char *path;
    size_t range_start, range_end;
    size_t size;
    const char *sha256; /* 64 lower-case hex digits */
    mdl_tensor input;
    float input_lo, input_hi; /* the value range RGB is mapped to */
    int n_outputs;
    mdl_tensor outputs[MDL_MAX_OUTPUTS]; /* in the file's output order */
} mdl_model;

/* The models, in a fixed order (detectors before landmark models). */
int mdl_count(void);
const mdl_model *mdl_at(int i);

/* The model called `name`, or NULL. */
const mdl_model *mdl_find(const char *name);

/* The npm packages the models come from, each once. */
int mdl_package_count(void);
const mdl_package *mdl_package_at(int i);

/* Writes the model cache directory into buf: $POSESCOPE_MODELS if set and
 * not empty, else $XDG_CACHE_HOME/posescope/models, else
 * $HOME/.cache/posescope/models. EINVAL when no variable is set or the path
 * does not fit. Does not create it. */
eng_status mdl_cache_dir(char *buf, size_t cap, eng_error *err);

/* Writes DIR/<name>.tflite for model m into buf. EINVAL as above. */
eng_status mdl_cache_path(const mdl_model *m, char *buf, size_t cap,
                          eng_error *err);

typedef enum mdl_state {
    MDL_PRESENT, /* the file's SHA-256 is the registry's */
    MDL_MISSING, /* no such file */
    MDL_CORRUPT, /* a different SHA-256, or unreadable */
} mdl_state;

/* Hashes the file at `path` and compares it with m's SHA-256. On
 * MISSING/CORRUPT err->msg says why ("palm_detection_lite: SHA-256
 * mismatch: got X, expected Y"); `got` (may be NULL) receives the file's
 * digest, "" when it could not be read. */
mdl_state mdl_check_file(const mdl_model *m, const char *path,
                         char got[MDL_SHA256_HEX], eng_error *err);

/* Short name of a state: "present", "missing", "corrupt". */
const char *mdl_state_name(mdl_state s);

#endif
