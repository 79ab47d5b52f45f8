/*
 * tflite_writer: a minimal TFLite flatbuffer writer for tests and fuzz
 * seeds, so tiny one-op models can be built in code instead of committed.
 *
 * Two layers. The object layer (tw_table, tw_vec_*, tw_string) builds any
 * flatbuffer table, e.g. an op's options. The model layer (tw_model_*,
 * tw_add_*) collects buffers, tensors, operators and graph inputs/outputs
 * of one subgraph and tw_finish() lays them out as a schema-v3 "TFL3"
 * file. Objects are placed parent-first so every reference points forward,
 * vtables sit right before their tables, and buffer data is 16-aligned.
 *
 * What it does not do: validate anything (tests build broken models on
 * purpose), share objects between parents, or write more than subgraph 0.
 * It is test code: allocation failure aborts. Everything created from a
 * model is owned by it and freed by tw_model_destroy().
 */
#ifndef TFLITE_WRITER_H
#define TFLITE_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tw_model tw_model;
typedef struct tw_obj tw_obj;

/* TensorType values used by tests. */
enum {
    TW_FLOAT32 = 0,
    TW_FLOAT16 = 1,
    TW_INT32 = 2,
    TW_UINT8 = 3,
    TW_INT8 = 9,
};

/* SparseIndexVector union types. */
enum { TW_IDX_I32 = 1, TW_IDX_U16 = 2, TW_IDX_U8 = 3 };

/* ---- Object layer ---- */

/* A new empty table; fields are added by id (0-based schema order). */
tw_obj *tw_table(tw_model *m);
void tw_set_u8(tw_obj *t, int field, uint8_t v);
void tw_set_i32(tw_obj *t, int field, int32_t v);
void tw_set_u32(tw_obj *t, int field, uint32_t v);
void tw_set_u64(tw_obj *t, int field, uint64_t v);
/* A reference field to a table, vector or string (each used once). */
void tw_set_ref(tw_obj *t, int field, tw_obj *child);

/* Vectors: copies of the values. */
tw_obj *tw_vec_i32(tw_model *m, const int32_t *v, size_t n);
tw_obj *tw_vec_u16(tw_model *m, const uint16_t *v, size_t n);
tw_obj *tw_vec_u8(tw_model *m, const uint8_t *v, size_t n);
/* A vector of references to tables. */
tw_obj *tw_vec_tables(tw_model *m, tw_obj *const *items, size_t n);
tw_obj *tw_string(tw_model *m, const char *s);

/* ---- Model layer ---- */

tw_model *tw_model_create(void);
void tw_model_destroy(tw_model *m);

/* Free text stored as Model.description. */
void tw_set_description(tw_model *m, const char *s);
/* Overrides Model.version (default 3). */
void tw_set_version(tw_model *m, uint32_t version);

/* Appends a buffer holding a copy of data; returns its index. Buffer 0,
 * the empty sentinel, exists from the start. With `external`, the bytes
 * go after the flatbuffer and Buffer.offset/size point at them. */
int tw_add_buffer(tw_model *m, const void *data, size_t len);
int tw_add_external_buffer(tw_model *m, const void *data, size_t len);

/* Appends a tensor and returns its index. buffer 0 means no data. */
int tw_add_tensor(tw_model *m, const char *name, int type, int ndim,
                  const int *dims, int buffer);
/* Shorthands: a FLOAT32 activation; constants of each type (fp16 values
 * are rounded to nearest from the floats given). */
int tw_add_act(tw_model *m, const char *name, int ndim, const int *dims);
int tw_add_f32(tw_model *m, const char *name, int ndim, const int *dims,
               const float *v);
int tw_add_f16(tw_model *m, const char *name, int ndim, const int *dims,
               const float *v);
int tw_add_i32(tw_model *m, const char *name, int ndim, const int *dims,
               const int32_t *v);

/* Marks tensor t as quantized (scale 1, zero point 0). */
void tw_set_quantized(tw_model *m, int t);

/* Makes tensor t CSR-sparse on its innermost dimension (all other dims
 * dense, traversal order 0..n-1): segments (n_seg) and indices (n_idx)
 * are stored with the given SparseIndexVector types. The tensor's buffer
 * then holds only the stored values. */
void tw_set_sparsity(tw_model *m, int t, int seg_type, const int32_t *seg,
                     size_t n_seg, int idx_type, const int32_t *idx,
                     size_t n_idx);

/* Overrides the traversal order (n_order values) and block map (n_block
 * values, default none) written for sparse tensor t, for tests of
 * layouts the importer must refuse. */
void tw_set_sparse_layout(tw_model *m, int t, const int32_t *order,
                          int n_order, const int32_t *block, int n_block);

/* Appends an operator: builtin code (custom: 32 plus the custom name),
 * tensor lists, and optional builtin options (type id and table, or 0 and
 * NULL). Returns the op index. */
int tw_add_op(tw_model *m, int code, const char *custom, const int *in,
              int n_in, const int *out, int n_out, int options_type,
              tw_obj *options);
/* Raw custom_options bytes of op `op`. */
void tw_set_custom_options(tw_model *m, int op, const void *data,
                           size_t len);

void tw_set_inputs(tw_model *m, const int *t, int n);
void tw_set_outputs(tw_model *m, const int *t, int n);

/* Lays the model out; returns a malloc'd file (caller frees) and its
 * size. The model can be finished again after more changes. */
uint8_t *tw_finish(tw_model *m, size_t *size);

/* ---- Examples ---- */

/* Small valid models covering every op kind the importer lowers (used by
 * the tests and as fuzzing seeds). tw_example() returns a malloc'd file
 * for i < tw_example_count() and its short name, or NULL. */
int tw_example_count(void);
uint8_t *tw_example(int i, size_t *size, const char **name);

/* Round-to-nearest-even float -> IEEE half bits (test data helper). */
uint16_t tw_f32_to_f16(float f);

#endif
