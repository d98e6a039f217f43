#include "thread_pool.h"

#include <pthread.h>
#include <stdlib.h>

struct ei_thread_pool {
    int size;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t start, done;
    unsigned long generation;   // bumped once per run; workers wait for a new value
    int pending;                // workers still busy in this generation
    int stopping;
    ptrdiff_t count;
    ei_range_fn fn;
    void *context;
};

typedef struct { ei_thread_pool *pool; int index; } worker_arg;

static void run_share(ei_thread_pool *p, int index) {
    ptrdiff_t first = p->count * index / p->size, end = p->count * (index + 1) / p->size;
    if (first < end) p->fn(p->context, first, end);
}

static void *worker(void *raw) {
    worker_arg arg = *(worker_arg *)raw;
    free(raw);
    ei_thread_pool *p = arg.pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->generation == seen && !p->stopping) pthread_cond_wait(&p->start, &p->lock);
        if (p->stopping) break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_share(p, arg.index);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
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
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
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
    pthread_mutex_lock(&p->lock);
    p->count = count;
    p->fn = fn;
    p->context = context;
    p->pending = p->size - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);

    run_share(p, p->size - 1);

    pthread_mutex_lock(&p->lock);
    while (p->pending > 0) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}
