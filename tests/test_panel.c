/*
 * test_panel: the settings panel's input, with no display. A press on
 * each control changes exactly its desc field; presses outside the
 * controls change nothing (and outside the panel are not consumed); the
 * sliders map positions to strides and cutoffs and follow drags; turning
 * off both tasks is refused.
 */

#include "panel.h"
#include "testlib.h"

static app_pipeline_desc defaults(void)
{
    app_pipeline_desc d = { 0 };
    d.stride.mode = ENG_STRIDE_AUTO;
    d.stride.max_stride = 30;
    d.pose_model = ENG_MODEL_FULL;
    d.smoothing_min_cutoff = 0.05f;
    return d;
}

/* Field by field: the struct has padding, so no memcmp. */
static bool same(const app_pipeline_desc *a, const app_pipeline_desc *b)
{
    return a->max_people == b->max_people && a->max_hands == b->max_hands &&
           a->stride.mode == b->stride.mode &&
           a->stride.stride == b->stride.stride &&
           a->stride.max_stride == b->stride.max_stride &&
           a->pose_model == b->pose_model && a->hand_lite == b->hand_lite &&
           a->no_pose == b->no_pose && a->no_hands == b->no_hands &&
           a->no_smoothing == b->no_smoothing &&
           a->no_hand_mesh == b->no_hand_mesh &&
           a->mano_dir == b->mano_dir &&
           a->smoothing_min_cutoff == b->smoothing_min_cutoff &&
           a->static_images == b->static_images &&
           a->pose_segmentation == b->pose_segmentation &&
           a->threads == b->threads && a->numerics == b->numerics;
}

static void centre(app_panel_control c, float *x, float *y)
{
    app_panel_rect r = app_panel_rect_of(c);
    *x = 0.5f * (r.x0 + r.x1);
    *y = 0.5f * (r.y0 + r.y1);
}

/* Presses control c on the defaults; returns the new desc. */
static app_pipeline_desc press(app_panel_control c, bool *changed)
{
    app_pipeline_desc d = defaults();
    app_panel p = { 0 };
    float x, y;
    centre(c, &x, &y);
    CHECK(app_panel_press(&p, x, y, &d, changed), "control %d consumed", c);
    CHECK(app_panel_hit(x, y) == c, "hit(centre of %d)", c);
    app_panel_release(&p);
    return d;
}

static void test_each_control(void)
{
    const app_pipeline_desc d0 = defaults();
    bool ch;
    app_pipeline_desc d;

    d = press(APP_PANEL_BODY, &ch);
    CHECK(ch && d.no_pose, "body toggles off");
    d.no_pose = false;
    CHECK(same(&d, &d0), "body: only no_pose");

    d = press(APP_PANEL_HANDS, &ch);
    CHECK(ch && d.no_hands, "hands toggle off");
    d.no_hands = false;
    CHECK(same(&d, &d0), "hands: only no_hands");

    d = press(APP_PANEL_POSE_LITE, &ch);
    CHECK(ch && d.pose_model == ENG_MODEL_LITE, "pose lite");
    d.pose_model = ENG_MODEL_FULL;
    CHECK(same(&d, &d0), "pose lite: only pose_model");

    d = press(APP_PANEL_POSE_HEAVY, &ch);
    CHECK(ch && d.pose_model == ENG_MODEL_HEAVY, "pose heavy");
    d.pose_model = ENG_MODEL_FULL;
    CHECK(same(&d, &d0), "pose heavy: only pose_model");

    d = press(APP_PANEL_POSE_FULL, &ch);
    CHECK(!ch && same(&d, &d0), "pose full: already");

    d = press(APP_PANEL_HAND_LITE, &ch);
    CHECK(ch && d.hand_lite, "hand lite");
    d.hand_lite = false;
    CHECK(same(&d, &d0), "hand lite: only hand_lite");

    d = press(APP_PANEL_HAND_FULL, &ch);
    CHECK(!ch && same(&d, &d0), "hand full: already");

    d = press(APP_PANEL_STRIDE, &ch);
    CHECK(ch && d.stride.mode == ENG_STRIDE_FIXED && d.stride.stride == 5,
          "stride centre is 5 (got mode %d stride %d)", d.stride.mode,
          d.stride.stride);
    CHECK(d.stride.max_stride == 30, "max_stride kept");
    d.stride = d0.stride;
    CHECK(same(&d, &d0), "stride: only stride");

    d = press(APP_PANEL_SMOOTHING, &ch);
    CHECK(ch && d.smoothing_min_cutoff != d0.smoothing_min_cutoff,
          "smoothing moves");
    d.smoothing_min_cutoff = d0.smoothing_min_cutoff;
    CHECK(same(&d, &d0), "smoothing: only the cutoff");
}

static void test_outside(void)
{
    const app_pipeline_desc d0 = defaults();
    app_pipeline_desc d = d0;
    app_panel p = { 0 };
    bool ch = true;
    /* the title row and the gaps between buttons: in the panel, no
     * control */
    const float in[][2] = { { 4, 4 }, { 110, 80 }, { 100, 105 },
                            { 74, 128 }, { 2, 228 } };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        CHECK(app_panel_hit(in[i][0], in[i][1]) == APP_PANEL_NONE,
              "(%g, %g) is no control", in[i][0], in[i][1]);
        CHECK(app_panel_press(&p, in[i][0], in[i][1], &d, &ch) && !ch,
              "(%g, %g): consumed, unchanged", in[i][0], in[i][1]);
        CHECK(!app_panel_drag(&p, 100, 54, &d), "nothing grabbed");
        app_panel_release(&p);
    }
    const float out[][2] = { { -1, 50 }, { 50, -1 },
                             { APP_PANEL_WIDTH, 50 },
                             { 50, APP_PANEL_HEIGHT }, { 500, 500 } };
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        CHECK(!app_panel_press(&p, out[i][0], out[i][1], &d, &ch) && !ch,
              "(%g, %g) outside: not consumed", out[i][0], out[i][1]);
        CHECK(!p.held, "outside: nothing held");
    }
    CHECK(same(&d, &d0), "outside: desc unchanged");
}

static void test_stride_slider(void)
{
    app_panel_rect r = app_panel_rect_of(APP_PANEL_STRIDE);
    float y = 0.5f * (r.y0 + r.y1);
    /* the track runs from 12 to 208 in 9 steps of 24.5: 1..8, auto */
    for (int i = 0; i < 9; i++) {
        app_pipeline_desc d = defaults();
        if (i == 8) {   /* start elsewhere so auto is a change */
            d.stride.mode = ENG_STRIDE_FIXED;
            d.stride.stride = 3;
        }
        app_panel p = { 0 };
        bool ch;
        /* near a step, not on it (and inside the track) */
        float x = 12 + 24.5f * i + (i % 2 || i == 0 ? 9 : -9);
        app_panel_press(&p, x, y, &d, &ch);
        if (i < 8)
            CHECK(ch && d.stride.mode == ENG_STRIDE_FIXED &&
                  d.stride.stride == i + 1, "x %g: stride %d (got %d)", x,
                  i + 1, d.stride.stride);
        else
            CHECK(ch && d.stride.mode == ENG_STRIDE_AUTO, "x %g: auto", x);
    }
    /* a drag follows x, clamped to the ends, wherever y goes */
    app_pipeline_desc d = defaults();
    app_panel p = { 0 };
    bool ch;
    app_panel_press(&p, 12, y, &d, &ch);
    CHECK(p.grabbed == APP_PANEL_STRIDE && d.stride.stride == 1,
          "grabbed at 1");
    CHECK(app_panel_drag(&p, 12 + 24.5f * 3, 900, &d) &&
          d.stride.stride == 4, "dragged to 4");
    CHECK(!app_panel_drag(&p, 12 + 24.5f * 3 + 2, 900, &d),
          "same step: no change");
    CHECK(app_panel_drag(&p, -300, y, &d) && d.stride.stride == 1,
          "clamped left to 1");
    CHECK(app_panel_drag(&p, 900, y, &d) &&
          d.stride.mode == ENG_STRIDE_AUTO, "clamped right to auto");
    app_panel_release(&p);
    CHECK(!app_panel_drag(&p, 12, y, &d) && d.stride.mode == ENG_STRIDE_AUTO,
          "released: drags do nothing");
}

static void test_smoothing_slider(void)
{
    app_panel_rect r = app_panel_rect_of(APP_PANEL_SMOOTHING);
    float y = 0.5f * (r.y0 + r.y1);
    float step = (208.0f - 12.0f) / (APP_PANEL_CUTOFF_STEPS - 1);
    for (int k = 0; k < APP_PANEL_CUTOFF_STEPS; k++) {
        app_pipeline_desc d = defaults();
        app_panel p = { 0 };
        bool ch;
        app_panel_press(&p, 12 + step * k, y, &d, &ch);
        float want = APP_PANEL_CUTOFF_MIN * (float)(1 << k);
        CHECK(d.smoothing_min_cutoff == want && ch == (want != 0.05f),
              "step %d: %g Hz (got %g)", k, want, d.smoothing_min_cutoff);
    }
    /* the default 0.05 Hz is a step (the +/- keys' ladder) */
    CHECK(0.05f == APP_PANEL_CUTOFF_MIN * 8, "0.05 Hz on the ladder");
}

static void test_one_task_stays(void)
{
    float bx, by, hx, hy;
    centre(APP_PANEL_BODY, &bx, &by);
    centre(APP_PANEL_HANDS, &hx, &hy);
    app_pipeline_desc d = defaults();
    app_panel p = { 0 };
    bool ch;
    app_panel_press(&p, bx, by, &d, &ch);
    CHECK(ch && d.no_pose && !d.no_hands, "body off");
    app_panel_press(&p, hx, hy, &d, &ch);
    CHECK(!ch && d.no_pose && !d.no_hands, "hands off refused");
    app_panel_press(&p, bx, by, &d, &ch);
    CHECK(ch && !d.no_pose, "body back on");
    app_panel_press(&p, hx, hy, &d, &ch);
    CHECK(ch && d.no_hands, "hands off");
    app_panel_press(&p, bx, by, &d, &ch);
    CHECK(!ch && !d.no_pose && d.no_hands, "body off refused");
}

int main(void)
{
    test_each_control();
    test_outside();
    test_stride_slider();
    test_smoothing_slider();
    test_one_task_stays();
    return test_finish();
}
