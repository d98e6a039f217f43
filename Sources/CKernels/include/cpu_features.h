// Which SIMD instructions this CPU (and its OS) can execute, read once at run time. The binary
// is built for a baseline CPU (x86-64; cortex-a53 on aarch64; cortex-a7 or a9, with NEON, on
// armv7); faster instructions are only reached through the kernels chosen here.
#ifndef EDGEINSPECT_CPU_FEATURES_H
#define EDGEINSPECT_CPU_FEATURES_H

enum {
    EI_CPU_AVX2 = 1 << 0,        // x86-64: AVX2 with YMM state enabled by the OS
    EI_CPU_AVX_VNNI = 1 << 1,    // x86-64: AVX-VNNI (vpdpbusd on YMM, VEX encoded)
    EI_CPU_AVX512_VNNI = 1 << 2, // x86-64: AVX-512 F/BW/VL + VNNI with ZMM state enabled
    EI_CPU_NEON = 1 << 3,        // aarch64: Advanced SIMD (always present); armv7: NEON (HWCAP_NEON)
    EI_CPU_ASIMD_DOT = 1 << 4,   // aarch64: sdot/udot (ARMv8.2 dotprod, HWCAP_ASIMDDP)
};

/// Bit set of EI_CPU_* for the running CPU (computed once, then cached).
unsigned ei_cpu_features(void);

/// The features as text, e.g. "avx2 avx-vnni avx512-vnni" or "neon asimddp"; "none" if none.
const char *ei_cpu_features_text(void);

#endif
