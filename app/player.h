/*
 * player: the decode thread of the viewer. It reads a source (source.h)
 * into a frame queue (frameq.h) for the display thread, and carries out
 * seeks and loops, bumping the queue's serial so the display recognises
 * frames from before them (ffplay's read thread, without the packet
 * stage: app_source decodes).
 *
 * Seeking: app_source reads forward only, so a seek forward decodes and
 * drops frames up to the target, and a seek backward reopens the source
 * first. Exact to the frame (step back is "seek to index - 1") but slow
 * on long files: there is no keyframe index.
 *
 * What it does not do: pace frames (the display does), run the engine or
 * draw. Webcams cannot seek or loop.
 */
#ifndef APP_PLAYER_H
#define APP_PLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "frameq.h"
#include "source.h"

typedef struct app_player app_player;

/* Zero means default for every field. */
typedef struct app_player_desc {
    app_source_desc source;     /* borrowed for the call */
    bool loop;                  /* files: start again at the end */
    int queue;                  /* frames decoded ahead; default 4 (live
                                   sources: 1, the newest wins) */
} app_player_desc;

/* Opens the source (app_source_open's errors) and starts the thread.
 * *out is NULL on failure. */
eng_status app_player_open(const app_player_desc *desc, app_player **out,
                           eng_error *err);

/* Stops the thread (aborting the queue), closes the source, frees. NULL
 * is accepted. */
void app_player_close(app_player *p);

/* The queue the display reads from (owned by the player). */
app_frameq *app_player_queue(app_player *p);

/* What the source is (size and fps of its first frame). */
void app_player_info(app_player *p, app_source_info *info);

/* Asks for a seek to the first frame with index >= `index` (clamped to
 * 0). Returns at once; frames of the new position come with a new
 * serial. Ignored by live sources. */
void app_player_seek(app_player *p, int64_t index);

/* True once the end of the source is reached (and not looping) or it
 * failed; then *err (may be NULL) holds the failure, if any. */
bool app_player_ended(app_player *p, eng_status *st, eng_error *err);

#endif
