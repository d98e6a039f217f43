// The lane shuffles of the Winograd transforms, which Swift cannot express: the six stride-4
// phases of one tile row, and the inverse for four output rows. Swift's SIMD types have no
// shuffle, and building a vector lane by lane from strided loads (or through evenHalf/oddHalf)
// compiled to scalar inserts and was the input transform's largest cost.
#ifndef EDGEINSPECT_STRIDE4_PHASES_H
#define EDGEINSPECT_STRIDE4_PHASES_H

/// out[j * lanes + t] = row[4 * t + j] for j < 6 and t < lanes (lanes: 8, or 16 where the Swift
/// kernels use 16-lane vectors, which they do only on CPUs with AVX-512). Reads row[0 ..< 4 * lanes + 2].
void ei_stride4_phases6(const float *row, float *out, int lanes);

/// The inverse of four phases, for the output transform: row[4 * t + j] = phases[j * lanes + t]
/// for j < 4 and t < lanes. (Lane by lane from Swift, it stored each vector to the stack and
/// gathered it back a float at a time.)
void ei_stride4_interleave4(const float *phases, float *row, int lanes);

#endif
