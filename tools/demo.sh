#!/usr/bin/env bash
# The main job on the shipped model and sample images: build edge-inspect (release) and score
# samples/*.png with weights/synthetic-texture.eim, writing heatmaps to out/demo/.
# Exits 0 when the demo ran as intended (edge-inspect itself exits 1 here: the samples include
# defective parts), 2 on an error.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
swift build -c release --product edge-inspect > .build-demo.log 2>&1 || { cat .build-demo.log >&2; exit 2; }
bin=$(swift build -c release --show-bin-path)/edge-inspect
model=${MODEL:-weights/synthetic-texture.eim}
mkdir -p out/demo
"$bin" info "$model" > out/demo/model-info.txt    # full description; the head is the summary
head -4 out/demo/model-info.txt
echo
set +e
"$bin" score --model "$model" --out-dir out/demo samples/*.png
code=$?
set -e
echo
echo "heatmaps: out/demo/*.heatmap.png   (edge-inspect exit code $code: 0 all good, 1 anomaly found, 2 error)"
[[ $code -le 1 ]] || exit 2
