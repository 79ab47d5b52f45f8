#include "media.h"

#include <stdlib.h>
#include <string.h>

#include "testlib.h"

app_source *test_open_source(const char *path)
{
    app_source_desc d = {.spec = path};
    app_source *s = NULL;
    eng_error err = {0};
    CHECK(app_source_open(&d, &s, &err) == ENG_OK, "%s: %s", path, err.msg);
    return s;
}

app_frame test_read_frame(const char *path, int index, int *count)
{
    app_frame out = {0};
    app_source *s = test_open_source(path);
    if (!s)
        return out;
    app_frame f;
    eng_error err;
    int n = 0;
    while (app_source_next(s, &f, &err) > 0) {
        if (n++ == index) {
            out = f;
            size_t bytes = (size_t)f.stride * f.height;
            uint8_t *copy = malloc(bytes);
            CHECK(copy != NULL, "out of memory");
            if (copy)
                memcpy(copy, f.rgb, bytes);
            out.rgb = copy;
            out.name = NULL;
        }
        if (!count && n > index)
            break;
    }
    if (count)
        *count = n;
    else
        CHECK(out.rgb != NULL, "%s: no frame %d", path, index);
    app_source_close(s);
    return out;
}

eng_image test_frame_image(const app_frame *f)
{
    return (eng_image){f->width, f->height, f->stride, f->rgb};
}
