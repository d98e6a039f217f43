// Lane shuffles Swift cannot express: the Winograd transforms' stride-4 phases of a tile row and
// their inverse, and the stride-2 layers' split of a row into its even and odd columns. Swift's
// SIMD types have no shuffle, and building a vector lane by lane from strided loads (or through
// evenHalf/oddHalf) compiled to scalar inserts, the largest cost of each of those passes.
#ifndef EDGEINSPECT_LANE_SHUFFLES_H
#define EDGEINSPECT_LANE_SHUFFLES_H

/// out[j * lanes + t] = row[4 * t + j] for j < 6 and t < lanes (lanes: 8, or 16 where the Swift
/// kernels use 16-lane vectors, which they do only on CPUs with AVX-512). Reads row[0 ..< 4 * lanes + 2].
void ei_stride4_phases6(const float *row, float *out, int lanes);

/// The inverse of four phases, for the output transform: row[4 * t + j] = phases[j * lanes + t]
/// for j < 4 and t < lanes. (Lane by lane from Swift, it stored each vector to the stack and
/// gathered it back a float at a time.)
void ei_stride4_interleave4(const float *phases, float *row, int lanes);

/// even[i] = row[2 * i] and odd[i] = row[2 * i + 1] for i < count; reads row[0 ..< 2 * count].
/// lanes: as above (the Swift kernels' vector width, which names the instruction set).
void ei_stride2_phases(const float *row, float *even, float *odd, int count, int lanes);

#endif
