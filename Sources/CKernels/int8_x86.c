// x86-64 int8 kernels. Each is compiled for its own instruction set with a target attribute, so
// the rest of the binary keeps the baseline; ei_i8_conv_row only calls one the CPU supports.
//
// Register blocking: 16 output channels x 4 output pixels (x), one 4-channel input chunk at a time:
// each chunk's 64 weight bytes are loaded once and reused for the 4 pixels, whose 4 activation
// bytes are broadcast to every 32-bit lane.
#if defined(__x86_64__)
#include <immintrin.h>
#include "int8_internal.h"

#define PIXELS 4

// ---- AVX2: vpmaddubsw multiplies unsigned by signed bytes with 16-bit saturation. Feeding it
// |w| (0..127) and x * sign(w) (-127..127) keeps every pair sum within 2 * 127 * 127 = 32258, so
// nothing saturates and the result is exact; vpmaddwd with ones then widens pairs to int32.
__attribute__((target("avx2"), always_inline))
static inline void tile_avx2(const ei_i8_conv *c, const int8_t *w, int y, int x, const int np, int32_t *sums) {
    __m256i acc[PIXELS][2];
    for (int p = 0; p < np; p++) acc[p][0] = acc[p][1] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            for (int j = 0; j < chunks; j++, w += 64) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 32));
                __m256i a0 = _mm256_abs_epi8(w0), a1 = _mm256_abs_epi8(w1);
                for (int p = 0; p < np; p++) {
                    __m256i xb = _mm256_set1_epi32(ei_i8_load4(px + p * step + 4 * j));
                    __m256i s0 = _mm256_maddubs_epi16(a0, _mm256_sign_epi8(xb, w0));
                    __m256i s1 = _mm256_maddubs_epi16(a1, _mm256_sign_epi8(xb, w1));
                    acc[p][0] = _mm256_add_epi32(acc[p][0], _mm256_madd_epi16(s0, ones));
                    acc[p][1] = _mm256_add_epi32(acc[p][1], _mm256_madd_epi16(s1, ones));
                }
            }
        }
    }
    for (int p = 0; p < np; p++) {
        _mm256_storeu_si256((__m256i *)(sums + p * 16), acc[p][0]);
        _mm256_storeu_si256((__m256i *)(sums + p * 16 + 8), acc[p][1]);
    }
}

__attribute__((target("avx2")))
void ei_i8_row_avx2(const ei_i8_conv *c, int block, int y) {
    int32_t sums[PIXELS * 16];
    const int8_t *w = ei_i8_block_weights(c, block);
    int x = 0;
    for (; x + PIXELS <= c->out_w; x += PIXELS) {
        tile_avx2(c, w, y, x, PIXELS, sums);
        ei_i8_store(c, block, y, x, PIXELS, sums, 0);
    }
    for (; x < c->out_w; x++) {
        tile_avx2(c, w, y, x, 1, sums);
        ei_i8_store(c, block, y, x, 1, sums, 0);
    }
}

// ---- AVX-VNNI: vpdpbusd sums four unsigned x signed byte products into each int32 lane without
// intermediate saturation. Activations arrive as q + 128 (ei_i8_input_offset), unsigned; the
// store subtracts 128 * (weight sum) per channel.
__attribute__((target("avx2,avxvnni"), always_inline))
static inline void tile_avx_vnni(const ei_i8_conv *c, const int8_t *w, int y, int x, const int np, int32_t *sums) {
    __m256i acc[PIXELS][2];
    for (int p = 0; p < np; p++) acc[p][0] = acc[p][1] = _mm256_setzero_si256();
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            for (int j = 0; j < chunks; j++, w += 64) {
                __m256i w0 = _mm256_loadu_si256((const __m256i *)w);
                __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 32));
                for (int p = 0; p < np; p++) {
                    __m256i xb = _mm256_set1_epi32(ei_i8_load4(px + p * step + 4 * j));
                    acc[p][0] = _mm256_dpbusd_avx_epi32(acc[p][0], xb, w0);
                    acc[p][1] = _mm256_dpbusd_avx_epi32(acc[p][1], xb, w1);
                }
            }
        }
    }
    for (int p = 0; p < np; p++) {
        _mm256_storeu_si256((__m256i *)(sums + p * 16), acc[p][0]);
        _mm256_storeu_si256((__m256i *)(sums + p * 16 + 8), acc[p][1]);
    }
}

__attribute__((target("avx2,avxvnni")))
void ei_i8_row_avx_vnni(const ei_i8_conv *c, int block, int y) {
    int32_t sums[PIXELS * 16];
    const int8_t *w = ei_i8_block_weights(c, block);
    int x = 0;
    for (; x + PIXELS <= c->out_w; x += PIXELS) {
        tile_avx_vnni(c, w, y, x, PIXELS, sums);
        ei_i8_store(c, block, y, x, PIXELS, sums, 1);
    }
    for (; x < c->out_w; x++) {
        tile_avx_vnni(c, w, y, x, 1, sums);
        ei_i8_store(c, block, y, x, 1, sums, 1);
    }
}

// ---- AVX-512 VNNI: the same vpdpbusd on ZMM, so one instruction covers all 16 channels; 8
// pixels give 8 independent accumulators, enough to hide vpdpbusd's latency.
#define AVX512 "avx2,avx512f,avx512bw,avx512vl,avx512vnni"
#define PIXELS512 8

__attribute__((target(AVX512), always_inline))
static inline void tile_avx512_vnni(const ei_i8_conv *c, const int8_t *w, int y, int x, const int np, int32_t *sums) {
    __m512i acc[PIXELS512];
    for (int p = 0; p < np; p++) acc[p] = _mm512_setzero_si512();
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            for (int j = 0; j < chunks; j++, w += 64) {
                __m512i wv = _mm512_loadu_si512((const void *)w);
                for (int p = 0; p < np; p++) {
                    __m512i xb = _mm512_set1_epi32(ei_i8_load4(px + p * step + 4 * j));
                    acc[p] = _mm512_dpbusd_epi32(acc[p], xb, wv);
                }
            }
        }
    }
    for (int p = 0; p < np; p++) _mm512_storeu_si512((void *)(sums + p * 16), acc[p]);
}

__attribute__((target(AVX512)))
void ei_i8_row_avx512_vnni(const ei_i8_conv *c, int block, int y) {
    int32_t sums[PIXELS512 * 16];
    const int8_t *w = ei_i8_block_weights(c, block);
    int x = 0;
    for (; x + PIXELS512 <= c->out_w; x += PIXELS512) {
        tile_avx512_vnni(c, w, y, x, PIXELS512, sums);
        ei_i8_store(c, block, y, x, PIXELS512, sums, 1);
    }
    for (; x + PIXELS <= c->out_w; x += PIXELS) {
        tile_avx512_vnni(c, w, y, x, PIXELS, sums);
        ei_i8_store(c, block, y, x, PIXELS, sums, 1);
    }
    for (; x < c->out_w; x++) {
        tile_avx512_vnni(c, w, y, x, 1, sums);
        ei_i8_store(c, block, y, x, 1, sums, 1);
    }
}
#endif
