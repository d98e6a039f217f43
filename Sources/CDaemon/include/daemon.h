// OS services of a long-running daemon, as plain C for Embedded Swift: signals, systemd's
// notification socket, threads, and the file operations that logging and image saving need.
#ifndef EDGEINSPECT_DAEMON_H
#define EDGEINSPECT_DAEMON_H

#include <stddef.h>
#include <stdint.h>

/// Installs SIGTERM/SIGINT handlers that only set a flag (async-signal-safe), and ignores SIGPIPE
/// (a closed stdout or socket must not kill a daemon). Returns 0 or errno.
int ei_install_stop_signals(void);
/// The signal that asked us to stop (SIGTERM, SIGINT), or 0 while none has arrived.
int ei_stop_signal(void);
/// Sets the flag as if a signal had arrived (tests, and a fatal condition that should stop cleanly).
void ei_request_stop(int signal_number);

/// Sends `message` (e.g. "READY=1") to the datagram socket named by $NOTIFY_SOCKET, as
/// sd_notify(3) does: a path, or "@name" for the abstract namespace. Returns 0 when sent,
/// -1 when $NOTIFY_SOCKET is not set (not run by systemd: nothing to do), errno otherwise.
int ei_sd_notify(const char *message);
/// $WATCHDOG_USEC when set and meant for this process ($WATCHDOG_PID absent or our pid), else 0.
uint64_t ei_watchdog_usec(void);

/// A started thread: fn(context) runs on it. Returns 0 and sets *handle, or errno.
typedef void (*ei_thread_fn)(void *context);
int ei_thread_start(ei_thread_fn fn, void *context, uint64_t *handle);
void ei_thread_join(uint64_t handle);

/// Sleeps up to `ms` milliseconds (returns early on a signal).
void ei_sleep_ms(int ms);

/// Opens a file for appending (created 0644); returns the fd or -errno.
int ei_open_append(const char *path);
/// Size of an open file in bytes, or -errno.
int64_t ei_file_size_fd(int fd);
/// Size of a file by path, or -errno (-ENOENT when absent).
int64_t ei_file_size(const char *path);
int ei_close(int fd);
/// unlink(2); returns 0 or errno.
int ei_remove(const char *path);

/// Calls fn(context, name, bytes) for each regular file directly in `dir` (not . or ..).
/// Returns 0 or errno (ENOENT when the folder is absent).
typedef void (*ei_dir_entry_fn)(void *context, const char *name, int64_t bytes);
int ei_list_directory(const char *dir, ei_dir_entry_fn fn, void *context);

/// Wall-clock time (CLOCK_REALTIME) in nanoseconds since 1970, for log timestamps.
uint64_t ei_wall_ns(void);
/// "2026-11-22T19:20:31.123Z" (UTC, milliseconds) into buf (at least 32 bytes).
void ei_format_utc(uint64_t wall_ns, char *buf, int len);
/// The same, compact for file names: "20261122-192031-123".
void ei_format_utc_compact(uint64_t wall_ns, char *buf, int len);



/// Sequentially consistent load/store of an int shared between threads (stop flags).
static inline int32_t ei_atomic_load(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void ei_atomic_store(int32_t *p, int32_t value) { __atomic_store_n(p, value, __ATOMIC_SEQ_CST); }
#endif
