#include "handmesh.h"

#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* Priors are kept per (track id, side). A track unseen for this many
 * frames lets its slot go: the hand task keeps a lost hand's id for a
 * short while, and a prior older than that would pull a hand back to a
 * stale pose. */
#define KEEP_FRAMES 5
#define MAX_PRIORS (2 * ENG_MAX_HANDS)

typedef struct prior {
    int id; /* 0 = free */
    eng_handedness side;
    long last_frame;
    eng_handfit_track track;
} prior;

struct eng_handmesh {
    eng_handmodel *model[2]; /* by eng_handedness */
    eng_handfit *fit[2];
    prior priors[MAX_PRIORS];
    long frame;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static eng_status load_model(const char *path, eng_handedness side,
                             eng_handmodel **out, eng_error *err)
{
    if (ends_with(path, ".npz"))
        return eng_handmodel_load_npz(path, side, out, err);
    if (ends_with(path, ".glb"))
        return eng_handmodel_load_glb(path, side, out, err);
    return eng_fail(err, ENG_EINVAL,
                    "%s: a hand model is a MANO .npz or a .glb", path);
}

eng_status eng_handmesh_create(const eng_handmesh_desc *desc,
                               eng_handmesh **out, eng_error *err)
{
    *out = NULL;
    if (!desc || (!desc->right_path && !desc->left_path))
        return eng_fail(err, ENG_EINVAL,
                        "hand mesh: no hand model file given");
    eng_handmesh *hm = calloc(1, sizeof(*hm));
    if (!hm)
        return eng_fail(err, ENG_ENOMEM, "hand mesh: out of memory");
    const char *path[2] = {desc->left_path, desc->right_path};
    eng_status st = ENG_OK;
    for (int s = 0; st == ENG_OK && s < 2; s++)
        if (path[s])
            st = load_model(path[s], (eng_handedness)s, &hm->model[s], err);
    for (int s = 0; st == ENG_OK && s < 2; s++)
        if (!hm->model[s])
            st = eng_handmodel_mirror(hm->model[!s], &hm->model[s], err);
    for (int s = 0; st == ENG_OK && s < 2; s++)
        st = eng_handfit_create(hm->model[s], &desc->fit, &hm->fit[s], err);
    if (st != ENG_OK) {
        eng_handmesh_destroy(hm);
        return st;
    }
    *out = hm;
    return ENG_OK;
}

void eng_handmesh_destroy(eng_handmesh *hm)
{
    if (!hm)
        return;
    for (int s = 0; s < 2; s++) {
        eng_handfit_destroy(hm->fit[s]);
        eng_handmodel_destroy(hm->model[s]);
    }
    free(hm);
}

/* The prior of (id, side): its slot, else a fresh one (a free slot, or
 * the one unseen longest). */
static eng_handfit_track *prior_for(eng_handmesh *hm, int id,
                                    eng_handedness side)
{
    prior *oldest = &hm->priors[0];
    for (int i = 0; i < MAX_PRIORS; i++) {
        prior *p = &hm->priors[i];
        if (p->id == id && p->side == side &&
            hm->frame - p->last_frame <= KEEP_FRAMES) {
            p->last_frame = hm->frame;
            return &p->track;
        }
        if (p->id == 0 || p->last_frame < oldest->last_frame)
            oldest = p;
    }
    memset(oldest, 0, sizeof(*oldest));
    oldest->id = id;
    oldest->side = side;
    oldest->last_frame = hm->frame;
    return &oldest->track;
}

void eng_handmesh_process(eng_handmesh *hm, const eng_hands_result *hands,
                          eng_handmesh_result *res)
{
    double t0 = eng_now_ms();
    hm->frame++;
    res->n_meshes = hands->n_hands;
    for (int i = 0; i < hands->n_hands; i++) {
        const eng_hand *h = &hands->hands[i];
        eng_hand_mesh *m = &res->meshes[i];
        int side = h->handedness == ENG_HAND_RIGHT;
        m->hand_id = h->id;
        m->side = h->handedness;
        eng_handfit_track *track = prior_for(hm, h->id, h->handedness);
        /* A refused hand is reported, not fatal; the message adds
         * nothing the flag does not say. */
        eng_error ignored;
        m->ok = eng_handfit_run(hm->fit[side], h->world, h->kp, track,
                                &m->fit, &ignored) == ENG_OK;
        if (!m->ok)
            memset(&m->fit, 0, sizeof(m->fit));
    }
    res->ms = eng_now_ms() - t0;
}

const eng_handmodel *eng_handmesh_model(const eng_handmesh *hm,
                                        eng_handedness side)
{
    return hm->model[side == ENG_HAND_RIGHT];
}

int eng_handmesh_max_verts(const eng_handmesh *hm)
{
    return hm->model[0]->n_verts > hm->model[1]->n_verts
               ? hm->model[0]->n_verts
               : hm->model[1]->n_verts;
}

void eng_handmesh_vertices(const eng_handmesh *hm, const eng_hand_mesh *mesh,
                           float *verts)
{
    eng_handmodel_skin(eng_handmesh_model(hm, mesh->side), &mesh->fit.pose,
                       verts, NULL);
}

void eng_handmesh_reset(eng_handmesh *hm)
{
    memset(hm->priors, 0, sizeof(hm->priors));
}
