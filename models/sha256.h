/*
 * sha256: SHA-256 (FIPS 180-4), our own, so that the model cache can be
 * verified without a crypto library.
 *
 * Use: mdl_sha256_init, any number of mdl_sha256_update, mdl_sha256_final;
 * or mdl_sha256_hex_of for one buffer and mdl_sha256_file for a file.
 * Not constant-time (it hashes public model files, not secrets).
 */
#ifndef MDL_SHA256_H
#define MDL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MDL_SHA256_BYTES 32
#define MDL_SHA256_HEX 65 /* 64 lower-case hex digits and a NUL */

typedef struct mdl_sha256 {
    uint32_t state[8];
    uint64_t bytes;     /* total length hashed so far */
    uint8_t block[64];  /* pending partial block */
    size_t fill;        /* bytes pending in block */
} mdl_sha256;

void mdl_sha256_init(mdl_sha256 *s);

/* Hashes n more bytes of data (borrowed; may be NULL when n is 0). */
void mdl_sha256_update(mdl_sha256 *s, const void *data, size_t n);

/* Writes the digest; s must be re-initialised before further use. */
void mdl_sha256_final(mdl_sha256 *s, uint8_t digest[MDL_SHA256_BYTES]);

/* Digest of one buffer as lower-case hex. */
void mdl_sha256_hex_of(const void *data, size_t n, char hex[MDL_SHA256_HEX]);

/* Digest of a whole file as lower-case hex, and its size in bytes (size may
 * be NULL). EIO naming the file and the reason when it cannot be read. */
eng_status mdl_sha256_file(const char *path, char hex[MDL_SHA256_HEX],
                           size_t *size, eng_error *err);

#endif
