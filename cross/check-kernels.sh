#!/usr/bin/env bash
# Fails when the hot kernels lost their vector instructions: a missing target CPU (x86) or a change
# that scalarises the SIMD code still computes the right numbers, 10-30x slower, so no other test
# notices. Checks the objects of each Embedded build:
#   Kernels.o (float): vector FMA present, no fmaf calls, and vector FMA inside each hot fp32 kernel
#     (its functions are found by the kernel's Swift names in their mangled symbols, wherever the
#     optimiser inlined the inner loop);
#   c_int8_*.o (int8): the dot-product instructions of every run-time selected path are there
#     (aarch64: sdot, and smull/sadalp for cores without it; x86: vpdpbusd and vpmaddubsw), and
#     on aarch64 sdot appears only inside the sdot kernel (a function built with target("dotprod")),
#     so a cortex-a53 baseline binary never runs it on a core without dotprod.
#   armv7: Swift scalarises SIMD FMA there, so the convolution's block is the C NEON kernel
#     (Sources/CArmv7Kernels): it must hold NEON multiply-adds, and Kernels.o must call it; the int8
#     object must hold the widening-multiply kernel's vmull/vmlal/vpadal, and the quantiser its NEON
#     transposition (vzip; the scalar one calls rintf, a library call there, per activation).
#   cross/check-kernels.sh .build-cross/host .build-cross/aarch64-cortex-a53 .build-cross/armv7-cortex-a7
set -euo pipefail
status=0
fail() { echo "check-kernels: $*" >&2; status=1; }
count() { grep -cE "$1" <<<"$2" || true; }

# check OBJECT WHAT REGEX: at least one line of OBJECT's disassembly (with relocations) matches REGEX.
check() {
    local n
    n=$(count "$3" "$("$objdump" -dr "$1")")
    echo "check-kernels: $1: $n $2"
    (( n > 0 )) || fail "$1 has no $2 (see the comment in this script)"
}
no_fmaf() {
    local n
    n=$(count 'R_[A-Z0-9_]+\s+fmaf\b' "$("$objdump" -dr "$1")")
    echo "check-kernels: $1: $n fmaf calls"
    (( n == 0 )) || fail "$1 calls fmaf: its FMA became a library call (see the comment in this script)"
}

# The armv7 int8 kernel's widening multiplies (without them the portable C loop, scalar there).
armv7_int8() {
    check "$1/c_int8_arm.o" "widening multiplies" 'vmull\.s8\s+q'
    check "$1/c_int8_arm.o" "widening multiply-adds" 'vmlal\.s8\s+q'
    check "$1/c_int8_arm.o" "pairwise accumulations" 'vpadal\.s16\s+q'
    check "$1/c_int8_common.o" "quantiser transpositions" 'vzip\.32\s+q'
}

for dir in "$@"; do
    object=$dir/Kernels.o
    case "$(basename "$dir")" in
        armv7-cortex-a9)   # VFPv3: no fused multiply-add anywhere, so Swift's scalar FMA calls fmaf
            objdump=arm-linux-gnueabihf-objdump
            check "$dir/c_conv_oc8x4.o" "NEON multiply-adds" 'vmla\.f32\s+q'
            check "$object" "calls of the NEON kernel" 'R_ARM_\w+\s+ei_conv_oc8x4\b'
            armv7_int8 "$dir"
            continue ;;
        armv7*)
            objdump=arm-linux-gnueabihf-objdump
            check "$dir/c_conv_oc8x4.o" "NEON FMA instructions" 'vfma\.f32\s+q'
            no_fmaf "$dir/c_conv_oc8x4.o"
            check "$object" "calls of the NEON kernel" 'R_ARM_\w+\s+ei_conv_oc8x4\b'
            no_fmaf "$object"
            armv7_int8 "$dir"
            continue ;;
        host)     objdump=objdump; fma='vfmadd[0-9]+ps\s+%[yz]mm' ;;
        aarch64*) objdump=aarch64-linux-gnu-objdump; fma='fmla\s+v[0-9]+\.4s' ;;
        *) echo "check-kernels: unknown build $dir" >&2; exit 2 ;;
    esac
    listing=$("$objdump" -dr "$object")   # -r: an unlinked call names its target only in a relocation
    vector=$(count "$fma" "$listing")
    calls=$(count 'R_[A-Z0-9_]+\s+fmaf\b' "$listing")
    echo "check-kernels: $object: $vector vector FMA instructions, $calls fmaf calls"
    if (( vector == 0 || calls > 0 )); then
        fail "$object has lost its vector FMA (see the comment in this script)"
    fi
    # Vector FMA per function (the label line "<symbol>:" starts each one), then per kernel.
    per_function=$(awk -v fma="${fma//\\s/[[:space:]]}" '/^[0-9a-f]+ <.*>:$/ { name = $2 } $0 ~ fma { count[name]++ }
                                      END { for (n in count) print n, count[n] }' <<<"$listing")
    for kernel in 'DirectConvOC8|conv2DDirectOC8' 'DirectConvX16|conv2DDirectX16' 'WinogradJob|conv2DWinogradF43'; do
        n=$({ grep -E "$kernel" <<<"$per_function" || true; } | awk '{ s += $2 } END { print s + 0 }')
        echo "check-kernels:   ${kernel%%|*}: $n vector FMA instructions"
        if (( n == 0 )); then
            fail "$object: kernel ${kernel%%|*} has no vector FMA"
        fi
    done

    case "$(basename "$dir")" in
    host)
        int8=$("$objdump" -d "$dir/c_int8_x86.o")
        vnni_ymm=$(count 'vpdpbusd\s.*%ymm' "$int8"); vnni_zmm=$(count 'vpdpbusd\s.*%zmm' "$int8")
        maddubs=$(count 'vpmaddubsw\s.*%ymm' "$int8")
        echo "check-kernels: $dir/c_int8_x86.o: $vnni_ymm vpdpbusd ymm, $vnni_zmm vpdpbusd zmm, $maddubs vpmaddubsw ymm"
        (( vnni_ymm > 0 && vnni_zmm > 0 && maddubs > 0 )) || fail "$dir/c_int8_x86.o lost an int8 dot-product path"
        ;;
    aarch64*)
        int8=$("$objdump" -d "$dir/c_int8_arm.o")
        sdot=$(count '\ssdot\s+v[0-9]+\.4s' "$int8")
        widening=$(count '\s(smull2?|smlal2?)\s+v[0-9]+\.8h' "$int8")
        sadalp=$(count '\ssadalp\s+v[0-9]+\.4s' "$int8")
        # sdot outside a function whose name says sdot would run on every core: forbidden.
        stray=$(awk '/^[0-9a-f]+ <.*>:$/ { fn = $2 } /\tsdot\t/ && fn !~ /sdot/ { n++ } END { print n + 0 }' <<<"$int8")
        echo "check-kernels: $dir/c_int8_arm.o: $sdot sdot ($stray outside the sdot kernel), $widening smull/smlal, $sadalp sadalp"
        (( sdot > 0 )) || fail "$dir/c_int8_arm.o has no sdot: the dot-product kernel is gone"
        (( widening > 0 && sadalp > 0 )) || fail "$dir/c_int8_arm.o has no widening-multiply fallback"
        (( stray == 0 )) || fail "$dir/c_int8_arm.o uses sdot outside the run-time selected kernel"
        # A build for a core without dotprod must keep every other object free of sdot.
        [[ $dir == *cortex-a53* || $dir == *cortex-a72* ]] && for other in "$dir"/*.o; do
            [[ $other == */c_int8_arm.o ]] && continue
            n=$(count '\ssdot\s' "$("$objdump" -d "$other")")
            (( n == 0 )) || fail "$other contains $n sdot instructions outside the selected kernel"
        done
        ;;
    esac
done
exit $status
