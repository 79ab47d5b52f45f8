/*
 * make_seeds: writes the TFLite writer's example models (every op kind the
 * importer lowers, a DENSIFY chain among them) into a directory, as the
 * fuzzer's starting corpus. Usage: make_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>

#include "tflite_writer.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 0; i < tw_example_count(); i++) {
        size_t size;
        const char *name;
        uint8_t *file = tw_example(i, &size, &name);
        char path[4096];
        snprintf(path, sizeof(path), "%s/seed_%s.tflite", argv[1], name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(file, 1, size, f) != size) {
            perror(path);
            failed = 1;
        }
        if (f && fclose(f) != 0)
            failed = 1;
        free(file);
    }
    printf("%d seeds written to %s\n", tw_example_count(), argv[1]);
    return failed;
}
