/*
 * testlib: the small harness every ctest executable shares.
 *
 * CHECK(cond, fmt, ...) records a failure with file:line and goes on;
 * test_finish() prints "N passed, N failed" and returns the exit code, so a
 * test binary ends with `return test_finish();`. Also: reading files and .npy
 * tensors, deterministic random numbers, and where the models are.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>
#include <stdint.h>

void test_check(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define CHECK(cond, ...) test_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Prints the summary line and returns 0 when nothing failed, else 1. */
int test_finish(void);

/* test_finish() for a test that wrote into the directory `dir`: removes
 * it when nothing failed (a failed removal fails the test), else keeps it
 * and says where. */
int test_finish_in(const char *dir);

/* Reads a whole file; caller frees. NULL (and a failed check) on error. */
uint8_t *test_read_file(const char *path, size_t *size);

/* Loads a float32 C-order .npy (or raw .f32 when shape is given by the
 * caller through *count). Caller frees. NULL on error. */
float *test_load_npy(const char *path, int *ndim, int dims[8], size_t *count);

/* Path of a model in the cache ($POSESCOPE_MODELS, else
 * $XDG_CACHE_HOME/posescope/models, else ~/.cache/posescope/models) written
 * into buf. */
const char *test_model_path(const char *name, char *buf, size_t cap);

/* Deterministic xorshift random numbers. */
uint32_t test_rand_u32(uint64_t *state);
float test_rand_uniform(uint64_t *state, float lo, float hi);

#endif
