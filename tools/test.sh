#!/usr/bin/env bash
# Every test: Swift unit, parity and broken-file tests; the Embedded-mode builds (host, aarch64 and
# armv7, the last two run under qemu); a short libFuzzer run on the model loader; the field test
# (tools/fieldtest: the daemon on a real kernel under qemu); the Python tools' tests, including
# CLI-vs-PyTorch verdict parity on the shipped samples. Installs what it needs first. .ci/run calls
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" $(( $(date +%s) - start )); }
# Runs a command, hiding per-file progress and per-test "passed" lines, keeping its exit code.
quiet() {
    local log code=0
    log=$(mktemp)
    "$@" >"$log" 2>&1 || code=$?
    grep -Ev "^\[[0-9]+/[0-9]+\]|^Test Case '.*' (started|passed)|^Test Suite '.*' (started|passed)" "$log" || true
    rm -f "$log"
    return "$code"
}

step "dependencies"
tools/install-deps.sh
cross/install-deps.sh
tools/setup-venv.sh

# Release mode: the SIMD kernels are 50-100x slower unoptimised, and release is what ships.
# -enable-testing lets the loader and imaging tests reach internal helpers; its own scratch folder
# keeps these flags from invalidating the plain build that tools/demo.sh makes.
swift_test=(-c release -Xswiftc -enable-testing --scratch-path .build-test)
step "swift build (release) + swift test"
quiet swift build "${swift_test[@]}" --build-tests
quiet swift test "${swift_test[@]}" --skip-build --disable-swift-testing   # XCTest only
export EDGE_INSPECT_BIN="$(swift build "${swift_test[@]}" --show-bin-path)/edge-inspect"

step "Embedded Swift builds: host, aarch64 (static-pie) and armv7 (static), the last two run under qemu by the Python tests"
export EDGE_INSPECT_EMBEDDED_BIN="$PWD/$(cross/build.sh host | tail -1)"
export EDGE_INSPECT_AARCH64_BIN="$PWD/$(cross/build.sh aarch64 cortex-a53 | tail -1)"
export EDGE_INSPECT_ARMV7_BIN="$PWD/$(cross/build.sh armv7 cortex-a7 | tail -1)"
cross/check-kernels.sh .build-cross/host .build-cross/aarch64-cortex-a53 .build-cross/armv7-cortex-a7

step "fuzz the model loader (${FUZZ_SECONDS:=30}s)"
# Only the summary on success; the whole log (crash input, stack) on failure.
fuzz_log=$(mktemp)
if FUZZ_SECONDS=$FUZZ_SECONDS tools/fuzz-modelfile.sh >"$fuzz_log" 2>&1; then
    grep -E "^Done|^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$fuzz_log"
else
    cat "$fuzz_log"; rm -f "$fuzz_log"; exit 1
fi
rm -f "$fuzz_log"

step "field test: edge-inspect watch on Debian's kernel under qemu (vivid camera, gpio-sim lines)"
# Downloads and builds (kernel, gpio-sim) are cached in .build-fieldtest/<kernel version>/.
# The Embedded host build (haswell: AVX2 + FMA), the board's flavour of the binary: qemu's TCG does
# not emulate AVX-512, which the SwiftPM build above uses on an AVX-512 host (Package.swift).
FIELDTEST_REQUIRE_DAEMON=1 tools/fieldtest/run.sh "$EDGE_INSPECT_EMBEDDED_BIN"

step "python tools tests"
(cd tools && .venv/bin/python -m pytest -q --durations=8 tests)   # the 8 slowest, to keep CI in budget

step "done in $(( $(date +%s) - start ))s"
