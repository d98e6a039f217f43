// int8 convolution micro-kernels: int8 weights (one scale per output channel), int8 activations
// (one scale per tensor, zero point 0), exact int32 accumulation, then a fused epilogue.
//
// Every implementation computes the same int32 sums bit for bit; they differ only in the
// instructions used. The engine picks one at run time (ei_i8_best_path) so a binary built for a
// baseline CPU never executes an instruction the CPU lacks.
//
// Layouts
//   activations: zero-padded HWC int8, [padded_h][padded_w][cin4], cin4 = channels rounded up to 4;
//                padding pixels and channels are q = 0, so they add nothing to the sums
//                (stored with the path's offset, see ei_i8_input_offset).
//   weights:     [blocks][kernel_h][kernel_w][cin4 / 4][16 output channels][4 input channels],
//                blocks = ceil(out_channels / 16), unused channels 0 (ei_i8_pack_weights).
//   values are in -127..127 on both sides (never -128), which keeps the AVX2 and NEON-fallback
//   16-bit partial sums (2 * 127 * 127 = 32258) from saturating.
#ifndef EDGEINSPECT_INT8_CONV_H
#define EDGEINSPECT_INT8_CONV_H

#include <stddef.h>
#include <stdint.h>

#define EI_I8_BLOCK 16   // output channels per block

typedef enum {
    EI_I8_PORTABLE = 0,   // plain C, any CPU
    EI_I8_NEON = 1,       // ARM widening multiply (smull/smlal/sadalp; armv7: vmull/vmlal/vpadal): A53/A72, armv7
    EI_I8_SDOT = 2,       // aarch64 sdot (ARMv8.2 dotprod): Cortex-A55/A76 and later
    EI_I8_AVX2 = 3,       // x86-64 vpmaddubsw + vpmaddwd
    EI_I8_AVX_VNNI = 4,   // x86-64 vpdpbusd on YMM (AVX-VNNI)
    EI_I8_AVX512_VNNI = 5,// x86-64 vpdpbusd on ZMM (AVX-512 VNNI)
    EI_I8_PATH_COUNT = 6
} ei_i8_path;

enum { EI_ACT_NONE = 0, EI_ACT_RELU = 1, EI_ACT_LEAKY_RELU = 2, EI_ACT_SILU = 3, EI_ACT_SIGMOID = 4 };

/// Whether this build contains `path` and the running CPU can execute it.
int ei_i8_path_supported(int path);
/// The fastest supported path; EDGEINSPECT_I8_PATH=<name> forces a supported one (for testing).
int ei_i8_best_path(void);
/// Short name: "portable", "neon", "sdot", "avx2", "avx-vnni", "avx512-vnni".
const char *ei_i8_path_name(int path);
/// 1 when the environment asks for float convolutions (EDGEINSPECT_FP32=1), to compare paths.
int ei_i8_disabled_by_env(void);

/// Bytes of packed weights for this convolution.
size_t ei_i8_packed_size(int out_channels, int in_channels, int kernel_h, int kernel_w);
/// weights: [out][in][kh][kw] int8 (PyTorch order). packed: ei_i8_packed_size bytes.
/// sums: blocks * 16 int32, each output channel's weight sum (the AVX-VNNI paths need it).
void ei_i8_pack_weights(const int8_t *weights, int out_channels, int in_channels, int kernel_h,
                        int kernel_w, int8_t *packed, int32_t *sums);

/// The byte encoding a path's kernels read: 0 = q as int8; 128 = q + 128 as uint8 (the VNNI
/// paths, whose vpdpbusd multiplies unsigned bytes; the bias is removed in the epilogue).
int ei_i8_input_offset(int path);

/// Quantises planar float activations [channels][h][w] to the padded HWC layout:
/// q = clamp(round_half_even(x * inv_scale), -127, 127), stored as q + ei_i8_input_offset(path).
/// Writes every byte of padded rows [first_row, end_row) of the [padded_h][padded_w][cin4]
/// destination, padding included (padding is q = 0). Rows are independent, so threads split them.
/// The portable path quantises in plain C, the others with SSE2 or NEON (the same bytes), so
/// comparing a path with the portable one also checks its quantiser.
void ei_i8_quantize_rows(const float *src, int channels, int h, int w, float inv_scale, int path,
                         int8_t *dst, int padded_h, int padded_w, int pad_top, int pad_left,
                         int first_row, int end_row);

/// The same for one image row, for producers that quantise as they go: src[c * channel_stride + x]
/// for w pixels, stored at row_out (the row's first image pixel in the padded layout), every
/// byte of those pixels (channels past `channels` are q = 0).
void ei_i8_quantize_image_row(const float *src, size_t channel_stride, int channels, int w, float inv_scale,
                              int path, int8_t *row_out);
/// ei_i8_quantize_image_row of a[i] * wa + b[i] * wb (two products, one sum: the bilinear vertical
/// pass of Kernels/Upsample.swift, bit for bit), without storing those floats on the SIMD paths.
/// tile: channels * channel_stride floats, where the other paths put them first.
void ei_i8_quantize_blend_row(const float *a, const float *b, size_t channel_stride, float wa, float wb, int channels,
                              int w, float inv_scale, int path, float *tile, int8_t *row_out);
/// Writes the padding of padded row `py` as q = 0: the whole row above or below the image, else the
/// pixels left and right of it, whose first image pixel it returns (NULL for a padding row).
int8_t *ei_i8_quantize_padding(int8_t *dst, int py, int h, int w, int channels, int padded_w, int pad_top,
                               int pad_left, int path);

/// Where an int8 convolution stores its output for an int8 reader: that reader's padded HWC input
/// bytes (ei_i8_quantize_rows' layout), quantised with the reader's scale and path as
/// ei_i8_quantize_rows would quantise the float output, byte for byte. The output may be a slice
/// of the reader's input (a concat's): its channels start at byte `channel` of each `cin4`-byte
/// pixel, and it writes the producer's out_channels rounded up to 4 (those past out_channels
/// q = 0), so a slice that is not the last must have a multiple of 4 channels.
/// Only image pixels are written; the caller writes the padding (ei_i8_quantize_padding).
typedef struct {
    int8_t *dst;                // the reader's padded HWC bytes
    int padded_w, pad_top, pad_left;
    int cin4;                   // bytes per pixel of the reader's input
    int channel;                // the producer's first channel in it (a multiple of 4)
    float inv_scale;            // 1 / the reader's activation scale
    int offset;                 // ei_i8_input_offset(the reader's path)
} ei_i8_requant;

typedef struct {
    const int8_t *input;        // padded HWC activations
    int padded_w;               // pixels per padded input row
    int cin4;                   // bytes per input pixel (channels rounded up to 4)
    int kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
    int out_h, out_w, out_channels;
    int out_row, out_plane;     // floats from one output row, one output plane, to the next
    const int8_t *weights;      // packed by ei_i8_pack_weights
    const int32_t *weight_sums; // from ei_i8_pack_weights
    // Epilogue: out = act(sum * scale[o] + bias[o]), scale = activation scale * weight scale.
    const float *scale;         // blocks * 16 floats
    const float *bias;          // blocks * 16 floats
    int activation;
    float alpha;                // leaky_relu slope
    float *output;              // planar [out_channels][out_h][out_w] at out_row, out_plane, or NULL
    const ei_i8_requant *requant; // and/or the epilogue's floats requantised for requant_count readers
    int requant_count;
    int32_t *output_i32;        // with neither: the raw sums, planar as output (tests)
} ei_i8_conv;

/// One output row `y` of output-channel block `block`, computed with `path` (must be supported).
void ei_i8_conv_row(const ei_i8_conv *conv, int path, int block, int y);
/// How many consecutive blocks one work item of `path` computes together (AVX-512 VNNI: two, so
/// each activation word it broadcasts feeds 32 channels).
int ei_i8_blocks_per_item(int path);
/// Output row `y` of blocks `block` .. `block` + ei_i8_blocks_per_item(path) - 1 (those that exist).
void ei_i8_conv_item(const ei_i8_conv *conv, int path, int block, int y);

#endif
