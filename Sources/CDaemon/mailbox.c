#include "mailbox.h"

#include <errno.h>
#include <stdlib.h>

#include "sync_internal.h"

struct ei_mailbox {
    pthread_mutex_t lock;
    pthread_cond_t posted;
    void **items;
    int capacity, head, count, closed;
};

ei_mailbox *ei_mailbox_create(int capacity) {
    if (capacity < 1) return NULL;
    ei_mailbox *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->items = calloc((size_t)capacity, sizeof(void *));
    if (!m->items) { free(m); return NULL; }
    m->capacity = capacity;
    pthread_mutex_init(&m->lock, NULL);
    ei_monotonic_cond_init(&m->posted);
    return m;
}

void ei_mailbox_destroy(ei_mailbox *m) {
    if (!m) return;
    pthread_cond_destroy(&m->posted);
    pthread_mutex_destroy(&m->lock);
    free(m->items);
    free(m);
}

int ei_mailbox_post(ei_mailbox *m, void *item) {
    pthread_mutex_lock(&m->lock);
    int ok = !m->closed && m->count < m->capacity;
    if (ok) {
        m->items[(m->head + m->count) % m->capacity] = item;
        m->count++;
        pthread_cond_signal(&m->posted);
    }
    pthread_mutex_unlock(&m->lock);
    return ok;
}

void *ei_mailbox_take(ei_mailbox *m, int timeout_ms) {
    struct timespec deadline = ei_deadline_after_ms(timeout_ms);
    pthread_mutex_lock(&m->lock);
    while (m->count == 0 && !m->closed) {
        if (pthread_cond_timedwait(&m->posted, &m->lock, &deadline) == ETIMEDOUT) break;
    }
    void *item = NULL;
    if (m->count > 0) {
        item = m->items[m->head];
        m->head = (m->head + 1) % m->capacity;
        m->count--;
    }
    pthread_mutex_unlock(&m->lock);
    return item;
}

void ei_mailbox_close(ei_mailbox *m) {
    pthread_mutex_lock(&m->lock);
    m->closed = 1;
    pthread_cond_broadcast(&m->posted);
    pthread_mutex_unlock(&m->lock);
}

int ei_mailbox_count(ei_mailbox *m) {
    pthread_mutex_lock(&m->lock);
    int n = m->count;
    pthread_mutex_unlock(&m->lock);
    return n;
}
