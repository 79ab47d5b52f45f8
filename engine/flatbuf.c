#include "flatbuf.h"

#include <string.h>

static const eng_fb_table no_table;
static const eng_fb_vec no_vec;

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t eng_fb_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)eng_fb_le32(p) | (uint64_t)eng_fb_le32(p + 4) << 32;
}

/* Records the first failure only: later ones are usually its echoes. */
static void fail(eng_fb *fb, const char *what, uint64_t at)
{
    if (!fb->bad) {
        fb->bad = what;
        fb->bad_at = (size_t)at;
    }
}

/* True when [pos, pos + n) lies inside the buffer; 64-bit so no wrap. */
static bool in_bounds(const eng_fb *fb, uint64_t pos, uint64_t n)
{
    return pos <= fb->size && n <= fb->size - pos;
}

void eng_fb_init(eng_fb *fb, const uint8_t *data, size_t size)
{
    fb->data = data;
    fb->size = data ? size : 0;
    fb->bad = NULL;
    fb->bad_at = 0;
}

bool eng_fb_bad(const eng_fb *fb)
{
    return fb->bad != NULL;
}

const char *eng_fb_failed(const eng_fb *fb)
{
    return fb->bad ? fb->bad : "no error";
}

bool eng_fb_has_identifier(const eng_fb *fb, const char ident[4])
{
    return fb->size >= 8 && memcmp(fb->data + 4, ident, 4) == 0;
}

/* Validates the table whose soffset is at pos: its vtable must lie in the
 * buffer, be at least 4 bytes and even, and the inline size must cover the
 * soffset and stay inside the buffer. */
static eng_fb_table table_at(eng_fb *fb, uint64_t pos)
{
    if (fb->bad)
        return no_table;
    if (!in_bounds(fb, pos, 4)) {
        fail(fb, "table offset out of bounds", pos);
        return no_table;
    }
    int32_t soff = (int32_t)eng_fb_le32(fb->data + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_bounds(fb, (uint64_t)vt, 4)) {
        fail(fb, "vtable offset out of bounds", pos);
        return no_table;
    }
    uint16_t vt_size = le16(fb->data + vt);
    uint16_t size = le16(fb->data + vt + 2);
    if (vt_size < 4 || (vt_size & 1) ||
        !in_bounds(fb, (uint64_t)vt, vt_size)) {
        fail(fb, "bad vtable size", (uint64_t)vt);
        return no_table;
    }
    if (size < 4 || !in_bounds(fb, pos, size)) {
        fail(fb, "bad table size", pos);
        return no_table;
    }
    eng_fb_table t = {true, (size_t)pos, (size_t)vt, vt_size, size};
    return t;
}

/* Offset of a field's value, or 0 when absent. A present field must fit
 * in the table's inline part with its width. */
static size_t field_pos(eng_fb *fb, eng_fb_table t, int field, size_t width)
{
    if (fb->bad || !t.present || field < 0)
        return 0;
    size_t slot = 4 + 2 * (size_t)field;
    if (slot + 2 > t.vt_size)
        return 0;
    uint16_t off = le16(fb->data + t.vtable + slot);
    if (off == 0)
        return 0;
    if (off < 4 || (size_t)off + width > t.size) {
        fail(fb, "field outside its table", t.pos);
        return 0;
    }
    return t.pos + off;
}

eng_fb_table eng_fb_root(eng_fb *fb)
{
    if (fb->size < 8) {
        fail(fb, "buffer shorter than a flatbuffer header", 0);
        return no_table;
    }
    return table_at(fb, eng_fb_le32(fb->data));
}

uint8_t eng_fb_u8(eng_fb *fb, eng_fb_table t, int field, uint8_t dflt)
{
    size_t p = field_pos(fb, t, field, 1);
    return p ? fb->data[p] : dflt;
}

int8_t eng_fb_i8(eng_fb *fb, eng_fb_table t, int field, int8_t dflt)
{
    size_t p = field_pos(fb, t, field, 1);
    return p ? (int8_t)fb->data[p] : dflt;
}

int32_t eng_fb_i32(eng_fb *fb, eng_fb_table t, int field, int32_t dflt)
{
    size_t p = field_pos(fb, t, field, 4);
    return p ? (int32_t)eng_fb_le32(fb->data + p) : dflt;
}

uint32_t eng_fb_u32(eng_fb *fb, eng_fb_table t, int field, uint32_t dflt)
{
    size_t p = field_pos(fb, t, field, 4);
    return p ? eng_fb_le32(fb->data + p) : dflt;
}

uint64_t eng_fb_u64(eng_fb *fb, eng_fb_table t, int field, uint64_t dflt)
{
    size_t p = field_pos(fb, t, field, 8);
    return p ? le64(fb->data + p) : dflt;
}

/* Follows the uoffset stored at p; 0 (with a latched failure) when the
 * target cannot hold `need` bytes. */
static uint64_t follow(eng_fb *fb, size_t p, uint64_t need)
{
    uint64_t target = (uint64_t)p + eng_fb_le32(fb->data + p);
    if (!in_bounds(fb, target, need)) {
        fail(fb, "reference out of bounds", p);
        return 0;
    }
    return target;
}

eng_fb_table eng_fb_table_field(eng_fb *fb, eng_fb_table t, int field)
{
    size_t p = field_pos(fb, t, field, 4);
    if (!p)
        return no_table;
    uint64_t target = follow(fb, p, 4);
    return target ? table_at(fb, target) : no_table;
}

eng_fb_vec eng_fb_vector(eng_fb *fb, eng_fb_table t, int field,
                         size_t elem_size)
{
    size_t p = field_pos(fb, t, field, 4);
    if (!p)
        return no_vec;
    uint64_t hdr = follow(fb, p, 4);
    if (!hdr)
        return no_vec;
    uint64_t len = eng_fb_le32(fb->data + hdr);
    /* len < 2^32 and elem_size is small, so the product cannot wrap. */
    if (!in_bounds(fb, hdr + 4, len * (uint64_t)elem_size)) {
        fail(fb, "vector longer than the buffer", hdr);
        return no_vec;
    }
    eng_fb_vec v = {(size_t)hdr + 4, (size_t)len};
    return v;
}

const uint8_t *eng_fb_string(eng_fb *fb, eng_fb_table t, int field,
                             size_t *len)
{
    eng_fb_vec v = eng_fb_vector(fb, t, field, 1);
    *len = v.len;
    return v.pos ? fb->data + v.pos : NULL;
}

/* Offset of element i of width w, or 0 (latched) when out of range. */
static size_t elem_pos(eng_fb *fb, eng_fb_vec v, size_t i, size_t w)
{
    if (fb->bad)
        return 0;
    if (i >= v.len || !in_bounds(fb, (uint64_t)v.pos + (uint64_t)i * w, w)) {
        fail(fb, "vector index out of range", v.pos);
        return 0;
    }
    return v.pos + i * w;
}

eng_fb_table eng_fb_vec_table(eng_fb *fb, eng_fb_vec v, size_t i)
{
    size_t p = elem_pos(fb, v, i, 4);
    if (!p)
        return no_table;
    uint64_t target = follow(fb, p, 4);
    return target ? table_at(fb, target) : no_table;
}

uint8_t eng_fb_vec_u8(eng_fb *fb, eng_fb_vec v, size_t i)
{
    size_t p = elem_pos(fb, v, i, 1);
    return p ? fb->data[p] : 0;
}

uint16_t eng_fb_vec_u16(eng_fb *fb, eng_fb_vec v, size_t i)
{
    size_t p = elem_pos(fb, v, i, 2);
    return p ? le16(fb->data + p) : 0;
}

int32_t eng_fb_vec_i32(eng_fb *fb, eng_fb_vec v, size_t i)
{
    size_t p = elem_pos(fb, v, i, 4);
    return p ? (int32_t)eng_fb_le32(fb->data + p) : 0;
}
