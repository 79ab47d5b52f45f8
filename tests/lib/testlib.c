#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"

static int passed, failed;

void test_check(int ok, const char *file, int line, const char *fmt, ...)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int test_finish(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

int test_finish_in(const char *dir)
{
    if (test_finish() != 0) {
        fprintf(stderr, "outputs kept in %s\n", dir);
        return 1;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}

uint8_t *test_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        CHECK(0, "cannot open %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        CHECK(0, "cannot read %s", path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

float *test_load_npy(const char *path, int *ndim, int dims[8], size_t *count)
{
    eng_error err = {0};
    eng_npy arr;
    if (eng_npy_read(path, &arr, &err) != ENG_OK) {
        CHECK(0, "%s", err.msg);
        return NULL;
    }
    *ndim = arr.ndim;
    for (int i = 0; i < arr.ndim && i < 8; i++)
        dims[i] = arr.dims[i];
    *count = arr.count;
    return arr.data;
}

const char *test_model_path(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("POSESCOPE_MODELS");
    if (dir && *dir) {
        snprintf(buf, cap, "%s/%s.tflite", dir, name);
        return buf;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg)
        snprintf(buf, cap, "%s/posescope/models/%s.tflite", xdg, name);
    else
        snprintf(buf, cap, "%s/.cache/posescope/models/%s.tflite",
                 getenv("HOME") ? getenv("HOME") : ".", name);
    return buf;
}

uint32_t test_rand_u32(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return (uint32_t)(x >> 32);
}

float test_rand_uniform(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)(test_rand_u32(s) >> 8) / 16777216.0f;
}
