// The Linux GPIO character device, uAPI v2 (kernel 5.10+), called with ioctl directly: Debian 12's
// libgpiod is 1.6 and speaks only v1. Values are logical (active-low lines are inverted by the kernel).
#ifndef EDGEINSPECT_GPIO_SHIM_H
#define EDGEINSPECT_GPIO_SHIM_H

#include <stdint.h>
#include <linux/gpio.h>

/// Opens /dev/gpiochipN (or any path); returns the fd or -errno.
int ei_gpio_open_chip(const char *path);
int ei_gpio_close(int fd);

/// Chip name, label (32 bytes each, NUL-terminated) and line count; returns 0 or errno.
int ei_gpio_chip_info(int chip_fd, char *name, char *label, uint32_t *lines);
/// The name and current consumer of a line (32 bytes each); flags are GPIO_V2_LINE_FLAG_*.
int ei_gpio_line_info(int chip_fd, uint32_t offset, char *name, char *consumer, uint64_t *flags);

/// Looks through every /dev/gpiochip* for a line called `name`. Returns 0 with the chip's path
/// (into chip_path, capacity len) and the offset; ENOENT when no chip has it; EEXIST when two do.
int ei_gpio_find_line(const char *name, char *chip_path, int len, uint32_t *offset);

/// Requests one line as an output, driven to `initial` (0/1); returns the line fd or -errno
/// (EBUSY: another program holds it).
int ei_gpio_request_output(int chip_fd, uint32_t offset, const char *consumer, int active_low, int initial);
/// Drives a requested output line; returns 0 or errno.
int ei_gpio_set(int line_fd, int value);
/// Reads a requested line (input or output); returns 0/1, or -errno.
int ei_gpio_get(int line_fd);

/// Edge selection for an input: 1 rising, 2 falling, 3 both.
/// Requests one line as an input with edge events (and the kernel's debounce when debounce_us > 0);
/// returns the line fd or -errno.
int ei_gpio_request_edge_input(int chip_fd, uint32_t offset, const char *consumer, int active_low, int edges,
                               uint32_t debounce_us);
/// Waits up to timeout_ms for an edge. Returns 1 with the event's CLOCK_MONOTONIC time and rising
/// (1) or falling (0), 0 on timeout, -errno on failure.
int ei_gpio_wait_edge(int line_fd, int timeout_ms, uint64_t *timestamp_ns, int *rising);

/// Reject pulses timed on their own thread, so a pulse is as wide as asked however long a frame takes
/// to score, and every alert gives its own rising edge: each pulse is followed by a low time of
/// gap_ms, and up to 16 fired while one runs are queued. The line must be a requested output.
typedef struct ei_gpio_pulser ei_gpio_pulser;
ei_gpio_pulser *ei_gpio_pulser_create(int line_fd, int width_ms, int gap_ms);
/// Queues one pulse; 0 when 16 are already waiting (the pulse is not given).
int ei_gpio_pulser_fire(ei_gpio_pulser *pulser);
/// Pulses given, and drive failures, so far.
void ei_gpio_pulser_stats(ei_gpio_pulser *pulser, uint64_t *pulses, uint64_t *errors);
/// Ends a running pulse at once (line low), drops queued ones, stops the thread.
void ei_gpio_pulser_destroy(ei_gpio_pulser *pulser);

/// The ioctl request numbers this file was compiled with, for the layout tests.
unsigned long ei_gpio_ioctl_get_line(void);
unsigned long ei_gpio_ioctl_set_values(void);
unsigned long ei_gpio_ioctl_get_lineinfo(void);

#endif
