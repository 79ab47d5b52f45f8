/*
 * model: a graph made runnable.
 *
 * eng_model_create() optimises the graph, plans one activation arena for all
 * intermediate tensors from their lifetimes (reshapes alias their input),
 * creates one kernel per node with its weights packed (XNNPACK operators for
 * convolutions, pooling and element-wise ops; our own kernels only where
 * XNNPACK has none) and sets every kernel up once for the static shapes.
 * eng_model_run() then only runs the kernels: it never allocates.
 *
 * Inputs and outputs live in the arena at fixed addresses: write inputs
 * through eng_model_input_data(), read outputs through
 * eng_model_output_data() until the next run.
 *
 * A model is used by one thread at a time; its kernels use the runtime's pool.
 */
#ifndef ENG_MODEL_H
#define ENG_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"
#include "runtime.h"
#include "status.h"

typedef struct eng_model eng_model;

/* Takes ownership of `graph` (destroyed with the model, or on failure) and
 * borrows `rt`, which must outlive the model. EUNSUPPORTED when a node has no
 * kernel, EBACKEND when XNNPACK refuses one, ENOMEM. */
eng_status eng_model_create(eng_runtime *rt, eng_graph *graph, eng_model **out,
                            eng_error *err);

/* Imports a .tflite file and creates the model from it. */
eng_status eng_model_load(eng_runtime *rt, const char *path, eng_model **out,
                          eng_error *err);

/* Frees the model, its kernels, arena and graph. Accepts NULL. */
void eng_model_destroy(eng_model *m);

/* Runs every node once. EBACKEND when a kernel fails. No allocation. */
eng_status eng_model_run(eng_model *m, eng_error *err);

/* The optimised graph the model runs (borrowed). */
const eng_graph *eng_model_graph(const eng_model *m);

int eng_model_num_inputs(const eng_model *m);
int eng_model_num_outputs(const eng_model *m);

/* Tensor descriptions (name, shape) of input/output i, borrowed. */
const eng_tensor *eng_model_input(const eng_model *m, int i);
const eng_tensor *eng_model_output(const eng_model *m, int i);

/* Where to write input i / read output i (count floats, fixed address). */
float *eng_model_input_data(eng_model *m, int i);
const float *eng_model_output_data(const eng_model *m, int i);

/* Bytes of the activation arena (the planned peak of live activations). */
size_t eng_model_arena_bytes(const eng_model *m);

/* Per-op-type time of the runs since profiling was enabled. */
typedef struct eng_profile_entry {
    eng_op op;
    const char *backend; /* "xnnpack", "posescope", "alias" */
    int nodes;           /* nodes of this op type and backend */
    double ms;           /* total time in all profiled runs */
    int64_t flops;       /* per run */
} eng_profile_entry;

typedef struct eng_profile {
    eng_profile_entry entries[2 * ENG_OP_COUNT];
    int n_entries;
    int runs;
    double total_ms;
} eng_profile;

/* Turns per-node timing on (a clock read around every node) or off, and
 * clears what was gathered. Off by default: it costs a little. */
void eng_model_set_profiling(eng_model *m, int on);

/* Fills *out with the per-op-type totals gathered so far. */
void eng_model_get_profile(const eng_model *m, eng_profile *out);

#endif
