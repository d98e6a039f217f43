#include "thread_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

// Waking a thread blocked on a condition variable took 46-48 us a run on the 2-core VM where this
// was measured (a frame issues 30-40 runs): so both sides spin a while first. A worker done with
// its share polls for the next run, and the caller for the workers' end, for up to SPIN_NS before
// blocking. The runs of one frame follow each other within microseconds; between frames the
// workers spin once and then sleep, about 3 % of a core at 30 frames a second.
#define SPIN_NS 1000000

struct ei_thread_pool {
    int size;
    pthread_t *threads;
    pthread_mutex_t lock;       // guards sleepers and the condition variables' waits
    pthread_cond_t start, done;
    _Atomic unsigned long generation;   // bumped once per run; workers wait for a new value
    _Atomic int pending;                // workers still busy in this generation
    _Atomic int stopping;
    int sleepers;               // workers blocked on `start`
    ptrdiff_t count;            // the run's work, published by the release of `generation`
    ei_range_fn fn;
    void *context;
};

typedef struct { ei_thread_pool *pool; int index; } worker_arg;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ volatile("yield");
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/// Polls until done(arg) or SPIN_NS have passed (the clock read every 64 polls); returns done(arg).
static int spin_until(int (*done)(ei_thread_pool *, unsigned long), ei_thread_pool *p, unsigned long arg) {
    uint64_t deadline = 0;
    for (unsigned polls = 0;; polls++) {
        if (done(p, arg)) return 1;
        if ((polls & 63) == 0) {
            uint64_t t = now_ns();
            if (deadline == 0) deadline = t + SPIN_NS;
            else if (t > deadline) return 0;
        }
        cpu_relax();
    }
}

static int new_run(ei_thread_pool *p, unsigned long seen) {
    return atomic_load_explicit(&p->generation, memory_order_acquire) != seen
        || atomic_load_explicit(&p->stopping, memory_order_acquire);
}

static int workers_done(ei_thread_pool *p, unsigned long unused) {
    (void)unused;
    return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

static void run_share(ei_thread_pool *p, int index) {
    ptrdiff_t first = p->count * index / p->size, end = p->count * (index + 1) / p->size;
    if (first < end) p->fn(p->context, first, end);
}

static void *worker(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ei_thread_pool *p = arg.pool;
    unsigned long seen = 0;
    for (;;) {
        if (!spin_until(new_run, p, seen)) {
            pthread_mutex_lock(&p->lock);
            p->sleepers++;
            while (!new_run(p, seen)) pthread_cond_wait(&p->start, &p->lock);
            p->sleepers--;
            pthread_mutex_unlock(&p->lock);
        }
        if (atomic_load_explicit(&p->stopping, memory_order_acquire)) break;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        run_share(p, arg.index);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            // The last one: the caller may be blocked (taking the lock orders this after its check).
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
    return NULL;
}

ei_thread_pool *ei_thread_pool_create(int threads) {
    if (threads < 1 || threads > 256) return NULL;
    ei_thread_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->size = threads;
    p->threads = calloc((size_t)threads, sizeof(pthread_t));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i + 1 < threads; i++) {
        worker_arg *arg = malloc(sizeof *arg);
        if (!p->threads || !arg) { free(arg); p->size = i + 1; ei_thread_pool_destroy(p); return NULL; }
        arg->pool = p;
        arg->index = i;
        if (pthread_create(&p->threads[i], NULL, worker, arg) != 0) {
            free(arg);
            p->size = i + 1;   // destroy joins the i workers started so far
            ei_thread_pool_destroy(p);
            return NULL;
        }
    }
    return p;
}

void ei_thread_pool_destroy(ei_thread_pool *p) {
    if (!p) return;
    atomic_store_explicit(&p->stopping, 1, memory_order_release);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i + 1 < p->size; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}

int ei_thread_pool_size(const ei_thread_pool *p) { return p->size; }

void ei_thread_pool_run(ei_thread_pool *p, ptrdiff_t count, ei_range_fn fn, void *context) {
    if (p->size == 1 || count <= 1) {
        if (count > 0) fn(context, 0, count);
        return;
    }
    p->count = count;
    p->fn = fn;
    p->context = context;
    atomic_store_explicit(&p->pending, p->size - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    // Workers that stopped spinning wait on `start`: they count themselves under the lock before
    // checking the generation, so a run published before this lock is either seen or signalled.
    pthread_mutex_lock(&p->lock);
    if (p->sleepers > 0) pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);

    run_share(p, p->size - 1);

    if (!spin_until(workers_done, p, 0)) {
        pthread_mutex_lock(&p->lock);
        while (!workers_done(p, 0)) pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
    }
}
