// Entry points that do not depend on a codec: format sniffing, whole-file reads, limits, messages.

#include "codec_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// A file larger than this cannot hold an image we would accept anyway (64 Mi RGB pixels stored
// uncompressed is 192 MiB); refusing early keeps a stray multi-GiB file from being read into RAM.
#define IC_MAX_FILE_BYTES (512L * 1024L * 1024L)

ic_status ic_fail(char *message, size_t capacity, ic_status status, const char *format, ...) {
    if (message != NULL && capacity > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(message, capacity, format, arguments);
        va_end(arguments);
    }
    return status;
}

ic_status ic_check_dimensions(unsigned long width, unsigned long height, char *message, size_t capacity) {
    if (width == 0 || height == 0) {
        return ic_fail(message, capacity, IC_STATUS_CORRUPT, "image has zero size (%lu x %lu)", width, height);
    }
    if (width > IC_MAX_SIDE || height > IC_MAX_SIDE || width * height > (unsigned long)IC_MAX_PIXELS) {
        return ic_fail(message, capacity, IC_STATUS_TOO_LARGE,
                       "image is %lu x %lu pixels, over the limit of %d per side and %ld pixels",
                       width, height, IC_MAX_SIDE, (long)IC_MAX_PIXELS);
    }
    return IC_STATUS_OK;
}

ic_format ic_detect_format(const uint8_t *bytes, size_t length) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (bytes == NULL) return IC_FORMAT_UNKNOWN;
    if (length >= 8 && memcmp(bytes, png_signature, 8) == 0) return IC_FORMAT_PNG;
    // SOI marker followed by the first byte of the next marker.
    if (length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) return IC_FORMAT_JPEG;
    return IC_FORMAT_UNKNOWN;
}

void ic_free_image(ic_image *image) {
    if (image == NULL) return;
    free(image->pixels);
    image->pixels = NULL;
    image->width = 0;
    image->height = 0;
    image->channels = 0;
}

ic_status ic_decode_memory(const uint8_t *bytes, size_t length, ic_image *image,
                           char *message, size_t capacity) {
    if (image == NULL) return ic_fail(message, capacity, IC_STATUS_INVALID_ARGUMENT, "no output image given");
    image->pixels = NULL;
    image->width = image->height = image->channels = 0;
    if (bytes == NULL || length == 0) return ic_fail(message, capacity, IC_STATUS_CORRUPT, "no image data (empty)");
    switch (ic_detect_format(bytes, length)) {
    case IC_FORMAT_PNG: return ic_decode_png_memory(bytes, length, image, message, capacity);
    case IC_FORMAT_JPEG: return ic_decode_jpeg_memory(bytes, length, image, message, capacity);
    default:
        return ic_fail(message, capacity, IC_STATUS_UNKNOWN_FORMAT,
                       "not a PNG or JPEG image (unrecognised signature)");
    }
}

/// Reads a whole file by growing a buffer, so pipes and device files work as well as regular files.
static ic_status read_whole_file(FILE *file, uint8_t **out_bytes, size_t *out_length,
                                 char *message, size_t capacity) {
    size_t length = 0, allocated = 64 * 1024;
    uint8_t *bytes = malloc(allocated);
    if (bytes == NULL) return ic_fail(message, capacity, IC_STATUS_OUT_OF_MEMORY, "out of memory reading the file");
    for (;;) {
        if (length == allocated) {
            if (allocated >= (size_t)IC_MAX_FILE_BYTES) {
                free(bytes);
                return ic_fail(message, capacity, IC_STATUS_TOO_LARGE,
                               "file is larger than %ld bytes, too large for an image", (long)IC_MAX_FILE_BYTES);
            }
            size_t grown = allocated * 2;
            uint8_t *larger = realloc(bytes, grown);
            if (larger == NULL) {
                free(bytes);
                return ic_fail(message, capacity, IC_STATUS_OUT_OF_MEMORY, "out of memory reading the file");
            }
            bytes = larger;
            allocated = grown;
        }
        size_t got = fread(bytes + length, 1, allocated - length, file);
        length += got;
        if (got == 0) break;
    }
    if (ferror(file)) {
        int error = errno;
        free(bytes);
        return ic_fail(message, capacity, IC_STATUS_IO_ERROR, "cannot read file: %s", strerror(error));
    }
    *out_bytes = bytes;
    *out_length = length;
    return IC_STATUS_OK;
}

ic_status ic_decode_path(const char *path, ic_image *image, char *message, size_t capacity) {
    if (image == NULL || path == NULL) {
        return ic_fail(message, capacity, IC_STATUS_INVALID_ARGUMENT, "no path or output image given");
    }
    image->pixels = NULL;
    image->width = image->height = image->channels = 0;
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        int error = errno;
        return ic_fail(message, capacity, IC_STATUS_IO_ERROR, "cannot open file: %s", strerror(error));
    }
    uint8_t *bytes = NULL;
    size_t length = 0;
    ic_status status = read_whole_file(file, &bytes, &length, message, capacity);
    fclose(file);
    if (status != IC_STATUS_OK) return status;
    if (length == 0) {
        free(bytes);
        return ic_fail(message, capacity, IC_STATUS_CORRUPT, "file is empty");
    }
    status = ic_decode_memory(bytes, length, image, message, capacity);
    free(bytes);
    return status;
}
