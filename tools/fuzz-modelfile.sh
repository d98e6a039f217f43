#!/usr/bin/env bash
# Fuzzes the model file reader (Sources/ModelFile) with libFuzzer + AddressSanitizer.
#
#   tools/fuzz-modelfile.sh                  # 30 s
#   FUZZ_SECONDS=600 tools/fuzz-modelfile.sh # longer
#
# Seeds come from the committed corpus (Tests/ModelFileTests/corpus: valid models using every op
# and dtype, and many broken ones). The growing corpus and any crashing input are kept under
# fuzz-out/ (git-ignored); a crash makes this script exit non-zero and names the input file, which
# can be replayed with: fuzz-out/fuzz-modelfile fuzz-out/crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."

out=${FUZZ_OUT:-fuzz-out}
seconds=${FUZZ_SECONDS:-30}
mkdir -p "$out/corpus"

# One module from the reader's sources plus the entry point; -parse-as-library because libFuzzer
# provides main(). lld avoids gold's warnings about ASan's local symbols.
swiftc -sanitize=fuzzer,address -parse-as-library -O -use-ld=lld \
    -module-name ModelFileFuzz \
    Sources/ModelFile/*.swift Tests/Fuzz/ModelFileFuzz.swift \
    -o "$out/fuzz-modelfile"

cp Tests/ModelFileTests/corpus/*.eim "$out/corpus/"

# Swift's own crash backtracer fights ASan's handler; let libFuzzer report crashes.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
echo "fuzzing the model file reader for ${seconds}s (corpus: $out/corpus)"
# -max_len covers the largest seed with room to grow; -timeout flags inputs that hang the reader.
"$out/fuzz-modelfile" \
    -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" -print_final_stats=1 \
    "$out/corpus"
