#include "alloc_count.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_long n_allocs;

long test_alloc_count(void)
{
    return n_allocs;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#endif

#ifdef ASAN
/* Declared here: GCC does not ship <sanitizer/allocator_interface.h>. */
int __sanitizer_install_malloc_and_free_hooks(
    void (*on_malloc)(const volatile void *, size_t),
    void (*on_free)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    n_allocs++;
}

static void on_free(const volatile void *p)
{
    (void)p;
}

void test_alloc_count_start(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
/* glibc's own entry points; the definitions below interpose the public
 * ones and count from the first allocation on. */
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);

void test_alloc_count_start(void)
{
}

void *malloc(size_t n)
{
    n_allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    n_allocs++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    n_allocs++;
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    n_allocs++;
    return __libc_memalign(align, n);
}

void *memalign(size_t align, size_t n)
{
    n_allocs++;
    return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    n_allocs++;
    void *p = __libc_memalign(align, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}
#endif
