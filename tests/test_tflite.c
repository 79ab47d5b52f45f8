/*
 * test_tflite: the TFLite importer on the ten real MediaPipe models, on
 * truncated and corrupted copies of one (must fail cleanly, never crash;
 * CI runs this under ASan/UBSan), and on tiny models built with the test
 * writer, one per op variant and per error the importer must catch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp16.h"
#include "testlib.h"
#include "tflite.h"
#include "tflite_writer.h"

/* BuiltinOperator codes and BuiltinOptions type ids used below. */
enum {
    ADD = 0, AVERAGE_POOL_2D = 1, CONCATENATION = 2, CONV_2D = 3,
    DEPTHWISE_CONV_2D = 4, DEPTH_TO_SPACE = 5, DEQUANTIZE = 6,
    FULLY_CONNECTED = 9, MAX_POOL_2D = 17, RELU = 19, RELU_N1_TO_1 = 20,
    RESHAPE = 22, CUSTOM = 32, MEAN = 40, SQUARE = 92, DENSIFY = 124,
};
enum {
    OPT_CONV = 1, OPT_DW = 2, OPT_POOL = 5, OPT_FC = 8, OPT_CONCAT = 10,
    OPT_ADD = 11, OPT_RESHAPE = 17, OPT_REDUCER = 27,
};
enum { SAME = 0, VALID = 1 };

/* ---- Helpers ---- */

static eng_status import(tw_model *m, eng_graph **g, eng_error *err)
{
    size_t n;
    uint8_t *f = tw_finish(m, &n);
    eng_status st = eng_tflite_import(f, n, g, err);
    free(f);
    return st;
}

/* Imports m expecting success; the caller destroys the graph. */
static eng_graph *import_ok(tw_model *m, const char *what)
{
    eng_graph *g = NULL;
    eng_error err = {0};
    eng_status st = import(m, &g, &err);
    CHECK(st == ENG_OK, "%s: %s: %s", what, eng_status_name(st), err.msg);
    return st == ENG_OK ? g : NULL;
}

/* Imports m expecting `want`, with a message containing `needle`. */
static void import_fails(tw_model *m, eng_status want, const char *needle,
                         const char *what)
{
    eng_graph *g = (eng_graph *)1;
    eng_error err = {0};
    eng_status st = import(m, &g, &err);
    CHECK(st == want, "%s: got %s (%s), want %s", what, eng_status_name(st),
          err.msg, eng_status_name(want));
    CHECK(g == NULL, "%s: *out not cleared on failure", what);
    CHECK(err.msg[0] && (!needle || strstr(err.msg, needle)),
          "%s: message '%s' lacks '%s'", what, err.msg, needle);
    if (st == ENG_OK)
        eng_graph_destroy(g);
}

static const eng_node *find_node(const eng_graph *g, eng_op op)
{
    for (int i = 0; g && i < g->n_nodes; i++)
        if (g->nodes[i].op == op)
            return &g->nodes[i];
    return NULL;
}

static const eng_tensor *find_tensor(const eng_graph *g, const char *name)
{
    for (int i = 0; g && i < g->n_tensors; i++)
        if (!strcmp(g->tensors[i].name, name))
            return &g->tensors[i];
    return NULL;
}

static int census(const eng_graph *g, const char *name)
{
    for (int i = 0; i < g->n_source_ops; i++)
        if (!strcmp(g->source_ops[i].name, name))
            return g->source_ops[i].count;
    return 0;
}

static int dims_are(const eng_tensor *t, int ndim, const int *dims)
{
    if (t->ndim != ndim)
        return 0;
    for (int i = 0; i < ndim; i++)
        if (t->dims[i] != dims[i])
            return 0;
    return 1;
}

static int pad_is(const eng_padding *p, int top, int bottom, int left,
                  int right)
{
    return p->top == top && p->bottom == bottom && p->left == left &&
           p->right == right;
}

static float *ramp(size_t n, float scale)
{
    float *v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = scale * (float)((int)(i % 13) - 6);
    return v;
}

static int const_f32(tw_model *m, const char *name, int ndim,
                     const int *dims)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    float *v = ramp(n, 0.25f);
    int t = tw_add_f32(m, name, ndim, dims, v);
    free(v);
    return t;
}

static tw_obj *conv_opts(tw_model *m, int pad, int stride, int act,
                         int dilation)
{
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, (uint8_t)pad);
    tw_set_i32(o, 1, stride);
    tw_set_i32(o, 2, stride);
    tw_set_u8(o, 3, (uint8_t)act);
    tw_set_i32(o, 4, dilation);
    tw_set_i32(o, 5, dilation);
    return o;
}

static tw_obj *act_opts(tw_model *m, int act)
{
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, (uint8_t)act);
    return o;
}

/* x [1,in,in,cin] -> CONV_2D k x k (cout filters) -> y [1,out,out,cout]. */
static tw_model *conv_model(int in, int cin, int k, int cout, int out,
                            tw_obj *(*opts)(tw_model *))
{
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 4, (int[]){1, in, in, cin});
    int w = const_f32(m, "w", 4, (int[]){cout, k, k, cin});
    int b = const_f32(m, "b", 1, (int[]){cout});
    int y = tw_add_act(m, "y", 4, (int[]){1, out, out, cout});
    tw_add_op(m, CONV_2D, NULL, (int[]){x, w, b}, 3, &y, 1, OPT_CONV,
              opts(m));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    return m;
}

/* ---- fp16 conversion: all 65536 patterns against ldexp ---- */

static void test_fp16(void)
{
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        int exp = (int)(h >> 10) & 0x1f, man = (int)(h & 0x3ff);
        double mag = exp == 0 ? ldexp(man, -24)
                     : exp == 31 ? (man ? NAN : INFINITY)
                                 : ldexp(1024 + man, exp - 25);
        float want = (float)((h & 0x8000) ? -mag : mag);
        float got = eng_f16_to_f32((uint16_t)h);
        int same = isnan(want) ? isnan(got)
                               : got == want && signbit(got) == signbit(want);
        bad += !same || tw_f32_to_f16(got) != (isnan(want) ? 0x7e00 |
                                                   (h & 0x8000) : h);
    }
    CHECK(bad == 0, "%d fp16 patterns convert wrongly or do not round-trip",
          bad);
    uint8_t le[4] = {0x00, 0x3c, 0x00, 0xc0}; /* 1.0, -2.0 */
    float out[2];
    eng_f16le_to_f32(le, 2, out);
    CHECK(out[0] == 1.0f && out[1] == -2.0f, "little-endian fp16 array");
}

/* ---- (1) The ten real models ---- */

typedef struct model_spec {
    const char *name;
    int nodes;
    double params_m; /* mediapipe-models.md, millions */
    int in[4];
    int n_out;
    int out_ndim[5];
    int out[5][4];
    struct {
        const char *op;
        int n;
    } ops[4];
} model_spec;

#define LANDMARK_OUTS 5, {2, 2, 4, 4, 2}, \
    {{1, 195}, {1, 1}, {1, 256, 256, 1}, {1, 64, 64, 39}, {1, 117}}
#define HAND_OUTS 4, {2, 2, 2, 2}, {{1, 63}, {1, 1}, {1, 1}, {1, 63}}
#define PALM_OUTS 2, {3, 3}, {{1, 2016, 18}, {1, 2016, 1}}

static const model_spec models[] = {
    {"pose_detection", 109, 2.97, {1, 224, 224, 3}, 2, {3, 3},
     {{1, 2254, 12}, {1, 2254, 1}},
     {{"DENSIFY", 38}, {"DEQUANTIZE", 144}, {"CONV_2D", 45},
      {"DEPTH_TO_SPACE", 3}}},
    {"pose_landmark_lite", 129, 1.36, {1, 256, 256, 3}, LANDMARK_OUTS,
     {{"DEQUANTIZE", 176}, {"CONV_2D", 54}, {"DEPTHWISE_CONV_2D", 34},
      {"ADD", 25}}},
    {"pose_landmark_full", 140, 3.17, {1, 256, 256, 3}, LANDMARK_OUTS,
     {{"DEQUANTIZE", 192}, {"CONV_2D", 58}, {"DEPTHWISE_CONV_2D", 38},
      {"ADD", 28}}},
    {"pose_landmark_heavy", 293, 13.75, {1, 256, 256, 3}, LANDMARK_OUTS,
     {{"DEQUANTIZE", 396}, {"CONV_2D", 116}, {"DEPTHWISE_CONV_2D", 82},
      {"ADD", 73}}},
    {"palm_detection_lite", 119, 0.96, {1, 192, 192, 3}, PALM_OUTS,
     {{"DEQUANTIZE", 113}, {"CONV_2D", 30}, {"PRELU", 26}, {"PAD", 3}}},
    {"palm_detection_full", 139, 1.13, {1, 192, 192, 3}, PALM_OUTS,
     {{"DEQUANTIZE", 133}, {"CONV_2D", 35}, {"PRELU", 31}, {"PAD", 3}}},
    {"hand_landmark_lite", 65, 1.01, {1, 224, 224, 3}, HAND_OUTS,
     {{"DEQUANTIZE", 102}, {"CONV_2D", 31}, {"FULLY_CONNECTED", 4},
      {"MEAN", 1}}},
    {"hand_landmark_full", 63, 2.72, {1, 224, 224, 3}, HAND_OUTS,
     {{"DEQUANTIZE", 102}, {"CONV_2D", 31}, {"FULLY_CONNECTED", 4},
      {"MEAN", 1}}},
    {"selfie_segmentation", 136, 0.106, {1, 256, 256, 3}, 1, {4},
     {{1, 256, 256, 1}},
     {{"DEQUANTIZE", 110}, {"CONV_2D", 43}, {"AVERAGE_POOL_2D", 10},
      {"CUSTOM:Convolution2DTransposeBias", 1}}},
    {"selfie_segmentation_landscape", 136, 0.106, {1, 144, 256, 3}, 1, {4},
     {{1, 144, 256, 1}},
     {{"DEQUANTIZE", 110}, {"HARD_SWISH", 11}, {"MEAN", 10},
      {"CUSTOM:Convolution2DTransposeBias", 1}}},
};

/* Loads a model from the cache; a missing one is a failure, not a skip. */
static eng_graph *load_model(const char *name)
{
    char path[1024];
    test_model_path(name, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECK(0, "%s missing: run `posescope models fetch`", path);
        return NULL;
    }
    fclose(f);
    eng_graph *g = NULL;
    eng_error err = {0};
    eng_status st = eng_tflite_import_file(path, &g, &err);
    CHECK(st == ENG_OK, "%s: %s", name, err.msg);
    return g;
}

static void check_model(const model_spec *s)
{
    eng_graph *g = load_model(s->name);
    if (!g)
        return;
    CHECK(g->n_nodes == s->nodes, "%s: %d nodes, want %d", s->name,
          g->n_nodes, s->nodes);
    double params = (double)eng_graph_params(g) / 1e6;
    CHECK(params > s->params_m * 0.99 && params < s->params_m * 1.01,
          "%s: %.3f M parameters, want %.3f M", s->name, params,
          s->params_m);
    CHECK(g->n_inputs == 1 &&
              dims_are(&g->tensors[g->inputs[0]], 4, s->in),
          "%s: input shape", s->name);
    CHECK(g->n_outputs == s->n_out, "%s: %d outputs", s->name,
          g->n_outputs);
    for (int i = 0; i < g->n_outputs && i < s->n_out; i++)
        CHECK(dims_are(&g->tensors[g->outputs[i]], s->out_ndim[i],
                       s->out[i]),
              "%s: output %d shape", s->name, i);
    for (int i = 0; i < 4; i++)
        CHECK(census(g, s->ops[i].op) == s->ops[i].n, "%s: %d x %s, want %d",
              s->name, census(g, s->ops[i].op), s->ops[i].op, s->ops[i].n);
    for (int i = 0; i < g->n_nodes; i++)
        CHECK(g->nodes[i].op != ENG_OP_COUNT, "%s: bad node", s->name);
    eng_graph_destroy(g);
}

/* The stems document the asymmetric SAME rule on real data. */
static void check_real_lowering(void)
{
    eng_graph *g = load_model("palm_detection_lite");
    const eng_node *n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 1, 2, 1, 2) &&
              n->p.u.conv.stride_h == 2,
          "palm stem: 5x5 s2 SAME on 192 pads (1,2)");
    eng_graph_destroy(g);

    g = load_model("hand_landmark_lite");
    n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 0, 1, 0, 1) &&
              n->p.u.conv.act == ENG_ACT_RELU6,
          "hand stem: 3x3 s2 SAME RELU6 on 224 pads (0,1)");
    n = find_node(g, ENG_OP_MEAN);
    CHECK(n && n->p.u.mean.axes == 6 && !n->p.u.mean.keep_dims,
          "hand MEAN axes [1,2], keep_dims 0");
    eng_graph_destroy(g);

    g = load_model("selfie_segmentation");
    n = find_node(g, ENG_OP_TRANSPOSE_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 0, 0, 0, 0) &&
              n->p.u.conv.stride_h == 2 && n->p.u.conv.stride_w == 2,
          "selfie transpose conv: stride 2, no crop");
    eng_graph_destroy(g);

    g = load_model("pose_detection");
    n = find_node(g, ENG_OP_RESIZE_BILINEAR);
    CHECK(n && n->p.u.resize.half_pixel_centers &&
              !n->p.u.resize.align_corners,
          "pose_detection resize: half_pixel_centers");
    eng_graph_destroy(g);
}

/* ---- (2), (3) Truncated and corrupted files ---- */

static uint8_t *read_model(const char *name, size_t *size)
{
    char path[1024];
    test_model_path(name, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECK(0, "%s missing: run `posescope models fetch`", path);
        return NULL;
    }
    fclose(f);
    return test_read_file(path, size);
}

static void check_truncation(const uint8_t *data, size_t size)
{
    int tried = 0, bad = 0;
    for (size_t len = 0; len < size; len += len < 64 ? 1 : 997) {
        /* A fresh copy of exactly len bytes lets ASan see any overread. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, data, len);
        eng_graph *g = NULL;
        eng_error err = {0};
        eng_status st = eng_tflite_import(copy, len, &g, &err);
        bad += st == ENG_OK || !err.msg[0] || g;
        tried++;
        eng_graph_destroy(g);
        free(copy);
    }
    CHECK(bad == 0, "%d of %d truncations were accepted or silent", bad,
          tried);
}

/* One deterministic corruption: single bytes, runs, or a 32-bit word set
 * to a boundary value at an aligned offset (where offsets live). */
static void corrupt(uint8_t *d, size_t size, uint64_t *rng)
{
    static const uint32_t words[] = {0, 1, 0x7fffffffu, 0x80000000u,
                                     0xffffffffu, 0xfffffff0u, 16, 4096};
    uint32_t kind = test_rand_u32(rng) % 3;
    size_t at = test_rand_u32(rng) % size;
    if (kind == 0) {
        d[at] = (uint8_t)test_rand_u32(rng);
    } else if (kind == 1) {
        int n = 2 + (int)(test_rand_u32(rng) % 7);
        for (int i = 0; i < n; i++)
            d[test_rand_u32(rng) % size] = (uint8_t)test_rand_u32(rng);
    } else {
        at &= ~(size_t)3;
        uint32_t w = words[test_rand_u32(rng) % 8];
        if (test_rand_u32(rng) & 1)
            w = test_rand_u32(rng);
        for (int i = 0; i < 4 && at + (size_t)i < size; i++)
            d[at + (size_t)i] = (uint8_t)(w >> (8 * i));
    }
}

static void check_corruption(const uint8_t *data, size_t size)
{
    uint64_t rng = 0x5eed1234abcdull;
    int ok = 0, failed = 0, silent = 0;
    uint8_t *copy = malloc(size);
    for (int i = 0; i < 2000; i++) {
        memcpy(copy, data, size);
        corrupt(copy, size, &rng);
        eng_graph *g = NULL;
        eng_error err = {0};
        eng_status st = eng_tflite_import(copy, size, &g, &err);
        if (st == ENG_OK) {
            ok++;
            silent += g == NULL;
        } else {
            failed++;
            silent += !err.msg[0] || g != NULL;
        }
        eng_graph_destroy(g);
    }
    free(copy);
    printf("corruptions: %d imported, %d rejected\n", ok, failed);
    CHECK(silent == 0, "%d corruptions gave no message or a stray graph",
          silent);
    CHECK(failed > 100, "only %d of 2000 corruptions were caught", failed);
}

/* ---- (4) Lowering of tiny models ---- */

static tw_obj *same_s2(tw_model *m) { return conv_opts(m, SAME, 2, 0, 1); }
static tw_obj *valid_s2(tw_model *m) { return conv_opts(m, VALID, 2, 0, 1); }
static tw_obj *same_d2(tw_model *m) { return conv_opts(m, SAME, 1, 0, 2); }

static void test_same_padding(void)
{
    tw_model *m = conv_model(224, 3, 3, 8, 112, same_s2);
    eng_graph *g = import_ok(m, "3x3 s2 SAME on 224");
    const eng_node *n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 0, 1, 0, 1) &&
              n->p.u.conv.stride_h == 2 && n->p.u.conv.stride_w == 2,
          "3x3 s2 SAME on 224 pads (0,1)");
    eng_graph_destroy(g);
    tw_model_destroy(m);

    m = conv_model(192, 3, 5, 4, 96, same_s2);
    g = import_ok(m, "5x5 s2 SAME on 192");
    n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 1, 2, 1, 2),
          "5x5 s2 SAME on 192 pads (1,2)");
    eng_graph_destroy(g);
    tw_model_destroy(m);

    m = conv_model(8, 2, 3, 2, 8, same_d2);
    g = import_ok(m, "3x3 dilation 2 SAME");
    n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && n->p.u.conv.dilation_h == 2 && n->p.u.conv.dilation_w == 2 &&
              pad_is(&n->p.u.conv.pad, 2, 2, 2, 2),
          "dilation 2 carried, pads (2,2)");
    eng_graph_destroy(g);
    tw_model_destroy(m);

    m = conv_model(225, 3, 3, 4, 112, valid_s2);
    g = import_ok(m, "3x3 s2 VALID on 225");
    n = find_node(g, ENG_OP_CONV2D);
    CHECK(n && pad_is(&n->p.u.conv.pad, 0, 0, 0, 0), "VALID pads zero");
    eng_graph_destroy(g);
    tw_model_destroy(m);

    m = conv_model(224, 3, 3, 8, 111, same_s2);
    import_fails(m, ENG_EFORMAT, "SAME", "SAME with a wrong declared size");
    tw_model_destroy(m);
    m = conv_model(224, 3, 3, 8, 112, valid_s2);
    import_fails(m, ENG_EFORMAT, "VALID", "VALID with a wrong declared size");
    tw_model_destroy(m);
}

/* Fused activation code -> expected result on CONV_2D and ADD. */
static void test_activations(void)
{
    static const struct {
        int raw;
        eng_status st;
        eng_activation act;
    } cases[] = {
        {0, ENG_OK, ENG_ACT_NONE}, {1, ENG_OK, ENG_ACT_RELU},
        {2, ENG_OK, ENG_ACT_RELU_N1_TO_1}, {3, ENG_OK, ENG_ACT_RELU6},
        {4, ENG_EUNSUPPORTED, 0}, {5, ENG_EUNSUPPORTED, 0},
        {9, ENG_EFORMAT, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tw_model *m = tw_model_create();
        int d[] = {1, 4, 4, 2};
        int x = tw_add_act(m, "x", 4, d);
        int w = const_f32(m, "w", 4, (int[]){2, 1, 1, 2});
        int c = tw_add_act(m, "c", 4, d);
        int y = tw_add_act(m, "y", 4, d);
        tw_add_op(m, CONV_2D, NULL, (int[]){x, w, -1}, 3, &c, 1, OPT_CONV,
                  conv_opts(m, SAME, 1, cases[i].raw, 1));
        tw_add_op(m, ADD, NULL, (int[]){c, x}, 2, &y, 1, OPT_ADD,
                  act_opts(m, cases[i].raw));
        tw_set_inputs(m, &x, 1);
        tw_set_outputs(m, &y, 1);
        if (cases[i].st != ENG_OK) {
            import_fails(m, cases[i].st, NULL, "bad fused activation");
            tw_model_destroy(m);
            continue;
        }
        eng_graph *g = import_ok(m, "fused activation");
        const eng_node *cv = find_node(g, ENG_OP_CONV2D);
        const eng_node *ad = find_node(g, ENG_OP_ADD);
        CHECK(cv && ad && cv->p.u.conv.act == cases[i].act &&
                  ad->p.act == cases[i].act && cv->inputs[2] == -1,
              "activation %d maps to %d", cases[i].raw, (int)cases[i].act);
        eng_graph_destroy(g);
        tw_model_destroy(m);
    }
}

static void test_depthwise(void)
{
    for (int mult = 1; mult <= 2; mult++) {
        tw_model *m = tw_model_create();
        int x = tw_add_act(m, "x", 4, (int[]){1, 7, 7, 4});
        int w = const_f32(m, "w", 4, (int[]){1, 3, 3, 4 * mult});
        int y = tw_add_act(m, "y", 4, (int[]){1, 4, 4, 4 * mult});
        tw_obj *o = tw_table(m);
        tw_set_i32(o, 1, 2);
        tw_set_i32(o, 2, 2);
        tw_set_i32(o, 3, mult);
        tw_set_u8(o, 4, 3);
        tw_add_op(m, DEPTHWISE_CONV_2D, NULL, (int[]){x, w}, 2, &y, 1,
                  OPT_DW, o);
        tw_set_inputs(m, &x, 1);
        tw_set_outputs(m, &y, 1);
        if (mult == 2) {
            import_fails(m, ENG_EUNSUPPORTED, "multiplier",
                         "depth multiplier 2");
        } else {
            eng_graph *g = import_ok(m, "depthwise 3x3 s2 SAME on 7");
            const eng_node *n = find_node(g, ENG_OP_DEPTHWISE_CONV2D);
            CHECK(n && pad_is(&n->p.u.conv.pad, 1, 1, 1, 1) &&
                      n->p.u.conv.act == ENG_ACT_RELU6 && n->n_inputs == 3 &&
                      n->inputs[2] == -1,
                  "depthwise 3x3 s2 SAME on 7 pads (1,1), RELU6, no bias");
            eng_graph_destroy(g);
        }
        tw_model_destroy(m);
    }
}

/* The examples cover every lowering; check their parameters. */
static void test_examples(void)
{
    for (int i = 0; i < tw_example_count(); i++) {
        size_t n;
        const char *name;
        uint8_t *f = tw_example(i, &n, &name);
        eng_graph *g = NULL;
        eng_error err = {0};
        eng_status st = eng_tflite_import(f, n, &g, &err);
        free(f);
        CHECK(st == ENG_OK, "example %s: %s", name, err.msg);
        if (st)
            continue;
        CHECK(!strcmp(g->description, name), "example %s: description",
              name);
        const eng_node *nd;
        if (!strcmp(name, "pad_depthwise")) {
            nd = find_node(g, ENG_OP_PAD);
            CHECK(nd && nd->p.u.pad.before[1] == 1 &&
                      nd->p.u.pad.after[2] == 1 && nd->p.u.pad.before[3] == 0,
                  "PAD paddings");
        } else if (!strcmp(name, "pool_mean_fc")) {
            nd = find_node(g, ENG_OP_AVERAGE_POOL2D);
            CHECK(nd && nd->p.u.pool.filter_h == 3 &&
                      pad_is(&nd->p.u.pool.pad, 1, 1, 1, 1),
                  "3x3 s1 SAME average pool pads (1,1)");
            nd = find_node(g, ENG_OP_MAX_POOL2D);
            CHECK(nd && nd->p.u.pool.stride_w == 2 &&
                      pad_is(&nd->p.u.pool.pad, 0, 0, 0, 0),
                  "2x2 s2 SAME max pool on 8");
            CHECK(find_node(g, ENG_OP_FULLY_CONNECTED) &&
                      find_node(g, ENG_OP_LOGISTIC),
                  "FC and LOGISTIC lowered");
        } else if (!strcmp(name, "reshape_concat")) {
            nd = find_node(g, ENG_OP_CONCATENATION);
            CHECK(nd && nd->p.u.concat.axis == 1 && nd->n_inputs == 2,
                  "concat axis -2 of rank 3 normalised to 1");
            nd = find_node(g, ENG_OP_DEPTH_TO_SPACE);
            CHECK(nd && nd->p.u.depth_to_space.block == 2, "d2s block");
            nd = find_node(g, ENG_OP_RESIZE_BILINEAR);
            CHECK(nd && nd->p.u.resize.half_pixel_centers &&
                      !nd->p.u.resize.align_corners,
                  "resize flags");
        } else if (!strcmp(name, "transpose_conv")) {
            nd = find_node(g, ENG_OP_TRANSPOSE_CONV2D);
            CHECK(nd && nd->p.u.conv.stride_h == 2 &&
                      pad_is(&nd->p.u.conv.pad, 0, 0, 0, 0),
                  "transpose conv 2x2 s2 SAME: no crop");
            CHECK(census(g, "CUSTOM:Convolution2DTransposeBias") == 1 &&
                      find_node(g, ENG_OP_PRELU) &&
                      find_node(g, ENG_OP_HARD_SWISH) &&
                      find_node(g, ENG_OP_MUL) && find_node(g, ENG_OP_RELU6),
                  "transpose_conv example ops");
        }
        eng_graph_destroy(g);
    }
}

/* x [1,4,4,c] -> Convolution2DTransposeBias k x k, stride 2 -> y. */
static void transpose_case(int padding, int k, int out, int opt_len,
                           const int crop[4], eng_status want)
{
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 4, (int[]){1, 4, 4, 3});
    int w = const_f32(m, "w", 4, (int[]){2, k, k, 3});
    int b = const_f32(m, "b", 1, (int[]){2});
    int y = tw_add_act(m, "y", 4, (int[]){1, out, out, 2});
    int op = tw_add_op(m, CUSTOM, "Convolution2DTransposeBias",
                       (int[]){x, w, b}, 3, &y, 1, 0, NULL);
    int32_t opts[4] = {padding, 2, 2, 0};
    tw_set_custom_options(m, op, opts, (size_t)opt_len);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    if (want != ENG_OK) {
        import_fails(m, want, NULL, "bad transpose conv");
    } else {
        eng_graph *g = import_ok(m, "transpose conv");
        const eng_node *n = find_node(g, ENG_OP_TRANSPOSE_CONV2D);
        CHECK(n && pad_is(&n->p.u.conv.pad, crop[0], crop[1], crop[2],
                          crop[3]),
              "transpose conv %dx%d pad mode %d crop", k, k, padding);
        eng_graph_destroy(g);
    }
    tw_model_destroy(m);
}

static void test_transpose_conv(void)
{
    /* SAME: total = max(0, 3 - 3 % 2 - 1) = 1, out = 2*3 + 3 - 1 = 8. */
    transpose_case(1, 3, 8, 12, (int[]){0, 1, 0, 1}, ENG_OK);
    transpose_case(2, 3, 9, 12, (int[]){0, 0, 0, 0}, ENG_OK);
    transpose_case(1, 3, 9, 12, NULL, ENG_EFORMAT);
    transpose_case(0, 3, 8, 12, NULL, ENG_EFORMAT);
    transpose_case(1, 3, 8, 16, NULL, ENG_EFORMAT);
    transpose_case(1, 3, 8, 8, NULL, ENG_EFORMAT);
}

/* DEQUANTIZE of fp16 constants is folded: no node, exact fp32 data. */
static void test_dequantize(void)
{
    size_t n;
    uint8_t *f = tw_example(0, &n, NULL); /* conv_fp16 */
    eng_graph *g = NULL;
    eng_error err = {0};
    CHECK(eng_tflite_import(f, n, &g, &err) == ENG_OK, "%s", err.msg);
    free(f);
    if (!g)
        return;
    CHECK(g->n_nodes == 1 && census(g, "DEQUANTIZE") == 2 &&
              census(g, "CONV_2D") == 1,
          "DEQUANTIZE folded away but counted");
    const eng_tensor *wt = find_tensor(g, "w");
    int good = wt && wt->data && wt->count == 108;
    /* The writer's example pattern: ((i*7 + 3) % 17 - 8) / 8 (seed 1). */
    for (size_t i = 0; good && i < wt->count; i++)
        good = wt->data[i] == (float)((int)((i * 7 + 3) % 17) - 8) / 8.0f;
    CHECK(good, "dequantized weights are exact");
    CHECK(!find_tensor(g, "w_fp16"), "fp16 source not in the graph");
    eng_graph_destroy(g);

    /* DEQUANTIZE of a graph input (run time) is not supported. */
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 1, (int[]){4});
    int y = tw_add_act(m, "y", 1, (int[]){4});
    tw_add_op(m, DEQUANTIZE, NULL, &x, 1, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "run-time", "run-time DEQUANTIZE");
    tw_model_destroy(m);

    /* int8 weights with DEQUANTIZE: quantized models are not supported. */
    m = tw_model_create();
    int8_t q[4] = {1, 2, 3, 4};
    x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int wq = tw_add_tensor(m, "wq", TW_INT8, 2, (int[]){1, 4},
                           tw_add_buffer(m, q, 4));
    int w = tw_add_act(m, "w", 2, (int[]){1, 4});
    y = tw_add_act(m, "y", 2, (int[]){1, 1});
    tw_add_op(m, DEQUANTIZE, NULL, &wq, 1, &w, 1, 0, NULL);
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, w}, 2, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "INT8", "int8 DEQUANTIZE");
    tw_model_destroy(m);

    /* An fp16 constant used without DEQUANTIZE. */
    m = tw_model_create();
    float ones[4] = {1, 1, 1, 1};
    x = tw_add_act(m, "x", 2, (int[]){1, 4});
    w = tw_add_f16(m, "w16", 2, (int[]){1, 4}, ones);
    y = tw_add_act(m, "y", 2, (int[]){1, 1});
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, w}, 2, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "FLOAT16", "fp16 without DEQUANTIZE");
    tw_model_destroy(m);
}

/* ---- DENSIFY ---- */

typedef struct sparse_case {
    int seg_type, idx_type;
    int dims[4];
} sparse_case;

/* Deterministic ~25% dense weights (multiples of 1/4: exact in fp16). */
static float *sparse_weights(size_t n)
{
    float *v = calloc(n, sizeof(*v));
    uint64_t rng = 77;
    for (size_t i = 0; i < n; i++)
        if (test_rand_u32(&rng) % 4 == 0)
            v[i] = (float)((int)(test_rand_u32(&rng) % 33) - 16) / 4.0f;
    return v;
}

/* x -> 1xKW conv whose weights come from DENSIFY (sparse) or straight
 * from an fp16 constant (dense), both through DEQUANTIZE. Corruption:
 * 0 none, 1 decreasing segment, 2 index out of range, 3 repeated index,
 * 4 one value missing, 5 traversal order 1,0,2,3, 6 a block map. */
static tw_model *densify_model(const sparse_case *c, const float *dense,
                               int sparse, int corruption)
{
    const int *d = c->dims;
    int rows = d[0] * d[1] * d[2], cols = d[3];
    size_t n = (size_t)rows * (size_t)cols;
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 4, (int[]){1, d[1], d[2] + 1, cols});
    int wh = tw_add_tensor(m, "w16", TW_FLOAT16, 4, d, 0);
    if (!sparse) {
        wh = tw_add_f16(m, "w16c", 4, d, dense);
    } else {
        int32_t *seg = malloc(((size_t)rows + 1) * sizeof(*seg));
        int32_t *idx = malloc(n * sizeof(*idx));
        uint16_t *val = malloc(n * sizeof(*val) + 2);
        int nnz = 0;
        for (int r = 0; r < rows; r++) {
            seg[r] = nnz;
            for (int col = 0; col < cols; col++) {
                float v = dense[(size_t)r * cols + col];
                if (v == 0.0f)
                    continue;
                idx[nnz] = col;
                val[nnz++] = tw_f32_to_f16(v);
            }
        }
        seg[rows] = nnz;
        if (corruption == 1)
            seg[1] = seg[2] + 1;
        if (corruption == 2)
            idx[0] = cols;
        if (corruption == 3)
            idx[1] = idx[0];
        int stored = corruption == 4 ? nnz - 1 : nnz;
        int ws = tw_add_tensor(m, "ws", TW_FLOAT16, 4, d,
                               tw_add_buffer(m, val, 2 * (size_t)stored));
        tw_set_sparsity(m, ws, c->seg_type, seg, (size_t)rows + 1,
                        c->idx_type, idx, (size_t)nnz);
        if (corruption == 5)
            tw_set_sparse_layout(m, ws, (int32_t[]){1, 0, 2, 3}, 4, NULL, 0);
        if (corruption == 6)
            tw_set_sparse_layout(m, ws, (int32_t[]){0, 1, 2, 3}, 4,
                                 (int32_t[]){3}, 1);
        tw_add_op(m, DENSIFY, NULL, &ws, 1, &wh, 1, 0, NULL);
        free(seg);
        free(idx);
        free(val);
    }
    int w = tw_add_act(m, "w", 4, d);
    tw_add_op(m, DEQUANTIZE, NULL, &wh, 1, &w, 1, 0, NULL);
    int y = tw_add_act(m, "y", 4, (int[]){1, 1, 2, d[0]});
    tw_add_op(m, CONV_2D, NULL, (int[]){x, w}, 2, &y, 1, OPT_CONV,
              conv_opts(m, VALID, 1, 0, 1));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    return m;
}

static void test_densify(void)
{
    static const sparse_case cases[] = {
        {TW_IDX_U8, TW_IDX_U8, {3, 1, 2, 40}},
        {TW_IDX_U16, TW_IDX_U8, {4, 1, 1, 64}},
        {TW_IDX_U16, TW_IDX_U16, {2, 1, 3, 300}},
        {TW_IDX_I32, TW_IDX_I32, {5, 1, 1, 16}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const sparse_case *c = &cases[i];
        size_t n = (size_t)c->dims[0] * c->dims[1] * c->dims[2] * c->dims[3];
        float *dense = sparse_weights(n);
        tw_model *ms = densify_model(c, dense, 1, 0);
        tw_model *md = densify_model(c, dense, 0, 0);
        eng_graph *gs = import_ok(ms, "densify");
        eng_graph *gd = import_ok(md, "dense equivalent");
        const eng_tensor *ws = find_tensor(gs, "w");
        const eng_tensor *wd = find_tensor(gd, "w");
        CHECK(ws && wd && ws->data && wd->data && ws->count == n &&
                  !memcmp(ws->data, wd->data, n * sizeof(float)),
              "densify case %zu equals its dense equivalent", i);
        CHECK(gs && census(gs, "DENSIFY") == 1 && gs->n_nodes == 1,
              "densify case %zu: census and nodes", i);
        eng_graph_destroy(gs);
        eng_graph_destroy(gd);
        tw_model_destroy(ms);
        tw_model_destroy(md);
        static const char *const why[] = {"segments decrease",
                                          "out of range", "repeated",
                                          "counts disagree"};
        for (int bad = 1; bad <= 6 && i == 0; bad++) {
            tw_model *mb = densify_model(c, dense, 1, bad);
            if (bad <= 4)
                import_fails(mb, ENG_EFORMAT, why[bad - 1],
                             "corrupt sparse metadata");
            else
                import_fails(mb, ENG_EUNSUPPORTED, "sparsity other than",
                             "unsupported sparse layout");
            tw_model_destroy(mb);
        }
        free(dense);
    }
}

/* ---- Errors ---- */

/* x [1,4] -> op -> y [1,4]: for unsupported-op and header tests. */
static tw_model *unary_model(int code, const char *custom)
{
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int y = tw_add_act(m, "y", 2, (int[]){1, 4});
    tw_add_op(m, code, custom, &x, 1, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    return m;
}

static void test_unsupported(void)
{
    tw_model *m = unary_model(SQUARE, NULL);
    import_fails(m, ENG_EUNSUPPORTED, "unsupported builtin op SQUARE (code 92)",
                 "SQUARE");
    tw_model_destroy(m);
    m = unary_model(CUSTOM, "MaxPoolingWithArgmax2D");
    import_fails(m, ENG_EUNSUPPORTED, "MaxPoolingWithArgmax2D", "custom op");
    tw_model_destroy(m);
    m = unary_model(RELU_N1_TO_1, NULL);
    import_fails(m, ENG_EUNSUPPORTED, "RELU_N1_TO_1", "RELU_N1_TO_1");
    tw_model_destroy(m);
    m = unary_model(400, NULL);
    import_fails(m, ENG_EUNSUPPORTED, "code 400", "unknown builtin");
    tw_model_destroy(m);

    /* int8 and quantized activations are named with their op. */
    m = tw_model_create();
    int x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int q = tw_add_tensor(m, "q", TW_INT8, 2, (int[]){1, 4}, 0);
    int y = tw_add_act(m, "y", 2, (int[]){1, 4});
    tw_add_op(m, RELU, NULL, &x, 1, &q, 1, 0, NULL);
    tw_add_op(m, RELU, NULL, &q, 1, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "(RELU)", "int8 activation");
    tw_model_destroy(m);
    m = unary_model(RELU, NULL);
    tw_set_quantized(m, 1);
    import_fails(m, ENG_EUNSUPPORTED, "quantized", "quantized activation");
    tw_model_destroy(m);

    /* FULLY_CONNECTED with keep_num_dims. */
    m = tw_model_create();
    x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int w = const_f32(m, "w", 2, (int[]){3, 4});
    y = tw_add_act(m, "y", 2, (int[]){1, 3});
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 2, 1);
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, w}, 2, &y, 1, OPT_FC, o);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "keep_num_dims", "keep_num_dims");
    tw_model_destroy(m);

    /* CONCATENATION of more inputs than a node holds. */
    m = tw_model_create();
    int in[9];
    for (int i = 0; i < 9; i++)
        in[i] = tw_add_act(m, "x", 2, (int[]){1, 1});
    y = tw_add_act(m, "y", 2, (int[]){1, 9});
    o = tw_table(m);
    tw_set_i32(o, 0, 1);
    tw_add_op(m, CONCATENATION, NULL, in, 9, &y, 1, OPT_CONCAT, o);
    tw_set_inputs(m, in, 9);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EUNSUPPORTED, "inputs", "9-input concat");
    tw_model_destroy(m);
}

/* -1 marks an absent input only where the op has an optional one. */
static void test_absent_inputs(void)
{
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 2, (int[]){1, 2});
    int y = tw_add_act(m, "y", 2, (int[]){1, 4});
    tw_obj *o = tw_table(m);
    tw_set_i32(o, 0, 1);
    tw_add_op(m, CONCATENATION, NULL, (int[]){x, -1}, 2, &y, 1, OPT_CONCAT,
              o);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "index -1", "absent concat input");
    tw_model_destroy(m);

    m = tw_model_create();
    x = tw_add_act(m, "x", 2, (int[]){1, 4});
    y = tw_add_act(m, "y", 2, (int[]){1, 3});
    int b = const_f32(m, "b", 1, (int[]){3});
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, -1, b}, 3, &y, 1, 0,
              NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "index -1", "absent FC weights");
    tw_model_destroy(m);
}

static void test_format_errors(void)
{
    /* Buffer length disagreeing with the shape. */
    tw_model *m = tw_model_create();
    float v[5] = {0};
    int x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int w = tw_add_tensor(m, "conv1/weights", TW_FLOAT32, 2, (int[]){2, 4},
                          tw_add_buffer(m, v, sizeof(v)));
    int y = tw_add_act(m, "y", 2, (int[]){1, 2});
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, w}, 2, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT,
                 "tensor 1 'conv1/weights': buffer 1 holds 20 bytes, shape "
                 "needs 32", "buffer length");
    tw_model_destroy(m);

    /* Tensor indices out of range, in an op and in the graph inputs. */
    m = unary_model(RELU, NULL);
    tw_add_op(m, RELU, NULL, (int[]){99}, 1, (int[]){1}, 1, 0, NULL);
    import_fails(m, ENG_EFORMAT, "out of range", "op tensor index");
    tw_model_destroy(m);
    m = unary_model(RELU, NULL);
    tw_add_op(m, RELU, NULL, (int[]){-7}, 1, (int[]){1}, 1, 0, NULL);
    import_fails(m, ENG_EFORMAT, "out of range", "negative tensor index");
    tw_model_destroy(m);
    m = unary_model(RELU, NULL);
    tw_set_inputs(m, (int[]){12}, 1);
    import_fails(m, ENG_EFORMAT, "out of range", "graph input index");
    tw_model_destroy(m);

    /* Buffer index out of range; shapes with zero or too many dims. */
    m = unary_model(RELU, NULL);
    tw_add_tensor(m, "orphan", TW_FLOAT32, 1, (int[]){4}, 42);
    import_fails(m, ENG_EFORMAT, "buffer 42", "buffer index");
    tw_model_destroy(m);
    m = unary_model(RELU, NULL);
    tw_add_tensor(m, "empty", TW_FLOAT32, 2, (int[]){3, 0}, 0);
    import_fails(m, ENG_EFORMAT, "dimension 1 is 0", "zero dimension");
    tw_model_destroy(m);
    m = unary_model(RELU, NULL);
    tw_add_tensor(m, "5d", TW_FLOAT32, 5, (int[]){1, 1, 1, 1, 1}, 0);
    import_fails(m, ENG_EUNSUPPORTED, "rank 5", "rank 5");
    tw_model_destroy(m);

    /* Options of the wrong type; a reshape whose operand disagrees. */
    m = tw_model_create();
    x = tw_add_act(m, "x", 4, (int[]){1, 4, 4, 2});
    w = const_f32(m, "w", 4, (int[]){2, 1, 1, 2});
    y = tw_add_act(m, "y", 4, (int[]){1, 4, 4, 2});
    tw_add_op(m, CONV_2D, NULL, (int[]){x, w}, 2, &y, 1, OPT_POOL,
              conv_opts(m, SAME, 1, 0, 1));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "options", "options type mismatch");
    tw_model_destroy(m);
    m = tw_model_create();
    x = tw_add_act(m, "x", 2, (int[]){2, 6});
    int sh = tw_add_i32(m, "shape", 1, (int[]){2}, (int32_t[]){4, 3});
    y = tw_add_act(m, "y", 2, (int[]){3, 4});
    tw_add_op(m, RESHAPE, NULL, (int[]){x, sh}, 2, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "shape", "reshape operand");
    tw_model_destroy(m);

    /* An op reading a tensor nobody wrote. */
    m = unary_model(RELU, NULL);
    int z = tw_add_act(m, "z", 2, (int[]){1, 4});
    int u = tw_add_act(m, "u", 2, (int[]){1, 4});
    tw_add_op(m, RELU, NULL, &z, 1, &u, 1, 0, NULL);
    import_fails(m, ENG_EFORMAT, "before any op writes it", "unwritten");
    tw_model_destroy(m);

    /* Schema version and identifier. */
    m = unary_model(RELU, NULL);
    tw_set_version(m, 2);
    import_fails(m, ENG_EUNSUPPORTED, "version", "schema version 2");
    tw_model_destroy(m);
}

static void test_header_and_file(void)
{
    size_t n;
    tw_model *m = unary_model(RELU, NULL);
    uint8_t *f = tw_finish(m, &n);
    tw_model_destroy(m);
    eng_graph *g = NULL;
    eng_error err = {0};
    for (size_t len = 0; len < 8; len++) {
        eng_status st = eng_tflite_import(f, len, &g, &err);
        CHECK(st == ENG_EFORMAT && !g, "%zu-byte file rejected", len);
    }
    f[5] = 'X';
    CHECK(eng_tflite_import(f, n, &g, &err) == ENG_EFORMAT &&
              strstr(err.msg, "TFL3"),
          "bad identifier: %s", err.msg);
    f[5] = 'F';
    CHECK(eng_tflite_import(f, n, NULL, &err) == ENG_EINVAL, "NULL out");
    CHECK(eng_tflite_import(NULL, 4, &g, &err) == ENG_EINVAL, "NULL data");
    CHECK(eng_tflite_import(f, n, &g, NULL) == ENG_OK, "NULL err is fine");
    eng_graph_destroy(g);

    char path[] = "/tmp/test_tflite_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    CHECK(fp && fwrite(f, 1, n, fp) == n, "write temp model");
    if (fp)
        fclose(fp);
    g = NULL;
    CHECK(eng_tflite_import_file(path, &g, &err) == ENG_OK && g,
          "import_file: %s", err.msg);
    eng_graph_destroy(g);
    remove(path);
    CHECK(eng_tflite_import_file(path, &g, &err) == ENG_EIO &&
              strstr(err.msg, path) && strstr(err.msg, "No such file"),
          "missing file: %s", err.msg);
    free(f);

    /* Long descriptions are truncated, not overflowed. */
    char desc[300];
    memset(desc, 'd', sizeof(desc) - 1);
    desc[sizeof(desc) - 1] = '\0';
    m = unary_model(RELU, NULL);
    tw_set_description(m, desc);
    g = import_ok(m, "long description");
    CHECK(g && strlen(g->description) == sizeof(g->description) - 1,
          "description truncated");
    eng_graph_destroy(g);
    tw_model_destroy(m);
}

/* Weights stored past the flatbuffer (Buffer.offset/size). */
static void test_external_buffer(void)
{
    float v[8] = {1, 2, 3, 4, -1, -2, -3, -4};
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 2, (int[]){1, 4});
    int w = tw_add_tensor(m, "w", TW_FLOAT32, 2, (int[]){2, 4},
                          tw_add_external_buffer(m, v, sizeof(v)));
    int y = tw_add_act(m, "y", 2, (int[]){1, 2});
    tw_add_op(m, FULLY_CONNECTED, NULL, (int[]){x, w}, 2, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    eng_graph *g = import_ok(m, "external buffer");
    const eng_tensor *t = find_tensor(g, "w");
    CHECK(t && t->data && !memcmp(t->data, v, sizeof(v)),
          "external buffer data");
    eng_graph_destroy(g);

    /* The same file cut before the external data. */
    size_t n;
    uint8_t *f = tw_finish(m, &n);
    eng_error err = {0};
    CHECK(eng_tflite_import(f, n - 4, &g, &err) == ENG_EFORMAT &&
              strstr(err.msg, "outside"),
          "truncated external data: %s", err.msg);
    free(f);
    tw_model_destroy(m);
}

static void test_mean_and_reshape(void)
{
    tw_model *m = tw_model_create();
    int x = tw_add_act(m, "x", 4, (int[]){1, 3, 5, 2});
    int ax = tw_add_i32(m, "axes", 1, (int[]){2}, (int32_t[]){-3, 2});
    int y = tw_add_act(m, "y", 4, (int[]){1, 1, 1, 2});
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, 1);
    tw_add_op(m, MEAN, NULL, (int[]){x, ax}, 2, &y, 1, OPT_REDUCER, o);
    int r = tw_add_act(m, "r", 2, (int[]){1, 2});
    o = tw_table(m);
    tw_set_ref(o, 0, tw_vec_i32(m, (int32_t[]){1, -1}, 2));
    tw_add_op(m, RESHAPE, NULL, &y, 1, &r, 1, OPT_RESHAPE, o);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &r, 1);
    eng_graph *g = import_ok(m, "mean keep_dims, reshape by options");
    const eng_node *n = find_node(g, ENG_OP_MEAN);
    CHECK(n && n->p.u.mean.axes == 6 && n->p.u.mean.keep_dims,
          "MEAN axes [-3,2] -> {1,2}, keep_dims");
    CHECK(find_node(g, ENG_OP_RESHAPE), "RESHAPE lowered");
    eng_graph_destroy(g);
    tw_model_destroy(m);

    m = tw_model_create();
    x = tw_add_act(m, "x", 4, (int[]){1, 4, 4, 2});
    y = tw_add_act(m, "y", 4, (int[]){1, 2, 2, 2});
    tw_add_op(m, MAX_POOL_2D, NULL, &x, 1, &y, 1, OPT_POOL, tw_table(m));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "out of range", "pool with zero stride");
    tw_model_destroy(m);

    m = tw_model_create();
    x = tw_add_act(m, "x", 1, (int[]){4});
    y = tw_add_act(m, "y", 1, (int[]){4});
    tw_add_op(m, DEPTH_TO_SPACE, NULL, &x, 1, &y, 1, 94, tw_table(m));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "block size", "depth_to_space block 0");
    tw_model_destroy(m);

    m = tw_model_create();
    x = tw_add_act(m, "x", 4, (int[]){1, 2, 2, 1});
    y = tw_add_act(m, "y", 4, (int[]){1, 1, 1, 1});
    tw_add_op(m, AVERAGE_POOL_2D, NULL, &x, 1, &y, 1, OPT_POOL, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
    import_fails(m, ENG_EFORMAT, "without a table", "options type, no table");
    tw_model_destroy(m);
}

int main(void)
{
    test_fp16();
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        check_model(&models[i]);
    check_real_lowering();

    size_t size = 0;
    uint8_t *selfie = read_model("selfie_segmentation", &size);
    if (selfie) {
        check_truncation(selfie, size);
        check_corruption(selfie, size);
        free(selfie);
    }

    test_same_padding();
    test_activations();
    test_depthwise();
    test_examples();
    test_transpose_conv();
    test_dequantize();
    test_densify();
    test_unsupported();
    test_absent_inputs();
    test_format_errors();
    test_header_and_file();
    test_external_buffer();
    test_mean_and_reshape();
    return test_finish();
}
