#include "media.h"

#include "testlib.h"

app_source *test_open_source(const char *path)
{
    app_source_desc d = {.spec = path};
    app_source *s = NULL;
    eng_error err = {0};
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "%s: %s", path, err.msg);
    return s;
}

eng_image test_frame_image(const app_frame *f)
{
    return (eng_image){f->width, f->height, f->stride, f->rgb};
}
