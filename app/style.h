/*
 * style: how overlays look, in one place, for every renderer. The software
 * path (annotate.c: headless recordings) and the OpenGL renderer (render/)
 * read the same colours, widths and skeleton tables so that a recording
 * shows what the window shows.
 *
 * What it does not do: draw anything. Sizes are in frame pixels, scaled
 * with the frame by app_style_for_frame(); colours are sRGB bytes.
 *
 * Colours follow MediaPipe's reference overlays (drawing_styles.py): the
 * person's left side orange (255, 138, 0), the right side cyan
 * (0, 217, 231), the midline (nose, mouth, shoulders, hips) white; hands
 * by handedness: left green, right magenta.
 */
#ifndef APP_STYLE_H
#define APP_STYLE_H

#include <stdint.h>

#include "results.h"

typedef struct app_rgb {
    uint8_t r, g, b;
} app_rgb;

/* Which side of the body a keypoint or edge belongs to. */
typedef enum app_side {
    APP_SIDE_CENTER,
    APP_SIDE_LEFT,   /* the person's left */
    APP_SIDE_RIGHT,
    APP_SIDE_COUNT,
} app_side;

/* A skeleton edge between keypoints a and b, drawn in the colour of side. */
typedef struct app_edge {
    uint8_t a, b;
    uint8_t side;    /* app_side */
} app_edge;

#define APP_POSE_EDGE_COUNT 35
#define APP_HAND_EDGE_COUNT 21

/* The skeletons of mediapipe-models.md §7. */
extern const app_edge app_pose_edges[APP_POSE_EDGE_COUNT];
extern const app_edge app_hand_edges[APP_HAND_EDGE_COUNT];

typedef struct app_style {
    app_rgb pose[APP_SIDE_COUNT];   /* edges and points, by app_side */
    app_rgb hand[2];                /* by eng_handedness */
    app_rgb roi;                    /* ROI tracked from landmarks */
    app_rgb roi_detector;           /* ROI that came from the detector */
    app_rgb text;                   /* labels */
    app_rgb text_bg;                /* box behind labels */
    app_rgb point_rim;              /* outline around keypoints */
    float line_width;               /* skeleton edges, pixels */
    float point_radius;             /* keypoints, pixels */
    float roi_width;                /* ROI outlines, pixels */
    int font_scale;                 /* bitmap font magnification, >= 1 */
    float min_visibility;           /* pose points below are faint/hidden */
} app_style;

/* The style for a frame of this size: widths grow with the frame's short
 * side (2 px lines at 360 p, 4 px at 720 p) so overlays look the same at
 * any resolution. Never fails; sizes <= 0 give the 720 p style. */
app_style app_style_for_frame(int width, int height);

/* The side of pose keypoint i (0..32); CENTER for the nose and out of
 * range indices. */
app_side app_pose_point_side(int i);

#endif
