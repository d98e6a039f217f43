#!/usr/bin/env bash
# Builds everything under Sources/ in Embedded Swift mode for this host (x86_64 Linux) and links it
# into .build-embedded/edge-inspect. The ARM boards get the same Embedded build, so anything that
# compiles only in full Swift (Foundation, untyped throws, existentials, reflection) fails here first.
# Usage: tools/check-embedded.sh            (prints the binary's path on success)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-embedded
triple=x86_64-unknown-linux-gnu
cpu=${EDGEINSPECT_TARGET_CPU:-haswell}
mkdir -p "$out"

swift_flags=(-target "$triple" -enable-experimental-feature Embedded -wmo -O -target-cpu "$cpu"
             -I "$out" -I Sources/CPlatform/include -I Sources/CImageCodecs/include)

# Library modules in dependency order (Package.swift lists them the same way).
for module in Platform ModelFile Kernels Engine Imaging Scoring Inspection; do
    swiftc "${swift_flags[@]}" -parse-as-library -module-name "$module" \
        -emit-module -emit-module-path "$out/$module.swiftmodule" \
        $(find "Sources/$module" -name '*.swift' | sort) -c -o "$out/$module.o"
done
# The CLI has top-level code in main.swift, so it is not parsed as a library.
swiftc "${swift_flags[@]}" -module-name EdgeInspectCLI Sources/EdgeInspectCLI/*.swift -c -o "$out/EdgeInspectCLI.o"

for source in Sources/CPlatform/*.c Sources/CImageCodecs/*.c; do
    clang -O2 -march="$cpu" -I Sources/CPlatform/include -I Sources/CImageCodecs/include \
        -c "$source" -o "$out/c_$(basename "$source" .c).o"
done
unicode_tables=$(dirname "$(dirname "$(command -v swiftc)")")/lib/swift/embedded/$triple/libswiftUnicodeDataTables.a
clang "$out"/*.o "$unicode_tables" -lpng -ljpeg -lz -lm -lpthread -o "$out/edge-inspect"
echo "$out/edge-inspect"
