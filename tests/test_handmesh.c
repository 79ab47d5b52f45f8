/*
 * test_handmesh: the per-frame hand mesh task. Hands posed from the
 * bundled models with known parameters (a right and a left one, each
 * with its own track id) come back fitted, frame after frame, from their
 * keypoints drawn as a tracked hand would report them; with only the
 * right model given, the left hand is its mirror and fits too. Bad model
 * paths fail with a message; fitting allocates nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "handmesh.h"
#include "testlib.h"

#define ASSETS POSESCOPE_SOURCE_DIR "/assets/hand-model/"
#define SCALE 900.0f /* pixels per metre of the made-up camera */

/* A hand of side `side` posed with a slight curl, as the hand task would
 * report it: world = the model keypoints, image = weak perspective. */
static void make_hand(const eng_handmodel *m, eng_handedness side, int id,
                      float curl, eng_hand *h)
{
    eng_handpose pose;
    memset(&pose, 0, sizeof(pose));
    pose.global_orient[0] = 0.3f;
    for (int j = 0; j < 15; j++)
        pose.hand_pose[j][2] = side == ENG_HAND_RIGHT ? curl : -curl;
    float kp[ENG_HANDMODEL_KEYPOINTS][3];
    eng_handmodel_keypoints(m, &pose, kp, NULL);
    memset(h, 0, sizeof(*h));
    h->id = id;
    h->handedness = side;
    h->score = 1.0f;
    for (int k = 0; k < ENG_HAND_POINTS; k++) {
        for (int d = 0; d < 3; d++)
            h->world[k][d] = kp[k][d];
        h->kp[k][0] = SCALE * (kp[k][0] + 0.4f);
        h->kp[k][1] = SCALE * (kp[k][1] + 0.3f);
        h->kp[k][2] = SCALE * kp[k][2];
    }
}

static void check_frames(eng_handmesh *hm, const char *what)
{
    eng_hands_result hands = {0};
    eng_handmesh_result res;
    float *verts[2] = {NULL, NULL};
    hands.n_hands = 2;
    for (int s = 0; s < 2; s++)
        verts[s] = malloc((size_t)eng_handmesh_model(hm, (eng_handedness)s)
                              ->n_verts * 3 * sizeof(float));
    long allocs = -1;
    for (int frame = 0; frame < 8; frame++) {
        float curl = 0.1f + 0.02f * (float)frame;
        make_hand(eng_handmesh_model(hm, ENG_HAND_RIGHT), ENG_HAND_RIGHT, 3,
                  curl, &hands.hands[0]);
        make_hand(eng_handmesh_model(hm, ENG_HAND_LEFT), ENG_HAND_LEFT, 7,
                  curl, &hands.hands[1]);
        if (frame == 1)
            allocs = test_alloc_count();
        eng_handmesh_process(hm, &hands, &res);
        CHECK(res.n_meshes == 2, "%s: %d meshes", what, res.n_meshes);
        for (int i = 0; i < res.n_meshes && i < 2; i++) {
            const eng_hand_mesh *m = &res.meshes[i];
            CHECK(m->ok, "%s frame %d hand %d: not fitted", what, frame, i);
            CHECK(m->hand_id == hands.hands[i].id &&
                      m->side == hands.hands[i].handedness,
                  "%s: mesh %d is of hand %d", what, i, m->hand_id);
            CHECK(m->fit.err3d_mm < 1.0f && m->fit.err2d_px < 1.0f,
                  "%s frame %d hand %d: residuals %.3f mm %.3f px", what,
                  frame, i, m->fit.err3d_mm, m->fit.err2d_px);
            CHECK(fabsf(m->fit.cam[0] - SCALE) < 0.01f * SCALE,
                  "%s: scale %.1f, want %.1f", what, m->fit.cam[0], SCALE);
            if (verts[i]) {
                eng_handmesh_vertices(hm, m, verts[i]);
                const eng_handmodel *mo = eng_handmesh_model(hm, m->side);
                int finite = 1;
                for (int v = 0; v < mo->n_verts * 3; v++)
                    finite &= isfinite(verts[i][v]);
                CHECK(finite, "%s: vertices not finite", what);
            }
        }
    }
    CHECK(test_alloc_count() == allocs, "%s: %ld allocations while fitting",
          what, test_alloc_count() - allocs);
    free(verts[0]);
    free(verts[1]);
}

int main(void)
{
    test_alloc_count_start();
    eng_error err = {0};
    eng_handmesh *hm = NULL;
    eng_handmesh_desc both = {ASSETS "generic-hand-right.glb",
                              ASSETS "generic-hand-left.glb", {0}};
    CHECK(eng_handmesh_create(&both, &hm, &err) == ENG_OK, "%s", err.msg);
    if (hm)
        check_frames(hm, "both glb");
    eng_handmesh_destroy(hm);
    hm = NULL;

    eng_handmesh_desc right = {ASSETS "generic-hand-right.glb", NULL, {0}};
    CHECK(eng_handmesh_create(&right, &hm, &err) == ENG_OK, "%s", err.msg);
    if (hm) {
        CHECK(eng_handmesh_model(hm, ENG_HAND_LEFT)->side == ENG_HAND_LEFT,
              "mirrored model side");
        check_frames(hm, "right glb + mirror");
        eng_handmesh_reset(hm);
        check_frames(hm, "after reset");
    }
    eng_handmesh_destroy(hm);

    eng_handmesh_desc none = {NULL, NULL, {0}};
    CHECK(eng_handmesh_create(&none, &hm, &err) == ENG_EINVAL,
          "no model accepted");
    eng_handmesh_desc bad_ext = {ASSETS "README.md", NULL, {0}};
    CHECK(eng_handmesh_create(&bad_ext, &hm, &err) == ENG_EINVAL && !hm,
          "a .md file accepted as a model");
    eng_handmesh_desc missing = {"/nonexistent/MANO_RIGHT.npz", NULL, {0}};
    CHECK(eng_handmesh_create(&missing, &hm, &err) != ENG_OK && !hm &&
              strstr(err.msg, "MANO_RIGHT.npz"),
          "a missing file: '%s'", err.msg);
    return test_finish();
}
