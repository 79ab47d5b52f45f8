/*
 * ref_ops: a plain scalar reference implementation of every eng_op, for the
 * kernel tests.
 *
 * ref_run() evaluates an eng_graph node by node, straight from the op's
 * definition (TFLite semantics; loops over output elements, double
 * accumulation, no tiling, no fusion), and keeps every tensor. Alongside each
 * value it keeps an error scale `mag`: the sum of the magnitudes of the terms
 * that formed it plus the input error scales propagated through the op (zero
 * for graph inputs and constants, which are exact). A float32 kernel that is
 * correct up to rounding stays within a small multiple of FLT_EPSILON * mag
 * of the reference, whatever order it sums in; so tests can be tight without
 * being flaky: |ours - ref| <= 1e-5 * mag + 1e-6. The scale is a
 * worst-case bound: through a whole network it grows by the weights' norms
 * at every layer and soon means nothing, so it is for small graphs.
 *
 * What it does not do: run fast, validate the graph (call eng_graph_check
 * first), or know about XNNPACK. Constants and inputs are copied; the graph
 * is only read.
 */
#ifndef REF_OPS_H
#define REF_OPS_H

#include "graph.h"

typedef struct ref_tensors {
    int n;        /* the graph's n_tensors */
    float **val;  /* per tensor: `count` values; NULL if never computed */
    double **mag; /* per tensor: error scale of each value (see above) */
} ref_tensors;

/* Evaluates every node of g in order. inputs[i] holds the values of graph
 * input i (borrowed). Fills *out, which the caller frees with ref_free().
 * Returns 0, or -1 (after printing why to stderr) for an op variant the
 * reference does not define or when memory runs out. */
int ref_run(const eng_graph *g, const float *const *inputs, ref_tensors *out);

/* Frees what ref_run() filled. Accepts a zeroed struct. */
void ref_free(ref_tensors *r);

/* The tolerance of one value: 1e-5 * mag + 1e-6. */
double ref_tolerance(double mag);

#endif
