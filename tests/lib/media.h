/*
 * media: the tests' way to real frames — through the application's own
 * FFmpeg source (app/source.h), so pipeline tests exercise the decoding
 * path users get.
 */
#ifndef TEST_MEDIA_H
#define TEST_MEDIA_H

#include "image.h"
#include "source.h"

/* Opens a video, image or folder; NULL (and a failed check) on error. The
 * caller closes it with app_source_close(). */
app_source *test_open_source(const char *path);

/* Frame `index` of a video, image or folder, its pixels copied (the
 * caller frees rgb; name is NULL); a zeroed frame when there is none.
 * count, when not NULL, gets the number of frames in the source. */
app_frame test_read_frame(const char *path, int index, int *count);

/* The engine's view of a decoded frame (borrows its pixels). */
eng_image test_frame_image(const app_frame *f);

#endif
