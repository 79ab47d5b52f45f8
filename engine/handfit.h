/*
 * handfit: hand mesh recovery from tracked landmarks (the HMR step). Fits
 * a hand model (handmodel.h) to one hand's 21 world landmarks (metres)
 * and 21 image landmarks (pixels): global orientation, 15 joint rotations
 * (axis-angle), shape (betas), a weak-perspective camera [s, tx, ty] to
 * the image, and the rotation and translation that take the hand into the
 * world landmarks' frame.
 *
 * Method: an analytic start (the palm's rotation by Kabsch on the wrist
 * and four finger MCPs, then each joint's swing that turns its bone onto
 * the observed bone, then the camera by linear least squares), then a few
 * Levenberg-Marquardt iterations on
 *   3D keypoint residuals (metres; Huber beyond 4 mm, so one landmark
 *   centimetres off does not drag the hand) + 2D reprojection residuals
 *   (pixels / s, so metres too) + priors: no twist about a bone, no
 *   sideways bend at the finger PIP/DIP hinges, soft joint limits, small
 *   betas, the world frame's rotation (below) near the identity, and,
 *   with a track, closeness to the previous frame's pose, shape and world
 *   rotation (the temporal prior that keeps the mesh from flickering).
 *   It stops when an iteration gains less than 0.1% of the cost.
 * Rotations are updated on the manifold (R <- R exp(d)), so there is no
 * gimbal or wrap-around trouble.
 *
 * Joint frames: for joint k, `twist` is its rest bone direction, `abduct`
 * the palm normal made orthogonal to it (palm side for both hands),
 * `flex` = twist x abduct; a positive rotation about `flex` curls the
 * finger towards the palm. Joint limits are on the axis-angle components
 * along `flex` and `abduct`.
 *
 * Camera: a model point X (model frame = camera axes, metres; vertices
 * from eng_handmodel_skin, keypoints) is drawn at pixel
 * u = s (X.x + tx), v = s (X.y + ty). The hand (global_orient, kp3d,
 * vertices) is in the camera's axes (x right, y down, z away from it).
 * The world landmarks are Rw X + transl, Rw = exp(world_rot): MediaPipe's
 * world landmarks come in image-aligned axes too (eng_hand.world), but
 * their tilt can disagree with the image landmarks' by tens of degrees,
 * so the fit takes the hand's orientation from both and lets the world
 * frame turn (weakly held to the identity, and to the previous frame's
 * with a track).
 *
 * Does not allocate after eng_handfit_create(); eng_handfit_run() is
 * deterministic. One thread at a time per eng_handfit (the model may be
 * shared between several).
 */
#ifndef ENG_HANDFIT_H
#define ENG_HANDFIT_H

#include <stdbool.h>

#include "handmodel.h"
#include "status.h"

typedef struct eng_handfit eng_handfit;

/* Zero means default for every field. */
typedef struct eng_handfit_desc {
    int max_iterations;   /* most LM iterations per hand; default 30
                             (a tracked hand converges in 2-4) */
    float weight_2d;      /* image residuals vs world ones; default 2:
                             where MediaPipe's image and world landmarks
                             disagree, the drawn mesh follows the image */
    float weight_temporal;/* previous-frame prior; default 1 (x the
                             built-in scale); negative = off */
} eng_handfit_desc;

/* What a track remembers between frames. Plain data owned by the caller:
 * zero it (valid = false) for a new track; eng_handfit_run updates it. */
typedef struct eng_handfit_track {
    bool valid;
    eng_handpose pose;
    float world_rot[3];
} eng_handfit_track;

typedef struct eng_handfit_result {
    eng_handpose pose;      /* global_orient, hand_pose, betas */
    int n_betas;            /* betas used (the model's) */
    float cam[3];           /* pred_cam: s (pixels per metre), tx, ty (m) */
    float world_rot[3];     /* Rw, axis-angle: model frame -> world
                               landmarks' frame */
    float transl[3];        /* then this (m) */
    float kp3d[ENG_HAND_POINTS][3]; /* pred_keypoints_3d: model frame, m,
                                       MediaPipe order */
    float kp2d[ENG_HAND_POINTS][2]; /* the keypoints drawn with cam, px */
    float kp_world[ENG_HAND_POINTS][3]; /* the keypoints in the world
                                           landmarks' frame (m) */
    float err3d_mm;         /* mean kp_world distance to the world marks */
    float err2d_px;         /* mean reprojection distance */
    int iterations;
} eng_handfit_result;

/* Prepares fitting for `model`, which is borrowed and must outlive the
 * fitter. EINVAL (a model without the 21 keypoints' geometry), ENOMEM. */
eng_status eng_handfit_create(const eng_handmodel *model,
                              const eng_handfit_desc *desc,
                              eng_handfit **out, eng_error *err);

/* Frees the fitter. Accepts NULL. */
void eng_handfit_destroy(eng_handfit *f);

/* Fits one hand. world: 21 landmarks (metres, MediaPipe order); kp: 21
 * image landmarks (pixels; only x, y are used) or NULL to fit the world
 * landmarks alone (then cam is 0). track: NULL, or the hand's track (its
 * previous fit is the temporal prior; updated). EINVAL when the landmarks
 * are not finite or degenerate (all in one point). */
eng_status eng_handfit_run(eng_handfit *f, const float world[21][3],
                           const float kp[21][3], eng_handfit_track *track,
                           eng_handfit_result *res, eng_error *err);

/* Moves n points (x, y, z floats, in place) from the model frame into
 * the world landmarks' frame: Rw v + transl. */
void eng_handfit_to_world(const eng_handfit_result *res, float *xyz, int n);

/* The inverse for one point: Rw^T (in - transl). */
void eng_handfit_from_world(const eng_handfit_result *res, const float in[3],
                            float out[3]);

/* The frame of joint k (1..15), in the model's rest axes (see above). */
void eng_handfit_joint_axes(const eng_handfit *f, int k, float twist[3],
                            float flex[3], float abduct[3]);

#endif
