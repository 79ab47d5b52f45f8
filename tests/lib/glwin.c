#include "glwin.h"

#include <stdbool.h>

#include "testlib.h"

ren_window *test_gl_window(void)
{
    ren_window *win = NULL;
    eng_error err;
    ren_window_desc wd = { .hidden = true, .width = 64, .height = 64 };
    eng_status st = ren_window_create(&wd, &win, &err);
    CHECK(st == ENG_OK, "window: %s", err.msg);
    return st == ENG_OK ? win : NULL;
}
