#define _GNU_SOURCE
#include "camera_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <libv4l2.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BUFFERS 8

struct ei_camera {
    int fd;
    int streaming;
    int count;
    void *start[MAX_BUFFERS];
    size_t length[MAX_BUFFERS];
    int held;                  // index of the dequeued buffer, -1 when none
};

static int xioctl(int fd, unsigned long request, void *arg) {
    int r;
    do r = v4l2_ioctl(fd, request, arg); while (r == -1 && errno == EINTR);
    return r;
}

int ei_camera_open(const char *path, ei_camera **camera) {
    *camera = NULL;
    int fd = v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    ei_camera *c = calloc(1, sizeof *c);
    if (!c) { v4l2_close(fd); return ENOMEM; }
    c->fd = fd;
    c->held = -1;
    *camera = c;
    return 0;
}

void ei_camera_close(ei_camera *c) {
    if (!c) return;
    ei_camera_stop(c);
    v4l2_close(c->fd);
    free(c);
}

static void copy_text(char *to, size_t size, const unsigned char *from) {
    snprintf(to, size, "%s", (const char *)from);
}

static int identify_fd(int fd, ei_camera_identity *id, int through_libv4l) {
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    int r = through_libv4l ? xioctl(fd, VIDIOC_QUERYCAP, &cap) : ioctl(fd, VIDIOC_QUERYCAP, &cap);
    if (r != 0) return errno;
    memset(id, 0, sizeof *id);
    copy_text(id->driver, sizeof id->driver, cap.driver);
    copy_text(id->card, sizeof id->card, cap.card);
    copy_text(id->bus_info, sizeof id->bus_info, cap.bus_info);
    uint32_t caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    id->capabilities = caps;
    id->can_capture = (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING);
    return 0;
}

int ei_camera_identify(ei_camera *c, ei_camera_identity *identity) { return identify_fd(c->fd, identity, 1); }

int ei_camera_probe(const char *path, ei_camera_identity *identity) {
    // Plain open: probing must not start libv4l's conversion machinery for every node.
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    int r = identify_fd(fd, identity, 0);
    close(fd);
    return r;
}

int ei_camera_device_path(int index, char *path, int len) {
    int seen = 0;
    for (int n = 0; n < 256; n++) {
        char candidate[32];
        snprintf(candidate, sizeof candidate, "/dev/video%d", n);
        struct stat st;
        if (stat(candidate, &st) != 0 || !S_ISCHR(st.st_mode)) continue;
        if (seen++ == index) { snprintf(path, (size_t)len, "%s", candidate); return 0; }
    }
    return ENOENT;
}

int ei_camera_format(ei_camera *c, uint32_t index, uint32_t *fourcc, char *description, int len, int *emulated) {
    struct v4l2_fmtdesc desc;
    memset(&desc, 0, sizeof desc);
    desc.index = index;
    desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(c->fd, VIDIOC_ENUM_FMT, &desc) != 0) return errno;
    *fourcc = desc.pixelformat;
    snprintf(description, (size_t)len, "%s", (const char *)desc.description);
    *emulated = (desc.flags & V4L2_FMT_FLAG_EMULATED) != 0;
    return 0;
}

int ei_camera_size(ei_camera *c, uint32_t fourcc, uint32_t index, uint32_t *min_width, uint32_t *min_height,
                   uint32_t *max_width, uint32_t *max_height, uint32_t *step_width, uint32_t *step_height) {
    struct v4l2_frmsizeenum size;
    memset(&size, 0, sizeof size);
    size.index = index;
    size.pixel_format = fourcc;
    if (xioctl(c->fd, VIDIOC_ENUM_FRAMESIZES, &size) != 0) return errno;
    if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
        *min_width = *max_width = size.discrete.width;
        *min_height = *max_height = size.discrete.height;
        *step_width = *step_height = 0;
    } else {
        if (index > 0) return EINVAL;   // a range is reported once
        *min_width = size.stepwise.min_width;
        *max_width = size.stepwise.max_width;
        *min_height = size.stepwise.min_height;
        *max_height = size.stepwise.max_height;
        *step_width = size.stepwise.step_width ? size.stepwise.step_width : 1;
        *step_height = size.stepwise.step_height ? size.stepwise.step_height : 1;
    }
    return 0;
}

int ei_camera_interval(ei_camera *c, uint32_t fourcc, uint32_t width, uint32_t height, uint32_t index,
                       uint32_t *numerator, uint32_t *denominator, int *stepwise) {
    struct v4l2_frmivalenum interval;
    memset(&interval, 0, sizeof interval);
    interval.index = index;
    interval.pixel_format = fourcc;
    interval.width = width;
    interval.height = height;
    if (xioctl(c->fd, VIDIOC_ENUM_FRAMEINTERVALS, &interval) != 0) return errno;
    if (interval.type == V4L2_FRMIVAL_TYPE_DISCRETE) {
        *numerator = interval.discrete.numerator;
        *denominator = interval.discrete.denominator;
        *stepwise = 0;
    } else {
        if (index > 0) return EINVAL;
        *numerator = interval.stepwise.min.numerator;
        *denominator = interval.stepwise.min.denominator;
        *stepwise = 1;
    }
    return 0;
}

int ei_camera_set_format(ei_camera *c, uint32_t fourcc, uint32_t *width, uint32_t *height, uint32_t *bytes_per_line) {
    struct v4l2_format format;
    memset(&format, 0, sizeof format);
    format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    format.fmt.pix.width = *width;
    format.fmt.pix.height = *height;
    format.fmt.pix.pixelformat = fourcc;
    format.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(c->fd, VIDIOC_S_FMT, &format) != 0) return errno;
    if (format.fmt.pix.pixelformat != fourcc) return EPROTO;   // libv4l could not convert to it
    *width = format.fmt.pix.width;
    *height = format.fmt.pix.height;
    *bytes_per_line = format.fmt.pix.bytesperline;
    return 0;
}

int ei_camera_set_frame_rate(ei_camera *c, double *fps) {
    struct v4l2_streamparm parm;
    memset(&parm, 0, sizeof parm);
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(c->fd, VIDIOC_G_PARM, &parm) != 0) return errno;
    if (!(parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) { *fps = 0; return ENOTSUP; }
    parm.parm.capture.timeperframe.numerator = 1000;
    parm.parm.capture.timeperframe.denominator = (uint32_t)(*fps * 1000.0 + 0.5);
    if (xioctl(c->fd, VIDIOC_S_PARM, &parm) != 0) return errno;
    struct v4l2_fract t = parm.parm.capture.timeperframe;
    *fps = t.numerator ? (double)t.denominator / (double)t.numerator : 0;
    return 0;
}

int ei_camera_find_control(ei_camera *c, const char *name, uint32_t *id, int64_t *minimum, int64_t *maximum,
                           int *type) {
    struct v4l2_queryctrl query;
    memset(&query, 0, sizeof query);
    query.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    while (xioctl(c->fd, VIDIOC_QUERYCTRL, &query) == 0) {
        if (!(query.flags & V4L2_CTRL_FLAG_DISABLED) && query.type != V4L2_CTRL_TYPE_CTRL_CLASS &&
            strcasecmp((const char *)query.name, name) == 0) {
            *id = query.id;
            *minimum = query.minimum;
            *maximum = query.maximum;
            *type = (int)query.type;
            return 0;
        }
        query.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    return ENOENT;
}

int ei_camera_set_control(ei_camera *c, uint32_t id, int64_t value) {
    struct v4l2_ext_control control;
    memset(&control, 0, sizeof control);
    control.id = id;
    control.value64 = value;
    control.value = (int32_t)value;
    struct v4l2_ext_controls controls;
    memset(&controls, 0, sizeof controls);
    controls.which = V4L2_CTRL_WHICH_CUR_VAL;
    controls.count = 1;
    controls.controls = &control;
    if (xioctl(c->fd, VIDIOC_S_EXT_CTRLS, &controls) == 0) return 0;
    // Older drivers: the single-control call.
    struct v4l2_control single = { .id = id, .value = (int32_t)value };
    return xioctl(c->fd, VIDIOC_S_CTRL, &single) == 0 ? 0 : errno;
}

int ei_camera_get_control(ei_camera *c, uint32_t id, int64_t *value) {
    struct v4l2_control single = { .id = id, .value = 0 };
    if (xioctl(c->fd, VIDIOC_G_CTRL, &single) != 0) return errno;
    *value = single.value;
    return 0;
}

static int control_exists(ei_camera *c, uint32_t id) {
    struct v4l2_queryctrl query;
    memset(&query, 0, sizeof query);
    query.id = id;
    return xioctl(c->fd, VIDIOC_QUERYCTRL, &query) == 0 && !(query.flags & V4L2_CTRL_FLAG_DISABLED);
}

int ei_camera_fix_exposure(ei_camera *c, int64_t value) {
    if (control_exists(c, V4L2_CID_EXPOSURE_AUTO)) {
        int r = ei_camera_set_control(c, V4L2_CID_EXPOSURE_AUTO, V4L2_EXPOSURE_MANUAL);
        if (r != 0) return r;
    }
    if (control_exists(c, V4L2_CID_EXPOSURE_ABSOLUTE)) return ei_camera_set_control(c, V4L2_CID_EXPOSURE_ABSOLUTE, value);
    if (control_exists(c, V4L2_CID_EXPOSURE)) return ei_camera_set_control(c, V4L2_CID_EXPOSURE, value);
    return ENOTTY;
}

int ei_camera_fix_gain(ei_camera *c, int64_t value) {
    if (control_exists(c, V4L2_CID_AUTOGAIN)) {
        int r = ei_camera_set_control(c, V4L2_CID_AUTOGAIN, 0);
        if (r != 0) return r;
    }
    if (control_exists(c, V4L2_CID_GAIN)) return ei_camera_set_control(c, V4L2_CID_GAIN, value);
    if (control_exists(c, V4L2_CID_ANALOGUE_GAIN)) return ei_camera_set_control(c, V4L2_CID_ANALOGUE_GAIN, value);
    return ENOTTY;
}

int ei_camera_control_at(ei_camera *c, uint32_t index, char *name, int len, int *type, int64_t *minimum,
                         int64_t *maximum, int64_t *value) {
    struct v4l2_queryctrl query;
    memset(&query, 0, sizeof query);
    query.id = V4L2_CTRL_FLAG_NEXT_CTRL;
    uint32_t seen = 0;
    while (xioctl(c->fd, VIDIOC_QUERYCTRL, &query) == 0) {
        if (!(query.flags & V4L2_CTRL_FLAG_DISABLED) && query.type != V4L2_CTRL_TYPE_CTRL_CLASS) {
            if (seen++ == index) {
                snprintf(name, (size_t)len, "%s", (const char *)query.name);
                *type = (int)query.type;
                *minimum = query.minimum;
                *maximum = query.maximum;
                *value = query.default_value;
                ei_camera_get_control(c, query.id, value);
                return 0;
            }
        }
        query.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
    }
    return EINVAL;
}

int ei_camera_start(ei_camera *c, int count) {
    if (count < 2) count = 2;
    if (count > MAX_BUFFERS) count = MAX_BUFFERS;
    struct v4l2_requestbuffers request;
    memset(&request, 0, sizeof request);
    request.count = (uint32_t)count;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    if (xioctl(c->fd, VIDIOC_REQBUFS, &request) != 0) return errno;
    if (request.count < 2) return ENOMEM;
    c->count = (int)(request.count > MAX_BUFFERS ? MAX_BUFFERS : request.count);
    for (int i = 0; i < c->count; i++) {
        struct v4l2_buffer buffer;
        memset(&buffer, 0, sizeof buffer);
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        buffer.memory = V4L2_MEMORY_MMAP;
        buffer.index = (uint32_t)i;
        if (xioctl(c->fd, VIDIOC_QUERYBUF, &buffer) != 0) { int e = errno; ei_camera_stop(c); return e; }
        void *p = v4l2_mmap(NULL, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, buffer.m.offset);
        if (p == MAP_FAILED) { int e = errno; ei_camera_stop(c); return e; }
        c->start[i] = p;
        c->length[i] = buffer.length;
        if (xioctl(c->fd, VIDIOC_QBUF, &buffer) != 0) { int e = errno; ei_camera_stop(c); return e; }
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(c->fd, VIDIOC_STREAMON, &type) != 0) { int e = errno; ei_camera_stop(c); return e; }
    c->streaming = 1;
    return 0;
}

int ei_camera_next_frame(ei_camera *c, int timeout_ms, const uint8_t **data, size_t *bytes, uint32_t *sequence) {
    if (c->held >= 0) ei_camera_release(c);
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    int ready = poll(&p, 1, timeout_ms);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    if (ready == 0) return 0;
    if (p.revents & (POLLHUP | POLLNVAL)) return -ENODEV;
    // A removed device or a failed stream reports POLLERR; DQBUF says which (ENODEV, EIO).
    int poll_error = (p.revents & POLLERR) != 0;
    struct v4l2_buffer buffer;
    memset(&buffer, 0, sizeof buffer);
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    if (xioctl(c->fd, VIDIOC_DQBUF, &buffer) != 0) {
        if (errno == EAGAIN) return poll_error ? -EIO : 0;
        return -errno;
    }
    if (buffer.index >= (uint32_t)c->count) return -EPROTO;
    c->held = (int)buffer.index;
    *data = c->start[buffer.index];
    *bytes = buffer.bytesused;
    *sequence = buffer.sequence;
    if (buffer.flags & V4L2_BUF_FLAG_ERROR) {
        ei_camera_release(c);
        return -EIO;
    }
    return 1;
}

int ei_camera_release(ei_camera *c) {
    if (c->held < 0) return 0;
    struct v4l2_buffer buffer;
    memset(&buffer, 0, sizeof buffer);
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    buffer.index = (uint32_t)c->held;
    c->held = -1;
    return xioctl(c->fd, VIDIOC_QBUF, &buffer) == 0 ? 0 : errno;
}

void ei_camera_stop(ei_camera *c) {
    if (c->streaming) {
        enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(c->fd, VIDIOC_STREAMOFF, &type);
        c->streaming = 0;
    }
    for (int i = 0; i < c->count; i++) {
        if (c->start[i]) v4l2_munmap(c->start[i], c->length[i]);
        c->start[i] = NULL;
    }
    if (c->count > 0) {
        struct v4l2_requestbuffers request;
        memset(&request, 0, sizeof request);
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        request.memory = V4L2_MEMORY_MMAP;
        xioctl(c->fd, VIDIOC_REQBUFS, &request);
    }
    c->count = 0;
    c->held = -1;
}
