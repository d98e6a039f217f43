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

// ---- AVX-512 VNNI: the same vpdpbusd on ZMM, so one instruction covers all 16 channels. A work
// item is two blocks (32 channels) where there are two, 8 pixels each: 16 accumulators. What
// limits these loops is loads (a broadcast per pixel and chunk), so the blocks share broadcasts,
// and a 3-wide kernel at stride 1 shares them between its taps (tile_sliding_avx512_vnni).
#define AVX512 "avx2,avx512f,avx512bw,avx512vl,avx512vnni"
#define PIXELS512 8

/// `np` pixels from (y, x) of `nb` (1 or 2, a constant once inlined) consecutive blocks, whose
/// packed weights start at w[b]; sums[b][pixel][16]. Two blocks share each broadcast activation
/// word: 10 loads per 16 vpdpbusd instead of 9 per 8.
__attribute__((target(AVX512), always_inline))
static inline void tile_avx512_vnni(const ei_i8_conv *c, const int8_t *const w[2], const int nb, int y, int x,
                                    const int np, int32_t *const sums[2]) {
    __m512i acc[2][PIXELS512];
    for (int b = 0; b < nb; b++) for (int p = 0; p < np; p++) acc[b][p] = _mm512_setzero_si512();
    const size_t step = (size_t)c->stride_w * c->cin4;
    const int chunks = c->cin4 / 4;
    size_t at = 0;                          // this chunk's weights within a block
    for (int ky = 0; ky < c->kernel_h; ky++) {
        for (int kx = 0; kx < c->kernel_w; kx++) {
            const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
            for (int j = 0; j < chunks; j++, at += 64) {
                __m512i wv[2];
                for (int b = 0; b < nb; b++) wv[b] = _mm512_loadu_si512((const void *)(w[b] + at));
                for (int p = 0; p < np; p++) {
                    __m512i xb = _mm512_set1_epi32(ei_i8_load4(px + p * step + 4 * j));
                    for (int b = 0; b < nb; b++) acc[b][p] = _mm512_dpbusd_epi32(acc[b][p], xb, wv[b]);
                }
            }
        }
    }
    for (int b = 0; b < nb; b++) for (int p = 0; p < np; p++) _mm512_storeu_si512((void *)(sums[b] + p * 16), acc[b][p]);
}

/// The same for 8 pixels of a 3-wide kernel at stride and dilation 1, where output pixel p's tap
/// kx reads input pixel p + kx: each of the 10 input pixels' words is broadcast once and feeds up
/// to 3 taps (3 weight vectors a block held in registers), 13 loads per 24 vpdpbusd a block
/// instead of 27.
__attribute__((target(AVX512), always_inline))
static inline void tile_sliding_avx512_vnni(const ei_i8_conv *c, const int8_t *const w[2], const int nb, int y, int x,
                                            int32_t *const sums[2]) {
    __m512i acc[2][PIXELS512];
    for (int b = 0; b < nb; b++) for (int p = 0; p < PIXELS512; p++) acc[b][p] = _mm512_setzero_si512();
    const int chunks = c->cin4 / 4;
    const size_t tap = (size_t)chunks * 64;   // weight bytes of one tap
    for (int ky = 0; ky < c->kernel_h; ky++) {
        const int8_t *px = ei_i8_tap(c, y, x, ky, 0);
        for (int j = 0; j < chunks; j++) {
            __m512i wv[2][3];
            for (int b = 0; b < nb; b++) {
                for (int kx = 0; kx < 3; kx++) {
                    wv[b][kx] = _mm512_loadu_si512((const void *)(w[b] + (size_t)(ky * 3 + kx) * tap + 64 * j));
                }
            }
#pragma clang loop unroll(full)
            for (int i = 0; i < PIXELS512 + 2; i++) {
                __m512i xb = _mm512_set1_epi32(ei_i8_load4(px + (size_t)i * c->cin4 + 4 * j));
#pragma clang loop unroll(full)
                for (int kx = 0; kx < 3; kx++) {
                    const int p = i - kx;
                    if (p < 0 || p >= PIXELS512) continue;
                    for (int b = 0; b < nb; b++) acc[b][p] = _mm512_dpbusd_epi32(acc[b][p], xb, wv[b][kx]);
                }
            }
        }
    }
    for (int b = 0; b < nb; b++) for (int p = 0; p < PIXELS512; p++) _mm512_storeu_si512((void *)(sums[b] + p * 16), acc[b][p]);
}

/// ei_i8_store for 8 pixels of a full 16-channel block: the epilogue's v[pixel][channel] is
/// transposed in registers and each channel's 8 pixels stored as one vector, where the generic
/// store writes 128 single floats (a fifth of the int8 layers' time).
__attribute__((target(AVX512), always_inline))
static inline void store_8x16_avx512(const ei_i8_conv *c, int block, int y, int x, const float *v) {
    __m512 r[8], t[8], s[8];
    for (int p = 0; p < 8; p++) r[p] = _mm512_loadu_ps(v + p * 16);   // 128-bit lane L: channels 4L..4L+3
    for (int p = 0; p < 8; p += 2) {
        t[p] = _mm512_unpacklo_ps(r[p], r[p + 1]);       // per lane: p[0] p+1[0] p[1] p+1[1]
        t[p + 1] = _mm512_unpackhi_ps(r[p], r[p + 1]);   //           p[2] p+1[2] p[3] p+1[3]
    }
    for (int h = 0; h < 2; h++) {                        // pixels 4h..4h+3
        __m512 a = t[4 * h], b = t[4 * h + 1], cc = t[4 * h + 2], d = t[4 * h + 3];
        s[4 * h + 0] = _mm512_shuffle_ps(a, cc, 0x44);   // lane L: channel 4L+0 of the four pixels
        s[4 * h + 1] = _mm512_shuffle_ps(a, cc, 0xEE);   // 4L+1
        s[4 * h + 2] = _mm512_shuffle_ps(b, d, 0x44);    // 4L+2
        s[4 * h + 3] = _mm512_shuffle_ps(b, d, 0xEE);    // 4L+3
    }
    // Channel 4L+k is lane L of s[k] (pixels 0-3) then lane L of s[4+k] (pixels 4-7).
    const __m512i lanes01 = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i lanes23 = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const size_t plane = (size_t)c->out_plane;
    float *out = c->output + (size_t)block * EI_I8_BLOCK * plane + (size_t)y * c->out_row + x;
    for (int k = 0; k < 4; k++) {
        __m512 u01 = _mm512_permutex2var_ps(s[k], lanes01, s[4 + k]);   // channels k, 4+k
        __m512 u23 = _mm512_permutex2var_ps(s[k], lanes23, s[4 + k]);   // channels 8+k, 12+k
        _mm256_storeu_ps(out + (size_t)k * plane, _mm512_castps512_ps256(u01));
        _mm256_storeu_ps(out + (size_t)(4 + k) * plane, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(u01), 1)));
        _mm256_storeu_ps(out + (size_t)(8 + k) * plane, _mm512_castps512_ps256(u23));
        _mm256_storeu_ps(out + (size_t)(12 + k) * plane, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(u23), 1)));
    }
}

/// The epilogue's floats v[pixel][16] requantised for an int8 reader: a pixel's bytes of this
/// block are contiguous in the reader's HWC layout. Four pixels at a time: their int32 are packed
/// to bytes with signed saturation (each 128-bit lane then holds a 4-channel group of the four
/// pixels) and one dword permute makes each lane one pixel's 16 bytes. The same operations as the
/// quantiser (multiply, min 127, round half to even, saturate, max -127), so the same bytes as
/// ei_i8_quantize_one; min(127, v) keeps NaN (second operand), which converts to INT32_MIN.
__attribute__((target(AVX512), always_inline))
static inline void store_requant_avx512(const ei_i8_conv *c, const ei_i8_requant *r, int block, int y, int x,
                                        int pixels, const float *v) {
    int bytes;
    int8_t *dst = ei_i8_requant_at(c, r, block, y, x, &bytes);
    const int lanes = ei_i8_block_lanes(c, block);
    const __mmask16 keep = (__mmask16)((1u << lanes) - 1), store = (__mmask16)((1u << bytes) - 1);
    const __m512 inv = _mm512_set1_ps(r->inv_scale), top = _mm512_set1_ps(127.0f);
    const __m512i bottom = _mm512_set1_epi8(-127), flip = _mm512_set1_epi8(r->offset ? (char)0x80 : 0);
    const __m512i by_pixel = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const size_t cin4 = (size_t)r->cin4;
    for (int p0 = 0; p0 < pixels; p0 += 4) {
        const int n = pixels - p0 < 4 ? pixels - p0 : 4;
        __m512i q[4];
        for (int p = 0; p < 4; p++) {
            __m512 f = _mm512_maskz_loadu_ps(p < n ? keep : 0, v + (p0 + p) * EI_I8_BLOCK);
            q[p] = _mm512_cvtps_epi32(_mm512_min_ps(top, _mm512_mul_ps(f, inv)));
        }
        __m512i b = _mm512_packs_epi16(_mm512_packs_epi32(q[0], q[1]), _mm512_packs_epi32(q[2], q[3]));
        b = _mm512_permutexvar_epi32(by_pixel, _mm512_xor_si512(_mm512_max_epi8(b, bottom), flip));
        const __m128i px[4] = {_mm512_castsi512_si128(b), _mm512_extracti32x4_epi32(b, 1),
                               _mm512_extracti32x4_epi32(b, 2), _mm512_extracti32x4_epi32(b, 3)};
        int8_t *out = dst + (size_t)p0 * cin4;
        for (int p = 0; p < n; p++) {
            if (bytes == EI_I8_BLOCK) _mm_storeu_si128((__m128i *)(out + p * cin4), px[p]);
            else _mm_mask_storeu_epi8(out + p * cin4, store, px[p]);
        }
    }
}

/// ei_i8_store with the epilogue computed once for the float output (transposed in registers for
/// full steps) and every int8 reader.
__attribute__((target(AVX512), always_inline))
static inline void store_avx512(const ei_i8_conv *c, int block, int y, int x, int pixels, const int32_t *sums) {
    if (!c->output && !c->requant_count) {
        ei_i8_store(c, block, y, x, pixels, sums, 1);
        return;
    }
    float v[8 * EI_I8_BLOCK];
    ei_i8_epilogue(c, block, pixels, sums, 1, v);
    if (c->output) {
        if (pixels == 8 && ei_i8_block_lanes(c, block) == EI_I8_BLOCK) store_8x16_avx512(c, block, y, x, v);
        else ei_i8_store_floats(c, block, y, x, pixels, v);
    }
    for (int k = 0; k < c->requant_count; k++) store_requant_avx512(c, c->requant + k, block, y, x, pixels, v);
}

/// Output row y of blocks block .. block + nb - 1 (nb 1 or 2, a constant once inlined).
__attribute__((target(AVX512), always_inline))
static inline void row_avx512_vnni(const ei_i8_conv *c, int block, const int nb, int y) {
    int32_t sums0[PIXELS512 * 16], sums1[PIXELS512 * 16];
    int32_t *const sums[2] = {sums0, sums1};
    const int8_t *const w[2] = {ei_i8_block_weights(c, block), ei_i8_block_weights(c, block + nb - 1)};
    const int sliding = c->kernel_w == 3 && c->stride_w == 1 && c->dilation_w == 1;
    int x = 0;
    for (; x + PIXELS512 <= c->out_w; x += PIXELS512) {
        if (sliding) tile_sliding_avx512_vnni(c, w, nb, y, x, sums);
        else tile_avx512_vnni(c, w, nb, y, x, PIXELS512, sums);
        for (int b = 0; b < nb; b++) store_avx512(c, block + b, y, x, PIXELS512, sums[b]);
    }
    for (; x + PIXELS <= c->out_w; x += PIXELS) {
        tile_avx512_vnni(c, w, nb, y, x, PIXELS, sums);
        for (int b = 0; b < nb; b++) store_avx512(c, block + b, y, x, PIXELS, sums[b]);
    }
    for (; x < c->out_w; x++) {
        tile_avx512_vnni(c, w, nb, y, x, 1, sums);
        for (int b = 0; b < nb; b++) store_avx512(c, block + b, y, x, 1, sums[b]);
    }
}

__attribute__((target(AVX512)))
void ei_i8_row_avx512_vnni(const ei_i8_conv *c, int block, int y) { row_avx512_vnni(c, block, 1, y); }

/// Blocks `block` and `block + 1` of output row y.
__attribute__((target(AVX512)))
void ei_i8_row2_avx512_vnni(const ei_i8_conv *c, int block, int y) { row_avx512_vnni(c, block, 2, y); }

// ---- Quantisers (ei_i8_quantize_rows): planar float -> padded HWC bytes, 16 channels x 8 (AVX2)
// or 16 (AVX-512) pixels per step. Four channels' bytes of a pixel make one 32-bit word
// (q0 | q1 << 8 | q2 << 16 | q3 << 24), so one vector holds a 4-channel group for every pixel; a
// 4x4 word transpose within each 128-bit lane then gives each pixel's 16 bytes, stored at once.
// Same result as ei_i8_quantize_one: multiply, round half to even (cvtps2dq in the default rounding
// mode), clamp to -127..127 (NaN to -127), add the path's offset as a byte.
/// The word vector of one 4-channel group at pixel x; a[k], b[k]: channel k's row, live[k]: all
/// pixels where channel k exists, none past `channels` (so its loads read nothing and give 0),
/// pixels: those in range. The value is a[k] or, with `blend` (a constant once inlined), a[k] * wa + b[k] * wb:
/// the bilinear vertical pass (two products, one sum, as Kernels/Upsample.swift computes it).
/// The four channels' int32 are packed to bytes with signed saturation ([c][pixel] per 128-bit
/// lane), clamped below to -127, and shuffled to [pixel][c]. min(127, v) keeps NaN (the second
/// operand is returned), which converts to INT32_MIN and so clamps to -127 like -inf and -1e9.
#define QUANTIZE_WORDS(V, ITYPE, mask_load, mul, add_ps, min, cvt, set1_ps, packs32, packs16, max8, shuffle8, xor_si,  \
                       set1_epi8, pattern)                                                                         \
    ITYPE q[4];                                                                                                    \
    _Pragma("clang loop unroll(full)")                                                                             \
    for (int k = 0; k < 4; k++) {                                                                                   \
        V v = mask_load(live[k], a[k] + x);                                                                        \
        if (blend) v = add_ps(mul(v, set1_ps(wa)), mul(mask_load(live[k], b[k] + x), set1_ps(wb)));                 \
        q[k] = cvt(min(set1_ps(127.0f), mul(v, set1_ps(inv_scale))));                                              \
    }                                                                                                              \
    ITYPE word = shuffle8(max8(packs16(packs32(q[0], q[1]), packs32(q[2], q[3])), set1_epi8(-127)), pattern);       \
    if (offset) word = xor_si(word, set1_epi8((char)0x80));   /* q + 128 as a byte */

__attribute__((target("avx2"), always_inline))
static inline __m256i quantize_words_avx2(const float *const a[4], const float *const b[4], const __m256i live[4],
                                          __m256i pixels, int x, const int blend, float wa, float wb, float inv_scale,
                                          int offset) {
#define LOAD8(channel, p) _mm256_maskload_ps((p), _mm256_and_si256(channel, pixels))
    const __m256i pattern = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                             0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    QUANTIZE_WORDS(__m256, __m256i, LOAD8, _mm256_mul_ps, _mm256_add_ps, _mm256_min_ps, _mm256_cvtps_epi32, _mm256_set1_ps,
                   _mm256_packs_epi32, _mm256_packs_epi16, _mm256_max_epi8, _mm256_shuffle_epi8, _mm256_xor_si256,
                   _mm256_set1_epi8, pattern)
#undef LOAD8
    return word;
}

__attribute__((target(AVX512), always_inline))
static inline __m512i quantize_words_avx512(const float *const a[4], const float *const b[4], const __mmask16 live[4],
                                            __mmask16 pixels, int x, const int blend, float wa, float wb, float inv_scale,
                                            int offset) {
#define LOAD16(channel, p) _mm512_maskz_loadu_ps((__mmask16)((channel) & pixels), (p))
    const __m512i pattern = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    QUANTIZE_WORDS(__m512, __m512i, LOAD16, _mm512_mul_ps, _mm512_add_ps, _mm512_min_ps, _mm512_cvtps_epi32, _mm512_set1_ps,
                   _mm512_packs_epi32, _mm512_packs_epi16, _mm512_max_epi8, _mm512_shuffle_epi8, _mm512_xor_si512,
                   _mm512_set1_epi8, pattern)
#undef LOAD16
    return word;
}

/// Stores pixel p's `bytes` (16, or 4..12 at the channel tail) from words[j], lane k, p = 4k + j.
static inline void quantize_store(int8_t *out, int cin4, int n, int bytes, const int32_t *words, int lanes) {
    for (int p = 0; p < n; p++) {
        const int32_t *from = words + (p % 4) * lanes + (p / 4) * 4;
        if (bytes == 16) {
            _mm_storeu_si128((__m128i *)(out + (size_t)p * cin4), _mm_loadu_si128((const __m128i *)from));
        } else {
            for (int b = 0; b < bytes; b += 4) memcpy(out + (size_t)p * cin4 + b, from + b / 4, 4);
        }
    }
}

/// The 4x4 word transpose of four group vectors w[0..3] within each 128-bit lane: r[j], lane L
/// holds pixel 4L + j's 16 bytes.
#define TRANSPOSE_WORDS(ITYPE, unpacklo32, unpackhi32, unpacklo64, unpackhi64, w, r) do {                   \
        ITYPE t0 = unpacklo32(w[0], w[1]), t1 = unpackhi32(w[0], w[1]);                                      \
        ITYPE t2 = unpacklo32(w[2], w[3]), t3 = unpackhi32(w[2], w[3]);                                      \
        r[0] = unpacklo64(t0, t2); r[1] = unpackhi64(t0, t2);                                                \
        r[2] = unpacklo64(t1, t3); r[3] = unpackhi64(t1, t3);                                                \
    } while (0)

/// Stores a full step (every pixel, 16 bytes each) straight from the lanes; a 64-byte store read
/// back in 16-byte pieces (the partial steps' way) stalls on store-to-load forwarding.
__attribute__((target("avx2"), always_inline))
static inline void quantize_store_full_avx2(int8_t *out, int cin4, const __m256i r[4]) {
    for (int j = 0; j < 4; j++) {
        _mm_storeu_si128((__m128i *)(out + (size_t)j * cin4), _mm256_castsi256_si128(r[j]));
        _mm_storeu_si128((__m128i *)(out + (size_t)(4 + j) * cin4), _mm256_extracti128_si256(r[j], 1));
    }
}

__attribute__((target(AVX512), always_inline))
static inline void quantize_store_full_avx512(int8_t *out, int cin4, const __m512i r[4]) {
    for (int j = 0; j < 4; j++) {
        _mm_storeu_si128((__m128i *)(out + (size_t)j * cin4), _mm512_castsi512_si128(r[j]));
        _mm_storeu_si128((__m128i *)(out + (size_t)(4 + j) * cin4), _mm512_extracti32x4_epi32(r[j], 1));
        _mm_storeu_si128((__m128i *)(out + (size_t)(8 + j) * cin4), _mm512_extracti32x4_epi32(r[j], 2));
        _mm_storeu_si128((__m128i *)(out + (size_t)(12 + j) * cin4), _mm512_extracti32x4_epi32(r[j], 3));
    }
}

/// Channels c0..c0 + 15 of a row in steps of LANES pixels. Their rows and masks are set once per
/// 16 channels (a channel past `channels` reads channel 0's row with every lane masked off), and
/// the four groups are unrolled so the words stay in registers. Recomputing 32 row pointers per
/// step and spilling the words to the stack had the upsampling into the 32->16 layer take 1.86 ms
/// at 512x512 instead of 1.40.
#define QUANTIZE_ROW(LANES, VTYPE, MASK_TYPE, make_mask, quantize_words, unpacklo32, unpackhi32, unpacklo64,   \
                     unpackhi64, store, store_full, BLEND)                                                     \
    for (int c0 = 0; c0 < cin4; c0 += 16) {                                                                    \
        const int bytes = cin4 - c0 < 16 ? cin4 - c0 : 16;                                                     \
        const float *ra[16], *rb[16];                                                                          \
        MASK_TYPE live[16];                                                                                    \
        for (int j = 0; j < 16; j++) {                                                                         \
            const int exists = c0 + j < channels;                                                              \
            const size_t at = (size_t)(exists ? c0 + j : 0) * channel_stride;                                  \
            ra[j] = a + at;                                                                                    \
            rb[j] = BLEND ? b + at : a + at;                                                                   \
            live[j] = make_mask(exists ? LANES : 0);                                                           \
        }                                                                                                      \
        for (int x = 0; x < w; x += LANES) {                                                                   \
            const int n = w - x < LANES ? w - x : LANES;                                                       \
            const MASK_TYPE pixels = make_mask(n);                                                             \
            VTYPE wv[4], r[4];                                                                                 \
            _Pragma("clang loop unroll(full)")                                                                 \
            for (int g = 0; g < 4; g++) {                                                                      \
                wv[g] = quantize_words(ra + 4 * g, rb + 4 * g, live + 4 * g, pixels, x, BLEND, wa, wb,         \
                                       inv_scale, offset);                                                     \
            }                                                                                                  \
            TRANSPOSE_WORDS(VTYPE, unpacklo32, unpackhi32, unpacklo64, unpackhi64, wv, r);                     \
            int8_t *out = row_out + (size_t)x * cin4 + c0;                                                     \
            if (n == LANES && bytes == 16) {                                                                   \
                store_full(out, cin4, r);                                                                      \
            } else {                                                                                           \
                int32_t words[4 * LANES];                                                                      \
                for (int j = 0; j < 4; j++) store((void *)(words + j * LANES), r[j]);                          \
                quantize_store(out, cin4, n, bytes, words, LANES);                                             \
            }                                                                                                  \
        }                                                                                                      \
    }

#define MASK8(n) _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define MASK16(n) ((__mmask16)((1u << (n)) - 1))
#define ROW_AVX2(BLEND) QUANTIZE_ROW(8, __m256i, __m256i, MASK8, quantize_words_avx2, _mm256_unpacklo_epi32,      \
    _mm256_unpackhi_epi32, _mm256_unpacklo_epi64, _mm256_unpackhi_epi64, _mm256_storeu_si256, quantize_store_full_avx2, BLEND)
#define ROW_AVX512(BLEND) QUANTIZE_ROW(16, __m512i, __mmask16, MASK16, quantize_words_avx512,                     \
    _mm512_unpacklo_epi32, _mm512_unpackhi_epi32, _mm512_unpacklo_epi64, _mm512_unpackhi_epi64, _mm512_storeu_si512,  \
    quantize_store_full_avx512, BLEND)

__attribute__((target("avx2")))
void ei_i8_quantize_row_avx2(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                             int w, float inv_scale, int path, int8_t *row_out) {
    const int offset = ei_i8_input_offset(path), cin4 = (channels + 3) / 4 * 4;
    if (b) { ROW_AVX2(1) } else { ROW_AVX2(0) }
}

__attribute__((target(AVX512)))
void ei_i8_quantize_row_avx512(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                               int w, float inv_scale, int path, int8_t *row_out) {
    const int offset = ei_i8_input_offset(path), cin4 = (channels + 3) / 4 * 4;
    if (b) { ROW_AVX512(1) } else { ROW_AVX512(0) }
}
#endif
