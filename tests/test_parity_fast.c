/*
 * test_parity.c in FAST numerics (engine/runtime.h): the numerics mode is
 * fixed per process, so FAST coverage is its own executable. The same
 * bars, except one known ill-conditioned tensor, reported instead.
 */
#define PARITY_FAST 1
#include "test_parity.c"
