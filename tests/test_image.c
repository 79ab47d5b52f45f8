/* Crops against direct pixel reads: identity, 90-degree rotation, letterbox
 * fractions, borders, and the crop-to-frame inverse mapping. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "image.h"
#include "testlib.h"

enum { W = 7, H = 5 };

static uint8_t px[H][W][3];

static eng_image make_image(void)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                px[y][x][c] = (uint8_t)(x * 30 + y * 7 + c * 50);
    return (eng_image){W, H, W * 3, &px[0][0][0]};
}

static void test_identity(void)
{
    eng_image img = make_image();
    eng_roi roi = {0.5f, 0.5f, 1.0f, 1.0f, 0.0f};
    eng_crop_desc d = {W, H, 0.0f, 255.0f, ENG_BORDER_ZERO, false};
    float out[H * W * 3];
    eng_crop_map map;
    eng_crop(&img, &roi, &d, out, &map);
    double e = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                e = fmax(e, fabs(out[(y * W + x) * 3 + c] - px[y][x][c]));
    CHECK(e < 1e-3, "identity crop differs by %g", e);
}

static void test_rotation(void)
{
    /* A square ROI turned 90 degrees clockwise: its x axis points down the
     * frame, so tensor row i, column j reads frame pixel (x = n-1-i, y = j):
     * content whose top points right comes out upright. */
    eng_image img = make_image();
    int n = 5;
    eng_roi roi = {(n / 2.0f) / W, 0.5f, (float)n / W, 1.0f, (float)M_PI / 2};
    eng_crop_desc d = {n, n, 0.0f, 255.0f, ENG_BORDER_REPLICATE, false};
    float out[5 * 5 * 3];
    eng_crop_map map;
    eng_crop(&img, &roi, &d, out, &map);
    double e = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            e = fmax(e, fabs(out[(i * n + j) * 3] - px[j][n - 1 - i][0]));
    CHECK(e < 1e-2, "90-degree crop differs by %g", e);
}

static void test_letterbox_and_inverse(void)
{
    eng_image img = make_image();
    eng_roi roi = {0.5f, 0.5f, 1.0f, 1.0f, 0.0f};
    eng_crop_desc d = {14, 14, -1.0f, 1.0f, ENG_BORDER_ZERO, true};
    float out[14 * 14 * 3];
    eng_crop_map map;
    eng_crop(&img, &roi, &d, out, &map);
    /* 7x5 into a square: 1/7 of the height is padding on each side. */
    CHECK(fabsf(map.pad_t - 1.0f / 7) < 1e-6 && map.pad_l == 0.0f,
          "letterbox fractions %g %g", map.pad_t, map.pad_l);
    CHECK(out[0] == -1.0f && out[13 * 14 * 3 + 5] == -1.0f,
          "zero border must give the range's low end");
    float x, y;
    eng_crop_to_frame(&map, 0.5f, 0.5f, &x, &y);
    CHECK(fabsf(x - 3.5f) < 1e-5 && fabsf(y - 2.5f) < 1e-5,
          "centre maps to %g,%g", x, y);
    eng_crop_to_frame(&map, 0.0f, 1.0f / 7, &x, &y);
    CHECK(fabsf(x) < 1e-5 && fabsf(y) < 1e-4, "corner maps to %g,%g", x, y);
}

static void test_far_outside(void)
{
    eng_image img = make_image();
    eng_roi roi = {1e9f, -1e9f, 1e-3f, 1e-3f, 1.0f};
    eng_crop_desc d = {4, 4, 0.0f, 1.0f, ENG_BORDER_ZERO, true};
    float out[4 * 4 * 3];
    eng_crop_map map;
    eng_crop(&img, &roi, &d, out, &map);
    int zero = 1;
    for (int i = 0; i < 48; i++)
        zero &= out[i] == 0.0f;
    CHECK(zero, "a ROI far outside the frame must read the zero border");
}

int main(void)
{
    test_identity();
    test_rotation();
    test_letterbox_and_inverse();
    test_far_outside();
    return test_finish();
}
