// The field test's own view of a GPIO chip through the character device (uAPI v2), independent of
// edge-inspect: find a line by name, hold it as an output, or read it as an input. Built at test time
// by tools/fieldtest/run.sh; runs inside the guest.
//
//   gpio-probe find CHIP NAME          prints the offset of the line called NAME
//   gpio-probe hold CHIP NAME VALUE    drives NAME as an output until SIGTERM, then releases it
//   gpio-probe get CHIP NAME           requests NAME as an input and prints its value
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "gpio-probe: %s: %s\n", what, strerror(errno));
    return 2;
}

static int find_line(int chip, const char *name) {
    struct gpiochip_info info;
    memset(&info, 0, sizeof info);
    if (ioctl(chip, GPIO_GET_CHIPINFO_IOCTL, &info) < 0) return -1;
    for (unsigned offset = 0; offset < info.lines; offset++) {
        struct gpio_v2_line_info line;
        memset(&line, 0, sizeof line);
        line.offset = offset;
        if (ioctl(chip, GPIO_V2_GET_LINEINFO_IOCTL, &line) < 0) return -1;
        if (strcmp(line.name, name) == 0) return (int)offset;
    }
    errno = ENOENT;
    return -1;
}

static int request(int chip, unsigned offset, unsigned long long flags, int value) {
    struct gpio_v2_line_request req;
    memset(&req, 0, sizeof req);
    req.offsets[0] = offset;
    req.num_lines = 1;
    strcpy(req.consumer, "fieldtest");
    req.config.flags = flags;
    if (flags & GPIO_V2_LINE_FLAG_OUTPUT) {
        req.config.num_attrs = 1;
        req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
        req.config.attrs[0].attr.values = (unsigned long long)(value != 0);
        req.config.attrs[0].mask = 1;
    }
    if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0) return -1;
    return req.fd;
}

static void on_term(int sig) { (void)sig; }

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: gpio-probe find|hold|get CHIP NAME [VALUE]\n");
        return 2;
    }
    int chip = open(argv[2], O_RDWR | O_CLOEXEC);
    if (chip < 0) return fail(argv[2]);
    int offset = find_line(chip, argv[3]);
    if (offset < 0) return fail(argv[3]);
    if (strcmp(argv[1], "find") == 0) {
        printf("%d\n", offset);
        return 0;
    }
    if (strcmp(argv[1], "hold") == 0 && argc == 5) {
        int line = request(chip, (unsigned)offset, GPIO_V2_LINE_FLAG_OUTPUT, atoi(argv[4]));
        if (line < 0) return fail("request output");
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_term;
        sigaction(SIGTERM, &sa, NULL);
        printf("held\n");
        fflush(stdout);
        pause();
        close(line);  // releasing the line lets gpio-sim fall back to the line's pull
        return 0;
    }
    if (strcmp(argv[1], "get") == 0) {
        int line = request(chip, (unsigned)offset, GPIO_V2_LINE_FLAG_INPUT, 0);
        if (line < 0) return fail("request input");
        struct gpio_v2_line_values values = {.bits = 0, .mask = 1};
        if (ioctl(line, GPIO_V2_LINE_GET_VALUES_IOCTL, &values) < 0) return fail("get values");
        printf("%d\n", (int)(values.bits & 1));
        return 0;
    }
    fprintf(stderr, "gpio-probe: unknown command %s\n", argv[1]);
    return 2;
}
