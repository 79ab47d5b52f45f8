/*
 * matte_cmd: `posescope matte SOURCE --out DIR [options]`, person mattes
 * of every frame of SOURCE (video, image, folder or webcam; app/source.h)
 * written as PNGs, with a timing summary.
 *
 * Writes DIR/alpha/NAME.png (the alpha as grey), DIR/fg/NAME.png with
 * --fg (the estimated foreground, foreground.h), DIR/composite/NAME.png
 * with --background, and DIR/matte.csv (per frame: whether the model ran,
 * coarse, refine, foreground and composite ms). NAME is the image's own
 * name for image and folder sources, else the 6-digit frame index. The
 * summary line on stdout gives the mean ms per frame of each stage.
 *
 * Options: --model general|landscape|auto, --alpha-hint PATH (an image, a
 * folder or a video of grey masks, white = person, stretched over each
 * frame; a single image serves every frame), --background COLOR|blur|FILE
 * (COLOR is #RRGGBB or one of black, white, green, blue; FILE an image
 * stretched to the frame), --matte-every N, --threshold T, --feather PX,
 * --grow PX (negative erodes), --no-refine, --no-smoothing, --fg,
 * --frames N, --threads N.
 *
 * What it does not do: draw a window or record video (the viewer's
 * composite view does).
 */
#ifndef APP_MATTE_CMD_H
#define APP_MATTE_CMD_H

#include "cli.h"

app_status app_matte_cmd(int argc, char **argv, eng_error *err);

/* The options, one per line, for --help. */
extern const char app_matte_usage[];

#endif
