#include "runtime.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cpuinfo.h>
#include <pthreadpool.h>
#include <xnnpack.h>

/* From OpenBLAS; declared here because the Debian cblas.h on the include
 * path may be the netlib one, which lacks it. */
void openblas_set_num_threads(int num_threads);

struct eng_runtime {
    pthreadpool_t pool; /* owned; NULL for one thread: no pool overhead */
    int threads;
    int own_kernels;
    int adaptive;
    eng_numerics numerics;
};

/* The process's numerics mode, fixed by the first runtime that initialised
 * XNNPACK (see runtime.h); the lock makes concurrent first creations agree
 * on one mode and mask cpuinfo before either initialises XNNPACK. */
static pthread_mutex_t mode_lock = PTHREAD_MUTEX_INITIALIZER;
static bool mode_fixed;
static eng_numerics mode;

/* Hides the fused multiply-add ISAs from XNNPACK's kernel choice. Writes
 * cpuinfo_isa, which cpuinfo.h calls unstable API: the Debian builds of
 * XNNPACK and cpuinfo read the same layout (test_parity's bit-exact check
 * would fail if a later pair did not). */
static void mask_fused_isas(void)
{
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
    struct cpuinfo_x86_isa *isa = &cpuinfo_isa;
    isa->fma3 = isa->fma4 = false;
    isa->avx512f = isa->avx512pf = isa->avx512er = isa->avx512cd = false;
    isa->avx512dq = isa->avx512bw = isa->avx512vl = isa->avx512ifma = false;
    isa->avx512vbmi = isa->avx512vbmi2 = isa->avx512bitalg = false;
    isa->avx512vpopcntdq = isa->avx512vnni = isa->avx512bf16 = false;
    isa->avx512vp2intersect = isa->avx512_4vnniw = false;
    isa->avx512_4fmaps = false;
#endif
}

/* Initialises XNNPACK in `numerics` mode, or checks that the process
 * already runs that mode. xnn_initialize() is idempotent (pthread_once):
 * each runtime calls it once and xnn_deinitialize() once. */
static eng_status init_xnnpack(eng_numerics numerics, eng_error *err)
{
    eng_status st = ENG_OK;
    pthread_mutex_lock(&mode_lock);
    if (mode_fixed && numerics != mode) {
        st = eng_fail(err, ENG_EINVAL,
                      "runtime: numerics '%s' asked, but this process "
                      "already runs XNNPACK with '%s' kernels (XNNPACK "
                      "picks them once per process)",
                      eng_numerics_name(numerics), eng_numerics_name(mode));
        goto out;
    }
    if (!mode_fixed && numerics == ENG_NUMERICS_EXACT) {
        if (!cpuinfo_initialize()) {
            st = eng_fail(err, ENG_EBACKEND,
                          "runtime: cpuinfo initialisation failed");
            goto out;
        }
        mask_fused_isas();
    }
    enum xnn_status xs = xnn_initialize(NULL);
    if (xs != xnn_status_success) {
        st = eng_fail(err, ENG_EBACKEND,
                      "runtime: XNNPACK initialisation failed (status %d)",
                      (int)xs);
        goto out;
    }
    mode_fixed = true;
    mode = numerics;
out:
    pthread_mutex_unlock(&mode_lock);
    return st;
}

eng_status eng_runtime_create(const eng_runtime_desc *desc, eng_runtime **out,
                              eng_error *err)
{
    static const eng_runtime_desc defaults = {0};
    *out = NULL;
    if (!desc)
        desc = &defaults;
    int threads = desc->threads;
    if (threads < 0)
        return eng_fail(err, ENG_EINVAL, "runtime: threads %d < 0", threads);
    if (desc->numerics != ENG_NUMERICS_EXACT &&
        desc->numerics != ENG_NUMERICS_FAST)
        return eng_fail(err, ENG_EINVAL, "runtime: unknown numerics %d",
                        (int)desc->numerics);
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    eng_status st = init_xnnpack(desc->numerics, err);
    if (st)
        return st;
    openblas_set_num_threads(1);

    eng_runtime *rt = calloc(1, sizeof(*rt));
    if (!rt) {
        xnn_deinitialize();
        return eng_fail(err, ENG_ENOMEM, "runtime: out of memory");
    }
    rt->threads = threads;
    rt->own_kernels = !desc->xnnpack_only;
    rt->numerics = desc->numerics;
    rt->adaptive = desc->adaptive != 0;
    if (threads > 1) {
        rt->pool = pthreadpool_create((size_t)threads);
        if (!rt->pool) {
            free(rt);
            xnn_deinitialize();
            return eng_fail(err, ENG_EBACKEND,
                            "runtime: cannot create a pool of %d threads",
                            threads);
        }
    }
    *out = rt;
    return ENG_OK;
}

void eng_runtime_destroy(eng_runtime *rt)
{
    if (!rt)
        return;
    if (rt->pool)
        pthreadpool_destroy(rt->pool);
    free(rt);
    xnn_deinitialize();
}

double eng_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int eng_runtime_adaptive(const eng_runtime *rt)
{
    return rt->adaptive;
}

int eng_runtime_threads(const eng_runtime *rt)
{
    return rt->threads;
}

void *eng_runtime_pool(const eng_runtime *rt)
{
    return rt->pool;
}

int eng_runtime_own_kernels(const eng_runtime *rt)
{
    return rt->own_kernels;
}

eng_numerics eng_runtime_numerics(const eng_runtime *rt)
{
    return rt->numerics;
}

const char *eng_numerics_name(eng_numerics numerics)
{
    return numerics == ENG_NUMERICS_FAST ? "fast" : "exact";
}
