/*
 * test_handmodel: engine/handmodel.c. The bundled WebXR hand loads with
 * its documented counts; MANO-structured .npz data (tests/lib/mano_synth,
 * stored and deflated) loads with its joints regressed; skinning is
 * MANO's (rest pose gives the template, rigid parts move rigidly, pose
 * correctives add posedirs . (R - I)); the mirror is a mirror; Rodrigues
 * and its inverse agree; truncated, corrupted and malformed files give
 * errors, never crashes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handmodel.h"
#include "mano_synth.h"
#include "testlib.h"

#define ASSETS POSESCOPE_SOURCE_DIR "/assets/hand-model/"

static float dist3(const float *a, const float *b)
{
    float dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    return sqrtf(dx * dx + dy * dy + dz * dz);
}

static void random_pose(const eng_handmodel *m, uint64_t *rs, eng_handpose *p)
{
    memset(p, 0, sizeof(*p));
    for (int c = 0; c < 3; c++)
        p->global_orient[c] = test_rand_uniform(rs, -1.5f, 1.5f);
    for (int j = 0; j < 15; j++) {
        for (int c = 0; c < 3; c++)
            p->hand_pose[j][c] = test_rand_uniform(rs, -0.6f, 0.6f);
    }
    for (int b = 0; b < m->n_betas; b++)
        p->betas[b] = test_rand_uniform(rs, -0.5f, 0.5f);
}

static void test_rotations(void)
{
    uint64_t rs = 7;
    float worst = 0, worst_orth = 0;
    for (int i = 0; i < 2000; i++) {
        float aa[3], r[9], back[3];
        float th = i < 10 ? 1e-6f * (float)i : test_rand_uniform(&rs, 0,
                                                                 3.1f);
        float u[3] = { test_rand_uniform(&rs, -1, 1),
                       test_rand_uniform(&rs, -1, 1),
                       test_rand_uniform(&rs, -1, 1) };
        float n = sqrtf(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
        for (int c = 0; c < 3; c++)
            aa[c] = th * u[c] / n;
        eng_rodrigues(aa, r);
        eng_rotation_log(r, back);
        float e = dist3(aa, back);
        worst = e > worst ? e : worst;
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                float d = r[3 * a] * r[3 * b] + r[3 * a + 1] * r[3 * b + 1] +
                          r[3 * a + 2] * r[3 * b + 2] - (a == b);
                worst_orth = fabsf(d) > worst_orth ? fabsf(d) : worst_orth;
            }
        }
    }
    CHECK(worst < 1e-4f, "log(exp(aa)) off by %g", worst);
    CHECK(worst_orth < 1e-5f, "rotation not orthonormal by %g", worst_orth);
    /* Near pi the axis must still come back. */
    float aa[3] = { 0, 3.14f, 0.01f }, r[9], back[3];
    eng_rodrigues(aa, r);
    eng_rotation_log(r, back);
    CHECK(dist3(aa, back) < 1e-3f, "log near pi: %g %g %g", back[0], back[1],
          back[2]);
}

/* Rest pose skins to the template; rigid vertices keep their distance to
 * their joint under a random pose; keypoints of skin and FK agree. */
static void check_skinning(const eng_handmodel *m, const char *what)
{
    size_t n = (size_t)m->n_verts * 3;
    float *v = malloc(n * sizeof(float)), *v2 = malloc(n * sizeof(float));
    eng_handpose p = { 0 };
    float kp[21][3], kp2[21][3], rot[16][9];
    eng_handmodel_skin(m, &p, v, kp);
    float e = 0;
    for (size_t i = 0; i < n; i++)
        e = fmaxf(e, fabsf(v[i] - m->v_template[i]));
    CHECK(e < 1e-6f, "%s: rest pose moves the template by %g", what, e);
    for (int k = 0; k < 21; k++) {
        float d = dist3(kp[k], m->j_template[eng_handmodel_mp_order[k]]);
        CHECK(d < 1e-6f, "%s: rest keypoint %d off by %g", what, k, d);
    }

    uint64_t rs = 11;
    random_pose(m, &rs, &p);
    /* Rigid check without pose correctives: they add offsets. */
    eng_handmodel rigid = *m;
    rigid.posedirs = NULL;
    eng_handmodel_skin(&rigid, &p, v, kp);
    eng_handmodel_keypoints(&rigid, &p, kp2, rot);
    float ek = 0;
    for (int k = 0; k < 21; k++)
        ek = fmaxf(ek, dist3(kp[k], kp2[k]));
    CHECK(ek < 1e-6f, "%s: skin and FK keypoints differ by %g", what, ek);
    eng_handpose shape_only = { 0 };
    memcpy(shape_only.betas, p.betas, sizeof(p.betas));
    eng_handmodel_skin(&rigid, &shape_only, v2, NULL);
    float worst = 0;
    int checked = 0;
    for (int i = 0; i < m->n_verts; i++) {
        for (int j = 0; j < 16; j++) {
            if (m->weights[i * 16 + j] < 0.99999f)
                continue;
            /* Joint j's keypoint (MediaPipe index) in both poses. */
            int mp = 0;
            while (eng_handmodel_mp_order[mp] != j)
                mp++;
            float rest_kp[21][3];
            eng_handmodel_keypoints(&rigid, &shape_only, rest_kp, NULL);
            float d0 = dist3(v2 + 3 * i, rest_kp[mp]);
            float d1 = dist3(v + 3 * i, kp[mp]);
            worst = fmaxf(worst, fabsf(d0 - d1));
            checked++;
        }
    }
    CHECK(checked > 10, "%s: only %d rigid vertices", what, checked);
    CHECK(worst < 1e-5f, "%s: rigid vertices stretch by %g m", what, worst);
    free(v);
    free(v2);
}

/* Mirror: pose (x, -y, -z) of the mirror gives the mirrored keypoints. */
static void check_mirror(const eng_handmodel *m, const char *what)
{
    eng_handmodel *mm = NULL, *back = NULL;
    eng_error err = { 0 };
    CHECK(eng_handmodel_mirror(m, &mm, &err) == ENG_OK, "%s mirror: %s",
          what, err.msg);
    if (!mm)
        return;
    CHECK(mm->side != m->side, "%s: mirror keeps the side", what);
    uint64_t rs = 5;
    eng_handpose p, q;
    random_pose(m, &rs, &p);
    q = p;
    q.global_orient[1] = -q.global_orient[1];
    q.global_orient[2] = -q.global_orient[2];
    for (int j = 0; j < 15; j++) {
        q.hand_pose[j][1] = -q.hand_pose[j][1];
        q.hand_pose[j][2] = -q.hand_pose[j][2];
    }
    size_t n = (size_t)m->n_verts * 3;
    float *v = malloc(n * sizeof(float)), *w = malloc(n * sizeof(float));
    eng_handmodel_skin(m, &p, v, NULL);
    eng_handmodel_skin(mm, &q, w, NULL);
    float e = 0;
    for (size_t i = 0; i < n; i++)
        e = fmaxf(e, fabsf((i % 3 ? v[i] : -v[i]) - w[i]));
    CHECK(e < 1e-5f, "%s: mirrored skin differs by %g", what, e);
    CHECK(eng_handmodel_mirror(mm, &back, &err) == ENG_OK, "mirror twice");
    if (back) {
        CHECK(!memcmp(back->faces, m->faces, (size_t)m->n_faces * 12) &&
              !memcmp(back->v_template, m->v_template, n * sizeof(float)),
              "%s: mirror twice is not the original", what);
    }
    free(v);
    free(w);
    eng_handmodel_destroy(mm);
    eng_handmodel_destroy(back);
}

static void test_glb(void)
{
    const char *sides[2] = { "left", "right" };
    eng_handmodel *m[2] = { NULL, NULL };
    for (int s = 0; s < 2; s++) {
        char path[512];
        snprintf(path, sizeof(path), ASSETS "generic-hand-%s.glb", sides[s]);
        eng_error err = { 0 };
        eng_status st = eng_handmodel_load_glb(path, s ? ENG_HAND_RIGHT
                                                       : ENG_HAND_LEFT,
                                               &m[s], &err);
        CHECK(st == ENG_OK, "%s: %s", path, err.msg);
        if (st != ENG_OK)
            continue;
        CHECK(m[s]->n_verts == 1360 && m[s]->n_faces == 2314,
              "%s: %d vertices %d faces", sides[s], m[s]->n_verts,
              m[s]->n_faces);
        CHECK(m[s]->n_betas == 27 && !m[s]->posedirs, "%s: %d betas",
              sides[s], m[s]->n_betas);
        float worst = 0;
        for (int v = 0; v < m[s]->n_verts; v++) {
            float sum = 0;
            for (int j = 0; j < 16; j++)
                sum += m[s]->weights[v * 16 + j];
            worst = fmaxf(worst, fabsf(sum - 1));
        }
        CHECK(worst < 1e-5f, "%s: weights sum off by %g", sides[s], worst);
        /* Wrist to middle fingertip about 18 cm (shared media README). */
        float len = dist3(m[s]->j_template[0], m[s]->j_template[18]);
        CHECK(len > 0.16f && len < 0.20f, "%s: wrist-middle tip %.3f m",
              sides[s], len);
        printf("glb %s: %d vertices, %d triangles, wrist to middle tip "
               "%.1f mm\n", sides[s], m[s]->n_verts, m[s]->n_faces,
               len * 1000);
        check_skinning(m[s], sides[s]);
        check_mirror(m[s], sides[s]);
    }
    if (m[0] && m[1]) {
        /* The two files are mirror images up to a few mm (measured 3.8):
         * compare the right's mirror's keypoints with the left's. */
        eng_handmodel *mr = NULL;
        eng_handmodel_mirror(m[1], &mr, NULL);
        float worst = 0;
        for (int k = 0; k < 21; k++)
            worst = fmaxf(worst, dist3(mr->j_template[k], m[0]->j_template[k]));
        printf("glb: mirrored right vs left keypoints: max %.2f mm\n",
               worst * 1000);
        CHECK(worst < 0.005f, "mirrored right hand differs from the left by "
              "%g m", worst);
        eng_handmodel_destroy(mr);
    }
    eng_handmodel_destroy(m[0]);
    eng_handmodel_destroy(m[1]);
}

static void test_mano(void)
{
    float joints[16][3];
    mano_synth_joints(joints);
    for (int deflate = 0; deflate < 2; deflate++) {
        size_t size;
        uint8_t *npz = mano_synth_npz(42, deflate, MANO_OK, &size);
        eng_handmodel *m = NULL;
        eng_error err = { 0 };
        eng_status st = eng_handmodel_parse_npz(npz, size, "synth.npz",
                                                ENG_HAND_RIGHT, &m, &err);
        CHECK(st == ENG_OK, "synthetic MANO (%s): %s",
              deflate ? "deflate" : "stored", err.msg);
        free(npz);
        if (!m)
            continue;
        CHECK(m->n_verts == 778 && m->n_faces == 1538 && m->n_betas == 10 &&
              m->posedirs, "MANO: %d vertices %d faces %d betas",
              m->n_verts, m->n_faces, m->n_betas);
        float e = 0;
        for (int j = 0; j < 16; j++)
            e = fmaxf(e, dist3(m->j_template[j], joints[j]));
        CHECK(e < 1e-6f, "regressed joints off by %g", e);
        check_skinning(m, "MANO");
        check_mirror(m, "MANO");

        /* Pose correctives: a vertex rigid with the wrist under a pose that
         * leaves the wrist alone moves by exactly posedirs . (R - I). */
        eng_handpose p = { 0 };
        p.hand_pose[0][2] = 0.5f;
        p.hand_pose[7][0] = -0.3f;
        float *v = malloc((size_t)m->n_verts * 3 * sizeof(float));
        eng_handmodel_skin(m, &p, v, NULL);
        float r0[9], r7[9], feat[135] = { 0 };
        eng_rodrigues(p.hand_pose[0], r0);
        eng_rodrigues(p.hand_pose[7], r7);
        for (int k = 0; k < 9; k++) {
            feat[k] = r0[k] - (k % 4 == 0);
            feat[63 + k] = r7[k] - (k % 4 == 0);
        }
        float worst = 0;
        for (int i = 0; i < 4; i++) { /* vertices 0..3: the wrist's own */
            for (int c = 0; c < 3; c++) {
                float want = m->v_template[3 * i + c];
                for (int f = 0; f < 135; f++)
                    want += m->posedirs[(3 * i + c) * 135 + f] * feat[f];
                worst = fmaxf(worst, fabsf(v[3 * i + c] - want));
            }
        }
        CHECK(worst < 1e-6f, "pose correctives off by %g", worst);
        free(v);

        char path[] = "/tmp/test_handmodel-XXXXXX.obj";
        int fd = mkstemps(path, 4);
        close(fd);
        float *rest = m->v_template;
        CHECK(eng_handmodel_write_obj(m, rest, path, &err) == ENG_OK,
              "obj: %s", err.msg);
        size_t osize;
        uint8_t *obj = test_read_file(path, &osize);
        int nv = 0, nf = 0;
        for (size_t i = 0; obj && i + 1 < osize; i++) {
            if (i == 0 || obj[i - 1] == '\n') {
                nv += obj[i] == 'v';
                nf += obj[i] == 'f';
            }
        }
        CHECK(nv == 778 && nf == 1538, "obj has %d v, %d f lines", nv, nf);
        free(obj);
        unlink(path);
        eng_handmodel_destroy(m);
    }
}

/* Every prefix of a file, and single-byte corruptions, give an error or a
 * model, never a crash (the sanitizer build checks the memory side). */
typedef eng_status (*parse_fn)(const uint8_t *, size_t, const char *,
                               eng_handedness, eng_handmodel **,
                               eng_error *);

static void fuzz_file(const uint8_t *data, size_t size, parse_fn parse,
                      const char *what, size_t step)
{
    uint8_t *copy = malloc(size);
    int failures = 0, ok_truncated = 0;
    for (size_t n = 0; n < size; n += step) {
        memcpy(copy, data, n);
        eng_handmodel *m = NULL;
        eng_error err = { 0 };
        eng_status st = parse(copy, n, what, ENG_HAND_RIGHT, &m, &err);
        if (st == ENG_OK)
            ok_truncated++;
        else
            failures += err.msg[0] != '\0' && !strchr(err.msg, '\n');
        eng_handmodel_destroy(m);
    }
    CHECK(ok_truncated == 0, "%s: %d truncated files accepted", what,
          ok_truncated);
    CHECK(failures == (int)((size + step - 1) / step),
          "%s: %d of %zu truncations gave a one-line message", what, failures,
          (size + step - 1) / step);
    uint64_t rs = 99;
    for (int i = 0; i < 300; i++) {
        memcpy(copy, data, size);
        for (int k = 0; k < 4; k++)
            copy[test_rand_u32(&rs) % size] = (uint8_t)test_rand_u32(&rs);
        eng_handmodel *m = NULL;
        parse(copy, size, what, ENG_HAND_RIGHT, &m, NULL);
        eng_handmodel_destroy(m);
    }
    free(copy);
}

static void expect_error(mano_synth_fault fault, const char *needle)
{
    size_t size;
    uint8_t *npz = mano_synth_npz(3, 0, fault, &size);
    eng_handmodel *m = NULL;
    eng_error err = { 0 };
    eng_status st = eng_handmodel_parse_npz(npz, size, "bad.npz",
                                            ENG_HAND_RIGHT, &m, &err);
    CHECK(st == ENG_EFORMAT && strstr(err.msg, needle),
          "fault %d: status %d, '%s' (want '%s')", fault, st, err.msg, needle);
    eng_handmodel_destroy(m);
    free(npz);
}

static void test_bad_files(void)
{
    size_t size;
    uint8_t *npz = mano_synth_npz(1, 1, MANO_OK, &size);
    fuzz_file(npz, size, eng_handmodel_parse_npz, "npz", 997);
    free(npz);
    uint8_t *glb = test_read_file(ASSETS "generic-hand-right.glb", &size);
    if (glb)
        fuzz_file(glb, size, eng_handmodel_parse_glb, "glb", 97);
    free(glb);

    expect_error(MANO_NO_WEIGHTS, "no 'weights' array");
    expect_error(MANO_BAD_SHAPE, "shapedirs: shape 777x3x10 is not MANO's");
    expect_error(MANO_BAD_FACE, "face 33 uses vertex 778 of 778");
    expect_error(MANO_BAD_TREE, "kintree_table is not MANO's tree (joint 5)");
    expect_error(MANO_INT8_DTYPE, "dtype '|i1' not supported");

    eng_handmodel *m = NULL;
    eng_error err = { 0 };
    CHECK(eng_handmodel_load_npz("/nonexistent/MANO_RIGHT.npz",
                                 ENG_HAND_RIGHT, &m, &err) == ENG_EIO &&
          strstr(err.msg, "No such file"), "missing file: %s", err.msg);
    CHECK(eng_handmodel_load_glb(ASSETS "../README.md", ENG_HAND_RIGHT, &m,
                                 &err) == ENG_EFORMAT &&
          strstr(err.msg, "not a glb file"), "text as glb: %s", err.msg);
}

int main(void)
{
    test_rotations();
    test_glb();
    test_mano();
    test_bad_files();
    return test_finish();
}
