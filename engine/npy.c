/*
 * npy: see npy.h. The header is a Python dict literal; it is parsed by a
 * small tokenizer that accepts exactly the grammar NumPy writes (keys and
 * strings in single or double quotes, any whitespace, trailing commas) and
 * rejects everything else, so a hostile file cannot steer the reader.
 */
#include "npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

/* The data is read and written with memcpy: only little-endian hosts. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "npy.c assumes a little-endian host");

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_DATA_ALIGN 64
#define NPY_V1_DATA_START 128
#define NPY_HEADER_MAX 320 /* what eng_npy_write can need, rounded up */
/* NumPy refuses headers above this size; so do we (no huge mallocs). */
#define NPY_MAX_HEADER (1u << 20)

typedef struct npy_header {
    int itemsize;    /* 4 or 8 */
    char kind;       /* 'f' float, 'i' signed, 'u' unsigned integer */
    int allow_int;   /* set by the caller: integer dtypes are accepted */
    int have_descr, have_order, have_shape;
    int ndim;
    int dims[ENG_NPY_MAX_DIMS];
} npy_header;

typedef struct npy_cursor {
    const char *p, *end;
} npy_cursor;

static void skip_space(npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
                             *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/* Consumes `ch` (after whitespace); 0 when it is not next. */
static int accept(npy_cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* Reads a quoted string into buf (NUL-terminated); 0 on a syntax error. */
static int parse_string(npy_cursor *c, char *buf, size_t cap)
{
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (n + 1 >= cap)
            return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

/* Reads a non-negative decimal integer that fits an int. */
static int parse_dim(npy_cursor *c, int *out)
{
    skip_space(c);
    long v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        v = v * 10 + (*c->p++ - '0');
        if (v > INT32_MAX)
            return 0;
        digits++;
    }
    /* NumPy may write Python 2 long literals such as 3L. */
    if (digits && c->p < c->end && *c->p == 'L')
        c->p++;
    *out = (int)v;
    return digits > 0;
}

static eng_status parse_shape(npy_cursor *c, npy_header *h, const char *path,
                              eng_error *err)
{
    h->have_shape = 1;
    h->ndim = 0;
    if (!accept(c, '('))
        return eng_fail(err, ENG_EFORMAT, "%s: 'shape' is not a tuple", path);
    if (accept(c, ')'))
        return ENG_OK;
    for (;;) {
        if (h->ndim == ENG_NPY_MAX_DIMS)
            return eng_fail(err, ENG_EFORMAT, "%s: more than %d dimensions",
                            path, ENG_NPY_MAX_DIMS);
        if (!parse_dim(c, &h->dims[h->ndim++]))
            return eng_fail(err, ENG_EFORMAT, "%s: bad dimension in 'shape'",
                            path);
        /* A one-element tuple needs its comma: "(3,)"; "(3)" is an int. */
        if (h->ndim > 1 && accept(c, ')'))
            return ENG_OK;
        if (!accept(c, ','))
            return eng_fail(err, ENG_EFORMAT, "%s: bad 'shape' tuple", path);
        if (accept(c, ')'))
            return ENG_OK;
    }
}

static eng_status parse_descr(npy_cursor *c, npy_header *h, const char *path,
                              eng_error *err)
{
    char descr[16];
    if (!parse_string(c, descr, sizeof(descr)))
        return eng_fail(err, ENG_EFORMAT, "%s: bad 'descr' value", path);
    /* '=' and '<' both mean little-endian here (the host is). */
    int le = descr[0] == '<' || descr[0] == '=';
    char kind = descr[1];
    int kind_ok = kind == 'f' || (h->allow_int && (kind == 'i' || kind == 'u'));
    if (le && kind_ok && !strcmp(descr + 2, "4"))
        h->itemsize = 4;
    else if (le && kind_ok && !strcmp(descr + 2, "8"))
        h->itemsize = 8;
    else
        return eng_fail(err, ENG_EFORMAT,
                        "%s: dtype '%s' not supported (need '<f4' or '<f8'%s)",
                        path, descr, h->allow_int ? ", '<i4/8', '<u4/8'" : "");
    h->kind = kind;
    h->have_descr = 1;
    return ENG_OK;
}

static eng_status parse_order(npy_cursor *c, npy_header *h, const char *path,
                              eng_error *err)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 5 && !memcmp(c->p, "False", 5)) {
        c->p += 5;
        h->have_order = 1;
        return ENG_OK;
    }
    if (left >= 4 && !memcmp(c->p, "True", 4))
        return eng_fail(err, ENG_EFORMAT,
                        "%s: Fortran-order arrays are not supported", path);
    return eng_fail(err, ENG_EFORMAT, "%s: bad 'fortran_order' value", path);
}

static eng_status parse_entry(npy_cursor *c, npy_header *h, const char *path,
                              eng_error *err)
{
    char key[32];
    if (!parse_string(c, key, sizeof(key)) || !accept(c, ':'))
        return eng_fail(err, ENG_EFORMAT, "%s: bad header dict entry", path);
    if (!strcmp(key, "descr") && !h->have_descr)
        return parse_descr(c, h, path, err);
    if (!strcmp(key, "fortran_order") && !h->have_order)
        return parse_order(c, h, path, err);
    if (!strcmp(key, "shape") && !h->have_shape)
        return parse_shape(c, h, path, err);
    return eng_fail(err, ENG_EFORMAT, "%s: unexpected or repeated key '%s'",
                    path, key);
}

static eng_status parse_header(const char *text, size_t len, npy_header *h,
                               const char *path, eng_error *err)
{
    npy_cursor c = { text, text + len };
    int allow_int = h->allow_int;
    memset(h, 0, sizeof(*h));
    h->allow_int = allow_int;
    if (!accept(&c, '{'))
        return eng_fail(err, ENG_EFORMAT, "%s: header is not a dict", path);
    int done = accept(&c, '}');
    while (!done) {
        eng_status st = parse_entry(&c, h, path, err);
        if (st != ENG_OK)
            return st;
        done = accept(&c, '}');
        if (!done && !accept(&c, ','))
            return eng_fail(err, ENG_EFORMAT, "%s: bad header dict", path);
        done = done || accept(&c, '}');
    }
    skip_space(&c);
    if (c.p != c.end)
        return eng_fail(err, ENG_EFORMAT, "%s: junk after the header dict",
                        path);
    if (!h->have_descr || !h->have_order || !h->have_shape)
        return eng_fail(err, ENG_EFORMAT, "%s: header lacks %s", path,
                        !h->have_descr ? "'descr'" :
                        !h->have_order ? "'fortran_order'" : "'shape'");
    return ENG_OK;
}

/* Element count of a shape; 0 when the byte size would overflow size_t. */
static int shape_count(int ndim, const int *dims, size_t itemsize,
                       size_t *count)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return 0;
        if (dims[i] && n > SIZE_MAX / itemsize / (size_t)dims[i])
            return 0;
        n *= (size_t)dims[i];
    }
    *count = n;
    return 1;
}

static eng_status open_sized(const char *path, FILE **f, size_t *size,
                             eng_error *err)
{
    *f = fopen(path, "rb");
    if (!*f)
        return eng_fail(err, ENG_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat st;
    if (fstat(fileno(*f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(*f);
        return eng_fail(err, ENG_EIO, "%s: not a regular file", path);
    }
    *size = (size_t)st.st_size;
    return ENG_OK;
}

/* Reads the magic, version and header dict; *data_start is the offset of
 * the first element. */
static eng_status read_header(FILE *f, size_t file_size, const char *path,
                              npy_header *h, size_t *data_start,
                              eng_error *err)
{
    unsigned char pre[12];
    if (file_size < 10 || fread(pre, 1, 10, f) != 10 ||
        memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return eng_fail(err, ENG_EFORMAT, "%s: not a .npy file (bad magic)",
                        path);
    int major = pre[6];
    if (major < 1 || major > 3 || pre[7] != 0)
        return eng_fail(err, ENG_EFORMAT, "%s: unknown .npy version %d.%d",
                        path, major, pre[7]);
    size_t prefix = 10, hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    if (major >= 2) {
        if (fread(pre + 10, 1, 2, f) != 2)
            return eng_fail(err, ENG_EFORMAT, "%s: truncated header", path);
        prefix = 12;
        hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    if (hlen > NPY_MAX_HEADER || prefix + hlen > file_size)
        return eng_fail(err, ENG_EFORMAT,
                        "%s: header length %zu exceeds the file (%zu bytes)",
                        path, hlen, file_size);
    char *text = malloc(hlen ? hlen : 1);
    if (!text)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory", path);
    eng_status st = ENG_OK;
    if (fread(text, 1, hlen, f) != hlen)
        st = eng_fail(err, ENG_EIO, "%s: read error in header", path);
    else
        st = parse_header(text, hlen, h, path, err);
    free(text);
    *data_start = prefix + hlen;
    return st;
}

/* Reads count elements of itemsize bytes into a new float array. */
static eng_status read_data(FILE *f, size_t count, int itemsize,
                            const char *path, float **out, eng_error *err)
{
    float *data = malloc(count ? count * sizeof(float) : 1);
    if (!data)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory (%zu floats)",
                        path, count);
    if (itemsize == 4) {
        if (fread(data, 4, count, f) != count)
            goto fail_read;
    } else {
        double buf[256];
        for (size_t i = 0; i < count;) {
            size_t n = count - i < 256 ? count - i : 256;
            if (fread(buf, 8, n, f) != n)
                goto fail_read;
            for (size_t k = 0; k < n; k++)
                data[i + k] = (float)buf[k];
            i += n;
        }
    }
    *out = data;
    return ENG_OK;

fail_read:
    free(data);
    return eng_fail(err, ENG_EIO, "%s: read error in data", path);
}

eng_status eng_npy_read(const char *path, eng_npy *out, eng_error *err)
{
    FILE *f;
    size_t file_size, start = 0, count;
    npy_header h = { 0 };
    eng_status st = open_sized(path, &f, &file_size, err);
    if (st != ENG_OK)
        return st;
    st = read_header(f, file_size, path, &h, &start, err);
    if (st != ENG_OK)
        goto out_close;
    if (!shape_count(h.ndim, h.dims, (size_t)h.itemsize, &count)) {
        st = eng_fail(err, ENG_EFORMAT, "%s: shape too large", path);
        goto out_close;
    }
    if (count * (size_t)h.itemsize != file_size - start) {
        st = eng_fail(err, ENG_EFORMAT,
                      "%s: shape needs %zu data bytes, the file has %zu",
                      path, count * (size_t)h.itemsize, file_size - start);
        goto out_close;
    }
    float *data;
    st = read_data(f, count, h.itemsize, path, &data, err);
    if (st != ENG_OK)
        goto out_close;
    memset(out, 0, sizeof(*out));
    out->ndim = h.ndim;
    memcpy(out->dims, h.dims, sizeof(int) * (size_t)h.ndim);
    out->count = count;
    out->data = data;
out_close:
    fclose(f);
    return st;
}

eng_status eng_npy_read_raw(const char *path, int ndim, const int *dims,
                            eng_npy *out, eng_error *err)
{
    size_t count;
    if (ndim < 1 || ndim > ENG_NPY_MAX_DIMS)
        return eng_fail(err, ENG_EFORMAT, "%s: %d dimensions (need 1..%d)",
                        path, ndim, ENG_NPY_MAX_DIMS);
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 1)
            return eng_fail(err, ENG_EFORMAT, "%s: dimension %d is %d",
                            path, i, dims[i]);
    }
    if (!shape_count(ndim, dims, sizeof(float), &count))
        return eng_fail(err, ENG_EFORMAT, "%s: shape too large", path);
    FILE *f;
    size_t file_size;
    eng_status st = open_sized(path, &f, &file_size, err);
    if (st != ENG_OK)
        return st;
    if (file_size != count * sizeof(float)) {
        st = eng_fail(err, ENG_EFORMAT,
                      "%s: %zu bytes, but the shape needs %zu float32 "
                      "(%zu bytes)", path, file_size, count,
                      count * sizeof(float));
        goto out_close;
    }
    float *data;
    st = read_data(f, count, 4, path, &data, err);
    if (st != ENG_OK)
        goto out_close;
    memset(out, 0, sizeof(*out));
    out->ndim = ndim;
    memcpy(out->dims, dims, sizeof(int) * (size_t)ndim);
    out->count = count;
    out->data = data;
out_close:
    fclose(f);
    return st;
}

/* One element of an in-memory array as float. */
static float element(const unsigned char *p, const npy_header *h)
{
    if (h->kind == 'f' && h->itemsize == 4) {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    if (h->kind == 'f') {
        double v;
        memcpy(&v, p, 8);
        return (float)v;
    }
    if (h->kind == 'i' && h->itemsize == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return (float)v;
    }
    if (h->kind == 'i') {
        int64_t v;
        memcpy(&v, p, 8);
        return (float)v;
    }
    if (h->itemsize == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return (float)v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return (float)v;
}

eng_status eng_npy_parse(const void *buf, size_t size, const char *name,
                         eng_npy *out, eng_error *err)
{
    const unsigned char *b = buf;
    if (size < 10 || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
        return eng_fail(err, ENG_EFORMAT, "%s: not a .npy array (bad magic)",
                        name);
    int major = b[6];
    if (major < 1 || major > 3 || b[7] != 0)
        return eng_fail(err, ENG_EFORMAT, "%s: unknown .npy version %d.%d",
                        name, major, b[7]);
    size_t prefix = 10, hlen = (size_t)b[8] | (size_t)b[9] << 8;
    if (major >= 2) {
        if (size < 12)
            return eng_fail(err, ENG_EFORMAT, "%s: truncated header", name);
        prefix = 12;
        hlen |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
    }
    if (hlen > NPY_MAX_HEADER || hlen > size - prefix)
        return eng_fail(err, ENG_EFORMAT,
                        "%s: header length %zu exceeds the array (%zu bytes)",
                        name, hlen, size);
    npy_header h = { .allow_int = 1 };
    eng_status st = parse_header((const char *)b + prefix, hlen, &h, name,
                                 err);
    if (st != ENG_OK)
        return st;
    size_t count, start = prefix + hlen;
    if (!shape_count(h.ndim, h.dims, (size_t)h.itemsize, &count))
        return eng_fail(err, ENG_EFORMAT, "%s: shape too large", name);
    if (count * (size_t)h.itemsize != size - start)
        return eng_fail(err, ENG_EFORMAT,
                        "%s: shape needs %zu data bytes, the array has %zu",
                        name, count * (size_t)h.itemsize, size - start);
    float *data = malloc(count ? count * sizeof(float) : 1);
    if (!data)
        return eng_fail(err, ENG_ENOMEM, "%s: out of memory (%zu floats)",
                        name, count);
    for (size_t i = 0; i < count; i++)
        data[i] = element(b + start + i * (size_t)h.itemsize, &h);
    memset(out, 0, sizeof(*out));
    out->ndim = h.ndim;
    memcpy(out->dims, h.dims, sizeof(int) * (size_t)h.ndim);
    out->count = count;
    out->data = data;
    return ENG_OK;
}

/* Formats the v1.0 header (magic to '\n') into buf, padded with spaces so
 * the data starts at 128 bytes, or the next multiple of 64 when the dict is
 * longer; returns its length. buf holds NPY_HEADER_MAX bytes: the dict of
 * eight 10-digit dimensions is under 200 characters. */
static size_t format_header(char *buf, int ndim, const int *dims)
{
    char shape[ENG_NPY_MAX_DIMS * 13 + 4];
    size_t n = 0;
    n += (size_t)snprintf(shape + n, sizeof(shape) - n, "(");
    for (int i = 0; i < ndim; i++)
        n += (size_t)snprintf(shape + n, sizeof(shape) - n, "%s%d",
                              i ? ", " : "", dims[i]);
    snprintf(shape + n, sizeof(shape) - n, ndim == 1 ? ",)" : ")");

    char dict[256];
    int len = snprintf(dict, sizeof(dict),
                       "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': %s, }", shape);
    size_t total = (10 + (size_t)len + 1 + NPY_DATA_ALIGN - 1) /
                   NPY_DATA_ALIGN * NPY_DATA_ALIGN;
    if (total < NPY_V1_DATA_START)
        total = NPY_V1_DATA_START;
    size_t hlen = total - 10;
    memcpy(buf, NPY_MAGIC "\x01\x00", 8);
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)(hlen >> 8);
    memset(buf + 10, ' ', hlen);
    memcpy(buf + 10, dict, (size_t)len);
    buf[total - 1] = '\n';
    return total;
}

eng_status eng_npy_write(const char *path, int ndim, const int *dims,
                         const float *data, eng_error *err)
{
    size_t count;
    if (ndim < 0 || ndim > ENG_NPY_MAX_DIMS ||
        !shape_count(ndim, dims, sizeof(float), &count))
        return eng_fail(err, ENG_EINVAL, "%s: bad shape to write", path);
    char header[NPY_HEADER_MAX];
    size_t hsize = format_header(header, ndim, dims);
    FILE *f = fopen(path, "wb");
    if (!f)
        return eng_fail(err, ENG_EIO, "%s: cannot create: %s", path,
                        strerror(errno));
    int ok = fwrite(header, 1, hsize, f) == hsize &&
             (count == 0 || fwrite(data, sizeof(float), count, f) == count);
    return eng_finish_write(f, ok, path, err);
}
