#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct eng_arena_chunk {
    eng_arena_chunk *next;
    size_t size; /* usable bytes after the header */
    size_t pos;
    unsigned char *base;
};

void eng_arena_init(eng_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof(*a));
    a->chunk_size = chunk_size ? chunk_size : (size_t)1 << 20;
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static eng_arena_chunk *chunk_new(size_t size)
{
    eng_arena_chunk *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    c->base = aligned_alloc(ENG_ARENA_ALIGN, align_up(size, ENG_ARENA_ALIGN));
    if (!c->base) {
        free(c);
        return NULL;
    }
    c->size = size;
    c->pos = 0;
    c->next = NULL;
    return c;
}

void *eng_arena_alloc(eng_arena *a, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = align_up(size + ENG_ARENA_TAIL, ENG_ARENA_ALIGN);
    eng_arena_chunk *c = a->chunks;
    /* After a reset, older chunks further down the list are reusable too. */
    while (c && c->pos + need > c->size)
        c = c->next;
    if (!c) {
        size_t csize = need > a->chunk_size ? need : a->chunk_size;
        c = chunk_new(csize);
        if (!c)
            return NULL;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = c->base + c->pos;
    c->pos += need;
    a->used += need;
    if (a->used > a->high_water)
        a->high_water = a->used;
    memset(p, 0, need);
    return p;
}

void eng_arena_reset(eng_arena *a)
{
    for (eng_arena_chunk *c = a->chunks; c; c = c->next)
        c->pos = 0;
    a->used = 0;
}

void eng_arena_destroy(eng_arena *a)
{
    eng_arena_chunk *c = a->chunks;
    while (c) {
        eng_arena_chunk *next = c->next;
        free(c->base);
        free(c);
        c = next;
    }
    a->chunks = NULL;
    a->used = 0;
}
