/*
 * font: a glyph atlas of printable ASCII rasterised by FreeType from a
 * TrueType file (default: Debian's fonts-dejavu-core DejaVuSans). The
 * renderer uploads the atlas as one texture and draws text as quads.
 *
 * What it does not do: GL, shaping, kerning, or non-ASCII text (other
 * bytes are drawn as '?'). One size is rasterised; other sizes scale it.
 */
#ifndef REN_FONT_H
#define REN_FONT_H

#include <stdint.h>

#include "status.h"

#define REN_FONT_DEFAULT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define REN_FONT_FIRST 32
#define REN_FONT_LAST 126

typedef struct ren_glyph {
    float advance;       /* pen advance, pixels at the atlas size */
    int x0, y0;          /* bitmap offset from the pen: x right, y up to
                            the bitmap's top (FreeType's bearing) */
    int w, h;            /* bitmap size */
    int ax, ay;          /* bitmap's top-left corner in the atlas */
} ren_glyph;

typedef struct ren_font {
    int px;              /* rasterised size (em height), pixels */
    int ascent, line;    /* pixels: baseline below the top; line height */
    int atlas_w, atlas_h;
    uint8_t *atlas;      /* atlas_w * atlas_h coverage bytes, owned */
    ren_glyph glyph[REN_FONT_LAST - REN_FONT_FIRST + 1];
} ren_font;

/* Rasterises the printable ASCII glyphs of the font at `path` (NULL =
 * REN_FONT_DEFAULT) at `px` pixels (<= 0: 32). EIO when the file cannot be
 * read, EFORMAT when FreeType rejects it, ENOMEM. On failure *font is
 * left empty (ren_font_free() is still safe). */
eng_status ren_font_load(ren_font *font, const char *path, int px,
                         eng_error *err);

/* Frees the atlas. Accepts an empty (zeroed) font. */
void ren_font_free(ren_font *font);

/* The glyph of byte c ('?' for bytes outside printable ASCII). */
const ren_glyph *ren_font_glyph(const ren_font *font, unsigned char c);

/* Width in pixels of `text` drawn at `px` pixels. */
float ren_font_width(const ren_font *font, const char *text, float px);

#endif
