// Timed waits on CLOCK_MONOTONIC, so a wall-clock jump (NTP on a board that booted in 1970)
// cannot stretch or cut a timeout.
#ifndef EDGEINSPECT_SYNC_INTERNAL_H
#define EDGEINSPECT_SYNC_INTERNAL_H

#include <pthread.h>
#include <time.h>

static inline void ei_monotonic_cond_init(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

static inline struct timespec ei_deadline_after_ms(int ms) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ms < 0) ms = 0;
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000L; }
    return ts;
}

#endif
