/*
 * runtime: the process-wide compute resources every model shares: one thread
 * pool (pthreadpool, the pool XNNPACK takes) and the XNNPACK library
 * initialisation. OpenBLAS is pinned to one thread here so that its own
 * threads never compete with the pool for the cores.
 *
 * Create one runtime, share it between models of the same thread; destroy it
 * after every model that uses it.
 *
 * Numerics. The project's reference is TensorFlow Lite running the models
 * on XNNPACK in WebAssembly, where XNNPACK's kernels multiply, round, then
 * add, in a fixed order. On x86, XNNPACK picks its kernels once per
 * process, at the first xnn_initialize(), from the ISA flags cpuinfo
 * detected: with FMA3 or AVX-512 it takes fused multiply-add kernels, whose
 * single rounding gives different bits, and the networks amplify the
 * difference (pose_landmark_full's segmentation logits, which reach ~1800,
 * then miss the parity bound of 5e-4 relative on a real image).
 *
 * ENG_NUMERICS_EXACT (the default) hides FMA3, FMA4 and every AVX-512 flag
 * from cpuinfo before XNNPACK initialises, so XNNPACK takes its AVX
 * multiply-then-add kernels, which sum in the WebAssembly kernels' order:
 * the models whose every TFLite operator ran on XNNPACK (pose landmarks,
 * palm detection, hand landmarks) then give TFLite's outputs bit for bit,
 * and posescope's own kernels (kernels.h) are written to give the masked
 * XNNPACK operator's bits too. The cpuinfo flags stay cleared for the
 * process: another cpuinfo user in it sees a CPU without FMA or AVX-512.
 *
 * ENG_NUMERICS_FAST leaves cpuinfo alone: XNNPACK runs its FMA3 or AVX-512
 * kernels and posescope's GEMM uses FMA. It trades TFLite's bits for
 * speed: 4-8% per model on Zen 3 (AVX2); on AVX-512 CPUs XNNPACK's
 * AVX-512 kernels, which replace ours there (not measured here). Results
 * then differ from TFLite's by float32 rounding amplified through the
 * network, beyond the parity bar on that one tensor; README.md "Parity"
 * has the numbers.
 *
 * Because the choice is XNNPACK's and process-wide, the first runtime
 * created in a process fixes the mode for the life of the process (even
 * after it is destroyed); creating a runtime with the other mode later
 * fails with ENG_EINVAL. Nothing else in the process may initialise
 * XNNPACK before the first runtime, or EXACT cannot take effect.
 */
#ifndef ENG_RUNTIME_H
#define ENG_RUNTIME_H

#include "status.h"

typedef struct eng_runtime eng_runtime;

typedef enum eng_numerics {
    ENG_NUMERICS_EXACT = 0, /* TFLite-compatible bits (see above) */
    ENG_NUMERICS_FAST,      /* FMA / AVX-512 XNNPACK kernels allowed */
} eng_numerics;

typedef struct eng_runtime_desc {
    int threads;      /* 0 = one per online core */
    int xnnpack_only; /* 1 = never replace an XNNPACK operator by a faster
                       * posescope kernel (for tests and comparisons) */
    eng_numerics numerics; /* process-wide: see above */
    int adaptive;     /* 1 = each model runs on the pool or on the caller's
                       * thread alone, whichever its recent runs measured
                       * faster (model.h says how); 0 = always the pool */
} eng_runtime_desc;

/* Creates the runtime; EINVAL for a bad desc or a numerics mode other than
 * the one this process already runs, EBACKEND when cpuinfo, XNNPACK or the
 * pool cannot start. A NULL desc is {0}: all cores, EXACT. */
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

/* 1 when models choose between the pool and the caller's thread per run. */
int eng_runtime_adaptive(const eng_runtime *rt);

/* Milliseconds of a monotonic clock: the engine's stage timings. */
double eng_now_ms(void);

/* The numerics mode the runtime (and so the process) runs. */
eng_numerics eng_runtime_numerics(const eng_runtime *rt);

/* "exact" or "fast". Never NULL. */
const char *eng_numerics_name(eng_numerics numerics);

#endif
