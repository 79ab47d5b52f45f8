/*
 * mano_synth: MANO-structured test data. MANO itself is licensed and
 * never in the repository, so the tests build a hand with MANO's exact
 * arrays, sizes and dtypes (778 vertices, 1538 faces, 16 joints, 10
 * betas, 135 pose features; float64 arrays, uint32 faces, int64
 * kintree_table with 2^32-1 as the root's parent, as the official .pkl
 * converts) from a plausible right-hand skeleton plus seeded random data,
 * and write it as an .npz (stored or deflated, as np.savez and
 * np.savez_compressed do).
 */
#ifndef TEST_MANO_SYNTH_H
#define TEST_MANO_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Which arrays to spoil, for the error tests. */
typedef enum mano_synth_fault {
    MANO_OK,
    MANO_NO_WEIGHTS,     /* the 'weights' array is left out */
    MANO_BAD_SHAPE,      /* shapedirs is 778x3x10 -> 777x3x10 */
    MANO_BAD_FACE,       /* a face index = 778 */
    MANO_BAD_TREE,       /* kintree_table parent of joint 5 = 3 */
    MANO_INT8_DTYPE,     /* f as '|i1' */
} mano_synth_fault;

/* The .npz image in a malloc'd buffer (caller frees); deflate = 1 writes
 * np.savez_compressed's form. */
uint8_t *mano_synth_npz(uint64_t seed, int deflate, mano_synth_fault fault,
                        size_t *size);

/* A small .npz (a few hundred bytes) with MANO's key names but tiny
 * arrays, one stored and one deflated: a fuzzing seed that reaches the zip
 * and .npy parsers within a short input. Caller frees. */
uint8_t *mano_synth_small_npz(size_t *size);

/* The 16 joint positions (metres) the synthetic regressor gives. */
void mano_synth_joints(float joints[16][3]);

#endif
