/*
 * fp16: IEEE 754 binary16 to binary32 conversion for weights stored in
 * half precision (every MediaPipe weight is an fp16 constant).
 *
 * Exact for every input, including subnormals, infinities and NaNs (the
 * NaN payload is kept in the top mantissa bits). It does not convert the
 * other way and does not depend on the host having fp16 hardware.
 */
#ifndef ENG_FP16_H
#define ENG_FP16_H

#include <stddef.h>
#include <stdint.h>

/* Returns the float equal to the half-precision bit pattern h. */
float eng_f16_to_f32(uint16_t h);

/* Converts n little-endian fp16 values starting at src (no alignment
 * needed) into dst[0..n). src and dst must not overlap. */
void eng_f16le_to_f32(const uint8_t *src, size_t n, float *dst);

#endif
