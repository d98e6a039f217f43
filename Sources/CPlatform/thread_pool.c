#define _GNU_SOURCE                 // sched_getaffinity
#include "thread_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

// Waking a thread blocked on a condition variable took 46-48 us a run on the 2-core VM where this
// was measured (a frame issues 30-40 runs): so both sides poll a while first. A worker done with
// its share polls for the next run, and the caller for the workers' end, for up to SPIN_NS before
// blocking; the runs of one frame mostly follow each other within that. Measured there, int8 file
// at 256x256, 2 threads, wall clock: idle 3.33 -> 2.41 ms. Beside a busy loop on one of the two
// cores (two runs): cond var median 4.8 ms, p99 5.0-9.0; this 5.6-6.2 and 8.3-10.4. Polling for
// 1 ms instead made that loaded median 30 ms (the poller held the core the thread it waited for
// needed), and 200 us of sched_yield polls kept the median but gave p99s near 30 ms (a yield can
// last another process's time slice). A pool with more threads than the CPUs it may run on
// never polls.
#define SPIN_NS 30000

struct ei_thread_pool {
    int size;
    pthread_t *threads;
    pthread_mutex_t lock;       // guards sleepers and the condition variables' waits
    pthread_cond_t start, done;
    _Atomic unsigned long generation;   // bumped once per run; workers wait for a new value
    _Atomic int pending;                // workers still busy in this generation
    _Atomic int stopping;
    int sleepers;               // workers blocked on `start`
    uint64_t spin_ns;           // SPIN_NS, or 0 when oversubscribed
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

/// Polls until done(arg) or the pool's spin time has passed; returns done(arg).
static int spin_until(int (*done)(ei_thread_pool *, unsigned long), ei_thread_pool *p, unsigned long arg) {
    if (p->spin_ns == 0) return done(p, arg);
    uint64_t deadline = now_ns() + p->spin_ns;
    for (;;) {
        if (done(p, arg)) return 1;
        if (now_ns() > deadline) return 0;
        cpu_relax();
    }
}

/// The CPUs this process may run on (its affinity mask; all online ones if that is unknown).
static int usable_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
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
    p->spin_ns = threads <= usable_cpus() ? SPIN_NS : 0;
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
