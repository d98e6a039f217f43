"""This machine's peak fp32 FMA rate, measured by a tiny C program compiled at run time.

Why a measurement and not a datasheet number: the benchmark machine is a VM of unknown clock and
FMA width, and what we want is the fraction of what this CPU really sustains. The kernel runs
CHAINS independent vector FMA chains (more than latency x FMA ports, so the FMA units never wait
on a result) in the widest vectors the compiler targets with -march=native, on 1..T pthreads at
once. Each (threads) figure is the best of several repetitions, so a loaded machine lowers it less.
The generated assembly is checked for vector FMA instructions: a build that silently falls back
to separate multiply and add would halve the 'peak' and flatter every engine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

C_SOURCE = r"""
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
typedef float vf __attribute__((vector_size(VBYTES)));
#define LANES (VBYTES / 4)
/* 12 chains fit 16 vector registers (AVX2) with the two constants; 32-register ISAs take 16. */
#if defined(__AVX512F__) || defined(__aarch64__)
#define CHAINS 16
#else
#define CHAINS 12
#endif

/* An empty asm that 'uses' a register keeps the compiler from folding the loop away. */
#if defined(__x86_64__)
#define KEEP(v) __asm__ volatile("" : "+v"(v))
#elif defined(__aarch64__) || defined(__arm__)
#define KEEP(v) __asm__ volatile("" : "+w"(v))
#else
#define KEEP(v) ((void)0)
#endif

static long iterations;
static volatile float sink;

static void *work(void *arg) {
    (void)arg;
    vf m, c, a[16];
    for (int k = 0; k < LANES; k++) { m[k] = 0.99999994f; c[k] = 1e-7f; }
    for (int j = 0; j < 16; j++) for (int k = 0; k < LANES; k++) a[j][k] = (float)(j + k) * 1e-3f;
    vf a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
    vf a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
    for (long i = 0; i < iterations; i++) {
        /* Explicitly unrolled: independent chains, one FMA each (contracted, -ffp-contract=fast). */
        a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
        a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
        a8 = a8 * m + c; a9 = a9 * m + c; a10 = a10 * m + c; a11 = a11 * m + c;
#if CHAINS == 16
        a12 = a12 * m + c; a13 = a13 * m + c; a14 = a14 * m + c; a15 = a15 * m + c;
#endif
        KEEP(a0); KEEP(a1); KEEP(a2); KEEP(a3);
    }
    vf s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
    float t = 0;
    for (int k = 0; k < LANES; k++) t += s[k];
    sink = t;
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Wall seconds for `threads` threads each running `iterations` iterations. */
static double timed(int threads) {
    pthread_t tid[64];
    double t0 = now();
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, work, NULL);
    for (int i = 0; i < threads; i++) pthread_join(tid[i], NULL);
    return now() - t0;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    int repeats = argc > 2 ? atoi(argv[2]) : 5;
    double target = argc > 3 ? atof(argv[3]) : 0.2;
    if (threads < 1 || threads > 64) return 2;
    iterations = 1 << 16;
    while (timed(1) < target / 4) iterations *= 2;  /* size one run to about `target` seconds */
    iterations = (long)(iterations * 4);
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t = timed(threads);
        if (t < best) best = t;
    }
    double flops = 2.0 * CHAINS * LANES * (double)iterations * threads;
    printf("{\"threads\": %d, \"lanes\": %d, \"chains\": %d, \"seconds\": %.6f, \"gflops\": %.3f}\n",
           threads, LANES, CHAINS, best, flops / best / 1e9);
    return 0;
}
"""

FMA_MNEMONICS = re.compile(r"\b(vfmadd\w*|vfnmadd\w*|fmla|fmadd|vfma\.f32|vmla\.f32)\b")
CFLAGS = ["-O2", "-ffp-contract=fast", "-pthread"]


def _compiler() -> str:
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    raise RuntimeError("no C compiler found (cc, gcc or clang); install build-essential")


def measure_peak(threads: list[int], repeats: int = 5, seconds: float = 0.2,
                 march: str = "native") -> dict:
    """{'cflags', 'compiler', 'fma_instructions', 'lanes', 'gflops': {threads: GFLOP/s}}.
    march 'native' is the machine's peak; e.g. 'haswell' gives the AVX2 (8-lane) peak that a
    binary built for that CPU can reach on this machine."""
    cc = _compiler()
    cflags = CFLAGS + [f"-march={march}"]
    with tempfile.TemporaryDirectory(prefix="edgeinspect-peak-") as tmp:
        src = os.path.join(tmp, "peak.c")
        exe = os.path.join(tmp, "peak")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        subprocess.run([cc, *cflags, "-o", exe, src], check=True, capture_output=True, text=True)
        asm = subprocess.run([cc, *cflags, "-S", "-o", "-", src], check=True,
                             capture_output=True, text=True).stdout
        fma_count = len(FMA_MNEMONICS.findall(asm))
        if fma_count == 0:
            raise RuntimeError(f"{cc} {' '.join(cflags)} emitted no vector FMA instruction; "
                               "the peak would be a multiply+add rate, not an FMA rate")
        result = {"compiler": cc, "cflags": " ".join(cflags), "fma_instructions": fma_count,
                  "gflops": {}}
        for t in threads:
            out = subprocess.run([exe, str(t), str(repeats), str(seconds)], check=True,
                                 capture_output=True, text=True).stdout
            row = json.loads(out)
            result["lanes"] = row["lanes"]
            result["chains"] = row["chains"]
            result["gflops"][t] = row["gflops"]
    return result


if __name__ == "__main__":
    print(measure_peak([1, 2], repeats=3, seconds=0.1))
