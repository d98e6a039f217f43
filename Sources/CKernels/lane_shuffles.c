// See include/lane_shuffles.h. One shuffle sequence per instruction set; every one stores the
// same floats (only moves, no arithmetic).
#include "lane_shuffles.h"

#if defined(__x86_64__)
#include <immintrin.h>

// 16 tiles: phases 0-3 of the 64 floats at row, and phases 2-3 of those at row + 2 (= phases 4-5).
// Each phase takes 8 lanes from each of two vector pairs (two-source permutes), then joins them.
__attribute__((target("avx512f")))
static void phases_x16(const float *row, float *out) {
    for (int window = 0; window < 2; window++) {
        const float *p = row + 2 * window;
        __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
        __m512 c = _mm512_loadu_ps(p + 32), d = _mm512_loadu_ps(p + 48);
        for (int j = 2 * window; j < 4; j++) {
            __m512i index = _mm512_setr_epi32(j, j + 4, j + 8, j + 12, j + 16, j + 20, j + 24, j + 28,
                                              0, 0, 0, 0, 0, 0, 0, 0);
            __m512 low = _mm512_permutex2var_ps(a, index, b), high = _mm512_permutex2var_ps(c, index, d);
            // Lanes 0-7 of each (128-bit blocks 0 and 1).
            _mm512_storeu_ps(out + (j + 2 * window) * 16, _mm512_shuffle_f32x4(low, high, 0x44));
        }
    }
}

// 8 tiles: each 128-bit half of a, b, c, d is one tile's 4 floats; a 4x4 transpose per half
// leaves phase j with tiles in the order 0 2 4 6 1 3 5 7, which one permute puts right.
__attribute__((target("avx2")))
static void phases_x8(const float *row, float *out) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int window = 0; window < 2; window++) {
        const float *p = row + 2 * window;
        __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
        __m256 c = _mm256_loadu_ps(p + 16), d = _mm256_loadu_ps(p + 24);
        __m256 ab0 = _mm256_unpacklo_ps(a, b), ab1 = _mm256_unpackhi_ps(a, b);
        __m256 cd0 = _mm256_unpacklo_ps(c, d), cd1 = _mm256_unpackhi_ps(c, d);
        __m256 phase[4] = {
            _mm256_shuffle_ps(ab0, cd0, 0x44), _mm256_shuffle_ps(ab0, cd0, 0xEE),
            _mm256_shuffle_ps(ab1, cd1, 0x44), _mm256_shuffle_ps(ab1, cd1, 0xEE),
        };
        for (int j = 2 * window; j < 4; j++) {
            _mm256_storeu_ps(out + (j + 2 * window) * 8, _mm256_permutevar8x32_ps(phase[j], order));
        }
    }
}

// The inverse for 16 tiles: unpacks put tile 4i + k's four values in 128-bit block i of q[k];
// a 4x4 transpose of blocks across q[0..3] then puts tiles 4j .. 4j + 3 in out[j].
__attribute__((target("avx512f")))
static void interleave_x16(const float *phases, float *row) {
    __m512 a = _mm512_loadu_ps(phases), b = _mm512_loadu_ps(phases + 16);
    __m512 c = _mm512_loadu_ps(phases + 32), d = _mm512_loadu_ps(phases + 48);
    __m512d ab0 = _mm512_castps_pd(_mm512_unpacklo_ps(a, b)), ab1 = _mm512_castps_pd(_mm512_unpackhi_ps(a, b));
    __m512d cd0 = _mm512_castps_pd(_mm512_unpacklo_ps(c, d)), cd1 = _mm512_castps_pd(_mm512_unpackhi_ps(c, d));
    __m512 q0 = _mm512_castpd_ps(_mm512_unpacklo_pd(ab0, cd0)), q1 = _mm512_castpd_ps(_mm512_unpackhi_pd(ab0, cd0));
    __m512 q2 = _mm512_castpd_ps(_mm512_unpacklo_pd(ab1, cd1)), q3 = _mm512_castpd_ps(_mm512_unpackhi_pd(ab1, cd1));
    __m512 t0 = _mm512_shuffle_f32x4(q0, q1, 0x44), t1 = _mm512_shuffle_f32x4(q2, q3, 0x44);
    __m512 t2 = _mm512_shuffle_f32x4(q0, q1, 0xEE), t3 = _mm512_shuffle_f32x4(q2, q3, 0xEE);
    _mm512_storeu_ps(row, _mm512_shuffle_f32x4(t0, t1, 0x88));
    _mm512_storeu_ps(row + 16, _mm512_shuffle_f32x4(t0, t1, 0xDD));
    _mm512_storeu_ps(row + 32, _mm512_shuffle_f32x4(t2, t3, 0x88));
    _mm512_storeu_ps(row + 48, _mm512_shuffle_f32x4(t2, t3, 0xDD));
}

// 8 tiles: the same unpacks, then tiles 2j, 2j + 1 are the low or high halves of two of q[0..3].
__attribute__((target("avx2")))
static void interleave_x8(const float *phases, float *row) {
    __m256 a = _mm256_loadu_ps(phases), b = _mm256_loadu_ps(phases + 8);
    __m256 c = _mm256_loadu_ps(phases + 16), d = _mm256_loadu_ps(phases + 24);
    __m256d ab0 = _mm256_castps_pd(_mm256_unpacklo_ps(a, b)), ab1 = _mm256_castps_pd(_mm256_unpackhi_ps(a, b));
    __m256d cd0 = _mm256_castps_pd(_mm256_unpacklo_ps(c, d)), cd1 = _mm256_castps_pd(_mm256_unpackhi_ps(c, d));
    __m256 q0 = _mm256_castpd_ps(_mm256_unpacklo_pd(ab0, cd0)), q1 = _mm256_castpd_ps(_mm256_unpackhi_pd(ab0, cd0));
    __m256 q2 = _mm256_castpd_ps(_mm256_unpacklo_pd(ab1, cd1)), q3 = _mm256_castpd_ps(_mm256_unpackhi_pd(ab1, cd1));
    _mm256_storeu_ps(row, _mm256_permute2f128_ps(q0, q1, 0x20));
    _mm256_storeu_ps(row + 8, _mm256_permute2f128_ps(q2, q3, 0x20));
    _mm256_storeu_ps(row + 16, _mm256_permute2f128_ps(q0, q1, 0x31));
    _mm256_storeu_ps(row + 24, _mm256_permute2f128_ps(q2, q3, 0x31));
}

// Stride 2, 16 pairs a step: one two-source permute per phase.
__attribute__((target("avx512f")))
static int halves_x16(const float *row, float *even, float *odd, int count) {
    const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i o = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    int i = 0;
    for (; i + 16 <= count; i += 16) {
        __m512 a = _mm512_loadu_ps(row + 2 * i), b = _mm512_loadu_ps(row + 2 * i + 16);
        _mm512_storeu_ps(even + i, _mm512_permutex2var_ps(a, e, b));
        _mm512_storeu_ps(odd + i, _mm512_permutex2var_ps(a, o, b));
    }
    return i;
}

// 8 pairs a step: shufps takes the even (odd) lanes of each 128-bit half, a0 a2 b0 b2 | a4 a6 b4 b6,
// and a 64-bit permute puts a's pairs before b's.
__attribute__((target("avx2")))
static int halves_x8(const float *row, float *even, float *odd, int count) {
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 a = _mm256_loadu_ps(row + 2 * i), b = _mm256_loadu_ps(row + 2 * i + 8);
        __m256d e = _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), o = _mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD));
        _mm256_storeu_ps(even + i, _mm256_castpd_ps(_mm256_permute4x64_pd(e, 0xD8)));
        _mm256_storeu_ps(odd + i, _mm256_castpd_ps(_mm256_permute4x64_pd(o, 0xD8)));
    }
    return i;
}
#elif defined(__ARM_NEON)
#include <arm_neon.h>

// vld4q_f32 is exactly this: 16 floats into 4 registers, de-interleaved by 4.
static void phases_x8(const float *row, float *out) {
    for (int window = 0; window < 2; window++) {
        const float *p = row + 2 * window;
        float32x4x4_t lo = vld4q_f32(p), hi = vld4q_f32(p + 16);
        for (int j = 2 * window; j < 4; j++) {
            vst1q_f32(out + (j + 2 * window) * 8, lo.val[j]);
            vst1q_f32(out + (j + 2 * window) * 8 + 4, hi.val[j]);
        }
    }
}

// vld2q_f32 is exactly this: 8 floats into 2 registers, de-interleaved by 2.
static int halves_x8(const float *row, float *even, float *odd, int count) {
    int i = 0;
    for (; i + 4 <= count; i += 4) {
        float32x4x2_t v = vld2q_f32(row + 2 * i);
        vst1q_f32(even + i, v.val[0]);
        vst1q_f32(odd + i, v.val[1]);
    }
    return i;
}

// vst4q_f32 is exactly this: 4 registers stored interleaved by 4.
static void interleave_x8(const float *phases, float *row) {
    for (int half = 0; half < 2; half++) {
        float32x4x4_t v = {{ vld1q_f32(phases + 4 * half), vld1q_f32(phases + 8 + 4 * half),
                             vld1q_f32(phases + 16 + 4 * half), vld1q_f32(phases + 24 + 4 * half) }};
        vst4q_f32(row + 16 * half, v);
    }
}
#endif

static void phases_scalar(const float *row, float *out, int lanes) {
    for (int j = 0; j < 6; j++) {
        for (int t = 0; t < lanes; t++) out[j * lanes + t] = row[4 * t + j];
    }
}

void ei_stride4_phases6(const float *row, float *out, int lanes) {
#if defined(__x86_64__)
    if (lanes == 16) { phases_x16(row, out); return; }
    if (lanes == 8) { phases_x8(row, out); return; }
#elif defined(__ARM_NEON)
    if (lanes == 8) { phases_x8(row, out); return; }
#endif
    phases_scalar(row, out, lanes);
}

void ei_stride4_interleave4(const float *phases, float *row, int lanes) {
#if defined(__x86_64__)
    if (lanes == 16) { interleave_x16(phases, row); return; }
    if (lanes == 8) { interleave_x8(phases, row); return; }
#elif defined(__ARM_NEON)
    if (lanes == 8) { interleave_x8(phases, row); return; }
#endif
    for (int t = 0; t < lanes; t++) {
        for (int j = 0; j < 4; j++) row[4 * t + j] = phases[j * lanes + t];
    }
}

void ei_stride2_phases(const float *row, float *even, float *odd, int count, int lanes) {
    int i = 0;
#if defined(__x86_64__)
    if (lanes == 16) i = halves_x16(row, even, odd, count);
    else if (lanes == 8) i = halves_x8(row, even, odd, count);
#elif defined(__ARM_NEON)
    if (lanes == 8) i = halves_x8(row, even, odd, count);
#endif
    for (; i < count; i++) {
        even[i] = row[2 * i];
        odd[i] = row[2 * i + 1];
    }
}
