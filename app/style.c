/*
 * style: the overlay look shared by the software and OpenGL renderers.
 */
#include "style.h"

#include <math.h>

#define L APP_SIDE_LEFT
#define R APP_SIDE_RIGHT
#define C APP_SIDE_CENTER

/* mediapipe-models.md §7, in its order. An edge is LEFT/RIGHT when its
 * points are on that side (the nose counts for either eye), CENTER when
 * it crosses the midline. */
const app_edge app_pose_edges[APP_POSE_EDGE_COUNT] = {
    {0, 1, L}, {1, 2, L}, {2, 3, L}, {3, 7, L},
    {0, 4, R}, {4, 5, R}, {5, 6, R}, {6, 8, R},
    {9, 10, C},
    {11, 12, C}, {11, 23, L}, {12, 24, R}, {23, 24, C},
    {11, 13, L}, {13, 15, L}, {15, 17, L}, {15, 19, L}, {15, 21, L},
    {17, 19, L},
    {12, 14, R}, {14, 16, R}, {16, 18, R}, {16, 20, R}, {16, 22, R},
    {18, 20, R},
    {23, 25, L}, {25, 27, L}, {27, 29, L}, {29, 31, L}, {27, 31, L},
    {24, 26, R}, {26, 28, R}, {28, 30, R}, {30, 32, R}, {28, 32, R},
};

/* Hands are one colour (by handedness); side is unused and CENTER. */
const app_edge app_hand_edges[APP_HAND_EDGE_COUNT] = {
    {0, 1, C}, {0, 5, C}, {5, 9, C}, {9, 13, C}, {13, 17, C}, {0, 17, C},
    {1, 2, C}, {2, 3, C}, {3, 4, C},
    {5, 6, C}, {6, 7, C}, {7, 8, C},
    {9, 10, C}, {10, 11, C}, {11, 12, C},
    {13, 14, C}, {14, 15, C}, {15, 16, C},
    {17, 18, C}, {18, 19, C}, {19, 20, C},
};

#undef L
#undef R
#undef C

app_side app_pose_point_side(int i)
{
    if (i <= 0 || i >= ENG_POSE_POINTS)
        return APP_SIDE_CENTER;
    /* Eyes 1-3 and ear 7 are left, 4-6 and 8 right; from 9 on, odd
     * indices are the left side (mouth_left, left_shoulder, ...). */
    if (i <= 8)
        return (i <= 3 || i == 7) ? APP_SIDE_LEFT : APP_SIDE_RIGHT;
    return (i % 2) ? APP_SIDE_LEFT : APP_SIDE_RIGHT;
}

app_style app_style_for_frame(int width, int height)
{
    int short_side = width < height ? width : height;
    if (width <= 0 || height <= 0)
        short_side = 720;
    /* 720 p is the design size; keep lines at least 1.5 px so they stay
     * visible on thumbnails. */
    float k = (float)short_side / 720.0f;
    float line = fmaxf(1.5f, 4.0f * k);
    app_style s = {
        .pose = {
            [APP_SIDE_CENTER] = {255, 255, 255},
            [APP_SIDE_LEFT] = {255, 138, 0},
            [APP_SIDE_RIGHT] = {0, 217, 231},
        },
        .hand = {
            [ENG_HAND_LEFT] = {48, 220, 64},
            [ENG_HAND_RIGHT] = {230, 40, 230},
        },
        .roi = {255, 235, 60},
        .roi_detector = {255, 60, 60},
        .text = {255, 255, 255},
        .text_bg = {0, 0, 0},
        .point_rim = {32, 32, 32},
        .line_width = line,
        .point_radius = fmaxf(2.0f, 5.0f * k),
        .roi_width = fmaxf(1.0f, 2.0f * k),
        .font_scale = short_side >= 540 ? 3 : short_side >= 270 ? 2 : 1,
        .min_visibility = 0.5f,
    };
    return s;
}
