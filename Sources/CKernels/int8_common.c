// The parts of the int8 path every variant shares: weight packing, activation quantisation,
// the fused epilogue, the portable reference kernel, and the run-time choice of variant.
#include <math.h>
#include <stdlib.h>
#include "cpu_features.h"
#include "int8_internal.h"

// The epilogue's sum * scale + bias stays two roundings on every CPU (no FMA contraction on
// aarch64 only), so x86 and ARM builds agree as closely as the float parts allow.
#pragma STDC FP_CONTRACT OFF

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

void ei_i8_quantize(const float *src, int channels, int h, int w, float inv_scale, int offset,
                    int8_t *dst, int padded_h, int padded_w, int pad_top, int pad_left) {
    int cin4 = (channels + 3) / 4 * 4;
    memset(dst, offset, (size_t)padded_h * padded_w * cin4);
    for (int c = 0; c < channels; c++) {
        for (int y = 0; y < h; y++) {
            const float *row = src + ((size_t)c * h + y) * w;
            int8_t *out = dst + ((size_t)(y + pad_top) * padded_w + pad_left) * cin4 + c;
            for (int x = 0; x < w; x++) {
                float v = row[x] * inv_scale;
                if (!(v >= -127.0f)) v = -127.0f;   // also catches NaN
                if (v > 127.0f) v = 127.0f;
                // round half to even (the default mode); the offset wraps to uint8 bits on purpose
                out[(size_t)x * cin4] = (int8_t)(uint8_t)((int)rintf(v) + offset);
            }
        }
    }
}

static inline float activate(float v, int activation, float alpha) {
    switch (activation) {
    case EI_ACT_RELU: return v < 0 ? 0 : v;
    case EI_ACT_LEAKY_RELU: return v < 0 ? v * alpha : v;
    case EI_ACT_SILU: return v / (1.0f + expf(-v));
    case EI_ACT_SIGMOID: return 1.0f / (1.0f + expf(-v));
    default: return v;
    }
}

void ei_i8_store(const ei_i8_conv *c, int block, int y, int x, int pixels, const int32_t *sums,
                 int compensate) {
    int first = block * EI_I8_BLOCK;
    int lanes = c->out_channels - first < EI_I8_BLOCK ? c->out_channels - first : EI_I8_BLOCK;
    size_t plane = (size_t)c->out_h * c->out_w;
    size_t at = (size_t)y * c->out_w + x;
    for (int j = 0; j < lanes; j++) {
        int o = first + j;
        int32_t offset = compensate ? 128 * c->weight_sums[o] : 0;
        if (c->output) {
            float *out = c->output + o * plane + at;
            float scale = c->scale[o], bias = c->bias[o];
            for (int p = 0; p < pixels; p++) {
                out[p] = activate((float)(sums[p * EI_I8_BLOCK + j] - offset) * scale + bias,
                                  c->activation, c->alpha);
            }
        } else {
            int32_t *out = c->output_i32 + o * plane + at;
            for (int p = 0; p < pixels; p++) out[p] = sums[p * EI_I8_BLOCK + j] - offset;
        }
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
#if defined(__aarch64__)
    case EI_I8_NEON: return (f & EI_CPU_NEON) != 0;
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

void ei_i8_conv_row(const ei_i8_conv *c, int path, int block, int y) {
    switch (path) {
#if defined(__x86_64__)
    case EI_I8_AVX2: ei_i8_row_avx2(c, block, y); return;
    case EI_I8_AVX_VNNI: ei_i8_row_avx_vnni(c, block, y); return;
    case EI_I8_AVX512_VNNI: ei_i8_row_avx512_vnni(c, block, y); return;
#endif
#if defined(__aarch64__)
    case EI_I8_NEON: ei_i8_row_neon(c, block, y); return;
    case EI_I8_SDOT: ei_i8_row_sdot(c, block, y); return;
#endif
    default: ei_i8_row_portable(c, block, y); return;
    }
}
