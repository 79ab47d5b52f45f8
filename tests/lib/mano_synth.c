/* mano_synth: see mano_synth.h. */
#include "mano_synth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "testlib.h"

#define NV 778
#define NF 1538
#define NJ 16
#define NB 10
#define NPF 135

/* A right hand in metres, MANO's joint order: wrist, index, middle,
 * pinky, ring (MCP, PIP, DIP each), thumb (CMC, MCP, IP); then the tips
 * (thumb, index, middle, ring, pinky). Fingers along +x, palm in x-z. */
static const float skeleton[21][3] = {
    { 0, 0, 0 },
    { 0.090f, 0, 0.025f }, { 0.130f, 0, 0.027f }, { 0.155f, 0, 0.028f },
    { 0.093f, 0, 0.005f }, { 0.138f, 0, 0.005f }, { 0.166f, 0, 0.005f },
    { 0.082f, 0, -0.033f }, { 0.112f, 0, -0.038f }, { 0.130f, 0, -0.040f },
    { 0.089f, 0, -0.014f }, { 0.131f, 0, -0.016f }, { 0.157f, 0, -0.017f },
    { 0.022f, 0.008f, 0.028f }, { 0.050f, 0.012f, 0.052f },
    { 0.074f, 0.014f, 0.068f },
    { 0.096f, 0.015f, 0.080f }, { 0.177f, 0, 0.029f },
    { 0.190f, 0, 0.005f }, { 0.180f, 0, -0.018f }, { 0.150f, 0, -0.041f },
};
static const int parent21[21] = { -1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11,
                                  0, 13, 14, 15, 3, 6, 12, 9 };
static const int tip_vertex[5] = { 744, 320, 443, 554, 672 };
/* The tip vertex of each joint's finger segment, for the tip keypoints. */
static const int tip_joint[5] = { 15, 3, 6, 12, 9 };

void mano_synth_joints(float joints[16][3])
{
    memcpy(joints, skeleton, sizeof(float) * 16 * 3);
}

/* ---- A tiny .npy and zip writer. ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put16(buf *b, unsigned v)
{
    uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    put(b, x, 2);
}

static void put32(buf *b, uint32_t v)
{
    put16(b, v & 0xffff);
    put16(b, v >> 16);
}

/* .npy v1.0 of `count` items of `descr` shaped `shape` (a Python tuple). */
static void npy(buf *b, const char *descr, const char *shape, const void *d,
                size_t bytes)
{
    char dict[128];
    int len = snprintf(dict, sizeof(dict), "{'descr': '%s', 'fortran_order':"
                       " False, 'shape': %s, }", descr, shape);
    size_t total = (10 + (size_t)len + 1 + 63) / 64 * 64;
    put(b, "\x93NUMPY\x01\x00", 8);
    put16(b, (unsigned)(total - 10));
    put(b, dict, (size_t)len);
    for (size_t i = 10 + (size_t)len; i < total - 1; i++)
        put(b, " ", 1);
    put(b, "\n", 1);
    put(b, d, bytes);
}

typedef struct member {
    char name[32];
    uint32_t crc, csize, usize, off;
    int method;
} member;

typedef struct zipw {
    buf out;
    member m[16];
    int n;
    int deflate;
} zipw;

/* The fields a local header and its central directory entry share, from
 * the version needed to the name's length. */
static void put_member(buf *b, const member *m)
{
    put16(b, 20);
    put16(b, 0);
    put16(b, (unsigned)m->method);
    put32(b, 0);
    put32(b, m->crc);
    put32(b, m->csize);
    put32(b, m->usize);
    put16(b, (unsigned)strlen(m->name));
}

static void zip_add(zipw *z, const char *name, const buf *data)
{
    member *m = &z->m[z->n++];
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->crc = (uint32_t)crc32(0, data->p, (uInt)data->n);
    m->usize = (uint32_t)data->n;
    m->off = (uint32_t)z->out.n;
    m->method = z->deflate ? 8 : 0;
    uint8_t *c = (uint8_t *)data->p;
    size_t clen = data->n;
    uint8_t *tmp = NULL;
    if (z->deflate) {
        z_stream s = { 0 };
        deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        clen = deflateBound(&s, (uLong)data->n);
        tmp = malloc(clen);
        s.next_in = data->p;
        s.avail_in = (uInt)data->n;
        s.next_out = tmp;
        s.avail_out = (uInt)clen;
        deflate(&s, Z_FINISH);
        clen = s.total_out;
        deflateEnd(&s);
        c = tmp;
    }
    m->csize = (uint32_t)clen;
    put32(&z->out, 0x04034b50);
    put_member(&z->out, m);
    put16(&z->out, 0);
    put(&z->out, m->name, strlen(m->name));
    put(&z->out, c, clen);
    free(tmp);
}

static void zip_finish(zipw *z)
{
    uint32_t cd = (uint32_t)z->out.n;
    for (int i = 0; i < z->n; i++) {
        member *m = &z->m[i];
        put32(&z->out, 0x02014b50);
        put16(&z->out, 20); /* version made by */
        put_member(&z->out, m);
        put32(&z->out, 0); /* extra, comment lengths */
        put32(&z->out, 0); /* disk, internal attributes */
        put32(&z->out, 0); /* external attributes */
        put32(&z->out, m->off);
        put(&z->out, m->name, strlen(m->name));
    }
    uint32_t cdsize = (uint32_t)z->out.n - cd;
    put32(&z->out, 0x06054b50);
    put32(&z->out, 0);
    put16(&z->out, (unsigned)z->n);
    put16(&z->out, (unsigned)z->n);
    put32(&z->out, cdsize);
    put32(&z->out, cd);
    put16(&z->out, 0);
}

static void add_f8(zipw *z, const char *name, const char *shape,
                   const double *d, size_t n)
{
    buf b = { 0 };
    npy(&b, "<f8", shape, d, n * 8);
    zip_add(z, name, &b);
    free(b.p);
}

uint8_t *mano_synth_npz(uint64_t seed, int deflate, mano_synth_fault fault,
                        size_t *size)
{
    uint64_t rs = seed;
    double *v = calloc(NV * 3, 8), *sd = calloc(NV * 3 * NB, 8);
    double *pd = calloc(NV * 3 * NPF, 8), *jr = calloc(NJ * NV, 8);
    double *w = calloc(NV * NJ, 8);
    uint32_t *f = calloc(NF * 3, 4);
    int64_t kt[2][NJ];
    /* Vertices 0..63: four per joint, symmetric about it, so that the
     * regressor (0.25 each) gives the joint exactly. */
    for (int j = 0; j < NJ; j++) {
        for (int k = 0; k < 4; k++) {
            int i = 4 * j + k;
            for (int c = 0; c < 3; c++)
                v[3 * i + c] = skeleton[j][c];
            v[3 * i + (k < 2 ? 1 : 2)] += k % 2 ? -0.004 : 0.004;
            jr[j * NV + i] = 0.25;
            w[i * NJ + j] = 1;
        }
    }
    /* The rest: scattered around the bones, skinned to the bone's joint
     * (and partly its parent); the tip vertices exactly at the tips. */
    for (int i = 4 * NJ; i < NV; i++) {
        int k = 1 + (int)(test_rand_u32(&rs) % 20), p = parent21[k];
        float t = test_rand_uniform(&rs, 0, 1);
        for (int c = 0; c < 3; c++)
            v[3 * i + c] = skeleton[p][c] + t * (skeleton[k][c] -
                           skeleton[p][c]) + test_rand_uniform(&rs, -0.006f,
                                                                0.006f);
        int j = p, jp = parent21[p] < 0 ? 0 : parent21[p];
        float a = test_rand_uniform(&rs, 0.7f, 1.0f);
        w[i * NJ + j] += a;
        w[i * NJ + jp] += 1 - a;
    }
    for (int t = 0; t < 5; t++) {
        int i = tip_vertex[t];
        for (int c = 0; c < 3; c++)
            v[3 * i + c] = skeleton[16 + t][c];
        memset(w + i * NJ, 0, NJ * 8);
        w[i * NJ + tip_joint[t]] = 1;
    }
    for (int i = 0; i < NV * 3 * NB; i++)
        sd[i] = test_rand_uniform(&rs, -0.002f, 0.002f);
    for (int i = 0; i < NV * 3 * NPF; i++)
        pd[i] = test_rand_uniform(&rs, -0.0005f, 0.0005f);
    for (int i = 0; i < NF * 3; i++)
        f[i] = test_rand_u32(&rs) % NV;
    for (int j = 0; j < NJ; j++) {
        kt[0][j] = j ? parent21[j] : 4294967295LL;
        kt[1][j] = j;
    }
    if (fault == MANO_BAD_FACE)
        f[100] = NV;
    if (fault == MANO_BAD_TREE)
        kt[0][5] = 3;

    zipw z = { .deflate = deflate };
    add_f8(&z, "v_template.npy", "(778, 3)", v, NV * 3);
    add_f8(&z, "shapedirs.npy", fault == MANO_BAD_SHAPE ? "(777, 3, 10)"
                                                       : "(778, 3, 10)",
           sd, (fault == MANO_BAD_SHAPE ? 777 : NV) * 3 * NB);
    add_f8(&z, "posedirs.npy", "(778, 3, 135)", pd, NV * 3 * NPF);
    add_f8(&z, "J_regressor.npy", "(16, 778)", jr, NJ * NV);
    if (fault != MANO_NO_WEIGHTS)
        add_f8(&z, "weights.npy", "(778, 16)", w, NV * NJ);
    buf b = { 0 };
    npy(&b, "<i8", "(2, 16)", kt, sizeof(kt));
    zip_add(&z, "kintree_table.npy", &b);
    b.n = 0;
    if (fault == MANO_INT8_DTYPE)
        npy(&b, "|i1", "(1538, 3)", f, NF * 3);
    else
        npy(&b, "<u4", "(1538, 3)", f, NF * 3 * 4);
    zip_add(&z, "f.npy", &b);
    free(b.p);
    zip_finish(&z);
    free(v);
    free(sd);
    free(pd);
    free(jr);
    free(w);
    free(f);
    *size = z.out.n;
    return z.out.p;
}

uint8_t *mano_synth_small_npz(size_t *size)
{
    double v[4][3] = { { 0, 0, 0 }, { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    int32_t f[2][3] = { { 0, 1, 2 }, { 0, 2, 3 } };
    zipw z = { 0 };
    add_f8(&z, "v_template.npy", "(4, 3)", &v[0][0], 12);
    z.deflate = 1;
    buf b = { 0 };
    npy(&b, "<i4", "(2, 3)", f, sizeof(f));
    zip_add(&z, "f.npy", &b);
    free(b.p);
    zip_finish(&z);
    *size = z.out.n;
    return z.out.p;
}
