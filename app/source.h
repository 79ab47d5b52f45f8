/*
 * source: where frames come from. A video file (anything FFmpeg reads), a
 * single image, a folder of images (sorted by name), or a webcam
 * (`webcam`, `webcam:N`, `/dev/videoN`, through libavdevice's V4L2 input).
 * Every frame is delivered as RGB24 with its timestamp; odd sizes,
 * rotation metadata and pixel formats are handled here so the engine only
 * ever sees RGB.
 *
 * Files deliver every frame; a webcam delivers the newest frame (older
 * ones are dropped, never queued). Errors name the file and what is wrong
 * ("broken.mp4: no video stream", "webcam:0: /dev/video0: No such file or
 * directory"); a damaged frame in the middle of a file is skipped and
 * counted, not fatal.
 *
 * Rotation: the stream's display matrix (phone videos) is applied in
 * quarter turns; a mirroring matrix is not undone, and images' EXIF
 * orientation is ignored (as MediaPipe does). Timestamps are kept strictly
 * increasing. FFmpeg's own log is silenced: messages come back through
 * eng_error only.
 */
#ifndef APP_SOURCE_H
#define APP_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

typedef struct app_source app_source;

typedef enum app_source_kind {
    APP_SOURCE_VIDEO,
    APP_SOURCE_IMAGE,
    APP_SOURCE_FOLDER,
    APP_SOURCE_WEBCAM,
} app_source_kind;

/* Zero means default for every field. */
typedef struct app_source_desc {
    const char *spec;        /* path, folder, or webcam spec (required) */
    int camera_width;        /* webcams: requested size, default 1280x720 */
    int camera_height;
    int camera_fps;          /* webcams: default 30 */
} app_source_desc;

typedef struct app_source_info {
    app_source_kind kind;
    int width, height;       /* of the first frame (images may vary) */
    double fps;              /* 0 when unknown (images) */
    int64_t frame_count;     /* -1 when unknown (webcam); for a file
                                without a count in its header, estimated
                                from the duration */
    int64_t skipped;         /* damaged frames (or unreadable images of a
                                folder) skipped so far */
} app_source_info;

/* One decoded frame. Buffers belong to the source and stay valid until
 * the next app_source_next() or app_source_close(). */
typedef struct app_frame {
    int width, height;
    int stride;              /* bytes per row */
    const uint8_t *rgb;      /* RGB24 */
    int64_t index;           /* 0-based, in delivery order */
    double t;                /* seconds: presentation time (files), capture
                                time (webcam), index / 30 (images) */
    const char *name;        /* image and folder sources: the file name;
                                else NULL */
    double decode_ms;        /* reading, decoding and converting it (the
                                first frame: opening the source too) */
} app_frame;

/* Opens the source and reads its first header. EIO when it cannot be
 * opened, EFORMAT when it has no decodable video, EUNSUPPORTED for a
 * pixel format or codec FFmpeg lacks. */
eng_status app_source_open(const app_source_desc *desc, app_source **out,
                           eng_error *err);

/* Describes the source (skipped grows as frames are read). */
void app_source_get_info(const app_source *s, app_source_info *info);

/* Decodes the next frame into *frame. Returns 1 with a frame, 0 at the end,
 * or -1 with err set (a fatal error: the device vanished, the file cannot
 * be read any more). */
int app_source_next(app_source *s, app_frame *frame, eng_error *err);

/* Closes the source. Accepts NULL. */
void app_source_close(app_source *s);

#endif
