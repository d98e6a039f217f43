// Shared between the int8 kernel variants (not part of the module's public header).
#ifndef EDGEINSPECT_INT8_INTERNAL_H
#define EDGEINSPECT_INT8_INTERNAL_H

#include <math.h>
#include <string.h>
#include "int8_conv.h"

// sum * scale + bias stays two roundings on every CPU (no FMA contraction on aarch64 only), so
// x86 and ARM builds agree as closely as the float parts allow.
#pragma STDC FP_CONTRACT OFF

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

/// q = clamp(round_half_even(x * inv_scale), -127, 127) (NaN: -127), plus the path's byte offset
/// (wrapping to uint8 bits on purpose). Rounds by adding and removing 1.5 * 2^23, exact for
/// |v| <= 127, so no CPU needs a libm call (armv7 has no rounding conversion).
static inline int8_t ei_i8_quantize_one(float x, float inv_scale, int offset) {
    float v = x * inv_scale;
    if (!(v >= -127.0f)) v = -127.0f;   // also catches NaN
    if (v > 127.0f) v = 127.0f;
    const float magic = 12582912.0f;
    return (int8_t)(uint8_t)((int)((v + magic) - magic) + offset);
}

/// e^x as the float kernels compute it (Sources/Kernels/Math.swift, Cephes' expf): no libm call,
/// so the epilogue loops vectorise. Clamped to [-87.3, 88.3], where 2^n stays a normal float.
static inline float ei_i8_exp(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    const float magic = 12582912.0f;            /* 1.5 * 2^23: adding it rounds to an integer */
    float shifted = x * 1.44269504f + magic;
    float n = shifted - magic;
    float r = (x - n * 0.693359375f) + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float er = p * (r * r) + r + 1.0f;
    int32_t si, mi;
    memcpy(&si, &shifted, 4);
    memcpy(&mi, &magic, 4);
    int32_t bits = (si - mi + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return er * scale;
}

static inline float ei_i8_sigmoid(float v) { return 1.0f / (1.0f + ei_i8_exp(-v)); }

/// act(sum * scale + bias) of `pixels` (<= 8) outputs into v[pixel][16] from sums[pixel][16].
/// `compensate`: the sums were taken with activations offset by +128 (vpdpbusd multiplies unsigned
/// bytes), so 128 * (the channel's weight sum) is subtracted first (in integers, so every path gives
/// the same floats). Always inlined into each variant's row function, so the arithmetic over the 16
/// channels is vectorised with that variant's instruction set; the activation is chosen once per
/// call, not per value.
__attribute__((always_inline))
static inline void ei_i8_epilogue(const ei_i8_conv *c, int block, int pixels, const int32_t *sums, int compensate,
                                  float *v) {
    const int first = block * EI_I8_BLOCK;
    const float *scale = c->scale + first, *bias = c->bias + first;
    const int32_t *wsum = c->weight_sums + first;
    for (int p = 0; p < pixels; p++) {
        for (int j = 0; j < EI_I8_BLOCK; j++) {
            int32_t s = sums[p * EI_I8_BLOCK + j] - (compensate ? 128 * wsum[j] : 0);
            v[p * EI_I8_BLOCK + j] = (float)s * scale[j] + bias[j];
        }
    }
    const int n = pixels * EI_I8_BLOCK;
    const float alpha = c->alpha;
    switch (c->activation) {
    case EI_ACT_RELU: for (int i = 0; i < n; i++) v[i] = v[i] < 0 ? 0 : v[i]; break;
    case EI_ACT_LEAKY_RELU: for (int i = 0; i < n; i++) v[i] = v[i] < 0 ? v[i] * alpha : v[i]; break;
    case EI_ACT_SILU: for (int i = 0; i < n; i++) v[i] = v[i] * ei_i8_sigmoid(v[i]); break;
    case EI_ACT_SIGMOID: for (int i = 0; i < n; i++) v[i] = ei_i8_sigmoid(v[i]); break;
    default: break;
    }
}

/// Output channels of this block (16, fewer in the last one).
static inline int ei_i8_block_lanes(const ei_i8_conv *c, int block) {
    const int left = c->out_channels - block * EI_I8_BLOCK;
    return left < EI_I8_BLOCK ? left : EI_I8_BLOCK;
}

/// The reader's bytes of this block at output pixel (y, x), and how many (16, fewer in the last
/// block: up to the producer's channels rounded to 4; those past out_channels hold q = 0).
static inline int8_t *ei_i8_requant_at(const ei_i8_conv *c, const ei_i8_requant *r, int block, int y, int x,
                                       int *bytes) {
    const int first = block * EI_I8_BLOCK, rounded = (c->out_channels + 3) / 4 * 4;
    *bytes = rounded - first < EI_I8_BLOCK ? rounded - first : EI_I8_BLOCK;
    return r->dst + ((size_t)(y + r->pad_top) * r->padded_w + (size_t)(x + r->pad_left)) * r->cin4 + r->channel + first;
}

/// Stores the epilogue's floats v[pixel][16] of `pixels` outputs from (y, x) into the planar output.
static inline void ei_i8_store_floats(const ei_i8_conv *c, int block, int y, int x, int pixels, const float *v) {
    const int first = block * EI_I8_BLOCK, lanes = ei_i8_block_lanes(c, block);
    const size_t plane = (size_t)c->out_plane, at = (size_t)y * c->out_row + x;
    for (int j = 0; j < lanes; j++) {
        float *out = c->output + (first + j) * plane + at;
        for (int p = 0; p < pixels; p++) out[p] = v[p * EI_I8_BLOCK + j];
    }
}

/// Writes `pixels` (<= 8) consecutive outputs starting at (y, x) from sums[pixel][16]: the
/// epilogue's floats, as float (c->output) and/or requantised for int8 readers (c->requant), or
/// with neither the raw sums (compensated as in ei_i8_epilogue).
__attribute__((always_inline))
static inline void ei_i8_store(const ei_i8_conv *c, int block, int y, int x, int pixels,
                               const int32_t *sums, int compensate) {
    const int lanes = ei_i8_block_lanes(c, block);
    if (!c->output && !c->requant_count) {
        const int first = block * EI_I8_BLOCK;
        const size_t plane = (size_t)c->out_plane, at = (size_t)y * c->out_row + x;
        for (int j = 0; j < lanes; j++) {
            int32_t offset = compensate ? 128 * c->weight_sums[first + j] : 0;
            for (int p = 0; p < pixels; p++) c->output_i32[(first + j) * plane + at + p] = sums[p * EI_I8_BLOCK + j] - offset;
        }
        return;
    }
    float v[8 * EI_I8_BLOCK];
    ei_i8_epilogue(c, block, pixels, sums, compensate, v);
    if (c->output) ei_i8_store_floats(c, block, y, x, pixels, v);
    for (int k = 0; k < c->requant_count; k++) {
        const ei_i8_requant *r = c->requant + k;
        int bytes;
        int8_t *dst = ei_i8_requant_at(c, r, block, y, x, &bytes);
        for (int p = 0; p < pixels; p++) {
            for (int j = 0; j < bytes; j++) {
                dst[p * r->cin4 + j] = ei_i8_quantize_one(j < lanes ? v[p * EI_I8_BLOCK + j] : 0.0f, r->inv_scale, r->offset);
            }
        }
    }
}

void ei_i8_row_portable(const ei_i8_conv *c, int block, int y);
#if defined(__x86_64__)
void ei_i8_row_avx2(const ei_i8_conv *c, int block, int y);
void ei_i8_row_avx_vnni(const ei_i8_conv *c, int block, int y);
void ei_i8_row_avx512_vnni(const ei_i8_conv *c, int block, int y);
void ei_i8_row2_avx512_vnni(const ei_i8_conv *c, int block, int y);
/// ei_i8_quantize_image_row (b NULL) and ei_i8_quantize_blend_row for the AVX2 and AVX-VNNI paths,
/// and for AVX-512 VNNI.
void ei_i8_quantize_row_avx2(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                             int w, float inv_scale, int path, int8_t *row_out);
void ei_i8_quantize_row_avx512(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                               int w, float inv_scale, int path, int8_t *row_out);
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
void ei_i8_row_neon(const ei_i8_conv *c, int block, int y);
#endif
#if defined(__aarch64__)
void ei_i8_row_sdot(const ei_i8_conv *c, int block, int y);
#endif

#endif
