/*
 * glwin: the OpenGL context of the tests that draw (under Xvfb, through
 * tests/xvfb.sh).
 */
#ifndef TEST_GLWIN_H
#define TEST_GLWIN_H

#include "window.h"

/* A hidden 64x64 window whose OpenGL 3.3 context is current, for drawing
 * into off-screen targets; NULL (and a failed check) when there is none.
 * The caller destroys it with ren_window_destroy(). */
ren_window *test_gl_window(void);

#endif
