/*
 * test_pose_multi: several people on real video. On the baseball clip
 * (CC BY 3.0) the umpire and the batter stand apart for the first 45
 * frames of the first shot; with --max-people 3 both must be tracked on
 * every one of those frames, each under one id that never changes, and no
 * person may be tracked twice.
 */
#include <math.h>
#include <stdio.h>

#include "media.h"
#include "pose.h"
#include "testlib.h"

#define VIDEO POSESCOPE_TEST_DATA "/media/videos/baseball_ccby_vimeo259109418.mp4"
#define FIRST 1  /* frame 0 is the detector's first look */
#define LAST 44  /* the batter starts running afterwards */

/* Nose positions by track id (ids are small here). */
typedef struct seen {
    float x[16], y[16];
    int frames[16];
} seen;

/* Checks one frame: two people, distinct, each id moving a plausible
 * amount since its last frame. */
static void check_frame(int n, const eng_pose_result *res, seen *s)
{
    CHECK(res->n_people == 2, "frame %d: %d people, want 2", n,
          res->n_people);
    if (res->n_people != 2)
        return;
    const eng_person *a = &res->people[0], *b = &res->people[1];
    CHECK(a->id != b->id, "frame %d: one id twice", n);
    float apart = hypotf(a->kp[0][0] - b->kp[0][0], a->kp[0][1] - b->kp[0][1]);
    CHECK(apart > 100.0f, "frame %d: the two people are %.0f px apart: one "
          "person tracked twice", n, apart);
    for (int i = 0; i < 2; i++) {
        const eng_person *p = &res->people[i];
        if (p->id < 1 || p->id >= 16) {
            CHECK(0, "frame %d: id %d out of range", n, p->id);
            continue;
        }
        if (s->frames[p->id]) {
            float moved = hypotf(p->kp[0][0] - s->x[p->id],
                                 p->kp[0][1] - s->y[p->id]);
            CHECK(moved < 40.0f, "frame %d: id %d jumped %.0f px: ids "
                  "swapped or re-assigned", n, p->id, moved);
        }
        s->x[p->id] = p->kp[0][0];
        s->y[p->id] = p->kp[0][1];
        s->frames[p->id]++;
    }
}

int main(void)
{
    eng_runtime *rt = NULL;
    eng_pose *pose = NULL;
    eng_error err = {0};
    char det[512], lm[512];
    eng_pose_desc d = {
        .detector_path = test_model_path("pose_detection", det, sizeof(det)),
        .landmark_path = test_model_path("pose_landmark_full", lm,
                                         sizeof(lm)),
        .max_people = 3,
    };
    app_source *src = test_open_source(VIDEO);
    if (!src || eng_runtime_create(&(eng_runtime_desc){0}, &rt, &err) ||
        eng_pose_create(rt, &d, &pose, &err)) {
        CHECK(0, "setup: %s", err.msg);
        goto out;
    }
    seen s = {0};
    app_frame f;
    for (int n = 0; n <= LAST && app_source_next(src, &f, &err) == 1; n++) {
        eng_image img = test_frame_image(&f);
        eng_pose_result res;
        CHECK(eng_pose_process(pose, &img, f.t, &res, &err) == ENG_OK, "%s",
              err.msg);
        if (n >= FIRST)
            check_frame(n, &res, &s);
    }
    int ids = 0;
    for (int i = 0; i < 16; i++)
        ids += s.frames[i] > 0;
    CHECK(ids == 2, "%d ids over frames %d-%d, want 2", ids, FIRST, LAST);
    printf("baseball, frames %d-%d: %d track ids for 2 people\n", FIRST, LAST,
           ids);
out:
    app_source_close(src);
    eng_pose_destroy(pose);
    eng_runtime_destroy(rt);
    return test_finish();
}
