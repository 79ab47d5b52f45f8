/*
 * flatbuf: a bounds-checked reader for FlatBuffers binaries from untrusted
 * sources (TFLite models).
 *
 * Every access is checked against the buffer: root and reference offsets,
 * vtable placement and size, field widths against the table's inline size,
 * vector and string lengths. Offsets are computed in 64 bits so nothing
 * wraps. Values are assembled byte by byte (little-endian), so the buffer
 * needs no alignment.
 *
 * Errors latch: the first bad access records what and where (see
 * eng_fb_failed) and every later read returns a default (0, absent table,
 * empty vector), so a parser reads a whole object and checks once.
 *
 * What it does not do: know any schema (callers pass field ids), verify
 * that the same bytes are not shared by two objects (harmless for a
 * reader), build buffers, or allocate anything.
 */
#ifndef ENG_FLATBUF_H
#define ENG_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eng_fb {
    const uint8_t *data; /* borrowed; must outlive the reader */
    size_t size;
    const char *bad;     /* static text of the first failure, or NULL */
    size_t bad_at;       /* byte offset of the first failure */
} eng_fb;

/* A table; `present` is false for an absent (or broken) reference. */
typedef struct eng_fb_table {
    bool present;
    size_t pos;       /* offset of the table's soffset */
    size_t vtable;    /* offset of its vtable */
    uint16_t vt_size; /* bytes of the vtable */
    uint16_t size;    /* bytes of the table's inline part */
} eng_fb_table;

/* A vector; len is 0 when the field is absent. Elements start at pos. */
typedef struct eng_fb_vec {
    size_t pos;
    size_t len;
} eng_fb_vec;

/* Starts reading `size` bytes at data; never fails (see eng_fb_root). */
void eng_fb_init(eng_fb *fb, const uint8_t *data, size_t size);

/* The root table. Fails (latched) when the buffer is shorter than 8 bytes
 * or the root offset is out of bounds. The file identifier is not checked
 * here (bytes 4..7; see eng_fb_has_identifier). */
eng_fb_table eng_fb_root(eng_fb *fb);

/* True when bytes 4..7 equal the 4-character identifier. */
bool eng_fb_has_identifier(const eng_fb *fb, const char ident[4]);

/* True once any access failed; eng_fb_failed() is then the reason. */
bool eng_fb_bad(const eng_fb *fb);
const char *eng_fb_failed(const eng_fb *fb);

/* Scalar fields; `dflt` when the field or table is absent or broken. */
uint8_t eng_fb_u8(eng_fb *fb, eng_fb_table t, int field, uint8_t dflt);
int8_t eng_fb_i8(eng_fb *fb, eng_fb_table t, int field, int8_t dflt);
int32_t eng_fb_i32(eng_fb *fb, eng_fb_table t, int field, int32_t dflt);
uint32_t eng_fb_u32(eng_fb *fb, eng_fb_table t, int field, uint32_t dflt);
uint64_t eng_fb_u64(eng_fb *fb, eng_fb_table t, int field, uint64_t dflt);

/* A sub-table field; not present when absent. */
eng_fb_table eng_fb_table_field(eng_fb *fb, eng_fb_table t, int field);

/* A vector field whose elements are elem_size bytes each; the whole
 * vector is checked to lie inside the buffer. Empty when absent. */
eng_fb_vec eng_fb_vector(eng_fb *fb, eng_fb_table t, int field,
                         size_t elem_size);

/* A string field: returns its first byte and sets *len (not counting the
 * terminator, which is not required). NULL and *len = 0 when absent. The
 * bytes may contain NUL; callers that need C strings check. */
const uint8_t *eng_fb_string(eng_fb *fb, eng_fb_table t, int field,
                             size_t *len);

/* Element i of a vector of tables / of little-endian scalars. An index
 * past the vector's end fails (latched) and yields an absent table or 0. */
eng_fb_table eng_fb_vec_table(eng_fb *fb, eng_fb_vec v, size_t i);
uint8_t eng_fb_vec_u8(eng_fb *fb, eng_fb_vec v, size_t i);
uint16_t eng_fb_vec_u16(eng_fb *fb, eng_fb_vec v, size_t i);
int32_t eng_fb_vec_i32(eng_fb *fb, eng_fb_vec v, size_t i);

/* Little-endian 32-bit load at an address the caller has already
 * bounds-checked (for example inside a vector returned above). */
uint32_t eng_fb_le32(const uint8_t *p);

#endif
