// Test support only: counts heap allocations made by any thread while counting is on, by
// interposing the C allocator (the test executable's definitions of malloc & co. take precedence
// over glibc's for every library in the process, the Swift runtime included).
#ifndef EDGEINSPECT_ALLOCATION_COUNTER_H
#define EDGEINSPECT_ALLOCATION_COUNTER_H

#include <stddef.h>
#include <stdint.h>

/// Zeroes the count and starts counting.
void ei_test_allocations_start(void);
/// Stops counting and returns the number of malloc/calloc/realloc/posix_memalign/aligned_alloc/
/// memalign/valloc calls since the start.
uint64_t ei_test_allocations_stop(void);
/// 1 when this executable's allocator wrappers are the ones in use (so a count of 0 means something).
int ei_test_allocations_interposed(void);

#endif
