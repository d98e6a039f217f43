#!/usr/bin/env bash
# Builds edge-inspect with Embedded Swift, the mode that needs no Swift runtime on the board:
#   cross/build.sh host               x86_64 Linux, dynamically linked; CI's check that all of
#                                     Sources/ stays inside the Embedded subset
#   cross/build.sh aarch64 [CPU]      64-bit ARM Linux boards, static-pie (runs with nothing else
#                                     installed). Every variant uses only the ARMv8.0-A instruction
#                                     set, so each runs on every 64-bit ARM board; CPU only tunes
#                                     the instruction scheduling: cortex-a53 (default; Pi 3, Zero 2,
#                                     i.MX8M), cortex-a72 (Pi 4, i.MX8QM), cortex-a76 (Pi 5, RK3588)
#   cross/build.sh armv7 [CPU]        32-bit ARM Linux (armhf: hard float, NEON), static; CPU:
#                                     cortex-a7 (default; VFPv4: Pi 2, Pi 3/4 on 32-bit Raspberry
#                                     Pi OS, most Allwinner boards), cortex-a9 (VFPv3: i.MX6, Zynq-7000)
# Prints the binary's path: .build-cross/<target>[-<cpu>]/edge-inspect
# The ARM targets need Debian's cross packages: cross/install-deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-host}
toolchain=$(dirname "$(dirname "$(command -v swiftc)")")

case "$target" in
host)
    cpu=${2:-${EDGEINSPECT_TARGET_CPU:-haswell}}   # x86 must name a CPU, or FMA is a libm call
    triple=x86_64-unknown-linux-gnu
    swift_target=(-target "$triple" -target-cpu "$cpu")
    c_target=(-march="$cpu")
    link=(-lpng -ljpeg -lz -lv4l2 -lv4lconvert -lm -lpthread)
    out=.build-cross/host
    ;;
aarch64)
    cpu=${2:-cortex-a53}
    triple=aarch64-none-none-elf          # Embedded's aarch64 stdlib; Linux comes from clang below
    sysroot=/usr/aarch64-linux-gnu
    libs=.build-cross/arm64-libs/usr      # unpacked by cross/install-deps.sh
    case "$cpu" in
        cortex-a53|cortex-a72|cortex-a76) ;;
        *) echo "cross/build.sh: aarch64 CPU must be cortex-a53, cortex-a72 or cortex-a76" >&2; exit 2 ;;
    esac
    # -march=armv8-a, and the CPU for scheduling only (-mtune): with -mcpu=cortex-a76 the compiler
    # used ARMv8.2-A instructions anywhere (atomics, fp16) and the binary died with SIGILL on a
    # Cortex-A53. Kernels that need newer instructions pick them at run time.
    isa=(-march=armv8-a -mtune="$cpu")
    swift_target=(-target "$triple" -Xcc "${isa[0]}" -Xcc "${isa[1]}"
                  -Xfrontend -clang-target -Xfrontend aarch64-unknown-linux-gnu
                  -Xcc --sysroot=$sysroot -Xcc -isystem -Xcc $libs/include/aarch64-linux-gnu
                  -Xcc -isystem -Xcc $libs/include)
    c_target=(--target=aarch64-linux-gnu --sysroot=$sysroot -isystem $libs/include/aarch64-linux-gnu
              -isystem $libs/include "${isa[@]}" -fPIE)
    # -static fails on a protected-symbol relocation in Debian's glibc; -static-pie works.
    link=(--target=aarch64-linux-gnu -fuse-ld=lld -static-pie -L $libs/lib/aarch64-linux-gnu
          -lv4l2 -lv4lconvert -lpng -ljpeg -lz -lrt -lm -lpthread)
    out=.build-cross/aarch64-$cpu
    ;;
armv7)
    cpu=${2:-cortex-a7}
    case "$cpu" in
        cortex-a7) fpu=neon-vfpv4 ;;     # VFPv4: fused multiply-add (vfma), in NEON too
        cortex-a9) fpu=neon ;;           # VFPv3 + NEON, no fused multiply-add: the kernel uses vmla
        *) echo "cross/build.sh: armv7 CPU must be cortex-a7 or cortex-a9" >&2; exit 2 ;;
    esac
    triple=armv7-none-none-eabi           # Embedded's armv7 stdlib; Linux and hard float come from clang
    sysroot=/usr/arm-linux-gnueabihf
    libs=.build-cross/armhf-libs/usr      # unpacked by cross/install-deps.sh
    float=(-mfloat-abi=hard -mfpu=$fpu)
    swift_target=(-target "$triple" -target-cpu "$cpu"
                  -Xfrontend -clang-target -Xfrontend armv7-unknown-linux-gnueabihf
                  -Xcc "${float[0]}" -Xcc "${float[1]}"
                  -Xcc --sysroot=$sysroot -Xcc -isystem -Xcc $libs/include/arm-linux-gnueabihf
                  -Xcc -isystem -Xcc $libs/include)
    c_target=(--target=arm-linux-gnueabihf --sysroot=$sysroot -isystem $libs/include/arm-linux-gnueabihf
              -isystem $libs/include -mcpu="$cpu" "${float[@]}")
    # Not static-pie: Debian's armhf glibc is built without static-PIE support (no rcrt1.o in
    # libc6-dev-armhf-cross or libc6-dev:armhf). A plain static executable runs the same way.
    link=(--target=arm-linux-gnueabihf -fuse-ld=lld -static
          -L $libs/lib/arm-linux-gnueabihf -lv4l2 -lv4lconvert -lpng -ljpeg -lz -lrt -lm -lpthread)
    out=.build-cross/armv7-$cpu
    ;;
*)
    echo "cross/build.sh: unknown target '$target' (host, aarch64, armv7)" >&2
    exit 2
    ;;
esac
mkdir -p "$out"

# Every C target (Sources/C*, each with include/module.modulemap) is visible to every module.
c_includes=()
for dir in Sources/C*/include; do c_includes+=(-I "$dir"); done
swift_flags=("${swift_target[@]}" -enable-experimental-feature Embedded -wmo -O -I "$out" "${c_includes[@]}")
# The objects this run builds: only they are linked, so an object left in $out by a source file
# since renamed or removed cannot clash with its successor.
objects=()
# Library modules in dependency order (Package.swift lists them the same way).
for module in Platform ModelFile Kernels Engine Imaging Scoring Inspection Camera Alerts Pipeline; do
    swiftc "${swift_flags[@]}" -parse-as-library -module-name "$module" \
        -emit-module -emit-module-path "$out/$module.swiftmodule" \
        $(find "Sources/$module" -name '*.swift' | sort) -c -o "$out/$module.o"
    objects+=("$out/$module.o")
done
# The CLI has top-level code in main.swift, so it is not parsed as a library.
swiftc "${swift_flags[@]}" -module-name EdgeInspectCLI Sources/EdgeInspectCLI/*.swift -c -o "$out/EdgeInspectCLI.o"
objects+=("$out/EdgeInspectCLI.o")

for source in Sources/C*/*.c; do
    flags=("${c_target[@]}")
    # CKernels is built for the baseline ISA, as in Package.swift: its faster kernels carry their own
    # target attributes and are chosen at run time, so the x86 CPU flag is left out for it.
    [[ $source == Sources/CKernels/* && $target == host ]] && flags=("${flags[@]/-march=*/}")
    clang "${flags[@]}" -O2 "${c_includes[@]}" -c "$source" -o "$out/c_$(basename "$source" .c).o"
    objects+=("$out/c_$(basename "$source" .c).o")
done
# String and Dictionary code needs Unicode tables, which Embedded ships as a separate archive.
clang "${objects[@]}" "$toolchain/lib/swift/embedded/$triple/libswiftUnicodeDataTables.a" "${link[@]}" -o "$out/edge-inspect"
echo "$out/edge-inspect"
