/*
 * test_npy: engine/npy.c against the format the reference tools write
 * (v1.0, data at byte 128), NumPy's other header variants, and corrupt
 * headers, each of which must be EFORMAT with no partial result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"
#include "testlib.h"

static char tmpdir[] = "/tmp/test_npy-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, n, f) == n, "write %s", path);
    if (f)
        fclose(f);
}

/* Builds a .npy file: magic, version, header (as given, no padding added)
 * and `data_bytes` bytes of data. */
static void write_npy(const char *path, int major, const char *header,
                      const void *data, size_t data_bytes)
{
    size_t hlen = strlen(header);
    size_t prefix = major == 1 ? 10 : 12;
    unsigned char *buf = malloc(prefix + hlen + data_bytes);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    for (size_t i = 0; i < prefix - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + prefix, header, hlen);
    if (data_bytes)
        memcpy(buf + prefix + hlen, data, data_bytes);
    write_bytes(path, buf, prefix + hlen + data_bytes);
    free(buf);
}

static void test_round_trip(void)
{
    const int dims[4] = { 1, 3, 5, 2 };
    float data[30];
    for (int i = 0; i < 30; i++)
        data[i] = (float)i * 0.5f - 3.25f;
    const char *path = tmp_path("rt.npy");
    eng_error err = { .msg = "" };
    CHECK(eng_npy_write(path, 4, dims, data, &err) == ENG_OK, "write: %s",
          err.msg);

    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    CHECK(raw && size == 128 + sizeof(data), "file size %zu", size);
    if (raw) {
        CHECK(!memcmp(raw, "\x93NUMPY\x01\x00", 8), "magic and v1.0");
        CHECK(raw[8] + 256 * raw[9] == 118, "header length %d",
              raw[8] + 256 * raw[9]);
        CHECK(raw[127] == '\n', "header ends with a newline");
        const char *want = "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (1, 3, 5, 2), }";
        CHECK(!memcmp(raw + 10, want, strlen(want)), "dict as numpy writes");
        CHECK(!memcmp(raw + 128, data, sizeof(data)), "data at byte 128");
        free(raw);
    }

    eng_npy a;
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK, "read: %s", err.msg);
    CHECK(a.ndim == 4 && a.dims[0] == 1 && a.dims[1] == 3 &&
          a.dims[2] == 5 && a.dims[3] == 2 && a.count == 30, "shape back");
    CHECK(!memcmp(a.data, data, sizeof(data)), "values back");
    free(a.data);
}

static void test_shapes_written(void)
{
    float x[3] = { 1, 2, 3 };
    const int one[1] = { 3 };
    eng_error err;
    eng_npy a;
    const char *path = tmp_path("vec.npy");
    CHECK(eng_npy_write(path, 1, one, x, &err) == ENG_OK, "1-d write");
    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    CHECK(raw && strstr((char *)raw + 10, "'shape': (3,), }") != NULL,
          "1-d tuple has its comma");
    free(raw);
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK && a.ndim == 1 &&
          a.count == 3, "1-d read");
    free(a.data);

    path = tmp_path("scalar.npy");
    CHECK(eng_npy_write(path, 0, NULL, x, &err) == ENG_OK, "0-d write");
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK && a.ndim == 0 &&
          a.count == 1 && a.data[0] == 1.0f, "0-d read: %s", err.msg);
    free(a.data);

    /* A long header moves the data to the next multiple of 64. */
    const int big[8] = { 1, 1, 1, 1, 1, 1, 1, 3 };
    path = tmp_path("8d.npy");
    CHECK(eng_npy_write(path, 8, big, x, &err) == ENG_OK, "8-d write");
    raw = test_read_file(path, &size);
    CHECK(raw && (size - 12) % 64 == 0, "8-d data aligned to 64");
    free(raw);
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK && a.ndim == 8 &&
          a.count == 3, "8-d read");
    free(a.data);
}

/* Header dicts NumPy (any version) may write, all valid. */
static void test_header_variants(void)
{
    static const char *const headers[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
        "{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":(2,3)}\n",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}   \n",
        "{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }\n",
        ("{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : "
         "( 2 , 3 , ) , }\n"),
    };
    float x[6] = { 1, 2, 3, 4, 5, 6 };
    for (int major = 1; major <= 3; major++) {
        for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
            const char *path = tmp_path("variant.npy");
            write_npy(path, major, headers[i], x, sizeof(x));
            eng_npy a;
            eng_error err = { .msg = "" };
            eng_status st = eng_npy_read(path, &a, &err);
            CHECK(st == ENG_OK && a.ndim == 2 && a.dims[0] == 2 &&
                  a.dims[1] == 3 && a.data[5] == 6.0f,
                  "v%d variant %zu: %s", major, i, err.msg);
            if (st == ENG_OK)
                free(a.data);
        }
    }
}

static void test_float64(void)
{
    double d[4] = { 0.5, -1.25, 1e-3, 3.0 };
    const char *path = tmp_path("f8.npy");
    write_npy(path, 1, "{'descr': '<f8', 'fortran_order': False, "
              "'shape': (4,), }\n", d, sizeof(d));
    eng_npy a;
    eng_error err = { .msg = "" };
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK, "f8: %s", err.msg);
    CHECK(a.count == 4 && a.data[1] == -1.25f && a.data[2] == 1e-3f,
          "f8 converted");
    free(a.data);
}

static void expect_format_error(const char *what, const void *bytes,
                                size_t n)
{
    const char *path = tmp_path("bad.npy");
    write_bytes(path, bytes, n);
    eng_npy a = { .data = (float *)&a };
    eng_error err = { .msg = "" };
    eng_status st = eng_npy_read(path, &a, &err);
    CHECK(st == ENG_EFORMAT, "%s: status %s (%s)", what,
          eng_status_name(st), err.msg);
    CHECK(a.data == (float *)&a, "%s: output untouched", what);
    CHECK(err.msg[0] != '\0', "%s: has a message", what);
}

static void expect_bad_header(const char *what, int major,
                              const char *header, size_t data_bytes)
{
    static const float zeros[64];
    const char *path = tmp_path("badh.npy");
    write_npy(path, major, header, zeros, data_bytes);
    size_t size;
    uint8_t *raw = test_read_file(path, &size);
    if (raw)
        expect_format_error(what, raw, size);
    free(raw);
}

static void test_corrupt(void)
{
    const char *ok = "{'descr': '<f4', 'fortran_order': False, "
                     "'shape': (2, 3), }\n";
    expect_format_error("empty file", "", 0);
    expect_format_error("bad magic", "\x93NUMPZ\x01\x00\x00\x00", 10);
    expect_format_error("magic only", "\x93NUMPY", 6);
    expect_format_error("header length past end",
                        "\x93NUMPY\x01\x00\xff\x00{}", 12);
    expect_bad_header("version 4", 4, ok, 24);
    expect_bad_header("data too short", 1, ok, 20);
    expect_bad_header("data too long", 1, ok, 28);
    expect_bad_header("int32", 1, "{'descr': '<i4', 'fortran_order': "
                      "False, 'shape': (2, 3), }\n", 24);
    expect_bad_header("big-endian", 1, "{'descr': '>f4', 'fortran_order': "
                      "False, 'shape': (2, 3), }\n", 24);
    expect_bad_header("fortran order", 1, "{'descr': '<f4', "
                      "'fortran_order': True, 'shape': (2, 3), }\n", 24);
    expect_bad_header("no shape", 1, "{'descr': '<f4', 'fortran_order': "
                      "False, }\n", 4);
    expect_bad_header("no descr", 1, "{'fortran_order': False, "
                      "'shape': (2, 3), }\n", 24);
    expect_bad_header("extra key", 1, "{'descr': '<f4', 'fortran_order': "
                      "False, 'shape': (2, 3), 'x': 1, }\n", 24);
    expect_bad_header("repeated key", 1, "{'descr': '<f4', 'descr': '<f4', "
                      "'fortran_order': False, 'shape': (2, 3), }\n", 24);
    expect_bad_header("shape (6) without comma", 1, "{'descr': '<f4', "
                      "'fortran_order': False, 'shape': (6), }\n", 24);
    expect_bad_header("negative dim", 1, "{'descr': '<f4', 'fortran_order': "
                      "False, 'shape': (-2, 3), }\n", 24);
    expect_bad_header("huge dim", 1, "{'descr': '<f4', 'fortran_order': "
                      "False, 'shape': (99999999999, 3), }\n", 24);
    expect_bad_header("overflowing count", 1, "{'descr': '<f8', "
                      "'fortran_order': False, 'shape': (2147483647, "
                      "2147483647, 2147483647), }\n", 24);
    expect_bad_header("nine dims", 1, "{'descr': '<f4', 'fortran_order': "
                      "False, 'shape': (1,1,1,1,1,1,1,1,6), }\n", 24);
    expect_bad_header("unterminated dict", 1, "{'descr': '<f4', "
                      "'fortran_order': False, 'shape': (2, 3), \n", 24);
    expect_bad_header("unterminated string", 1, "{'descr': '<f4", 24);
    expect_bad_header("junk after dict", 1, "{'descr': '<f4', "
                      "'fortran_order': False, 'shape': (2, 3), } x\n", 24);
    expect_bad_header("not a dict", 1, "['<f4', False, (2, 3)]\n", 24);
    expect_bad_header("shape not a tuple", 1, "{'descr': '<f4', "
                      "'fortran_order': False, 'shape': [2, 3], }\n", 24);
    expect_bad_header("empty header", 1, "", 24);
}

static void test_raw(void)
{
    float x[6] = { 1, 2, 3, 4, 5, 6 };
    const char *path = tmp_path("in.f32");
    write_bytes(path, x, sizeof(x));
    eng_npy a;
    eng_error err = { .msg = "" };
    const int dims[2] = { 2, 3 };
    CHECK(eng_npy_read_raw(path, 2, dims, &a, &err) == ENG_OK &&
          a.count == 6 && a.data[4] == 5.0f, "raw read: %s", err.msg);
    free(a.data);
    const int wrong[2] = { 2, 4 };
    CHECK(eng_npy_read_raw(path, 2, wrong, &a, &err) == ENG_EFORMAT,
          "raw size mismatch is EFORMAT");
    CHECK(strstr(err.msg, "24 bytes") != NULL, "message gives the size: %s",
          err.msg);
    const int zero[2] = { 0, 6 };
    CHECK(eng_npy_read_raw(path, 2, zero, &a, &err) == ENG_EFORMAT,
          "zero dim refused");
    CHECK(eng_npy_read_raw(tmp_path("none.f32"), 2, dims, &a, &err) ==
          ENG_EIO, "missing raw file is EIO");
    CHECK(eng_npy_read(tmp_path("none.npy"), &a, &err) == ENG_EIO,
          "missing npy file is EIO");
}

static void test_golden_input(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/golden/pose_landmark_lite/input.npy",
             POSESCOPE_TEST_DATA);
    if (access(path, R_OK) != 0)
        return; /* tests/data is another engineer's; checked when present */
    eng_npy a;
    eng_error err = { .msg = "" };
    CHECK(eng_npy_read(path, &a, &err) == ENG_OK, "golden: %s", err.msg);
    CHECK(a.ndim == 4 && a.count == 256 * 256 * 3, "golden shape");
    /* The oracle's gen-input: R = .15 at x = 0 on a [0,1] model. */
    CHECK(a.data && a.data[0] == 0.15f, "golden first value");
    free(a.data);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_shapes_written();
    test_header_variants();
    test_float64();
    test_corrupt();
    test_raw();
    test_golden_input();
    const char *names[] = { "rt.npy", "vec.npy", "scalar.npy", "8d.npy",
                            "variant.npy", "f8.npy", "bad.npy", "badh.npy",
                            "in.f32" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(tmp_path(names[i]));
    rmdir(tmpdir);
    return test_finish();
}
