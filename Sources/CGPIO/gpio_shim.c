#define _GNU_SOURCE
#include "gpio_shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int ei_gpio_open_chip(const char *path) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ei_gpio_close(int fd) { return close(fd) == 0 ? 0 : errno; }

/// The kernel's fixed-size name fields, always terminated in the caller's GPIO_MAX_NAME_SIZE buffer.
static void copy_name(char *dst, const char *src) {
    memcpy(dst, src, GPIO_MAX_NAME_SIZE);
    dst[GPIO_MAX_NAME_SIZE - 1] = '\0';
}

int ei_gpio_chip_info(int chip_fd, char *name, char *label, uint32_t *lines) {
    struct gpiochip_info info;
    memset(&info, 0, sizeof info);
    if (ioctl(chip_fd, GPIO_GET_CHIPINFO_IOCTL, &info) != 0) return errno;
    copy_name(name, info.name);
    copy_name(label, info.label);
    *lines = info.lines;
    return 0;
}

int ei_gpio_line_info(int chip_fd, uint32_t offset, char *name, char *consumer, uint64_t *flags) {
    struct gpio_v2_line_info info;
    memset(&info, 0, sizeof info);
    info.offset = offset;
    if (ioctl(chip_fd, GPIO_V2_GET_LINEINFO_IOCTL, &info) != 0) return errno;
    copy_name(name, info.name);
    copy_name(consumer, info.consumer);
    *flags = info.flags;
    return 0;
}

int ei_gpio_find_line(const char *name, char *chip_path, int len, uint32_t *offset) {
    DIR *dev = opendir("/dev");
    if (!dev) return errno;
    int found = 0;
    struct dirent *entry;
    while ((entry = readdir(dev)) != NULL) {
        if (strncmp(entry->d_name, "gpiochip", 8) != 0) continue;
        char path[300];
        snprintf(path, sizeof path, "/dev/%s", entry->d_name);
        int fd = ei_gpio_open_chip(path);
        if (fd < 0) continue;
        char chip_name[GPIO_MAX_NAME_SIZE], label[GPIO_MAX_NAME_SIZE];
        uint32_t lines = 0;
        if (ei_gpio_chip_info(fd, chip_name, label, &lines) == 0) {
            for (uint32_t i = 0; i < lines; i++) {
                char line_name[GPIO_MAX_NAME_SIZE], consumer[GPIO_MAX_NAME_SIZE];
                uint64_t flags;
                if (ei_gpio_line_info(fd, i, line_name, consumer, &flags) != 0) continue;
                if (strcmp(line_name, name) != 0) continue;
                if (found++ == 0) {
                    snprintf(chip_path, (size_t)len, "%s", path);
                    *offset = i;
                }
            }
        }
        close(fd);
    }
    closedir(dev);
    return found == 0 ? ENOENT : (found > 1 ? EEXIST : 0);
}

static int request_line(int chip_fd, uint32_t offset, const char *consumer, uint64_t flags,
                        int initial, uint32_t debounce_us) {
    struct gpio_v2_line_request request;
    memset(&request, 0, sizeof request);
    request.offsets[0] = offset;
    request.num_lines = 1;
    snprintf(request.consumer, sizeof request.consumer, "%s", consumer);
    request.config.flags = flags;
    unsigned attrs = 0;
    if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
        request.config.attrs[attrs].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        request.config.attrs[attrs].attr.values = initial ? 1 : 0;
        request.config.attrs[attrs].mask = 1;
        attrs++;
    }
    if (debounce_us > 0) {
        request.config.attrs[attrs].attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE;
        request.config.attrs[attrs].attr.debounce_period_us = debounce_us;
        request.config.attrs[attrs].mask = 1;
        attrs++;
    }
    request.config.num_attrs = attrs;
    if (ioctl(chip_fd, GPIO_V2_GET_LINE_IOCTL, &request) != 0) return -errno;
    return request.fd;
}

int ei_gpio_request_output(int chip_fd, uint32_t offset, const char *consumer, int active_low, int initial) {
    uint64_t flags = GPIO_V2_LINE_FLAG_OUTPUT | (active_low ? GPIO_V2_LINE_FLAG_ACTIVE_LOW : 0);
    return request_line(chip_fd, offset, consumer, flags, initial, 0);
}

int ei_gpio_set(int line_fd, int value) {
    struct gpio_v2_line_values values = { .bits = value ? 1 : 0, .mask = 1 };
    return ioctl(line_fd, GPIO_V2_LINE_SET_VALUES_IOCTL, &values) == 0 ? 0 : errno;
}

int ei_gpio_get(int line_fd) {
    struct gpio_v2_line_values values = { .bits = 0, .mask = 1 };
    if (ioctl(line_fd, GPIO_V2_LINE_GET_VALUES_IOCTL, &values) != 0) return -errno;
    return (int)(values.bits & 1);
}

int ei_gpio_request_edge_input(int chip_fd, uint32_t offset, const char *consumer, int active_low, int edges,
                               uint32_t debounce_us) {
    uint64_t flags = GPIO_V2_LINE_FLAG_INPUT | (active_low ? GPIO_V2_LINE_FLAG_ACTIVE_LOW : 0);
    if (edges & 1) flags |= GPIO_V2_LINE_FLAG_EDGE_RISING;
    if (edges & 2) flags |= GPIO_V2_LINE_FLAG_EDGE_FALLING;
    return request_line(chip_fd, offset, consumer, flags, 0, debounce_us);
}

int ei_gpio_wait_edge(int line_fd, int timeout_ms, uint64_t *timestamp_ns, int *rising) {
    struct pollfd p = { .fd = line_fd, .events = POLLIN };
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    if (ready == 0) return 0;
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return -ENODEV;
    struct gpio_v2_line_event event;
    ssize_t n = read(line_fd, &event, sizeof event);
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    if (n != (ssize_t)sizeof event) return -EIO;
    *timestamp_ns = event.timestamp_ns;
    *rising = event.id == GPIO_V2_LINE_EVENT_RISING_EDGE;
    return 1;
}

struct ei_gpio_pulser {
    int fd, width_ms, gap_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int pending, stopping;
    uint64_t pulses, errors;
};

/// Waits ms on the pulser's condition (CLOCK_MONOTONIC); returns early, 1, once stopping.
static int pulser_wait(ei_gpio_pulser *p, int ms) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) { deadline.tv_sec++; deadline.tv_nsec -= 1000000000L; }
    while (!p->stopping) {
        if (pthread_cond_timedwait(&p->wake, &p->lock, &deadline) == ETIMEDOUT) break;
    }
    return p->stopping;
}

static void *pulser_main(void *raw) {
    ei_gpio_pulser *p = raw;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        if (p->pending == 0) { pthread_cond_wait(&p->wake, &p->lock); continue; }
        int failed = ei_gpio_set(p->fd, 1) != 0;
        int stop = pulser_wait(p, p->width_ms);
        failed |= ei_gpio_set(p->fd, 0) != 0;
        p->pulses++;
        if (failed) p->errors++;
        if (!stop) pulser_wait(p, p->gap_ms);
        if (p->pending > 0) p->pending--;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

ei_gpio_pulser *ei_gpio_pulser_create(int line_fd, int width_ms, int gap_ms) {
    ei_gpio_pulser *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->fd = line_fd;
    p->width_ms = width_ms;
    p->gap_ms = gap_ms;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &attr);
    pthread_condattr_destroy(&attr);
    // Stop signals belong to the main thread.
    sigset_t block, previous;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    int error = pthread_create(&p->thread, NULL, pulser_main, p);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (error != 0) {
        pthread_cond_destroy(&p->wake);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

int ei_gpio_pulser_fire(ei_gpio_pulser *p) {
    pthread_mutex_lock(&p->lock);
    int queued = p->pending < 16;
    if (queued) {
        p->pending++;
        pthread_cond_signal(&p->wake);
    }
    pthread_mutex_unlock(&p->lock);
    return queued;
}

void ei_gpio_pulser_stats(ei_gpio_pulser *p, uint64_t *pulses, uint64_t *errors) {
    pthread_mutex_lock(&p->lock);
    *pulses = p->pulses;
    *errors = p->errors;
    pthread_mutex_unlock(&p->lock);
}

void ei_gpio_pulser_destroy(ei_gpio_pulser *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    ei_gpio_set(p->fd, 0);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

unsigned long ei_gpio_ioctl_get_line(void) { return GPIO_V2_GET_LINE_IOCTL; }
unsigned long ei_gpio_ioctl_set_values(void) { return GPIO_V2_LINE_SET_VALUES_IOCTL; }
unsigned long ei_gpio_ioctl_get_lineinfo(void) { return GPIO_V2_GET_LINEINFO_IOCTL; }
