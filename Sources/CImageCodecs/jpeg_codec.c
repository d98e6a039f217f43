// JPEG decoding with libjpeg-turbo to 8-bit gray or RGB, with the same settings Pillow uses
// (JDCT_ISLOW, fancy upsampling), so decoded pixels match what the Python tools trained on.
//
// libjpeg reports fatal errors through error_exit, which must not return; ours records the text
// and longjmps to a setjmp in the C function that drives the decoder, never across Swift frames.

#include "codec_internal.h"

#include <setjmp.h>
#include <stdio.h>  // jpeglib.h needs FILE
#include <jpeglib.h>
#include <jerror.h>
#include <stdlib.h>
#include <string.h>

// Progressive files may legally hold hundreds of scans, but thousands of tiny ones are a known way
// to make a small file cost minutes of CPU; a camera frame never needs more than a few dozen.
#define MAX_PROGRESSIVE_SCANS 500

typedef struct {
    struct jpeg_error_mgr base;  // first member: libjpeg hands our callbacks a pointer to it
    jmp_buf jump;
    char *message;
    size_t capacity;
    ic_status status;            // first error wins
} jpeg_error_sink;

static void fail_and_jump(j_common_ptr cinfo, ic_status status, const char *text) {
    jpeg_error_sink *sink = (jpeg_error_sink *)cinfo->err;
    if (sink->status == IC_STATUS_OK) {
        sink->status = ic_fail(sink->message, sink->capacity, status, "invalid JPEG data: %s", text);
    }
    longjmp(sink->jump, 1);
}

static void record_jpeg_error(j_common_ptr cinfo) {
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    fail_and_jump(cinfo, IC_STATUS_CORRUPT, text);
}

static void handle_jpeg_message(j_common_ptr cinfo, int level) {
    // Level -1 is a warning. Running out of data is a truncated file: libjpeg would pad the rest
    // with grey and carry on, but a half-grey frame must not be scored as if it were whole. Other
    // warnings (stray bytes between markers, common in camera MJPEG) are tolerated, as in Pillow.
    if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        fail_and_jump(cinfo, IC_STATUS_CORRUPT, "unexpected end of data (truncated file)");
    }
}

static void discard_jpeg_output(j_common_ptr cinfo) {
    (void)cinfo;
}

static void limit_progressive_scans(j_common_ptr cinfo) {
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > MAX_PROGRESSIVE_SCANS) {
        fail_and_jump(cinfo, IC_STATUS_UNSUPPORTED, "too many progressive scans");
    }
}

/// Everything a decode allocates, kept outside the setjmp frame so cleanup sees its final state.
typedef struct {
    struct jpeg_decompress_struct cinfo;
    jpeg_error_sink errors;
    struct jpeg_progress_mgr progress;
    uint8_t *pixels;
} jpeg_decode_job;

/// Chooses the output colour space; CMYK and YCCK (print files) have no faithful RGB here.
static int select_output(jpeg_decode_job *job) {
    switch (job->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        job->cinfo.out_color_space = JCS_GRAYSCALE;
        return 1;
    case JCS_YCbCr:
    case JCS_RGB:
        job->cinfo.out_color_space = JCS_RGB;
        return 3;
    case JCS_CMYK:
    case JCS_YCCK:
        job->errors.status = ic_fail(job->errors.message, job->errors.capacity, IC_STATUS_UNSUPPORTED,
                                     "CMYK/YCCK JPEG is not supported; save the image as RGB or grayscale");
        return 0;
    default:
        job->errors.status = ic_fail(job->errors.message, job->errors.capacity, IC_STATUS_UNSUPPORTED,
                                     "JPEG with %d components in an unknown colour space is not supported",
                                     job->cinfo.num_components);
        return 0;
    }
}

/// Reads header and pixels; returns with job->errors.status set on failure. Owns the setjmp.
static void run_jpeg_decode(jpeg_decode_job *job, const uint8_t *bytes, size_t length, ic_image *image) {
    if (setjmp(job->errors.jump)) return;

    jpeg_create_decompress(&job->cinfo);
    job->progress.progress_monitor = limit_progressive_scans;
    job->cinfo.progress = &job->progress;
    jpeg_mem_src(&job->cinfo, bytes, (unsigned long)length);
    jpeg_read_header(&job->cinfo, TRUE);

    ic_status size_status = ic_check_dimensions(job->cinfo.image_width, job->cinfo.image_height,
                                                job->errors.message, job->errors.capacity);
    if (size_status != IC_STATUS_OK) {
        job->errors.status = size_status;
        return;
    }
    int channels = select_output(job);
    if (channels == 0) return;
    job->cinfo.dct_method = JDCT_ISLOW;
    job->cinfo.do_fancy_upsampling = TRUE;
    jpeg_start_decompress(&job->cinfo);

    JDIMENSION width = job->cinfo.output_width, height = job->cinfo.output_height;
    if (job->cinfo.output_components != channels) {
        job->errors.status = ic_fail(job->errors.message, job->errors.capacity, IC_STATUS_UNSUPPORTED,
                                     "JPEG decoder produced %d components, expected %d",
                                     job->cinfo.output_components, channels);
        return;
    }
    size_t row_bytes = (size_t)width * (size_t)channels;
    job->pixels = malloc(row_bytes * height);
    if (job->pixels == NULL) {
        job->errors.status = ic_fail(job->errors.message, job->errors.capacity, IC_STATUS_OUT_OF_MEMORY,
                                     "out of memory for a %lu x %lu image", (unsigned long)width, (unsigned long)height);
        return;
    }
    while (job->cinfo.output_scanline < height) {
        JSAMPROW row = job->pixels + (size_t)job->cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&job->cinfo, &row, 1);
    }
    // No jpeg_finish_decompress: every pixel is in, and a missing EOI marker after complete image
    // data (seen in some camera frames) should not discard a good image.

    image->pixels = job->pixels;
    image->width = (int32_t)width;
    image->height = (int32_t)height;
    image->channels = channels;
    job->pixels = NULL;  // ownership moved to the caller
}

ic_status ic_decode_jpeg_memory(const uint8_t *bytes, size_t length, ic_image *image,
                                char *message, size_t capacity) {
    jpeg_decode_job job;
    memset(&job, 0, sizeof job);
    job.cinfo.err = jpeg_std_error(&job.errors.base);
    job.errors.base.error_exit = record_jpeg_error;
    job.errors.base.emit_message = handle_jpeg_message;
    job.errors.base.output_message = discard_jpeg_output;
    job.errors.message = message;
    job.errors.capacity = capacity;
    job.errors.status = IC_STATUS_OK;

    run_jpeg_decode(&job, bytes, length, image);
    jpeg_destroy_decompress(&job.cinfo);  // safe on a zeroed or half-created struct (mem == NULL)
    free(job.pixels);
    return job.errors.status;
}
