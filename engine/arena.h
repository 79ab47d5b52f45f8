/*
 * arena: a bump allocator for memory that lives exactly as long as its owner
 * (a graph's weights, a model's plans, a frame's scratch).
 *
 * Blocks are 64-byte aligned and followed by ENG_ARENA_TAIL readable bytes,
 * because XNNPACK kernels may read up to 16 bytes past a buffer's end.
 * Nothing is freed individually; eng_arena_reset() rewinds (keeping the
 * memory), eng_arena_destroy() releases it all. Not thread-safe.
 */
#ifndef ENG_ARENA_H
#define ENG_ARENA_H

#include <stddef.h>

#define ENG_ARENA_ALIGN 64
#define ENG_ARENA_TAIL 64

typedef struct eng_arena_chunk eng_arena_chunk;

typedef struct eng_arena {
    eng_arena_chunk *chunks; /* owned list, newest first */
    size_t chunk_size;       /* default size of a new chunk */
    size_t used;             /* bytes handed out since creation/reset */
    size_t high_water;       /* largest `used` ever seen */
} eng_arena;

/* Initialises an empty arena; chunk_size 0 means 1 MiB. No allocation yet. */
void eng_arena_init(eng_arena *a, size_t chunk_size);

/* Returns `size` bytes (zeroed) aligned to ENG_ARENA_ALIGN, valid until reset
 * or destroy, or NULL when memory runs out. */
void *eng_arena_alloc(eng_arena *a, size_t size);

/* Makes all memory reusable; later allocations reuse the chunks. */
void eng_arena_reset(eng_arena *a);

/* Frees every chunk. Accepts an arena that was only initialised. */
void eng_arena_destroy(eng_arena *a);

#endif
