// PNG decoding (any colour type and depth, reduced to 8-bit gray or RGB) and 8/16-bit writing.
//
// libpng reports errors by calling an error function that must not return; ours records the text
// and longjmps back to a setjmp placed in the same C function that drives libpng, so control never
// crosses a Swift frame.

#include "codec_internal.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *message;
    size_t capacity;
    ic_status status;  // first error wins: later messages from cleanup would hide the cause
    ic_status kind;    // what a libpng error means here: corrupt input, or a failed write
    const char *what;  // prefix naming the operation in messages
} error_sink;

static void record_png_error(png_structp png, png_const_charp text) {
    error_sink *sink = png_get_error_ptr(png);
    if (sink->status == IC_STATUS_OK) {
        sink->status = ic_fail(sink->message, sink->capacity, sink->kind, "%s: %s", sink->what, text);
    }
    png_longjmp(png, 1);
}

static void ignore_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

typedef struct {
    const uint8_t *bytes;
    size_t length;
    size_t offset;
} memory_reader;

static void read_from_memory(png_structp png, png_bytep destination, size_t count) {
    memory_reader *reader = png_get_io_ptr(png);
    if (reader->length - reader->offset < count) {
        png_error(png, "unexpected end of data (truncated file)");
    }
    memcpy(destination, reader->bytes + reader->offset, count);
    reader->offset += count;
}

/// Checks the IHDR dimensions straight from the bytes. libpng only reports IHDR after reading up to
/// the first IDAT, so a hostile header would otherwise be judged by whatever follows it.
static ic_status check_header_dimensions(const uint8_t *bytes, size_t length, char *message, size_t capacity) {
    // 8-byte signature, then the IHDR chunk: length (4), type (4), width (4), height (4), ...
    if (length < 24 || memcmp(bytes + 12, "IHDR", 4) != 0) return IC_STATUS_OK;  // libpng will explain
    unsigned long width = ((unsigned long)bytes[16] << 24) | ((unsigned long)bytes[17] << 16) |
                          ((unsigned long)bytes[18] << 8) | bytes[19];
    unsigned long height = ((unsigned long)bytes[20] << 24) | ((unsigned long)bytes[21] << 16) |
                           ((unsigned long)bytes[22] << 8) | bytes[23];
    return ic_check_dimensions(width, height, message, capacity);
}

/// Everything a decode allocates, kept outside the setjmp frame so cleanup sees its final state.
typedef struct {
    png_structp png;
    png_infop info;
    png_bytep *rows;
    uint8_t *pixels;
    memory_reader reader;
    error_sink sink;
} png_decode_job;

/// Reads header and pixels; returns with job->sink.status set on failure. Owns the setjmp.
static void run_png_decode(png_decode_job *job, ic_image *image) {
    if (setjmp(png_jmpbuf(job->png))) return;

    png_set_read_fn(job->png, &job->reader, read_from_memory);
    png_read_info(job->png, job->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0;
    png_get_IHDR(job->png, job->info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    ic_status size_status = ic_check_dimensions(width, height, job->sink.message, job->sink.capacity);
    if (size_status != IC_STATUS_OK) {
        job->sink.status = size_status;
        return;
    }

    // Reduce every PNG flavour to 8-bit gray or RGB. 16-bit samples keep their high byte, which is
    // what Pillow does for 16-bit colour PNGs. Transparency is dropped, as in PIL's convert("RGB").
    if (bit_depth == 16) png_set_strip_16(job->png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
    // Expanding a palette also turns a tRNS chunk into an alpha channel, which is dropped as well.
    if ((color_type & PNG_COLOR_MASK_ALPHA) || png_get_valid(job->png, job->info, PNG_INFO_tRNS)) {
        png_set_strip_alpha(job->png);
    }
    png_set_interlace_handling(job->png);
    png_read_update_info(job->png, job->info);

    int channels = png_get_channels(job->png, job->info);
    size_t row_bytes = (size_t)width * (size_t)channels;
    if ((channels != 1 && channels != 3) || png_get_rowbytes(job->png, job->info) != row_bytes) {
        job->sink.status = ic_fail(job->sink.message, job->sink.capacity, IC_STATUS_UNSUPPORTED,
                                   "unsupported PNG layout (%d channels after conversion)", channels);
        return;
    }

    job->pixels = malloc(row_bytes * height);
    job->rows = malloc(sizeof(png_bytep) * height);
    if (job->pixels == NULL || job->rows == NULL) {
        job->sink.status = ic_fail(job->sink.message, job->sink.capacity, IC_STATUS_OUT_OF_MEMORY,
                                   "out of memory for a %lu x %lu image", (unsigned long)width, (unsigned long)height);
        return;
    }
    for (png_uint_32 y = 0; y < height; y++) job->rows[y] = job->pixels + (size_t)y * row_bytes;
    png_read_image(job->png, job->rows);

    image->pixels = job->pixels;
    image->width = (int32_t)width;
    image->height = (int32_t)height;
    image->channels = channels;
    job->pixels = NULL;  // ownership moved to the caller
}

ic_status ic_decode_png_memory(const uint8_t *bytes, size_t length, ic_image *image,
                               char *message, size_t capacity) {
    ic_status header_status = check_header_dimensions(bytes, length, message, capacity);
    if (header_status != IC_STATUS_OK) return header_status;
    png_decode_job job;
    memset(&job, 0, sizeof job);
    job.reader = (memory_reader){bytes, length, 0};
    job.sink = (error_sink){message, capacity, IC_STATUS_OK, IC_STATUS_CORRUPT, "invalid PNG data"};

    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job.sink, record_png_error, ignore_png_warning);
    if (job.png != NULL) job.info = png_create_info_struct(job.png);
    if (job.png == NULL || job.info == NULL) {
        png_destroy_read_struct(&job.png, &job.info, NULL);
        return ic_fail(message, capacity, IC_STATUS_OUT_OF_MEMORY, "out of memory starting the PNG decoder");
    }
    run_png_decode(&job, image);
    png_destroy_read_struct(&job.png, &job.info, NULL);
    free(job.rows);
    free(job.pixels);
    return job.sink.status;
}

typedef struct {
    png_structp png;
    png_infop info;
    FILE *file;
    error_sink sink;
} png_encode_job;

static void run_png_encode(png_encode_job *job, const uint8_t *pixels, int32_t width, int32_t height,
                           int32_t channels, int bit_depth) {
    if (setjmp(png_jmpbuf(job->png))) return;

    png_init_io(job->png, job->file);
    // Heatmaps are written while inspecting: favour speed over the last few percent of size.
    png_set_compression_level(job->png, 3);
    int color_type = channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB;
    png_set_IHDR(job->png, job->info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    if (bit_depth == 16) {
        const uint16_t probe = 1;  // PNG stores big-endian samples; swap on little-endian hosts
        if (*(const uint8_t *)&probe == 1) png_set_swap(job->png);
    }
    size_t row_bytes = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    for (int32_t y = 0; y < height; y++) {
        png_write_row(job->png, (png_const_bytep)(pixels + (size_t)y * row_bytes));
    }
    png_write_end(job->png, NULL);
}

static ic_status write_png(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                           int32_t channels, int bit_depth, char *message, size_t capacity) {
    if (path == NULL || pixels == NULL || (channels != 1 && channels != 3)) {
        return ic_fail(message, capacity, IC_STATUS_INVALID_ARGUMENT, "invalid arguments for writing a PNG");
    }
    if (width <= 0 || height <= 0) {
        return ic_fail(message, capacity, IC_STATUS_INVALID_ARGUMENT,
                       "cannot write an image of %ld x %ld pixels", (long)width, (long)height);
    }
    ic_status status = ic_check_dimensions((unsigned long)width, (unsigned long)height, message, capacity);
    if (status != IC_STATUS_OK) return status;

    png_encode_job job;
    memset(&job, 0, sizeof job);
    job.sink = (error_sink){message, capacity, IC_STATUS_OK, IC_STATUS_IO_ERROR, "cannot write PNG"};
    job.file = fopen(path, "wb");
    if (job.file == NULL) {
        return ic_fail(message, capacity, IC_STATUS_IO_ERROR, "cannot create file: %s", strerror(errno));
    }
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job.sink, record_png_error, ignore_png_warning);
    if (job.png != NULL) job.info = png_create_info_struct(job.png);
    if (job.png == NULL || job.info == NULL) {
        job.sink.status = ic_fail(message, capacity, IC_STATUS_OUT_OF_MEMORY, "out of memory starting the PNG encoder");
    } else {
        run_png_encode(&job, pixels, width, height, channels, bit_depth);
    }
    png_destroy_write_struct(&job.png, &job.info);
    // fclose flushes buffered data: a full disk may only show up here.
    if (fclose(job.file) != 0 && job.sink.status == IC_STATUS_OK) {
        job.sink.status = ic_fail(message, capacity, IC_STATUS_IO_ERROR, "cannot write file: %s", strerror(errno));
    }
    if (job.sink.status != IC_STATUS_OK) {
        remove(path);  // never leave a half-written image that looks valid by name
    }
    return job.sink.status;
}

ic_status ic_write_png8(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                        int32_t channels, char *message, size_t capacity) {
    return write_png(path, pixels, width, height, channels, 8, message, capacity);
}

ic_status ic_write_png_gray16(const char *path, const uint16_t *samples, int32_t width, int32_t height,
                              char *message, size_t capacity) {
    return write_png(path, (const uint8_t *)samples, width, height, 1, 16, message, capacity);
}
