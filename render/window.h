/*
 * window: an SDL2 window with an OpenGL 3.3 core context, made current on
 * the calling thread. Visible (resizable, HiDPI: the drawable may be
 * larger than the window) for the viewer, or hidden for offscreen
 * rendering (headless runs and tests under Xvfb).
 *
 * What it does not do: events (the viewer polls SDL itself) or drawing
 * (render.h). One window per process; the thread that creates it uses it.
 */
#ifndef REN_WINDOW_H
#define REN_WINDOW_H

#include <stdbool.h>

#include "status.h"

typedef struct ren_window ren_window;

/* Zero means default for every field. */
typedef struct ren_window_desc {
    const char *title;       /* default "posescope" */
    int width, height;       /* window size in screen units; default
                                1280x720 */
    bool hidden;             /* offscreen use: never shown */
    bool vsync;              /* swap on the display's refresh */
} ren_window_desc;

/* Starts SDL's video subsystem and opens the window and its context.
 * EBACKEND with SDL's message when there is no display ("no display" when
 * neither DISPLAY nor WAYLAND_DISPLAY is set, without trying) or no
 * OpenGL 3.3 core. *out is NULL on failure. */
eng_status ren_window_create(const ren_window_desc *desc, ren_window **out,
                             eng_error *err);

/* Closes the window and SDL's video subsystem. Accepts NULL. */
void ren_window_destroy(ren_window *w);

/* The drawable size in pixels (HiDPI: may exceed the window size). */
void ren_window_drawable_size(const ren_window *w, int *width, int *height);

/* Shows the back buffer. */
void ren_window_swap(ren_window *w);

/* Toggles desktop fullscreen. */
void ren_window_toggle_fullscreen(ren_window *w);

/* Resizes the window (screen units). */
void ren_window_resize(ren_window *w, int width, int height);

#endif
