#define _GNU_SOURCE
#include "daemon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int number) { stop_signal = number; }

int ei_install_stop_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking call returns EINTR, and every wait has a timeout anyway.
    if (sigaction(SIGTERM, &action, NULL) != 0 || sigaction(SIGINT, &action, NULL) != 0) return errno;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int ei_stop_signal(void) { return stop_signal; }
void ei_request_stop(int signal_number) { stop_signal = signal_number; }

int ei_sd_notify(const char *message) {
    const char *name = getenv("NOTIFY_SOCKET");
    if (!name || !*name) return -1;
    struct sockaddr_un address;
    memset(&address, 0, sizeof address);
    address.sun_family = AF_UNIX;
    size_t length = strlen(name);
    if (length >= sizeof address.sun_path) return ENAMETOOLONG;
    if (name[0] != '/' && name[0] != '@') return EINVAL;
    memcpy(address.sun_path, name, length);
    if (name[0] == '@') address.sun_path[0] = '\0';   // abstract namespace
    socklen_t address_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + length);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    ssize_t sent = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&address, address_length);
    int error = sent < 0 ? errno : 0;
    close(fd);
    return error;
}

uint64_t ei_watchdog_usec(void) {
    const char *usec = getenv("WATCHDOG_USEC");
    if (!usec || !*usec) return 0;
    const char *pid = getenv("WATCHDOG_PID");
    if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid()) return 0;
    return strtoull(usec, NULL, 10);
}

typedef struct { ei_thread_fn fn; void *context; } thread_start;

static void *thread_main(void *raw) {
    thread_start start = *(thread_start *)raw;
    free(raw);
    start.fn(start.context);
    return NULL;
}

int ei_thread_start(ei_thread_fn fn, void *context, uint64_t *handle) {
    thread_start *start = malloc(sizeof *start);
    if (!start) return ENOMEM;
    start->fn = fn;
    start->context = context;
    // Stop signals are handled on the main thread, whose waits are the ones that must end early.
    sigset_t block, previous;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    pthread_t thread;
    int error = pthread_create(&thread, NULL, thread_main, start);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (error != 0) { free(start); return error; }
    *handle = (uint64_t)thread;
    return 0;
}

void ei_thread_join(uint64_t handle) { pthread_join((pthread_t)handle, NULL); }

void ei_sleep_ms(int ms) {
    if (ms <= 0) return;
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int ei_open_append(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : fd;
}

int64_t ei_file_size_fd(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 ? (int64_t)st.st_size : -errno;
}

int64_t ei_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -errno;
}

int ei_close(int fd) { return close(fd) == 0 ? 0 : errno; }
int ei_remove(const char *path) { return unlink(path) == 0 ? 0 : errno; }

int ei_list_directory(const char *dir, ei_dir_entry_fn fn, void *context) {
    DIR *d = opendir(dir);
    if (!d) return errno;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.' && (entry->d_name[1] == '\0' || (entry->d_name[1] == '.' && entry->d_name[2] == '\0')))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), entry->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        fn(context, entry->d_name, (int64_t)st.st_size);
    }
    closedir(d);
    return 0;
}

uint64_t ei_wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void utc_parts(uint64_t wall_ns, struct tm *tm, int *ms) {
    time_t seconds = (time_t)(wall_ns / 1000000000u);
    *ms = (int)((wall_ns / 1000000u) % 1000u);
    gmtime_r(&seconds, tm);
}

void ei_format_utc(uint64_t wall_ns, char *buf, int len) {
    struct tm tm; int ms;
    utc_parts(wall_ns, &tm, &ms);
    snprintf(buf, (size_t)len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

void ei_format_utc_compact(uint64_t wall_ns, char *buf, int len) {
    struct tm tm; int ms;
    utc_parts(wall_ns, &tm, &ms);
    snprintf(buf, (size_t)len, "%04d%02d%02d-%02d%02d%02d-%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}
