#!/usr/bin/env bash
# Fails when the hot kernels lost their vector FMA: a missing target CPU (x86) or a change that
# scalarises the SIMD code still computes the right numbers, 10-30x slower, so no other test
# notices. Checks the Kernels object of each Embedded build: vector FMA present, no fmaf calls.
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
done
exit $status
