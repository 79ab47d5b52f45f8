/*
 * npy: float32 tensors in NumPy's .npy format (version 1.0/2.0/3.0, C
 * order, little-endian '<f4'), and raw little-endian float32 files whose
 * shape the caller gives. This is how model inputs and outputs are
 * exchanged with the reference tools, file for file.
 *
 * Reading validates the header (magic, version, dtype, order, shape fits the
 * file size); anything else is EFORMAT with the reason. No partial results.
 */
#ifndef ENG_NPY_H
#define ENG_NPY_H

#include <stddef.h>

#include "status.h"

#define ENG_NPY_MAX_DIMS 8

typedef struct eng_npy {
    int ndim;
    int dims[ENG_NPY_MAX_DIMS];
    size_t count;
    float *data; /* malloc'd; the caller frees */
} eng_npy;

/* Reads a .npy file of float32 (float64 is converted). EIO/EFORMAT. */
eng_status eng_npy_read(const char *path, eng_npy *out, eng_error *err);

/* Parses a .npy image held in memory (an .npz member): float32/64 and
 * also little-endian int32/64 and uint32/64, all converted to float
 * (integers beyond 2^24 are rounded). `name` prefixes the messages. buf is
 * borrowed; out->data is malloc'd. EFORMAT/ENOMEM. */
eng_status eng_npy_parse(const void *buf, size_t size, const char *name,
                         eng_npy *out, eng_error *err);

/* Reads a raw float32 file whose element count must equal the product of
 * dims. EIO/EFORMAT. */
eng_status eng_npy_read_raw(const char *path, int ndim, const int *dims,
                            eng_npy *out, eng_error *err);

/* Writes data (count = product of dims) as a version-1.0 .npy whose data
 * starts at byte 128, as the reference tools write them. EIO. */
eng_status eng_npy_write(const char *path, int ndim, const int *dims,
                         const float *data, eng_error *err);

#endif
