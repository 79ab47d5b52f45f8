/*
 * graph: the engine's intermediate representation of a neural network.
 *
 * A graph is a list of float32 tensors and a list of nodes in execution
 * order. Importers (tflite.c) build it; eng_graph_check() proves it sound
 * (indices, topology, static shapes inferred and compared with the declared
 * ones); eng_graph_optimize() fuses what the kernels can do in one pass;
 * the executor (model.c) plans memory and binds kernels to it.
 *
 * What it does not do: run anything, or know about files. All activations
 * are float32 NHWC with static shapes; integer operands of the source format
 * (shapes, paddings, axes) are turned into node parameters by the importer,
 * and fp16/sparse weights are expanded to dense fp32 constants at import.
 *
 * Ownership: the graph owns every tensor name, every constant's data (in its
 * weight arena) and its node and tensor arrays. Indices stay valid for the
 * graph's life; pointers into the arrays are invalidated by further adds.
 */
#ifndef ENG_GRAPH_H
#define ENG_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "status.h"

#define ENG_MAX_DIMS 4
#define ENG_MAX_NODE_INPUTS 8
#define ENG_MAX_NODE_OUTPUTS 1
#define ENG_MAX_GRAPH_IO 16
#define ENG_MAX_SOURCE_OPS 64

typedef enum eng_op {
    ENG_OP_CONV2D,           /* in: x, w[Cout,KH,KW,Cin], bias[Cout] or -1 */
    ENG_OP_DEPTHWISE_CONV2D, /* in: x, w[1,KH,KW,C], bias[C] or -1 */
    ENG_OP_TRANSPOSE_CONV2D, /* in: x, w[Cout,KH,KW,Cin], bias[Cout] or -1 */
    ENG_OP_FULLY_CONNECTED,  /* in: x, w[out,in], bias[out] or -1 */
    ENG_OP_MAX_POOL2D,       /* in: x */
    ENG_OP_AVERAGE_POOL2D,   /* in: x; averages valid (unpadded) cells only */
    ENG_OP_MEAN,             /* in: x; reduces over p.mean.axes */
    ENG_OP_ADD,              /* in: a, b (b may broadcast, numpy rules) */
    ENG_OP_MUL,              /* in: a, b (b may broadcast, numpy rules) */
    ENG_OP_PRELU,            /* in: x, alpha (broadcast over leading dims) */
    ENG_OP_RELU,             /* in: x */
    ENG_OP_RELU6,            /* in: x */
    ENG_OP_HARD_SWISH,       /* in: x; x*relu6(x+3)/6 */
    ENG_OP_LOGISTIC,         /* in: x; 1/(1+exp(-x)) */
    ENG_OP_PAD,              /* in: x; zero padding per dim */
    ENG_OP_RESHAPE,          /* in: x; same data, output's declared shape */
    ENG_OP_CONCATENATION,    /* in: n tensors; along p.concat.axis */
    ENG_OP_DEPTH_TO_SPACE,   /* in: x; TF (DCR) order */
    ENG_OP_RESIZE_BILINEAR,  /* in: x; output size = output tensor's H, W */
    ENG_OP_COUNT
} eng_op;

/* Fused activation clamps applied to an op's output. */
typedef enum eng_activation {
    ENG_ACT_NONE,
    ENG_ACT_RELU,
    ENG_ACT_RELU6,
    ENG_ACT_RELU_N1_TO_1,
} eng_activation;

/* Explicit spatial padding; SAME is resolved to these by the importer with
 * TFLite's rule (before = floor(total/2), after = the rest). */
typedef struct eng_padding {
    int top, bottom, left, right;
} eng_padding;

typedef struct eng_conv_params {
    int stride_h, stride_w;
    int dilation_h, dilation_w;
    eng_padding pad; /* transpose conv: cropped from the full output */
    eng_activation act;
} eng_conv_params;

typedef struct eng_pool_params {
    int filter_h, filter_w;
    int stride_h, stride_w;
    eng_padding pad;
    eng_activation act;
} eng_pool_params;

typedef struct eng_node_params {
    eng_activation act; /* ADD, MUL, CONCATENATION, FULLY_CONNECTED */
    union {
        eng_conv_params conv; /* CONV2D, DEPTHWISE_CONV2D, TRANSPOSE_CONV2D */
        eng_pool_params pool; /* MAX_POOL2D, AVERAGE_POOL2D */
        struct {
            unsigned axes;    /* bit i set: reduce dim i */
            bool keep_dims;
        } mean;
        struct {
            int before[ENG_MAX_DIMS], after[ENG_MAX_DIMS];
        } pad;
        struct {
            int axis;
        } concat;
        struct {
            int block;
        } depth_to_space;
        struct {
            bool align_corners, half_pixel_centers;
        } resize;
    } u;
} eng_node_params;

typedef struct eng_tensor {
    char *name;               /* owned; "" when the source had none */
    int ndim;
    int dims[ENG_MAX_DIMS];
    size_t count;             /* product of dims */
    float *data;              /* constants only: graph-owned; else NULL */
    int producer;             /* node index, or -1 (constant or graph input) */
} eng_tensor;

typedef struct eng_node {
    eng_op op;
    int n_inputs;
    int inputs[ENG_MAX_NODE_INPUTS]; /* tensor indices; -1 = absent optional */
    int output;                      /* tensor index */
    eng_node_params p;
    int source_index; /* op index in the source file, for messages */
} eng_node;

/* How often each op of the source file occurred, before lowering (so that
 * `model info` can show DEQUANTIZE and DENSIFY that no longer exist). */
typedef struct eng_source_op_count {
    char name[40];
    int count;
} eng_source_op_count;

typedef struct eng_graph {
    eng_tensor *tensors;
    int n_tensors, cap_tensors;
    eng_node *nodes;
    int n_nodes, cap_nodes;
    int inputs[ENG_MAX_GRAPH_IO], n_inputs;
    int outputs[ENG_MAX_GRAPH_IO], n_outputs;
    eng_source_op_count source_ops[ENG_MAX_SOURCE_OPS];
    int n_source_ops;
    char description[128]; /* free text from the source file, may be "" */
    eng_arena weights;     /* backs every constant's data and every name */
} eng_graph;

/* Creates an empty graph; NULL when out of memory. */
eng_graph *eng_graph_create(void);

/* Frees the graph and everything it owns. Accepts NULL. */
void eng_graph_destroy(eng_graph *g);

/* Adds a tensor of the given shape (ndim 0..ENG_MAX_DIMS, every dim >= 1)
 * and returns its index, or -1 with err set (EFORMAT for a bad shape or an
 * element count over 2^31, ENOMEM). `name` is copied; NULL means "". */
int eng_graph_add_tensor(eng_graph *g, const char *name, int ndim,
                         const int *dims, eng_error *err);

/* Gives tensor t constant storage of count floats (zeroed, 64-byte aligned,
 * owned by the graph) and returns it for the importer to fill; NULL with err
 * set when out of memory or t already has data. */
float *eng_graph_alloc_const(eng_graph *g, int t, eng_error *err);

/* Appends a node; inputs are copied. Returns its index or -1 with err set
 * (EFORMAT for out-of-range tensor indices or too many inputs). Producers
 * are recorded; a tensor produced twice is a format error. */
int eng_graph_add_node(eng_graph *g, eng_op op, const int *inputs,
                       int n_inputs, int output, const eng_node_params *p,
                       int source_index, eng_error *err);

/* Counts one occurrence of a source-format op name (for the census). */
void eng_graph_count_source_op(eng_graph *g, const char *name);

/* Proves the graph runnable: indices valid, every node's inputs produced
 * earlier or constant or graph inputs, graph inputs not constant, weights
 * constant with the layout the op needs, and every output shape equal to
 * the one inferred from the op's semantics. EFORMAT/EUNSUPPORTED with a
 * message naming the node and tensor otherwise. */
eng_status eng_graph_check(const eng_graph *g, eng_error *err);

/* Rewrites the graph for speed without changing its results: folds a zero
 * spatial PAD into the convolution or pool that alone consumes it, and a
 * standalone RELU/RELU6 into a producer that alone feeds it and supports a
 * fused clamp. Graph outputs are never fused away. Requires a checked graph;
 * leaves it checked. Tensors that lose their producer stay, unused. */
eng_status eng_graph_optimize(eng_graph *g, eng_error *err);

/* Removes graph output i (0 <= i < n_outputs; later outputs move down one
 * index) and every node that then feeds no remaining output: the work of
 * an output the caller never reads. Requires a checked graph; leaves it
 * checked. EINVAL for a bad index or the last output. */
eng_status eng_graph_drop_output(eng_graph *g, int i, eng_error *err);

/* Computes the output shape of node n from its inputs' shapes into
 * (ndim, dims). EFORMAT/EUNSUPPORTED when the inputs do not fit the op. */
eng_status eng_graph_infer_shape(const eng_graph *g, const eng_node *n,
                                 int *ndim, int dims[ENG_MAX_DIMS],
                                 eng_error *err);

/* Multiply-adds x2 of the node (conv, dwconv, deconv, FC) or one per output
 * element for everything else. */
int64_t eng_node_flops(const eng_graph *g, const eng_node *n);

/* Sum of the element counts of all constant tensors (parameters). */
int64_t eng_graph_params(const eng_graph *g);

/* Stable upper-case name of an op ("CONV_2D", ...), as TFLite spells it. */
const char *eng_op_name(eng_op op);

/* Clamp bounds of a fused activation (-inf/+inf for NONE). */
void eng_activation_range(eng_activation act, float *lo, float *hi);

/* Number of tensors' consumers: how many node inputs name tensor t, plus
 * one if t is a graph output. */
int eng_graph_consumers(const eng_graph *g, int t);

#endif
