/*
 * font: see font.h.
 */
#include "font.h"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdlib.h>
#include <string.h>

#define ATLAS_W 512
#define PAD 1 /* empty texels between glyphs: no bleeding when scaled */

const ren_glyph *ren_font_glyph(const ren_font *font, unsigned char c)
{
    if (c < REN_FONT_FIRST || c > REN_FONT_LAST)
        c = '?';
    return &font->glyph[c - REN_FONT_FIRST];
}

float ren_font_width(const ren_font *font, const char *text, float px)
{
    float w = 0, k = px / (float)font->px;
    for (const char *p = text; *p; p++)
        w += ren_font_glyph(font, (unsigned char)*p)->advance * k;
    return w;
}

/* Shelf packing: glyphs left to right in rows of the tallest glyph. The
 * first pass (pixels == NULL) only measures the height. */
static int pack(FT_Face face, ren_font *font, uint8_t *pixels)
{
    int x = PAD, y = PAD, row_h = 0;
    for (int c = REN_FONT_FIRST; c <= REN_FONT_LAST; c++) {
        if (FT_Load_Char(face, (FT_ULong)c, FT_LOAD_RENDER) != 0)
            continue;
        FT_GlyphSlot g = face->glyph;
        int w = (int)g->bitmap.width, h = (int)g->bitmap.rows;
        if (x + w + PAD > ATLAS_W) {
            x = PAD;
            y += row_h + PAD;
            row_h = 0;
        }
        ren_glyph *gl = &font->glyph[c - REN_FONT_FIRST];
        *gl = (ren_glyph){
            .advance = (float)g->advance.x / 64.0f,
            .x0 = g->bitmap_left, .y0 = g->bitmap_top,
            .w = w, .h = h, .ax = x, .ay = y,
        };
        for (int r = 0; pixels && r < h; r++)
            memcpy(pixels + (size_t)(y + r) * ATLAS_W + x,
                   g->bitmap.buffer + (ptrdiff_t)r * g->bitmap.pitch,
                   (size_t)w);
        x += w + PAD;
        row_h = h > row_h ? h : row_h;
    }
    return y + row_h + PAD;
}

eng_status ren_font_load(ren_font *font, const char *path, int px,
                         eng_error *err)
{
    memset(font, 0, sizeof(*font));
    path = path ? path : REN_FONT_DEFAULT;
    px = px > 0 ? px : 32;
    FT_Library lib;
    if (FT_Init_FreeType(&lib) != 0)
        return eng_fail(err, ENG_EBACKEND, "FreeType did not start");
    eng_status st = ENG_OK;
    FT_Face face;
    FT_Error fe = FT_New_Face(lib, path, 0, &face);
    if (fe != 0) {
        st = eng_fail(err, fe == FT_Err_Cannot_Open_Resource ? ENG_EIO
                                                             : ENG_EFORMAT,
                      "%s: %s", path,
                      fe == FT_Err_Cannot_Open_Resource
                          ? "cannot open the font"
                          : "not a font FreeType reads");
        goto out_lib;
    }
    FT_Set_Pixel_Sizes(face, 0, (FT_UInt)px);
    font->px = px;
    font->ascent = (int)(face->size->metrics.ascender / 64);
    font->line = (int)(face->size->metrics.height / 64);
    font->atlas_w = ATLAS_W;
    font->atlas_h = pack(face, font, NULL);
    font->atlas = calloc((size_t)font->atlas_w * font->atlas_h, 1);
    if (!font->atlas) {
        st = eng_fail(err, ENG_ENOMEM, "out of memory (font atlas)");
        goto out_face;
    }
    pack(face, font, font->atlas);
out_face:
    FT_Done_Face(face);
out_lib:
    FT_Done_FreeType(lib);
    if (st != ENG_OK)
        ren_font_free(font);
    return st;
}

void ren_font_free(ren_font *font)
{
    free(font->atlas);
    memset(font, 0, sizeof(*font));
}
