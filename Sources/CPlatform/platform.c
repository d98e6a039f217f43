#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char empty_file[1];

int ei_map_file(const char *path, const void **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return e; }
    if (S_ISDIR(st.st_mode)) { close(fd); return EISDIR; }
    if (!S_ISREG(st.st_mode)) { close(fd); return EINVAL; }
    if (st.st_size == 0) { close(fd); *data = empty_file; return 0; }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) return e;
    *data = p;
    *size = (size_t)st.st_size;
    return 0;
}

void ei_unmap_file(const void *data, size_t size) {
    if (data && data != empty_file && size > 0) munmap((void *)data, size);
}

int ei_write_fd(int fd, const void *bytes, size_t count) {
    const char *p = bytes;
    while (count > 0) {
        ssize_t n = write(fd, p, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += n;
        count -= (size_t)n;
    }
    return 0;
}

int ei_write_file(const char *path, const void *bytes, size_t count) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    int e = ei_write_fd(fd, bytes, count);
    if (close(fd) != 0 && e == 0) e = errno;
    return e;
}

int ei_rename(const char *from, const char *to) { return rename(from, to) == 0 ? 0 : errno; }

const char *ei_strerror(int code) { return strerror(code); }

uint64_t ei_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ei_thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int ei_format_double(char *buf, int len, double value, int precision) {
    int n = snprintf(buf, (size_t)len, "%.*f", precision, value);
    return n < 0 ? 0 : (n >= len ? len - 1 : n);
}

int ei_format_general(char *buf, int len, double value, int precision) {
    int n = snprintf(buf, (size_t)len, "%.*g", precision, value);
    return n < 0 ? 0 : (n >= len ? len - 1 : n);
}

int ei_parse_double(const char *text, double *value) {
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE) return 0;
    *value = v;
    return 1;
}

int ei_is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ei_make_directories(const char *path) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) return ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) return errno;
            buf[i] = saved;
        }
    }
    return ei_is_directory(path) ? 0 : ENOTDIR;
}

int ei_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

uint64_t ei_peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;  // Linux reports kilobytes
}

static int saved_argc;
static char **saved_argv;

static void capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}
__attribute__((section(".init_array"), used))
static void (*capture_arguments_entry)(int, char **, char **) = capture_arguments;

int ei_argc(void) { return saved_argc; }
const char *ei_argv(int index) {
    return (index >= 0 && index < saved_argc) ? saved_argv[index] : NULL;
}

void ei_exit(int code) {
    fflush(stdout);
    exit(code);
}

const char *ei_getenv(const char *name) { return getenv(name); }
