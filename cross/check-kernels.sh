#!/usr/bin/env bash
# Fails when the hot kernels lost their vector FMA: a missing target CPU (x86) or a change that
# scalarises the SIMD code still computes the right numbers, 10-30x slower, so no other test
# notices. Checks the Kernels object of each Embedded build: vector FMA present, no fmaf calls,
# and vector FMA inside each hot fp32 kernel (its functions are found by the kernel's Swift names
# in their mangled symbols, wherever the optimiser inlined the inner loop).
#   cross/check-kernels.sh .build-cross/host .build-cross/aarch64-cortex-a53
set -euo pipefail
status=0
for dir in "$@"; do
    object=$dir/Kernels.o
    case "$(basename "$dir")" in
        host)     objdump=objdump; fma='vfmadd[0-9]+ps\s+%[yz]mm' ;;
        aarch64*) objdump=aarch64-linux-gnu-objdump; fma='fmla\s+v[0-9]+\.4s' ;;
        *) echo "check-kernels: unknown build $dir" >&2; exit 2 ;;
    esac
    listing=$("$objdump" -dr "$object")   # -r: an unlinked call names its target only in a relocation
    vector=$(grep -cE "$fma" <<<"$listing" || true)
    calls=$(grep -cE 'R_[A-Z0-9_]+\s+fmaf\b' <<<"$listing" || true)
    echo "check-kernels: $object: $vector vector FMA instructions, $calls fmaf calls"
    if (( vector == 0 || calls > 0 )); then
        echo "check-kernels: $object has lost its vector FMA (see the comment in this script)" >&2
        status=1
    fi
    # Vector FMA per function (the label line "<symbol>:" starts each one), then per kernel.
    per_function=$(awk -v fma="${fma//\\s/[[:space:]]}" '/^[0-9a-f]+ <.*>:$/ { name = $2 } $0 ~ fma { count[name]++ }
                                      END { for (n in count) print n, count[n] }' <<<"$listing")
    for kernel in 'DirectConvOC8|conv2DDirectOC8' 'DirectConvX16|conv2DDirectX16' 'WinogradJob|conv2DWinogradF43'; do
        n=$({ grep -E "$kernel" <<<"$per_function" || true; } | awk '{ s += $2 } END { print s + 0 }')
        echo "check-kernels:   ${kernel%%|*}: $n vector FMA instructions"
        if (( n == 0 )); then
            echo "check-kernels: $object: kernel ${kernel%%|*} has no vector FMA" >&2
            status=1
        fi
    done
done
exit $status
