/*
 * tflite: the TFLite flatbuffer importer, written from the schema.
 *
 * It treats the file as untrusted: every offset, vtable, vector length,
 * index, shape, buffer range and op option is validated before use, and a
 * bad file gives EFORMAT (or EUNSUPPORTED for a well-formed file using an op,
 * type or variant we do not run) with a one-line message naming what is wrong
 * (op index, tensor name, byte offset). It never crashes on any input.
 *
 * It lowers the TFLite graph into an eng_graph: fp16 DEQUANTIZE and sparse
 * DENSIFY chains on constants are folded at load into dense fp32 constants;
 * INT32 operands (shapes, paddings, axes) become node parameters; SAME
 * padding is resolved with TFLite's rule; the custom op
 * Convolution2DTransposeBias becomes ENG_OP_TRANSPOSE_CONV2D. The result is
 * checked with eng_graph_check() before it is returned.
 *
 * Only subgraph 0 is imported; the file needs no alignment.
 */
#ifndef ENG_TFLITE_H
#define ENG_TFLITE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "status.h"

/* Imports a model from memory. `data` is borrowed (only read during the
 * call); on success *out is a new graph the caller destroys. */
eng_status eng_tflite_import(const uint8_t *data, size_t size, eng_graph **out,
                             eng_error *err);

/* Reads `path` and imports it; EIO when the file cannot be read. */
eng_status eng_tflite_import_file(const char *path, eng_graph **out,
                                  eng_error *err);

#endif
