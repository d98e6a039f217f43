// The parts of the int8 path every variant shares: weight packing, activation quantisation,
// the fused epilogue, the portable reference kernel, and the run-time choice of variant.
#include <math.h>
#include <stdlib.h>
#include "cpu_features.h"
#include "int8_internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#elif defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>
#endif
#if defined(__SSE2__) || defined(__aarch64__) || defined(__ARM_NEON)
#define EI_QUANTIZE_VECTOR 1
#endif

size_t ei_i8_packed_size(int out_channels, int in_channels, int kernel_h, int kernel_w) {
    size_t blocks = (size_t)(out_channels + EI_I8_BLOCK - 1) / EI_I8_BLOCK;
    size_t cin4 = (size_t)(in_channels + 3) / 4 * 4;
    return blocks * (size_t)kernel_h * (size_t)kernel_w * cin4 * EI_I8_BLOCK;
}

void ei_i8_pack_weights(const int8_t *weights, int out_channels, int in_channels, int kernel_h,
                        int kernel_w, int8_t *packed, int32_t *sums) {
    int blocks = (out_channels + EI_I8_BLOCK - 1) / EI_I8_BLOCK;
    int cin4 = (in_channels + 3) / 4 * 4;
    memset(packed, 0, ei_i8_packed_size(out_channels, in_channels, kernel_h, kernel_w));
    memset(sums, 0, sizeof(int32_t) * (size_t)blocks * EI_I8_BLOCK);
    for (int o = 0; o < out_channels; o++) {
        int block = o / EI_I8_BLOCK, lane = o % EI_I8_BLOCK;
        for (int ci = 0; ci < in_channels; ci++) {
            for (int ky = 0; ky < kernel_h; ky++) {
                for (int kx = 0; kx < kernel_w; kx++) {
                    int8_t w = weights[(((size_t)o * in_channels + ci) * kernel_h + ky) * kernel_w + kx];
                    size_t chunk = (((size_t)block * kernel_h + ky) * kernel_w + kx) * (cin4 / 4) + ci / 4;
                    packed[(chunk * EI_I8_BLOCK + lane) * 4 + ci % 4] = w;
                    sums[o] += w;
                }
            }
        }
    }
}

int ei_i8_input_offset(int path) {
    return path == EI_I8_AVX_VNNI || path == EI_I8_AVX512_VNNI ? 128 : 0;
}

#if EI_QUANTIZE_VECTOR
/// Four pixels x four channels: rows[k] points at channel k's next four floats. Writes 4 bytes per
/// pixel at out + p * stride. Same rounding as ei_i8_quantize_one: cvtps2dq / fcvtns round half to even,
/// and on armv7, which has no rounding conversion, the float addition of 1.5 * 2^23 does.
static inline void quantize_4x4(const float *rows[4], float inv_scale, int offset, int8_t *out, size_t stride) {
#if defined(__SSE2__)
    __m128 r0 = _mm_loadu_ps(rows[0]), r1 = _mm_loadu_ps(rows[1]), r2 = _mm_loadu_ps(rows[2]), r3 = _mm_loadu_ps(rows[3]);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);   // now r_p = pixel p's four channels
    const __m128 inv = _mm_set1_ps(inv_scale), lo = _mm_set1_ps(-127.0f), hi = _mm_set1_ps(127.0f);
    const __m128i off = _mm_set1_epi32(offset);
    __m128 px[4] = {r0, r1, r2, r3};
    __m128i q[4];
    for (int p = 0; p < 4; p++) {
        __m128 v = _mm_max_ps(_mm_mul_ps(px[p], inv), lo);   // maxps returns lo for NaN
        q[p] = _mm_add_epi32(_mm_cvtps_epi32(_mm_min_ps(v, hi)), off);
    }
    // 0..255 (offset 128) or -127..127 (offset 0): both survive the 32 -> 16 bit signed pack;
    // the final pack keeps the low byte of each (unsigned or signed saturation, per offset).
    __m128i w01 = _mm_packs_epi32(q[0], q[1]), w23 = _mm_packs_epi32(q[2], q[3]);
    __m128i bytes = offset ? _mm_packus_epi16(w01, w23) : _mm_packs_epi16(w01, w23);
    int32_t words[4];
    _mm_storeu_si128((__m128i *)words, bytes);
#else
    float32x4x2_t z01 = vzipq_f32(vld1q_f32(rows[0]), vld1q_f32(rows[1]));   // c0 c1 of pixels 0, 1 | 2, 3
    float32x4x2_t z23 = vzipq_f32(vld1q_f32(rows[2]), vld1q_f32(rows[3]));   // c2 c3 of the same
    float32x4_t t0 = z01.val[0], t1 = z01.val[1], t2 = z23.val[0], t3 = z23.val[1];
    float32x4_t px[4] = {vcombine_f32(vget_low_f32(t0), vget_low_f32(t2)), vcombine_f32(vget_high_f32(t0), vget_high_f32(t2)),
                         vcombine_f32(vget_low_f32(t1), vget_low_f32(t3)), vcombine_f32(vget_high_f32(t1), vget_high_f32(t3))};
    int32_t words[4];
    for (int p = 0; p < 4; p++) {
        float32x4_t v = vmulq_f32(px[p], vdupq_n_f32(inv_scale));
        uint32x4_t nan = vmvnq_u32(vceqq_f32(v, v));
        v = vbslq_f32(nan, vdupq_n_f32(-127.0f), v);
        v = vminq_f32(vmaxq_f32(v, vdupq_n_f32(-127.0f)), vdupq_n_f32(127.0f));
#if defined(__aarch64__)
        int32x4_t q = vaddq_s32(vcvtnq_s32_f32(v), vdupq_n_s32(offset));
#else
        // |v| <= 127: v + 1.5 * 2^23 rounds to an integer (half to even, NEON's only mode) and holds
        // it in its low mantissa bits, so the bit patterns' difference is that integer.
        const float32x4_t magic = vdupq_n_f32(12582912.0f);
        int32x4_t q = vsubq_s32(vreinterpretq_s32_f32(vaddq_f32(v, magic)), vreinterpretq_s32_f32(magic));
        q = vaddq_s32(q, vdupq_n_s32(offset));
#endif
        int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(q), vmovn_s32(q)));   // low bytes
        words[p] = vget_lane_s32(vreinterpret_s32_s8(b), 0);
    }
#endif
    for (int p = 0; p < 4; p++) memcpy(out + (size_t)p * stride, &words[p], 4);
}
#endif

/// One image row, SSE2 / NEON (4 pixels x 4 channels) or plain C (the portable path).
static void quantize_row_4x4(const float *src, size_t channel_stride, int channels, int w, float inv_scale, int path,
                             int8_t *row_out) {
    const int offset = ei_i8_input_offset(path);
    const int cin4 = (channels + 3) / 4 * 4;
    static const float zeros[4] = {0, 0, 0, 0};
    for (int c0 = 0; c0 < channels; c0 += 4) {
        int group = channels - c0 < 4 ? channels - c0 : 4;
        int x = 0;
#if EI_QUANTIZE_VECTOR
        const float *rows[4];
        for (int k = 0; k < 4; k++) rows[k] = k < group ? src + (size_t)(c0 + k) * channel_stride : zeros;
        for (; path != EI_I8_PORTABLE && x + 4 <= w; x += 4) {
            quantize_4x4(rows, inv_scale, offset, row_out + (size_t)x * cin4 + c0, (size_t)cin4);
            for (int k = 0; k < group; k++) rows[k] += 4;
        }
#endif
        for (; x < w; x++) {   // all four bytes: channels past `channels` are q = 0
            for (int k = 0; k < 4; k++) {
                float v = k < group ? src[(size_t)(c0 + k) * channel_stride + x] : 0.0f;
                row_out[(size_t)x * cin4 + c0 + k] = ei_i8_quantize_one(v, inv_scale, offset);
            }
        }
    }
}

/// The x86 quantisers (b NULL: no blend); 0 when `path` has none, for the caller's fallback.
static int quantize_row_x86(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                            int w, float inv_scale, int path, int8_t *row_out) {
    switch (path) {
#if defined(__x86_64__)
    case EI_I8_AVX512_VNNI: ei_i8_quantize_row_avx512(a, b, channel_stride, wa, wb, channels, w, inv_scale, path, row_out); return 1;
    case EI_I8_AVX2:
    case EI_I8_AVX_VNNI: ei_i8_quantize_row_avx2(a, b, channel_stride, wa, wb, channels, w, inv_scale, path, row_out); return 1;
#endif
    default: return 0;
    }
}

void ei_i8_quantize_image_row(const float *src, size_t channel_stride, int channels, int w, float inv_scale,
                              int path, int8_t *row_out) {
    if (!quantize_row_x86(src, NULL, channel_stride, 0, 0, channels, w, inv_scale, path, row_out)) {
        quantize_row_4x4(src, channel_stride, channels, w, inv_scale, path, row_out);
    }
}

void ei_i8_quantize_blend_row(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                              int w, float inv_scale, int path, float *tile, int8_t *row_out) {
    if (quantize_row_x86(a, b, channel_stride, wa, wb, channels, w, inv_scale, path, row_out)) return;
    for (int c = 0; c < channels; c++) {
        const size_t at = (size_t)c * channel_stride;
        for (int x = 0; x < w; x++) tile[at + x] = a[at + x] * wa + b[at + x] * wb;
    }
    quantize_row_4x4(tile, channel_stride, channels, w, inv_scale, path, row_out);
}

int8_t *ei_i8_quantize_padding(int8_t *dst, int py, int h, int w, int channels, int padded_w, int pad_top,
                               int pad_left, int path) {
    const int offset = ei_i8_input_offset(path), cin4 = (channels + 3) / 4 * 4;
    int8_t *row = dst + (size_t)py * padded_w * cin4;
    const int y = py - pad_top;
    if (y < 0 || y >= h) {
        memset(row, offset, (size_t)padded_w * cin4);
        return NULL;
    }
    memset(row, offset, (size_t)pad_left * cin4);
    memset(row + (size_t)(pad_left + w) * cin4, offset, (size_t)(padded_w - pad_left - w) * cin4);
    return row + (size_t)pad_left * cin4;
}

void ei_i8_quantize_rows(const float *src, int channels, int h, int w, float inv_scale, int path,
                         int8_t *dst, int padded_h, int padded_w, int pad_top, int pad_left,
                         int first_row, int end_row) {
    (void)padded_h;
    for (int py = first_row; py < end_row; py++) {
        int8_t *row = ei_i8_quantize_padding(dst, py, h, w, channels, padded_w, pad_top, pad_left, path);
        if (row) ei_i8_quantize_image_row(src + (size_t)(py - pad_top) * w, (size_t)h * w, channels, w, inv_scale, path, row);
    }
}

void ei_i8_row_portable(const ei_i8_conv *c, int block, int y) {
    const int chunks = c->cin4 / 4;
    for (int x = 0; x < c->out_w; x++) {
        int32_t sums[EI_I8_BLOCK] = {0};
        const int8_t *w = ei_i8_block_weights(c, block);
        for (int ky = 0; ky < c->kernel_h; ky++) {
            for (int kx = 0; kx < c->kernel_w; kx++) {
                const int8_t *px = ei_i8_tap(c, y, x, ky, kx);
                for (int j = 0; j < chunks; j++, w += 4 * EI_I8_BLOCK) {
                    for (int o = 0; o < EI_I8_BLOCK; o++) {
                        for (int i = 0; i < 4; i++) sums[o] += (int32_t)w[o * 4 + i] * px[4 * j + i];
                    }
                }
            }
        }
        ei_i8_store(c, block, y, x, 1, sums, 0);
    }
}

int ei_i8_path_supported(int path) {
    unsigned f = ei_cpu_features();
    switch (path) {
    case EI_I8_PORTABLE: return 1;
#if defined(__aarch64__) || defined(__ARM_NEON)
    case EI_I8_NEON: return (f & EI_CPU_NEON) != 0;
#endif
#if defined(__aarch64__)
    case EI_I8_SDOT: return (f & EI_CPU_ASIMD_DOT) != 0;
#endif
#if defined(__x86_64__)
    case EI_I8_AVX2: return (f & EI_CPU_AVX2) != 0;
    case EI_I8_AVX_VNNI: return (f & EI_CPU_AVX_VNNI) != 0;
    case EI_I8_AVX512_VNNI: return (f & EI_CPU_AVX512_VNNI) != 0;
#endif
    default: (void)f; return 0;
    }
}

const char *ei_i8_path_name(int path) {
    static const char *names[EI_I8_PATH_COUNT] = {"portable", "neon", "sdot", "avx2", "avx-vnni", "avx512-vnni"};
    return path >= 0 && path < EI_I8_PATH_COUNT ? names[path] : "unknown";
}

int ei_i8_best_path(void) {
    const char *forced = getenv("EDGEINSPECT_I8_PATH");
    if (forced) {
        for (int p = 0; p < EI_I8_PATH_COUNT; p++) {
            if (strcmp(forced, ei_i8_path_name(p)) == 0 && ei_i8_path_supported(p)) return p;
        }
    }
    // Fastest first. AVX-512 VNNI covers 16 channels per instruction, AVX-VNNI 8.
    static const int order[] = {EI_I8_AVX512_VNNI, EI_I8_AVX_VNNI, EI_I8_AVX2, EI_I8_SDOT, EI_I8_NEON};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (ei_i8_path_supported(order[i])) return order[i];
    }
    return EI_I8_PORTABLE;
}

int ei_i8_disabled_by_env(void) {
    const char *v = getenv("EDGEINSPECT_FP32");
    return v && v[0] && strcmp(v, "0") != 0;
}

int ei_i8_blocks_per_item(int path) { return path == EI_I8_AVX512_VNNI ? 2 : 1; }

void ei_i8_conv_item(const ei_i8_conv *c, int path, int block, int y) {
    const int blocks = (c->out_channels + EI_I8_BLOCK - 1) / EI_I8_BLOCK;
#if defined(__x86_64__)
    if (path == EI_I8_AVX512_VNNI && block + 1 < blocks) {
        ei_i8_row2_avx512_vnni(c, block, y);
        return;
    }
#endif
    const int end = block + ei_i8_blocks_per_item(path);
    for (int b = block; b < end && b < blocks; b++) ei_i8_conv_row(c, path, b, y);
}

void ei_i8_conv_row(const ei_i8_conv *c, int path, int block, int y) {
    switch (path) {
#if defined(__x86_64__)
    case EI_I8_AVX2: ei_i8_row_avx2(c, block, y); return;
    case EI_I8_AVX_VNNI: ei_i8_row_avx_vnni(c, block, y); return;
    case EI_I8_AVX512_VNNI: ei_i8_row_avx512_vnni(c, block, y); return;
#endif
#if defined(__aarch64__) || defined(__ARM_NEON)
    case EI_I8_NEON: ei_i8_row_neon(c, block, y); return;
#endif
#if defined(__aarch64__)
    case EI_I8_SDOT: ei_i8_row_sdot(c, block, y); return;
#endif
    default: ei_i8_row_portable(c, block, y); return;
    }
}
