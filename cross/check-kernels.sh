#!/usr/bin/env bash
# Fails when the hot kernels lost their vector FMA: a missing target CPU (x86) or a change that
# scalarises the SIMD code still computes the right numbers, 10-30x slower, so no other test
# notices. Reads the objects of each Embedded build: vector FMA present, no fmaf calls.
#   cross/check-kernels.sh .build-cross/host .build-cross/aarch64-cortex-a53 .build-cross/armv7-cortex-a7
# armv7: Swift scalarises SIMD FMA there, so the convolution's block is the C NEON kernel
# (Sources/CArmv7Kernels): it must hold NEON multiply-adds, and Kernels.o must call it.
set -euo pipefail
status=0

# check OBJECT WHAT REGEX: at least one line of OBJECT's disassembly (with relocations) matches REGEX.
check() {
    local object=$1 what=$2 regex=$3 count
    count=$(grep -cE "$regex" <<<"$("$objdump" -dr "$object")" || true)
    echo "check-kernels: $object: $count $what"
    if (( count == 0 )); then
        echo "check-kernels: $object has no $what (see the comment in this script)" >&2
        status=1
    fi
}
# no_fmaf OBJECT: OBJECT calls no fmaf (an unlinked call names its target only in a relocation).
no_fmaf() {
    local object=$1 count
    count=$(grep -cE 'R_[A-Z0-9_]+\s+fmaf\b' <<<"$("$objdump" -dr "$object")" || true)
    echo "check-kernels: $object: $count fmaf calls"
    if (( count > 0 )); then
        echo "check-kernels: $object calls fmaf: its FMA became a library call (see the comment in this script)" >&2
        status=1
    fi
}

for dir in "$@"; do
    case "$(basename "$dir")" in
    host)
        objdump=objdump
        check "$dir/Kernels.o" "vector FMA instructions" 'vfmadd[0-9]+ps\s+%[yz]mm'
        no_fmaf "$dir/Kernels.o" ;;
    aarch64*)
        objdump=aarch64-linux-gnu-objdump
        check "$dir/Kernels.o" "vector FMA instructions" 'fmla\s+v[0-9]+\.4s'
        no_fmaf "$dir/Kernels.o" ;;
    armv7-cortex-a9)   # VFPv3: no fused multiply-add anywhere, so Swift's scalar FMA calls fmaf
        objdump=arm-linux-gnueabihf-objdump
        check "$dir/c_conv_oc8x4.o" "NEON multiply-adds" 'vmla\.f32\s+q'
        check "$dir/Kernels.o" "calls of the NEON kernel" 'R_ARM_\w+\s+ei_conv_oc8x4\b' ;;
    armv7*)
        objdump=arm-linux-gnueabihf-objdump
        check "$dir/c_conv_oc8x4.o" "NEON FMA instructions" 'vfma\.f32\s+q'
        no_fmaf "$dir/c_conv_oc8x4.o"
        check "$dir/Kernels.o" "calls of the NEON kernel" 'R_ARM_\w+\s+ei_conv_oc8x4\b'
        no_fmaf "$dir/Kernels.o" ;;
    *) echo "check-kernels: unknown build $dir" >&2; exit 2 ;;
    esac
done
exit $status
