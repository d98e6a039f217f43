// The few OS services the runtime needs, as plain C so Embedded Swift can call them
// (Glibc's Swift overlay does not exist in Embedded mode).
#ifndef EDGEINSPECT_PLATFORM_H
#define EDGEINSPECT_PLATFORM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/// Maps a whole file read-only. Returns 0 on success; otherwise errno, with `*data` NULL.
/// An empty file maps to a non-NULL dummy pointer with size 0.
int ei_map_file(const char *path, const void **data, size_t *size);
void ei_unmap_file(const void *data, size_t size);

/// Writes all bytes (retrying short writes); returns 0 or errno.
int ei_write_fd(int fd, const void *bytes, size_t count);
/// Creates a file (truncating) with all of `bytes`; returns 0 or errno.
int ei_write_file(const char *path, const void *bytes, size_t count);

/// rename(2): atomically replaces `to` on the same file system; returns 0 or errno.
int ei_rename(const char *from, const char *to);

/// Human text for an errno value, e.g. "No such file or directory".
const char *ei_strerror(int code);

/// Monotonic clock in nanoseconds.
uint64_t ei_now_ns(void);
/// CPU time consumed by the calling thread, in nanoseconds: unlike the wall clock, it does not count
/// time the thread waited for a core, so timings taken on a busy machine stay comparable.
uint64_t ei_thread_cpu_ns(void);

/// printf("%.*f") into buf; returns the length written (truncated to len-1).
int ei_format_double(char *buf, int len, double value, int precision);
/// printf("%.*g") into buf.
int ei_format_general(char *buf, int len, double value, int precision);

/// Parses a whole string as a decimal number (strtod, C locale); returns 1 on success.
int ei_parse_double(const char *text, double *value);

/// 1 if the path exists and is a directory, 0 otherwise.
int ei_is_directory(const char *path);
/// mkdir -p; returns 0 or errno.
int ei_make_directories(const char *path);

/// Online CPU cores (sysconf), at least 1.
int ei_cpu_count(void);

/// Peak resident set size of this process in bytes (from getrusage), 0 if unknown.
uint64_t ei_peak_rss_bytes(void);

/// The process arguments. Embedded Swift has no CommandLine, so the shim captures argc/argv
/// from glibc's .init_array call, which passes them to every initialiser.
int ei_argc(void);
const char *ei_argv(int index);

/// getenv(3): the variable's value, or NULL when unset.
const char *ei_getenv(const char *name);

void ei_exit(int code) __attribute__((noreturn));

#endif
