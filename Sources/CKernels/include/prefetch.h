// Software prefetch, which Swift cannot express.
#ifndef EDGEINSPECT_PREFETCH_H
#define EDGEINSPECT_PREFETCH_H

/// Asks for the cache line at p to be loaded into all cache levels; never faults.
static inline void ei_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
