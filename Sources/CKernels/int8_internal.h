// Shared between the int8 kernel variants (not part of the module's public header).
#ifndef EDGEINSPECT_INT8_INTERNAL_H
#define EDGEINSPECT_INT8_INTERNAL_H

#include <string.h>
#include "int8_conv.h"

/// First input byte of output pixel (y, x) for kernel tap (ky, kx).
static inline const int8_t *ei_i8_tap(const ei_i8_conv *c, int y, int x, int ky, int kx) {
    size_t row = (size_t)(y * c->stride_h + ky * c->dilation_h);
    size_t col = (size_t)(x * c->stride_w + kx * c->dilation_w);
    return c->input + (row * (size_t)c->padded_w + col) * (size_t)c->cin4;
}

/// The packed weights of one 16-channel block.
static inline const int8_t *ei_i8_block_weights(const ei_i8_conv *c, int block) {
    return c->weights + (size_t)block * c->kernel_h * c->kernel_w * c->cin4 * EI_I8_BLOCK;
}

/// Four activation bytes as one 32-bit word (for broadcasts), without alignment assumptions.
static inline int32_t ei_i8_load4(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/// Writes `pixels` consecutive outputs starting at (y, x) from sums[pixel][16]. `compensate`:
/// the sums were taken with activations offset by +128 (vpdpbusd multiplies unsigned bytes),
/// so 128 * (the channel's weight sum) is subtracted first.
void ei_i8_store(const ei_i8_conv *c, int block, int y, int x, int pixels, const int32_t *sums,
                 int compensate);

void ei_i8_row_portable(const ei_i8_conv *c, int block, int y);
#if defined(__x86_64__)
void ei_i8_row_avx2(const ei_i8_conv *c, int block, int y);
void ei_i8_row_avx_vnni(const ei_i8_conv *c, int block, int y);
void ei_i8_row_avx512_vnni(const ei_i8_conv *c, int block, int y);
#endif
#if defined(__aarch64__)
void ei_i8_row_neon(const ei_i8_conv *c, int block, int y);
void ei_i8_row_sdot(const ei_i8_conv *c, int block, int y);
#endif

#endif
