/*
 * handmodel: a skinned, articulated hand in MANO's structure, and its
 * skinning.
 *
 * One structure holds either hand model posescope knows:
 * - MANO (MPI, licensed, never shipped), read from the user's
 *   MANO_{RIGHT,LEFT}.npz with the standard keys v_template (778x3), f
 *   (1538x3), shapedirs (778x3x10), posedirs (778x3x135, optional),
 *   J_regressor (16x778), weights (778x16), kintree_table (2x16);
 * - the bundled WebXR generic hand (MIT), read from its glb: 1360
 *   vertices, 2314 triangles, 25 WebXR joints mapped onto the same 16
 *   joints (the four finger metacarpals are rigid with the wrist), whose
 *   bones are its shape parameters: 15 finger bone lengths and where
 *   the 5 palm bones end (the palm's shape).
 *
 * Joints are in MANO's order: 0 wrist, 1-3 index, 4-6 middle, 7-9 pinky,
 * 10-12 ring, 13-15 thumb (CMC, MCP, IP). Keypoints 16-20 are the
 * fingertips (thumb, index, middle, ring, pinky), each rigid with its last
 * joint: for MANO at the fingertip vertices WiLoR uses (744, 320, 443,
 * 554, 672), for the glb at its *-tip joints. The public keypoint outputs
 * are in MediaPipe/OpenPose order (eng_handmodel_mp_order maps them).
 *
 * Pose is MANO's: a global orientation about the wrist plus 15 axis-angle
 * rotations, each relative to its parent and expressed in the rest
 * pose's axes; shape is a vector of betas (linear blend shapes of the
 * vertices and joints). Skinning is MANO's: blend shapes, pose
 * correctives (MANO only), forward kinematics and linear blend skinning.
 *
 * What it does not do: fitting (handfit.h), drawing, or any I/O beyond
 * loading a model and writing an .obj.
 *
 * Model files are untrusted: every count, offset and index is checked and
 * a bad file gives EFORMAT with a one-line reason, never a crash. A model
 * is read-only after loading, so one model serves any number of threads.
 */
#ifndef ENG_HANDMODEL_H
#define ENG_HANDMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"
#include "status.h"

#define ENG_HANDMODEL_JOINTS 16   /* wrist + 3 per finger */
#define ENG_HANDMODEL_KEYPOINTS 21 /* the joints + 5 fingertips */
#define ENG_HANDMODEL_POSE_FEATURES 135 /* 15 joints x (R - I), 3x3 */
#define ENG_HANDMODEL_MAX_BETAS 32
#define ENG_HANDMODEL_GLB_BETAS 27 /* palm bones 1+2+3+3+3, 15 lengths */

/* All fields are set by the loader and read-only afterwards. Arrays are
 * owned by the model (eng_handmodel_destroy frees them). */
typedef struct eng_handmodel {
    eng_handedness side;
    int n_verts, n_faces;
    int n_betas;          /* MANO 10, the glb 27 (its bones' shape) */
    float *v_template;    /* [n_verts][3] rest vertices, metres */
    int32_t *faces;       /* [n_faces][3], counter-clockwise outside */
    float *shapedirs;     /* [n_verts][3][n_betas] */
    float *posedirs;      /* [n_verts][3][135], NULL when the model has
                             no pose correctives (the glb) */
    float *weights;       /* [n_verts][16] skinning weights */
    int parent[ENG_HANDMODEL_KEYPOINTS]; /* parent[0] = -1 */
    /* Rest keypoints (joints then tips) and their shape blend shapes:
     * J(beta) = j_template + j_shapedirs . beta. For MANO, the joints are
     * J_regressor applied to the shaped vertices (linear, so precomputed). */
    float j_template[ENG_HANDMODEL_KEYPOINTS][3];
    float *j_shapedirs;   /* [21][3][n_betas] */
} eng_handmodel;

/* The hand parameters, named as WiLoR names them. */
typedef struct eng_handpose {
    float global_orient[3];  /* axis-angle of the wrist, about the wrist */
    float hand_pose[15][3];  /* joints 1..15, axis-angle, parent-relative */
    float betas[ENG_HANDMODEL_MAX_BETAS]; /* first n_betas used */
} eng_handpose;

/* eng_handmodel_mp_order[k] is the model keypoint (0-20, above) that is
 * MediaPipe's keypoint k. */
extern const int eng_handmodel_mp_order[ENG_HANDMODEL_KEYPOINTS];

/* Loads MANO from an .npz (np.savez or np.savez_compressed) for `side`
 * (the side the file is: MANO_RIGHT.npz is ENG_HAND_RIGHT). *out is the
 * caller's (eng_handmodel_destroy). EIO, EFORMAT (the missing key, the
 * bad shape or index), EUNSUPPORTED (a zip feature .npz files never use),
 * ENOMEM. */
eng_status eng_handmodel_load_npz(const char *path, eng_handedness side,
                                  eng_handmodel **out, eng_error *err);

/* Same from an .npz image in memory (borrowed); `name` prefixes messages. */
eng_status eng_handmodel_parse_npz(const uint8_t *buf, size_t size,
                                   const char *name, eng_handedness side,
                                   eng_handmodel **out, eng_error *err);

/* Loads the WebXR generic hand (or any glb with one skinned mesh whose
 * skin names the 25 WebXR hand joints). Errors as for the npz. */
eng_status eng_handmodel_load_glb(const char *path, eng_handedness side,
                                  eng_handmodel **out, eng_error *err);

eng_status eng_handmodel_parse_glb(const uint8_t *buf, size_t size,
                                   const char *name, eng_handedness side,
                                   eng_handmodel **out, eng_error *err);

/* The other hand as the mirror image of m (x -> -x), as WiLoR makes a
 * left hand from the right model: faces reversed, pose correctives
 * mirrored. A pose (x, y, z) of m is the pose (x, -y, -z) of the mirror.
 * *out is the caller's. ENOMEM. */
eng_status eng_handmodel_mirror(const eng_handmodel *m, eng_handmodel **out,
                                eng_error *err);

/* Frees a model. Accepts NULL. */
void eng_handmodel_destroy(eng_handmodel *m);

/* Forward kinematics only: the 21 keypoints (MediaPipe order, metres, in
 * the model frame: the wrist stays at its rest position) and, when rot is
 * not NULL, each joint's global rotation (row-major 3x3). Cheap: no
 * vertex is touched. */
void eng_handmodel_keypoints(const eng_handmodel *m, const eng_handpose *p,
                             float kp[ENG_HANDMODEL_KEYPOINTS][3],
                             float rot[ENG_HANDMODEL_JOINTS][9]);

/* Skins the mesh: writes n_verts x 3 floats to verts (the caller's), and
 * the keypoints as eng_handmodel_keypoints when kp is not NULL. No
 * allocation. */
void eng_handmodel_skin(const eng_handmodel *m, const eng_handpose *p,
                        float *verts, float kp[ENG_HANDMODEL_KEYPOINTS][3]);

/* Rodrigues: the rotation matrix (row-major) of an axis-angle vector, and
 * back (angle in [0, pi]). */
void eng_rodrigues(const float aa[3], float r[9]);
void eng_rotation_log(const float r[9], float aa[3]);

/* Writes verts (n_verts x 3, e.g. from eng_handmodel_skin) and the faces
 * as a Wavefront .obj. EIO. */
eng_status eng_handmodel_write_obj(const eng_handmodel *m, const float *verts,
                                   const char *path, eng_error *err);

#endif
