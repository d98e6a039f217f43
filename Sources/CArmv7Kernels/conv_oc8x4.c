// The armv7 NEON micro-kernel of conv2DDirectOC8 (see armv7_kernels.h for its exact semantics).
// Sixteen 128-bit registers hold 8 accumulators (4 pixels x 2 halves of 8 channels), 2 weight
// vectors and the broadcast pixels. On other CPUs the same loop runs on a portable 4-lane type with
// fmaf, which is never called by the runtime there but lets host tests check the loop's indexing
// and accumulation order against the Swift kernel, bit for bit.
#include "armv7_kernels.h"

#if defined(__arm__) && defined(__ARM_NEON)
#include <arm_neon.h>

typedef float32x4_t lanes4;
static inline lanes4 load4(const float *p) { return vld1q_f32(p); }
static inline void store4(float *p, lanes4 v) { vst1q_f32(p, v); }
/// acc + w * x per lane.
static inline lanes4 madd4(lanes4 acc, lanes4 w, float x) {
#if defined(__ARM_FEATURE_FMA)
    return vfmaq_f32(acc, w, vdupq_n_f32(x));   // vfma.f32 q: fused, as Swift's addingProduct
#else
    return vmlaq_n_f32(acc, w, x);               // VFPv3 has no fused multiply-add
#endif
}

#else
#include <math.h>

typedef struct { float lane[4]; } lanes4;
static inline lanes4 load4(const float *p) {
    lanes4 v;
    for (int i = 0; i < 4; i++) v.lane[i] = p[i];
    return v;
}
static inline void store4(float *p, lanes4 v) {
    for (int i = 0; i < 4; i++) p[i] = v.lane[i];
}
static inline lanes4 madd4(lanes4 acc, lanes4 w, float x) {
    for (int i = 0; i < 4; i++) acc.lane[i] = fmaf(w.lane[i], x, acc.lane[i]);
    return acc;
}
#endif

void ei_conv_oc8x4(const float *input, const float *weights, const float *bias,
                   int channels, int kernel_h, int kernel_w,
                   ptrdiff_t channel_stride, ptrdiff_t row_stride, ptrdiff_t tap_stride,
                   ptrdiff_t pixel_stride, float *out) {
    // lo: channels 0-3, hi: channels 4-7; one pair per output pixel.
    lanes4 lo0 = load4(bias), hi0 = load4(bias + 4);
    lanes4 lo1 = lo0, hi1 = hi0, lo2 = lo0, hi2 = hi0, lo3 = lo0, hi3 = hi0;
    const float *w = weights;
    for (int c = 0; c < channels; c++) {
        for (int ky = 0; ky < kernel_h; ky++) {
            const float *row = input + c * channel_stride + ky * row_stride;
            for (int kx = 0; kx < kernel_w; kx++, w += 8) {
                const float *p = row + kx * tap_stride;
                const lanes4 wlo = load4(w), whi = load4(w + 4);
                const float x0 = p[0], x1 = p[pixel_stride], x2 = p[2 * pixel_stride], x3 = p[3 * pixel_stride];
                lo0 = madd4(lo0, wlo, x0); hi0 = madd4(hi0, whi, x0);
                lo1 = madd4(lo1, wlo, x1); hi1 = madd4(hi1, whi, x1);
                lo2 = madd4(lo2, wlo, x2); hi2 = madd4(hi2, whi, x2);
                lo3 = madd4(lo3, wlo, x3); hi3 = madd4(hi3, whi, x3);
            }
        }
    }
    store4(out, lo0);      store4(out + 4, hi0);
    store4(out + 8, lo1);  store4(out + 12, hi1);
    store4(out + 16, lo2); store4(out + 20, hi2);
    store4(out + 24, lo3); store4(out + 28, hi3);
}
