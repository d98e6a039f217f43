// Hand-written kernels for 32-bit ARM (armv7 hard-float NEON), where Swift's SIMD fused
// multiply-add is scalarised (one vfma.f32 per lane). Swift calls them under `#if arch(arm)` only.
#ifndef EDGEINSPECT_ARMV7_KERNELS_H
#define EDGEINSPECT_ARMV7_KERNELS_H

#include <stddef.h>

/// The inner block of conv2DDirectOC8 (Sources/Kernels/Conv2DDirectOC8.swift): 8 output channels
/// x 4 output pixels. For pixel p in 0..<4 and lane j in 0..<8 it writes out[p * 8 + j] =
///   bias[j] + sum over (c, ky, kx), in that order, of
///   weights[((c * kernel_h + ky) * kernel_w + kx) * 8 + j]
///     * input[c * channel_stride + ky * row_stride + kx * tap_stride + p * pixel_stride]
/// weights is one 8-channel block of the packed layout [blocks][in][kh][kw][8]; input points at the
/// first tap of pixel 0 in the zero-padded source. Each step is one fused multiply-add where the
/// CPU has them (VFPv4: Cortex-A7 and later), a multiply then an add otherwise (Cortex-A9).
void ei_conv_oc8x4(const float *input, const float *weights, const float *bias,
                   int channels, int kernel_h, int kernel_w,
                   ptrdiff_t channel_stride, ptrdiff_t row_stride, ptrdiff_t tap_stride,
                   ptrdiff_t pixel_stride, float *out);

#endif
