// ARM int8 kernels. aarch64: the binary's baseline is ARMv8.0 (cortex-a53); `sdot` (ARMv8.2
// dotprod) appears only inside functions with a target attribute, reached only when HWCAP_ASIMDDP
// is set. armv7 (built with NEON, cross/build.sh): the widening-multiply kernel only.
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#include "int8_internal.h"

#if defined(__aarch64__)

// ---- sdot: 16 output channels x 4 pixels. Each 16-byte weight register holds 4 channels x 4
// input channels; the pixel's 4 activation bytes are replicated to every 32-bit lane, so one
// sdot adds 4 channels' 4-term dot products: 4 sdot per chunk and pixel.
#define SDOT_PIXELS 4

__attribute__((target("dotprod"), always_inline))
static inline void tile_sdot(const ei_i8_conv *c, const int8_t *w, int y, int x, const int np, int32_t *sums) {
    int32x4_t acc[SDOT_PIXELS][4];
    for (int p = 0; p < np; p++)
        for (int q = 0; q < 4; q++) acc[p][q] = vdupq_n_s32(0);
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            for (int j = 0; j < chunks; j++, w += 64) {
                int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
                for (int p = 0; p < np; p++) {
                    int8x16_t xb = vreinterpretq_s8_s32(vdupq_n_s32(ei_i8_load4(px + p * step + 4 * j)));
                    acc[p][0] = vdotq_s32(acc[p][0], w0, xb);
                    acc[p][1] = vdotq_s32(acc[p][1], w1, xb);
                    acc[p][2] = vdotq_s32(acc[p][2], w2, xb);
                    acc[p][3] = vdotq_s32(acc[p][3], w3, xb);
                }
            }
        }
    }
    for (int p = 0; p < np; p++)
        for (int q = 0; q < 4; q++) vst1q_s32(sums + p * 16 + 4 * q, acc[p][q]);
}

__attribute__((target("dotprod")))
void ei_i8_row_sdot(const ei_i8_conv *c, int block, int y) {
    int32_t sums[SDOT_PIXELS * 16];
    const int8_t *w = ei_i8_block_weights(c, block);
    int x = 0;
    for (; x + SDOT_PIXELS <= c->out_w; x += SDOT_PIXELS) {
        tile_sdot(c, w, y, x, SDOT_PIXELS, sums);
        ei_i8_store(c, block, y, x, SDOT_PIXELS, sums, 0);
    }
    for (; x < c->out_w; x++) {
        tile_sdot(c, w, y, x, 1, sums);
        ei_i8_store(c, block, y, x, 1, sums, 0);
    }
}

#endif

// ---- Widening multiply for cores without sdot (Cortex-A53/A72, and every armv7 core): smull/smlal
// form 16-bit sums of two products (two consecutive chunks; at most 2 * 127 * 127, no overflow),
// sadalp adds pairs of them into 32-bit lanes. A 32-bit accumulator lane then holds half of one
// channel's sum ([c0 k01, c0 k23, c1 k01, c1 k23]); addp joins the halves at the end. 16 channels
// x 2 pixels on aarch64 (16 accumulators of 32 registers); 1 pixel on armv7, which has 16.
#if defined(__aarch64__)
#define NEON_PIXELS 2
#else
#define NEON_PIXELS 1
#endif

static inline int16x8_t products(int8x8_t w, int8x8_t x) { return vmull_s8(w, x); }

// The upper 8 weight bytes times x (x2 = x:x). aarch64's smull2/smlal2 read the upper half in place;
// armv7 has no such form, but there a Q register is two D registers, so the half costs nothing.
static inline int16x8_t products_high(int8x16_t w, int8x8_t x, int8x16_t x2) {
#if defined(__aarch64__)
    (void)x;
    return vmull_high_s8(w, x2);
#else
    (void)x2;
    return vmull_s8(vget_high_s8(w), x);
#endif
}

static inline int16x8_t add_products_high(int16x8_t acc, int8x16_t w, int8x8_t x, int8x16_t x2) {
#if defined(__aarch64__)
    (void)x;
    return vmlal_high_s8(acc, w, x2);
#else
    (void)x2;
    return vmlal_s8(acc, vget_high_s8(w), x);
#endif
}

/// [a0 + a1, a2 + a3, b0 + b1, b2 + b3].
static inline int32x4_t pairwise_sums(int32x4_t a, int32x4_t b) {
#if defined(__aarch64__)
    return vpaddq_s32(a, b);
#else
    return vcombine_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)), vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
#endif
}

// The loops over q and p are unrolled by pragma: on armv7 clang kept them rolled, with the
// accumulators and weights in stack arrays, loaded and stored around every multiply.
__attribute__((always_inline))
static inline void tile_neon(const ei_i8_conv *c, const int8_t *w, int y, int x, const int np, int32_t *sums) {
    int32x4_t acc[NEON_PIXELS][8];
    for (int p = 0; p < np; p++)
        #pragma clang loop unroll(full)
        for (int q = 0; q < 8; q++) acc[p][q] = vdupq_n_s32(0);
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            int j = 0;
            for (; j + 2 <= chunks; j += 2, w += 128) {
                int8x16_t wa[4], wb[4];
                #pragma clang loop unroll(full)
                for (int q = 0; q < 4; q++) { wa[q] = vld1q_s8(w + 16 * q); wb[q] = vld1q_s8(w + 64 + 16 * q); }
                for (int p = 0; p < np; p++) {
                    int8x8_t xa = vreinterpret_s8_s32(vdup_n_s32(ei_i8_load4(px + p * step + 4 * j)));
                    int8x8_t xb = vreinterpret_s8_s32(vdup_n_s32(ei_i8_load4(px + p * step + 4 * j + 4)));
                    int8x16_t xa2 = vcombine_s8(xa, xa), xb2 = vcombine_s8(xb, xb);
                    #pragma clang loop unroll(full)
                    for (int q = 0; q < 4; q++) {
                        int16x8_t lo = vmlal_s8(products(vget_low_s8(wa[q]), xa), vget_low_s8(wb[q]), xb);
                        int16x8_t hi = add_products_high(products_high(wa[q], xa, xa2), wb[q], xb, xb2);
                        acc[p][2 * q] = vpadalq_s16(acc[p][2 * q], lo);
                        acc[p][2 * q + 1] = vpadalq_s16(acc[p][2 * q + 1], hi);
                    }
                }
            }
            for (; j < chunks; j++, w += 64) {   // an odd last chunk, alone
                int8x16_t wa[4];
                #pragma clang loop unroll(full)
                for (int q = 0; q < 4; q++) wa[q] = vld1q_s8(w + 16 * q);
                for (int p = 0; p < np; p++) {
                    int8x8_t xa = vreinterpret_s8_s32(vdup_n_s32(ei_i8_load4(px + p * step + 4 * j)));
                    int8x16_t xa2 = vcombine_s8(xa, xa);
                    #pragma clang loop unroll(full)
                    for (int q = 0; q < 4; q++) {
                        acc[p][2 * q] = vpadalq_s16(acc[p][2 * q], products(vget_low_s8(wa[q]), xa));
                        acc[p][2 * q + 1] = vpadalq_s16(acc[p][2 * q + 1], products_high(wa[q], xa, xa2));
                    }
                }
            }
        }
    }
    for (int p = 0; p < np; p++)
        #pragma clang loop unroll(full)
        for (int q = 0; q < 4; q++)
            vst1q_s32(sums + p * 16 + 4 * q, pairwise_sums(acc[p][2 * q], acc[p][2 * q + 1]));
}

void ei_i8_row_neon(const ei_i8_conv *c, int block, int y) {
    int32_t sums[NEON_PIXELS * 16];
    const int8_t *w = ei_i8_block_weights(c, block);
    int x = 0;
    for (; x + NEON_PIXELS <= c->out_w; x += NEON_PIXELS) {
        tile_neon(c, w, y, x, NEON_PIXELS, sums);
        ei_i8_store(c, block, y, x, NEON_PIXELS, sums, 0);
    }
    for (; x < c->out_w; x++) {
        tile_neon(c, w, y, x, 1, sums);
        ei_i8_store(c, block, y, x, 1, sums, 0);
    }
}
#endif
