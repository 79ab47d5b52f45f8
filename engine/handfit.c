/*
 * handfit: see handfit.h. Everything is in double: the normal equations
 * of ~70 unknowns lose too much in float for the 2-degree round trip.
 *
 * Unknowns, in this order: 16 rotation increments (3 each, joint k at
 * 3k, applied as R_k <- R_k exp(d)), the world translation (3), the
 * camera s, tx, ty (3), the world frame's rotation increment (3, applied
 * as Rw <- Rw exp(d)), the betas. Each residual row touches only the
 * rotations above its keypoint, so the normal equations are accumulated
 * from the rows' few non-zeros.
 */
#include "handfit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NJ ENG_HANDMODEL_JOINTS
#define NK ENG_HANDMODEL_KEYPOINTS
#define MAXB ENG_HANDMODEL_MAX_BETAS
#define P_T (3 * NJ)
#define P_CAM (P_T + 3)
#define P_WROT (P_CAM + 3)
#define P_BETA (P_WROT + 3)
#define MAXP (P_BETA + MAXB)
/* Non-zeros of a keypoint row: rotations of <= 5 joints, T and the world
 * rotation or the camera, betas. */
#define MAXNZ (3 * 5 + 6 + MAXB)

/* Prior weights, in metres of keypoint error per radian (or per beta):
 * a twist of 0.1 rad costs as much as 2 mm of keypoint error. */
#define W_TWIST 0.02
#define W_TWIST_THUMB 0.005
#define W_HINGE 0.02
#define W_LIMIT 0.1
#define W_BETA 0.0001
#define W_TEMPORAL 0.015
#define W_TEMPORAL_BETA 0.02
/* The world frame's rotation away from the camera's: weak (0.1 rad costs
 * 0.3 mm), because MediaPipe's world landmarks can be tilted by tens of
 * degrees from what its image landmarks show (about 35 degrees of pitch
 * on both hands of hands_two_spread.jpg). */
#define W_WORLD_ROT 0.003
/* World landmark distances above this (m) count linearly, not squared
 * (Huber): a landmark the world head put centimetres off (the wrist's
 * depth on that photo) must not drag the whole hand. */
#define HUBER_3D 0.004
/* Stop when an iteration lowers the cost by less than this fraction. */
#define CONVERGED 1e-3

enum joint_kind { J_ROOT, J_MCP, J_HINGE, J_THUMB };

struct eng_handfit {
    const eng_handmodel *m;
    eng_handfit_desc desc;
    int nb, np;
    int kind[NJ];
    double axis[NJ][3][3];          /* twist, flex, abduct */
    double lim[NJ][2][2];           /* [flex, abduct][lo, hi] */
    int anc[NK][5], n_anc[NK];      /* joints whose rotation moves kp */
    int bet[NK][MAXB], n_bet[NK];   /* betas that move kp */
    /* Scratch for the solver: sized at creation, reused by every run. */
    double jtj[MAXP * MAXP], jtr[MAXP], a[MAXP * MAXP], delta[MAXP];
};

typedef struct state {
    double r[NJ][9];    /* local rotations */
    double t[3], cam[3];
    double rw[9];       /* model (camera) frame -> world landmarks' frame */
    double beta[MAXB];
} state;

typedef struct posed {
    double j[NK][3];    /* shaped rest keypoints */
    double g[NJ][9];    /* global rotations */
    double pos[NK][3];  /* posed keypoints (model order, model frame) */
} posed;

/* What one run fits to. */
typedef struct target {
    double world[NK][3]; /* model order */
    double uv[NK][2];
    int has_2d;
    double s0;           /* pixels per metre: scales 2D rows to metres */
    double w2d;
    double w3d[NK];      /* Huber row scale per keypoint (1 inside), set
                            where the rows are linearised */
    const eng_handpose *prev; /* temporal prior, or NULL */
    double w_temporal;
    double prev_aa[NJ][3];
    double prev_rw[3];
} target;

/* ---- Small linear algebra in double. ---- */

static void rodrigues(const double aa[3], double r[9])
{
    double x = aa[0], y = aa[1], z = aa[2];
    double th2 = x * x + y * y + z * z, th = sqrt(th2), s, c1;
    if (th < 1e-5) {
        s = 1.0 - th2 / 6.0;
        c1 = 0.5 - th2 / 24.0;
    } else {
        s = sin(th) / th;
        c1 = (1.0 - cos(th)) / th2;
    }
    r[0] = 1 - c1 * (y * y + z * z);
    r[1] = -s * z + c1 * x * y;
    r[2] = s * y + c1 * x * z;
    r[3] = s * z + c1 * x * y;
    r[4] = 1 - c1 * (x * x + z * z);
    r[5] = -s * x + c1 * y * z;
    r[6] = -s * y + c1 * x * z;
    r[7] = s * x + c1 * y * z;
    r[8] = 1 - c1 * (x * x + y * y);
}

static void rot_log(const double r[9], double aa[3])
{
    float rf[9], af[3];
    double c = (r[0] + r[4] + r[8] - 1.0) * 0.5;
    double th = acos(c > 1 ? 1 : c < -1 ? -1 : c);
    if (th < 3.0) {
        double k = th < 1e-6 ? 0.5 : th / (2.0 * sin(th));
        aa[0] = k * (r[7] - r[5]);
        aa[1] = k * (r[2] - r[6]);
        aa[2] = k * (r[3] - r[1]);
        return;
    }
    /* Near pi: the engine's careful version is good enough there. */
    for (int i = 0; i < 9; i++)
        rf[i] = (float)r[i];
    eng_rotation_log(rf, af);
    for (int i = 0; i < 3; i++)
        aa[i] = af[i];
}

static void mul33(const double a[9], const double b[9], double o[9])
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            o[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] +
                           a[3 * i + 2] * b[6 + j];
    }
}

/* o = a^T b */
static void mul33t(const double a[9], const double b[9], double o[9])
{
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            o[3 * i + j] = a[i] * b[j] + a[3 + i] * b[3 + j] +
                           a[6 + i] * b[6 + j];
    }
}

static void mv(const double a[9], const double v[3], double o[3])
{
    for (int i = 0; i < 3; i++)
        o[i] = a[3 * i] * v[0] + a[3 * i + 1] * v[1] + a[3 * i + 2] * v[2];
}

/* o = a^T v */
static void mtv(const double a[9], const double v[3], double o[3])
{
    for (int i = 0; i < 3; i++)
        o[i] = a[i] * v[0] + a[3 + i] * v[1] + a[6 + i] * v[2];
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross3(const double a[3], const double b[3], double o[3])
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static double normalize3(double v[3])
{
    double n = sqrt(dot3(v, v));
    if (n > 0) {
        for (int i = 0; i < 3; i++)
            v[i] /= n;
    }
    return n;
}

/* The inverse right Jacobian of SO(3) at aa: how log(R exp(d)) moves
 * with d, so priors on axis-angle values get exact derivatives. */
static void jr_inv(const double aa[3], double o[9])
{
    double th2 = dot3(aa, aa), th = sqrt(th2), k;
    if (th < 1e-4)
        k = 1.0 / 12.0;
    else
        k = 1.0 / th2 - (1.0 + cos(th)) / (2.0 * th * sin(th));
    double w[9] = { 0, -aa[2], aa[1], aa[2], 0, -aa[0], -aa[1], aa[0], 0 };
    double w2[9];
    mul33(w, w, w2);
    for (int i = 0; i < 9; i++)
        o[i] = (i % 4 == 0) + 0.5 * w[i] + k * w2[i];
}

/* ---- Set-up. ---- */

void eng_handfit_destroy(eng_handfit *f)
{
    free(f);
}

eng_status eng_handfit_create(const eng_handmodel *model,
                              const eng_handfit_desc *desc,
                              eng_handfit **out, eng_error *err)
{
    if (!model || model->n_betas > MAXB)
        return eng_fail(err, ENG_EINVAL, "handfit: no model, or too many "
                        "betas");
    eng_handfit *f = calloc(1, sizeof(*f));
    if (!f)
        return eng_fail(err, ENG_ENOMEM, "handfit: out of memory");
    f->m = model;
    if (desc)
        f->desc = *desc;
    if (f->desc.max_iterations <= 0)
        f->desc.max_iterations = 30;
    if (f->desc.weight_2d <= 0)
        f->desc.weight_2d = 2;
    if (f->desc.weight_temporal == 0)
        f->desc.weight_temporal = 1;
    f->nb = model->n_betas;
    f->np = P_BETA + f->nb;

    double j[NK][3];
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++)
            j[k][c] = model->j_template[k][c];
    }
    double a[3], b[3], n[3];
    for (int c = 0; c < 3; c++) {
        a[c] = j[1][c] - j[0][c];
        b[c] = j[7][c] - j[0][c];
    }
    cross3(a, b, n);
    if (normalize3(n) < 1e-8) {
        free(f);
        return eng_fail(err, ENG_EINVAL, "handfit: the model's palm is "
                        "degenerate");
    }
    /* index x pinky points to the palm side of a right hand. */
    if (model->side == ENG_HAND_LEFT) {
        for (int c = 0; c < 3; c++)
            n[c] = -n[c];
    }
    for (int k = 1; k < NJ; k++) {
        int child = -1;
        for (int c = 1; c < NK; c++) {
            if (model->parent[c] == k)
                child = c;
        }
        double *tw = f->axis[k][0], *fl = f->axis[k][1], *ab = f->axis[k][2];
        for (int c = 0; c < 3; c++)
            tw[c] = j[child][c] - j[k][c];
        double d = dot3(n, tw) / fmax(dot3(tw, tw), 1e-30);
        for (int c = 0; c < 3; c++)
            ab[c] = n[c] - d * tw[c];
        if (normalize3(tw) < 1e-6 || normalize3(ab) < 1e-6) {
            free(f);
            return eng_fail(err, ENG_EINVAL, "handfit: the model's bone %d "
                            "is degenerate", k);
        }
        cross3(tw, ab, fl);
        f->kind[k] = k >= 13 ? J_THUMB : k % 3 == 1 ? J_MCP : J_HINGE;
        /* Radians: loose anatomical ranges of motion. */
        static const double mcp[2][2] = { { -0.6, 1.75 }, { -0.6, 0.6 } };
        static const double pip[2][2] = { { -0.2, 2.0 }, { 0, 0 } };
        static const double dip[2][2] = { { -0.4, 1.7 }, { 0, 0 } };
        memcpy(f->lim[k], k % 3 == 1 ? mcp : k % 3 == 2 ? pip : dip,
               sizeof(mcp));
    }
    for (int k = 0; k < NK; k++) {
        f->n_anc[k] = 0;
        for (int p = model->parent[k]; p >= 0; p = model->parent[p])
            f->anc[k][f->n_anc[k]++] = p;
        /* A beta moves keypoint k when it moves a bone on k's path (or
         * the wrist): the glb's bone betas each touch a few keypoints. */
        f->n_bet[k] = 0;
        for (int b = 0; b < f->nb; b++) {
            int moves = 0;
            for (int q = k; q >= 0; q = model->parent[q]) {
                int par = model->parent[q];
                for (int c = 0; c < 3; c++) {
                    float d = model->j_shapedirs[(3 * q + c) * f->nb + b];
                    if (par >= 0)
                        d -= model->j_shapedirs[(3 * par + c) * f->nb + b];
                    moves |= d != 0;
                }
            }
            if (moves)
                f->bet[k][f->n_bet[k]++] = b;
        }
    }
    *out = f;
    return ENG_OK;
}

void eng_handfit_joint_axes(const eng_handfit *f, int k, float twist[3],
                            float flex[3], float abduct[3])
{
    for (int c = 0; c < 3; c++) {
        twist[c] = (float)f->axis[k][0][c];
        flex[c] = (float)f->axis[k][1][c];
        abduct[c] = (float)f->axis[k][2][c];
    }
}

/* ---- Model evaluation. ---- */

static void pose_state(const eng_handfit *f, const state *s, posed *p)
{
    const eng_handmodel *m = f->m;
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++) {
            const float *d = m->j_shapedirs + (3 * k + c) * f->nb;
            double v = m->j_template[k][c];
            for (int b = 0; b < f->nb; b++)
                v += d[b] * s->beta[b];
            p->j[k][c] = v;
        }
    }
    memcpy(p->g[0], s->r[0], sizeof(p->g[0]));
    memcpy(p->pos[0], p->j[0], sizeof(p->pos[0]));
    for (int k = 1; k < NK; k++) {
        int par = m->parent[k];
        double bone[3], moved[3];
        for (int c = 0; c < 3; c++)
            bone[c] = p->j[k][c] - p->j[par][c];
        mv(p->g[par], bone, moved);
        for (int c = 0; c < 3; c++)
            p->pos[k][c] = p->pos[par][c] + moved[c];
        if (k < NJ)
            mul33(p->g[par], s->r[k], p->g[k]);
    }
}

/* Accumulates residual rows: cost, and J^T J, J^T r when `build`. */
typedef struct accum {
    eng_handfit *f;
    int build;
    double cost;
} accum;

static void row(accum *a, double r, int n, const int *idx, const double *val)
{
    a->cost += r * r;
    if (!a->build)
        return;
    int np = a->f->np;
    for (int i = 0; i < n; i++) {
        a->f->jtr[idx[i]] += val[i] * r;
        double vi = val[i];
        double *rowp = a->f->jtj + (size_t)idx[i] * np;
        for (int k = 0; k < n; k++)
            rowp[idx[k]] += vi * val[k];
    }
}

/* d pos_k / d beta (3 x nb), through the posed bones above k. */
static void beta_jacobian(const eng_handfit *f, const posed *p, int k,
                          double out[3][MAXB])
{
    const eng_handmodel *m = f->m;
    int nb = f->nb;
    memset(out, 0, sizeof(double) * 3 * MAXB);
    for (int c = 0; c < 3; c++) {
        for (int b = 0; b < nb; b++)
            out[c][b] = m->j_shapedirs[(0 * 3 + c) * nb + b];
    }
    for (int q = k; q > 0; q = m->parent[q]) {
        int par = m->parent[q];
        for (int b = 0; b < nb; b++) {
            double d[3], gd[3];
            for (int c = 0; c < 3; c++)
                d[c] = m->j_shapedirs[(3 * q + c) * nb + b] -
                       m->j_shapedirs[(3 * par + c) * nb + b];
            mv(p->g[par], d, gd);
            for (int c = 0; c < 3; c++)
                out[c][b] += gd[c];
        }
    }
}

/* With a->build, also sets each keypoint's Huber scale from its 3D
 * distance at s (IRLS: the trial states evaluated after it keep them). */
static void keypoint_rows(accum *a, const state *s, const posed *p,
                          target *t)
{
    eng_handfit *f = a->f;
    for (int k = 0; k < NK; k++) {
        /* d pos / d rotation increment of ancestor q: -[pos - o_q]x G_q. */
        double dr[5][3][3], db[3][MAXB];
        int idx[MAXNZ], n = 0;
        if (a->build) {
            for (int i = 0; i < f->n_anc[k]; i++) {
                int q = f->anc[k][i];
                double v[3];
                for (int c = 0; c < 3; c++)
                    v[c] = p->pos[k][c] - p->pos[q][c];
                double vx[9] = { 0, -v[2], v[1], v[2], 0, -v[0],
                                 -v[1], v[0], 0 };
                double m33[9];
                mul33(vx, p->g[q], m33);
                for (int r = 0; r < 3; r++) {
                    for (int c = 0; c < 3; c++)
                        dr[i][r][c] = -m33[3 * r + c];
                }
            }
            beta_jacobian(f, p, k, db);
        }
        for (int i = 0; i < f->n_anc[k]; i++) {
            for (int c = 0; c < 3; c++)
                idx[n++] = 3 * f->anc[k][i] + c;
        }
        int nrot = n;
        /* 3D rows: h (Rw pos + T - world), h the Huber scale: square root
         * of the IRLS weight HUBER_3D / d beyond HUBER_3D. The world
         * rotation's increment moves Rw pos by -Rw [pos]x d. */
        double wp[3], wpx[9], e[3];
        const double *v = p->pos[k];
        double vx[9] = { 0, -v[2], v[1], v[2], 0, -v[0], -v[1], v[0], 0 };
        mv(s->rw, v, wp);
        mul33(s->rw, vx, wpx);
        for (int c = 0; c < 3; c++)
            e[c] = wp[c] + s->t[c] - t->world[k][c];
        if (a->build) {
            double d = sqrt(dot3(e, e));
            t->w3d[k] = d > HUBER_3D ? sqrt(HUBER_3D / d) : 1;
        }
        double h = t->w3d[k];
        for (int r = 0; r < 3; r++) {
            const double *rw = s->rw + 3 * r;
            double val[MAXNZ];
            int m = 0, id[MAXNZ];
            memcpy(id, idx, sizeof(int) * (size_t)nrot);
            for (int i = 0; a->build && i < f->n_anc[k]; i++) {
                for (int c = 0; c < 3; c++)
                    val[m++] = h * (rw[0] * dr[i][0][c] + rw[1] * dr[i][1][c] +
                                    rw[2] * dr[i][2][c]);
            }
            m = nrot;
            id[m] = P_T + r;
            val[m++] = h;
            for (int c = 0; c < 3; c++) {
                id[m] = P_WROT + c;
                val[m++] = -h * wpx[3 * r + c];
            }
            for (int i = 0; i < f->n_bet[k]; i++) {
                int b = f->bet[k][i];
                id[m] = P_BETA + b;
                val[m++] = a->build ? h * (rw[0] * db[0][b] + rw[1] * db[1][b] +
                                           rw[2] * db[2][b])
                                    : 0;
            }
            row(a, h * e[r], m, id, val);
        }
        if (!t->has_2d)
            continue;
        /* 2D rows, in metres: w (s (pos + c) - uv) / s0. */
        double w = t->w2d / t->s0;
        for (int r = 0; r < 2; r++) {
            double val[MAXNZ];
            int m = 0, id[MAXNZ];
            memcpy(id, idx, sizeof(int) * (size_t)nrot);
            for (int i = 0; a->build && i < f->n_anc[k]; i++) {
                for (int c = 0; c < 3; c++)
                    val[m++] = w * s->cam[0] * dr[i][r][c];
            }
            m = nrot;
            id[m] = P_CAM;
            val[m++] = w * (p->pos[k][r] + s->cam[1 + r]);
            id[m] = P_CAM + 1 + r;
            val[m++] = w * s->cam[0];
            for (int i = 0; i < f->n_bet[k]; i++) {
                int b = f->bet[k][i];
                id[m] = P_BETA + b;
                val[m++] = a->build ? w * s->cam[0] * db[r][b] : 0;
            }
            double proj = s->cam[0] * (p->pos[k][r] + s->cam[1 + r]);
            row(a, w * (proj - t->uv[k][r]), m, id, val);
        }
    }
}

/* A prior row w (u . aa - target) on the axis-angle aa of the rotation
 * whose increment is unknowns at..at+2. */
static void aa_row(accum *a, int at, const double aa[3], const double ji[9],
                   const double u[3], double w, double target)
{
    int idx[3] = { at, at + 1, at + 2 };
    double val[3];
    for (int c = 0; c < 3; c++)
        val[c] = w * (u[0] * ji[c] + u[1] * ji[3 + c] + u[2] * ji[6 + c]);
    row(a, w * (dot3(u, aa) - target), 3, idx, val);
}

static void prior_rows(accum *a, const state *s, const target *t)
{
    eng_handfit *f = a->f;
    static const double ex[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    for (int k = 0; k < NJ; k++) {
        double aa[3], ji[9];
        rot_log(s->r[k], aa);
        jr_inv(aa, ji);
        if (t->prev) {
            for (int c = 0; c < 3; c++)
                aa_row(a, 3 * k, aa, ji, ex[c], t->w_temporal,
                       t->prev_aa[k][c]);
        }
        if (k == 0)
            continue;
        aa_row(a, 3 * k, aa, ji, f->axis[k][0],
               f->kind[k] == J_THUMB ? W_TWIST_THUMB : W_TWIST, 0);
        if (f->kind[k] == J_HINGE)
            aa_row(a, 3 * k, aa, ji, f->axis[k][2], W_HINGE, 0);
        if (f->kind[k] == J_THUMB)
            continue;
        for (int d = 0; d < (f->kind[k] == J_MCP ? 2 : 1); d++) {
            double x = dot3(f->axis[k][1 + d], aa);
            if (x > f->lim[k][d][1])
                aa_row(a, 3 * k, aa, ji, f->axis[k][1 + d], W_LIMIT,
                       f->lim[k][d][1]);
            else if (x < f->lim[k][d][0])
                aa_row(a, 3 * k, aa, ji, f->axis[k][1 + d], W_LIMIT,
                       f->lim[k][d][0]);
        }
    }
    /* The world frame's rotation: towards the camera's, and with a track
     * towards the previous frame's. */
    double aw[3], jw[9];
    rot_log(s->rw, aw);
    jr_inv(aw, jw);
    for (int c = 0; c < 3; c++) {
        aa_row(a, P_WROT, aw, jw, ex[c], W_WORLD_ROT, 0);
        if (t->prev)
            aa_row(a, P_WROT, aw, jw, ex[c], t->w_temporal, t->prev_rw[c]);
    }
    for (int b = 0; b < f->nb; b++) {
        int idx = P_BETA + b;
        double w = W_BETA;
        row(a, w * s->beta[b], 1, &idx, &w);
        if (t->prev) {
            double wt = W_TEMPORAL_BETA * t->w_temporal / W_TEMPORAL;
            row(a, wt * (s->beta[b] - t->prev->betas[b]), 1, &idx, &wt);
        }
    }
}

static double evaluate(eng_handfit *f, const state *s, target *t, int build)
{
    posed p;
    pose_state(f, s, &p);
    accum a = { .f = f, .build = build };
    if (build) {
        memset(f->jtj, 0, sizeof(double) * (size_t)f->np * f->np);
        memset(f->jtr, 0, sizeof(double) * (size_t)f->np);
    }
    keypoint_rows(&a, s, &p, t);
    prior_rows(&a, s, t);
    return a.cost;
}

/* Solves (J^T J + lambda diag) delta = -J^T r by Cholesky; 0 if singular. */
static int solve(eng_handfit *f, double lambda)
{
    int n = f->np;
    double *a = f->a;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            a[i * n + j] = f->jtj[i * n + j];
        a[i * n + i] += lambda * f->jtj[i * n + i] + 1e-12;
    }
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0))
            return 0;
        d = sqrt(d);
        a[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double v = a[i * n + j];
            for (int k = 0; k < j; k++)
                v -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = v / d;
        }
    }
    double *x = f->delta;
    for (int i = 0; i < n; i++) {
        double v = -f->jtr[i];
        for (int k = 0; k < i; k++)
            v -= a[i * n + k] * x[k];
        x[i] = v / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double v = x[i];
        for (int k = i + 1; k < n; k++)
            v -= a[k * n + i] * x[k];
        x[i] = v / a[i * n + i];
    }
    return 1;
}

static void apply(const eng_handfit *f, const state *s, const double *d,
                  state *o)
{
    for (int k = 0; k < NJ; k++) {
        double e[9];
        rodrigues(d + 3 * k, e);
        mul33(s->r[k], e, o->r[k]);
    }
    for (int c = 0; c < 3; c++) {
        o->t[c] = s->t[c] + d[P_T + c];
        o->cam[c] = s->cam[c] + d[P_CAM + c];
    }
    double e[9];
    rodrigues(d + P_WROT, e);
    mul33(s->rw, e, o->rw);
    for (int b = 0; b < f->nb; b++)
        o->beta[b] = s->beta[b] + d[P_BETA + b];
}

/* ---- The analytic start. ---- */

/* Orthonormal palm frame (columns): along wrist -> middle MCP, the palm
 * normal, and their cross product. 0 when degenerate. */
static int palm_frame(const double j[NK][3], double fr[9])
{
    double e1[3], b[3], e3[3], e2[3];
    for (int c = 0; c < 3; c++) {
        e1[c] = j[4][c] - j[0][c];
        b[c] = j[1][c] - j[7][c];
    }
    if (normalize3(e1) < 1e-5)
        return 0;
    cross3(e1, b, e3);
    if (normalize3(e3) < 1e-8)
        return 0;
    cross3(e3, e1, e2);
    for (int r = 0; r < 3; r++) {
        fr[3 * r] = e1[r];
        fr[3 * r + 1] = e2[r];
        fr[3 * r + 2] = e3[r];
    }
    return 1;
}

/* The smallest rotation taking unit vector a onto unit vector b. */
static void swing(const double a[3], const double b[3], double r[9])
{
    double ax[3], aa[3];
    cross3(a, b, ax);
    double s = normalize3(ax), c = dot3(a, b);
    double th = atan2(s, c);
    if (s < 1e-12) {
        /* Parallel: nothing to do; antiparallel cannot happen for the
         * joints' limited range, and any axis would do. */
        static const double id[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
        memcpy(r, id, sizeof(id));
        return;
    }
    for (int i = 0; i < 3; i++)
        aa[i] = th * ax[i];
    rodrigues(aa, r);
}

/* The analytic start, for the world landmarks brought into the camera
 * frame by the state's world rotation (which it keeps). */
static int initialise(eng_handfit *f, const target *tw, state *s)
{
    posed p;
    target cam_frame = *tw, *t = &cam_frame;
    for (int k = 0; k < NK; k++)
        mtv(s->rw, tw->world[k], t->world[k]);
    static const double id[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
    for (int k = 0; k < NJ; k++)
        memcpy(s->r[k], id, sizeof(id));
    pose_state(f, s, &p);
    double fr_rest[9], fr_obs[9];
    if (!palm_frame(p.j, fr_rest) || !palm_frame(t->world, fr_obs))
        return 0;
    /* R0 maps the rest palm frame onto the observed one. */
    double r0[9];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            r0[3 * i + j] = fr_obs[3 * i] * fr_rest[3 * j] +
                            fr_obs[3 * i + 1] * fr_rest[3 * j + 1] +
                            fr_obs[3 * i + 2] * fr_rest[3 * j + 2];
    }
    memcpy(s->r[0], r0, sizeof(r0));
    pose_state(f, s, &p);
    /* Each joint swings its bone onto the observed bone, parents first
     * (model order is parents first). */
    for (int k = 1; k < NJ; k++) {
        int par = f->m->parent[k], child = -1;
        for (int c = 1; c < NK; c++) {
            if (f->m->parent[c] == k)
                child = c;
        }
        double want[3], have[3], bone[3], sw[9], tmp[9];
        for (int c = 0; c < 3; c++) {
            want[c] = t->world[child][c] - t->world[k][c];
            bone[c] = p.j[child][c] - p.j[k][c];
        }
        mv(p.g[par], bone, have);
        if (normalize3(want) < 1e-6 || normalize3(have) < 1e-9)
            continue;
        swing(have, want, sw);
        /* R_k = G_par^T sw G_par. */
        mul33(sw, p.g[par], tmp);
        mul33t(p.g[par], tmp, s->r[k]);
        mul33(p.g[par], s->r[k], p.g[k]);
    }
    pose_state(f, s, &p);
    double mp[3] = { 0, 0, 0 };
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 3; c++)
            mp[c] += (t->world[k][c] - p.pos[k][c]) / NK;
    }
    mv(s->rw, mp, s->t);
    memset(s->cam, 0, sizeof(s->cam));
    if (!t->has_2d)
        return 1;
    /* uv = s q + e by least squares, q the posed keypoints' x, y. */
    double qm[2] = { 0, 0 }, um[2] = { 0, 0 };
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 2; c++) {
            qm[c] += p.pos[k][c] / NK;
            um[c] += t->uv[k][c] / NK;
        }
    }
    double num = 0, den = 0;
    for (int k = 0; k < NK; k++) {
        for (int c = 0; c < 2; c++) {
            num += (p.pos[k][c] - qm[c]) * (t->uv[k][c] - um[c]);
            den += (p.pos[k][c] - qm[c]) * (p.pos[k][c] - qm[c]);
        }
    }
    if (!(den > 1e-12) || !(num > 0))
        return 0;
    s->cam[0] = num / den;
    s->cam[1] = um[0] / s->cam[0] - qm[0];
    s->cam[2] = um[1] / s->cam[0] - qm[1];
    return 1;
}

/* ---- The run. ---- */

eng_status eng_handfit_run(eng_handfit *f, const float world[21][3],
                           const float kp[21][3], eng_handfit_track *track,
                           eng_handfit_result *res, eng_error *err)
{
    target t = { .has_2d = kp != NULL, .w2d = f->desc.weight_2d };
    for (int i = 0; i < NK; i++) {
        int k = eng_handmodel_mp_order[i];
        for (int c = 0; c < 3; c++) {
            if (!isfinite(world[i][c]) || (kp && !isfinite(kp[i][c])))
                return eng_fail(err, ENG_EINVAL, "handfit: landmark %d is "
                                "not finite", i);
            t.world[k][c] = world[i][c];
            if (kp && c < 2)
                t.uv[k][c] = kp[i][c];
        }
    }
    state s;
    memset(&s, 0, sizeof(s));
    s.rw[0] = s.rw[4] = s.rw[8] = 1;
    if (track && track->valid) {
        float r[9];
        eng_rodrigues(track->world_rot, r);
        for (int i = 0; i < 9; i++)
            s.rw[i] = r[i];
    }
    if (track && track->valid && f->desc.weight_temporal > 0) {
        t.prev = &track->pose;
        t.w_temporal = W_TEMPORAL * f->desc.weight_temporal;
        for (int c = 0; c < 3; c++)
            t.prev_aa[0][c] = track->pose.global_orient[c];
        for (int k = 1; k < NJ; k++) {
            for (int c = 0; c < 3; c++)
                t.prev_aa[k][c] = track->pose.hand_pose[k - 1][c];
        }
        for (int c = 0; c < 3; c++)
            t.prev_rw[c] = track->world_rot[c];
        for (int b = 0; b < f->nb; b++)
            s.beta[b] = track->pose.betas[b];
    }
    if (!initialise(f, &t, &s))
        return eng_fail(err, ENG_EINVAL, "handfit: degenerate landmarks "
                        "(no palm)");
    t.s0 = t.has_2d ? s.cam[0] : 1;

    double cost, lambda = 1e-4;
    int it = 0;
    for (; it < f->desc.max_iterations; it++) {
        cost = evaluate(f, &s, &t, 1);
        int accepted = 0;
        double before = cost;
        for (int tries = 0; tries < 6 && !accepted; tries++) {
            state trial;
            if (solve(f, lambda)) {
                apply(f, &s, f->delta, &trial);
                double c = evaluate(f, &trial, &t, 0);
                if (c < cost) {
                    s = trial;
                    cost = c;
                    accepted = 1;
                    lambda = fmax(lambda / 4, 1e-9);
                    continue;
                }
            }
            lambda *= 8;
        }
        if (!accepted || before - cost < 1e-12 + CONVERGED * before)
            break;
    }

    /* Results. */
    memset(res, 0, sizeof(*res));
    posed p;
    pose_state(f, &s, &p);
    double aa[3];
    rot_log(s.r[0], aa);
    for (int c = 0; c < 3; c++)
        res->pose.global_orient[c] = (float)aa[c];
    for (int k = 1; k < NJ; k++) {
        rot_log(s.r[k], aa);
        for (int c = 0; c < 3; c++)
            res->pose.hand_pose[k - 1][c] = (float)aa[c];
    }
    for (int b = 0; b < f->nb; b++)
        res->pose.betas[b] = (float)s.beta[b];
    res->n_betas = f->nb;
    rot_log(s.rw, aa);
    for (int c = 0; c < 3; c++)
        res->world_rot[c] = (float)aa[c];
    double e3 = 0, e2 = 0;
    for (int i = 0; i < NK; i++) {
        int k = eng_handmodel_mp_order[i];
        double d3 = 0, d2 = 0, wp[3];
        mv(s.rw, p.pos[k], wp);
        for (int c = 0; c < 3; c++) {
            res->kp3d[i][c] = (float)p.pos[k][c];
            res->kp_world[i][c] = (float)(wp[c] + s.t[c]);
            double d = wp[c] + s.t[c] - t.world[k][c];
            d3 += d * d;
        }
        for (int c = 0; c < 2; c++) {
            double u = s.cam[0] * (p.pos[k][c] + s.cam[1 + c]);
            res->kp2d[i][c] = (float)u;
            d2 += (u - t.uv[k][c]) * (u - t.uv[k][c]);
        }
        e3 += sqrt(d3);
        e2 += sqrt(d2);
    }
    res->err3d_mm = (float)(e3 / NK * 1000);
    res->err2d_px = t.has_2d ? (float)(e2 / NK) : 0;
    for (int c = 0; c < 3; c++) {
        res->cam[c] = (float)s.cam[c];
        res->transl[c] = (float)s.t[c];
    }
    res->iterations = it;
    if (track) {
        track->valid = true;
        track->pose = res->pose;
        memcpy(track->world_rot, res->world_rot, sizeof(res->world_rot));
    }
    return ENG_OK;
}

void eng_handfit_to_world(const eng_handfit_result *res, float *xyz, int n)
{
    float r[9];
    eng_rodrigues(res->world_rot, r);
    for (int i = 0; i < n; i++) {
        float *v = xyz + 3 * i, o[3];
        for (int c = 0; c < 3; c++)
            o[c] = r[3 * c] * v[0] + r[3 * c + 1] * v[1] + r[3 * c + 2] * v[2] +
                   res->transl[c];
        memcpy(v, o, sizeof(o));
    }
}

void eng_handfit_from_world(const eng_handfit_result *res, const float in[3],
                            float out[3])
{
    float r[9], d[3];
    eng_rodrigues(res->world_rot, r);
    for (int c = 0; c < 3; c++)
        d[c] = in[c] - res->transl[c];
    for (int c = 0; c < 3; c++)
        out[c] = r[c] * d[0] + r[3 + c] * d[1] + r[6 + c] * d[2];
}
