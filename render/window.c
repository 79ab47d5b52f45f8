/*
 * window: see window.h.
 */
#include "window.h"

#include <SDL2/SDL.h>
#include <stdlib.h>

struct ren_window {
    SDL_Window *win;
    SDL_GLContext ctx;
    bool fullscreen;
};

eng_status ren_window_create(const ren_window_desc *desc, ren_window **out,
                             eng_error *err)
{
    static const ren_window_desc defaults;
    desc = desc ? desc : &defaults;
    *out = NULL;
    /* SDL would otherwise try its other video drivers and print nothing
     * useful: say plainly what is missing */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        return eng_fail(err, ENG_EBACKEND, "no display");
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
        return eng_fail(err, ENG_EBACKEND, "SDL video: %s", SDL_GetError());
    ren_window *w = calloc(1, sizeof(*w));
    if (!w) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 3);
    SDL_GL_SetAttribute(SDL_GL_CONTEXT_PROFILE_MASK,
                        SDL_GL_CONTEXT_PROFILE_CORE);
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    Uint32 flags = SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE |
                   SDL_WINDOW_ALLOW_HIGHDPI |
                   (desc->hidden ? SDL_WINDOW_HIDDEN : SDL_WINDOW_SHOWN);
    w->win = SDL_CreateWindow(desc->title ? desc->title : "posescope",
                              SDL_WINDOWPOS_CENTERED,
                              SDL_WINDOWPOS_CENTERED,
                              desc->width > 0 ? desc->width : 1280,
                              desc->height > 0 ? desc->height : 720, flags);
    if (w->win)
        w->ctx = SDL_GL_CreateContext(w->win);
    if (!w->ctx) {
        eng_fail(err, ENG_EBACKEND, "OpenGL 3.3 core window: %s",
                 SDL_GetError());
        ren_window_destroy(w);
        return ENG_EBACKEND;
    }
    SDL_GL_SetSwapInterval(desc->vsync ? 1 : 0);
    *out = w;
    return ENG_OK;
}

void ren_window_destroy(ren_window *w)
{
    if (!w)
        return;
    if (w->ctx)
        SDL_GL_DeleteContext(w->ctx);
    if (w->win)
        SDL_DestroyWindow(w->win);
    free(w);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void ren_window_drawable_size(const ren_window *w, int *width, int *height)
{
    SDL_GL_GetDrawableSize(w->win, width, height);
}

void ren_window_swap(ren_window *w)
{
    SDL_GL_SwapWindow(w->win);
}

void ren_window_toggle_fullscreen(ren_window *w)
{
    w->fullscreen = !w->fullscreen;
    SDL_SetWindowFullscreen(w->win, w->fullscreen
                                        ? SDL_WINDOW_FULLSCREEN_DESKTOP
                                        : 0);
}

void ren_window_resize(ren_window *w, int width, int height)
{
    SDL_SetWindowSize(w->win, width, height);
}
