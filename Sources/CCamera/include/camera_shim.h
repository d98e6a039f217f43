// V4L2 capture through libv4l2 (Debian's libv4l-dev): the v4l2_* wrappers convert whatever the
// camera delivers (YUYV, MJPEG, RGB, GREY, Bayer, ...) to the format asked for with libv4lconvert,
// so the rest of the runtime sees only 8-bit gray or RGB. Every wait is a poll with a timeout;
// every failure returns an errno the caller turns into a sentence (ENODEV: the camera is gone).
#ifndef EDGEINSPECT_CAMERA_SHIM_H
#define EDGEINSPECT_CAMERA_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct ei_camera ei_camera;

/// What VIDIOC_QUERYCAP says (NUL-terminated strings).
typedef struct {
    char driver[16];
    char card[32];
    char bus_info[32];
    uint32_t capabilities;   // device caps
    int can_capture;         // single-planar video capture with streaming I/O
} ei_camera_identity;

/// Opens a device (non-blocking, through libv4l2). Returns 0 and *camera, or errno.
int ei_camera_open(const char *path, ei_camera **camera);
void ei_camera_close(ei_camera *camera);
int ei_camera_identify(ei_camera *camera, ei_camera_identity *identity);
/// Identity of a device path without keeping it open (for listing and lookup by name).
int ei_camera_probe(const char *path, ei_camera_identity *identity);

/// The index-th /dev/videoN path that exists, in N order (0 and the path, or ENOENT past the end).
int ei_camera_device_path(int index, char *path, int len);

/// Formats (index 0, 1, ...): fourcc, description, emulated (1 when libv4l converts to it).
/// Returns 0, or EINVAL past the last one.
int ei_camera_format(ei_camera *camera, uint32_t index, uint32_t *fourcc, char *description, int len,
                     int *emulated);
/// Frame sizes of a format: discrete (step 0) or a range min..max in steps. EINVAL past the last.
int ei_camera_size(ei_camera *camera, uint32_t fourcc, uint32_t index, uint32_t *min_width,
                   uint32_t *min_height, uint32_t *max_width, uint32_t *max_height, uint32_t *step_width,
                   uint32_t *step_height);
/// Frame intervals of a format and size, as a fraction of a second (discrete, or the range's min).
int ei_camera_interval(ei_camera *camera, uint32_t fourcc, uint32_t width, uint32_t height, uint32_t index,
                       uint32_t *numerator, uint32_t *denominator, int *stepwise);

/// Sets the capture format (fourcc of what the caller wants to read, e.g. GREY or RGB3) and size;
/// the driver may adjust the size: the granted values come back. Returns 0 or errno.
int ei_camera_set_format(ei_camera *camera, uint32_t fourcc, uint32_t *width, uint32_t *height,
                         uint32_t *bytes_per_line);
/// Asks for `fps` frames per second; the granted rate comes back (0 when the driver cannot say).
int ei_camera_set_frame_rate(ei_camera *camera, double *fps);

/// Finds a control by name (case-insensitive, e.g. "Exposure Time, Absolute", "Gain");
/// returns 0 with its id, range and type, or ENOENT.
int ei_camera_find_control(ei_camera *camera, const char *name, uint32_t *id, int64_t *minimum,
                           int64_t *maximum, int *type);
int ei_camera_set_control(ei_camera *camera, uint32_t id, int64_t value);
int ei_camera_get_control(ei_camera *camera, uint32_t id, int64_t *value);
/// Switches automatic exposure off (when the camera has it) and sets the exposure
/// (V4L2_CID_EXPOSURE_ABSOLUTE, else V4L2_CID_EXPOSURE). Returns 0 or errno.
int ei_camera_fix_exposure(ei_camera *camera, int64_t value);
/// Switches automatic gain off (when the camera has it) and sets V4L2_CID_GAIN (else the analogue gain).
int ei_camera_fix_gain(ei_camera *camera, int64_t value);
/// The index-th control (0, 1, ...): name, type, range, current value. EINVAL past the last.
int ei_camera_control_at(ei_camera *camera, uint32_t index, char *name, int len, int *type, int64_t *minimum,
                         int64_t *maximum, int64_t *value);

/// Maps `count` buffers and starts streaming. Returns 0 or errno.
int ei_camera_start(ei_camera *camera, int count);
/// Waits up to timeout_ms for a frame. Returns 1 with the frame's bytes (valid until
/// ei_camera_release), 0 on timeout, or -errno (-ENODEV when the camera is gone).
int ei_camera_next_frame(ei_camera *camera, int timeout_ms, const uint8_t **data, size_t *bytes,
                         uint32_t *sequence);
/// Gives the last frame's buffer back to the driver. Returns 0 or errno.
int ei_camera_release(ei_camera *camera);
void ei_camera_stop(ei_camera *camera);

#endif
