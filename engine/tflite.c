/*
 * Implementation notes. The file is read in one pass over subgraph 0:
 * opcodes, buffers and every tensor are parsed and validated up front
 * (tfl_tensor), then operators are lowered in file order. TFLite tensors
 * become eng tensors lazily: graph inputs first, activations when an op
 * writes them, constants when an op first reads them. DENSIFY keeps its
 * dense result on the TFLite tensor (tfl_tensor.dense) for the DEQUANTIZE
 * that follows; DEQUANTIZE turns fp16 bytes into an eng constant. All
 * flatbuffer reads go through flatbuf.c, which latches the first bad
 * access; fb_fail() turns it into a message naming the object.
 */
#include "tflite.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "flatbuf.h"
#include "fp16.h"

/* ---- Schema facts (tensorflow/lite/schema/schema.fbs, version 3) ---- */

enum { SCHEMA_VERSION = 3 };

/* Field ids, in schema declaration order. */
enum { MODEL_VERSION, MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS,
       MODEL_DESCRIPTION, MODEL_BUFFERS };
enum { OPCODE_DEPRECATED_BUILTIN, OPCODE_CUSTOM, OPCODE_VERSION,
       OPCODE_BUILTIN };
enum { SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS,
       SUBGRAPH_OPERATORS };
enum { TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME,
       TENSOR_QUANTIZATION, TENSOR_IS_VARIABLE, TENSOR_SPARSITY };
enum { QUANT_MIN, QUANT_MAX, QUANT_SCALE, QUANT_ZERO_POINT,
       QUANT_DETAILS_TYPE };
enum { BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE };
enum { OP_OPCODE_INDEX, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS_TYPE, OP_OPTIONS,
       OP_CUSTOM_OPTIONS, OP_CUSTOM_FORMAT, OP_MUTATING_INPUTS,
       OP_INTERMEDIATES, OP_LARGE_CUSTOM_OFFSET, OP_LARGE_CUSTOM_SIZE };
enum { SPARSITY_TRAVERSAL_ORDER, SPARSITY_BLOCK_MAP, SPARSITY_DIM_METADATA };
enum { DIM_FORMAT, DIM_DENSE_SIZE, DIM_SEGMENTS_TYPE, DIM_SEGMENTS,
       DIM_INDICES_TYPE, DIM_INDICES };
enum { INDEX_VECTOR_VALUES };
enum { DIM_DENSE, DIM_SPARSE_CSR };
enum { INDEX_NONE, INDEX_INT32, INDEX_UINT16, INDEX_UINT8 };

/* Options tables. */
enum { CONV_PADDING, CONV_STRIDE_W, CONV_STRIDE_H, CONV_ACTIVATION,
       CONV_DILATION_W, CONV_DILATION_H };
enum { DW_PADDING, DW_STRIDE_W, DW_STRIDE_H, DW_DEPTH_MULTIPLIER,
       DW_ACTIVATION, DW_DILATION_W, DW_DILATION_H };
enum { POOL_PADDING, POOL_STRIDE_W, POOL_STRIDE_H, POOL_FILTER_W,
       POOL_FILTER_H, POOL_ACTIVATION };
enum { FC_ACTIVATION, FC_WEIGHTS_FORMAT, FC_KEEP_NUM_DIMS };
enum { CONCAT_AXIS, CONCAT_ACTIVATION };
enum { BINARY_ACTIVATION }; /* AddOptions, MulOptions */
enum { RESHAPE_NEW_SHAPE };
enum { RESIZE_NEW_HEIGHT, RESIZE_NEW_WIDTH, RESIZE_ALIGN_CORNERS,
       RESIZE_HALF_PIXEL_CENTERS };
enum { D2S_BLOCK_SIZE };
enum { REDUCER_KEEP_DIMS };

/* BuiltinOptions union type ids (1 + position in the union). */
enum {
    OPT_NONE = 0,
    OPT_CONV2D = 1,
    OPT_DEPTHWISE_CONV2D = 2,
    OPT_POOL2D = 5,
    OPT_FULLY_CONNECTED = 8,
    OPT_CONCATENATION = 10,
    OPT_ADD = 11,
    OPT_RESIZE_BILINEAR = 15,
    OPT_RESHAPE = 17,
    OPT_MUL = 21,
    OPT_PAD = 22,
    OPT_REDUCER = 27,
    OPT_DEQUANTIZE = 38,
    OPT_HARD_SWISH = 91,
    OPT_DEPTH_TO_SPACE = 94,
    OPT_DENSIFY = 99,
};

/* BuiltinOperator codes of the ops this importer knows. */
enum {
    OP_ADD = 0,
    OP_AVERAGE_POOL_2D = 1,
    OP_CONCATENATION = 2,
    OP_CONV_2D = 3,
    OP_DEPTHWISE_CONV_2D = 4,
    OP_DEPTH_TO_SPACE = 5,
    OP_DEQUANTIZE = 6,
    OP_FULLY_CONNECTED = 9,
    OP_LOGISTIC = 14,
    OP_MAX_POOL_2D = 17,
    OP_MUL = 18,
    OP_RELU = 19,
    OP_RELU6 = 21,
    OP_RESHAPE = 22,
    OP_RESIZE_BILINEAR = 23,
    OP_CUSTOM = 32,
    OP_PAD = 34,
    OP_MEAN = 40,
    OP_PRELU = 54,
    OP_HARD_SWISH = 117,
    OP_DENSIFY = 124,
};

enum { TYPE_FLOAT32 = 0, TYPE_FLOAT16 = 1, TYPE_INT32 = 2 };
enum { PADDING_SAME = 0, PADDING_VALID = 1 };
/* MediaPipe's custom transpose conv stores TfLitePadding, numbered
 * differently from the schema's Padding enum. */
enum { TFLITE_PADDING_SAME = 1, TFLITE_PADDING_VALID = 2 };
enum { ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6, ACT_TANH,
       ACT_SIGN_BIT };

static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR",
    "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM",
    "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6", "RESHAPE",
    "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE", "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER",
    "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
    "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE",
    "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
    "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL",
    "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT",
    "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
    "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV",
    "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
    "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N",
    "GATHER_ND", "COS", "WHERE", "RANK", "ELU", "REVERSE_SEQUENCE",
    "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF",
    "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND",
    "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO",
    "RFFT2D", "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE",
    "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL",
    "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
    "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM",
    "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1",
    "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
    "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR",
    "RIGHT_SHIFT", "STABLEHLO_LOGISTIC",
};
#define N_BUILTIN_NAMES (sizeof(builtin_names) / sizeof(builtin_names[0]))

static const char *const type_names[] = {
    "FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING", "BOOL",
    "INT16", "COMPLEX64", "INT8", "FLOAT64", "COMPLEX128", "UINT64",
    "RESOURCE", "VARIANT", "UINT32", "UINT16", "INT4",
};
/* Bytes per element; 0 for types without a fixed size (STRING, INT4...). */
static const unsigned char type_sizes[] = {
    4, 2, 4, 1, 8, 0, 1, 2, 8, 1, 8, 16, 8, 0, 0, 4, 2, 0,
};
#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char custom_transpose_conv[] = "Convolution2DTransposeBias";

/* ---- Importer limits ---- */

#define MAX_OBJECTS (1 << 20)   /* tensors, ops, buffers, opcodes */
#define MAX_NAME_COPY 1023      /* longer tensor names are truncated */
#define MAX_LABEL_NAME 48       /* name bytes shown in a message */
#define MAX_FACTOR 65536        /* strides, dilations, filters, blocks */
/* Expanded constants (fp32 and densified bytes) may take this many times
 * the file size plus a slack; it bounds what a small hostile file (a huge
 * sparse shape) can make us allocate. MediaPipe's models need < 16x. */
#define EXPANSION_FACTOR 64
#define EXPANSION_SLACK ((uint64_t)1 << 20)

/* ---- Importer state ---- */

typedef struct tfl_buffer {
    const uint8_t *data; /* inside the file; NULL when empty */
    size_t len;
} tfl_buffer;

typedef struct tfl_opcode {
    int32_t code;        /* BuiltinOperator */
    const uint8_t *custom;
    size_t custom_len;
    char name[40];       /* "CONV_2D" or "CUSTOM:<code>", for census/messages */
} tfl_opcode;

typedef struct tfl_tensor {
    const uint8_t *name; /* not NUL-terminated; checked NUL-free */
    size_t name_len;
    int type;
    int ndim;
    int dims[ENG_MAX_DIMS];
    size_t count;
    const uint8_t *data;  /* constant bytes in the file, NULL if none */
    size_t data_len;
    eng_fb_table sparsity;
    bool quantized;
    uint8_t *dense;       /* owned: DENSIFY's output, in `type` */
    int eng;              /* eng tensor index, -1 until mapped */
} tfl_tensor;

typedef struct importer {
    eng_fb fb;
    eng_error e;          /* always written; copied to the caller's */
    eng_graph *g;
    tfl_opcode *codes;
    size_t n_codes;
    tfl_buffer *buffers;
    size_t n_buffers;
    tfl_tensor *tensors;
    int n_tensors;
    uint64_t budget;      /* bytes of expanded constants still allowed */
} importer;

typedef struct tfl_op {
    int index;
    const tfl_opcode *code;
    eng_op op;            /* what it lowers to (ENG_OP_COUNT: a fold) */
    eng_fb_table table;
    eng_fb_table opts;    /* builtin options, absent when none */
    int n_in;
    int in[ENG_MAX_NODE_INPUTS]; /* tensor indices, -1 = absent optional */
    int out;
} tfl_op;

typedef eng_status (*lower_fn)(importer *m, const tfl_op *o);

typedef struct lowering {
    int32_t code;
    const char *custom;   /* custom_code for OP_CUSTOM, else NULL */
    int options;          /* accepted builtin options type (or none) */
    int min_in, max_in;
    int optional;         /* the input that may be -1 (absent), or -1 */
    eng_op op;
    lower_fn fn;
} lowering;

/* "tensor 12 'conv1/weights'" for messages: C11 keeps the returned struct
 * alive until the end of the full expression that formats it. */
typedef struct label {
    char s[MAX_LABEL_NAME + 32];
} label;

static label tlabel(const importer *m, int k)
{
    label l;
    const tfl_tensor *t = &m->tensors[k];
    char name[MAX_LABEL_NAME + 4];
    size_t n = t->name_len < MAX_LABEL_NAME ? t->name_len : MAX_LABEL_NAME;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = t->name[i];
        name[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n < t->name_len)
        name[n++] = '~';
    name[n] = '\0';
    snprintf(l.s, sizeof(l.s), "tensor %d '%s'", k, name);
    return l;
}

static const char *type_name(int type)
{
    return type >= 0 && (size_t)type < N_TYPES ? type_names[type] : "?";
}

/* Turns a latched flatbuffer failure into an EFORMAT naming the object. */
static eng_status fb_fail(importer *m, const char *what, long index)
{
    if (index >= 0)
        return eng_fail(&m->e, ENG_EFORMAT, "%s %ld: %s at byte %zu", what,
                        index, eng_fb_failed(&m->fb), m->fb.bad_at);
    return eng_fail(&m->e, ENG_EFORMAT, "%s: %s at byte %zu", what,
                    eng_fb_failed(&m->fb), m->fb.bad_at);
}

/* ---- Model-level tables ---- */

static eng_status read_opcodes(importer *m, eng_fb_table root)
{
    eng_fb *fb = &m->fb;
    eng_fb_vec v = eng_fb_vector(fb, root, MODEL_OPERATOR_CODES, 4);
    if (eng_fb_bad(fb))
        return fb_fail(m, "operator_codes", -1);
    if (v.len > MAX_OBJECTS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%zu operator codes",
                        v.len);
    m->codes = calloc(v.len ? v.len : 1, sizeof(*m->codes));
    if (!m->codes)
        return eng_fail(&m->e, ENG_ENOMEM, "out of memory (opcodes)");
    m->n_codes = v.len;
    for (size_t i = 0; i < v.len; i++) {
        tfl_opcode *c = &m->codes[i];
        eng_fb_table t = eng_fb_vec_table(fb, v, i);
        int32_t dep = eng_fb_i8(fb, t, OPCODE_DEPRECATED_BUILTIN, 0);
        int32_t code = eng_fb_i32(fb, t, OPCODE_BUILTIN, 0);
        c->code = dep > code ? dep : code;
        c->custom = eng_fb_string(fb, t, OPCODE_CUSTOM, &c->custom_len);
        if (eng_fb_bad(fb))
            return fb_fail(m, "operator code", (long)i);
        if (c->code < 0)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "operator code %zu: negative builtin code %d", i,
                            (int)c->code);
        if (c->code == OP_CUSTOM) {
            if (!c->custom || !c->custom_len ||
                memchr(c->custom, 0, c->custom_len))
                return eng_fail(&m->e, ENG_EFORMAT,
                                "operator code %zu: CUSTOM without a valid "
                                "custom_code", i);
            int n = c->custom_len > 30 ? 30 : (int)c->custom_len;
            snprintf(c->name, sizeof(c->name), "CUSTOM:%.*s", n,
                     (const char *)c->custom);
        } else if ((size_t)c->code < N_BUILTIN_NAMES) {
            snprintf(c->name, sizeof(c->name), "%s",
                     builtin_names[c->code]);
        } else {
            snprintf(c->name, sizeof(c->name), "BUILTIN_%d", (int)c->code);
        }
    }
    return ENG_OK;
}

/* Buffers hold data inline, or (for files over 2 GB) at a file offset. */
static eng_status read_buffer(importer *m, eng_fb_table t, size_t i)
{
    eng_fb *fb = &m->fb;
    eng_fb_vec d = eng_fb_vector(fb, t, BUFFER_DATA, 1);
    uint64_t off = eng_fb_u64(fb, t, BUFFER_OFFSET, 0);
    uint64_t size = eng_fb_u64(fb, t, BUFFER_SIZE, 0);
    if (eng_fb_bad(fb))
        return fb_fail(m, "buffer", (long)i);
    tfl_buffer *b = &m->buffers[i];
    if (off > 1) {
        if (d.len)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "buffer %zu has both inline data and an "
                            "external offset", i);
        if (off > fb->size || size > fb->size - off)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "buffer %zu: external data at %llu+%llu is "
                            "outside the %zu-byte file", i,
                            (unsigned long long)off,
                            (unsigned long long)size, fb->size);
        b->data = size ? fb->data + off : NULL;
        b->len = (size_t)size;
    } else {
        b->data = d.len ? fb->data + d.pos : NULL;
        b->len = d.len;
    }
    return ENG_OK;
}

static eng_status read_buffers(importer *m, eng_fb_table root)
{
    eng_fb_vec v = eng_fb_vector(&m->fb, root, MODEL_BUFFERS, 4);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "buffers", -1);
    if (v.len > MAX_OBJECTS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%zu buffers", v.len);
    m->buffers = calloc(v.len ? v.len : 1, sizeof(*m->buffers));
    if (!m->buffers)
        return eng_fail(&m->e, ENG_ENOMEM, "out of memory (buffers)");
    m->n_buffers = v.len;
    for (size_t i = 0; i < v.len; i++) {
        eng_fb_table t = eng_fb_vec_table(&m->fb, v, i);
        eng_status st = read_buffer(m, t, i);
        if (st)
            return st;
    }
    return ENG_OK;
}

static void read_description(importer *m, eng_fb_table root)
{
    size_t len;
    const uint8_t *s = eng_fb_string(&m->fb, root, MODEL_DESCRIPTION, &len);
    size_t cap = sizeof(m->g->description) - 1;
    size_t n = 0;
    while (s && n < len && n < cap && s[n])
        n++;
    if (n)
        memcpy(m->g->description, s, n);
    m->g->description[n] = '\0';
}

/* ---- Tensors ---- */

static bool is_quantized(eng_fb *fb, eng_fb_table q)
{
    if (!q.present)
        return false;
    return eng_fb_vector(fb, q, QUANT_SCALE, 4).len > 0 ||
           eng_fb_vector(fb, q, QUANT_ZERO_POINT, 8).len > 0 ||
           eng_fb_u8(fb, q, QUANT_DETAILS_TYPE, 0) != 0;
}

static eng_status read_shape(importer *m, eng_fb_table t, int k)
{
    tfl_tensor *tt = &m->tensors[k];
    eng_fb_vec shape = eng_fb_vector(&m->fb, t, TENSOR_SHAPE, 4);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "tensor", k);
    if (shape.len > ENG_MAX_DIMS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%s: rank %zu (at most %d)",
                        tlabel(m, k).s, shape.len, ENG_MAX_DIMS);
    uint64_t count = 1;
    tt->ndim = (int)shape.len;
    for (int i = 0; i < tt->ndim; i++) {
        int32_t d = eng_fb_vec_i32(&m->fb, shape, (size_t)i);
        if (d < 1)
            return eng_fail(&m->e, ENG_EFORMAT, "%s: dimension %d is %d",
                            tlabel(m, k).s, i, (int)d);
        tt->dims[i] = d;
        count *= (uint64_t)d; /* < 2^31 * 2^31: no wrap */
        if (count > INT32_MAX)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "%s: more than 2^31 elements", tlabel(m, k).s);
    }
    tt->count = (size_t)count;
    return ENG_OK;
}

/* A dense constant's buffer must hold exactly count * element size. */
static eng_status check_data(importer *m, int k, uint32_t buf)
{
    const tfl_tensor *tt = &m->tensors[k];
    if (!tt->data || tt->sparsity.present)
        return ENG_OK;
    size_t esize = tt->type >= 0 && (size_t)tt->type < N_TYPES
                       ? type_sizes[tt->type] : 0;
    if (!esize)
        return ENG_OK; /* rejected when an op uses it */
    uint64_t need = (uint64_t)tt->count * esize;
    if (need != tt->data_len)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "%s: buffer %u holds %zu bytes, shape needs %llu",
                        tlabel(m, k).s, (unsigned)buf, tt->data_len,
                        (unsigned long long)need);
    return ENG_OK;
}

static eng_status read_tensor(importer *m, eng_fb_table t, int k)
{
    eng_fb *fb = &m->fb;
    tfl_tensor *tt = &m->tensors[k];
    tt->eng = -1;
    tt->name = eng_fb_string(fb, t, TENSOR_NAME, &tt->name_len);
    tt->type = eng_fb_i8(fb, t, TENSOR_TYPE, 0);
    uint32_t buf = eng_fb_u32(fb, t, TENSOR_BUFFER, 0);
    tt->quantized = is_quantized(fb, eng_fb_table_field(fb, t,
                                                        TENSOR_QUANTIZATION));
    tt->sparsity = eng_fb_table_field(fb, t, TENSOR_SPARSITY);
    if (eng_fb_bad(fb))
        return fb_fail(m, "tensor", k);
    if (tt->name && memchr(tt->name, 0, tt->name_len))
        return eng_fail(&m->e, ENG_EFORMAT, "tensor %d: name contains NUL",
                        k);
    if (buf >= m->n_buffers)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "%s: buffer %u out of range (%zu buffers)",
                        tlabel(m, k).s, (unsigned)buf, m->n_buffers);
    tt->data = m->buffers[buf].data;
    tt->data_len = m->buffers[buf].len;
    eng_status st = read_shape(m, t, k);
    return st ? st : check_data(m, k, buf);
}

static eng_status read_tensors(importer *m, eng_fb_table sg)
{
    eng_fb_vec v = eng_fb_vector(&m->fb, sg, SUBGRAPH_TENSORS, 4);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "subgraph 0 tensors", -1);
    if (v.len > MAX_OBJECTS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%zu tensors", v.len);
    m->tensors = calloc(v.len ? v.len : 1, sizeof(*m->tensors));
    if (!m->tensors)
        return eng_fail(&m->e, ENG_ENOMEM, "out of memory (tensors)");
    m->n_tensors = (int)v.len;
    for (int k = 0; k < m->n_tensors; k++) {
        eng_fb_table t = eng_fb_vec_table(&m->fb, v, (size_t)k);
        eng_status st = read_tensor(m, t, k);
        if (st)
            return st;
    }
    return ENG_OK;
}

/* Constant bytes of tensor k in its own type (dense), or NULL. */
static const uint8_t *const_bytes(const importer *m, int k)
{
    const tfl_tensor *t = &m->tensors[k];
    if (t->dense)
        return t->dense;
    return t->sparsity.present ? NULL : t->data;
}

static eng_status spend(importer *m, uint64_t bytes, int k)
{
    if (bytes > m->budget)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "%s: constants expand to more than %d times the "
                        "file size", tlabel(m, k).s, EXPANSION_FACTOR);
    m->budget -= bytes;
    return ENG_OK;
}

/* Maps TFLite tensor k to a new eng tensor of the same name and shape. */
static eng_status new_eng_tensor(importer *m, int k)
{
    tfl_tensor *t = &m->tensors[k];
    char name[MAX_NAME_COPY + 1];
    size_t n = t->name_len < MAX_NAME_COPY ? t->name_len : MAX_NAME_COPY;
    if (n)
        memcpy(name, t->name, n);
    name[n] = '\0';
    int e = eng_graph_add_tensor(m->g, name, t->ndim, t->dims, &m->e);
    if (e < 0)
        return m->e.status ? m->e.status : ENG_EFORMAT;
    t->eng = e;
    return ENG_OK;
}

/* Maps constant tensor k to an eng constant filled with `count` floats
 * converted from `bytes` of the given type (FLOAT32 or FLOAT16). */
static eng_status new_eng_const(importer *m, int k, const uint8_t *bytes,
                                int type)
{
    tfl_tensor *t = &m->tensors[k];
    eng_status st = spend(m, (uint64_t)t->count * sizeof(float), k);
    if (!st)
        st = new_eng_tensor(m, k);
    if (st)
        return st;
    float *dst = eng_graph_alloc_const(m->g, t->eng, &m->e);
    if (!dst)
        return m->e.status ? m->e.status : ENG_ENOMEM;
    if (type == TYPE_FLOAT16) {
        eng_f16le_to_f32(bytes, t->count, dst);
        return ENG_OK;
    }
    for (size_t i = 0; i < t->count; i++) {
        uint32_t u = eng_fb_le32(bytes + 4 * i);
        memcpy(&dst[i], &u, sizeof(float));
    }
    return ENG_OK;
}

/* ---- Operands ---- */

/* The eng tensor for float input k of op o: an activation produced
 * earlier, a graph input, or a FLOAT32 constant (mapped on first use). */
static eng_status float_operand(importer *m, const tfl_op *o, int k, int *e)
{
    if (k < 0)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): a required input is absent", o->index,
                        o->code->name);
    tfl_tensor *t = &m->tensors[k];
    if (t->eng >= 0) {
        *e = t->eng;
        return ENG_OK;
    }
    if (t->quantized)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %s is quantized (only float32 is "
                        "supported)", o->index, o->code->name,
                        tlabel(m, k).s);
    if (t->sparsity.present && !t->dense)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): sparse %s is used without DENSIFY",
                        o->index, o->code->name, tlabel(m, k).s);
    const uint8_t *bytes = const_bytes(m, k);
    if (t->type != TYPE_FLOAT32) {
        const char *what = !bytes ? "activation" :
                           t->type == TYPE_FLOAT16 ? "fp16 constant "
                           "without DEQUANTIZE" : "constant";
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %s has type %s (%s; only FLOAT32 is "
                        "supported)", o->index, o->code->name,
                        tlabel(m, k).s, type_name(t->type), what);
    }
    if (!bytes)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %s is read before any op writes it",
                        o->index, o->code->name, tlabel(m, k).s);
    eng_status st = new_eng_const(m, k, bytes, TYPE_FLOAT32);
    *e = t->eng;
    return st;
}

/* Checks that output k of op o is a fresh tensor of want_type: not a
 * constant, not a graph input, not written before. */
static eng_status check_output(importer *m, const tfl_op *o, int k,
                               int want_type)
{
    const tfl_tensor *t = &m->tensors[k];
    if (t->type != want_type)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): output %s has type %s (expected %s)",
                        o->index, o->code->name, tlabel(m, k).s,
                        type_name(t->type), type_name(want_type));
    if (t->quantized)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): output %s is quantized (only float32 "
                        "is supported)", o->index, o->code->name,
                        tlabel(m, k).s);
    if (t->eng >= 0 || t->dense || t->data || t->sparsity.present)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): output %s is a constant, a graph input "
                        "or written twice", o->index, o->code->name,
                        tlabel(m, k).s);
    return ENG_OK;
}

static eng_status float_output(importer *m, const tfl_op *o, int *e)
{
    eng_status st = check_output(m, o, o->out, TYPE_FLOAT32);
    if (!st)
        st = new_eng_tensor(m, o->out);
    *e = m->tensors[o->out].eng;
    return st;
}

/* Reads INT32 constant input k of op o into vals[0..*n), *n <= max. */
static eng_status int32_operand(importer *m, const tfl_op *o, int k,
                                const char *what, int32_t *vals, int max,
                                int *n)
{
    if (k < 0)
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s is absent",
                        o->index, o->code->name, what);
    const tfl_tensor *t = &m->tensors[k];
    const uint8_t *bytes = const_bytes(m, k);
    if (t->type != TYPE_INT32)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %s %s has type %s (expected INT32)",
                        o->index, o->code->name, what, tlabel(m, k).s,
                        type_name(t->type));
    if (!bytes)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %s %s is not a constant", o->index,
                        o->code->name, what, tlabel(m, k).s);
    if (t->count > (size_t)max)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %s %s has %zu values (at most %d)",
                        o->index, o->code->name, what, tlabel(m, k).s,
                        t->count, max);
    for (size_t i = 0; i < t->count; i++)
        vals[i] = (int32_t)eng_fb_le32(bytes + 4 * i);
    *n = (int)t->count;
    return ENG_OK;
}

static eng_status add_node(importer *m, const tfl_op *o, eng_op op,
                           const int *in, int n_in, int out,
                           const eng_node_params *p)
{
    if (eng_graph_add_node(m->g, op, in, n_in, out, p, o->index, &m->e) < 0)
        return m->e.status ? m->e.status : ENG_EFORMAT;
    return ENG_OK;
}

/* ---- Option helpers ---- */

static eng_status activation(importer *m, const tfl_op *o, int raw,
                             eng_activation *act)
{
    switch (raw) {
    case ACT_NONE: *act = ENG_ACT_NONE; return ENG_OK;
    case ACT_RELU: *act = ENG_ACT_RELU; return ENG_OK;
    case ACT_RELU_N1_TO_1: *act = ENG_ACT_RELU_N1_TO_1; return ENG_OK;
    case ACT_RELU6: *act = ENG_ACT_RELU6; return ENG_OK;
    case ACT_TANH:
    case ACT_SIGN_BIT:
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): fused activation %s is not supported",
                        o->index, o->code->name,
                        raw == ACT_TANH ? "TANH" : "SIGN_BIT");
    }
    return eng_fail(&m->e, ENG_EFORMAT,
                    "op %d (%s): unknown fused activation %d", o->index,
                    o->code->name, raw);
}

static eng_status check_factor(importer *m, const tfl_op *o,
                               const char *what, int32_t v)
{
    if (v >= 1 && v <= MAX_FACTOR)
        return ENG_OK;
    return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s %d out of range",
                    o->index, o->code->name, what, (int)v);
}

static eng_status check_rank(importer *m, const tfl_op *o, int k, int rank)
{
    if (m->tensors[k].ndim == rank)
        return ENG_OK;
    return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s has rank %d, "
                    "expected %d", o->index, o->code->name, tlabel(m, k).s,
                    m->tensors[k].ndim, rank);
}

/* One spatial axis of a windowed op: checks the declared output size
 * against the padding mode and resolves SAME with TFLite's rule (total =
 * max((out-1)*s + (k-1)*d + 1 - in, 0), before = total/2). */
typedef struct axis_geom {
    const char *axis;     /* "height" or "width" */
    int in, k, s, d, out; /* input, kernel, stride, dilation, output */
} axis_geom;

static eng_status resolve_padding(importer *m, const tfl_op *o, int mode,
                                  const axis_geom *a, int *before,
                                  int *after)
{
    int64_t eff = (int64_t)(a->k - 1) * a->d + 1;
    int64_t expect;
    if (mode == PADDING_SAME) {
        expect = ((int64_t)a->in + a->s - 1) / a->s;
    } else if (mode == PADDING_VALID) {
        if (eff > a->in)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "op %d (%s): VALID window %lld exceeds input %s "
                            "%d", o->index, o->code->name, (long long)eff,
                            a->axis, a->in);
        expect = (a->in - eff) / a->s + 1;
    } else {
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): padding mode %d",
                        o->index, o->code->name, mode);
    }
    if (a->out != expect)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): output %s is %d but %s padding gives "
                        "%lld", o->index, o->code->name, a->axis, a->out,
                        mode == PADDING_SAME ? "SAME" : "VALID",
                        (long long)expect);
    int64_t total = 0;
    if (mode == PADDING_SAME)
        total = (expect - 1) * a->s + eff - a->in;
    if (total < 0)
        total = 0;
    /* Kernels index the padded input with ints. */
    if (a->in + total > INT32_MAX || eff > INT32_MAX)
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s padding %lld "
                        "or window %lld too large", o->index, o->code->name,
                        a->axis, (long long)total, (long long)eff);
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
    return ENG_OK;
}

/* ---- Lowerings ---- */

typedef struct window {
    int mode, stride_h, stride_w, dil_h, dil_w, k_h, k_w;
} window;

/* Resolves both spatial axes of x (NHWC) -> y for a window. */
static eng_status window_padding(importer *m, const tfl_op *o,
                                 const window *w, eng_padding *pad)
{
    const tfl_tensor *x = &m->tensors[o->in[0]];
    const tfl_tensor *y = &m->tensors[o->out];
    eng_status st = check_factor(m, o, "stride", w->stride_h);
    if (!st)
        st = check_factor(m, o, "stride", w->stride_w);
    if (!st)
        st = check_factor(m, o, "dilation", w->dil_h);
    if (!st)
        st = check_factor(m, o, "dilation", w->dil_w);
    if (!st)
        st = check_rank(m, o, o->in[0], 4);
    if (!st)
        st = check_rank(m, o, o->out, 4);
    if (st)
        return st;
    axis_geom h = {"height", x->dims[1], w->k_h, w->stride_h, w->dil_h,
                   y->dims[1]};
    axis_geom wd = {"width", x->dims[2], w->k_w, w->stride_w, w->dil_w,
                    y->dims[2]};
    st = resolve_padding(m, o, w->mode, &h, &pad->top, &pad->bottom);
    return st ? st
              : resolve_padding(m, o, w->mode, &wd, &pad->left, &pad->right);
}

/* Maps inputs in[0..n) (absent optional ones stay -1) and the output,
 * then appends the node o->op. */
static eng_status emit(importer *m, const tfl_op *o, int n,
                       const eng_node_params *p)
{
    int in[ENG_MAX_NODE_INPUTS];
    int out;
    for (int i = 0; i < n; i++) {
        in[i] = -1;
        eng_status st = ENG_OK;
        if (o->in[i] >= 0)
            st = float_operand(m, o, o->in[i], &in[i]);
        if (st)
            return st;
    }
    eng_status st = float_output(m, o, &out);
    return st ? st : add_node(m, o, o->op, in, n, out, p);
}

static eng_status lower_conv(importer *m, const tfl_op *o)
{
    eng_fb *fb = &m->fb;
    bool dw = o->code->code == OP_DEPTHWISE_CONV_2D;
    eng_node_params p = {0};
    eng_conv_params *c = &p.u.conv;
    window w;
    int act;
    w.mode = eng_fb_i8(fb, o->opts, dw ? DW_PADDING : CONV_PADDING, 0);
    w.stride_w = eng_fb_i32(fb, o->opts, dw ? DW_STRIDE_W : CONV_STRIDE_W, 0);
    w.stride_h = eng_fb_i32(fb, o->opts, dw ? DW_STRIDE_H : CONV_STRIDE_H, 0);
    w.dil_w = eng_fb_i32(fb, o->opts, dw ? DW_DILATION_W : CONV_DILATION_W,
                         1);
    w.dil_h = eng_fb_i32(fb, o->opts, dw ? DW_DILATION_H : CONV_DILATION_H,
                         1);
    act = eng_fb_i8(fb, o->opts, dw ? DW_ACTIVATION : CONV_ACTIVATION, 0);
    int32_t mult = dw ? eng_fb_i32(fb, o->opts, DW_DEPTH_MULTIPLIER, 1) : 1;
    eng_status st = check_rank(m, o, o->in[1], 4);
    if (st)
        return st;
    const tfl_tensor *x = &m->tensors[o->in[0]];
    const tfl_tensor *wt = &m->tensors[o->in[1]];
    if (dw && (mult > 1 || (x->ndim == 4 && wt->dims[3] != x->dims[3])))
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): depth multiplier other than 1 "
                        "(options say %d)", o->index, o->code->name,
                        (int)mult);
    w.k_h = wt->dims[1];
    w.k_w = wt->dims[2];
    st = window_padding(m, o, &w, &c->pad);
    if (!st)
        st = activation(m, o, act, &c->act);
    if (st)
        return st;
    c->stride_h = w.stride_h;
    c->stride_w = w.stride_w;
    c->dilation_h = w.dil_h;
    c->dilation_w = w.dil_w;
    return emit(m, o, 3, &p);
}

static eng_status lower_pool(importer *m, const tfl_op *o)
{
    eng_fb *fb = &m->fb;
    eng_node_params p = {0};
    eng_pool_params *q = &p.u.pool;
    window w = {0};
    w.mode = eng_fb_i8(fb, o->opts, POOL_PADDING, 0);
    w.stride_w = eng_fb_i32(fb, o->opts, POOL_STRIDE_W, 0);
    w.stride_h = eng_fb_i32(fb, o->opts, POOL_STRIDE_H, 0);
    w.k_w = eng_fb_i32(fb, o->opts, POOL_FILTER_W, 0);
    w.k_h = eng_fb_i32(fb, o->opts, POOL_FILTER_H, 0);
    w.dil_h = w.dil_w = 1;
    int act = eng_fb_i8(fb, o->opts, POOL_ACTIVATION, 0);
    eng_status st = check_factor(m, o, "filter size", w.k_h);
    if (!st)
        st = check_factor(m, o, "filter size", w.k_w);
    if (!st)
        st = window_padding(m, o, &w, &q->pad);
    if (!st)
        st = activation(m, o, act, &q->act);
    if (st)
        return st;
    q->filter_h = w.k_h;
    q->filter_w = w.k_w;
    q->stride_h = w.stride_h;
    q->stride_w = w.stride_w;
    return emit(m, o, 1, &p);
}

static eng_status lower_fully_connected(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    int act = eng_fb_i8(&m->fb, o->opts, FC_ACTIVATION, 0);
    int format = eng_fb_i8(&m->fb, o->opts, FC_WEIGHTS_FORMAT, 0);
    int keep = eng_fb_u8(&m->fb, o->opts, FC_KEEP_NUM_DIMS, 0);
    if (format != 0)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): weights_format %d (only DEFAULT)",
                        o->index, o->code->name, format);
    if (keep)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): keep_num_dims is not supported",
                        o->index, o->code->name);
    eng_status st = activation(m, o, act, &p.act);
    return st ? st : emit(m, o, 3, &p);
}

/* ADD, MUL: two operands and a fused activation. */
static eng_status lower_binary(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    int act = eng_fb_i8(&m->fb, o->opts, BINARY_ACTIVATION, 0);
    eng_status st = activation(m, o, act, &p.act);
    return st ? st : emit(m, o, 2, &p);
}

/* Ops without options: every input is a float operand. */
static eng_status lower_plain(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    return emit(m, o, o->n_in, &p);
}

static eng_status lower_pad(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    const tfl_tensor *x = &m->tensors[o->in[0]];
    const tfl_tensor *pt = &m->tensors[o->in[1]];
    int32_t v[2 * ENG_MAX_DIMS];
    int n;
    eng_status st = int32_operand(m, o, o->in[1], "paddings", v,
                                  2 * ENG_MAX_DIMS, &n);
    if (st)
        return st;
    if (pt->ndim != 2 || pt->dims[0] != x->ndim || pt->dims[1] != 2)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): paddings must be [%d,2] for a rank-%d "
                        "input", o->index, o->code->name, x->ndim, x->ndim);
    const tfl_tensor *y = &m->tensors[o->out];
    if (y->ndim != x->ndim)
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): output rank %d, "
                        "input rank %d", o->index, o->code->name, y->ndim,
                        x->ndim);
    for (int i = 0; i < x->ndim; i++) {
        int64_t want = (int64_t)x->dims[i] + v[2 * i] + v[2 * i + 1];
        if (v[2 * i] < 0 || v[2 * i + 1] < 0 || want != y->dims[i])
            return eng_fail(&m->e, ENG_EFORMAT,
                            "op %d (%s): dim %d padded by %d,%d gives %lld, "
                            "output has %d", o->index, o->code->name, i,
                            (int)v[2 * i], (int)v[2 * i + 1],
                            (long long)want, y->dims[i]);
        p.u.pad.before[i] = v[2 * i];
        p.u.pad.after[i] = v[2 * i + 1];
    }
    return emit(m, o, 1, &p);
}

/* The new shape (from the shape input, else the options) must resolve
 * to the declared output shape; the node itself uses the declared one. */
static eng_status lower_reshape(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    int32_t v[ENG_MAX_DIMS];
    int n = -1;
    eng_status st = ENG_OK;
    if (o->n_in == 2 && o->in[1] >= 0) {
        st = int32_operand(m, o, o->in[1], "shape", v, ENG_MAX_DIMS, &n);
    } else if (o->opts.present) {
        eng_fb_vec ns = eng_fb_vector(&m->fb, o->opts, RESHAPE_NEW_SHAPE, 4);
        if (eng_fb_bad(&m->fb))
            return fb_fail(m, "op", o->index);
        if (ns.len > ENG_MAX_DIMS)
            return eng_fail(&m->e, ENG_EUNSUPPORTED,
                            "op %d (%s): new_shape of rank %zu", o->index,
                            o->code->name, ns.len);
        n = (int)ns.len;
        for (int i = 0; i < n; i++)
            v[i] = eng_fb_vec_i32(&m->fb, ns, (size_t)i);
    }
    if (st)
        return st;
    const tfl_tensor *x = &m->tensors[o->in[0]];
    const tfl_tensor *y = &m->tensors[o->out];
    if (x->count != y->count)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %zu elements reshaped to %zu", o->index,
                        o->code->name, x->count, y->count);
    bool ok = n < 0 || n == y->ndim;
    for (int i = 0; ok && i < n; i++)
        ok = v[i] == y->dims[i] || v[i] == -1;
    if (!ok)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): new shape does not match the declared "
                        "output shape", o->index, o->code->name);
    return emit(m, o, 1, &p);
}

static eng_status lower_concat(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    int axis = eng_fb_i32(&m->fb, o->opts, CONCAT_AXIS, 0);
    int act = eng_fb_i8(&m->fb, o->opts, CONCAT_ACTIVATION, 0);
    int rank = m->tensors[o->out].ndim;
    if (axis < -rank || axis >= rank)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): axis %d out of range for rank %d",
                        o->index, o->code->name, axis, rank);
    p.u.concat.axis = axis < 0 ? axis + rank : axis;
    int64_t sum = 0;
    for (int i = 0; i < o->n_in; i++) {
        const tfl_tensor *x = &m->tensors[o->in[i]];
        if (x->ndim != rank)
            return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s has rank %d,"
                            " output %d", o->index, o->code->name,
                            tlabel(m, o->in[i]).s, x->ndim, rank);
        sum += x->dims[p.u.concat.axis];
    }
    if (sum != m->tensors[o->out].dims[p.u.concat.axis])
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): inputs add up to "
                        "%lld along axis %d, output has %d", o->index,
                        o->code->name, (long long)sum, p.u.concat.axis,
                        m->tensors[o->out].dims[p.u.concat.axis]);
    eng_status st = activation(m, o, act, &p.act);
    return st ? st : emit(m, o, o->n_in, &p);
}

static eng_status lower_depth_to_space(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    p.u.depth_to_space.block = eng_fb_i32(&m->fb, o->opts, D2S_BLOCK_SIZE, 0);
    eng_status st = check_factor(m, o, "block size",
                                 p.u.depth_to_space.block);
    return st ? st : emit(m, o, 1, &p);
}

static eng_status lower_resize(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    p.u.resize.align_corners =
        eng_fb_u8(&m->fb, o->opts, RESIZE_ALIGN_CORNERS, 0) != 0;
    p.u.resize.half_pixel_centers =
        eng_fb_u8(&m->fb, o->opts, RESIZE_HALF_PIXEL_CENTERS, 0) != 0;
    if (p.u.resize.align_corners && p.u.resize.half_pixel_centers)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): align_corners and half_pixel_centers "
                        "are both set", o->index, o->code->name);
    int32_t size[2];
    int n;
    eng_status st = int32_operand(m, o, o->in[1], "size", size, 2, &n);
    if (!st)
        st = check_rank(m, o, o->out, 4);
    if (st)
        return st;
    const tfl_tensor *y = &m->tensors[o->out];
    if (n != 2 || size[0] != y->dims[1] || size[1] != y->dims[2])
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): size operand does not match the output "
                        "%dx%d", o->index, o->code->name, y->dims[1],
                        y->dims[2]);
    return emit(m, o, 1, &p);
}

static eng_status lower_mean(importer *m, const tfl_op *o)
{
    eng_node_params p = {0};
    int32_t axes[ENG_MAX_DIMS];
    int n;
    int rank = m->tensors[o->in[0]].ndim;
    eng_status st = int32_operand(m, o, o->in[1], "axes", axes, ENG_MAX_DIMS,
                                  &n);
    if (st)
        return st;
    for (int i = 0; i < n; i++) {
        int a = axes[i];
        if (a < -rank || a >= rank)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "op %d (%s): axis %d out of range for rank %d",
                            o->index, o->code->name, a, rank);
        p.u.mean.axes |= 1u << (a < 0 ? a + rank : a);
    }
    p.u.mean.keep_dims =
        eng_fb_u8(&m->fb, o->opts, REDUCER_KEEP_DIMS, 0) != 0;
    return emit(m, o, 1, &p);
}

/* Custom options, inline or (for large models) at a file offset. */
static const uint8_t *custom_options(importer *m, const tfl_op *o,
                                     size_t *len)
{
    eng_fb *fb = &m->fb;
    eng_fb_vec v = eng_fb_vector(fb, o->table, OP_CUSTOM_OPTIONS, 1);
    uint64_t off = eng_fb_u64(fb, o->table, OP_LARGE_CUSTOM_OFFSET, 0);
    uint64_t size = eng_fb_u64(fb, o->table, OP_LARGE_CUSTOM_SIZE, 0);
    if (!v.len && off > 1 && off <= fb->size && size <= fb->size - off) {
        *len = (size_t)size;
        return fb->data + off;
    }
    *len = v.len;
    return v.len ? fb->data + v.pos : NULL;
}

/* One axis of MediaPipe's transpose conv: out = s*(in-1) + k - total with
 * total = max(0, k - (in-1)%s - 1) for SAME, 0 for VALID; the full output
 * is cropped by total/2 before and the rest after. */
static eng_status transpose_axis(importer *m, const tfl_op *o, int same,
                                 const axis_geom *a, int *before,
                                 int *after)
{
    int64_t total = 0;
    if (same) {
        total = (int64_t)a->k - (a->in - 1) % a->s - 1;
        if (total < 0)
            total = 0;
    }
    int64_t out = (int64_t)a->s * (a->in - 1) + a->k - total;
    if (out != a->out)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): output %s is %d but the transpose conv "
                        "gives %lld", o->index, o->code->name, a->axis,
                        a->out, (long long)out);
    *before = (int)(total / 2);
    *after = (int)(total - total / 2);
    return ENG_OK;
}

static eng_status lower_transpose_conv(importer *m, const tfl_op *o)
{
    size_t len;
    const uint8_t *co = custom_options(m, o, &len);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "op", o->index);
    if (len != 12)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): custom options hold %zu bytes, expected "
                        "12", o->index, o->code->name, len);
    int32_t padding = (int32_t)eng_fb_le32(co);
    eng_node_params p = {0};
    eng_conv_params *c = &p.u.conv;
    c->stride_w = (int32_t)eng_fb_le32(co + 4);
    c->stride_h = (int32_t)eng_fb_le32(co + 8);
    c->dilation_h = c->dilation_w = 1;
    eng_status st = ENG_OK;
    if (padding != TFLITE_PADDING_SAME && padding != TFLITE_PADDING_VALID)
        st = eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): padding %d",
                      o->index, o->code->name, (int)padding);
    if (!st)
        st = check_factor(m, o, "stride", c->stride_h);
    if (!st)
        st = check_factor(m, o, "stride", c->stride_w);
    if (!st)
        st = check_rank(m, o, o->in[0], 4);
    if (!st)
        st = check_rank(m, o, o->in[1], 4);
    if (!st)
        st = check_rank(m, o, o->out, 4);
    if (st)
        return st;
    const tfl_tensor *x = &m->tensors[o->in[0]];
    const tfl_tensor *w = &m->tensors[o->in[1]];
    const tfl_tensor *y = &m->tensors[o->out];
    bool same = padding == TFLITE_PADDING_SAME;
    axis_geom h = {"height", x->dims[1], w->dims[1], c->stride_h, 1,
                   y->dims[1]};
    axis_geom wd = {"width", x->dims[2], w->dims[2], c->stride_w, 1,
                    y->dims[2]};
    st = transpose_axis(m, o, same, &h, &c->pad.top, &c->pad.bottom);
    if (!st)
        st = transpose_axis(m, o, same, &wd, &c->pad.left, &c->pad.right);
    return st ? st : emit(m, o, 3, &p);
}

/* ---- Load-time folds: DEQUANTIZE and DENSIFY on constants ---- */

static bool same_shape(const tfl_tensor *a, const tfl_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

static eng_status fold_dequantize(importer *m, const tfl_op *o)
{
    int k = o->in[0];
    const tfl_tensor *in = &m->tensors[k];
    const uint8_t *bytes = const_bytes(m, k);
    if (!bytes)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): input %s is not a dense constant "
                        "(run-time dequantization is not supported)",
                        o->index, o->code->name, tlabel(m, k).s);
    if (in->type != TYPE_FLOAT16 || in->quantized)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): input %s has type %s%s (only fp16 "
                        "weights are supported)", o->index, o->code->name,
                        tlabel(m, k).s, type_name(in->type),
                        in->quantized ? " with quantization" : "");
    eng_status st = check_output(m, o, o->out, TYPE_FLOAT32);
    if (st)
        return st;
    if (!same_shape(in, &m->tensors[o->out]))
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): output shape differs from the input's",
                        o->index, o->code->name);
    return new_eng_const(m, o->out, bytes, TYPE_FLOAT16);
}

/* One level of the sparse format: its index vector and element type. */
typedef struct index_vec {
    eng_fb_vec v;
    int type;
} index_vec;

static index_vec read_index_vec(eng_fb *fb, eng_fb_table dim, int type_field,
                                int table_field)
{
    static const size_t sizes[] = {0, 4, 2, 1};
    index_vec r = {{0, 0}, eng_fb_u8(fb, dim, type_field, INDEX_NONE)};
    if (r.type < INDEX_INT32 || r.type > INDEX_UINT8)
        return r;
    eng_fb_table t = eng_fb_table_field(fb, dim, table_field);
    r.v = eng_fb_vector(fb, t, INDEX_VECTOR_VALUES, sizes[r.type]);
    return r;
}

/* Element i as a signed 64-bit value (int32 vectors may hold negatives). */
static int64_t index_at(eng_fb *fb, const index_vec *iv, size_t i)
{
    switch (iv->type) {
    case INDEX_INT32: return eng_fb_vec_i32(fb, iv->v, i);
    case INDEX_UINT16: return eng_fb_vec_u16(fb, iv->v, i);
    default: return eng_fb_vec_u8(fb, iv->v, i);
    }
}

typedef struct sparse_layout {
    size_t rows, cols;   /* dense prefix x innermost dimension */
    bool csr;            /* innermost dimension CSR (else dense) */
    index_vec seg, idx;
} sparse_layout;

/* Validates the supported sparsity: traversal order 0..n-1, no block map,
 * dims 0..n-2 DENSE with dense_size = the dim, innermost DENSE or CSR. */
static eng_status read_sparsity(importer *m, const tfl_op *o, int k,
                                sparse_layout *s)
{
    eng_fb *fb = &m->fb;
    const tfl_tensor *t = &m->tensors[k];
    eng_fb_vec order = eng_fb_vector(fb, t->sparsity,
                                     SPARSITY_TRAVERSAL_ORDER, 4);
    eng_fb_vec block = eng_fb_vector(fb, t->sparsity, SPARSITY_BLOCK_MAP, 4);
    eng_fb_vec dims = eng_fb_vector(fb, t->sparsity, SPARSITY_DIM_METADATA,
                                    4);
    bool ok = t->ndim >= 1 && order.len == (size_t)t->ndim &&
              block.len == 0 && dims.len == order.len;
    s->rows = 1;
    for (int i = 0; ok && i < t->ndim; i++) {
        eng_fb_table d = eng_fb_vec_table(fb, dims, (size_t)i);
        int format = eng_fb_i8(fb, d, DIM_FORMAT, DIM_DENSE);
        int32_t size = eng_fb_i32(fb, d, DIM_DENSE_SIZE, 0);
        ok = eng_fb_vec_i32(fb, order, (size_t)i) == i;
        if (i < t->ndim - 1) {
            ok = ok && format == DIM_DENSE && size == t->dims[i];
            s->rows *= (size_t)t->dims[i];
            continue;
        }
        s->cols = (size_t)t->dims[i];
        s->csr = format == DIM_SPARSE_CSR;
        ok = ok && (s->csr || (format == DIM_DENSE && size == t->dims[i]));
        if (s->csr) {
            s->seg = read_index_vec(fb, d, DIM_SEGMENTS_TYPE, DIM_SEGMENTS);
            s->idx = read_index_vec(fb, d, DIM_INDICES_TYPE, DIM_INDICES);
            ok = ok && s->seg.v.pos && s->idx.v.pos;
        }
    }
    if (eng_fb_bad(fb))
        return fb_fail(m, "sparsity of tensor", k);
    if (!ok)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %s: sparsity other than CSR on the "
                        "innermost dimension", o->index, o->code->name,
                        tlabel(m, k).s);
    return ENG_OK;
}

/* Segments must start at 0, never decrease and end at the value count,
 * with one index per stored value. */
static const char *check_segments(eng_fb *fb, const sparse_layout *s,
                                  size_t nnz)
{
    if (s->seg.v.len != s->rows + 1 || s->idx.v.len != nnz)
        return "segment/index/value counts disagree";
    if (index_at(fb, &s->seg, 0) != 0 ||
        index_at(fb, &s->seg, s->rows) != (int64_t)nnz)
        return "segments do not span the stored values";
    for (size_t r = 0; r < s->rows; r++)
        if (index_at(fb, &s->seg, r) > index_at(fb, &s->seg, r + 1))
            return "segments decrease";
    return NULL;
}

/* Scatters the stored values of CSR tensor k into dense[rows*cols];
 * every column index must be in range and appear once per row. */
static eng_status scatter_csr(importer *m, const tfl_op *o, int k,
                              const sparse_layout *s, size_t esize,
                              uint8_t *dense)
{
    eng_fb *fb = &m->fb;
    const tfl_tensor *t = &m->tensors[k];
    const char *bad = t->data_len % esize ? "partial value"
                      : check_segments(fb, s, t->data_len / esize);
    if (bad)
        return eng_fail(&m->e, ENG_EFORMAT, "op %d (%s): %s: %s", o->index,
                        o->code->name, tlabel(m, k).s, bad);
    uint8_t *seen = calloc(s->cols, 1);
    if (!seen)
        return eng_fail(&m->e, ENG_ENOMEM, "out of memory (densify)");
    int64_t col = 0;
    for (size_t r = 0; !bad && r < s->rows; r++) {
        int64_t end = index_at(fb, &s->seg, r + 1);
        memset(seen, 0, s->cols);
        for (int64_t j = index_at(fb, &s->seg, r); j < end; j++) {
            col = index_at(fb, &s->idx, (size_t)j);
            if (col < 0 || col >= (int64_t)s->cols) {
                bad = "out of range";
                break;
            }
            if (seen[col]) {
                bad = "repeated in its row";
                break;
            }
            seen[col] = 1;
            memcpy(dense + (r * s->cols + (size_t)col) * esize,
                   t->data + (size_t)j * esize, esize);
        }
    }
    free(seen);
    if (eng_fb_bad(fb))
        return fb_fail(m, "sparsity of tensor", k);
    if (bad)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %s: column index %lld %s (%zu "
                        "columns)", o->index, o->code->name, tlabel(m, k).s,
                        (long long)col, bad, s->cols);
    return ENG_OK;
}

static eng_status fold_densify(importer *m, const tfl_op *o)
{
    int k = o->in[0];
    const tfl_tensor *in = &m->tensors[k];
    tfl_tensor *out = &m->tensors[o->out];
    if (!in->sparsity.present || !in->data)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): input %s is not a sparse constant",
                        o->index, o->code->name, tlabel(m, k).s);
    if (in->type != TYPE_FLOAT16 && in->type != TYPE_FLOAT32)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): sparse %s has type %s", o->index,
                        o->code->name, tlabel(m, k).s, type_name(in->type));
    eng_status st = check_output(m, o, o->out, in->type);
    if (!st && !same_shape(in, out))
        st = eng_fail(&m->e, ENG_EFORMAT,
                      "op %d (%s): output shape differs from the input's",
                      o->index, o->code->name);
    sparse_layout s = {0};
    if (!st)
        st = read_sparsity(m, o, k, &s);
    size_t esize = type_sizes[in->type];
    if (!st)
        st = spend(m, (uint64_t)in->count * esize, o->out);
    if (st)
        return st;
    if (!s.csr && in->data_len != in->count * esize)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %s: %zu bytes for %zu dense values",
                        o->index, o->code->name, tlabel(m, k).s,
                        in->data_len, in->count);
    out->dense = calloc(in->count, esize);
    if (!out->dense)
        return eng_fail(&m->e, ENG_ENOMEM, "out of memory (densify)");
    if (!s.csr) {
        memcpy(out->dense, in->data, in->data_len);
        return ENG_OK;
    }
    return scatter_csr(m, o, k, &s, esize, out->dense);
}

/* ---- Operators ---- */

static const lowering lowerings[] = {
    {OP_ADD, NULL, OPT_ADD, 2, 2, -1, ENG_OP_ADD, lower_binary},
    {OP_MUL, NULL, OPT_MUL, 2, 2, -1, ENG_OP_MUL, lower_binary},
    {OP_CONV_2D, NULL, OPT_CONV2D, 2, 3, 2, ENG_OP_CONV2D, lower_conv},
    {OP_DEPTHWISE_CONV_2D, NULL, OPT_DEPTHWISE_CONV2D, 2, 3, 2,
     ENG_OP_DEPTHWISE_CONV2D, lower_conv},
    {OP_FULLY_CONNECTED, NULL, OPT_FULLY_CONNECTED, 2, 3, 2,
     ENG_OP_FULLY_CONNECTED, lower_fully_connected},
    {OP_MAX_POOL_2D, NULL, OPT_POOL2D, 1, 1, -1, ENG_OP_MAX_POOL2D,
     lower_pool},
    {OP_AVERAGE_POOL_2D, NULL, OPT_POOL2D, 1, 1, -1, ENG_OP_AVERAGE_POOL2D,
     lower_pool},
    {OP_MEAN, NULL, OPT_REDUCER, 2, 2, -1, ENG_OP_MEAN, lower_mean},
    {OP_PRELU, NULL, OPT_NONE, 2, 2, -1, ENG_OP_PRELU, lower_plain},
    {OP_RELU, NULL, OPT_NONE, 1, 1, -1, ENG_OP_RELU, lower_plain},
    {OP_RELU6, NULL, OPT_NONE, 1, 1, -1, ENG_OP_RELU6, lower_plain},
    {OP_HARD_SWISH, NULL, OPT_HARD_SWISH, 1, 1, -1, ENG_OP_HARD_SWISH,
     lower_plain},
    {OP_LOGISTIC, NULL, OPT_NONE, 1, 1, -1, ENG_OP_LOGISTIC, lower_plain},
    {OP_PAD, NULL, OPT_PAD, 2, 2, -1, ENG_OP_PAD, lower_pad},
    {OP_RESHAPE, NULL, OPT_RESHAPE, 1, 2, 1, ENG_OP_RESHAPE, lower_reshape},
    {OP_CONCATENATION, NULL, OPT_CONCATENATION, 1, ENG_MAX_NODE_INPUTS, -1,
     ENG_OP_CONCATENATION, lower_concat},
    {OP_DEPTH_TO_SPACE, NULL, OPT_DEPTH_TO_SPACE, 1, 1, -1,
     ENG_OP_DEPTH_TO_SPACE, lower_depth_to_space},
    {OP_RESIZE_BILINEAR, NULL, OPT_RESIZE_BILINEAR, 2, 2, -1,
     ENG_OP_RESIZE_BILINEAR, lower_resize},
    {OP_CUSTOM, custom_transpose_conv, OPT_NONE, 2, 3, 2,
     ENG_OP_TRANSPOSE_CONV2D, lower_transpose_conv},
    {OP_DEQUANTIZE, NULL, OPT_DEQUANTIZE, 1, 1, -1, ENG_OP_COUNT,
     fold_dequantize},
    {OP_DENSIFY, NULL, OPT_DENSIFY, 1, 1, -1, ENG_OP_COUNT, fold_densify},
};

static const lowering *find_lowering(const tfl_opcode *c)
{
    size_t n = sizeof(lowerings) / sizeof(lowerings[0]);
    for (size_t i = 0; i < n; i++) {
        const lowering *l = &lowerings[i];
        if (l->code != c->code)
            continue;
        if (!l->custom || (c->custom_len == strlen(l->custom) &&
                           !memcmp(c->custom, l->custom, c->custom_len)))
            return l;
    }
    return NULL;
}

static eng_status unsupported_op(importer *m, int index, const tfl_opcode *c)
{
    if (c->code == OP_CUSTOM)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d: unsupported custom op '%s'", index,
                        c->name + strlen("CUSTOM:"));
    return eng_fail(&m->e, ENG_EUNSUPPORTED,
                    "op %d: unsupported builtin op %s (code %d)", index,
                    c->name, (int)c->code);
}

/* Reads the tensor lists of op o, checking counts and index ranges. */
static eng_status read_op_io(importer *m, tfl_op *o, const lowering *l)
{
    eng_fb *fb = &m->fb;
    eng_fb_vec in = eng_fb_vector(fb, o->table, OP_INPUTS, 4);
    eng_fb_vec out = eng_fb_vector(fb, o->table, OP_OUTPUTS, 4);
    if (eng_fb_bad(fb))
        return fb_fail(m, "op", o->index);
    if (in.len > ENG_MAX_NODE_INPUTS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "op %d (%s): %zu inputs (at most %d)", o->index,
                        o->code->name, in.len, ENG_MAX_NODE_INPUTS);
    if (in.len < (size_t)l->min_in || in.len > (size_t)l->max_in ||
        out.len != 1)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): %zu inputs and %zu outputs", o->index,
                        o->code->name, in.len, out.len);
    o->n_in = (int)in.len;
    for (int i = 0; i < ENG_MAX_NODE_INPUTS; i++)
        o->in[i] = -1;
    for (int i = 0; i <= o->n_in; i++) {
        int32_t k = i < o->n_in ? eng_fb_vec_i32(fb, in, (size_t)i)
                                : eng_fb_vec_i32(fb, out, 0);
        bool absent_ok = i == l->optional && i < o->n_in;
        if ((k < 0 && !(k == -1 && absent_ok)) || k >= m->n_tensors)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "op %d (%s): tensor index %d out of range (%d "
                            "tensors)", o->index, o->code->name, (int)k,
                            m->n_tensors);
        if (i < o->n_in)
            o->in[i] = k;
        else
            o->out = k;
    }
    return ENG_OK;
}

static eng_status read_op_options(importer *m, tfl_op *o, const lowering *l)
{
    eng_fb *fb = &m->fb;
    int type = eng_fb_u8(fb, o->table, OP_OPTIONS_TYPE, OPT_NONE);
    o->opts = eng_fb_table_field(fb, o->table, OP_OPTIONS);
    if (eng_fb_bad(fb))
        return fb_fail(m, "op", o->index);
    if (type != OPT_NONE && type != l->options)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): builtin options of type %d (expected "
                        "%d)", o->index, o->code->name, type, l->options);
    if (type != OPT_NONE && !o->opts.present)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d (%s): builtin options type %d without a "
                        "table", o->index, o->code->name, type);
    if (type == OPT_NONE)
        o->opts.present = false;
    return ENG_OK;
}

static eng_status import_op(importer *m, eng_fb_table t, int index)
{
    eng_fb *fb = &m->fb;
    tfl_op o = {.index = index, .table = t};
    uint32_t ci = eng_fb_u32(fb, t, OP_OPCODE_INDEX, 0);
    if (eng_fb_bad(fb))
        return fb_fail(m, "op", index);
    if (ci >= m->n_codes)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "op %d: opcode index %u out of range (%zu codes)",
                        index, (unsigned)ci, m->n_codes);
    o.code = &m->codes[ci];
    eng_graph_count_source_op(m->g, o.code->name);
    const lowering *l = find_lowering(o.code);
    if (!l)
        return unsupported_op(m, index, o.code);
    o.op = l->op;
    eng_status st = read_op_io(m, &o, l);
    if (!st)
        st = read_op_options(m, &o, l);
    return st ? st : l->fn(m, &o);
}

static eng_status import_ops(importer *m, eng_fb_table sg)
{
    eng_fb_vec v = eng_fb_vector(&m->fb, sg, SUBGRAPH_OPERATORS, 4);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "subgraph 0 operators", -1);
    if (v.len > MAX_OBJECTS)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%zu operators", v.len);
    for (size_t i = 0; i < v.len; i++) {
        eng_fb_table t = eng_fb_vec_table(&m->fb, v, i);
        eng_status st = import_op(m, t, (int)i);
        if (st)
            return st;
    }
    return ENG_OK;
}

/* ---- Graph inputs and outputs ---- */

static eng_status read_io_list(importer *m, eng_fb_table sg, int field,
                               const char *what, int *list, int *n)
{
    eng_fb_vec v = eng_fb_vector(&m->fb, sg, field, 4);
    if (eng_fb_bad(&m->fb))
        return fb_fail(m, "graph inputs/outputs", -1);
    if (v.len > ENG_MAX_GRAPH_IO)
        return eng_fail(&m->e, ENG_EUNSUPPORTED, "%zu graph %ss (at most %d)",
                        v.len, what, ENG_MAX_GRAPH_IO);
    for (size_t i = 0; i < v.len; i++) {
        int32_t k = eng_fb_vec_i32(&m->fb, v, i);
        if (k < 0 || k >= m->n_tensors)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "graph %s %zu: tensor index %d out of range (%d "
                            "tensors)", what, i, (int)k, m->n_tensors);
        list[i] = k;
    }
    *n = (int)v.len;
    return ENG_OK;
}

static eng_status import_inputs(importer *m, eng_fb_table sg)
{
    int list[ENG_MAX_GRAPH_IO], n;
    eng_status st = read_io_list(m, sg, SUBGRAPH_INPUTS, "input", list, &n);
    for (int i = 0; !st && i < n; i++) {
        tfl_tensor *t = &m->tensors[list[i]];
        if (t->type != TYPE_FLOAT32 || t->quantized)
            return eng_fail(&m->e, ENG_EUNSUPPORTED,
                            "graph input %s has type %s%s (only float32)",
                            tlabel(m, list[i]).s, type_name(t->type),
                            t->quantized ? " with quantization" : "");
        if (t->eng >= 0 || t->data || t->sparsity.present)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "graph input %s is a constant or listed twice",
                            tlabel(m, list[i]).s);
        st = new_eng_tensor(m, list[i]);
        if (!st)
            m->g->inputs[m->g->n_inputs++] = t->eng;
    }
    return st;
}

static eng_status import_outputs(importer *m, eng_fb_table sg)
{
    int list[ENG_MAX_GRAPH_IO], n;
    eng_status st = read_io_list(m, sg, SUBGRAPH_OUTPUTS, "output", list,
                                 &n);
    for (int i = 0; !st && i < n; i++) {
        const tfl_tensor *t = &m->tensors[list[i]];
        if (t->eng < 0)
            return eng_fail(&m->e, ENG_EFORMAT,
                            "graph output %s is never computed",
                            tlabel(m, list[i]).s);
        m->g->outputs[m->g->n_outputs++] = t->eng;
    }
    return st;
}

/* ---- Entry points ---- */

static eng_status import_model(importer *m)
{
    eng_fb *fb = &m->fb;
    if (fb->size < 8)
        return eng_fail(&m->e, ENG_EFORMAT,
                        "%zu bytes is too short for a TFLite model",
                        fb->size);
    if (!eng_fb_has_identifier(fb, "TFL3"))
        return eng_fail(&m->e, ENG_EFORMAT,
                        "not a TFLite model (identifier at bytes 4..7 is not "
                        "TFL3)");
    eng_fb_table root = eng_fb_root(fb);
    uint32_t version = eng_fb_u32(fb, root, MODEL_VERSION, 0);
    eng_fb_vec subgraphs = eng_fb_vector(fb, root, MODEL_SUBGRAPHS, 4);
    eng_fb_table sg = subgraphs.len ? eng_fb_vec_table(fb, subgraphs, 0)
                                    : (eng_fb_table){0};
    if (eng_fb_bad(fb))
        return fb_fail(m, "model", -1);
    if (version != SCHEMA_VERSION)
        return eng_fail(&m->e, ENG_EUNSUPPORTED,
                        "schema version %u (only %d)", (unsigned)version,
                        SCHEMA_VERSION);
    if (!sg.present)
        return eng_fail(&m->e, ENG_EFORMAT, "model has no subgraph");
    read_description(m, root);
    eng_status st = read_opcodes(m, root);
    if (!st)
        st = read_buffers(m, root);
    if (!st)
        st = read_tensors(m, sg);
    if (!st)
        st = import_inputs(m, sg);
    if (!st)
        st = import_ops(m, sg);
    if (!st)
        st = import_outputs(m, sg);
    return st ? st : eng_graph_check(m->g, &m->e);
}

eng_status eng_tflite_import(const uint8_t *data, size_t size,
                             eng_graph **out, eng_error *err)
{
    if (!out || (!data && size))
        return eng_fail(err, ENG_EINVAL, "tflite import: NULL argument");
    *out = NULL;
    importer m = {0};
    eng_fb_init(&m.fb, data, size);
    m.budget = (uint64_t)size * EXPANSION_FACTOR + EXPANSION_SLACK;
    m.g = eng_graph_create();
    eng_status st = m.g ? import_model(&m)
                        : eng_fail(&m.e, ENG_ENOMEM, "out of memory (graph)");
    for (int k = 0; k < m.n_tensors; k++)
        free(m.tensors[k].dense);
    free(m.tensors);
    free(m.buffers);
    free(m.codes);
    if (st) {
        eng_graph_destroy(m.g);
        if (err)
            *err = m.e;
        return st;
    }
    *out = m.g;
    return ENG_OK;
}

eng_status eng_tflite_import_file(const char *path, eng_graph **out,
                                  eng_error *err)
{
    if (!path || !out)
        return eng_fail(err, ENG_EINVAL, "tflite import: NULL argument");
    *out = NULL;
    uint8_t *buf;
    size_t n;
    eng_status st = eng_read_file(path, 0, &buf, &n, err);
    if (st != ENG_OK)
        return st;
    st = eng_tflite_import(buf, n, out, err);
    free(buf);
    return st;
}
