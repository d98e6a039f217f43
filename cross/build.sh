#!/usr/bin/env bash
# Builds edge-inspect with Embedded Swift, the mode that needs no Swift runtime on the board:
#   cross/build.sh host               x86_64 Linux, dynamically linked; CI's check that all of
#                                     Sources/ stays inside the Embedded subset
#   cross/build.sh aarch64 [CPU]      64-bit ARM Linux boards, static-pie (runs with nothing else
#                                     installed); CPU: cortex-a53 (default; Pi 3, i.MX8M),
#                                     cortex-a72 (Pi 4), cortex-a76 (Pi 5)
# Prints the binary's path: .build-cross/<target>[-<cpu>]/edge-inspect
# aarch64 needs Debian's cross packages: cross/install-deps.sh installs them.
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
    swift_target=(-target "$triple" -target-cpu "$cpu"
                  -Xfrontend -clang-target -Xfrontend aarch64-unknown-linux-gnu
                  -Xcc --sysroot=$sysroot -Xcc -isystem -Xcc /usr/include/aarch64-linux-gnu -Xcc -isystem -Xcc /usr/include)
    c_target=(--target=aarch64-linux-gnu --sysroot=$sysroot -isystem /usr/include/aarch64-linux-gnu
              -isystem /usr/include -mcpu="$cpu" -fPIE)
    # -static fails on a protected-symbol relocation in Debian's glibc; -static-pie works.
    link=(--target=aarch64-linux-gnu -fuse-ld=lld -static-pie -L /usr/lib/aarch64-linux-gnu
          -lv4l2 -lv4lconvert -lpng -ljpeg -lz -lrt -lm -lpthread)
    out=.build-cross/aarch64-$cpu
    ;;
*)
    echo "cross/build.sh: unknown target '$target' (host, aarch64)" >&2
    exit 2
    ;;
esac
mkdir -p "$out"

swift_flags=("${swift_target[@]}" -enable-experimental-feature Embedded -wmo -O
             -I "$out" -I Sources/CPlatform/include -I Sources/CImageCodecs/include
             -I Sources/CDaemon/include -I Sources/CGPIO/include -I Sources/CCamera/include)
# Library modules in dependency order (Package.swift lists them the same way).
for module in Platform ModelFile Kernels Engine Imaging Scoring Inspection Camera Alerts Pipeline; do
    swiftc "${swift_flags[@]}" -parse-as-library -module-name "$module" \
        -emit-module -emit-module-path "$out/$module.swiftmodule" \
        $(find "Sources/$module" -name '*.swift' | sort) -c -o "$out/$module.o"
done
# The CLI has top-level code in main.swift, so it is not parsed as a library.
swiftc "${swift_flags[@]}" -module-name EdgeInspectCLI Sources/EdgeInspectCLI/*.swift -c -o "$out/EdgeInspectCLI.o"

for source in Sources/CPlatform/*.c Sources/CImageCodecs/*.c Sources/CDaemon/*.c Sources/CGPIO/*.c Sources/CCamera/*.c; do
    clang "${c_target[@]}" -O2 -I Sources/CPlatform/include -I Sources/CImageCodecs/include -I Sources/CDaemon/include \
        -I Sources/CGPIO/include -I Sources/CCamera/include \
        -c "$source" -o "$out/c_$(basename "$source" .c).o"
done
# String and Dictionary code needs Unicode tables, which Embedded ships as a separate archive.
clang "$out"/*.o "$toolchain/lib/swift/embedded/$triple/libswiftUnicodeDataTables.a" "${link[@]}" -o "$out/edge-inspect"
echo "$out/edge-inspect"
