/*
 * runtime: the process-wide compute resources every model shares: one thread
 * pool (pthreadpool, the pool XNNPACK takes) and the XNNPACK library
 * initialisation. OpenBLAS is pinned to one thread here so that its own
 * threads never compete with the pool for the cores.
 *
 * Create one runtime, share it between models of the same thread; destroy it
 * after every model that uses it.
 */
#ifndef ENG_RUNTIME_H
#define ENG_RUNTIME_H

#include "status.h"

typedef struct eng_runtime eng_runtime;

typedef struct eng_runtime_desc {
    int threads;      /* 0 = one per online core */
    int xnnpack_only; /* 1 = never replace an XNNPACK operator by a faster
                       * posescope kernel (for tests and comparisons) */
} eng_runtime_desc;

/* Creates the runtime; EBACKEND when XNNPACK or the pool cannot start. */
eng_status eng_runtime_create(const eng_runtime_desc *desc, eng_runtime **out,
                              eng_error *err);

/* Frees the pool. Accepts NULL. */
void eng_runtime_destroy(eng_runtime *rt);

/* Number of threads the pool runs (>= 1). */
int eng_runtime_threads(const eng_runtime *rt);

/* The pthreadpool_t to pass to kernels (NULL means the caller's thread). */
void *eng_runtime_pool(const eng_runtime *rt);

/* 1 unless the desc asked for XNNPACK only: models may then run their own
 * kernels where those beat XNNPACK on this CPU (see kernels.h). */
int eng_runtime_own_kernels(const eng_runtime *rt);

#endif
