#include "frame_exchange.h"

#include <errno.h>
#include <stdlib.h>

#include "sync_internal.h"

struct ei_frame_exchange {
    pthread_mutex_t lock;
    pthread_cond_t fresh_frame;
    int middle;             // the buffer between producer and consumer
    int fresh;              // middle holds a frame the consumer has not taken
    int woken;              // a wake request is pending
    uint64_t sequence, captured_ns;
    uint64_t published, dropped;
};

ei_frame_exchange *ei_frame_exchange_create(void) {
    ei_frame_exchange *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    pthread_mutex_init(&x->lock, NULL);
    ei_monotonic_cond_init(&x->fresh_frame);
    x->middle = 2;
    return x;
}

void ei_frame_exchange_destroy(ei_frame_exchange *x) {
    if (!x) return;
    pthread_cond_destroy(&x->fresh_frame);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

void ei_frame_exchange_publish(ei_frame_exchange *x, int *buffer, uint64_t sequence, uint64_t captured_ns) {
    pthread_mutex_lock(&x->lock);
    int filled = *buffer;
    *buffer = x->middle;
    x->middle = filled;
    if (x->fresh) x->dropped++;
    x->fresh = 1;
    x->sequence = sequence;
    x->captured_ns = captured_ns;
    x->published++;
    pthread_cond_signal(&x->fresh_frame);
    pthread_mutex_unlock(&x->lock);
}

int ei_frame_exchange_take(ei_frame_exchange *x, int *buffer, int timeout_ms, uint64_t *sequence,
                           uint64_t *captured_ns) {
    struct timespec deadline = ei_deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&x->lock);
    while (!x->fresh && !x->woken) {
        if (pthread_cond_timedwait(&x->fresh_frame, &x->lock, &deadline) == ETIMEDOUT) break;
    }
    int got = x->fresh;
    x->woken = 0;
    if (got) {
        int previous = *buffer;
        *buffer = x->middle;
        x->middle = previous;
        x->fresh = 0;
        *sequence = x->sequence;
        *captured_ns = x->captured_ns;
    }
    pthread_mutex_unlock(&x->lock);
    return got;
}

void ei_frame_exchange_wake(ei_frame_exchange *x) {
    pthread_mutex_lock(&x->lock);
    x->woken = 1;
    pthread_cond_signal(&x->fresh_frame);
    pthread_mutex_unlock(&x->lock);
}

uint64_t ei_frame_exchange_published(ei_frame_exchange *x) {
    pthread_mutex_lock(&x->lock);
    uint64_t n = x->published;
    pthread_mutex_unlock(&x->lock);
    return n;
}

uint64_t ei_frame_exchange_dropped(ei_frame_exchange *x) {
    pthread_mutex_lock(&x->lock);
    uint64_t n = x->dropped;
    pthread_mutex_unlock(&x->lock);
    return n;
}
