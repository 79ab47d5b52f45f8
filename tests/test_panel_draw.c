/*
 * test_panel_draw: the settings panel is drawn where its input maps
 * (app/panel.h), under Xvfb + llvmpipe (tests/xvfb.sh): over a white
 * target, the panel's translucent background covers its rectangle, the
 * controls that are on (body, full hands) are gold, those that are off
 * grey, the stride knob sits at "auto", and nothing is drawn outside.
 */
#include <stdlib.h>

#include "glwin.h"
#include "panel.h"
#include "render.h"
#include "testlib.h"

#define W 400
#define H 300
#define PX 10.0f   /* the panel's origin */
#define PY 20.0f

static uint8_t out[W * H * 3];

/* Checks the pixel under panel point (ux, uy) against rgb, +-8. */
static void expect(float ux, float uy, int r, int g, int b,
                   const char *what)
{
    int x = (int)(PX + ux), y = (int)(PY + uy);
    const uint8_t *p = out + ((size_t)y * W + x) * 3;
    CHECK(abs(p[0] - r) <= 8 && abs(p[1] - g) <= 8 && abs(p[2] - b) <= 8,
          "%s at (%d, %d): %d %d %d, want %d %d %d", what, x, y, p[0], p[1],
          p[2], r, g, b);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ren_window *win = test_gl_window();
    if (!win)
        return test_finish();
    eng_error err;
    ren_renderer *r = NULL;
    CHECK(ren_create(NULL, &r, &err) == ENG_OK, "renderer: %s", err.msg);
    if (r && ren_begin(r, W, H, &err) == ENG_OK) {
        app_pipeline_desc d = { .stride.mode = ENG_STRIDE_AUTO,
                                .pose_model = ENG_MODEL_FULL,
                                .smoothing_min_cutoff = 0.05f };
        ren_fill_rect(r, 0, 0, W, H, (app_rgb){ 255, 255, 255 }, 1);
        app_panel_draw(r, &d, PX, PY, 1);
        CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
        CHECK(ren_read_rgb(r, out, W * 3, &err) == ENG_OK, "read: %s",
              err.msg);
        /* black at 0.7 over white (77); gold / grey buttons at 0.9 over
         * that */
        expect(4, 100, 77, 77, 77, "background");
        expect(APP_PANEL_WIDTH - 3, APP_PANEL_HEIGHT - 3, 77, 77, 77,
               "background, far corner");
        app_panel_rect b = app_panel_rect_of(APP_PANEL_BODY);
        expect(b.x0 + 3, b.y0 + 1, 237, 197, 80, "body on");
        b = app_panel_rect_of(APP_PANEL_HAND_FULL);
        expect(b.x0 + 3, b.y0 + 1, 237, 197, 80, "hands full on");
        b = app_panel_rect_of(APP_PANEL_HAND_LITE);
        expect(b.x0 + 3, b.y0 + 1, 89, 89, 89, "hands lite off");
        b = app_panel_rect_of(APP_PANEL_POSE_HEAVY);
        expect(b.x0 + 3, b.y0 + 1, 89, 89, 89, "pose heavy off");
        b = app_panel_rect_of(APP_PANEL_STRIDE);
        expect(b.x1 - 4, 0.5f * (b.y0 + b.y1), 255, 210, 80,
               "stride knob at auto");
        expect(APP_PANEL_WIDTH + 5, 50, 255, 255, 255, "right of it");
        expect(50, APP_PANEL_HEIGHT + 5, 255, 255, 255, "under it");
    }
    ren_destroy(r);
    ren_window_destroy(win);
    return test_finish();
}
