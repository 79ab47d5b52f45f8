#include "tflite_writer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TW_MAX_FIELDS 16
#define TW_MAX_DIMS 8
#define TW_MAX_IO 16

enum { F_NONE, F_U8, F_I32, F_U32, F_U64, F_REF };
enum { O_TABLE, O_BYTES, O_REFS, O_STRING };

typedef struct tw_field {
    int kind;
    uint64_t val;
    tw_obj *ref;
} tw_field;

struct tw_obj {
    int kind;
    tw_field fields[TW_MAX_FIELDS]; /* O_TABLE */
    int n_fields;                   /* highest field id + 1 */
    uint8_t *bytes;                 /* O_BYTES, O_STRING: owned */
    size_t n_bytes, count, align;
    tw_obj **refs;                  /* O_REFS: owned array */
    size_t n_refs;
    size_t pos;                     /* where placed; 0 = not yet */
    tw_obj *next;                   /* model's list of all objects */
};

typedef struct tw_tensor {
    char *name;
    int type, ndim, buffer;
    int dims[TW_MAX_DIMS];
    bool quantized, sparse;
    int seg_type, idx_type;
    int32_t *seg, *idx;
    size_t n_seg, n_idx;
    int32_t order[TW_MAX_DIMS], block[TW_MAX_DIMS];
    int n_order, n_block; /* n_order -1: the default 0..ndim-1 */
} tw_tensor;

typedef struct tw_buf {
    uint8_t *data;
    size_t len;
    bool external;
} tw_buf;

typedef struct tw_op {
    int opcode;
    int in[TW_MAX_IO], n_in;
    int out[TW_MAX_IO], n_out;
    int options_type;
    tw_obj *options;
    uint8_t *custom;
    size_t custom_len;
} tw_op;

typedef struct tw_opcode {
    int code;
    char *custom;
} tw_opcode;

struct tw_model {
    tw_obj *objs;
    tw_tensor *tensors;
    int n_tensors, cap_tensors;
    tw_buf *bufs;
    int n_bufs, cap_bufs;
    tw_op *ops;
    int n_ops, cap_ops;
    tw_opcode *codes;
    int n_codes, cap_codes;
    int inputs[TW_MAX_IO], n_inputs;
    int outputs[TW_MAX_IO], n_outputs;
    char *description;
    uint32_t version;
    uint8_t *out; /* file being laid out */
    size_t len, cap;
};

/* ---- Memory (test code: failure aborts) ---- */

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fprintf(stderr, "tflite_writer: out of memory\n");
        abort();
    }
    return p;
}

static void *xdup(const void *src, size_t n)
{
    void *p = xrealloc(NULL, n);
    if (n)
        memcpy(p, src, n);
    return p;
}

static char *xstrdup(const char *s)
{
    return s ? xdup(s, strlen(s) + 1) : NULL;
}

/* memcpy of n ints that accepts src == NULL when n == 0. */
static void copy_ints(void *dst, const void *src, int n)
{
    if (n > 0)
        memcpy(dst, src, (size_t)n * sizeof(int32_t));
}

/* Grows *arr (of *cap elements) to hold n elements. */
static void reserve(void **arr, int *cap, int n, size_t elem)
{
    if (n <= *cap)
        return;
    int ncap = *cap ? 2 * *cap : 8;
    while (ncap < n)
        ncap *= 2;
    *arr = xrealloc(*arr, (size_t)ncap * elem);
    *cap = ncap;
}

/* ---- Object layer ---- */

static tw_obj *new_obj(tw_model *m, int kind)
{
    tw_obj *o = xrealloc(NULL, sizeof(*o));
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->align = 4;
    o->next = m->objs;
    m->objs = o;
    return o;
}

tw_obj *tw_table(tw_model *m)
{
    return new_obj(m, O_TABLE);
}

static void set_field(tw_obj *t, int field, int kind, uint64_t v,
                      tw_obj *ref)
{
    if (t->kind != O_TABLE || field < 0 || field >= TW_MAX_FIELDS) {
        fprintf(stderr, "tflite_writer: bad field %d\n", field);
        abort();
    }
    t->fields[field] = (tw_field){kind, v, ref};
    if (field + 1 > t->n_fields)
        t->n_fields = field + 1;
}

void tw_set_u8(tw_obj *t, int field, uint8_t v)
{
    set_field(t, field, F_U8, v, NULL);
}

void tw_set_i32(tw_obj *t, int field, int32_t v)
{
    set_field(t, field, F_I32, (uint32_t)v, NULL);
}

void tw_set_u32(tw_obj *t, int field, uint32_t v)
{
    set_field(t, field, F_U32, v, NULL);
}

void tw_set_u64(tw_obj *t, int field, uint64_t v)
{
    set_field(t, field, F_U64, v, NULL);
}

void tw_set_ref(tw_obj *t, int field, tw_obj *child)
{
    set_field(t, field, F_REF, 0, child);
}

/* A vector of count little-endian elements of elem bytes each (the host
 * is little-endian, as TFLite assumes). */
static tw_obj *vec_raw(tw_model *m, const void *data, size_t elem,
                       size_t count, size_t align)
{
    tw_obj *o = new_obj(m, O_BYTES);
    o->bytes = xdup(data, elem * count);
    o->n_bytes = elem * count;
    o->count = count;
    o->align = align;
    return o;
}

tw_obj *tw_vec_i32(tw_model *m, const int32_t *v, size_t n)
{
    return vec_raw(m, v, 4, n, 4);
}

tw_obj *tw_vec_u16(tw_model *m, const uint16_t *v, size_t n)
{
    return vec_raw(m, v, 2, n, 4);
}

tw_obj *tw_vec_u8(tw_model *m, const uint8_t *v, size_t n)
{
    return vec_raw(m, v, 1, n, 4);
}

tw_obj *tw_vec_tables(tw_model *m, tw_obj *const *items, size_t n)
{
    tw_obj *o = new_obj(m, O_REFS);
    o->refs = xdup(items, n * sizeof(*items));
    o->n_refs = n;
    return o;
}

tw_obj *tw_string(tw_model *m, const char *s)
{
    tw_obj *o = new_obj(m, O_STRING);
    o->n_bytes = strlen(s);
    o->bytes = xdup(s, o->n_bytes);
    return o;
}

/* ---- Layout ---- */

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* Makes room up to `end` (zero-filled) and returns the output. */
static uint8_t *room(tw_model *m, size_t end)
{
    if (end > m->cap) {
        size_t ncap = m->cap ? m->cap : 1024;
        while (ncap < end)
            ncap *= 2;
        m->out = xrealloc(m->out, ncap);
        memset(m->out + m->cap, 0, ncap - m->cap);
        m->cap = ncap;
    }
    if (end > m->len)
        m->len = end;
    return m->out;
}

static void put(tw_model *m, size_t pos, uint64_t v, size_t n)
{
    uint8_t *p = room(m, pos + n) + pos;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static size_t place(tw_model *m, tw_obj *o);

/* Places child and stores the forward uoffset to it at slot. */
static void link(tw_model *m, size_t slot, tw_obj *child)
{
    size_t target = place(m, child);
    put(m, slot, target - slot, 4);
}

static size_t field_size(int kind)
{
    switch (kind) {
    case F_U8: return 1;
    case F_U64: return 8;
    case F_NONE: return 0;
    default: return 4;
    }
}

/* vtable, then the 8-aligned table: soffset, 8-byte, 4-byte, 1-byte
 * fields; children follow. Returns the table's position. */
static size_t place_table(tw_model *m, tw_obj *o)
{
    uint16_t off[TW_MAX_FIELDS] = {0};
    size_t size = 4;
    for (size_t w = 8; w >= 1; w /= 2) {
        for (int i = 0; i < o->n_fields; i++) {
            if (field_size(o->fields[i].kind) != w)
                continue;
            size = align_up(size, w);
            off[i] = (uint16_t)size;
            size += w;
        }
    }
    size_t vt = align_up(m->len, 2);
    size_t vt_size = 4 + 2 * (size_t)o->n_fields;
    size_t pos = align_up(vt + vt_size, 8);
    put(m, vt, vt_size, 2);
    put(m, vt + 2, size, 2);
    for (int i = 0; i < o->n_fields; i++)
        put(m, vt + 4 + 2 * (size_t)i, off[i], 2);
    put(m, pos, pos - vt, 4);
    room(m, pos + align_up(size, 4));
    o->pos = pos;
    for (int i = 0; i < o->n_fields; i++) {
        const tw_field *f = &o->fields[i];
        if (f->kind == F_REF)
            continue;
        if (f->kind != F_NONE)
            put(m, pos + off[i], f->val, field_size(f->kind));
    }
    for (int i = 0; i < o->n_fields; i++)
        if (o->fields[i].kind == F_REF)
            link(m, pos + off[i], o->fields[i].ref);
    return pos;
}

static size_t place(tw_model *m, tw_obj *o)
{
    if (o->pos) {
        fprintf(stderr, "tflite_writer: object used twice\n");
        abort();
    }
    if (o->kind == O_TABLE)
        return place_table(m, o);
    size_t hdr = align_up(m->len + 4, o->align) - 4;
    o->pos = hdr;
    if (o->kind == O_REFS) {
        put(m, hdr, o->n_refs, 4);
        room(m, hdr + 4 + 4 * o->n_refs);
        for (size_t i = 0; i < o->n_refs; i++)
            link(m, hdr + 4 + 4 * i, o->refs[i]);
        return hdr;
    }
    bool str = o->kind == O_STRING;
    put(m, hdr, str ? o->n_bytes : o->count, 4);
    uint8_t *p = room(m, align_up(hdr + 4 + o->n_bytes + str, 4));
    if (o->n_bytes)
        memcpy(p + hdr + 4, o->bytes, o->n_bytes);
    return hdr;
}

/* ---- Model layer ---- */

tw_model *tw_model_create(void)
{
    tw_model *m = xrealloc(NULL, sizeof(*m));
    memset(m, 0, sizeof(*m));
    m->version = 3;
    tw_add_buffer(m, NULL, 0);
    return m;
}

void tw_model_destroy(tw_model *m)
{
    if (!m)
        return;
    while (m->objs) {
        tw_obj *o = m->objs;
        m->objs = o->next;
        free(o->bytes);
        free(o->refs);
        free(o);
    }
    for (int i = 0; i < m->n_tensors; i++) {
        free(m->tensors[i].name);
        free(m->tensors[i].seg);
        free(m->tensors[i].idx);
    }
    for (int i = 0; i < m->n_bufs; i++)
        free(m->bufs[i].data);
    for (int i = 0; i < m->n_ops; i++)
        free(m->ops[i].custom);
    for (int i = 0; i < m->n_codes; i++)
        free(m->codes[i].custom);
    free(m->tensors);
    free(m->bufs);
    free(m->ops);
    free(m->codes);
    free(m->description);
    free(m->out);
    free(m);
}

void tw_set_description(tw_model *m, const char *s)
{
    free(m->description);
    m->description = xstrdup(s);
}

void tw_set_version(tw_model *m, uint32_t version)
{
    m->version = version;
}

static int add_buffer(tw_model *m, const void *data, size_t len, bool ext)
{
    reserve((void **)&m->bufs, &m->cap_bufs, m->n_bufs + 1,
            sizeof(*m->bufs));
    tw_buf *b = &m->bufs[m->n_bufs];
    b->data = len ? xdup(data, len) : NULL;
    b->len = len;
    b->external = ext;
    return m->n_bufs++;
}

int tw_add_buffer(tw_model *m, const void *data, size_t len)
{
    return add_buffer(m, data, len, false);
}

int tw_add_external_buffer(tw_model *m, const void *data, size_t len)
{
    return add_buffer(m, data, len, true);
}

int tw_add_tensor(tw_model *m, const char *name, int type, int ndim,
                  const int *dims, int buffer)
{
    reserve((void **)&m->tensors, &m->cap_tensors, m->n_tensors + 1,
            sizeof(*m->tensors));
    tw_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(name);
    t->type = type;
    t->ndim = ndim < TW_MAX_DIMS ? ndim : TW_MAX_DIMS;
    for (int i = 0; i < t->ndim; i++)
        t->dims[i] = dims[i];
    t->buffer = buffer;
    return m->n_tensors++;
}

static size_t elements(int ndim, const int *dims)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    return n;
}

int tw_add_act(tw_model *m, const char *name, int ndim, const int *dims)
{
    return tw_add_tensor(m, name, TW_FLOAT32, ndim, dims, 0);
}

int tw_add_f32(tw_model *m, const char *name, int ndim, const int *dims,
               const float *v)
{
    int b = tw_add_buffer(m, v, 4 * elements(ndim, dims));
    return tw_add_tensor(m, name, TW_FLOAT32, ndim, dims, b);
}

int tw_add_f16(tw_model *m, const char *name, int ndim, const int *dims,
               const float *v)
{
    size_t n = elements(ndim, dims);
    uint16_t *h = xrealloc(NULL, 2 * n);
    for (size_t i = 0; i < n; i++)
        h[i] = tw_f32_to_f16(v[i]);
    int b = tw_add_buffer(m, h, 2 * n);
    free(h);
    return tw_add_tensor(m, name, TW_FLOAT16, ndim, dims, b);
}

int tw_add_i32(tw_model *m, const char *name, int ndim, const int *dims,
               const int32_t *v)
{
    int b = tw_add_buffer(m, v, 4 * elements(ndim, dims));
    return tw_add_tensor(m, name, TW_INT32, ndim, dims, b);
}

void tw_set_quantized(tw_model *m, int t)
{
    m->tensors[t].quantized = true;
}

void tw_set_sparsity(tw_model *m, int t, int seg_type, const int32_t *seg,
                     size_t n_seg, int idx_type, const int32_t *idx,
                     size_t n_idx)
{
    tw_tensor *tt = &m->tensors[t];
    free(tt->seg);
    free(tt->idx);
    tt->sparse = true;
    tt->seg_type = seg_type;
    tt->idx_type = idx_type;
    tt->seg = xdup(seg, n_seg * sizeof(*seg));
    tt->idx = xdup(idx, n_idx * sizeof(*idx));
    tt->n_seg = n_seg;
    tt->n_idx = n_idx;
    tt->n_order = -1;
}

void tw_set_sparse_layout(tw_model *m, int t, const int32_t *order,
                          int n_order, const int32_t *block, int n_block)
{
    tw_tensor *tt = &m->tensors[t];
    tt->n_order = n_order < TW_MAX_DIMS ? n_order : TW_MAX_DIMS;
    tt->n_block = n_block < TW_MAX_DIMS ? n_block : TW_MAX_DIMS;
    copy_ints(tt->order, order, tt->n_order);
    copy_ints(tt->block, block, tt->n_block);
}

static int opcode_index(tw_model *m, int code, const char *custom)
{
    for (int i = 0; i < m->n_codes; i++) {
        const tw_opcode *c = &m->codes[i];
        if (c->code == code && (!custom) == (!c->custom) &&
            (!custom || !strcmp(custom, c->custom)))
            return i;
    }
    reserve((void **)&m->codes, &m->cap_codes, m->n_codes + 1,
            sizeof(*m->codes));
    m->codes[m->n_codes] = (tw_opcode){code, xstrdup(custom)};
    return m->n_codes++;
}

int tw_add_op(tw_model *m, int code, const char *custom, const int *in,
              int n_in, const int *out, int n_out, int options_type,
              tw_obj *options)
{
    reserve((void **)&m->ops, &m->cap_ops, m->n_ops + 1, sizeof(*m->ops));
    tw_op *o = &m->ops[m->n_ops];
    memset(o, 0, sizeof(*o));
    o->opcode = opcode_index(m, code, custom);
    o->n_in = n_in < TW_MAX_IO ? n_in : TW_MAX_IO;
    o->n_out = n_out < TW_MAX_IO ? n_out : TW_MAX_IO;
    copy_ints(o->in, in, o->n_in);
    copy_ints(o->out, out, o->n_out);
    o->options_type = options_type;
    o->options = options;
    return m->n_ops++;
}

void tw_set_custom_options(tw_model *m, int op, const void *data,
                           size_t len)
{
    free(m->ops[op].custom);
    m->ops[op].custom = xdup(data, len);
    m->ops[op].custom_len = len;
}

void tw_set_inputs(tw_model *m, const int *t, int n)
{
    m->n_inputs = n < TW_MAX_IO ? n : TW_MAX_IO;
    copy_ints(m->inputs, t, m->n_inputs);
}

void tw_set_outputs(tw_model *m, const int *t, int n)
{
    m->n_outputs = n < TW_MAX_IO ? n : TW_MAX_IO;
    copy_ints(m->outputs, t, m->n_outputs);
}

/* ---- Building the schema objects ---- */

static tw_obj *index_vector(tw_model *m, int type, const int32_t *v,
                            size_t n)
{
    tw_obj *t = tw_table(m);
    tw_obj *vec;
    if (type == TW_IDX_I32) {
        vec = tw_vec_i32(m, v, n);
    } else {
        size_t w = type == TW_IDX_U16 ? 2 : 1;
        uint8_t *b = xrealloc(NULL, w * n);
        for (size_t i = 0; i < n; i++) {
            b[w * i] = (uint8_t)v[i];
            if (w == 2)
                b[w * i + 1] = (uint8_t)(v[i] >> 8);
        }
        vec = vec_raw(m, b, w, n, 4);
        free(b);
    }
    tw_set_ref(t, 0, vec);
    return t;
}

static tw_obj *sparsity_obj(tw_model *m, const tw_tensor *t)
{
    int32_t order[TW_MAX_DIMS];
    tw_obj *dims[TW_MAX_DIMS];
    for (int i = 0; i < t->ndim; i++) {
        order[i] = i;
        dims[i] = tw_table(m);
        if (i < t->ndim - 1) {
            tw_set_u8(dims[i], 0, 0);
            tw_set_i32(dims[i], 1, t->dims[i]);
            continue;
        }
        tw_set_u8(dims[i], 0, 1);
        tw_set_u8(dims[i], 2, (uint8_t)t->seg_type);
        tw_set_ref(dims[i], 3, index_vector(m, t->seg_type, t->seg,
                                            t->n_seg));
        tw_set_u8(dims[i], 4, (uint8_t)t->idx_type);
        tw_set_ref(dims[i], 5, index_vector(m, t->idx_type, t->idx,
                                            t->n_idx));
    }
    tw_obj *s = tw_table(m);
    if (t->n_order >= 0)
        tw_set_ref(s, 0, tw_vec_i32(m, t->order, (size_t)t->n_order));
    else
        tw_set_ref(s, 0, tw_vec_i32(m, order, (size_t)t->ndim));
    if (t->n_block)
        tw_set_ref(s, 1, tw_vec_i32(m, t->block, (size_t)t->n_block));
    tw_set_ref(s, 2, tw_vec_tables(m, dims, (size_t)t->ndim));
    return s;
}

static tw_obj *tensor_obj(tw_model *m, const tw_tensor *t)
{
    tw_obj *o = tw_table(m);
    tw_set_ref(o, 0, tw_vec_i32(m, t->dims, (size_t)t->ndim));
    tw_set_u8(o, 1, (uint8_t)t->type);
    tw_set_u32(o, 2, (uint32_t)t->buffer);
    if (t->name)
        tw_set_ref(o, 3, tw_string(m, t->name));
    if (t->quantized) {
        float scale = 1.0f;
        int64_t zero = 0;
        tw_obj *q = tw_table(m);
        tw_set_ref(q, 2, vec_raw(m, &scale, 4, 1, 4));
        tw_set_ref(q, 3, vec_raw(m, &zero, 8, 1, 8));
        tw_set_ref(o, 4, q);
    }
    if (t->sparse)
        tw_set_ref(o, 6, sparsity_obj(m, t));
    return o;
}

static tw_obj *op_obj(tw_model *m, const tw_op *op)
{
    tw_obj *o = tw_table(m);
    tw_set_u32(o, 0, (uint32_t)op->opcode);
    tw_set_ref(o, 1, tw_vec_i32(m, op->in, (size_t)op->n_in));
    tw_set_ref(o, 2, tw_vec_i32(m, op->out, (size_t)op->n_out));
    if (op->options_type)
        tw_set_u8(o, 3, (uint8_t)op->options_type);
    if (op->options)
        tw_set_ref(o, 4, op->options);
    if (op->custom)
        tw_set_ref(o, 5, tw_vec_u8(m, op->custom, op->custom_len));
    return o;
}

static tw_obj *opcode_obj(tw_model *m, const tw_opcode *c)
{
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, (uint8_t)(c->code < 127 ? c->code : 127));
    if (c->custom)
        tw_set_ref(o, 1, tw_string(m, c->custom));
    tw_set_i32(o, 2, 1);
    tw_set_i32(o, 3, c->code);
    return o;
}

/* Buffer tables; external data is placed from ext_base on, 16-aligned. */
static tw_obj *buffers_obj(tw_model *m, size_t ext_base)
{
    tw_obj **items = xrealloc(NULL, (size_t)m->n_bufs * sizeof(*items));
    size_t ext = ext_base;
    for (int i = 0; i < m->n_bufs; i++) {
        const tw_buf *b = &m->bufs[i];
        items[i] = tw_table(m);
        if (b->external) {
            ext = align_up(ext, 16);
            tw_set_u64(items[i], 1, ext);
            tw_set_u64(items[i], 2, b->len);
            ext += b->len;
        } else if (b->len) {
            tw_set_ref(items[i], 0, vec_raw(m, b->data, 1, b->len, 16));
        }
    }
    tw_obj *v = tw_vec_tables(m, items, (size_t)m->n_bufs);
    free(items);
    return v;
}

static tw_obj *model_obj(tw_model *m, size_t ext_base)
{
    tw_obj *sg = tw_table(m);
    tw_obj **items = xrealloc(NULL, ((size_t)m->n_tensors + m->n_ops +
                                     m->n_codes + 1) * sizeof(*items));
    for (int i = 0; i < m->n_tensors; i++)
        items[i] = tensor_obj(m, &m->tensors[i]);
    tw_set_ref(sg, 0, tw_vec_tables(m, items, (size_t)m->n_tensors));
    tw_set_ref(sg, 1, tw_vec_i32(m, m->inputs, (size_t)m->n_inputs));
    tw_set_ref(sg, 2, tw_vec_i32(m, m->outputs, (size_t)m->n_outputs));
    for (int i = 0; i < m->n_ops; i++)
        items[i] = op_obj(m, &m->ops[i]);
    tw_set_ref(sg, 3, tw_vec_tables(m, items, (size_t)m->n_ops));

    tw_obj *model = tw_table(m);
    tw_set_u32(model, 0, m->version);
    for (int i = 0; i < m->n_codes; i++)
        items[i] = opcode_obj(m, &m->codes[i]);
    tw_set_ref(model, 1, tw_vec_tables(m, items, (size_t)m->n_codes));
    tw_set_ref(model, 2, tw_vec_tables(m, &sg, 1));
    if (m->description)
        tw_set_ref(model, 3, tw_string(m, m->description));
    tw_set_ref(model, 4, buffers_obj(m, ext_base));
    free(items);
    return model;
}

/* Lays out the whole file once; external buffers start at ext_base. */
static void layout(tw_model *m, size_t ext_base)
{
    for (tw_obj *o = m->objs; o; o = o->next)
        o->pos = 0;
    tw_obj *model = model_obj(m, ext_base);
    m->len = 0;
    if (m->out)
        memset(m->out, 0, m->cap);
    room(m, 8);
    memcpy(m->out + 4, "TFL3", 4);
    put(m, 0, place(m, model), 4);
}

uint8_t *tw_finish(tw_model *m, size_t *size)
{
    /* The first pass sizes the flatbuffer so the second can point the
     * external buffers past it; both lay out identically. */
    layout(m, 0);
    size_t base = align_up(m->len, 16);
    layout(m, base);
    size_t end = base;
    for (int i = 0; i < m->n_bufs; i++) {
        const tw_buf *b = &m->bufs[i];
        if (!b->external)
            continue;
        end = align_up(end, 16);
        if (b->len)
            memcpy(room(m, end + b->len) + end, b->data, b->len);
        end += b->len;
    }
    room(m, end);
    *size = m->len;
    return xdup(m->out, m->len);
}

uint16_t tw_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof(x));
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    int32_t exp = (int32_t)((x >> 23) & 0xffu) - 127 + 15;
    uint32_t man = x & 0x7fffffu;
    if (((x >> 23) & 0xffu) == 0xffu)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00u);
    uint32_t shift = 13;
    uint32_t half;
    if (exp <= 0) {
        if (exp < -10)
            return sign;
        man |= 0x800000u;
        shift = (uint32_t)(14 - exp);
        half = man >> shift;
    } else {
        half = ((uint32_t)exp << 10) | (man >> 13);
    }
    uint32_t rem = man & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
        half++; /* a carry into the exponent is still correct */
    return (uint16_t)(sign | half);
}

/* ---- Examples ---- */

enum {
    CODE_ADD = 0, CODE_AVERAGE_POOL_2D = 1, CODE_CONCATENATION = 2,
    CODE_CONV_2D = 3, CODE_DEPTHWISE_CONV_2D = 4, CODE_DEPTH_TO_SPACE = 5,
    CODE_DEQUANTIZE = 6, CODE_FULLY_CONNECTED = 9, CODE_LOGISTIC = 14,
    CODE_MAX_POOL_2D = 17, CODE_MUL = 18, CODE_RELU = 19, CODE_RELU6 = 21,
    CODE_RESHAPE = 22, CODE_RESIZE_BILINEAR = 23, CODE_CUSTOM = 32,
    CODE_PAD = 34, CODE_MEAN = 40, CODE_PRELU = 54, CODE_HARD_SWISH = 117,
    CODE_DENSIFY = 124,
};

/* Deterministic small weights: multiples of 1/8 are exact in fp16. */
static float *pattern(size_t n, int seed)
{
    float *v = xrealloc(NULL, n * sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = (float)((int)((i * 7 + (size_t)seed * 3) % 17) - 8) / 8.0f;
    return v;
}

static int const_f32(tw_model *m, const char *name, int ndim,
                     const int *dims, int seed)
{
    float *v = pattern(elements(ndim, dims), seed);
    int t = tw_add_f32(m, name, ndim, dims, v);
    free(v);
    return t;
}

/* An fp16 constant and the FLOAT32 tensor its DEQUANTIZE writes. */
static int dequantized(tw_model *m, const char *name, int ndim,
                       const int *dims, int seed)
{
    char n16[64];
    snprintf(n16, sizeof(n16), "%s_fp16", name);
    float *v = pattern(elements(ndim, dims), seed);
    int q = tw_add_f16(m, n16, ndim, dims, v);
    free(v);
    int t = tw_add_act(m, name, ndim, dims);
    tw_add_op(m, CODE_DEQUANTIZE, NULL, &q, 1, &t, 1, 0, NULL);
    return t;
}

static tw_obj *conv_options(tw_model *m, int padding, int stride, int act)
{
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, (uint8_t)padding);
    tw_set_i32(o, 1, stride);
    tw_set_i32(o, 2, stride);
    tw_set_u8(o, 3, (uint8_t)act);
    return o;
}

static void ex_conv_fp16(tw_model *m)
{
    int xd[] = {1, 8, 8, 3}, wd[] = {4, 3, 3, 3}, bd[] = {4};
    int yd[] = {1, 4, 4, 4};
    int x = tw_add_act(m, "input", 4, xd);
    int in[3] = {x, dequantized(m, "w", 4, wd, 1),
                 dequantized(m, "b", 1, bd, 2)};
    int y = tw_add_act(m, "output", 4, yd);
    tw_add_op(m, CODE_CONV_2D, NULL, in, 3, &y, 1, 1,
              conv_options(m, 0, 2, 3));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static void ex_densify(tw_model *m)
{
    int xd[] = {1, 4, 4, 8}, wd[] = {4, 1, 1, 8}, yd[] = {1, 4, 4, 4};
    int32_t seg[] = {0, 2, 4, 6, 8};
    int32_t idx[] = {0, 5, 1, 7, 2, 3, 6, 4};
    float vals[] = {1.0f, -0.5f, 0.25f, 2.0f, -1.0f, 0.75f, 1.5f, -2.0f};
    uint16_t h[8];
    for (int i = 0; i < 8; i++)
        h[i] = tw_f32_to_f16(vals[i]);
    int x = tw_add_act(m, "input", 4, xd);
    int ws = tw_add_tensor(m, "w_sparse", TW_FLOAT16, 4, wd,
                           tw_add_buffer(m, h, sizeof(h)));
    tw_set_sparsity(m, ws, TW_IDX_U16, seg, 5, TW_IDX_U8, idx, 8);
    int wh = tw_add_tensor(m, "w_fp16", TW_FLOAT16, 4, wd, 0);
    int w = tw_add_act(m, "w", 4, wd);
    tw_add_op(m, CODE_DENSIFY, NULL, &ws, 1, &wh, 1, 0, NULL);
    tw_add_op(m, CODE_DEQUANTIZE, NULL, &wh, 1, &w, 1, 0, NULL);
    int y = tw_add_act(m, "output", 4, yd);
    int in[3] = {x, w, -1};
    tw_add_op(m, CODE_CONV_2D, NULL, in, 3, &y, 1, 1,
              conv_options(m, 1, 1, 0));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static void ex_pad_depthwise(tw_model *m)
{
    int xd[] = {1, 8, 8, 4}, pd[] = {1, 10, 10, 4}, dd[] = {1, 4, 4, 4};
    int32_t pads[] = {0, 0, 1, 1, 1, 1, 0, 0};
    int x = tw_add_act(m, "input", 4, xd);
    int pv = tw_add_i32(m, "paddings", 2, (int[]){4, 2}, pads);
    int p = tw_add_act(m, "padded", 4, pd);
    tw_add_op(m, CODE_PAD, NULL, (int[]){x, pv}, 2, &p, 1, 22, tw_table(m));
    int in[3] = {p, const_f32(m, "dw_w", 4, (int[]){1, 3, 3, 4}, 3),
                 const_f32(m, "dw_b", 1, (int[]){4}, 4)};
    int d = tw_add_act(m, "dw", 4, dd);
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, 1);
    tw_set_i32(o, 1, 2);
    tw_set_i32(o, 2, 2);
    tw_set_i32(o, 3, 1);
    tw_set_u8(o, 4, 1);
    tw_add_op(m, CODE_DEPTHWISE_CONV_2D, NULL, in, 3, &d, 1, 2, o);
    int c = const_f32(m, "bias", 1, (int[]){4}, 5);
    int y = tw_add_act(m, "output", 4, dd);
    tw_add_op(m, CODE_ADD, NULL, (int[]){d, c}, 2, &y, 1, 11, tw_table(m));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static tw_obj *pool_options(tw_model *m, int padding, int stride, int k)
{
    tw_obj *o = tw_table(m);
    tw_set_u8(o, 0, (uint8_t)padding);
    tw_set_i32(o, 1, stride);
    tw_set_i32(o, 2, stride);
    tw_set_i32(o, 3, k);
    tw_set_i32(o, 4, k);
    return o;
}

static void ex_pool_mean_fc(tw_model *m)
{
    int xd[] = {1, 8, 8, 4}, pd[] = {1, 4, 4, 4}, md[] = {1, 4};
    int yd[] = {1, 2};
    int32_t axes[] = {1, 2};
    int x = tw_add_act(m, "input", 4, xd);
    int p1 = tw_add_act(m, "maxpool", 4, pd);
    tw_add_op(m, CODE_MAX_POOL_2D, NULL, &x, 1, &p1, 1, 5,
              pool_options(m, 0, 2, 2));
    int p2 = tw_add_act(m, "avgpool", 4, pd);
    tw_add_op(m, CODE_AVERAGE_POOL_2D, NULL, &p1, 1, &p2, 1, 5,
              pool_options(m, 0, 1, 3));
    int ax = tw_add_i32(m, "axes", 1, (int[]){2}, axes);
    int mean = tw_add_act(m, "mean", 2, md);
    tw_add_op(m, CODE_MEAN, NULL, (int[]){p2, ax}, 2, &mean, 1, 27,
              tw_table(m));
    int in[3] = {mean, const_f32(m, "fc_w", 2, (int[]){2, 4}, 6),
                 const_f32(m, "fc_b", 1, (int[]){2}, 7)};
    int fc = tw_add_act(m, "fc", 2, yd);
    tw_add_op(m, CODE_FULLY_CONNECTED, NULL, in, 3, &fc, 1, 8, tw_table(m));
    int y = tw_add_act(m, "output", 2, yd);
    tw_add_op(m, CODE_LOGISTIC, NULL, &fc, 1, &y, 1, 0, NULL);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static void ex_reshape_concat(tw_model *m)
{
    int xd[] = {1, 4, 4, 8}, sd[] = {1, 8, 8, 2}, rd[] = {1, 16, 16, 2};
    int32_t size[] = {16, 16}, shape[] = {1, -1, 2}, ns[] = {1, 64, 2};
    int x = tw_add_act(m, "input", 4, xd);
    tw_obj *o = tw_table(m);
    tw_set_i32(o, 0, 2);
    int s = tw_add_act(m, "d2s", 4, sd);
    tw_add_op(m, CODE_DEPTH_TO_SPACE, NULL, &x, 1, &s, 1, 94, o);
    int sz = tw_add_i32(m, "size", 1, (int[]){2}, size);
    int r = tw_add_act(m, "resized", 4, rd);
    o = tw_table(m);
    tw_set_u8(o, 3, 1);
    tw_add_op(m, CODE_RESIZE_BILINEAR, NULL, (int[]){s, sz}, 2, &r, 1, 15,
              o);
    int sh = tw_add_i32(m, "shape", 1, (int[]){3}, shape);
    int r1 = tw_add_act(m, "flat1", 3, (int[]){1, 256, 2});
    tw_add_op(m, CODE_RESHAPE, NULL, (int[]){r, sh}, 2, &r1, 1, 0, NULL);
    int r2 = tw_add_act(m, "flat2", 3, (int[]){1, 64, 2});
    o = tw_table(m);
    tw_set_ref(o, 0, tw_vec_i32(m, ns, 3));
    tw_add_op(m, CODE_RESHAPE, NULL, &x, 1, &r2, 1, 17, o);
    int y = tw_add_act(m, "output", 3, (int[]){1, 320, 2});
    o = tw_table(m);
    tw_set_i32(o, 0, -2);
    tw_add_op(m, CODE_CONCATENATION, NULL, (int[]){r1, r2}, 2, &y, 1, 10, o);
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static void ex_transpose_conv(tw_model *m)
{
    int xd[] = {1, 4, 4, 16}, yd[] = {1, 8, 8, 1};
    int32_t opts[] = {1, 2, 2}; /* TfLitePadding SAME, stride w, stride h */
    int x = tw_add_act(m, "input", 4, xd);
    int h = tw_add_act(m, "hswish", 4, xd);
    tw_add_op(m, CODE_HARD_SWISH, NULL, &x, 1, &h, 1, 0, NULL);
    int sc = const_f32(m, "scale", 4, (int[]){1, 1, 1, 16}, 8);
    int mu = tw_add_act(m, "mul", 4, xd);
    tw_add_op(m, CODE_MUL, NULL, (int[]){h, sc}, 2, &mu, 1, 21, tw_table(m));
    int al = const_f32(m, "alpha", 3, (int[]){1, 1, 16}, 9);
    int pr = tw_add_act(m, "prelu", 4, xd);
    tw_add_op(m, CODE_PRELU, NULL, (int[]){mu, al}, 2, &pr, 1, 0, NULL);
    int r = tw_add_act(m, "relu", 4, xd);
    tw_add_op(m, CODE_RELU, NULL, &pr, 1, &r, 1, 0, NULL);
    int r6 = tw_add_act(m, "relu6", 4, xd);
    tw_add_op(m, CODE_RELU6, NULL, &r, 1, &r6, 1, 0, NULL);
    int in[3] = {r6, const_f32(m, "tc_w", 4, (int[]){1, 2, 2, 16}, 10),
                 const_f32(m, "tc_b", 1, (int[]){1}, 11)};
    int y = tw_add_act(m, "output", 4, yd);
    int op = tw_add_op(m, CODE_CUSTOM, "Convolution2DTransposeBias", in, 3,
                       &y, 1, 0, NULL);
    tw_set_custom_options(m, op, opts, sizeof(opts));
    tw_set_inputs(m, &x, 1);
    tw_set_outputs(m, &y, 1);
}

static const struct {
    const char *name;
    void (*build)(tw_model *m);
} examples[] = {
    {"conv_fp16", ex_conv_fp16},
    {"densify", ex_densify},
    {"pad_depthwise", ex_pad_depthwise},
    {"pool_mean_fc", ex_pool_mean_fc},
    {"reshape_concat", ex_reshape_concat},
    {"transpose_conv", ex_transpose_conv},
};

int tw_example_count(void)
{
    return (int)(sizeof(examples) / sizeof(examples[0]));
}

uint8_t *tw_example(int i, size_t *size, const char **name)
{
    if (i < 0 || i >= tw_example_count())
        return NULL;
    tw_model *m = tw_model_create();
    tw_set_description(m, examples[i].name);
    examples[i].build(m);
    uint8_t *file = tw_finish(m, size);
    tw_model_destroy(m);
    if (name)
        *name = examples[i].name;
    return file;
}
