#define _GNU_SOURCE
#include "gpio_shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int ei_gpio_open_chip(const char *path) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ei_gpio_close(int fd) { return close(fd) == 0 ? 0 : errno; }

int ei_gpio_chip_info(int chip_fd, char *name, char *label, uint32_t *lines) {
    struct gpiochip_info info;
    memset(&info, 0, sizeof info);
    if (ioctl(chip_fd, GPIO_GET_CHIPINFO_IOCTL, &info) != 0) return errno;
    memcpy(name, info.name, GPIO_MAX_NAME_SIZE);
    name[GPIO_MAX_NAME_SIZE - 1] = '\0';
    memcpy(label, info.label, GPIO_MAX_NAME_SIZE);
    label[GPIO_MAX_NAME_SIZE - 1] = '\0';
    *lines = info.lines;
    return 0;
}

int ei_gpio_line_info(int chip_fd, uint32_t offset, char *name, char *consumer, uint64_t *flags) {
    struct gpio_v2_line_info info;
    memset(&info, 0, sizeof info);
    info.offset = offset;
    if (ioctl(chip_fd, GPIO_V2_GET_LINEINFO_IOCTL, &info) != 0) return errno;
    memcpy(name, info.name, GPIO_MAX_NAME_SIZE);
    name[GPIO_MAX_NAME_SIZE - 1] = '\0';
    memcpy(consumer, info.consumer, GPIO_MAX_NAME_SIZE);
    consumer[GPIO_MAX_NAME_SIZE - 1] = '\0';
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

unsigned long ei_gpio_ioctl_get_line(void) { return GPIO_V2_GET_LINE_IOCTL; }
unsigned long ei_gpio_ioctl_set_values(void) { return GPIO_V2_LINE_SET_VALUES_IOCTL; }
unsigned long ei_gpio_ioctl_get_lineinfo(void) { return GPIO_V2_GET_LINEINFO_IOCTL; }
