/*
 * handmesh: hand mesh recovery for every tracked hand of a frame. Each
 * hand of the hand task (hands.h) gets the hand model of its side
 * (handmodel.h) fitted to its landmarks (handfit.h), with one temporal
 * prior per hand track id so that a hand's mesh does not flicker.
 *
 * Models: a right-hand file (MANO_RIGHT.npz or a glb) and a left-hand
 * file, or only one side and its mirror image for the other (as WiLoR
 * makes its left hand). The app passes the bundled glb hands by default.
 *
 * No allocation after eng_handmesh_create(); one thread at a time.
 */
#ifndef ENG_HANDMESH_H
#define ENG_HANDMESH_H

#include <stdbool.h>

#include "handfit.h"
#include "handmodel.h"
#include "hands.h"
#include "status.h"

typedef struct eng_handmesh eng_handmesh;

/* A model file: .npz (MANO's arrays) or .glb (the WebXR hand), by its
 * extension. At least one side is required; a missing side is the mirror
 * of the other. */
typedef struct eng_handmesh_desc {
    const char *right_path;
    const char *left_path;
    eng_handfit_desc fit; /* zero = the fitter's defaults */
} eng_handmesh_desc;

/* The fit of one hand. */
typedef struct eng_hand_mesh {
    int hand_id;               /* the hand's track id (eng_hand.id) */
    eng_handedness side;       /* the model side fitted */
    bool ok;                   /* false: the landmarks were degenerate */
    eng_handfit_result fit;
} eng_hand_mesh;

typedef struct eng_handmesh_result {
    int n_meshes;                        /* = the frame's n_hands */
    eng_hand_mesh meshes[ENG_MAX_HANDS]; /* in the hands' order */
    double ms;                           /* fitting time of the frame */
} eng_handmesh_result;

/* Loads the models and prepares a fitter per side. EINVAL without any
 * path; the loaders' EIO/EFORMAT/EUNSUPPORTED naming the file; ENOMEM. */
eng_status eng_handmesh_create(const eng_handmesh_desc *desc,
                               eng_handmesh **out, eng_error *err);

/* Frees it. Accepts NULL. */
void eng_handmesh_destroy(eng_handmesh *hm);

/* Fits every hand of `hands`. A hand whose landmarks the fitter refuses
 * gets ok = false; that is not an error of the frame. */
void eng_handmesh_process(eng_handmesh *hm, const eng_hands_result *hands,
                          eng_handmesh_result *res);

/* The model of one side (borrowed, lives as long as hm). */
const eng_handmodel *eng_handmesh_model(const eng_handmesh *hm,
                                        eng_handedness side);

/* The larger of the two models' vertex counts (for a vertex buffer). */
int eng_handmesh_max_verts(const eng_handmesh *hm);

/* Skins a fitted hand: model->n_verts x 3 floats into verts (the
 * caller's), in the model frame (metres); eng_handfit_to_world moves them
 * into the world landmarks' frame, fit.cam (handfit.h) projects them. */
void eng_handmesh_vertices(const eng_handmesh *hm, const eng_hand_mesh *mesh,
                           float *verts);

/* Forgets every track's prior (a new, unrelated image). */
void eng_handmesh_reset(eng_handmesh *hm);

#endif
