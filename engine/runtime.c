#include "runtime.h"

#include <stdlib.h>
#include <unistd.h>

#include <pthreadpool.h>
#include <xnnpack.h>

/* From OpenBLAS; declared here because the Debian cblas.h on the include
 * path may be the netlib one, which lacks it. */
void openblas_set_num_threads(int num_threads);

struct eng_runtime {
    pthreadpool_t pool; /* owned; NULL for one thread: no pool overhead */
    int threads;
    int own_kernels;
};

eng_status eng_runtime_create(const eng_runtime_desc *desc, eng_runtime **out,
                              eng_error *err)
{
    *out = NULL;
    int threads = desc ? desc->threads : 0;
    if (threads < 0)
        return eng_fail(err, ENG_EINVAL, "runtime: threads %d < 0", threads);
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    /* Idempotent: XNNPACK initialises once per process (pthread_once). */
    enum xnn_status xs = xnn_initialize(NULL);
    if (xs != xnn_status_success)
        return eng_fail(err, ENG_EBACKEND,
                        "runtime: XNNPACK initialisation failed (status %d)",
                        (int)xs);
    openblas_set_num_threads(1);

    eng_runtime *rt = calloc(1, sizeof(*rt));
    if (!rt) {
        xnn_deinitialize();
        return eng_fail(err, ENG_ENOMEM, "runtime: out of memory");
    }
    rt->threads = threads;
    rt->own_kernels = !(desc && desc->xnnpack_only);
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
