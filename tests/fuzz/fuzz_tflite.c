/*
 * fuzz_tflite: libFuzzer entry point for the TFLite importer.
 *
 * Any input must either import (and then destroy cleanly) or fail with a
 * status, a message and no graph; anything else aborts so libFuzzer keeps
 * the input. ASan/UBSan catch the memory and arithmetic errors.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tflite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_graph *g = NULL;
    eng_error err = {0};
    eng_status st = eng_tflite_import(data, size, &g, &err);
    if (st == ENG_OK ? g == NULL : (g != NULL || !err.msg[0]))
        abort();
    eng_graph_destroy(g);
    return 0;
}
