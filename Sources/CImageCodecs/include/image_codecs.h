#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

// A small C API over libpng and libjpeg-turbo for the Swift `Imaging` module.
//
// Contract for every function here:
// - errors never longjmp out: each call sets up its own setjmp, so no Swift frame is ever skipped;
// - nothing is printed; a failing call returns a non-zero IC_STATUS_* code and writes one short
//   sentence (without the file name, which the caller knows) into `message`;
// - pixel memory is malloc'd here and released with ic_free_image.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Largest accepted width or height, and largest accepted pixel count (64 Mi pixels). Anything
/// bigger is refused before its pixels are allocated, so a hostile header cannot exhaust memory.
#define IC_MAX_SIDE 16384
#define IC_MAX_PIXELS (64L * 1024L * 1024L)

/// Room for any message this library writes, terminating NUL included.
#define IC_MESSAGE_CAPACITY 256

typedef enum {
    IC_STATUS_OK = 0,
    IC_STATUS_IO_ERROR = 1,          // the file could not be opened, read or written
    IC_STATUS_UNKNOWN_FORMAT = 2,    // neither a PNG nor a JPEG signature
    IC_STATUS_CORRUPT = 3,           // truncated or malformed data
    IC_STATUS_UNSUPPORTED = 4,       // valid but not handled (CMYK JPEG, ...)
    IC_STATUS_TOO_LARGE = 5,         // dimensions past IC_MAX_SIDE / IC_MAX_PIXELS
    IC_STATUS_OUT_OF_MEMORY = 6,
    IC_STATUS_INVALID_ARGUMENT = 7,
} ic_status;

typedef enum {
    IC_FORMAT_UNKNOWN = 0,
    IC_FORMAT_PNG = 1,
    IC_FORMAT_JPEG = 2,
} ic_format;

/// A decoded image: 8-bit samples, rows top to bottom, channels interleaved (gray, or R G B).
typedef struct {
    uint8_t *pixels;  // width * height * channels bytes, owned by the caller after a decode
    int32_t width;
    int32_t height;
    int32_t channels; // 1 or 3
} ic_image;

/// The format named by the first bytes (magic numbers), whatever the file is called.
ic_format ic_detect_format(const uint8_t *bytes, size_t length);

/// Decodes a PNG or JPEG file. On success fills `image` (release with ic_free_image); on failure
/// leaves `image` empty and writes the reason into `message` (capacity `message_capacity`).
ic_status ic_decode_path(const char *path, ic_image *image, char *message, size_t message_capacity);

/// Same as ic_decode_path for bytes already in memory (e.g. an MJPEG frame from a camera).
ic_status ic_decode_memory(const uint8_t *bytes, size_t length, ic_image *image,
                           char *message, size_t message_capacity);

/// Frees the pixels of a decoded image and clears it; safe to call twice or on an empty image.
void ic_free_image(ic_image *image);

/// Writes an 8-bit PNG, gray (channels 1) or RGB (channels 3), from interleaved rows.
ic_status ic_write_png8(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                        int32_t channels, char *message, size_t message_capacity);

/// Writes a 16-bit gray PNG from native-endian samples (raw anomaly maps keep their precision).
ic_status ic_write_png_gray16(const char *path, const uint16_t *samples, int32_t width, int32_t height,
                              char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
