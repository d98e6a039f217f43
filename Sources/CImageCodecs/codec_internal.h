#ifndef IMAGE_CODECS_INTERNAL_H
#define IMAGE_CODECS_INTERNAL_H

// Shared by the PNG and JPEG halves of the shim; not part of the public header.

#include "image_codecs.h"

/// Writes a printf-style message into the caller's buffer (if any) and returns `status`.
ic_status ic_fail(char *message, size_t capacity, ic_status status, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/// Checks width/height against IC_MAX_SIDE and IC_MAX_PIXELS, explaining a refusal in `message`.
ic_status ic_check_dimensions(unsigned long width, unsigned long height, char *message, size_t capacity);

ic_status ic_decode_png_memory(const uint8_t *bytes, size_t length, ic_image *image,
                               char *message, size_t capacity);
ic_status ic_decode_jpeg_memory(const uint8_t *bytes, size_t length, ic_image *image,
                                char *message, size_t capacity);

#endif
