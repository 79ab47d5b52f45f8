/*
 * handmodel: see handmodel.h. The .npz reader is a minimal zip reader
 * (central directory, STORED and DEFLATE entries, zip64 sizes) over
 * eng_npy_parse; the glb reader takes the JSON chunk with cJSON and reads
 * accessors from the BIN chunk after checking each one's extent.
 */
#include "handmodel.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fileio.h"
#include "npy.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "handmodel.c reads little-endian files with memcpy");

#define NJ ENG_HANDMODEL_JOINTS
#define NK ENG_HANDMODEL_KEYPOINTS
#define NPF ENG_HANDMODEL_POSE_FEATURES
/* Far above any hand model (MANO .npz is ~4 MB): refuse absurd files
 * before allocating for them. */
#define MAX_FILE_BYTES (256u << 20)
#define MAX_VERTS 100000
#define MAX_FACES 200000

/* The tree both models are mapped onto: MANO's 16 joints, then the tips
 * (thumb, index, middle, ring, pinky) on the last joint of their finger. */
static const int tree_parent[NK] = {
    -1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14,
    15, 3, 6, 12, 9,
};

const int eng_handmodel_mp_order[NK] = {
    0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20,
};

/* MANO's fingertip vertices (thumb, index, middle, ring, pinky), the ones
 * WiLoR and smplx append to the 16 joints. */
static const int mano_tip_vertex[5] = { 744, 320, 443, 554, 672 };

/* ---- Rotations. ---- */

void eng_rodrigues(const float aa[3], float r[9])
{
    double x = aa[0], y = aa[1], z = aa[2];
    double th = sqrt(x * x + y * y + z * z);
    double s, c1;
    /* sin(t)/t and (1-cos t)/t^2 by their series near 0 (no 0/0). */
    if (th < 1e-4) {
        s = 1.0 - th * th / 6.0;
        c1 = 0.5 - th * th / 24.0;
    } else {
        s = sin(th) / th;
        c1 = (1.0 - cos(th)) / (th * th);
    }
    r[0] = (float)(1 - c1 * (y * y + z * z));
    r[1] = (float)(-s * z + c1 * x * y);
    r[2] = (float)(s * y + c1 * x * z);
    r[3] = (float)(s * z + c1 * x * y);
    r[4] = (float)(1 - c1 * (x * x + z * z));
    r[5] = (float)(-s * x + c1 * y * z);
    r[6] = (float)(-s * y + c1 * x * z);
    r[7] = (float)(s * x + c1 * y * z);
    r[8] = (float)(1 - c1 * (x * x + y * y));
}

void eng_rotation_log(const float r[9], float aa[3])
{
    double c = (r[0] + r[4] + r[8] - 1.0) * 0.5;
    c = c > 1 ? 1 : c < -1 ? -1 : c;
    double th = acos(c);
    double v[3] = { r[7] - r[5], r[2] - r[6], r[3] - r[1] };
    if (th < 1e-4) {
        for (int i = 0; i < 3; i++)
            aa[i] = (float)(0.5 * v[i]);
        return;
    }
    if (th < 3.0) {
        double k = th / (2.0 * sin(th));
        for (int i = 0; i < 3; i++)
            aa[i] = (float)(k * v[i]);
        return;
    }
    /* Near pi the antisymmetric part vanishes: take the axis from the
     * largest diagonal of (R + I) / 2 = u u^T, its sign from v. */
    int i = r[0] >= r[4] && r[0] >= r[8] ? 0 : r[4] >= r[8] ? 1 : 2;
    double u[3];
    u[i] = sqrt(fmax((r[4 * i] - c) / (1.0 - c), 0.0));
    for (int j = 0; j < 3; j++) {
        if (j != i)
            u[j] = (r[3 * i + j] + r[3 * j + i]) / (2.0 * (1.0 - c) * u[i]);
    }
    double sgn = u[0] * v[0] + u[1] * v[1] + u[2] * v[2] < 0 ? -1.0 : 1.0;
    double n = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int j = 0; j < 3; j++)
        aa[j] = (float)(sgn * th * u[j] / n);
}

static void mat_mul(const float a[9], const float b[9], float out[9])
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] +
                             a[3 * i + 2] * b[6 + j];
    }
}

static void mat_vec(const float a[9], const float v[3], float out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = a[3 * i] * v[0] + a[3 * i + 1] * v[1] + a[3 * i + 2] * v[2];
}

/* ---- Kinematics and skinning. ---- */

/* Rest keypoints of the shape: J = j_template + j_shapedirs . betas. */
static void shaped_joints(const eng_handmodel *m, const float *betas,
                          float j[NK][3])
{
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++) {
            const float *d = m->j_shapedirs + (3 * k + c) * m->n_betas;
            float v = m->j_template[k][c];
            for (int b = 0; b < m->n_betas; b++)
                v += d[b] * betas[b];
            j[k][c] = v;
        }
    }
}

/* Local and global rotations, and keypoint positions (model order). */
static void forward(const eng_handmodel *m, const eng_handpose *p,
                    float rest[NK][3], float local[NJ][9], float glob[NJ][9],
                    float pos[NK][3])
{
    shaped_joints(m, p->betas, rest);
    eng_rodrigues(p->global_orient, local[0]);
    memcpy(glob[0], local[0], sizeof(glob[0]));
    memcpy(pos[0], rest[0], sizeof(pos[0]));
    for (int k = 1; k < NK; k++) {
        int par = tree_parent[k];
        float bone[3], moved[3];
        for (int c = 0; c < 3; c++)
            bone[c] = rest[k][c] - rest[par][c];
        mat_vec(glob[par], bone, moved);
        for (int c = 0; c < 3; c++)
            pos[k][c] = pos[par][c] + moved[c];
        if (k < NJ) {
            eng_rodrigues(p->hand_pose[k - 1], local[k]);
            mat_mul(glob[par], local[k], glob[k]);
        }
    }
}

void eng_handmodel_keypoints(const eng_handmodel *m, const eng_handpose *p,
                             float kp[NK][3], float rot[NJ][9])
{
    float rest[NK][3], local[NJ][9], glob[NJ][9], pos[NK][3];
    forward(m, p, rest, local, glob, pos);
    for (int k = 0; k < NK; k++)
        memcpy(kp[k], pos[eng_handmodel_mp_order[k]], sizeof(kp[k]));
    if (rot)
        memcpy(rot, glob, sizeof(glob));
}

void eng_handmodel_skin(const eng_handmodel *m, const eng_handpose *p,
                        float *verts, float kp[NK][3])
{
    float rest[NK][3], local[NJ][9], glob[NJ][9], pos[NK][3];
    forward(m, p, rest, local, glob, pos);
    /* A_j maps a rest point to its posed place: glob_j x + t_j. */
    float t[NJ][3], feat[NPF];
    for (int j = 0; j < NJ; j++) {
        float r[3];
        mat_vec(glob[j], rest[j], r);
        for (int c = 0; c < 3; c++)
            t[j][c] = pos[j][c] - r[c];
    }
    for (int j = 1; j < NJ; j++) {
        for (int e = 0; e < 9; e++)
            feat[(j - 1) * 9 + e] = local[j][e] - (e % 4 == 0 ? 1.0f : 0.0f);
    }
    for (int v = 0; v < m->n_verts; v++) {
        float x[3];
        for (int c = 0; c < 3; c++) {
            float s = m->v_template[3 * v + c];
            const float *sd = m->shapedirs + (3 * v + c) * m->n_betas;
            for (int b = 0; b < m->n_betas; b++)
                s += sd[b] * p->betas[b];
            if (m->posedirs) {
                const float *pd = m->posedirs + (size_t)(3 * v + c) * NPF;
                for (int f = 0; f < NPF; f++)
                    s += pd[f] * feat[f];
            }
            x[c] = s;
        }
        float out[3] = { 0, 0, 0 };
        const float *w = m->weights + (size_t)v * NJ;
        for (int j = 0; j < NJ; j++) {
            if (w[j] == 0.0f)
                continue;
            float y[3];
            mat_vec(glob[j], x, y);
            for (int c = 0; c < 3; c++)
                out[c] += w[j] * (y[c] + t[j][c]);
        }
        memcpy(verts + 3 * v, out, sizeof(out));
    }
    if (kp) {
        for (int k = 0; k < NK; k++)
            memcpy(kp[k], pos[eng_handmodel_mp_order[k]], sizeof(kp[k]));
    }
}

/* ---- Model memory. ---- */

void eng_handmodel_destroy(eng_handmodel *m)
{
    if (!m)
        return;
    free(m->v_template);
    free(m->faces);
    free(m->shapedirs);
    free(m->posedirs);
    free(m->weights);
    free(m->j_shapedirs);
    free(m);
}

/* A model with its arrays allocated (posedirs only when asked), zeroed. */
static eng_status model_alloc(int n_verts, int n_faces, int n_betas,
                              int with_posedirs, eng_handedness side,
                              const char *name, eng_handmodel **out,
                              eng_error *err)
{
    eng_handmodel *m = calloc(1, sizeof(*m));
    if (!m)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory", name);
    m->side = side;
    m->n_verts = n_verts;
    m->n_faces = n_faces;
    m->n_betas = n_betas;
    size_t nv = (size_t)n_verts, nb = (size_t)(n_betas ? n_betas : 1);
    m->v_template = calloc(nv * 3, sizeof(float));
    m->faces = calloc((size_t)n_faces * 3, sizeof(int32_t));
    m->shapedirs = calloc(nv * 3 * nb, sizeof(float));
    m->weights = calloc(nv * NJ, sizeof(float));
    m->j_shapedirs = calloc(NK * 3 * nb, sizeof(float));
    if (with_posedirs)
        m->posedirs = calloc(nv * 3 * NPF, sizeof(float));
    memcpy(m->parent, tree_parent, sizeof(tree_parent));
    if (!m->v_template || !m->faces || !m->shapedirs || !m->weights ||
        !m->j_shapedirs || (with_posedirs && !m->posedirs)) {
        eng_handmodel_destroy(m);
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory", name);
    }
    *out = m;
    return ENG_OK;
}

eng_status eng_handmodel_mirror(const eng_handmodel *m, eng_handmodel **out,
                                eng_error *err)
{
    eng_handmodel *o;
    eng_handedness side = m->side == ENG_HAND_LEFT ? ENG_HAND_RIGHT
                                                   : ENG_HAND_LEFT;
    eng_status st = model_alloc(m->n_verts, m->n_faces, m->n_betas,
                                m->posedirs != NULL, side, "mirror", &o, err);
    if (st != ENG_OK)
        return st;
    size_t nv = (size_t)m->n_verts, nb = (size_t)m->n_betas;
    /* x -> -x on every x component (index % 3 == 0 of [v][3][...]). */
    for (size_t i = 0; i < nv * 3; i++)
        o->v_template[i] = i % 3 ? m->v_template[i] : -m->v_template[i];
    for (size_t i = 0; i < nv * 3 * nb; i++)
        o->shapedirs[i] = (i / nb) % 3 ? m->shapedirs[i] : -m->shapedirs[i];
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++) {
            o->j_template[k][c] = c ? m->j_template[k][c]
                                    : -m->j_template[k][c];
            for (size_t b = 0; b < nb; b++) {
                size_t i = (size_t)(3 * k + c) * nb + b;
                o->j_shapedirs[i] = c ? m->j_shapedirs[i]
                                      : -m->j_shapedirs[i];
            }
        }
    }
    /* The mirrored rotation is M R M (M = diag(-1, 1, 1)), so feature
     * (r, c) of R - I changes sign when exactly one of r, c is x; the
     * offset's x component changes sign too. */
    if (m->posedirs) {
        for (size_t i = 0; i < nv * 3 * NPF; i++) {
            size_t f = i % NPF, comp = (i / NPF) % 3, e = f % 9;
            int neg = (comp == 0) ^ (e / 3 == 0) ^ (e % 3 == 0);
            o->posedirs[i] = neg ? -m->posedirs[i] : m->posedirs[i];
        }
    }
    memcpy(o->weights, m->weights, nv * NJ * sizeof(float));
    for (int f = 0; f < m->n_faces; f++) {
        o->faces[3 * f] = m->faces[3 * f];
        o->faces[3 * f + 1] = m->faces[3 * f + 2];
        o->faces[3 * f + 2] = m->faces[3 * f + 1];
    }
    *out = o;
    return ENG_OK;
}

/* ---- Files. ---- */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* ---- .npz: a zip of .npy files. ---- */

typedef struct zip_dir {
    const uint8_t *buf;
    size_t size;
    size_t cd_off, cd_size;
    unsigned entries;
} zip_dir;

static eng_status zip_open(const uint8_t *buf, size_t size, const char *name,
                           zip_dir *z, eng_error *err)
{
    if (size < 22)
        return eng_fail(err, ENG_EFORMAT, "%s: not a zip (.npz) file", name);
    /* The end record is last, followed by a comment of up to 64 KiB. */
    size_t lo = size - 22 > 65535 ? size - 22 - 65535 : 0;
    for (size_t i = size - 22 + 1; i-- > lo;) {
        const uint8_t *e = buf + i;
        if (rd32(e) != 0x06054b50 || i + 22 + rd16(e + 20) != size)
            continue;
        z->buf = buf;
        z->size = size;
        z->entries = rd16(e + 10);
        z->cd_size = rd32(e + 12);
        z->cd_off = rd32(e + 16);
        if (z->entries == 0xffff || z->cd_off == 0xffffffffu)
            return eng_fail(err, ENG_EUNSUPPORTED,
                            "%s: zip64 archives are not supported", name);
        if (z->cd_off > size || z->cd_size > size - z->cd_off)
            return eng_fail(err, ENG_EFORMAT,
                            "%s: zip directory outside the file", name);
        return ENG_OK;
    }
    return eng_fail(err, ENG_EFORMAT, "%s: not a zip (.npz) file: no end "
                    "record", name);
}

/* Reads the zip64 extra field's 8-byte values for the 32-bit fields that
 * are 0xffffffff, in the order the format gives them. */
static int zip64_sizes(const uint8_t *extra, size_t len, uint64_t *usize,
                       uint64_t *csize, uint64_t *off)
{
    while (len >= 4) {
        size_t id = rd16(extra), n = rd16(extra + 2);
        if (n > len - 4)
            return 0;
        if (id == 1) {
            const uint8_t *p = extra + 4, *end = p + n;
            uint64_t *fields[3] = { usize, csize, off };
            for (int i = 0; i < 3; i++) {
                if (*fields[i] != 0xffffffffu)
                    continue;
                if (end - p < 8)
                    return 0;
                *fields[i] = rd64(p);
                p += 8;
            }
            return 1;
        }
        extra += 4 + n;
        len -= 4 + n;
    }
    return 1;
}

/* Finds member `member` and returns its bytes in a new buffer (*data,
 * caller frees). *found = 0 (and ENG_OK) when it is absent. */
static eng_status zip_extract(const zip_dir *z, const char *member,
                              const char *name, uint8_t **data, size_t *len,
                              int *found, eng_error *err)
{
    const uint8_t *p = z->buf + z->cd_off, *end = p + z->cd_size;
    size_t mlen = strlen(member);
    *found = 0;
    for (unsigned i = 0; i < z->entries; i++) {
        if (end - p < 46 || rd32(p) != 0x02014b50)
            return eng_fail(err, ENG_EFORMAT, "%s: bad zip directory entry "
                            "%u", name, i);
        size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        if ((size_t)(end - p) - 46 < nlen + xlen + clen)
            return eng_fail(err, ENG_EFORMAT, "%s: zip directory entry %u "
                            "overruns the directory", name, i);
        const uint8_t *entry = p;
        p += 46 + nlen + xlen + clen;
        if (nlen != mlen || memcmp(entry + 46, member, mlen) != 0)
            continue;
        unsigned flags = rd16(entry + 8), method = rd16(entry + 10);
        uint64_t csize = rd32(entry + 20), usize = rd32(entry + 24);
        uint64_t off = rd32(entry + 42);
        uint32_t crc = rd32(entry + 16);
        if (!zip64_sizes(entry + 46 + nlen, xlen, &usize, &csize, &off))
            return eng_fail(err, ENG_EFORMAT, "%s: %s: bad zip64 field",
                            name, member);
        if (flags & 1)
            return eng_fail(err, ENG_EUNSUPPORTED, "%s: %s is encrypted",
                            name, member);
        if (off > z->size || z->size - off < 30 ||
            rd32(z->buf + off) != 0x04034b50)
            return eng_fail(err, ENG_EFORMAT, "%s: %s: bad local header "
                            "offset %llu", name, member,
                            (unsigned long long)off);
        uint64_t start = off + 30 + rd16(z->buf + off + 26) +
                         rd16(z->buf + off + 28);
        if (start > z->size || csize > z->size - start)
            return eng_fail(err, ENG_EFORMAT, "%s: %s: data runs past the "
                            "end of the file", name, member);
        if (usize > MAX_FILE_BYTES)
            return eng_fail(err, ENG_EFORMAT, "%s: %s: %llu bytes "
                            "uncompressed, too large", name, member,
                            (unsigned long long)usize);
        if (method != 0 && method != 8)
            return eng_fail(err, ENG_EUNSUPPORTED, "%s: %s: zip method %u "
                            "(only stored and deflate)", name, member, method);
        if (method == 0 && csize != usize)
            return eng_fail(err, ENG_EFORMAT, "%s: %s: stored sizes differ",
                            name, member);
        uint8_t *out = malloc(usize ? usize : 1);
        if (!out)
            return eng_fail(err, ENG_ENOMEM, "%s: out of memory", name);
        if (method == 0) {
            memcpy(out, z->buf + start, usize);
        } else {
            z_stream s = { 0 };
            int ok = inflateInit2(&s, -MAX_WBITS) == Z_OK;
            if (ok) {
                s.next_in = (Bytef *)(z->buf + start);
                s.avail_in = (uInt)csize;
                s.next_out = out;
                s.avail_out = (uInt)usize;
                ok = inflate(&s, Z_FINISH) == Z_STREAM_END &&
                     s.total_out == usize;
                inflateEnd(&s);
            }
            if (!ok) {
                free(out);
                return eng_fail(err, ENG_EFORMAT, "%s: %s: corrupt deflate "
                                "data", name, member);
            }
        }
        if (crc32(0L, out, (uInt)usize) != crc) {
            free(out);
            return eng_fail(err, ENG_EFORMAT, "%s: %s: CRC mismatch", name,
                            member);
        }
        *data = out;
        *len = usize;
        *found = 1;
        return ENG_OK;
    }
    return ENG_OK;
}

/* Reads array `key` and checks its shape: dims[i] < 0 takes any size and
 * reports it back through *dims. required = 0 lets it be absent
 * (arr->data stays NULL). */
static eng_status npz_array(const zip_dir *z, const char *key, int ndim,
                            int *dims, int required, const char *name,
                            eng_npy *arr, eng_error *err)
{
    char member[64], label[160];
    snprintf(member, sizeof(member), "%s.npy", key);
    snprintf(label, sizeof(label), "%s: %s", name, key);
    uint8_t *data = NULL;
    size_t len = 0;
    int found;
    memset(arr, 0, sizeof(*arr));
    eng_status st = zip_extract(z, member, name, &data, &len, &found, err);
    if (st != ENG_OK)
        return st;
    if (!found) {
        return required ? eng_fail(err, ENG_EFORMAT, "%s: no '%s' array",
                                   name, key)
                        : ENG_OK;
    }
    st = eng_npy_parse(data, len, label, arr, err);
    free(data);
    if (st != ENG_OK)
        return st;
    int ok = arr->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) {
        if (dims[i] >= 0 ? arr->dims[i] != dims[i] : arr->dims[i] < 1)
            ok = 0;
    }
    if (!ok) {
        char got[64] = "";
        size_t n = 0;
        for (int i = 0; i < arr->ndim && n < sizeof(got) - 12; i++)
            n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%d",
                                  i ? "x" : "", arr->dims[i]);
        free(arr->data);
        arr->data = NULL;
        return eng_fail(err, ENG_EFORMAT, "%s: shape %s is not MANO's", label,
                        arr->ndim ? got : "()");
    }
    for (int i = 0; i < ndim; i++)
        dims[i] = arr->dims[i];
    return ENG_OK;
}

enum { A_V, A_F, A_S, A_P, A_JR, A_W, A_K, A_COUNT };

static eng_status mano_fill(eng_handmodel *m, eng_npy a[A_COUNT],
                            const char *name, eng_error *err)
{
    size_t nv = (size_t)m->n_verts, nb = (size_t)m->n_betas;
    memcpy(m->v_template, a[A_V].data, nv * 3 * sizeof(float));
    memcpy(m->shapedirs, a[A_S].data, nv * 3 * nb * sizeof(float));
    if (m->posedirs)
        memcpy(m->posedirs, a[A_P].data, nv * 3 * NPF * sizeof(float));
    memcpy(m->weights, a[A_W].data, nv * NJ * sizeof(float));
    for (int i = 0; i < 3 * m->n_faces; i++) {
        float f = a[A_F].data[i];
        if (!(f >= 0 && f < (float)m->n_verts))
            return eng_fail(err, ENG_EFORMAT, "%s: face %d uses vertex %.0f "
                            "of %d", name, i / 3, f, m->n_verts);
        m->faces[i] = (int32_t)f;
    }
    /* kintree_table row 0 holds the parents (the root's is -1 or 2^32-1),
     * row 1 the joint ids; the tip mapping needs MANO's exact tree. */
    for (int j = 0; j < NJ; j++) {
        float par = a[A_K].data[j], id = a[A_K].data[NJ + j];
        if (id != (float)j || (j > 0 && par != (float)tree_parent[j]))
            return eng_fail(err, ENG_EFORMAT,
                            "%s: kintree_table is not MANO's tree (joint %d)",
                            name, j);
    }
    for (int v = 0; v < m->n_verts * NJ; v++) {
        if (!isfinite(m->weights[v]))
            return eng_fail(err, ENG_EFORMAT, "%s: weights not finite", name);
    }
    /* J(beta) = J_regressor (v_template + shapedirs beta): precompute. */
    const float *jr = a[A_JR].data;
    for (int j = 0; j < NJ; j++) {
        for (int c = 0; c < 3; c++) {
            double t = 0;
            for (size_t v = 0; v < nv; v++)
                t += (double)jr[j * nv + v] * m->v_template[3 * v + c];
            m->j_template[j][c] = (float)t;
            for (size_t b = 0; b < nb; b++) {
                double s = 0;
                for (size_t v = 0; v < nv; v++)
                    s += (double)jr[j * nv + v] *
                         m->shapedirs[(3 * v + c) * nb + b];
                m->j_shapedirs[(3 * j + c) * nb + b] = (float)s;
            }
        }
    }
    for (int t = 0; t < 5; t++) {
        size_t v = (size_t)mano_tip_vertex[t];
        for (int c = 0; c < 3; c++) {
            m->j_template[NJ + t][c] = m->v_template[3 * v + c];
            memcpy(m->j_shapedirs + (3 * (NJ + t) + c) * nb,
                   m->shapedirs + (3 * v + c) * nb, nb * sizeof(float));
        }
    }
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++) {
            if (!isfinite(m->j_template[k][c]))
                return eng_fail(err, ENG_EFORMAT, "%s: joints not finite",
                                name);
        }
    }
    return ENG_OK;
}

eng_status eng_handmodel_parse_npz(const uint8_t *buf, size_t size,
                                   const char *name, eng_handedness side,
                                   eng_handmodel **out, eng_error *err)
{
    zip_dir z;
    eng_status st = zip_open(buf, size, name, &z, err);
    if (st != ENG_OK)
        return st;
    eng_npy a[A_COUNT];
    memset(a, 0, sizeof(a));
    int dv[2] = { -1, 3 }, df[2] = { -1, 3 }, ds[3] = { 0, 3, -1 };
    int dp[3] = { 0, 3, NPF }, djr[2] = { NJ, 0 }, dw[2] = { 0, NJ };
    int dk[2] = { 2, NJ };
    eng_handmodel *m = NULL;
    if ((st = npz_array(&z, "v_template", 2, dv, 1, name, &a[A_V], err)))
        goto out;
    if (dv[0] > MAX_VERTS || dv[0] <= 744) {
        st = eng_fail(err, ENG_EFORMAT, "%s: %d vertices (MANO has 778)",
                      name, dv[0]);
        goto out;
    }
    ds[0] = dp[0] = djr[1] = dw[0] = dv[0];
    if ((st = npz_array(&z, "f", 2, df, 1, name, &a[A_F], err)) ||
        (st = npz_array(&z, "shapedirs", 3, ds, 1, name, &a[A_S], err)) ||
        (st = npz_array(&z, "posedirs", 3, dp, 0, name, &a[A_P], err)) ||
        (st = npz_array(&z, "J_regressor", 2, djr, 1, name, &a[A_JR], err)) ||
        (st = npz_array(&z, "weights", 2, dw, 1, name, &a[A_W], err)) ||
        (st = npz_array(&z, "kintree_table", 2, dk, 1, name, &a[A_K], err)))
        goto out;
    if (df[0] > MAX_FACES || ds[2] > ENG_HANDMODEL_MAX_BETAS) {
        st = eng_fail(err, ENG_EFORMAT, "%s: %d faces, %d betas: too many",
                      name, df[0], ds[2]);
        goto out;
    }
    st = model_alloc(dv[0], df[0], ds[2], a[A_P].data != NULL, side, name,
                     &m, err);
    if (st == ENG_OK)
        st = mano_fill(m, a, name, err);
    if (st == ENG_OK) {
        *out = m;
        m = NULL;
    }
out:
    eng_handmodel_destroy(m);
    for (int i = 0; i < A_COUNT; i++)
        free(a[i].data);
    return st;
}

typedef eng_status (*parse_fn)(const uint8_t *buf, size_t size,
                               const char *name, eng_handedness side,
                               eng_handmodel **out, eng_error *err);

/* Reads the file at `path` and parses it with `parse`. */
static eng_status load_file(const char *path, parse_fn parse,
                            eng_handedness side, eng_handmodel **out,
                            eng_error *err)
{
    uint8_t *buf;
    size_t size;
    eng_status st = eng_read_file(path, MAX_FILE_BYTES, &buf, &size, err);
    if (st != ENG_OK)
        return st;
    st = parse(buf, size, path, side, out, err);
    free(buf);
    return st;
}

eng_status eng_handmodel_load_npz(const char *path, eng_handedness side,
                                  eng_handmodel **out, eng_error *err)
{
    return load_file(path, eng_handmodel_parse_npz, side, out, err);
}

/* ---- glb: the WebXR generic hand. ---- */

/* WebXR joint name -> model keypoint; the finger metacarpals (-1) are not
 * keypoints and skin with the wrist. */
static const struct {
    const char *name;
    int kp;
} webxr_joints[] = {
    { "wrist", 0 },
    { "thumb-metacarpal", 13 },
    { "thumb-phalanx-proximal", 14 },
    { "thumb-phalanx-distal", 15 },
    { "thumb-tip", 16 },
    { "index-finger-metacarpal", -1 },
    { "index-finger-phalanx-proximal", 1 },
    { "index-finger-phalanx-intermediate", 2 },
    { "index-finger-phalanx-distal", 3 },
    { "index-finger-tip", 17 },
    { "middle-finger-metacarpal", -1 },
    { "middle-finger-phalanx-proximal", 4 },
    { "middle-finger-phalanx-intermediate", 5 },
    { "middle-finger-phalanx-distal", 6 },
    { "middle-finger-tip", 18 },
    { "ring-finger-metacarpal", -1 },
    { "ring-finger-phalanx-proximal", 10 },
    { "ring-finger-phalanx-intermediate", 11 },
    { "ring-finger-phalanx-distal", 12 },
    { "ring-finger-tip", 19 },
    { "pinky-finger-metacarpal", -1 },
    { "pinky-finger-phalanx-proximal", 7 },
    { "pinky-finger-phalanx-intermediate", 8 },
    { "pinky-finger-phalanx-distal", 9 },
    { "pinky-finger-tip", 20 },
};
#define WEBXR_JOINTS (int)(sizeof(webxr_joints) / sizeof(webxr_joints[0]))

typedef struct glb_doc {
    const cJSON *json;
    const uint8_t *bin;
    size_t bin_size;
    const char *name;
} glb_doc;

/* A non-negative integer member (def when absent); -1 when malformed. */
static long json_index(const cJSON *obj, const char *key, long def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return def;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9 ||
        v->valuedouble != (double)(long)v->valuedouble)
        return -1;
    return (long)v->valuedouble;
}

static const cJSON *json_elem(const cJSON *root, const char *array, long i)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, array);
    if (!cJSON_IsArray(a) || i < 0 || i >= cJSON_GetArraySize(a))
        return NULL;
    return cJSON_GetArrayItem(a, (int)i);
}

/* Reads accessor `idx` as floats into a new array (*out, count x ncomp,
 * caller frees), checking its type, component type and extent in BIN.
 * Normalised integers are scaled to 0..1 as glTF says. */
static eng_status glb_accessor(const glb_doc *d, long idx, int ncomp,
                               const char *what, float **out, long *count,
                               eng_error *err)
{
    const cJSON *acc = json_elem(d->json, "accessors", idx);
    if (!acc)
        return eng_fail(err, ENG_EFORMAT, "%s: %s: no accessor %ld", d->name,
                        what, idx);
    static const char *types[17] = { [1] = "SCALAR", [2] = "VEC2",
                                     [3] = "VEC3", [4] = "VEC4",
                                     [16] = "MAT4" };
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(acc, "type");
    long ctype = json_index(acc, "componentType", -1);
    long n = json_index(acc, "count", -1);
    long view_i = json_index(acc, "bufferView", -1);
    long acc_off = json_index(acc, "byteOffset", 0);
    int norm = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(acc,
                                                             "normalized"));
    if (!cJSON_IsString(type) || strcmp(type->valuestring, types[ncomp]))
        return eng_fail(err, ENG_EFORMAT, "%s: %s: accessor type is not %s",
                        d->name, what, types[ncomp]);
    size_t csize = ctype == 5126 || ctype == 5125 ? 4
                 : ctype == 5123 ? 2 : ctype == 5121 ? 1 : 0;
    if (!csize || n < 1 || n > MAX_FACES * 3 || acc_off < 0)
        return eng_fail(err, ENG_EFORMAT, "%s: %s: bad accessor (component "
                        "type %ld, count %ld)", d->name, what, ctype, n);
    const cJSON *view = json_elem(d->json, "bufferViews", view_i);
    if (!view)
        return eng_fail(err, ENG_EFORMAT, "%s: %s: no buffer view %ld",
                        d->name, what, view_i);
    long buffer = json_index(view, "buffer", -1);
    long off = json_index(view, "byteOffset", 0);
    long len = json_index(view, "byteLength", -1);
    long stride = json_index(view, "byteStride", 0);
    size_t elem = csize * (size_t)ncomp;
    if (buffer != 0 || off < 0 || len < 0 || stride < 0 ||
        (stride && (size_t)stride < elem))
        return eng_fail(err, ENG_EFORMAT, "%s: %s: bad buffer view %ld",
                        d->name, what, view_i);
    size_t step = stride ? (size_t)stride : elem;
    size_t need = (size_t)acc_off + step * (size_t)(n - 1) + elem;
    if ((size_t)off > d->bin_size || (size_t)len > d->bin_size - (size_t)off ||
        need > (size_t)len)
        return eng_fail(err, ENG_EFORMAT, "%s: %s: accessor runs past its "
                        "buffer (%zu of %ld bytes; BIN %zu)", d->name, what,
                        need, len, d->bin_size);
    float *o = malloc((size_t)n * (size_t)ncomp * sizeof(float));
    if (!o)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory", d->name);
    const uint8_t *base = d->bin + off + acc_off;
    for (long i = 0; i < n; i++) {
        const uint8_t *e = base + (size_t)i * step;
        for (int c = 0; c < ncomp; c++) {
            const uint8_t *q = e + (size_t)c * csize;
            float v;
            if (ctype == 5126)
                memcpy(&v, q, 4);
            else if (ctype == 5125)
                v = (float)rd32(q);
            else if (ctype == 5123)
                v = (float)rd16(q) / (norm ? 65535.0f : 1.0f);
            else
                v = (float)q[0] / (norm ? 255.0f : 1.0f);
            if (!isfinite(v)) {
                free(o);
                return eng_fail(err, ENG_EFORMAT, "%s: %s: value not finite",
                                d->name, what);
            }
            o[(size_t)i * ncomp + c] = v;
        }
    }
    *out = o;
    *count = n;
    return ENG_OK;
}

/* Joint position at bind time: the inverse of the inverse-bind matrix
 * (column-major 4x4) applied to the origin. 0 when it is singular. */
static int bind_position(const float *m, float out[3])
{
    double a[3][3], t[3];
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++)
            a[r][c] = m[4 * c + r];
        t[r] = -m[12 + r];
    }
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                 a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if (!(fabs(det) > 1e-12))
        return 0;
    /* Cramer's rule for a x = t. */
    for (int k = 0; k < 3; k++) {
        double b[3][3];
        memcpy(b, a, sizeof(b));
        for (int r = 0; r < 3; r++)
            b[r][k] = t[r];
        double dk = b[0][0] * (b[1][1] * b[2][2] - b[1][2] * b[2][1]) -
                    b[0][1] * (b[1][0] * b[2][2] - b[1][2] * b[2][0]) +
                    b[0][2] * (b[1][0] * b[2][1] - b[1][1] * b[2][0]);
        out[k] = (float)(dk / det);
    }
    return 1;
}

/* Distance from x to the segment a-b, and the segment parameter of the
 * nearest point (0..1). */
static float segment_dist(const float *x, const float *a, const float *b,
                          float *t_out)
{
    float ab[3], ax[3], l2 = 0, t = 0;
    for (int c = 0; c < 3; c++) {
        ab[c] = b[c] - a[c];
        ax[c] = x[c] - a[c];
        l2 += ab[c] * ab[c];
        t += ab[c] * ax[c];
    }
    t = l2 > 0 ? t / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float d = 0;
    for (int c = 0; c < 3; c++)
        d += (ax[c] - t * ab[c]) * (ax[c] - t * ab[c]);
    *t_out = t;
    return d;
}

/* Shape of the glb, ENG_HANDMODEL_GLB_BETAS parameters, in units of each
 * bone's length: the ends of the five palm bones (wrist to the finger
 * MCPs and the thumb CMC) move, as palms differ between people and from
 * MediaPipe's: the middle MCP only along its bone, the index MCP within
 * the palm plane, the ring and pinky MCPs and the thumb CMC in 3D (more
 * freedom at the middle and index would let the palm turn against the
 * global orientation); each of the 15 finger bones changes its length
 * (1 = double). A joint moves with every bone above it; a vertex moves
 * with its joints and also stretches along its own bone: a finger
 * segment's vertices by their place along it, a palm vertex along the
 * palm bone nearest to it. */
static void glb_shapedirs(eng_handmodel *m)
{
    int nb = m->n_betas, b = 0;
    float n[3], a1[3], a7[3];
    for (int c = 0; c < 3; c++) {
        a1[c] = m->j_template[1][c] - m->j_template[0][c];
        a7[c] = m->j_template[7][c] - m->j_template[0][c];
    }
    n[0] = a1[1] * a7[2] - a1[2] * a7[1];
    n[1] = a1[2] * a7[0] - a1[0] * a7[2];
    n[2] = a1[0] * a7[1] - a1[1] * a7[0];
    float nn = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int c = 0; c < 3; c++)
        n[c] = nn > 0 ? n[c] / nn : 0;
    for (int k = 1; k < NK; k++) {
        int p = tree_parent[k];
        float bone[3], len = 0;
        for (int c = 0; c < 3; c++) {
            bone[c] = m->j_template[k][c] - m->j_template[p][c];
            len += bone[c] * bone[c];
        }
        len = sqrtf(len);
        /* Directions each parameter moves bone k's end, per unit. */
        float dirs[3][3];
        int nd = 1;
        memcpy(dirs[0], bone, sizeof(bone));
        if (k == 1) {
            /* The in-plane perpendicular: n x bone. */
            dirs[1][0] = n[1] * bone[2] - n[2] * bone[1];
            dirs[1][1] = n[2] * bone[0] - n[0] * bone[2];
            dirs[1][2] = n[0] * bone[1] - n[1] * bone[0];
            nd = 2;
        } else if (k == 7 || k == 10 || k == 13) {
            for (int a = 0; a < 3; a++) {
                for (int c = 0; c < 3; c++)
                    dirs[a][c] = c == a ? len : 0;
            }
            nd = 3;
        }
        for (int d = 0; d < nd; d++, b++) {
            const float *dir = dirs[d];
            for (int i = 0; i < NK; i++) {
                int a = i;
                while (a > 0 && a != k)
                    a = tree_parent[a];
                for (int c = 0; c < 3; c++)
                    m->j_shapedirs[(3 * i + c) * nb + b] = a == k ? dir[c]
                                                                  : 0;
            }
            for (int v = 0; v < m->n_verts; v++) {
                const float *w = m->weights + (size_t)v * NJ;
                const float *x = m->v_template + 3 * v;
                float t, stretch = 0;
                segment_dist(x, m->j_template[p], m->j_template[k], &t);
                if (p != 0) {
                    stretch = w[p] * t;
                } else {
                    /* Only along the nearest palm bone. */
                    int best = k;
                    float bd = 1e30f, tb;
                    for (int q = 1; q < NK; q++) {
                        if (tree_parent[q] != 0)
                            continue;
                        float dq = segment_dist(x, m->j_template[0],
                                                m->j_template[q], &tb);
                        if (dq < bd) {
                            bd = dq;
                            best = q;
                        }
                    }
                    stretch = best == k ? w[0] * t : 0;
                }
                for (int c = 0; c < 3; c++) {
                    float sv = stretch * dir[c];
                    for (int j = 0; j < NJ; j++)
                        sv += w[j] * m->j_shapedirs[(3 * j + c) * nb + b];
                    m->shapedirs[(size_t)(3 * v + c) * nb + b] = sv;
                }
            }
        }
    }
}

/* Fills the model from the parsed document: joints, mesh, skin. */
static eng_status glb_fill(const glb_doc *d, eng_handedness side,
                           eng_handmodel **out, eng_error *err)
{
    const cJSON *skin = json_elem(d->json, "skins", 0);
    const cJSON *prim = json_elem(json_elem(d->json, "meshes", 0),
                                  "primitives", 0);
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(prim, "attributes");
    const cJSON *joints = cJSON_GetObjectItemCaseSensitive(skin, "joints");
    if (!skin || !cJSON_IsArray(joints) || !cJSON_IsObject(attrs))
        return eng_fail(err, ENG_EFORMAT, "%s: no skinned mesh", d->name);
    long mode = json_index(prim, "mode", 4);
    if (mode != 4)
        return eng_fail(err, ENG_EUNSUPPORTED, "%s: primitive mode %ld (only "
                        "triangles)", d->name, mode);
    int nsj = cJSON_GetArraySize(joints);
    if (nsj < 1 || nsj > 64)
        return eng_fail(err, ENG_EFORMAT, "%s: skin has %d joints", d->name,
                        nsj);
    /* Skin joint -> model keypoint through the node's WebXR name. */
    int map[64], seen[NK] = { 0 };
    for (int i = 0; i < nsj; i++) {
        const cJSON *ji = cJSON_GetArrayItem(joints, i);
        long ni = cJSON_IsNumber(ji) ? (long)ji->valuedouble : -1;
        const cJSON *node = json_elem(d->json, "nodes", ni);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(node, "name");
        map[i] = -2;
        for (int w = 0; cJSON_IsString(nm) && w < WEBXR_JOINTS; w++) {
            if (!strcmp(nm->valuestring, webxr_joints[w].name))
                map[i] = webxr_joints[w].kp;
        }
        if (map[i] == -2)
            return eng_fail(err, ENG_EFORMAT, "%s: skin joint %d is not a "
                            "WebXR hand joint", d->name, i);
        if (map[i] >= 0 && seen[map[i]]++)
            return eng_fail(err, ENG_EFORMAT, "%s: skin joint %d repeated",
                            d->name, i);
    }
    for (int k = 0; k < NK; k++) {
        if (!seen[k])
            return eng_fail(err, ENG_EFORMAT, "%s: skin lacks a hand joint "
                            "(keypoint %d)", d->name, k);
    }
    float *pos = NULL, *ji = NULL, *wt = NULL, *idx = NULL, *ibm = NULL;
    long nv = 0, n2 = 0, n3 = 0, ni = 0, nm = 0;
    eng_handmodel *m = NULL;
    eng_status st;
    if ((st = glb_accessor(d, json_index(attrs, "POSITION", -1), 3,
                           "POSITION", &pos, &nv, err)) ||
        (st = glb_accessor(d, json_index(attrs, "JOINTS_0", -1), 4,
                           "JOINTS_0", &ji, &n2, err)) ||
        (st = glb_accessor(d, json_index(attrs, "WEIGHTS_0", -1), 4,
                           "WEIGHTS_0", &wt, &n3, err)) ||
        (st = glb_accessor(d, json_index(prim, "indices", -1), 1, "indices",
                           &idx, &ni, err)) ||
        (st = glb_accessor(d, json_index(skin, "inverseBindMatrices", -1),
                           16, "inverseBindMatrices", &ibm, &nm, err)))
        goto out;
    if (n2 != nv || n3 != nv || nm != nsj || ni % 3 || nv > MAX_VERTS) {
        st = eng_fail(err, ENG_EFORMAT, "%s: attribute counts disagree "
                      "(%ld vertices, %ld joints, %ld weights, %ld indices, "
                      "%ld matrices)", d->name, nv, n2, n3, ni, nm);
        goto out;
    }
    if ((st = model_alloc((int)nv, (int)(ni / 3), ENG_HANDMODEL_GLB_BETAS, 0,
                          side, d->name, &m, err)))
        goto out;
    memcpy(m->v_template, pos, (size_t)nv * 3 * sizeof(float));
    for (long i = 0; i < ni; i++) {
        if (!(idx[i] < (float)nv)) {
            st = eng_fail(err, ENG_EFORMAT, "%s: face %ld uses vertex %.0f "
                          "of %ld", d->name, i / 3, idx[i], nv);
            goto out;
        }
        m->faces[i] = (int32_t)idx[i];
    }
    for (int i = 0; i < nsj; i++) {
        if (map[i] >= 0 && !bind_position(ibm + 16 * i,
                                          m->j_template[map[i]])) {
            st = eng_fail(err, ENG_EFORMAT, "%s: inverse bind matrix %d is "
                          "singular", d->name, i);
            goto out;
        }
    }
    for (long v = 0; v < nv; v++) {
        float *w = m->weights + v * NJ, sum = 0;
        for (int c = 0; c < 4; c++) {
            float j = ji[4 * v + c], x = wt[4 * v + c];
            if (x == 0)
                continue;
            if (!(j >= 0 && j < (float)nsj) || x < 0) {
                st = eng_fail(err, ENG_EFORMAT, "%s: vertex %ld: bad joint "
                              "%g or weight %g", d->name, v, j, x);
                goto out;
            }
            /* Tips carry no weight in the WebXR hand; should one, it
             * belongs to the last phalanx. */
            int k = map[(int)j] < 0 ? 0 : map[(int)j];
            w[k >= NJ ? tree_parent[k] : k] += x;
            sum += x;
        }
        if (!(sum > 1e-6f)) {
            st = eng_fail(err, ENG_EFORMAT, "%s: vertex %ld has no skin "
                          "weight", d->name, v);
            goto out;
        }
        for (int j = 0; j < NJ; j++)
            w[j] /= sum;
    }
    glb_shapedirs(m);
    *out = m;
    m = NULL;
out:
    eng_handmodel_destroy(m);
    free(pos);
    free(ji);
    free(wt);
    free(idx);
    free(ibm);
    return st;
}

eng_status eng_handmodel_parse_glb(const uint8_t *buf, size_t size,
                                   const char *name, eng_handedness side,
                                   eng_handmodel **out, eng_error *err)
{
    if (size < 20 || rd32(buf) != 0x46546c67)
        return eng_fail(err, ENG_EFORMAT, "%s: not a glb file (bad magic)",
                        name);
    if (rd32(buf + 4) != 2)
        return eng_fail(err, ENG_EUNSUPPORTED, "%s: glTF version %u (need 2)",
                        name, rd32(buf + 4));
    size_t total = rd32(buf + 8), jlen = rd32(buf + 12);
    if (total > size || total < 20 || rd32(buf + 16) != 0x4e4f534a ||
        jlen > total - 20)
        return eng_fail(err, ENG_EFORMAT, "%s: bad glb header or JSON chunk "
                        "(length %zu of %zu bytes)", name, total, size);
    glb_doc d = { .name = name };
    size_t boff = 20 + jlen;
    if (total - boff >= 8 && rd32(buf + boff + 4) == 0x004e4942) {
        d.bin_size = rd32(buf + boff);
        if (d.bin_size > total - boff - 8)
            return eng_fail(err, ENG_EFORMAT, "%s: BIN chunk (%zu bytes) runs "
                            "past the file", name, d.bin_size);
        d.bin = buf + boff + 8;
    }
    cJSON *json = cJSON_ParseWithLength((const char *)buf + 20, jlen);
    if (!json)
        return eng_fail(err, ENG_EFORMAT, "%s: JSON chunk is not valid JSON",
                        name);
    d.json = json;
    eng_status st = glb_fill(&d, side, out, err);
    cJSON_Delete(json);
    return st;
}

eng_status eng_handmodel_load_glb(const char *path, eng_handedness side,
                                  eng_handmodel **out, eng_error *err)
{
    return load_file(path, eng_handmodel_parse_glb, side, out, err);
}

eng_status eng_handmodel_write_obj(const eng_handmodel *m, const float *verts,
                                   const char *path, eng_error *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return eng_fail(err, ENG_EIO, "%s: cannot create: %s", path,
                        strerror(errno));
    fprintf(f, "# posescope hand mesh: %d vertices, %d faces, metres\n",
            m->n_verts, m->n_faces);
    for (int v = 0; v < m->n_verts; v++)
        fprintf(f, "v %.6f %.6f %.6f\n", verts[3 * v], verts[3 * v + 1],
                verts[3 * v + 2]);
    for (int i = 0; i < m->n_faces; i++)
        fprintf(f, "f %d %d %d\n", m->faces[3 * i] + 1,
                m->faces[3 * i + 1] + 1, m->faces[3 * i + 2] + 1);
    return eng_finish_write(f, !ferror(f), path, err);
}
