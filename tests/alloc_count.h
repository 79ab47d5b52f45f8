/*
 * alloc_count: counts every allocation the process makes (XNNPACK's, the
 * thread pool's and FFmpeg's included), so a test can prove a hot path
 * allocates nothing after warm-up.
 *
 * Without AddressSanitizer, alloc_count.c replaces malloc and its siblings
 * (glibc lets a program do so) and forwards to glibc; with it, ASan owns
 * malloc and reports each allocation to a hook instead. Only the tests
 * that need it link alloc_count.c, so no other test runs on a replaced
 * allocator. Under valgrind the count stays 0: valgrind replaces malloc.
 */
#ifndef TEST_ALLOC_COUNT_H
#define TEST_ALLOC_COUNT_H

/* Starts counting; call once, first thing in main. */
void test_alloc_count_start(void);

/* Allocations counted so far, in every thread. */
long test_alloc_count(void);

#endif
