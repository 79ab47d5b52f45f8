/*
 * recorder: writes RGB24 frames to an H.264 MP4 (libavformat + libx264
 * through libavcodec), and single frames to PNG.
 *
 * The MP4 is fragmented (movflags frag_keyframe+empty_moov+
 * default_base_moof, a keyframe every 2 s): each fragment carries its own
 * index, so a file cut short (process killed, disk full) still plays up to
 * the last complete fragment. app_recorder_close() flushes the encoder and
 * writes the trailer; call it on every normal exit path, including after
 * SIGINT/SIGTERM (set a flag in the handler, leave the loop, close).
 *
 * Encoding: yuv420p, preset "veryfast", CRF 23. x264 runs on its own
 * frame threads, so app_recorder_write() costs the caller mostly the
 * RGB->YUV conversion; encoded data trails the input by a few frames
 * (x264's lookahead) until close. Odd sizes are padded to even by
 * repeating the last column/row; the padding is one pixel at most.
 *
 * What it does not do: audio, other codecs, scaling, or threads of its
 * own. Nothing is printed; errors come back as eng_error.
 */
#ifndef APP_RECORDER_H
#define APP_RECORDER_H

#include <stdint.h>

#include "status.h"

typedef struct app_recorder app_recorder;

/* Creates `path` (overwriting it) for frames of width x height (>= 1 each;
 * stored as the next even size) at `fps` (> 0: the nominal rate, used for
 * the time base hint and for frames written without a timestamp; <= 0
 * means 30). EIO when the file cannot be created, EBACKEND when FFmpeg
 * lacks libx264 or refuses the settings, EINVAL for bad sizes. On failure
 * *rec is NULL and nothing is left open (a created file may remain). */
eng_status app_recorder_open(const char *path, int width, int height,
                             double fps, app_recorder **rec, eng_error *err);

/* Encodes one frame: `rgb` (borrowed, read during the call only) is
 * width x height RGB24 with `stride` bytes per row. pts_seconds is the
 * frame's presentation time; a negative or non-finite value, or one not
 * after the previous frame's, is replaced by previous + 1/fps so the
 * stream stays strictly increasing. EIO when writing fails, EBACKEND when
 * the encoder does; the recorder must then still be closed. */
eng_status app_recorder_write(app_recorder *rec, const uint8_t *rgb,
                              int stride, double pts_seconds, eng_error *err);

/* Frames accepted so far. */
int64_t app_recorder_frames(const app_recorder *rec);

/* Flushes the encoder, writes the trailer, closes the file and frees rec
 * (always, even when it reports an error). Accepts NULL (returns ENG_OK).
 * EIO/EBACKEND when the final writes fail; the fragments already on disk
 * stay playable. */
eng_status app_recorder_close(app_recorder *rec, eng_error *err);

/* Writes one RGB24 image (borrowed) as a PNG through FFmpeg's PNG encoder
 * (no libpng). Allocates and frees its encoder per call: for screenshots
 * and plots, not per-frame recording. EIO when the file cannot be written,
 * EBACKEND when the encoder fails, EINVAL for bad sizes. */
eng_status app_write_png(const char *path, const uint8_t *rgb, int width,
                         int height, int stride, eng_error *err);

#endif
