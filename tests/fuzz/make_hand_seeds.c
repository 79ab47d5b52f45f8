/*
 * make_hand_seeds: writes the hand model fuzzer's starting corpus into a
 * directory: a MANO-structured .npz, stored and deflated, and a small one
 * whose zip directory fits in the fuzzer's input length (tests/lib/
 * mano_synth). The bundled glb files are copied by scripts/fuzz.sh.
 * Usage: make_hand_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "mano_synth.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int deflate = 0; deflate < 2; deflate++) {
        size_t size;
        uint8_t *npz = mano_synth_npz(1, deflate, MANO_OK, &size);
        char path[4096];
        snprintf(path, sizeof(path), "%s/seed_mano_%s.npz", argv[1],
                 deflate ? "deflated" : "stored");
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(npz, 1, size, f) != size) {
            perror(path);
            failed = 1;
        }
        if (f && fclose(f) != 0)
            failed = 1;
        free(npz);
    }
    size_t size;
    uint8_t *small = mano_synth_small_npz(&size);
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed_small.npz", argv[1]);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(small, 1, size, f) != size) {
        perror(path);
        failed = 1;
    }
    if (f && fclose(f) != 0)
        failed = 1;
    free(small);
    return failed;
}
