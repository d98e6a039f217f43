// A persistent pthread pool with static partitioning: the hot loops of a frame run on threads
// that were started once, so no thread is created per frame and the split of work is the same
// every frame (repeatable timing, no work-stealing overhead for evenly sized conv tiles).
#ifndef EDGEINSPECT_THREAD_POOL_H
#define EDGEINSPECT_THREAD_POOL_H

#include <stddef.h>

typedef struct ei_thread_pool ei_thread_pool;

/// fn(context, first, end) handles items [first, end).
typedef void (*ei_range_fn)(void *context, ptrdiff_t first, ptrdiff_t end);

/// Starts threads - 1 workers (the caller is the last one). NULL if threads < 1 or on failure.
ei_thread_pool *ei_thread_pool_create(int threads);
void ei_thread_pool_destroy(ei_thread_pool *pool);
int ei_thread_pool_size(const ei_thread_pool *pool);

/// Splits [0, count) into `size` contiguous ranges, runs them in parallel (the caller takes the
/// last), and returns when all are done. Calls from one thread at a time.
void ei_thread_pool_run(ei_thread_pool *pool, ptrdiff_t count, ei_range_fn fn, void *context);

#endif
