// Run-time CPU feature detection: cpuid + xgetbv on x86-64, getauxval(AT_HWCAP) on ARM.
// An instruction set counts only when the OS also saves its registers (XCR0 on x86).
#include "cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static unsigned detect(void) {
    unsigned a, b, c, d, features = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return 0;
    unsigned long long xcr0 = read_xcr0();
    int ymm_state = (xcr0 & 0x6) == 0x6;              // SSE + AVX state
    int zmm_state = (xcr0 & 0xE6) == 0xE6;            // + opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1;
    int avx512 = ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);   // F, BW, VL
    int avx512_vnni = (c >> 11) & 1;
    unsigned leaf7_subleafs = a;
    int avx_vnni = 0;
    if (leaf7_subleafs >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        avx_vnni = (a >> 4) & 1;
    }
    if (ymm_state && avx2) features |= EI_CPU_AVX2;
    if (ymm_state && avx2 && avx_vnni) features |= EI_CPU_AVX_VNNI;
    if (zmm_state && avx2 && avx512 && avx512_vnni) features |= EI_CPU_AVX512_VNNI;
    return features;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1 << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif

static unsigned detect(void) {
    unsigned long hwcap = getauxval(AT_HWCAP);
    unsigned features = 0;
    if (hwcap & HWCAP_ASIMD) features |= EI_CPU_NEON;
    if ((hwcap & HWCAP_ASIMD) && (hwcap & HWCAP_ASIMDDP)) features |= EI_CPU_ASIMD_DOT;
    return features;
}

#elif defined(__arm__)
#include <sys/auxv.h>
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif

static unsigned detect(void) {
    return (getauxval(AT_HWCAP) & HWCAP_NEON) ? EI_CPU_NEON : 0;
}

#else
static unsigned detect(void) { return 0; }
#endif

// Benign race: every thread computes the same value.
static volatile unsigned cached;
static volatile int cached_valid;

unsigned ei_cpu_features(void) {
    if (!cached_valid) {
        cached = detect();
        cached_valid = 1;
    }
    return cached;
}

const char *ei_cpu_features_text(void) {
    static const char *names[] = {"avx2", "avx-vnni", "avx512-vnni", "neon", "asimddp"};
    static char text[64];
    unsigned f = ei_cpu_features();
    int n = 0;
    for (int i = 0; i < 5; i++) {
        if (!(f & (1u << i))) continue;
        const char *s = names[i];
        if (n > 0) text[n++] = ' ';
        while (*s && n < (int)sizeof text - 1) text[n++] = *s++;
    }
    text[n] = 0;
    return n ? text : "none";
}
