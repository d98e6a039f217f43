// Wrappers around glibc's allocator entry points (__libc_*), which count calls while a flag is set.
// Only glibc is supported: the __libc_* names are its stable exported aliases of the real allocator.
#define _GNU_SOURCE
#include "allocation_counter.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static int counting;
static uint64_t count;
static int wrapper_called;

static void note(void) {
    __atomic_store_n(&wrapper_called, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED)) __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size) { note(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { note(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { note(); return __libc_realloc(p, size); }
void *memalign(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { note(); return __libc_memalign(alignment, size); }
void *valloc(size_t size) { note(); return __libc_memalign((size_t)sysconf(_SC_PAGESIZE), size); }

int posix_memalign(void **out, size_t alignment, size_t size) {
    note();
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *p = __libc_memalign(alignment, size);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

void ei_test_allocations_start(void) {
    __atomic_store_n(&count, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&counting, 1, __ATOMIC_SEQ_CST);
}

uint64_t ei_test_allocations_stop(void) {
    __atomic_store_n(&counting, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&count, __ATOMIC_SEQ_CST);
}

int ei_test_allocations_interposed(void) {
    __atomic_store_n(&wrapper_called, 0, __ATOMIC_SEQ_CST);
    void *volatile probe = malloc(16);
    free(probe);
    return __atomic_load_n(&wrapper_called, __ATOMIC_SEQ_CST);
}
