/*
 * fuzz_handmodel: libFuzzer entry point for the hand model loaders: a
 * glb when the input starts with glTF's magic, else a MANO .npz.
 *
 * Any input must either load (then skin cleanly) or fail with a status,
 * a message and no model; anything else aborts so libFuzzer keeps the
 * input. ASan/UBSan catch the memory and arithmetic errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handmodel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_handmodel *m = NULL;
    eng_error err = {0};
    int glb = size >= 4 && memcmp(data, "glTF", 4) == 0;
    eng_status st = glb ? eng_handmodel_parse_glb(data, size, "fuzz",
                                                  ENG_HAND_RIGHT, &m, &err)
                        : eng_handmodel_parse_npz(data, size, "fuzz",
                                                  ENG_HAND_RIGHT, &m, &err);
    if (st == ENG_OK ? m == NULL : (m != NULL || !err.msg[0]))
        abort();
    if (m) {
        /* A loaded model must skin without touching memory it lacks. */
        eng_handpose p = {0};
        p.hand_pose[0][2] = 0.5f;
        float *v = malloc(sizeof(float) * 3 * (size_t)m->n_verts);
        if (!v)
            abort();
        eng_handmodel_skin(m, &p, v, NULL);
        free(v);
    }
    eng_handmodel_destroy(m);
    return 0;
}
